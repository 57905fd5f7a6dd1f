//! Versions and staging labels: GetSecretValue, BatchGetSecretValue, PutSecretValue,
//! ListSecretVersionIds, UpdateSecretVersionStage, and the version writes CreateSecret and
//! UpdateSecret share.

use std::collections::BTreeMap;
use std::sync::Arc;

use berth_aws::RequestContext;
use berth_secretsmanager_model::shapes::*;

use super::{find, find_live, limit, page, value_of, version_id, wire_value};
use crate::error::{Result, SmError};
use crate::records::{version_key, SecretRec, ValueKind, VersionRec};
use crate::state::{State, Tx};
use crate::SecretsManager;

pub(crate) const CURRENT: &str = "AWSCURRENT";
pub(crate) const PREVIOUS: &str = "AWSPREVIOUS";
/// Versions a secret keeps; beyond, the oldest without a label go.
const MAX_VERSIONS: usize = 100;
/// Labels one version carries at most.
const MAX_STAGES: usize = 20;

/// Puts `stages` on `target` in a map of version → labels: each label leaves the version
/// that had it, and when AWSCURRENT moves, the version it leaves gets AWSPREVIOUS. Pure, so
/// the label rules are tested apart from storage.
pub(crate) fn restage(
    versions: &mut BTreeMap<String, Vec<String>>,
    target: &str,
    stages: &[String],
) {
    for stage in stages {
        let holder = versions
            .iter()
            .find(|(id, s)| id.as_str() != target && s.contains(stage))
            .map(|(id, _)| id.clone());
        if let Some(h) = &holder {
            if let Some(s) = versions.get_mut(h) {
                s.retain(|x| x != stage);
            }
            if stage == CURRENT {
                for s in versions.values_mut() {
                    s.retain(|x| x != PREVIOUS);
                }
                if let Some(s) = versions.get_mut(h) {
                    s.push(PREVIOUS.to_owned());
                }
            }
        }
        let t = versions.entry(target.to_owned()).or_default();
        if !t.contains(stage) {
            t.push(stage.clone());
        }
        if stage == CURRENT {
            t.retain(|x| x != PREVIOUS);
        }
    }
}

/// Writes the labels of `after` over the secret's versions in `tx` where they changed.
fn store_stages(
    tx: &mut Tx<'_>,
    before: &[Arc<VersionRec>],
    after: &BTreeMap<String, Vec<String>>,
) -> Result<()> {
    for v in before {
        if let Some(stages) = after.get(&v.id) {
            if stages != &v.stages {
                let mut nv = (**v).clone();
                nv.stages = stages.clone();
                tx.put(nv)?;
            }
        }
    }
    Ok(())
}

/// What [`SecretsManager::add_version`] did.
pub(crate) enum Added {
    /// A new version was written.
    New,
    /// The version existed with the same value: a retried request.
    Same,
}

impl SecretsManager {
    /// Adds version `id` holding `value` to `secret` with `stages`, in `tx`. A version of that
    /// id with another value is refused; with the same value nothing changes.
    pub(crate) fn add_version(
        &self,
        tx: &mut Tx<'_>,
        secret: &SecretRec,
        id: &str,
        value: (ValueKind, Vec<u8>),
        stages: &[String],
        now: f64,
    ) -> Result<Added> {
        let context = VersionRec::context(&secret.arn, id);
        if let Some(old) = tx
            .state
            .versions
            .get(&version_key(&secret.account, &secret.name, id))
        {
            let same = old.kind == value.0 && self.ring.open(&old.sealed, &context)? == value.1;
            return if same {
                Ok(Added::Same)
            } else {
                Err(SmError::ResourceExists(
                    "You can't modify an existing version, you can only create a new version."
                        .into(),
                ))
            };
        }
        if stages.len() > MAX_STAGES {
            return Err(SmError::LimitExceeded(format!(
                "A version can have at most {MAX_STAGES} staging labels."
            )));
        }
        let before: Vec<Arc<VersionRec>> = tx.state.versions_of(secret).cloned().collect();
        let mut labels: BTreeMap<String, Vec<String>> = before
            .iter()
            .map(|v| (v.id.clone(), v.stages.clone()))
            .collect();
        restage(&mut labels, id, stages);
        store_stages(tx, &before, &labels)?;
        tx.put(VersionRec {
            account: secret.account.clone(),
            name: secret.name.clone(),
            id: id.to_owned(),
            stages: labels.get(id).cloned().unwrap_or_default(),
            created: now,
            last_accessed: None,
            kind: value.0,
            sealed: self.ring.seal(&value.1, &context)?,
        })?;
        // Beyond the most versions kept, the oldest without labels go.
        let mut unlabelled: Vec<&Arc<VersionRec>> = before
            .iter()
            .filter(|v| labels.get(&v.id).is_none_or(|s| s.is_empty()))
            .collect();
        if before.len() + 1 > MAX_VERSIONS {
            unlabelled.sort_by(|a, b| a.created.total_cmp(&b.created));
            for v in unlabelled.iter().take(before.len() + 1 - MAX_VERSIONS) {
                tx.delete::<VersionRec>(&version_key(&v.account, &v.name, &v.id));
            }
        }
        let mut s = secret.clone();
        s.last_changed = now;
        tx.put(s)?;
        Ok(Added::New)
    }

