//! TagResource, UntagResource, ListTagsForResource: repositories are what ECR tags.

use berth_aws::arn::Arn;
use berth_aws::RequestContext;
use berth_ecr_model::shapes::*;

use super::{repositories::tags_of, required, Empty};
use crate::error::{EcrError, Result};
use crate::Ecr;

/// The (registry, repository) a tagging ARN names.
fn repository_of_arn(arn: &str) -> Result<(String, String)> {
    let bad = || {
        EcrError::invalid(format!(
            "Invalid parameter at 'resourceArn' failed to satisfy constraint: 'is not a repository ARN' (got '{arn}')"
        ))
    };
    let parsed = Arn::parse(arn).ok_or_else(bad)?;
    if parsed.service != "ecr" {
        return Err(bad());
    }
    let name = parsed
        .resource
        .strip_prefix("repository/")
        .ok_or_else(bad)?;
    Ok((parsed.account, name.to_owned()))
}

impl Ecr {
    fn change_tags(
        &self,
        ctx: &RequestContext,
        arn: &Option<String>,
        action: &str,
        change: impl FnOnce(&mut std::collections::BTreeMap<String, String>),
    ) -> Result<()> {
        let (account, name) = repository_of_arn(required(arn, "resourceArn")?)?;
        self.change_repository(ctx, Some(&account), &Some(name), action, |r| {
            change(&mut r.tags);
            let list: Vec<Tag> = r
                .tags
                .iter()
                .map(|(k, v)| Tag {
                    key: Some(k.clone()),
                    value: Some(v.clone()),
                })
                .collect();
            tags_of(&list).map(|_| ())
        })?;
        Ok(())
    }

    pub(crate) fn tag_resource(
        &self,
        ctx: &RequestContext,
        req: TagResourceRequest,
    ) -> Result<Empty> {
        let tags = tags_of(req.tags.as_deref().unwrap_or_default())?;
        self.change_tags(ctx, &req.resource_arn, "ecr:TagResource", |t| {
            t.extend(tags)
        })?;
        Ok(Empty::default())
    }

    pub(crate) fn untag_resource(
        &self,
        ctx: &RequestContext,
        req: UntagResourceRequest,
    ) -> Result<Empty> {
        let keys = req.tag_keys.unwrap_or_default();
        berth_aws::tags::check_keys(keys.iter().map(String::as_str))
            .map_err(|e| EcrError::InvalidTagParameter(e.to_string()))?;
        self.change_tags(ctx, &req.resource_arn, "ecr:UntagResource", |t| {
            t.retain(|k, _| !keys.contains(k))
        })?;
        Ok(Empty::default())
    }

    pub(crate) fn list_tags_for_resource(
        &self,
        ctx: &RequestContext,
        req: ListTagsForResourceRequest,
    ) -> Result<ListTagsForResourceResponse> {
        let (account, name) = repository_of_arn(required(&req.resource_arn, "resourceArn")?)?;
        let r = self
            .db
            .read(|s| crate::content::repository(s, &account, &name))?;
        self.may(ctx, &r, "ecr:ListTagsForResource")?;
        Ok(ListTagsForResourceResponse {
            tags: Some(
                r.tags
                    .iter()
                    .map(|(k, v)| Tag {
                        key: Some(k.clone()),
                        value: Some(v.clone()),
                    })
                    .collect(),
            ),
        })
    }
}
