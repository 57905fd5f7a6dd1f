//! docs/COMPATIBILITY.md must list every ECR operation once, and say `not yet` exactly for
//! those Berth does not implement. The ECR table groups operations: a row's first cell
//! names one or more (comma-separated, each perhaps with a parenthesised remark), its
//! second starts with the status (`full`, `partial` or `not yet`).

use std::sync::Arc;

use berth_aws::clock::SystemClock;
use berth_ecr::Ecr;
use berth_ecr_model::Operation;

/// (operation, status) for every name in the rows of the `## ECR operations` table.
fn rows(doc: &str) -> Vec<(String, String)> {
    doc.lines()
        .skip_while(|l| l.trim() != "## ECR operations")
        .skip(1)
        .take_while(|l| !l.starts_with("## "))
        .filter(|l| l.starts_with("| ") && !l.starts_with("| Operation"))
        .flat_map(|l| {
            let mut cells = l.split('|').skip(1).map(str::trim);
            let names = cells.next().unwrap_or_default();
            let status = cells.next().unwrap_or_default();
            let status = berth_aws::compatibility::STATUSES
                .iter()
                .find(|s| status.starts_with(**s))
                .map_or(status.to_owned(), |s| (*s).to_owned());
            names
                .split(", ")
                .map(|n| n.split(" (").next().unwrap_or(n).trim().to_owned())
                .map(|n| (n, status.clone()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn compatibility_doc_matches_the_implementation() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/COMPATIBILITY.md");
    let doc = std::fs::read_to_string(path).expect("docs/COMPATIBILITY.md");
    let dir = tempfile::tempdir().expect("dir");
    let ecr = Ecr::open(
        Arc::new(berth_store::MemStore::default()),
        dir.path(),
        Arc::new(SystemClock),
        "us-east-1",
    )
    .expect("open");
    let rows = rows(&doc);
    let mut problems = Vec::new();
    for op in Operation::ALL {
        let found: Vec<&(String, String)> = rows.iter().filter(|(n, _)| n == op.name()).collect();
        match found.as_slice() {
            [(_, status)] => {
                if !berth_aws::compatibility::STATUSES.contains(&status.as_str()) {
                    problems.push(format!("{}: unknown status '{status}'", op.name()));
                } else if (status == "not yet") == ecr.implements(*op) {
                    problems.push(format!("{} is documented as '{status}'", op.name()));
                }
            }
            other => problems.push(format!("{} has {} rows", op.name(), other.len())),
        }
    }
    for (name, _) in &rows {
        if !Operation::ALL.iter().any(|op| op.name() == name) {
            problems.push(format!("{name} is not an ECR operation"));
        }
    }
    assert!(
        problems.is_empty(),
        "docs/COMPATIBILITY.md: {}",
        problems.join("; ")
    );
}

#[test]
fn grouped_rows_are_read_name_by_name() {
    let doc = "## ECR operations\n| Operation | Status |\n|---|---|\n| A, B (remark) | full — notes |\n| C | not yet |\n## Next\n| D | full |\n";
    let got = rows(doc);
    let want: Vec<(String, String)> = [("A", "full"), ("B", "full"), ("C", "not yet")]
        .iter()
        .map(|(n, s)| (n.to_string(), s.to_string()))
        .collect();
    assert_eq!(got, want);
}
