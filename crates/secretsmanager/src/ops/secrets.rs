//! A secret's life: CreateSecret, DescribeSecret, UpdateSecret, DeleteSecret (recovery
//! window or at once), RestoreSecret, ListSecrets (filters, sort), and the sweep that ends
//! secrets whose recovery window has passed.

use std::collections::BTreeMap;
use std::sync::Arc;

use berth_aws::RequestContext;
use berth_secretsmanager_model::shapes::*;

use super::tags::{check_tags, tag_list};
use super::values::Added;
use super::{check_name, find, find_live, limit, new_arn, page, value_of, version_id, CURRENT};
use crate::error::{Result, SmError};
use crate::records::{secret_key, versions_prefix, SecretRec, VersionRec};
use crate::state::{State, Tx};
use crate::SecretsManager;

const DAY: f64 = 86_400.0;

impl SecretsManager {
    pub(crate) fn create_secret(
        &self,
        ctx: &RequestContext,
        req: CreateSecretRequest,
    ) -> Result<CreateSecretResponse> {
        let name = req.name.clone().unwrap_or_default();
        check_name(&name)?;
        if req
            .add_replica_regions
            .as_ref()
            .is_some_and(|r| !r.is_empty())
        {
            return Err(SmError::NotYet(
                "Berth does not replicate secrets to other Regions yet.".into(),
            ));
        }
        let tags = check_tags(req.tags.as_deref().unwrap_or_default())?;
        let value = value_of(req.secret_string.as_deref(), req.secret_binary.as_deref())?;
        let id = value
            .as_ref()
            .map(|_| version_id(req.client_request_token.as_deref()));
        let now = self.now();
        let arn = self.db.write(|tx| {
            let key = secret_key(&ctx.account, &name);
            if let Some(old) = tx.state.secrets.get(&key).cloned() {
                if old.deleted.is_some() {
                    return Err(SmError::InvalidRequest(
                        "You can't create this secret because a secret with this name is already scheduled for deletion.".into(),
                    ));
                }
                // A retry of the same request (same token and value) answers as the first.
                if let (Some(id), Some(value)) = (&id, &value) {
                    if let Ok(Added::Same) =
                        self.add_version(tx, &old, id, value.clone(), &[CURRENT.into()], now)
                    {
                        return Ok(old.arn.clone());
                    }
                }
                return Err(SmError::ResourceExists(format!(
                    "The operation failed because the secret {name} already exists."
                )));
            }
            let secret = SecretRec {
                account: ctx.account.clone(),
                name: name.clone(),
                arn: new_arn(ctx, &name)?,
                description: req.description.clone(),
                kms_key_id: req.kms_key_id.clone(),
                created: now,
                last_changed: now,
                last_accessed: None,
                deleted: None,
                deletion_date: None,
                tags: tags.map.clone(),
                tag_order: tags.order.clone(),
                policy: None,
            };
            tx.put(secret.clone())?;
            if let (Some(id), Some(value)) = (&id, &value) {
                self.add_version(tx, &secret, id, value.clone(), &[CURRENT.into()], now)?;
            }
            Ok(secret.arn)
        })?;
        Ok(CreateSecretResponse {
            arn: Some(arn),
            name: Some(name),
            version_id: id,
            replication_status: None,
        })
    }

    pub(crate) fn describe_secret(
        &self,
        ctx: &RequestContext,
        req: DescribeSecretRequest,
    ) -> Result<DescribeSecretResponse> {
        let state = self.db.snapshot();
        let s = find(&state, ctx, req.secret_id.as_deref().unwrap_or_default())?;
        Ok(DescribeSecretResponse {
            arn: Some(s.arn.clone()),
            name: Some(s.name.clone()),
            description: s.description.clone(),
            kms_key_id: s.kms_key_id.clone(),
            last_changed_date: Some(s.last_changed),
            last_accessed_date: s.last_accessed,
            deleted_date: s.deletion_date,
            tags: Some(tag_list(&s)),
            version_ids_to_stages: Some(stages_of(&state, &s)),
            created_date: Some(s.created),
            ..Default::default()
        })
    }

