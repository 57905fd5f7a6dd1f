//! GetAuthorizationToken: registry credentials for the caller (see `crate::token`).

use berth_aws::RequestContext;
use berth_ecr_model::shapes::*;

use crate::error::Result;
use crate::token::{self, Grant};
use crate::Ecr;

impl Ecr {
    pub(crate) fn get_authorization_token(
        &self,
        ctx: &RequestContext,
        req: GetAuthorizationTokenRequest,
    ) -> Result<GetAuthorizationTokenResponse> {
        for id in req.registry_ids.iter().flatten() {
            super::registry_of(ctx, Some(id))?;
        }
        let grant = Grant {
            account: ctx.account.clone(),
            access_key_id: ctx.access_key_id.clone(),
            expires_at: (self.now() + token::LIFETIME_SECS).floor(),
        };
        // One token serves every registry on this endpoint (as ECR's does every registry
        // in the region): one entry, whichever registry ids were named.
        Ok(GetAuthorizationTokenResponse {
            authorization_data: Some(vec![AuthorizationData {
                authorization_token: Some(token::authorization_token(&self.token_key, &grant)),
                expires_at: Some(grant.expires_at),
                proxy_endpoint: Some(self.registry_url()),
            }]),
        })
    }
}
