//! CreateTargetGroup, DescribeTargetGroups, ModifyTargetGroup, DeleteTargetGroup, and the
//! health check settings they share.

use std::collections::BTreeMap;
use std::sync::Arc;

use berth_aws::RequestContext;
use berth_elbv2_model::shapes::*;

use super::{
    arn_of, check_name, check_tags, find_lb, find_tg, new_id, page, page_size, required, Empty,
};
use crate::error::{ElbError, Result};
use crate::records::{named_key, HealthCheckRec, TargetGroupRec, TargetRec};
use crate::state::State;
use crate::Elb;

/// The most target groups an account has in a region (ELB's default quota).
const MAX_TARGET_GROUPS: usize = 3000;

fn is_http(protocol: Option<&str>) -> bool {
    matches!(protocol, Some("HTTP") | Some("HTTPS"))
}

/// A target group as the API shows it.
pub(crate) fn view(state: &State, tg: &TargetGroupRec) -> TargetGroup {
    let h = &tg.health_check;
    TargetGroup {
        target_group_arn: Some(tg.arn.clone()),
        target_group_name: Some(tg.name.clone()),
        protocol: tg.protocol.as_deref().map(ProtocolEnum::parse),
        port: tg.port.map(i32::from),
        vpc_id: tg.vpc_id.clone(),
        health_check_protocol: (tg.target_type != "lambda")
            .then(|| ProtocolEnum::parse(&h.protocol)),
        health_check_port: (tg.target_type != "lambda").then(|| h.port.clone()),
        health_check_enabled: Some(h.enabled),
        health_check_interval_seconds: Some(h.interval_seconds),
        health_check_timeout_seconds: Some(h.timeout_seconds),
        healthy_threshold_count: Some(h.healthy_threshold),
        unhealthy_threshold_count: Some(h.unhealthy_threshold),
        health_check_path: h.path.clone(),
        matcher: h.matcher.as_ref().map(|m| {
            if tg.protocol_version.as_deref() == Some("GRPC") {
                Matcher {
                    grpc_code: Some(m.clone()),
                    ..Default::default()
                }
            } else {
                Matcher {
                    http_code: Some(m.clone()),
                    ..Default::default()
                }
            }
        }),
        load_balancer_arns: Some(state.load_balancers_using(&tg.account, &tg.arn)),
        target_type: Some(TargetTypeEnum::parse(&tg.target_type)),
        protocol_version: tg.protocol_version.clone(),
        ip_address_type: Some(TargetGroupIpAddressTypeEnum::parse(&tg.ip_address_type)),
        ..Default::default()
    }
}

/// Health check settings as given (each `None` keeps `base`'s).
pub(crate) struct HealthInput<'a> {
    pub protocol: Option<&'a ProtocolEnum>,
    pub port: Option<&'a String>,
    pub enabled: Option<bool>,
    pub path: Option<&'a String>,
    pub interval: Option<i32>,
    pub timeout: Option<i32>,
    pub healthy: Option<i32>,
    pub unhealthy: Option<i32>,
    pub matcher: Option<&'a Matcher>,
}

/// The defaults of a new target group's health check.
fn default_health(
    protocol: Option<&str>,
    version: Option<&str>,
    target_type: &str,
) -> HealthCheckRec {
    let http = is_http(protocol);
    let lambda = target_type == "lambda";
    HealthCheckRec {
        enabled: !lambda,
        protocol: match protocol {
            Some("HTTPS") => "HTTPS",
            Some("HTTP") | None => "HTTP",
            Some(_) => "TCP",
        }
        .into(),
        port: "traffic-port".into(),
        path: (http || lambda).then(|| {
            if version == Some("GRPC") {
                "/AWS.ALB/healthcheck"
            } else {
                "/"
            }
            .into()
        }),
        interval_seconds: if lambda { 35 } else { 30 },
        timeout_seconds: if lambda {
            30
        } else if http {
            5
        } else {
            10
        },
        healthy_threshold: 5,
        unhealthy_threshold: 2,
        matcher: (http || lambda)
            .then(|| if version == Some("GRPC") { "12" } else { "200" }.into()),
    }
}

/// `200`, `200,202`, `200-299`: HTTP codes from 200 to 499 (gRPC codes 0 to 99).
fn check_matcher(m: &str, grpc: bool) -> Result<()> {
    let (lo, hi) = if grpc { (0, 99) } else { (200, 499) };
    let ok_code = |s: &str| s.parse::<u16>().is_ok_and(|n| (lo..=hi).contains(&n));
    let ok = !m.is_empty()
        && m.split(',').all(|part| match part.split_once('-') {
            Some((a, b)) => {
                ok_code(a) && ok_code(b) && a.parse::<u16>().ok() <= b.parse::<u16>().ok()
            }
            None => ok_code(part),
        });
    if ok {
        Ok(())
    } else {
        Err(ElbError::validation(format!(
            "Health check matcher '{m}' must be codes from {lo} to {hi}, as a code, a list ('200,202') or a range ('200-299')"
        )))
    }
}

