//! Services behind load balancers: their tasks registered as targets once RUNNING, the
//! rollout waiting for healthy targets, unhealthy targets replaced, and stops held until the
//! targets drained — against a fake ELB.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use berth_ecs::{Ecs, FixedClock, LoadBalancers, Scope, TargetGroupInfo, TargetStates};
use berth_ecs_model::Operation;
use berth_store::MemStore;
use common::{call, ok};
use serde_json::{json, Value};

const TG: &str =
    "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/0123456789abcdef";
const IP_TG: &str =
    "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/ips/0123456789abcdef";
const LONELY_TG: &str =
    "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/lonely/0123456789abcdef";

/// Target groups with their registered targets' states; calls recorded.
#[derive(Default)]
struct FakeElb {
    targets: Mutex<BTreeMap<String, TargetStates>>,
    calls: Mutex<Vec<String>>,
}

impl FakeElb {
    fn set(&self, tg: &str, state: &str) {
        let mut g = self.targets.lock().expect("lock");
        for s in g.entry(tg.into()).or_default().values_mut() {
            *s = state.into();
        }
    }
    fn drain_done(&self, tg: &str) {
        self.targets
            .lock()
            .expect("lock")
            .entry(tg.into())
            .or_default()
            .clear();
    }
    fn calls(&self) -> Vec<String> {
        self.calls.lock().expect("lock").clone()
    }
}

impl LoadBalancers for FakeElb {
    fn target_group(&self, _account: &str, arn: &str) -> Result<TargetGroupInfo, String> {
        match arn {
            TG => Ok(TargetGroupInfo {
                target_type: "instance".into(),
                has_load_balancer: true,
                deregistration_delay_secs: 10.0,
            }),
            IP_TG => Ok(TargetGroupInfo {
                target_type: "ip".into(),
                has_load_balancer: true,
                deregistration_delay_secs: 10.0,
            }),
            LONELY_TG => Ok(TargetGroupInfo {
                target_type: "instance".into(),
                has_load_balancer: false,
                deregistration_delay_secs: 10.0,
            }),
            _ => Err("One or more target groups not found".into()),
        }
    }
    fn register(&self, _account: &str, arn: &str, targets: &[(String, u16)]) -> Result<(), String> {
        let mut g = self.targets.lock().expect("lock");
        for t in targets {
            g.entry(arn.into())
                .or_default()
                .insert(t.clone(), "initial".into());
            self.calls
                .lock()
                .expect("lock")
                .push(format!("register {}:{}", t.0, t.1));
        }
        Ok(())
    }
    fn deregister(
        &self,
        _account: &str,
        arn: &str,
        targets: &[(String, u16)],
    ) -> Result<(), String> {
        let mut g = self.targets.lock().expect("lock");
        for t in targets {
            if let Some(s) = g.entry(arn.into()).or_default().get_mut(t) {
                *s = "draining".into();
            }
            self.calls
                .lock()
                .expect("lock")
                .push(format!("deregister {}:{}", t.0, t.1));
        }
        Ok(())
    }
    fn health(&self, _account: &str, arn: &str) -> Result<TargetStates, String> {
        Ok(self
            .targets
            .lock()
            .expect("lock")
            .get(arn)
            .cloned()
            .unwrap_or_default())
    }
}

struct World {
    ecs: Ecs,
    clock: Arc<FixedClock>,
    elb: Arc<FakeElb>,
    instance: String,
}

fn world() -> World {
    let clock = Arc::new(FixedClock::new(1_700_000_000_000));
    let ecs = Ecs::open(
        Arc::new(MemStore::default()),
        clock.clone(),
        Scope::new("us-east-1", "000000000000"),
    )
    .expect("open");
    let elb = Arc::new(FakeElb::default());
    ecs.set_load_balancers(elb.clone());
    ok(&ecs, Operation::CreateCluster, json!({"clusterName": "c"}));
    ok(
        &ecs,
        Operation::RegisterTaskDefinition,
        json!({"family": "web", "networkMode": "bridge", "containerDefinitions": [
        {"name": "web", "image": "busybox", "memory": 128, "portMappings": [{"containerPort": 80, "hostPort": 0}]}]}),
    );
    let doc = json!({"instanceId": "i-0aaaaaaaaaaaaaaa1", "privateIp": "10.0.0.5", "availabilityZone": "us-east-1a"}).to_string();
    let r = ok(
        &ecs,
        Operation::RegisterContainerInstance,
        json!({"cluster": "c", "instanceIdentityDocument": doc, "totalResources": [
        {"name": "CPU", "type": "INTEGER", "integerValue": 4096},
        {"name": "MEMORY", "type": "INTEGER", "integerValue": 4096}]}),
    );
    let arn = r["containerInstance"]["containerInstanceArn"]
        .as_str()
        .expect("arn")
        .to_owned();
    let instance = ecs.agent_instance(Some("c"), &arn).expect("instance");
    World {
        ecs,
        clock,
        elb,
        instance,
    }
}

