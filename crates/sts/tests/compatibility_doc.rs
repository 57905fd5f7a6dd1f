//! docs/COMPATIBILITY.md must list every STS operation once, and say `not yet` exactly for
//! those Berth does not implement.

use berth_sts::Sts;
use berth_sts_model::Operation;

#[test]
fn compatibility_doc_matches_the_implementation() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/COMPATIBILITY.md");
    let doc = std::fs::read_to_string(path).expect("docs/COMPATIBILITY.md");
    let sts = Sts::new();
    let ops: Vec<(&str, bool)> = Operation::ALL
        .iter()
        .map(|op| (op.name(), sts.implements(*op)))
        .collect();
    if let Err(problems) = berth_aws::compatibility::check(&doc, "STS operations", &ops) {
        panic!("docs/COMPATIBILITY.md: {}", problems.join("; "));
    }
}
