//! The push signing key and its self-signed certificate, and the RSA-SHA1 push signature
//! (reference §6.4, §6.7).
//!
//! By default every emulator signs with the published development key
//! [`DEVELOPMENT_PUSH_SIGNING_KEY_PEM`], read once per process on first use (the first push or
//! certificate request): about 10 ms in a dependent crate's debug build. Generating a 2048-bit
//! RSA key there took 0.2 to 1.6 s (a random prime search; big-integer code is unoptimised in a
//! dependent crate's debug build, whatever this workspace's profile says), so a generated key is
//! made only on request. Receivers learn the certificate from `x-mns-signing-cert-url`, served by each
//! emulator, so which key signs changes nothing they can observe.

use std::str::FromStr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs1v15::SigningKey;
use rsa::signature::{Keypair, SignatureEncoding, Signer as _};
use sha1::Sha1;
use x509_cert::builder::{Builder, CertificateBuilder, profile};
use x509_cert::der::EncodePem;
use x509_cert::der::pem::LineEnding;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{EncodePublicKey, SubjectPublicKeyInfoOwned};
use x509_cert::time::Validity;

/// RSA modulus size of the generated key (and of the development key).
pub(crate) const KEY_BITS: usize = 2048;

/// The published, **insecure** development key (PKCS#8 PEM, 2048-bit RSA) every emulator signs
/// topic HTTP pushes with unless told otherwise.
///
/// Like Azurite's well-known account key it is public on purpose: anyone can sign a push that
/// verifies against its certificate, so it proves nothing about the sender. It exists so that
/// tests need no key generation (slow in debug builds) and so that a receiver under test may pin
/// one certificate across emulator restarts. Never trust it outside tests; configure a key of your
/// own with [`EmulatorBuilder::push_signing_key_pem`](crate::EmulatorBuilder::push_signing_key_pem)
/// or ask for a fresh one with
/// [`EmulatorBuilder::generate_push_signing_key`](crate::EmulatorBuilder::generate_push_signing_key).
pub const DEVELOPMENT_PUSH_SIGNING_KEY_PEM: &str = include_str!("development-key.pem");

/// A signing key and its certificate (PEM).
pub(crate) struct PushSigner {
    key: SigningKey<Sha1>,
    certificate_pem: String,
}

impl std::fmt::Debug for PushSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushSigner").finish_non_exhaustive()
    }
}

impl PushSigner {
    /// Generates a new [`KEY_BITS`]-bit key pair and self-signed certificate (slow: a random
    /// prime search, up to seconds in a debug build).
    pub(crate) fn generate() -> Result<Self, String> {
        Self::generate_with_bits(KEY_BITS)
    }

    fn generate_with_bits(bits: usize) -> Result<Self, String> {
        let private = rsa::PrivateKey::new(&mut rand::rng(), bits)
            .map_err(|e| format!("RSA key generation failed: {e}"))?;
        Self::from_key(private)
    }

    /// A signer with a given RSA private key: PEM, PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1
    /// (`BEGIN RSA PRIVATE KEY`). The certificate is self-signed for it.
    pub(crate) fn from_private_key_pem(pem: &str) -> Result<Self, String> {
        use rsa::pkcs1::DecodeRsaPrivateKey as _;
        use rsa::pkcs8::DecodePrivateKey as _;
        let (label, der) = x509_cert::der::pem::decode_vec(pem.trim().as_bytes())
            .map_err(|e| format!("not a PEM document: {e}"))?;
        let private = match label {
            "PRIVATE KEY" => rsa::PrivateKey::from_pkcs8_der(&der)
                .map_err(|e| format!("bad PKCS#8 RSA key: {e}"))?,
            "RSA PRIVATE KEY" => rsa::PrivateKey::from_pkcs1_der(&der)
                .map_err(|e| format!("bad PKCS#1 RSA key: {e}"))?,
            other => return Err(format!("unexpected PEM label {other:?}")),
        };
        Self::from_key(private)
    }

