//! The repositories a call names, as IAM policies see them
//! (`arn:aws:ecr:<region>:<registry>:repository/<name>`).

use berth_aws::resources::{input, or_any, text, texts};
use berth_aws::RequestContext;

/// For [`berth_aws::service::Service::resources`].
pub fn resources(ctx: &RequestContext, _op: &str, body: &[u8]) -> Vec<String> {
    let doc = input(body);
    let registry = text(&doc, "registryId").unwrap_or(&ctx.account);
    let repo = |name: &str| {
        format!(
            "arn:{}:ecr:{}:{registry}:repository/{name}",
            ctx.partition, ctx.region
        )
    };
    if let Some(name) = text(&doc, "repositoryName") {
        return vec![repo(name)];
    }
    if let Some(arn) = text(&doc, "resourceArn") {
        return vec![arn.to_owned()];
    }
    or_any(
        texts(&doc, "repositoryNames")
            .into_iter()
            .map(repo)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_are_named_by_their_arns() {
        let ctx = RequestContext::for_account("123456789012", "us-east-1");
        assert_eq!(
            resources(&ctx, "BatchGetImage", br#"{"repositoryName":"web/app"}"#),
            vec!["arn:aws:ecr:us-east-1:123456789012:repository/web/app"]
        );
        assert_eq!(
            resources(
                &ctx,
                "BatchGetImage",
                br#"{"repositoryName":"x","registryId":"444455556666"}"#
            ),
            vec!["arn:aws:ecr:us-east-1:444455556666:repository/x"]
        );
        assert_eq!(resources(&ctx, "GetAuthorizationToken", b"{}"), vec!["*"]);
    }
}
