//! The operations, one module per resource, and what they share: ids and ARNs, finding a
//! resource by ARN, Marker pages, tags.

mod account;
pub(crate) mod actions;
pub(crate) mod attributes;
pub(crate) mod conditions;
pub(crate) mod lb_attributes;
mod listeners;
mod load_balancers;
mod rules;
mod tags;
mod target_groups;
mod targets;
pub(crate) mod tg_attributes;

use std::sync::Arc;

use berth_aws::arn::Arn;
use berth_aws::tags::{Ordered, TagError};
use berth_aws::RequestContext;
use berth_elbv2_model::shapes::Tag;

use crate::error::{ElbError, Result};
use crate::records::{
    listener_key, named_key, rule_key, ListenerRec, LoadBalancerRec, RuleRec, Tags, TargetGroupRec,
};
use crate::state::State;

pub(crate) const SERVICE: &str = "elasticloadbalancing";

/// The empty answer of an operation without output members.
#[derive(serde::Serialize)]
pub(crate) struct Empty {}

/// 16 lowercase hex digits: the last part of every ELB ARN.
pub(crate) fn new_id() -> String {
    berth_aws::ids::hex_id()[..16].to_owned()
}

pub(crate) fn arn_of(ctx: &RequestContext, resource: &str) -> String {
    Arn::new(ctx, SERVICE, resource).to_string()
}

/// `app` for an Application Load Balancer's ARNs, `net` for a Network one's.
pub(crate) fn kind_part(kind: &str) -> &'static str {
    if kind == "network" {
        "net"
    } else {
        "app"
    }
}

/// The `/`-separated parts after `<kind>/` of an ELB ARN of the caller's; None for any
/// other text (ELB resources of other accounts or regions are not found, not shared).
fn arn_parts<'a>(ctx: &RequestContext, text: &'a str, kind: &str) -> Option<Vec<&'a str>> {
    let arn = Arn::parse(text)?;
    if !arn.is_local(ctx, SERVICE) {
        return None;
    }
    let start = text.len() - arn.resource.len();
    let rest = text.get(start..)?.strip_prefix(kind)?.strip_prefix('/')?;
    Some(rest.split('/').collect())
}

/// An ARN is not even shaped like one: ELB answers ValidationError.
fn check_arn(text: &str, what: &str) -> Result<()> {
    match Arn::parse(text) {
        Some(a) if a.service == SERVICE => Ok(()),
        _ => Err(ElbError::validation(format!(
            "'{text}' is not a valid {what} ARN"
        ))),
    }
}

pub(crate) fn lb_not_found() -> ElbError {
    ElbError::exception(
        "LoadBalancerNotFoundException",
        "One or more load balancers not found",
    )
}

pub(crate) fn tg_not_found() -> ElbError {
    ElbError::exception(
        "TargetGroupNotFoundException",
        "One or more target groups not found",
    )
}

pub(crate) fn listener_not_found() -> ElbError {
    ElbError::exception(
        "ListenerNotFoundException",
        "One or more listeners not found",
    )
}

pub(crate) fn rule_not_found() -> ElbError {
    ElbError::exception("RuleNotFoundException", "One or more rules not found")
}

pub(crate) fn find_lb(
    state: &State,
    ctx: &RequestContext,
    arn: &str,
) -> Result<Arc<LoadBalancerRec>> {
    check_arn(arn, "load balancer")?;
    let parts = arn_parts(ctx, arn, "loadbalancer").ok_or_else(lb_not_found)?;
    let [_, name, id] = parts[..] else {
        return Err(lb_not_found());
    };
    state
        .load_balancers
        .get(&named_key(&ctx.account, name))
        .filter(|lb| lb.id == id)
        .cloned()
        .ok_or_else(lb_not_found)
}

pub(crate) fn find_tg(
    state: &State,
    ctx: &RequestContext,
    arn: &str,
) -> Result<Arc<TargetGroupRec>> {
    check_arn(arn, "target group")?;
    let parts = arn_parts(ctx, arn, "targetgroup").ok_or_else(tg_not_found)?;
    let [name, id] = parts[..] else {
        return Err(tg_not_found());
    };
    state
        .target_groups
        .get(&named_key(&ctx.account, name))
        .filter(|tg| tg.id == id)
        .cloned()
        .ok_or_else(tg_not_found)
}

pub(crate) fn find_listener(
    state: &State,
    ctx: &RequestContext,
    arn: &str,
) -> Result<Arc<ListenerRec>> {
    check_arn(arn, "listener")?;
    let parts = arn_parts(ctx, arn, "listener").ok_or_else(listener_not_found)?;
    let [_, _, lb_id, id] = parts[..] else {
        return Err(listener_not_found());
    };
    state
        .listeners
        .get(&listener_key(&ctx.account, lb_id, id))
        .cloned()
        .ok_or_else(listener_not_found)
}

