//! XML answers (AWS Query and `ec2`): the JSON document of an output written with
//! `quick-xml` as the model lays it out. Members in model order under their wire names
//! ([`wire_name`]); lists as `<member>` items (or the list member's `locationName`; repeated
//! elements when flattened), maps as `<entry><key/><value/></entry>`; timestamps ISO 8601 (or
//! the shape's `timestampFormat`), blobs as the document's base64, booleans `true`/`false`.
//! Nulls and members the schema does not know are left out; a value of the wrong JSON type
//! for its shape is written as its JSON text (the document comes from the service's own
//! generated shapes, so neither happens in practice).

use std::borrow::Cow;

use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use serde_json::Value;

use super::timestamps::format_time;
use crate::schema::{Member, Schema, Shape, ShapeKind, TimestampFormat, XmlNamespace};

/// The name a member goes by in XML (and in an AWS Query form): its `locationName`; for a
/// list flattened on the shape (older models), the list member's `locationName`; else its
/// member name.
pub(crate) fn wire_name<'m>(m: &'m Member, target: &'m Shape) -> &'m str {
    if let Some(name) = &m.location_name {
        return name;
    }
    match &target.kind {
        ShapeKind::List {
            member,
            flattened: true,
        } => member.location_name.as_deref().unwrap_or(&m.name),
        _ => &m.name,
    }
}

/// Whether the list or map `m` refers to stands unwrapped in its parent.
pub(crate) fn is_flattened(m: &Member, target: &Shape) -> bool {
    m.flattened
        || matches!(
            target.kind,
            ShapeKind::List {
                flattened: true,
                ..
            } | ShapeKind::Map {
                flattened: true,
                ..
            }
        )
}

/// Writing to a `Vec` cannot fail.
pub(crate) fn emit(w: &mut Writer<Vec<u8>>, event: Event<'_>) {
    let _ = w.write_event(event);
}

/// `<start>text</start>`.
pub(crate) fn text_element(w: &mut Writer<Vec<u8>>, start: BytesStart<'_>, text: &str) {
    let end = start.to_end().into_owned();
    emit(w, Event::Start(start));
    emit(w, Event::Text(BytesText::new(text)));
    emit(w, Event::End(end));
}

/// The start of element `name`, with its namespace declaration if it has one.
pub(crate) fn element<'a>(name: &'a str, ns: Option<&XmlNamespace>) -> BytesStart<'a> {
    let mut start = BytesStart::new(name);
    if let Some(ns) = ns {
        match &ns.prefix {
            Some(prefix) => start.push_attribute((format!("xmlns:{prefix}").as_str(), &*ns.uri)),
            None => start.push_attribute(("xmlns", &*ns.uri)),
        }
    }
    start
}

/// A writer of one answer's values, walking the schema.
pub(crate) struct Xml<'a> {
    pub(crate) schema: &'a Schema,
    pub(crate) w: &'a mut Writer<Vec<u8>>,
}