    /// The version a request names by id and/or label (AWSCURRENT when neither).
    fn pick_version(
        state: &State,
        secret: &SecretRec,
        id: Option<&str>,
        stage: Option<&str>,
    ) -> Result<Arc<VersionRec>> {
        let by_id = |id: &str| {
            state
                .versions
                .get(&version_key(&secret.account, &secret.name, id))
                .cloned()
                .ok_or_else(|| {
                    SmError::ResourceNotFound(format!(
                        "Secrets Manager can't find the specified secret value for VersionId: {id}"
                    ))
                })
        };
        match (id, stage) {
            (Some(id), Some(stage)) => {
                let v = by_id(id)?;
                if !v.stages.iter().any(|s| s == stage) {
                    return Err(SmError::InvalidRequest(format!(
                        "You provided a VersionStage that is not associated to the provided VersionId. VersionStage: {stage}, VersionId: {id}"
                    )));
                }
                Ok(v)
            }
            (Some(id), None) => by_id(id),
            (None, stage) => {
                let stage = stage.unwrap_or(CURRENT);
                state
                    .versions_of(secret)
                    .find(|v| v.stages.iter().any(|s| s == stage))
                    .cloned()
                    .ok_or_else(|| {
                        SmError::ResourceNotFound(format!(
                            "Secrets Manager can't find the specified secret value for staging label: {stage}"
                        ))
                    })
            }
        }
    }

    fn open_value(&self, secret: &SecretRec, v: &VersionRec) -> Result<Vec<u8>> {
        Ok(self
            .ring
            .open(&v.sealed, &VersionRec::context(&secret.arn, &v.id))?)
    }

    pub(crate) fn get_secret_value(
        &self,
        ctx: &RequestContext,
        req: GetSecretValueRequest,
    ) -> Result<GetSecretValueResponse> {
        let state = self.db.snapshot();
        let secret = find_live(&state, ctx, req.secret_id.as_deref().unwrap_or_default())?;
        let v = Self::pick_version(
            &state,
            &secret,
            req.version_id.as_deref(),
            req.version_stage.as_deref(),
        )?;
        let (string, binary) = wire_value(v.kind, self.open_value(&secret, &v)?);
        stamp_access(self, &[(secret.clone(), v.clone())])?;
        Ok(GetSecretValueResponse {
            arn: Some(secret.arn.clone()),
            name: Some(secret.name.clone()),
            version_id: Some(v.id.clone()),
            secret_string: string,
            secret_binary: binary,
            version_stages: Some(v.stages.clone()),
            created_date: Some(v.created),
        })
    }

