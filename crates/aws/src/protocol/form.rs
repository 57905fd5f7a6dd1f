//! Form-encoded requests (AWS Query and its `ec2` variant): the body's pairs as a tree of
//! their `.`-separated keys, walked over the action's input shape into the JSON document of
//! that input.
//!
//! The two protocols differ only in how a member is named and how lists are laid out
//! ([`Dialect`]); everything else — the encoding checks, scalars, maps, errors — is shared.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::document::{self, path};
use super::query::{QueryError, MAX_KEY_PARTS};
use super::timestamps::parse_time;
use super::xml::{is_flattened, wire_name};
use crate::schema::{Member, Schema, Shape, ShapeKind, TimestampFormat};

/// Which form protocol a body is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// AWS Query: a member by its `locationName` (else its name); lists under `member` (or
    /// the list member's `locationName`), numbered directly when flattened.
    Query,
    /// EC2: a member by its `queryName`, else its `locationName` with the first letter
    /// upper-cased, else its name so; every list numbered directly (`Name.1`), whatever the
    /// model says of flattening or of the list member's name.
    Ec2,
}

/// The `Action` a form body names and the JSON document of that operation's input (`{}` for
/// an operation without one). `Version` is not checked; parameters that are no member of the
/// input are ignored, as unknown JSON members are.
pub(crate) fn parse(
    body: &[u8],
    schema: &Schema,
    dialect: Dialect,
) -> Result<(String, Value), QueryError> {
    check_encoding(body)?;
    let mut action = None;
    let mut root = Node::default();
    for (key, value) in form_urlencoded::parse(body) {
        match key.as_ref() {
            "Action" => action = Some(value.into_owned()),
            "Version" => {}
            _ => root.insert(&key, value.into_owned())?,
        }
    }
    let action = action
        .filter(|a| !a.is_empty())
        .ok_or(QueryError::MissingAction)?;
    let op = schema
        .operation(&action)
        .ok_or_else(|| QueryError::InvalidAction(action.clone()))?;
    let walk = Walk { schema, dialect };
    let input = match op.input.as_deref() {
        Some(input) => {
            let shape = walk.lookup(input)?;
            match &shape.kind {
                ShapeKind::Structure { members } => walk.structure(members, &root, "")?,
                _ => return Err(QueryError::Schema(format!("{input} (as a structure)"))),
            }
        }
        None => Value::Object(Map::new()),
    };
    Ok((action, input))
}

/// Refuses what `form_urlencoded` would let through silently: a `%` not followed by two
/// hex digits, and bytes that do not decode to UTF-8.
fn check_encoding(body: &[u8]) -> Result<(), QueryError> {
    if let Some(at) = body.iter().enumerate().position(|(i, &b)| {
        b == b'%'
            && !body
                .get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
    }) {
        return Err(QueryError::Malformed(format!(
            "The request body has an invalid percent-encoding at byte {at}."
        )));
    }
    percent_encoding::percent_decode(body)
        .decode_utf8()
        .map(drop)
        .map_err(|_| QueryError::Malformed("The request body does not decode to UTF-8.".into()))
}

/// The parameters as a tree of their `.`-separated paths.
#[derive(Default, Debug)]
struct Node {
    value: Option<String>,
    children: BTreeMap<String, Node>,
}

impl Node {
    fn insert(&mut self, key: &str, value: String) -> Result<(), QueryError> {
        let mut node = self;
        for (i, part) in key.split('.').enumerate() {
            if i >= MAX_KEY_PARTS {
                return Err(QueryError::Malformed(format!(
                    "The parameter name {}… nests deeper than {MAX_KEY_PARTS} levels.",
                    key.chars().take(64).collect::<String>()
                )));
            }
            node = node.children.entry(part.to_owned()).or_default();
        }
        node.value = Some(value);
        Ok(())
    }

