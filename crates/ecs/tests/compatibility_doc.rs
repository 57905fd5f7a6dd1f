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
    for op in Operation::ALL {
        let rows: Vec<&str> = doc
            .lines()
            .filter(|l| l.starts_with(&format!("| {} |", op.name())))
            .collect();
        assert_eq!(rows.len(), 1, "{} must have exactly one row", op.name());
        let status = rows[0].split('|').nth(2).map(str::trim).unwrap_or_default();
        let documented_missing = status == "not yet";
        assert_eq!(
            documented_missing,
            !ecs.implements(*op),
            "{} is documented as '{status}'",
            op.name()
        );
        assert!(
            ["full", "partial", "not yet"].contains(&status),
            "{}: unknown status '{status}'",
            op.name()
        );
    }
}
