//! Temporary credentials that need no table: the session token is the session itself
//! (who, which role, until when, its policies and the secret), sealed with Berth's key ring
//! bound to the access key id. Any replica holding the ring opens it; a restart loses none;
//! it cannot be altered or moved to another key id. Expired tokens still open, so the
//! server can say they expired.

use std::sync::Arc;

use berth_aws::identity::{Identity, Session};
use berth_sealing::KeyRing;
use serde::{Deserialize, Serialize};

/// The access key ids of temporary credentials start so, as AWS's do.
pub const TEMPORARY_KEY_PREFIX: &str = "ASIA";

#[derive(Serialize, Deserialize)]
struct Sealed {
    secret: String,
    account: String,
    principal: String,
    principal_id: String,
    #[serde(default)]
    role: Option<String>,
    issued: u64,
    expires: u64,
    #[serde(default)]
    policies: Vec<String>,
    #[serde(default)]
    policy_arns: Vec<String>,
    #[serde(default)]
    tags: Vec<(String, String)>,
    #[serde(default)]
    restricted: bool,
}

fn context(access_key_id: &str) -> String {
    format!("sts-session:{access_key_id}")
}

/// The token of a session for `identity` (whose `session` must be set).
pub(crate) fn mint(
    ring: &KeyRing,
    access_key_id: &str,
    identity: &Identity,
) -> Result<String, String> {
    let s = identity.session.clone().unwrap_or_default();
    let sealed = Sealed {
        secret: identity.secret_access_key.clone(),
        account: identity.account.clone(),
        principal: identity.principal.clone(),
        principal_id: identity.principal_id.clone(),
        role: s.role_arn.clone(),
        issued: s.issued,
        expires: s.expires,
        policies: s.policies.clone(),
        policy_arns: s.policy_arns.clone(),
        tags: s.tags.clone(),
        restricted: s.restricted,
    };
    let json = serde_json::to_vec(&sealed).map_err(|e| e.to_string())?;
    ring.seal(&json, &context(access_key_id))
        .map_err(|e| e.to_string())
}

/// The session `token` carries, if it is one Berth made for `access_key_id`.
pub fn open(ring: &KeyRing, access_key_id: &str, token: &str) -> Option<Identity> {
    if !access_key_id.starts_with(TEMPORARY_KEY_PREFIX) {
        return None;
    }
    let plain = ring.open(token, &context(access_key_id)).ok()?;
    let s: Sealed = serde_json::from_slice(&plain).ok()?;
    Some(Identity {
        secret_access_key: s.secret,
        account: s.account,
        principal: s.principal,
        principal_id: s.principal_id,
        active: true,
        session: Some(Arc::new(Session {
            role_arn: s.role,
            issued: s.issued,
            expires: s.expires,
            policies: s.policies,
            policy_arns: s.policy_arns,
            tags: s.tags,
            restricted: s.restricted,
        })),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> Identity {
        Identity {
            secret_access_key: "s3cret".into(),
            account: "123456789012".into(),
            principal: "arn:aws:sts::123456789012:assumed-role/app/t1".into(),
            principal_id: "AROAEXAMPLE:t1".into(),
            active: true,
            session: Some(Arc::new(Session {
                role_arn: Some("arn:aws:iam::123456789012:role/app".into()),
                issued: 10,
                expires: 3610,
                tags: vec![("team".into(), "web".into())],
                ..Session::default()
            })),
        }
    }

    #[test]
    fn a_token_opens_only_for_its_own_key() {
        let dir = tempfile::tempdir().expect("dir");
        let ring = KeyRing::load_or_create(&dir.path().join("keys")).expect("ring");
        let token = mint(&ring, "ASIAONE", &identity()).expect("mint");
        assert_eq!(open(&ring, "ASIAONE", &token), Some(identity()));
        assert_eq!(open(&ring, "ASIATWO", &token), None, "moved to another key");
        assert_eq!(open(&ring, "AKIAONE", &token), None, "not a temporary key");
        let mut bent = token.clone();
        bent.pop();
        bent.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(open(&ring, "ASIAONE", &bent), None, "altered");
        assert!(!token.contains("s3cret"));
    }
}
