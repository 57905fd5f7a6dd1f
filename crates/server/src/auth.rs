//! SigV4 verification against the configured keys.

use std::collections::HashMap;

use berth_sigv4::{CredentialProvider, Secret};

use crate::config::Credential;

pub struct Keys(HashMap<String, Credential>);

impl Keys {
    pub fn new(creds: &[Credential]) -> Self {
        Keys(
            creds
                .iter()
                .map(|c| (c.access_key_id.clone(), c.clone()))
                .collect(),
        )
    }
}

impl CredentialProvider for Keys {
    fn lookup(&self, access_key_id: &str) -> Option<Secret> {
        self.0.get(access_key_id).map(|c| Secret {
            secret_access_key: c.secret_access_key.clone(),
            account_id: c.account_id.clone(),
        })
    }
}
