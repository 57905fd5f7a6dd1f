//! The proxy's whole desired state, as the ELBv2 API hands it over: the
//! listeners with their rules, and the target groups with their targets.
//!
//! These are plain data. [`Proxy::start`](crate::Proxy::start) and
//! [`Proxy::apply`](crate::Proxy::apply) compile them; problems that do not
//! stop a listener from serving (an unknown target group, a bad redirect)
//! come back in the [`ApplyReport`](crate::ApplyReport).

use std::net::SocketAddr;
use std::time::Duration;

/// Everything the data plane serves.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Config {
    /// One entry per ELBv2 listener, of any load balancer.
    pub listeners: Vec<ListenerConfig>,
    /// Every target group, referenced by a listener's rule or not.
    pub target_groups: Vec<TargetGroupConfig>,
}

/// One listener: a socket, its protocol and its rules.
#[derive(Clone, Debug, PartialEq)]
pub struct ListenerConfig {
    /// The listener's ARN. A listener whose id and `bind` stay the same
    /// across an apply keeps its socket and its connections.
    pub id: String,
    /// The ARN of the load balancer the listener belongs to; the key of its
    /// counters in [`StatsSnapshot`](crate::StatsSnapshot).
    pub load_balancer: String,
    /// Where to listen. Port 0 picks a free port: see
    /// [`Proxy::local_addr`](crate::Proxy::local_addr).
    pub bind: SocketAddr,
    /// `None` serves plain HTTP, `Some` HTTPS.
    pub tls: Option<TlsConfig>,
    /// Evaluated by priority, lowest first; exactly one rule has no
    /// priority: the default rule, which applies when no other matches.
    pub rules: Vec<RuleConfig>,
    /// ALB's `idle_timeout.timeout_seconds`: how long a client connection
    /// may stay silent, and how long a target may take to answer.
    pub idle_timeout: Duration,
    /// ALB's `routing.http2.enabled`: accept HTTP/2 from clients (ALPN `h2`
    /// over TLS, prior knowledge on plain HTTP).
    pub http2: bool,
    /// ALB's `routing.http.drop_invalid_header_fields.enabled`: remove
    /// request headers whose names are not letters, digits and hyphens.
    pub drop_invalid_header_fields: bool,
}

impl ListenerConfig {
    /// A plain-HTTP listener with ALB's default attributes and only a
    /// default rule.
    pub fn new(id: &str, load_balancer: &str, bind: SocketAddr, default_action: Action) -> Self {
        ListenerConfig {
            id: id.to_owned(),
            load_balancer: load_balancer.to_owned(),
            bind,
            tls: None,
            rules: vec![RuleConfig::default_rule(default_action)],
            idle_timeout: Duration::from_secs(60),
            http2: true,
            drop_invalid_header_fields: false,
        }
    }
}

/// The certificates of an HTTPS listener.
#[derive(Clone, Debug, PartialEq)]
pub struct TlsConfig {
    /// The first is the default certificate; the others are chosen when the
    /// client's SNI name matches one of their DNS names (wildcards too).
    pub certificates: Vec<Certificate>,
}

/// A certificate chain (leaf first) and its private key, both PEM.
#[derive(Clone, PartialEq)]
pub struct Certificate {
    /// The leaf certificate followed by its intermediates.
    pub chain_pem: String,
    /// The private key: PKCS#8, PKCS#1 (RSA) or SEC1 (EC).
    pub key_pem: String,
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key never ends up in a log line.
        f.debug_struct("Certificate")
            .field("chain_pem", &self.chain_pem)
            .finish_non_exhaustive()
    }
}

/// One listener rule.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleConfig {
    /// The rule's ARN (kept for diagnostics).
    pub id: String,
    /// 1..=50000, lowest evaluated first; `None` marks the default rule.
    pub priority: Option<u32>,
    /// All must match (AND); the values inside one condition are OR-ed.
    pub conditions: Vec<Condition>,
    /// What a matching request gets.
    pub action: Action,
}

impl RuleConfig {
    /// The default rule: no priority, no conditions.
    pub fn default_rule(action: Action) -> Self {
        RuleConfig {
            id: "default".to_owned(),
            priority: None,
            conditions: Vec::new(),
            action,
        }
    }
}

