//! Repository creation templates: the settings of repositories ECR creates itself (for a
//! pull through cache, for replication, or on a push to a repository that does not exist),
//! chosen by the longest matching prefix, `ROOT` for every other repository.

use berth_aws::RequestContext;
use berth_ecr_model::shapes::*;

use super::lifecycle::parse as parse_lifecycle;
use super::policies::check_policy;
use super::repositories::check_mutability;
use super::{limit, page, required};
use crate::content::valid_repository_name;
use crate::error::{EcrError, Result};
use crate::Ecr;

/// ECR's quota of templates per registry.
const MAX_TEMPLATES: usize = 50;

fn not_found(prefix: &str, account: &str) -> EcrError {
    EcrError::TemplateNotFound(format!(
        "The repository creation template with prefix '{prefix}' does not exist in the registry with id '{account}'"
    ))
}

fn check_prefix(prefix: &str) -> Result<String> {
    let trimmed = prefix.strip_suffix('/').unwrap_or(prefix);
    if trimmed == "ROOT" || valid_repository_name(trimmed) {
        return Ok(trimmed.to_owned());
    }
    Err(EcrError::invalid(format!(
        "Invalid parameter at 'prefix' failed to satisfy constraint: 'must be a repository name prefix or ROOT' (got '{prefix}')"
    )))
}

