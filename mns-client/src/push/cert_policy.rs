//! Which signing-certificate URLs the verifier is willing to fetch.

use url::Url;

use crate::error::{Error, Result};

/// The allow-list of signing-certificate URLs, checked **before** anything is fetched.
///
/// A URL is compared by its parsed scheme, host, port and path (after `.`/`..` resolution), never
/// by a string prefix, so `https://mnstest.oss-cn-hangzhou.aliyuncs.com.evil.example/` is refused.
/// URLs with user info are always refused.
///
/// The default ([`CertUrlPolicy::mns_default`]) allows, over HTTPS only, the hosts MNS documents
/// (reference §6.5, §10): `mnstest.oss-cn-hangzhou.aliyuncs.com` and
/// `mns-cert.oss-{region}.aliyuncs.com`. Tests and emulators add their own URL prefix:
///
/// ```
/// use mns_client::push::CertUrlPolicy;
/// let policy = CertUrlPolicy::mns_default().allow_prefix("http://127.0.0.1:9000/certs/")?;
/// assert!(policy.allows_str("https://mnstest.oss-cn-hangzhou.aliyuncs.com/x509_public_certificate.pem"));
/// assert!(policy.allows_str("https://mns-cert.oss-cn-shanghai.aliyuncs.com/a.pem"));
/// assert!(policy.allows_str("http://127.0.0.1:9000/certs/emulator.pem"));
/// assert!(!policy.allows_str("http://127.0.0.1:9001/certs/emulator.pem"));
/// assert!(!policy.allows_str("http://mnstest.oss-cn-hangzhou.aliyuncs.com/x509_public_certificate.pem"));
/// assert!(!policy.allows_str("https://mnstest.oss-cn-hangzhou.aliyuncs.com.evil.example/x.pem"));
/// # Ok::<(), mns_client::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertUrlPolicy {
    rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Rule {
    /// Same scheme, host and port; path starts with `path_prefix`.
    Prefix {
        scheme: String,
        host: String,
        port: Option<u16>,
        path_prefix: String,
    },
    /// `https://mns-cert.oss-{region}.aliyuncs.com/…`, any region.
    MnsRegionalCertBucket,
}

/// The historic signing-certificate location (documented prefix).
pub const MNS_LEGACY_CERT_PREFIX: &str = "https://mnstest.oss-cn-hangzhou.aliyuncs.com/";

impl CertUrlPolicy {
    /// The documented MNS certificate locations, HTTPS only.
    pub fn mns_default() -> Self {
        CertUrlPolicy {
            rules: vec![
                Rule::Prefix {
                    scheme: "https".into(),
                    host: "mnstest.oss-cn-hangzhou.aliyuncs.com".into(),
                    port: Some(443),
                    path_prefix: "/".into(),
                },
                Rule::MnsRegionalCertBucket,
            ],
        }
    }

    /// A policy that allows nothing (add prefixes with [`CertUrlPolicy::allow_prefix`]).
    pub fn deny_all() -> Self {
        CertUrlPolicy { rules: Vec::new() }
    }

    /// Also allows every URL with the scheme, host and port of `prefix` whose path starts with
    /// `prefix`'s path. Use a path ending in `/` to allow a directory. Fails with
    /// [`Error::InvalidInput`] if `prefix` is not an `http`/`https` URL with a host.
    pub fn allow_prefix(mut self, prefix: &str) -> Result<Self> {
        let url = Url::parse(prefix)
            .map_err(|e| Error::InvalidInput(format!("cert URL prefix {prefix:?}: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::InvalidInput(format!(
                "cert URL prefix {prefix:?} must be http:// or https://"
            )));
        }
        let host = url.host_str().ok_or_else(|| {
            Error::InvalidInput(format!("cert URL prefix {prefix:?} has no host"))
        })?;
        self.rules.push(Rule::Prefix {
            scheme: url.scheme().to_owned(),
            host: host.to_owned(),
            port: url.port_or_known_default(),
            path_prefix: url.path().to_owned(),
        });
        Ok(self)
    }

    /// Whether `url` may be fetched.
    pub fn allows(&self, url: &Url) -> bool {
        if !url.username().is_empty() || url.password().is_some() {
            return false;
        }
        let Some(host) = url.host_str() else {
            return false;
        };
        self.rules.iter().any(|rule| match rule {
            Rule::Prefix {
                scheme,
                host: h,
                port,
                path_prefix,
            } => {
                url.scheme() == scheme
                    && host.eq_ignore_ascii_case(h)
                    && url.port_or_known_default() == *port
                    && url.path().starts_with(path_prefix.as_str())
            }
            Rule::MnsRegionalCertBucket => {
                url.scheme() == "https"
                    && url.port_or_known_default() == Some(443)
                    && host
                        .strip_prefix("mns-cert.oss-")
                        .and_then(|rest| rest.strip_suffix(".aliyuncs.com"))
                        .is_some_and(|region| {
                            !region.is_empty()
                                && region.bytes().all(|b| {
                                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'
                                })
                        })
            }
        })
    }

    /// Parses `url` and tells whether it may be fetched (unparsable URLs are refused).
    pub fn allows_str(&self, url: &str) -> bool {
        Url::parse(url).is_ok_and(|u| self.allows(&u))
    }
}

impl Default for CertUrlPolicy {
    fn default() -> Self {
        CertUrlPolicy::mns_default()
    }
}
