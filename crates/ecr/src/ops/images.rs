//! DescribeImages, ListImages, BatchGetImage, BatchDeleteImage, PutImage.

use std::sync::Arc;

use berth_aws::RequestContext;
use berth_ecr_model::shapes::*;

use super::{limit, page, registry_of, required};
use crate::content::{self, ImageRefused, Push, PushError};
use crate::error::{EcrError, Result};
use crate::manifest::ManifestError;
use crate::records::{children_of, ImageRec, RepositoryRec};
use crate::state::State;
use crate::Ecr;

/// How long a recorded pull time stands before a pull writes it again.
pub(crate) const PULL_RECORD_SECS: f64 = 60.0;

pub(crate) fn id_text(id: &ImageIdentifier) -> String {
    match (&id.image_digest, &id.image_tag) {
        (Some(d), Some(t)) => format!("{{imageDigest:'{d}', imageTag:'{t}'}}"),
        (Some(d), None) => format!("{{imageDigest:'{d}'}}"),
        (None, Some(t)) => format!("{{imageTag:'{t}'}}"),
        (None, None) => "{}".into(),
    }
}

fn failure(id: &ImageIdentifier, code: ImageFailureCode, reason: &str) -> ImageFailure {
    ImageFailure {
        image_id: Some(id.clone()),
        failure_code: Some(code),
        failure_reason: Some(reason.to_owned()),
    }
}

/// The image an identifier names in a repository, or why not.
fn resolve(
    state: &State,
    repo: &RepositoryRec,
    id: &ImageIdentifier,
) -> std::result::Result<Arc<ImageRec>, ImageFailure> {
    let by_tag = id
        .image_tag
        .as_deref()
        .map(|t| state.resolve(&repo.account, &repo.name, t));
    let by_digest = match id.image_digest.as_deref() {
        Some(d) if crate::blobs::Digest::parse(d).is_none() => {
            return Err(failure(id, ImageFailureCode::InvalidImageDigest, "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'"))
        }
        Some(d) => Some(state.resolve(&repo.account, &repo.name, d)),
        None => None,
    };
    match (by_digest, by_tag) {
        (None, None) => Err(failure(
            id,
            ImageFailureCode::MissingDigestAndTag,
            "Invalid request parameters: both tag and digest cannot be null",
        )),
        (Some(Some(a)), Some(Some(b))) if a.digest != b.digest => Err(failure(
            id,
            ImageFailureCode::ImageTagDoesNotMatchDigest,
            "Invalid request parameters: image tag does not match digest",
        )),
        (Some(Some(i)), _) | (None, Some(Some(i))) => Ok(i),
        _ => Err(failure(
            id,
            ImageFailureCode::ImageNotFound,
            "Requested image not found",
        )),
    }
}

/// The image an identifier names, or ImageNotFoundException (InvalidParameterException for
/// an identifier that names nothing).
pub(crate) fn find_image(
    state: &State,
    repo: &RepositoryRec,
    id: &ImageIdentifier,
) -> Result<Arc<ImageRec>> {
    resolve(state, repo, id).map_err(|f| match f.failure_code {
        Some(ImageFailureCode::ImageNotFound) => EcrError::ImageNotFound(format!(
            "The image with imageId {} does not exist within the repository with name '{}' in the registry with id '{}'",
            id_text(id), repo.name, repo.account
        )),
        _ => EcrError::invalid(f.failure_reason.unwrap_or_default()),
    })
}

impl Ecr {
    pub(crate) fn repo_for(
        &self,
        ctx: &RequestContext,
        registry_id: Option<&str>,
        name: &Option<String>,
        action: &str,
    ) -> Result<(Arc<State>, Arc<RepositoryRec>)> {
        let account = registry_of(ctx, registry_id)?;
        let name = required(name, "repositoryName")?;
        let state = self.db.snapshot();
        let repo = content::repository(&state, &account, name)?;
        self.may(ctx, &repo, action)?;
        Ok((state, repo))
    }

    fn image_detail(&self, state: &State, i: &ImageRec) -> ImageDetail {
        let tags = state.tags_of(&i.account, &i.repo, &i.digest);
        ImageDetail {
            registry_id: Some(i.account.clone()),
            repository_name: Some(i.repo.clone()),
            image_digest: Some(i.digest.clone()),
            image_tags: (!tags.is_empty()).then_some(tags),
            image_size_in_bytes: Some(i.size),
            image_pushed_at: Some(i.pushed_at),
            image_manifest_media_type: Some(i.media_type.clone()),
            artifact_media_type: i.config_media_type.clone(),
            last_recorded_pull_time: i.last_pulled_at,
            subject_manifest_digest: i.subject.clone(),
            image_status: Some(ImageStatus::Active),
            image_scan_status: i.scan.as_ref().map(super::scans::status),
            image_scan_findings_summary: i.scan.as_ref().and_then(super::scans::summary),
            ..Default::default()
        }
    }

