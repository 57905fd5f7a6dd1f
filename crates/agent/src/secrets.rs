//! A container definition's `secrets`: each `valueFrom` (a Secrets Manager ARN with ECS's
//! `:json-key:version-stage:version-id` selectors, or a Parameter Store name or ARN) read by
//! the agent on the endpoint it already talks to, into the container's environment.
//! [`SecretValues`] is the IO; [`ApiSecrets`] the real one, [`fake::FakeSecrets`] for tests.

use std::time::Duration;

use berth_client::{Client, Endpoint, Error as ClientError};
use serde_json::{json, Value};

/// How long one call to the endpoint may take.
const CALL_DEADLINE: Duration = Duration::from_secs(10);

/// Where a secret's value comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretRef {
    /// A Secrets Manager secret (its ARN without the selectors), and what to take of it.
    Manager {
        secret_id: String,
        json_key: Option<String>,
        stage: Option<String>,
        version_id: Option<String>,
    },
    /// A Parameter Store parameter, by name or ARN.
    Parameter(String),
}

/// Reads a `valueFrom`.
pub fn parse(value_from: &str) -> Result<SecretRef, String> {
    if value_from.is_empty() {
        return Err("a secret's valueFrom is empty".into());
    }
    if !value_from.starts_with("arn:") {
        return Ok(SecretRef::Parameter(value_from.to_owned()));
    }
    let parts: Vec<&str> = value_from.split(':').collect();
    match parts.get(2) {
        Some(&"ssm") => Ok(SecretRef::Parameter(value_from.to_owned())),
        Some(&"secretsmanager") if parts.len() >= 7 && parts[5] == "secret" => {
            if parts.len() > 10 {
                return Err(format!(
                    "{value_from}: too many fields after the secret's name"
                ));
            }
            let field = |i: usize| {
                parts
                    .get(i)
                    .filter(|s| !s.is_empty())
                    .map(|s| s.to_string())
            };
            Ok(SecretRef::Manager {
                secret_id: parts[..7].join(":"),
                json_key: field(7),
                stage: field(8),
                version_id: field(9),
            })
        }
        _ => Err(format!(
            "{value_from} is neither a Secrets Manager secret nor a Systems Manager parameter"
        )),
    }
}

/// The value of `key` in a secret that holds a JSON object (a string as it is, anything
/// else as its JSON text).
pub fn json_key(secret: &str, key: &str, id: &str) -> Result<String, String> {
    let doc: Value = serde_json::from_str(secret)
        .map_err(|_| format!("the secret {id} is not JSON, so json key {key} cannot be read"))?;
    match doc.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Ok(other.to_string()),
        None => Err(format!(
            "retrieved secret from Secrets Manager did not contain json key {key}"
        )),
    }
}

#[async_trait::async_trait]
pub trait SecretValues: Send + Sync + 'static {
    /// The value `r` names, or why it cannot be had (ECS's words after
    /// "execution resource retrieval failed: ").
    async fn value(&self, r: &SecretRef) -> Result<String, String>;

    /// The same source, reading as the role whose credentials these are (a task's
    /// execution role).
    fn as_role(&self, creds: &crate::task_roles::Issued) -> std::sync::Arc<dyn SecretValues>;
}

/// Secrets Manager and Parameter Store on Berth's endpoint, called with the agent's key.
pub struct ApiSecrets {
    endpoint: Endpoint,
    client: tokio::sync::Mutex<Client>,
}

impl ApiSecrets {
    pub fn new(endpoint: Endpoint) -> Self {
        ApiSecrets {
            client: tokio::sync::Mutex::new(Client::new(endpoint.clone())),
            endpoint,
        }
    }

    async fn call(&self, service: &str, target: &str, body: &Value) -> Result<Value, String> {
        let mut client = self.client.lock().await;
        client
            .call_service_within(CALL_DEADLINE, service, target, body)
            .await
            .map_err(|e| match e {
                ClientError::Api(a) => format!("{}: {}", a.code, a.message),
                other => other.to_string(),
            })
    }
}

#[async_trait::async_trait]
impl SecretValues for ApiSecrets {
    fn as_role(&self, creds: &crate::task_roles::Issued) -> std::sync::Arc<dyn SecretValues> {
        std::sync::Arc::new(ApiSecrets::new(self.endpoint.with_session(
            &creds.access_key_id,
            &creds.secret_access_key,
            &creds.session_token,
        )))
    }

