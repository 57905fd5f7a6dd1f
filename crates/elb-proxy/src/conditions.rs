//! Rule conditions compiled for matching, and the request facts they look
//! at. Pure: no IO, nothing allocated per request.

use std::net::IpAddr;

use http::header::HeaderName;
use http::HeaderMap;
use ipnet::IpNet;

use crate::config::Condition;
use crate::wildcard::Pattern;

/// What the conditions of a rule may look at.
pub(crate) struct RequestFacts<'a> {
    pub method: &'a str,
    /// The Host header or `:authority`, without the port, as sent.
    pub host: &'a [u8],
    /// The host lowercased (the key of the host index).
    pub host_lower: &'a [u8],
    pub path: &'a [u8],
    /// The query without its `?`; empty when there is none.
    pub query: &'a [u8],
    pub headers: &'a HeaderMap,
    pub source_ip: IpAddr,
}

/// One compiled condition.
#[derive(Clone, Debug)]
pub(crate) enum Matcher {
    Path(Vec<Pattern>),
    Host(Vec<Pattern>),
    Header {
        name: HeaderName,
        values: Vec<Pattern>,
    },
    Method(Vec<Box<str>>),
    Query(Vec<(Option<Pattern>, Pattern)>),
    Source(Vec<IpNet>),
}

impl Matcher {
    /// Compiles a condition; an empty value list or an invalid header name
    /// is an error (ALB rejects both).
    pub(crate) fn compile(condition: &Condition) -> Result<Matcher, String> {
        let matcher = match condition {
            Condition::PathPattern(values) => {
                if let Some(bad) = values
                    .iter()
                    .find(|v| !v.starts_with('/') && !v.starts_with('*'))
                {
                    return Err(format!("path pattern {bad:?} must start with '/' or '*'"));
                }
                Matcher::Path(values.iter().map(|v| Pattern::new(v, false)).collect())
            }
            Condition::HostHeader(values) => {
                Matcher::Host(values.iter().map(|v| Pattern::new(v, true)).collect())
            }
            Condition::HttpHeader { name, values } => {
                let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                    format!("invalid header name {name:?} in http-header condition")
                })?;
                if values.is_empty() {
                    return Err(format!("http-header condition on {name} has no values"));
                }
                Matcher::Header {
                    name,
                    values: values.iter().map(|v| Pattern::new(v, true)).collect(),
                }
            }
            Condition::HttpRequestMethod(values) => {
                Matcher::Method(values.iter().map(|v| v.as_str().into()).collect())
            }
            Condition::QueryString(pairs) => Matcher::Query(
                pairs
                    .iter()
                    .map(|(key, value)| {
                        (
                            key.as_deref().map(|k| Pattern::new(k, true)),
                            Pattern::new(value, true),
                        )
                    })
                    .collect(),
            ),
            Condition::SourceIp(nets) => Matcher::Source(nets.clone()),
        };
        let empty = match &matcher {
            Matcher::Path(v) | Matcher::Host(v) => v.is_empty(),
            Matcher::Header { .. } => false,
            Matcher::Method(v) => v.is_empty(),
            Matcher::Query(v) => v.is_empty(),
            Matcher::Source(v) => v.is_empty(),
        };
        if empty {
            return Err(format!("condition {condition:?} has no values"));
        }
        Ok(matcher)
    }

    /// Whether the request satisfies this condition.
    pub(crate) fn matches(&self, request: &RequestFacts<'_>) -> bool {
        match self {
            Matcher::Path(patterns) => patterns.iter().any(|p| p.matches(request.path)),
            Matcher::Host(patterns) => patterns.iter().any(|p| p.matches(request.host)),
            Matcher::Header { name, values } => request
                .headers
                .get_all(name)
                .iter()
                .any(|value| values.iter().any(|p| p.matches(value.as_bytes()))),
            Matcher::Method(methods) => methods
                .iter()
                .any(|m| m.as_bytes() == request.method.as_bytes()),
            Matcher::Query(pairs) => query_pairs(request.query).any(|(key, value)| {
                pairs
                    .iter()
                    .any(|(k, v)| k.as_ref().is_none_or(|k| k.matches(key)) && v.matches(value))
            }),
            Matcher::Source(nets) => {
                let ip = canonical_ip(request.source_ip);
                nets.iter().any(|net| net.contains(&ip))
            }
        }
    }
}

