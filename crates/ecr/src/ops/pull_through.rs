//! Pull through cache rules: Create/Describe/Update/Delete/ValidatePullThroughCacheRule.
//! The registry fills a cache repository on its first pull (`crate::registry::pull_through`).

use berth_aws::RequestContext;
use berth_ecr_model::shapes::*;

use super::{limit, page, registry_of, required};
use crate::content::valid_repository_name;
use crate::error::{EcrError, Result};
use crate::records::{PullThroughRule, RegistryRec};
use crate::Ecr;

/// ECR's quota of rules per registry.
const MAX_RULES: usize = 50;

fn not_found(prefix: &str, account: &str) -> EcrError {
    EcrError::PullThroughCacheRuleNotFound(format!(
        "The pull through cache rule with prefix '{prefix}' does not exist in the registry with id '{account}'"
    ))
}

/// A prefix as ECR keeps it: without its implied trailing `/`.
fn check_prefix(prefix: &str, member: &str) -> Result<String> {
    let trimmed = prefix.strip_suffix('/').unwrap_or(prefix);
    if trimmed == "ROOT" || (trimmed.len() >= 2 && valid_repository_name(trimmed)) {
        return Ok(trimmed.to_owned());
    }
    Err(EcrError::invalid(format!(
        "Invalid parameter at '{member}' failed to satisfy constraint: 'must be a repository name prefix of 2 to 30 characters, or ROOT' (got '{prefix}')"
    )))
}

/// The upstream's base URL: the URL as given, or `https://` before a bare host as ECR
/// reads it.
pub(crate) fn upstream_base(url: &str) -> String {
    let url = url.trim_end_matches('/');
    if url.starts_with("http://") || url.starts_with("https://") {
        url.to_owned()
    } else {
        format!("https://{url}")
    }
}

fn check_url(url: &str) -> Result<()> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .unwrap_or(url);
    let host = rest.strip_suffix('/').unwrap_or(rest);
    let ok = !host.is_empty()
        && !host.contains(['/', '?', '#', ' ', '@'])
        && host.parse::<axum::http::uri::Authority>().is_ok();
    if ok {
        Ok(())
    } else {
        Err(EcrError::invalid(format!(
            "Invalid parameter at 'upstreamRegistryUrl' failed to satisfy constraint: 'must be a registry host or http(s)://host[:port]' (got '{url}')"
        )))
    }
}

fn view(account: &str, r: &PullThroughRule) -> PullThroughCacheRule {
    PullThroughCacheRule {
        ecr_repository_prefix: Some(r.prefix.clone()),
        upstream_registry_url: Some(r.upstream_url.clone()),
        created_at: Some(r.created_at),
        registry_id: Some(account.to_owned()),
        credential_arn: r.credential_arn.clone(),
        custom_role_arn: r.custom_role_arn.clone(),
        upstream_repository_prefix: r.upstream_prefix.clone(),
        upstream_registry: r.upstream_registry.as_deref().map(UpstreamRegistry::parse),
        updated_at: Some(r.updated_at),
    }
}

impl Ecr {
    fn own_registry(&self, ctx: &RequestContext, id: Option<&str>) -> Result<String> {
        let account = registry_of(ctx, id)?;
        if account != ctx.account {
            return Err(EcrError::AccessDenied(format!(
                "Pull through cache rules are managed in the caller's own registry ({}), not in {account}.",
                ctx.account
            )));
        }
        Ok(account)
    }

