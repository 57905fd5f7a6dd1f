//! GetParametersByPath, DescribeParameters, GetParameterHistory.

use berth_aws::RequestContext;
use berth_ssm_model::shapes::*;

use super::filters::{self, Context};
use super::{limit, page, parameter_type};
use crate::error::{Result, SsmError};
use crate::records::{param_key, ParamRec, VersionRec};
use crate::Ssm;

fn tier_of(t: &str) -> ParameterTier {
    match t {
        "Advanced" => ParameterTier::Advanced,
        _ => ParameterTier::Standard,
    }
}

fn metadata(p: &ParamRec, v: &VersionRec) -> ParameterMetadata {
    ParameterMetadata {
        name: Some(p.name.clone()),
        arn: Some(p.arn.clone()),
        r#type: Some(parameter_type(&v.kind)),
        key_id: v.key_id.clone(),
        last_modified_date: Some(v.modified),
        last_modified_user: Some(v.modified_by.clone()),
        description: v.description.clone(),
        allowed_pattern: v.allowed_pattern.clone(),
        version: Some(v.version),
        tier: Some(tier_of(&v.tier)),
        policies: Some(Vec::new()),
        data_type: Some(v.data_type.clone()),
    }
}

impl Ssm {
    pub(crate) fn get_parameters_by_path(
        &self,
        ctx: &RequestContext,
        req: GetParametersByPathRequest,
    ) -> Result<GetParametersByPathResult> {
        let path = req.path.clone().unwrap_or_default();
        if !path.starts_with('/') {
            return Err(SsmError::invalid(
                "The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\".",
            ));
        }
        let recursive = req.recursive.unwrap_or(false);
        let checked = filters::check(
            req.parameter_filters.as_deref().unwrap_or_default(),
            Context::ByPath,
        )?;
        let decrypt = req.with_decryption.unwrap_or(false);
        let state = self.db.snapshot();
        let prefix = if path.ends_with('/') {
            path.clone()
        } else {
            format!("{path}/")
        };
        let items = state
            .under(&ctx.account, &prefix)
            .filter(|p| filters::under(&p.name, &path, recursive))
            .filter(|p| filters::matches(p, &checked))
            .map(|p| (param_key(&p.account, &p.name), p.clone()));
        let pg = page(items, req.next_token.as_deref(), limit(req.max_results, 10))?;
        let mut out = Vec::with_capacity(pg.items.len());
        for p in &pg.items {
            if let Some(v) = p.current() {
                out.push(self.view(p, v, decrypt, None)?);
            }
        }
        Ok(GetParametersByPathResult {
            parameters: Some(out),
            next_token: pg.next_token,
        })
    }

    pub(crate) fn describe_parameters(
        &self,
        ctx: &RequestContext,
        req: DescribeParametersRequest,
    ) -> Result<DescribeParametersResult> {
        if req.filters.is_some() && req.parameter_filters.is_some() {
            return Err(SsmError::invalid(
                "You can use either Filters or ParameterFilters in a single request.",
            ));
        }
        let given = match &req.filters {
            Some(legacy) => filters::from_legacy(legacy),
            None => req.parameter_filters.clone().unwrap_or_default(),
        };
        let checked = filters::check(&given, Context::Describe)?;
        let state = self.db.snapshot();
        let items = state
            .under(&ctx.account, "")
            .filter(|p| filters::matches(p, &checked))
            .map(|p| (param_key(&p.account, &p.name), p.clone()));
        let pg = page(items, req.next_token.as_deref(), limit(req.max_results, 10))?;
        Ok(DescribeParametersResult {
            parameters: Some(
                pg.items
                    .iter()
                    .filter_map(|p| p.current().map(|v| metadata(p, v)))
                    .collect(),
            ),
            next_token: pg.next_token,
        })
    }

    pub(crate) fn get_parameter_history(
        &self,
        ctx: &RequestContext,
        req: GetParameterHistoryRequest,
    ) -> Result<GetParameterHistoryResult> {
        let text = req.name.clone().unwrap_or_default();
        let r = super::reference(ctx, &text)?;
        let state = self.db.snapshot();
        let p = super::find(&state, ctx, &r).ok_or_else(|| SsmError::not_found(&text))?;
        let decrypt = req.with_decryption.unwrap_or(false);
        let items = p
            .versions
            .iter()
            .map(|v| (format!("{:020}", v.version), v.clone()));
        let pg = page(items, req.next_token.as_deref(), limit(req.max_results, 50))?;
        let mut out = Vec::with_capacity(pg.items.len());
        for v in &pg.items {
            out.push(ParameterHistory {
                name: Some(p.name.clone()),
                r#type: Some(parameter_type(&v.kind)),
                key_id: v.key_id.clone(),
                last_modified_date: Some(v.modified),
                last_modified_user: Some(v.modified_by.clone()),
                description: v.description.clone(),
                value: Some(self.value_of(&p, v, decrypt)?),
                allowed_pattern: v.allowed_pattern.clone(),
                version: Some(v.version),
                labels: Some(v.labels.clone()),
                tier: Some(tier_of(&v.tier)),
                policies: Some(Vec::new()),
                data_type: Some(v.data_type.clone()),
            });
        }
        Ok(GetParameterHistoryResult {
            parameters: Some(out),
            next_token: pg.next_token,
        })
    }
}
