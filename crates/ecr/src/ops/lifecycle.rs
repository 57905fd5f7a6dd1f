//! Lifecycle policies: Put/Get/DeleteLifecyclePolicy, Start/GetLifecyclePolicyPreview, and
//! the sweep that expires images by each repository's policy (berth-ecr-lifecycle decides,
//! this module deletes).

use berth_aws::RequestContext;
use berth_ecr_lifecycle::{Action, Verdict};
use berth_ecr_model::shapes::*;

use super::{limit, page, registry_of, required};
use crate::content::{self, delete_image_in};
use crate::error::{EcrError, Result};
use crate::records::{children_of, RepositoryRec};
use crate::state::State;
use crate::Ecr;

/// What one sweep did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Sweep {
    pub expired: Vec<(String, String)>,
}

pub(crate) fn parse(text: &str) -> Result<berth_ecr_lifecycle::Policy> {
    berth_ecr_lifecycle::parse(text).map_err(|e| {
        EcrError::invalid(format!(
            "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: {e}'"
        ))
    })
}

fn no_policy(r: &RepositoryRec) -> EcrError {
    EcrError::LifecyclePolicyNotFound(format!(
        "Lifecycle policy does not exist for the repository with name '{}' in the registry with id '{}'",
        r.name, r.account
    ))
}

/// The verdicts of `policy` over a repository's images now.
fn verdicts(
    state: &State,
    repo: &RepositoryRec,
    policy: &berth_ecr_lifecycle::Policy,
    now: f64,
) -> Vec<Verdict> {
    let images: Vec<berth_ecr_lifecycle::Image> =
        State::under(&state.images, &children_of(&repo.account, &repo.name))
            .map(|(_, i)| {
                let tags = state.tags_of(&i.account, &i.repo, &i.digest);
                let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
                let mut img = berth_ecr_lifecycle::Image::new(&i.digest, &tags, i.pushed_at);
                if let Some(t) = i.last_pulled_at {
                    img = img.pulled_at(t);
                }
                img
            })
            .collect();
    berth_ecr_lifecycle::evaluate(policy, &images, now)
}

impl Ecr {
    pub(crate) fn put_lifecycle_policy(
        &self,
        ctx: &RequestContext,
        req: PutLifecyclePolicyRequest,
    ) -> Result<PutLifecyclePolicyResponse> {
        let text = required(&req.lifecycle_policy_text, "lifecyclePolicyText")?.to_owned();
        parse(&text)?;
        let r = self.change_repository(
            ctx,
            req.registry_id.as_deref(),
            &req.repository_name,
            "ecr:PutLifecyclePolicy",
            |r| {
                r.lifecycle_policy = Some(text.clone());
                r.lifecycle_updated_at = None;
                Ok(())
            },
        )?;
        Ok(PutLifecyclePolicyResponse {
            registry_id: Some(r.account),
            repository_name: Some(r.name),
            lifecycle_policy_text: Some(text),
        })
    }

    pub(crate) fn get_lifecycle_policy(
        &self,
        ctx: &RequestContext,
        req: GetLifecyclePolicyRequest,
    ) -> Result<GetLifecyclePolicyResponse> {
        let account = registry_of(ctx, req.registry_id.as_deref())?;
        let name = required(&req.repository_name, "repositoryName")?;
        let r = self.db.read(|s| content::repository(s, &account, name))?;
        self.may(ctx, &r, "ecr:GetLifecyclePolicy")?;
        let text = r.lifecycle_policy.clone().ok_or_else(|| no_policy(&r))?;
        Ok(GetLifecyclePolicyResponse {
            registry_id: Some(r.account.clone()),
            repository_name: Some(r.name.clone()),
            lifecycle_policy_text: Some(text),
            last_evaluated_at: r.lifecycle_updated_at,
        })
    }

    pub(crate) fn delete_lifecycle_policy(
        &self,
        ctx: &RequestContext,
        req: DeleteLifecyclePolicyRequest,
    ) -> Result<DeleteLifecyclePolicyResponse> {
        let mut old = None;
        let r = self.change_repository(
            ctx,
            req.registry_id.as_deref(),
            &req.repository_name,
            "ecr:DeleteLifecyclePolicy",
            |r| {
                old = Some(r.lifecycle_policy.take().ok_or_else(|| no_policy(r))?);
                Ok(())
            },
        )?;
        Ok(DeleteLifecyclePolicyResponse {
            registry_id: Some(r.account),
            repository_name: Some(r.name),
            lifecycle_policy_text: old,
            last_evaluated_at: r.lifecycle_updated_at,
        })
    }

    pub(crate) fn start_lifecycle_policy_preview(
        &self,
        ctx: &RequestContext,
        req: StartLifecyclePolicyPreviewRequest,
    ) -> Result<StartLifecyclePolicyPreviewResponse> {
        let mut text = req.lifecycle_policy_text.clone();
        let r = self.change_repository(
            ctx,
            req.registry_id.as_deref(),
            &req.repository_name,
            "ecr:StartLifecyclePolicyPreview",
            |r| {
                let t = match text.clone().or_else(|| r.lifecycle_policy.clone()) {
                    Some(t) => t,
                    None => return Err(no_policy(r)),
                };
                parse(&t)?;
                r.lifecycle_preview = Some(t.clone());
                text = Some(t);
                Ok(())
            },
        )?;
        // The preview is computed when it is read, over the images as they are then: it
        // is complete at once.
        Ok(StartLifecyclePolicyPreviewResponse {
            registry_id: Some(r.account),
            repository_name: Some(r.name),
            lifecycle_policy_text: text,
            status: Some(LifecyclePolicyPreviewStatus::InProgress),
        })
    }

