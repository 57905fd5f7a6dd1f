//! docs/COMPATIBILITY.md must list every Cloud Map operation once, and say `not yet` exactly
//! for those Berth does not implement.

use std::sync::Arc;

use berth_aws::clock::SystemClock;
use berth_servicediscovery::CloudMap;
use berth_servicediscovery_model::Operation;

#[test]
fn compatibility_doc_matches_the_implementation() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/COMPATIBILITY.md");
    let doc = std::fs::read_to_string(path).expect("docs/COMPATIBILITY.md");
    let map = CloudMap::open(
        Arc::new(berth_store::MemStore::default()),
        Arc::new(SystemClock),
    )
    .expect("open");
    let ops: Vec<(&str, bool)> = Operation::ALL
        .iter()
        .map(|op| (op.name(), map.implements(*op)))
        .collect();
    if let Err(problems) = berth_aws::compatibility::check(&doc, "Cloud Map operations", &ops) {
        panic!("docs/COMPATIBILITY.md: {}", problems.join("; "));
    }
}
