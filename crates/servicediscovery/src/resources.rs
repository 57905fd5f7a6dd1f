//! The resources a call names, as IAM policies see them
//! (`arn:aws:servicediscovery:<region>:<account>:namespace/<id>` and `…:service/<id>`).

use berth_aws::resources::{input, or_any, text};
use berth_aws::RequestContext;

fn arn(ctx: &RequestContext, kind: &str, id: &str) -> String {
    if id.starts_with("arn:") {
        return id.to_owned();
    }
    format!(
        "arn:{}:servicediscovery:{}:{}:{kind}/{id}",
        ctx.partition, ctx.region, ctx.account
    )
}

/// For [`berth_aws::service::Service::resources`].
pub fn resources(ctx: &RequestContext, op: &str, body: &[u8]) -> Vec<String> {
    let doc = input(body);
    let named: Vec<String> = match op {
        "GetNamespace"
        | "DeleteNamespace"
        | "UpdatePrivateDnsNamespace"
        | "UpdatePublicDnsNamespace"
        | "UpdateHttpNamespace" => text(&doc, "Id")
            .map(|id| arn(ctx, "namespace", id))
            .into_iter()
            .collect(),
        "CreateService" => text(&doc, "NamespaceId")
            .map(|id| arn(ctx, "namespace", id))
            .into_iter()
            .collect(),
        "GetService" | "DeleteService" | "UpdateService" => text(&doc, "Id")
            .map(|id| arn(ctx, "service", id))
            .into_iter()
            .collect(),
        "RegisterInstance"
        | "DeregisterInstance"
        | "GetInstance"
        | "ListInstances"
        | "GetInstancesHealthStatus"
        | "UpdateInstanceCustomHealthStatus"
        | "GetServiceAttributes"
        | "UpdateServiceAttributes"
        | "DeleteServiceAttributes" => text(&doc, "ServiceId")
            .map(|id| arn(ctx, "service", id))
            .into_iter()
            .collect(),
        "TagResource" | "UntagResource" | "ListTagsForResource" => text(&doc, "ResourceARN")
            .map(str::to_owned)
            .into_iter()
            .collect(),
        _ => Vec::new(),
    };
    or_any(named)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_and_services_are_named_by_their_arns() {
        let ctx = RequestContext::for_account("123456789012", "us-east-1");
        assert_eq!(
            resources(&ctx, "GetNamespace", br#"{"Id":"ns-abc"}"#),
            vec!["arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-abc"]
        );
        assert_eq!(
            resources(
                &ctx,
                "RegisterInstance",
                br#"{"ServiceId":"srv-1","InstanceId":"i"}"#
            ),
            vec!["arn:aws:servicediscovery:us-east-1:123456789012:service/srv-1"]
        );
        assert_eq!(resources(&ctx, "ListNamespaces", b"{}"), vec!["*"]);
    }
}
