//! What IAM keeps: users, groups, roles, customer managed policies and server certificates
//! keyed `<account>/<name>`, access keys keyed by their id (global: the server finds a key by
//! its id alone). A key's secret and a server certificate's private key are only ever stored
//! sealed. AWS managed policies are not records: they are the
//! table in `aws_policies.rs`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::state::State;

pub fn user_key(account: &str, name: &str) -> String {
    format!("{account}/{name}")
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRec {
    pub account: String,
    pub name: String,
    pub path: String,
    /// `AIDA…`, never reused.
    pub id: String,
    pub arn: String,
    pub created: f64,
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub tag_order: Vec<String>,
    /// Inline policies: name → document, as given.
    #[serde(default)]
    pub policies: BTreeMap<String, String>,
    /// Managed policies attached, by ARN, in the order attached.
    #[serde(default)]
    pub attached: Vec<String>,
    /// The groups the user is in, by name, in the order added.
    #[serde(default)]
    pub groups: Vec<String>,
}
berth_commit::record!(State: UserRec, "iam/user", users, |r| user_key(&r.account, &r.name));

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyRec {
    /// `AKIA…`.
    pub id: String,
    pub account: String,
    pub user: String,
    /// The secret access key, sealed bound to the key id.
    pub sealed_secret: String,
    /// `Active` or `Inactive`.
    pub status: String,
    pub created: f64,
}
berth_commit::record!(State: KeyRec, "iam/access-key", keys, |r| r.id.clone());

/// A role: who may assume it (its trust policy) and what its sessions may do.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleRec {
    pub account: String,
    pub name: String,
    pub path: String,
    /// `AROA…`, never reused.
    pub id: String,
    pub arn: String,
    pub created: f64,
    /// The trust policy, as given.
    pub trust: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Longest session AssumeRole may give, in seconds (3600 to 43200).
    pub max_session: i32,
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub tag_order: Vec<String>,
    /// Inline policies: name → document, as given.
    #[serde(default)]
    pub policies: BTreeMap<String, String>,
    /// Managed policies attached, by ARN, in the order attached.
    #[serde(default)]
    pub attached: Vec<String>,
    /// When a session of the role last made a call (seconds), if one has.
    #[serde(default)]
    pub last_used: Option<f64>,
}
berth_commit::record!(State: RoleRec, "iam/role", roles, |r| user_key(&r.account, &r.name));

/// One version of a managed policy's document.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionRec {
    /// `v1`, `v2`, …
    pub id: String,
    pub document: String,
    pub created: f64,
}

/// A customer managed policy and its versions (at most five).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRec {
    pub account: String,
    pub name: String,
    pub path: String,
    /// `ANPA…`.
    pub id: String,
    pub arn: String,
    pub created: f64,
    pub updated: f64,
    #[serde(default)]
    pub description: Option<String>,
    pub default_version: String,
    pub versions: Vec<VersionRec>,
    /// The number the next version gets.
    pub next_version: u32,
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub tag_order: Vec<String>,
}
berth_commit::record!(State: PolicyRec, "iam/policy", policies, |r| user_key(&r.account, &r.name));

impl PolicyRec {
    /// The document of the default version.
    pub fn document(&self) -> &str {
        self.versions
            .iter()
            .find(|v| v.id == self.default_version)
            .map(|v| v.document.as_str())
            .unwrap_or_default()
    }
}

/// A group: policies its users have too.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupRec {
    pub account: String,
    pub name: String,
    pub path: String,
    /// `AGPA…`.
    pub id: String,
    pub arn: String,
    pub created: f64,
    #[serde(default)]
    pub policies: BTreeMap<String, String>,
    #[serde(default)]
    pub attached: Vec<String>,
    /// IAM groups have no tags; kept so a group holds policies as users and roles do.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub tag_order: Vec<String>,
}
berth_commit::record!(State: GroupRec, "iam/group", groups, |r| user_key(&r.account, &r.name));

/// A server certificate (for HTTPS listeners): the certificate and chain as uploaded, the
/// private key sealed bound to the certificate's id.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerCertRec {
    pub account: String,
    pub name: String,
    pub path: String,
    /// `ASCA…`, never reused.
    pub id: String,
    pub arn: String,
    pub uploaded: f64,
    /// The certificate's notAfter, in epoch seconds.
    pub expiration: f64,
    /// PEM, as uploaded.
    pub body: String,
    /// PEM, as uploaded.
    #[serde(default)]
    pub chain: Option<String>,
    pub sealed_key: String,
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub tag_order: Vec<String>,
}
berth_commit::record!(State: ServerCertRec, "iam/server-certificate", server_certs, |r| {
    user_key(&r.account, &r.name)
});
