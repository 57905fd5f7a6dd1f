//! The control plane's side of the agent protocol: polls, state reports, heartbeats,
//! reconciliation.

mod common;

use std::sync::Arc;

use berth_ecs::agent::ReconcileRequest;
use berth_ecs::{Ecs, FixedClock, Scope};
use berth_ecs_model::Operation;
use berth_store::MemStore;
use common::ok;
use serde_json::{json, Value};

fn setup() -> (Ecs, Arc<FixedClock>, String, String) {
    let clock = Arc::new(FixedClock::new(1_700_000_000_000));
    let ecs = Ecs::open(
        Arc::new(MemStore::default()),
        clock.clone(),
        Scope::new("us-east-1", "000000000000"),
    )
    .expect("open");
    ok(&ecs, Operation::CreateCluster, json!({"clusterName": "c"}));
    ok(
        &ecs,
        Operation::RegisterTaskDefinition,
        json!({"family": "web", "containerDefinitions": [
        {"name": "web", "image": "busybox", "memory": 512}]}),
    );
    let r = ok(
        &ecs,
        Operation::RegisterContainerInstance,
        json!({"cluster": "c", "totalResources": [
        {"name": "CPU", "type": "INTEGER", "integerValue": 1024},
        {"name": "MEMORY", "type": "INTEGER", "integerValue": 1024}]}),
    );
    let arn = r["containerInstance"]["containerInstanceArn"]
        .as_str()
        .expect("arn")
        .to_owned();
    let id = ecs.agent_instance(Some("c"), &arn).expect("instance");
    (ecs, clock, arn, id)
}

fn memory_left(ecs: &Ecs, arn: &str) -> Value {
    let d = ok(
        ecs,
        Operation::DescribeContainerInstances,
        json!({"cluster": "c", "containerInstances": [arn]}),
    );
    d["containerInstances"][0]["remainingResources"][1]["integerValue"].clone()
}

#[test]
fn poll_report_stop_lifecycle() {
    let (ecs, _clock, arn, id) = setup();
    let first = ecs.agent_poll(&id, 0).expect("poll");
    assert!(first.tasks.is_empty());
    let run = ok(
        &ecs,
        Operation::RunTask,
        json!({"cluster": "c", "taskDefinition": "web"}),
    );
    let task_arn = run["tasks"][0]["taskArn"]
        .as_str()
        .expect("task")
        .to_owned();

    let p = ecs.agent_poll(&id, first.seq).expect("poll");
    assert_eq!(p.tasks.len(), 1);
    assert_eq!(p.tasks[0].desired_status, "RUNNING");
    assert_eq!(p.tasks[0].task_definition.family.as_deref(), Some("web"));
    // Nothing new after what was seen; a duplicate poll from an older seq repeats it.
    assert!(ecs.agent_poll(&id, p.seq).expect("poll").tasks.is_empty());
    assert_eq!(ecs.agent_poll(&id, first.seq).expect("poll").tasks.len(), 1);

    for _ in 0..2 {
        ok(
            &ecs,
            Operation::SubmitTaskStateChange,
            json!({"cluster": "c", "task": task_arn, "status": "RUNNING",
            "containers": [{"containerName": "web", "status": "RUNNING", "runtimeId": "abc"}]}),
        );
    }
    let d = ok(
        &ecs,
        Operation::DescribeTasks,
        json!({"cluster": "c", "tasks": [task_arn]}),
    );
    assert_eq!(d["tasks"][0]["lastStatus"], "RUNNING");
    assert_eq!(d["tasks"][0]["containers"][0]["lastStatus"], "RUNNING");
    assert_eq!(d["tasks"][0]["containers"][0]["runtimeId"], "abc");
    assert!(d["tasks"][0]["startedAt"].is_number());
    let c = ok(
        &ecs,
        Operation::DescribeClusters,
        json!({"clusters": ["c"]}),
    );
    assert_eq!(c["clusters"][0]["runningTasksCount"], 1);
    assert_eq!(c["clusters"][0]["pendingTasksCount"], 0);
    assert_eq!(memory_left(&ecs, &arn), 512);

    ok(
        &ecs,
        Operation::StopTask,
        json!({"cluster": "c", "task": task_arn}),
    );
    let p2 = ecs.agent_poll(&id, p.seq).expect("poll");
    assert_eq!(p2.tasks.len(), 1);
    assert_eq!(p2.tasks[0].desired_status, "STOPPED");
    ok(
        &ecs,
        Operation::SubmitTaskStateChange,
        json!({"cluster": "c", "task": task_arn, "status": "STOPPED",
        "containers": [{"containerName": "web", "status": "STOPPED", "exitCode": 0}]}),
    );
    // A late RUNNING report does not move it back.
    ok(
        &ecs,
        Operation::SubmitTaskStateChange,
        json!({"cluster": "c", "task": task_arn, "status": "RUNNING"}),
    );
    let d = ok(
        &ecs,
        Operation::DescribeTasks,
        json!({"cluster": "c", "tasks": [task_arn]}),
    );
    assert_eq!(d["tasks"][0]["lastStatus"], "STOPPED");
    assert_eq!(d["tasks"][0]["stopCode"], "UserInitiated");
    assert_eq!(d["tasks"][0]["containers"][0]["exitCode"], 0);
    assert_eq!(memory_left(&ecs, &arn), 1024);
    let c = ok(
        &ecs,
        Operation::DescribeClusters,
        json!({"clusters": ["c"]}),
    );
    assert_eq!(c["clusters"][0]["runningTasksCount"], 0);
}

