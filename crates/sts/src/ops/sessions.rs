//! AssumeRole and GetSessionToken: temporary credentials whose token is the sealed session
//! (`tokens.rs`), and the same for AWS services acting on a role's behalf (ECS's tasks).

use std::sync::Arc;

use berth_aws::identity::{Identity, Session};
use berth_aws::RequestContext;
use berth_iam_policy::{resource_grant, Grant, Kind, Policy, Principal, Request};
use berth_sts_model::shapes::*;

use crate::error::{Result, StsError};
use crate::roles::RoleFacts;
use crate::tokens::{self, TEMPORARY_KEY_PREFIX};
use crate::Sts;

/// Sessions last an hour unless asked otherwise; never less than 15 minutes.
const DEFAULT_ROLE_SESSION: i32 = 3600;
const MIN_SESSION: i32 = 900;
/// A session of a session (role chaining) lasts at most an hour.
const MAX_CHAINED: i32 = 3600;
/// GetSessionToken: 12 hours by default, 36 at most (an hour for an account's root).
const DEFAULT_USER_SESSION: i32 = 43_200;
const MAX_USER_SESSION: i32 = 129_600;
const MAX_ROOT_SESSION: i32 = 3600;
/// Characters a session policy may hold (whitespace not counted).
const MAX_SESSION_POLICY: usize = 2048;

/// Temporary credentials as they are answered.
#[derive(Clone, Debug)]
pub struct Minted {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    /// Epoch seconds.
    pub expires: u64,
    pub principal: String,
    pub principal_id: String,
}

impl Minted {
    fn credentials(&self) -> Credentials {
        Credentials {
            access_key_id: Some(self.access_key_id.clone()),
            secret_access_key: Some(self.secret_access_key.clone()),
            session_token: Some(self.session_token.clone()),
            expiration: Some(self.expires as f64),
        }
    }
}

/// `(account, name)` of a role ARN (`arn:aws:iam::123456789012:role/path/name`).
fn role_of(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, rest) = rest.split_once(':')?;
    let path = rest.strip_prefix("role/")?;
    let name = path.rsplit('/').next()?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty())
        .then_some((account, name))
}

fn check_session_name(name: &str) -> Result<()> {
    let ok = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
    if name.len() < 2 || name.len() > 64 || !name.chars().all(ok) {
        return Err(StsError::Validation(format!(
            "1 validation error detected: Value '{name}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
        )));
    }
    Ok(())
}

fn id(prefix: &str, len: usize) -> Result<String> {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut raw = vec![0u8; len];
    berth_sealing::random_bytes(&mut raw).map_err(|e| StsError::Internal(e.to_string()))?;
    Ok(format!(
        "{prefix}{}",
        raw.iter()
            .map(|b| CHARS[*b as usize % CHARS.len()] as char)
            .collect::<String>()
    ))
}

fn secret() -> Result<String> {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut raw = [0u8; 40];
    berth_sealing::random_bytes(&mut raw).map_err(|e| StsError::Internal(e.to_string()))?;
    Ok(raw
        .iter()
        .map(|b| CHARS[*b as usize % CHARS.len()] as char)
        .collect())
}

impl Sts {
    /// Seals a new session acting as `principal`.
    fn mint(
        &self,
        account: &str,
        principal: &str,
        principal_id: &str,
        session: Session,
    ) -> Result<Minted> {
        let access_key_id = id(TEMPORARY_KEY_PREFIX, 16)?;
        let identity = Identity {
            secret_access_key: secret()?,
            account: account.to_owned(),
            principal: principal.to_owned(),
            principal_id: principal_id.to_owned(),
            active: true,
            session: Some(Arc::new(session.clone())),
        };
        let token = tokens::mint(&self.ring, &access_key_id, &identity)
            .map_err(|e| StsError::Internal(format!("sealing a session: {e}")))?;
        Ok(Minted {
            access_key_id,
            secret_access_key: identity.secret_access_key,
            session_token: token,
            expires: session.expires,
            principal: identity.principal,
            principal_id: identity.principal_id,
        })
    }

    /// The role `arn` names, if the caller may see it.
    fn find_role(&self, arn: &str) -> Result<RoleFacts> {
        let (account, name) =
            role_of(arn).ok_or_else(|| StsError::Validation(format!("{arn} is invalid")))?;
        self.roles
            .role(account, name)
            .filter(|r| r.arn == arn)
            .ok_or_else(|| StsError::AccessDenied(format!(
                "Not authorized to perform sts:AssumeRole on resource: {arn} (the role does not exist)"
            )))
    }

