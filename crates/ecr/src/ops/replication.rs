//! DescribeImageReplicationStatus: how far each destination of an image's replication got
//! (the replicator itself is `crate::replication`).

use berth_aws::RequestContext;
use berth_ecr_model::shapes::*;

use super::images::find_image;
use crate::error::{EcrError, Result};
use crate::records::{children_of, ReplicationRec};
use crate::state::State;
use crate::Ecr;

impl Ecr {
    pub(crate) fn describe_image_replication_status(
        &self,
        ctx: &RequestContext,
        req: DescribeImageReplicationStatusRequest,
    ) -> Result<DescribeImageReplicationStatusResponse> {
        let (state, repo) = self.repo_for(
            ctx,
            req.registry_id.as_deref(),
            &req.repository_name,
            "ecr:DescribeImageReplicationStatus",
        )?;
        let id = req
            .image_id
            .clone()
            .ok_or_else(|| super::missing("imageId"))?;
        let image = find_image(&state, &repo, &id)?;
        let prefix = children_of(&repo.account, &repo.name);
        let statuses = State::under(&state.replications, &prefix)
            .map(|(_, r)| r)
            .filter(|r| r.digest == image.digest)
            .map(
                |r: &std::sync::Arc<ReplicationRec>| ImageReplicationStatus {
                    region: Some(r.region.clone()),
                    registry_id: Some(r.registry.clone()),
                    status: Some(ReplicationStatus::parse(&r.status)),
                    failure_code: r.failure.clone(),
                },
            )
            .collect();
        Ok(DescribeImageReplicationStatusResponse {
            repository_name: Some(repo.name.clone()),
            image_id: Some(ImageIdentifier {
                image_digest: Some(image.digest.clone()),
                image_tag: id.image_tag.clone(),
            }),
            replication_statuses: Some(statuses),
        })
    }
}

/// A destination the configuration may not name: the source registry itself.
pub(crate) fn check_destination(ctx: &RequestContext, region: &str, registry: &str) -> Result<()> {
    if region == ctx.region && registry == ctx.account {
        return Err(EcrError::invalid(format!(
            "Invalid parameter at 'destination' failed to satisfy constraint: 'a registry cannot replicate to itself' ({region}, {registry})"
        )));
    }
    Ok(())
}
