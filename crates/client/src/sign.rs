//! SigV4 signing for Berth's own clients, done by `aws-sigv4` (the signer the AWS Rust SDK
//! uses), so the server under test verifies exactly what a real client would send. The
//! credentials and region are the signer's; the service name (the credential scope's
//! `ecs`, `logs`, …) is given per request, since one endpoint serves several services.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use hyper::header::{HeaderName, HeaderValue};

use crate::client::Error;

/// The service name in the credential scope of ECS requests.
pub const ECS_SERVICE: &str = "ecs";

pub struct Signer {
    credentials: Credentials,
    region: String,
}

impl Signer {
    pub fn new(access_key_id: &str, secret_access_key: &str, region: &str) -> Self {
        Self::temporary(access_key_id, secret_access_key, None, region)
    }

    /// A signer for temporary credentials: requests carry `session_token` as
    /// `X-Amz-Security-Token`.
    pub fn temporary(
        access_key_id: &str,
        secret_access_key: &str,
        session_token: Option<&str>,
        region: &str,
    ) -> Self {
        Signer {
            credentials: Credentials::new(
                access_key_id,
                secret_access_key,
                session_token.map(str::to_owned),
                None,
                "berth",
            ),
            region: region.to_string(),
        }
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// The headers (`x-amz-date`, `authorization`, …) that sign an ECS `POST /` carrying
    /// `headers` and `body`, as of `unix_seconds`.
    pub fn sign(
        &self,
        host: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        unix_seconds: u64,
    ) -> Result<Vec<(HeaderName, HeaderValue)>, Error> {
        self.sign_for(ECS_SERVICE, host, headers, body, unix_seconds)
    }

    /// [`Signer::sign`] for the service whose signing name is `service` (`logs`, `ecs`, …).
    pub fn sign_for(
        &self,
        service: &str,
        host: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        unix_seconds: u64,
    ) -> Result<Vec<(HeaderName, HeaderValue)>, Error> {
        let identity = self.credentials.clone().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(service)
            .time(UNIX_EPOCH + Duration::from_secs(unix_seconds))
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| Error::Sign(format!("signing parameters: {e}")))?
            .into();
        let uri = format!("http://{host}/");
        let signable = SignableRequest::new(
            "POST",
            uri,
            headers.iter().copied(),
            SignableBody::Bytes(body),
        )
        .map_err(|e| Error::Sign(format!("preparing the request: {e}")))?;
        let (instructions, _signature) = sign(signable, &params)
            .map_err(|e| Error::Sign(format!("signing: {e}")))?
            .into_parts();
        instructions
            .headers()
            .map(|(name, value)| {
                Ok((
                    HeaderName::from_bytes(name.as_bytes())
                        .map_err(|e| Error::Sign(format!("header name {name:?}: {e}")))?,
                    HeaderValue::from_str(value)
                        .map_err(|e| Error::Sign(format!("header {name}: {e}")))?,
                ))
            })
            .collect()
    }
}

/// Whole seconds since the epoch: SigV4 timestamps have one-second resolution.
pub fn now_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn authorization(signed: &[(HeaderName, HeaderValue)]) -> String {
        signed
            .iter()
            .find(|(n, _)| n == "authorization")
            .and_then(|(_, v)| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    #[test]
    fn the_credential_scope_names_the_service_signed_for() {
        let signer = Signer::new("AKID", "secret", "eu-west-1");
        let headers = [("host", "h:1"), ("x-amz-target", "T")];
        let at = 1_700_000_000;
        let ecs = authorization(&signer.sign("h:1", &headers, b"{}", at).expect("signed"));
        assert!(
            ecs.contains("/eu-west-1/ecs/aws4_request"),
            "ECS calls keep their scope: {ecs}"
        );
        let logs = signer
            .sign_for("logs", "h:1", &headers, b"{}", at)
            .expect("signed");
        let logs = authorization(&logs);
        assert!(logs.contains("/eu-west-1/logs/aws4_request"), "{logs}");
        assert_ne!(ecs, logs);
    }
}