/// The `key=value` pairs of a query, as sent; a bare `word` is an empty
/// key with the value `word`.
pub(crate) fn query_pairs(query: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    query
        .split(|b| *b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.iter().position(|b| *b == b'=') {
            Some(eq) => (&pair[..eq], &pair[eq + 1..]),
            None => (&pair[..0], pair),
        })
}

/// IPv4-mapped IPv6 addresses (a dual-stack socket's IPv4 peers) as IPv4,
/// so `10.0.0.0/8` matches them.
pub(crate) fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// The host part of a Host header: `[v6]:port` → `[v6]`, `name:port` →
/// `name`.
pub(crate) fn strip_port(host: &[u8]) -> &[u8] {
    if host.first() == Some(&b'[') {
        return match host.iter().position(|b| *b == b']') {
            Some(end) => &host[..=end],
            None => host,
        };
    }
    match host.iter().position(|b| *b == b':') {
        Some(colon) => &host[..colon],
        None => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn facts<'a>(headers: &'a HeaderMap, path: &'a str, query: &'a str) -> RequestFacts<'a> {
        RequestFacts {
            method: "GET",
            host: b"Shop.Example.com",
            host_lower: b"shop.example.com",
            path: path.as_bytes(),
            query: query.as_bytes(),
            headers,
            source_ip: "10.1.2.3".parse().unwrap_or(IpAddr::from([0, 0, 0, 0])),
        }
    }

    fn compile(c: Condition) -> Matcher {
        Matcher::compile(&c).unwrap()
    }

    #[test]
    fn each_kind_matches_its_part_of_the_request() {
        let mut headers = HeaderMap::new();
        headers.insert("user-agent", HeaderValue::from_static("Mozilla/5.0 Mobile"));
        headers.append("x-tag", HeaderValue::from_static("one"));
        headers.append("x-tag", HeaderValue::from_static("Two"));
        let r = facts(&headers, "/cart/items", "a=1&Version=V2&flag");

        assert!(compile(Condition::PathPattern(vec!["/cart/*".into()])).matches(&r));
        assert!(!compile(Condition::PathPattern(vec!["/Cart/*".into()])).matches(&r));
        assert!(compile(Condition::HostHeader(vec!["*.example.COM".into()])).matches(&r));
        assert!(!compile(Condition::HostHeader(vec!["example.com".into()])).matches(&r));
        assert!(compile(Condition::HttpHeader {
            name: "User-Agent".into(),
            values: vec!["*mobile*".into()]
        })
        .matches(&r));
        assert!(
            compile(Condition::HttpHeader {
                name: "x-tag".into(),
                values: vec!["two".into()]
            })
            .matches(&r),
            "any value of a repeated header"
        );
        assert!(compile(Condition::HttpRequestMethod(vec![
            "POST".into(),
            "GET".into()
        ]))
        .matches(&r));
        assert!(!compile(Condition::HttpRequestMethod(vec!["get".into()])).matches(&r));
        assert!(compile(Condition::QueryString(vec![(
            Some("version".into()),
            "v?".into()
        )]))
        .matches(&r));
        assert!(compile(Condition::QueryString(vec![(None, "FLAG".into())])).matches(&r));
        assert!(!compile(Condition::QueryString(vec![(Some("a".into()), "2".into())])).matches(&r));
        assert!(compile(Condition::SourceIp(vec!["10.0.0.0/8".parse().unwrap()])).matches(&r));
        assert!(!compile(Condition::SourceIp(vec!["192.168.0.0/16".parse().unwrap()])).matches(&r));
    }

    #[test]
    fn mapped_ipv4_peers_match_ipv4_blocks() {
        let headers = HeaderMap::new();
        let mut r = facts(&headers, "/", "");
        r.source_ip = "::ffff:10.9.9.9".parse().unwrap();
        assert!(compile(Condition::SourceIp(vec!["10.0.0.0/8".parse().unwrap()])).matches(&r));
    }

    #[test]
    fn ports_are_stripped_from_hosts() {
        assert_eq!(strip_port(b"example.com:8080"), b"example.com");
        assert_eq!(strip_port(b"example.com"), b"example.com");
        assert_eq!(strip_port(b"[::1]:443"), b"[::1]");
    }

    #[test]
    fn empty_or_invalid_conditions_are_rejected() {
        assert!(Matcher::compile(&Condition::PathPattern(vec![])).is_err());
        assert!(Matcher::compile(&Condition::PathPattern(vec!["nope".into()])).is_err());
        assert!(Matcher::compile(&Condition::HttpHeader {
            name: "bad name".into(),
            values: vec!["x".into()]
        })
        .is_err());
    }
}
