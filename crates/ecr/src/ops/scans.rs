//! StartImageScan and DescribeImageScanFindings: a scan asked for and its outcome read
//! (the scanning itself is `crate::scan`'s job).

use berth_aws::RequestContext;
use berth_ecr_model::shapes::*;

use super::images::{find_image, id_text};
use super::{limit, page};
use crate::error::{EcrError, Result};
use crate::records::ScanRec;
use crate::scan::{self, COMPLETE, IN_PROGRESS};
use crate::Ecr;

/// The status of a scan as ECR shows it.
pub(crate) fn status(s: &ScanRec) -> ImageScanStatus {
    ImageScanStatus {
        status: Some(ScanStatus::parse(&s.status)),
        description: Some(s.description.clone()),
    }
}

/// DescribeImages' summary of a finished scan.
pub(crate) fn summary(s: &ScanRec) -> Option<ImageScanFindingsSummary> {
    (s.status == COMPLETE).then(|| ImageScanFindingsSummary {
        image_scan_completed_at: s.completed_at,
        vulnerability_source_updated_at: s.source_updated_at,
        finding_severity_counts: Some(s.counts.clone()),
    })
}

impl Ecr {
    pub(crate) fn start_image_scan(
        &self,
        ctx: &RequestContext,
        req: StartImageScanRequest,
    ) -> Result<StartImageScanResponse> {
        let (state, repo) = self.repo_for(
            ctx,
            req.registry_id.as_deref(),
            &req.repository_name,
            "ecr:StartImageScan",
        )?;
        let id = req.image_id.clone().unwrap_or_default();
        let image = find_image(&state, &repo, &id)?;
        if let Some(why) = scan::unscannable(&image.media_type, image.config_media_type.as_deref())
        {
            return Err(EcrError::UnsupportedImageType(why));
        }
        let now = self.now();
        let rec = self.db.write(|tx| {
            // Again under the writer: the image may have gone or been asked for meanwhile.
            let current = find_image(tx.state, &repo, &id)?;
            if current.scan.as_ref().is_some_and(|s| s.status == IN_PROGRESS) {
                return Err(EcrError::LimitExceeded(format!(
                    "A scan of the image with imageId {} in the repository with name '{}' is already in progress; Berth runs one scan of an image at a time.",
                    id_text(&id), repo.name
                )));
            }
            let mut i = (*current).clone();
            let rec = scan::requested(now);
            i.scan = Some(rec.clone());
            tx.put(i)?;
            Ok(rec)
        })?;
        self.scanning.wake.notify_one();
        Ok(StartImageScanResponse {
            registry_id: Some(repo.account.clone()),
            repository_name: Some(repo.name.clone()),
            image_id: Some(ImageIdentifier {
                image_digest: Some(image.digest.clone()),
                image_tag: id.image_tag.clone(),
            }),
            image_scan_status: Some(status(&rec)),
        })
    }

    pub(crate) fn describe_image_scan_findings(
        &self,
        ctx: &RequestContext,
        req: DescribeImageScanFindingsRequest,
    ) -> Result<DescribeImageScanFindingsResponse> {
        let (state, repo) = self.repo_for(
            ctx,
            req.registry_id.as_deref(),
            &req.repository_name,
            "ecr:DescribeImageScanFindings",
        )?;
        let id = req.image_id.clone().unwrap_or_default();
        let image = find_image(&state, &repo, &id)?;
        let Some(scan) = image.scan.as_ref() else {
            return Err(EcrError::ScanNotFound(format!(
                "Image scan does not exist for the image with '{}' in the repository with name '{}' in the registry with id '{}'",
                id_text(&id), repo.name, repo.account
            )));
        };
        let mut next_token = None;
        let findings = if scan.status == COMPLETE {
            let items = scan
                .findings
                .iter()
                .enumerate()
                .map(|(n, f)| (format!("{n:08}"), f.clone()));
            let p = page(
                items,
                req.next_token.as_deref(),
                limit(req.max_results, 100),
            )?;
            next_token = p.next_token;
            Some(ImageScanFindings {
                image_scan_completed_at: scan.completed_at,
                vulnerability_source_updated_at: scan.source_updated_at,
                finding_severity_counts: Some(scan.counts.clone()),
                findings: Some(p.items),
                enhanced_findings: None,
            })
        } else {
            None
        };
        Ok(DescribeImageScanFindingsResponse {
            registry_id: Some(repo.account.clone()),
            repository_name: Some(repo.name.clone()),
            image_id: Some(ImageIdentifier {
                image_digest: Some(image.digest.clone()),
                image_tag: id.image_tag.clone(),
            }),
            image_scan_status: Some(status(scan)),
            image_scan_findings: findings,
            next_token,
        })
    }
}
