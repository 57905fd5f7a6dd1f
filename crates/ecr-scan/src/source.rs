//! The vulnerability file an operator supplies: what Berth checks packages against, since
//! nothing can be downloaded on an isolated network.
//!
//! ```json
//! {"vulnerabilities": [
//!   {"id": "CVE-2023-5678", "package": "openssl", "os": "debian:12",
//!    "fixedVersion": "3.0.11-1~deb12u2", "severity": "HIGH",
//!    "description": "Excessive time spent in DH checks", "uri": "https://…",
//!    "cvss3Score": 5.3, "cvss3Vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L"}
//! ]}
//! ```
//!
//! | member | required | meaning |
//! | --- | --- | --- |
//! | `id` | yes | the finding's name (a CVE id, an advisory id) |
//! | `package` | yes | a binary package name or a source package name; either matches |
//! | `os` | no | `ID` or `ID:VERSION` of os-release (`debian:12`, `alpine:3.19`): only images of that system match; absent, any system (and images without os-release) |
//! | `fixedVersion` | no | the first version without the flaw: a package is affected when its version orders below it (dpkg's ordering for dpkg packages, apk's for apk packages); absent, every version is affected |
//! | `severity` | no | `CRITICAL`, `HIGH`, `MEDIUM`, `LOW`, `INFORMATIONAL` or `UNDEFINED` (the default), any case |
//! | `description`, `uri` | no | copied into the finding |
//! | `cvss3Score`, `cvss3Vector` | no | copied into the finding's attributes |
//!
//! Unknown members are refused, so that a misspelt `fixedVersion` cannot turn into "every
//! version is affected" unnoticed.

use serde::Deserialize;

use crate::error::SourceError;
use crate::severity::Severity;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Vulnerability {
    pub id: String,
    pub package: String,
    #[serde(default)]
    pub os: Option<String>,
    #[serde(default)]
    pub fixed_version: Option<String>,
    #[serde(default = "undefined")]
    pub severity: Severity,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub uri: Option<String>,
    #[serde(default)]
    pub cvss3_score: Option<f64>,
    #[serde(default)]
    pub cvss3_vector: Option<String>,
}

fn undefined() -> Severity {
    Severity::Undefined
}

/// A parsed vulnerability file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Vulnerabilities {
    pub entries: Vec<Vulnerability>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    vulnerabilities: Vec<serde_json::Value>,
}

impl Vulnerabilities {
    /// Parses and checks a vulnerability file; the error names the first bad entry.
    pub fn parse(text: &[u8]) -> Result<Vulnerabilities, SourceError> {
        let file: File =
            serde_json::from_slice(text).map_err(|e| SourceError::Json(e.to_string()))?;
        let mut entries = Vec::with_capacity(file.vulnerabilities.len());
        for (index, value) in file.vulnerabilities.into_iter().enumerate() {
            let id = value
                .get("id")
                .and_then(|v| v.as_str())
                .unwrap_or("no id")
                .to_owned();
            let entry_error = |detail: String| SourceError::Entry {
                index,
                id: id.clone(),
                detail,
            };
            let v: Vulnerability =
                serde_json::from_value(value).map_err(|e| entry_error(e.to_string()))?;
            if v.id.trim().is_empty() || v.package.trim().is_empty() {
                return Err(entry_error("id and package must not be empty".into()));
            }
            if v.os.as_deref().is_some_and(|o| o.trim().is_empty()) {
                return Err(entry_error("os must be ID or ID:VERSION, not empty".into()));
            }
            if v.fixed_version
                .as_deref()
                .is_some_and(|f| f.trim().is_empty())
            {
                return Err(entry_error(
                    "fixedVersion must not be empty (leave it out when no version is fixed)".into(),
                ));
            }
            entries.push(v);
        }
        Ok(Vulnerabilities { entries })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_parsed_with_defaults() {
        let v = Vulnerabilities::parse(
            br#"{"vulnerabilities":[{"id":"CVE-1","package":"openssl","severity":"high","cvss3Score":7.5},{"id":"CVE-2","package":"zlib"}]}"#,
        )
        .expect("test data");
        assert_eq!(v.entries.len(), 2);
        assert_eq!(v.entries[0].severity, Severity::High);
        assert_eq!(v.entries[0].cvss3_score, Some(7.5));
        assert_eq!(v.entries[1].severity, Severity::Undefined);
        assert_eq!(v.entries[1].fixed_version, None);
    }

    #[test]
    fn bad_entries_are_refused_by_position() {
        for (text, want) in [
            (
                r#"{"vulnerabilities":[{"id":"CVE-1","package":"a","fixed_version":"1"}]}"#,
                "vulnerabilities[0] (CVE-1): unknown field `fixed_version`",
            ),
            (
                r#"{"vulnerabilities":[{"id":"CVE-1","package":"a"},{"id":"CVE-2","package":"b","severity":"SEVERE"}]}"#,
                "vulnerabilities[1] (CVE-2): severity 'SEVERE'",
            ),
            (
                r#"{"vulnerabilities":[{"package":"a"}]}"#,
                "vulnerabilities[0] (no id): missing field `id`",
            ),
            (
                r#"{"vulnerabilities":[{"id":"CVE-1","package":"a","fixedVersion":""}]}"#,
                "fixedVersion must not be empty",
            ),
        ] {
            let e = Vulnerabilities::parse(text.as_bytes())
                .expect_err("refused")
                .to_string();
            assert!(e.contains(want), "{e}");
        }
        assert!(matches!(
            Vulnerabilities::parse(b"[]"),
            Err(SourceError::Json(_))
        ));
    }
}
