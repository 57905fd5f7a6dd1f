//! What the ELB tests share: an ELB over a memory store with a fake network (one VPC,
//! three subnets in three zones, a default security group) and instances.

#![allow(dead_code)]

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use berth_aws::clock::SystemClock;
use berth_aws::RequestContext;
use berth_elbv2::{
    Elb, ElbConfig, ElbError, HealthView, Instances, Network, ObservedTarget, Subnet,
};
use berth_elbv2_model::Operation;
use serde_json::Value;

pub const ACCOUNT: &str = "000000000000";

pub struct FakeNetwork;

impl Network for FakeNetwork {
    fn subnet(&self, _account: &str, id: &str) -> Option<Subnet> {
        let zone = match id {
            "subnet-a" => "us-east-1a",
            "subnet-b" => "us-east-1b",
            "subnet-c" => "us-east-1c",
            "subnet-a2" => "us-east-1a",
            "subnet-other" => {
                return Some(Subnet {
                    id: id.into(),
                    vpc_id: "vpc-other".into(),
                    availability_zone: "us-east-1c".into(),
                })
            }
            _ => return None,
        };
        Some(Subnet {
            id: id.into(),
            vpc_id: "vpc-1".into(),
            availability_zone: zone.into(),
        })
    }
    fn default_subnets(&self, account: &str) -> Vec<Subnet> {
        ["subnet-a", "subnet-b", "subnet-c"]
            .iter()
            .filter_map(|s| self.subnet(account, s))
            .collect()
    }
    fn vpc_exists(&self, _account: &str, vpc: &str) -> bool {
        vpc == "vpc-1" || vpc == "vpc-other"
    }
    fn security_group_vpc(&self, _account: &str, id: &str) -> Option<String> {
        matches!(id, "sg-default" | "sg-web").then(|| "vpc-1".into())
    }
    fn default_security_group(&self, _account: &str, vpc: &str) -> Option<String> {
        (vpc == "vpc-1").then(|| "sg-default".into())
    }
}

pub struct FakeInstances;

impl Instances for FakeInstances {
    fn address(&self, _account: &str, id: &str) -> Option<IpAddr> {
        (id == "i-0123456789abcdef0")
            .then(|| "10.0.0.5".parse().ok())
            .flatten()
    }
}

#[derive(Default)]
pub struct FakeHealth(pub Mutex<Vec<(String, ObservedTarget)>>);

impl HealthView for FakeHealth {
    fn targets(&self, tg: &str) -> Vec<ObservedTarget> {
        self.0
            .lock()
            .map(|g| {
                g.iter()
                    .filter(|(t, _)| t == tg)
                    .map(|(_, o)| o.clone())
                    .collect()
            })
            .unwrap_or_default()
    }
}

pub fn elb_with(store: Arc<dyn berth_store::Store>) -> Elb {
    let elb = Elb::open(
        store,
        Arc::new(SystemClock),
        ElbConfig::new("169.254.181.0/29".parse().expect("pool")),
    )
    .expect("open");
    elb.set_network(Arc::new(FakeNetwork));
    elb.set_instances(Arc::new(FakeInstances));
    elb
}

pub fn elb() -> Elb {
    elb_with(Arc::new(berth_store::MemStore::default()))
}

pub fn ctx() -> RequestContext {
    RequestContext::for_account(ACCOUNT, "us-east-1")
}

pub fn call(elb: &Elb, op: Operation, body: Value) -> Result<Value, ElbError> {
    let out = elb.handle(&ctx(), op, body.to_string().as_bytes())?;
    Ok(serde_json::from_slice(&out).expect("answer is JSON"))
}

pub fn ok(elb: &Elb, op: Operation, body: Value) -> Value {
    match call(elb, op, body.clone()) {
        Ok(v) => v,
        Err(e) => panic!("{} {body}: {e:?}", op.name()),
    }
}

pub fn code(elb: &Elb, op: Operation, body: Value) -> String {
    match call(elb, op, body.clone()) {
        Ok(v) => panic!("{} {body} succeeded: {v}", op.name()),
        Err(e) => {
            assert!(e.status() < 500, "{e:?}");
            e.code().to_owned()
        }
    }
}

pub fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// A load balancer named `name` in subnets a and b: its ARN.
pub fn load_balancer(elb: &Elb, name: &str) -> String {
    let out = ok(
        elb,
        Operation::CreateLoadBalancer,
        serde_json::json!({"Name": name, "Subnets": ["subnet-a", "subnet-b"]}),
    );
    s(&out["LoadBalancers"][0]["LoadBalancerArn"])
}

/// An `ip` target group on port 80: its ARN.
pub fn target_group(elb: &Elb, name: &str) -> String {
    let out = ok(
        elb,
        Operation::CreateTargetGroup,
        serde_json::json!({"Name": name, "Protocol": "HTTP", "Port": 80, "VpcId": "vpc-1", "TargetType": "ip"}),
    );
    s(&out["TargetGroups"][0]["TargetGroupArn"])
}

pub fn forward(tg: &str) -> Value {
    serde_json::json!([{"Type": "forward", "TargetGroupArn": tg}])
}

/// An HTTP listener on `port` forwarding to `tg`: its ARN.
pub fn listener(elb: &Elb, lb: &str, port: u16, tg: &str) -> String {
    let out = ok(
        elb,
        Operation::CreateListener,
        serde_json::json!({"LoadBalancerArn": lb, "Protocol": "HTTP", "Port": port, "DefaultActions": forward(tg)}),
    );
    s(&out["Listeners"][0]["ListenerArn"])
}
