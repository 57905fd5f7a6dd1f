//! The request a policy is asked about: who, what, on which resource, and
//! the context keys conditions test. The caller builds it; this crate reads
//! no clock and no network, so `aws:CurrentTime` or `aws:SourceIp` are
//! whatever the caller puts in.

use std::collections::BTreeMap;

/// Who makes the request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Principal {
    /// The principal's ARN: an IAM user or role, an assumed-role session
    /// (`arn:aws:sts::111122223333:assumed-role/deploy/ci-42`), a federated
    /// user, or an account's root (`arn:aws:iam::111122223333:root`). Empty
    /// for an AWS service acting as itself.
    pub arn: String,
    /// The 12-digit account the principal belongs to; empty for a service.
    pub account: String,
    /// The service principal (`ecs-tasks.amazonaws.com`) when a service acts
    /// as itself; matched by `{"Service": ...}`.
    pub service: Option<String>,
    /// The identity provider of a federated caller (`cognito-identity.amazonaws.com`,
    /// or a SAML/OIDC provider ARN); matched by `{"Federated": ...}`.
    pub federated: Option<String>,
}

impl Principal {
    /// An IAM principal, its account read from the ARN's fifth field.
    pub fn from_arn(arn: impl Into<String>) -> Principal {
        let arn = arn.into();
        let account = arn.split(':').nth(4).unwrap_or_default().to_owned();
        Principal {
            arn,
            account,
            service: None,
            federated: None,
        }
    }

    /// An AWS service acting as itself.
    pub fn service(name: impl Into<String>) -> Principal {
        Principal {
            service: Some(name.into()),
            ..Principal::default()
        }
    }

    /// A caller authenticated by an identity provider (for role trust policies).
    pub fn federated(provider: impl Into<String>) -> Principal {
        Principal {
            federated: Some(provider.into()),
            ..Principal::default()
        }
    }
}

/// A context key's value: one string, or a list for multi-valued keys
/// (`aws:TagKeys`). Numbers, dates, booleans and addresses are strings too,
/// in the form a policy would write them (`"10"`, `"2024-05-01T12:00:00Z"`,
/// `"true"`, `"203.0.113.7"`); binary values are base64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextValue {
    One(String),
    Many(Vec<String>),
}

impl From<&str> for ContextValue {
    fn from(value: &str) -> Self {
        ContextValue::One(value.to_owned())
    }
}

impl From<String> for ContextValue {
    fn from(value: String) -> Self {
        ContextValue::One(value)
    }
}

impl From<bool> for ContextValue {
    fn from(value: bool) -> Self {
        ContextValue::One(value.to_string())
    }
}

impl From<Vec<String>> for ContextValue {
    fn from(values: Vec<String>) -> Self {
        ContextValue::Many(values)
    }
}

impl From<Vec<&str>> for ContextValue {
    fn from(values: Vec<&str>) -> Self {
        ContextValue::Many(values.into_iter().map(str::to_owned).collect())
    }
}

/// The request's context keys. Key names are case-insensitive, as in IAM
/// (`aws:SourceIp` and `AWS:SOURCEIP` are one key).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Context {
    keys: BTreeMap<String, ContextValue>,
}

impl Context {
    /// Sets `key`, replacing any value it had.
    pub fn insert(&mut self, key: &str, value: impl Into<ContextValue>) {
        self.keys.insert(key.to_lowercase(), value.into());
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &str) -> Option<ContextValue> {
        self.keys.remove(&key.to_lowercase())
    }

    /// The value of `key`, if the request has it.
    pub fn get(&self, key: &str) -> Option<&ContextValue> {
        self.lookup(&key.to_lowercase())
    }

    /// The value of an already lower-cased key.
    pub(crate) fn lookup(&self, lower_key: &str) -> Option<&ContextValue> {
        self.keys.get(lower_key)
    }
}

/// One request to authorize.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub principal: Principal,
    /// `service:Action`, like `ecr:BatchGetImage` (matched case-insensitively).
    pub action: String,
    /// The resource's ARN (matched case-sensitively).
    pub resource: String,
    pub context: Context,
}

impl Request {
    /// A request with the context keys that follow from its principal:
    /// `aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:PrincipalServiceName`
    /// and, for an IAM user, `aws:username` — each only when it has a value.
    /// Everything else (`aws:CurrentTime`, `aws:SourceIp`, tags, service
    /// keys) is the caller's to add with [`Request::with`].
    pub fn new(
        principal: Principal,
        action: impl Into<String>,
        resource: impl Into<String>,
    ) -> Request {
        let mut context = Context::default();
        if !principal.arn.is_empty() {
            context.insert("aws:PrincipalArn", principal.arn.as_str());
        }
        if !principal.account.is_empty() {
            context.insert("aws:PrincipalAccount", principal.account.as_str());
        }
        if let Some(service) = &principal.service {
            context.insert("aws:PrincipalServiceName", service.as_str());
        }
        if let Some(user) = user_name(&principal.arn) {
            context.insert("aws:username", user);
        }
        Request {
            principal,
            action: action.into(),
            resource: resource.into(),
            context,
        }
    }

    /// The request with one more context key.
    pub fn with(mut self, key: &str, value: impl Into<ContextValue>) -> Request {
        self.context.insert(key, value);
        self
    }
}

/// `Bob` from `arn:aws:iam::111122223333:user/division/Bob`.
fn user_name(arn: &str) -> Option<&str> {
    let mut fields = arn.splitn(6, ':');
    let (Some("arn"), Some(_), Some("iam"), Some(_), Some(_), Some(resource)) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        return None;
    };
    resource
        .strip_prefix("user/")?
        .rsplit('/')
        .next()
        .filter(|name| !name.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principal_keys_follow_from_the_principal() {
        let user = Request::new(
            Principal::from_arn("arn:aws:iam::111122223333:user/ops/Bob"),
            "ecr:GetLogin",
            "*",
        );
        assert_eq!(user.principal.account, "111122223333");
        assert_eq!(
            user.context.get("aws:username"),
            Some(&ContextValue::One("Bob".into()))
        );
        assert_eq!(
            user.context.get("AWS:PRINCIPALACCOUNT"),
            Some(&ContextValue::One("111122223333".into()))
        );

        let role = Request::new(
            Principal::from_arn("arn:aws:sts::111122223333:assumed-role/r/s"),
            "a:b",
            "*",
        );
        assert_eq!(role.context.get("aws:username"), None);

        let service = Request::new(
            Principal::service("ecs-tasks.amazonaws.com"),
            "sts:AssumeRole",
            "*",
        )
        .with("aws:SourceAccount", "111122223333");
        assert_eq!(service.context.get("aws:PrincipalArn"), None);
        assert!(service.context.get("aws:PrincipalServiceName").is_some());
        assert!(service.context.get("aws:sourceaccount").is_some());
    }

    #[test]
    fn a_malformed_arn_has_no_account() {
        assert_eq!(Principal::from_arn("nobody").account, "");
    }
}
