//! PutParameter, GetParameter, GetParameters, DeleteParameter, DeleteParameters.

use std::collections::BTreeMap;

use berth_aws::RequestContext;
use berth_ssm_model::shapes::*;

use super::tags::check_tags;
use super::{arn_of, check_name, find, pick, reference, Empty};
use crate::error::{Result, SsmError};
use crate::records::{param_key, ParamRec, VersionRec};
use crate::Ssm;

/// Versions a parameter keeps.
const MAX_VERSIONS: usize = 100;
const STANDARD_MAX: usize = 4096;
const ADVANCED_MAX: usize = 8192;

/// The tier a value is stored in: the one asked for (Intelligent-Tiering picks the smallest
/// that holds it), never below the parameter's present tier.
fn tier_for(asked: Option<&ParameterTier>, value: &str, before: Option<&str>) -> Result<String> {
    let len = value.chars().count();
    let tier = match asked.map(|t| t.as_str()) {
        None => before.unwrap_or("Standard").to_owned(),
        Some("Intelligent-Tiering") => if len > STANDARD_MAX || before == Some("Advanced") {
            "Advanced"
        } else {
            "Standard"
        }
        .to_owned(),
        Some(t) => t.to_owned(),
    };
    if tier == "Standard" && before == Some("Advanced") {
        return Err(SsmError::invalid(
            "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.",
        ));
    }
    let max = if tier == "Advanced" {
        ADVANCED_MAX
    } else {
        STANDARD_MAX
    };
    if len > max {
        return Err(SsmError::invalid(if tier == "Standard" {
            format!("Standard tier parameters support a maximum parameter value of {STANDARD_MAX} characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier.")
        } else {
            format!("Advanced tier parameters support a maximum parameter value of {ADVANCED_MAX} characters.")
        }));
    }
    Ok(tier)
}

/// Checks `value` against an AllowedPattern.
fn check_pattern(pattern: &str, value: &str) -> Result<()> {
    let re = regex::Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
        SsmError::InvalidAllowedPattern(format!(
            "The allowed pattern {pattern} is not a valid regular expression: {e}"
        ))
    })?;
    if !re.is_match(value) {
        return Err(SsmError::ParameterPatternMismatch(format!(
            "Parameter value, {}, failed to satisfy constraint specified in pattern {pattern}.",
            if value.len() > 32 {
                "(the value)"
            } else {
                value
            }
        )));
    }
    Ok(())
}

