//! CreateLoadBalancer, DescribeLoadBalancers, DeleteLoadBalancer, SetSubnets,
//! SetSecurityGroups, SetIpAddressType.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use berth_aws::RequestContext;
use berth_elbv2_model::shapes::*;

use super::{
    arn_of, check_name, check_tags, find_lb, kind_part, new_id, page, page_size, required, Empty,
};
use crate::error::{ElbError, Result};
use crate::records::{named_key, LoadBalancerRec, ZoneRec};
use crate::state::State;
use crate::{Elb, Subnet};

/// The most load balancers an account has in a region (ELB's default quota).
const MAX_LOAD_BALANCERS: usize = 50;

/// The hosted zone Berth's load balancer names are in (Route 53 alias targets name it).
pub(crate) const CANONICAL_HOSTED_ZONE_ID: &str = "Z0BERTHELB0ZONE";

/// A load balancer as the API shows it; `state` is its `State.Code`.
pub(crate) fn view(lb: &LoadBalancerRec, state: &str) -> LoadBalancer {
    LoadBalancer {
        load_balancer_arn: Some(lb.arn.clone()),
        dns_name: Some(lb.dns_name.clone()),
        canonical_hosted_zone_id: Some(CANONICAL_HOSTED_ZONE_ID.into()),
        created_time: Some(lb.created),
        load_balancer_name: Some(lb.name.clone()),
        scheme: Some(LoadBalancerSchemeEnum::parse(&lb.scheme)),
        vpc_id: Some(lb.vpc_id.clone()),
        state: Some(LoadBalancerState {
            code: Some(LoadBalancerStateEnum::parse(state)),
            reason: None,
        }),
        r#type: Some(LoadBalancerTypeEnum::parse(&lb.kind)),
        availability_zones: Some(zones_view(lb)),
        security_groups: (lb.kind == "application").then(|| lb.security_groups.clone()),
        ip_address_type: Some(IpAddressType::parse(&lb.ip_address_type)),
        ..Default::default()
    }
}

fn zones_view(lb: &LoadBalancerRec) -> Vec<AvailabilityZone> {
    lb.zones
        .iter()
        .map(|z| AvailabilityZone {
            zone_name: Some(z.zone.clone()),
            subnet_id: Some(z.subnet_id.clone()),
            load_balancer_addresses: (lb.kind == "network").then(|| {
                vec![LoadBalancerAddress {
                    ip_address: Some(lb.address.clone()),
                    ..Default::default()
                }]
            }),
            ..Default::default()
        })
        .collect()
}

/// The subnets a load balancer is put in: each known, all in one VPC, one per zone, and
/// (for an Application Load Balancer) in at least two zones.
fn resolve_subnets(
    elb: &Elb,
    ctx: &RequestContext,
    kind: &str,
    ids: &[String],
) -> Result<(String, Vec<ZoneRec>)> {
    let network = elb
        .network()
        .ok_or_else(|| ElbError::ServiceFailure("No network is configured.".into()))?;
    let mut subnets: Vec<Subnet> = Vec::new();
    for id in ids {
        let s = network.subnet(&ctx.account, id).ok_or_else(|| {
            ElbError::exception(
                "SubnetNotFoundException",
                format!("The subnet ID '{id}' is not valid"),
            )
        })?;
        if subnets
            .iter()
            .any(|o| o.availability_zone == s.availability_zone && o.id != s.id)
        {
            return Err(ElbError::invalid_config(
                "A load balancer cannot be attached to multiple subnets in the same Availability Zone",
            ));
        }
        if !subnets.iter().any(|o| o.id == s.id) {
            subnets.push(s);
        }
    }
    let Some(first) = subnets.first() else {
        return Err(ElbError::validation(
            "At least one subnet must be specified",
        ));
    };
    let vpc = first.vpc_id.clone();
    if subnets.iter().any(|s| s.vpc_id != vpc) {
        return Err(ElbError::invalid_config(
            "All subnets must belong to the same VPC",
        ));
    }
    if kind == "application" && subnets.len() < 2 {
        return Err(ElbError::invalid_config(
            "At least two subnets in two different Availability Zones must be specified",
        ));
    }
    let zones = subnets
        .into_iter()
        .map(|s| ZoneRec {
            subnet_id: s.id,
            zone: s.availability_zone,
        })
        .collect();
    Ok((vpc, zones))
}

