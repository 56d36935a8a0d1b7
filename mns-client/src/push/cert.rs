//! Signing certificates: parsing, fetching and caching.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use sha1::Sha1;
use tokio::sync::OnceCell;
use url::Url;
use x509_cert::Certificate;
use x509_cert::der::{Decode, DecodePem, Encode};

use super::error::VerifyError;
use crate::error::BoxError;

/// The RSA public key of an MNS signing certificate, ready to verify push signatures
/// (RSASSA-PKCS1-v1_5 with SHA-1).
#[derive(Clone)]
pub struct SigningCertificate {
    key: VerifyingKey<Sha1>,
}

impl fmt::Debug for SigningCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningCertificate").finish_non_exhaustive()
    }
}

impl SigningCertificate {
    /// Parses an X.509 certificate in PEM (`-----BEGIN CERTIFICATE-----`) or DER form and takes
    /// its RSA public key.
    pub fn parse(document: &[u8]) -> Result<Self, String> {
        let trimmed = document.trim_ascii_start();
        let cert = if trimmed.starts_with(b"-----BEGIN") {
            Certificate::from_pem(trimmed).map_err(|e| format!("bad PEM certificate: {e}"))?
        } else {
            Certificate::from_der(document).map_err(|e| format!("bad DER certificate: {e}"))?
        };
        let spki = cert
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .map_err(|e| format!("bad public key info: {e}"))?;
        let key = rsa::PublicKey::from_public_key_der(&spki)
            .map_err(|e| format!("certificate key is not a usable RSA key: {e}"))?;
        Ok(SigningCertificate {
            key: VerifyingKey::new(key),
        })
    }

    /// Whether `signature` is a valid SHA1withRSA signature of `message` under this key.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        Signature::try_from(signature).is_ok_and(|sig| self.key.verify(message, &sig).is_ok())
    }
}

/// Fetches a signing certificate document (PEM or DER) by URL.
///
/// The verifier only calls it for URLs its [`CertUrlPolicy`](super::CertUrlPolicy) allows, and
/// caches the parsed result per URL, so a fetcher is called once per certificate.
#[async_trait::async_trait]
pub trait CertificateFetcher: Send + Sync + fmt::Debug {
    /// Returns the document at `url`.
    async fn fetch(&self, url: &Url) -> Result<Vec<u8>, BoxError>;
}

/// The default fetcher: HTTP(S) `GET` with a timeout, **no redirects** (a redirect could leave
/// the allow-list) and a size cap.
#[derive(Debug, Clone)]
pub struct HttpCertificateFetcher {
    client: reqwest::Client,
    max_len: usize,
}

impl HttpCertificateFetcher {
    /// A fetcher with a 5-second timeout and a 64 KiB size cap.
    pub fn new() -> Result<Self, BoxError> {
        Self::with_timeout(Duration::from_secs(5))
    }

    /// A fetcher with the given overall timeout.
    pub fn with_timeout(timeout: Duration) -> Result<Self, BoxError> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .build()?;
        Ok(HttpCertificateFetcher {
            client,
            max_len: 64 * 1024,
        })
    }
}

#[async_trait::async_trait]
impl CertificateFetcher for HttpCertificateFetcher {
    async fn fetch(&self, url: &Url) -> Result<Vec<u8>, BoxError> {
        let mut response = self.client.get(url.clone()).send().await?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("HTTP {status}").into());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > self.max_len {
                return Err(format!("certificate larger than {} bytes", self.max_len).into());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// A fetcher that serves documents from memory and counts its calls: for tests, and for
/// receivers that ship the certificate with their configuration.
///
/// Clones share the documents and the counter.
///
/// ```
/// use mns_client::push::StaticCertificateFetcher;
/// let fetcher = StaticCertificateFetcher::new()
///     .with_document("https://mnstest.oss-cn-hangzhou.aliyuncs.com/x509_public_certificate.pem", "-----BEGIN CERTIFICATE-----…");
/// assert_eq!(fetcher.fetch_count(), 0);
/// ```
#[derive(Debug, Clone, Default)]
pub struct StaticCertificateFetcher {
    documents: Arc<Mutex<HashMap<String, Vec<u8>>>>,
    calls: Arc<AtomicUsize>,
}

impl StaticCertificateFetcher {
    /// An empty fetcher (every fetch fails until documents are added).
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves `document` for `url` (compared as a parsed, normalised URL).
    #[must_use]
    pub fn with_document(self, url: &str, document: impl Into<Vec<u8>>) -> Self {
        let key = Url::parse(url).map_or_else(|_| url.to_owned(), String::from);
        if let Ok(mut docs) = self.documents.lock() {
            docs.insert(key, document.into());
        }
        self
    }

    /// How many times [`CertificateFetcher::fetch`] was called.
    pub fn fetch_count(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl CertificateFetcher for StaticCertificateFetcher {
    async fn fetch(&self, url: &Url) -> Result<Vec<u8>, BoxError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let docs = self
            .documents
            .lock()
            .map_err(|_| BoxError::from("certificate store poisoned"))?;
        docs.get(url.as_str())
            .cloned()
            .ok_or_else(|| format!("no certificate stored for {url}").into())
    }
}

/// Parsed certificates by URL. Concurrent verifications of the same URL share one fetch;
/// failures are not cached, so a later request retries.
#[derive(Debug)]
pub(crate) struct CertificateCache {
    fetcher: Arc<dyn CertificateFetcher>,
    entries: Mutex<HashMap<String, Arc<OnceCell<SigningCertificate>>>>,
    capacity: usize,
}

impl CertificateCache {
    pub(crate) fn new(fetcher: Arc<dyn CertificateFetcher>, capacity: usize) -> Self {
        CertificateCache {
            fetcher,
            entries: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    fn slot(&self, key: &str) -> Arc<OnceCell<SigningCertificate>> {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(slot) = entries.get(key) {
            return slot.clone();
        }
        if entries.len() >= self.capacity {
            // Bounded: certificates rotate rarely, so dropping an arbitrary entry only costs
            // one extra fetch.
            if let Some(victim) = entries.keys().next().cloned() {
                entries.remove(&victim);
            }
        }
        let slot = Arc::new(OnceCell::new());
        entries.insert(key.to_owned(), slot.clone());
        slot
    }

    fn forget(&self, key: &str, slot: &Arc<OnceCell<SigningCertificate>>) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.get(key).is_some_and(|s| Arc::ptr_eq(s, slot)) {
            entries.remove(key);
        }
    }

    /// The certificate at `url`, fetched at most once while cached.
    pub(crate) async fn get(&self, url: &Url) -> Result<SigningCertificate, VerifyError> {
        let key = url.as_str();
        let slot = self.slot(key);
        let result = slot
            .get_or_try_init(|| async {
                let document =
                    self.fetcher
                        .fetch(url)
                        .await
                        .map_err(|source| VerifyError::CertFetch {
                            url: key.to_owned(),
                            source,
                        })?;
                SigningCertificate::parse(&document).map_err(|reason| {
                    VerifyError::InvalidCertificate {
                        url: key.to_owned(),
                        reason,
                    }
                })
            })
            .await
            .cloned();
        if result.is_err() {
            self.forget(key, &slot);
        }
        result
    }
}
