//! The routing table: one line per implemented operation, from the wire body to a handler.

use berth_aws::model::Validate;
use berth_aws::protocol::json::{self, BodyError};
use berth_aws::RequestContext;
use berth_secretsmanager_model::Operation;
use serde::{de::DeserializeOwned, Serialize};

use crate::error::{Result, SmError};
use crate::SecretsManager;

fn call<Req, Resp>(body: &[u8], f: impl FnOnce(Req) -> Result<Resp>) -> Result<Vec<u8>>
where
    Req: DeserializeOwned + Validate,
    Resp: Serialize,
{
    let req = json::parse(body).map_err(|e| match e {
        BodyError::Serialization(m) => SmError::Serialization(m),
        BodyError::Invalid(m) => SmError::Validation(m),
    })?;
    let resp = f(req)?;
    serde_json::to_vec(&resp).map_err(|e| SmError::Service(format!("encoding response: {e}")))
}

impl SecretsManager {
    /// Answers one Secrets Manager operation for the caller in `ctx`; `body` is the request's
    /// JSON.
    pub fn handle(&self, ctx: &RequestContext, op: Operation, body: &[u8]) -> Result<Vec<u8>> {
        use Operation as O;
        let c = ctx;
        match op {
            O::CreateSecret => call(body, |r| self.create_secret(c, r)),
            O::DescribeSecret => call(body, |r| self.describe_secret(c, r)),
            O::UpdateSecret => call(body, |r| self.update_secret(c, r)),
            O::DeleteSecret => call(body, |r| self.delete_secret(c, r)),
            O::RestoreSecret => call(body, |r| self.restore_secret(c, r)),
            O::ListSecrets => call(body, |r| self.list_secrets(c, r)),
            O::GetSecretValue => call(body, |r| self.get_secret_value(c, r)),
            O::BatchGetSecretValue => call(body, |r| self.batch_get_secret_value(c, r)),
            O::PutSecretValue => call(body, |r| self.put_secret_value(c, r)),
            O::ListSecretVersionIds => call(body, |r| self.list_secret_version_ids(c, r)),
            O::UpdateSecretVersionStage => call(body, |r| self.update_secret_version_stage(c, r)),
            O::PutResourcePolicy => call(body, |r| self.put_resource_policy(c, r)),
            O::GetResourcePolicy => call(body, |r| self.get_resource_policy(c, r)),
            O::DeleteResourcePolicy => call(body, |r| self.delete_resource_policy(c, r)),
            O::ValidateResourcePolicy => call(body, |r| self.validate_resource_policy(c, r)),
            O::TagResource => call(body, |r| self.tag_resource(c, r)),
            O::UntagResource => call(body, |r| self.untag_resource(c, r)),
            O::GetRandomPassword => call(body, |r| self.get_random_password(r)),
            other => Err(SmError::NotYet(format!(
                "The operation {} is not supported by Berth yet.",
                other.name()
            ))),
        }
    }

    /// Whether Berth answers `op` (the others answer InvalidRequestException).
    pub fn implements(&self, op: Operation) -> bool {
        let ctx = RequestContext::for_account("000000000000", "us-east-1");
        !matches!(self.handle(&ctx, op, b"\0"), Err(SmError::NotYet(_)))
    }
}