/// The security groups of an Application Load Balancer: each of `vpc`, or the VPC's
/// default group when none are given.
fn resolve_security_groups(
    elb: &Elb,
    ctx: &RequestContext,
    vpc: &str,
    given: Option<&[String]>,
) -> Result<Vec<String>> {
    let network = elb
        .network()
        .ok_or_else(|| ElbError::ServiceFailure("No network is configured.".into()))?;
    match given {
        None | Some([]) => Ok(network
            .default_security_group(&ctx.account, vpc)
            .into_iter()
            .collect()),
        Some(ids) => {
            for id in ids {
                if network.security_group_vpc(&ctx.account, id).as_deref() != Some(vpc) {
                    return Err(ElbError::exception(
                        "InvalidSecurityGroupException",
                        format!("One or more security groups are invalid: '{id}'"),
                    ));
                }
            }
            let mut out: Vec<String> = Vec::new();
            for id in ids {
                if !out.contains(id) {
                    out.push(id.clone());
                }
            }
            Ok(out)
        }
    }
}

/// The lowest address of the pool no load balancer has.
fn free_address(state: &State, pool: &ipnet::Ipv4Net) -> Option<Ipv4Addr> {
    let used: std::collections::HashSet<&str> = state
        .load_balancers
        .values()
        .map(|lb| lb.address.as_str())
        .collect();
    pool.hosts()
        .find(|a| !used.contains(a.to_string().as_str()))
}

/// `<name>-<10 digits>.<region>.<suffix>`, `internal-` before it for an internal one.
fn dns_name(elb: &Elb, ctx: &RequestContext, name: &str, id: &str, scheme: &str) -> String {
    let n = u64::from_str_radix(id, 16).unwrap_or(0) % 10_000_000_000;
    let prefix = if scheme == "internal" {
        "internal-"
    } else {
        ""
    };
    format!(
        "{prefix}{name}-{n:010}.{}.{}",
        ctx.region, elb.config.dns_suffix
    )
    .to_ascii_lowercase()
}

impl Elb {
    pub(crate) fn create_load_balancer(
        &self,
        ctx: &RequestContext,
        r: CreateLoadBalancerInput,
    ) -> Result<CreateLoadBalancerOutput> {
        let name = required(&r.name, "Name")?;
        check_name(name, "Load balancer")?;
        if name.starts_with("internal-") {
            return Err(ElbError::validation(
                "Load balancer names cannot begin with 'internal-'",
            ));
        }
        let kind = r
            .r#type
            .as_ref()
            .map_or("application", |t| t.as_str())
            .to_owned();
        if kind == "gateway" {
            return Err(ElbError::NotYet(
                "Gateway Load Balancers are not supported by Berth yet.".into(),
            ));
        }
        let scheme = r
            .scheme
            .as_ref()
            .map_or("internet-facing", |s| s.as_str())
            .to_owned();
        let ip_type = r
            .ip_address_type
            .as_ref()
            .map_or("ipv4", |t| t.as_str())
            .to_owned();
        let mut subnet_ids: Vec<String> = r.subnets.clone().unwrap_or_default();
        for m in r.subnet_mappings.iter().flatten() {
            if let Some(id) = &m.subnet_id {
                subnet_ids.push(id.clone());
            }
        }
        if r.subnets.is_some() && r.subnet_mappings.is_some() {
            return Err(ElbError::validation(
                "You can specify subnets or subnet mappings, not both",
            ));
        }
        let (vpc, zones) = resolve_subnets(self, ctx, &kind, &subnet_ids)?;
        let security_groups = if kind == "application" {
            resolve_security_groups(self, ctx, &vpc, r.security_groups.as_deref())?
        } else {
            Vec::new()
        };
        let tags = check_tags(r.tags.as_deref())?;
        let now = self.now();
        self.db.write(|tx| {
            if let Some(old) = tx.state.load_balancers.get(&named_key(&ctx.account, name)) {
                let same = old.kind == kind
                    && old.scheme == scheme
                    && old.zones == zones
                    && (r.security_groups.is_none() || old.security_groups == security_groups);
                if !same {
                    return Err(ElbError::exception(
                        "DuplicateLoadBalancerNameException",
                        format!("A load balancer with the same name '{name}' exists, but with different settings"),
                    ));
                }
                return Ok(CreateLoadBalancerOutput { load_balancers: Some(vec![view(old, "active")]) });
            }
            if tx.state.load_balancers_of(&ctx.account).count() >= MAX_LOAD_BALANCERS {
                return Err(ElbError::exception(
                    "TooManyLoadBalancersException",
                    format!("The maximum number of load balancers ({MAX_LOAD_BALANCERS}) has been reached"),
                ));
            }
            let address = free_address(tx.state, &self.config.addresses).ok_or_else(|| {
                ElbError::exception(
                    "TooManyLoadBalancersException",
                    format!("Berth has no address left for another load balancer (the pool is {})", self.config.addresses),
                )
            })?;
            let id = new_id();
            let lb = LoadBalancerRec {
                account: ctx.account.clone(),
                arn: arn_of(ctx, &format!("loadbalancer/{}/{name}/{id}", kind_part(&kind))),
                dns_name: dns_name(self, ctx, name, &id, &scheme),
                id,
                name: name.clone(),
                kind: kind.clone(),
                scheme: scheme.clone(),
                ip_address_type: ip_type.clone(),
                vpc_id: vpc.clone(),
                zones: zones.clone(),
                security_groups: security_groups.clone(),
                address: address.to_string(),
                created: now,
                attributes: BTreeMap::new(),
                tags: tags.clone(),
            };
            let out = view(&lb, "provisioning");
            tx.put(lb)?;
            Ok(CreateLoadBalancerOutput { load_balancers: Some(vec![out]) })
        })
    }

