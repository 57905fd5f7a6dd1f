//! What Secrets Manager keeps in the record table. Keys start with the account, so accounts
//! never meet: `<account>/<name>` for a secret, `<account>/<name>\u{1}<version id>` for its
//! versions (a name cannot hold `\u{1}`). A version's value is only ever stored sealed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::state::State;

pub fn secret_key(account: &str, name: &str) -> String {
    format!("{account}/{name}")
}

pub fn version_key(account: &str, name: &str, version: &str) -> String {
    format!("{account}/{name}\u{1}{version}")
}

pub fn versions_prefix(account: &str, name: &str) -> String {
    format!("{account}/{name}\u{1}")
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretRec {
    pub account: String,
    pub name: String,
    pub arn: String,
    pub description: Option<String>,
    pub kms_key_id: Option<String>,
    pub created: f64,
    pub last_changed: f64,
    /// The day (midnight UTC, epoch seconds) of the last GetSecretValue.
    pub last_accessed: Option<f64>,
    /// When DeleteSecret was called; the secret goes at `deletion_date`.
    pub deleted: Option<f64>,
    pub deletion_date: Option<f64>,
    pub tags: BTreeMap<String, String>,
    /// The order tags were given in (AWS answers them so).
    #[serde(default)]
    pub tag_order: Vec<String>,
    pub policy: Option<String>,
}
berth_commit::record!(State: SecretRec, "secretsmanager/secret", secrets, |r| secret_key(
    &r.account, &r.name
));

/// What a version holds, sealed: a SecretString or the bytes of a SecretBinary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ValueKind {
    String,
    Binary,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionRec {
    pub account: String,
    pub name: String,
    pub id: String,
    pub stages: Vec<String>,
    pub created: f64,
    pub last_accessed: Option<f64>,
    pub kind: ValueKind,
    /// The value sealed with the key ring, bound to [`VersionRec::context`]. (No digest of
    /// it is kept: one would let a copy of the database test guesses of a weak password.)
    pub sealed: String,
}
berth_commit::record!(State: VersionRec, "secretsmanager/version", versions, |r| version_key(
    &r.account, &r.name, &r.id
));

impl VersionRec {
    /// What a version's value is sealed against: its secret's ARN and its id.
    pub fn context(arn: &str, id: &str) -> String {
        format!("{arn}\u{1}{id}")
    }
}
