//! What UploadServerCertificate checks before it stores anything: the certificate is one
//! X.509 certificate in PEM, the chain (if any) is PEM certificates, the private key is an
//! unencrypted PEM key that the TLS stack can sign with and that belongs to the certificate.
//! Pure: no IO.

use std::sync::{Arc, OnceLock};

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;

use crate::error::{IamError, Result};

/// What a checked upload tells about its certificate.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Checked {
    /// notAfter, in epoch seconds.
    pub expiration: f64,
}

fn provider() -> &'static Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER.get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
}

fn malformed(what: &str) -> IamError {
    IamError::MalformedCertificate(format!(
        "Unable to parse {what}. Please ensure it is in PEM format."
    ))
}

/// Every PEM certificate of `pem`, in order.
fn certificates(pem: &str, what: &str) -> Result<Vec<CertificateDer<'static>>> {
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|_| malformed(what))
}

/// Checks an upload: `body` one certificate, `chain` certificates, `key` its private key.
pub(crate) fn check(body: &str, chain: Option<&str>, key: &str) -> Result<Checked> {
    let leaf = certificates(body, "certificate")?;
    let [leaf] = <[_; 1]>::try_from(leaf).map_err(|found: Vec<_>| {
        if found.is_empty() {
            malformed("certificate")
        } else {
            IamError::MalformedCertificate(
                "The certificate body holds more than one certificate; put the others in the certificate chain.".into(),
            )
        }
    })?;
    let (_, parsed) =
        x509_parser::parse_x509_certificate(leaf.as_ref()).map_err(|_| malformed("certificate"))?;
    let expiration = parsed.validity().not_after.timestamp() as f64;
    let mut all = vec![leaf.clone()];
    if let Some(chain) = chain.filter(|c| !c.trim().is_empty()) {
        let more = certificates(chain, "certificate chain")?;
        if more.is_empty() {
            return Err(malformed("certificate chain"));
        }
        for c in &more {
            x509_parser::parse_x509_certificate(c.as_ref())
                .map_err(|_| malformed("certificate chain"))?;
        }
        all.extend(more);
    }
    let key = PrivateKeyDer::from_pem_slice(key.as_bytes()).map_err(|_| {
        IamError::MalformedCertificate(
            "Unable to parse private key. Please ensure it is an unencrypted PEM key (PKCS#1, PKCS#8 or SEC1).".into(),
        )
    })?;
    match CertifiedKey::from_der(all, key, provider()) {
        Ok(_) => Ok(Checked { expiration }),
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => {
            Err(IamError::KeyPairMismatch(
                "The private key does not match the public key in the certificate.".into(),
            ))
        }
        Err(e) => Err(IamError::MalformedCertificate(format!(
            "The private key cannot be used for TLS: {e}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn self_signed(name: &str) -> (String, String) {
        let key = rcgen::KeyPair::generate().expect("key");
        let cert = rcgen::CertificateParams::new(vec![name.to_owned()])
            .expect("params")
            .self_signed(&key)
            .expect("cert");
        (cert.pem(), key.serialize_pem())
    }

    #[test]
    fn a_matching_pair_is_accepted_with_its_expiration() {
        let (cert, key) = self_signed("web.example");
        let checked = check(&cert, None, &key).expect("accepted");
        // rcgen's default validity ends in 4096.
        assert!(checked.expiration > 4_000_000_000.0, "{checked:?}");
        let (ca, _) = self_signed("ca.example");
        assert!(check(&cert, Some(&ca), &key).is_ok(), "with a chain");
    }

    #[test]
    fn mismatched_and_malformed_uploads_are_refused() {
        let (cert, _) = self_signed("a.example");
        let (_, other_key) = self_signed("b.example");
        assert!(matches!(
            check(&cert, None, &other_key),
            Err(IamError::KeyPairMismatch(_))
        ));
        let (_, key) = self_signed("a.example");
        for (body, chain, key) in [
            ("not a certificate", None, key.as_str()),
            ("", None, key.as_str()),
            (cert.as_str(), Some("garbage"), key.as_str()),
            (
                cert.as_str(),
                None,
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            ),
            (cert.as_str(), None, ""),
        ] {
            assert!(
                matches!(
                    check(body, chain, key),
                    Err(IamError::MalformedCertificate(_))
                ),
                "{body:.20} {chain:?} {key:.20}"
            );
        }
        let two = format!("{cert}{cert}");
        assert!(matches!(
            check(&two, None, &key),
            Err(IamError::MalformedCertificate(m)) if m.contains("more than one")
        ));
    }
}
