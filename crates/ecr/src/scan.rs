//! Basic scanning: the background job that scans the images whose scan was asked for
//! (StartImageScan, or a push into a repository with `scanOnPush`), and the vulnerability
//! file it checks them against.
//!
//! A scan request is a [`ScanRec`] `IN_PROGRESS` on the image's record, written durably
//! before StartImageScan answers; the job wakes on it (and looks again every
//! [`SCAN_PERIOD`], so requests a restart interrupted are finished). For each image the job
//! reads the layers from the blob store into berth-ecr-scan, which does the rest without IO,
//! and writes the outcome back on the record — unless the image went, or was asked to be
//! scanned again, meanwhile.
//!
//! What a scan says it did is what it did:
//!
//! | outcome | status | description says |
//! | --- | --- | --- |
//! | packages checked against the file | `COMPLETE` (findings, counts, `vulnerabilitySourceUpdatedAt` = the file's mtime) | how many packages of which system, from which database, against how many entries |
//! | no `--vulnerability-file` | `COMPLETE`, no findings, no `vulnerabilitySourceUpdatedAt` | that packages were inventoried and **no vulnerabilities were checked** |
//! | the file cannot be read or is invalid | `FAILED` | why, and that nothing was checked |
//! | no dpkg/apk database, an image index or artifact, a zstd layer | `UNSUPPORTED_IMAGE` | what is missing |
//! | a layer cannot be read | `FAILED` | which layer and why |

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, UNIX_EPOCH};

use berth_ecr_model::shapes::{Attribute, FindingSeverity, ImageScanFinding};
use berth_ecr_scan::{check, Inventory, Rootfs, ScanError, Vulnerabilities};

use crate::blobs::Digest;
use crate::error::Result;
use crate::manifest;
use crate::records::{ImageRec, ScanRec};
use crate::Ecr;

/// How often the job looks for scans without being woken.
pub const SCAN_PERIOD: Duration = Duration::from_secs(30);
/// Scans one pass runs before it lets the job loop go round again.
const SCANS_PER_PASS: usize = 8;

pub const IN_PROGRESS: &str = "IN_PROGRESS";
pub const COMPLETE: &str = "COMPLETE";
pub const FAILED: &str = "FAILED";
pub const UNSUPPORTED: &str = "UNSUPPORTED_IMAGE";

const CONTAINER_CONFIGS: [&str; 2] = [
    "application/vnd.docker.container.image.v1+json",
    "application/vnd.oci.image.config.v1+json",
];

/// A vulnerability file Berth cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the vulnerability file {path} cannot be used: {detail}")]
pub struct SourceUnusable {
    pub path: String,
    pub detail: String,
}

/// The scanner's settings and its wake-up call.
#[derive(Default)]
pub(crate) struct Scanning {
    file: RwLock<Option<PathBuf>>,
    pub(crate) wake: Arc<tokio::sync::Notify>,
}

/// The vulnerability file as one pass reads it.
enum Source {
    None,
    Loaded {
        vulns: Vulnerabilities,
        updated_at: f64,
        path: String,
    },
    Unusable(SourceUnusable),
}

fn load(path: &Path) -> std::result::Result<(Vulnerabilities, f64), SourceUnusable> {
    let unusable = |detail: String| SourceUnusable {
        path: path.display().to_string(),
        detail,
    };
    let meta = std::fs::metadata(path).map_err(|e| unusable(e.to_string()))?;
    let updated_at = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0.0, |d| d.as_millis() as f64 / 1000.0);
    let bytes = std::fs::read(path).map_err(|e| unusable(e.to_string()))?;
    let vulns = Vulnerabilities::parse(&bytes).map_err(|e| unusable(e.to_string()))?;
    Ok((vulns, updated_at))
}

/// A scan asked for now.
pub(crate) fn requested(now: f64) -> ScanRec {
    ScanRec {
        status: IN_PROGRESS.into(),
        description: "The scan is in progress.".into(),
        started_at: now,
        completed_at: None,
        source_updated_at: None,
        findings: Vec::new(),
        counts: Default::default(),
    }
}