    pub(crate) fn describe_images(
        &self,
        ctx: &RequestContext,
        req: DescribeImagesRequest,
    ) -> Result<DescribeImagesResponse> {
        let (state, repo) = self.repo_for(
            ctx,
            req.registry_id.as_deref(),
            &req.repository_name,
            "ecr:DescribeImages",
        )?;
        if let Some(ids) = &req.image_ids {
            let mut out = Vec::new();
            for id in ids {
                let image = find_image(&state, &repo, id)?;
                out.push(self.image_detail(&state, &image));
            }
            return Ok(DescribeImagesResponse {
                image_details: Some(out),
                next_token: None,
            });
        }
        let status = req
            .filter
            .as_ref()
            .and_then(|f| f.tag_status.clone())
            .unwrap_or(TagStatus::Any);
        let prefix = children_of(&repo.account, &repo.name);
        let items = State::under(&state.images, &prefix)
            .filter(|(_, i)| {
                let tagged = !state.tags_of(&i.account, &i.repo, &i.digest).is_empty();
                match status {
                    TagStatus::Tagged => tagged,
                    TagStatus::Untagged => !tagged,
                    _ => true,
                }
            })
            .map(|(k, i)| (k.clone(), i.clone()));
        let p = page(
            items,
            req.next_token.as_deref(),
            limit(req.max_results, 100),
        )?;
        Ok(DescribeImagesResponse {
            image_details: Some(
                p.items
                    .iter()
                    .map(|i| self.image_detail(&state, i))
                    .collect(),
            ),
            next_token: p.next_token,
        })
    }

    pub(crate) fn list_images(
        &self,
        ctx: &RequestContext,
        req: ListImagesRequest,
    ) -> Result<ListImagesResponse> {
        let (state, repo) = self.repo_for(
            ctx,
            req.registry_id.as_deref(),
            &req.repository_name,
            "ecr:ListImages",
        )?;
        let status = req
            .filter
            .as_ref()
            .and_then(|f| f.tag_status.clone())
            .unwrap_or(TagStatus::Any);
        let mut ids: Vec<(String, ImageIdentifier)> = Vec::new();
        for (key, i) in State::under(&state.images, &children_of(&repo.account, &repo.name)) {
            let tags = state.tags_of(&i.account, &i.repo, &i.digest);
            if tags.is_empty() && status != TagStatus::Tagged {
                ids.push((
                    key.clone(),
                    ImageIdentifier {
                        image_digest: Some(i.digest.clone()),
                        image_tag: None,
                    },
                ));
            }
            if status != TagStatus::Untagged {
                for t in tags {
                    ids.push((
                        format!("{key}\u{1}{t}"),
                        ImageIdentifier {
                            image_digest: Some(i.digest.clone()),
                            image_tag: Some(t),
                        },
                    ));
                }
            }
        }
        let p = page(ids, req.next_token.as_deref(), limit(req.max_results, 100))?;
        Ok(ListImagesResponse {
            image_ids: Some(p.items),
            next_token: p.next_token,
        })
    }

    pub(crate) fn batch_get_image(
        &self,
        ctx: &RequestContext,
        req: BatchGetImageRequest,
    ) -> Result<BatchGetImageResponse> {
        let (state, repo) = self.repo_for(
            ctx,
            req.registry_id.as_deref(),
            &req.repository_name,
            "ecr:BatchGetImage",
        )?;
        let accepted = req.accepted_media_types.clone();
        let (mut images, mut failures, mut pulled) = (Vec::new(), Vec::new(), Vec::new());
        for id in req.image_ids.iter().flatten() {
            match resolve(&state, &repo, id) {
                Ok(i) if accepted.as_ref().is_some_and(|a| !a.contains(&i.media_type)) => {
                    failures.push(failure(
                        id,
                        ImageFailureCode::ImageNotFound,
                        "Requested image not found: its manifest media type is not among the accepted media types",
                    ))
                }
                Ok(i) => {
                    pulled.push(i.digest.clone());
                    images.push(Image {
                        registry_id: Some(repo.account.clone()),
                        repository_name: Some(repo.name.clone()),
                        image_id: Some(ImageIdentifier {
                            image_digest: Some(i.digest.clone()),
                            image_tag: id.image_tag.clone(),
                        }),
                        image_manifest: Some(i.manifest.clone()),
                        image_manifest_media_type: Some(i.media_type.clone()),
                    });
                }
                Err(f) => failures.push(f),
            }
        }
        self.record_pulls(&ctx.principal, &repo.account, &repo.name, &pulled)?;
        Ok(BatchGetImageResponse {
            images: Some(images),
            failures: Some(failures),
        })
    }

