//! The log groups and streams a call names, as IAM policies see them: a group as
//! `arn:aws:logs:<region>:<account>:log-group:<name>:*` (the ARN DescribeLogGroups answers),
//! a stream as `…:log-group:<name>:log-stream:<stream>`.

use berth_aws::resources::{input, text};
use berth_aws::RequestContext;

/// For [`berth_aws::service::Service::resources`].
pub fn resources(ctx: &RequestContext, _op: &str, body: &[u8]) -> Vec<String> {
    let doc = input(body);
    if let Some(arn) = text(&doc, "resourceArn") {
        return vec![arn.to_owned()];
    }
    let group = text(&doc, "logGroupName").or_else(|| text(&doc, "logGroupIdentifier"));
    let Some(group) = group else {
        return vec!["*".into()];
    };
    let base = match group.strip_prefix("arn:") {
        Some(_) => group.trim_end_matches(":*").to_owned(),
        None => format!(
            "arn:{}:logs:{}:{}:log-group:{group}",
            ctx.partition, ctx.region, ctx.account
        ),
    };
    match text(&doc, "logStreamName") {
        Some(stream) => vec![format!("{base}:log-stream:{stream}")],
        None => vec![format!("{base}:*")],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_and_streams_are_named_by_their_arns() {
        let ctx = RequestContext::for_account("123456789012", "us-east-1");
        assert_eq!(
            resources(
                &ctx,
                "PutLogEvents",
                br#"{"logGroupName":"/ecs/app","logStreamName":"s1"}"#
            ),
            vec!["arn:aws:logs:us-east-1:123456789012:log-group:/ecs/app:log-stream:s1"]
        );
        assert_eq!(
            resources(&ctx, "DeleteLogGroup", br#"{"logGroupName":"/ecs/app"}"#),
            vec!["arn:aws:logs:us-east-1:123456789012:log-group:/ecs/app:*"]
        );
        assert_eq!(resources(&ctx, "DescribeLogGroups", b"{}"), vec!["*"]);
    }
}
