//! Where requests go: `{scheme}://{host}[:{port}]`, never with a path.
//!
//! MNS endpoints are per account and region:
//!
//! | Kind | Host | Default scheme |
//! |------|------|----------------|
//! | [`Endpoint::public`] | `{account}.mns.{region}.aliyuncs.com` | https |
//! | [`Endpoint::internal`] | `{account}.mns.{region}-internal.aliyuncs.com` | http |
//! | [`Endpoint::vpc`] | `{account}.mns.{region}-internal-vpc.aliyuncs.com` | http |
//!
//! Any base URL (an emulator's, a proxy's) can be used with [`Endpoint::from_url`]. A URL with a
//! path, query or fragment is rejected: a path would silently become part of the signed resource.
//!
//! ```
//! use mns_client::{Endpoint, Scheme};
//! let e = Endpoint::public("1234567890123456", "cn-hangzhou")?;
//! assert_eq!(e.as_str(), "https://1234567890123456.mns.cn-hangzhou.aliyuncs.com");
//! let e = e.with_scheme(Scheme::Http);
//! assert_eq!(e.as_str(), "http://1234567890123456.mns.cn-hangzhou.aliyuncs.com");
//! let local: Endpoint = "http://127.0.0.1:9911".parse()?;
//! assert_eq!(local.host(), "127.0.0.1:9911");
//! assert!(Endpoint::from_url("http://127.0.0.1:9911/queues").is_err());
//! # Ok::<(), mns_client::Error>(())
//! ```

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// HTTP or HTTPS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Plain HTTP.
    Http,
    /// HTTP over TLS.
    Https,
}

impl Scheme {
    /// `"http"` or `"https"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// A validated MNS endpoint: scheme plus host and optional port.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    scheme: Scheme,
    /// `host[:port]`, exactly as it goes into the URL.
    authority: String,
    /// `scheme://authority`, cached.
    base: String,
}

impl Endpoint {
    /// The public endpoint `{account_id}.mns.{region}.aliyuncs.com`, over HTTPS.
    pub fn public(account_id: &str, region: &str) -> Result<Self, Error> {
        Self::aliyun(account_id, region, "", Scheme::Https)
    }

    /// The classic-network internal endpoint `{account_id}.mns.{region}-internal.aliyuncs.com`, over HTTP.
    pub fn internal(account_id: &str, region: &str) -> Result<Self, Error> {
        Self::aliyun(account_id, region, "-internal", Scheme::Http)
    }

    /// The VPC endpoint `{account_id}.mns.{region}-internal-vpc.aliyuncs.com`, over HTTP.
    pub fn vpc(account_id: &str, region: &str) -> Result<Self, Error> {
        Self::aliyun(account_id, region, "-internal-vpc", Scheme::Http)
    }

    fn aliyun(account_id: &str, region: &str, suffix: &str, scheme: Scheme) -> Result<Self, Error> {
        if account_id.is_empty() || !account_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::InvalidEndpoint(format!(
                "account id must be the numeric Alibaba Cloud account id, got {account_id:?}"
            )));
        }
        let region_ok = !region.is_empty()
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !region.starts_with('-')
            && !region.ends_with('-');
        if !region_ok {
            return Err(Error::InvalidEndpoint(format!(
                "region must look like `cn-hangzhou`, got {region:?}"
            )));
        }
        Ok(Self::new(
            scheme,
            format!("{account_id}.mns.{region}{suffix}.aliyuncs.com"),
        ))
    }

    fn new(scheme: Scheme, authority: String) -> Self {
        let base = format!("{}://{}", scheme.as_str(), authority);
        Endpoint {
            scheme,
            authority,
            base,
        }
    }

    /// Parses a base URL such as `http://127.0.0.1:9911` or `https://example.com/`.
    ///
    /// Fails with [`Error::InvalidEndpoint`] for anything but `http`/`https`, for user info, and for
    /// a path (other than `/`), query or fragment.
    pub fn from_url(url: &str) -> Result<Self, Error> {
        let parsed = url::Url::parse(url)
            .map_err(|e| Error::InvalidEndpoint(format!("{url:?} is not a URL: {e}")))?;
        let scheme = match parsed.scheme() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            other => {
                return Err(Error::InvalidEndpoint(format!(
                    "scheme must be http or https, got {other:?}"
                )));
            }
        };
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(Error::InvalidEndpoint(
                "endpoint URL must not contain user info".into(),
            ));
        }
        if parsed.path() != "/" && !parsed.path().is_empty() {
            return Err(Error::InvalidEndpoint(format!(
                "endpoint URL must be scheme and host only, without a path (got path {:?}); \
                 a path would become part of the signed resource",
                parsed.path()
            )));
        }
        if parsed.query().is_some() {
            return Err(Error::InvalidEndpoint(
                "endpoint URL must not contain a query string".into(),
            ));
        }
        if parsed.fragment().is_some() {
            return Err(Error::InvalidEndpoint(
                "endpoint URL must not contain a fragment".into(),
            ));
        }
        let host = parsed
            .host_str()
            .ok_or_else(|| Error::InvalidEndpoint(format!("{url:?} has no host")))?;
        let authority = match parsed.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        Ok(Self::new(scheme, authority))
    }

    /// Returns the same host with another scheme.
    pub fn with_scheme(self, scheme: Scheme) -> Self {
        Self::new(scheme, self.authority)
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// `host[:port]`.
    pub fn host(&self) -> &str {
        &self.authority
    }

    /// `scheme://host[:port]`, without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.base
    }

    /// The region of an Alibaba Cloud MNS host (`{account}.mns.{region}.aliyuncs.com`, also the
    /// `-internal` and `-internal-vpc` forms), or `None` for any other host (an emulator, a
    /// proxy). The V4 signature needs it.
    ///
    /// ```
    /// use mns_client::Endpoint;
    /// assert_eq!(Endpoint::vpc("123", "cn-shanghai")?.region(), Some("cn-shanghai"));
    /// assert_eq!(Endpoint::from_url("http://127.0.0.1:9911")?.region(), None);
    /// # Ok::<(), mns_client::Error>(())
    /// ```
    pub fn region(&self) -> Option<&str> {
        let host = self.authority.split(':').next().unwrap_or("");
        let rest = host.strip_suffix(".aliyuncs.com")?;
        let (account, region) = rest.split_once(".mns.")?;
        if account.is_empty() || !account.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let region = region
            .strip_suffix("-internal-vpc")
            .or_else(|| region.strip_suffix("-internal"))
            .unwrap_or(region);
        (!region.is_empty() && !region.contains('.')).then_some(region)
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Endpoint").field(&self.base).finish()
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.base)
    }
}

