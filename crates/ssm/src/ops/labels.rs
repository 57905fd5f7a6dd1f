//! LabelParameterVersion, UnlabelParameterVersion.

use berth_aws::RequestContext;
use berth_ssm_model::shapes::*;

use crate::error::{Result, SsmError};
use crate::records::{param_key, ParamRec};
use crate::Ssm;

/// Labels one version carries at most.
const MAX_LABELS: usize = 10;

/// A label: 1-100 of letters, digits and `._-`, not starting with a digit, `aws` or `ssm`.
pub(crate) fn valid_label(l: &str) -> bool {
    let lower = l.to_ascii_lowercase();
    !l.is_empty()
        && l.len() <= 100
        && l.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        && !l.starts_with(|c: char| c.is_ascii_digit())
        && !lower.starts_with("aws")
        && !lower.starts_with("ssm")
}

fn find_version(p: &ParamRec, version: Option<i64>) -> Result<usize> {
    match version {
        None => p.versions.len().checked_sub(1).ok_or_else(|| SsmError::not_found(&p.name)),
        Some(v) => p.versions.iter().position(|x| x.version == v).ok_or_else(|| {
            SsmError::ParameterVersionNotFound(format!(
                "Systems Manager could not find version {v} of {}. Verify the version and try again.",
                p.name
            ))
        }),
    }
}

impl Ssm {
    pub(crate) fn label_parameter_version(
        &self,
        ctx: &RequestContext,
        req: LabelParameterVersionRequest,
    ) -> Result<LabelParameterVersionResult> {
        let name = req.name.clone().unwrap_or_default();
        let labels = req.labels.clone().unwrap_or_default();
        let (invalid, version) = self.db.write(|tx| {
            let key = param_key(&ctx.account, &name);
            let p = tx
                .state
                .params
                .get(&key)
                .cloned()
                .ok_or_else(|| SsmError::not_found(&name))?;
            let mut p = (*p).clone();
            let at = find_version(&p, req.parameter_version)?;
            let (good, invalid): (Vec<String>, Vec<String>) =
                labels.iter().cloned().partition(|l| valid_label(l));
            for l in &good {
                for v in p.versions.iter_mut() {
                    v.labels.retain(|x| x != l);
                }
                if !p.versions[at].labels.contains(l) {
                    p.versions[at].labels.push(l.clone());
                }
            }
            if p.versions[at].labels.len() > MAX_LABELS {
                return Err(SsmError::ParameterVersionLabelLimitExceeded(format!(
                    "A parameter version can have at most {MAX_LABELS} labels."
                )));
            }
            let version = p.versions[at].version;
            if !good.is_empty() {
                tx.put(p)?;
            }
            Ok((invalid, version))
        })?;
        Ok(LabelParameterVersionResult {
            invalid_labels: Some(invalid),
            parameter_version: Some(version),
        })
    }

    pub(crate) fn unlabel_parameter_version(
        &self,
        ctx: &RequestContext,
        req: UnlabelParameterVersionRequest,
    ) -> Result<UnlabelParameterVersionResult> {
        let name = req.name.clone().unwrap_or_default();
        let labels = req.labels.clone().unwrap_or_default();
        let (removed, invalid) = self.db.write(|tx| {
            let key = param_key(&ctx.account, &name);
            let p = tx
                .state
                .params
                .get(&key)
                .cloned()
                .ok_or_else(|| SsmError::not_found(&name))?;
            let mut p = (*p).clone();
            let at = find_version(&p, req.parameter_version)?;
            let (removed, invalid): (Vec<String>, Vec<String>) = labels
                .iter()
                .cloned()
                .partition(|l| p.versions[at].labels.contains(l));
            p.versions[at].labels.retain(|l| !removed.contains(l));
            if !removed.is_empty() {
                tx.put(p)?;
            }
            Ok((removed, invalid))
        })?;
        Ok(UnlabelParameterVersionResult {
            removed_labels: Some(removed),
            invalid_labels: Some(invalid),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::valid_label;

    #[test]
    fn labels_follow_the_rules() {
        for ok in ["prod", "Release-1.2_x", &"a".repeat(100)] {
            assert!(valid_label(ok), "{ok}");
        }
        for bad in [
            "",
            "1st",
            "awsy",
            "SSMx",
            "has space",
            "a/b",
            &"a".repeat(101),
        ] {
            assert!(!valid_label(bad), "{bad}");
        }
    }
}
