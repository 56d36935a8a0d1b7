//! Credentials fetched from a URL (`ALIBABA_CLOUD_CREDENTIALS_URI`).

use std::fmt;
use std::time::Duration;

use super::config::ProviderConfig;
use super::http::{self, LazyHttpClient, failure, parse_metadata_credentials};
use super::{Credentials, CredentialsError, ProvideCredentials};

/// Environment variable holding the credentials URL.
pub const CREDENTIALS_URI_VAR: &str = "ALIBABA_CLOUD_CREDENTIALS_URI";

/// Credentials from `GET {uri}`, which answers the same JSON as the ECS metadata service
/// (`Code` = `Success`, `AccessKeyId`, `AccessKeySecret`, `SecurityToken`, `Expiration`).
///
/// `Debug` shows only the scheme, host and path of the URI: its query may carry a secret.
///
/// ```
/// use mns_client::credentials::CredentialsUriProvider;
/// let provider = CredentialsUriProvider::new("http://127.0.0.1:8090/creds?t=abc");
/// assert!(!format!("{provider:?}").contains("t=abc"));
/// ```
pub struct CredentialsUriProvider {
    uri: String,
    http: LazyHttpClient,
}

impl fmt::Debug for CredentialsUriProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialsUriProvider")
            .field("uri", &redacted_uri(&self.uri))
            .finish()
    }
}

/// The URI without its query string and user info.
fn redacted_uri(uri: &str) -> String {
    match url::Url::parse(uri) {
        Ok(mut url) => {
            let had_query = url.query().is_some();
            url.set_query(None);
            let _ = url.set_username("");
            let _ = url.set_password(None);
            let mut shown = url.to_string();
            if had_query {
                shown.push_str("?…");
            }
            shown
        }
        Err(_) => "(unparsable URI)".to_string(),
    }
}

impl CredentialsUriProvider {
    /// Provider name used in errors.
    pub const NAME: &'static str = "credentials_uri";

    /// Fetches from `uri` (query string preserved).
    pub fn new(uri: impl Into<String>) -> Self {
        CredentialsUriProvider {
            uri: uri.into(),
            http: LazyHttpClient::new(Duration::from_secs(5), Duration::from_secs(15)),
        }
    }

    /// The provider for `ALIBABA_CLOUD_CREDENTIALS_URI`;
    /// [`NotLoaded`](CredentialsError::NotLoaded) when it is unset.
    pub fn from_env(config: &ProviderConfig) -> Result<Self, CredentialsError> {
        match config.env().get(CREDENTIALS_URI_VAR) {
            Some(uri) => Ok(CredentialsUriProvider::new(uri)),
            None => Err(CredentialsError::NotLoaded {
                provider: Self::NAME,
                reason: format!("{CREDENTIALS_URI_VAR} is not set"),
            }),
        }
    }
}

#[async_trait::async_trait]
impl ProvideCredentials for CredentialsUriProvider {
    async fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        let client = self.http.get(Self::NAME).await?;
        let response =
            client.get(&self.uri).send().await.map_err(|e| {
                http::provider_error(Self::NAME, "credentials URI request failed", e)
            })?;
        let status = response.status();
        if !status.is_success() {
            return Err(failure(
                Self::NAME,
                format!("credentials URI answered HTTP {}", status.as_u16()),
            ));
        }
        let body = http::body_text(Self::NAME, response).await?;
        parse_metadata_credentials(Self::NAME, &body)
    }
}