/// A rule condition, as ALB defines them. Wildcards are `*` (any run of
/// characters, empty too) and `?` (exactly one character).
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// The request path (not the query), case-sensitive, with wildcards.
    PathPattern(Vec<String>),
    /// The Host header (HTTP/2's `:authority`) without its port,
    /// case-insensitive, with wildcards.
    HostHeader(Vec<String>),
    /// Any value of the named header (name and values case-insensitive,
    /// values with wildcards).
    HttpHeader { name: String, values: Vec<String> },
    /// The method, exactly and case-sensitively.
    HttpRequestMethod(Vec<String>),
    /// Any `key=value` pair of the query (compared as sent, not decoded);
    /// a pair without a key matches any key. Case-insensitive, wildcards.
    QueryString(Vec<(Option<String>, String)>),
    /// The client's address: the TCP peer, not `X-Forwarded-For`.
    SourceIp(Vec<ipnet::IpNet>),
}

/// What a rule does with a request.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Proxy to one of the weighted target groups (weights 0..=999; weight 0
    /// gets nothing). `stickiness` is ALB's target-group stickiness: the
    /// `AWSALBTG` cookie pins a client to a group for that long.
    Forward {
        target_groups: Vec<(String, u32)>,
        stickiness: Option<Duration>,
    },
    /// Answer without a target.
    FixedResponse {
        status: u16,
        content_type: Option<String>,
        body: String,
    },
    /// Redirect, with ALB's placeholders `#{protocol}`, `#{host}`,
    /// `#{port}`, `#{path}` (without its leading `/`) and `#{query}`.
    /// An empty field means its placeholder (`path` then `/#{path}`).
    /// `protocol` is `#{protocol}`, `HTTP` or `HTTPS`; `port` is `#{port}`
    /// or a number; `status` is 301 or 302.
    Redirect {
        protocol: String,
        host: String,
        port: String,
        path: String,
        query: String,
        status: u16,
    },
}

impl Action {
    /// Forward everything to one target group.
    pub fn forward(target_group: &str) -> Self {
        Action::Forward {
            target_groups: vec![(target_group.to_owned(), 1)],
            stickiness: None,
        }
    }
}

/// The protocol the proxy speaks to targets (and health checks use).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TargetProtocol {
    /// Plain HTTP/1.1.
    #[default]
    Http,
    /// HTTP/1.1 over TLS; the target's certificate is not verified (ALB
    /// does not verify it either).
    Https,
}

/// How a target group spreads requests over its routable targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Algorithm {
    /// In turn (weighted by slow start while a target ramps up).
    #[default]
    RoundRobin,
    /// To the target with the fewest requests in flight. Slow start does
    /// not apply (ALB does not allow both either).
    LeastOutstandingRequests,
}

/// Target-level stickiness of a target group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stickiness {
    /// ALB's `lb_cookie`: the `AWSALB` (and `AWSALBCORS`) cookie names the
    /// target for `duration`.
    LbCookie { duration: Duration },
    /// ALB's `app_cookie`: when a target's response sets the application's
    /// cookie `cookie_name`, the load balancer adds its own `AWSALBAPP-0`
    /// naming the target for `duration`; requests carrying it go there.
    AppCookie {
        cookie_name: String,
        duration: Duration,
    },
}

/// One target group.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetGroupConfig {
    /// The target group's ARN.
    pub id: String,
    /// The protocol to the targets.
    pub protocol: TargetProtocol,
    /// The registered targets. A target is known by its (id, port).
    pub targets: Vec<TargetConfig>,
    /// Active health checking.
    pub health_check: HealthCheckConfig,
    /// Target choice.
    pub algorithm: Algorithm,
    /// How long a deregistered target may finish its requests.
    pub deregistration_delay: Duration,
    /// Zero disables slow start; otherwise a newly healthy target's share
    /// grows linearly over this long.
    pub slow_start: Duration,
    /// Target-level stickiness, if enabled.
    pub stickiness: Option<Stickiness>,
}

