//! The API's layer path: BatchCheckLayerAvailability, InitiateLayerUpload, UploadLayerPart,
//! CompleteLayerUpload, GetDownloadUrlForLayer. Uploads are the registry's (one store).

use base64::Engine;
use berth_aws::RequestContext;
use berth_ecr_model::shapes::*;

use super::{registry_of, required};
use crate::blobs::{Digest, UploadFault};
use crate::content;
use crate::error::{EcrError, Result};
use crate::token::{self, Grant};
use crate::Ecr;

/// The part size InitiateLayerUpload suggests.
const PART_SIZE: i64 = 10 * 1024 * 1024;
/// How long a GetDownloadUrlForLayer URL works.
const DOWNLOAD_URL_SECS: f64 = 3600.0;
/// The query parameter a download URL carries its credential in.
pub const DOWNLOAD_TOKEN_PARAM: &str = "X-Berth-Token";

impl Ecr {
    pub(crate) fn batch_check_layer_availability(
        &self,
        ctx: &RequestContext,
        req: BatchCheckLayerAvailabilityRequest,
    ) -> Result<BatchCheckLayerAvailabilityResponse> {
        let account = registry_of(ctx, req.registry_id.as_deref())?;
        let name = required(&req.repository_name, "repositoryName")?;
        let repo = self.db.read(|s| content::repository(s, &account, name))?;
        self.may(ctx, &repo, "ecr:BatchCheckLayerAvailability")?;
        let (mut layers, mut failures) = (Vec::new(), Vec::new());
        for d in req.layer_digests.iter().flatten() {
            if Digest::parse(d).is_none() {
                failures.push(LayerFailure {
                    layer_digest: Some(d.clone()),
                    failure_code: Some(LayerFailureCode::InvalidLayerDigest),
                    failure_reason: Some("Invalid layer digest".into()),
                });
                continue;
            }
            match self.repo_blob(&account, name, d) {
                Some(size) => layers.push(Layer {
                    layer_digest: Some(d.clone()),
                    layer_availability: Some(LayerAvailability::Available),
                    layer_size: Some(size as i64),
                    media_type: None,
                }),
                None => failures.push(LayerFailure {
                    layer_digest: Some(d.clone()),
                    failure_code: Some(LayerFailureCode::MissingLayerDigest),
                    failure_reason: Some("Requested layer not found".into()),
                }),
            }
        }
        Ok(BatchCheckLayerAvailabilityResponse {
            layers: Some(layers),
            failures: Some(failures),
        })
    }

    pub(crate) fn initiate_layer_upload(
        &self,
        ctx: &RequestContext,
        req: InitiateLayerUploadRequest,
    ) -> Result<InitiateLayerUploadResponse> {
        let account = registry_of(ctx, req.registry_id.as_deref())?;
        let name = required(&req.repository_name, "repositoryName")?;
        let repo = self.db.read(|s| content::repository(s, &account, name))?;
        self.may(ctx, &repo, "ecr:InitiateLayerUpload")?;
        let id = self.begin_upload(&account, name)?;
        Ok(InitiateLayerUploadResponse {
            upload_id: Some(id),
            part_size: Some(PART_SIZE),
        })
    }

    fn api_upload(
        &self,
        ctx: &RequestContext,
        registry_id: Option<&str>,
        repo: &Option<String>,
        upload_id: &Option<String>,
        action: &str,
    ) -> Result<std::sync::Arc<crate::records::UploadRec>> {
        let account = registry_of(ctx, registry_id)?;
        let name = required(repo, "repositoryName")?;
        let id = required(upload_id, "uploadId")?;
        let r = self.db.read(|s| content::repository(s, &account, name))?;
        self.may(ctx, &r, action)?;
        self.upload(&account, name, id).ok_or_else(|| {
            EcrError::UploadNotFound(format!(
                "The upload with id '{id}' does not exist in the repository with name '{name}' in the registry with id '{account}'"
            ))
        })
    }

