//! The data plane's view of ELB: every Application Load Balancer's HTTP and HTTPS
//! listeners at the load balancer's address with their rules, and every HTTP(S) target
//! group with its registered targets and settings — the `berth_elb_proxy::Config` Berth's
//! proxy serves. Pure: a function of the state and of where instance targets are.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use berth_elb_proxy as proxy;
use berth_elbv2_model::shapes::{Action, RuleCondition};

use crate::ops::actions::forward_targets;
use crate::ops::conditions::{values, Values};
use crate::ops::lb_attributes::lb_attribute;
use crate::ops::tg_attributes::tg_attribute;
use crate::records::{ListenerRec, LoadBalancerRec, TargetGroupRec};
use crate::state::State;
use crate::CertificatePem;

/// Where ELB's ports are answered from, for the data plane's configuration.
pub struct Lookups<'a> {
    /// The address of instance `id` of `account`.
    pub instance: &'a dyn Fn(&str, &str) -> Option<IpAddr>,
    /// The certificate `arn` of `account` names.
    pub certificate: &'a dyn Fn(&str, &str) -> Option<CertificatePem>,
}

fn secs(v: Option<&str>, default: u64) -> Duration {
    Duration::from_secs(v.and_then(|s| s.parse().ok()).unwrap_or(default))
}

fn condition(c: &RuleCondition) -> Option<proxy::Condition> {
    Some(match values(c).ok()? {
        Values::HostHeader(v) => proxy::Condition::HostHeader(v),
        Values::PathPattern(v) => proxy::Condition::PathPattern(v),
        Values::HttpHeader(name, values) => proxy::Condition::HttpHeader { name, values },
        Values::Method(v) => proxy::Condition::HttpRequestMethod(v),
        Values::QueryString(v) => proxy::Condition::QueryString(v),
        Values::SourceIp(v) => {
            proxy::Condition::SourceIp(v.iter().filter_map(|c| c.parse().ok()).collect())
        }
    })
}

/// The terminal action of a list (the checks made sure there is one).
fn action(actions: &[Action]) -> proxy::Action {
    let terminal = actions.iter().rev().find(|a| {
        matches!(
            a.r#type.as_ref().map(|t| t.as_str()),
            Some("forward" | "redirect" | "fixed-response")
        )
    });
    let unavailable = || proxy::Action::FixedResponse {
        status: 503,
        content_type: Some("text/plain".into()),
        body: "This action is not supported by Berth.".into(),
    };
    let Some(a) = terminal else {
        return unavailable();
    };
    match a.r#type.as_ref().map(|t| t.as_str()) {
        Some("forward") => {
            let sticky = a
                .forward_config
                .as_ref()
                .and_then(|f| f.target_group_stickiness_config.as_ref())
                .filter(|s| s.enabled == Some(true))
                .and_then(|s| s.duration_seconds)
                .map(|d| Duration::from_secs(u64::try_from(d).unwrap_or(0)));
            proxy::Action::Forward {
                target_groups: forward_targets(a)
                    .into_iter()
                    .map(|(arn, w)| (arn, u32::try_from(w).unwrap_or(0)))
                    .collect(),
                stickiness: sticky,
            }
        }
        Some("redirect") => match &a.redirect_config {
            Some(c) => proxy::Action::Redirect {
                protocol: c.protocol.clone().unwrap_or_default(),
                host: c.host.clone().unwrap_or_default(),
                port: c.port.clone().unwrap_or_default(),
                path: c.path.clone().unwrap_or_default(),
                query: c.query.clone().unwrap_or_default(),
                status: match c.status_code.as_ref().map(|s| s.as_str()) {
                    Some("HTTP_301") => 301,
                    _ => 302,
                },
            },
            None => unavailable(),
        },
        _ => match &a.fixed_response_config {
            Some(c) => proxy::Action::FixedResponse {
                status: c
                    .status_code
                    .as_deref()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(503),
                content_type: c.content_type.clone(),
                body: c.message_body.clone().unwrap_or_default(),
            },
            None => unavailable(),
        },
    }
}

fn listener(
    state: &State,
    lb: &LoadBalancerRec,
    l: &ListenerRec,
    lookups: &Lookups<'_>,
) -> Option<proxy::ListenerConfig> {
    let ip: IpAddr = lb.address.parse().ok()?;
    let tls = match l.protocol.as_str() {
        "HTTP" => None,
        "HTTPS" => Some(proxy::TlsConfig {
            certificates: l
                .certificates
                .iter()
                .filter_map(|c| (lookups.certificate)(&l.account, c.certificate_arn.as_deref()?))
                .map(|c| proxy::Certificate {
                    chain_pem: c.chain_pem,
                    key_pem: c.key_pem,
                })
                .collect(),
        }),
        _ => return None,
    };
    // A rule with a condition the proxy cannot take is left out (never widened).
    let mut rules: Vec<proxy::RuleConfig> = state
        .rules_of(&l.account, &l.id)
        .filter_map(|r| {
            Some(proxy::RuleConfig {
                id: r.arn.clone(),
                priority: Some(r.priority),
                conditions: r.conditions.iter().map(condition).collect::<Option<_>>()?,
                action: action(&r.actions),
            })
        })
        .collect();
    rules.sort_by_key(|r| r.priority);
    rules.push(proxy::RuleConfig::default_rule(action(&l.default_actions)));
    Some(proxy::ListenerConfig {
        id: l.arn.clone(),
        load_balancer: lb.arn.clone(),
        bind: SocketAddr::new(ip, l.port),
        tls,
        rules,
        idle_timeout: secs(lb_attribute(lb, "idle_timeout.timeout_seconds"), 60),
        http2: lb_attribute(lb, "routing.http2.enabled") != Some("false"),
        drop_invalid_header_fields: lb_attribute(
            lb,
            "routing.http.drop_invalid_header_fields.enabled",
        ) == Some("true"),
    })
}

