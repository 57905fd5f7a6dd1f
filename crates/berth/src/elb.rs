//! ELB's and ECS's ports wired to each other: `instance` targets are the ECS container
//! instances of the target's account (their `privateIp`), and ECS registers services'
//! tasks as targets through ELB's own API, in the same process.

use std::net::IpAddr;
use std::sync::Arc;

use berth_aws::RequestContext;
use berth_ecs::{EcsService, TargetGroupInfo, TargetStates};
use berth_elbv2::Elb;
use berth_elbv2_model::Operation;
use serde_json::{json, Value};

pub struct EcsInstances(pub Arc<EcsService>);

impl berth_elbv2::Instances for EcsInstances {
    fn address(&self, account: &str, instance_id: &str) -> Option<IpAddr> {
        self.0
            .for_account(account)
            .ok()?
            .instance_address(instance_id)
    }
}

/// ECS's `LoadBalancers` port answered by the region's ELB.
pub struct ElbTargets {
    pub elb: Arc<Elb>,
    pub region: String,
}

impl ElbTargets {
    fn call(&self, account: &str, op: Operation, body: Value) -> Result<Value, String> {
        let ctx = RequestContext::for_account(account, &self.region);
        let out = self
            .elb
            .handle(&ctx, op, body.to_string().as_bytes())
            .map_err(|e| e.to_string())?;
        serde_json::from_slice(&out).map_err(|e| e.to_string())
    }
}

fn targets_json(targets: &[(String, u16)]) -> Value {
    Value::Array(
        targets
            .iter()
            .map(|(id, port)| json!({"Id": id, "Port": port}))
            .collect(),
    )
}

impl berth_ecs::LoadBalancers for ElbTargets {
    fn target_group(&self, account: &str, arn: &str) -> Result<TargetGroupInfo, String> {
        let out = self.call(
            account,
            Operation::DescribeTargetGroups,
            json!({"TargetGroupArns": [arn]}),
        )?;
        let tg = &out["TargetGroups"][0];
        let attrs = self.call(
            account,
            Operation::DescribeTargetGroupAttributes,
            json!({"TargetGroupArn": arn}),
        )?;
        let delay = attrs["Attributes"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["Key"] == "deregistration_delay.timeout_seconds")
            .and_then(|a| a["Value"].as_str()?.parse::<f64>().ok())
            .unwrap_or(300.0);
        Ok(TargetGroupInfo {
            target_type: tg["TargetType"].as_str().unwrap_or("instance").to_owned(),
            has_load_balancer: tg["LoadBalancerArns"]
                .as_array()
                .is_some_and(|l| !l.is_empty()),
            deregistration_delay_secs: delay,
        })
    }

    fn register(&self, account: &str, arn: &str, targets: &[(String, u16)]) -> Result<(), String> {
        self.call(
            account,
            Operation::RegisterTargets,
            json!({"TargetGroupArn": arn, "Targets": targets_json(targets)}),
        )
        .map(|_| ())
    }

    fn deregister(
        &self,
        account: &str,
        arn: &str,
        targets: &[(String, u16)],
    ) -> Result<(), String> {
        self.call(
            account,
            Operation::DeregisterTargets,
            json!({"TargetGroupArn": arn, "Targets": targets_json(targets)}),
        )
        .map(|_| ())
    }

    fn health(&self, account: &str, arn: &str) -> Result<TargetStates, String> {
        let out = self.call(
            account,
            Operation::DescribeTargetHealth,
            json!({"TargetGroupArn": arn}),
        )?;
        Ok(out["TargetHealthDescriptions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| {
                let id = d["Target"]["Id"].as_str()?.to_owned();
                let port = u16::try_from(d["Target"]["Port"].as_u64()?).ok()?;
                let state = d["TargetHealth"]["State"].as_str()?.to_owned();
                Some(((id, port), state))
            })
            .collect())
    }
}
