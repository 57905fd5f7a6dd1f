//! CreateRepository, DescribeRepositories, DeleteRepository, PutImageTagMutability,
//! PutImageScanningConfiguration.

use std::collections::BTreeMap;

use berth_aws::RequestContext;
use berth_ecr_model::shapes::*;

use super::{limit, missing, page, registry_of, required};
use crate::content::{repository, valid_repository_name};
use crate::error::{EcrError, Result};
use crate::records::*;
use crate::state::{delete_under, State};
use crate::Ecr;

pub(crate) fn check_name(name: &str) -> Result<()> {
    if valid_repository_name(name) {
        return Ok(());
    }
    Err(EcrError::invalid(format!(
        "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*'' (got '{name}')"
    )))
}

/// Exclusion filters go only with the `*_WITH_EXCLUSION` mutabilities, and those need one.
pub(crate) fn check_mutability(
    mutability: &ImageTagMutability,
    filters: &[ImageTagMutabilityExclusionFilter],
) -> Result<()> {
    let with_exclusion = matches!(
        mutability,
        ImageTagMutability::ImmutableWithExclusion | ImageTagMutability::MutableWithExclusion
    );
    if with_exclusion && filters.is_empty() {
        return Err(EcrError::invalid(format!(
            "Invalid parameter: imageTagMutabilityExclusionFilters are required with imageTagMutability {mutability}"
        )));
    }
    if !with_exclusion && !filters.is_empty() {
        return Err(EcrError::invalid(format!(
            "Invalid parameter: imageTagMutabilityExclusionFilters are only allowed with IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION, not {mutability}"
        )));
    }
    for f in filters {
        let text = f.filter.as_deref().unwrap_or_default();
        let ok = !text.is_empty()
            && text.len() <= 128
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-*".contains(c));
        if !ok || text.matches('*').count() > 2 {
            return Err(EcrError::invalid(format!(
                "Invalid parameter: the exclusion filter '{text}' must be 1-128 of [a-zA-Z0-9._-] with at most two '*' wildcards"
            )));
        }
    }
    Ok(())
}

pub(crate) fn tags_of(tags: &[Tag]) -> Result<BTreeMap<String, String>> {
    let pairs: Vec<(&str, &str)> = tags
        .iter()
        .map(|t| {
            (
                t.key.as_deref().unwrap_or_default(),
                t.value.as_deref().unwrap_or_default(),
            )
        })
        .collect();
    berth_aws::tags::check(pairs.iter().copied()).map_err(|e| match e {
        berth_aws::tags::TagError::TooMany => EcrError::TooManyTags(e.to_string()),
        e => EcrError::InvalidTagParameter(e.to_string()),
    })?;
    Ok(pairs
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect())
}

impl Ecr {
    pub(crate) fn create_repository(
        &self,
        ctx: &RequestContext,
        req: CreateRepositoryRequest,
    ) -> Result<CreateRepositoryResponse> {
        self.create_repository_with(ctx, req, None, None)
    }

    /// CreateRepository, with the repository and lifecycle policies a creation template
    /// gives it, all in one write.
    pub(crate) fn create_repository_with(
        &self,
        ctx: &RequestContext,
        req: CreateRepositoryRequest,
        policy: Option<String>,
        lifecycle_policy: Option<String>,
    ) -> Result<CreateRepositoryResponse> {
        let account = registry_of(ctx, req.registry_id.as_deref())?;
        if account != ctx.account {
            return Err(EcrError::AccessDenied(format!(
                "Repositories are created in the caller's own registry ({}), not in {account}.",
                ctx.account
            )));
        }
        let name = required(&req.repository_name, "repositoryName")?.to_owned();
        check_name(&name)?;
        let mutability = req
            .image_tag_mutability
            .clone()
            .unwrap_or(ImageTagMutability::Mutable);
        let filters = req
            .image_tag_mutability_exclusion_filters
            .clone()
            .unwrap_or_default();
        check_mutability(&mutability, &filters)?;
        let tags = tags_of(req.tags.as_deref().unwrap_or_default())?;
        let mut encryption = req.encryption_configuration.clone().unwrap_or_default();
        if encryption.encryption_type.is_none() {
            encryption.encryption_type = Some(EncryptionType::Aes256);
        }
        let rec = RepositoryRec {
            account: account.clone(),
            name: name.clone(),
            created_at: self.now(),
            tag_mutability: mutability.as_str().to_owned(),
            mutability_exclusions: filters,
            scan_on_push: req
                .image_scanning_configuration
                .as_ref()
                .and_then(|c| c.scan_on_push)
                .unwrap_or(false),
            encryption,
            tags,
            lifecycle_updated_at: lifecycle_policy.as_ref().map(|_| self.now()),
            policy,
            lifecycle_policy,
            lifecycle_preview: None,
        };
        self.db.write(|tx| {
            if tx.state.repositories.contains_key(&repo_key(&account, &name)) {
                return Err(EcrError::RepositoryAlreadyExists(format!(
                    "The repository with name '{name}' already exists in the registry with id '{account}'"
                )));
            }
            tx.put(rec.clone())
        })?;
        Ok(CreateRepositoryResponse {
            repository: Some(self.repository_view(ctx, &rec)),
        })
    }