impl Ssm {
    pub(crate) fn put_parameter(
        &self,
        ctx: &RequestContext,
        req: PutParameterRequest,
    ) -> Result<PutParameterResult> {
        let name = req.name.clone().unwrap_or_default();
        check_name(&name)?;
        let value = req.value.clone().unwrap_or_default();
        if value.is_empty() {
            return Err(SsmError::invalid("Parameter value can't be empty."));
        }
        let overwrite = req.overwrite.unwrap_or(false);
        if overwrite && req.tags.as_ref().is_some_and(|t| !t.is_empty()) {
            return Err(SsmError::invalid(
                "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.",
            ));
        }
        let tags = check_tags(req.tags.as_deref().unwrap_or_default())?;
        let data_type = req.data_type.clone().unwrap_or_else(|| "text".into());
        if !["text", "aws:ec2:image", "aws:ssm:integration"].contains(&data_type.as_str()) {
            return Err(SsmError::invalid(format!(
                "The following data type is not supported: {data_type} (use text, aws:ec2:image or aws:ssm:integration)."
            )));
        }
        let now = self.now();
        let key = param_key(&ctx.account, &name);
        let arn = arn_of(ctx, &name);
        let (version, tier) = self.db.write(|tx| {
            let old = tx.state.params.get(&key).cloned();
            let prev = old.as_ref().and_then(|p| p.current().cloned());
            if prev.is_some() && !overwrite {
                return Err(SsmError::ParameterAlreadyExists(
                    "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.".into(),
                ));
            }
            let kind = match (&req.r#type, &prev) {
                (Some(t), _) => t.as_str().to_owned(),
                (None, Some(p)) => p.kind.clone(),
                (None, None) => "String".to_owned(),
            };
            // What the request leaves out carries over from the version before.
            let inherit = |mine: &Option<String>, theirs: Option<&Option<String>>| {
                mine.clone().or_else(|| theirs.cloned().flatten())
            };
            let description = inherit(&req.description, prev.as_ref().map(|p| &p.description));
            let allowed_pattern = inherit(&req.allowed_pattern, prev.as_ref().map(|p| &p.allowed_pattern));
            if let Some(pattern) = &allowed_pattern {
                check_pattern(pattern, &value)?;
            }
            let key_id = (kind == "SecureString").then(|| {
                req.key_id
                    .clone()
                    .or_else(|| prev.as_ref().and_then(|p| p.key_id.clone()))
                    .unwrap_or_else(|| "alias/aws/ssm".into())
            });
            if kind != "SecureString" && req.key_id.is_some() {
                return Err(SsmError::invalid("KeyId is required for SecureString type parameter only."));
            }
            let tier = tier_for(req.tier.as_ref(), &value, prev.as_ref().map(|p| p.tier.as_str()))?;
            let mut p = match old {
                Some(p) => (*p).clone(),
                None => ParamRec {
                    account: ctx.account.clone(),
                    name: name.clone(),
                    arn: arn.clone(),
                    versions: Vec::new(),
                    tags: tags.map.clone(),
                    tag_order: tags.order.clone(),
                },
            };
            let version = prev.as_ref().map_or(1, |p| p.version + 1);
            if p.versions.len() >= MAX_VERSIONS {
                if p.versions.first().is_some_and(|v| !v.labels.is_empty()) {
                    return Err(SsmError::ParameterMaxVersionLimitExceeded(format!(
                        "You attempted to create a new version of {name} by calling the PutParameter API with the overwrite flag. Version {}, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.",
                        p.versions.first().map_or(0, |v| v.version)
                    )));
                }
                p.versions.remove(0);
            }
            let stored = if kind == "SecureString" {
                self.ring.seal(value.as_bytes(), &VersionRec::context(&p.arn, version))?
            } else {
                value.clone()
            };
            p.versions.push(VersionRec {
                version,
                kind,
                value: stored,
                description,
                allowed_pattern,
                key_id,
                tier: tier.clone(),
                data_type: data_type.clone(),
                policies: req.policies.clone().or_else(|| prev.as_ref().and_then(|p| p.policies.clone())),
                labels: Vec::new(),
                modified: now,
                modified_by: format!("arn:aws:iam::{}:root", ctx.account),
            });
            tx.put(p)?;
            Ok((version, tier))
        })?;
        Ok(PutParameterResult {
            version: Some(version),
            tier: Some(match tier.as_str() {
                "Advanced" => ParameterTier::Advanced,
                _ => ParameterTier::Standard,
            }),
        })
    }

    pub(crate) fn get_parameter(
        &self,
        ctx: &RequestContext,
        req: GetParameterRequest,
    ) -> Result<GetParameterResult> {
        let text = req.name.clone().unwrap_or_default();
        let r = reference(ctx, &text)?;
        let state = self.db.snapshot();
        let p = find(&state, ctx, &r).ok_or_else(|| SsmError::not_found(&text))?;
        let v = pick(&p, &r, &text)?;
        Ok(GetParameterResult {
            parameter: Some(self.view(
                &p,
                v,
                req.with_decryption.unwrap_or(false),
                r.selector_text.clone(),
            )?),
        })
    }

    pub(crate) fn get_parameters(
        &self,
        ctx: &RequestContext,
        req: GetParametersRequest,
    ) -> Result<GetParametersResult> {
        let state = self.db.snapshot();
        let decrypt = req.with_decryption.unwrap_or(false);
        let mut found = Vec::new();
        let mut invalid = Vec::new();
        // Each name once, in the order given.
        let mut seen = BTreeMap::new();
        for text in req.names.iter().flatten() {
            if seen.insert(text.clone(), ()).is_some() {
                continue;
            }
            let hit = reference(ctx, text)
                .ok()
                .and_then(|r| find(&state, ctx, &r).map(|p| (r, p)))
                .and_then(|(r, p)| pick(&p, &r, text).ok().cloned().map(|v| (r, p, v)));
            match hit {
                Some((r, p, v)) => {
                    found.push(self.view(&p, &v, decrypt, r.selector_text.clone())?)
                }
                None => invalid.push(text.clone()),
            }
        }
        Ok(GetParametersResult {
            parameters: Some(found),
            invalid_parameters: Some(invalid),
        })
    }

