//! Amazon ECR **basic scanning** as Berth does it on an isolated network: nothing can be
//! downloaded, so a scan inventories the OS packages an image's package databases list and
//! checks them against a **vulnerability file the operator supplies** — with no IO and no
//! clock: the caller hands in the layers as readers and the file's bytes.
//!
//! 1. [`Rootfs`] applies the image's layers in order (gzip or plain tar streams, with their
//!    `.wh.` and `.wh..wh..opq` whiteouts), keeping only symbolic links, `os-release`
//!    files and package databases; `etc/os-release` (else `usr/lib/os-release`),
//!    `var/lib/dpkg/status`, `var/lib/dpkg/status.d/*` and `lib/apk/db/installed` are
//!    then read through the links.
//! 2. [`Rootfs::inventory`] reads them into an [`Inventory`]: the [`Os`] (`ID`,
//!    `VERSION_ID`) and every installed [`Package`] (name, version, source package,
//!    architecture, and whose version ordering applies). No database at all is
//!    [`NoPackageDatabase`]: ECR's `UNSUPPORTED_IMAGE`.
//! 3. [`Vulnerabilities::parse`] reads the operator's file (its format is in [`source`]);
//!    [`check`] matches the two and answers a [`Report`]: [`Finding`]s most severe first and
//!    the count of each [`Severity`].
//!
//! ```
//! use berth_ecr_scan::{check, Rootfs, Severity, Vulnerabilities};
//!
//! // A one-layer image: an uncompressed tar with a dpkg database and os-release.
//! fn layer(files: &[(&str, &str)]) -> Vec<u8> {
//!     let mut b = tar::Builder::new(Vec::new());
//!     for (path, text) in files {
//!         let mut h = tar::Header::new_gnu();
//!         h.set_size(text.len() as u64);
//!         h.set_mode(0o644);
//!         h.set_cksum();
//!         b.append_data(&mut h, path, text.as_bytes()).unwrap();
//!     }
//!     b.into_inner().unwrap()
//! }
//! let mut fs = Rootfs::new();
//! fs.apply_layer(&layer(&[
//!     ("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n"),
//!     ("var/lib/dpkg/status", "Package: libssl3\nStatus: install ok installed\n\
//!       Source: openssl\nVersion: 3.0.11-1~deb12u1\nArchitecture: amd64\n"),
//! ])[..]).unwrap();
//! let inventory = fs.inventory().unwrap();
//! assert_eq!(inventory.os.as_ref().unwrap().name(), "debian:12");
//!
//! let vulns = Vulnerabilities::parse(br#"{"vulnerabilities": [
//!   {"id": "CVE-2023-5678", "package": "openssl", "os": "debian:12",
//!    "fixedVersion": "3.0.11-1~deb12u2", "severity": "HIGH"},
//!   {"id": "CVE-2022-0001", "package": "openssl", "os": "debian:12",
//!    "fixedVersion": "3.0.2-1", "severity": "CRITICAL"}
//! ]}"#).unwrap();
//! let report = check(&inventory, &vulns);
//! assert_eq!(report.findings.len(), 1); // 3.0.11-1~deb12u1 < 3.0.11-1~deb12u2, not < 3.0.2-1
//! assert_eq!(report.findings[0].id, "CVE-2023-5678");
//! assert_eq!(report.findings[0].package, "libssl3");
//! assert_eq!(report.counts[&Severity::High], 1);
//! ```
//!
//! # How the pieces fit
//!
//! | file | holds |
//! | --- | --- |
//! | `rootfs.rs` | [`Rootfs`]: layers applied with whiteouts; symbolic links among kept files followed |
//! | `inventory.rs` | [`Inventory`], [`NoPackageDatabase`]: the databases found and read |
//! | `packages.rs` | [`Package`]; dpkg `status` stanzas and apk `installed` records parsed |
//! | `os.rs` | [`Os`] from os-release; which vulnerability `os` covers which system |
//! | `version/` | [`Scheme`]: Debian's ordering (`dpkg.rs`) and Alpine's (`apk.rs`) |
//! | `source.rs` | [`Vulnerabilities`]: the operator's file, its format documented |
//! | `check.rs` | [`check`], [`Report`], [`Finding`], [`Undecided`] |
//! | `severity.rs` | [`Severity`]: ECR's six words |
//! | `error.rs` | [`ScanError`] (the image could not be read), [`SourceError`] (the file was refused) |
//!
//! What a scan cannot see it does not claim: language packages (npm, pip, jars), binaries
//! copied in without a package manager, and distributions without dpkg or apk (rpm) are not
//! looked at; a version the package's ordering cannot read is reported as [`Undecided`],
//! not as clear.

mod check;
mod error;
mod inventory;
mod os;
mod packages;
mod rootfs;
mod severity;
pub mod source;
pub mod version;

pub use check::{check, Finding, Report, Undecided};
pub use error::{ScanError, SourceError};
pub use inventory::{Inventory, NoPackageDatabase, APK_INSTALLED, DPKG_STATUS, DPKG_STATUS_D};
pub use os::Os;
pub use packages::{parse_apk, parse_dpkg, Package};
pub use rootfs::{is_kept, normalise, Rootfs, MAX_FILE_BYTES};
pub use severity::Severity;
pub use source::{Vulnerabilities, Vulnerability};
pub use version::Scheme;