fn in_range(v: i32, lo: i32, hi: i32, what: &str) -> Result<i32> {
    if (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(ElbError::validation(format!(
            "{what} must be from {lo} to {hi}, not {v}"
        )))
    }
}

/// `base` with the given settings applied and checked.
pub(crate) fn health(
    base: &HealthCheckRec,
    tg_protocol: Option<&str>,
    version: Option<&str>,
    h: &HealthInput<'_>,
) -> Result<HealthCheckRec> {
    let mut out = base.clone();
    if let Some(p) = h.protocol {
        let p = p.as_str();
        let allowed = if is_http(tg_protocol) {
            ["HTTP", "HTTPS"].contains(&p)
        } else {
            ["TCP", "HTTP", "HTTPS"].contains(&p)
        };
        if !allowed {
            return Err(ElbError::validation(format!("Health check protocol '{p}' is not supported for target groups with the '{}' protocol", tg_protocol.unwrap_or("none"))));
        }
        out.protocol = p.into();
        if p != "TCP" && out.path.is_none() {
            out.path = Some("/".into());
            out.matcher.get_or_insert_with(|| "200".into());
        }
    }
    if let Some(port) = h.port {
        if port != "traffic-port" && !port.parse::<u16>().is_ok_and(|n| n >= 1) {
            return Err(ElbError::validation(format!(
                "Health check port '{port}' must be 'traffic-port' or from 1 to 65535"
            )));
        }
        out.port = port.clone();
    }
    if let Some(e) = h.enabled {
        out.enabled = e;
    }
    if let Some(path) = h.path {
        if out.protocol == "TCP" {
            return Err(ElbError::invalid_config(
                "Health check path cannot be set for TCP health checks",
            ));
        }
        if !path.starts_with('/') || path.len() > 1024 {
            return Err(ElbError::validation(format!(
                "Health check path '{path}' must start with '/' and be at most 1024 characters"
            )));
        }
        out.path = Some(path.clone());
    }
    if let Some(v) = h.interval {
        out.interval_seconds = in_range(v, 5, 300, "Health check interval")?;
    }
    if let Some(v) = h.timeout {
        out.timeout_seconds = in_range(v, 2, 120, "Health check timeout")?;
    }
    if let Some(v) = h.healthy {
        out.healthy_threshold = in_range(v, 2, 10, "Healthy threshold count")?;
    }
    if let Some(v) = h.unhealthy {
        out.unhealthy_threshold = in_range(v, 2, 10, "Unhealthy threshold count")?;
    }
    if let Some(m) = h.matcher {
        let grpc = version == Some("GRPC");
        let code = if grpc {
            m.grpc_code.as_ref()
        } else {
            m.http_code.as_ref()
        };
        let code = code.ok_or_else(|| {
            ElbError::validation(if grpc {
                "A gRPC target group's matcher takes GrpcCode"
            } else {
                "The matcher takes HttpCode"
            })
        })?;
        check_matcher(code, grpc)?;
        out.matcher = Some(code.clone());
    }
    if out.timeout_seconds >= out.interval_seconds {
        return Err(ElbError::validation(
            "Health check timeout must be smaller than the interval",
        ));
    }
    Ok(out)
}

