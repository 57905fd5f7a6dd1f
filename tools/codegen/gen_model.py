#!/usr/bin/env python3
"""Generate a Berth service model crate from the AWS service model in botocore.

Usage:
    python3 tools/codegen/gen_model.py SERVICE [path/to/service-2.json(.gz)]
    python3 tools/codegen/gen_model.py --all
    options: --botocore VERSION (the botocore release to download, default the newest)
             --data DIR (a botocore `data` directory to read instead of downloading)

Without a model path or --data it downloads botocore from PyPI into a temporary directory
(`pip download botocore`) and reads data/<dir>/service-2.json.gz from the wheel.

For each service it writes <crate>/src/generated/{shapes,operations,validate,schema}.rs, and a
Cargo.toml and src/lib.rs for a crate that has none yet (never overwriting them). Only
names, types, constraints and protocol facts are taken from the model; documentation text
is never emitted.

Mapping rules (the runtime half is berth_aws::model):
- structure -> struct; every member is Option<T> (so `null` and absence are the same, and
  `required` is checked by Validate). A service whose line in SERVICES sets
  `plain_primitives` instead carries its non-boxed primitives (integer, long, double,
  boolean shapes without `box`) as plain values with `#[serde(default)]`, always
  serialized: that is right only for models whose primitives without `box` have a default
  (ECS's `Integer` against `BoxedInteger`); for others (CloudWatch Logs' `limit` or
  `retentionInDays`) absence means something else than 0.
- a member whose structure leads back to its own structure without a list or map in
  between is boxed (`Option<Box<T>>`), so recursive shapes have a size.
- string with enum -> enum with one variant per value plus Unrecognized(String), so an
  unknown value deserializes and is reported by Validate as a parameter error.
- list -> Vec<T>, map -> BTreeMap<String, T> (enum keys too, unchecked).
- timestamp -> f64 epoch seconds, the JSON protocols' form; a member with its own
  `timestampFormat` is refused. Time fields that the model types as long (CloudWatch Logs'
  epoch milliseconds) stay i64.
- blob -> String holding the base64 text, as the JSON protocols carry it; decoding is the
  handler's business.
- document shapes come out as empty structs (their content is dropped).
- exception structures get no struct unless a member carries one (an event stream's
  errors); operations.rs lists them all in ERRORS (code, HTTP status, fault) for the
  server's error mapping.
- schema.rs: `SCHEMA`, a berth_aws::schema::Schema of the shapes reachable from the
  operations' inputs and outputs (kinds, member names and targets in model order, and the
  XML and form traits: locationName, queryName, flattened, xmlAttribute, xmlNamespace;
  timestampFormat) and of
  each operation's input, output and Query resultWrapper, for the protocol codecs that
  transcode AWS Query and rpc-v2-cbor to and from the JSON document. It is the same data as
  berth_aws::schema::Schema::from_botocore builds at run time.
- a service whose line in SERVICES lists `operations` is generated for those operations
  alone (EC2's model has hundreds): its operations.rs, shapes.rs, validate.rs and schema.rs
  hold only those operations and the shapes reachable from their inputs and outputs (and
  the model's exceptions, if it declares any), as if the model had no others.
"""

