//! AuthorizeSecurityGroupIngress/Egress and RevokeSecurityGroupIngress/Egress: rules added
//! to and removed from a group, each one peer of one permission, with an `sgr-` id.

use std::sync::Arc;

use berth_aws::RequestContext;
use berth_ec2_model::shapes::*;

use super::permissions::{legacy, rules_of, MAX_RULES};
use super::rule_shapes::{describe, permissions, revoked_shape, rule_shape};
use super::security_groups::{check_group_id, find_group, group_by_name};
use super::{arn, new_id, spec_tags, tag_list};
use crate::error::{Ec2Error, Result};
use crate::records::{Peer, RuleRec, SecurityGroupRec};
use crate::state::State;
use crate::Ec2;

/// What an authorize or revoke asks, whichever its direction.
struct Change<'a> {
    group_id: Option<&'a str>,
    group_name: Option<&'a str>,
    /// `IpPermissions`, then the older top-level form as permissions.
    permissions: Vec<IpPermission>,
    /// Revokes only: rules by id.
    rule_ids: &'a [String],
    tags: Option<&'a Vec<TagSpecification>>,
}

/// Finds the group a group pair names: by id (of the pair's account, else the caller's),
/// or by name in that account's default VPC.
pub(crate) fn resolver<'s>(
    state: &'s State,
    account: &'s str,
) -> impl Fn(&UserIdGroupPair) -> Result<Peer> + 's {
    move |pair: &UserIdGroupPair| {
        let owner = pair.user_id.clone().unwrap_or_else(|| account.to_owned());
        let group = match (&pair.group_id, &pair.group_name) {
            (Some(id), _) => {
                check_group_id(id)?;
                state
                    .group(&owner, id)
                    .ok_or_else(|| Ec2Error::no_group(id))?
            }
            (None, Some(name)) => group_by_name(state, &owner, name)?,
            (None, None) => return Err(Ec2Error::missing("UserIdGroupPair.GroupId")),
        };
        Ok(Peer::Group {
            group_id: group.id.clone(),
            user_id: owner,
        })
    }
}

/// A rule with its tags and ARN, as the calls answer it.
pub(crate) fn full_rule_shape(
    ctx: &RequestContext,
    g: &SecurityGroupRec,
    r: &RuleRec,
    egress: bool,
) -> SecurityGroupRule {
    SecurityGroupRule {
        tags: Some(tag_list(&r.tags)),
        security_group_rule_arn: Some(arn(ctx, "security-group-rule", &r.id)),
        ..rule_shape(&g.account, &g.id, r, egress)
    }
}

impl Ec2 {
    fn authorize(
        &self,
        ctx: &RequestContext,
        egress: bool,
        change: Change<'_>,
    ) -> Result<Vec<SecurityGroupRule>> {
        if change.permissions.is_empty() {
            return Err(Ec2Error::missing("IpPermissions"));
        }
        let tags = spec_tags(change.tags, "security-group-rule")?;
        self.db.write(|tx| {
            let g = find_group(tx.state, ctx, change.group_id, change.group_name)?;
            let resolve = resolver(tx.state, &ctx.account);
            let mut added: Vec<RuleRec> = Vec::new();
            for p in &change.permissions {
                for mut r in rules_of(p, &resolve)? {
                    let existing = g.rules(egress).iter().chain(&added);
                    if existing.clone().any(|e| e.same_traffic(&r)) {
                        return Err(Ec2Error::client(
                            "InvalidPermission.Duplicate",
                            format!("the specified rule \"{}\" already exists", describe(&r)),
                        ));
                    }
                    r.id = new_id("sgr");
                    r.tags = tags.clone();
                    added.push(r);
                }
            }
            drop(resolve);
            if g.rules(egress).len() + added.len() > MAX_RULES {
                return Err(Ec2Error::client(
                    "RulesPerSecurityGroupLimitExceeded",
                    format!(
                        "The maximum number of rules per security group ({MAX_RULES} each way) \
                         has been reached."
                    ),
                ));
            }
            let mut rec = (*g).clone();
            rec.rules_mut(egress).extend(added.iter().cloned());
            let shapes = added
                .iter()
                .map(|r| full_rule_shape(ctx, &rec, r, egress))
                .collect();
            tx.put(rec)?;
            Ok(shapes)
        })
    }

    /// Removes rules; answers those removed and the permissions that matched no rule (which
    /// EC2 answers, not refuses, for groups of a default VPC — every group here).
    fn revoke(
        &self,
        ctx: &RequestContext,
        egress: bool,
        change: Change<'_>,
    ) -> Result<(Vec<RevokedSecurityGroupRule>, Vec<IpPermission>)> {
        if !change.rule_ids.is_empty() && !change.permissions.is_empty() {
            return Err(Ec2Error::client(
                "InvalidParameterCombination",
                "The parameter SecurityGroupRuleIds cannot be used with IpPermissions",
            ));
        }
        if change.rule_ids.is_empty() && change.permissions.is_empty() {
            return Err(Ec2Error::missing("IpPermissions"));
        }
        self.db.write(|tx| {
            let g: Arc<SecurityGroupRec> =
                find_group(tx.state, ctx, change.group_id, change.group_name)?;
            let mut removed: Vec<String> = Vec::new();
            let mut unknown: Vec<RuleRec> = Vec::new();
            for id in change.rule_ids {
                if !g.rules(egress).iter().any(|r| r.id == *id) {
                    return Err(Ec2Error::no_rule(id));
                }
                removed.push(id.clone());
            }
            let resolve = resolver(tx.state, &ctx.account);
            for p in &change.permissions {
                for r in rules_of(p, &resolve)? {
                    match g.rules(egress).iter().find(|e| e.same_traffic(&r)) {
                        Some(e) => removed.push(e.id.clone()),
                        None => unknown.push(r),
                    }
                }
            }
            drop(resolve);
            let revoked = g
                .rules(egress)
                .iter()
                .filter(|r| removed.contains(&r.id))
                .map(|r| revoked_shape(&g.id, r, egress))
                .collect();
            if !removed.is_empty() {
                let mut rec = (*g).clone();
                rec.rules_mut(egress).retain(|r| !removed.contains(&r.id));
                tx.put(rec)?;
            }
            Ok((revoked, permissions(&unknown)))
        })
    }

