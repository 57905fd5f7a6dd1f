//! Put/GetRegistryScanningConfiguration: registry-wide basic scanning rules. A
//! `SCAN_ON_PUSH` rule whose wildcard filter matches a repository scans its new images on
//! push, as the repository's own `scanOnPush` does (either one is enough).

use berth_aws::RequestContext;
use berth_ecr_model::shapes::*;

use crate::content::wildcard;
use crate::error::{EcrError, Result};
use crate::state::State;
use crate::Ecr;

/// ECR's quota of rules in a registry's scanning configuration.
const MAX_RULES: usize = 2;
const MAX_FILTERS: usize = 100;

fn default_configuration() -> RegistryScanningConfiguration {
    RegistryScanningConfiguration {
        scan_type: Some(ScanType::Basic),
        rules: Some(Vec::new()),
    }
}

fn configuration_of(state: &State, account: &str) -> RegistryScanningConfiguration {
    state
        .registries
        .get(account)
        .and_then(|r| r.scanning.clone())
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_else(default_configuration)
}

/// Whether a registry rule scans the new images of `repo` on push.
pub(crate) fn scans_on_push(state: &State, account: &str, repo: &str) -> bool {
    configuration_of(state, account)
        .rules
        .iter()
        .flatten()
        .filter(|r| r.scan_frequency == Some(ScanFrequency::ScanOnPush))
        .flat_map(|r| r.repository_filters.iter().flatten())
        .any(|f| {
            wildcard(
                f.filter.as_deref().unwrap_or_default().as_bytes(),
                repo.as_bytes(),
            )
        })
}

impl Ecr {
    pub(crate) fn put_registry_scanning_configuration(
        &self,
        ctx: &RequestContext,
        req: PutRegistryScanningConfigurationRequest,
    ) -> Result<PutRegistryScanningConfigurationResponse> {
        let scan_type = req.scan_type.clone().unwrap_or(ScanType::Basic);
        if scan_type != ScanType::Basic {
            return Err(EcrError::invalid(format!(
                "Invalid parameter at 'scanType' failed to satisfy constraint: 'Berth offers BASIC scanning only' (got '{}')",
                scan_type.as_str()
            )));
        }
        let rules = req.rules.clone().unwrap_or_default();
        if rules.len() > MAX_RULES {
            return Err(EcrError::invalid(format!(
                "Invalid parameter at 'rules' failed to satisfy constraint: 'at most {MAX_RULES} rules'"
            )));
        }
        for rule in &rules {
            match rule.scan_frequency {
                Some(ScanFrequency::ScanOnPush) | Some(ScanFrequency::Manual) => {}
                _ => {
                    return Err(EcrError::invalid(
                        "Invalid parameter at 'scanFrequency' failed to satisfy constraint: 'BASIC scanning rules scan on push or manually'",
                    ))
                }
            }
            let filters = rule.repository_filters.as_deref().unwrap_or_default();
            if filters.is_empty() || filters.len() > MAX_FILTERS {
                return Err(EcrError::invalid(format!(
                    "Invalid parameter at 'repositoryFilters' failed to satisfy constraint: 'between 1 and {MAX_FILTERS} filters'"
                )));
            }
            for f in filters {
                let text = f.filter.as_deref().unwrap_or_default();
                let ok = !text.is_empty()
                    && text.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b"*._/-".contains(&b)
                    });
                if !ok {
                    return Err(EcrError::invalid(format!(
                        "Invalid parameter at 'filter' failed to satisfy constraint: 'a repository name wildcard' (got '{text}')"
                    )));
                }
            }
        }
        let config = RegistryScanningConfiguration {
            scan_type: Some(scan_type),
            rules: Some(rules),
        };
        let value = serde_json::to_value(&config)
            .map_err(|e| EcrError::Server(format!("encoding the scanning configuration: {e}")))?;
        self.change_registry(ctx, |r| {
            r.scanning = Some(value.clone());
            Ok(())
        })?;
        Ok(PutRegistryScanningConfigurationResponse {
            registry_scanning_configuration: Some(config),
        })
    }

    pub(crate) fn get_registry_scanning_configuration(
        &self,
        ctx: &RequestContext,
        _req: GetRegistryScanningConfigurationRequest,
    ) -> Result<GetRegistryScanningConfigurationResponse> {
        let config = self.db.read(|s| configuration_of(s, &ctx.account));
        Ok(GetRegistryScanningConfigurationResponse {
            registry_id: Some(ctx.account.clone()),
            scanning_configuration: Some(config),
        })
    }

    pub(crate) fn batch_get_repository_scanning_configuration(
        &self,
        ctx: &RequestContext,
        req: BatchGetRepositoryScanningConfigurationRequest,
    ) -> Result<BatchGetRepositoryScanningConfigurationResponse> {
        let names = req.repository_names.clone().unwrap_or_default();
        let state = self.db.snapshot();
        let rules = configuration_of(&state, &ctx.account)
            .rules
            .unwrap_or_default();
        let mut configs = Vec::new();
        let mut failures = Vec::new();
        for name in names {
            let Ok(repo) = crate::content::repository(&state, &ctx.account, &name) else {
                failures.push(RepositoryScanningConfigurationFailure {
                    repository_name: Some(name.clone()),
                    failure_code: Some(ScanningConfigurationFailureCode::RepositoryNotFound),
                    failure_reason: Some(format!("The repository with name '{name}' does not exist in the registry with id '{}'", ctx.account)),
                });
                continue;
            };
            let applied: Vec<ScanningRepositoryFilter> = rules
                .iter()
                .filter(|r| r.scan_frequency == Some(ScanFrequency::ScanOnPush))
                .flat_map(|r| r.repository_filters.iter().flatten())
                .filter(|f| {
                    wildcard(
                        f.filter.as_deref().unwrap_or_default().as_bytes(),
                        name.as_bytes(),
                    )
                })
                .cloned()
                .collect();
            let on_push = repo.scan_on_push || !applied.is_empty();
            configs.push(RepositoryScanningConfiguration {
                repository_arn: Some(super::repository_arn(ctx, &repo.account, &repo.name)),
                repository_name: Some(repo.name.clone()),
                scan_on_push: Some(on_push),
                scan_frequency: Some(if on_push {
                    ScanFrequency::ScanOnPush
                } else {
                    ScanFrequency::Manual
                }),
                applied_scan_filters: Some(applied),
            });
        }
        Ok(BatchGetRepositoryScanningConfigurationResponse {
            scanning_configurations: Some(configs),
            failures: Some(failures),
        })
    }
}
