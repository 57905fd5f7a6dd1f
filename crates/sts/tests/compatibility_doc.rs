//! docs/COMPATIBILITY.md must list every STS operation once, and say `not yet` exactly for
//! those Berth does not implement.

use std::sync::Arc;

use berth_sts::{NoRoles, Sts};
use berth_sts_model::Operation;

#[test]
fn compatibility_doc_matches_the_implementation() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/COMPATIBILITY.md");
    let doc = std::fs::read_to_string(path).expect("docs/COMPATIBILITY.md");
    let sts = test_sts();
    let ops: Vec<(&str, bool)> = Operation::ALL
        .iter()
        .map(|op| (op.name(), sts.implements(*op)))
        .collect();
    if let Err(problems) = berth_aws::compatibility::check(&doc, "STS operations", &ops) {
        panic!("docs/COMPATIBILITY.md: {}", problems.join("; "));
    }
}

fn test_sts() -> Sts {
    let dir = tempfile::tempdir().expect("dir");
    let ring = berth_sealing::KeyRing::load_or_create(&dir.path().join("keys")).expect("ring");
    Sts::new(
        Arc::new(ring),
        Arc::new(berth_aws::clock::SystemClock),
        Arc::new(NoRoles),
    )
}
