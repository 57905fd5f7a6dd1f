//! docs/COMPATIBILITY.md must list every ELBv2 operation once, and say `not yet` exactly for
//! those Berth does not implement.

mod common;

use berth_elbv2_model::Operation;

#[test]
fn compatibility_doc_matches_the_implementation() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/COMPATIBILITY.md");
    let doc = std::fs::read_to_string(path).expect("docs/COMPATIBILITY.md");
    let elb = common::elb();
    let ops: Vec<(&str, bool)> = Operation::ALL
        .iter()
        .map(|op| (op.name(), elb.implements(*op)))
        .collect();
    if let Err(problems) =
        berth_aws::compatibility::check(&doc, "Elastic Load Balancing v2 operations", &ops)
    {
        panic!("docs/COMPATIBILITY.md: {}", problems.join("; "));
    }
}