    pub(crate) fn delete_parameter(
        &self,
        ctx: &RequestContext,
        req: DeleteParameterRequest,
    ) -> Result<Empty> {
        let name = req.name.clone().unwrap_or_default();
        let key = param_key(&ctx.account, &name);
        self.db.write(|tx| {
            if !tx.state.params.contains_key(&key) {
                return Err(SsmError::not_found(&name));
            }
            tx.delete::<ParamRec>(&key);
            Ok(())
        })?;
        Ok(Empty::default())
    }

    pub(crate) fn delete_parameters(
        &self,
        ctx: &RequestContext,
        req: DeleteParametersRequest,
    ) -> Result<DeleteParametersResult> {
        let names = req.names.clone().unwrap_or_default();
        let (deleted, invalid) = self.db.write(|tx| {
            let (mut deleted, mut invalid) = (Vec::new(), Vec::new());
            for name in &names {
                let key = param_key(&ctx.account, name);
                if tx.state.params.contains_key(&key) {
                    tx.delete::<ParamRec>(&key);
                    deleted.push(name.clone());
                } else if !deleted.contains(name) {
                    invalid.push(name.clone());
                }
            }
            Ok((deleted, invalid))
        })?;
        Ok(DeleteParametersResult {
            deleted_parameters: Some(deleted),
            invalid_parameters: Some(invalid),
        })
    }

    /// Seals again under the key ring's current key up to `max` SecureString versions an
    /// older key sealed; answers how many.
    pub fn reseal(&self, max: usize) -> Result<usize> {
        let state = self.db.snapshot();
        let mut done = 0;
        let mut fresh: Vec<ParamRec> = Vec::new();
        for p in state.params.values() {
            if done >= max {
                break;
            }
            let mut n = (**p).clone();
            let mut changed = false;
            for v in n.versions.iter_mut().filter(|v| v.is_secure()) {
                if let Some(sealed) = self
                    .ring
                    .reseal(&v.value, &VersionRec::context(&p.arn, v.version))?
                {
                    v.value = sealed;
                    changed = true;
                    done += 1;
                }
            }
            if changed {
                fresh.push(n);
            }
        }
        if fresh.is_empty() {
            return Ok(0);
        }
        self.db.write(|tx| {
            for n in &fresh {
                let key = param_key(&n.account, &n.name);
                // Unless it changed in between (then the next round sees it again).
                let same = tx.state.params.get(&key).is_some_and(|c| {
                    c.versions.len() == n.versions.len()
                        && c.versions.last().map(|v| v.version)
                            == n.versions.last().map(|v| v.version)
                });
                if same {
                    tx.put(n.clone())?;
                }
            }
            Ok(())
        })?;
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_hold_their_sizes_and_never_go_down() {
        let big = "x".repeat(5000);
        assert_eq!(tier_for(None, "v", None).expect("t"), "Standard");
        assert!(tier_for(None, &big, None).is_err());
        assert_eq!(
            tier_for(Some(&ParameterTier::IntelligentTiering), &big, None).expect("t"),
            "Advanced"
        );
        assert_eq!(
            tier_for(Some(&ParameterTier::Advanced), "v", None).expect("t"),
            "Advanced"
        );
        assert_eq!(
            tier_for(None, "v", Some("Advanced")).expect("t"),
            "Advanced"
        );
        assert!(tier_for(Some(&ParameterTier::Standard), "v", Some("Advanced")).is_err());
        assert!(tier_for(Some(&ParameterTier::Advanced), &"x".repeat(9000), None).is_err());
    }

    #[test]
    fn allowed_patterns_match_whole_values() {
        assert!(check_pattern("^\\d+$", "123").is_ok());
        assert!(check_pattern("\\d+", "12a").is_err());
        assert!(matches!(
            check_pattern("(", "x"),
            Err(SsmError::InvalidAllowedPattern(_))
        ));
    }
}
