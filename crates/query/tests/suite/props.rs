//! Properties over generated expressions, instances and inputs.

use berth_query::{parse, Argument, Arity, Expr, Field, Operator, Predicate, MAX_EXPRESSION_LEN};
use proptest::prelude::*;

use crate::instance::Instance;

const PATTERNS: [&str; 12] = [
    ".*",
    "t2.*",
    "a|ab",
    "(t2|m5)\\..*",
    "[a-c]+",
    "x y",
    "it's",
    "\\d+",
    "[()]",
    "",
    "1.*",
    "(?i)X",
];

fn field(names: BoxedStrategy<String>) -> BoxedStrategy<Field> {
    prop_oneof![
        Just(Field::AgentConnected),
        Just(Field::AgentVersion),
        names.prop_map(Field::Attribute),
        Just(Field::Ec2InstanceId),
        Just(Field::RegisteredAt),
        Just(Field::RunningTasksCount),
        Just(Field::TaskGroup),
    ]
    .boxed()
}

fn date() -> BoxedStrategy<String> {
    let day =
        (1970u32..2100, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"));
    let suffix = prop_oneof![
        Just(String::new()),
        Just("Z".to_string()),
        Just("+00:00".to_string()),
        Just("-05:30".to_string()),
    ];
    let time = (0u32..24, 0u32..60, 0u32..60, suffix)
        .prop_map(|(h, m, s, z)| format!("T{h:02}:{m:02}:{s:02}{z}"));
    (day, prop_oneof![Just(String::new()), time])
        .prop_map(|(d, t)| d + &t)
        .boxed()
}

/// A value suited to the subject.
fn value(f: &Field, text: &BoxedStrategy<String>) -> BoxedStrategy<String> {
    match f {
        Field::AgentConnected => prop_oneof![Just("true"), Just("false"), Just("TRUE")]
            .prop_map(String::from)
            .boxed(),
        Field::AgentVersion => "[0-9]{1,2}(\\.[0-9]{1,2}){0,3}".boxed(),
        Field::RegisteredAt => date(),
        Field::RunningTasksCount => prop_oneof![0i64..6, any::<i64>()]
            .prop_map(|n| n.to_string())
            .boxed(),
        _ => text.clone(),
    }
}

fn predicate(names: BoxedStrategy<String>, text: BoxedStrategy<String>) -> BoxedStrategy<Expr> {
    field(names)
        .prop_flat_map(move |f| {
            let ops = f.allowed_operators();
            (Just(f), proptest::sample::select(ops))
        })
        .prop_flat_map(move |(f, op)| {
            let arg = if op.takes_pattern() {
                proptest::sample::select(&PATTERNS[..])
                    .prop_map(|p| Argument::Value(p.to_string()))
                    .boxed()
            } else {
                match op.arity() {
                    Arity::None => Just(Argument::None).boxed(),
                    Arity::One => value(&f, &text).prop_map(Argument::Value).boxed(),
                    Arity::List => proptest::collection::vec(value(&f, &text), 1..4)
                        .prop_map(Argument::List)
                        .boxed(),
                }
            };
            (Just(f), Just(op), arg)
        })
        .prop_map(|(f, op, arg)| match Predicate::new(f, op, arg) {
            Ok(p) => Expr::Predicate(p),
            Err(e) => panic!("generated an invalid predicate: {e}"),
        })
        .boxed()
}

fn expr(names: BoxedStrategy<String>, text: BoxedStrategy<String>) -> BoxedStrategy<Expr> {
    predicate(names, text)
        .prop_recursive(4, 16, 2, |inner| {
            prop_oneof![
                inner.clone().prop_map(Expr::not),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::and(a, b)),
                (inner.clone(), inner).prop_map(|(a, b)| Expr::or(a, b)),
            ]
        })
        .boxed()
}

/// Expressions with any names and awkward values, for printing.
fn wide_expr() -> BoxedStrategy<Expr> {
    let names = "[a-zA-Z0-9._/\\\\:-]{1,10}".boxed();
    let text = prop_oneof![
        ".{0,10}",
        "[a-z'\"\\\\ ,()\\[\\]&|!=<>~-]{0,8}",
        Just("and".to_string()),
        Just("not".to_string()),
        Just("in".to_string()),
        Just(String::new()),
        "\\PC{0,6}",
    ]
    .boxed();
    expr(names, text)
}

const NAMES: [&str; 3] = ["a", "b", "stack"];
const TEXTS: [&str; 5] = ["x", "y", "1", "10", "service:web"];

fn pick(pool: &'static [&'static str]) -> BoxedStrategy<String> {
    proptest::sample::select(pool)
        .prop_map(String::from)
        .boxed()
}

/// Expressions over a small vocabulary, so they often match.
fn narrow_expr() -> BoxedStrategy<Expr> {
    expr(pick(&NAMES), pick(&TEXTS))
}

