//! CreateSecurityGroup, DeleteSecurityGroup, DescribeSecurityGroups. Groups are stored and
//! answered as EC2 does, but Berth does not enforce them on traffic.

use std::sync::Arc;

use berth_aws::RequestContext;
use berth_ec2_model::shapes::*;

use super::permissions::allowed_text;
use super::rule_shapes::permissions;
use super::{arn, new_id, one, page, spec_tags, tag_list};
use crate::error::{Ec2Error, Result};
use crate::filters::Filters;
use crate::network::{default_group_id, default_vpc_id};
use crate::records::{key, Peer, RuleRec, SecurityGroupRec};
use crate::state::State;
use crate::Ec2;

/// The most security groups an account has (EC2's quota per region).
const MAX_GROUPS: usize = 2500;

/// The filters DescribeSecurityGroups takes; every `ip-permission.` one has an `egress.`
/// twin for the outbound rules.
const FILTERS: &[&str] = &[
    "description",
    "group-id",
    "group-name",
    "owner-id",
    "vpc-id",
    "ip-permission.cidr",
    "ip-permission.from-port",
    "ip-permission.group-id",
    "ip-permission.group-name",
    "ip-permission.ipv6-cidr",
    "ip-permission.prefix-list-id",
    "ip-permission.protocol",
    "ip-permission.to-port",
    "ip-permission.user-id",
    "egress.ip-permission.cidr",
    "egress.ip-permission.from-port",
    "egress.ip-permission.group-id",
    "egress.ip-permission.group-name",
    "egress.ip-permission.ipv6-cidr",
    "egress.ip-permission.prefix-list-id",
    "egress.ip-permission.protocol",
    "egress.ip-permission.to-port",
    "egress.ip-permission.user-id",
];

/// A security group id as EC2 takes it: `sg-…`.
pub(crate) fn check_group_id(id: &str) -> Result<()> {
    if !id.starts_with("sg-") || id.len() < 4 {
        return Err(Ec2Error::client(
            "InvalidGroupId.Malformed",
            format!("Invalid id: \"{id}\" (expecting \"sg-...\")"),
        ));
    }
    Ok(())
}

/// The group a call names by id or (in the default VPC) by name.
pub(crate) fn find_group(
    state: &State,
    ctx: &RequestContext,
    id: Option<&str>,
    name: Option<&str>,
) -> Result<Arc<SecurityGroupRec>> {
    match (id, name) {
        (Some(id), _) => {
            check_group_id(id)?;
            state
                .group(&ctx.account, id)
                .ok_or_else(|| Ec2Error::no_group(id))
        }
        (None, Some(name)) => group_by_name(state, &ctx.account, name),
        (None, None) => Err(Ec2Error::missing("GroupId")),
    }
}

/// Group `name` of the account's default VPC.
pub(crate) fn group_by_name(
    state: &State,
    account: &str,
    name: &str,
) -> Result<Arc<SecurityGroupRec>> {
    let vpc = default_vpc_id(account);
    state.group_named(account, &vpc, name).ok_or_else(|| {
        Ec2Error::client(
            "InvalidGroup.NotFound",
            format!("The security group '{name}' does not exist in default VPC '{vpc}'"),
        )
    })
}

/// A group as DescribeSecurityGroups answers it.
pub(crate) fn group_shape(ctx: &RequestContext, g: &SecurityGroupRec) -> SecurityGroup {
    SecurityGroup {
        group_id: Some(g.id.clone()),
        group_name: Some(g.name.clone()),
        description: Some(g.description.clone()),
        vpc_id: Some(g.vpc_id.clone()),
        owner_id: Some(g.account.clone()),
        security_group_arn: Some(arn(ctx, "security-group", &g.id)),
        ip_permissions: Some(permissions(&g.ingress)),
        ip_permissions_egress: Some(permissions(&g.egress)),
        tags: Some(tag_list(&g.tags)),
    }
}

/// The group's values for a filter name.
fn values(state: &State, g: &SecurityGroupRec, name: &str) -> Vec<String> {
    let (rules, field) = match name.strip_prefix("egress.ip-permission.") {
        Some(field) => (&g.egress, field),
        None => match name.strip_prefix("ip-permission.") {
            Some(field) => (&g.ingress, field),
            None => {
                return match name {
                    "description" => one(g.description.clone()),
                    "group-id" => one(g.id.clone()),
                    "group-name" => one(g.name.clone()),
                    "owner-id" => one(g.account.clone()),
                    "vpc-id" => one(g.vpc_id.clone()),
                    _ => Vec::new(),
                }
            }
        },
    };
    let port = |p: Option<i32>| p.unwrap_or(-1).to_string();
    rules
        .iter()
        .filter_map(|r: &RuleRec| match (field, &r.peer) {
            ("cidr", Peer::Cidr4(c)) | ("ipv6-cidr", Peer::Cidr6(c)) => Some(c.clone()),
            ("prefix-list-id", Peer::PrefixList(id)) => Some(id.clone()),
            ("group-id", Peer::Group { group_id, .. }) => Some(group_id.clone()),
            ("user-id", Peer::Group { user_id, .. }) => Some(user_id.clone()),
            ("group-name", Peer::Group { group_id, user_id }) => {
                state.group(user_id, group_id).map(|g| g.name.clone())
            }
            ("protocol", _) => Some(r.protocol.clone()),
            ("from-port", _) => Some(port(r.from_port)),
            ("to-port", _) => Some(port(r.to_port)),
            _ => None,
        })
        .collect()
}

