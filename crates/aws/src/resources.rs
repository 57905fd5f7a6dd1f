//! Reading the resources a call names from its input document, for
//! [`crate::service::Service::resources`]: each service maps its operations' fields to the
//! ARNs of its resource types.

use serde_json::Value;

/// The input document, or null if it is not JSON (the handler refuses it anyway).
pub fn input(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

/// The string member `field`, if it is one.
pub fn text<'a>(doc: &'a Value, field: &str) -> Option<&'a str> {
    doc.get(field).and_then(Value::as_str)
}

/// The strings of list member `field` (none if it is absent or not a list).
pub fn texts<'a>(doc: &'a Value, field: &str) -> Vec<&'a str> {
    doc.get(field)
        .and_then(Value::as_array)
        .map(|l| l.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// `given` if it is an ARN already, else the ARN `make` builds from it.
pub fn arn_or(given: &str, make: impl FnOnce(&str) -> String) -> String {
    if given.starts_with("arn:") {
        given.to_owned()
    } else {
        make(given)
    }
}

/// `*` when a call names no resource.
pub fn or_any(list: Vec<String>) -> Vec<String> {
    if list.is_empty() {
        vec!["*".into()]
    } else {
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_read_as_resources() {
        let doc = input(br#"{"cluster":"web","clusters":["a","arn:x"],"n":1}"#);
        assert_eq!(text(&doc, "cluster"), Some("web"));
        assert_eq!(text(&doc, "n"), None);
        assert_eq!(texts(&doc, "clusters"), vec!["a", "arn:x"]);
        assert!(texts(&doc, "none").is_empty());
        assert_eq!(arn_or("arn:x", |n| format!("made:{n}")), "arn:x");
        assert_eq!(arn_or("web", |n| format!("made:{n}")), "made:web");
        assert_eq!(or_any(Vec::new()), vec!["*".to_owned()]);
        assert_eq!(input(b"\xff"), Value::Null);
    }
}
