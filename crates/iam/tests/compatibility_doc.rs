//! docs/COMPATIBILITY.md must list every IAM operation once, and say `not yet` exactly for
//! those Berth does not implement.

use std::sync::Arc;

use berth_aws::clock::SystemClock;
use berth_iam::Iam;
use berth_iam_model::Operation;

#[test]
fn compatibility_doc_matches_the_implementation() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/COMPATIBILITY.md");
    let doc = std::fs::read_to_string(path).expect("docs/COMPATIBILITY.md");
    let dir = tempfile::tempdir().expect("dir");
    let ring = berth_sealing::KeyRing::load_or_create(&dir.path().join("keys")).expect("ring");
    let iam = Iam::open(
        Arc::new(berth_store::MemStore::default()),
        Arc::new(ring),
        Arc::new(SystemClock),
    )
    .expect("open");
    let ops: Vec<(&str, bool)> = Operation::ALL
        .iter()
        .map(|op| (op.name(), iam.implements(*op)))
        .collect();
    if let Err(problems) = berth_aws::compatibility::check(&doc, "IAM operations", &ops) {
        panic!("docs/COMPATIBILITY.md: {}", problems.join("; "));
    }
}