    fn rules_of(&self, account: &str) -> Vec<PullThroughRule> {
        self.db
            .read(|s| s.registries.get(account).cloned())
            .map(|r| r.pull_through.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Changes one registry's rules in one write.
    fn change_rules<T>(
        &self,
        account: &str,
        change: impl FnOnce(&mut RegistryRec) -> Result<T>,
    ) -> Result<T> {
        self.db.write(|tx| {
            let mut r = tx
                .state
                .registries
                .get(account)
                .map(|r| (**r).clone())
                .unwrap_or_else(|| RegistryRec {
                    account: account.to_owned(),
                    ..Default::default()
                });
            let out = change(&mut r)?;
            tx.put(r)?;
            Ok(out)
        })
    }

    /// The rule whose prefix covers repository `repo` of `account` (the longest; ROOT last).
    pub(crate) fn pull_through_rule(&self, account: &str, repo: &str) -> Option<PullThroughRule> {
        self.rules_of(account)
            .into_iter()
            .filter(|r| r.upstream_repository(repo).is_some())
            .max_by_key(|r| {
                if r.prefix == "ROOT" {
                    0
                } else {
                    r.prefix.len()
                }
            })
    }

    pub(crate) fn create_pull_through_cache_rule(
        &self,
        ctx: &RequestContext,
        req: CreatePullThroughCacheRuleRequest,
    ) -> Result<CreatePullThroughCacheRuleResponse> {
        let account = self.own_registry(ctx, req.registry_id.as_deref())?;
        let prefix = check_prefix(
            required(&req.ecr_repository_prefix, "ecrRepositoryPrefix")?,
            "ecrRepositoryPrefix",
        )?;
        let url = required(&req.upstream_registry_url, "upstreamRegistryUrl")?.to_owned();
        check_url(&url)?;
        let upstream_prefix = req
            .upstream_repository_prefix
            .as_deref()
            .map(|p| check_prefix(p, "upstreamRepositoryPrefix"))
            .transpose()?;
        let now = self.now();
        let rule = PullThroughRule {
            prefix: prefix.clone(),
            upstream_url: url,
            upstream_registry: req
                .upstream_registry
                .as_ref()
                .map(|u| u.as_str().to_owned()),
            upstream_prefix,
            credential_arn: req.credential_arn.clone(),
            custom_role_arn: req.custom_role_arn.clone(),
            created_at: now,
            updated_at: now,
        };
        self.change_rules(&account, |r| {
            if r.pull_through.contains_key(&prefix) {
                return Err(EcrError::PullThroughCacheRuleAlreadyExists(format!(
                    "A pull through cache rule with prefix '{prefix}' already exists in the registry with id '{account}'"
                )));
            }
            if r.pull_through.len() >= MAX_RULES {
                return Err(EcrError::LimitExceeded(format!(
                    "The maximum number of pull through cache rules ({MAX_RULES}) has been reached"
                )));
            }
            r.pull_through.insert(prefix.clone(), rule.clone());
            Ok(())
        })?;
        Ok(CreatePullThroughCacheRuleResponse {
            ecr_repository_prefix: Some(rule.prefix),
            upstream_registry_url: Some(rule.upstream_url),
            created_at: Some(rule.created_at),
            registry_id: Some(account),
            upstream_registry: req.upstream_registry,
            credential_arn: rule.credential_arn,
            custom_role_arn: rule.custom_role_arn,
            upstream_repository_prefix: rule.upstream_prefix,
        })
    }

    pub(crate) fn describe_pull_through_cache_rules(
        &self,
        ctx: &RequestContext,
        req: DescribePullThroughCacheRulesRequest,
    ) -> Result<DescribePullThroughCacheRulesResponse> {
        let account = self.own_registry(ctx, req.registry_id.as_deref())?;
        let rules = self.rules_of(&account);
        let chosen: Vec<PullThroughRule> = match &req.ecr_repository_prefixes {
            Some(prefixes) => {
                let mut out = Vec::new();
                for p in prefixes {
                    let p = check_prefix(p, "ecrRepositoryPrefixes")?;
                    let rule = rules.iter().find(|r| r.prefix == p);
                    out.push(rule.cloned().ok_or_else(|| not_found(&p, &account))?);
                }
                out
            }
            None => rules,
        };
        let size = limit(req.max_results, 100);
        let items = chosen.into_iter().map(|r| (r.prefix.clone(), r));
        let p = page(items, req.next_token.as_deref(), size)?;
        Ok(DescribePullThroughCacheRulesResponse {
            pull_through_cache_rules: Some(p.items.iter().map(|r| view(&account, r)).collect()),
            next_token: p.next_token,
        })
    }

    pub(crate) fn update_pull_through_cache_rule(
        &self,
        ctx: &RequestContext,
        req: UpdatePullThroughCacheRuleRequest,
    ) -> Result<UpdatePullThroughCacheRuleResponse> {
        let account = self.own_registry(ctx, req.registry_id.as_deref())?;
        let prefix = check_prefix(
            required(&req.ecr_repository_prefix, "ecrRepositoryPrefix")?,
            "ecrRepositoryPrefix",
        )?;
        let now = self.now();
        let rule = self.change_rules(&account, |r| {
            let rule = r
                .pull_through
                .get_mut(&prefix)
                .ok_or_else(|| not_found(&prefix, &account))?;
            if req.credential_arn.is_some() {
                rule.credential_arn = req.credential_arn.clone();
            }
            if req.custom_role_arn.is_some() {
                rule.custom_role_arn = req.custom_role_arn.clone();
            }
            rule.updated_at = now;
            Ok(rule.clone())
        })?;
        Ok(UpdatePullThroughCacheRuleResponse {
            ecr_repository_prefix: Some(rule.prefix),
            registry_id: Some(account),
            updated_at: Some(rule.updated_at),
            credential_arn: rule.credential_arn,
            custom_role_arn: rule.custom_role_arn,
            upstream_repository_prefix: rule.upstream_prefix,
        })
    }

    pub(crate) fn delete_pull_through_cache_rule(
        &self,
        ctx: &RequestContext,
        req: DeletePullThroughCacheRuleRequest,
    ) -> Result<DeletePullThroughCacheRuleResponse> {
        let account = self.own_registry(ctx, req.registry_id.as_deref())?;
        let prefix = check_prefix(
            required(&req.ecr_repository_prefix, "ecrRepositoryPrefix")?,
            "ecrRepositoryPrefix",
        )?;
        let rule = self.change_rules(&account, |r| {
            r.pull_through
                .remove(&prefix)
                .ok_or_else(|| not_found(&prefix, &account))
        })?;
        Ok(DeletePullThroughCacheRuleResponse {
            ecr_repository_prefix: Some(rule.prefix),
            upstream_registry_url: Some(rule.upstream_url),
            created_at: Some(rule.created_at),
            registry_id: Some(account),
            credential_arn: rule.credential_arn,
            custom_role_arn: rule.custom_role_arn,
            upstream_repository_prefix: rule.upstream_prefix,
        })
    }

    pub(crate) fn validate_pull_through_cache_rule(
        &self,
        ctx: &RequestContext,
        req: ValidatePullThroughCacheRuleRequest,
    ) -> Result<ValidatePullThroughCacheRuleResponse> {
        let account = self.own_registry(ctx, req.registry_id.as_deref())?;
        let prefix = check_prefix(
            required(&req.ecr_repository_prefix, "ecrRepositoryPrefix")?,
            "ecrRepositoryPrefix",
        )?;
        let rule = self
            .rules_of(&account)
            .into_iter()
            .find(|r| r.prefix == prefix)
            .ok_or_else(|| not_found(&prefix, &account))?;
        // The handler runs on the blocking pool: the check may wait for the upstream.
        let upstream = self.upstream.clone();
        let base = upstream_base(&rule.upstream_url);
        let reached = match tokio::runtime::Handle::try_current() {
            Ok(h) => h.block_on(upstream.ping(&base)),
            Err(_) => Err(crate::upstream::UpstreamError::Unavailable(
                "no runtime to reach the upstream from".into(),
            )),
        };
        Ok(ValidatePullThroughCacheRuleResponse {
            ecr_repository_prefix: Some(rule.prefix),
            registry_id: Some(account),
            upstream_registry_url: Some(rule.upstream_url),
            credential_arn: rule.credential_arn,
            custom_role_arn: rule.custom_role_arn,
            upstream_repository_prefix: rule.upstream_prefix,
            is_valid: Some(reached.is_ok()),
            failure: reached.err().map(|e| e.to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_urls_are_checked() {
        assert_eq!(
            check_prefix("docker-hub/", "p").ok().as_deref(),
            Some("docker-hub")
        );
        assert_eq!(check_prefix("ROOT", "p").ok().as_deref(), Some("ROOT"));
        for bad in ["a", "Upper", "a//b", "-x"] {
            assert!(check_prefix(bad, "p").is_err(), "{bad}");
        }
        assert_eq!(
            upstream_base("registry-1.docker.io"),
            "https://registry-1.docker.io"
        );
        assert_eq!(
            upstream_base("http://127.0.0.1:5000/"),
            "http://127.0.0.1:5000"
        );
        assert!(check_url("http://127.0.0.1:5000").is_ok());
        assert!(check_url("quay.io").is_ok());
        for bad in ["", "http://", "http://a/b", "a b", "http://u@h"] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rules_map_repositories_to_upstream_ones() {
        let rule = |prefix: &str, upstream: Option<&str>| PullThroughRule {
            prefix: prefix.into(),
            upstream_prefix: upstream.map(str::to_owned),
            ..Default::default()
        };
        let hub = rule("docker-hub", None);
        assert_eq!(
            hub.upstream_repository("docker-hub/library/nginx")
                .as_deref(),
            Some("library/nginx")
        );
        assert_eq!(hub.upstream_repository("docker-hubx/nginx"), None);
        assert_eq!(hub.upstream_repository("docker-hub"), None);
        let mapped = rule("mirror", Some("team"));
        assert_eq!(
            mapped.upstream_repository("mirror/app").as_deref(),
            Some("team/app")
        );
        let root = rule("ROOT", Some("ROOT"));
        assert_eq!(
            root.upstream_repository("any/app").as_deref(),
            Some("any/app")
        );
    }
}
