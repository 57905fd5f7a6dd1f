//! A description of a service model's shapes that the protocol codecs walk
//! ([`crate::protocol::query`], [`crate::protocol::cbor`]) to transcode a wire format to and
//! from the JSON document a service handles.
//!
//! Every model crate carries one as `schema::SCHEMA`, written by `tools/codegen/gen_model.py`
//! as `&'static` data: the shapes reachable from the operations' inputs and outputs, and per
//! operation its input and output shapes. The same types hold owned data too, so a schema can
//! be built at run time from a botocore-format model ([`Schema::from_botocore`]); the protocol
//! tests build theirs from each test vector's own shapes that way.
//!
//! Names are kept as the model has them: a structure's members by their member names (the
//! keys of the JSON document), shapes by their shape names. What only the XML and form
//! protocols need (`locationName`, `queryName`, `flattened`, attributes, namespaces) rides on
//! the [`Member`] that refers to a shape, as in the model.
//!
//! ```
//! use berth_aws::schema::{Schema, ShapeKind};
//! let model = r#"{
//!     "metadata": {"xmlNamespace": "https://example.com/doc/2020-01-08/"},
//!     "operations": {"Greet": {"input": {"shape": "GreetInput"},
//!                              "output": {"shape": "GreetOutput", "resultWrapper": "GreetResult"}}},
//!     "shapes": {
//!         "GreetInput": {"type": "structure", "members": {"Names": {"shape": "Names"}}},
//!         "GreetOutput": {"type": "structure", "members": {}},
//!         "Names": {"type": "list", "member": {"shape": "String"}},
//!         "String": {"type": "string"}
//!     }
//! }"#;
//! let schema = Schema::from_botocore(model).unwrap();
//! let op = schema.operation("Greet").unwrap();
//! assert_eq!(op.result_wrapper.as_deref(), Some("GreetResult"));
//! let input = schema.shape(op.input.as_deref().unwrap()).unwrap();
//! let ShapeKind::Structure { members } = &input.kind else { panic!() };
//! assert_eq!(members[0].target, "Names");
//! ```

use std::borrow::Cow;

use serde::{Deserialize, Deserializer};

/// A name or other text of the model: borrowed in generated schemas, owned in built ones.
pub type Text = Cow<'static, str>;

/// A service's shapes and operations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schema {
    /// The XML namespace of the service's AWS Query answers (the model's
    /// `metadata.xmlNamespace`), if it has one.
    pub xml_namespace: Option<Text>,
    /// Sorted by name.
    pub shapes: Cow<'static, [Shape]>,
    /// Sorted by name.
    pub operations: Cow<'static, [Operation]>,
}

/// One operation: which shapes its input and output are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    pub name: Text,
    pub input: Option<Text>,
    pub output: Option<Text>,
    /// The element an AWS Query answer wraps the output in (`<{Op}Result>` if the model
    /// names none).
    pub result_wrapper: Option<Text>,
}

/// A named shape of the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shape {
    pub name: Text,
    pub kind: ShapeKind,
}

/// What a shape is. String enums are strings and intEnums integers here: their values are
/// the model validation's business, not the codecs'.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShapeKind {
    /// A structure (or a union), its members in model order.
    Structure {
        members: Cow<'static, [Member]>,
    },
    List {
        member: Member,
        /// The list shape itself is flattened (older models say so on the shape rather than
        /// on the member that refers to it).
        flattened: bool,
    },
    Map {
        key: Member,
        value: Member,
        flattened: bool,
    },
    String,
    /// 32-bit.
    Integer,
    /// 64-bit.
    Long,
    Float,
    Double,
    Boolean,
    /// Epoch seconds in the JSON document; `format` is the model's `timestampFormat`, else
    /// each protocol's own default.
    Timestamp {
        format: Option<TimestampFormat>,
    },
    /// Base64 text in the JSON document.
    Blob,
    /// Any JSON value (a `document` structure).
    Document,
}