impl FromStr for Endpoint {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Endpoint::from_url(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliyun_forms() {
        assert_eq!(
            Endpoint::internal("123", "cn-hangzhou").unwrap().as_str(),
            "http://123.mns.cn-hangzhou-internal.aliyuncs.com"
        );
        assert_eq!(
            Endpoint::vpc("123", "ap-southeast-1").unwrap().as_str(),
            "http://123.mns.ap-southeast-1-internal-vpc.aliyuncs.com"
        );
        assert_eq!(
            Endpoint::vpc("123", "cn-hangzhou")
                .unwrap()
                .with_scheme(Scheme::Https)
                .as_str(),
            "https://123.mns.cn-hangzhou-internal-vpc.aliyuncs.com"
        );
        assert!(Endpoint::public("abc", "cn-hangzhou").is_err());
        assert!(Endpoint::public("123", "cn/hangzhou").is_err());
        assert!(Endpoint::public("123", "").is_err());
    }

    #[test]
    fn region_from_aliyun_hosts_only() {
        for (e, region) in [
            (
                Endpoint::public("123", "cn-hangzhou").unwrap(),
                Some("cn-hangzhou"),
            ),
            (
                Endpoint::internal("123", "eu-west-1").unwrap(),
                Some("eu-west-1"),
            ),
            (
                Endpoint::vpc("123", "ap-southeast-1").unwrap(),
                Some("ap-southeast-1"),
            ),
            (
                Endpoint::from_url("http://123.mns.cn-beijing.aliyuncs.com:80").unwrap(),
                Some("cn-beijing"),
            ),
            (Endpoint::from_url("http://127.0.0.1:9911").unwrap(), None),
            (Endpoint::from_url("https://mns.example.com").unwrap(), None),
            (
                Endpoint::from_url("https://x.mns.a.aliyuncs.com").unwrap(),
                None,
            ),
        ] {
            assert_eq!(e.region(), region, "{e}");
        }
    }

    #[test]
    fn urls() {
        let e = Endpoint::from_url("http://127.0.0.1:9911").unwrap();
        assert_eq!(e.as_str(), "http://127.0.0.1:9911");
        assert_eq!(e.scheme(), Scheme::Http);
        let e = Endpoint::from_url("https://x.example.com/").unwrap();
        assert_eq!(e.as_str(), "https://x.example.com");
        for bad in [
            "http://127.0.0.1:9911/queues",
            "http://127.0.0.1:9911/?a=b",
            "http://127.0.0.1:9911?a=b",
            "http://127.0.0.1:9911#frag",
            "ftp://127.0.0.1",
            "http://user:pw@127.0.0.1",
            "127.0.0.1:9911",
            "not a url",
        ] {
            let err = Endpoint::from_url(bad).unwrap_err();
            assert!(matches!(err, Error::InvalidEndpoint(_)), "{bad}: {err}");
        }
        let msg = Endpoint::from_url("http://h/p").unwrap_err().to_string();
        assert!(msg.contains("without a path"), "{msg}");
    }
}
