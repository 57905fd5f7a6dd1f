//! Every operator, in both spellings, on a text subject.

use berth_query::{parse, Operator};

use crate::instance::{eval, Instance};

fn with(value: &str) -> Instance {
    Instance::sample().attr("x", value)
}

/// `attribute:x <op> <arg>` under each spelling of `op` gives `want`.
fn check(op: Operator, arg: &str, value: &str, want: bool) {
    for spelling in [op.symbol(), op.keyword()] {
        let src = format!("attribute:x {spelling} {arg}");
        assert_eq!(eval(&src, &with(value)), want, "{src} on x={value}");
    }
}

#[test]
fn spellings_parse_to_the_same_operator() {
    for op in Operator::ALL {
        assert_eq!(Operator::from_spelling(op.symbol()), Some(op));
        assert_eq!(Operator::from_spelling(op.keyword()), Some(op));
    }
    assert_eq!(
        Operator::from_spelling("not_exists"),
        Some(Operator::NotExists)
    );
    assert_eq!(
        Operator::from_spelling("!exists"),
        Some(Operator::NotExists)
    );
    assert_eq!(Operator::from_spelling("EQUALS"), None);
}

#[test]
fn equals_and_not_equals() {
    check(Operator::Equals, "abc", "abc", true);
    check(Operator::Equals, "abc", "ABC", false);
    check(Operator::Equals, "1", "1.0", false);
    check(Operator::NotEquals, "abc", "abd", true);
    check(Operator::NotEquals, "abc", "abc", false);
}

#[test]
fn ordering_operators() {
    check(Operator::GreaterThan, "5", "10", true);
    check(Operator::GreaterThan, "10", "10", false);
    check(Operator::GreaterThanEqual, "10", "10", true);
    check(Operator::GreaterThanEqual, "10.5", "10", false);
    check(Operator::LessThan, "10", "9", true);
    check(Operator::LessThan, "b", "a", true);
    check(Operator::LessThan, "a", "b", false);
    check(Operator::LessThanEqual, "b", "b", true);
    check(Operator::LessThanEqual, "-1", "0", false);
}

#[test]
fn exists_and_not_exists() {
    assert!(eval("attribute:x exists", &with("v")));
    assert!(!eval("attribute:x exists", &Instance::sample()));
    for spelling in ["!exists", "not_exists"] {
        assert!(!eval(&format!("attribute:x {spelling}"), &with("v")));
        assert!(eval(
            &format!("attribute:x {spelling}"),
            &Instance::sample()
        ));
    }
    // A present attribute with no value still exists.
    assert!(eval("attribute:x exists", &with("")));
}

#[test]
fn in_and_not_in() {
    check(Operator::In, "[a, b, c]", "b", true);
    check(Operator::In, "[a, b, c]", "d", false);
    check(Operator::In, "[a]", "a", true);
    check(Operator::NotIn, "[a, b]", "c", true);
    check(Operator::NotIn, "[a, b]", "a", false);
}

#[test]
fn matches_and_not_matches() {
    check(Operator::Matches, "t2.*", "t2.micro", true);
    check(Operator::Matches, "t2.*", "xt2.micro", false);
    check(Operator::Matches, "t[23]\\..*", "t3.large", true);
    check(Operator::Matches, "(t2|m5)\\.large", "m5.large", true);
    check(Operator::Matches, "'.*large'", "m5.xlarge", true);
    check(Operator::NotMatches, "t2.*", "m5.large", true);
    check(Operator::NotMatches, "t2.*", "t2.micro", false);
}

#[test]
fn negated_operators_need_the_subject() {
    let none = Instance::sample();
    for src in [
        "attribute:x != a",
        "attribute:x !in [a]",
        "attribute:x not_in [a]",
        "attribute:x !~ a",
        "attribute:x not_matches a",
    ] {
        assert!(!eval(src, &none), "{src} on an instance without x");
    }
    // Plain negation of a positive comparison selects them.
    assert!(eval("not (attribute:x == a)", &none));
    assert!(eval("!(attribute:x in [a])", &none));
}

#[test]
fn comparisons_on_a_missing_subject_are_false() {
    let none = Instance::sample();
    for src in [
        "attribute:x == a",
        "attribute:x > 1",
        "attribute:x >= 1",
        "attribute:x < 1",
        "attribute:x <= 1",
        "attribute:x in [a]",
        "attribute:x =~ .*",
    ] {
        assert!(!eval(src, &none), "{src}");
    }
}

#[test]
fn operators_without_spaces() {
    let i = with("5");
    assert!(eval("attribute:x==5", &i));
    assert!(eval("attribute:x!=6", &i));
    assert!(eval("attribute:x>=5&&attribute:x<=5", &i));
    assert!(eval("attribute:x!in[1,2]||attribute:x>9", &i));
    assert!(eval("!(attribute:x<5)", &i));
}

#[test]
fn quoted_values() {
    let i = with("hello world");
    assert!(eval("attribute:x == 'hello world'", &i));
    assert!(eval("attribute:x == \"hello world\"", &i));
    assert!(eval("attribute:x in ['a, b', \"hello world\"]", &i));
    assert!(eval("attribute:x == 'it\\'s'", &with("it's")));
    assert!(eval("attribute:x =~ 'hello\\s\\w+'", &i));
    assert!(eval("attribute:x == ''", &with("")));
    assert!(eval("attribute:x == 'and'", &with("and")));
}

#[test]
fn keywords_are_values_in_value_position() {
    assert!(eval("attribute:x == and", &with("and")));
    assert!(eval("attribute:x in [or, not]", &with("not")));
    let e = parse("attribute:x == and").expect("parses");
    assert_eq!(e.to_string(), "attribute:x == 'and'");
}