    pub(crate) fn describe_load_balancers(
        &self,
        ctx: &RequestContext,
        r: DescribeLoadBalancersInput,
    ) -> Result<DescribeLoadBalancersOutput> {
        let size = page_size(r.page_size)?;
        let state = self.db.snapshot();
        let arns = r.load_balancer_arns.unwrap_or_default();
        let names = r.names.unwrap_or_default();
        if !arns.is_empty() && !names.is_empty() {
            return Err(ElbError::validation(
                "Load balancer names and load balancer ARNs cannot be specified at the same time",
            ));
        }
        let chosen: Vec<std::sync::Arc<LoadBalancerRec>> = if !arns.is_empty() {
            arns.iter()
                .map(|a| find_lb(&state, ctx, a))
                .collect::<Result<_>>()?
        } else if !names.is_empty() {
            let missing: Vec<&String> = names
                .iter()
                .filter(|n| {
                    !state
                        .load_balancers
                        .contains_key(&named_key(&ctx.account, n))
                })
                .collect();
            if !missing.is_empty() {
                let list: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
                return Err(ElbError::exception(
                    "LoadBalancerNotFoundException",
                    format!("Load balancers '[{}]' not found", list.join(", ")),
                ));
            }
            names
                .iter()
                .filter_map(|n| {
                    state
                        .load_balancers
                        .get(&named_key(&ctx.account, n))
                        .cloned()
                })
                .collect()
        } else {
            state.load_balancers_of(&ctx.account).cloned().collect()
        };
        let mut keyed: Vec<(String, std::sync::Arc<LoadBalancerRec>)> =
            chosen.into_iter().map(|lb| (lb.name.clone(), lb)).collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        keyed.dedup_by(|a, b| a.0 == b.0);
        let p = page(keyed, r.marker.as_deref(), size)?;
        Ok(DescribeLoadBalancersOutput {
            load_balancers: Some(p.items.iter().map(|lb| view(lb, "active")).collect()),
            next_marker: p.next_token,
        })
    }

    pub(crate) fn delete_load_balancer(
        &self,
        ctx: &RequestContext,
        r: DeleteLoadBalancerInput,
    ) -> Result<Empty> {
        let arn = required(&r.load_balancer_arn, "LoadBalancerArn")?;
        self.db.write(|tx| {
            let lb = match find_lb(tx.state, ctx, arn) {
                Ok(lb) => lb,
                // Deleting what does not exist (any more) succeeds.
                Err(ElbError::Exception { shape: "LoadBalancerNotFoundException", .. }) => return Ok(Empty {}),
                Err(e) => return Err(e),
            };
            if lb.attributes.get("deletion_protection.enabled").map(String::as_str) == Some("true") {
                return Err(ElbError::exception(
                    "OperationNotPermittedException",
                    format!("Load balancer '{arn}' cannot be deleted because deletion protection is enabled"),
                ));
            }
            let listeners: Vec<_> = tx.state.listeners_of(&ctx.account, &lb.id).cloned().collect();
            for l in listeners {
                let rules: Vec<String> = tx
                    .state
                    .rules_of(&ctx.account, &l.id)
                    .map(|r| crate::records::rule_key(&ctx.account, &l.id, &r.id))
                    .collect();
                for k in rules {
                    tx.delete::<crate::records::RuleRec>(&k);
                }
                tx.delete::<crate::records::ListenerRec>(&crate::records::listener_key(&ctx.account, &lb.id, &l.id));
            }
            tx.delete::<LoadBalancerRec>(&named_key(&ctx.account, &lb.name));
            Ok(Empty {})
        })
    }