    pub(crate) fn batch_get_secret_value(
        &self,
        ctx: &RequestContext,
        req: BatchGetSecretValueRequest,
    ) -> Result<BatchGetSecretValueResponse> {
        let state = self.db.snapshot();
        let mut values = Vec::new();
        let mut errors = Vec::new();
        let mut touched = Vec::new();
        let mut next_token = None;
        let mut entry =
            |secret: &Arc<SecretRec>, v: &Arc<VersionRec>| -> Result<SecretValueEntry> {
                let (string, binary) = wire_value(v.kind, self.open_value(secret, v)?);
                touched.push((secret.clone(), v.clone()));
                Ok(SecretValueEntry {
                    arn: Some(secret.arn.clone()),
                    name: Some(secret.name.clone()),
                    version_id: Some(v.id.clone()),
                    secret_string: string,
                    secret_binary: binary,
                    version_stages: Some(v.stages.clone()),
                    created_date: Some(v.created),
                })
            };
        match (req.secret_id_list.as_ref(), req.filters.as_ref()) {
            (Some(_), Some(_)) | (None, None) => {
                return Err(SmError::param(
                    "Either 'SecretIdList' or 'Filters' must be provided, but not both.",
                ))
            }
            (Some(ids), None) => {
                if req.max_results.is_some() {
                    return Err(SmError::param(
                        "'Filters' must be provided to use 'MaxResults'.",
                    ));
                }
                for id in ids {
                    let found = find_live(&state, ctx, id).and_then(|s| {
                        let v = Self::pick_version(&state, &s, None, None)?;
                        Ok((s, v))
                    });
                    match found {
                        Ok((s, v)) => values.push(entry(&s, &v)?),
                        Err(e) => errors.push(APIErrorType {
                            secret_id: Some(id.clone()),
                            error_code: Some(e.code().to_owned()),
                            message: Some(e.to_string()),
                        }),
                    }
                }
            }
            (None, Some(filters)) => {
                let matching = super::secrets::filtered(&state, ctx, filters, false)?;
                let p = page(
                    matching,
                    req.next_token.as_deref(),
                    limit(req.max_results, 20),
                    false,
                )?;
                for s in p.items {
                    if let Ok(v) = Self::pick_version(&state, &s, None, None) {
                        values.push(entry(&s, &v)?);
                    }
                }
                next_token = p.next_token;
            }
        }
        stamp_access(self, &touched)?;
        Ok(BatchGetSecretValueResponse {
            secret_values: Some(values),
            errors: Some(errors),
            next_token,
        })
    }

    pub(crate) fn put_secret_value(
        &self,
        ctx: &RequestContext,
        req: PutSecretValueRequest,
    ) -> Result<PutSecretValueResponse> {
        let value = value_of(req.secret_string.as_deref(), req.secret_binary.as_deref())?
            .ok_or_else(|| {
                SmError::param("You must provide either SecretString or SecretBinary.")
            })?;
        let id = version_id(req.client_request_token.as_deref());
        let stages = req
            .version_stages
            .clone()
            .unwrap_or_else(|| vec![CURRENT.to_owned()]);
        let now = self.now();
        let (secret, stages_now) = self.db.write(|tx| {
            let secret = find_live(tx.state, ctx, req.secret_id.as_deref().unwrap_or_default())?;
            self.add_version(tx, &secret, &id, value.clone(), &stages, now)?;
            let v = tx
                .state
                .versions
                .get(&version_key(&secret.account, &secret.name, &id))
                .map(|v| v.stages.clone())
                .unwrap_or_default();
            Ok((secret, v))
        })?;
        Ok(PutSecretValueResponse {
            arn: Some(secret.arn.clone()),
            name: Some(secret.name.clone()),
            version_id: Some(id),
            version_stages: Some(stages_now),
        })
    }

    pub(crate) fn list_secret_version_ids(
        &self,
        ctx: &RequestContext,
        req: ListSecretVersionIdsRequest,
    ) -> Result<ListSecretVersionIdsResponse> {
        let state = self.db.snapshot();
        let secret = find(&state, ctx, req.secret_id.as_deref().unwrap_or_default())?;
        let deprecated = req.include_deprecated.unwrap_or(false);
        let items = state
            .versions_of(&secret)
            .filter(|v| deprecated || !v.stages.is_empty())
            .map(|v| (v.id.clone(), v.clone()));
        let p = page(
            items,
            req.next_token.as_deref(),
            limit(req.max_results, 100),
            false,
        )?;
        let kms = secret
            .kms_key_id
            .clone()
            .unwrap_or_else(|| "DefaultEncryptionKey".into());
        Ok(ListSecretVersionIdsResponse {
            versions: Some(
                p.items
                    .iter()
                    .map(|v| SecretVersionsListEntry {
                        version_id: Some(v.id.clone()),
                        version_stages: Some(v.stages.clone()),
                        last_accessed_date: v.last_accessed,
                        created_date: Some(v.created),
                        kms_key_ids: Some(vec![kms.clone()]),
                    })
                    .collect(),
            ),
            next_token: p.next_token,
            arn: Some(secret.arn.clone()),
            name: Some(secret.name.clone()),
        })
    }

