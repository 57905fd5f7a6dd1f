//! CreateTags, DeleteTags, DescribeTags for the resources Berth's EC2 has: the default VPC
//! and its subnets (tags kept per resource id), security groups and their rules.

use std::collections::BTreeMap;

use berth_aws::RequestContext;
use berth_ec2_model::shapes::*;

use super::{checked_tags, merged_tags, one, page, Empty};
use crate::error::{Ec2Error, Result};
use crate::filters::Filters;
use crate::network::default_subnets;
use crate::records::{key, TagsRec};
use crate::state::Tx;
use crate::Ec2;

/// The most resources one tagging call names.
const MAX_RESOURCES: usize = 1000;

const FILTERS: &[&str] = &["key", "resource-id", "resource-type", "value"];

/// What kind of resource an id names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Vpc,
    Subnet,
    Group,
    Rule,
}

impl Kind {
    fn of(id: &str) -> Result<Kind> {
        Ok(
            match id.split_once('-').map(|(p, rest)| (p, rest.is_empty())) {
                Some(("vpc", false)) => Kind::Vpc,
                Some(("subnet", false)) => Kind::Subnet,
                Some(("sg", false)) => Kind::Group,
                Some(("sgr", false)) => Kind::Rule,
                _ => {
                    return Err(Ec2Error::client(
                        "InvalidID",
                        format!("The ID '{id}' is not valid"),
                    ))
                }
            },
        )
    }

    fn resource_type(self) -> ResourceType {
        match self {
            Kind::Vpc => ResourceType::Vpc,
            Kind::Subnet => ResourceType::Subnet,
            Kind::Group => ResourceType::SecurityGroup,
            Kind::Rule => ResourceType::SecurityGroupRule,
        }
    }
}

fn resources(given: Option<Vec<String>>) -> Result<Vec<String>> {
    let ids = given.unwrap_or_default();
    if ids.is_empty() {
        return Err(Ec2Error::missing("ResourceId.N"));
    }
    if ids.len() > MAX_RESOURCES {
        return Err(Ec2Error::invalid(format!(
            "A tagging call names at most {MAX_RESOURCES} resources"
        )));
    }
    Ok(ids)
}

impl Ec2 {
    /// Replaces the tags of resource `id` with what `change` makes of them.
    fn retag(
        &self,
        tx: &mut Tx<'_>,
        ctx: &RequestContext,
        id: &str,
        change: &dyn Fn(BTreeMap<String, String>) -> Result<BTreeMap<String, String>>,
    ) -> Result<()> {
        let account = &ctx.account;
        match Kind::of(id)? {
            kind @ (Kind::Vpc | Kind::Subnet) => {
                if kind == Kind::Vpc && !self.vpc_exists(account, id) {
                    return Err(Ec2Error::no_vpc(id));
                }
                if kind == Kind::Subnet
                    && !default_subnets(account, &ctx.region)
                        .iter()
                        .any(|s| s.id == id)
                {
                    return Err(Ec2Error::no_subnet(id));
                }
                let tags = change(tx.state.resource_tags(account, id))?;
                if tags.is_empty() {
                    tx.delete::<TagsRec>(&key(account, id));
                    Ok(())
                } else {
                    tx.put(TagsRec {
                        account: account.clone(),
                        resource_id: id.to_owned(),
                        tags,
                    })
                }
            }
            Kind::Group => {
                let g = tx
                    .state
                    .group(account, id)
                    .ok_or_else(|| Ec2Error::no_group(id))?;
                let mut rec = (*g).clone();
                rec.tags = change(rec.tags)?;
                tx.put(rec)
            }
            Kind::Rule => {
                let (g, egress) = tx
                    .state
                    .group_of_rule(account, id)
                    .ok_or_else(|| Ec2Error::no_rule(id))?;
                let mut rec = (*g).clone();
                for r in rec.rules_mut(egress).iter_mut().filter(|r| r.id == id) {
                    r.tags = change(std::mem::take(&mut r.tags))?;
                }
                tx.put(rec)
            }
        }
    }