    /// Notes that images were pulled now (DescribeImages' lastRecordedPullTime).
    /// Like ECR, which refreshes the time "at least once every 24 hours", a pull within
    /// [`PULL_RECORD_SECS`] of the recorded one is not written again: a burst of pulls (a
    /// HEAD and a GET each, from every agent starting a task) costs one write, not one each.
    pub(crate) fn record_pulls(
        &self,
        principal: &str,
        account: &str,
        repo: &str,
        digests: &[String],
    ) -> Result<()> {
        if self.pull_excluded(account, principal) {
            return Ok(());
        }
        let now = self.now();
        let stale = |s: &State, d: &String| {
            s.images
                .get(&crate::records::child_key(account, repo, d))
                .is_some_and(|i| i.last_pulled_at.is_none_or(|t| now - t >= PULL_RECORD_SECS))
        };
        if !self.db.read(|s| digests.iter().any(|d| stale(s, d))) {
            return Ok(());
        }
        self.db.write(|tx| {
            for d in digests {
                if !stale(tx.state, d) {
                    continue;
                }
                let key = crate::records::child_key(account, repo, d);
                if let Some(i) = tx.state.images.get(&key) {
                    let mut i = (**i).clone();
                    i.last_pulled_at = Some(now);
                    tx.put(i)?;
                }
            }
            Ok(())
        })
    }

    pub(crate) fn batch_delete_image(
        &self,
        ctx: &RequestContext,
        req: BatchDeleteImageRequest,
    ) -> Result<BatchDeleteImageResponse> {
        let (state, repo) = self.repo_for(
            ctx,
            req.registry_id.as_deref(),
            &req.repository_name,
            "ecr:BatchDeleteImage",
        )?;
        let (mut deleted, mut failures) = (Vec::new(), Vec::new());
        for id in req.image_ids.iter().flatten() {
            if let Err(f) = resolve(&state, &repo, id) {
                failures.push(f);
                continue;
            }
            let reference = id
                .image_tag
                .as_deref()
                .or(id.image_digest.as_deref())
                .unwrap_or_default();
            match self.delete_image(&repo.account, &repo.name, reference)? {
                Ok((digest, tags)) if tags.is_empty() => deleted.push(ImageIdentifier {
                    image_digest: Some(digest),
                    image_tag: None,
                }),
                Ok((digest, tags)) => deleted.extend(tags.into_iter().map(|t| ImageIdentifier {
                    image_digest: Some(digest.clone()),
                    image_tag: Some(t),
                })),
                Err(ImageRefused::NotFound) => failures.push(failure(
                    id,
                    ImageFailureCode::ImageNotFound,
                    "Requested image not found",
                )),
                Err(ImageRefused::ReferencedByIndex(parent)) => failures.push(failure(
                    id,
                    ImageFailureCode::ImageReferencedByManifestList,
                    &format!("Requested image is referenced by the manifest list {parent}"),
                )),
            }
        }
        Ok(BatchDeleteImageResponse {
            image_ids: Some(deleted),
            failures: Some(failures),
        })
    }

    pub(crate) fn put_image(
        &self,
        ctx: &RequestContext,
        req: PutImageRequest,
    ) -> Result<PutImageResponse> {
        let account = registry_of(ctx, req.registry_id.as_deref())?;
        let name = required(&req.repository_name, "repositoryName")?;
        let manifest = required(&req.image_manifest, "imageManifest")?;
        let repo = self.db.read(|s| content::repository(s, &account, name))?;
        self.may(ctx, &repo, "ecr:PutImage")?;
        let push = Push {
            account: &account,
            repo: name,
            bytes: manifest.as_bytes(),
            content_type: req.image_manifest_media_type.as_deref(),
            tag: req.image_tag.as_deref(),
            digest: req.image_digest.as_deref(),
            refuse_unchanged: true,
            replicate: true,
        };
        let image = self
            .push_manifest(&push)
            .map_err(|e| push_error(e, &account, name))?;
        Ok(PutImageResponse {
            image: Some(Image {
                registry_id: Some(account.clone()),
                repository_name: Some(name.to_owned()),
                image_id: Some(ImageIdentifier {
                    image_digest: Some(image.digest.clone()),
                    image_tag: req.image_tag.clone(),
                }),
                image_manifest: Some(image.manifest.clone()),
                image_manifest_media_type: Some(image.media_type.clone()),
            }),
        })
    }
}

