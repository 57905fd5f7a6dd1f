//! docs/COMPATIBILITY.md must list every operation of Berth's EC2 model (the subset it
//! generates) once, and say `not yet` exactly for those Berth does not implement.

mod common;

use berth_ec2_model::Operation;

#[test]
fn compatibility_doc_matches_the_implementation() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/COMPATIBILITY.md");
    let doc = std::fs::read_to_string(path).expect("docs/COMPATIBILITY.md");
    let ec2 = common::ec2();
    let ops: Vec<(&str, bool)> = Operation::ALL
        .iter()
        .map(|op| (op.name(), ec2.implements(*op)))
        .collect();
    if let Err(problems) = berth_aws::compatibility::check(&doc, "EC2 operations", &ops) {
        panic!("docs/COMPATIBILITY.md: {}", problems.join("; "));
    }
}