    pub(crate) fn update_secret_version_stage(
        &self,
        ctx: &RequestContext,
        req: UpdateSecretVersionStageRequest,
    ) -> Result<UpdateSecretVersionStageResponse> {
        let stage = req.version_stage.clone().unwrap_or_default();
        let secret = self.db.write(|tx| {
            let secret = find_live(tx.state, ctx, req.secret_id.as_deref().unwrap_or_default())?;
            let before: Vec<Arc<VersionRec>> = tx.state.versions_of(&secret).cloned().collect();
            let exists = |id: &str| before.iter().any(|v| v.id == id);
            let holder = before
                .iter()
                .find(|v| v.stages.contains(&stage))
                .map(|v| v.id.clone());
            let mut labels: BTreeMap<String, Vec<String>> = before
                .iter()
                .map(|v| (v.id.clone(), v.stages.clone()))
                .collect();
            let remove = req.remove_from_version_id.as_deref();
            if let Some(r) = remove {
                if !exists(r) {
                    return Err(no_version(r));
                }
                if holder.as_deref() != Some(r) {
                    return Err(SmError::param(format!(
                        "The staging label {stage} is not attached to version {r}."
                    )));
                }
            }
            match req.move_to_version_id.as_deref() {
                Some(to) => {
                    if !exists(to) {
                        return Err(no_version(to));
                    }
                    if let Some(h) = holder.as_deref().filter(|h| *h != to) {
                        if remove != Some(h) {
                            return Err(SmError::param(format!(
                                "The parameter RemoveFromVersionId can't be empty. Staging label {stage} is currently attached to version {h}, so you must explicitly reference that version in RemoveFromVersionId."
                            )));
                        }
                    }
                    if labels.get(to).map_or(0, Vec::len) >= MAX_STAGES {
                        return Err(SmError::LimitExceeded(format!(
                            "A version can have at most {MAX_STAGES} staging labels."
                        )));
                    }
                    restage(&mut labels, to, std::slice::from_ref(&stage));
                }
                None => {
                    let Some(r) = remove else {
                        return Err(SmError::param(
                            "You must specify RemoveFromVersionId, MoveToVersionId or both.",
                        ));
                    };
                    if stage == CURRENT {
                        return Err(SmError::InvalidRequest(
                            "You can't remove the staging label AWSCURRENT from a version without moving it to another version.".into(),
                        ));
                    }
                    if let Some(s) = labels.get_mut(r) {
                        s.retain(|x| x != &stage);
                    }
                }
            }
            store_stages(tx, &before, &labels)?;
            let mut s = (*secret).clone();
            s.last_changed = self.now();
            tx.put(s)?;
            Ok(secret)
        })?;
        Ok(UpdateSecretVersionStageResponse {
            arn: Some(secret.arn.clone()),
            name: Some(secret.name.clone()),
        })
    }
}