    pub(crate) fn get_lifecycle_policy_preview(
        &self,
        ctx: &RequestContext,
        req: GetLifecyclePolicyPreviewRequest,
    ) -> Result<GetLifecyclePolicyPreviewResponse> {
        let account = registry_of(ctx, req.registry_id.as_deref())?;
        let name = required(&req.repository_name, "repositoryName")?;
        let state = self.db.snapshot();
        let r = content::repository(&state, &account, name)?;
        self.may(ctx, &r, "ecr:GetLifecyclePolicyPreview")?;
        let text = r.lifecycle_preview.clone().ok_or_else(|| {
            EcrError::LifecyclePolicyPreviewNotFound(format!(
                "There is no dry run for the repository with name '{name}' in the registry with id '{account}'"
            ))
        })?;
        let policy = parse(&text)?;
        let all = verdicts(&state, &r, &policy, self.now());
        let wanted_tag_status = req.filter.as_ref().and_then(|f| f.tag_status.clone());
        let wanted_ids = req.image_ids.clone();
        let results = all.iter().filter_map(|v| {
            let image = state.resolve(&account, name, &v.digest)?;
            let tags = state.tags_of(&account, name, &v.digest);
            let keep = match wanted_tag_status {
                Some(TagStatus::Tagged) => !tags.is_empty(),
                Some(TagStatus::Untagged) => tags.is_empty(),
                _ => true,
            } && wanted_ids.as_ref().is_none_or(|ids| {
                ids.iter().any(|id| {
                    id.image_digest.as_deref() == Some(&v.digest)
                        || id.image_tag.as_ref().is_some_and(|t| tags.contains(t))
                })
            });
            keep.then(|| {
                (
                    format!("{:010}{}", v.rule_priority, v.digest),
                    LifecyclePolicyPreviewResult {
                        image_tags: (!tags.is_empty()).then_some(tags),
                        image_digest: Some(v.digest.clone()),
                        image_pushed_at: Some(image.pushed_at),
                        action: Some(LifecyclePolicyRuleAction {
                            r#type: Some(match v.action {
                                Action::Expire => ImageActionType::Expire,
                                Action::TransitionToArchive => ImageActionType::Transition,
                            }),
                            target_storage_class: None,
                        }),
                        applied_rule_priority: i32::try_from(v.rule_priority).ok(),
                        storage_class: Some(LifecyclePolicyStorageClass::Standard),
                    },
                )
            })
        });
        let expiring = all.iter().filter(|v| v.action == Action::Expire).count();
        let p = page(
            results,
            req.next_token.as_deref(),
            limit(req.max_results, 100),
        )?;
        Ok(GetLifecyclePolicyPreviewResponse {
            registry_id: Some(account.clone()),
            repository_name: Some(name.to_owned()),
            lifecycle_policy_text: Some(text),
            status: Some(LifecyclePolicyPreviewStatus::Complete),
            next_token: p.next_token,
            preview_results: Some(p.items),
            summary: Some(LifecyclePolicyPreviewSummary {
                expiring_image_total_count: Some(expiring as i32),
                transitioning_image_total_counts: None,
            }),
        })
    }

    /// Applies every repository's lifecycle policy now: expired images are deleted (an
    /// image an index still lists stays). Archiving is not a storage class Berth has: a
    /// transition verdict leaves the image as it is.
    pub fn sweep_lifecycle(&self) -> Result<Sweep> {
        let now = self.now();
        let state = self.db.snapshot();
        let mut sweep = Sweep::default();
        for r in state
            .repositories
            .values()
            .filter(|r| r.lifecycle_policy.is_some())
        {
            let Some(Ok(policy)) = r
                .lifecycle_policy
                .as_deref()
                .map(berth_ecr_lifecycle::parse)
            else {
                continue;
            };
            let (account, name) = (r.account.clone(), r.name.clone());
            let expired = self.db.write(|tx| {
                // Decided on the state the deletes change: an image pushed or a tag moved
                // since the snapshot counts.
                let Some(repo) = tx
                    .state
                    .repositories
                    .get(&crate::records::repo_key(&account, &name))
                    .cloned()
                else {
                    return Ok(Vec::new());
                };
                if repo.lifecycle_policy != r.lifecycle_policy {
                    return Ok(Vec::new()); // changed meanwhile: the next sweep applies it
                }
                let doomed: Vec<String> = verdicts(tx.state, &repo, &policy, now)
                    .into_iter()
                    .filter(|v| v.action == Action::Expire)
                    .map(|v| v.digest)
                    .collect();
                let mut gone = Vec::new();
                for d in &doomed {
                    if delete_image_in(tx, &account, &name, d, now)?.is_ok() {
                        gone.push(d.clone());
                    }
                }
                let mut rec = (*repo).clone();
                rec.lifecycle_updated_at = Some(now);
                tx.put(rec)?;
                Ok(gone)
            })?;
            if !expired.is_empty() {
                tracing::info!(repository = %name, count = expired.len(), "lifecycle policy expired images");
            }
            sweep.expired.extend(
                expired
                    .into_iter()
                    .map(|d| (format!("{account}/{name}"), d)),
            );
        }
        Ok(sweep)
    }
}
