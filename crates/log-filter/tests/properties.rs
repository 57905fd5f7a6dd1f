//! Property tests of the public API: the term operators mean what they say,
//! JSON and delimited comparisons agree with Rust's, and nothing panics.

use berth_log_filter::FilterPattern;
use proptest::prelude::*;

fn parse(text: &str) -> FilterPattern {
    FilterPattern::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

/// Unquoted terms over a small alphabet, so that messages often hold them.
fn term() -> impl Strategy<Value = String> {
    "[abAB1_]{1,3}"
}

fn message() -> impl Strategy<Value = String> {
    "[abAB1_ :\"\\-]{0,24}"
}

/// `text` as a quoted phrase.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A JSON condition over a few selectors, operators and values.
fn json_condition() -> impl Strategy<Value = String> {
    let selector = prop::sample::select(vec!["$.a", "$.b", "$.a.b", "$.l[0]", "$.l[*]", "$[1]"]);
    let compare = (
        selector.clone(),
        prop::sample::select(vec!["=", "!=", "<", "<=", ">", ">="]),
        prop::sample::select(vec!["1", "-2.5", "1e1"]),
    )
        .prop_map(|(s, op, v)| format!("{s} {op} {v}"));
    let equal = (
        selector.clone(),
        prop::sample::select(vec!["=", "!="]),
        prop::sample::select(vec!["x", "x*", "*", "\"*y\"", "%^x%", "true", "null"]),
    )
        .prop_map(|(s, op, v)| format!("{s} {op} {v}"));
    let keyword = (
        selector,
        prop::sample::select(vec!["IS TRUE", "IS FALSE", "IS NULL", "NOT EXISTS"]),
    )
        .prop_map(|(s, k)| format!("{s} {k}"));
    prop_oneof![compare, equal, keyword]
}

/// A JSON pattern: conditions joined by `&&` and `||`, some in parentheses.
fn json_pattern() -> impl Strategy<Value = String> {
    let leaf = json_condition().boxed();
    let expr = leaf.prop_recursive(3, 8, 3, |inner| {
        (inner.clone(), prop::sample::select(vec!["&&", "||"]), inner)
            .prop_map(|(l, op, r)| format!("({l}) {op} {r}"))
    });
    expr.prop_map(|e| format!("{{ {e} }}"))
}

/// JSON messages with the properties the conditions name.
fn json_message() -> impl Strategy<Value = String> {
    let scalar = prop::sample::select(vec![
        "1", "-2.5", "10", "\"x\"", "\"xy\"", "true", "false", "null", "{}", "[]",
    ]);
    (
        scalar.clone(),
        scalar.clone(),
        scalar.clone(),
        scalar,
        any::<bool>(),
    )
        .prop_map(|(a, b, c, d, nested)| match nested {
            true => format!(r#"{{"a": {{"b": {a}}}, "b": {b}, "l": [{c}, {d}]}}"#),
            false => format!(r#"[{a}, {b}, {{"a": {c}}}]"#),
        })
}

/// An unstructured pattern: terms, phrases and regexes with `?` and `-`.
fn unstructured_pattern() -> impl Strategy<Value = String> {
    let one = (
        prop::sample::select(vec!["", "?", "-", "?-"]),
        prop::sample::select(vec![
            "ERROR",
            "a_1",
            "\"in thread\"",
            "\" \"",
            "%[0-9]+%",
            "\"x\\\"y\"",
        ]),
    )
        .prop_map(|(prefix, term)| format!("{prefix}{term}"));
    prop::collection::vec(one, 1..5).prop_map(|terms| terms.join(" "))
}

proptest! {
    #[test]
    fn generated_json_patterns_parse_and_agree_with_extract(
        pattern in json_pattern(),
        m in json_message(),
    ) {
        let parsed = FilterPattern::parse(&pattern);
        prop_assert!(parsed.is_ok(), "{}: {:?}", pattern, parsed.err());
        let parsed = parse(&pattern);
        prop_assert_eq!(parsed.matches(&m), parsed.extract(&m).is_some());
    }

    #[test]
    fn generated_unstructured_patterns_parse(pattern in unstructured_pattern(), m in message()) {
        let parsed = FilterPattern::parse(&pattern);
        prop_assert!(parsed.is_ok(), "{}: {:?}", pattern, parsed.err());
        let parsed = parse(&pattern);
        prop_assert_eq!(parsed.matches(&m), parsed.extract(&m).is_some());
    }

    #[test]
    fn a_term_matches_exactly_the_messages_that_contain_it(t in term(), m in message()) {
        prop_assert_eq!(parse(&t).matches(&m), m.contains(&t));
    }

    #[test]
    fn a_quoted_phrase_matches_exactly_the_messages_that_contain_it(
        phrase in "[ab \"\\\\{}%?*-]{1,6}",
        m in "[ab \"\\\\{}%?*-]{0,24}",
    ) {
        let expected = phrase.trim().is_empty() || m.contains(&phrase);
        prop_assert_eq!(parse(&quoted(&phrase)).matches(&m), expected);
    }

    #[test]
    fn question_marks_are_or(a in term(), b in term(), m in message()) {
        let either = parse(&format!("?{a} ?{b}"));
        prop_assert_eq!(either.matches(&m), parse(&a).matches(&m) || parse(&b).matches(&m));
    }

    #[test]
    fn several_terms_are_and(a in term(), b in term(), m in message()) {
        prop_assert_eq!(parse(&format!("{a} {b}")).matches(&m), m.contains(&a) && m.contains(&b));
    }

    #[test]
    fn minus_is_and_not(a in term(), b in term(), m in message()) {
        prop_assert_eq!(parse(&format!("{a} -{b}")).matches(&m), m.contains(&a) && !m.contains(&b));
    }

    #[test]
    fn json_numbers_compare_as_numbers(x in -1000i64..1000, y in -1000i64..1000, frac in 0u8..4) {
        let value = x as f64 + f64::from(frac) / 4.0;
        let event = format!(r#"{{"n": {value}}}"#);
        for (op, expected) in [
            ("=", value == y as f64),
            ("!=", value != y as f64),
            ("<", value < y as f64),
            ("<=", value <= y as f64),
            (">", value > y as f64),
            (">=", value >= y as f64),
        ] {
            let json = parse(&format!("{{ $.n {op} {y} }}"));
            prop_assert_eq!(json.matches(&event), expected, "json {} {} {}", value, op, y);
            let delimited = parse(&format!("[n {op} {y}]"));
            prop_assert_eq!(delimited.matches(&value.to_string()), expected, "[{} {} {}]", value, op, y);
        }
    }

    #[test]
    fn a_trailing_star_is_a_prefix_match(prefix in "[ab]{0,3}", field in "[ab]{0,5}") {
        let pattern = parse(&format!("[f = {prefix}*]"));
        // An empty message has no field at all, so it cannot match `[f]`.
        prop_assert_eq!(pattern.matches(&field), !field.is_empty() && field.starts_with(&prefix));
    }

    #[test]
    fn delimited_patterns_bind_each_field(words in prop::collection::vec("[a-z0-9.:/-]{1,8}", 1..8)) {
        let names: Vec<String> = (0..words.len()).map(|i| format!("f{i}")).collect();
        let pattern = parse(&format!("[{}]", names.join(", ")));
        let fields = pattern.extract(&words.join("  "));
        prop_assert!(fields.is_some());
        let fields = fields.unwrap_or_default();
        for (name, word) in names.iter().zip(&words) {
            prop_assert_eq!(fields.get(name), Some(word.as_str()));
        }
        let last = parse("[..., last]").extract(&words.join(" ")).unwrap_or_default();
        prop_assert_eq!(last.get("last"), words.last().map(String::as_str));
    }

    #[test]
    fn parse_never_panics(text in any::<String>()) {
        let _ = FilterPattern::parse(&text);
    }

    #[test]
    fn parse_never_panics_on_pattern_like_text(text in r#"[{}\[\]()$.=!<>&|"%*?,\\ az09\-]{0,40}"#) {
        let _ = FilterPattern::parse(&text);
    }

    #[test]
    fn matches_and_extract_agree_and_never_panic(
        text in r#"[{}\[\]()$.=!<>&|"%*?, az09\-]{0,30}"#,
        m in r#"[{}\[\]":, az09.\-]{0,40}"#,
    ) {
        if let Ok(pattern) = FilterPattern::parse(&text) {
            prop_assert_eq!(pattern.matches(&m), pattern.extract(&m).is_some());
        }
    }

    #[test]
    fn matches_never_panics_on_any_message(m in any::<String>()) {
        for text in [
            "ERROR",
            "?ERROR ?WARN -x \"in thread\" %a[0-9]+%",
            r#"{ $.a.b[0].c = * || $.n > 1 && $.s != "x*" || $.t IS TRUE || $.u NOT EXISTS }"#,
            "{ $[*].x = %^a% }",
            "[ip, user, ..., status = 4* || status = 5*, bytes > 1000]",
            "[a, b]",
        ] {
            let pattern = parse(text);
            prop_assert_eq!(pattern.matches(&m), pattern.extract(&m).is_some());
        }
    }
}

#[test]
fn json_messages_from_the_documentation() {
    let event = r#"{
        "eventType": "UpdateTrail",
        "sourceIPAddress": "123.123.123.123",
        "arrayKey": ["value", "another value"],
        "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}],
        "SomeObject": null,
        "cluster": {"number": 4, "ec2Instances": 3}
    }"#;
    for (text, expected) in [
        (r#"{ $.eventType = "UpdateTrail" }"#, true),
        ("{ $.sourceIPAddress != 123.123.* }", false),
        (r#"{ $.arrayKey[0] = "value" }"#, true),
        (r#"{ $.objectList[1].id = 2 }"#, true),
        ("{ $.SomeObject IS NULL }", true),
        ("{ $.SomeOtherObject NOT EXISTS }", true),
        (
            "{ $.cluster.number > 3 && $.cluster.ec2Instances <= 3 }",
            true,
        ),
        (
            "{ ($.cluster.number = 1) || ($.eventType = Create*) }",
            false,
        ),
    ] {
        assert_eq!(parse(text).matches(event), expected, "{text}");
    }
}