impl Elb {
    pub(crate) fn create_target_group(
        &self,
        ctx: &RequestContext,
        r: CreateTargetGroupInput,
    ) -> Result<CreateTargetGroupOutput> {
        let name = required(&r.name, "Name")?;
        check_name(name, "Target group")?;
        let target_type = r
            .target_type
            .as_ref()
            .map_or("instance", |t| t.as_str())
            .to_owned();
        if target_type == "alb" {
            return Err(ElbError::NotYet(
                "Target groups of type 'alb' are not supported by Berth yet.".into(),
            ));
        }
        let protocol = r.protocol.as_ref().map(|p| p.as_str().to_owned());
        let lambda = target_type == "lambda";
        if lambda {
            if r.protocol.is_some() || r.port.is_some() || r.vpc_id.is_some() {
                return Err(ElbError::validation(
                    "Protocol, port and VPC cannot be specified for target groups of type 'lambda'",
                ));
            }
        } else {
            let p = required(&protocol, "Protocol")?;
            if ["GENEVE"].contains(&p.as_str()) {
                return Err(ElbError::NotYet(
                    "GENEVE target groups (Gateway Load Balancers) are not supported by Berth yet."
                        .into(),
                ));
            }
            required(&r.port, "Port")?;
            let vpc = required(&r.vpc_id, "VpcId")?;
            if let Some(n) = self.network() {
                if !n.vpc_exists(&ctx.account, vpc) {
                    return Err(ElbError::validation(format!(
                        "The VPC ID '{vpc}' is not found"
                    )));
                }
            }
        }
        let port = match r.port {
            None => None,
            Some(p) => Some(u16::try_from(p).ok().filter(|p| *p >= 1).ok_or_else(|| {
                ElbError::validation(format!("Port {p} must be from 1 to 65535"))
            })?),
        };
        let version = match (&r.protocol_version, is_http(protocol.as_deref())) {
            (Some(v), true) => {
                let v = v.to_ascii_uppercase();
                if !["HTTP1", "HTTP2", "GRPC"].contains(&v.as_str()) {
                    return Err(ElbError::validation(format!(
                        "Protocol version '{v}' must be HTTP1, HTTP2 or GRPC"
                    )));
                }
                Some(v)
            }
            (Some(_), false) => {
                return Err(ElbError::validation(
                    "A protocol version can be set for HTTP and HTTPS target groups only",
                ))
            }
            (None, true) => Some("HTTP1".into()),
            (None, false) => None,
        };
        let base = default_health(protocol.as_deref(), version.as_deref(), &target_type);
        let hc = health(
            &base,
            protocol.as_deref(),
            version.as_deref(),
            &HealthInput {
                protocol: r.health_check_protocol.as_ref(),
                port: r.health_check_port.as_ref(),
                enabled: r.health_check_enabled,
                path: r.health_check_path.as_ref(),
                interval: r.health_check_interval_seconds,
                timeout: r.health_check_timeout_seconds,
                healthy: r.healthy_threshold_count,
                unhealthy: r.unhealthy_threshold_count,
                matcher: r.matcher.as_ref(),
            },
        )?;
        let tags = check_tags(r.tags.as_deref())?;
        let ip_type = r
            .ip_address_type
            .as_ref()
            .map_or("ipv4", |t| t.as_str())
            .to_owned();
        let now = self.now();
        self.db.write(|tx| {
            if let Some(old) = tx.state.target_groups.get(&named_key(&ctx.account, name)) {
                let same = old.protocol == protocol
                    && old.port == port
                    && old.vpc_id == r.vpc_id
                    && old.target_type == target_type
                    && old.health_check == hc;
                if !same {
                    return Err(ElbError::exception(
                        "DuplicateTargetGroupNameException",
                        format!("A target group with the same name '{name}' exists, but with different settings"),
                    ));
                }
                return Ok(CreateTargetGroupOutput { target_groups: Some(vec![view(tx.state, old)]) });
            }
            if tx.state.target_groups_of(&ctx.account).count() >= MAX_TARGET_GROUPS {
                return Err(ElbError::exception("TooManyTargetGroupsException", format!("The maximum number of target groups ({MAX_TARGET_GROUPS}) has been reached")));
            }
            let id = new_id();
            let tg = TargetGroupRec {
                account: ctx.account.clone(),
                arn: arn_of(ctx, &format!("targetgroup/{name}/{id}")),
                id,
                name: name.clone(),
                protocol: protocol.clone(),
                protocol_version: version.clone(),
                port,
                vpc_id: r.vpc_id.clone(),
                target_type: target_type.clone(),
                ip_address_type: ip_type.clone(),
                health_check: hc.clone(),
                created: now,
                attributes: BTreeMap::new(),
                tags: tags.clone(),
            };
            let out = view(tx.state, &tg);
            tx.put(tg)?;
            Ok(CreateTargetGroupOutput { target_groups: Some(vec![out]) })
        })
    }

    pub(crate) fn describe_target_groups(
        &self,
        ctx: &RequestContext,
        r: DescribeTargetGroupsInput,
    ) -> Result<DescribeTargetGroupsOutput> {
        let size = page_size(r.page_size)?;
        let state = self.db.snapshot();
        let arns = r.target_group_arns.unwrap_or_default();
        let names = r.names.unwrap_or_default();
        let given = [
            r.load_balancer_arn.is_some(),
            !arns.is_empty(),
            !names.is_empty(),
        ];
        if given.iter().filter(|g| **g).count() > 1 {
            return Err(ElbError::validation(
                "Only one of LoadBalancerArn, TargetGroupArns and Names can be specified",
            ));
        }
        let chosen: Vec<Arc<TargetGroupRec>> = if let Some(lb) = &r.load_balancer_arn {
            let lb = find_lb(&state, ctx, lb)?;
            state
                .target_groups_of(&ctx.account)
                .filter(|tg| {
                    state
                        .load_balancers_using(&ctx.account, &tg.arn)
                        .contains(&lb.arn)
                })
                .cloned()
                .collect()
        } else if !arns.is_empty() {
            arns.iter()
                .map(|a| find_tg(&state, ctx, a))
                .collect::<Result<_>>()?
        } else if !names.is_empty() {
            let missing: Vec<&str> = names
                .iter()
                .filter(|n| {
                    !state
                        .target_groups
                        .contains_key(&named_key(&ctx.account, n))
                })
                .map(String::as_str)
                .collect();
            if !missing.is_empty() {
                return Err(ElbError::exception(
                    "TargetGroupNotFoundException",
                    format!("Target groups '[{}]' not found", missing.join(", ")),
                ));
            }
            names
                .iter()
                .filter_map(|n| {
                    state
                        .target_groups
                        .get(&named_key(&ctx.account, n))
                        .cloned()
                })
                .collect()
        } else {
            state.target_groups_of(&ctx.account).cloned().collect()
        };
        let mut keyed: Vec<(String, Arc<TargetGroupRec>)> =
            chosen.into_iter().map(|t| (t.name.clone(), t)).collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        keyed.dedup_by(|a, b| a.0 == b.0);
        let p = page(keyed, r.marker.as_deref(), size)?;
        Ok(DescribeTargetGroupsOutput {
            target_groups: Some(p.items.iter().map(|tg| view(&state, tg)).collect()),
            next_marker: p.next_token,
        })
    }

