//! The keys IAM made, as the server's authentication asks for them, and the decisions on
//! what their users may do (their inline policies, by berth-iam-policy).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use berth_aws::identity::{Identities, Identity};
use berth_aws::RequestContext;
use berth_iam_policy::{evaluate, Decision, Kind, Policy, Principal, Request};

use crate::records::{user_key, UserRec};
use crate::Iam;

/// A user's parsed policies, kept while its record is the same.
type Parsed = (usize, Arc<Vec<Policy>>);

/// [`Identities`] over IAM's access keys: a key's user is its principal, and the user's
/// policies decide its calls.
pub struct IamIdentities {
    iam: Arc<Iam>,
    parsed: Mutex<HashMap<String, Parsed>>,
}

impl IamIdentities {
    pub fn new(iam: Arc<Iam>) -> Self {
        IamIdentities {
            iam,
            parsed: Mutex::new(HashMap::new()),
        }
    }

    /// The user's policies, parsed once per version of its record.
    fn policies_of(&self, key: &str, user: &Arc<UserRec>) -> Arc<Vec<Policy>> {
        let stamp = Arc::as_ptr(user) as usize;
        let mut cache = self.parsed.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((s, p)) = cache.get(key) {
            if *s == stamp {
                return p.clone();
            }
        }
        // Stored documents passed the same parse when they were put.
        let parsed: Vec<Policy> = user
            .policies
            .values()
            .filter_map(|d| Policy::parse(d, Kind::Identity).ok())
            .collect();
        let parsed = Arc::new(parsed);
        cache.insert(key.to_owned(), (stamp, parsed.clone()));
        parsed
    }
}

impl Identities for IamIdentities {
    fn lookup(&self, access_key_id: &str) -> Option<Identity> {
        let state = self.iam.db.snapshot();
        let key = state.keys.get(access_key_id)?;
        let user = state.users.get(&user_key(&key.account, &key.user))?;
        let secret = match self.iam.ring.open(&key.sealed_secret, &key.id) {
            Ok(s) => String::from_utf8(s).ok()?,
            Err(e) => {
                tracing::error!(error = %e, key = %key.id, "an access key's secret does not open");
                return None;
            }
        };
        Some(Identity {
            secret_access_key: secret,
            account: key.account.clone(),
            principal: user.arn.clone(),
            principal_id: user.id.clone(),
            active: key.status == "Active",
        })
    }

    fn authorize(&self, ctx: &RequestContext, action: &str, resource: &str) -> Result<(), String> {
        let denied = |why: &str| {
            format!(
                "User: {} is not authorized to perform: {action} on resource: {resource} {why}",
                ctx.principal
            )
        };
        let name = ctx.principal.rsplit('/').next().unwrap_or_default();
        let key = user_key(&ctx.account, name);
        let Some(user) = self.iam.db.read(|s| s.users.get(&key).cloned()) else {
            return Err(denied("because the user no longer exists"));
        };
        let policies = self.policies_of(&key, &user);
        let refs: Vec<&Policy> = policies.iter().collect();
        let now = self.iam.clock.now_millis() / 1000;
        let request = Request::new(
            Principal::from_arn(ctx.principal.as_str()),
            action,
            resource,
        )
        .with("aws:userid", ctx.principal_id.as_str())
        .with("aws:CurrentTime", rfc3339(now).as_str())
        .with("aws:EpochTime", now.to_string().as_str())
        .with("aws:SecureTransport", "false");
        match evaluate(&refs, &request) {
            Decision::Allow(_) => Ok(()),
            Decision::ExplicitDeny(by) => Err(denied(&format!(
                "with an explicit deny in an identity-based policy ({by})"
            ))),
            Decision::ImplicitDeny { .. } => Err(denied(&format!(
                "because no identity-based policy allows the {action} action"
            ))),
        }
    }
}

/// `2026-12-03T14:05:40Z` from epoch seconds (days from the civil calendar, no leap seconds).
fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn epoch_seconds_read_as_utc_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_796_306_740), "2026-12-03T14:05:40Z");
    }
}
