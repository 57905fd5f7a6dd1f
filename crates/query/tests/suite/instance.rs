//! A container instance to evaluate expressions against.

use std::collections::BTreeMap;

use berth_query::{parse, Subject};

#[derive(Debug, Clone, Default)]
pub struct Instance {
    pub attributes: BTreeMap<String, String>,
    pub connected: bool,
    pub version: Option<String>,
    pub ec2_id: Option<String>,
    pub registered_at: Option<f64>,
    pub running: i64,
    pub groups: Vec<String>,
}

impl Instance {
    /// A connected g2.2xlarge in us-east-1a, agent 1.14.5, registered
    /// 2018-06-18T22:28:28Z, running one task of `service:production`.
    pub fn sample() -> Instance {
        Instance {
            connected: true,
            version: Some("1.14.5".into()),
            ec2_id: Some("i-abcd1234".into()),
            registered_at: Some(1_529_360_908.0),
            running: 1,
            groups: vec!["service:production".into()],
            ..Instance::default()
        }
        .attr("ecs.instance-type", "g2.2xlarge")
        .attr("ecs.availability-zone", "us-east-1a")
        .attr("ecs.os-type", "linux")
    }

    pub fn attr(mut self, name: &str, value: &str) -> Instance {
        self.attributes.insert(name.into(), value.into());
        self
    }
}

impl Subject for Instance {
    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.get(name).map(String::as_str)
    }
    fn agent_connected(&self) -> bool {
        self.connected
    }
    fn agent_version(&self) -> Option<&str> {
        self.version.as_deref()
    }
    fn ec2_instance_id(&self) -> Option<&str> {
        self.ec2_id.as_deref()
    }
    fn registered_at(&self) -> Option<f64> {
        self.registered_at
    }
    fn running_tasks_count(&self) -> i64 {
        self.running
    }
    fn task_groups(&self) -> Vec<&str> {
        self.groups.iter().map(String::as_str).collect()
    }
}

/// Parses `src` (which must be valid) and evaluates it on `i`.
pub fn eval(src: &str, i: &Instance) -> bool {
    match parse(src) {
        Ok(e) => e.matches(i),
        Err(err) => panic!("{src:?} should parse: {err}"),
    }
}
