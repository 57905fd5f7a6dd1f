//! A listener's rules, sorted by priority and indexed so that a request
//! with a thousand rules on its listener still checks only a handful.
//!
//! The answer is always the *first* rule, by priority, whose conditions
//! all hold — exactly as if every rule were tried in order. The index only
//! skips rules that cannot match:
//!
//! - a rule with a host-header condition whose values are all literals is
//!   filed under those (lowercased) hosts;
//! - otherwise, a rule with a path-pattern condition whose values all start
//!   with a literal of two bytes or more (`/api/*` → `/api/`) is filed in a
//!   byte trie under those prefixes;
//! - otherwise, a rule with an http-header condition is filed under the
//!   header's name (a request without that header cannot match it);
//! - every other rule is checked for every request.
//!
//! A request collects the lists of its host's bucket, of every trie node
//! along its path, of the names of the headers it has, and the
//! always-checked list. Each list is in priority
//! order, so the lookup scans each list until its first match or until it
//! passes the best match found so far: no merging and no allocation.
//! Small tables skip the index (a straight scan is faster there).

use std::collections::HashMap;

use http::header::HeaderName;

use crate::conditions::{Matcher, RequestFacts};
use crate::hash::FnvBuild;

/// Tables with fewer rules than this are scanned straight through.
const INDEX_THRESHOLD: usize = 16;

/// The compiled rules of one listener, generic over the action so the
/// pure matching is tested without a proxy.
#[derive(Debug)]
pub(crate) struct RuleTable<A> {
    /// Priority order; the default rule is not among them.
    rules: Vec<Rule<A>>,
    default: A,
    index: Option<Index>,
}

#[derive(Debug)]
struct Rule<A> {
    conditions: Vec<Matcher>,
    action: A,
}

#[derive(Debug, Default)]
struct Index {
    by_host: HashMap<Box<[u8]>, Vec<u32>, FnvBuild>,
    paths: Trie,
    by_header: HashMap<HeaderName, Vec<u32>, FnvBuild>,
    always: Vec<u32>,
}

/// A byte trie of literal path prefixes; each node lists the rules filed
/// under the prefix it spells.
#[derive(Debug)]
struct Trie {
    nodes: Vec<Node>,
}

#[derive(Debug, Default)]
struct Node {
    /// Sorted by byte.
    children: Vec<(u8, u32)>,
    rules: Vec<u32>,
}

impl Default for Trie {
    fn default() -> Self {
        Trie {
            nodes: vec![Node::default()],
        }
    }
}

impl Trie {
    fn insert(&mut self, prefix: &[u8], rule: u32) {
        let mut at = 0usize;
        for &byte in prefix {
            let node = &self.nodes[at];
            at = match node.children.binary_search_by_key(&byte, |(b, _)| *b) {
                Ok(found) => node.children[found].1 as usize,
                Err(slot) => {
                    let next = self.nodes.len();
                    self.nodes.push(Node::default());
                    self.nodes[at].children.insert(slot, (byte, next as u32));
                    next
                }
            };
        }
        let rules = &mut self.nodes[at].rules;
        if rules.last() != Some(&rule) {
            rules.push(rule);
        }
    }

    /// Calls `visit` with the rule list of every node on `path`'s way down.
    fn walk<'t>(&'t self, path: &[u8], mut visit: impl FnMut(&'t [u32])) {
        let mut at = 0usize;
        for &byte in path {
            let node = &self.nodes[at];
            match node.children.binary_search_by_key(&byte, |(b, _)| *b) {
                Ok(found) => at = node.children[found].1 as usize,
                Err(_) => return,
            }
            let rules = &self.nodes[at].rules;
            if !rules.is_empty() {
                visit(rules);
            }
        }
    }
}

/// One rule as handed to [`RuleTable::build`].
pub(crate) struct RuleInput<A> {
    pub priority: Option<u32>,
    pub conditions: Vec<Matcher>,
    pub action: A,
    pub id: String,
}