    pub(crate) fn upload_layer_part(
        &self,
        ctx: &RequestContext,
        req: UploadLayerPartRequest,
    ) -> Result<UploadLayerPartResponse> {
        let up = self.api_upload(
            ctx,
            req.registry_id.as_deref(),
            &req.repository_name,
            &req.upload_id,
            "ecr:UploadLayerPart",
        )?;
        let blob = base64::engine::general_purpose::STANDARD
            .decode(required(&req.layer_part_blob, "layerPartBlob")?)
            .map_err(|_| EcrError::Serialization("layerPartBlob is not valid base64".into()))?;
        let first = req.part_first_byte.unwrap_or(0);
        let last = req.part_last_byte.unwrap_or(-1);
        let span = last.checked_sub(first).and_then(|d| d.checked_add(1));
        if first < 0 || span != i64::try_from(blob.len()).ok() {
            return Err(EcrError::InvalidLayerPart(format!(
                "The part bytes {first}-{last} do not match the {} bytes of layerPartBlob",
                blob.len()
            )));
        }
        let mut a = match self.blobs.append(&up.id, Some(first as u64)) {
            Ok(a) => a,
            Err(UploadFault::OutOfOrder { have, .. }) => {
                return Err(EcrError::InvalidLayerPart(format!(
                    "The upload with id '{}' has {have} bytes; the next part must start at byte {have}, not {first}",
                    up.id
                )))
            }
            Err(UploadFault::Io(e)) => return Err(e.into()),
            Err(_) => return Err(EcrError::UploadNotFound(format!("The upload with id '{}' does not exist", up.id))),
        };
        if let Err(e) = a.write(&blob) {
            a.abandon()?;
            return Err(e.into());
        }
        let len = a.finish()?;
        Ok(UploadLayerPartResponse {
            registry_id: Some(up.account.clone()),
            repository_name: Some(up.repo.clone()),
            upload_id: Some(up.id.clone()),
            last_byte_received: Some(len as i64 - 1),
        })
    }

    pub(crate) fn complete_layer_upload(
        &self,
        ctx: &RequestContext,
        req: CompleteLayerUploadRequest,
    ) -> Result<CompleteLayerUploadResponse> {
        let up = self.api_upload(
            ctx,
            req.registry_id.as_deref(),
            &req.repository_name,
            &req.upload_id,
            "ecr:CompleteLayerUpload",
        )?;
        let digests = req.layer_digests.clone().unwrap_or_default();
        let [claimed] = digests.as_slice() else {
            return Err(EcrError::invalid(
                "Invalid parameter at 'layerDigests' failed to satisfy constraint: 'exactly one layer digest'",
            ));
        };
        let digest = Digest::parse(claimed).ok_or_else(|| {
            EcrError::InvalidLayer(format!(
                "The layer digest '{claimed}' is not a valid digest"
            ))
        })?;
        let size = match self.blobs.upload_len(&up.id) {
            Ok(n) => n,
            Err(UploadFault::Io(e)) => return Err(e.into()),
            Err(_) => 0,
        };
        if size == 0 {
            return Err(EcrError::EmptyUpload(format!(
                "The upload with id '{}' has no bytes",
                up.id
            )));
        }
        if self.repo_blob(&up.account, &up.repo, claimed).is_some() {
            self.cancel_upload(&up.id)?;
            return Err(EcrError::LayerAlreadyExists(format!(
                "The layer '{claimed}' already exists in the repository with name '{}' in the registry with id '{}'",
                up.repo, up.account
            )));
        }
        match self.complete_upload(&up, &digest)? {
            Ok(_) => {}
            Err(UploadFault::DigestMismatch { actual, .. }) => {
                return Err(EcrError::InvalidLayer(format!(
                    "The layer digest calculated for the upload is '{actual}', which does not match the provided digest '{claimed}'"
                )))
            }
            Err(f) => return Err(EcrError::UploadNotFound(f.to_string())),
        }
        Ok(CompleteLayerUploadResponse {
            registry_id: Some(up.account.clone()),
            repository_name: Some(up.repo.clone()),
            upload_id: Some(up.id.clone()),
            layer_digest: Some(claimed.clone()),
        })
    }

    pub(crate) fn get_download_url_for_layer(
        &self,
        ctx: &RequestContext,
        req: GetDownloadUrlForLayerRequest,
    ) -> Result<GetDownloadUrlForLayerResponse> {
        let account = registry_of(ctx, req.registry_id.as_deref())?;
        let name = required(&req.repository_name, "repositoryName")?;
        let digest = required(&req.layer_digest, "layerDigest")?;
        let repo = self.db.read(|s| content::repository(s, &account, name))?;
        self.may(ctx, &repo, "ecr:GetDownloadUrlForLayer")?;
        if Digest::parse(digest).is_none() {
            return Err(EcrError::invalid(format!(
                "Invalid parameter at 'layerDigest' failed to satisfy constraint: 'is not a digest' (got '{digest}')"
            )));
        }
        if self.repo_blob(&account, name, digest).is_none() {
            return Err(EcrError::LayersNotFound(format!(
                "The layer with digest '{digest}' does not exist in the repository with name '{name}' in the registry with id '{account}'"
            )));
        }
        let grant = Grant {
            account: ctx.account.clone(),
            access_key_id: ctx.access_key_id.clone(),
            expires_at: (self.now() + DOWNLOAD_URL_SECS).floor(),
        };
        let pass = token::password(&self.token_key, &grant);
        Ok(GetDownloadUrlForLayerResponse {
            download_url: Some(format!(
                "{}/v2/{name}/blobs/{digest}?{DOWNLOAD_TOKEN_PARAM}={pass}&{}={account}",
                self.registry_url(),
                crate::registry::REGISTRY_PARAM
            )),
            layer_digest: Some(digest.to_owned()),
        })
    }
}