import argparse
import glob
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# service -> where its model is in botocore's data directory, the crate that holds the
# generated code, its package name, whether non-boxed primitives are plain values, and the
# operations to generate when not all of them (see the mapping rules above).
SERVICES = {
    "ecs": dict(data="ecs/2014-11-13", crate="crates/ecs-model", package="berth-ecs-model",
                plain_primitives=True),
    "logs": dict(data="logs/2014-03-28", crate="crates/logs-model", package="berth-logs-model"),
    "ecr": dict(data="ecr/2015-09-21", crate="crates/ecr-model", package="berth-ecr-model"),
    "secretsmanager": dict(data="secretsmanager/2017-10-17", crate="crates/secretsmanager-model",
                           package="berth-secretsmanager-model"),
    "ssm": dict(data="ssm/2014-11-06", crate="crates/ssm-model", package="berth-ssm-model"),
    "sts": dict(data="sts/2011-06-15", crate="crates/sts-model", package="berth-sts-model"),
    "iam": dict(data="iam/2010-05-08", crate="crates/iam-model", package="berth-iam-model"),
    "servicediscovery": dict(data="servicediscovery/2017-03-14",
                             crate="crates/servicediscovery-model",
                             package="berth-servicediscovery-model"),
    "elbv2": dict(data="elbv2/2015-12-01", crate="crates/elbv2-model", package="berth-elbv2-model"),
    # What load balancer callers (and the tools around ECS and ELB) ask of EC2: the default
    # VPC, its subnets and zones, security groups and their rules, tags.
    "ec2": dict(data="ec2/2016-11-15", crate="crates/ec2-model", package="berth-ec2-model",
                operations=[
                    "DescribeVpcs", "DescribeVpcAttribute", "DescribeSubnets",
                    "DescribeAvailabilityZones", "DescribeRegions", "DescribeAccountAttributes",
                    "DescribeSecurityGroups", "CreateSecurityGroup", "DeleteSecurityGroup",
                    "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress",
                    "RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress",
                    "DescribeSecurityGroupRules", "ModifySecurityGroupRules",
                    "UpdateSecurityGroupRuleDescriptionsIngress",
                    "UpdateSecurityGroupRuleDescriptionsEgress",
                    "CreateTags", "DeleteTags", "DescribeTags", "DescribeNetworkInterfaces",
                ]),
}

RUST_KEYWORDS = {
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn",
    "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe",
    "use", "where", "while", "async", "await", "dyn", "abstract", "become", "box", "do",
    "final", "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "try",
}
# Keywords that cannot be raw identifiers either.
NOT_RAW = {"crate", "self", "Self", "super"}
# Names the generated code uses unqualified; a shape type of the same name would shadow them.
USED_NAMES = {
    "String", "Vec", "Option", "Some", "None", "Box", "BTreeMap", "Serialize", "Deserialize",
    "Validate", "Violations", "Default", "Clone", "Debug", "PartialEq", "Eq", "Hash",
}

PRIMITIVE = {"integer": "i32", "long": "i64", "double": "f64", "boolean": "bool"}

# botocore scalar types -> berth_aws::schema::ShapeKind (timestamps are handled apart).
SCALAR_KINDS = {"string": "String", "integer": "Integer", "long": "Long", "float": "Float",
                "double": "Double", "boolean": "Boolean", "blob": "Blob"}


# ------------------------------------------------------------------------ model loading
def botocore_version_near(path):
    """The version of the botocore package `path` lies in, if it lies in one."""
    d = os.path.dirname(os.path.abspath(path))
    while d != os.path.dirname(d):
        init = os.path.join(d, "__init__.py")
        if os.path.basename(d) == "botocore" and os.path.exists(init):
            with open(init) as f:
                m = re.search(r"""__version__\s*=\s*['"]([^'"]+)['"]""", f.read())
            if m:
                return m.group(1)
        d = os.path.dirname(d)
    return None


