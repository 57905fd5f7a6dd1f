//! GetCallerIdentity.

use berth_aws::RequestContext;
use berth_sts_model::shapes::*;

use crate::error::Result;
use crate::Sts;

impl Sts {
    pub(crate) fn get_caller_identity(
        &self,
        ctx: &RequestContext,
        _req: GetCallerIdentityRequest,
    ) -> Result<GetCallerIdentityResponse> {
        // An account's root answers with the account id as its user id, as AWS does; a
        // user with its `AIDA…` id.
        Ok(GetCallerIdentityResponse {
            user_id: Some(ctx.principal_id.clone()),
            account: Some(ctx.account.clone()),
            arn: Some(ctx.principal.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_is_its_account() {
        let ctx = RequestContext::for_account("123456789012", "us-east-1");
        let out = crate::test_sts()
            .get_caller_identity(&ctx, GetCallerIdentityRequest::default())
            .expect("identity");
        assert_eq!(out.account.as_deref(), Some("123456789012"));
        assert_eq!(out.user_id.as_deref(), Some("123456789012"));
        assert_eq!(out.arn.as_deref(), Some("arn:aws:iam::123456789012:root"));
    }
}
