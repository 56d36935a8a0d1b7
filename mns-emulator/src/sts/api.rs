//! The STS actions (sans-IO: parameters and `now` in, a JSON document or an [`StsError`] out).

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use super::rpc_signature::{self, SIGNATURE_PARAM};
use super::{CredentialServices, MIN_SESSION_DURATION, STS_API_VERSION, format_utc, oidc};
use crate::auth::AuthError;

/// An STS error answer: `Code` and `Message` of the POP JSON error document.
///
/// ```
/// use mns_emulator::sts::StsError;
/// let e = StsError::new("InvalidParameter.DurationSeconds", "The Min/Max value of DurationSeconds is 15min/1hr.");
/// assert_eq!(e.status(), 400);
/// assert_eq!(StsError::new("InvalidAccessKeyId.NotFound", "").status(), 404);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StsError {
    code: &'static str,
    message: String,
}

impl StsError {
    /// An error with this code and message.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// The `Code`, e.g. `SignatureDoesNotMatch`.
    pub fn code(&self) -> &str {
        self.code
    }

    /// The `Message`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status of the code. The one code → status table of the emulated STS; every
    /// entry is \[unconfirmed\] (from the STS error centre, not from captures).
    pub fn status(&self) -> u16 {
        match self.code {
            "InvalidAccessKeyId.NotFound" | "InvalidAction.NotFound" | "EntityNotExist.Role" => 404,
            "InvalidAccessKeyId.Inactive" | "NoPermission" => 403,
            "InternalError" => 500,
            _ => 400,
        }
    }

    fn missing(code: &'static str, param: &str) -> Self {
        Self::new(
            code,
            format!(
                "The input parameter \"{param}\" that is mandatory for processing this request is not supplied."
            ),
        )
    }
}

impl fmt::Display for StsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for StsError {}

type Params = BTreeMap<String, String>;

fn get<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

/// `acs:ram::{uid}:{kind}/{name}` → `(uid, name)`.
fn parse_arn<'a>(arn: &'a str, kind: &str) -> Option<(&'a str, &'a str)> {
    let rest = arn.strip_prefix("acs:ram::")?;
    let (uid, resource) = rest.split_once(':')?;
    let name = resource.strip_prefix(kind)?.strip_prefix('/')?;
    let uid_ok = !uid.is_empty() && uid.bytes().all(|b| b.is_ascii_digit());
    let name_ok = !name.is_empty() && !name.contains(char::is_whitespace);
    (uid_ok && name_ok).then_some((uid, name))
}

fn valid_session_name(name: &str) -> bool {
    (2..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'@' | b'-' | b'_'))
}

/// A stable 18-digit id for a role, as in `AssumedRoleId` (`{id}:{session}`).
fn role_id(role_arn: &str) -> u64 {
    // FNV-1a: stable across runs and platforms.
    let hash = role_arn.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    100_000_000_000_000_000 + hash % 900_000_000_000_000_000
}

impl CredentialServices {
    /// Runs one STS call: `params` are the query and form parameters together, `method` the HTTP
    /// method they were signed with. Returns the success document without its `RequestId`.
    pub(crate) fn sts_call(
        &self,
        method: &str,
        params: &Params,
        now: SystemTime,
    ) -> Result<Value, StsError> {
        match get(params, "Version") {
            None => return Err(StsError::missing("MissingVersion", "Version")),
            Some(STS_API_VERSION) => {}
            Some(other) => {
                return Err(StsError::new(
                    "InvalidVersion",
                    format!("Specified parameter Version {other:?} is not valid."),
                ));
            }
        }
        match get(params, "Action") {
            None => Err(StsError::missing("MissingAction", "Action")),
            Some("AssumeRole") => {
                self.verify_signed(method, params, now)?;
                self.assume_role(params, now)
            }
            Some("AssumeRoleWithOIDC") => self.assume_role_with_oidc(params, now),
            Some(other) => Err(StsError::new(
                "InvalidAction.NotFound",
                format!("Specified api {other:?} is not found, please check your url and method."),
            )),
        }
    }