    async fn value(&self, r: &SecretRef) -> Result<String, String> {
        match r {
            SecretRef::Manager {
                secret_id,
                json_key: key,
                stage,
                version_id,
            } => {
                let mut body = json!({ "SecretId": secret_id });
                if let Some(s) = stage {
                    body["VersionStage"] = json!(s);
                }
                if let Some(v) = version_id {
                    body["VersionId"] = json!(v);
                }
                let out = self
                    .call("secretsmanager", "secretsmanager.GetSecretValue", &body)
                    .await
                    .map_err(|e| {
                        format!(
                            "unable to retrieve secret from asm: failed to fetch secret {secret_id} from secrets manager: {e}"
                        )
                    })?;
                let text = out["SecretString"].as_str().ok_or_else(|| {
                    format!("the secret {secret_id} holds binary data, which an environment variable cannot")
                })?;
                match key {
                    Some(k) => json_key(text, k, secret_id),
                    None => Ok(text.to_owned()),
                }
            }
            SecretRef::Parameter(name) => {
                let body = json!({ "Names": [name], "WithDecryption": true });
                let out = self
                    .call("ssm", "AmazonSSM.GetParameters", &body)
                    .await
                    .map_err(|e| format!("unable to retrieve secrets from ssm: {e}"))?;
                out["Parameters"][0]["Value"]
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        format!("unable to retrieve secrets from ssm: invalid parameters: {name}")
                    })
            }
        }
    }
}

pub mod fake {
    //! Secrets from a map, for tests.

    use std::collections::HashMap;

    use super::{json_key, SecretRef, SecretValues};

    #[derive(Clone, Default)]
    pub struct FakeSecrets {
        /// Secret ARN or parameter name → value.
        pub values: HashMap<String, String>,
        /// The role read as, if any.
        pub role: Option<String>,
    }

    impl FakeSecrets {
        pub fn with(pairs: &[(&str, &str)]) -> Self {
            FakeSecrets {
                values: pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                role: None,
            }
        }
    }

    #[async_trait::async_trait]
    impl SecretValues for FakeSecrets {
        fn as_role(&self, creds: &crate::task_roles::Issued) -> std::sync::Arc<dyn SecretValues> {
            std::sync::Arc::new(FakeSecrets {
                role: Some(creds.role_arn.clone()),
                ..self.clone()
            })
        }

        async fn value(&self, r: &SecretRef) -> Result<String, String> {
            match r {
                SecretRef::Manager {
                    secret_id,
                    json_key: key,
                    ..
                } => {
                    let v = self.values.get(secret_id).ok_or_else(|| {
                        format!("unable to retrieve secret from asm: failed to fetch secret {secret_id} from secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret.")
                    })?;
                    match key {
                        Some(k) => json_key(v, k, secret_id),
                        None => Ok(v.clone()),
                    }
                }
                SecretRef::Parameter(name) => self.values.get(name).cloned().ok_or_else(|| {
                    format!("unable to retrieve secrets from ssm: invalid parameters: {name}")
                }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_from_names_a_secret_or_a_parameter() {
        let arn = "arn:aws:secretsmanager:us-east-1:000000000000:secret:db-AbCdEf";
        assert_eq!(
            parse(arn),
            Ok(SecretRef::Manager {
                secret_id: arn.into(),
                json_key: None,
                stage: None,
                version_id: None
            })
        );
        assert_eq!(
            parse(&format!("{arn}:password:AWSPREVIOUS:")),
            Ok(SecretRef::Manager {
                secret_id: arn.into(),
                json_key: Some("password".into()),
                stage: Some("AWSPREVIOUS".into()),
                version_id: None
            })
        );
        assert_eq!(
            parse(&format!("{arn}::::")),
            Err(format!(
                "{arn}::::: too many fields after the secret's name"
            ))
        );
        assert_eq!(parse("/app/db"), Ok(SecretRef::Parameter("/app/db".into())));
        let p = "arn:aws:ssm:us-east-1:000000000000:parameter/app/db";
        assert_eq!(parse(p), Ok(SecretRef::Parameter(p.into())));
        assert!(parse("arn:aws:s3:::bucket/key").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn json_keys_are_read_from_json_secrets() {
        let s = r#"{"user":"app","port":5432}"#;
        assert_eq!(json_key(s, "user", "x"), Ok("app".into()));
        assert_eq!(json_key(s, "port", "x"), Ok("5432".into()));
        assert!(json_key(s, "nope", "x").is_err());
        assert!(json_key("plain", "user", "x").is_err());
    }
}
