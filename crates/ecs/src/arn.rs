//! Amazon Resource Names for ECS resources, and resolving the "name or ARN" parameters.

/// Where resources live: one account in one region.
#[derive(Clone, Debug)]
pub struct Scope {
    pub partition: String,
    pub region: String,
    pub account: String,
}

impl Scope {
    pub fn new(region: &str, account: &str) -> Self {
        Scope {
            partition: "aws".into(),
            region: region.into(),
            account: account.into(),
        }
    }

    pub fn arn(&self, resource: &str) -> String {
        format!(
            "arn:{}:ecs:{}:{}:{}",
            self.partition, self.region, self.account, resource
        )
    }

    pub fn cluster_arn(&self, name: &str) -> String {
        self.arn(&format!("cluster/{name}"))
    }

    pub fn task_definition_arn(&self, family: &str, revision: i32) -> String {
        self.arn(&format!("task-definition/{family}:{revision}"))
    }

    pub fn container_instance_arn(&self, cluster: &str, id: &str) -> String {
        self.arn(&format!("container-instance/{cluster}/{id}"))
    }

    pub fn service_arn(&self, cluster: &str, name: &str) -> String {
        self.arn(&format!("service/{cluster}/{name}"))
    }

    pub fn capacity_provider_arn(&self, name: &str) -> String {
        self.arn(&format!("capacity-provider/{name}"))
    }

    /// The resource part (`cluster/web`) of an ECS ARN in this scope, if it is one.
    pub fn resource_of<'a>(&self, arn: &'a str) -> Option<&'a str> {
        let mut parts = arn.splitn(6, ':');
        let (arn_lit, partition, service, region, account, resource) = (
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
        );
        (arn_lit == "arn"
            && partition == self.partition
            && service == "ecs"
            && region == self.region
            && account == self.account)
            .then_some(resource)
    }
}

pub fn is_arn(s: &str) -> bool {
    s.starts_with("arn:")
}

/// The cluster name from a `cluster` parameter (a name or a cluster ARN); `default` when absent.
/// An ARN of another region, account or resource type yields `None`.
pub fn cluster_name(scope: &Scope, param: Option<&str>) -> Option<String> {
    match param {
        None => Some("default".into()),
        Some("") => Some("default".into()),
        Some(p) if is_arn(p) => scope
            .resource_of(p)?
            .strip_prefix("cluster/")
            .map(str::to_owned),
        Some(p) => Some(p.to_owned()),
    }
}

/// Names of clusters, families and capacity providers: 1-255 of letters, digits, `-`, `_`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_param_takes_name_or_arn() {
        let s = Scope::new("us-east-1", "000000000000");
        assert_eq!(cluster_name(&s, None).as_deref(), Some("default"));
        assert_eq!(cluster_name(&s, Some("web")).as_deref(), Some("web"));
        assert_eq!(
            cluster_name(&s, Some("arn:aws:ecs:us-east-1:000000000000:cluster/web")).as_deref(),
            Some("web")
        );
        assert_eq!(
            cluster_name(&s, Some("arn:aws:ecs:eu-west-1:000000000000:cluster/web")),
            None
        );
        assert_eq!(
            cluster_name(
                &s,
                Some("arn:aws:ecs:us-east-1:000000000000:task-definition/x:1")
            ),
            None
        );
    }

    #[test]
    fn names() {
        assert!(valid_name("a-b_C9"));
        assert!(!valid_name(""));
        assert!(!valid_name("a b"));
        assert!(!valid_name(&"a".repeat(256)));
    }
}