    /// Checks the RPC signature v1, the timestamp and the nonce of a signed request.
    fn verify_signed(
        &self,
        method: &str,
        params: &Params,
        now: SystemTime,
    ) -> Result<(), StsError> {
        let config = self.auth.config();
        if config.accept_any_signature {
            return Ok(());
        }
        let access_key_id = get(params, "AccessKeyId")
            .ok_or_else(|| StsError::missing("MissingAccessKeyId", "AccessKeyId"))?;
        let signature = get(params, SIGNATURE_PARAM)
            .ok_or_else(|| StsError::missing("MissingSignature", SIGNATURE_PARAM))?;
        let incomplete = || {
            StsError::new(
                "IncompleteSignature",
                "The request signature does not conform to Aliyun standards.",
            )
        };
        if get(params, "SignatureMethod") != Some("HMAC-SHA1")
            || get(params, "SignatureVersion") != Some("1.0")
        {
            return Err(incomplete());
        }
        let timestamp = get(params, "Timestamp")
            .ok_or_else(|| StsError::missing("MissingTimestamp", "Timestamp"))?;
        let sent_at = humantime::parse_rfc3339(timestamp).map_err(|_| {
            StsError::new(
                "InvalidTimeStamp.Format",
                "Specified time stamp or date value is not well formatted.",
            )
        })?;
        if let Some(max) = config.max_date_skew {
            let skew = now
                .duration_since(sent_at)
                .or_else(|_| sent_at.duration_since(now))
                .unwrap_or_default();
            if skew > max {
                return Err(StsError::new(
                    "InvalidTimeStamp.Expired",
                    "Specified time stamp or date value is expired.",
                ));
            }
        }
        let nonce = get(params, "SignatureNonce")
            .ok_or_else(|| StsError::missing("MissingSignatureNonce", "SignatureNonce"))?;
        let secret = self
            .auth
            .keys()
            .secret_for(access_key_id, get(params, "SecurityToken"), now)
            .map_err(sts_auth_error)?;
        let string_to_sign = rpc_signature::string_to_sign(method, params);
        if !rpc_signature::signature_matches(&secret, &string_to_sign, signature) {
            // Like STS, show the server's string to sign, but never the security token.
            let mut shown = params.clone();
            if let Some(token) = shown.get_mut("SecurityToken") {
                *token = "(redacted)".to_owned();
            }
            return Err(StsError::new(
                "SignatureDoesNotMatch",
                format!(
                    "Specified signature is not matched with our calculation. server string to sign is:{}",
                    rpc_signature::string_to_sign(method, &shown)
                ),
            ));
        }
        // A nonce is remembered for as long as its timestamp would be accepted.
        let window = config.max_date_skew.unwrap_or(Duration::from_secs(15 * 60)) * 2;
        let mut state = self.state();
        state.nonces.retain(|_, seen| *seen + window > now);
        if state.nonces.contains_key(nonce) {
            return Err(StsError::new(
                "SignatureNonceUsed",
                "Specified signature nonce was used already.",
            ));
        }
        state.nonces.insert(nonce.to_owned(), now);
        Ok(())
    }

    /// `DurationSeconds` → the session length.
    fn session_duration(&self, params: &Params) -> Result<Duration, StsError> {
        let max = self.config.max_session_duration.max(MIN_SESSION_DURATION);
        let invalid = || {
            StsError::new(
                "InvalidParameter.DurationSeconds",
                format!(
                    "The Min/Max value of DurationSeconds is {}/{} seconds.",
                    MIN_SESSION_DURATION.as_secs(),
                    max.as_secs()
                ),
            )
        };
        match get(params, "DurationSeconds") {
            None => Ok(max.min(super::DEFAULT_MAX_SESSION_DURATION)),
            Some(v) => {
                let secs: u64 = v.parse().map_err(|_| invalid())?;
                let d = Duration::from_secs(secs);
                if d < MIN_SESSION_DURATION || d > max {
                    return Err(invalid());
                }
                Ok(d)
            }
        }
    }

    fn check_policy(params: &Params) -> Result<(), StsError> {
        if let Some(policy) = params.get("Policy") {
            if policy.is_empty() || policy.len() > 2048 {
                return Err(StsError::new(
                    "InvalidParameter.PolicySize",
                    "The size of Policy must be smaller than 2048 bytes.",
                ));
            }
            if serde_json::from_str::<serde_json::Map<String, Value>>(policy).is_err() {
                return Err(StsError::new(
                    "InvalidParameter.PolicyGrammar",
                    "The parameter Policy has not a valid grammar.",
                ));
            }
        }
        Ok(())
    }

