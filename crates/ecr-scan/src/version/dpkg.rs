//! Debian version ordering (Debian Policy §5.6.12, as `dpkg --compare-versions` applies it).
//!
//! A version is `[epoch:]upstream_version[-debian_revision]`: the epoch is the number before
//! the first `:` (0 when there is none), the revision what follows the last `-` (empty when
//! there is none, which orders like `0`). Epochs compare as numbers; upstream versions, then
//! revisions, compare part by part: a run of non-digits character by character, where `~`
//! sorts before everything (even the end of the part), then letters, then the end, then every
//! other character; then a run of digits as a number. So `1.0~rc1 < 1.0 < 1.0+b1 < 1.0a`, and
//! `1.0 == 1.00`.
//!
//! Every string has a place in this order (dpkg refuses some versions outright; a scan only
//! ever compares what a package database or the operator wrote, so it orders them all).

use std::cmp::Ordering;

use super::compare_digits;

/// `[epoch:]upstream[-revision]` split apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebVersion<'a> {
    /// The epoch's digits (empty for none).
    pub epoch: &'a str,
    pub upstream: &'a str,
    pub revision: &'a str,
}

impl<'a> DebVersion<'a> {
    pub fn parse(v: &'a str) -> DebVersion<'a> {
        let v = v.trim();
        let (epoch, rest) = match v.split_once(':') {
            Some((e, rest)) if e.bytes().all(|b| b.is_ascii_digit()) => (e, rest),
            _ => ("", v),
        };
        let (upstream, revision) = rest.rsplit_once('-').unwrap_or((rest, ""));
        DebVersion {
            epoch,
            upstream,
            revision,
        }
    }
}

/// How version `a` orders against `b`.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (a, b) = (DebVersion::parse(a), DebVersion::parse(b));
    compare_digits(a.epoch, b.epoch)
        .then_with(|| compare_part(a.upstream, b.upstream))
        .then_with(|| compare_part(a.revision, b.revision))
}

/// The weight of one character of a non-digit run (`None` is the run's end).
fn weight(c: Option<u8>) -> i32 {
    match c {
        Some(b'~') => -1,
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

/// Compares an upstream version or a revision: alternating non-digit and digit runs.
fn compare_part(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    while !a.is_empty() || !b.is_empty() {
        let (a_text, a_rest) = split_run(a, |c| !c.is_ascii_digit());
        let (b_text, b_rest) = split_run(b, |c| !c.is_ascii_digit());
        for i in 0..a_text.len().max(b_text.len()) {
            let o = weight(a_text.get(i).copied()).cmp(&weight(b_text.get(i).copied()));
            if o != Ordering::Equal {
                return o;
            }
        }
        let (a_num, a_rest) = split_run(a_rest, |c| c.is_ascii_digit());
        let (b_num, b_rest) = split_run(b_rest, |c| c.is_ascii_digit());
        // Digit runs are ASCII, so these are always valid UTF-8.
        let o = compare_digits(
            std::str::from_utf8(a_num).unwrap_or(""),
            std::str::from_utf8(b_num).unwrap_or(""),
        );
        if o != Ordering::Equal {
            return o;
        }
        (a, b) = (a_rest, b_rest);
    }
    Ordering::Equal
}

/// The longest prefix whose bytes satisfy `keep`, and the rest.
fn split_run(s: &[u8], keep: impl Fn(u8) -> bool) -> (&[u8], &[u8]) {
    let n = s.iter().position(|&c| !keep(c)).unwrap_or(s.len());
    s.split_at(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_split_at_the_first_colon_and_last_hyphen() {
        let v = DebVersion::parse("1:2.3-4-5");
        assert_eq!((v.epoch, v.upstream, v.revision), ("1", "2.3-4", "5"));
        let v = DebVersion::parse("2.3");
        assert_eq!((v.epoch, v.upstream, v.revision), ("", "2.3", ""));
    }

    #[test]
    fn known_orderings() {
        use Ordering::*;
        for (a, b, want) in [
            ("1.0", "1.0", Equal),
            ("1.0", "1.00", Equal),
            ("0:1.0", "1.0", Equal),
            ("1.0-0", "1.0", Equal),
            ("1.0~rc1", "1.0", Less),
            ("1.0~~", "1.0~", Less),
            ("1.0~", "1.0", Less),
            ("1.0", "1.0+b1", Less),
            ("1.0", "1.0a", Less),
            ("1.0a", "1.0+", Less),
            ("1.0", "1.0.1", Less),
            ("1.9", "1.10", Less),
            ("1:0.1", "9.9", Greater),
            ("2.30-1", "2.30-1+deb12u1", Less),
            ("3.0.11-1~deb12u1", "3.0.11-1~deb12u2", Less),
            ("3.0.11-1~deb12u2", "3.0.11-1", Less),
            ("3.0.9-1", "3.0.11-1~deb12u2", Less),
            ("1.2.3-1ubuntu1", "1.2.3-1", Greater),
            ("10:1", "9:99", Greater),
            ("1.0-1", "1.0-10", Less),
            ("99999999999999999999", "100000000000000000000", Less),
        ] {
            assert_eq!(compare(a, b), want, "{a} vs {b}");
        }
    }
}
