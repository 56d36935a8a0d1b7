//! The ECS instance metadata service, as far as RAM role credentials go (sans-IO).

use std::time::{Duration, SystemTime};

use serde_json::json;

use super::{ALNUM, CredentialServices, MAX_METADATA_TOKEN_TTL_SECONDS, format_utc, random_string};

/// Why a metadata request is refused; each maps to one HTTP status (\[unconfirmed\] beyond the
/// 404 for unknown paths: the service documents none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MetadataError {
    /// 400: missing or invalid `X-aliyun-ecs-metadata-token-ttl-seconds`.
    BadRequest(&'static str),
    /// 401: the IMDSv2 token is unknown or expired.
    Unauthorized,
    /// 403: no token, and the instance requires one.
    Forbidden,
    /// 404: no such role (or no role attached).
    NotFound,
}

impl MetadataError {
    /// The HTTP status.
    pub(crate) fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
        }
    }

    /// A short plain-text body.
    pub(crate) fn body(&self) -> &'static str {
        match self {
            Self::BadRequest(why) => why,
            Self::Unauthorized => "Unauthorized",
            Self::Forbidden => "Forbidden",
            Self::NotFound => "Not Found",
        }
    }
}

impl CredentialServices {
    /// `PUT /latest/api/token`: a new IMDSv2 token valid for the requested seconds.
    pub(crate) fn metadata_token(
        &self,
        ttl_seconds: Option<&str>,
        now: SystemTime,
    ) -> Result<String, MetadataError> {
        let ttl = ttl_seconds.ok_or(MetadataError::BadRequest(
            "X-aliyun-ecs-metadata-token-ttl-seconds is required",
        ))?;
        let ttl: u64 = ttl.trim().parse().map_err(|_| {
            MetadataError::BadRequest("X-aliyun-ecs-metadata-token-ttl-seconds is invalid")
        })?;
        if !(1..=MAX_METADATA_TOKEN_TTL_SECONDS).contains(&ttl) {
            return Err(MetadataError::BadRequest(
                "X-aliyun-ecs-metadata-token-ttl-seconds must be 1-21600",
            ));
        }
        let token = random_string(56, ALNUM);
        let mut state = self.state();
        state.metadata_tokens.retain(|_, expiry| *expiry > now);
        state
            .metadata_tokens
            .insert(token.clone(), now + Duration::from_secs(ttl));
        Ok(token)
    }

    fn check_metadata_token(
        &self,
        token: Option<&str>,
        now: SystemTime,
    ) -> Result<(), MetadataError> {
        match token {
            Some(token) => match self.state().metadata_tokens.get(token) {
                Some(expiry) if *expiry > now => Ok(()),
                _ => Err(MetadataError::Unauthorized),
            },
            None if self.config.require_imds_v2 => Err(MetadataError::Forbidden),
            None => Ok(()),
        }
    }

    /// `GET /latest/meta-data/ram/security-credentials/`: the attached role's name.
    pub(crate) fn metadata_role_name(
        &self,
        token: Option<&str>,
        now: SystemTime,
    ) -> Result<String, MetadataError> {
        self.check_metadata_token(token, now)?;
        self.config
            .ecs_role_name
            .clone()
            .ok_or(MetadataError::NotFound)
    }

