//! What is installed in an image: its operating system and the packages of its package
//! databases, read from the files [`Rootfs`] kept.

use crate::os::Os;
use crate::packages::{parse_apk, parse_dpkg, Package};
use crate::rootfs::Rootfs;

pub const DPKG_STATUS: &str = "var/lib/dpkg/status";
pub const DPKG_STATUS_D: &str = "var/lib/dpkg/status.d";
pub const APK_INSTALLED: &str = "lib/apk/db/installed";

/// The installed packages of an image and the system they belong to.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Inventory {
    /// None when the image has no os-release naming an `ID`.
    pub os: Option<Os>,
    /// Sorted by name, then version.
    pub packages: Vec<Package>,
    /// The databases read (paths as in the image).
    pub databases: Vec<String>,
}

/// Why an image has no inventory.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the image has no package database Berth reads (/var/lib/dpkg/status, /var/lib/dpkg/status.d/ \
     or /lib/apk/db/installed)"
)]
pub struct NoPackageDatabase;

impl Rootfs {
    /// The image's inventory, or [`NoPackageDatabase`] when none of the databases is there
    /// (an empty database is an inventory of no packages).
    pub fn inventory(&self) -> Result<Inventory, NoPackageDatabase> {
        let os = self
            .read("etc/os-release")
            .or_else(|| self.read("usr/lib/os-release"))
            .and_then(|b| Os::parse(&String::from_utf8_lossy(b)));
        let mut inv = Inventory {
            os,
            ..Default::default()
        };
        if let Some(b) = self.read(DPKG_STATUS) {
            inv.packages.extend(parse_dpkg(&String::from_utf8_lossy(b)));
            inv.databases.push(format!("/{DPKG_STATUS}"));
        }
        let status_d = self.files_in(DPKG_STATUS_D);
        if !status_d.is_empty() {
            for (_, b) in status_d {
                inv.packages.extend(parse_dpkg(&String::from_utf8_lossy(b)));
            }
            inv.databases.push(format!("/{DPKG_STATUS_D}/"));
        }
        if let Some(b) = self.read(APK_INSTALLED) {
            inv.packages.extend(parse_apk(&String::from_utf8_lossy(b)));
            inv.databases.push(format!("/{APK_INSTALLED}"));
        }
        if inv.databases.is_empty() {
            return Err(NoPackageDatabase);
        }
        inv.packages.sort();
        inv.packages.dedup();
        Ok(inv)
    }
}
