//! The two version orderings a finding depends on: Debian's (dpkg) and Alpine's (apk).
//! Which one applies is decided by the database a package came from, never by guessing
//! from the text.

pub mod apk;
pub mod dpkg;

use std::cmp::Ordering;

/// The package manager whose rules order a package's versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    /// `[epoch:]upstream[-revision]`, compared as Debian Policy §5.6.12 says.
    Dpkg,
    /// `digits{.digits}[letter]{_suffix[n]}[~hash][-rN]`, compared as apk does.
    Apk,
}

impl Scheme {
    /// How `a` compares to `b`; None when one of them is not a version of this scheme
    /// (only apk versions can be malformed: every string orders under dpkg's rules).
    pub fn compare(self, a: &str, b: &str) -> Option<Ordering> {
        match self {
            Scheme::Dpkg => Some(dpkg::compare(a, b)),
            Scheme::Apk => apk::compare(a, b),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Scheme::Dpkg => "dpkg",
            Scheme::Apk => "apk",
        }
    }
}

/// Compares two runs of ASCII digits as the numbers they write, however long.
pub(crate) fn compare_digits(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}