/// A model's `timestampFormat`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimestampFormat {
    /// `iso8601`: `2015-01-25T08:00:00Z`.
    Iso8601,
    /// `unixTimestamp`: epoch seconds, `1422172800`.
    UnixTimestamp,
    /// `rfc822`: an HTTP date, `Sun, 25 Jan 2015 08:00:00 GMT`.
    Rfc822,
}

/// A reference to a shape: a structure's member, a list's member or a map's key or value,
/// with the serialization traits the reference carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// The member's name: the key in the JSON document (`member`, `key` and `value` for a
    /// list's or a map's).
    pub name: Text,
    /// The shape it refers to.
    pub target: Text,
    /// Its name on the wire when not `name` (`locationName`).
    pub location_name: Option<Text>,
    /// Its name in an `ec2` protocol request, before any other (`queryName`, the Smithy
    /// `ec2QueryName` trait).
    pub query_name: Option<Text>,
    /// A list or map member whose entries stand directly in the parent, unwrapped.
    pub flattened: bool,
    /// Serialized as an XML attribute of the parent element.
    pub xml_attribute: bool,
    pub xml_namespace: Option<XmlNamespace>,
}

/// An `xmlNamespace` trait: `xmlns="uri"`, or `xmlns:prefix="uri"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XmlNamespace {
    pub prefix: Option<Text>,
    pub uri: Text,
}

impl Schema {
    /// A schema over generated tables (`shapes` and `operations` sorted by name).
    pub const fn new(
        xml_namespace: Option<&'static str>,
        shapes: &'static [Shape],
        operations: &'static [Operation],
    ) -> Schema {
        Schema {
            xml_namespace: text(xml_namespace),
            shapes: Cow::Borrowed(shapes),
            operations: Cow::Borrowed(operations),
        }
    }

    pub fn shape(&self, name: &str) -> Option<&Shape> {
        self.shapes
            .binary_search_by(|s| s.name.as_ref().cmp(name))
            .ok()
            .and_then(|i| self.shapes.get(i))
    }

    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.operations
            .binary_search_by(|o| o.name.as_ref().cmp(name))
            .ok()
            .and_then(|i| self.operations.get(i))
    }
}

impl Operation {
    pub const fn new(
        name: &'static str,
        input: Option<&'static str>,
        output: Option<&'static str>,
        result_wrapper: Option<&'static str>,
    ) -> Operation {
        Operation {
            name: Cow::Borrowed(name),
            input: text(input),
            output: text(output),
            result_wrapper: text(result_wrapper),
        }
    }
}

impl Shape {
    pub const fn new(name: &'static str, kind: ShapeKind) -> Shape {
        Shape {
            name: Cow::Borrowed(name),
            kind,
        }
    }
}

impl ShapeKind {
    pub const fn structure(members: &'static [Member]) -> ShapeKind {
        ShapeKind::Structure {
            members: Cow::Borrowed(members),
        }
    }
}

impl Member {
    /// A reference with no serialization traits.
    pub const fn new(name: &'static str, target: &'static str) -> Member {
        Member::xml(name, target, None, false, false, None)
    }

    /// A reference with XML serialization traits; `namespace` is `(prefix, uri)`.
    pub const fn xml(
        name: &'static str,
        target: &'static str,
        location_name: Option<&'static str>,
        flattened: bool,
        xml_attribute: bool,
        namespace: Option<(Option<&'static str>, &'static str)>,
    ) -> Member {
        Member::full(
            name,
            target,
            location_name,
            None,
            flattened,
            xml_attribute,
            namespace,
        )
    }

    /// A reference with every trait, `queryName` among them (the generator writes this form
    /// only for members that have one).
    pub const fn full(
        name: &'static str,
        target: &'static str,
        location_name: Option<&'static str>,
        query_name: Option<&'static str>,
        flattened: bool,
        xml_attribute: bool,
        namespace: Option<(Option<&'static str>, &'static str)>,
    ) -> Member {
        Member {
            name: Cow::Borrowed(name),
            target: Cow::Borrowed(target),
            location_name: text(location_name),
            query_name: text(query_name),
            flattened,
            xml_attribute,
            xml_namespace: match namespace {
                Some((prefix, uri)) => Some(XmlNamespace {
                    prefix: text(prefix),
                    uri: Cow::Borrowed(uri),
                }),
                None => None,
            },
        }
    }
}

