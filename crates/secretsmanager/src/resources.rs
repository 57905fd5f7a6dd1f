//! The secrets a call names, as IAM policies see them: each secret's full ARN (a name or a
//! partial ARN resolved to the secret's), or the ARN it would have if it does not exist.

use berth_aws::arn::Arn;
use berth_aws::resources::{input, or_any, text, texts};
use berth_aws::RequestContext;

use crate::SecretsManager;

impl SecretsManager {
    /// For [`berth_aws::service::Service::resources`].
    pub fn resources(&self, ctx: &RequestContext, op: &str, body: &[u8]) -> Vec<String> {
        let doc = input(body);
        let ids: Vec<&str> = match op {
            "CreateSecret" => text(&doc, "Name").into_iter().collect(),
            "BatchGetSecretValue" => texts(&doc, "SecretIdList"),
            "ListSecrets" | "GetRandomPassword" => Vec::new(),
            _ => text(&doc, "SecretId").into_iter().collect(),
        };
        let state = self.db.snapshot();
        or_any(
            ids.into_iter()
                .map(|id| match crate::ops::find(&state, ctx, id) {
                    Ok(s) => s.arn.clone(),
                    Err(_) if id.starts_with("arn:") => id.to_owned(),
                    Err(_) => Arn::new(ctx, "secretsmanager", &format!("secret:{id}")).to_string(),
                })
                .collect(),
        )
    }

    /// The resource policy of the secret `arn`, if it has one.
    pub fn policy_of(&self, ctx: &RequestContext, arn: &str) -> Option<String> {
        let state = self.db.snapshot();
        crate::ops::find(&state, ctx, arn)
            .ok()
            .and_then(|s| s.policy.clone())
    }
}
