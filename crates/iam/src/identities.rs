//! The keys IAM made, as the server's authentication asks for them, and the decisions on
//! what callers may do: a user's policies (inline and attached), an assumed role's policies
//! narrowed by its session's policies, by berth-iam-policy.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use berth_aws::identity::{Identities, Identity, Session};
use berth_aws::RequestContext;
use berth_iam_policy::{
    evaluate, resource_grant, Decision, Grant, Kind, Policy, Principal, Request,
};

use crate::ops::managed_policies;
use crate::records::{user_key, KeyRec, UserRec};
use crate::state::State;
use crate::Iam;

/// A key's identity (its secret opened), kept while its and its user's records are the same.
type Opened = (Arc<KeyRec>, Arc<UserRec>, Identity);
/// Decisions kept at most (the cache starts over beyond).
const MAX_DECISIONS: usize = 10_000;

/// What follows from one version of IAM's state: parsed policies per principal, and
/// decisions per (key, action, resource). Any IAM write starts it over.
#[derive(Default)]
struct Derived {
    state: Option<Arc<State>>,
    /// `user/<account>/<name>` or `role/<account>/<name>` → its policies, and whether none
    /// of them looks at the time.
    parsed: HashMap<String, (Arc<Vec<Policy>>, bool)>,
    decided: HashMap<String, Result<(), Denial>>,
}

/// Why a principal's own policies refuse a call: the AccessDenied message, and whether a
/// statement denied it explicitly (which a resource policy's allow cannot undo).
#[derive(Clone, Debug)]
struct Denial {
    explicit: bool,
    message: String,
}

/// [`Identities`] over IAM's access keys and policies.
pub struct IamIdentities {
    iam: Arc<Iam>,
    opened: RwLock<HashMap<String, Opened>>,
    derived: RwLock<Derived>,
}

/// Whether a document reads the time (then a decision holds only for its moment).
fn reads_time(doc: &str) -> bool {
    let d = doc.to_ascii_lowercase();
    d.contains("aws:currenttime") || d.contains("aws:epochtime")
}

/// The policies in force for a user or role: inline ones, then attached ones' default
/// versions. Stored documents passed the same parse when they were put.
fn compile<'a>(
    state: &State,
    account: &str,
    inline: impl Iterator<Item = &'a String>,
    attached: &[String],
) -> (Vec<Policy>, bool) {
    let mut docs: Vec<String> = inline.cloned().collect();
    for arn in attached {
        if let Some(m) = managed_policies::find(state, account, arn) {
            if let Some((_, doc, _)) = m.versions.iter().find(|(v, _, _)| *v == m.default_version) {
                docs.push(doc.clone());
            }
        }
    }
    let timeless = !docs.iter().any(|d| reads_time(d));
    let parsed = docs
        .iter()
        .filter_map(|d| Policy::parse(d, Kind::Identity).ok())
        .collect();
    (parsed, timeless)
}

impl IamIdentities {
    pub fn new(iam: Arc<Iam>) -> Self {
        IamIdentities {
            iam,
            opened: RwLock::new(HashMap::new()),
            derived: RwLock::new(Derived::default()),
        }
    }

    /// What `f` finds in what is derived from `state`, if that is still IAM's state (a
    /// read lock: the hit path of every call).
    fn derived_hit<R>(
        &self,
        state: &Arc<State>,
        f: impl FnOnce(&Derived) -> Option<R>,
    ) -> Option<R> {
        let d = self.derived.read().unwrap_or_else(|p| p.into_inner());
        if d.state.as_ref().is_some_and(|s| Arc::ptr_eq(s, state)) {
            f(&d)
        } else {
            None
        }
    }

    /// Runs `f` on what is derived from `state`, starting over if IAM has changed.
    fn with_derived<R>(&self, state: &Arc<State>, f: impl FnOnce(&mut Derived) -> R) -> R {
        let mut d = self.derived.write().unwrap_or_else(|p| p.into_inner());
        if !d.state.as_ref().is_some_and(|s| Arc::ptr_eq(s, state)) {
            *d = Derived {
                state: Some(state.clone()),
                ..Derived::default()
            };
        }
        f(&mut d)
    }

