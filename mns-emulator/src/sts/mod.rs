//! Emulated credential services: STS (`AssumeRole`, `AssumeRoleWithOIDC`) and the ECS instance
//! metadata service, issuing temporary keys that MNS requests can then use.
//!
//! Every [`Emulator`](crate::Emulator) serves them on its own listener, beside the MNS API:
//!
//! | service | base URL (give it to the client) | paths below it |
//! |---|---|---|
//! | STS | `{endpoint}/sts` ([`RunningEmulator::sts_endpoint`](crate::RunningEmulator::sts_endpoint)) | `/` (RPC style: `?Action=…`, GET or POST with a form body) |
//! | ECS metadata | `{endpoint}/ecs-metadata` ([`RunningEmulator::ecs_metadata_endpoint`](crate::RunningEmulator::ecs_metadata_endpoint)) | `/latest/api/token`, `/latest/meta-data/ram/security-credentials/[{role}]` |
//!
//! * `AssumeRole` is checked like the real service: RPC signature v1 ([`rpc_signature`]) with one
//!   of the emulator's access keys (or a temporary key plus its `SecurityToken`), `Timestamp`
//!   within the emulator's date skew, `SignatureNonce` never reused. The answer has the JSON shape
//!   of the real STS (`RequestId`, `AssumedRoleUser`, `Credentials`). Answers are always JSON
//!   (`Format=XML` is not emulated).
//! * `AssumeRoleWithOIDC` is anonymous; its `OIDCToken` must be a JWT whose payload is JSON, and
//!   an `exp` claim in the past is refused. Signatures of OIDC tokens are not checked (there is
//!   no identity provider); [`oidc_token`] makes a suitable token for tests.
//! * The metadata service hands out IMDSv2 tokens (`PUT /latest/api/token` with
//!   `X-aliyun-ecs-metadata-token-ttl-seconds`), the attached role's name and its credentials
//!   (`{"Code":"Success",…,"Expiration":…}`), rotating them when less than
//!   [`CredentialServicesConfig::ecs_rotate_before_expiry`] remains.
//! * Every issued key expires on the emulator's [`Clock`]: an MNS request signed with it after
//!   that answers 400 `SecurityTokenExpired`; a wrong token answers 400 `InvalidSecurityToken`
//!   (both codes \[unconfirmed\], see [`crate::auth::AuthError`]).
//!
//! The services register themselves as the key store's
//! [`TokenValidator`]; installing another validator with
//! [`KeyStore::set_token_validator`](crate::auth::KeyStore::set_token_validator) disables their
//! keys. With [`accept_any_signature`](crate::EmulatorBuilder::accept_any_signature), `AssumeRole`
//! skips its signature, timestamp and nonce checks too.
//!
//! STS error codes and statuses follow the public STS error centre where it is known; every one
//! is \[unconfirmed\] and sits in one table ([`StsError::status`]).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! use std::time::Duration;
//! use mns_emulator::Emulator;
//! use mns_emulator::clock::ManualClock;
//!
//! let clock = ManualClock::new();
//! let emu = Emulator::builder()
//!     .clock(clock.clone())
//!     .sts_max_session_duration(Duration::from_secs(12 * 3600))
//!     .ecs_role_name(Some("worker-role"))
//!     .start()
//!     .await?;
//! println!("STS at {}, metadata service at {}", emu.sts_endpoint(), emu.ecs_metadata_endpoint());
//!
//! // Temporary keys can also be issued directly, e.g. for a fixed-token client.
//! let key = emu.credential_services().issue_temporary_key(Duration::from_secs(900));
//! assert!(key.key().id().starts_with("STS."));
//! clock.advance(Duration::from_secs(900)); // now expired for MNS requests
//! # Ok(()) }
//! ```

mod api;
mod ecs;
pub(crate) mod oidc;
pub mod rpc_signature;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use crate::auth::{AccessKey, AuthError, Authenticator, TemporaryKey, TokenValidator};
use crate::clock::Clock;

pub use api::StsError;
pub(crate) use ecs::MetadataError;
pub use oidc::oidc_token;

/// Path prefix of the STS service on the emulator's listener.
pub const STS_PATH: &str = "/sts";
/// Path prefix of the ECS metadata service on the emulator's listener.
pub const ECS_METADATA_PATH: &str = "/ecs-metadata";
/// The STS API version the emulator speaks (`Version` parameter).
pub const STS_API_VERSION: &str = "2015-04-01";
/// Shortest session STS grants (`DurationSeconds`).
pub const MIN_SESSION_DURATION: Duration = Duration::from_secs(900);
/// Default longest session (a role's default `MaxSessionDuration`) and default
/// `DurationSeconds`.
pub const DEFAULT_MAX_SESSION_DURATION: Duration = Duration::from_secs(3600);
/// Role attached to the emulated ECS instance unless configured.
pub const DEFAULT_ECS_ROLE_NAME: &str = "mns-emulator-ecs-role";
/// Lifetime of ECS role credentials (\[unconfirmed\]: the service documents none).
pub const DEFAULT_ECS_CREDENTIALS_DURATION: Duration = Duration::from_secs(6 * 3600);
/// ECS role credentials are replaced when less than this remains (\[unconfirmed\]).
pub const DEFAULT_ECS_ROTATE_BEFORE_EXPIRY: Duration = Duration::from_secs(3600);
/// Longest IMDSv2 token lifetime, in seconds (`X-aliyun-ecs-metadata-token-ttl-seconds`).
pub const MAX_METADATA_TOKEN_TTL_SECONDS: u64 = 21_600;
/// How long an expired temporary key is remembered, so late requests get
/// `SecurityTokenExpired` rather than `InvalidAccessKeyId`.
pub const EXPIRED_KEY_RETENTION: Duration = Duration::from_secs(24 * 3600);