    fn from_key(private: rsa::PrivateKey) -> Result<Self, String> {
        let key = SigningKey::<Sha1>::new(private);
        let spki_der = key
            .verifying_key()
            .to_public_key_der()
            .map_err(|e| format!("public key encoding failed: {e}"))?;
        let spki = SubjectPublicKeyInfoOwned::try_from(spki_der.as_bytes())
            .map_err(|e| format!("public key info failed: {e}"))?;
        let subject = Name::from_str("CN=mns-emulator push signing,O=mns-rs,C=CN")
            .map_err(|e| format!("subject: {e}"))?;
        let profile =
            profile::cabf::Root::new(false, subject).map_err(|e| format!("profile: {e}"))?;
        let validity = Validity::from_now(Duration::from_secs(20 * 365 * 86_400))
            .map_err(|e| format!("validity: {e}"))?;
        let cert = CertificateBuilder::new(profile, SerialNumber::from(1u32), validity, spki)
            .map_err(|e| format!("certificate: {e}"))?
            .build::<_, rsa::pkcs1v15::Signature>(&key)
            .map_err(|e| format!("certificate signing: {e}"))?;
        let certificate_pem = cert
            .to_pem(LineEnding::LF)
            .map_err(|e| format!("PEM encoding: {e}"))?;
        Ok(PushSigner {
            key,
            certificate_pem,
        })
    }

    /// The certificate as PEM (`-----BEGIN CERTIFICATE-----`).
    pub(crate) fn certificate_pem(&self) -> &str {
        &self.certificate_pem
    }

    /// `Base64(RSASSA-PKCS1-v1_5-Sign(SHA-1, string_to_sign))`.
    pub(crate) fn sign(&self, string_to_sign: &str) -> String {
        let sig = self.key.sign(string_to_sign.as_bytes());
        STANDARD.encode(sig.to_bytes())
    }
}

static DEVELOPMENT_SIGNER: OnceLock<Result<Arc<PushSigner>, String>> = OnceLock::new();

/// The process-wide signer with [`DEVELOPMENT_PUSH_SIGNING_KEY_PEM`], read on first use on a
/// blocking thread (self-signing its certificate is an RSA signature).
pub(crate) async fn development_signer() -> Result<Arc<PushSigner>, String> {
    if let Some(s) = DEVELOPMENT_SIGNER.get() {
        return s.clone();
    }
    tokio::task::spawn_blocking(|| {
        DEVELOPMENT_SIGNER
            .get_or_init(|| {
                PushSigner::from_private_key_pem(DEVELOPMENT_PUSH_SIGNING_KEY_PEM).map(Arc::new)
            })
            .clone()
    })
    .await
    .map_err(|e| format!("development key task failed: {e}"))?
}

/// A freshly generated signer, made on a blocking thread.
pub(crate) async fn generated_signer() -> Result<Arc<PushSigner>, String> {
    tokio::task::spawn_blocking(|| PushSigner::generate().map(Arc::new))
        .await
        .map_err(|e| format!("key generation task failed: {e}"))?
}