def read_model_file(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        return json.load(f)


class Source:
    """Where service models are read from: a downloaded wheel, a data dir, or one file."""

    def __init__(self, path=None, data=None, version=None):
        self.path, self.data, self.wheel = path, data, None
        if path is None and data is None:
            tmp = tempfile.mkdtemp()
            spec = "botocore==" + version if version else "botocore"
            subprocess.check_call(
                [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp, spec]
            )
            self.wheel = glob.glob(os.path.join(tmp, "botocore-*.whl"))[0]
            self.version = os.path.basename(self.wheel).split("-")[1]
        else:
            self.version = botocore_version_near(path or os.path.join(data, "x"))

    def load(self, data_dir):
        if self.wheel:
            with zipfile.ZipFile(self.wheel) as z:
                raw = z.read("botocore/data/%s/service-2.json.gz" % data_dir)
            model = json.loads(gzip.decompress(raw))
        elif self.data:
            found = sorted(glob.glob(os.path.join(self.data, data_dir, "service-2.json*")))
            if not found:
                sys.exit("no service-2.json[.gz] under %s" % os.path.join(self.data, data_dir))
            model = read_model_file(found[0])
        else:
            model = read_model_file(self.path)
        what = "botocore %s" % self.version if self.version else os.path.basename(
            self.path or self.data)
        return model, "%s, %s" % (what, data_dir)


# ------------------------------------------------------------------------------ names
def snake(name):
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = s.replace("-", "_").lower()
    if s in NOT_RAW or not re.fullmatch(r"[a-z_][a-z0-9_]*", s):
        raise ValueError("member %r makes no Rust field name (%r)" % (name, s))
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
    if name == "Self":
        name = "Self_"
    return name


def rust_str(s):
    return json.dumps(s)


def rust_opt_str(s):
    return "None" if s is None else "Some(%s)" % rust_str(s)


def rust_bool(b):
    return "true" if b else "false"


class Gen:
    def __init__(self, model, header, plain_primitives=False):
        self.model = model
        self.shapes = model["shapes"]
        self.header = header
        self.plain_primitives = plain_primitives
        self.structs = self.find_structs()
        self.check_names()
        self.boxed = self.find_boxed_members()

    def find_structs(self):
        """The structures that become structs: every one but the exceptions, and those
        exceptions that a member carries (the errors of an event stream)."""
        seen = {n for n, s in self.shapes.items()
                if s["type"] == "structure" and not s.get("exception")}
        todo = list(seen)
        while todo:
            s = self.shapes[todo.pop()]
            refs = [r["shape"] for r in s.get("members", {}).values()]
            refs += [s[k]["shape"] for k in ("member", "value") if k in s]
            for ref in refs:
                if ref not in seen and self.shapes[ref]["type"] in ("structure", "list", "map"):
                    seen.add(ref)
                    todo.append(ref)
        return {n for n in seen if self.shapes[n]["type"] == "structure"}

    def emitted(self, s, name):
        """Whether a shape becomes a Rust type of its own."""
        return name in self.structs or (s["type"] == "string" and "enum" in s)

    def types(self):
        """The shapes that become Rust types (structs and enums), by name."""
        return [(n, self.shapes[n]) for n in sorted(self.shapes)
                if self.emitted(self.shapes[n], n)]

    def check_names(self):
        for name, s in self.types():
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) or name in RUST_KEYWORDS:
                raise ValueError("shape %r makes no Rust type name" % name)
            if name in USED_NAMES:
                raise ValueError("shape %r would shadow a name the generated code uses" % name)
            for ref in s.get("members", {}).values():
                if "timestampFormat" in ref or "timestampFormat" in self.shapes[ref["shape"]]:
                    raise ValueError("%s: timestampFormat is not supported" % name)

    def find_boxed_members(self):
        """(structure, member) pairs to box: the member's structure reaches back to the
        containing one through structure members alone (lists and maps are indirections)."""
        edges = {}
        for name in self.structs:
            edges[name] = {r["shape"] for r in self.shapes[name]["members"].values()
                           if self.shapes[r["shape"]]["type"] == "structure"}
        boxed = set()
        for name, targets in edges.items():
            for target in targets:
                seen, stack = set(), [target]
                while stack:
                    x = stack.pop()
                    if x == name:
                        break
                    if x not in seen:
                        seen.add(x)
                        stack.extend(edges.get(x, ()))
                else:
                    continue
                for member, ref in self.shapes[name]["members"].items():
                    if ref["shape"] == target:
                        boxed.add((name, member))
        return boxed

    def is_plain_primitive(self, shape_name):
        s = self.shapes[shape_name]
        return self.plain_primitives and s["type"] in PRIMITIVE and not s.get("box", False)

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
        out = [self.header]
        if any(s["type"] == "map" for s in self.shapes.values()):
            out.append("use std::collections::BTreeMap;\n")
        out.append("use serde::{Deserialize, Serialize};\n")
        for name, s in self.types():
            out.append((self.gen_struct if name in self.structs else self.gen_enum)(name, s))
        return "\n".join(out)

    def gen_struct(self, name, s):
        lines = ["#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]"]
        lines.append("pub struct %s {" % name)
        for member, ref in s["members"].items():
            ty = self.rust_type(ref["shape"])
            if (name, member) in self.boxed:
                ty = "Box<%s>" % ty
            field = snake(member)
            if self.is_plain_primitive(ref["shape"]):
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
            rust_str(value) for _, value in vs))
        lines.append("    pub fn as_str(&self) -> &str {")
        lines.append("        match self {")
        for v, value in vs:
            lines.append("            Self::%s => %s," % (v, rust_str(value)))
        lines.append("            Self::Unrecognized(s) => s,")
        lines.append("        }")
        lines.append("    }")
        lines.append("    pub fn parse(s: &str) -> Self {")
        lines.append("        match s {")
        for v, value in vs:
            lines.append("            %s => Self::%s," % (rust_str(value), v))
        lines.append("            other => Self::Unrecognized(other.to_owned()),")
        lines.append("        }")
        lines.append("    }")
        lines.append("}\n")
        lines.append("berth_aws::string_enum!(%s);\n" % name)
        return "\n".join(lines)

    # ------------------------------------------------------------ operations.rs
    def gen_operations(self):
        ops = sorted(self.model["operations"])
        md = self.model["metadata"]
        out = [self.header, "use berth_aws::model::ErrorInfo;\n"]
        if "targetPrefix" in md:
            out.append("/// The JSON protocol target prefix (`X-Amz-Target: <prefix>.<Operation>`).")
            out.append("pub const TARGET_PREFIX: &str = %s;\n" % rust_str(md["targetPrefix"]))
        out.append("/// The signing name in the SigV4 credential scope.")
        out.append("pub const SIGNING_NAME: &str = %s;\n" % rust_str(
            md.get("signingName", md["endpointPrefix"])))
        out.append("/// The endpoint prefix: the first label of the service's host name.")
        out.append("pub const ENDPOINT_PREFIX: &str = %s;\n" % rust_str(md["endpointPrefix"]))
        if "jsonVersion" in md:
            out.append("/// The JSON protocol version (`Content-Type: application/x-amz-json-<version>`).")
            out.append("pub const JSON_VERSION: &str = %s;\n" % rust_str(md["jsonVersion"]))
        out.append("/// The API version (the query protocol's `Version` parameter).")
        out.append("pub const API_VERSION: &str = %s;\n" % rust_str(md["apiVersion"]))
        out.append("/// The wire protocols the service speaks, the model's preferred one first.")
        out.append("pub const PROTOCOLS: &[&str] = &[%s];\n" % ", ".join(
            rust_str(p) for p in md.get("protocols", [md["protocol"]])))
        out.append("#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]")
        out.append("pub enum Operation {")
        for op in ops:
            out.append("    %s," % op)
        out.append("}\n")
        out.append("impl Operation {")
        out.append("    pub const ALL: &'static [Operation] = &[%s];" % ", ".join(
            "Operation::" + o for o in ops))
        out += match_fn("pub fn name(self) -> &'static str", "self",
                        [("Operation::" + op, rust_str(op)) for op in ops])
        out += match_fn("pub fn from_name(name: &str) -> Option<Self>", "name",
                        [(rust_str(op), "Some(Operation::%s)" % op) for op in ops], "None")
        for which in ("input", "output"):
            out.append("    /// The operation's %s shape, if it has one." % which)
            arms = []
            for op in ops:
                shape = self.model["operations"][op].get(which, {}).get("shape")
                arms.append(("Operation::" + op, "Some(%s)" % rust_str(shape) if shape else "None"))
            out += match_fn("pub const fn %s_shape(self) -> Option<&'static str>" % which,
                            "self", arms)
        out.append("}\n")
        out.append(self.gen_errors())
        return "\n".join(out) + "\n"

    def gen_errors(self):
        out = ["/// Every exception the model declares, by shape name."]
        out.append("pub const ERRORS: &[ErrorInfo] = &[")
        for name in sorted(self.shapes):
            s = self.shapes[name]
            if not s.get("exception"):
                continue
            err = s.get("error", {})
            fault = bool(s.get("fault"))
            out.append(
                "    ErrorInfo { shape: %s, code: %s, http_status: %d, sender_fault: %s },"
                % (rust_str(name), rust_str(err.get("code", name)),
                   err.get("httpStatusCode", 500 if fault else 400),
                   "true" if err.get("senderFault", not fault) else "false"))
        out.append("];\n")
        out.append("/// The exception with this shape name or, failing that, this error code.")
        out.append("pub fn error_info(name: &str) -> Option<&'static ErrorInfo> {")
        out.append("    ErrorInfo::find(ERRORS, name)")
        out.append("}")
        return "\n".join(out)

    # -------------------------------------------------------------- validate.rs
    def gen_validate(self):
        out = [self.header, "use crate::shapes::*;",
               "use berth_aws::model::{Validate, Violations};\n"]
        for name, s in self.types():
            if name in self.structs:
                out.append(self.gen_struct_validate(name, s))
            else:
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
            if self.is_plain_primitive(ref["shape"]):
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


    # ---------------------------------------------------------------- schema.rs
    def reachable(self):
        """The shapes reachable from the operations' inputs and outputs, sorted."""
        todo = [op[k]["shape"] for op in self.model["operations"].values()
                for k in ("input", "output") if k in op]
        seen = set(todo)
        while todo:
            s = self.shapes[todo.pop()]
            refs = [r["shape"] for r in s.get("members", {}).values()]
            refs += [s[k]["shape"] for k in ("member", "key", "value") if k in s]
            for ref in refs:
                if ref not in seen:
                    seen.add(ref)
                    todo.append(ref)
        return sorted(seen)

    def gen_schema(self):
        names = self.reachable()
        used = {"Schema", "Shape", "ShapeKind"}
        shapes, member_lists = [], []
        for name in names:
            s = self.shapes[name]
            t = s["type"]
            if t == "structure" and s.get("document"):
                kind = "ShapeKind::Document"
            elif t == "structure":
                kind = "ShapeKind::structure(M_%s)" % name
                members = [self.schema_member(m, r) for m, r in s.get("members", {}).items()]
                used.add("Member")
                member_lists.append("const M_%s: &[Member] = &[%s];" % (
                    name, "".join("\n    %s," % m for m in members)))
            elif t == "list":
                used.add("Member")
                kind = "ShapeKind::List { member: %s, flattened: %s }" % (
                    self.schema_member("member", s["member"]), rust_bool(s.get("flattened")))
            elif t == "map":
                used.add("Member")
                kind = "ShapeKind::Map { key: %s, value: %s, flattened: %s }" % (
                    self.schema_member("key", s["key"]), self.schema_member("value", s["value"]),
                    rust_bool(s.get("flattened")))
            elif t == "timestamp":
                fmt = s.get("timestampFormat")
                if fmt is None:
                    kind = "ShapeKind::Timestamp { format: None }"
                else:
                    used.add("TimestampFormat")
                    kind = "ShapeKind::Timestamp { format: Some(TimestampFormat::%s) }" % {
                        "iso8601": "Iso8601", "unixTimestamp": "UnixTimestamp",
                        "rfc822": "Rfc822"}[fmt]
            elif t in SCALAR_KINDS:
                kind = "ShapeKind::" + SCALAR_KINDS[t]
            else:
                raise ValueError("shape %s: unsupported type %s" % (name, t))
            shapes.append("Shape::new(%s, %s)" % (rust_str(name), kind))
        used.add("Operation")
        ops = []
        for name in sorted(self.model["operations"]):
            op = self.model["operations"][name]
            ops.append("Operation::new(%s, %s, %s, %s)" % (
                rust_str(name), rust_opt_str(op.get("input", {}).get("shape")),
                rust_opt_str(op.get("output", {}).get("shape")),
                rust_opt_str(op.get("output", {}).get("resultWrapper"))))
        out = [self.header.rstrip("\n"), "#![allow(non_upper_case_globals)]\n"]
        out.append("use berth_aws::schema::{%s};\n" % ", ".join(sorted(used)))
        out.append("/// The shapes reachable from the operations' inputs and outputs, and the operations.")
        out.append("pub static SCHEMA: Schema = Schema::new(%s, SHAPES, OPERATIONS);\n" % rust_opt_str(
            self.model["metadata"].get("xmlNamespace")))
        out.append("const OPERATIONS: &[Operation] = &[%s];\n" % "".join(
            "\n    %s," % o for o in ops))
        out.append("const SHAPES: &[Shape] = &[%s];\n" % "".join("\n    %s," % s for s in shapes))
        out.extend(m + "\n" for m in member_lists)
        return "\n".join(out)

    def schema_member(self, name, ref):
        """A berth_aws::schema::Member expression for a reference to a shape."""
        loc, flat = ref.get("locationName"), bool(ref.get("flattened"))
        attr, ns = bool(ref.get("xmlAttribute")), ref.get("xmlNamespace")
        query = ref.get("queryName")
        if loc is None and query is None and not flat and not attr and ns is None:
            return "Member::new(%s, %s)" % (rust_str(name), rust_str(ref["shape"]))
        if isinstance(ns, str):
            ns = {"uri": ns}
        ns_expr = "None" if ns is None else "Some((%s, %s))" % (
            rust_opt_str(ns.get("prefix")), rust_str(ns["uri"]))
        if query is not None:
            return "Member::full(%s, %s, %s, %s, %s, %s, %s)" % (
                rust_str(name), rust_str(ref["shape"]), rust_opt_str(loc), rust_str(query),
                rust_bool(flat), rust_bool(attr), ns_expr)
        return "Member::xml(%s, %s, %s, %s, %s, %s)" % (
            rust_str(name), rust_str(ref["shape"]), rust_opt_str(loc), rust_bool(flat),
            rust_bool(attr), ns_expr)