    /// The value of a scalar parameter.
    fn scalar(&self, at: &str) -> Result<&str, QueryError> {
        self.value.as_deref().ok_or_else(|| {
            QueryError::InvalidValue(format!(
                "The parameter {at} must be a value, not a group of parameters."
            ))
        })
    }

    /// The numbered children of a list or map (`1`, `2`, …), in their order.
    fn numbered(&self, at: &str) -> Result<Vec<(String, &Node)>, QueryError> {
        let mut items = Vec::with_capacity(self.children.len());
        for (k, child) in &self.children {
            match k.parse::<u32>() {
                Ok(n) if n >= 1 && n.to_string() == *k => items.push((n, k, child)),
                _ => {
                    return Err(QueryError::InvalidValue(format!(
                        "{} is not a valid parameter: {k:?} is not an index (1, 2, …).",
                        path(at, k)
                    )))
                }
            }
        }
        items.sort_by_key(|(n, _, _)| *n);
        Ok(items
            .into_iter()
            .map(|(_, k, child)| (path(at, k), child))
            .collect())
    }
}

/// `name` with its first letter upper-cased (how EC2 requests name members).
fn capitalized(name: &str) -> Cow<'_, str> {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) if !first.is_uppercase() => {
            Cow::Owned(first.to_uppercase().chain(chars).collect())
        }
        _ => Cow::Borrowed(name),
    }
}

/// One decoding: the schema it walks and the dialect of the form.
struct Walk<'s> {
    schema: &'s Schema,
    dialect: Dialect,
}

impl<'s> Walk<'s> {
    fn lookup(&self, name: &str) -> Result<&'s Shape, QueryError> {
        self.schema
            .shape(name)
            .ok_or_else(|| QueryError::Schema(name.to_owned()))
    }

    /// The name a structure's member goes by in the form.
    fn member_name<'m>(&self, m: &'m Member, target: &'m Shape) -> Cow<'m, str> {
        match self.dialect {
            Dialect::Query => Cow::Borrowed(wire_name(m, target)),
            Dialect::Ec2 => match (&m.query_name, &m.location_name) {
                (Some(q), _) => Cow::Borrowed(q.as_ref()),
                (None, Some(l)) => capitalized(l),
                (None, None) => capitalized(&m.name),
            },
        }
    }

    fn structure(&self, members: &[Member], node: &Node, at: &str) -> Result<Value, QueryError> {
        if node.children.is_empty() {
            if let Some(v) = node.value.as_deref().filter(|v| !v.is_empty()) {
                return Err(invalid(at, v, "a structure"));
            }
        }
        let mut out = Map::new();
        for m in members {
            let target = self.lookup(&m.target)?;
            let name = self.member_name(m, target);
            if let Some(child) = node.children.get(name.as_ref()) {
                let value = self.value(m, target, child, &path(at, &name))?;
                out.insert(m.name.to_string(), value);
            }
        }
        Ok(Value::Object(out))
    }

    fn value(&self, m: &Member, shape: &Shape, node: &Node, at: &str) -> Result<Value, QueryError> {
        let grouped = matches!(shape.kind, ShapeKind::List { .. } | ShapeKind::Map { .. });
        if grouped && node.children.is_empty() {
            if let Some(v) = node.value.as_deref().filter(|v| !v.is_empty()) {
                return Err(invalid(at, v, "a list or map of numbered parameters"));
            }
        }
        Ok(match &shape.kind {
            ShapeKind::Structure { members } => self.structure(members, node, at)?,
            ShapeKind::List { member, .. } => {
                let direct = self.dialect == Dialect::Ec2 || is_flattened(m, shape);
                let (items, at) = if direct {
                    (Some(node), at.to_owned())
                } else {
                    let name = member.location_name.as_deref().unwrap_or("member");
                    (node.children.get(name), path(at, name))
                };
                let target = self.lookup(&member.target)?;
                let mut out = Vec::new();
                for (at, item) in items
                    .map(|n| n.numbered(&at))
                    .transpose()?
                    .unwrap_or_default()
                {
                    out.push(self.value(member, target, item, &at)?);
                }
                Value::Array(out)
            }
            ShapeKind::Map { key, value, .. } => {
                let (entries, at) = if is_flattened(m, shape) {
                    (Some(node), at.to_owned())
                } else {
                    (node.children.get("entry"), path(at, "entry"))
                };
                let target = self.lookup(&value.target)?;
                let key_name = key.location_name.as_deref().unwrap_or("key");
                let value_name = value.location_name.as_deref().unwrap_or("value");
                let mut out = Map::new();
                for (at, entry) in entries
                    .map(|n| n.numbered(&at))
                    .transpose()?
                    .unwrap_or_default()
                {
                    let missing = |what: &str| {
                        QueryError::InvalidValue(format!("The map entry {at} has no {what}."))
                    };
                    let k = entry
                        .children
                        .get(key_name)
                        .ok_or_else(|| missing(key_name))?
                        .scalar(&path(&at, key_name))?;
                    let v = entry
                        .children
                        .get(value_name)
                        .ok_or_else(|| missing(value_name))?;
                    let v = self.value(value, target, v, &path(&at, value_name))?;
                    out.insert(k.to_owned(), v);
                }
                Value::Object(out)
            }
            kind => scalar(kind, node.scalar(at)?, at)?,
        })
    }
}