    pub(crate) fn create_tags(
        &self,
        ctx: &RequestContext,
        req: CreateTagsRequest,
    ) -> Result<Empty> {
        let ids = resources(req.resources)?;
        let tags = checked_tags(req.tags.as_ref())?;
        if tags.is_empty() {
            return Err(Ec2Error::missing("Tag.N"));
        }
        self.db.write(|tx| {
            for id in &ids {
                self.retag(tx, ctx, id, &|old| merged_tags(old, &tags))?;
            }
            Ok(Empty {})
        })
    }

    pub(crate) fn delete_tags(
        &self,
        ctx: &RequestContext,
        req: DeleteTagsRequest,
    ) -> Result<Empty> {
        let ids = resources(req.resources)?;
        let mut named: Vec<(String, Option<String>)> = Vec::new();
        for t in req.tags.iter().flatten() {
            let k = t
                .key
                .clone()
                .ok_or_else(|| Ec2Error::missing("Tag.N.Key"))?;
            if k.to_ascii_lowercase().starts_with("aws:") {
                return Err(Ec2Error::invalid(
                    "Tag keys starting with 'aws:' are reserved for internal use",
                ));
            }
            named.push((k, t.value.clone()));
        }
        // No tags named: every tag goes. A tag named with a value goes only if it has that
        // value.
        let change = |mut tags: BTreeMap<String, String>| {
            if named.is_empty() {
                return Ok(BTreeMap::new());
            }
            for (k, v) in &named {
                if v.as_ref().is_none_or(|v| tags.get(k) == Some(v)) {
                    tags.remove(k);
                }
            }
            Ok(tags)
        };
        self.db.write(|tx| {
            for id in &ids {
                self.retag(tx, ctx, id, &change)?;
            }
            Ok(Empty {})
        })
    }

    pub(crate) fn describe_tags(
        &self,
        ctx: &RequestContext,
        req: DescribeTagsRequest,
    ) -> Result<DescribeTagsResult> {
        let filters = Filters::parse(req.filters.as_ref(), FILTERS)?;
        let state = self.db.snapshot();
        let mut tagged: Vec<(String, Kind, BTreeMap<String, String>)> = Vec::new();
        for t in state.tagged_resources(&ctx.account) {
            if let Ok(kind) = Kind::of(&t.resource_id) {
                tagged.push((t.resource_id.clone(), kind, t.tags.clone()));
            }
        }
        for g in state.groups_of(&ctx.account) {
            tagged.push((g.id.clone(), Kind::Group, g.tags.clone()));
            for r in g.ingress.iter().chain(&g.egress) {
                tagged.push((r.id.clone(), Kind::Rule, r.tags.clone()));
            }
        }
        let mut listed = Vec::new();
        for (id, kind, tags) in tagged {
            for (k, v) in tags {
                let resource_type = kind.resource_type();
                let values = |name: &str| match name {
                    "key" => one(k.clone()),
                    "value" => one(v.clone()),
                    "resource-id" => one(id.clone()),
                    "resource-type" => one(resource_type.as_str()),
                    _ => Vec::new(),
                };
                let this: BTreeMap<String, String> = [(k.clone(), v.clone())].into();
                if filters.matches(values, &this) {
                    listed.push((
                        format!("{id}\u{0}{k}"),
                        TagDescription {
                            resource_id: Some(id.clone()),
                            resource_type: Some(kind.resource_type()),
                            key: Some(k),
                            value: Some(v),
                        },
                    ));
                }
            }
        }
        listed.sort_by(|a, b| a.0.cmp(&b.0));
        let (tags, next_token) = page(listed, req.next_token.as_deref(), req.max_results)?;
        Ok(DescribeTagsResult {
            tags: Some(tags),
            next_token,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_name_their_kind() {
        assert_eq!(Kind::of("vpc-1").ok(), Some(Kind::Vpc));
        assert_eq!(Kind::of("sgr-1").ok(), Some(Kind::Rule));
        for bad in ["i-1", "vpc-", "nothing", ""] {
            assert_eq!(
                Kind::of(bad).map_err(|e| e.code()),
                Err("InvalidID"),
                "{bad}"
            );
        }
    }
}
