//! ListImageReferrers: the images of a repository whose `subject` is a given image (the
//! API form of the registry's referrers endpoint).

use berth_aws::RequestContext;
use berth_ecr_model::shapes::*;

use super::{limit, page};
use crate::error::Result;
use crate::records::children_of;
use crate::state::State;
use crate::Ecr;

impl Ecr {
    pub(crate) fn list_image_referrers(
        &self,
        ctx: &RequestContext,
        req: ListImageReferrersRequest,
    ) -> Result<ListImageReferrersResponse> {
        let (state, repo) = self.repo_for(
            ctx,
            req.registry_id.as_deref(),
            &req.repository_name,
            "ecr:ListImages",
        )?;
        let subject = req
            .subject_id
            .as_ref()
            .and_then(|s| s.image_digest.clone())
            .ok_or_else(|| super::missing("subjectId.imageDigest"))?;
        let filter = req.filter.clone().unwrap_or_default();
        let types = filter.artifact_types.unwrap_or_default();
        if matches!(
            filter.artifact_status,
            Some(ArtifactStatusFilter::Archived) | Some(ArtifactStatusFilter::Activating)
        ) {
            // Berth archives nothing: every image is ACTIVE.
            return Ok(ListImageReferrersResponse {
                referrers: Some(Vec::new()),
                next_token: None,
            });
        }
        let prefix = children_of(&repo.account, &repo.name);
        let items = State::under(&state.images, &prefix)
            .filter(|(_, i)| i.subject.as_deref() == Some(subject.as_str()))
            .map(|(_, i)| {
                let artifact_type = i.artifact_type.clone().or(i.config_media_type.clone());
                (i.digest.clone(), (i.clone(), artifact_type))
            })
            .filter(|(_, (_, t))| types.is_empty() || t.as_ref().is_some_and(|t| types.contains(t)))
            .collect::<Vec<_>>();
        let p = page(items, req.next_token.as_deref(), limit(req.max_results, 50))?;
        let referrers = p
            .items
            .into_iter()
            .map(|(image, artifact_type)| {
                let annotations = serde_json::from_str::<serde_json::Value>(&image.manifest)
                    .ok()
                    .and_then(|m| serde_json::from_value(m["annotations"].clone()).ok());
                ImageReferrer {
                    digest: Some(image.digest.clone()),
                    media_type: Some(image.media_type.clone()),
                    artifact_type,
                    size: Some(image.manifest.len() as i64),
                    annotations,
                    artifact_status: Some(ArtifactStatus::Active),
                }
            })
            .collect();
        Ok(ListImageReferrersResponse {
            referrers: Some(referrers),
            next_token: p.next_token,
        })
    }
}