#[test]
fn silent_agents_disconnect_and_get_no_tasks() {
    let (ecs, clock, arn, id) = setup();
    ecs.set_agent_timeout(30.0);
    clock.advance_millis(31_000);
    let d = ok(
        &ecs,
        Operation::DescribeContainerInstances,
        json!({"cluster": "c", "containerInstances": [arn]}),
    );
    assert_eq!(d["containerInstances"][0]["agentConnected"], false);
    let r = ok(
        &ecs,
        Operation::RunTask,
        json!({"cluster": "c", "taskDefinition": "web"}),
    );
    assert_eq!(r["failures"][0]["reason"], "AGENT");
    let l = ok(
        &ecs,
        Operation::ListContainerInstances,
        json!({"cluster": "c", "filter": "agentConnected == false"}),
    );
    assert_eq!(l["containerInstanceArns"], json!([arn]));
    // A poll is a heartbeat.
    ecs.agent_poll(&id, 0).expect("poll");
    let r = ok(
        &ecs,
        Operation::RunTask,
        json!({"cluster": "c", "taskDefinition": "web"}),
    );
    assert_eq!(r["tasks"].as_array().map(Vec::len), Some(1));
}

#[test]
fn reconcile_stops_tasks_the_agent_lost_but_not_unseen_ones() {
    let (ecs, _clock, arn, id) = setup();
    let a = ok(
        &ecs,
        Operation::RunTask,
        json!({"cluster": "c", "taskDefinition": "web"}),
    );
    let lost = a["tasks"][0]["taskArn"].as_str().expect("task").to_owned();
    let seen = ecs.agent_poll(&id, 0).expect("poll").seq;
    ok(
        &ecs,
        Operation::RegisterTaskDefinition,
        json!({"family": "small", "containerDefinitions": [
        {"name": "s", "image": "busybox", "memory": 64}]}),
    );
    let b = ok(
        &ecs,
        Operation::RunTask,
        json!({"cluster": "c", "taskDefinition": "small"}),
    );
    let unseen = b["tasks"][0]["taskArn"].as_str().expect("task").to_owned();
    let r = ecs
        .agent_reconcile(&ReconcileRequest {
            cluster: Some("c".into()),
            container_instance: arn.clone(),
            known_task_arns: vec![],
            seen_seq: seen,
        })
        .expect("reconcile");
    assert_eq!(r.stopped_task_arns, vec![lost.clone()]);
    let d = ok(
        &ecs,
        Operation::DescribeTasks,
        json!({"cluster": "c", "tasks": [lost, unseen]}),
    );
    assert_eq!(d["tasks"][0]["lastStatus"], "STOPPED");
    assert_eq!(d["tasks"][1]["lastStatus"], "PENDING");
    assert_eq!(memory_left(&ecs, &arn), 1024 - 64);
}

#[test]
fn stopped_tasks_are_kept_for_the_retention_then_swept() {
    let (ecs, clock, _arn, _id) = setup();
    let r = ok(
        &ecs,
        Operation::RunTask,
        json!({"cluster": "c", "taskDefinition": "web"}),
    );
    let task = r["tasks"][0]["taskArn"].as_str().expect("task").to_owned();
    ok(
        &ecs,
        Operation::SubmitTaskStateChange,
        json!({"cluster": "c", "task": task, "status": "STOPPED"}),
    );
    clock.advance_millis(3_000_000);
    assert_eq!(ecs.sweep(3600.0).expect("sweep"), 0);
    let d = ok(
        &ecs,
        Operation::DescribeTasks,
        json!({"cluster": "c", "tasks": [task]}),
    );
    assert_eq!(d["tasks"][0]["lastStatus"], "STOPPED");
    clock.advance_millis(700_000);
    assert_eq!(ecs.sweep(3600.0).expect("sweep"), 1);
    let d = ok(
        &ecs,
        Operation::DescribeTasks,
        json!({"cluster": "c", "tasks": [task]}),
    );
    assert_eq!(d["failures"][0]["reason"], "MISSING");
}
