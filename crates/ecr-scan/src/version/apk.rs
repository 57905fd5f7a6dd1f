//! Alpine version ordering, as `apk version -t` applies it.
//!
//! A version is `digits{.digits}[letter]{_suffix[digits]}[~hash][-rdigits]`, for example
//! `1.2.3`, `1.2.3a`, `1.2.3_rc2`, `1.2.3_p1-r4`. It is read as a run of tokens and two
//! versions are compared token by token:
//!
//! - numbers as numbers, except that a component after the first that starts with `0`
//!   compares as a decimal fraction would: its leading zeros first (more zeros is less, and
//!   less than any component without one), then the digits after them;
//! - a letter by its character; a suffix by its rank, `alpha < beta < pre < rc` (releases
//!   before the plain version) `< cvs < svn < git < hg < p` (after it), then its number;
//!   a `~hash` orders equal to any other; a revision `-rN` by its number;
//! - where one version goes on and the other has a different kind of token (or ends), the
//!   one going on is greater — `1.2 < 1.2.1`, `1.2 < 1.2a`, `1.2 < 1.2_p1`, `1.2 < 1.2-r1` —
//!   unless what comes is a pre-release suffix: `1.2_rc1 < 1.2`. Between two kinds of token,
//!   the earlier kind in `digit, letter, suffix, suffix number, hash, revision, end` is
//!   greater (`1.2.1 > 1.2a`).
//!
//! A string outside that grammar is no apk version: [`compare`] answers None.

use std::cmp::Ordering;

use super::compare_digits;

const SUFFIXES: [&str; 10] = [
    "alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p", "",
];
/// Suffixes before this rank are pre-releases.
const RELEASE: usize = 4;