impl<A> RuleTable<A> {
    /// Sorts the rules by priority and indexes them. Exactly one rule must
    /// have no priority (the default); when there is none, `fallback` is
    /// the default action. Problems are described in the returned list.
    pub(crate) fn build(
        mut input: Vec<RuleInput<A>>,
        fallback: impl FnOnce() -> A,
    ) -> (Self, Vec<String>) {
        let mut problems = Vec::new();
        let mut default = None;
        let mut rules = Vec::with_capacity(input.len());
        // Stable: equal priorities keep their given order (and are reported).
        input.sort_by_key(|r| r.priority.map_or(u64::MAX, u64::from));
        let mut last_priority = None;
        for rule in input {
            match rule.priority {
                None if default.is_none() => default = Some(rule.action),
                None => problems.push(format!(
                    "rule {} is a second default rule and is ignored",
                    rule.id
                )),
                Some(p) => {
                    if last_priority == Some(p) {
                        problems.push(format!("rule {} repeats priority {p}", rule.id));
                    }
                    last_priority = Some(p);
                    rules.push(Rule {
                        conditions: rule.conditions,
                        action: rule.action,
                    });
                }
            }
        }
        let default = default.unwrap_or_else(|| {
            problems.push("no default rule; unmatched requests get 503".to_owned());
            fallback()
        });
        let index = (rules.len() >= INDEX_THRESHOLD).then(|| Index::build(&rules));
        (
            RuleTable {
                rules,
                default,
                index,
            },
            problems,
        )
    }

    /// The action of the first rule that matches, else the default's.
    pub(crate) fn find(&self, request: &RequestFacts<'_>) -> &A {
        match self.find_rule(request) {
            Some(at) => &self.rules[at].action,
            None => &self.default,
        }
    }

    /// The position (in priority order) of the first matching non-default
    /// rule.
    fn find_rule(&self, request: &RequestFacts<'_>) -> Option<usize> {
        let Some(index) = &self.index else {
            return self.rules.iter().position(|rule| rule.matches(request));
        };
        let mut best = usize::MAX;
        let mut scan = |list: &[u32]| {
            for &at in list {
                let at = at as usize;
                if at >= best {
                    return;
                }
                if self.rules[at].matches(request) {
                    best = at;
                    return;
                }
            }
        };
        if let Some(list) = index.by_host.get(request.host_lower) {
            scan(list);
        }
        index.paths.walk(request.path, &mut scan);
        if !index.by_header.is_empty() {
            for name in request.headers.keys() {
                if let Some(list) = index.by_header.get(name) {
                    scan(list);
                }
            }
        }
        scan(&index.always);
        (best != usize::MAX).then_some(best)
    }

    /// The number of non-default rules.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.rules.len()
    }
}

impl<A> Rule<A> {
    fn matches(&self, request: &RequestFacts<'_>) -> bool {
        self.conditions.iter().all(|c| c.matches(request))
    }
}