const fn text(s: Option<&'static str>) -> Option<Text> {
    match s {
        Some(s) => Some(Cow::Borrowed(s)),
        None => None,
    }
}

impl Schema {
    /// Checks what lookups rely on: shapes and operations sorted by name without
    /// duplicates, and every shape an operation or a shape refers to present. (A generated
    /// schema's model crate runs this in its tests.)
    pub fn check(&self) -> Result<(), SchemaError> {
        let sorted = |names: Vec<&str>, what: &str| match names.windows(2).find(|w| w[0] >= w[1]) {
            Some(w) => Err(SchemaError(format!(
                "{what} not sorted at {} / {}",
                w[0], w[1]
            ))),
            None => Ok(()),
        };
        sorted(
            self.shapes.iter().map(|s| s.name.as_ref()).collect(),
            "shapes",
        )?;
        sorted(
            self.operations.iter().map(|o| o.name.as_ref()).collect(),
            "operations",
        )?;
        let refs = self
            .operations
            .iter()
            .flat_map(|o| [o.input.as_deref(), o.output.as_deref()])
            .flatten()
            .chain(self.shapes.iter().flat_map(|s| targets(&s.kind)));
        for target in refs {
            if self.shape(target).is_none() {
                return Err(SchemaError(format!(
                    "shape {target} is referred to but missing"
                )));
            }
        }
        Ok(())
    }
}

/// Why a botocore-format model could not be read into a [`Schema`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SchemaError(pub String);

impl Schema {
    /// Builds a schema from a botocore-format model (`metadata`, `operations`, `shapes`, as
    /// in botocore's `service-2.json` and its protocol test vectors), keeping the shapes
    /// reachable from the operations' inputs and outputs, as the generator does. Members
    /// keep the order the text gives them. A `Schema` deserializes from the same text, so a
    /// test fixture can hold models.
    pub fn from_botocore(model_json: &str) -> Result<Schema, SchemaError> {
        serde_json::from_str(model_json).map_err(|e| SchemaError(e.to_string()))
    }
}

impl<'de> Deserialize<'de> for Schema {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let model = botocore::Model::deserialize(d)?;
        model.into_schema().map_err(serde::de::Error::custom)
    }
}

/// The parts of a botocore model the schema keeps.
mod botocore {
    use std::borrow::Cow;
    use std::collections::{BTreeMap, BTreeSet};
    use std::marker::PhantomData;

    use serde::de::{MapAccess, Visitor};
    use serde::{Deserialize, Deserializer};

    use super::{
        targets, Member, Operation, Schema, SchemaError, Shape, ShapeKind, TimestampFormat,
        XmlNamespace,
    };

    #[derive(Deserialize)]
    pub(super) struct Model {
        #[serde(default)]
        metadata: Metadata,
        #[serde(default)]
        operations: BTreeMap<String, OperationDef>,
        #[serde(default)]
        shapes: BTreeMap<String, ShapeDef>,
    }

    #[derive(Deserialize, Default)]
    #[serde(rename_all = "camelCase")]
    struct Metadata {
        xml_namespace: Option<String>,
    }

    #[derive(Deserialize)]
    struct OperationDef {
        input: Option<IoDef>,
        output: Option<IoDef>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct IoDef {
        shape: String,
        result_wrapper: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct ShapeDef {
        #[serde(rename = "type")]
        ty: String,
        #[serde(default)]
        members: InOrder<RefDef>,
        member: Option<RefDef>,
        key: Option<RefDef>,
        value: Option<RefDef>,
        #[serde(default)]
        flattened: bool,
        #[serde(default)]
        document: bool,
        timestamp_format: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct RefDef {
        shape: String,
        location_name: Option<String>,
        query_name: Option<String>,
        #[serde(default)]
        flattened: bool,
        #[serde(default)]
        xml_attribute: bool,
        xml_namespace: Option<NamespaceDef>,
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NamespaceDef {
        Uri(String),
        Full { prefix: Option<String>, uri: String },
    }

    /// A JSON object's entries in the order the text has them.
    struct InOrder<T>(Vec<(String, T)>);

    impl<T> Default for InOrder<T> {
        fn default() -> Self {
            InOrder(Vec::new())
        }
    }

    impl<'de, T: Deserialize<'de>> Deserialize<'de> for InOrder<T> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V<T>(PhantomData<T>);
            impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
                type Value = InOrder<T>;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                    let mut entries = Vec::new();
                    while let Some(entry) = map.next_entry()? {
                        entries.push(entry);
                    }
                    Ok(InOrder(entries))
                }
            }
            d.deserialize_map(V(PhantomData))
        }
    }

