//! The ECS resources a call names, as IAM policies see them: clusters for cluster
//! operations, services, tasks and container instances (under their cluster), the task
//! definition RunTask and StartTask run (`family:*` when no revision is named).

use berth_aws::resources::{arn_or, input, or_any, text, texts};
use berth_aws::RequestContext;

/// The last part of a name or ARN (`web` of `…:cluster/web`).
fn short(given: &str) -> &str {
    given.rsplit('/').next().unwrap_or(given)
}

/// For [`berth_aws::service::Service::resources`].
pub fn resources(ctx: &RequestContext, op: &str, body: &[u8]) -> Vec<String> {
    let doc = input(body);
    let arn = |resource: String| {
        format!(
            "arn:{}:ecs:{}:{}:{resource}",
            ctx.partition, ctx.region, ctx.account
        )
    };
    let cluster_given = text(&doc, "cluster").unwrap_or("default");
    let cluster = short(cluster_given);
    let under = |kind: &str, given: &str| arn_or(given, |n| arn(format!("{kind}/{cluster}/{n}")));
    let list = |field: &str, kind: &str| -> Vec<String> {
        texts(&doc, field)
            .into_iter()
            .map(|g| under(kind, g))
            .collect()
    };
    let one = |field: &str, kind: &str| -> Vec<String> {
        text(&doc, field)
            .map(|g| under(kind, g))
            .into_iter()
            .collect()
    };
    let cluster_arn = || vec![arn_or(cluster_given, |n| arn(format!("cluster/{n}")))];
    let resources = match op {
        "DescribeClusters" => {
            let named: Vec<String> = texts(&doc, "clusters")
                .into_iter()
                .map(|c| arn_or(c, |n| arn(format!("cluster/{n}"))))
                .collect();
            if named.is_empty() {
                cluster_arn()
            } else {
                named
            }
        }
        "DeleteCluster"
        | "UpdateCluster"
        | "UpdateClusterSettings"
        | "PutClusterCapacityProviders"
        | "ListContainerInstances"
        | "ListServices"
        | "ListTasks"
        | "PutAttributes"
        | "DeleteAttributes" => cluster_arn(),
        "CreateService" => one("serviceName", "service"),
        "UpdateService" | "DeleteService" => one("service", "service"),
        "DescribeServices" => list("services", "service"),
        "StopTask" => one("task", "task"),
        "DescribeTasks" => list("tasks", "task"),
        "DescribeContainerInstances" => list("containerInstances", "container-instance"),
        "DeregisterContainerInstance" => one("containerInstance", "container-instance"),
        "UpdateContainerInstancesState" => list("containerInstances", "container-instance"),
        "RunTask" | "StartTask" => text(&doc, "taskDefinition")
            .map(|td| {
                arn_or(td, |spec| {
                    if spec.contains(':') {
                        arn(format!("task-definition/{spec}"))
                    } else {
                        arn(format!("task-definition/{spec}:*"))
                    }
                })
            })
            .into_iter()
            .collect(),
        "TagResource" | "UntagResource" | "ListTagsForResource" => text(&doc, "resourceArn")
            .map(str::to_owned)
            .into_iter()
            .collect(),
        _ => Vec::new(),
    };
    or_any(resources)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(op: &str, body: &str) -> Vec<String> {
        let ctx = RequestContext::for_account("123456789012", "us-east-1");
        resources(&ctx, op, body.as_bytes())
    }

    #[test]
    fn calls_name_their_ecs_resources() {
        let p = "arn:aws:ecs:us-east-1:123456789012";
        assert_eq!(
            of("DescribeClusters", "{}"),
            vec![format!("{p}:cluster/default")]
        );
        assert_eq!(
            of(
                "DescribeClusters",
                r#"{"clusters":["a","arn:aws:ecs:us-east-1:123456789012:cluster/b"]}"#
            ),
            vec![format!("{p}:cluster/a"), format!("{p}:cluster/b")]
        );
        assert_eq!(
            of("UpdateService", r#"{"cluster":"web","service":"api"}"#),
            vec![format!("{p}:service/web/api")]
        );
        assert_eq!(
            of(
                "StopTask",
                r#"{"cluster":"arn:aws:ecs:us-east-1:123456789012:cluster/web","task":"abc"}"#
            ),
            vec![format!("{p}:task/web/abc")]
        );
        assert_eq!(
            of("RunTask", r#"{"taskDefinition":"app"}"#),
            vec![format!("{p}:task-definition/app:*")]
        );
        assert_eq!(
            of("RunTask", r#"{"taskDefinition":"app:3"}"#),
            vec![format!("{p}:task-definition/app:3")]
        );
        assert_eq!(of("ListClusters", "{}"), vec!["*"]);
        assert_eq!(of("RegisterTaskDefinition", "{}"), vec!["*"]);
    }
}