impl SecretsManager {
    /// Seals again under the key ring's current key up to `max` values an older key sealed
    /// (after `berth sealing-key rotate`); answers how many.
    pub fn reseal(&self, max: usize) -> Result<usize> {
        let state = self.db.snapshot();
        let stale: Vec<Arc<VersionRec>> = state
            .versions
            .values()
            .filter(|v| !self.ring.is_current(&v.sealed))
            .take(max)
            .cloned()
            .collect();
        if stale.is_empty() {
            return Ok(0);
        }
        let mut fresh = Vec::with_capacity(stale.len());
        for v in &stale {
            let Some(secret) = state
                .secrets
                .get(&crate::records::secret_key(&v.account, &v.name))
            else {
                continue;
            };
            if let Some(sealed) = self
                .ring
                .reseal(&v.sealed, &VersionRec::context(&secret.arn, &v.id))?
            {
                fresh.push((v.clone(), sealed));
            }
        }
        self.db.write(|tx| {
            for (v, sealed) in &fresh {
                let key = version_key(&v.account, &v.name, &v.id);
                // Unless it changed in between (then the next round sees it again).
                if tx
                    .state
                    .versions
                    .get(&key)
                    .is_some_and(|c| c.sealed == v.sealed)
                {
                    let mut n = (**v).clone();
                    n.sealed = sealed.clone();
                    tx.put(n)?;
                }
            }
            Ok(())
        })?;
        Ok(fresh.len())
    }
}

fn no_version(id: &str) -> SmError {
    SmError::ResourceNotFound(format!(
        "Secrets Manager can't find the specified secret version: {id}"
    ))
}

/// The start (epoch seconds) of the UTC day of `t`.
fn day_of(t: f64) -> f64 {
    (t / 86_400.0).floor() * 86_400.0
}

/// Records that the versions were read today, on the secret and the version: a write only
/// when the day changed, so reads stay reads.
pub(crate) fn stamp_access(
    sm: &SecretsManager,
    read: &[(Arc<SecretRec>, Arc<VersionRec>)],
) -> Result<()> {
    let today = day_of(sm.now());
    let stale: Vec<_> = read
        .iter()
        .filter(|(s, v)| s.last_accessed != Some(today) || v.last_accessed != Some(today))
        .collect();
    if stale.is_empty() {
        return Ok(());
    }
    sm.db.write(|tx| {
        for (s, v) in &stale {
            let key = crate::records::secret_key(&s.account, &s.name);
            if let Some(cur) = tx.state.secrets.get(&key).filter(|c| c.arn == s.arn) {
                if cur.last_accessed != Some(today) {
                    let mut c = (**cur).clone();
                    c.last_accessed = Some(today);
                    tx.put(c)?;
                }
            }
            let vkey = version_key(&v.account, &v.name, &v.id);
            if let Some(cur) = tx.state.versions.get(&vkey) {
                if cur.last_accessed != Some(today) {
                    let mut c = (**cur).clone();
                    c.last_accessed = Some(today);
                    tx.put(c)?;
                }
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn labels(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        pairs
            .iter()
            .map(|(id, s)| (id.to_string(), s.iter().map(|x| x.to_string()).collect()))
            .collect()
    }

    #[test]
    fn a_new_current_version_pushes_the_old_one_to_previous() {
        let mut l = labels(&[("v1", &[PREVIOUS]), ("v2", &[CURRENT, "blue"])]);
        restage(&mut l, "v3", &[CURRENT.to_owned()]);
        assert_eq!(
            l,
            labels(&[("v1", &[]), ("v2", &["blue", PREVIOUS]), ("v3", &[CURRENT])])
        );
        // A custom label moves alone.
        restage(&mut l, "v1", &["blue".to_owned()]);
        assert_eq!(
            l,
            labels(&[("v1", &["blue"]), ("v2", &[PREVIOUS]), ("v3", &[CURRENT])])
        );
        // Moving AWSCURRENT back to the previous version swaps them.
        restage(&mut l, "v2", &[CURRENT.to_owned()]);
        assert_eq!(
            l,
            labels(&[("v1", &["blue"]), ("v2", &[CURRENT]), ("v3", &[PREVIOUS])])
        );
    }

    proptest! {
        #[test]
        fn every_label_is_on_one_version_at_most(moves in proptest::collection::vec((0..5usize, 0..4usize), 1..40)) {
            let names = [CURRENT, PREVIOUS, "a", "b"];
            let mut l: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for (v, s) in moves {
                let target = format!("v{v}");
                restage(&mut l, &target, &[names[s].to_owned()]);
                prop_assert!(l[&target].contains(&names[s].to_owned()));
                for name in names {
                    let holders = l.values().filter(|x| x.iter().any(|y| y == name)).count();
                    prop_assert!(holders <= 1, "{} on {} versions", name, holders);
                }
            }
        }
    }
}