/// Why an image is not one a scan can look at, if it is not.
pub(crate) fn unscannable(media_type: &str, config_media_type: Option<&str>) -> Option<String> {
    if manifest::is_index(media_type) {
        return Some(
            "The image is an image index; Berth scans the images it lists, each by its own digest."
                .into(),
        );
    }
    match config_media_type {
        Some(c) if !CONTAINER_CONFIGS.contains(&c) => Some(format!(
            "The image is an artifact (config media type {c}), not a container image."
        )),
        _ => None,
    }
}

impl Ecr {
    /// Checks scans against the vulnerability file at `path` (read again at every scan, so
    /// an updated file counts from the next scan on). Refused if it cannot be read or parsed
    /// now.
    pub fn set_vulnerability_file(&self, path: &Path) -> std::result::Result<(), SourceUnusable> {
        load(path)?;
        *self
            .scanning
            .file
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Some(path.to_owned());
        Ok(())
    }

    fn source(&self) -> Source {
        let path = self
            .scanning
            .file
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        match path {
            None => Source::None,
            Some(p) => match load(&p) {
                Ok((vulns, updated_at)) => Source::Loaded {
                    vulns,
                    updated_at,
                    path: p.display().to_string(),
                },
                Err(e) => Source::Unusable(e),
            },
        }
    }

    /// Runs the scans asked for (a few per call); answers whether more are waiting.
    pub fn run_scans(&self) -> Result<bool> {
        let state = self.db.snapshot();
        let waiting: Vec<Arc<ImageRec>> = state
            .images
            .values()
            .filter(|i| i.scan.as_ref().is_some_and(|s| s.status == IN_PROGRESS))
            .cloned()
            .collect();
        if waiting.is_empty() {
            return Ok(false);
        }
        let source = self.source();
        for image in waiting.iter().take(SCANS_PER_PASS) {
            let started_at = image.scan.as_ref().map_or(0.0, |s| s.started_at);
            let outcome = self.scan(image, &source, started_at);
            tracing::info!(
                repository = %image.repo, digest = %image.digest, status = %outcome.status,
                "image scanned"
            );
            let key = crate::records::child_key(&image.account, &image.repo, &image.digest);
            self.db.write(|tx| {
                let Some(current) = tx.state.images.get(&key) else {
                    return Ok(());
                };
                let same_request = current
                    .scan
                    .as_ref()
                    .is_some_and(|s| s.status == IN_PROGRESS && s.started_at == started_at);
                if same_request {
                    let mut i = (**current).clone();
                    i.scan = Some(outcome.clone());
                    tx.put(i)?;
                }
                Ok(())
            })?;
        }
        Ok(waiting.len() > SCANS_PER_PASS)
    }