    pub(crate) fn describe_repositories(
        &self,
        ctx: &RequestContext,
        req: DescribeRepositoriesRequest,
    ) -> Result<DescribeRepositoriesResponse> {
        let account = registry_of(ctx, req.registry_id.as_deref())?;
        let state = self.db.snapshot();
        if let Some(names) = &req.repository_names {
            let mut out = Vec::new();
            for name in names {
                let r = repository(&state, &account, name)?;
                self.may(ctx, &r, "ecr:DescribeRepositories")?;
                out.push(self.repository_view(ctx, &r));
            }
            return Ok(DescribeRepositoriesResponse {
                repositories: Some(out),
                next_token: None,
            });
        }
        let prefix = format!("{account}/");
        let items = State::under(&state.repositories, &prefix)
            .filter(|(_, r)| self.may(ctx, r, "ecr:DescribeRepositories").is_ok())
            .map(|(k, r)| (k.clone(), r.clone()));
        let p = page(
            items,
            req.next_token.as_deref(),
            limit(req.max_results, 100),
        )?;
        Ok(DescribeRepositoriesResponse {
            repositories: Some(
                p.items
                    .iter()
                    .map(|r| self.repository_view(ctx, r))
                    .collect(),
            ),
            next_token: p.next_token,
        })
    }

    pub(crate) fn delete_repository(
        &self,
        ctx: &RequestContext,
        req: DeleteRepositoryRequest,
    ) -> Result<DeleteRepositoryResponse> {
        let account = registry_of(ctx, req.registry_id.as_deref())?;
        let name = required(&req.repository_name, "repositoryName")?.to_owned();
        let force = req.force.unwrap_or(false);
        let gone = self.db.write(|tx| {
            let r = repository(tx.state, &account, &name)?;
            self.may(ctx, &r, "ecr:DeleteRepository")?;
            let children = children_of(&account, &name);
            if !force && State::under(&tx.state.images, &children).next().is_some() {
                return Err(EcrError::RepositoryNotEmpty(format!(
                    "The repository with name '{name}' in registry with id '{account}' cannot be deleted because it still contains images"
                )));
            }
            delete_under::<ImageRec>(tx, &children);
            delete_under::<TagRec>(tx, &children);
            delete_under::<RepoBlobRec>(tx, &children);
            let uploads: Vec<String> = tx
                .state
                .uploads
                .values()
                .filter(|u| u.account == account && u.repo == name)
                .map(|u| u.id.clone())
                .collect();
            for u in &uploads {
                tx.delete::<UploadRec>(u);
            }
            tx.delete::<RepositoryRec>(&repo_key(&account, &name));
            Ok((r, uploads))
        })?;
        for u in &gone.1 {
            self.blobs.remove_upload(u)?;
        }
        Ok(DeleteRepositoryResponse {
            repository: Some(self.repository_view(ctx, &gone.0)),
        })
    }

    /// Changes a repository in one write, after checking the caller may.
    pub(crate) fn change_repository(
        &self,
        ctx: &RequestContext,
        registry_id: Option<&str>,
        name: &Option<String>,
        action: &str,
        change: impl FnOnce(&mut RepositoryRec) -> Result<()>,
    ) -> Result<RepositoryRec> {
        let account = registry_of(ctx, registry_id)?;
        let name = required(name, "repositoryName")?;
        self.db.write(|tx| {
            let r = repository(tx.state, &account, name)?;
            self.may(ctx, &r, action)?;
            let mut r = (*r).clone();
            change(&mut r)?;
            tx.put(r.clone())?;
            Ok(r)
        })
    }

    pub(crate) fn put_image_tag_mutability(
        &self,
        ctx: &RequestContext,
        req: PutImageTagMutabilityRequest,
    ) -> Result<PutImageTagMutabilityResponse> {
        let mutability = req
            .image_tag_mutability
            .clone()
            .ok_or_else(|| missing("imageTagMutability"))?;
        let filters = req
            .image_tag_mutability_exclusion_filters
            .clone()
            .unwrap_or_default();
        check_mutability(&mutability, &filters)?;
        let r = self.change_repository(
            ctx,
            req.registry_id.as_deref(),
            &req.repository_name,
            "ecr:PutImageTagMutability",
            |r| {
                r.tag_mutability = mutability.as_str().to_owned();
                r.mutability_exclusions = filters.clone();
                Ok(())
            },
        )?;
        Ok(PutImageTagMutabilityResponse {
            registry_id: Some(r.account),
            repository_name: Some(r.name),
            image_tag_mutability: Some(mutability),
            image_tag_mutability_exclusion_filters: (!filters.is_empty()).then_some(filters),
        })
    }

    pub(crate) fn put_image_scanning_configuration(
        &self,
        ctx: &RequestContext,
        req: PutImageScanningConfigurationRequest,
    ) -> Result<PutImageScanningConfigurationResponse> {
        let scan_on_push = req
            .image_scanning_configuration
            .as_ref()
            .and_then(|c| c.scan_on_push)
            .unwrap_or(false);
        let r = self.change_repository(
            ctx,
            req.registry_id.as_deref(),
            &req.repository_name,
            "ecr:PutImageScanningConfiguration",
            |r| {
                r.scan_on_push = scan_on_push;
                Ok(())
            },
        )?;
        Ok(PutImageScanningConfigurationResponse {
            registry_id: Some(r.account),
            repository_name: Some(r.name),
            image_scanning_configuration: Some(ImageScanningConfiguration {
                scan_on_push: Some(scan_on_push),
            }),
        })
    }
}