def match_fn(signature, scrutinee, arms, default=None):
    """The lines of a method whose body is one `match` over `arms` ((pattern, value) pairs)."""
    lines = ["    %s {" % signature, "        match %s {" % scrutinee]
    lines += ["            %s => %s," % arm for arm in arms]
    if default is not None:
        lines.append("            _ => %s," % default)
    return lines + ["        }", "    }"]


def opt(x):
    return "None" if x is None else "Some(%d)" % x


def optf(x):
    return "None" if x is None else "Some(%r_f64)" % float(x)


HEADER_TMPL = """// @generated by tools/codegen/gen_model.py from the {service} service model ({src}).
// Do not edit by hand: change the generator and run it again.
#![allow(clippy::all, non_camel_case_types, unused_variables)]
"""

CARGO_TMPL = """[package]
name = "{package}"
description = "{service} wire shapes generated from the AWS service model (tools/codegen)"
version.workspace = true
edition.workspace = true
license.workspace = true

[dependencies]
berth-aws.workspace = true
serde.workspace = true

[dev-dependencies]
serde_json.workspace = true
"""

LIB_TMPL = """//! The {service} wire shapes, generated from the AWS service model.
//!
//! Everything under `generated/` is written by `tools/codegen/gen_model.py {key}` from
//! botocore's `{data}/service-2.json`; the runtime it uses is `berth_aws::model`.
//!
//! ```
//! use {lib}::Operation;
//! for op in Operation::ALL {{
//!     assert_eq!(Operation::from_name(op.name()), Some(*op));
//! }}
//! ```

#[path = "generated/operations.rs"]
pub mod operations;
#[path = "generated/schema.rs"]
pub mod schema;
#[path = "generated/shapes.rs"]
pub mod shapes;
#[path = "generated/validate.rs"]
mod validate_impls;

pub use berth_aws::model::{{ErrorInfo, Validate, Violations}};
pub use operations::Operation;
"""


