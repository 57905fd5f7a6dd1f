//! `tagPatternList` entries: tags with `*` wildcards.
//!
//! A pattern matches a whole tag; `*` stands for any run of characters,
//! including none, and every other character stands for itself (case
//! matters, as it does for tags). So `prod*` matches `prod`, `prod1` and
//! `prod-2024`, and `*-rc*` matches `v1-rc2`. At most four `*` may appear in
//! one pattern (*Lifecycle policy properties in Amazon ECR*, "Tag pattern
//! list"); `parse` enforces that.

/// The most `*` one `tagPatternList` entry may hold.
pub const MAX_WILDCARDS: usize = 4;

/// One `tagPatternList` entry, split at its wildcards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagPattern {
    text: String,
    /// The literal pieces between the `*`s: one more than there are `*`s.
    pieces: Vec<String>,
}

impl TagPattern {
    /// The pattern as written in the policy.
    pub fn new(text: &str) -> TagPattern {
        TagPattern {
            text: text.to_owned(),
            pieces: text.split('*').map(str::to_owned).collect(),
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// How many `*` the pattern holds.
    pub fn wildcards(&self) -> usize {
        self.pieces.len() - 1
    }

    /// Whether `tag` matches the whole pattern.
    ///
    /// The first piece must start the tag and the last must end it; the
    /// pieces between are found left to right, each at its earliest place
    /// after the one before. Taking the earliest place never loses a match,
    /// because a `*` can absorb whatever lies between two pieces.
    pub fn matches(&self, tag: &str) -> bool {
        let Some((first, rest)) = self.pieces.split_first() else {
            return false;
        };
        let Some((last, middle)) = rest.split_last() else {
            return tag == first; // no wildcard: the tag itself
        };
        let Some(mut tail) = tag.strip_prefix(first.as_str()) else {
            return false;
        };
        for piece in middle {
            match tail.find(piece.as_str()) {
                Some(at) => tail = &tail[at + piece.len()..],
                None => return false,
            }
        }
        tail.len() >= last.len() && tail.ends_with(last.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::TagPattern;

    fn matches(pattern: &str, tag: &str) -> bool {
        TagPattern::new(pattern).matches(tag)
    }

    #[test]
    fn without_wildcards_a_pattern_is_the_tag_itself() {
        assert!(matches("prod", "prod"));
        assert!(!matches("prod", "prod1"));
        assert!(!matches("prod", "Prod"));
    }

    #[test]
    fn a_trailing_star_is_a_prefix() {
        assert!(matches("prod*", "prod"));
        assert!(matches("prod*", "prod-2"));
        assert!(!matches("prod*", "preprod"));
    }

    #[test]
    fn stars_anywhere_match_any_run_including_none() {
        assert!(matches("*", "anything"));
        assert!(matches("*-rc*", "v1-rc2"));
        assert!(matches("*test*1*2*3", "mytest-1-2-3"));
        assert!(matches("a*b*c", "abc"));
        assert!(!matches("a*b*c", "acb"));
        assert!(!matches("*x", "xy"));
    }

    #[test]
    fn the_last_piece_may_not_overlap_the_pieces_before_it() {
        // "ab*b": after "ab" the tail must still end with "b".
        assert!(!matches("ab*b", "ab"));
        assert!(matches("ab*b", "abb"));
        assert!(!matches("a*aa", "aa"));
        assert!(matches("a*aa", "aaa"));
    }

    #[test]
    fn wildcards_are_counted() {
        assert_eq!(TagPattern::new("prod").wildcards(), 0);
        assert_eq!(TagPattern::new("*test*1*2*3").wildcards(), 4);
    }
}
