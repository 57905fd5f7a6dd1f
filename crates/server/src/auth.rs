//! Who is calling: SigV4 verified against the configured keys, then the keys services made
//! (IAM users', through [`Identities`]), or — in open mode — any other key, acting in the
//! account it names.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use berth_aws::identity::{Identities, Identity};
use berth_aws::{AwsError, RequestContext};
use berth_sigv4::{AuthError, CredentialProvider, Secret};

use crate::config::{Config, Credential, DEFAULT_ACCOUNT};

pub struct Keys {
    keys: HashMap<String, Credential>,
    open: bool,
    region: String,
    /// Keys services made; set once when the server is wired.
    identities: OnceLock<Arc<dyn Identities>>,
}

/// The keys one request is verified against: the configured ones, and the made key it names
/// (looked up once per request).
struct ForRequest<'a> {
    keys: &'a Keys,
    made: Option<&'a Identity>,
}

impl CredentialProvider for ForRequest<'_> {
    fn lookup(&self, access_key_id: &str) -> Option<Secret> {
        if let Some(c) = self.keys.keys.get(access_key_id) {
            return Some(Secret {
                secret_access_key: c.secret_access_key.clone(),
                account_id: c.account_id.clone(),
            });
        }
        self.made.filter(|i| i.active).map(|i| Secret {
            secret_access_key: i.secret_access_key.clone(),
            account_id: i.account.clone(),
        })
    }
}

/// A caller that authenticated, and the service its credential scope names.
pub struct Caller {
    pub ctx: RequestContext,
    pub signing_name: String,
    /// Signed with a key a service made (an IAM user's, STS's temporary credentials): its
    /// policies decide.
    pub made: Option<Identity>,
}

impl Keys {
    pub fn new(config: &Config) -> Self {
        Keys {
            keys: config
                .credentials
                .iter()
                .map(|c| (c.access_key_id.clone(), c.clone()))
                .collect(),
            open: config.open_auth,
            region: config.region.clone(),
            identities: OnceLock::new(),
        }
    }

    /// Consults `identities` for keys that are not configured.
    pub fn set_identities(&self, identities: Arc<dyn Identities>) {
        let _ = self.identities.set(identities);
    }

    /// Decides a call of a caller signing with a key a service made; the others (configured
    /// keys: accounts' roots) may do everything.
    pub fn authorize(
        &self,
        caller: &Caller,
        action: &str,
        resource: &str,
        resource_policy: Option<&str>,
    ) -> Result<(), String> {
        match (self.identities.get(), &caller.made) {
            (Some(ids), Some(identity)) => {
                ids.authorize(&caller.ctx, identity, action, resource, resource_policy)
            }
            _ => Ok(()),
        }
    }

    /// A key a service made, if it is one (not a configured key).
    fn made(&self, access_key_id: &str, token: Option<&str>) -> Option<Identity> {
        if self.keys.contains_key(access_key_id) {
            return None;
        }
        self.identities.get()?.lookup(access_key_id, token)
    }

    /// Authenticates a request; its context carries `request_id`.
    /// `signing_region` tells the region a service's clients sign with, if not this
    /// endpoint's (IAM's `us-east-1`).
    pub fn authenticate(
        &self,
        req: &berth_sigv4::Request<'_>,
        request_id: &str,
        signing_region: impl Fn(&str) -> Option<&'static str>,
    ) -> Result<Caller, AwsError> {
        let token = berth_sigv4::security_token(req);
        let made = berth_sigv4::credential_scope(req)
            .and_then(|s| self.made(&s.access_key_id, token.as_deref()));
        if made.as_ref().is_some_and(|i| !i.active) {
            return Err(AwsError::new(
                403,
                "InvalidClientTokenId",
                "The security token included in the request is invalid: the access key is inactive.",
            ));
        }
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        if made
            .as_ref()
            .and_then(|i| i.session.as_ref())
            .is_some_and(|s| s.expires <= now)
        {
            return Err(AwsError::new(
                403,
                EXPIRED_TOKEN,
                "The security token included in the request is expired",
            ));
        }
        let (key, account, region, service) = match berth_sigv4::verify(
            req,
            &ForRequest {
                keys: self,
                made: made.as_ref(),
            },
            SystemTime::now(),
        ) {
            Ok(v) => (v.access_key_id, v.account_id, v.region, v.service),
            Err(AuthError::UnrecognizedClient) if self.open && made.is_none() => {
                let scope = berth_sigv4::credential_scope(req)
                    .ok_or_else(|| auth_error(AuthError::UnrecognizedClient))?;
                let account = account_of(&scope.access_key_id);
                (scope.access_key_id, account, scope.region, scope.service)
            }
            Err(e) => return Err(auth_error(e)),
        };
        if region != self.region && signing_region(&service) != Some(region.as_str()) {
            return Err(AwsError::new(
                403,
                "InvalidSignatureException",
                format!(
                    "Credential should be scoped to a valid region, not '{region}'. This endpoint serves '{}'.",
                    self.region
                ),
            ));
        }
        Ok(Caller {
            ctx: RequestContext {
                partition: "aws".into(),
                principal: made
                    .as_ref()
                    .map(|i| i.principal.clone())
                    .unwrap_or_else(|| format!("arn:aws:iam::{account}:root")),
                principal_id: made
                    .as_ref()
                    .map(|i| i.principal_id.clone())
                    .unwrap_or_else(|| account.clone()),
                // A global service's clients sign for `us-east-1`; the call acts here.
                region: self.region.clone(),
                account,
                access_key_id: key,
                request_id: request_id.to_owned(),
                source_ip: None,
            },
            signing_name: service,
            made,
        })
    }
}

/// The code of an expired session token's refusal (AWS JSON services'; Query's is
/// `ExpiredToken`).
pub const EXPIRED_TOKEN: &str = "ExpiredTokenException";

/// The account an unconfigured key acts in: the key itself if it is 12 digits.
fn account_of(access_key_id: &str) -> String {
    if access_key_id.len() == 12 && access_key_id.bytes().all(|b| b.is_ascii_digit()) {
        access_key_id.to_owned()
    } else {
        DEFAULT_ACCOUNT.to_owned()
    }
}

fn auth_error(e: AuthError) -> AwsError {
    AwsError::new(e.status(), e.code(), e.message())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_twelve_digit_key_names_its_account() {
        assert_eq!(account_of("123456789012"), "123456789012");
        assert_eq!(account_of("12345678901"), DEFAULT_ACCOUNT);
        assert_eq!(account_of("AKIAEXAMPLE"), DEFAULT_ACCOUNT);
        assert_eq!(account_of("12345678901x"), DEFAULT_ACCOUNT);
    }
}
