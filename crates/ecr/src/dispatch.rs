//! The routing table: one line per implemented operation, from the wire body to a handler.

use berth_aws::model::Validate;
use berth_aws::protocol::json::{self, BodyError};
use berth_aws::RequestContext;
use berth_ecr_model::Operation;
use serde::{de::DeserializeOwned, Serialize};

use crate::error::{EcrError, Result};
use crate::Ecr;

fn call<Req, Resp>(body: &[u8], f: impl FnOnce(Req) -> Result<Resp>) -> Result<Vec<u8>>
where
    Req: DeserializeOwned + Validate,
    Resp: Serialize,
{
    let req = json::parse(body).map_err(|e| match e {
        BodyError::Serialization(m) => EcrError::Serialization(m),
        BodyError::Invalid(m) => EcrError::Validation(m),
    })?;
    let resp = f(req)?;
    serde_json::to_vec(&resp).map_err(|e| EcrError::Server(format!("encoding response: {e}")))
}

impl Ecr {
    /// Answers one ECR operation for the caller in `ctx`; `body` is the request's JSON.
    pub fn handle(&self, ctx: &RequestContext, op: Operation, body: &[u8]) -> Result<Vec<u8>> {
        use Operation as O;
        let c = ctx;
        match op {
            O::CreateRepository => call(body, |r| self.create_repository(c, r)),
            O::DescribeRepositories => call(body, |r| self.describe_repositories(c, r)),
            O::DeleteRepository => call(body, |r| self.delete_repository(c, r)),
            O::PutImageTagMutability => call(body, |r| self.put_image_tag_mutability(c, r)),
            O::PutImageScanningConfiguration => {
                call(body, |r| self.put_image_scanning_configuration(c, r))
            }
            O::SetRepositoryPolicy => call(body, |r| self.set_repository_policy(c, r)),
            O::GetRepositoryPolicy => call(body, |r| self.get_repository_policy(c, r)),
            O::DeleteRepositoryPolicy => call(body, |r| self.delete_repository_policy(c, r)),
            O::PutRegistryPolicy => call(body, |r| self.put_registry_policy(c, r)),
            O::GetRegistryPolicy => call(body, |r| self.get_registry_policy(c, r)),
            O::DeleteRegistryPolicy => call(body, |r| self.delete_registry_policy(c, r)),
            O::DescribeRegistry => call(body, |r| self.describe_registry(c, r)),
            O::PutReplicationConfiguration => {
                call(body, |r| self.put_replication_configuration(c, r))
            }
            O::TagResource => call(body, |r| self.tag_resource(c, r)),
            O::UntagResource => call(body, |r| self.untag_resource(c, r)),
            O::ListTagsForResource => call(body, |r| self.list_tags_for_resource(c, r)),
            O::DescribeImages => call(body, |r| self.describe_images(c, r)),
            O::ListImages => call(body, |r| self.list_images(c, r)),
            O::BatchGetImage => call(body, |r| self.batch_get_image(c, r)),
            O::BatchDeleteImage => call(body, |r| self.batch_delete_image(c, r)),
            O::PutImage => call(body, |r| self.put_image(c, r)),
            O::BatchCheckLayerAvailability => {
                call(body, |r| self.batch_check_layer_availability(c, r))
            }
            O::InitiateLayerUpload => call(body, |r| self.initiate_layer_upload(c, r)),
            O::UploadLayerPart => call(body, |r| self.upload_layer_part(c, r)),
            O::CompleteLayerUpload => call(body, |r| self.complete_layer_upload(c, r)),
            O::GetDownloadUrlForLayer => call(body, |r| self.get_download_url_for_layer(c, r)),
            O::GetAuthorizationToken => call(body, |r| self.get_authorization_token(c, r)),
            O::PutLifecyclePolicy => call(body, |r| self.put_lifecycle_policy(c, r)),
            O::GetLifecyclePolicy => call(body, |r| self.get_lifecycle_policy(c, r)),
            O::DeleteLifecyclePolicy => call(body, |r| self.delete_lifecycle_policy(c, r)),
            O::StartLifecyclePolicyPreview => {
                call(body, |r| self.start_lifecycle_policy_preview(c, r))
            }
            O::GetLifecyclePolicyPreview => call(body, |r| self.get_lifecycle_policy_preview(c, r)),
            O::CreatePullThroughCacheRule => {
                call(body, |r| self.create_pull_through_cache_rule(c, r))
            }
            O::DescribePullThroughCacheRules => {
                call(body, |r| self.describe_pull_through_cache_rules(c, r))
            }
            O::UpdatePullThroughCacheRule => {
                call(body, |r| self.update_pull_through_cache_rule(c, r))
            }
            O::DeletePullThroughCacheRule => {
                call(body, |r| self.delete_pull_through_cache_rule(c, r))
            }
            O::ValidatePullThroughCacheRule => {
                call(body, |r| self.validate_pull_through_cache_rule(c, r))
            }
            O::StartImageScan => call(body, |r| self.start_image_scan(c, r)),
            O::DescribeImageScanFindings => call(body, |r| self.describe_image_scan_findings(c, r)),
            O::DescribeImageReplicationStatus => {
                call(body, |r| self.describe_image_replication_status(c, r))
            }
            O::PutRegistryScanningConfiguration => {
                call(body, |r| self.put_registry_scanning_configuration(c, r))
            }
            O::GetRegistryScanningConfiguration => {
                call(body, |r| self.get_registry_scanning_configuration(c, r))
            }
            O::CreateRepositoryCreationTemplate => {
                call(body, |r| self.create_repository_creation_template(c, r))
            }
            O::DescribeRepositoryCreationTemplates => {
                call(body, |r| self.describe_repository_creation_templates(c, r))
            }
            O::UpdateRepositoryCreationTemplate => {
                call(body, |r| self.update_repository_creation_template(c, r))
            }
            O::DeleteRepositoryCreationTemplate => {
                call(body, |r| self.delete_repository_creation_template(c, r))
            }
            O::GetAccountSetting => call(body, |r| self.get_account_setting(c, r)),
            O::PutAccountSetting => call(body, |r| self.put_account_setting(c, r)),
            O::ListImageReferrers => call(body, |r| self.list_image_referrers(c, r)),
            O::BatchGetRepositoryScanningConfiguration => call(body, |r| {
                self.batch_get_repository_scanning_configuration(c, r)
            }),
            O::RegisterPullTimeUpdateExclusion => {
                call(body, |r| self.register_pull_time_update_exclusion(c, r))
            }
            O::DeregisterPullTimeUpdateExclusion => {
                call(body, |r| self.deregister_pull_time_update_exclusion(c, r))
            }
            O::ListPullTimeUpdateExclusions => {
                call(body, |r| self.list_pull_time_update_exclusions(c, r))
            }
            O::StartReplicationBackfill => call(body, |r| self.start_replication_backfill(c, r)),
            O::StopReplicationBackfill => call(body, |r| self.stop_replication_backfill(c, r)),
            O::ListReplicationBackfills => call(body, |r| self.list_replication_backfills(c, r)),
            O::DescribeReplicationBackfillResults => {
                call(body, |r| self.describe_replication_backfill_results(c, r))
            }
            other => Err(EcrError::not_yet(other.name())),
        }
    }

    /// Whether Berth answers `op` (the others answer ValidationException "not yet").
    pub fn implements(&self, op: Operation) -> bool {
        let ctx = RequestContext::for_account("000000000000", "us-east-1");
        !matches!(self.handle(&ctx, op, b"\0"), Err(EcrError::Validation(m)) if m.contains("not supported by Berth yet"))
    }
}