    /// Whether `role`'s trust policy lets `request`'s principal assume it.
    fn trusted(role: &RoleFacts, request: &Request, who: &str) -> Result<()> {
        let trust = Policy::parse(&role.trust, Kind::Resource).map_err(|e| {
            StsError::Internal(format!(
                "the trust policy of {} does not parse: {e}",
                role.arn
            ))
        })?;
        match resource_grant(&trust, request) {
            Grant::Principal(_) | Grant::Account(_) => Ok(()),
            Grant::Denied(_) | Grant::None => Err(StsError::AccessDenied(format!(
                "{who} is not authorized to perform: sts:AssumeRole on resource: {}",
                role.arn
            ))),
        }
    }

    fn now_secs(&self) -> u64 {
        self.clock.now_millis() / 1000
    }

    pub(crate) fn assume_role(
        &self,
        ctx: &RequestContext,
        req: AssumeRoleRequest,
    ) -> Result<AssumeRoleResponse> {
        let arn = req.role_arn.clone().unwrap_or_default();
        let name = req.role_session_name.clone().unwrap_or_default();
        check_session_name(&name)?;
        let role = self.find_role(&arn)?;
        let chained = ctx.principal.contains(":assumed-role/");
        let max = if chained {
            MAX_CHAINED.min(role.max_session)
        } else {
            role.max_session
        };
        let duration = req
            .duration_seconds
            .unwrap_or(DEFAULT_ROLE_SESSION.min(max));
        if duration < MIN_SESSION || duration > max {
            return Err(StsError::Validation(format!(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role ({max} seconds)."
            )));
        }
        let mut policies = Vec::new();
        if let Some(doc) = &req.policy {
            Policy::parse(doc, Kind::Identity)
                .map_err(|e| StsError::MalformedPolicy(format!("The policy is not valid: {e}")))?;
            let size = doc.chars().filter(|c| !c.is_whitespace()).count();
            if size > MAX_SESSION_POLICY {
                return Err(StsError::PackedPolicyTooLarge(format!(
                    "The session policy holds {size} characters; at most {MAX_SESSION_POLICY} are allowed."
                )));
            }
            policies.push(doc.clone());
        }
        let policy_arns: Vec<String> = req
            .policy_arns
            .iter()
            .flatten()
            .filter_map(|p| p.arn.clone())
            .collect();
        let tags: Vec<(String, String)> = req
            .tags
            .iter()
            .flatten()
            .map(|t| {
                (
                    t.key.clone().unwrap_or_default(),
                    t.value.clone().unwrap_or_default(),
                )
            })
            .collect();
        let mut request = Request::new(
            Principal::from_arn(ctx.principal.as_str()),
            "sts:AssumeRole",
            role.arn.as_str(),
        )
        .with("sts:RoleSessionName", name.as_str());
        if let Some(x) = &req.external_id {
            request = request.with("sts:ExternalId", x.as_str());
        }
        if let Some(ip) = &ctx.source_ip {
            request = request.with("aws:SourceIp", ip.as_str());
        }
        Self::trusted(&role, &request, &ctx.principal)?;
        let minted = self.mint_for_role(
            &role,
            &name,
            duration,
            Session {
                policies,
                policy_arns,
                tags,
                ..Session::default()
            },
        )?;
        Ok(AssumeRoleResponse {
            credentials: Some(minted.credentials()),
            assumed_role_user: Some(AssumedRoleUser {
                assumed_role_id: Some(minted.principal_id.clone()),
                arn: Some(minted.principal.clone()),
            }),
            // How much of the room for session policies they take, in percent.
            packed_policy_size: req.policy.as_ref().map(|d| {
                let size = d.chars().filter(|c| !c.is_whitespace()).count();
                i32::try_from(size * 100 / MAX_SESSION_POLICY).unwrap_or(100)
            }),
            source_identity: req.source_identity.clone(),
            ..Default::default()
        })
    }

    pub(crate) fn get_session_token(
        &self,
        ctx: &RequestContext,
        req: GetSessionTokenRequest,
    ) -> Result<GetSessionTokenResponse> {
        if ctx.access_key_id.starts_with(TEMPORARY_KEY_PREFIX) {
            return Err(StsError::AccessDenied(
                "Cannot call GetSessionToken with session credentials".into(),
            ));
        }
        let root = ctx.principal.ends_with(":root");
        let max = if root {
            MAX_ROOT_SESSION
        } else {
            MAX_USER_SESSION
        };
        let duration = req.duration_seconds.unwrap_or(if root {
            MAX_ROOT_SESSION
        } else {
            DEFAULT_USER_SESSION
        });
        if duration < MIN_SESSION || duration > max {
            return Err(StsError::Validation(format!(
                "1 validation error detected: Value '{duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value between {MIN_SESSION} and {max}"
            )));
        }
        let now = self.now_secs();
        let minted = self.mint(
            &ctx.account,
            &ctx.principal,
            &ctx.principal_id,
            Session {
                issued: now,
                expires: now + u64::try_from(duration).unwrap_or(0),
                restricted: true,
                ..Session::default()
            },
        )?;
        Ok(GetSessionTokenResponse {
            credentials: Some(minted.credentials()),
            ..Default::default()
        })
    }

