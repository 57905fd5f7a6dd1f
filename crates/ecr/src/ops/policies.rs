//! Repository and registry policies (Set/Get/DeleteRepositoryPolicy,
//! Put/Get/DeleteRegistryPolicy), the registry's settings (DescribeRegistry,
//! PutReplicationConfiguration), and [`Ecr::may`]: who may act on a repository.

use berth_aws::RequestContext;
use berth_ecr_model::shapes::*;

use super::{registry_of, required};
use crate::error::{EcrError, Result};
use crate::records::{RegistryRec, RepositoryRec};
use crate::Ecr;

/// A policy document as ECR takes it: JSON with at least one statement.
pub(crate) fn check_policy(text: &str) -> Result<()> {
    crate::access::parse_policy(text)
        .map(|_| ())
        .map_err(|e| EcrError::invalid(format!(
            "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided': {e}"
        )))
}

impl Ecr {
    /// Whether the caller may do `action` on `repo`: always in its own registry; in
    /// another account's only where that repository's policy allows it.
    pub(crate) fn may(
        &self,
        ctx: &RequestContext,
        repo: &RepositoryRec,
        action: &str,
    ) -> Result<()> {
        let arn = super::repository_arn(ctx, &repo.account, &repo.name);
        crate::access::check(&ctx.account, &ctx.principal, repo, action, &arn)
            .map_err(EcrError::AccessDenied)
    }

    pub(crate) fn set_repository_policy(
        &self,
        ctx: &RequestContext,
        req: SetRepositoryPolicyRequest,
    ) -> Result<SetRepositoryPolicyResponse> {
        let text = required(&req.policy_text, "policyText")?.to_owned();
        check_policy(&text)?;
        let r = self.change_repository(
            ctx,
            req.registry_id.as_deref(),
            &req.repository_name,
            "ecr:SetRepositoryPolicy",
            |r| {
                r.policy = Some(text.clone());
                Ok(())
            },
        )?;
        Ok(SetRepositoryPolicyResponse {
            registry_id: Some(r.account),
            repository_name: Some(r.name),
            policy_text: Some(text),
        })
    }

    pub(crate) fn get_repository_policy(
        &self,
        ctx: &RequestContext,
        req: GetRepositoryPolicyRequest,
    ) -> Result<GetRepositoryPolicyResponse> {
        let account = registry_of(ctx, req.registry_id.as_deref())?;
        let name = required(&req.repository_name, "repositoryName")?;
        let r = self
            .db
            .read(|s| crate::content::repository(s, &account, name))?;
        self.may(ctx, &r, "ecr:GetRepositoryPolicy")?;
        let text = r.policy.clone().ok_or_else(|| no_repository_policy(&r))?;
        Ok(GetRepositoryPolicyResponse {
            registry_id: Some(r.account.clone()),
            repository_name: Some(r.name.clone()),
            policy_text: Some(text),
        })
    }

    pub(crate) fn delete_repository_policy(
        &self,
        ctx: &RequestContext,
        req: DeleteRepositoryPolicyRequest,
    ) -> Result<DeleteRepositoryPolicyResponse> {
        let mut old = None;
        let r = self.change_repository(
            ctx,
            req.registry_id.as_deref(),
            &req.repository_name,
            "ecr:DeleteRepositoryPolicy",
            |r| {
                old = Some(r.policy.take().ok_or_else(|| no_repository_policy(r))?);
                Ok(())
            },
        )?;
        Ok(DeleteRepositoryPolicyResponse {
            registry_id: Some(r.account),
            repository_name: Some(r.name),
            policy_text: old,
        })
    }

    pub(crate) fn change_registry(
        &self,
        ctx: &RequestContext,
        change: impl FnOnce(&mut RegistryRec) -> Result<()>,
    ) -> Result<RegistryRec> {
        self.db.write(|tx| {
            let mut r = tx
                .state
                .registries
                .get(&ctx.account)
                .map(|r| (**r).clone())
                .unwrap_or_else(|| RegistryRec {
                    account: ctx.account.clone(),
                    ..Default::default()
                });
            change(&mut r)?;
            tx.put(r.clone())?;
            Ok(r)
        })
    }