/// A group name or description, checked (`what` names it in the message).
fn check_text(text: &str, what: &str, min: usize) -> Result<()> {
    let len = text.chars().count();
    if len < min || len > 255 || !allowed_text(text) {
        return Err(Ec2Error::invalid(format!(
            "Invalid {what}: '{text}'. It must be {min} to 255 characters of a-zA-Z0-9, spaces \
             and ._-:/()#,@[]+=&;{{}}!$*"
        )));
    }
    Ok(())
}

impl Ec2 {
    pub(crate) fn create_security_group(
        &self,
        ctx: &RequestContext,
        req: CreateSecurityGroupRequest,
    ) -> Result<CreateSecurityGroupResult> {
        let name = req.group_name.unwrap_or_default();
        let description = req.description.unwrap_or_default();
        check_text(&name, "security group name", 1)?;
        check_text(&description, "security group description", 0)?;
        if name.to_ascii_lowercase().starts_with("sg-") {
            return Err(Ec2Error::invalid(
                "Group names may not be in the format sg-*.",
            ));
        }
        if name == "default" {
            return Err(Ec2Error::client(
                "InvalidGroup.Reserved",
                "The security group 'default' is reserved",
            ));
        }
        let vpc_id = req.vpc_id.unwrap_or_else(|| default_vpc_id(&ctx.account));
        if !self.vpc_exists(&ctx.account, &vpc_id) {
            return Err(Ec2Error::no_vpc(&vpc_id));
        }
        let tags = spec_tags(req.tag_specifications.as_ref(), "security-group")?;
        let account = ctx.account.clone();
        let group = self.db.write(|tx| {
            if tx.state.group_named(&account, &vpc_id, &name).is_some() {
                return Err(Ec2Error::client(
                    "InvalidGroup.Duplicate",
                    format!("The security group '{name}' already exists for VPC '{vpc_id}'"),
                ));
            }
            if tx.state.groups_of(&account).len() >= MAX_GROUPS {
                return Err(Ec2Error::client(
                    "SecurityGroupLimitExceeded",
                    format!(
                        "The maximum number of security groups ({MAX_GROUPS}) has been reached."
                    ),
                ));
            }
            // A new group lets all traffic out, as EC2's do.
            let group = SecurityGroupRec {
                account: account.clone(),
                id: new_id("sg"),
                name: name.clone(),
                description: description.clone(),
                vpc_id: vpc_id.clone(),
                ingress: Vec::new(),
                egress: vec![RuleRec {
                    id: new_id("sgr"),
                    protocol: "-1".into(),
                    from_port: None,
                    to_port: None,
                    peer: Peer::Cidr4("0.0.0.0/0".into()),
                    description: None,
                    tags: Default::default(),
                }],
                tags: tags.clone(),
            };
            tx.put(group.clone())?;
            Ok(group)
        })?;
        Ok(CreateSecurityGroupResult {
            security_group_arn: Some(arn(ctx, "security-group", &group.id)),
            group_id: Some(group.id),
            tags: Some(tag_list(&group.tags)),
        })
    }

    pub(crate) fn delete_security_group(
        &self,
        ctx: &RequestContext,
        req: DeleteSecurityGroupRequest,
    ) -> Result<DeleteSecurityGroupResult> {
        let account = ctx.account.clone();
        self.db.write(|tx| {
            let g = find_group(
                tx.state,
                ctx,
                req.group_id.as_deref(),
                req.group_name.as_deref(),
            )?;
            if g.id == default_group_id(&account) {
                return Err(Ec2Error::client(
                    "CannotDelete",
                    format!(
                        "the specified group: \"{}\" name: \"default\" cannot be deleted by a user",
                        g.id
                    ),
                ));
            }
            if let Some(other) = tx.state.groups_referring_to(&account, &g.id).first() {
                return Err(Ec2Error::client(
                    "DependencyViolation",
                    format!(
                        "resource {} has a dependent object ({other} refers to it)",
                        g.id
                    ),
                ));
            }
            tx.delete::<SecurityGroupRec>(&key(&account, &g.id));
            Ok(DeleteSecurityGroupResult {
                r#return: Some(true),
                group_id: Some(g.id.clone()),
            })
        })
    }

    pub(crate) fn describe_security_groups(
        &self,
        ctx: &RequestContext,
        req: DescribeSecurityGroupsRequest,
    ) -> Result<DescribeSecurityGroupsResult> {
        let filters = Filters::parse(req.filters.as_ref(), FILTERS)?;
        let ids = req.group_ids.unwrap_or_default();
        let names = req.group_names.unwrap_or_default();
        if req.max_results.is_some() && !(ids.is_empty() && names.is_empty()) {
            return Err(Ec2Error::client(
                "InvalidParameterCombination",
                "The parameter groupIds or groupNames cannot be used with the parameter maxResults",
            ));
        }
        let state = self.db.snapshot();
        for id in &ids {
            find_group(&state, ctx, Some(id), None)?;
        }
        for name in &names {
            group_by_name(&state, &ctx.account, name)?;
        }
        let vpc = default_vpc_id(&ctx.account);
        let listed = state
            .groups_of(&ctx.account)
            .into_iter()
            .filter(|g| {
                ids.is_empty() && names.is_empty()
                    || ids.contains(&g.id)
                    || (g.vpc_id == vpc && names.contains(&g.name))
            })
            .filter(|g| filters.matches(|n| values(&state, g, n), &g.tags))
            .map(|g| (g.id.clone(), group_shape(ctx, &g)));
        let (groups, next_token) = page(listed, req.next_token.as_deref(), req.max_results)?;
        Ok(DescribeSecurityGroupsResult {
            security_groups: Some(groups),
            next_token,
        })
    }
}
