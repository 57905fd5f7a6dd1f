//! Credentials for Berth's registry, obtained by the agent itself as ECS's agent does (with
//! GetAuthorizationToken on the endpoint it already talks to), so agent hosts need no
//! `docker login`. [`RegistryCredentials`] is the IO; [`EcrCredentials`] the real one.

use std::time::Duration;

use base64::Engine as _;
use berth_client::{Client, Endpoint, Error as ClientError};
use serde_json::{json, Value};

use crate::image_ref::url_host;

/// How long one call to the endpoint may take.
const CALL_DEADLINE: Duration = Duration::from_secs(10);

/// A registry login, as GetAuthorizationToken answers it.
#[derive(Clone, Debug, PartialEq)]
pub struct RegistryToken {
    pub username: String,
    pub password: String,
    /// The registry's host and port (from `proxyEndpoint`).
    pub proxy_host: String,
    /// Seconds since the epoch.
    pub expires_at: f64,
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum AuthError {
    /// The endpoint does not serve ECR (a control plane older than the agent).
    #[error("the endpoint does not serve ECR")]
    Unserved,
    /// ECR refused the call (AccessDenied, …).
    #[error("{code}: {message}")]
    Refused { code: String, message: String },
    /// No usable answer.
    #[error("{0}")]
    Unavailable(String),
}

#[async_trait::async_trait]
pub trait RegistryCredentials: Send + Sync + 'static {
    /// A fresh registry login for the agent's own account.
    async fn token(&self) -> Result<RegistryToken, AuthError>;
    /// The agent's own registry id (its account).
    async fn registry_id(&self) -> Result<String, AuthError>;
}

/// ECR on Berth's endpoint, called with the agent's own key.
pub struct EcrCredentials {
    client: tokio::sync::Mutex<Client>,
}

impl EcrCredentials {
    pub fn new(endpoint: Endpoint) -> Self {
        EcrCredentials {
            client: tokio::sync::Mutex::new(Client::new(endpoint)),
        }
    }

    async fn call(&self, op: &str) -> Result<Value, AuthError> {
        let mut client = self.client.lock().await;
        client
            .ecr_within(CALL_DEADLINE, op, &json!({}))
            .await
            .map_err(|e| match e {
                ClientError::Api(a)
                    if a.code == "UnknownOperationException" || a.code == "UnknownService" =>
                {
                    AuthError::Unserved
                }
                ClientError::Api(a) if a.status < 500 => AuthError::Refused {
                    code: a.code,
                    message: a.message,
                },
                other => AuthError::Unavailable(other.to_string()),
            })
    }
}

#[async_trait::async_trait]
impl RegistryCredentials for EcrCredentials {
    async fn token(&self) -> Result<RegistryToken, AuthError> {
        parse_token(&self.call("GetAuthorizationToken").await?)
    }

    async fn registry_id(&self) -> Result<String, AuthError> {
        let answer = self.call("DescribeRegistry").await?;
        answer["registryId"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| AuthError::Unavailable("DescribeRegistry named no registryId".into()))
    }
}

/// The login in a GetAuthorizationToken answer.
pub fn parse_token(answer: &Value) -> Result<RegistryToken, AuthError> {
    let bad = |what: &str| AuthError::Unavailable(format!("GetAuthorizationToken: {what}"));
    let data = &answer["authorizationData"][0];
    let encoded = data["authorizationToken"]
        .as_str()
        .ok_or_else(|| bad("no authorizationToken"))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| bad("the token is not base64"))?;
    let text = String::from_utf8(decoded).map_err(|_| bad("the token is not text"))?;
    let (username, password) = text
        .split_once(':')
        .ok_or_else(|| bad("the token is not user:password"))?;
    let proxy = data["proxyEndpoint"]
        .as_str()
        .ok_or_else(|| bad("no proxyEndpoint"))?;
    Ok(RegistryToken {
        username: username.to_owned(),
        password: password.to_owned(),
        proxy_host: url_host(proxy).to_owned(),
        expires_at: data["expiresAt"].as_f64().unwrap_or(0.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_read_from_the_answer() {
        let token = base64::engine::general_purpose::STANDARD.encode("AWS:pay.sig");
        let answer = json!({"authorizationData": [{
            "authorizationToken": token,
            "expiresAt": 1_700_000_000.0,
            "proxyEndpoint": "http://127.0.0.1:5454",
        }]});
        assert_eq!(
            parse_token(&answer),
            Ok(RegistryToken {
                username: "AWS".into(),
                password: "pay.sig".into(),
                proxy_host: "127.0.0.1:5454".into(),
                expires_at: 1_700_000_000.0,
            })
        );
        assert!(parse_token(&json!({})).is_err());
        let garbled = json!({"authorizationData": [{"authorizationToken": "%%%"}]});
        assert!(parse_token(&garbled).is_err());
    }
}
