#!/usr/bin/env python3
"""Generate Berth's ECS wire shapes from the AWS service model.

Usage:
    python3 tools/codegen/gen_ecs.py [path/to/service-2.json(.gz)]

Without an argument it downloads botocore from PyPI into a temporary directory
(`pip download botocore`) and reads data/ecs/2014-11-13/service-2.json.gz from it.

It writes crates/ecs-model/src/generated/{shapes,operations,validate}.rs.
Only names, types and constraints are taken from the model; documentation text
is never emitted.

Mapping rules (see crates/ecs-model/src/lib.rs for the runtime half):
- structure -> struct; every member is Option<T> (so `null` and absence are the
  same, and `required` is checked by Validate), except non-boxed primitives
  (Integer, Long, Double, Boolean) which the protocol always carries: plain
  values with `#[serde(default)]`, always serialized.
- string with enum -> enum with one variant per value plus Unrecognized(String), so
  an unknown value deserializes and is reported by Validate as a parameter error.
- list -> Vec<T>, map -> BTreeMap<String, T>, timestamp -> f64 epoch seconds.
- exception structures are not generated (errors live in berth-ecs).
"""

import glob
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "crates", "ecs-model", "src", "generated")

RUST_KEYWORDS = {
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn",
    "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe",
    "use", "where", "while", "async", "await", "dyn", "abstract", "become", "box", "do",
    "final", "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "try",
}

PRIMITIVE = {"integer": "i32", "long": "i64", "double": "f64", "boolean": "bool"}


def load_model(path):
    if path is None:
        tmp = tempfile.mkdtemp()
        subprocess.check_call(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp, "botocore"]
        )
        wheel = glob.glob(os.path.join(tmp, "botocore-*.whl"))[0]
        import zipfile

        with zipfile.ZipFile(wheel) as z:
            raw = z.read("botocore/data/ecs/2014-11-13/service-2.json.gz")
        version = os.path.basename(wheel).split("-")[1]
        return json.loads(gzip.decompress(raw)), "botocore " + version
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        return json.load(f), os.path.basename(path)


def snake(name):
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = s.replace("-", "_").lower()
    return "r#" + s if s in RUST_KEYWORDS else s


def variant(value):
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", value) if p]
    out = []
    for p in parts:
        # keep camelCase humps of mixed-case values (e.g. "containerInsights")
        for hump in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+|[0-9]+", p) or [p]:
            out.append(hump[:1].upper() + hump[1:].lower())
    name = "".join(out) or "Empty"
    if name[0].isdigit():
        name = "V" + name
    return name