    fn registry(&self, account: &str) -> RegistryRec {
        self.db
            .read(|s| s.registries.get(account).map(|r| (**r).clone()))
            .unwrap_or_else(|| RegistryRec {
                account: account.to_owned(),
                ..Default::default()
            })
    }

    pub(crate) fn put_registry_policy(
        &self,
        ctx: &RequestContext,
        req: PutRegistryPolicyRequest,
    ) -> Result<PutRegistryPolicyResponse> {
        let text = required(&req.policy_text, "policyText")?.to_owned();
        check_policy(&text)?;
        self.change_registry(ctx, |r| {
            r.policy = Some(text.clone());
            Ok(())
        })?;
        Ok(PutRegistryPolicyResponse {
            registry_id: Some(ctx.account.clone()),
            policy_text: Some(text),
        })
    }

    pub(crate) fn get_registry_policy(
        &self,
        ctx: &RequestContext,
        _req: GetRegistryPolicyRequest,
    ) -> Result<GetRegistryPolicyResponse> {
        let text = self
            .registry(&ctx.account)
            .policy
            .ok_or_else(|| no_registry_policy(&ctx.account))?;
        Ok(GetRegistryPolicyResponse {
            registry_id: Some(ctx.account.clone()),
            policy_text: Some(text),
        })
    }

    pub(crate) fn delete_registry_policy(
        &self,
        ctx: &RequestContext,
        _req: DeleteRegistryPolicyRequest,
    ) -> Result<DeleteRegistryPolicyResponse> {
        let mut old = None;
        self.change_registry(ctx, |r| {
            old = Some(
                r.policy
                    .take()
                    .ok_or_else(|| no_registry_policy(&ctx.account))?,
            );
            Ok(())
        })?;
        Ok(DeleteRegistryPolicyResponse {
            registry_id: Some(ctx.account.clone()),
            policy_text: old,
        })
    }

    pub(crate) fn describe_registry(
        &self,
        ctx: &RequestContext,
        _req: DescribeRegistryRequest,
    ) -> Result<DescribeRegistryResponse> {
        Ok(DescribeRegistryResponse {
            registry_id: Some(ctx.account.clone()),
            replication_configuration: Some(self.registry(&ctx.account).replication.unwrap_or(
                ReplicationConfiguration {
                    rules: Some(Vec::new()),
                },
            )),
        })
    }

    pub(crate) fn put_replication_configuration(
        &self,
        ctx: &RequestContext,
        req: PutReplicationConfigurationRequest,
    ) -> Result<PutReplicationConfigurationResponse> {
        let config = req
            .replication_configuration
            .ok_or_else(|| super::missing("replicationConfiguration"))?;
        for rule in config.rules.iter().flatten() {
            for d in rule.destinations.iter().flatten() {
                let registry = registry_of(ctx, d.registry_id.as_deref())?;
                super::replication::check_destination(
                    ctx,
                    d.region.as_deref().unwrap_or_default(),
                    &registry,
                )?;
                let region = d.region.as_deref().unwrap_or_default();
                if region.is_empty()
                    || !region
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                {
                    return Err(EcrError::invalid(format!(
                        "Invalid parameter at 'region' failed to satisfy constraint: 'is not a region name' (got '{region}')"
                    )));
                }
            }
        }
        self.change_registry(ctx, |r| {
            r.replication = Some(config.clone());
            Ok(())
        })?;
        Ok(PutReplicationConfigurationResponse {
            replication_configuration: Some(config),
        })
    }
}

fn no_repository_policy(r: &RepositoryRec) -> EcrError {
    EcrError::RepositoryPolicyNotFound(format!(
        "Repository policy does not exist for the repository with name '{}' in the registry with id '{}'",
        r.name, r.account
    ))
}

fn no_registry_policy(account: &str) -> EcrError {
    EcrError::RegistryPolicyNotFound(format!(
        "Registry policy does not exist in the registry with id '{account}'"
    ))
}
