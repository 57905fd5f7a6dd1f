//! Who is calling: SigV4 verified against the configured keys, or — in open mode — any key,
//! acting in the account it names.

use std::collections::HashMap;
use std::time::SystemTime;

use berth_aws::{AwsError, RequestContext};
use berth_sigv4::{AuthError, CredentialProvider, Secret};

use crate::config::{Config, Credential, DEFAULT_ACCOUNT};

pub struct Keys {
    keys: HashMap<String, Credential>,
    open: bool,
    region: String,
}

impl CredentialProvider for Keys {
    fn lookup(&self, access_key_id: &str) -> Option<Secret> {
        self.keys.get(access_key_id).map(|c| Secret {
            secret_access_key: c.secret_access_key.clone(),
            account_id: c.account_id.clone(),
        })
    }
}

/// A caller that authenticated, and the service its credential scope names.
pub struct Caller {
    pub ctx: RequestContext,
    pub signing_name: String,
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
        }
    }

    /// Authenticates a request; its context carries `request_id`.
    pub fn authenticate(
        &self,
        req: &berth_sigv4::Request<'_>,
        request_id: &str,
    ) -> Result<Caller, AwsError> {
        let (key, account, region, service) =
            match berth_sigv4::verify(req, self, SystemTime::now()) {
                Ok(v) => (v.access_key_id, v.account_id, v.region, v.service),
                Err(AuthError::UnrecognizedClient) if self.open => {
                    let scope = berth_sigv4::credential_scope(req)
                        .ok_or_else(|| auth_error(AuthError::UnrecognizedClient))?;
                    let account = account_of(&scope.access_key_id);
                    (scope.access_key_id, account, scope.region, scope.service)
                }
                Err(e) => return Err(auth_error(e)),
            };
        if region != self.region {
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
                principal: format!("arn:aws:iam::{account}:root"),
                region,
                account,
                access_key_id: key,
                request_id: request_id.to_owned(),
            },
            signing_name: service,
        })
    }
}

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
