//! The keys IAM made, as the server's authentication asks for them, and the decisions on
//! what their users may do (their inline policies, by berth-iam-policy).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use berth_aws::identity::{Identities, Identity};
use berth_aws::RequestContext;
use berth_iam_policy::{evaluate, Decision, Kind, Policy, Principal, Request};

use crate::records::{user_key, KeyRec, UserRec};
use crate::Iam;

/// A user's parsed policies, kept while its record is the same one (the cache holds the
/// record, so a replaced one can never share its address).
type Parsed = (Arc<UserRec>, Arc<Vec<Policy>>, bool);
/// A key's identity (its secret opened), kept while its and its user's records are the same.
type Opened = (Arc<KeyRec>, Arc<UserRec>, Identity);
/// A decision on (user, action, resource), kept while the user's record is the same one.
type Decided = (Arc<UserRec>, Result<(), String>);
/// Decisions kept at most (the cache starts over beyond).
const MAX_DECISIONS: usize = 10_000;

/// [`Identities`] over IAM's access keys: a key's user is its principal, and the user's
/// policies decide its calls.
pub struct IamIdentities {
    iam: Arc<Iam>,
    parsed: RwLock<HashMap<String, Parsed>>,
    opened: RwLock<HashMap<String, Opened>>,
    decided: RwLock<HashMap<String, Decided>>,
}

impl IamIdentities {
    pub fn new(iam: Arc<Iam>) -> Self {
        IamIdentities {
            iam,
            parsed: RwLock::new(HashMap::new()),
            opened: RwLock::new(HashMap::new()),
            decided: RwLock::new(HashMap::new()),
        }
    }

    /// The user's policies, parsed once per version of its record, and whether none of them
    /// looks at the time (then a decision holds until the record changes).
    fn policies_of(&self, key: &str, user: &Arc<UserRec>) -> (Arc<Vec<Policy>>, bool) {
        if let Some((u, p, timeless)) = self
            .parsed
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
        {
            if Arc::ptr_eq(u, user) {
                return (p.clone(), *timeless);
            }
        }
        let timeless = user.policies.values().all(|d| {
            let d = d.to_ascii_lowercase();
            !d.contains("aws:currenttime") && !d.contains("aws:epochtime")
        });
        // Stored documents passed the same parse when they were put.
        let parsed: Vec<Policy> = user
            .policies
            .values()
            .filter_map(|d| Policy::parse(d, Kind::Identity).ok())
            .collect();
        let parsed = Arc::new(parsed);
        self.parsed
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.to_owned(), (user.clone(), parsed.clone(), timeless));
        (parsed, timeless)
    }
}

impl Identities for IamIdentities {
    fn lookup(&self, access_key_id: &str) -> Option<Identity> {
        let state = self.iam.db.snapshot();
        let key = state.keys.get(access_key_id)?;
        let user = state.users.get(&user_key(&key.account, &key.user))?;
        // Opening the secret is the dear part: once per version of the key and its user.
        if let Some((k, u, identity)) = self
            .opened
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(access_key_id)
        {
            if Arc::ptr_eq(k, key) && Arc::ptr_eq(u, user) {
                return Some(identity.clone());
            }
        }
        let secret = match self.iam.ring.open(&key.sealed_secret, &key.id) {
            Ok(s) => String::from_utf8(s).ok()?,
            Err(e) => {
                tracing::error!(error = %e, key = %key.id, "an access key's secret does not open");
                return None;
            }
        };
        let identity = Identity {
            secret_access_key: secret,
            account: key.account.clone(),
            principal: user.arn.clone(),
            principal_id: user.id.clone(),
            active: key.status == "Active",
        };
        self.opened
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                access_key_id.to_owned(),
                (key.clone(), user.clone(), identity.clone()),
            );
        Some(identity)
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
        // Every context key but the time is the same for the same user, action and resource:
        // unless a policy looks at the time, the decision can be kept.
        let (policies, timeless) = self.policies_of(&key, &user);
        let memo = format!("{key}\u{1}{action}\u{1}{resource}");
        if timeless {
            let cache = self.decided.read().unwrap_or_else(|p| p.into_inner());
            if let Some((u, d)) = cache.get(&memo) {
                if Arc::ptr_eq(u, &user) {
                    return d.clone();
                }
            }
        }
        let decision = self.decide(ctx, &policies, action, resource, &denied);
        if timeless {
            let mut cache = self.decided.write().unwrap_or_else(|p| p.into_inner());
            if cache.len() >= MAX_DECISIONS {
                cache.clear();
            }
            cache.insert(memo, (user.clone(), decision.clone()));
        }
        decision
    }
}

impl IamIdentities {
    /// Evaluates the user's policies for one call.
    fn decide(
        &self,
        ctx: &RequestContext,
        policies: &[Policy],
        action: &str,
        resource: &str,
        denied: &dyn Fn(&str) -> String,
    ) -> Result<(), String> {
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