    pub(crate) fn update_secret(
        &self,
        ctx: &RequestContext,
        req: UpdateSecretRequest,
    ) -> Result<UpdateSecretResponse> {
        let value = value_of(req.secret_string.as_deref(), req.secret_binary.as_deref())?;
        let id = value
            .as_ref()
            .map(|_| version_id(req.client_request_token.as_deref()));
        let now = self.now();
        let secret = self.db.write(|tx| {
            let secret = find_live(tx.state, ctx, req.secret_id.as_deref().unwrap_or_default())?;
            let mut s = (*secret).clone();
            if let Some(d) = &req.description {
                s.description = Some(d.clone());
            }
            if let Some(k) = &req.kms_key_id {
                s.kms_key_id = Some(k.clone());
            }
            s.last_changed = now;
            tx.put(s.clone())?;
            if let (Some(id), Some(value)) = (&id, &value) {
                self.add_version(tx, &s, id, value.clone(), &[CURRENT.into()], now)?;
            }
            Ok(s)
        })?;
        Ok(UpdateSecretResponse {
            arn: Some(secret.arn),
            name: Some(secret.name),
            version_id: id,
        })
    }

    pub(crate) fn delete_secret(
        &self,
        ctx: &RequestContext,
        req: DeleteSecretRequest,
    ) -> Result<DeleteSecretResponse> {
        let force = req.force_delete_without_recovery.unwrap_or(false);
        if force && req.recovery_window_in_days.is_some() {
            return Err(SmError::param(
                "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
            ));
        }
        let days = req.recovery_window_in_days.unwrap_or(30);
        if !force && !(7..=30).contains(&days) {
            return Err(SmError::param(
                "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).",
            ));
        }
        let now = self.now();
        let (secret, date) = self.db.write(|tx| {
            let s = find(tx.state, ctx, req.secret_id.as_deref().unwrap_or_default())?;
            if force {
                remove_secret(tx, &s);
                return Ok((s, now));
            }
            if s.deleted.is_some() {
                return Err(SmError::InvalidRequest(
                    "You can't perform this operation on the secret because it was already scheduled for deletion.".into(),
                ));
            }
            let date = now + days as f64 * DAY;
            let mut d = (*s).clone();
            d.deleted = Some(now);
            d.deletion_date = Some(date);
            tx.put(d)?;
            Ok((s, date))
        })?;
        Ok(DeleteSecretResponse {
            arn: Some(secret.arn.clone()),
            name: Some(secret.name.clone()),
            deletion_date: Some(date),
        })
    }

    pub(crate) fn restore_secret(
        &self,
        ctx: &RequestContext,
        req: RestoreSecretRequest,
    ) -> Result<RestoreSecretResponse> {
        let now = self.now();
        let s = self.db.write(|tx| {
            let s = find(tx.state, ctx, req.secret_id.as_deref().unwrap_or_default())?;
            if s.deleted.is_some() {
                let mut r = (*s).clone();
                r.deleted = None;
                r.deletion_date = None;
                r.last_changed = now;
                tx.put(r)?;
            }
            Ok(s)
        })?;
        Ok(RestoreSecretResponse {
            arn: Some(s.arn.clone()),
            name: Some(s.name.clone()),
        })
    }

    pub(crate) fn list_secrets(
        &self,
        ctx: &RequestContext,
        req: ListSecretsRequest,
    ) -> Result<ListSecretsResponse> {
        let state = self.db.snapshot();
        let include_deleted = req.include_planned_deletion.unwrap_or(false);
        let matching = filtered(
            &state,
            ctx,
            req.filters.as_deref().unwrap_or_default(),
            include_deleted,
        )?;
        let by = req
            .sort_by
            .as_ref()
            .map_or("created-date", |b| b.as_str())
            .to_owned();
        let descending = req
            .sort_order
            .as_ref()
            .is_some_and(|o| o.as_str() == "desc");
        // Page keys sort as the listing does: the sort field, then the name.
        let stamp = |t: Option<f64>| format!("{:020.6}", t.unwrap_or(0.0).max(0.0));
        let mut items: Vec<(String, Arc<SecretRec>)> = matching
            .into_iter()
            .map(|(name, s)| {
                let field = match by.as_str() {
                    "name" => String::new(),
                    "last-accessed-date" => stamp(s.last_accessed),
                    "last-changed-date" => stamp(Some(s.last_changed)),
                    _ => stamp(Some(s.created)),
                };
                (format!("{field}\u{1}{name}"), s)
            })
            .collect();
        items.sort_by(|a, b| a.0.cmp(&b.0));
        if descending {
            items.reverse();
        }
        let p = page(
            items,
            req.next_token.as_deref(),
            limit(req.max_results, 100),
            descending,
        )?;
        Ok(ListSecretsResponse {
            secret_list: Some(
                p.items
                    .iter()
                    .map(|s| SecretListEntry {
                        arn: Some(s.arn.clone()),
                        name: Some(s.name.clone()),
                        description: s.description.clone(),
                        kms_key_id: s.kms_key_id.clone(),
                        last_changed_date: Some(s.last_changed),
                        last_accessed_date: s.last_accessed,
                        deleted_date: s.deletion_date,
                        tags: Some(tag_list(s)),
                        secret_versions_to_stages: Some(stages_of(&state, s)),
                        created_date: Some(s.created),
                        ..Default::default()
                    })
                    .collect(),
            ),
            next_token: p.next_token,
        })
    }