/// What a rule ARN names: a listener's default rule, or one of its other rules.
pub(crate) enum RuleRef {
    Default(Arc<ListenerRec>),
    Other(Arc<ListenerRec>, Arc<RuleRec>),
}

pub(crate) fn find_rule(state: &State, ctx: &RequestContext, arn: &str) -> Result<RuleRef> {
    check_arn(arn, "rule")?;
    let parts = arn_parts(ctx, arn, "listener-rule").ok_or_else(rule_not_found)?;
    let [_, _, lb_id, listener_id, id] = parts[..] else {
        return Err(rule_not_found());
    };
    let listener = state
        .listeners
        .get(&listener_key(&ctx.account, lb_id, listener_id))
        .cloned()
        .ok_or_else(rule_not_found)?;
    if listener.default_rule_id == id {
        return Ok(RuleRef::Default(listener));
    }
    let rule = state
        .rules
        .get(&rule_key(&ctx.account, listener_id, id))
        .cloned()
        .ok_or_else(rule_not_found)?;
    Ok(RuleRef::Other(listener, rule))
}

/// The ARN of rule `rule_id` of `listener`.
pub(crate) fn rule_arn(ctx: &RequestContext, listener: &ListenerRec, rule_id: &str) -> String {
    // A listener ARN's resource is `listener/<kind>/<name>/<lb id>/<id>`.
    match listener.arn.split_once(":listener/") {
        Some((head, rest)) => format!("{head}:listener-rule/{rest}/{rule_id}"),
        None => arn_of(
            ctx,
            &format!(
                "listener-rule/app/{}/{}/{}/{rule_id}",
                listener.load_balancer_name, listener.load_balancer_id, listener.id
            ),
        ),
    }
}

/// A listing's page size: `PageSize` of 1 to 400, 400 if absent.
pub(crate) fn page_size(size: Option<i32>) -> Result<usize> {
    berth_aws::page::page_size(size, 400, 400).map_err(|e| ElbError::validation(e.to_string()))
}

/// The page of key-ordered `items` after `marker`.
pub(crate) fn page<T>(
    items: impl IntoIterator<Item = (String, T)>,
    marker: Option<&str>,
    size: usize,
) -> Result<berth_aws::page::Page<T>> {
    berth_aws::page::paginate(items, marker, size)
        .map_err(|_| ElbError::validation("The marker is not valid."))
}

fn tag_error(e: TagError) -> ElbError {
    match e {
        TagError::TooMany => ElbError::exception("TooManyTagsException", e.to_string()),
        TagError::Duplicate(_) => ElbError::exception("DuplicateTagKeysException", e.to_string()),
        other => ElbError::validation(other.to_string()),
    }
}

/// Checks tags against AWS's rules, keeping their order.
pub(crate) fn check_tags(tags: Option<&[Tag]>) -> Result<Tags> {
    let tags = tags.unwrap_or_default();
    let o = Ordered::checked(tags.iter().map(|t| {
        (
            t.key.as_deref().unwrap_or_default(),
            t.value.as_deref().unwrap_or_default(),
        )
    }))
    .map_err(tag_error)?;
    Ok(Tags {
        map: o.map,
        order: o.order,
    })
}

pub(crate) fn merge_tags(old: &Tags, new: &Tags) -> Result<Tags> {
    let o = Ordered {
        map: old.map.clone(),
        order: old.order.clone(),
    }
    .merged(&Ordered {
        map: new.map.clone(),
        order: new.order.clone(),
    })
    .map_err(tag_error)?;
    Ok(Tags {
        map: o.map,
        order: o.order,
    })
}

pub(crate) fn tag_list(t: &Tags) -> Vec<Tag> {
    Ordered {
        map: t.map.clone(),
        order: t.order.clone(),
    }
    .in_order()
    .into_iter()
    .map(|(k, v)| Tag {
        key: Some(k.clone()),
        value: Some(v.clone()),
    })
    .collect()
}

/// A name of a load balancer or target group: 1 to 32 letters, digits and hyphens, not
/// starting or ending with a hyphen.
pub(crate) fn check_name(name: &str, what: &str) -> Result<()> {
    let ok = (1..=32).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(ElbError::validation(format!(
            "{what} name '{name}' cannot be longer than '32' characters, and can contain only alphanumeric characters and hyphens, not beginning or ending with a hyphen"
        )))
    }
}

/// A required member of the input.
pub(crate) fn required<'a, T>(v: &'a Option<T>, name: &str) -> Result<&'a T> {
    v.as_ref()
        .ok_or_else(|| ElbError::validation(format!("{name} is required")))
}
