//! ALB's wildcard patterns, compiled once: `*` matches any run of bytes
//! (the empty one too), `?` exactly one byte, everything else itself.
//!
//! Most patterns in real rule sets are a literal, a literal prefix
//! (`/api/*`), a suffix (`*.example.com`) or a plain `*`; those get a
//! straight comparison. The rest run a backtracking matcher that is linear
//! for one `*` and O(pattern × input) at worst, without allocating.

/// A compiled wildcard pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Pattern {
    shape: Shape,
    /// Compare ASCII letters case-insensitively (the pattern is stored
    /// lowercased then).
    fold_case: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Shape {
    /// `*` (or `**`…): everything.
    Any,
    /// No wildcard at all.
    Exact(Box<[u8]>),
    /// `literal*`.
    Prefix(Box<[u8]>),
    /// `*literal`.
    Suffix(Box<[u8]>),
    /// Anything else.
    General(Box<[u8]>),
}

impl Pattern {
    /// Compiles `pattern`; `fold_case` makes ASCII letters match either case.
    pub(crate) fn new(pattern: &str, fold_case: bool) -> Pattern {
        let bytes: Vec<u8> = if fold_case {
            pattern.bytes().map(|b| b.to_ascii_lowercase()).collect()
        } else {
            pattern.as_bytes().to_vec()
        };
        let is_wild = |b: &u8| *b == b'*' || *b == b'?';
        let shape = if bytes.iter().all(|b| *b == b'*') && !bytes.is_empty() {
            Shape::Any
        } else if !bytes.iter().any(is_wild) {
            Shape::Exact(bytes.into())
        } else if bytes.last() == Some(&b'*') && !bytes[..bytes.len() - 1].iter().any(is_wild) {
            Shape::Prefix(bytes[..bytes.len() - 1].into())
        } else if bytes.first() == Some(&b'*') && !bytes[1..].iter().any(is_wild) {
            Shape::Suffix(bytes[1..].into())
        } else {
            Shape::General(bytes.into())
        };
        Pattern { shape, fold_case }
    }

    /// Whether `input` matches the whole pattern.
    pub(crate) fn matches(&self, input: &[u8]) -> bool {
        let fold = self.fold_case;
        match &self.shape {
            Shape::Any => true,
            Shape::Exact(lit) => eq_bytes(lit, input, fold),
            Shape::Prefix(lit) => {
                input.len() >= lit.len() && eq_bytes(lit, &input[..lit.len()], fold)
            }
            Shape::Suffix(lit) => {
                input.len() >= lit.len() && eq_bytes(lit, &input[input.len() - lit.len()..], fold)
            }
            Shape::General(pattern) => glob(pattern, input, fold),
        }
    }

    /// The literal bytes every match starts with (lowercased when folding
    /// case): the index keys of the rule table.
    pub(crate) fn literal_prefix(&self) -> &[u8] {
        match &self.shape {
            Shape::Any | Shape::Suffix(_) => &[],
            Shape::Exact(lit) | Shape::Prefix(lit) => lit,
            Shape::General(pattern) => {
                let end = pattern
                    .iter()
                    .position(|b| *b == b'*' || *b == b'?')
                    .unwrap_or(pattern.len());
                &pattern[..end]
            }
        }
    }

    /// The pattern is a plain literal (no wildcard): the bytes it matches
    /// (lowercased when folding case).
    pub(crate) fn as_literal(&self) -> Option<&[u8]> {
        match &self.shape {
            Shape::Exact(lit) => Some(lit),
            _ => None,
        }
    }
}

/// `pattern` (already lowercased when folding) against `input`.
fn eq_bytes(pattern: &[u8], input: &[u8], fold: bool) -> bool {
    if fold {
        pattern.len() == input.len()
            && pattern
                .iter()
                .zip(input)
                .all(|(p, i)| *p == i.to_ascii_lowercase())
    } else {
        pattern == input
    }
}

