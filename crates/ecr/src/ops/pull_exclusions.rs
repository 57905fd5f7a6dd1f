//! Register/Deregister/ListPullTimeUpdateExclusions: principals whose pulls leave
//! `lastRecordedPullTime` as it is (a scanner or a mirror that reads every image would
//! otherwise keep every image "recently pulled" for lifecycle rules). Berth's principals
//! are accounts' roots until it has IAM users and roles.

use berth_aws::RequestContext;
use berth_ecr_model::shapes::*;

use super::{limit, page, required};
use crate::error::{EcrError, Result};
use crate::Ecr;

const MAX_EXCLUSIONS: usize = 100;

fn check_arn(arn: &str) -> Result<()> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[2] == "iam"
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && (parts[5] == "root" || parts[5].starts_with("user/") || parts[5].starts_with("role/"));
    if ok {
        Ok(())
    } else {
        Err(EcrError::invalid(format!(
            "Invalid parameter at 'principalArn' failed to satisfy constraint: 'must be the ARN of an IAM user, role or account root' (got '{arn}')"
        )))
    }
}

impl Ecr {
    /// Whether pulls by `principal` from `account`'s registry are left unrecorded.
    pub(crate) fn pull_excluded(&self, account: &str, principal: &str) -> bool {
        !principal.is_empty()
            && self.db.read(|s| {
                s.registries
                    .get(account)
                    .is_some_and(|r| r.pull_exclusions.contains_key(principal))
            })
    }

    pub(crate) fn register_pull_time_update_exclusion(
        &self,
        ctx: &RequestContext,
        req: RegisterPullTimeUpdateExclusionRequest,
    ) -> Result<RegisterPullTimeUpdateExclusionResponse> {
        let arn = required(&req.principal_arn, "principalArn")?.to_owned();
        check_arn(&arn)?;
        let now = self.now();
        self.change_registry(ctx, |r| {
            if r.pull_exclusions.contains_key(&arn) {
                return Err(EcrError::ExclusionAlreadyExists(format!(
                    "The principal '{arn}' is already excluded from pull time updates"
                )));
            }
            if r.pull_exclusions.len() >= MAX_EXCLUSIONS {
                return Err(EcrError::LimitExceeded(format!(
                    "A registry excludes at most {MAX_EXCLUSIONS} principals from pull time updates"
                )));
            }
            r.pull_exclusions.insert(arn.clone(), now);
            Ok(())
        })?;
        Ok(RegisterPullTimeUpdateExclusionResponse {
            principal_arn: Some(arn),
            created_at: Some(now),
        })
    }

    pub(crate) fn deregister_pull_time_update_exclusion(
        &self,
        ctx: &RequestContext,
        req: DeregisterPullTimeUpdateExclusionRequest,
    ) -> Result<DeregisterPullTimeUpdateExclusionResponse> {
        let arn = required(&req.principal_arn, "principalArn")?.to_owned();
        self.change_registry(ctx, |r| {
            r.pull_exclusions.remove(&arn).map(|_| ()).ok_or_else(|| {
                EcrError::ExclusionNotFound(format!(
                    "The principal '{arn}' is not excluded from pull time updates"
                ))
            })
        })?;
        Ok(DeregisterPullTimeUpdateExclusionResponse {
            principal_arn: Some(arn),
        })
    }

    pub(crate) fn list_pull_time_update_exclusions(
        &self,
        ctx: &RequestContext,
        req: ListPullTimeUpdateExclusionsRequest,
    ) -> Result<ListPullTimeUpdateExclusionsResponse> {
        let arns: Vec<String> = self.db.read(|s| {
            s.registries
                .get(&ctx.account)
                .map(|r| r.pull_exclusions.keys().cloned().collect())
                .unwrap_or_default()
        });
        let items = arns.into_iter().map(|a| (a.clone(), a));
        let p = page(
            items,
            req.next_token.as_deref(),
            limit(req.max_results, 100),
        )?;
        Ok(ListPullTimeUpdateExclusionsResponse {
            pull_time_update_exclusions: Some(p.items),
            next_token: p.next_token,
        })
    }
}