def scaffold(key, spec, service):
    """A Cargo.toml and lib.rs for a crate that has none yet; never overwrites."""
    crate = os.path.join(ROOT, spec["crate"])
    files = {
        "Cargo.toml": CARGO_TMPL.format(package=spec["package"], service=service),
        os.path.join("src", "lib.rs"): LIB_TMPL.format(
            service=service, key=key, data=spec["data"],
            lib=spec["package"].replace("-", "_")),
    }
    for rel, text in files.items():
        path = os.path.join(crate, rel)
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
            print("wrote %s (add %s to [workspace.dependencies])" % (path, spec["package"]))


def subset(model, operations):
    """The model with only `operations`, and only the shapes reachable from their inputs
    and outputs (and its exceptions)."""
    missing = [op for op in operations if op not in model["operations"]]
    if missing:
        sys.exit("operations not in the model: %s" % ", ".join(missing))
    ops = {op: model["operations"][op] for op in operations}
    shapes = model["shapes"]
    todo = [op[k]["shape"] for op in ops.values() for k in ("input", "output") if k in op]
    todo += [n for n, s in shapes.items() if s.get("exception")]
    seen = set(todo)
    while todo:
        s = shapes[todo.pop()]
        refs = [r["shape"] for r in s.get("members", {}).values()]
        refs += [s[k]["shape"] for k in ("member", "key", "value") if k in s]
        for ref in refs:
            if ref not in seen:
                seen.add(ref)
                todo.append(ref)
    return dict(model, operations=ops, shapes={n: shapes[n] for n in shapes if n in seen})


