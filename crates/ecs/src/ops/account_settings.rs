//! PutAccountSetting, PutAccountSettingDefault, ListAccountSettings, DeleteAccountSetting.
//!
//! A setting's effective value for a principal is its own, else the account default, else
//! AWS's default for the setting.

use berth_ecs_model::shapes::*;

use crate::error::{EcsError, Result};
use crate::page::{page_size, paginate};
use crate::records::{account_setting_key, AccountSettingRec};
use crate::Ecs;

/// The account default's principal key (the setting applies to every principal).
const ACCOUNT_DEFAULT: &str = "";

/// AWS's defaults for each setting.
fn aws_default(name: &SettingName) -> &'static str {
    match name {
        SettingName::ServiceLongArnFormat
        | SettingName::TaskLongArnFormat
        | SettingName::ContainerInstanceLongArnFormat
        | SettingName::TagResourceAuthorization => "enabled",
        SettingName::FargateTaskRetirementWaitPeriod => "7",
        SettingName::GuardDutyActivate => "off",
        SettingName::DefaultLogDriverMode => "non-blocking",
        _ => "disabled",
    }
}

fn check_value(name: &SettingName, value: &str) -> Result<()> {
    let ok = match name {
        SettingName::ContainerInsights => matches!(value, "enabled" | "disabled" | "enhanced"),
        SettingName::FargateTaskRetirementWaitPeriod => matches!(value, "0" | "7" | "14"),
        SettingName::GuardDutyActivate => matches!(value, "on" | "off"),
        SettingName::DefaultLogDriverMode => matches!(value, "blocking" | "non-blocking"),
        SettingName::Unrecognized(_) => false,
        _ => matches!(value, "enabled" | "disabled"),
    };
    if ok {
        Ok(())
    } else {
        Err(EcsError::invalid(format!(
            "The value '{value}' is not valid for the setting {name}."
        )))
    }
}

impl Ecs {
    /// The value of setting `name` in effect for the caller.
    pub(crate) fn effective_setting(
        &self,
        state: &crate::state::State,
        name: &SettingName,
    ) -> String {
        [self.principal().as_str(), ACCOUNT_DEFAULT]
            .iter()
            .find_map(|p| {
                state
                    .account_settings
                    .get(&account_setting_key(p, name.as_str()))
            })
            .and_then(|r| r.setting.value.clone())
            .unwrap_or_else(|| aws_default(name).to_owned())
    }

    pub(crate) fn put_account_setting(
        &self,
        req: PutAccountSettingRequest,
    ) -> Result<PutAccountSettingResponse> {
        let principal = req
            .principal_arn
            .clone()
            .unwrap_or_else(|| self.principal());
        check_principal(&principal)?;
        let setting = self.store_setting(&principal, req.name, req.value)?;
        Ok(PutAccountSettingResponse {
            setting: Some(setting),
        })
    }

    pub(crate) fn put_account_setting_default(
        &self,
        req: PutAccountSettingDefaultRequest,
    ) -> Result<PutAccountSettingDefaultResponse> {
        let mut setting = self.store_setting(ACCOUNT_DEFAULT, req.name, req.value)?;
        setting.principal_arn = Some(self.principal());
        Ok(PutAccountSettingDefaultResponse {
            setting: Some(setting),
        })
    }

    fn store_setting(
        &self,
        principal: &str,
        name: Option<SettingName>,
        value: Option<String>,
    ) -> Result<Setting> {
        let name = name.ok_or_else(|| EcsError::invalid("name is required."))?;
        let value = value.unwrap_or_default();
        check_value(&name, &value)?;
        let setting = Setting {
            name: Some(name),
            value: Some(value),
            principal_arn: (!principal.is_empty()).then(|| principal.to_owned()),
            r#type: Some(SettingType::User),
        };
        let rec = AccountSettingRec {
            principal: principal.to_owned(),
            setting: setting.clone(),
        };
        self.db.write(|tx| tx.put(rec))?;
        Ok(setting)
    }

    pub(crate) fn delete_account_setting(
        &self,
        req: DeleteAccountSettingRequest,
    ) -> Result<DeleteAccountSettingResponse> {
        let name = req
            .name
            .ok_or_else(|| EcsError::invalid("name is required."))?;
        if let SettingName::Unrecognized(n) = &name {
            return Err(EcsError::invalid(format!("Unknown setting name '{n}'.")));
        }
        let principal = req.principal_arn.unwrap_or_else(|| self.principal());
        check_principal(&principal)?;
        let key = account_setting_key(&principal, name.as_str());
        let deleted = self.db.write(|tx| {
            let existing = tx
                .state
                .account_settings
                .get(&key)
                .map(|r| r.setting.clone());
            if existing.is_some() {
                tx.delete::<AccountSettingRec>(&key);
            }
            Ok(existing)
        })?;
        let setting = deleted.unwrap_or(Setting {
            name: Some(name.clone()),
            value: Some(aws_default(&name).to_owned()),
            principal_arn: Some(principal),
            r#type: Some(SettingType::User),
        });
        Ok(DeleteAccountSettingResponse {
            setting: Some(setting),
        })
    }

    pub(crate) fn list_account_settings(
        &self,
        req: ListAccountSettingsRequest,
    ) -> Result<ListAccountSettingsResponse> {
        let max = if req.max_results == 0 {
            None
        } else {
            Some(req.max_results)
        };
        let size = page_size(max, 10, 10)?;
        if req.value.is_some() && req.name.is_none() {
            return Err(EcsError::invalid("value can only be given with name."));
        }
        let principal = req
            .principal_arn
            .clone()
            .unwrap_or_else(|| self.principal());
        let names: Vec<SettingName> = match &req.name {
            Some(n) => vec![n.clone()],
            None => SettingName::VALUES
                .iter()
                .map(|v| SettingName::parse(v))
                .collect(),
        };
        let settings = self.db.read(|state| {
            let get = |p: &str, n: &SettingName| {
                state
                    .account_settings
                    .get(&account_setting_key(p, n.as_str()))
                    .map(|r| r.setting.clone())
            };
            let mut out = Vec::new();
            for n in &names {
                let own = get(&principal, n);
                let setting = if req.effective_settings {
                    Some(own.unwrap_or_else(|| {
                        let mut s = get(ACCOUNT_DEFAULT, n).unwrap_or(Setting {
                            name: Some(n.clone()),
                            value: Some(aws_default(n).to_owned()),
                            principal_arn: None,
                            r#type: Some(SettingType::AwsManaged),
                        });
                        s.principal_arn = Some(principal.clone());
                        s
                    }))
                } else {
                    own
                };
                if let Some(s) = setting {
                    if req.value.is_none() || s.value == req.value {
                        out.push((n.as_str().to_owned(), s));
                    }
                }
            }
            out
        });
        let mut settings = settings;
        settings.sort_by(|a, b| a.0.cmp(&b.0));
        let page = paginate(settings, req.next_token.as_deref(), size)?;
        Ok(ListAccountSettingsResponse {
            settings: Some(page.items),
            next_token: page.next_token,
        })
    }
}

fn check_principal(p: &str) -> Result<()> {
    let ok = p.starts_with("arn:") && p.split(':').nth(2) == Some("iam");
    if ok {
        Ok(())
    } else {
        Err(EcsError::invalid(format!(
            "'{p}' is not an IAM user, role or root ARN."
        )))
    }
}
