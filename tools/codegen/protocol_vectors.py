#!/usr/bin/env python3
"""Extract AWS's protocol test vectors for Berth's codecs into a compact fixture.

Usage:
    python3 tools/codegen/protocol_vectors.py [--botocore VERSION] [--sdist botocore-X.tar.gz]

botocore's source distribution (`pip download --no-binary :all: --no-deps botocore==VERSION`)
carries the Smithy protocol tests as JSON under tests/unit/protocols/{input,output}/. This
script reads the AWS Query, EC2 and Smithy RPC v2 CBOR ones and writes
crates/aws/tests/vectors/protocol_vectors.json, which crates/aws/tests/protocol_vectors.rs
runs. The default version is the one the committed generated models come from (see the
header of crates/*-model/src/generated/*.rs).

The vectors are written from a client's side: an input case gives the parameters a client is
called with and the request body it must send; an output case gives a response body and what
the client must read from it. Berth is the server, so per case the fixture keeps:
- `body`: the request (input) or response (output) body: text for Query and EC2, base64 for
  CBOR;
  null where the vector has none;
- `document`: the JSON document a Berth handler sees (input) or answers (output) for it. It is
  the vector's params or result, with the JSON protocols' forms where they differ: blobs as
  base64 text; members that are null, for Query input empty maps, and for EC2 input empty
  lists and maps, left out (none is on the wire);
- for error cases `error` (the code and message a client must read), `status` and the
  `x-amzn-query-error` header where the vector has one.
Each suite's `model` is a botocore-format model (documentation dropped) with the operations its
cases use, from which the test builds a schema; `query_compatible` marks a suite whose model
is awsQueryCompatible. Query and EC2 answers in the vectors are in the
namespace https://example.com/, which the model's metadata says.
"""

import argparse
import base64
import glob
import json
import os
import subprocess
import sys
import tarfile
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "crates", "aws", "tests", "vectors", "protocol_vectors.json")
BOTOCORE = "1.44.8"
FILES = [
    ("input", "query"),
    ("output", "query"),
    ("input", "ec2"),
    ("output", "ec2"),
    ("input", "smithy-rpc-v2-cbor"),
    ("output", "smithy-rpc-v2-cbor"),
    ("input", "smithy-rpc-v2-cbor-query-compatible"),
    ("output", "smithy-rpc-v2-cbor-query-compatible"),
    ("input", "smithy-rpc-v2-cbor-non-query-compatible"),
    ("output", "smithy-rpc-v2-cbor-non-query-compatible"),
]
QUERY_NAMESPACE = "https://example.com/"


def strip_docs(x):
    if isinstance(x, dict):
        return {k: strip_docs(v) for k, v in x.items() if k != "documentation"}
    if isinstance(x, list):
        return [strip_docs(v) for v in x]
    return x


def document(shapes, name, value, query_input, ec2_input=False):
    """A vector's params/result value as the JSON document Berth's handlers carry."""
    s = shapes[name]
    t = s["type"]
    if t == "structure":
        out = {}
        for k, v in value.items():
            if v is None or k not in s["members"]:
                continue
            target = s["members"][k]["shape"]
            if query_input and shapes[target]["type"] == "map" and not v:
                continue
            if ec2_input and shapes[target]["type"] in ("list", "map") and not v:
                continue
            out[k] = document(shapes, target, v, query_input, ec2_input)
        return out
    if t == "list":
        return [document(shapes, s["member"]["shape"], v, query_input, ec2_input)
                for v in value]
    if t == "map":
        return {k: document(shapes, s["value"]["shape"], v, query_input, ec2_input)
                for k, v in value.items() if v is not None}
    if t == "blob":
        return base64.b64encode(value.encode("utf-8")).decode("ascii")
    return value


def extract(direction, protocol, suites):
    out = []
    for suite in suites:
        shapes = strip_docs(suite["shapes"])
        operations, cases = {}, []
        for case in suite["cases"]:
            given = case["given"]
            op = {k: given[k] for k in ("input", "output") if k in given}
            operations[given["name"]] = op
            c = {"id": case["id"], "operation": given["name"]}
            if direction == "input":
                c["body"] = case["serialized"].get("body")
                shape = given.get("input", {}).get("shape")
                c["document"] = (document(shapes, shape, case["params"], protocol == "query",
                                          protocol == "ec2")
                                 if shape and c["body"] is not None else {})
            else:
                resp = case["response"]
                c["body"] = resp.get("body")
                if "errorCode" in case:
                    c["status"] = resp["status_code"]
                    c["error"] = {"code": case["errorCode"]}
                    if "errorMessage" in case:
                        c["error"]["message"] = case["errorMessage"]
                    if case.get("error"):
                        c["error"]["members"] = case["error"]
                    header = resp.get("headers", {}).get("x-amzn-query-error")
                    if header:
                        c["query_error_header"] = header
                else:
                    shape = given.get("output", {}).get("shape")
                    c["document"] = (document(shapes, shape, case["result"], False)
                                     if shape else {})
            cases.append(c)
        metadata = {k: v for k, v in suite["metadata"].items()
                    if k in ("protocol", "protocols", "apiVersion", "awsQueryCompatible")}
        if protocol in ("query", "ec2"):
            metadata["xmlNamespace"] = QUERY_NAMESPACE
        suite_out = {"model": {"metadata": metadata, "operations": operations, "shapes": shapes}}
        if "awsQueryCompatible" in metadata:
            suite_out["query_compatible"] = True
        suite_out["cases"] = cases
        out.append(suite_out)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--botocore", default=BOTOCORE, metavar="VERSION")
    p.add_argument("--sdist", metavar="PATH", help="a downloaded botocore-VERSION.tar.gz")
    args = p.parse_args()
    sdist = args.sdist
    if sdist is None:
        tmp = tempfile.mkdtemp()
        subprocess.check_call([sys.executable, "-m", "pip", "download", "-q", "--no-binary",
                               ":all:", "--no-deps", "-d", tmp, "botocore==" + args.botocore])
        sdist = glob.glob(os.path.join(tmp, "botocore-*.tar.gz"))[0]
    version = os.path.basename(sdist)[len("botocore-"):-len(".tar.gz")]
    fixture = {
        "botocore": version,
        "source": "botocore-%s sdist, tests/unit/protocols/{input,output}/*.json; "
                  "written by tools/codegen/protocol_vectors.py" % version,
        "files": [],
    }
    with tarfile.open(sdist) as tar:
        for direction, protocol in FILES:
            name = "botocore-%s/tests/unit/protocols/%s/%s.json" % (version, direction, protocol)
            suites = json.load(tar.extractfile(name))
            fixture["files"].append({
                "file": "%s/%s.json" % (direction, protocol),
                "protocol": protocol if protocol in ("query", "ec2") else "smithy-rpc-v2-cbor",
                "direction": direction,
                "suites": extract(direction, protocol, suites),
            })
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(fixture, f, indent=1, ensure_ascii=False)
        f.write("\n")
    n = sum(len(s["cases"]) for f in fixture["files"] for s in f["suites"])
    print("wrote %s: %d cases from botocore %s" % (OUT, n, version))


if __name__ == "__main__":
    main()
