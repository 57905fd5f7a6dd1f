//! DescribeSecurityGroupRules, ModifySecurityGroupRules and
//! UpdateSecurityGroupRuleDescriptionsIngress/Egress: rules one by one, by their ids.

use berth_aws::RequestContext;
use berth_ec2_model::shapes::*;

use super::authorize::{full_rule_shape, resolver};
use super::permissions::{cidr, description, ports, protocol, rules_of};
use super::rule_shapes::describe;
use super::security_groups::{check_group_id, find_group};
use super::{one, page};
use crate::error::{Ec2Error, Result};
use crate::filters::Filters;
use crate::records::{Peer, RuleRec};
use crate::Ec2;

const FILTERS: &[&str] = &["group-id", "security-group-rule-id"];

/// The peer a `SecurityGroupRuleRequest` names: exactly one of its CIDRs, prefix list or
/// group.
fn peer_of(
    r: &SecurityGroupRuleRequest,
    resolve: &dyn Fn(&UserIdGroupPair) -> Result<Peer>,
) -> Result<Peer> {
    let given = [
        r.cidr_ipv4.is_some(),
        r.cidr_ipv6.is_some(),
        r.prefix_list_id.is_some(),
        r.referenced_group_id.is_some(),
    ];
    match given.iter().filter(|g| **g).count() {
        0 => {
            return Err(Ec2Error::missing(
                "CidrIpv4, CidrIpv6, PrefixListId or ReferencedGroupId",
            ))
        }
        1 => {}
        _ => {
            return Err(Ec2Error::client(
                "InvalidParameterCombination",
                "A rule names one of CidrIpv4, CidrIpv6, PrefixListId and ReferencedGroupId",
            ))
        }
    }
    Ok(if r.cidr_ipv4.is_some() {
        Peer::Cidr4(cidr(r.cidr_ipv4.as_deref(), false)?)
    } else if r.cidr_ipv6.is_some() {
        Peer::Cidr6(cidr(r.cidr_ipv6.as_deref(), true)?)
    } else if let Some(id) = &r.prefix_list_id {
        Peer::PrefixList(id.clone())
    } else {
        resolve(&UserIdGroupPair {
            group_id: r.referenced_group_id.clone(),
            ..Default::default()
        })?
    })
}

impl Ec2 {
    pub(crate) fn describe_security_group_rules(
        &self,
        ctx: &RequestContext,
        req: DescribeSecurityGroupRulesRequest,
    ) -> Result<DescribeSecurityGroupRulesResult> {
        let filters = Filters::parse(req.filters.as_ref(), FILTERS)?;
        let ids = req.security_group_rule_ids.unwrap_or_default();
        let state = self.db.snapshot();
        if let Some(id) = ids
            .iter()
            .find(|id| state.group_of_rule(&ctx.account, id).is_none())
        {
            return Err(Ec2Error::no_rule(id));
        }
        let mut listed = Vec::new();
        for g in state.groups_of(&ctx.account) {
            for (egress, r) in g
                .ingress
                .iter()
                .map(|r| (false, r))
                .chain(g.egress.iter().map(|r| (true, r)))
            {
                if !ids.is_empty() && !ids.contains(&r.id) {
                    continue;
                }
                let values = |name: &str| match name {
                    "group-id" => one(g.id.clone()),
                    "security-group-rule-id" => one(r.id.clone()),
                    _ => Vec::new(),
                };
                if filters.matches(values, &r.tags) {
                    listed.push((r.id.clone(), full_rule_shape(ctx, &g, r, egress)));
                }
            }
        }
        listed.sort_by(|a, b| a.0.cmp(&b.0));
        let (rules, next_token) = page(listed, req.next_token.as_deref(), req.max_results)?;
        Ok(DescribeSecurityGroupRulesResult {
            security_group_rules: Some(rules),
            next_token,
        })
    }