    fn owned(s: &Option<String>) -> Option<Cow<'static, str>> {
        s.clone().map(Cow::Owned)
    }

    impl RefDef {
        fn member(&self, name: &str) -> Member {
            Member {
                name: Cow::Owned(name.to_owned()),
                target: Cow::Owned(self.shape.clone()),
                location_name: owned(&self.location_name),
                query_name: owned(&self.query_name),
                flattened: self.flattened,
                xml_attribute: self.xml_attribute,
                xml_namespace: self.xml_namespace.as_ref().map(|ns| match ns {
                    NamespaceDef::Uri(uri) => XmlNamespace {
                        prefix: None,
                        uri: Cow::Owned(uri.clone()),
                    },
                    NamespaceDef::Full { prefix, uri } => XmlNamespace {
                        prefix: owned(prefix),
                        uri: Cow::Owned(uri.clone()),
                    },
                }),
            }
        }
    }

    impl ShapeDef {
        fn kind(&self, name: &str) -> Result<ShapeKind, SchemaError> {
            let part = |r: &Option<RefDef>, role: &str| {
                r.as_ref()
                    .map(|r| r.member(role))
                    .ok_or_else(|| SchemaError(format!("{} shape {name} has no {role}", self.ty)))
            };
            Ok(match self.ty.as_str() {
                "structure" if self.document => ShapeKind::Document,
                "structure" => ShapeKind::Structure {
                    members: Cow::Owned(self.members.0.iter().map(|(m, r)| r.member(m)).collect()),
                },
                "list" => ShapeKind::List {
                    member: part(&self.member, "member")?,
                    flattened: self.flattened,
                },
                "map" => ShapeKind::Map {
                    key: part(&self.key, "key")?,
                    value: part(&self.value, "value")?,
                    flattened: self.flattened,
                },
                "string" => ShapeKind::String,
                "integer" => ShapeKind::Integer,
                "long" => ShapeKind::Long,
                "float" => ShapeKind::Float,
                "double" => ShapeKind::Double,
                "boolean" => ShapeKind::Boolean,
                "blob" => ShapeKind::Blob,
                "timestamp" => ShapeKind::Timestamp {
                    format: match self.timestamp_format.as_deref() {
                        None => None,
                        Some("iso8601") => Some(TimestampFormat::Iso8601),
                        Some("unixTimestamp") => Some(TimestampFormat::UnixTimestamp),
                        Some("rfc822") => Some(TimestampFormat::Rfc822),
                        Some(other) => {
                            return Err(SchemaError(format!(
                                "shape {name}: unknown timestampFormat {other}"
                            )))
                        }
                    },
                },
                other => {
                    return Err(SchemaError(format!(
                        "shape {name}: unsupported type {other:?}"
                    )))
                }
            })
        }
    }

    impl Model {
        pub(super) fn into_schema(self) -> Result<Schema, SchemaError> {
            let operations: Vec<Operation> = self
                .operations
                .iter()
                .map(|(name, op)| Operation {
                    name: Cow::Owned(name.clone()),
                    input: op.input.as_ref().map(|io| Cow::Owned(io.shape.clone())),
                    output: op.output.as_ref().map(|io| Cow::Owned(io.shape.clone())),
                    result_wrapper: op.output.as_ref().and_then(|io| owned(&io.result_wrapper)),
                })
                .collect();
            let mut todo: Vec<String> = self
                .operations
                .values()
                .flat_map(|o| [&o.input, &o.output])
                .flatten()
                .map(|io| io.shape.clone())
                .collect();
            let mut seen: BTreeSet<String> = todo.iter().cloned().collect();
            let mut built = BTreeMap::new();
            while let Some(name) = todo.pop() {
                let def = self.shapes.get(&name).ok_or_else(|| {
                    SchemaError(format!("shape {name} is referred to but not defined"))
                })?;
                let kind = def.kind(&name)?;
                for target in targets(&kind) {
                    if seen.insert(target.to_owned()) {
                        todo.push(target.to_owned());
                    }
                }
                built.insert(
                    name.clone(),
                    Shape {
                        name: Cow::Owned(name),
                        kind,
                    },
                );
            }
            Ok(Schema {
                xml_namespace: owned(&self.metadata.xml_namespace),
                shapes: Cow::Owned(built.into_values().collect()),
                operations: Cow::Owned(operations),
            })
        }
    }
}

