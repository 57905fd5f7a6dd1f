//! RegisterTargets, DeregisterTargets, DescribeTargetHealth.
//!
//! Registrations are records; health is the data plane's (through [`crate::HealthView`]),
//! which also holds deregistered targets while they drain.

use std::net::IpAddr;

use berth_aws::RequestContext;
use berth_elbv2_model::shapes::*;

use super::{find_tg, required, Empty};
use crate::error::{ElbError, Result};
use crate::records::{target_key, TargetGroupRec, TargetRec};
use crate::{Elb, ObservedTarget};

/// The most targets a target group has (ELB's default quota).
const MAX_TARGETS: usize = 1000;

/// The (id, port) of each target described, the port defaulting to the group's.
fn targets_given(
    tg: &TargetGroupRec,
    given: &[TargetDescription],
) -> Result<Vec<(String, u16, Option<String>)>> {
    given
        .iter()
        .map(|t| {
            let id = required(&t.id, "Target Id")?.clone();
            let port = match t.port {
                Some(p) => u16::try_from(p).ok().filter(|p| *p >= 1).ok_or_else(|| {
                    ElbError::validation(format!("Port {p} must be from 1 to 65535"))
                })?,
                None => tg.port.ok_or_else(|| {
                    ElbError::validation(format!("A port must be given for target '{id}'"))
                })?,
            };
            Ok((id, port, t.availability_zone.clone()))
        })
        .collect()
}

fn health(state: &str, reason: Option<&str>, description: Option<&str>) -> TargetHealth {
    TargetHealth {
        state: Some(TargetHealthStateEnum::parse(state)),
        reason: reason.map(TargetHealthReasonEnum::parse),
        description: description.map(str::to_owned),
    }
}

impl Elb {
    pub(crate) fn register_targets(
        &self,
        ctx: &RequestContext,
        r: RegisterTargetsInput,
    ) -> Result<Empty> {
        let arn = required(&r.target_group_arn, "TargetGroupArn")?;
        let given = required(&r.targets, "Targets")?;
        let tg = find_tg(&self.db.snapshot(), ctx, arn)?;
        let targets = targets_given(&tg, given)?;
        match tg.target_type.as_str() {
            "instance" => {
                let instances = self.instances();
                let bad: Vec<&str> = targets
                    .iter()
                    .map(|t| t.0.as_str())
                    .filter(|id| {
                        !id.starts_with("i-")
                            || instances
                                .as_ref()
                                .is_some_and(|i| i.address(&ctx.account, id).is_none())
                    })
                    .collect();
                if !bad.is_empty() {
                    return Err(ElbError::exception(
                        "InvalidTargetException",
                        format!(
                            "The following targets are not valid instances: '{}'",
                            bad.join("', '")
                        ),
                    ));
                }
            }
            "ip" => {
                for (id, _, _) in &targets {
                    let ip: IpAddr = id.parse().map_err(|_| {
                        ElbError::exception(
                            "InvalidTargetException",
                            format!("The IP address '{id}' is not a valid IP address"),
                        )
                    })?;
                    if tg.ip_address_type == "ipv4" && !ip.is_ipv4() {
                        return Err(ElbError::exception(
                            "InvalidTargetException",
                            format!("The IP address '{id}' is not an IPv4 address"),
                        ));
                    }
                }
            }
            other => {
                return Err(ElbError::NotYet(format!(
                    "Targets of '{other}' target groups are not supported by Berth yet."
                )));
            }
        }
        let now = self.now();
        self.db.write(|tx| {
            let tg = find_tg(tx.state, ctx, arn)?;
            for (id, port, zone) in &targets {
                let key = target_key(&ctx.account, &tg.id, id, *port);
                if tx.state.targets.contains_key(&key) {
                    continue;
                }
                tx.put(TargetRec {
                    account: ctx.account.clone(),
                    target_group_id: tg.id.clone(),
                    id: id.clone(),
                    port: *port,
                    availability_zone: zone.clone(),
                    registered: now,
                })?;
            }
            if tx.state.targets_of(&ctx.account, &tg.id).count() > MAX_TARGETS {
                return Err(ElbError::exception(
                    "TooManyTargetsException",
                    format!("A target group can have at most {MAX_TARGETS} targets"),
                ));
            }
            Ok(Empty {})
        })
    }

