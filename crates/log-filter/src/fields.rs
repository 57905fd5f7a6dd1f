//! The values a matching pattern binds, for metric filters' metric values
//! and dimensions.

/// Values bound by [`FilterPattern::extract`](crate::FilterPattern::extract),
/// by name as written in the pattern: `"$.latency"` for a JSON selector,
/// `"status"` for a space-delimited field.
///
/// JSON strings are bound without their quotes; other JSON values as JSON
/// writes them (`250.5`, `true`, `null`, `["t"]`). Space-delimited fields are
/// bound without the `"…"` or `[…]` that grouped them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// The value bound to `name`, if the pattern binds it and the event has it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value.as_str())
    }

    /// Every bound name and value, in the order the pattern names them.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// How many values are bound.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether nothing is bound (always so for unstructured patterns).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn push(&mut self, name: &str, value: String) {
        self.0.push((name.to_owned(), value));
    }
}