fn instance() -> BoxedStrategy<Instance> {
    let attrs = proptest::collection::btree_map(pick(&NAMES), pick(&TEXTS), 0..3);
    let version = proptest::option::of(pick(&["1.14.5", "1.9", "2.0.0", "v1.0-dev", "junk"]));
    let ec2 = proptest::option::of(pick(&["x", "i-1", "1"]));
    let registered = proptest::option::of(0.0f64..4_102_444_800.0);
    let groups = proptest::collection::vec(pick(&TEXTS), 0..3);
    (
        attrs,
        any::<bool>(),
        version,
        ec2,
        registered,
        0i64..6,
        groups,
    )
        .prop_map(
            |(attributes, connected, version, ec2_id, registered_at, running, groups)| Instance {
                attributes,
                connected,
                version,
                ec2_id,
                registered_at,
                running,
                groups,
            },
        )
        .boxed()
}

fn reparse(e: &Expr) -> Expr {
    let text = e.to_string();
    match parse(&text) {
        Ok(back) => back,
        Err(err) => panic!("{text:?} doesn't parse back: {err}"),
    }
}

proptest! {
    #[test]
    fn display_parses_back_to_the_same_tree(e in wide_expr()) {
        prop_assume!(e.to_string().chars().count() <= MAX_EXPRESSION_LEN);
        prop_assert_eq!(reparse(&e), e);
    }

    #[test]
    fn not_matches_exactly_when_the_operand_does_not(e in narrow_expr(), i in instance()) {
        prop_assert_eq!(Expr::not(e.clone()).matches(&i), !e.matches(&i));
        let text = parse(&format!("not ({e})")).expect("parses");
        prop_assert_eq!(text.matches(&i), !e.matches(&i));
    }

    #[test]
    fn and_or_combine_like_booleans(a in narrow_expr(), b in narrow_expr(), i in instance()) {
        let (x, y) = (a.matches(&i), b.matches(&i));
        let and = parse(&format!("({a}) and ({b})")).expect("parses");
        let amp = parse(&format!("({a}) && ({b})")).expect("parses");
        let or = parse(&format!("({a}) or ({b})")).expect("parses");
        let bar = parse(&format!("({a}) || ({b})")).expect("parses");
        prop_assert_eq!(and.matches(&i), x && y);
        prop_assert_eq!(amp.matches(&i), x && y);
        prop_assert_eq!(or.matches(&i), x || y);
        prop_assert_eq!(bar.matches(&i), x || y);
    }

    #[test]
    fn evaluation_survives_printing(e in narrow_expr(), i in instance()) {
        prop_assert_eq!(reparse(&e).matches(&i), e.matches(&i));
    }

    #[test]
    fn negated_operator_is_exists_and_not_positive(e in narrow_expr(), i in instance()) {
        let mut checked = Ok(());
        e.visit(&mut |p| {
            let Some(positive) = p.operator().negated_of() else { return };
            if checked.is_err() {
                return;
            }
            let pos = Predicate::new(p.field().clone(), positive, p.argument().clone())
                .expect("positive form is valid");
            let exists = Predicate::new(p.field().clone(), Operator::Exists, Argument::None)
                .map(|q| q.matches(&i))
                // Subjects without `exists` always have a value, except these.
                .unwrap_or_else(|_| match p.field() {
                    Field::AgentVersion => i.version.is_some(),
                    Field::Ec2InstanceId => i.ec2_id.is_some(),
                    Field::RegisteredAt => i.registered_at.is_some(),
                    _ => true,
                });
            let want = if positive == Operator::Exists {
                !exists
            } else {
                exists && !pos.matches(&i)
            };
            if p.matches(&i) != want {
                checked = Err(format!("{p} on {i:?}"));
            }
        });
        prop_assert!(checked.is_ok(), "{:?}", checked);
    }

    #[test]
    fn parse_never_panics_on_arbitrary_text(s in "\\PC{0,80}") {
        if let Ok(e) = parse(&s) {
            prop_assert_eq!(reparse(&e), e);
        }
    }

    #[test]
    fn parse_never_panics_on_token_soup(
        parts in proptest::collection::vec(
            proptest::sample::select(&[
                "attribute:a", "task:group", "runningTasksCount", "agentVersion",
                "registeredAt", "agentConnected", "ec2InstanceId", "==", "!=", ">", ">=",
                "<", "<=", "exists", "!exists", "in", "!in", "not_in", "=~", "!~",
                "matches", "and", "or", "not", "&&", "||", "!", "(", ")", "[", "]", ",",
                "'x y'", "\"q\"", "'", "1", "1.2", "2018-02-13", "true", "t2.*", "\\",
                "=", "~", "&", "|", "é",
            ][..]),
            0..24,
        ),
        glue in proptest::sample::select(&[" ", ""][..]),
    ) {
        let s = parts.join(glue);
        if let Ok(e) = parse(&s) {
            prop_assert_eq!(reparse(&e), e);
        }
    }

    #[test]
    fn attributes_lists_every_attribute_subject(e in wide_expr()) {
        let names = e.attributes();
        let mut all = Vec::new();
        e.visit(&mut |p| if let Field::Attribute(n) = p.field() { all.push(n.clone()) });
        for n in &all {
            prop_assert!(names.contains(&n.as_str()));
        }
        prop_assert!(names.len() <= all.len());
    }
}
