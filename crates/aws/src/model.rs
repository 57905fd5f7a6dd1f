//! The runtime of the generated service models (`tools/codegen`): model-constraint
//! validation for request shapes, serde for the generated string enums, and the record of
//! each exception a model declares.

/// A shape that can check the service model's constraints on itself.
pub trait Validate {
    /// Records every violation under `path` (empty for the top-level request).
    fn validate(&self, path: &str, v: &mut Violations);

    /// All violations of a top-level request, in member order.
    fn violations(&self) -> Vec<String> {
        let mut v = Violations::default();
        self.validate("", &mut v);
        v.0
    }
}

/// Collected constraint violations, each a sentence naming the member.
#[derive(Debug, Default)]
pub struct Violations(pub Vec<String>);

impl Violations {
    pub fn path(&self, parent: &str, member: &str) -> String {
        if parent.is_empty() {
            member.to_owned()
        } else {
            format!("{parent}.{member}")
        }
    }

    pub fn missing(&mut self, path: &str) {
        self.0.push(format!(
            "Value null at '{path}' failed to satisfy constraint: Member must not be null"
        ));
    }

    pub fn bad_enum(&mut self, path: &str, value: &str, allowed: &[&str]) {
        self.0.push(format!(
            "Value '{value}' at '{path}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
            allowed.join(", ")
        ));
    }

    pub fn len(&mut self, path: &str, len: usize, min: Option<usize>, max: Option<usize>) {
        if let Some(min) = min.filter(|m| len < *m) {
            self.0.push(format!(
                "Value at '{path}' failed to satisfy constraint: Member must have length greater than or equal to {min}"
            ));
        }
        if let Some(max) = max.filter(|m| len > *m) {
            self.0.push(format!(
                "Value at '{path}' failed to satisfy constraint: Member must have length less than or equal to {max}"
            ));
        }
    }

    pub fn range(&mut self, path: &str, value: i64, min: Option<i64>, max: Option<i64>) {
        if let Some(min) = min.filter(|m| value < *m) {
            self.0.push(format!(
                "Value '{value}' at '{path}' failed to satisfy constraint: Member must have value greater than or equal to {min}"
            ));
        }
        if let Some(max) = max.filter(|m| value > *m) {
            self.0.push(format!(
                "Value '{value}' at '{path}' failed to satisfy constraint: Member must have value less than or equal to {max}"
            ));
        }
    }

    pub fn range_f64(&mut self, path: &str, value: f64, min: Option<f64>, max: Option<f64>) {
        if min.is_some_and(|m| value < m) || max.is_some_and(|m| value > m) {
            self.0.push(format!(
                "Value '{value}' at '{path}' failed to satisfy constraint: Member must be within [{}, {}]",
                min.unwrap_or(f64::MIN),
                max.unwrap_or(f64::MAX)
            ));
        }
    }
}

/// One exception a service model declares, as the generated `operations::ERRORS` lists it:
/// what the server needs to put it on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ErrorInfo {
    /// The exception's shape name, which the JSON protocols send as `__type`.
    pub shape: &'static str,
    /// The model's `error.code` (the query protocol's `Code`), else the shape name.
    pub code: &'static str,
    /// The model's `error.httpStatusCode`, else 500 for a server fault and 400 otherwise.
    pub http_status: u16,
    /// Whether the caller is at fault (`Sender`) rather than the service (`Receiver`).
    pub sender_fault: bool,
}

impl ErrorInfo {
    /// The entry of `table` with this shape name or, failing that, the first with this code
    /// (codes need not be unique: two shapes may share one).
    pub fn find(table: &'static [ErrorInfo], name: &str) -> Option<&'static ErrorInfo> {
        table
            .iter()
            .find(|e| e.shape == name)
            .or_else(|| table.iter().find(|e| e.code == name))
    }
}

/// Implements `Serialize`/`Deserialize` for a generated string enum through its
/// `as_str`/`parse` pair.
#[macro_export]
macro_rules! string_enum {
    ($name:ident) => {
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                Ok(Self::parse(&s))
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
