//! TagResource, UntagResource, ListTagsForResource (by ARN), and the older TagLogGroup,
//! UntagLogGroup, ListTagsLogGroup (by name). Log groups are what Berth's Logs tags.

use std::collections::BTreeMap;

use berth_aws::arn::Arn;
use berth_aws::RequestContext;
use berth_logs_model::shapes::*;

use super::{find_group, Empty};
use crate::error::{LogsError, Result};
use crate::records::GroupRec;
use crate::Logs;

/// AWS's tag rules, with CloudWatch's error type.
pub(crate) fn check(tags: &BTreeMap<String, String>) -> Result<()> {
    berth_aws::tags::check(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(|e| LogsError::invalid(e.to_string()))
}

/// The log group a tagging ARN names.
fn group_of_arn(ctx: &RequestContext, arn: &str) -> Result<String> {
    let parsed = Arn::parse(arn)
        .ok_or_else(|| LogsError::invalid(format!("Invalid resourceArn '{arn}'.")))?;
    if !parsed.is_local(ctx, "logs") {
        return Err(LogsError::ResourceNotFound(
            "The specified resource does not exist.".into(),
        ));
    }
    let name = parsed.resource.strip_prefix("log-group:").ok_or_else(|| {
        LogsError::ResourceNotFound("The specified resource does not exist.".into())
    })?;
    Ok(name.strip_suffix(":*").unwrap_or(name).to_owned())
}

impl Logs {
    fn change_tags(
        &self,
        ctx: &RequestContext,
        group: &str,
        change: impl FnOnce(&mut BTreeMap<String, String>),
    ) -> Result<()> {
        self.db.write(|tx| {
            let mut g: GroupRec = (*find_group(tx.state, ctx, group)?).clone();
            change(&mut g.tags);
            check(&g.tags)?;
            tx.put(g)
        })
    }

    pub(crate) fn tag_resource(
        &self,
        ctx: &RequestContext,
        req: TagResourceRequest,
    ) -> Result<Empty> {
        let group = group_of_arn(ctx, req.resource_arn.as_deref().unwrap_or_default())?;
        let tags = req.tags.unwrap_or_default();
        self.change_tags(ctx, &group, |t| t.extend(tags))?;
        Ok(Empty::default())
    }

    pub(crate) fn untag_resource(
        &self,
        ctx: &RequestContext,
        req: UntagResourceRequest,
    ) -> Result<Empty> {
        let group = group_of_arn(ctx, req.resource_arn.as_deref().unwrap_or_default())?;
        let keys = req.tag_keys.unwrap_or_default();
        self.change_tags(ctx, &group, |t| t.retain(|k, _| !keys.contains(k)))?;
        Ok(Empty::default())
    }

    pub(crate) fn list_tags_for_resource(
        &self,
        ctx: &RequestContext,
        req: ListTagsForResourceRequest,
    ) -> Result<ListTagsForResourceResponse> {
        let group = group_of_arn(ctx, req.resource_arn.as_deref().unwrap_or_default())?;
        Ok(ListTagsForResourceResponse {
            tags: Some(self.group_tags(ctx, &group)?),
        })
    }

    pub(crate) fn tag_log_group(
        &self,
        ctx: &RequestContext,
        req: TagLogGroupRequest,
    ) -> Result<Empty> {
        let tags = req.tags.unwrap_or_default();
        self.change_tags(
            ctx,
            req.log_group_name.as_deref().unwrap_or_default(),
            |t| t.extend(tags),
        )?;
        Ok(Empty::default())
    }

    pub(crate) fn untag_log_group(
        &self,
        ctx: &RequestContext,
        req: UntagLogGroupRequest,
    ) -> Result<Empty> {
        let keys = req.tags.unwrap_or_default();
        self.change_tags(
            ctx,
            req.log_group_name.as_deref().unwrap_or_default(),
            |t| t.retain(|k, _| !keys.contains(k)),
        )?;
        Ok(Empty::default())
    }

    pub(crate) fn list_tags_log_group(
        &self,
        ctx: &RequestContext,
        req: ListTagsLogGroupRequest,
    ) -> Result<ListTagsLogGroupResponse> {
        Ok(ListTagsLogGroupResponse {
            tags: Some(self.group_tags(ctx, req.log_group_name.as_deref().unwrap_or_default())?),
        })
    }
}