    /// Ends the secrets whose recovery window has passed; answers how many.
    pub fn sweep_deleted(&self) -> Result<usize> {
        let now = self.now();
        let due: Vec<Arc<SecretRec>> = self
            .db
            .snapshot()
            .secrets
            .values()
            .filter(|s| s.deletion_date.is_some_and(|d| d <= now))
            .cloned()
            .collect();
        if due.is_empty() {
            return Ok(0);
        }
        self.db.write(|tx| {
            for s in &due {
                // Still scheduled (not restored in between).
                let key = secret_key(&s.account, &s.name);
                if tx
                    .state
                    .secrets
                    .get(&key)
                    .is_some_and(|c| c.deletion_date.is_some_and(|d| d <= now))
                {
                    remove_secret(tx, s);
                }
            }
            Ok(())
        })?;
        Ok(due.len())
    }
}

/// Deletes a secret and its versions in `tx`.
fn remove_secret(tx: &mut Tx<'_>, s: &SecretRec) {
    let prefix = versions_prefix(&s.account, &s.name);
    let keys: Vec<String> = State::under(&tx.state.versions, &prefix)
        .map(|(k, _)| k.clone())
        .collect();
    for k in keys {
        tx.delete::<VersionRec>(&k);
    }
    tx.delete::<SecretRec>(&secret_key(&s.account, &s.name));
}

/// Version id → labels, for the versions that carry any.
fn stages_of(state: &State, s: &SecretRec) -> BTreeMap<String, Vec<String>> {
    state
        .versions_of(s)
        .filter(|v| !v.stages.is_empty())
        .map(|v| (v.id.clone(), v.stages.clone()))
        .collect()
}

/// Whether one filter value matches: a prefix, or with a leading `!` none of the fields
/// starts with it.
fn value_matches(fields: &[&str], value: &str) -> bool {
    match value.strip_prefix('!') {
        Some(v) => !fields.iter().any(|f| f.starts_with(v)),
        None => fields.iter().any(|f| f.starts_with(value)),
    }
}

/// The caller's secrets (name → record, by name) that every filter matches: the values of
/// one filter are alternatives, the filters all apply.
pub(crate) fn filtered(
    state: &State,
    ctx: &RequestContext,
    filters: &[Filter],
    include_deleted: bool,
) -> Result<Vec<(String, Arc<SecretRec>)>> {
    for f in filters {
        if f.values.as_ref().is_none_or(|v| v.is_empty()) {
            return Err(SmError::param("A filter must have at least one value."));
        }
    }
    let prefix = format!("{}/", ctx.account);
    Ok(State::under(&state.secrets, &prefix)
        .filter(|(_, s)| include_deleted || s.deleted.is_none())
        .filter(|(_, s)| {
            filters.iter().all(|f| {
                let keys: Vec<&str> = s.tags.keys().map(String::as_str).collect();
                let values: Vec<&str> = s.tags.values().map(String::as_str).collect();
                let description = s.description.as_deref().unwrap_or("");
                let fields: Vec<&str> = match f.key.as_ref().map(|k| k.as_str()) {
                    Some("name") => vec![&s.name],
                    Some("description") => vec![description],
                    Some("tag-key") => keys,
                    Some("tag-value") => values,
                    Some("primary-region") | Some("owning-service") => vec![],
                    _ => {
                        let mut all = vec![s.name.as_str(), description];
                        all.extend(keys);
                        all.extend(values);
                        all
                    }
                };
                f.values.iter().flatten().any(|v| value_matches(&fields, v))
            })
        })
        .map(|(_, s)| (s.name.clone(), s.clone()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::value_matches;

    #[test]
    fn filter_values_match_prefixes_or_their_absence() {
        assert!(value_matches(&["prod/db"], "prod"));
        assert!(!value_matches(&["prod/db"], "db"));
        assert!(value_matches(&["prod/db"], "!dev"));
        assert!(!value_matches(&["prod/db", "dev"], "!dev"));
        assert!(!value_matches(&[], "x"));
        assert!(value_matches(&[], "!x"));
    }
}