/// The canonical string MNS signs for a push (reference §6.4): `POST`, `Content-MD5`,
/// `Content-Type`, `Date`, the `x-mns-*` headers sorted by lower-cased name as `name:value`
/// lines, then the request target.
pub(crate) fn string_to_sign(
    content_md5: &str,
    content_type: &str,
    date: &str,
    headers: &[(String, String)],
    target: &str,
) -> String {
    let mut mns: Vec<(String, &str)> = headers
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v.as_str()))
        .filter(|(n, _)| n.starts_with("x-mns-"))
        .collect();
    mns.sort();
    let mut s = format!("POST\n{content_md5}\n{content_type}\n{date}\n");
    for (n, v) in mns {
        s.push_str(&n);
        s.push(':');
        s.push_str(v);
        s.push('\n');
    }
    s.push_str(target);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Signs with `signer` and verifies with the public key of its certificate.
    fn assert_certificate_verifies(signer: &PushSigner) {
        use rsa::pkcs1v15::{Signature, VerifyingKey};
        use rsa::signature::Verifier as _;
        use x509_cert::Certificate;
        use x509_cert::der::{DecodePem, Encode};
        use x509_cert::spki::DecodePublicKey;

        let cert = Certificate::from_pem(signer.certificate_pem().as_bytes()).unwrap();
        let spki = cert
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .unwrap();
        let key = VerifyingKey::<Sha1>::new(rsa::PublicKey::from_public_key_der(&spki).unwrap());
        let sig = STANDARD.decode(signer.sign("POST\n\n\nDate\n/")).unwrap();
        let sig = Signature::try_from(sig.as_slice()).unwrap();
        assert!(key.verify(b"POST\n\n\nDate\n/", &sig).is_ok());
        assert!(key.verify(b"POST\n\n\nDate\n/x", &sig).is_err());
    }

    /// The generation path, with a small key so that an unoptimised test build stays fast (the
    /// code is the same for every size).
    #[test]
    fn generated_key_signs_what_its_certificate_verifies() {
        assert_certificate_verifies(&PushSigner::generate_with_bits(1024).unwrap());
    }

    #[test]
    fn development_key_signs_what_its_certificate_verifies() {
        use rsa::traits::PublicKeyParts as _;
        let signer = PushSigner::from_private_key_pem(DEVELOPMENT_PUSH_SIGNING_KEY_PEM).unwrap();
        assert_eq!(signer.key.as_ref().size() * 8, KEY_BITS);
        assert_certificate_verifies(&signer);
    }

    /// The positive vectors of `testdata/vectors/push-signature.json` are reproduced exactly
    /// with the vectors' throw-away key (PKCS#1 v1.5 is deterministic); the tampered one is not.
    #[test]
    fn push_signature_vectors() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../testdata/vectors/push-signature.json"
        );
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let signer =
            PushSigner::from_private_key_pem(doc["test_private_key_pem"].as_str().unwrap())
                .unwrap();
        for v in doc["vectors"].as_array().unwrap() {
            let name = v["name"].as_str().unwrap();
            let headers = v["headers"].as_object().unwrap();
            let get = |h: &str| headers[h].as_str().unwrap();
            let mns: Vec<(String, String)> = headers
                .iter()
                .map(|(n, v)| (n.clone(), v.as_str().unwrap().to_owned()))
                .collect();
            let sts = string_to_sign(
                get("Content-MD5"),
                get("Content-Type"),
                get("Date"),
                &mns,
                v["path"].as_str().unwrap(),
            );
            assert_eq!(
                sts,
                v["expected_string_to_sign"].as_str().unwrap(),
                "{name}"
            );
            let valid = v["expected_verification"].as_bool().unwrap();
            assert_eq!(signer.sign(&sts) == get("Authorization"), valid, "{name}");
        }
    }

    #[test]
    fn string_to_sign_matches_the_reference_example() {
        let headers = vec![
            ("x-mns-version".to_owned(), "2015-06-06".to_owned()),
            (
                "x-mns-request-id".to_owned(),
                "65929A40E4B0C1D2E3F40001".to_owned(),
            ),
            (
                "x-mns-signing-cert-url".to_owned(),
                "aHR0cHM6Ly9tbnN0ZXN0Lm9zcy1jbi1oYW5nemhvdS5hbGl5dW5jcy5jb20veDUwOV9wdWJsaWNfY2VydGlmaWNhdGUucGVt".to_owned(),
            ),
        ];
        assert_eq!(
            string_to_sign(
                "ZGZhYjEzODczZTU1MWY3ZTFhZTRiNjM5YTZiYmEzYmI=",
                "text/xml;charset=utf-8",
                "Mon, 01 Jan 2024 12:00:00 GMT",
                &headers,
                "/notifications"
            ),
            "POST\nZGZhYjEzODczZTU1MWY3ZTFhZTRiNjM5YTZiYmEzYmI=\ntext/xml;charset=utf-8\nMon, 01 Jan 2024 12:00:00 GMT\nx-mns-request-id:65929A40E4B0C1D2E3F40001\nx-mns-signing-cert-url:aHR0cHM6Ly9tbnN0ZXN0Lm9zcy1jbi1oYW5nemhvdS5hbGl5dW5jcy5jb20veDUwOV9wdWJsaWNfY2VydGlmaWNhdGUucGVt\nx-mns-version:2015-06-06\n/notifications"
        );
    }
}
