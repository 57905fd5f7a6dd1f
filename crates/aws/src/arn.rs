//! Amazon Resource Names of any service: `arn:<partition>:<service>:<region>:<account>:<resource>`.

use std::fmt;

use crate::RequestContext;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arn {
    pub partition: String,
    pub service: String,
    pub region: String,
    pub account: String,
    pub resource: String,
}

impl Arn {
    /// An ARN of `service` in the caller's partition, region and account.
    pub fn new(ctx: &RequestContext, service: &str, resource: &str) -> Self {
        Arn {
            partition: ctx.partition.clone(),
            service: service.into(),
            region: ctx.region.clone(),
            account: ctx.account.clone(),
            resource: resource.into(),
        }
    }

    /// Parses an ARN; None if it does not have six `:`-separated parts starting with `arn`.
    pub fn parse(text: &str) -> Option<Arn> {
        let mut parts = text.splitn(6, ':');
        if parts.next()? != "arn" {
            return None;
        }
        let partition = parts.next()?;
        let service = parts.next()?;
        let region = parts.next()?;
        let account = parts.next()?;
        let resource = parts.next()?;
        if partition.is_empty() || service.is_empty() || resource.is_empty() {
            return None;
        }
        Some(Arn {
            partition: partition.into(),
            service: service.into(),
            region: region.into(),
            account: account.into(),
            resource: resource.into(),
        })
    }

    /// Whether the ARN names a resource of `service` where the caller acts.
    pub fn is_local(&self, ctx: &RequestContext, service: &str) -> bool {
        self.partition == ctx.partition
            && self.service == service
            && self.region == ctx.region
            && self.account == ctx.account
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:{}:{}:{}:{}",
            self.partition, self.service, self.region, self.account, self.resource
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_it_prints_and_refuses_what_is_not_an_arn() {
        let ctx = RequestContext::for_account("111122223333", "eu-west-1");
        let arn = Arn::new(&ctx, "logs", "log-group:a:b:*");
        assert_eq!(Arn::parse(&arn.to_string()), Some(arn.clone()));
        assert!(arn.is_local(&ctx, "logs"));
        assert!(!arn.is_local(&ctx, "ecs"));
        for bad in [
            "",
            "arn",
            "arn:aws:logs",
            "nope:aws:logs:r:a:x",
            "arn::logs:r:a:x",
        ] {
            assert_eq!(Arn::parse(bad), None, "{bad}");
        }
    }
}