/// The general matcher: greedy on `*`, backtracking to the last `*` on a
/// mismatch. Remembering only the last star is enough because a later star
/// can absorb anything an earlier one would have had to.
fn glob(pattern: &[u8], input: &[u8], fold: bool) -> bool {
    let same = |p: u8, i: u8| {
        p == b'?'
            || if fold {
                p == i.to_ascii_lowercase()
            } else {
                p == i
            }
    };
    let (mut p, mut i) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while i < input.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, i));
            p += 1;
        } else if p < pattern.len() && same(pattern[p], input[i]) {
            p += 1;
            i += 1;
        } else if let Some((star_p, star_i)) = star {
            // Let the last star swallow one more byte and try again.
            p = star_p + 1;
            i = star_i + 1;
            star = Some((star_p, star_i + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|b| *b == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The obvious exponential definition, for comparison.
    fn reference(pattern: &[u8], input: &[u8], fold: bool) -> bool {
        match pattern.split_first() {
            None => input.is_empty(),
            Some((b'*', rest)) => (0..=input.len()).any(|k| reference(rest, &input[k..], fold)),
            Some((b'?', rest)) => !input.is_empty() && reference(rest, &input[1..], fold),
            Some((c, rest)) => match input.split_first() {
                Some((i, irest)) => {
                    let same = if fold {
                        c.eq_ignore_ascii_case(i)
                    } else {
                        c == i
                    };
                    same && reference(rest, irest, fold)
                }
                None => false,
            },
        }
    }

    #[test]
    fn shapes_match_as_alb_documents() {
        let p = Pattern::new("/img/*", false);
        assert!(p.matches(b"/img/a.png"));
        assert!(p.matches(b"/img/"));
        assert!(!p.matches(b"/IMG/a.png"), "paths are case-sensitive");
        assert!(!p.matches(b"/img"));

        let h = Pattern::new("*.Example.com", true);
        assert!(h.matches(b"www.example.COM"));
        assert!(!h.matches(b"example.com"));

        let q = Pattern::new("/v?/*/items", false);
        assert!(q.matches(b"/v1/x/y/items"));
        assert!(!q.matches(b"/v10/x/items"));

        assert!(Pattern::new("*", false).matches(b""));
        assert!(Pattern::new("", false).matches(b""));
        assert!(!Pattern::new("", false).matches(b"x"));
        assert!(Pattern::new("a*b*c", false).matches(b"aXbYbZc"));
        assert!(!Pattern::new("a*b*c", false).matches(b"aXbYbZ"));
    }

    #[test]
    fn literal_prefixes_are_what_every_match_starts_with() {
        assert_eq!(Pattern::new("/api/*", false).literal_prefix(), b"/api/");
        assert_eq!(Pattern::new("/a?c", false).literal_prefix(), b"/a");
        assert_eq!(Pattern::new("*.png", false).literal_prefix(), b"");
        assert_eq!(Pattern::new("/Exact", true).literal_prefix(), b"/exact");
        assert_eq!(
            Pattern::new("Host.A", true).as_literal(),
            Some(&b"host.a"[..])
        );
        assert_eq!(Pattern::new("h*", true).as_literal(), None);
    }

    proptest! {
        #[test]
        fn agrees_with_the_reference(
            pattern in "[ab*?]{0,8}",
            input in "[abAB]{0,10}",
            fold in any::<bool>(),
        ) {
            let compiled = Pattern::new(&pattern, fold);
            let folded: Vec<u8> = if fold {
                pattern.bytes().map(|b| b.to_ascii_lowercase()).collect()
            } else {
                pattern.clone().into_bytes()
            };
            prop_assert_eq!(compiled.matches(input.as_bytes()), reference(&folded, input.as_bytes(), fold));
        }

        #[test]
        fn every_match_starts_with_the_literal_prefix(pattern in "[ab/*?]{0,8}", input in "[ab/]{0,10}") {
            let compiled = Pattern::new(&pattern, false);
            if compiled.matches(input.as_bytes()) {
                prop_assert!(input.as_bytes().starts_with(compiled.literal_prefix()));
            }
        }
    }
}