fn target_protocol(p: &str) -> proxy::TargetProtocol {
    if p == "HTTPS" {
        proxy::TargetProtocol::Https
    } else {
        proxy::TargetProtocol::Http
    }
}

fn target_group(
    state: &State,
    tg: &TargetGroupRec,
    lookups: &Lookups<'_>,
) -> Option<proxy::TargetGroupConfig> {
    let protocol = tg
        .protocol
        .as_deref()
        .filter(|p| *p == "HTTP" || *p == "HTTPS")?;
    let targets = state
        .targets_of(&tg.account, &tg.id)
        .filter_map(|t| {
            let ip = if tg.target_type == "instance" {
                (lookups.instance)(&tg.account, &t.id)?
            } else {
                t.id.parse().ok()?
            };
            Some(proxy::TargetConfig {
                id: t.id.clone(),
                port: t.port,
                addr: SocketAddr::new(ip, t.port),
                availability_zone: t.availability_zone.clone(),
            })
        })
        .collect();
    let h = &tg.health_check;
    let health_check = proxy::HealthCheckConfig {
        enabled: h.enabled,
        protocol: target_protocol(&h.protocol),
        path: h.path.clone().unwrap_or_else(|| "/".into()),
        port: h.port.parse().ok(),
        interval: Duration::from_secs(u64::try_from(h.interval_seconds).unwrap_or(30)),
        timeout: Duration::from_secs(u64::try_from(h.timeout_seconds).unwrap_or(5)),
        healthy_threshold: u32::try_from(h.healthy_threshold).unwrap_or(5),
        unhealthy_threshold: u32::try_from(h.unhealthy_threshold).unwrap_or(2),
        matcher: proxy::HealthCheckConfig::parse_matcher(h.matcher.as_deref().unwrap_or("200"))
            .unwrap_or_else(|_| vec![(200, 200)]),
    };
    let algorithm = match tg_attribute(tg, "load_balancing.algorithm.type") {
        Some("least_outstanding_requests") => proxy::Algorithm::LeastOutstandingRequests,
        _ => proxy::Algorithm::RoundRobin,
    };
    let sticky = tg_attribute(tg, "stickiness.enabled") == Some("true");
    let stickiness = match tg_attribute(tg, "stickiness.type") {
        _ if !sticky => None,
        Some("app_cookie") => Some(proxy::Stickiness::AppCookie {
            cookie_name: tg_attribute(tg, "stickiness.app_cookie.cookie_name")
                .unwrap_or_default()
                .to_owned(),
            duration: secs(
                tg_attribute(tg, "stickiness.app_cookie.duration_seconds"),
                86400,
            ),
        }),
        _ => Some(proxy::Stickiness::LbCookie {
            duration: secs(
                tg_attribute(tg, "stickiness.lb_cookie.duration_seconds"),
                86400,
            ),
        }),
    };
    Some(proxy::TargetGroupConfig {
        id: tg.arn.clone(),
        protocol: target_protocol(protocol),
        targets,
        health_check,
        algorithm,
        deregistration_delay: secs(
            tg_attribute(tg, "deregistration_delay.timeout_seconds"),
            300,
        ),
        slow_start: secs(tg_attribute(tg, "slow_start.duration_seconds"), 0),
        stickiness,
    })
}

/// What the proxy serves for every account's load balancers.
pub fn config(state: &State, lookups: &Lookups<'_>) -> proxy::Config {
    let mut listeners = Vec::new();
    for lb in state
        .load_balancers
        .values()
        .filter(|lb| lb.kind == "application")
    {
        for l in state.listeners_of(&lb.account, &lb.id) {
            if let Some(c) = listener(state, lb, l, lookups) {
                listeners.push(c);
            }
        }
    }
    let target_groups = state
        .target_groups
        .values()
        .filter_map(|tg| target_group(state, tg, lookups))
        .collect();
    proxy::Config {
        listeners,
        target_groups,
    }
}

impl crate::Elb {
    /// The proxy's configuration from the state as last made durable.
    pub fn dataplane_config(&self, lookups: &Lookups<'_>) -> proxy::Config {
        config(&self.db.snapshot(), lookups)
    }

    /// Where instance targets are, through the `Instances` port.
    pub fn instance_address(&self, account: &str, id: &str) -> Option<IpAddr> {
        self.instances()?.address(account, id)
    }

    /// A certificate, through the `Certificates` port.
    pub fn certificate(&self, account: &str, arn: &str) -> Option<CertificatePem> {
        self.certificates()?.certificate(account, arn)
    }

    /// Each load balancer's DNS name and address (for name resolution).
    pub fn addresses(&self) -> Vec<(String, IpAddr)> {
        self.db
            .snapshot()
            .load_balancers
            .values()
            .filter_map(|lb| Some((lb.dns_name.clone(), lb.address.parse().ok()?)))
            .collect()
    }
}