impl Index {
    fn build<A>(rules: &[Rule<A>]) -> Index {
        let mut index = Index::default();
        for (at, rule) in rules.iter().enumerate() {
            let at = at as u32;
            let hosts = rule.conditions.iter().find_map(|c| match c {
                Matcher::Host(patterns) => patterns
                    .iter()
                    .map(|p| p.as_literal())
                    .collect::<Option<Vec<_>>>(),
                _ => None,
            });
            if let Some(hosts) = hosts {
                for host in hosts {
                    let list = index.by_host.entry(host.into()).or_default();
                    if list.last() != Some(&at) {
                        list.push(at);
                    }
                }
                continue;
            }
            let prefixes = rule.conditions.iter().find_map(|c| match c {
                Matcher::Path(patterns) => patterns
                    .iter()
                    .map(|p| Some(p.literal_prefix()).filter(|lit| lit.len() >= 2))
                    .collect::<Option<Vec<_>>>(),
                _ => None,
            });
            if let Some(prefixes) = prefixes {
                prefixes.into_iter().for_each(|p| index.paths.insert(p, at));
                continue;
            }
            let header = rule.conditions.iter().find_map(|c| match c {
                Matcher::Header { name, .. } => Some(name),
                _ => None,
            });
            match header {
                Some(name) => index.by_header.entry(name.clone()).or_default().push(at),
                None => index.always.push(at),
            }
        }
        index
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Condition;
    use http::HeaderMap;
    use proptest::prelude::*;

    fn rule(priority: Option<u32>, conditions: Vec<Condition>, action: u32) -> RuleInput<u32> {
        RuleInput {
            priority,
            conditions: conditions
                .iter()
                .map(|c| Matcher::compile(c).unwrap())
                .collect(),
            action,
            id: format!("r{action}"),
        }
    }

    fn request<'a>(headers: &'a HeaderMap, host: &'a str, path: &'a str) -> RequestFacts<'a> {
        RequestFacts {
            method: "GET",
            host: host.as_bytes(),
            host_lower: host.as_bytes(),
            path: path.as_bytes(),
            query: b"",
            headers,
            source_ip: [127, 0, 0, 1].into(),
        }
    }

    #[test]
    fn lowest_priority_wins_whatever_the_order_given() {
        let rules = vec![
            rule(None, vec![], 0),
            rule(
                Some(20),
                vec![Condition::PathPattern(vec!["/a/*".into()])],
                20,
            ),
            rule(
                Some(10),
                vec![Condition::PathPattern(vec!["/a/b*".into()])],
                10,
            ),
        ];
        let (table, problems) = RuleTable::build(rules, || 99);
        assert!(problems.is_empty(), "{problems:?}");
        let h = HeaderMap::new();
        assert_eq!(*table.find(&request(&h, "x", "/a/bc")), 10);
        assert_eq!(*table.find(&request(&h, "x", "/a/c")), 20);
        assert_eq!(*table.find(&request(&h, "x", "/z")), 0);
    }

    #[test]
    fn all_conditions_of_a_rule_must_hold() {
        let rules = vec![
            rule(None, vec![], 0),
            rule(
                Some(1),
                vec![
                    Condition::PathPattern(vec!["/a".into()]),
                    Condition::HostHeader(vec!["h1".into(), "h2".into()]),
                ],
                1,
            ),
        ];
        let (table, _) = RuleTable::build(rules, || 99);
        let h = HeaderMap::new();
        assert_eq!(*table.find(&request(&h, "h2", "/a")), 1);
        assert_eq!(*table.find(&request(&h, "h3", "/a")), 0);
        assert_eq!(*table.find(&request(&h, "h1", "/b")), 0);
    }

    #[test]
    fn default_rule_problems_are_reported() {
        let (table, problems) = RuleTable::build(vec![rule(Some(1), vec![], 1)], || 503);
        assert_eq!(problems.len(), 1);
        assert_eq!(table.len(), 1);
        let (_, problems) =
            RuleTable::build(vec![rule(None, vec![], 1), rule(None, vec![], 2)], || 503);
        assert_eq!(problems.len(), 1);
        let (_, problems) = RuleTable::build(
            vec![
                rule(None, vec![], 0),
                rule(Some(5), vec![], 1),
                rule(Some(5), vec![], 2),
            ],
            || 0,
        );
        assert_eq!(problems.len(), 1, "duplicate priority");
    }

    #[test]
    fn a_thousand_rules_are_indexed_and_still_ordered() {
        let mut rules = vec![rule(None, vec![], 0)];
        for i in 1..=1000u32 {
            let condition = match i % 3 {
                0 => Condition::PathPattern(vec![format!("/svc{i}/*")]),
                1 => Condition::HostHeader(vec![format!("host{i}.example.com")]),
                _ => Condition::PathPattern(vec![format!("*.x{i}")]),
            };
            rules.push(rule(Some(i), vec![condition], i));
        }
        // A catch-all for /svc3/ behind the specific one.
        rules.push(rule(
            Some(5000),
            vec![Condition::PathPattern(vec!["/svc*".into()])],
            5000,
        ));
        let (table, _) = RuleTable::build(rules, || 99);
        assert!(table.index.is_some());
        let h = HeaderMap::new();
        assert_eq!(*table.find(&request(&h, "host4.example.com", "/")), 4);
        assert_eq!(*table.find(&request(&h, "other", "/svc999/x")), 999);
        assert_eq!(*table.find(&request(&h, "other", "/svc1000/x")), 5000);
        assert_eq!(*table.find(&request(&h, "other", "/f.x998")), 998);
        assert_eq!(*table.find(&request(&h, "other", "/nothing")), 0);
        let mut with_header = HeaderMap::new();
        with_header.insert("x-route", http::HeaderValue::from_static("v7"));
        assert_eq!(*table.find(&request(&with_header, "other", "/x")), 0);
    }

    #[test]
    fn header_rules_are_found_through_the_index() {
        let mut rules = vec![rule(None, vec![], 0)];
        for i in 1..=100u32 {
            rules.push(rule(
                Some(i),
                vec![Condition::HttpHeader {
                    name: format!("X-Tenant-{}", i % 10),
                    values: vec![format!("t{i}")],
                }],
                i,
            ));
        }
        let (table, _) = RuleTable::build(rules, || 99);
        assert!(table
            .index
            .as_ref()
            .is_some_and(|i| i.by_header.len() == 10));
        let mut h = HeaderMap::new();
        h.insert("x-tenant-3", http::HeaderValue::from_static("T53"));
        assert_eq!(*table.find(&request(&h, "any", "/")), 53);
        h.insert("x-tenant-3", http::HeaderValue::from_static("t54"));
        assert_eq!(*table.find(&request(&h, "any", "/")), 0);
    }

    fn arb_condition() -> impl Strategy<Value = Condition> {
        let pat = "(/|/a|/ab|/b|\\*|/a\\*|/a/\\*|/\\?b|\\*b)";
        prop_oneof![
            prop::collection::vec(pat, 1..3).prop_map(Condition::PathPattern),
            prop::collection::vec("(h1|h2|H1|h\\*|\\*)", 1..3).prop_map(Condition::HostHeader),
            prop::collection::vec("(GET|POST)", 1..2).prop_map(Condition::HttpRequestMethod),
            ("(x-a|x-b)", prop::collection::vec("(1|2|\\*)", 1..3))
                .prop_map(|(name, values)| Condition::HttpHeader { name, values }),
        ]
    }

    proptest! {
        /// The index never changes the answer: it equals the first rule in
        /// priority order whose conditions all hold.
        #[test]
        fn indexed_lookup_equals_priority_order_scan(
            specs in prop::collection::vec((0u32..40, prop::collection::vec(arb_condition(), 0..3)), 0..40),
            host in "(h1|h2|h3|H1)",
            path in "(/|/a|/ab|/a/b|/b|/bb|/ab/c)",
            method in "(GET|POST)",
            header in prop::option::of(("(x-a|x-b)", "(1|2)")),
        ) {
            let mut rules = vec![rule(None, vec![], u32::MAX)];
            for (n, (priority, conditions)) in specs.iter().enumerate() {
                rules.push(rule(Some(*priority), conditions.clone(), n as u32));
            }
            let (table, _) = RuleTable::build(rules, || u32::MAX);
            let mut headers = HeaderMap::new();
            if let Some((name, value)) = &header {
                headers.insert(
                    HeaderName::from_bytes(name.as_bytes()).unwrap(),
                    http::HeaderValue::from_str(value).unwrap(),
                );
            }
            let lower = host.to_ascii_lowercase();
            let facts = RequestFacts {
                method: &method,
                host: host.as_bytes(),
                host_lower: lower.as_bytes(),
                path: path.as_bytes(),
                query: b"",
                headers: &headers,
                source_ip: [127, 0, 0, 1].into(),
            };
            // The reference: sort by priority (stable), take the first whose
            // conditions all match.
            let mut order: Vec<(usize, &(u32, Vec<Condition>))> = specs.iter().enumerate().collect();
            order.sort_by_key(|(_, (p, _))| *p);
            let expected = order
                .iter()
                .find(|(_, (_, conditions))| conditions.iter().all(|c| Matcher::compile(c).unwrap().matches(&facts)))
                .map_or(u32::MAX, |(n, _)| *n as u32);
            prop_assert_eq!(*table.find(&facts), expected);
            // And the straight scan agrees with the index.
            prop_assert_eq!(table.find_rule(&facts), table.rules.iter().position(|r| r.matches(&facts)));
        }
    }
}
