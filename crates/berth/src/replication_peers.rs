//! The Berth endpoints of other regions ECR replicates into (`--replication-peer
//! REGION=URL`), called through their ECR API with berth-client: what berth-ecr's
//! [`Peers`] asks for.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine as _;
use berth_client::{Client, Endpoint, Error as ClientError};
use berth_ecr::peers::{PeerLogin, Peers};
use serde_json::json;

const CALL_DEADLINE: Duration = Duration::from_secs(10);

pub struct BerthPeers {
    endpoints: HashMap<String, Endpoint>,
}

impl BerthPeers {
    /// `peers` as (region, URL); `key`/`secret` sign the calls.
    pub fn new(peers: &[(String, String)], key: &str, secret: &str) -> anyhow::Result<Self> {
        let mut endpoints = HashMap::new();
        for (region, url) in peers {
            let endpoint = Endpoint::new(url, key, secret, region)
                .map_err(|e| anyhow::anyhow!("replication peer {region}={url}: {e}"))?;
            endpoints.insert(region.clone(), endpoint);
        }
        Ok(BerthPeers { endpoints })
    }

    async fn call(
        &self,
        region: &str,
        op: &str,
        body: serde_json::Value,
    ) -> Result<serde_json::Value, ClientError> {
        let endpoint = self.endpoints.get(region).cloned().ok_or_else(|| {
            ClientError::Transport(format!("no replication peer serves {region}"))
        })?;
        Client::new(endpoint)
            .ecr_within(CALL_DEADLINE, op, &body)
            .await
    }
}

/// `REGION=URL` as (region, URL).
pub fn parse_peer(text: &str) -> anyhow::Result<(String, String)> {
    let (region, url) = text
        .split_once('=')
        .filter(|(r, u)| !r.is_empty() && u.starts_with("http://"))
        .ok_or_else(|| {
            anyhow::anyhow!("--replication-peer takes REGION=http://host:port, not {text:?}")
        })?;
    Ok((region.to_owned(), url.trim_end_matches('/').to_owned()))
}

#[async_trait::async_trait]
impl Peers for BerthPeers {
    fn serves(&self, region: &str) -> bool {
        self.endpoints.contains_key(region)
    }

    async fn login(&self, region: &str) -> Result<PeerLogin, String> {
        let answer = self
            .call(region, "GetAuthorizationToken", json!({}))
            .await
            .map_err(|e| format!("logging in to the peer of {region}: {e}"))?;
        let data = &answer["authorizationData"][0];
        let token = data["authorizationToken"].as_str().unwrap_or_default();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(token)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| format!("the peer of {region} answered an unreadable token"))?;
        let (_, password) = decoded
            .split_once(':')
            .ok_or_else(|| format!("the peer of {region} answered an unreadable token"))?;
        Ok(PeerLogin {
            registry_url: data["proxyEndpoint"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            password: password.to_owned(),
        })
    }

    async fn create_repository(
        &self,
        region: &str,
        registry: &str,
        name: &str,
    ) -> Result<(), String> {
        let body = json!({"repositoryName": name, "registryId": registry});
        match self.call(region, "CreateRepository", body).await {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("RepositoryAlreadyExistsException") => Ok(()),
            Err(e) => Err(format!(
                "creating {name} in {registry} on the peer of {region}: {e}"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_are_region_and_url() {
        let (r, u) = parse_peer("eu-west-1=http://10.0.0.2:5454/").expect("peer");
        assert_eq!(
            (r.as_str(), u.as_str()),
            ("eu-west-1", "http://10.0.0.2:5454")
        );
        assert!(parse_peer("eu-west-1").is_err());
        assert!(parse_peer("=http://x").is_err());
        assert!(parse_peer("eu-west-1=ftp://x").is_err());
    }
}