impl TargetGroupConfig {
    /// An HTTP target group with ALB's defaults and the given targets.
    pub fn new(id: &str, targets: Vec<TargetConfig>) -> Self {
        TargetGroupConfig {
            id: id.to_owned(),
            protocol: TargetProtocol::Http,
            targets,
            health_check: HealthCheckConfig::default(),
            algorithm: Algorithm::RoundRobin,
            deregistration_delay: Duration::from_secs(300),
            slow_start: Duration::ZERO,
            stickiness: None,
        }
    }
}

/// One registered target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetConfig {
    /// As registered: an instance id (`i-…`) or an IP address.
    pub id: String,
    /// The registered port (with `id`, the target's identity).
    pub port: u16,
    /// Where the proxy connects.
    pub addr: SocketAddr,
    /// Reported back, not used for routing.
    pub availability_zone: Option<String>,
}

impl TargetConfig {
    /// A target registered by IP address at `addr`.
    pub fn ip(addr: SocketAddr) -> Self {
        TargetConfig {
            id: addr.ip().to_string(),
            port: addr.port(),
            addr,
            availability_zone: None,
        }
    }
}

/// A target group's health check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HealthCheckConfig {
    /// Disabled, targets report `unavailable` and all count as routable.
    pub enabled: bool,
    /// HTTP or HTTPS.
    pub protocol: TargetProtocol,
    /// The path (and query) requested; `/` by default.
    pub path: String,
    /// `None` checks the traffic port.
    pub port: Option<u16>,
    /// Time between checks of one target (30 s by default).
    pub interval: Duration,
    /// How long one check may take (5 s by default).
    pub timeout: Duration,
    /// Consecutive successes that make a target healthy (5).
    pub healthy_threshold: u32,
    /// Consecutive failures that make a target unhealthy (2).
    pub unhealthy_threshold: u32,
    /// Inclusive status ranges that count as success (200 by default).
    pub matcher: Vec<(u16, u16)>,
}

impl Default for HealthCheckConfig {
    fn default() -> Self {
        HealthCheckConfig {
            enabled: true,
            protocol: TargetProtocol::Http,
            path: "/".to_owned(),
            port: None,
            interval: Duration::from_secs(30),
            timeout: Duration::from_secs(5),
            healthy_threshold: 5,
            unhealthy_threshold: 2,
            matcher: vec![(200, 200)],
        }
    }
}

impl HealthCheckConfig {
    /// Parses ALB's `Matcher.HttpCode`: `"200"`, `"200,202"`, `"200-299"`.
    pub fn parse_matcher(text: &str) -> Result<Vec<(u16, u16)>, String> {
        let mut ranges = Vec::new();
        for part in text.split(',').map(str::trim) {
            let (low, high) = match part.split_once('-') {
                Some((low, high)) => (low.trim(), high.trim()),
                None => (part, part),
            };
            let low: u16 = low
                .parse()
                .map_err(|_| format!("invalid status code {low:?} in matcher {text:?}"))?;
            let high: u16 = high
                .parse()
                .map_err(|_| format!("invalid status code {high:?} in matcher {text:?}"))?;
            if !(100..=599).contains(&low) || !(100..=599).contains(&high) || low > high {
                return Err(format!("invalid range {part:?} in matcher {text:?}"));
            }
            ranges.push((low, high));
        }
        Ok(ranges)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matcher_forms_parse() {
        assert_eq!(
            HealthCheckConfig::parse_matcher("200"),
            Ok(vec![(200, 200)])
        );
        assert_eq!(
            HealthCheckConfig::parse_matcher("200,202"),
            Ok(vec![(200, 200), (202, 202)])
        );
        assert_eq!(
            HealthCheckConfig::parse_matcher("200-299, 302"),
            Ok(vec![(200, 299), (302, 302)])
        );
        assert!(HealthCheckConfig::parse_matcher("299-200").is_err());
        assert!(HealthCheckConfig::parse_matcher("abc").is_err());
        assert!(HealthCheckConfig::parse_matcher("700").is_err());
    }

    #[test]
    fn certificate_debug_hides_the_key() {
        let cert = Certificate {
            chain_pem: "CHAIN".into(),
            key_pem: "SECRET".into(),
        };
        let text = format!("{cert:?}");
        assert!(text.contains("CHAIN") && !text.contains("SECRET"), "{text}");
    }
}
