//! The users, roles, policies and server certificates a call names, as IAM policies see them: their ARNs (with
//! their paths, for those that exist); a call about the caller's own user without a name
//! names the caller.

use berth_aws::resources::{input, text};
use berth_aws::RequestContext;

use crate::records::user_key;
use crate::Iam;

impl Iam {
    /// For [`berth_aws::service::Service::resources`].
    pub fn resources(&self, ctx: &RequestContext, op: &str, body: &[u8]) -> Vec<String> {
        let doc = input(body);
        let account = &ctx.account;
        let path = text(&doc, "Path").unwrap_or("/");
        let state = self.db.snapshot();
        if let Some(arn) = text(&doc, "PolicyArn") {
            return vec![arn.to_owned()];
        }
        if let Some(name) = text(&doc, "RoleName") {
            let arn = state
                .roles
                .get(&user_key(account, name))
                .map(|r| r.arn.clone())
                .unwrap_or_else(|| format!("arn:aws:iam::{account}:role{path}{name}"));
            return vec![arn];
        }
        if let Some(name) = text(&doc, "GroupName") {
            let arn = state
                .groups
                .get(&user_key(account, name))
                .map(|g| g.arn.clone())
                .unwrap_or_else(|| format!("arn:aws:iam::{account}:group{path}{name}"));
            return vec![arn];
        }
        if let Some(name) = text(&doc, "ServerCertificateName") {
            let arn = state
                .server_certs
                .get(&user_key(account, name))
                .map(|c| c.arn.clone())
                .unwrap_or_else(|| {
                    format!("arn:aws:iam::{account}:server-certificate{path}{name}")
                });
            return vec![arn];
        }
        if let Some(name) = text(&doc, "UserName") {
            let arn = state
                .users
                .get(&user_key(account, name))
                .map(|u| u.arn.clone())
                .unwrap_or_else(|| format!("arn:aws:iam::{account}:user{path}{name}"));
            return vec![arn];
        }
        if let Some(name) = text(&doc, "PolicyName").filter(|_| op == "CreatePolicy") {
            return vec![format!("arn:aws:iam::{account}:policy{path}{name}")];
        }
        let about_self = matches!(
            op,
            "GetUser"
                | "ListAccessKeys"
                | "CreateAccessKey"
                | "UpdateAccessKey"
                | "DeleteAccessKey"
        );
        if about_self && ctx.principal.contains(":user/") {
            return vec![ctx.principal.clone()];
        }
        vec!["*".into()]
    }
}
