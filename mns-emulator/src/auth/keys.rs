//! The access keys the emulator accepts: long-lived pairs, temporary (STS-style) keys with a
//! token and an expiry, and a pluggable validator for keys issued on the fly.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use super::AuthError;

/// A long-lived access key pair accepted by the emulator.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKey {
    id: String,
    secret: String,
}

impl AccessKey {
    /// A key pair.
    pub fn new(id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            secret: secret.into(),
        }
    }

    /// The access key id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The access key secret.
    pub fn secret(&self) -> &str {
        &self.secret
    }
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKey")
            .field("id", &self.id)
            .field("secret", &"** redacted **")
            .finish()
    }
}

/// A temporary (STS-style) key: accepted only with its security token (header `security-token`)
/// and only before `expires_at` on the emulator's clock.
#[derive(Clone, PartialEq, Eq)]
pub struct TemporaryKey {
    key: AccessKey,
    security_token: String,
    expires_at: SystemTime,
}

impl TemporaryKey {
    /// A temporary key valid until `expires_at`.
    pub fn new(key: AccessKey, security_token: impl Into<String>, expires_at: SystemTime) -> Self {
        Self {
            key,
            security_token: security_token.into(),
            expires_at,
        }
    }

    /// The key pair.
    pub fn key(&self) -> &AccessKey {
        &self.key
    }

    /// The security token that must accompany requests.
    pub fn security_token(&self) -> &str {
        &self.security_token
    }

    /// When the key stops being accepted (emulator clock).
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }
}

impl fmt::Debug for TemporaryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TemporaryKey")
            .field("key", &self.key)
            .field("security_token", &"** redacted **")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A pluggable source of temporary credentials, consulted for access key ids the [`KeyStore`] does
/// not know (e.g. an emulated STS service that issues keys on the fly).
pub trait TokenValidator: Send + Sync + fmt::Debug {
    /// Returns the secret to verify the signature with, or why the key/token is refused.
    /// `security_token` is the `security-token` header, if any; `now` is the emulator's clock.
    fn secret_for(
        &self,
        access_key_id: &str,
        security_token: Option<&str>,
        now: SystemTime,
    ) -> Result<String, AuthError>;
}

#[derive(Debug, Default)]
struct KeyStoreInner {
    permanent: HashMap<String, AccessKey>,
    temporary: HashMap<String, TemporaryKey>,
    validator: Option<Arc<dyn TokenValidator>>,
}

/// The access keys the emulator accepts. Cheap to clone (shared); can be changed while the
/// emulator runs.
#[derive(Debug, Clone, Default)]
pub struct KeyStore {
    // A std lock: lookups are short, synchronous and never held across an await.
    inner: Arc<RwLock<KeyStoreInner>>,
}

impl KeyStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, KeyStoreInner> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, KeyStoreInner> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds (or replaces) a long-lived key.
    pub fn add(&self, key: AccessKey) {
        self.write().permanent.insert(key.id.clone(), key);
    }

    /// Adds (or replaces) a temporary key.
    pub fn add_temporary(&self, key: TemporaryKey) {
        self.write().temporary.insert(key.key.id.clone(), key);
    }

    /// Removes a key of either kind; returns whether one existed.
    pub fn remove(&self, access_key_id: &str) -> bool {
        let mut inner = self.write();
        inner.permanent.remove(access_key_id).is_some()
            | inner.temporary.remove(access_key_id).is_some()
    }

    /// Installs a validator consulted for unknown access key ids.
    pub fn set_token_validator(&self, validator: Arc<dyn TokenValidator>) {
        self.write().validator = Some(validator);
    }

    /// The long-lived keys, sorted by id.
    pub fn keys(&self) -> Vec<AccessKey> {
        let mut keys: Vec<_> = self.read().permanent.values().cloned().collect();
        keys.sort_by(|a, b| a.id.cmp(&b.id));
        keys
    }

    /// The secret for `access_key_id`, checking the token and expiry of temporary keys.
    pub fn secret_for(
        &self,
        access_key_id: &str,
        security_token: Option<&str>,
        now: SystemTime,
    ) -> Result<String, AuthError> {
        let validator = {
            let inner = self.read();
            if let Some(key) = inner.permanent.get(access_key_id) {
                // A long-lived key does not need a token; one sent anyway is ignored.
                return Ok(key.secret.clone());
            }
            if let Some(temp) = inner.temporary.get(access_key_id) {
                let token_ok = security_token.is_some_and(|t| {
                    constant_time_eq(t.as_bytes(), temp.security_token.as_bytes())
                });
                if !token_ok {
                    return Err(AuthError::InvalidSecurityToken);
                }
                if now >= temp.expires_at {
                    return Err(AuthError::SecurityTokenExpired);
                }
                return Ok(temp.key.secret.clone());
            }
            inner.validator.clone()
        };
        match validator {
            // Called without the lock so a validator may itself use the store.
            Some(v) => v.secret_for(access_key_id, security_token, now),
            None => Err(AuthError::InvalidAccessKeyId),
        }
    }
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn temporary_keys_need_their_token_and_expire() {
        let store = KeyStore::new();
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        store.add_temporary(TemporaryKey::new(
            AccessKey::new("STS.x", "s"),
            "tok",
            t0 + Duration::from_secs(60),
        ));
        assert_eq!(store.secret_for("STS.x", Some("tok"), t0), Ok("s".into()));
        assert_eq!(
            store.secret_for("STS.x", None, t0),
            Err(AuthError::InvalidSecurityToken)
        );
        assert_eq!(
            store.secret_for("STS.x", Some("tok2"), t0),
            Err(AuthError::InvalidSecurityToken)
        );
        assert_eq!(
            store.secret_for("STS.x", Some("tok"), t0 + Duration::from_secs(60)),
            Err(AuthError::SecurityTokenExpired)
        );
        assert_eq!(
            store.secret_for("nobody", None, t0),
            Err(AuthError::InvalidAccessKeyId)
        );
    }

    #[test]
    fn debug_redacts_secrets() {
        let k = AccessKey::new("id", "supersecret");
        let t = TemporaryKey::new(k.clone(), "supertoken", SystemTime::UNIX_EPOCH);
        let s = format!("{k:?} {t:?}");
        assert!(
            !s.contains("supersecret") && !s.contains("supertoken"),
            "{s}"
        );
    }
}
