//! The keys IAM made, as the server's authentication asks for them.

use std::sync::Arc;

use berth_aws::identity::{Identities, Identity};

use crate::Iam;

/// [`Identities`] over IAM's access keys: a key's user is its principal.
pub struct IamIdentities {
    iam: Arc<Iam>,
}

impl IamIdentities {
    pub fn new(iam: Arc<Iam>) -> Self {
        IamIdentities { iam }
    }
}

impl Identities for IamIdentities {
    fn lookup(&self, access_key_id: &str) -> Option<Identity> {
        let state = self.iam.db.snapshot();
        let key = state.keys.get(access_key_id)?;
        let user = state
            .users
            .get(&crate::records::user_key(&key.account, &key.user))?;
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
}