    pub(crate) fn set_subnets(
        &self,
        ctx: &RequestContext,
        r: SetSubnetsInput,
    ) -> Result<SetSubnetsOutput> {
        let arn = required(&r.load_balancer_arn, "LoadBalancerArn")?;
        let lb = find_lb(&self.db.snapshot(), ctx, arn)?;
        let mut ids: Vec<String> = r.subnets.clone().unwrap_or_default();
        for m in r.subnet_mappings.iter().flatten() {
            if let Some(id) = &m.subnet_id {
                ids.push(id.clone());
            }
        }
        let (vpc, zones) = resolve_subnets(self, ctx, &lb.kind, &ids)?;
        if vpc != lb.vpc_id {
            return Err(ElbError::invalid_config(format!(
                "The subnets must be in the load balancer's VPC '{}'",
                lb.vpc_id
            )));
        }
        let ip_type = r.ip_address_type.as_ref().map(|t| t.as_str().to_owned());
        let lb = self.update_lb(ctx, arn, |lb| {
            lb.zones = zones.clone();
            if let Some(t) = &ip_type {
                lb.ip_address_type = t.clone();
            }
            Ok(())
        })?;
        Ok(SetSubnetsOutput {
            availability_zones: Some(zones_view(&lb)),
            ip_address_type: Some(IpAddressType::parse(&lb.ip_address_type)),
            ..Default::default()
        })
    }

    pub(crate) fn set_security_groups(
        &self,
        ctx: &RequestContext,
        r: SetSecurityGroupsInput,
    ) -> Result<SetSecurityGroupsOutput> {
        let arn = required(&r.load_balancer_arn, "LoadBalancerArn")?;
        let given = required(&r.security_groups, "SecurityGroups")?;
        let lb = find_lb(&self.db.snapshot(), ctx, arn)?;
        if lb.kind != "application" {
            return Err(ElbError::invalid_config(
                "Security groups can be set on Application Load Balancers only",
            ));
        }
        let groups = resolve_security_groups(self, ctx, &lb.vpc_id, Some(given))?;
        let lb = self.update_lb(ctx, arn, |lb| {
            lb.security_groups = groups.clone();
            Ok(())
        })?;
        Ok(SetSecurityGroupsOutput {
            security_group_ids: Some(lb.security_groups.clone()),
            ..Default::default()
        })
    }

    pub(crate) fn set_ip_address_type(
        &self,
        ctx: &RequestContext,
        r: SetIpAddressTypeInput,
    ) -> Result<SetIpAddressTypeOutput> {
        let arn = required(&r.load_balancer_arn, "LoadBalancerArn")?;
        let t = required(&r.ip_address_type, "IpAddressType")?
            .as_str()
            .to_owned();
        let lb = self.update_lb(ctx, arn, |lb| {
            lb.ip_address_type = t.clone();
            Ok(())
        })?;
        Ok(SetIpAddressTypeOutput {
            ip_address_type: Some(IpAddressType::parse(&lb.ip_address_type)),
        })
    }

    /// Changes the load balancer `arn` names in one write; answers it as changed.
    pub(crate) fn update_lb(
        &self,
        ctx: &RequestContext,
        arn: &str,
        f: impl Fn(&mut LoadBalancerRec) -> Result<()>,
    ) -> Result<LoadBalancerRec> {
        self.db.write(|tx| {
            let mut lb = (*find_lb(tx.state, ctx, arn)?).clone();
            f(&mut lb)?;
            tx.put(lb.clone())?;
            Ok(lb)
        })
    }
}