impl Xml<'_> {
    /// `<name>` with the structure's members (attributes among them on the element).
    pub(crate) fn structure(
        mut self,
        shape: &Shape,
        name: &str,
        ns: Option<&XmlNamespace>,
        value: &Value,
    ) {
        if !matches!(
            (&shape.kind, value),
            (ShapeKind::Structure { .. }, Value::Object(_))
        ) {
            return self.scalar(shape, name, ns, value);
        }
        let start = self.with_attributes(element(name, ns), shape, value);
        emit(self.w, Event::Start(start));
        self.reborrow().members(shape, value);
        emit(self.w, Event::End(BytesEnd::new(name)));
    }

    /// `start` with the structure's attribute members added.
    pub(crate) fn with_attributes<'s>(
        &self,
        mut start: BytesStart<'s>,
        shape: &Shape,
        value: &Value,
    ) -> BytesStart<'s> {
        let (ShapeKind::Structure { members }, Value::Object(obj)) = (&shape.kind, value) else {
            return start;
        };
        for m in members.iter().filter(|m| m.xml_attribute) {
            let v = obj.get(m.name.as_ref()).filter(|v| !v.is_null());
            if let (Some(v), Some(target)) = (v, self.schema.shape(&m.target)) {
                let name = wire_name(m, target);
                start.push_attribute((name, scalar_text(&target.kind, v).as_ref()));
            }
        }
        start
    }

    /// The structure's members other than attributes, as elements in model order.
    pub(crate) fn members(mut self, shape: &Shape, value: &Value) {
        let (ShapeKind::Structure { members }, Value::Object(obj)) = (&shape.kind, value) else {
            return;
        };
        for m in members.iter().filter(|m| !m.xml_attribute) {
            let v = obj.get(m.name.as_ref()).filter(|v| !v.is_null());
            if let (Some(v), Some(target)) = (v, self.schema.shape(&m.target)) {
                let name = wire_name(m, target);
                self.reborrow()
                    .value(m, target, name, m.xml_namespace.as_ref(), v);
            }
        }
    }

    fn reborrow(&mut self) -> Xml<'_> {
        Xml {
            schema: self.schema,
            w: self.w,
        }
    }

    /// A value of shape `shape`, referred to by `m`, as element `name`.
    fn value(
        mut self,
        m: &Member,
        shape: &Shape,
        name: &str,
        ns: Option<&XmlNamespace>,
        v: &Value,
    ) {
        match (&shape.kind, v) {
            (ShapeKind::Structure { .. }, _) => self.structure(shape, name, ns, v),
            (ShapeKind::List { member, .. }, Value::Array(items)) => {
                let Some(target) = self.schema.shape(&member.target) else {
                    return;
                };
                let items = items.iter().filter(|v| !v.is_null());
                if is_flattened(m, shape) {
                    let ns = member.xml_namespace.as_ref().or(ns);
                    for item in items {
                        self.reborrow().value(member, target, name, ns, item);
                    }
                    return;
                }
                emit(self.w, Event::Start(element(name, ns)));
                let item_name = member.location_name.as_deref().unwrap_or("member");
                for item in items {
                    let ns = member.xml_namespace.as_ref();
                    self.reborrow().value(member, target, item_name, ns, item);
                }
                emit(self.w, Event::End(BytesEnd::new(name)));
            }
            (ShapeKind::Map { key, value, .. }, Value::Object(entries)) => {
                let Some(target) = self.schema.shape(&value.target) else {
                    return;
                };
                let flattened = is_flattened(m, shape);
                if !flattened {
                    emit(self.w, Event::Start(element(name, ns)));
                }
                let key_name = key.location_name.as_deref().unwrap_or("key");
                let value_name = value.location_name.as_deref().unwrap_or("value");
                for (k, v) in entries.iter().filter(|(_, v)| !v.is_null()) {
                    let entry = if flattened {
                        element(name, ns)
                    } else {
                        BytesStart::new("entry")
                    };
                    let end = entry.to_end().into_owned();
                    emit(self.w, Event::Start(entry));
                    text_element(self.w, element(key_name, key.xml_namespace.as_ref()), k);
                    let ns = value.xml_namespace.as_ref();
                    self.reborrow().value(value, target, value_name, ns, v);
                    emit(self.w, Event::End(end));
                }
                if !flattened {
                    emit(self.w, Event::End(BytesEnd::new(name)));
                }
            }
            _ => self.scalar(shape, name, ns, v),
        }
    }

    fn scalar(self, shape: &Shape, name: &str, ns: Option<&XmlNamespace>, v: &Value) {
        text_element(self.w, element(name, ns), &scalar_text(&shape.kind, v));
    }
}

/// A scalar's text in an answer.
fn scalar_text<'v>(kind: &ShapeKind, v: &'v Value) -> Cow<'v, str> {
    match (kind, v) {
        (_, Value::String(s)) => Cow::Borrowed(s),
        (_, Value::Bool(b)) => Cow::Borrowed(if *b { "true" } else { "false" }),
        (ShapeKind::Timestamp { format }, Value::Number(n)) => n
            .as_f64()
            .and_then(|s| format_time(s, format.unwrap_or(TimestampFormat::Iso8601)))
            .map_or_else(|| Cow::Owned(n.to_string()), Cow::Owned),
        (_, other) => Cow::Owned(other.to_string()),
    }
}