    /// `GET /latest/meta-data/ram/security-credentials/{role}`: the role's credentials JSON,
    /// the same until less than `ecs_rotate_before_expiry` is left.
    pub(crate) fn metadata_role_credentials(
        &self,
        role: &str,
        token: Option<&str>,
        now: SystemTime,
    ) -> Result<String, MetadataError> {
        self.check_metadata_token(token, now)?;
        if self.config.ecs_role_name.as_deref() != Some(role) {
            return Err(MetadataError::NotFound);
        }
        let current = self.state().ecs_credentials.clone();
        let (key, issued_at) = match current {
            Some((key, issued_at))
                if key
                    .expires_at()
                    .duration_since(now)
                    .is_ok_and(|left| left > self.config.ecs_rotate_before_expiry) =>
            {
                (key, issued_at)
            }
            _ => {
                // Issued without holding the state lock (the key store has its own).
                let key = self.issue(now, self.config.ecs_credentials_duration);
                self.state().ecs_credentials = Some((key.clone(), now));
                (key, now)
            }
        };
        Ok(json!({
            "Code": "Success",
            "AccessKeyId": key.key().id(),
            "AccessKeySecret": key.key().secret(),
            "SecurityToken": key.security_token(),
            "Expiration": format_utc(key.expires_at()),
            "LastUpdated": format_utc(issued_at),
        })
        .to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{AuthConfig, Authenticator, KeyStore};
    use crate::clock::{Clock, ManualClock};
    use crate::sts::CredentialServicesConfig;
    use std::sync::Arc;

    fn services(clock: &ManualClock, config: CredentialServicesConfig) -> CredentialServices {
        CredentialServices::new(
            Arc::new(clock.clone()),
            Authenticator::new(KeyStore::new(), AuthConfig::default()),
            "1".into(),
            config,
        )
    }

    fn key_id(json: &str) -> String {
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        v["AccessKeyId"].as_str().unwrap().to_owned()
    }

    #[test]
    fn tokens_expire_and_unknown_tokens_are_refused() {
        let clock = ManualClock::at_millis(1_704_110_400_000);
        let svc = services(&clock, CredentialServicesConfig::default());
        let now = clock.now();
        assert!(matches!(
            svc.metadata_token(None, now),
            Err(MetadataError::BadRequest(_))
        ));
        assert!(matches!(
            svc.metadata_token(Some("21601"), now),
            Err(MetadataError::BadRequest(_))
        ));
        let token = svc.metadata_token(Some("60"), now).unwrap();
        assert_eq!(
            svc.metadata_role_name(Some(&token), now).unwrap(),
            crate::sts::DEFAULT_ECS_ROLE_NAME
        );
        assert_eq!(
            svc.metadata_role_name(Some("nope"), now),
            Err(MetadataError::Unauthorized)
        );
        let later = now + Duration::from_secs(60);
        assert_eq!(
            svc.metadata_role_name(Some(&token), later),
            Err(MetadataError::Unauthorized)
        );
        assert!(
            svc.metadata_role_name(None, later).is_ok(),
            "IMDSv1 allowed"
        );
    }

    #[test]
    fn imds_v2_can_be_required_and_roles_must_match() {
        let clock = ManualClock::at_millis(1_704_110_400_000);
        let svc = services(
            &clock,
            CredentialServicesConfig {
                require_imds_v2: true,
                ecs_role_name: Some("r".into()),
                ..Default::default()
            },
        );
        let now = clock.now();
        assert_eq!(
            svc.metadata_role_name(None, now),
            Err(MetadataError::Forbidden)
        );
        let token = svc.metadata_token(Some("60"), now).unwrap();
        assert_eq!(
            svc.metadata_role_credentials("other", Some(&token), now),
            Err(MetadataError::NotFound)
        );
        let none = services(
            &clock,
            CredentialServicesConfig {
                ecs_role_name: None,
                ..Default::default()
            },
        );
        assert_eq!(
            none.metadata_role_name(None, now),
            Err(MetadataError::NotFound)
        );
    }

    #[test]
    fn credentials_rotate_before_expiry() {
        let clock = ManualClock::at_millis(1_704_110_400_000);
        let svc = services(&clock, CredentialServicesConfig::default());
        let role = crate::sts::DEFAULT_ECS_ROLE_NAME;
        let first = svc
            .metadata_role_credentials(role, None, clock.now())
            .unwrap();
        assert!(
            first.contains("\"Expiration\":\"2024-01-01T18:00:00Z\""),
            "{first}"
        );
        clock.advance(Duration::from_secs(5 * 3600 - 1));
        let same = svc
            .metadata_role_credentials(role, None, clock.now())
            .unwrap();
        assert_eq!(key_id(&first), key_id(&same));
        clock.advance(Duration::from_secs(1));
        let rotated = svc
            .metadata_role_credentials(role, None, clock.now())
            .unwrap();
        assert_ne!(key_id(&first), key_id(&rotated));
        assert_eq!(svc.issued_count(), 2);
    }
}