/// The shapes a shape refers to.
fn targets(kind: &ShapeKind) -> Vec<&str> {
    match kind {
        ShapeKind::Structure { members } => members.iter().map(|m| m.target.as_ref()).collect(),
        ShapeKind::List { member, .. } => vec![member.target.as_ref()],
        ShapeKind::Map { key, value, .. } => vec![key.target.as_ref(), value.target.as_ref()],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MEMBERS: &[Member] = &[
        Member::full("Id", "String", Some("id"), Some("ID"), false, false, None),
        Member::new("Name", "String"),
        Member::xml("Tags", "TagList", Some("Tag"), true, false, None),
    ];
    const SHAPES: &[Shape] = &[
        Shape::new("Input", ShapeKind::structure(MEMBERS)),
        Shape::new("String", ShapeKind::String),
        Shape::new(
            "TagList",
            ShapeKind::List {
                member: Member::new("member", "String"),
                flattened: false,
            },
        ),
    ];
    const OPS: &[Operation] = &[Operation::new("Op", Some("Input"), None, None)];
    static SCHEMA: Schema = Schema::new(Some("https://example.com/"), SHAPES, OPS);

    #[test]
    fn a_static_schema_equals_the_one_built_from_its_model() {
        let model = serde_json::json!({
            "metadata": {"xmlNamespace": "https://example.com/"},
            "operations": {"Op": {"input": {"shape": "Input"}}},
            "shapes": {
                "Input": {"type": "structure", "members": {
                    "Name": {"shape": "String"},
                    "Tags": {"shape": "TagList", "locationName": "Tag", "flattened": true},
                    "Id": {"shape": "String", "locationName": "id", "queryName": "ID"}}},
                "TagList": {"type": "list", "member": {"shape": "String"}},
                "String": {"type": "string"},
                "Unreached": {"type": "string"}
            }
        });
        let built = Schema::from_botocore(&model.to_string());
        assert_eq!(built.as_ref(), Ok(&SCHEMA));
        assert_eq!(SCHEMA.check(), Ok(()));
        assert!(SCHEMA.shape("TagList").is_some());
        assert!(SCHEMA.shape("Unreached").is_none());
        assert_eq!(
            SCHEMA.operation("Op").map(|o| o.input.as_deref()),
            Some(Some("Input"))
        );
    }

    #[test]
    fn dangling_references_and_unknown_types_are_errors() {
        let dangling = serde_json::json!({"operations": {"Op": {"input": {"shape": "Nope"}}}});
        assert!(Schema::from_botocore(&dangling.to_string()).is_err());
        let odd = serde_json::json!({
            "operations": {"Op": {"input": {"shape": "X"}}},
            "shapes": {"X": {"type": "bigDecimal"}}
        });
        assert!(Schema::from_botocore(&odd.to_string()).is_err());
        const UNSORTED: &[Operation] = &[
            Operation::new("B", None, None, None),
            Operation::new("A", None, None, None),
        ];
        assert!(Schema::new(None, &[], UNSORTED).check().is_err());
        const MISSING: &[Operation] = &[Operation::new("A", Some("In"), None, None)];
        assert!(Schema::new(None, &[], MISSING).check().is_err());
    }
}
