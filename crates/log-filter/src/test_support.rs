//! Helpers the unit tests of each pattern kind share.

use std::fmt::Debug;

use crate::error::{PatternError, Result};

/// Asserts that `matches` accepts every message in `yes` and none in `no`.
pub(crate) fn check(src: &str, matches: impl Fn(&str) -> bool, yes: &[&str], no: &[&str]) {
    for message in yes {
        assert!(matches(message), "{src} should match {message:?}");
    }
    for message in no {
        assert!(!matches(message), "{src} should not match {message:?}");
    }
}

/// The error parsing `src` gave, failing the test if it parsed.
pub(crate) fn error<T: Debug>(src: &str, parsed: Result<T>) -> PatternError {
    match parsed {
        Err(e) => e,
        Ok(p) => panic!("{src} parsed as {p:?}"),
    }
}
