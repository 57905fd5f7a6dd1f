//! docs/COMPATIBILITY.md must list every ECS operation once, and say `not yet` exactly for
//! those Berth does not implement.

use std::sync::Arc;

use berth_ecs::{Ecs, Scope, SystemClock};
use berth_ecs_model::Operation;

#[test]
fn compatibility_doc_matches_the_implementation() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/COMPATIBILITY.md");
    let doc = std::fs::read_to_string(path).expect("docs/COMPATIBILITY.md");
    let ecs = Ecs::open(
        Arc::new(berth_store::MemStore::default()),
        Arc::new(SystemClock),
        Scope::new("us-east-1", "000000000000"),
    )
    .expect("open");
    let ops: Vec<(&str, bool)> = Operation::ALL
        .iter()
        .map(|op| (op.name(), ecs.implements(*op)))
        .collect();
    if let Err(problems) = berth_aws::compatibility::check(&doc, "ECS operations", &ops) {
        panic!("docs/COMPATIBILITY.md: {}", problems.join("; "));
    }
}