    /// Scans one image: its outcome, as the record keeps it.
    fn scan(&self, image: &ImageRec, source: &Source, started_at: f64) -> ScanRec {
        let done = |status: &str, description: String| ScanRec {
            status: status.into(),
            description,
            started_at,
            completed_at: Some(self.now()),
            ..requested(started_at)
        };
        if let Some(why) = unscannable(&image.media_type, image.config_media_type.as_deref()) {
            return done(UNSUPPORTED, format!("UnsupportedImageError: {why}"));
        }
        let inventory = match self.inventory(image) {
            Ok(Ok(inv)) => inv,
            Ok(Err(why)) => return done(UNSUPPORTED, format!("UnsupportedImageError: {why}")),
            Err(why) => return done(FAILED, format!("The scan failed: {why}")),
        };
        let what = describe(&inventory);
        match source {
            Source::None => done(
                COMPLETE,
                format!(
                    "The scan inventoried {what}, but no vulnerabilities were checked: Berth has no \
                     vulnerability file (start it with --vulnerability-file or \
                     BERTH_VULNERABILITY_FILE)."
                ),
            ),
            Source::Unusable(e) => done(
                FAILED,
                format!("The scan inventoried {what}, but no vulnerabilities were checked: {e}."),
            ),
            Source::Loaded {
                vulns,
                updated_at,
                path,
            } => {
                let report = check(&inventory, vulns);
                let mut description = format!(
                    "The scan was completed successfully: {what} checked against the \
                     vulnerability file {path} ({} {}).",
                    vulns.entries.len(),
                    if vulns.entries.len() == 1 { "entry" } else { "entries" }
                );
                if !report.undecided.is_empty() {
                    let list: Vec<String> = report
                        .undecided
                        .iter()
                        .take(5)
                        .map(|u| {
                            format!(
                                "{} {} {} (fixed in {})",
                                u.id, u.package, u.version, u.fixed_version
                            )
                        })
                        .collect();
                    description.push_str(&format!(
                        " {} checks could not be decided because a version is not one the \
                         package's manager can order: {}.",
                        report.undecided.len(),
                        list.join(", ")
                    ));
                }
                ScanRec {
                    source_updated_at: Some(*updated_at),
                    findings: report.findings.iter().map(finding).collect(),
                    counts: report
                        .counts
                        .iter()
                        .map(|(s, n)| (s.as_str().to_owned(), i32::try_from(*n).unwrap_or(i32::MAX)))
                        .collect(),
                    ..done(COMPLETE, description)
                }
            }
        }
    }

    /// The image's inventory (`Ok(Err)` when the image has nothing a scan reads), or why
    /// its layers could not be read.
    fn inventory(
        &self,
        image: &ImageRec,
    ) -> std::result::Result<std::result::Result<Inventory, String>, String> {
        let mut fs = Rootfs::new();
        // The record lists the config first, then the layers in order.
        for (n, digest) in image.blobs.iter().skip(1).enumerate() {
            let d = Digest::parse(digest).ok_or_else(|| format!("layer {n} has no digest"))?;
            let file = self
                .blobs
                .open_at(&d, 0)
                .map_err(|e| format!("layer {n} ({digest}) is not in the registry: {e}"))?;
            match fs.apply_layer(BufReader::new(file)) {
                Ok(()) => {}
                Err(e @ ScanError::UnsupportedLayer { .. }) => return Ok(Err(e.to_string())),
                Err(e) => return Err(e.to_string()),
            }
        }
        Ok(fs.inventory().map_err(|e| e.to_string()))
    }
}

/// `12 packages of debian:12 (from /var/lib/dpkg/status)`.
fn describe(inv: &Inventory) -> String {
    let system = inv.os.as_ref().map_or_else(
        || "an unknown system (no os-release)".to_owned(),
        |os| os.name(),
    );
    format!(
        "{} packages of {system} (from {})",
        inv.packages.len(),
        inv.databases.join(", ")
    )
}

/// A finding in ECR's shape: the vulnerability id as its name, the package in attributes.
fn finding(f: &berth_ecr_scan::Finding) -> ImageScanFinding {
    let attr = |key: &str, value: &str| Attribute {
        key: Some(key.into()),
        value: Some(value.into()),
    };
    let mut attributes = vec![
        attr("package_name", &f.package),
        attr("package_version", &f.version),
    ];
    if f.source != f.package {
        attributes.push(attr("source_package_name", &f.source));
    }
    if let Some(v) = &f.fixed_version {
        attributes.push(attr("fixed_in_version", v));
    }
    if let Some(s) = f.cvss3_score {
        attributes.push(attr("CVSS3_SCORE", &s.to_string()));
    }
    if let Some(v) = &f.cvss3_vector {
        attributes.push(attr("CVSS3_VECTOR", v));
    }
    ImageScanFinding {
        name: Some(f.id.clone()),
        description: f.description.clone(),
        uri: f.uri.clone(),
        severity: Some(FindingSeverity::parse(f.severity.as_str())),
        attributes: Some(attributes),
    }
}
