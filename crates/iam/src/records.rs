//! What IAM keeps: users keyed `<account>/<name>`, access keys keyed by their id (global:
//! the server finds a key by its id alone). A key's secret is only ever stored sealed.

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
