//! Dotted version numbers (`1.14.5`) for `agentVersion`.

use std::cmp::Ordering;

/// A version: numeric parts separated by dots. Missing trailing parts count
/// as zero, so `1.14` equals `1.14.0`.
#[derive(Debug, Clone)]
pub(crate) struct Version(Vec<u64>);

impl Version {
    /// Reads `N(.N)*` exactly; used for arguments.
    pub(crate) fn parse(s: &str) -> Option<Version> {
        s.split('.')
            .map(|part| {
                if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                part.parse::<u64>().ok()
            })
            .collect::<Option<Vec<u64>>>()
            .map(Version)
    }

    /// Reads what an agent reports, leniently: an optional `v`, then the
    /// longest `N(.N)*` prefix (so `1.14.5-beta` reads as 1.14.5).
    pub(crate) fn parse_reported(s: &str) -> Option<Version> {
        let s = s.trim();
        let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
        let end = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len());
        let prefix = s[..end].trim_end_matches('.');
        Version::parse(prefix)
    }

    pub(crate) fn compare(&self, other: &Version) -> Ordering {
        let len = self.0.len().max(other.0.len());
        (0..len)
            .map(|i| {
                let a = self.0.get(i).copied().unwrap_or(0);
                let b = other.0.get(i).copied().unwrap_or(0);
                a.cmp(&b)
            })
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).expect("valid version")
    }

    #[test]
    fn strict_parse() {
        assert!(Version::parse("1.14.5").is_some());
        assert!(Version::parse("7").is_some());
        for bad in ["", "1.", ".1", "1..2", "1.2a", "v1.2", "-1", "1.2.3-beta"] {
            assert!(Version::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn numeric_ordering() {
        assert_eq!(v("1.9.0").compare(&v("1.14.5")), Ordering::Less);
        assert_eq!(v("1.14").compare(&v("1.14.0")), Ordering::Equal);
        assert_eq!(v("2").compare(&v("1.99.99")), Ordering::Greater);
    }

    #[test]
    fn lenient_reported() {
        let r = Version::parse_reported("v1.14.5-beta").expect("reads prefix");
        assert_eq!(r.compare(&v("1.14.5")), Ordering::Equal);
        assert!(Version::parse_reported("unknown").is_none());
        assert!(Version::parse_reported("1.2.").is_some());
    }
}