/// A refused push, in ECR's words.
pub(crate) fn push_error(e: PushError, account: &str, repo: &str) -> EcrError {
    match e {
        PushError::Ecr(e) => e,
        PushError::Manifest(ManifestError::Unsupported(m)) => {
            EcrError::UnsupportedImageType(format!("Unsupported image type: {m}"))
        }
        PushError::Manifest(ManifestError::Invalid(m)) => EcrError::invalid(format!(
            "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid manifest: {m}'"
        )),
        PushError::TooLarge => EcrError::invalid(
            "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'the manifest is larger than 4 MiB'",
        ),
        PushError::BlobsUnknown(d) => EcrError::LayersNotFound(format!(
            "Layers with digests '{d:?}' required for pushing image into repository with name '{repo}' in the registry with id '{account}' do not exist"
        )),
        PushError::ManifestsUnknown(d) => EcrError::ReferencedImagesNotFound(format!(
            "The manifests '{d:?}' referenced by the image index do not exist in the repository with name '{repo}' in the registry with id '{account}'"
        )),
        PushError::DigestMismatch { claimed, actual } => EcrError::ImageDigestDoesNotMatch(format!(
            "Provided digest '{claimed}' does not match the manifest's digest '{actual}'"
        )),
        PushError::TagImmutable { tag } => EcrError::ImageTagAlreadyExists(format!(
            "The image tag '{tag}' already exists in the '{repo}' repository and cannot be overwritten because the tag is immutable."
        )),
        PushError::Unchanged { digest, tag } => EcrError::ImageAlreadyExists(match tag {
            Some(t) => format!("Image with digest '{digest}' and tag '{t}' already exists in the repository with name '{repo}' in registry with id '{account}'"),
            None => format!("Image with digest '{digest}' already exists in the repository with name '{repo}' in registry with id '{account}'"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use berth_aws::RequestContext;
    use berth_ecr_model::Operation;

    #[test]
    fn a_burst_of_pulls_is_recorded_once() {
        let (_dir, ecr) = crate::tests::ecr();
        let ctx = RequestContext::for_account("000000000000", "us-east-1");
        ecr.handle(
            &ctx,
            Operation::CreateRepository,
            br#"{"repositoryName":"web"}"#,
        )
        .expect("create");
        let blob = br#"{"os":"linux"}"#;
        let digest = crate::blobs::Digest::sha256_of(blob).to_string();
        let id = ecr.begin_upload("000000000000", "web").expect("begin");
        let up = ecr.upload("000000000000", "web", &id).expect("upload");
        let mut a = ecr.blobs.append(&id, Some(0)).expect("append");
        a.write(blob).expect("write");
        a.finish().expect("finish");
        let d = crate::blobs::Digest::sha256_of(blob);
        ecr.complete_upload(&up, &d)
            .expect("complete")
            .expect("done");
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{digest}","size":14}},"layers":[]}}"#
        );
        let image = ecr
            .push_manifest(&crate::content::Push {
                account: "000000000000",
                repo: "web",
                bytes: manifest.as_bytes(),
                content_type: None,
                tag: Some("v1"),
                digest: None,
                refuse_unchanged: false,
                replicate: false,
            })
            .expect("push");
        let pulled = |ecr: &crate::Ecr| {
            ecr.db.read(|s| {
                s.images
                    .get(&crate::records::child_key(
                        "000000000000",
                        "web",
                        &image.digest,
                    ))
                    .and_then(|i| i.last_pulled_at)
            })
        };
        assert_eq!(pulled(&ecr), None);
        let digests = [image.digest.clone()];
        ecr.record_pulls("", "000000000000", "web", &digests)
            .expect("record");
        let first = pulled(&ecr).expect("recorded");
        std::thread::sleep(std::time::Duration::from_millis(20));
        ecr.record_pulls("", "000000000000", "web", &digests)
            .expect("record");
        assert_eq!(
            pulled(&ecr),
            Some(first),
            "within a minute: not written again"
        );
    }
}
