//! The routing table: one line per implemented operation, from the input document to a
//! handler.

use berth_aws::model::Validate;
use berth_aws::protocol::json::{self, BodyError};
use berth_aws::RequestContext;
use berth_sts_model::Operation;
use serde::{de::DeserializeOwned, Serialize};

use crate::error::{Result, StsError};
use crate::Sts;

fn call<Req, Resp>(body: &[u8], f: impl FnOnce(Req) -> Result<Resp>) -> Result<Vec<u8>>
where
    Req: DeserializeOwned + Validate,
    Resp: Serialize,
{
    let req = json::parse(body).map_err(|e| match e {
        BodyError::Serialization(m) => StsError::Malformed(m),
        BodyError::Invalid(m) => StsError::Validation(m),
    })?;
    let resp = f(req)?;
    serde_json::to_vec(&resp).map_err(|e| StsError::Internal(format!("encoding response: {e}")))
}

impl Sts {
    /// Answers one STS operation for the caller in `ctx`; `body` is the input's document.
    pub fn handle(&self, ctx: &RequestContext, op: Operation, body: &[u8]) -> Result<Vec<u8>> {
        use Operation as O;
        match op {
            O::GetCallerIdentity => call(body, |r| self.get_caller_identity(ctx, r)),
            O::AssumeRole => call(body, |r| self.assume_role(ctx, r)),
            O::GetSessionToken => call(body, |r| self.get_session_token(ctx, r)),
            other => Err(StsError::NotYet(format!(
                "The action {} is not supported by Berth yet.",
                other.name()
            ))),
        }
    }

    /// Whether Berth answers `op`.
    pub fn implements(&self, op: Operation) -> bool {
        let ctx = RequestContext::for_account("000000000000", "us-east-1");
        !matches!(self.handle(&ctx, op, b"\0"), Err(StsError::NotYet(_)))
    }
}