    pub(crate) fn modify_target_group(
        &self,
        ctx: &RequestContext,
        r: ModifyTargetGroupInput,
    ) -> Result<ModifyTargetGroupOutput> {
        let arn = required(&r.target_group_arn, "TargetGroupArn")?;
        self.db.write(|tx| {
            let mut tg = (*find_tg(tx.state, ctx, arn)?).clone();
            tg.health_check = health(
                &tg.health_check,
                tg.protocol.as_deref(),
                tg.protocol_version.as_deref(),
                &HealthInput {
                    protocol: r.health_check_protocol.as_ref(),
                    port: r.health_check_port.as_ref(),
                    enabled: r.health_check_enabled,
                    path: r.health_check_path.as_ref(),
                    interval: r.health_check_interval_seconds,
                    timeout: r.health_check_timeout_seconds,
                    healthy: r.healthy_threshold_count,
                    unhealthy: r.unhealthy_threshold_count,
                    matcher: r.matcher.as_ref(),
                },
            )?;
            let out = view(tx.state, &tg);
            tx.put(tg)?;
            Ok(ModifyTargetGroupOutput {
                target_groups: Some(vec![out]),
            })
        })
    }

    pub(crate) fn delete_target_group(
        &self,
        ctx: &RequestContext,
        r: DeleteTargetGroupInput,
    ) -> Result<Empty> {
        let arn = required(&r.target_group_arn, "TargetGroupArn")?;
        self.db.write(|tx| {
            let tg = match find_tg(tx.state, ctx, arn) {
                Ok(tg) => tg,
                Err(ElbError::Exception {
                    shape: "TargetGroupNotFoundException",
                    ..
                }) => return Ok(Empty {}),
                Err(e) => return Err(e),
            };
            if !tx
                .state
                .load_balancers_using(&ctx.account, &tg.arn)
                .is_empty()
            {
                return Err(ElbError::exception(
                    "ResourceInUseException",
                    format!("Target group '{arn}' is currently in use by a listener or a rule"),
                ));
            }
            let targets: Vec<String> = tx
                .state
                .targets_of(&ctx.account, &tg.id)
                .map(|t| crate::records::target_key(&t.account, &t.target_group_id, &t.id, t.port))
                .collect();
            for k in targets {
                tx.delete::<TargetRec>(&k);
            }
            tx.delete::<TargetGroupRec>(&named_key(&ctx.account, &tg.name));
            Ok(Empty {})
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matchers_take_codes_lists_and_ranges() {
        for ok in ["200", "200,202", "200-299", "200-299,404"] {
            assert!(check_matcher(ok, false).is_ok(), "{ok}");
        }
        for bad in ["", "199", "500", "299-200", "abc", "200,"] {
            assert!(check_matcher(bad, false).is_err(), "{bad}");
        }
        assert!(check_matcher("0-99", true).is_ok());
    }

    #[test]
    fn health_check_timeout_stays_below_the_interval() {
        let base = default_health(Some("HTTP"), Some("HTTP1"), "ip");
        let h = |interval, timeout| HealthInput {
            protocol: None,
            port: None,
            enabled: None,
            path: None,
            interval,
            timeout,
            healthy: None,
            unhealthy: None,
            matcher: None,
        };
        assert!(health(&base, Some("HTTP"), None, &h(Some(5), Some(5))).is_err());
        let ok = health(&base, Some("HTTP"), None, &h(Some(6), Some(5))).expect("valid");
        assert_eq!((ok.interval_seconds, ok.timeout_seconds), (6, 5));
        assert!(health(&base, Some("HTTP"), None, &h(Some(301), None)).is_err());
    }
}