/// Settings of the emulated STS and ECS metadata services.
///
/// ```
/// use std::time::Duration;
/// use mns_emulator::sts::CredentialServicesConfig;
///
/// let config = CredentialServicesConfig {
///     max_session_duration: Duration::from_secs(4 * 3600),
///     ecs_role_name: None, // no role attached to the "instance"
///     ..CredentialServicesConfig::default()
/// };
/// # let _ = config;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialServicesConfig {
    /// Serve STS and the metadata service at all (default `true`).
    pub enabled: bool,
    /// Longest `DurationSeconds` accepted (the role's `MaxSessionDuration`; default 1 hour).
    /// Requests without `DurationSeconds` get the smaller of this and 1 hour.
    pub max_session_duration: Duration,
    /// The RAM role attached to the emulated ECS instance (`None`: no role, the role list answers
    /// 404). Default [`DEFAULT_ECS_ROLE_NAME`].
    pub ecs_role_name: Option<String>,
    /// Lifetime of the ECS role credentials (default 6 hours).
    pub ecs_credentials_duration: Duration,
    /// The metadata service issues new role credentials once the current ones have less than
    /// this left (default 1 hour); until then every fetch returns the same ones.
    pub ecs_rotate_before_expiry: Duration,
    /// Refuse metadata requests without an IMDSv2 token, with 403 (the instance's "enforced"
    /// hardening mode; default `false`).
    pub require_imds_v2: bool,
}

impl Default for CredentialServicesConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            max_session_duration: DEFAULT_MAX_SESSION_DURATION,
            ecs_role_name: Some(DEFAULT_ECS_ROLE_NAME.to_owned()),
            ecs_credentials_duration: DEFAULT_ECS_CREDENTIALS_DURATION,
            ecs_rotate_before_expiry: DEFAULT_ECS_ROTATE_BEFORE_EXPIRY,
            require_imds_v2: false,
        }
    }
}

/// The temporary keys issued by the services; the [`crate::auth::KeyStore`] consults it (as its
/// [`TokenValidator`]) for access key ids it does not know.
#[derive(Default)]
struct IssuedKeys {
    inner: Mutex<IssuedInner>,
}

#[derive(Default)]
struct IssuedInner {
    keys: HashMap<String, TemporaryKey>,
    total: u64,
}

impl IssuedKeys {
    fn lock(&self) -> MutexGuard<'_, IssuedInner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn insert(&self, key: TemporaryKey, now: SystemTime) {
        let mut inner = self.lock();
        inner
            .keys
            .retain(|_, k| k.expires_at() + EXPIRED_KEY_RETENTION > now);
        inner.keys.insert(key.key().id().to_owned(), key);
        inner.total += 1;
    }
}

impl fmt::Debug for IssuedKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.lock();
        f.debug_struct("IssuedKeys")
            .field("live", &inner.keys.len())
            .field("total", &inner.total)
            .finish()
    }
}

impl TokenValidator for IssuedKeys {
    fn secret_for(
        &self,
        access_key_id: &str,
        security_token: Option<&str>,
        now: SystemTime,
    ) -> Result<String, AuthError> {
        let inner = self.lock();
        let key = inner
            .keys
            .get(access_key_id)
            .ok_or(AuthError::InvalidAccessKeyId)?;
        let token_ok = security_token
            .is_some_and(|t| constant_time_eq(t.as_bytes(), key.security_token().as_bytes()));
        if !token_ok {
            return Err(AuthError::InvalidSecurityToken);
        }
        if now >= key.expires_at() {
            return Err(AuthError::SecurityTokenExpired);
        }
        Ok(key.key().secret().to_owned())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Mutable state of the services (nonces, metadata tokens, current ECS credentials).
#[derive(Default)]
struct ServiceState {
    /// `SignatureNonce` values seen, with when they were seen.
    nonces: HashMap<String, SystemTime>,
    /// IMDSv2 tokens and their expiry.
    metadata_tokens: HashMap<String, SystemTime>,
    /// The ECS role's current credentials and when they were issued.
    ecs_credentials: Option<(TemporaryKey, SystemTime)>,
}

/// The emulated STS and ECS metadata services of one emulator.
///
/// Obtained from [`Emulator::credential_services`](crate::Emulator::credential_services). Keys it
/// issues are accepted by the emulator's MNS API until they expire on the emulator's clock.
pub struct CredentialServices {
    clock: Arc<dyn Clock>,
    auth: Authenticator,
    account_id: String,
    config: CredentialServicesConfig,
    issued: Arc<IssuedKeys>,
    state: Mutex<ServiceState>,
}

impl fmt::Debug for CredentialServices {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialServices")
            .field("account_id", &self.account_id)
            .field("config", &self.config)
            .field("issued", &self.issued)
            .finish_non_exhaustive()
    }
}

impl CredentialServices {
    /// Services over `auth`'s key store (installing itself as that store's token validator).
    pub(crate) fn new(
        clock: Arc<dyn Clock>,
        auth: Authenticator,
        account_id: String,
        config: CredentialServicesConfig,
    ) -> Self {
        let issued = Arc::new(IssuedKeys::default());
        auth.keys().set_token_validator(issued.clone());
        Self {
            clock,
            auth,
            account_id,
            config,
            issued,
            state: Mutex::new(ServiceState::default()),
        }
    }