    /// The policies of the principal `ctx` names, and whether they are timeless; Err if
    /// it is gone.
    fn policies_of(
        &self,
        state: &Arc<State>,
        ctx: &RequestContext,
        identity: &Identity,
    ) -> Result<(Arc<Vec<Policy>>, bool), &'static str> {
        let (memo, found) = match identity.session.as_ref().and_then(|s| s.role_arn.as_ref()) {
            Some(role_arn) => {
                let name = role_arn.rsplit('/').next().unwrap_or_default();
                let key = user_key(&ctx.account, name);
                let role = state
                    .roles
                    .get(&key)
                    .ok_or("because the role no longer exists")?;
                // A role made again under the same name is another role.
                if !identity.principal_id.starts_with(&format!("{}:", role.id)) {
                    return Err("because the role no longer exists");
                }
                (
                    format!("role/{key}"),
                    (
                        role.policies.values().collect::<Vec<_>>(),
                        role.attached.clone(),
                    ),
                )
            }
            None => {
                let name = ctx.principal.rsplit('/').next().unwrap_or_default();
                let key = user_key(&ctx.account, name);
                let user = state
                    .users
                    .get(&key)
                    .ok_or("because the user no longer exists")?;
                // The user's own policies, then its groups'.
                let mut inline: Vec<&String> = user.policies.values().collect();
                let mut attached = user.attached.clone();
                for g in user
                    .groups
                    .iter()
                    .filter_map(|g| state.groups.get(&user_key(&ctx.account, g)))
                {
                    inline.extend(g.policies.values());
                    attached.extend(g.attached.iter().cloned());
                }
                (format!("user/{key}"), (inline, attached))
            }
        };
        if let Some(hit) = self.derived_hit(state, |d| d.parsed.get(&memo).cloned()) {
            return Ok(hit);
        }
        let (inline, attached) = found;
        let (parsed, timeless) = compile(state, &ctx.account, inline.into_iter(), &attached);
        let entry = (Arc::new(parsed), timeless);
        self.with_derived(state, |d| d.parsed.insert(memo, entry.clone()));
        Ok(entry)
    }

    /// A session's own policies: the documents it was given and its managed ARNs.
    fn session_policies(state: &State, account: &str, s: &Session) -> (Vec<Policy>, bool) {
        compile(state, account, s.policies.iter(), &s.policy_arns)
    }
}