    fn role_arn(params: &Params) -> Result<(&str, &str), StsError> {
        let arn =
            get(params, "RoleArn").ok_or_else(|| StsError::missing("MissingRoleArn", "RoleArn"))?;
        let (_, name) = parse_arn(arn, "role").ok_or_else(|| {
            StsError::new(
                "InvalidParameter.RoleArn",
                "The parameter RoleArn is wrongly formed.",
            )
        })?;
        Ok((arn, name))
    }

    fn session_name(params: &Params, required: bool) -> Result<Option<&str>, StsError> {
        match get(params, "RoleSessionName") {
            None if required => Err(StsError::missing(
                "MissingRoleSessionName",
                "RoleSessionName",
            )),
            None => Ok(None),
            Some(name) if valid_session_name(name) => Ok(Some(name)),
            Some(_) => Err(StsError::new(
                "InvalidParameter.RoleSessionName",
                "The parameter RoleSessionName is wrongly formed.",
            )),
        }
    }

    /// The success document shared by both actions.
    fn assumed(&self, role_arn: &str, session: &str, duration: Duration, now: SystemTime) -> Value {
        let key = self.issue(now, duration);
        json!({
            "AssumedRoleUser": {
                "Arn": format!("{role_arn}/{session}"),
                "AssumedRoleId": format!("{}:{session}", role_id(role_arn)),
            },
            "Credentials": {
                "AccessKeyId": key.key().id(),
                "AccessKeySecret": key.key().secret(),
                "SecurityToken": key.security_token(),
                "Expiration": format_utc(key.expires_at()),
            },
        })
    }

    fn assume_role(&self, params: &Params, now: SystemTime) -> Result<Value, StsError> {
        let (role_arn, _) = Self::role_arn(params)?;
        let session = Self::session_name(params, true)?.unwrap_or_default();
        let duration = self.session_duration(params)?;
        Self::check_policy(params)?;
        Ok(self.assumed(role_arn, session, duration, now))
    }

    fn assume_role_with_oidc(&self, params: &Params, now: SystemTime) -> Result<Value, StsError> {
        let (role_arn, _) = Self::role_arn(params)?;
        let provider = get(params, "OIDCProviderArn")
            .ok_or_else(|| StsError::missing("MissingOIDCProviderArn", "OIDCProviderArn"))?;
        if parse_arn(provider, "oidc-provider").is_none() {
            return Err(StsError::new(
                "InvalidParameter.OIDCProviderArn",
                "The parameter OIDCProviderArn is wrongly formed.",
            ));
        }
        let token = get(params, "OIDCToken")
            .ok_or_else(|| StsError::missing("MissingOIDCToken", "OIDCToken"))?;
        let invalid_token = || {
            StsError::new(
                "InvalidParameter.OIDCToken",
                "The parameter OIDCToken is invalid.",
            )
        };
        if !(4..=20_000).contains(&token.len()) {
            return Err(invalid_token());
        }
        let claims = oidc::parse_claims(token).ok_or_else(invalid_token)?;
        if claims.expires_at.is_some_and(|exp| exp <= now) {
            return Err(StsError::new(
                "AuthenticationFail.OIDCToken.Expired",
                "The OIDCToken is expired.",
            ));
        }
        let session = Self::session_name(params, false)?.unwrap_or("oidc-session");
        let duration = self.session_duration(params)?;
        Self::check_policy(params)?;
        let mut doc = self.assumed(role_arn, session, duration, now);
        doc["OIDCTokenInfo"] = json!({
            "Subject": claims.subject,
            "Issuer": claims.issuer,
            "ClientIds": claims.audience.join(","),
        });
        Ok(doc)
    }
}