fn service(w: &World, body: Value) -> Result<Value, berth_ecs::EcsError> {
    let mut b = json!({"cluster": "c", "serviceName": "web", "taskDefinition": "web", "desiredCount": 1,
        "loadBalancers": [{"targetGroupArn": TG, "containerName": "web", "containerPort": 80}]});
    if let (Some(b), Some(extra)) = (b.as_object_mut(), body.as_object()) {
        for (k, v) in extra {
            b.insert(k.clone(), v.clone());
        }
    }
    call(&w.ecs, Operation::CreateService, b)
}

/// The agent side: every task the agent is told to run reports RUNNING with a host port.
fn agent_runs_everything(w: &World) -> Vec<String> {
    let p = w.ecs.agent_poll(&w.instance, 0).expect("poll");
    let mut running = Vec::new();
    for (i, t) in p.tasks.iter().enumerate() {
        if t.desired_status == "RUNNING" && t.task.last_status.as_deref() == Some("PENDING") {
            ok(
                &w.ecs,
                Operation::SubmitTaskStateChange,
                json!({"cluster": "c", "task": t.task_arn, "status": "RUNNING",
                "containers": [{"containerName": "web", "status": "RUNNING",
                    "networkBindings": [{"containerPort": 80, "hostPort": 32768 + i, "protocol": "tcp"}]}]}),
            );
            running.push(t.task_arn.clone());
        }
    }
    running
}

fn describe_service(w: &World) -> Value {
    ok(
        &w.ecs,
        Operation::DescribeServices,
        json!({"cluster": "c", "services": ["web"]}),
    )["services"][0]
        .clone()
}

fn task(w: &World, arn: &str) -> Value {
    ok(
        &w.ecs,
        Operation::DescribeTasks,
        json!({"cluster": "c", "tasks": [arn]}),
    )["tasks"][0]
        .clone()
}

fn desired_for_agent(w: &World, arn: &str) -> String {
    let p = w.ecs.agent_poll(&w.instance, 0).expect("poll");
    p.tasks
        .iter()
        .find(|t| t.task_arn == arn)
        .map(|t| t.desired_status.clone())
        .unwrap_or_default()
}

#[test]
fn a_services_tasks_become_targets_and_the_rollout_waits_for_their_health() {
    let w = world();
    service(&w, json!({})).expect("service");
    let described = describe_service(&w);
    assert_eq!(described["loadBalancers"][0]["targetGroupArn"], TG);
    w.ecs.reconcile_services().expect("reconcile");
    let running = agent_runs_everything(&w);
    assert_eq!(running.len(), 1);
    w.ecs.sync_load_balancers(w.elb.as_ref()).expect("sync");
    assert_eq!(w.elb.calls(), vec!["register i-0aaaaaaaaaaaaaaa1:32768"]);
    let events: Vec<String> = describe_service(&w)["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        events
            .iter()
            .any(|e| e == &format!("(service web) registered 1 targets in (target-group {TG})")),
        "{events:?}"
    );
    // Registered once.
    w.ecs.sync_load_balancers(w.elb.as_ref()).expect("sync");
    assert_eq!(w.elb.calls().len(), 1);

    // Initial targets keep the deployment in progress, however long it runs.
    w.clock.advance_millis(120_000);
    w.ecs.reconcile_services().expect("reconcile");
    assert_eq!(
        describe_service(&w)["deployments"][0]["rolloutState"],
        "IN_PROGRESS"
    );
    w.elb.set(TG, "healthy");
    w.ecs.reconcile_services().expect("reconcile");
    assert_eq!(
        describe_service(&w)["deployments"][0]["rolloutState"],
        "COMPLETED"
    );
}

