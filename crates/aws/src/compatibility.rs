//! docs/COMPATIBILITY.md holds one table per service (`## <heading>`), a row per operation
//! of the service's model: `| Operation | full / partial / not yet | notes |`. Each service
//! crate checks its table against what it implements with [`check`].

/// The status column's allowed values.
pub const STATUSES: [&str; 3] = ["full", "partial", "not yet"];

/// Checks that the section under `## {heading}` of `doc` lists each of `ops` (name, whether
/// implemented) exactly once, `not yet` exactly when not implemented, and nothing else.
/// Returns every mismatch.
pub fn check(doc: &str, heading: &str, ops: &[(&str, bool)]) -> Result<(), Vec<String>> {
    let title = format!("## {heading}");
    let section: Vec<&str> = doc
        .lines()
        .skip_while(|l| l.trim() != title)
        .skip(1)
        .take_while(|l| !l.starts_with("## "))
        .collect();
    let mut problems = Vec::new();
    if section.is_empty() {
        problems.push(format!("no section '{title}'"));
    }
    let rows: Vec<(String, String)> = section
        .iter()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| Operation") && !l.starts_with("|---"))
        .filter_map(|l| {
            let mut cells = l.split('|').skip(1).map(str::trim);
            Some((cells.next()?.to_owned(), cells.next()?.to_owned()))
        })
        .collect();
    for (op, implemented) in ops {
        let found: Vec<&(String, String)> = rows.iter().filter(|(n, _)| n == op).collect();
        match found.as_slice() {
            [(_, status)] => {
                if !STATUSES.contains(&status.as_str()) {
                    problems.push(format!("{op}: unknown status '{status}'"));
                } else if (status == "not yet") == *implemented {
                    problems.push(format!("{op} is documented as '{status}'"));
                }
            }
            other => problems.push(format!("{op} has {} rows", other.len())),
        }
    }
    for (name, _) in &rows {
        if !ops.iter().any(|(op, _)| op == name) {
            problems.push(format!("{name} is not an operation of the service"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "# X\n## A operations\n| Operation | Status | Notes |\n|---|---|---|\n| Go | full | |\n| Stop | not yet | |\n## B operations\n| Go | not yet | |\n";

    #[test]
    fn a_section_is_read_alone() {
        assert_eq!(
            check(DOC, "A operations", &[("Go", true), ("Stop", false)]),
            Ok(())
        );
        assert_eq!(check(DOC, "B operations", &[("Go", false)]), Ok(()));
        assert!(check(DOC, "A operations", &[("Go", false), ("Stop", false)]).is_err());
        assert!(
            check(DOC, "A operations", &[("Go", true)]).is_err(),
            "Stop is extra"
        );
        assert!(check(DOC, "C operations", &[]).is_err());
    }
}
