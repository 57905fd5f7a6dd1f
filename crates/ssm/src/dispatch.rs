//! The routing table: one line per implemented operation, from the wire body to a handler.

use berth_aws::model::Validate;
use berth_aws::protocol::json::{self, BodyError};
use berth_aws::RequestContext;
use berth_ssm_model::Operation;
use serde::{de::DeserializeOwned, Serialize};

use crate::error::{Result, SsmError};
use crate::Ssm;

fn call<Req, Resp>(body: &[u8], f: impl FnOnce(Req) -> Result<Resp>) -> Result<Vec<u8>>
where
    Req: DeserializeOwned + Validate,
    Resp: Serialize,
{
    let req = json::parse(body).map_err(|e| match e {
        BodyError::Serialization(m) => SsmError::Serialization(m),
        BodyError::Invalid(m) => SsmError::Validation(m),
    })?;
    let resp = f(req)?;
    serde_json::to_vec(&resp).map_err(|e| SsmError::Internal(format!("encoding response: {e}")))
}

impl Ssm {
    /// Answers one SSM operation for the caller in `ctx`; `body` is the request's JSON.
    pub fn handle(&self, ctx: &RequestContext, op: Operation, body: &[u8]) -> Result<Vec<u8>> {
        use Operation as O;
        let c = ctx;
        match op {
            O::PutParameter => call(body, |r| self.put_parameter(c, r)),
            O::GetParameter => call(body, |r| self.get_parameter(c, r)),
            O::GetParameters => call(body, |r| self.get_parameters(c, r)),
            O::GetParametersByPath => call(body, |r| self.get_parameters_by_path(c, r)),
            O::DescribeParameters => call(body, |r| self.describe_parameters(c, r)),
            O::GetParameterHistory => call(body, |r| self.get_parameter_history(c, r)),
            O::DeleteParameter => call(body, |r| self.delete_parameter(c, r)),
            O::DeleteParameters => call(body, |r| self.delete_parameters(c, r)),
            O::LabelParameterVersion => call(body, |r| self.label_parameter_version(c, r)),
            O::UnlabelParameterVersion => call(body, |r| self.unlabel_parameter_version(c, r)),
            O::AddTagsToResource => call(body, |r| self.add_tags_to_resource(c, r)),
            O::RemoveTagsFromResource => call(body, |r| self.remove_tags_from_resource(c, r)),
            O::ListTagsForResource => call(body, |r| self.list_tags_for_resource(c, r)),
            other => Err(SsmError::NotYet(format!(
                "The operation {} is not supported by Berth yet (Berth's Systems Manager is Parameter Store).",
                other.name()
            ))),
        }
    }

    /// Whether Berth answers `op` (the others answer UnsupportedOperationException).
    pub fn implements(&self, op: Operation) -> bool {
        let ctx = RequestContext::for_account("000000000000", "us-east-1");
        !matches!(self.handle(&ctx, op, b"\0"), Err(SsmError::NotYet(_)))
    }
}