    pub(crate) fn deregister_targets(
        &self,
        ctx: &RequestContext,
        r: DeregisterTargetsInput,
    ) -> Result<Empty> {
        let arn = required(&r.target_group_arn, "TargetGroupArn")?;
        let given = required(&r.targets, "Targets")?;
        self.db.write(|tx| {
            let tg = find_tg(tx.state, ctx, arn)?;
            let targets = targets_given(&tg, given)?;
            let missing: Vec<String> = targets
                .iter()
                .filter(|(id, port, _)| {
                    !tx.state
                        .targets
                        .contains_key(&target_key(&ctx.account, &tg.id, id, *port))
                })
                .map(|(id, port, _)| format!("{id}:{port}"))
                .collect();
            if !missing.is_empty() {
                return Err(ElbError::exception(
                    "InvalidTargetException",
                    format!(
                        "The following targets are not registered in target group '{arn}': '{}'",
                        missing.join("', '")
                    ),
                ));
            }
            for (id, port, _) in &targets {
                tx.delete::<TargetRec>(&target_key(&ctx.account, &tg.id, id, *port));
            }
            Ok(Empty {})
        })
    }

    pub(crate) fn describe_target_health(
        &self,
        ctx: &RequestContext,
        r: DescribeTargetHealthInput,
    ) -> Result<DescribeTargetHealthOutput> {
        let arn = required(&r.target_group_arn, "TargetGroupArn")?;
        let state = self.db.snapshot();
        let tg = find_tg(&state, ctx, arn)?;
        let observed: Vec<ObservedTarget> = self
            .health_view()
            .map(|h| h.targets(&tg.arn))
            .unwrap_or_default();
        let in_use = !state.load_balancers_using(&ctx.account, &tg.arn).is_empty();
        let instances = self.instances();
        let registered: Vec<(String, u16, Option<String>)> = state
            .targets_of(&ctx.account, &tg.id)
            .map(|t| (t.id.clone(), t.port, t.availability_zone.clone()))
            .collect();
        let asked = match &r.targets {
            Some(t) if !t.is_empty() => targets_given(&tg, t)?,
            _ => {
                let mut all = registered.clone();
                for o in &observed {
                    if !all
                        .iter()
                        .any(|(id, port, _)| *id == o.id && *port == o.port)
                    {
                        all.push((o.id.clone(), o.port, None));
                    }
                }
                all
            }
        };
        let descriptions = asked
            .into_iter()
            .map(|(id, port, zone)| {
                let is_registered = registered.iter().any(|(i, p, _)| *i == id && *p == port);
                let seen = observed.iter().find(|o| o.id == id && o.port == port);
                let h = match (is_registered, seen) {
                    // Deregistered, still held by the data plane (draining, or not yet told).
                    (false, Some(o)) if o.state != "unused" => health("draining", Some("Target.DeregistrationInProgress"), Some("Target deregistration is in progress")),
                    (false, _) => health("unused", Some("Target.NotRegistered"), Some("Target is not registered to the target group")),
                    (true, _) if !in_use => health("unused", Some("Target.NotInUse"), Some("Target group is not configured to receive traffic from the load balancer")),
                    (true, _) if tg.target_type == "instance" && instances.as_ref().is_some_and(|i| i.address(&ctx.account, &id).is_none()) => {
                        health("unused", Some("Target.InvalidState"), Some("Target is in the stopped state"))
                    }
                    (true, _) if !tg.health_check.enabled => health("unavailable", Some("Target.HealthCheckDisabled"), Some("Health checks are disabled")),
                    (true, Some(o)) => health(&o.state, o.reason.as_deref(), o.description.as_deref()),
                    (true, None) => health("initial", Some("Elb.RegistrationInProgress"), Some("Target registration is in progress")),
                };
                let hc_port = if tg.health_check.port == "traffic-port" { port.to_string() } else { tg.health_check.port.clone() };
                TargetHealthDescription {
                    target: Some(TargetDescription { id: Some(id), port: Some(i32::from(port)), availability_zone: zone, ..Default::default() }),
                    health_check_port: Some(hc_port),
                    target_health: Some(h),
                    ..Default::default()
                }
            })
            .collect();
        Ok(DescribeTargetHealthOutput {
            target_health_descriptions: Some(descriptions),
        })
    }
}