    /// Credentials for `role_arn` that AWS service `service` (`ecs-tasks.amazonaws.com`)
    /// asks for on its callers' behalf: the role's trust policy must name the service.
    pub fn assume_role_for_service(
        &self,
        role_arn: &str,
        service: &str,
        session_name: &str,
        duration_seconds: Option<i32>,
    ) -> Result<Minted> {
        check_session_name(session_name)?;
        let role = self.find_role(role_arn)?;
        let request = Request::new(
            Principal::service(service),
            "sts:AssumeRole",
            role.arn.as_str(),
        );
        Self::trusted(&role, &request, service)?;
        let duration = duration_seconds
            .unwrap_or(role.max_session)
            .clamp(MIN_SESSION, role.max_session.max(MIN_SESSION));
        self.mint_for_role(&role, session_name, duration, Session::default())
    }

    /// Seals a session of `role` named `session_name` for `duration` seconds from now;
    /// `session` gives its policies and tags.
    fn mint_for_role(
        &self,
        role: &RoleFacts,
        session_name: &str,
        duration: i32,
        session: Session,
    ) -> Result<Minted> {
        let (account, name) = role_of(&role.arn)
            .ok_or_else(|| StsError::Validation(format!("{} is invalid", role.arn)))?;
        let now = self.now_secs();
        self.mint(
            account,
            &format!("arn:aws:sts::{account}:assumed-role/{name}/{session_name}"),
            &format!("{}:{session_name}", role.id),
            Session {
                role_arn: Some(role.arn.clone()),
                issued: now,
                expires: now + u64::try_from(duration).unwrap_or(0),
                ..session
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_name_their_account_and_role() {
        assert_eq!(
            role_of("arn:aws:iam::123456789012:role/app"),
            Some(("123456789012", "app"))
        );
        assert_eq!(
            role_of("arn:aws:iam::123456789012:role/team/app"),
            Some(("123456789012", "app"))
        );
        assert_eq!(role_of("arn:aws:iam::123:role/app"), None);
        assert_eq!(role_of("arn:aws:iam::123456789012:user/app"), None);
    }

    struct OneRole(String);

    impl crate::roles::Roles for OneRole {
        fn role(&self, account: &str, name: &str) -> Option<RoleFacts> {
            (account == "123456789012" && name == "app").then(|| RoleFacts {
                arn: "arn:aws:iam::123456789012:role/app".into(),
                id: "AROAAPP".into(),
                trust: self.0.clone(),
                max_session: 3600,
            })
        }
    }

    fn sts(trust: &str) -> Sts {
        let dir = std::env::temp_dir().join(format!("berth-sts-svc-{}", std::process::id()));
        let ring = berth_sealing::KeyRing::load_or_create(&dir.join("keys")).expect("ring");
        Sts::new(
            Arc::new(ring),
            Arc::new(berth_aws::clock::SystemClock),
            Arc::new(OneRole(trust.into())),
        )
    }

    #[test]
    fn a_service_gets_a_roles_credentials_only_if_the_role_trusts_it() {
        let trusting = sts(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}}"#,
        );
        let arn = "arn:aws:iam::123456789012:role/app";
        let m = trusting
            .assume_role_for_service(arn, "ecs-tasks.amazonaws.com", "task-1", None)
            .expect("trusted");
        assert_eq!(
            m.principal,
            "arn:aws:sts::123456789012:assumed-role/app/task-1"
        );
        assert_eq!(m.principal_id, "AROAAPP:task-1");
        assert!(m.access_key_id.starts_with("ASIA"));
        let who = trusting
            .open_session(&m.access_key_id, &m.session_token)
            .expect("opens");
        let session = who.session.expect("a session");
        assert_eq!(session.role_arn.as_deref(), Some(arn));
        assert_eq!(session.expires - session.issued, 3600);
        assert!(trusting
            .assume_role_for_service(arn, "lambda.amazonaws.com", "task-1", None)
            .is_err());
        let accounts_only = sts(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}}"#,
        );
        assert!(matches!(
            accounts_only.assume_role_for_service(arn, "ecs-tasks.amazonaws.com", "task-2", None),
            Err(StsError::AccessDenied(_))
        ));
    }

    #[test]
    fn session_names_follow_sts_rules() {
        assert!(check_session_name("build-17@ci").is_ok());
        for bad in ["x", "a b", &"y".repeat(65)] {
            assert!(check_session_name(bad).is_err(), "{bad}");
        }
    }
}
