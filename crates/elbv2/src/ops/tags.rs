//! AddTags, RemoveTags, DescribeTags, for load balancers, target groups, listeners and
//! rules (by ARN).

use berth_aws::arn::Arn;
use berth_aws::RequestContext;
use berth_elbv2_model::shapes::*;

use super::{
    check_tags, find_lb, find_listener, find_rule, find_tg, merge_tags, required, tag_list, Empty,
    RuleRef,
};
use crate::error::{ElbError, Result};
use crate::records::Tags;
use crate::state::Tx;
use crate::Elb;

/// The most resources one tagging call names.
const MAX_RESOURCES: usize = 20;

fn resources(arns: &[String]) -> Result<&[String]> {
    if arns.is_empty() || arns.len() > MAX_RESOURCES {
        return Err(ElbError::validation(format!(
            "ResourceArns must name 1 to {MAX_RESOURCES} resources"
        )));
    }
    Ok(arns)
}

/// The tags of the resource `arn` names.
fn tags_of(state: &crate::state::State, ctx: &RequestContext, arn: &str) -> Result<Tags> {
    let resource = Arn::parse(arn).map(|a| a.resource).unwrap_or_default();
    let kind = resource.split('/').next().unwrap_or_default();
    Ok(match kind {
        "loadbalancer" => find_lb(state, ctx, arn)?.tags.clone(),
        "targetgroup" => find_tg(state, ctx, arn)?.tags.clone(),
        "listener" => find_listener(state, ctx, arn)?.tags.clone(),
        "listener-rule" => match find_rule(state, ctx, arn)? {
            RuleRef::Default(l) => l.default_rule_tags.clone(),
            RuleRef::Other(_, r) => r.tags.clone(),
        },
        _ => {
            return Err(ElbError::validation(format!(
                "'{arn}' is not a valid resource ARN"
            )))
        }
    })
}

/// Replaces the tags of the resource `arn` names.
fn put_tags(tx: &mut Tx<'_>, ctx: &RequestContext, arn: &str, tags: Tags) -> Result<()> {
    let resource = Arn::parse(arn).map(|a| a.resource).unwrap_or_default();
    match resource.split('/').next().unwrap_or_default() {
        "loadbalancer" => {
            let mut r = (*find_lb(tx.state, ctx, arn)?).clone();
            r.tags = tags;
            tx.put(r)
        }
        "targetgroup" => {
            let mut r = (*find_tg(tx.state, ctx, arn)?).clone();
            r.tags = tags;
            tx.put(r)
        }
        "listener" => {
            let mut r = (*find_listener(tx.state, ctx, arn)?).clone();
            r.tags = tags;
            tx.put(r)
        }
        "listener-rule" => match find_rule(tx.state, ctx, arn)? {
            RuleRef::Default(l) => {
                let mut l = (*l).clone();
                l.default_rule_tags = tags;
                tx.put(l)
            }
            RuleRef::Other(_, r) => {
                let mut r = (*r).clone();
                r.tags = tags;
                tx.put(r)
            }
        },
        _ => Err(ElbError::validation(format!(
            "'{arn}' is not a valid resource ARN"
        ))),
    }
}

impl Elb {
    pub(crate) fn add_tags(&self, ctx: &RequestContext, r: AddTagsInput) -> Result<Empty> {
        let arns = resources(required(&r.resource_arns, "ResourceArns")?)?;
        let new = check_tags(Some(required(&r.tags, "Tags")?))?;
        self.db.write(|tx| {
            for arn in arns {
                let merged = merge_tags(&tags_of(tx.state, ctx, arn)?, &new)?;
                put_tags(tx, ctx, arn, merged)?;
            }
            Ok(Empty {})
        })
    }

    pub(crate) fn remove_tags(&self, ctx: &RequestContext, r: RemoveTagsInput) -> Result<Empty> {
        let arns = resources(required(&r.resource_arns, "ResourceArns")?)?;
        let keys = required(&r.tag_keys, "TagKeys")?;
        self.db.write(|tx| {
            for arn in arns {
                let mut t = tags_of(tx.state, ctx, arn)?;
                for k in keys {
                    t.map.remove(k);
                }
                t.order.retain(|k| !keys.contains(k));
                put_tags(tx, ctx, arn, t)?;
            }
            Ok(Empty {})
        })
    }

    pub(crate) fn describe_tags(
        &self,
        ctx: &RequestContext,
        r: DescribeTagsInput,
    ) -> Result<DescribeTagsOutput> {
        let arns = resources(required(&r.resource_arns, "ResourceArns")?)?;
        let state = self.db.snapshot();
        let descriptions = arns
            .iter()
            .map(|arn| {
                Ok(TagDescription {
                    resource_arn: Some(arn.clone()),
                    tags: Some(tag_list(&tags_of(&state, ctx, arn)?)),
                })
            })
            .collect::<Result<_>>()?;
        Ok(DescribeTagsOutput {
            tag_descriptions: Some(descriptions),
        })
    }
}
