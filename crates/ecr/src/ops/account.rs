//! Get/PutAccountSetting: the registry's account settings. `BLOB_MOUNTING` decides whether
//! the registry mounts a blob from another repository (`POST …?mount=&from=`); Berth's
//! default is ENABLED (ECR's is DISABLED): a mount is what makes a push of a shared base
//! layer instant. The others are stored and answered.

use berth_aws::RequestContext;
use berth_ecr_model::shapes::*;

use super::required;
use crate::error::{EcrError, Result};
use crate::Ecr;

pub const BLOB_MOUNTING: &str = "BLOB_MOUNTING";

/// Each setting's values, the default first.
const SETTINGS: [(&str, &[&str]); 3] = [
    ("BASIC_SCAN_TYPE_VERSION", &["AWS_NATIVE", "CLAIR"]),
    ("REGISTRY_POLICY_SCOPE", &["V2", "V1"]),
    (BLOB_MOUNTING, &["ENABLED", "DISABLED"]),
];

fn values_of(name: &str) -> Result<&'static [&'static str]> {
    SETTINGS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            EcrError::invalid(format!(
                "Invalid parameter at 'name' failed to satisfy constraint: 'must be one of BASIC_SCAN_TYPE_VERSION, REGISTRY_POLICY_SCOPE, BLOB_MOUNTING' (got '{name}')"
            ))
        })
}

impl Ecr {
    /// The value of setting `name` of `account`'s registry.
    pub(crate) fn account_setting(&self, account: &str, name: &str) -> String {
        let stored = self.db.read(|s| {
            s.registries
                .get(account)
                .and_then(|r| r.settings.get(name).cloned())
        });
        stored.unwrap_or_else(|| {
            values_of(name)
                .ok()
                .and_then(|v| v.first())
                .map(|v| (*v).to_owned())
                .unwrap_or_default()
        })
    }

    pub(crate) fn get_account_setting(
        &self,
        ctx: &RequestContext,
        req: GetAccountSettingRequest,
    ) -> Result<GetAccountSettingResponse> {
        let name = required(&req.name, "name")?;
        values_of(name)?;
        Ok(GetAccountSettingResponse {
            name: Some(name.to_owned()),
            value: Some(self.account_setting(&ctx.account, name)),
        })
    }

    pub(crate) fn put_account_setting(
        &self,
        ctx: &RequestContext,
        req: PutAccountSettingRequest,
    ) -> Result<PutAccountSettingResponse> {
        let name = required(&req.name, "name")?.to_owned();
        let value = required(&req.value, "value")?.to_owned();
        let allowed = values_of(&name)?;
        if !allowed.contains(&value.as_str()) {
            return Err(EcrError::invalid(format!(
                "Invalid parameter at 'value' failed to satisfy constraint: '{name} is one of {}' (got '{value}')",
                allowed.join(", ")
            )));
        }
        self.change_registry(ctx, |r| {
            r.settings.insert(name.clone(), value.clone());
            Ok(())
        })?;
        Ok(PutAccountSettingResponse {
            name: Some(name),
            value: Some(value),
        })
    }
}
