//! Signing one attempt: the header list the client sets ([`sign_headers`]) and its conversion to
//! the header map the HTTP layer sends ([`header_map`]).
//!
//! What repeats from request to request is prepared once: the HMAC keyed with the access key
//! secret ([`KeyCache`]), the `Date` value (formatted once per second and thread), the header
//! names (constants) and the constant values (never copied).

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, DATE, HeaderMap, HeaderName, HeaderValue};

use super::{CONTENT_TYPE_XML, MNS_VERSION, Request};
use crate::credentials::Credentials;
use crate::error::Error;
use crate::signing::{self, HmacSha1, SignatureVersion};

/// How a client signs: the scheme and, for V4, the credential-scope region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Signer {
    pub(crate) version: SignatureVersion,
    /// The region of the V4 credential scope (always known when `version` is a V4 one).
    pub(crate) region: String,
    /// The classic scheme's MAC, keyed with the last secret seen.
    pub(crate) keys: KeyCache,
}

impl Signer {
    /// A signer for `version` (and `region`, for V4).
    pub(crate) fn new(version: SignatureVersion, region: String) -> Self {
        Signer {
            version,
            region,
            keys: KeyCache::default(),
        }
    }
}

/// HMAC-SHA1 keyed with the last access key secret used, so keying (two SHA-1 blocks) runs once
/// per secret rather than once per request. A rotated secret (refreshed STS credentials) simply
/// replaces it. Lives in the client, so it goes when the client does.
#[derive(Default)]
pub(crate) struct KeyCache(Mutex<Option<(String, HmacSha1)>>);

impl KeyCache {
    /// The MAC keyed with `secret`, ready for the string to sign.
    fn mac(&self, secret: &str) -> HmacSha1 {
        let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match &*slot {
            Some((cached, mac)) if cached == secret => mac.clone(),
            _ => {
                let mac = signing::hmac_sha1(secret);
                *slot = Some((secret.to_owned(), mac.clone()));
                mac
            }
        }
    }
}

/// A cache is not part of what a signer is: clones start empty and all caches compare equal.
impl Clone for KeyCache {
    fn clone(&self) -> Self {
        KeyCache::default()
    }
}

impl PartialEq for KeyCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for KeyCache {}

impl fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyCache(..)")
    }
}

/// The `Date` value for `now`: `signing::http_date`, formatted once per second on each thread
/// (the value depends on the whole seconds only).
fn http_date(now: SystemTime) -> String {
    thread_local! {
        static LAST: RefCell<(u64, String)> = const { RefCell::new((0, String::new())) };
    }
    let Ok(since_epoch) = now.duration_since(UNIX_EPOCH) else {
        return signing::http_date(now);
    };
    let secs = since_epoch.as_secs();
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if last.0 != secs || last.1.is_empty() {
            *last = (secs, signing::http_date(now));
        }
        last.1.clone()
    })
}

/// Builds the full header list (everything the client sets) for one attempt. Pure: the
/// credentials and the time are arguments (the caches only remember earlier results).
pub(crate) fn sign_headers(
    req: &Request,
    signer: &Signer,
    credentials: &Credentials,
    now: SystemTime,
) -> Vec<(&'static str, Cow<'static, str>)> {
    let mut headers: Vec<(&'static str, Cow<'static, str>)> =
        Vec::with_capacity(req.headers.len() + 6);
    if let Some(body) = &req.body {
        headers.push((
            "content-md5",
            Cow::Owned(signing::content_md5(body.as_bytes())),
        ));
        headers.push(("content-type", Cow::Borrowed(CONTENT_TYPE_XML)));
    }
    // V4 signs the instant of this header, reformatted; both come from `now` truncated to the
    // second, as in the Java SDK.
    headers.push(("date", Cow::Owned(http_date(now))));
    headers.push(("x-mns-version", Cow::Borrowed(MNS_VERSION)));
    headers.extend(req.headers.iter().map(|(n, v)| (*n, Cow::Owned(v.clone()))));
    let auth = match signer.version.v4_algorithm() {
        None => {
            let sts = signing::string_to_sign(req.method.as_str(), &req.resource, &headers);
            signing::authorization_with(
                signer.keys.mac(credentials.access_key_secret()),
                credentials.access_key_id(),
                &sts,
            )
        }
        Some(algorithm) => signing::v4::authorization(
            algorithm,
            credentials.access_key_id(),
            credentials.access_key_secret(),
            &signer.region,
            now,
            req.method.as_str(),
            &req.resource,
            &headers,
        ),
    };
    headers.push(("authorization", Cow::Owned(auth)));
    if let Some(token) = credentials.security_token() {
        headers.push(("security-token", Cow::Owned(token.to_owned())));
    }
    headers
}

const CONTENT_MD5: HeaderName = HeaderName::from_static("content-md5");
const X_MNS_VERSION: HeaderName = HeaderName::from_static("x-mns-version");
const SECURITY_TOKEN: HeaderName = HeaderName::from_static("security-token");

/// The header name for one of the client's own (lower-case, static) names: a constant for the
/// ones every request carries.
fn header_name(name: &'static str) -> HeaderName {
    match name {
        "content-md5" => CONTENT_MD5,
        "content-type" => CONTENT_TYPE,
        "date" => DATE,
        "x-mns-version" => X_MNS_VERSION,
        "authorization" => AUTHORIZATION,
        "security-token" => SECURITY_TOKEN,
        other => HeaderName::from_static(other),
    }
}

/// The header map for `headers` (from [`sign_headers`]), with room for `extra` more entries so
/// the HTTP layer's own headers do not make it regrow. Constant values are not copied; owned
/// ones move into the map. A value that cannot be sent is [`Error::InvalidInput`].
pub(crate) fn header_map(
    operation: &'static str,
    headers: Vec<(&'static str, Cow<'static, str>)>,
    extra: usize,
) -> Result<HeaderMap, Error> {
    let mut map = HeaderMap::with_capacity(headers.len() + extra);
    for (name, value) in headers {
        let value = match value {
            // The client's constants, valid header values.
            Cow::Borrowed(value) => Some(HeaderValue::from_static(value)),
            Cow::Owned(value) => HeaderValue::try_from(value).ok(),
        }
        .ok_or_else(|| {
            Error::InvalidInput(format!(
                "{operation}: header {name} has a value that cannot be sent"
            ))
        })?;
        map.insert(header_name(name), value);
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_key_cache_signs_as_a_fresh_key_and_follows_a_rotated_secret() {
        let cache = KeyCache::default();
        for secret in ["secret-1", "secret-1", "secret-2", "secret-1"] {
            let cached = signing::authorization_with(cache.mac(secret), "id", "GET\n\n\n\n/");
            assert_eq!(cached, signing::authorization("id", secret, "GET\n\n\n\n/"));
        }
    }

    #[test]
    fn the_date_is_formatted_per_second() {
        let t = UNIX_EPOCH + Duration::from_secs(1_704_164_645);
        for (at, expected) in [
            (t, "Tue, 02 Jan 2024 03:04:05 GMT"),
            (
                t + Duration::from_millis(999),
                "Tue, 02 Jan 2024 03:04:05 GMT",
            ),
            (t + Duration::from_secs(1), "Tue, 02 Jan 2024 03:04:06 GMT"),
            (t, "Tue, 02 Jan 2024 03:04:05 GMT"),
            (UNIX_EPOCH, "Thu, 01 Jan 1970 00:00:00 GMT"),
        ] {
            assert_eq!(http_date(at), expected);
            assert_eq!(http_date(at), signing::http_date(at));
        }
    }
}
