//! What the Parameter Store keeps: one record per parameter with all its versions (at most
//! 100), keyed `<account>:<name>` (a name cannot hold `:`), so a path is a key prefix.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::state::State;

pub fn param_key(account: &str, name: &str) -> String {
    format!("{account}:{name}")
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParamRec {
    pub account: String,
    pub name: String,
    pub arn: String,
    /// Oldest first; the last is the current version.
    pub versions: Vec<VersionRec>,
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub tag_order: Vec<String>,
}
berth_commit::record!(State: ParamRec, "ssm/parameter", params, |r| param_key(
    &r.account, &r.name
));

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionRec {
    pub version: i64,
    /// `String`, `StringList` or `SecureString`.
    pub kind: String,
    /// The value as given, except for a SecureString: sealed ([`VersionRec::context`]).
    pub value: String,
    pub description: Option<String>,
    pub allowed_pattern: Option<String>,
    pub key_id: Option<String>,
    pub tier: String,
    pub data_type: String,
    pub policies: Option<String>,
    pub labels: Vec<String>,
    pub modified: f64,
    pub modified_by: String,
}

impl VersionRec {
    /// What a SecureString's value is sealed against: the parameter's ARN and the version.
    pub fn context(arn: &str, version: i64) -> String {
        format!("{arn}\u{1}{version}")
    }

    pub fn is_secure(&self) -> bool {
        self.kind == "SecureString"
    }
}

impl ParamRec {
    pub fn current(&self) -> Option<&VersionRec> {
        self.versions.last()
    }
}
