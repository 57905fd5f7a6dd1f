//! The resources a call names, as IAM policies see them: the ELB ARNs in its input
//! (load balancers, target groups, listeners, rules), `*` when it names none.

use berth_aws::resources::{input, or_any, text, texts};
use berth_aws::RequestContext;

/// For [`berth_aws::service::Service::resources`].
pub fn resources(_ctx: &RequestContext, op: &str, body: &[u8]) -> Vec<String> {
    let doc = input(body);
    let mut out: Vec<String> = Vec::new();
    let single = [
        "LoadBalancerArn",
        "TargetGroupArn",
        "ListenerArn",
        "RuleArn",
    ];
    let lists = [
        "LoadBalancerArns",
        "TargetGroupArns",
        "ListenerArns",
        "RuleArns",
        "ResourceArns",
    ];
    // Describe calls that filter by a parent name the parent; the others name what they act on.
    for f in single {
        if let Some(a) = text(&doc, f) {
            out.push(a.to_owned());
        }
    }
    for f in lists {
        out.extend(texts(&doc, f).into_iter().map(str::to_owned));
    }
    if op == "SetRulePriorities" {
        if let Some(pairs) = doc.get("RulePriorities").and_then(|v| v.as_array()) {
            out.extend(
                pairs
                    .iter()
                    .filter_map(|p| p.get("RuleArn")?.as_str().map(str::to_owned)),
            );
        }
    }
    or_any(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_in_the_input_are_the_resources() {
        let ctx = RequestContext::for_account("1", "us-east-1");
        assert_eq!(
            resources(&ctx, "DescribeLoadBalancers", b"{}"),
            vec!["*".to_owned()]
        );
        assert_eq!(
            resources(
                &ctx,
                "DescribeTags",
                br#"{"ResourceArns":["arn:a","arn:b"]}"#
            ),
            vec!["arn:a".to_owned(), "arn:b".to_owned()]
        );
        assert_eq!(
            resources(&ctx, "DeleteListener", br#"{"ListenerArn":"arn:l"}"#),
            vec!["arn:l".to_owned()]
        );
    }
}