/// Maps a key-store refusal to the STS code.
fn sts_auth_error(e: AuthError) -> StsError {
    match e {
        AuthError::InvalidAccessKeyId => StsError::new(
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        ),
        AuthError::InvalidSecurityToken => StsError::new(
            "InvalidSecurityToken.MismatchWithAccessKey",
            "Specified SecurityToken mismatch with the AccessKey.",
        ),
        AuthError::SecurityTokenExpired => StsError::new(
            "InvalidSecurityToken.Expired",
            "Specified SecurityToken is expired.",
        ),
        other => StsError::new("InternalError", other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{AccessKey, AuthConfig, Authenticator, KeyStore};
    use crate::clock::{Clock, ManualClock};
    use crate::sts::CredentialServicesConfig;
    use std::sync::Arc;

    const ROLE: &str = "acs:ram::1234567890123456:role/mns-publisher";

    fn services(clock: &ManualClock) -> CredentialServices {
        let keys = KeyStore::new();
        keys.add(AccessKey::new("testid", "testsecret"));
        CredentialServices::new(
            Arc::new(clock.clone()),
            Authenticator::new(keys, AuthConfig::default()),
            "1234567890123456".into(),
            CredentialServicesConfig::default(),
        )
    }

    fn signed(clock: &ManualClock, nonce: &str, extra: &[(&str, &str)], secret: &str) -> Params {
        let mut p: Params = [
            ("AccessKeyId", "testid"),
            ("Action", "AssumeRole"),
            ("Format", "JSON"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("SignatureNonce", nonce),
            ("Version", STS_API_VERSION),
            ("RoleArn", ROLE),
            ("RoleSessionName", "mns-app"),
        ]
        .into_iter()
        .chain(extra.iter().copied())
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        p.insert("Timestamp".into(), format_utc(clock.now()));
        let sig = rpc_signature::sign(secret, &rpc_signature::string_to_sign("POST", &p));
        p.insert(SIGNATURE_PARAM.into(), sig);
        p
    }

    #[test]
    fn assume_role_issues_a_key_that_expires_after_duration_seconds() {
        let clock = ManualClock::at_millis(1_704_110_400_000); // 2024-01-01T12:00:00Z
        let svc = services(&clock);
        let p = signed(&clock, "n1", &[("DurationSeconds", "900")], "testsecret");
        let doc = svc.sts_call("POST", &p, clock.now()).unwrap();
        assert_eq!(doc["Credentials"]["Expiration"], "2024-01-01T12:15:00Z");
        assert_eq!(
            doc["AssumedRoleUser"]["Arn"],
            format!("{ROLE}/mns-app").as_str()
        );
        let id = doc["Credentials"]["AccessKeyId"].as_str().unwrap();
        let token = doc["Credentials"]["SecurityToken"].as_str().unwrap();
        let secret = doc["Credentials"]["AccessKeySecret"].as_str().unwrap();
        let keys = svc.auth.keys();
        assert_eq!(
            keys.secret_for(id, Some(token), clock.now()).as_deref(),
            Ok(secret)
        );
        clock.advance(Duration::from_secs(900));
        assert_eq!(
            keys.secret_for(id, Some(token), clock.now()),
            Err(AuthError::SecurityTokenExpired)
        );
    }

    #[test]
    fn signed_request_errors() {
        let clock = ManualClock::at_millis(1_704_110_400_000);
        let svc = services(&clock);
        let now = clock.now();
        let code = |p: &Params| svc.sts_call("POST", p, now).unwrap_err().code().to_owned();

        assert_eq!(
            code(&signed(&clock, "a", &[], "wrong")),
            "SignatureDoesNotMatch"
        );
        // Signed for POST, sent as GET.
        let p = signed(&clock, "b", &[], "testsecret");
        assert_eq!(
            svc.sts_call("GET", &p, now).unwrap_err().code(),
            "SignatureDoesNotMatch"
        );
        let p = signed(&clock, "c", &[], "testsecret");
        svc.sts_call("POST", &p, now).unwrap();
        assert_eq!(code(&p), "SignatureNonceUsed");
        let mut p = signed(&clock, "d", &[], "testsecret");
        p.insert("AccessKeyId".into(), "nobody".into());
        assert_eq!(code(&p), "InvalidAccessKeyId.NotFound");
        assert_eq!(
            code(&signed(
                &clock,
                "e",
                &[("DurationSeconds", "899")],
                "testsecret"
            )),
            "InvalidParameter.DurationSeconds"
        );
        assert_eq!(
            code(&signed(
                &clock,
                "f",
                &[("DurationSeconds", "3601")],
                "testsecret"
            )),
            "InvalidParameter.DurationSeconds"
        );
        assert_eq!(
            code(&signed(
                &clock,
                "g",
                &[("Policy", "{not json")],
                "testsecret"
            )),
            "InvalidParameter.PolicyGrammar"
        );
        let mut p = signed(&clock, "h", &[], "testsecret");
        p.remove("RoleSessionName");
        assert_eq!(code(&p), "SignatureDoesNotMatch", "changed after signing");
        let mut p: Params = signed(&clock, "i", &[], "testsecret");
        p.insert("RoleArn".into(), "acs:ram::x:role/r".into());
        let sig = rpc_signature::sign("testsecret", &rpc_signature::string_to_sign("POST", &p));
        p.insert(SIGNATURE_PARAM.into(), sig);
        assert_eq!(code(&p), "InvalidParameter.RoleArn");
        // A request signed 16 minutes ago.
        let p = signed(&clock, "j", &[], "testsecret");
        let later = now + Duration::from_secs(16 * 60);
        assert_eq!(
            svc.sts_call("POST", &p, later).unwrap_err().code(),
            "InvalidTimeStamp.Expired"
        );
        let mut p = signed(&clock, "k", &[], "testsecret");
        p.insert("Version".into(), "2014-01-01".into());
        assert_eq!(code(&p), "InvalidVersion");
    }

    #[test]
    fn accept_any_signature_skips_the_checks_but_not_the_parameters() {
        let clock = ManualClock::at_millis(1_704_110_400_000);
        let svc = CredentialServices::new(
            Arc::new(clock.clone()),
            Authenticator::new(
                KeyStore::new(),
                AuthConfig {
                    accept_any_signature: true,
                    ..AuthConfig::default()
                },
            ),
            "1".into(),
            CredentialServicesConfig::default(),
        );
        let p = signed(&clock, "n", &[], "whatever");
        assert!(svc.sts_call("POST", &p, clock.now()).is_ok());
        assert!(
            svc.sts_call("POST", &p, clock.now()).is_ok(),
            "nonce not tracked"
        );
        let mut p = p;
        p.remove("RoleArn");
        assert_eq!(
            svc.sts_call("POST", &p, clock.now()).unwrap_err().code(),
            "MissingRoleArn"
        );
    }

    #[test]
    fn oidc_checks_the_token_expiry_on_the_emulator_clock() {
        let clock = ManualClock::at_millis(1_704_110_400_000);
        let svc = services(&clock);
        let exp = clock.now() + Duration::from_secs(600);
        let token = oidc::oidc_token(
            "https://oidc.example",
            "system:serviceaccount:ns:sa",
            "sts.aliyuncs.com",
            exp,
        );
        let p: Params = [
            ("Action", "AssumeRoleWithOIDC"),
            ("Version", STS_API_VERSION),
            ("RoleArn", ROLE),
            (
                "OIDCProviderArn",
                "acs:ram::1234567890123456:oidc-provider/ack",
            ),
            ("OIDCToken", token.as_str()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let doc = svc.sts_call("POST", &p, clock.now()).unwrap();
        assert_eq!(
            doc["OIDCTokenInfo"]["Subject"],
            "system:serviceaccount:ns:sa"
        );
        assert_eq!(doc["Credentials"]["Expiration"], "2024-01-01T13:00:00Z");
        let err = svc.sts_call("POST", &p, exp).unwrap_err();
        assert_eq!(err.code(), "AuthenticationFail.OIDCToken.Expired");
        let mut bad = p.clone();
        bad.insert("OIDCToken".into(), "not-a-jwt".into());
        assert_eq!(
            svc.sts_call("POST", &bad, clock.now()).unwrap_err().code(),
            "InvalidParameter.OIDCToken"
        );
    }

    #[test]
    fn arn_parsing() {
        assert_eq!(
            parse_arn(ROLE, "role"),
            Some(("1234567890123456", "mns-publisher"))
        );
        assert_eq!(
            parse_arn("acs:ram::1:oidc-provider/ack", "oidc-provider"),
            Some(("1", "ack"))
        );
        for bad in [
            "",
            "acs:ram::1:role/",
            "acs:ram:::role/r",
            "acs:ram::1:user/r",
            "arn:ram::1:role/r",
        ] {
            assert_eq!(parse_arn(bad, "role"), None, "{bad}");
        }
    }
}