impl Identities for IamIdentities {
    fn lookup(&self, access_key_id: &str, _session_token: Option<&str>) -> Option<Identity> {
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
            session: None,
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

    fn authorize(
        &self,
        ctx: &RequestContext,
        identity: &Identity,
        action: &str,
        resource: &str,
        resource_policy: Option<&str>,
    ) -> Result<(), String> {
        let own = self.authorize_identity(ctx, identity, action, resource);
        let Some(doc) = resource_policy else {
            return own.map_err(|d| d.message);
        };
        // The resource's own policy: its explicit deny wins over everything, and within the
        // account an allow naming the principal is enough on its own.
        let own = match own {
            Err(d) if d.explicit => return Err(d.message),
            other => other.map_err(|d| d.message),
        };
        // Stored policies passed the same parse when they were put.
        let Ok(policy) = Policy::parse(doc, Kind::Resource) else {
            return own;
        };
        let request = self.request(ctx, identity, action, resource);
        match resource_grant(&policy, &request) {
            Grant::Denied(by) => Err(format!(
                "User: {} is not authorized to perform: {action} on resource: {resource} with an explicit deny in a resource-based policy ({by})",
                ctx.principal
            )),
            Grant::Principal(_) => Ok(()),
            Grant::Account(_) | Grant::None => own,
        }
    }
}

impl IamIdentities {
    /// The decision of the principal's own policies (and its session's).
    fn authorize_identity(
        &self,
        ctx: &RequestContext,
        identity: &Identity,
        action: &str,
        resource: &str,
    ) -> Result<(), Denial> {
        // IAM says "User:" of every principal, sessions too.
        let refuse = |explicit: bool, why: &str| Denial {
            explicit,
            message: format!(
                "User: {} is not authorized to perform: {action} on resource: {resource} {why}",
                ctx.principal
            ),
        };
        let denied = |why: &str| refuse(false, why);
        if let Some(s) = &identity.session {
            if s.restricted && restricted(action) {
                return Err(denied(
                    "because credentials from GetSessionToken cannot call this action",
                ));
            }
        }
        let root = identity
            .session
            .as_ref()
            .is_some_and(|s| s.role_arn.is_none())
            && ctx.principal.ends_with(":root");
        if root
            && identity
                .session
                .as_ref()
                .is_some_and(|s| s.policies.is_empty() && s.policy_arns.is_empty())
        {
            return Ok(());
        }
        let state = self.iam.db.snapshot();
        let memo = format!("{}\u{1}{action}\u{1}{resource}", ctx.access_key_id);
        if let Some(d) = self.derived_hit(&state, |d| d.decided.get(&memo).cloned()) {
            return d;
        }
        let (own, mut timeless) = if root {
            (Arc::new(Vec::new()), true)
        } else {
            self.policies_of(&state, ctx, identity).map_err(denied)?
        };
        let session = identity.session.as_ref().map(|s| {
            let (p, t) = Self::session_policies(&state, &ctx.account, s);
            timeless &= t;
            p
        });
        let request = self.request(ctx, identity, action, resource);
        let decision = if root {
            Decision::Allow(berth_iam_policy::StatementRef {
                kind: Kind::Identity,
                policy: 0,
                statement: 0,
                sid: None,
            })
        } else {
            evaluate(&own.iter().collect::<Vec<_>>(), &request)
        };
        let decision = match (decision, session) {
            (Decision::ExplicitDeny(by), _) => Err(refuse(
                true,
                &format!("with an explicit deny in an identity-based policy ({by})"),
            )),
            (Decision::ImplicitDeny { .. }, _) => Err(denied(&format!(
                "because no identity-based policy allows the {action} action"
            ))),
            (Decision::Allow(_), Some(session)) if !session.is_empty() => {
                match evaluate(&session.iter().collect::<Vec<_>>(), &request) {
                    Decision::Allow(_) => Ok(()),
                    Decision::ExplicitDeny(by) => Err(refuse(
                        true,
                        &format!("with an explicit deny in a session policy ({by})"),
                    )),
                    Decision::ImplicitDeny { .. } => Err(denied(&format!(
                        "because no session policy allows the {action} action"
                    ))),
                }
            }
            (Decision::Allow(_), _) => Ok(()),
        };
        if timeless {
            self.with_derived(&state, |d| {
                if d.decided.len() >= MAX_DECISIONS {
                    d.decided.clear();
                }
                d.decided.insert(memo, decision.clone());
            });
        }
        decision
    }
}

/// What GetSessionToken's credentials may not call.
fn restricted(action: &str) -> bool {
    let lower = action.to_ascii_lowercase();
    lower.starts_with("iam:")
        || (lower.starts_with("sts:")
            && lower != "sts:assumerole"
            && lower != "sts:getcalleridentity")
}

impl IamIdentities {
    /// The request IAM's policies are evaluated against, with the context keys Berth knows.
    fn request(
        &self,
        ctx: &RequestContext,
        identity: &Identity,
        action: &str,
        resource: &str,
    ) -> Request {
        let now = self.iam.clock.now_millis() / 1000;
        let mut request = Request::new(
            Principal::from_arn(ctx.principal.as_str()),
            action,
            resource,
        )
        .with("aws:userid", ctx.principal_id.as_str())
        .with("aws:CurrentTime", rfc3339(now).as_str())
        .with("aws:EpochTime", now.to_string().as_str())
        .with("aws:SecureTransport", "false");
        if let Some(ip) = &ctx.source_ip {
            request = request.with("aws:SourceIp", ip.as_str());
        }
        if let Some(s) = &identity.session {
            request = request
                .with("aws:TokenIssueTime", rfc3339(s.issued).as_str())
                .with("aws:MultiFactorAuthPresent", "false");
            if let Some(role) = &s.role_arn {
                request = request.with("aws:PrincipalArn", role.as_str());
            }
            for (k, v) in &s.tags {
                request = request.with(&format!("aws:PrincipalTag/{k}"), v.as_str());
            }
        }
        request
    }
}

/// `2026-12-03T14:05:40Z` from epoch seconds (days from the civil calendar, no leap seconds).
pub fn rfc3339(secs: u64) -> String {
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
    use super::*;

    #[test]
    fn epoch_seconds_read_as_utc_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_796_306_740), "2026-12-03T14:05:40Z");
    }

    #[test]
    fn session_token_credentials_keep_off_iam_and_most_of_sts() {
        assert!(restricted("iam:CreateUser") && restricted("sts:GetSessionToken"));
        assert!(!restricted("sts:AssumeRole") && !restricted("sts:GetCallerIdentity"));
        assert!(!restricted("ecs:ListClusters"));
    }
}