    fn state(&self) -> MutexGuard<'_, ServiceState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The configuration.
    pub fn config(&self) -> &CredentialServicesConfig {
        &self.config
    }

    /// The emulator's clock, which decides when issued keys expire.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Issues a temporary key valid for `duration` from the clock's now, as STS would, and
    /// registers it with the emulator (for a client configured with a fixed STS token).
    pub fn issue_temporary_key(&self, duration: Duration) -> TemporaryKey {
        self.issue(self.clock.now(), duration)
    }

    /// How many temporary keys have been issued so far (STS, metadata service and
    /// [`issue_temporary_key`](Self::issue_temporary_key) together).
    pub fn issued_count(&self) -> u64 {
        self.issued.lock().total
    }

    fn issue(&self, now: SystemTime, duration: Duration) -> TemporaryKey {
        let key = TemporaryKey::new(
            AccessKey::new(
                format!("STS.{}", random_string(24, ALNUM)),
                random_string(44, ALNUM),
            ),
            format!("CAIS{}", random_string(252, TOKEN_CHARS)),
            now + duration,
        );
        self.issued.insert(key.clone(), now);
        key
    }
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const TOKEN_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `len` random characters from `alphabet` (modulo bias is irrelevant here).
fn random_string(len: usize, alphabet: &[u8]) -> String {
    (0..len)
        .map(|_| char::from(alphabet[(rand::random::<u32>() as usize) % alphabet.len()]))
        .collect()
}

/// Formats a time as `YYYY-MM-DDThh:mm:ssZ` (STS `Expiration`, metadata `LastUpdated`).
fn format_utc(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{AuthConfig, KeyStore};
    use crate::clock::ManualClock;

    fn services(clock: &ManualClock) -> CredentialServices {
        CredentialServices::new(
            Arc::new(clock.clone()),
            Authenticator::new(KeyStore::new(), AuthConfig::default()),
            "1234567890123456".into(),
            CredentialServicesConfig::default(),
        )
    }

    #[test]
    fn issued_keys_are_accepted_until_they_expire() {
        let clock = ManualClock::at_millis(1_700_000_000_000);
        let svc = services(&clock);
        let key = svc.issue_temporary_key(Duration::from_secs(900));
        let keys = svc.auth.keys();
        let id = key.key().id();
        let now = clock.now();
        assert_eq!(
            keys.secret_for(id, Some(key.security_token()), now),
            Ok(key.key().secret().to_owned())
        );
        assert_eq!(
            keys.secret_for(id, Some("CAISother"), now),
            Err(AuthError::InvalidSecurityToken)
        );
        assert_eq!(
            keys.secret_for(id, None, now),
            Err(AuthError::InvalidSecurityToken)
        );
        let later = now + Duration::from_secs(900);
        assert_eq!(
            keys.secret_for(id, Some(key.security_token()), later),
            Err(AuthError::SecurityTokenExpired)
        );
        assert_eq!(svc.issued_count(), 1);
    }

    #[test]
    fn long_expired_keys_are_forgotten() {
        let clock = ManualClock::at_millis(1_700_000_000_000);
        let svc = services(&clock);
        let old = svc.issue_temporary_key(Duration::from_secs(900));
        clock.advance(Duration::from_secs(900) + EXPIRED_KEY_RETENTION);
        let _new = svc.issue_temporary_key(Duration::from_secs(900));
        assert_eq!(
            svc.auth
                .keys()
                .secret_for(old.key().id(), Some(old.security_token()), clock.now()),
            Err(AuthError::InvalidAccessKeyId)
        );
        assert_eq!(svc.issued_count(), 2);
    }

    #[test]
    fn debug_shows_no_secret() {
        let clock = ManualClock::at_millis(1_700_000_000_000);
        let svc = services(&clock);
        let key = svc.issue_temporary_key(Duration::from_secs(900));
        let d = format!("{svc:?}");
        assert!(!d.contains(key.key().secret()) && !d.contains(key.security_token()));
    }
}
