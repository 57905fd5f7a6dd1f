//! After `berth sealing-key rotate`: access keys' secrets and server certificates' private
//! keys sealed by an older key are sealed again under the current one, a batch at a time.

use std::sync::Arc;

use crate::error::Result;
use crate::records::{KeyRec, ServerCertRec};
use crate::Iam;

impl Iam {
    /// Seals again up to `max` key secrets and private keys an older key sealed; answers how
    /// many.
    pub fn reseal(&self, max: usize) -> Result<usize> {
        let keys = self.reseal_access_keys(max)?;
        Ok(keys + self.reseal_server_certs(max.saturating_sub(keys))?)
    }

    fn reseal_server_certs(&self, max: usize) -> Result<usize> {
        let state = self.db.snapshot();
        let stale: Vec<Arc<ServerCertRec>> = state
            .server_certs
            .values()
            .filter(|c| !self.ring.is_current(&c.sealed_key))
            .take(max)
            .cloned()
            .collect();
        let mut fresh = Vec::with_capacity(stale.len());
        for c in &stale {
            if let Some(sealed) = self.ring.reseal(&c.sealed_key, &c.id)? {
                fresh.push((c.clone(), sealed));
            }
        }
        if fresh.is_empty() {
            return Ok(0);
        }
        self.db.write(|tx| {
            for (c, sealed) in &fresh {
                let key = crate::records::user_key(&c.account, &c.name);
                // Unless it changed in between (then the next round sees it again).
                if tx
                    .state
                    .server_certs
                    .get(&key)
                    .is_some_and(|now| now.sealed_key == c.sealed_key)
                {
                    let mut n = (**c).clone();
                    n.sealed_key = sealed.clone();
                    tx.put(n)?;
                }
            }
            Ok(())
        })?;
        Ok(fresh.len())
    }

    fn reseal_access_keys(&self, max: usize) -> Result<usize> {
        let state = self.db.snapshot();
        let stale: Vec<Arc<KeyRec>> = state
            .keys
            .values()
            .filter(|k| !self.ring.is_current(&k.sealed_secret))
            .take(max)
            .cloned()
            .collect();
        let mut fresh = Vec::with_capacity(stale.len());
        for k in &stale {
            if let Some(sealed) = self.ring.reseal(&k.sealed_secret, &k.id)? {
                fresh.push((k.clone(), sealed));
            }
        }
        if fresh.is_empty() {
            return Ok(0);
        }
        self.db.write(|tx| {
            for (k, sealed) in &fresh {
                // Unless it changed in between (then the next round sees it again).
                if tx
                    .state
                    .keys
                    .get(&k.id)
                    .is_some_and(|c| c.sealed_secret == k.sealed_secret)
                {
                    let mut n = (**k).clone();
                    n.sealed_secret = sealed.clone();
                    tx.put(n)?;
                }
            }
            Ok(())
        })?;
        Ok(fresh.len())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use berth_aws::clock::SystemClock;
    use berth_aws::identity::Identities;
    use berth_aws::RequestContext;
    use berth_iam_model::Operation;

    use crate::{Iam, IamIdentities};

    #[test]
    fn key_secrets_move_to_the_current_key_and_still_sign() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("keys");
        let store = Arc::new(berth_store::MemStore::default());
        let ring = berth_sealing::KeyRing::load_or_create(&path).expect("ring");
        let iam = Iam::open(store.clone(), Arc::new(ring), Arc::new(SystemClock)).expect("iam");
        let ctx = RequestContext::for_account("123456789012", "us-east-1");
        iam.handle(&ctx, Operation::CreateUser, br#"{"UserName":"ci"}"#)
            .expect("user");
        let out = iam
            .handle(&ctx, Operation::CreateAccessKey, br#"{"UserName":"ci"}"#)
            .expect("key");
        let key: serde_json::Value = serde_json::from_slice(&out).expect("json");
        let id = key["AccessKey"]["AccessKeyId"]
            .as_str()
            .expect("id")
            .to_owned();
        let secret = key["AccessKey"]["SecretAccessKey"]
            .as_str()
            .expect("s")
            .to_owned();
        drop(iam);

        berth_sealing::KeyRing::rotate(&path).expect("rotate");
        let ring = Arc::new(berth_sealing::KeyRing::load(&path).expect("ring"));
        let iam = Arc::new(Iam::open(store, ring.clone(), Arc::new(SystemClock)).expect("iam"));
        assert_eq!(iam.reseal(10).expect("reseal"), 1);
        assert_eq!(iam.reseal(10).expect("again"), 0);
        let sealed = iam
            .db
            .read(|s| s.keys.get(&id).map(|k| k.sealed_secret.clone()));
        assert!(sealed.is_some_and(|s| ring.is_current(&s)));
        let who = IamIdentities::new(iam).lookup(&id, None).expect("known");
        assert_eq!(who.secret_access_key, secret);
    }
}