/// Whether `template` covers repository `name`: its prefix is a leading path of the name,
/// or it is ROOT.
fn covers(prefix: &str, name: &str) -> bool {
    prefix == "ROOT"
        || name
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Checks the settings a template gives repositories.
fn check_settings(t: &RepositoryCreationTemplate) -> Result<()> {
    if let Some(m) = &t.image_tag_mutability {
        check_mutability(
            m,
            t.image_tag_mutability_exclusion_filters
                .as_deref()
                .unwrap_or_default(),
        )?;
    }
    if let Some(p) = &t.repository_policy {
        check_policy(p)?;
    }
    if let Some(l) = &t.lifecycle_policy {
        parse_lifecycle(l)?;
    }
    super::repositories::tags_of(t.resource_tags.as_deref().unwrap_or_default())?;
    if t.applied_for.as_ref().is_none_or(|a| a.is_empty()) {
        return Err(EcrError::invalid(
            "Invalid parameter at 'appliedFor' failed to satisfy constraint: 'must name REPLICATION, PULL_THROUGH_CACHE or CREATE_ON_PUSH'",
        ));
    }
    Ok(())
}

impl Ecr {
    fn templates_of(&self, account: &str) -> Vec<RepositoryCreationTemplate> {
        self.db
            .read(|s| s.registries.get(account).cloned())
            .map(|r| r.templates.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Creates repository `name` of `account` as its template for `purpose` says (default
    /// settings without one); present already is fine. Answers whether it exists now: a
    /// push creates one only where a CREATE_ON_PUSH template covers it.
    pub(crate) fn create_from_template(
        &self,
        account: &str,
        name: &str,
        purpose: RCTAppliedFor,
    ) -> Result<bool> {
        let template = self
            .templates_of(account)
            .into_iter()
            .filter(|t| t.applied_for.iter().flatten().any(|a| *a == purpose))
            .filter(|t| covers(t.prefix.as_deref().unwrap_or_default(), name))
            .max_by_key(|t| match t.prefix.as_deref() {
                Some("ROOT") | None => 0,
                Some(p) => p.len(),
            });
        if template.is_none() && purpose == RCTAppliedFor::CreateOnPush {
            return Ok(false);
        }
        let t = template.unwrap_or_default();
        let ctx = RequestContext::for_account(account, self.region());
        let req = CreateRepositoryRequest {
            repository_name: Some(name.to_owned()),
            image_tag_mutability: t.image_tag_mutability.clone(),
            image_tag_mutability_exclusion_filters: t
                .image_tag_mutability_exclusion_filters
                .clone(),
            encryption_configuration: t.encryption_configuration.as_ref().map(|e| {
                EncryptionConfiguration {
                    encryption_type: e.encryption_type.clone(),
                    kms_key: e.kms_key.clone(),
                }
            }),
            tags: t.resource_tags.clone(),
            ..Default::default()
        };
        match self.create_repository_with(&ctx, req, t.repository_policy, t.lifecycle_policy) {
            Ok(_) => Ok(true),
            Err(EcrError::RepositoryAlreadyExists(_)) => {
                // A concurrent request (another layer of the same push) created it, perhaps
                // not durably yet, and reads see only durable state: a write that changes
                // nothing waits for it, so the caller's next read finds the repository.
                self.db.write(|_| Ok(()))?;
                Ok(true)
            }
            Err(e) => Err(e),
        }
    }

    pub(crate) fn create_repository_creation_template(
        &self,
        ctx: &RequestContext,
        req: CreateRepositoryCreationTemplateRequest,
    ) -> Result<CreateRepositoryCreationTemplateResponse> {
        let prefix = check_prefix(required(&req.prefix, "prefix")?)?;
        let now = self.now();
        let template = RepositoryCreationTemplate {
            prefix: Some(prefix.clone()),
            description: req.description,
            encryption_configuration: req.encryption_configuration,
            resource_tags: req.resource_tags,
            image_tag_mutability: req.image_tag_mutability,
            image_tag_mutability_exclusion_filters: req.image_tag_mutability_exclusion_filters,
            repository_policy: req.repository_policy,
            lifecycle_policy: req.lifecycle_policy,
            applied_for: req.applied_for,
            custom_role_arn: req.custom_role_arn,
            created_at: Some(now),
            updated_at: Some(now),
        };
        check_settings(&template)?;
        let account = ctx.account.clone();
        self.change_registry(ctx, |r| {
            if r.templates.contains_key(&prefix) {
                return Err(EcrError::TemplateAlreadyExists(format!(
                    "A repository creation template with prefix '{prefix}' already exists in the registry with id '{account}'"
                )));
            }
            if r.templates.len() >= MAX_TEMPLATES {
                return Err(EcrError::LimitExceeded(format!(
                    "The maximum number of repository creation templates ({MAX_TEMPLATES}) has been reached"
                )));
            }
            r.templates.insert(prefix.clone(), template.clone());
            Ok(())
        })?;
        Ok(CreateRepositoryCreationTemplateResponse {
            registry_id: Some(ctx.account.clone()),
            repository_creation_template: Some(template),
        })
    }

    pub(crate) fn describe_repository_creation_templates(
        &self,
        ctx: &RequestContext,
        req: DescribeRepositoryCreationTemplatesRequest,
    ) -> Result<DescribeRepositoryCreationTemplatesResponse> {
        let all = self.templates_of(&ctx.account);
        let chosen: Vec<RepositoryCreationTemplate> = match &req.prefixes {
            Some(prefixes) => {
                let wanted: Vec<String> = prefixes
                    .iter()
                    .map(|p| check_prefix(p))
                    .collect::<Result<_>>()?;
                all.into_iter()
                    .filter(|t| wanted.iter().any(|w| t.prefix.as_deref() == Some(w)))
                    .collect()
            }
            None => all,
        };
        let items = chosen
            .into_iter()
            .map(|t| (t.prefix.clone().unwrap_or_default(), t));
        let p = page(
            items,
            req.next_token.as_deref(),
            limit(req.max_results, 100),
        )?;
        Ok(DescribeRepositoryCreationTemplatesResponse {
            registry_id: Some(ctx.account.clone()),
            repository_creation_templates: Some(p.items),
            next_token: p.next_token,
        })
    }

    pub(crate) fn update_repository_creation_template(
        &self,
        ctx: &RequestContext,
        req: UpdateRepositoryCreationTemplateRequest,
    ) -> Result<UpdateRepositoryCreationTemplateResponse> {
        let prefix = check_prefix(required(&req.prefix, "prefix")?)?;
        let now = self.now();
        let account = ctx.account.clone();
        let template = self.change_registry(ctx, |r| {
            let t = r
                .templates
                .get_mut(&prefix)
                .ok_or_else(|| not_found(&prefix, &account))?;
            let mut next = t.clone();
            macro_rules! given {
                ($($field:ident),*) => { $( if req.$field.is_some() { next.$field = req.$field.clone(); } )* };
            }
            given!(
                description,
                encryption_configuration,
                resource_tags,
                image_tag_mutability,
                image_tag_mutability_exclusion_filters,
                repository_policy,
                lifecycle_policy,
                applied_for,
                custom_role_arn
            );
            next.updated_at = Some(now);
            check_settings(&next)?;
            *t = next;
            Ok(())
        })?;
        Ok(UpdateRepositoryCreationTemplateResponse {
            registry_id: Some(ctx.account.clone()),
            repository_creation_template: template.templates.get(&prefix).cloned(),
        })
    }

    pub(crate) fn delete_repository_creation_template(
        &self,
        ctx: &RequestContext,
        req: DeleteRepositoryCreationTemplateRequest,
    ) -> Result<DeleteRepositoryCreationTemplateResponse> {
        let prefix = check_prefix(required(&req.prefix, "prefix")?)?;
        let account = ctx.account.clone();
        let mut removed = None;
        self.change_registry(ctx, |r| {
            removed = Some(
                r.templates
                    .remove(&prefix)
                    .ok_or_else(|| not_found(&prefix, &account))?,
            );
            Ok(())
        })?;
        Ok(DeleteRepositoryCreationTemplateResponse {
            registry_id: Some(ctx.account.clone()),
            repository_creation_template: removed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_cover_their_namespace_only() {
        assert!(covers("prod", "prod/web"));
        assert!(covers("prod/team", "prod/team/web"));
        assert!(!covers("prod", "production/web"));
        assert!(!covers("prod", "prod"));
        assert!(covers("ROOT", "anything"));
        assert_eq!(check_prefix("prod/").ok().as_deref(), Some("prod"));
        assert!(check_prefix("Prod").is_err());
    }
}
