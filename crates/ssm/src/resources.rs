//! The parameters a call names, as IAM policies see them
//! (`arn:aws:ssm:<region>:<account>:parameter/<name without its leading slash>`).

use berth_aws::resources::{input, or_any, text, texts};
use berth_aws::RequestContext;

/// The ARN of parameter (or path) `name`.
pub fn parameter_arn(ctx: &RequestContext, name: &str) -> String {
    if name.starts_with("arn:") {
        return name.to_owned();
    }
    format!(
        "arn:{}:ssm:{}:{}:parameter/{}",
        ctx.partition,
        ctx.region,
        ctx.account,
        name.strip_prefix('/').unwrap_or(name)
    )
}

/// For [`berth_aws::service::Service::resources`].
pub fn resources(ctx: &RequestContext, op: &str, body: &[u8]) -> Vec<String> {
    let doc = input(body);
    let names: Vec<&str> = match op {
        "GetParameters" | "DeleteParameters" => texts(&doc, "Names"),
        "GetParametersByPath" => text(&doc, "Path").into_iter().collect(),
        "AddTagsToResource" | "RemoveTagsFromResource" | "ListTagsForResource" => {
            text(&doc, "ResourceId").into_iter().collect()
        }
        "DescribeParameters" => Vec::new(),
        _ => text(&doc, "Name").into_iter().collect(),
    };
    or_any(names.into_iter().map(|n| parameter_arn(ctx, n)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_named_by_their_arns() {
        let ctx = RequestContext::for_account("123456789012", "us-east-1");
        assert_eq!(
            resources(&ctx, "GetParameter", br#"{"Name":"/prod/db"}"#),
            vec!["arn:aws:ssm:us-east-1:123456789012:parameter/prod/db"]
        );
        assert_eq!(
            resources(&ctx, "GetParameters", br#"{"Names":["a","/b"]}"#),
            vec![
                "arn:aws:ssm:us-east-1:123456789012:parameter/a",
                "arn:aws:ssm:us-east-1:123456789012:parameter/b"
            ]
        );
        assert_eq!(resources(&ctx, "DescribeParameters", b"{}"), vec!["*"]);
    }
}