class Gen:
    def __init__(self, model):
        self.model = model
        self.shapes = model["shapes"]

    def is_boxed_primitive(self, shape_name):
        s = self.shapes[shape_name]
        return s["type"] in PRIMITIVE and not s.get("box", False)

    def rust_type(self, shape_name):
        s = self.shapes[shape_name]
        t = s["type"]
        if t == "string":
            return shape_name if "enum" in s else "String"
        if t == "blob":
            return "String"
        if t in PRIMITIVE:
            return PRIMITIVE[t]
        if t == "timestamp":
            return "f64"
        if t == "list":
            return "Vec<%s>" % self.rust_type(s["member"]["shape"])
        if t == "map":
            return "BTreeMap<String, %s>" % self.rust_type(s["value"]["shape"])
        if t == "structure":
            return shape_name
        raise ValueError("unhandled shape type %s" % t)

    # ---------------------------------------------------------------- shapes.rs
    def gen_shapes(self):
        out = [HEADER, "use std::collections::BTreeMap;\n", "use serde::{Deserialize, Serialize};\n"]
        for name in sorted(self.shapes):
            s = self.shapes[name]
            if s["type"] == "structure" and not s.get("exception"):
                out.append(self.gen_struct(name, s))
            elif s["type"] == "string" and "enum" in s:
                out.append(self.gen_enum(name, s))
        return "\n".join(out)

    def gen_struct(self, name, s):
        lines = ["#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]"]
        lines.append("pub struct %s {" % name)
        for member, ref in s["members"].items():
            ty = self.rust_type(ref["shape"])
            field = snake(member)
            if self.is_boxed_primitive(ref["shape"]):
                lines.append('    #[serde(rename = "%s", default)]' % member)
                lines.append("    pub %s: %s," % (field, ty))
            else:
                lines.append(
                    '    #[serde(rename = "%s", default, skip_serializing_if = "Option::is_none")]'
                    % member
                )
                lines.append("    pub %s: Option<%s>," % (field, ty))
        lines.append("}\n")
        return "\n".join(lines)

    def enum_variants(self, s):
        seen = {}
        result = []
        for value in s["enum"]:
            v = variant(value)
            while v in seen or v == "Unrecognized":
                v += "_"
            seen[v] = value
            result.append((v, value))
        return result

    def gen_enum(self, name, s):
        vs = self.enum_variants(s)
        lines = ["#[derive(Clone, Debug, PartialEq, Eq, Hash)]", "pub enum %s {" % name]
        for v, value in vs:
            lines.append("    %s," % v)
        lines.append("    /// A value the model does not list; rejected by `Validate`.")
        lines.append("    Unrecognized(String),")
        lines.append("}\n")
        lines.append("impl %s {" % name)
        lines.append("    pub const VALUES: &'static [&'static str] = &[%s];" % ", ".join(
            json.dumps(value) for _, value in vs))
        lines.append("    pub fn as_str(&self) -> &str {")
        lines.append("        match self {")
        for v, value in vs:
            lines.append("            Self::%s => %s," % (v, json.dumps(value)))
        lines.append("            Self::Unrecognized(s) => s,")
        lines.append("        }")
        lines.append("    }")
        lines.append("    pub fn parse(s: &str) -> Self {")
        lines.append("        match s {")
        for v, value in vs:
            lines.append("            %s => Self::%s," % (json.dumps(value), v))
        lines.append("            other => Self::Unrecognized(other.to_owned()),")
        lines.append("        }")
        lines.append("    }")
        lines.append("}\n")
        lines.append("crate::string_enum!(%s);\n" % name)
        return "\n".join(lines)

    # ------------------------------------------------------------ operations.rs
    def gen_operations(self):
        ops = sorted(self.model["operations"])
        md = self.model["metadata"]
        out = [HEADER]
        out.append("/// The JSON protocol target prefix (`X-Amz-Target: <prefix>.<Operation>`).")
        out.append("pub const TARGET_PREFIX: &str = %s;\n" % json.dumps(md["targetPrefix"]))
        out.append("/// The signing name in the SigV4 credential scope.")
        out.append("pub const SIGNING_NAME: &str = %s;\n" % json.dumps(md["signingName"]))
        out.append("#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]")
        out.append("pub enum Operation {")
        for op in ops:
            out.append("    %s," % op)
        out.append("}\n")
        out.append("impl Operation {")
        out.append("    pub const ALL: &'static [Operation] = &[%s];" % ", ".join(
            "Operation::" + o for o in ops))
        out.append("    pub fn name(self) -> &'static str {")
        out.append("        match self {")
        for op in ops:
            out.append('            Operation::%s => "%s",' % (op, op))
        out.append("        }")
        out.append("    }")
        out.append("    pub fn from_name(name: &str) -> Option<Self> {")
        out.append("        match name {")
        for op in ops:
            out.append('            "%s" => Some(Operation::%s),' % (op, op))
        out.append("            _ => None,")
        out.append("        }")
        out.append("    }")
        out.append("}")
        return "\n".join(out) + "\n"

    # -------------------------------------------------------------- validate.rs
    def gen_validate(self):
        out = [HEADER, "use crate::shapes::*;", "use crate::validate::{Validate, Violations};\n"]
        for name in sorted(self.shapes):
            s = self.shapes[name]
            if s["type"] == "structure" and not s.get("exception"):
                out.append(self.gen_struct_validate(name, s))
            elif s["type"] == "string" and "enum" in s:
                out.append(
                    "impl Validate for %s {\n"
                    "    fn validate(&self, path: &str, v: &mut Violations) {\n"
                    "        if let Self::Unrecognized(value) = self {\n"
                    "            v.bad_enum(path, value, Self::VALUES);\n"
                    "        }\n"
                    "    }\n"
                    "}\n" % name
                )
        return "\n".join(out)

    def value_checks(self, shape_name, expr, path_expr, depth=0):
        """Statements validating the value `expr` (a reference) of shape `shape_name`."""
        s = self.shapes[shape_name]
        t = s["type"]
        stmts = []
        if t == "string" and "enum" in s:
            stmts.append("%s.validate(&%s, v);" % (expr, path_expr))
        elif t == "string" and ("min" in s or "max" in s):
            stmts.append("v.len(&%s, %s.chars().count(), %s, %s);" % (
                path_expr, expr, opt(s.get("min")), opt(s.get("max"))))
        elif t in ("integer", "long") and ("min" in s or "max" in s):
            stmts.append("v.range(&%s, i64::from(*%s), %s, %s);" % (
                path_expr, expr, opt(s.get("min")), opt(s.get("max"))))
        elif t == "double" and ("min" in s or "max" in s):
            stmts.append("v.range_f64(&%s, *%s, %s, %s);" % (
                path_expr, expr, optf(s.get("min")), optf(s.get("max"))))
        elif t == "structure":
            stmts.append("%s.validate(&%s, v);" % (expr, path_expr))
        elif t == "list":
            if "min" in s or "max" in s:
                stmts.append("v.len(&%s, %s.len(), %s, %s);" % (
                    path_expr, expr, opt(s.get("min")), opt(s.get("max"))))
            inner = self.value_checks(
                s["member"]["shape"], "item%d" % depth,
                'format!("{}.{}", %s, i%d)' % (path_expr, depth), depth + 1)
            if inner:
                stmts.append("for (i%d, item%d) in %s.iter().enumerate() {" % (depth, depth, expr))
                stmts.extend("    " + x for x in inner)
                stmts.append("}")
        elif t == "map":
            inner = self.value_checks(
                s["value"]["shape"], "item%d" % depth,
                'format!("{}.{}", %s, k%d)' % (path_expr, depth), depth + 1)
            if inner:
                stmts.append("for (k%d, item%d) in %s.iter() {" % (depth, depth, expr))
                stmts.extend("    " + x for x in inner)
                stmts.append("}")
        return stmts

    def gen_struct_validate(self, name, s):
        required = set(s.get("required", []))
        body = []
        for member, ref in s["members"].items():
            field = snake(member)
            path = 'v.path(path, "%s")' % member
            if self.is_boxed_primitive(ref["shape"]):
                checks = self.value_checks(ref["shape"], "(&self.%s)" % field, "p")
                if checks:
                    body.append("{")
                    body.append("    let p = %s;" % path)
                    body.extend("    " + c for c in checks)
                    body.append("}")
                continue
            checks = self.value_checks(ref["shape"], "value", "p")
            if member in required:
                body.append("match &self.%s {" % field)
                body.append("    None => v.missing(&%s)," % path)
                body.append("    Some(value) => {")
                if checks:
                    body.append("        let p = %s;" % path)
                    body.extend("        " + c for c in checks)
                else:
                    body.append("        let _ = value;")
                body.append("    }")
                body.append("}")
            elif checks:
                body.append("if let Some(value) = &self.%s {" % field)
                body.append("    let p = %s;" % path)
                body.extend("    " + c for c in checks)
                body.append("}")
        params = "path: &str, v: &mut Violations" if body else "_path: &str, _v: &mut Violations"
        lines = ["impl Validate for %s {" % name]
        lines.append("    fn validate(&self, %s) {" % params)
        lines.extend("        " + b for b in body)
        lines.append("    }")
        lines.append("}\n")
        return "\n".join(lines)