fn invalid(at: &str, value: &str, what: &str) -> QueryError {
    let shown: String = value.chars().take(64).collect();
    QueryError::InvalidValue(format!(
        "Value '{shown}' at '{at}' failed to parse: it must be {what}."
    ))
}

fn scalar(kind: &ShapeKind, v: &str, at: &str) -> Result<Value, QueryError> {
    Ok(match kind {
        ShapeKind::String => Value::String(v.to_owned()),
        ShapeKind::Integer => Value::from(
            v.parse::<i32>()
                .map_err(|_| invalid(at, v, "a 32-bit integer"))?,
        ),
        ShapeKind::Long => Value::from(
            v.parse::<i64>()
                .map_err(|_| invalid(at, v, "a 64-bit integer"))?,
        ),
        ShapeKind::Float | ShapeKind::Double => {
            document::float(v.parse::<f64>().map_err(|_| invalid(at, v, "a number"))?)
        }
        ShapeKind::Boolean => match v {
            _ if v.eq_ignore_ascii_case("true") => Value::Bool(true),
            _ if v.eq_ignore_ascii_case("false") => Value::Bool(false),
            _ => return Err(invalid(at, v, "true or false")),
        },
        ShapeKind::Timestamp { format } => {
            let format = format.unwrap_or(TimestampFormat::Iso8601);
            document::epoch(parse_time(v, format).ok_or_else(|| {
                invalid(
                    at,
                    v,
                    match format {
                        TimestampFormat::Iso8601 => "an ISO 8601 time (2015-01-25T08:00:00Z)",
                        TimestampFormat::UnixTimestamp => "epoch seconds",
                        TimestampFormat::Rfc822 => "an HTTP date (Sun, 25 Jan 2015 08:00:00 GMT)",
                    },
                )
            })?)
        }
        ShapeKind::Blob => {
            document::base64_decode(v).ok_or_else(|| invalid(at, v, "base64"))?;
            Value::String(v.to_owned())
        }
        ShapeKind::Document => {
            return Err(QueryError::InvalidValue(format!(
                "The parameter {at} is a document, which AWS Query does not carry."
            )))
        }
        ShapeKind::Structure { .. } | ShapeKind::List { .. } | ShapeKind::Map { .. } => {
            return Err(invalid(at, v, "a group of parameters"))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ec2_names_are_capitalized() {
        assert_eq!(capitalized("dryRun"), "DryRun");
        assert_eq!(capitalized("Filter"), "Filter");
        assert_eq!(capitalized(""), "");
        assert_eq!(capitalized("ébc"), "Ébc");
    }
}