def generate(key, source):
    spec = SERVICES[key]
    model, what = source.load(spec["data"])
    if "operations" in spec:
        what += ", %d of its %d operations" % (len(spec["operations"]), len(model["operations"]))
        model = subset(model, spec["operations"])
    service = model["metadata"].get("serviceId", key)
    header = HEADER_TMPL.format(service=service, src=what)
    gen = Gen(model, header, spec.get("plain_primitives", False))
    scaffold(key, spec, service)
    out = os.path.join(ROOT, spec["crate"], "src", "generated")
    os.makedirs(out, exist_ok=True)
    files = {
        "shapes.rs": gen.gen_shapes(),
        "operations.rs": gen.gen_operations(),
        "validate.rs": gen.gen_validate(),
        "schema.rs": gen.gen_schema(),
    }
    for fname, text in files.items():
        path = os.path.join(out, fname)
        with open(path, "w") as f:
            f.write(text)
        # Committed output is rustfmt-clean, so `cargo fmt --check` holds for it too.
        subprocess.check_call(["rustfmt", "--edition", "2021", path])
    print("wrote %s from %s (%d operations, %d shapes)" % (
        out, what, len(model["operations"]), len(model["shapes"])))


def main():
    p = argparse.ArgumentParser(description="Generate Berth's service model crates.")
    p.add_argument("service", nargs="?", choices=sorted(SERVICES))
    p.add_argument("model", nargs="?", help="a service-2.json[.gz] for that service")
    p.add_argument("--all", action="store_true", help="every service in the table")
    p.add_argument("--botocore", metavar="VERSION", help="the botocore release to download")
    p.add_argument("--data", metavar="DIR", help="a botocore data directory to read")
    args = p.parse_args()
    if args.all == bool(args.service):
        p.error("name one service or --all")
    if args.model and (args.data or args.botocore):
        p.error("a model path excludes --data and --botocore")
    source = Source(path=args.model, data=args.data, version=args.botocore)
    for key in sorted(SERVICES) if args.all else [args.service]:
        generate(key, source)


if __name__ == "__main__":
    main()