def opt(x):
    return "None" if x is None else "Some(%d)" % x


def optf(x):
    return "None" if x is None else "Some(%r_f64)" % float(x)


HEADER_TMPL = """// @generated by tools/codegen/gen_ecs.py from the AWS ECS service model ({src}).
// Do not edit by hand: change the generator and run it again.
#![allow(clippy::all, non_camel_case_types, unused_variables)]
"""
HEADER = ""


def main():
    global HEADER
    model, source = load_model(sys.argv[1] if len(sys.argv) > 1 else None)
    HEADER = HEADER_TMPL.format(src=source)
    gen = Gen(model)
    os.makedirs(OUT, exist_ok=True)
    files = {
        "shapes.rs": gen.gen_shapes(),
        "operations.rs": gen.gen_operations(),
        "validate.rs": gen.gen_validate(),
    }
    for fname, text in files.items():
        path = os.path.join(OUT, fname)
        with open(path, "w") as f:
            f.write(text)
        # Committed output is rustfmt-clean, so `cargo fmt --check` holds for it too.
        subprocess.check_call(["rustfmt", "--edition", "2021", path])
    print("wrote %s from %s (%d operations, %d shapes)" % (
        OUT, source, len(model["operations"]), len(model["shapes"])))


if __name__ == "__main__":
    main()
