//! Resource policies: PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy,
//! ValidateResourcePolicy. Documents are parsed and checked by berth-iam-policy.

use berth_aws::RequestContext;
use berth_iam_policy::{resource_grant, Grant, Kind, Policy, Principal, Request};
use berth_secretsmanager_model::shapes::*;

use super::{find, find_live};
use crate::error::{Result, SmError};
use crate::SecretsManager;

/// Parses a resource policy, as MalformedPolicyDocumentException when it is not one.
fn parse(text: &str) -> Result<Policy> {
    Policy::parse(text, Kind::Resource).map_err(|e| {
        SmError::MalformedPolicyDocument(format!("The resource policy is not valid: {e}"))
    })
}

/// Whether `policy` lets a principal of any other account read the secret `arn`, with no
/// condition to meet.
fn is_public(policy: &Policy, ctx: &RequestContext, arn: &str) -> bool {
    let stranger = if ctx.account == "111111111111" {
        "222222222222"
    } else {
        "111111111111"
    };
    let who = Principal::from_arn(format!("arn:aws:iam::{stranger}:root"));
    [
        "secretsmanager:GetSecretValue",
        "secretsmanager:DescribeSecret",
    ]
    .iter()
    .any(|action| {
        matches!(
            resource_grant(policy, &Request::new(who.clone(), *action, arn)),
            Grant::Principal(_)
        )
    })
}

impl SecretsManager {
    pub(crate) fn put_resource_policy(
        &self,
        ctx: &RequestContext,
        req: PutResourcePolicyRequest,
    ) -> Result<PutResourcePolicyResponse> {
        let text = req.resource_policy.clone().unwrap_or_default();
        let policy = parse(&text)?;
        let block = req.block_public_policy.unwrap_or(false);
        let s = self.db.write(|tx| {
            let s = find_live(tx.state, ctx, req.secret_id.as_deref().unwrap_or_default())?;
            if block && is_public(&policy, ctx, &s.arn) {
                return Err(SmError::PublicPolicy(
                    "This resource policy grants broad access to the secret: BlockPublicPolicy refuses it.".into(),
                ));
            }
            let mut p = (*s).clone();
            p.policy = Some(text.clone());
            tx.put(p)?;
            Ok(s)
        })?;
        Ok(PutResourcePolicyResponse {
            arn: Some(s.arn.clone()),
            name: Some(s.name.clone()),
            ..Default::default()
        })
    }

    pub(crate) fn get_resource_policy(
        &self,
        ctx: &RequestContext,
        req: GetResourcePolicyRequest,
    ) -> Result<GetResourcePolicyResponse> {
        let state = self.db.snapshot();
        let s = find(&state, ctx, req.secret_id.as_deref().unwrap_or_default())?;
        Ok(GetResourcePolicyResponse {
            arn: Some(s.arn.clone()),
            name: Some(s.name.clone()),
            resource_policy: s.policy.clone(),
            ..Default::default()
        })
    }

    pub(crate) fn delete_resource_policy(
        &self,
        ctx: &RequestContext,
        req: DeleteResourcePolicyRequest,
    ) -> Result<DeleteResourcePolicyResponse> {
        let s = self.db.write(|tx| {
            let s = find_live(tx.state, ctx, req.secret_id.as_deref().unwrap_or_default())?;
            if s.policy.is_some() {
                let mut p = (*s).clone();
                p.policy = None;
                tx.put(p)?;
            }
            Ok(s)
        })?;
        Ok(DeleteResourcePolicyResponse {
            arn: Some(s.arn.clone()),
            name: Some(s.name.clone()),
            ..Default::default()
        })
    }

    pub(crate) fn validate_resource_policy(
        &self,
        ctx: &RequestContext,
        req: ValidateResourcePolicyRequest,
    ) -> Result<ValidateResourcePolicyResponse> {
        if let Some(id) = req.secret_id.as_deref() {
            find(&self.db.snapshot(), ctx, id)?;
        }
        let errors = match Policy::parse(
            req.resource_policy.as_deref().unwrap_or_default(),
            Kind::Resource,
        ) {
            Ok(_) => vec![],
            Err(e) => vec![ValidationErrorsEntry {
                check_name: Some("POLICY_GRAMMAR".into()),
                error_message: Some(e.to_string()),
            }],
        };
        Ok(ValidateResourcePolicyResponse {
            policy_validation_passed: Some(errors.is_empty()),
            validation_errors: Some(errors),
        })
    }
}
