//! TLS with rustls and its ring provider: the server side of HTTPS
//! listeners (certificates chosen by SNI) and the client side towards HTTPS
//! targets (which, as with ALB, are not verified).

use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, DigitallySignedStruct, ServerConfig, SignatureScheme};

use crate::config::TlsConfig;

fn provider() -> &'static Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER.get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
}

/// The server configuration of an HTTPS listener: ALPN `h2` (when HTTP/2
/// is on) and `http/1.1`; the first certificate unless SNI names another.
pub(crate) fn server_config(tls: &TlsConfig, http2: bool) -> Result<Arc<ServerConfig>, String> {
    if tls.certificates.is_empty() {
        return Err("an HTTPS listener needs at least one certificate".to_owned());
    }
    let mut keys = Vec::with_capacity(tls.certificates.len());
    for (n, cert) in tls.certificates.iter().enumerate() {
        let chain = CertificateDer::pem_slice_iter(cert.chain_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("certificate {n}: unreadable chain: {e}"))?;
        if chain.is_empty() {
            return Err(format!("certificate {n}: no certificate in the chain"));
        }
        let key = PrivateKeyDer::from_pem_slice(cert.key_pem.as_bytes())
            .map_err(|e| format!("certificate {n}: unreadable private key: {e}"))?;
        let certified = CertifiedKey::from_der(chain, key, provider())
            .map_err(|e| format!("certificate {n}: {e}"))?;
        keys.push(Arc::new(certified));
    }
    let mut config = ServerConfig::builder_with_provider(Arc::clone(provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(SniResolver { keys }));
    config.alpn_protocols = if http2 {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    Ok(Arc::new(config))
}

/// Picks the first certificate valid for the SNI name, else the default.
#[derive(Debug)]
struct SniResolver {
    keys: Vec<Arc<CertifiedKey>>,
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let by_name = hello.server_name().and_then(|name| {
            let name = ServerName::try_from(name).ok()?;
            self.keys.iter().find(|key| {
                key.end_entity_cert()
                    .ok()
                    .and_then(|der| webpki::EndEntityCert::try_from(der).ok())
                    .is_some_and(|cert| cert.verify_is_valid_for_subject_name(&name).is_ok())
            })
        });
        by_name.or_else(|| self.keys.first()).cloned()
    }
}

/// The client configuration towards HTTPS targets: any certificate is
/// accepted, the handshake's signatures are still checked.
pub(crate) fn client_config() -> Result<&'static Arc<ClientConfig>, String> {
    static CONFIG: OnceLock<Result<Arc<ClientConfig>, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let builder = ClientConfig::builder_with_provider(Arc::clone(provider()))
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?;
            Ok(Arc::new(
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate))
                    .with_no_client_auth(),
            ))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// ALB does not validate target certificates; neither does the proxy.
#[derive(Debug)]
struct AcceptAnyCertificate;

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &provider().signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &provider().signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}