/// One token; the variant order is the kind order the comparison uses.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token<'a> {
    /// A number (its digits, leading zeros included only for the first component).
    Digits(&'a str),
    /// The leading zeros of a component after the first (how many).
    Zeros(usize),
    Letter(u8),
    /// A suffix by its rank in [`SUFFIXES`].
    Suffix(usize),
    SuffixNo(&'a str),
    Hash,
    Revision(&'a str),
    End,
}

impl Token<'_> {
    /// Where the token's kind sorts (numbers and zeros are one kind: a component).
    fn kind(&self) -> u8 {
        match self {
            Token::Digits(_) | Token::Zeros(_) => 0,
            Token::Letter(_) => 1,
            Token::Suffix(_) => 2,
            Token::SuffixNo(_) => 3,
            Token::Hash => 4,
            Token::Revision(_) => 5,
            Token::End => 6,
        }
    }
}

/// Whether `v` is an apk version.
pub fn is_valid(v: &str) -> bool {
    tokens(v).is_some()
}

/// How version `a` orders against `b`, or None if one of them is no apk version.
pub fn compare(a: &str, b: &str) -> Option<Ordering> {
    let (a, b) = (tokens(a)?, tokens(b)?);
    for (x, y) in a.iter().zip(b.iter()) {
        let o = match (x, y) {
            (Token::Digits(p), Token::Digits(q)) => compare_digits(p, q),
            (Token::Zeros(p), Token::Zeros(q)) => q.cmp(p),
            (Token::Zeros(_), Token::Digits(_)) => Ordering::Less,
            (Token::Digits(_), Token::Zeros(_)) => Ordering::Greater,
            (Token::Letter(p), Token::Letter(q)) => p.cmp(q),
            (Token::Suffix(p), Token::Suffix(q)) => p.cmp(q),
            (Token::SuffixNo(p), Token::SuffixNo(q)) | (Token::Revision(p), Token::Revision(q)) => {
                compare_digits(p, q)
            }
            (Token::Hash, Token::Hash) | (Token::End, Token::End) => Ordering::Equal,
            (Token::Suffix(s), _) if *s < RELEASE => Ordering::Less,
            (_, Token::Suffix(s)) if *s < RELEASE => Ordering::Greater,
            _ => y.kind().cmp(&x.kind()),
        };
        if o != Ordering::Equal {
            return Some(o);
        }
    }
    // Both token lists end with End, so the loop decided unless they are equal.
    Some(Ordering::Equal)
}

/// The tokens of a version, ending with [`Token::End`]; None if it is none.
fn tokens(v: &str) -> Option<Vec<Token<'_>>> {
    let s = v.as_bytes();
    let digits = |from: usize| from + s[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let text = |from: usize, to: usize| v.get(from..to);
    let mut out = Vec::new();
    let end = digits(0);
    if end == 0 {
        return None;
    }
    out.push(Token::Digits(text(0, end)?));
    let mut i = end;
    // Further components.
    while s.get(i) == Some(&b'.') {
        let start = i + 1;
        let end = digits(start);
        if end == start {
            return None;
        }
        let zeros = s[start..end].iter().take_while(|c| **c == b'0').count();
        if zeros > 0 {
            out.push(Token::Zeros(zeros));
            if start + zeros < end {
                out.push(Token::Digits(text(start + zeros, end)?));
            }
        } else {
            out.push(Token::Digits(text(start, end)?));
        }
        i = end;
    }
    if let Some(c) = s.get(i).filter(|c| c.is_ascii_lowercase()) {
        out.push(Token::Letter(*c));
        i += 1;
    }
    while s.get(i) == Some(&b'_') {
        let start = i + 1;
        let name_end = start
            + s[start..]
                .iter()
                .take_while(|c| c.is_ascii_lowercase())
                .count();
        let name = text(start, name_end)?;
        let rank = SUFFIXES[..SUFFIXES.len() - 1]
            .iter()
            .position(|s| *s == name)?;
        out.push(Token::Suffix(rank));
        let end = digits(name_end);
        if end > name_end {
            out.push(Token::SuffixNo(text(name_end, end)?));
        }
        i = end;
    }
    if s.get(i) == Some(&b'~') {
        let start = i + 1;
        let end = start
            + s[start..]
                .iter()
                .take_while(|c| c.is_ascii_hexdigit())
                .count();
        if end == start {
            return None;
        }
        out.push(Token::Hash);
        i = end;
    }
    if s.get(i) == Some(&b'-') {
        if s.get(i + 1) != Some(&b'r') {
            return None;
        }
        let start = i + 2;
        let end = digits(start);
        if end == start {
            return None;
        }
        out.push(Token::Revision(text(start, end)?));
        i = end;
    }
    if i != s.len() {
        return None;
    }
    out.push(Token::End);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_orderings() {
        use Ordering::*;
        for (a, b, want) in [
            ("1.2", "1.2", Equal),
            ("1.2", "1.2.0", Less),
            ("1.2", "1.2.1", Less),
            ("1.2", "1.10", Less),
            ("1.2", "1.2a", Less),
            ("1.2a", "1.2b", Less),
            ("1.2a", "1.2.1", Less),
            ("1.2_alpha1", "1.2_beta1", Less),
            ("1.2_beta2", "1.2_rc1", Less),
            ("1.2_rc1", "1.2", Less),
            ("1.2_rc1", "1.2_rc2", Less),
            ("1.2_rc9", "1.2_rc10", Less),
            ("1.2", "1.2_p1", Less),
            ("1.2_p1", "1.2_p2", Less),
            ("1.2_git20240101", "1.2_p1", Less),
            ("1.2", "1.2-r1", Less),
            ("1.2-r1", "1.2-r10", Less),
            ("1.2_rc1-r5", "1.2-r0", Less),
            ("3.1.4-r5", "3.1.4-r6", Less),
            ("3.1.4-r6", "3.1.5-r0", Less),
            ("1.02", "1.1", Less),
            ("1.002", "1.02", Less),
            ("1.05", "1.012", Less),
            ("1.0", "1", Greater),
            ("01.2", "1.2", Equal),
            ("1.2~abc1", "1.2~ffff", Equal),
            ("1.2~abc1", "1.2", Greater),
            ("1.2~abc1-r1", "1.2-r1", Greater),
        ] {
            assert_eq!(compare(a, b), Some(want), "{a} vs {b}");
            assert_eq!(compare(b, a), Some(want.reverse()), "{b} vs {a}");
        }
    }

    #[test]
    fn malformed_versions_are_refused() {
        for bad in [
            "", "a1", "1.", "1..2", "1.2_x", "1.2-1", "1.2-r", "1.2 ", "1.2~", "1.2ab", "v1",
        ] {
            assert!(!is_valid(bad), "{bad}");
            assert_eq!(compare(bad, "1.0"), None, "{bad}");
        }
        for ok in ["0", "1.2.3", "1.2.3a_rc1_p2~0a1-r3", "20240101"] {
            assert!(is_valid(ok), "{ok}");
        }
    }
}