    pub(crate) fn modify_security_group_rules(
        &self,
        ctx: &RequestContext,
        req: ModifySecurityGroupRulesRequest,
    ) -> Result<ModifySecurityGroupRulesResult> {
        let group_id = req.group_id.unwrap_or_default();
        check_group_id(&group_id)?;
        let updates = req.security_group_rules.unwrap_or_default();
        self.db.write(|tx| {
            let g = find_group(tx.state, ctx, Some(&group_id), None)?;
            let mut rec = (*g).clone();
            let resolve = resolver(tx.state, &ctx.account);
            for u in &updates {
                let id = u.security_group_rule_id.as_deref().unwrap_or_default();
                let wanted = u
                    .security_group_rule
                    .as_ref()
                    .ok_or_else(|| Ec2Error::missing("SecurityGroupRule"))?;
                let egress = match (
                    rec.ingress.iter().any(|r| r.id == id),
                    rec.egress.iter().any(|r| r.id == id),
                ) {
                    (true, _) => false,
                    (_, true) => true,
                    _ => return Err(Ec2Error::no_rule(id)),
                };
                let protocol = protocol(wanted.ip_protocol.as_deref())?;
                let (from_port, to_port) = ports(&protocol, wanted.from_port, wanted.to_port)?;
                let peer = peer_of(wanted, &resolve)?;
                let description = description(wanted.description.as_deref())?;
                let rules = rec.rules_mut(egress);
                let changed = RuleRec {
                    id: id.to_owned(),
                    protocol,
                    from_port,
                    to_port,
                    peer,
                    description,
                    tags: Default::default(),
                };
                if rules.iter().any(|r| r.id != id && r.same_traffic(&changed)) {
                    return Err(Ec2Error::client(
                        "InvalidPermission.Duplicate",
                        format!(
                            "the specified rule \"{}\" already exists",
                            describe(&changed)
                        ),
                    ));
                }
                if let Some(r) = rules.iter_mut().find(|r| r.id == id) {
                    *r = RuleRec {
                        tags: std::mem::take(&mut r.tags),
                        ..changed
                    };
                }
            }
            drop(resolve);
            tx.put(rec)?;
            Ok(ModifySecurityGroupRulesResult {
                r#return: Some(true),
            })
        })
    }

    fn update_descriptions(
        &self,
        ctx: &RequestContext,
        egress: bool,
        group: (Option<&str>, Option<&str>),
        perms: Option<&Vec<IpPermission>>,
        by_id: Option<&Vec<SecurityGroupRuleDescription>>,
    ) -> Result<()> {
        self.db.write(|tx| {
            let g = find_group(tx.state, ctx, group.0, group.1)?;
            let mut rec = (*g).clone();
            let resolve = resolver(tx.state, &ctx.account);
            let mut changes: Vec<(String, Option<String>)> = Vec::new();
            match (perms.filter(|p| !p.is_empty()), by_id.filter(|d| !d.is_empty())) {
                (Some(_), Some(_)) => {
                    return Err(Ec2Error::client(
                        "InvalidParameterCombination",
                        "The parameter IpPermissions cannot be used with SecurityGroupRuleDescriptions",
                    ))
                }
                (Some(perms), None) => {
                    for p in perms {
                        for wanted in rules_of(p, &resolve)? {
                            let found = rec.rules(egress).iter().find(|r| r.same_traffic(&wanted));
                            let Some(r) = found else {
                                return Err(Ec2Error::client(
                                    "InvalidPermission.NotFound",
                                    format!(
                                        "The specified rule \"{}\" does not exist in this security group.",
                                        describe(&wanted)
                                    ),
                                ));
                            };
                            changes.push((r.id.clone(), wanted.description));
                        }
                    }
                }
                (None, Some(by_id)) => {
                    for d in by_id {
                        let id = d
                            .security_group_rule_id
                            .clone()
                            .ok_or_else(|| Ec2Error::missing("SecurityGroupRuleId"))?;
                        if !rec.rules(egress).iter().any(|r| r.id == id) {
                            return Err(Ec2Error::no_rule(&id));
                        }
                        changes.push((id, description(d.description.as_deref())?));
                    }
                }
                (None, None) => return Err(Ec2Error::missing("IpPermissions")),
            }
            drop(resolve);
            for (id, text) in changes {
                if let Some(r) = rec.rules_mut(egress).iter_mut().find(|r| r.id == id) {
                    r.description = text;
                }
            }
            tx.put(rec)
        })
    }

    pub(crate) fn update_security_group_rule_descriptions_ingress(
        &self,
        ctx: &RequestContext,
        req: UpdateSecurityGroupRuleDescriptionsIngressRequest,
    ) -> Result<UpdateSecurityGroupRuleDescriptionsIngressResult> {
        self.update_descriptions(
            ctx,
            false,
            (req.group_id.as_deref(), req.group_name.as_deref()),
            req.ip_permissions.as_ref(),
            req.security_group_rule_descriptions.as_ref(),
        )?;
        Ok(UpdateSecurityGroupRuleDescriptionsIngressResult {
            r#return: Some(true),
        })
    }

    pub(crate) fn update_security_group_rule_descriptions_egress(
        &self,
        ctx: &RequestContext,
        req: UpdateSecurityGroupRuleDescriptionsEgressRequest,
    ) -> Result<UpdateSecurityGroupRuleDescriptionsEgressResult> {
        self.update_descriptions(
            ctx,
            true,
            (req.group_id.as_deref(), req.group_name.as_deref()),
            req.ip_permissions.as_ref(),
            req.security_group_rule_descriptions.as_ref(),
        )?;
        Ok(UpdateSecurityGroupRuleDescriptionsEgressResult {
            r#return: Some(true),
        })
    }
}