    pub(crate) fn authorize_security_group_ingress(
        &self,
        ctx: &RequestContext,
        req: AuthorizeSecurityGroupIngressRequest,
    ) -> Result<AuthorizeSecurityGroupIngressResult> {
        let mut permissions = req.ip_permissions.clone().unwrap_or_default();
        permissions.extend(legacy(
            req.cidr_ip.as_deref(),
            req.ip_protocol.as_deref(),
            req.from_port,
            req.to_port,
            req.source_security_group_name.as_deref(),
            req.source_security_group_owner_id.as_deref(),
        ));
        let rules = self.authorize(
            ctx,
            false,
            Change {
                group_id: req.group_id.as_deref(),
                group_name: req.group_name.as_deref(),
                permissions,
                rule_ids: &[],
                tags: req.tag_specifications.as_ref(),
            },
        )?;
        Ok(AuthorizeSecurityGroupIngressResult {
            r#return: Some(true),
            security_group_rules: Some(rules),
        })
    }

    pub(crate) fn authorize_security_group_egress(
        &self,
        ctx: &RequestContext,
        req: AuthorizeSecurityGroupEgressRequest,
    ) -> Result<AuthorizeSecurityGroupEgressResult> {
        let mut permissions = req.ip_permissions.clone().unwrap_or_default();
        permissions.extend(legacy(
            req.cidr_ip.as_deref(),
            req.ip_protocol.as_deref(),
            req.from_port,
            req.to_port,
            req.source_security_group_name.as_deref(),
            req.source_security_group_owner_id.as_deref(),
        ));
        let group_id = req
            .group_id
            .as_deref()
            .ok_or_else(|| Ec2Error::missing("GroupId"))?;
        let rules = self.authorize(
            ctx,
            true,
            Change {
                group_id: Some(group_id),
                group_name: None,
                permissions,
                rule_ids: &[],
                tags: req.tag_specifications.as_ref(),
            },
        )?;
        Ok(AuthorizeSecurityGroupEgressResult {
            r#return: Some(true),
            security_group_rules: Some(rules),
        })
    }

    pub(crate) fn revoke_security_group_ingress(
        &self,
        ctx: &RequestContext,
        req: RevokeSecurityGroupIngressRequest,
    ) -> Result<RevokeSecurityGroupIngressResult> {
        let mut permissions = req.ip_permissions.clone().unwrap_or_default();
        permissions.extend(legacy(
            req.cidr_ip.as_deref(),
            req.ip_protocol.as_deref(),
            req.from_port,
            req.to_port,
            req.source_security_group_name.as_deref(),
            req.source_security_group_owner_id.as_deref(),
        ));
        let rule_ids = req.security_group_rule_ids.clone().unwrap_or_default();
        let (revoked, unknown) = self.revoke(
            ctx,
            false,
            Change {
                group_id: req.group_id.as_deref(),
                group_name: req.group_name.as_deref(),
                permissions,
                rule_ids: &rule_ids,
                tags: None,
            },
        )?;
        Ok(RevokeSecurityGroupIngressResult {
            r#return: Some(true),
            unknown_ip_permissions: (!unknown.is_empty()).then_some(unknown),
            revoked_security_group_rules: Some(revoked),
        })
    }

    pub(crate) fn revoke_security_group_egress(
        &self,
        ctx: &RequestContext,
        req: RevokeSecurityGroupEgressRequest,
    ) -> Result<RevokeSecurityGroupEgressResult> {
        let mut permissions = req.ip_permissions.clone().unwrap_or_default();
        permissions.extend(legacy(
            req.cidr_ip.as_deref(),
            req.ip_protocol.as_deref(),
            req.from_port,
            req.to_port,
            req.source_security_group_name.as_deref(),
            req.source_security_group_owner_id.as_deref(),
        ));
        let group_id = req
            .group_id
            .as_deref()
            .ok_or_else(|| Ec2Error::missing("GroupId"))?;
        let rule_ids = req.security_group_rule_ids.clone().unwrap_or_default();
        let (revoked, unknown) = self.revoke(
            ctx,
            true,
            Change {
                group_id: Some(group_id),
                group_name: None,
                permissions,
                rule_ids: &rule_ids,
                tags: None,
            },
        )?;
        Ok(RevokeSecurityGroupEgressResult {
            r#return: Some(true),
            unknown_ip_permissions: (!unknown.is_empty()).then_some(unknown),
            revoked_security_group_rules: Some(revoked),
        })
    }
}
