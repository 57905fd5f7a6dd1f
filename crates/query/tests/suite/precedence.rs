//! Precedence and grouping: not > and > or, left to right.

use berth_query::parse;

use crate::instance::{eval, Instance};

/// An instance whose attributes a, b, c are set exactly when true.
fn abc(a: bool, b: bool, c: bool) -> Instance {
    let mut i = Instance::sample();
    for (name, on) in [("a", a), ("b", b), ("c", c)] {
        if on {
            i = i.attr(name, "1");
        }
    }
    i
}

fn all_cases() -> impl Iterator<Item = (bool, bool, bool)> {
    (0..8).map(|n| (n & 1 != 0, n & 2 != 0, n & 4 != 0))
}

const A: &str = "attribute:a exists";
const B: &str = "attribute:b exists";
const C: &str = "attribute:c exists";

#[test]
fn and_binds_tighter_than_or() {
    for (a, b, c) in all_cases() {
        let i = abc(a, b, c);
        for (and, or) in [("and", "or"), ("&&", "||")] {
            assert_eq!(eval(&format!("{A} {or} {B} {and} {C}"), &i), a || (b && c));
            assert_eq!(eval(&format!("{A} {and} {B} {or} {C}"), &i), (a && b) || c);
            assert_eq!(
                eval(&format!("({A} {or} {B}) {and} {C}"), &i),
                (a || b) && c
            );
        }
    }
}

#[test]
fn not_binds_tighter_than_and() {
    for (a, b, c) in all_cases() {
        let i = abc(a, b, c);
        assert_eq!(eval(&format!("not {A} and {B}"), &i), !a && b);
        assert_eq!(eval(&format!("!{A} || {B}"), &i), !a || b);
        assert_eq!(eval(&format!("not ({A} and {B})"), &i), !(a && b));
        assert_eq!(eval(&format!("not not {C}"), &i), c);
        assert_eq!(eval(&format!("!!!{C}"), &i), !c);
    }
}

#[test]
fn trees_have_the_expected_shape() {
    let flat = parse(&format!("{A} or {B} and {C}")).expect("parses");
    let grouped = parse(&format!("{A} or ({B} and {C})")).expect("parses");
    assert_eq!(flat, grouped);
    let left = parse(&format!("{A} and {B} and {C}")).expect("parses");
    let explicit = parse(&format!("({A} and {B}) and {C}")).expect("parses");
    assert_eq!(left, explicit, "and groups to the left");
    let right = parse(&format!("{A} and ({B} and {C})")).expect("parses");
    assert_ne!(left, right);
    assert_eq!(
        right.to_string(),
        format!("{A} and ({B} and {C})"),
        "display keeps needed parentheses"
    );
    assert_eq!(
        parse(&format!("(({A}))")).expect("parses"),
        parse(A).expect("parses")
    );
}

#[test]
fn normalized_display() {
    let cases = [
        ("attribute:x equals a", "attribute:x == a"),
        ("attribute:x not_in [a,b]", "attribute:x !in [a, b]"),
        ("attribute:x not_exists", "attribute:x !exists"),
        ("attribute:x matches 'a b'", "attribute:x =~ 'a b'"),
        (
            "not(task:group == database)",
            "not (task:group == database)",
        ),
        ("!(attribute:x exists)", "not (attribute:x exists)"),
        (
            "agentConnected == true && (runningTasksCount < 2 || agentVersion >= 1.2)",
            "agentConnected == true and (runningTasksCount < 2 or agentVersion >= 1.2)",
        ),
        (
            "ec2InstanceId in ['i-1', \"i-2\"]",
            "ec2InstanceId in [i-1, i-2]",
        ),
    ];
    for (src, want) in cases {
        let e = parse(src).expect("parses");
        assert_eq!(e.to_string(), want, "{src}");
        assert_eq!(parse(want).expect("normal form parses"), e);
    }
}