#[test]
fn an_unhealthy_target_is_replaced_and_a_stop_waits_for_the_drain() {
    let w = world();
    service(&w, json!({"healthCheckGracePeriodSeconds": 30})).expect("service");
    w.ecs.reconcile_services().expect("reconcile");
    let first = agent_runs_everything(&w).remove(0);
    w.ecs.sync_load_balancers(w.elb.as_ref()).expect("sync");
    w.elb.set(TG, "unhealthy");
    // Within the grace period nothing happens.
    w.ecs.reconcile_services().expect("reconcile");
    assert_eq!(task(&w, &first)["desiredStatus"], "RUNNING");
    w.clock.advance_millis(31_000);
    // The replacement is started first, then the unhealthy task stopped.
    w.ecs.reconcile_services().expect("reconcile");
    w.ecs.reconcile_services().expect("reconcile");
    let t = task(&w, &first);
    assert_eq!(t["desiredStatus"], "STOPPED");
    assert_eq!(
        t["stoppedReason"],
        format!("Task failed ELB health checks in (target-group {TG})")
    );
    // DEACTIVATING: deregistered and drained before its agent hears of the stop.
    assert_eq!(t["lastStatus"], "DEACTIVATING");
    assert_eq!(desired_for_agent(&w, &first), "RUNNING");
    w.ecs.sync_load_balancers(w.elb.as_ref()).expect("sync");
    assert!(
        w.elb
            .calls()
            .contains(&"deregister i-0aaaaaaaaaaaaaaa1:32768".to_owned()),
        "{:?}",
        w.elb.calls()
    );
    w.ecs.sync_load_balancers(w.elb.as_ref()).expect("sync");
    assert_eq!(desired_for_agent(&w, &first), "RUNNING", "still draining");
    w.elb.drain_done(TG);
    w.ecs.sync_load_balancers(w.elb.as_ref()).expect("sync");
    assert_eq!(desired_for_agent(&w, &first), "STOPPED");
    // Its replacement was started meanwhile.
    let p = w.ecs.agent_poll(&w.instance, 0).expect("poll");
    assert!(p
        .tasks
        .iter()
        .any(|t| t.task_arn != first && t.desired_status == "RUNNING"));
}

#[test]
fn a_drain_that_never_ends_is_cut_at_the_deregistration_delay() {
    let w = world();
    service(&w, json!({})).expect("service");
    w.ecs.reconcile_services().expect("reconcile");
    let first = agent_runs_everything(&w).remove(0);
    w.ecs.sync_load_balancers(w.elb.as_ref()).expect("sync");
    ok(
        &w.ecs,
        Operation::StopTask,
        json!({"cluster": "c", "task": first}),
    );
    w.ecs.sync_load_balancers(w.elb.as_ref()).expect("sync");
    assert_eq!(desired_for_agent(&w, &first), "RUNNING");
    // The delay is 10 s, and a margin.
    w.clock.advance_millis(16_000);
    w.ecs.sync_load_balancers(w.elb.as_ref()).expect("sync");
    assert_eq!(desired_for_agent(&w, &first), "STOPPED");
}

#[test]
fn load_balancers_are_checked_against_the_task_definition_and_the_target_group() {
    let w = world();
    let bad = |lbs: Value| {
        service(&w, json!({"loadBalancers": lbs}))
            .map(|_| ())
            .map_err(|e| e.code().to_owned())
    };
    assert_eq!(
        bad(json!([{"targetGroupArn": IP_TG, "containerName": "web", "containerPort": 80}])),
        Err("InvalidParameterException".into())
    );
    assert_eq!(
        bad(json!([{"targetGroupArn": LONELY_TG, "containerName": "web", "containerPort": 80}])),
        Err("InvalidParameterException".into())
    );
    assert_eq!(
        bad(json!([{"targetGroupArn": TG, "containerName": "web", "containerPort": 81}])),
        Err("InvalidParameterException".into())
    );
    assert_eq!(
        bad(json!([{"targetGroupArn": TG, "containerName": "nope", "containerPort": 80}])),
        Err("InvalidParameterException".into())
    );
    assert_eq!(
        bad(
            json!([{"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/x/1", "containerName": "web", "containerPort": 80}])
        ),
        Err("InvalidParameterException".into())
    );
    let six: Vec<Value> = (0..6)
        .map(|_| json!({"targetGroupArn": TG, "containerName": "web", "containerPort": 80}))
        .collect();
    assert_eq!(bad(json!(six)), Err("InvalidParameterException".into()));
    assert!(
        ok(&w.ecs, Operation::ListServices, json!({"cluster": "c"}))["serviceArns"]
            .as_array()
            .is_some_and(|a| a.is_empty())
    );
}
