//! An inventory checked against a vulnerability file: the findings, most severe first, and
//! how many there are of each severity.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashSet};

use crate::inventory::Inventory;
use crate::severity::Severity;
use crate::source::{Vulnerabilities, Vulnerability};

/// One vulnerability in one installed package.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The vulnerability's `id`.
    pub id: String,
    pub severity: Severity,
    pub description: Option<String>,
    pub uri: Option<String>,
    pub package: String,
    pub version: String,
    pub source: String,
    pub fixed_version: Option<String>,
    pub cvss3_score: Option<f64>,
    pub cvss3_vector: Option<String>,
}

/// A package and a vulnerability whose fixed version could not be compared with the
/// package's (not a version of the package's scheme): neither affected nor clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undecided {
    pub id: String,
    pub package: String,
    pub version: String,
    pub fixed_version: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    /// How many findings of each severity (severities without any are absent, as in ECR).
    pub counts: BTreeMap<Severity, u32>,
    pub undecided: Vec<Undecided>,
}

/// Whether `v` names `package` (by its name or its source) on the inventory's system.
fn concerns(v: &Vulnerability, inv: &Inventory, name: &str, source: &str) -> bool {
    (v.package == name || v.package == source)
        && v.os
            .as_deref()
            .is_none_or(|spec| inv.os.as_ref().is_some_and(|os| os.matches(spec)))
}

/// Checks every package of `inv` against every vulnerability of `vulns`. A package is
/// affected when its version orders below the vulnerability's `fixedVersion`, or always
/// when there is none. One finding per vulnerability id and package.
pub fn check(inv: &Inventory, vulns: &Vulnerabilities) -> Report {
    let mut report = Report::default();
    let mut seen = HashSet::new();
    for p in &inv.packages {
        for v in &vulns.entries {
            if !concerns(v, inv, &p.name, &p.source) || seen.contains(&(&v.id, &p.name)) {
                continue;
            }
            let affected = match &v.fixed_version {
                None => true,
                Some(fixed) => match p.scheme.compare(&p.version, fixed) {
                    Some(o) => o == Ordering::Less,
                    None => {
                        report.undecided.push(Undecided {
                            id: v.id.clone(),
                            package: p.name.clone(),
                            version: p.version.clone(),
                            fixed_version: fixed.clone(),
                        });
                        continue;
                    }
                },
            };
            if !affected {
                continue;
            }
            seen.insert((&v.id, &p.name));
            report.findings.push(Finding {
                id: v.id.clone(),
                severity: v.severity,
                description: v.description.clone(),
                uri: v.uri.clone(),
                package: p.name.clone(),
                version: p.version.clone(),
                source: p.source.clone(),
                fixed_version: v.fixed_version.clone(),
                cvss3_score: v.cvss3_score,
                cvss3_vector: v.cvss3_vector.clone(),
            });
        }
    }
    report
        .findings
        .sort_by(|a, b| (a.severity, &a.id, &a.package).cmp(&(b.severity, &b.id, &b.package)));
    for f in &report.findings {
        *report.counts.entry(f.severity).or_default() += 1;
    }
    report
}
