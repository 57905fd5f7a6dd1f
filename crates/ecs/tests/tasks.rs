//! Tasks through `Ecs::handle`: RunTask, StartTask, StopTask, DescribeTasks, ListTasks and the
//! accounting on container instances.

mod common;

use std::sync::Arc;

use berth_ecs::Ecs;
use berth_ecs_model::Operation;
use berth_store::{MemStore, SqliteStore};
use common::{call, ecs_on, ok};
use serde_json::{json, Value};

fn setup(ecs: &Ecs, instances: usize) -> Vec<String> {
    ok(ecs, Operation::CreateCluster, json!({"clusterName": "c"}));
    ok(
        ecs,
        Operation::RegisterTaskDefinition,
        json!({"family": "web", "containerDefinitions": [
            {"name": "web", "image": "busybox", "cpu": 256, "memory": 512, "portMappings": [{"containerPort": 80, "hostPort": 8080}]}
        ]}),
    );
    (0..instances)
        .map(|i| {
            let r = ok(ecs, Operation::RegisterContainerInstance, json!({
                "cluster": "c",
                "totalResources": [
                    {"name": "CPU", "type": "INTEGER", "integerValue": 1024},
                    {"name": "MEMORY", "type": "INTEGER", "integerValue": 2048},
                    {"name": "PORTS", "type": "STRINGSET", "stringSetValue": ["22"]}
                ],
                "attributes": [{"name": "ecs.availability-zone", "value": format!("az{}", i % 2)}]
            }));
            r["containerInstance"]["containerInstanceArn"].as_str().expect("arn").to_owned()
        })
        .collect()
}

fn remaining(ecs: &Ecs, arn: &str, name: &str) -> Value {
    let d = ok(
        ecs,
        Operation::DescribeContainerInstances,
        json!({"cluster": "c", "containerInstances": [arn]}),
    );
    d["containerInstances"][0]["remainingResources"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["name"] == name).cloned())
        .expect("resource")
}

#[test]
fn run_describe_list_stop_and_accounting() {
    let ecs = ecs_on(Arc::new(MemStore::default()));
    let arns = setup(&ecs, 2);
    let r = ok(
        &ecs,
        Operation::RunTask,
        json!({"cluster": "c", "taskDefinition": "web", "count": 2,
        "placementStrategy": [{"type": "spread", "field": "instanceId"}], "startedBy": "me"}),
    );
    let tasks = r["tasks"].as_array().expect("tasks");
    assert_eq!(tasks.len(), 2, "{r}");
    assert_eq!(r["failures"], json!([]));
    assert_ne!(
        tasks[0]["containerInstanceArn"], tasks[1]["containerInstanceArn"],
        "spread"
    );
    assert_eq!(tasks[0]["lastStatus"], "PENDING");
    assert_eq!(tasks[0]["desiredStatus"], "RUNNING");
    assert_eq!(tasks[0]["group"], "family:web");
    // Port 8080 is now taken on both instances: a third task cannot be placed.
    let r3 = ok(
        &ecs,
        Operation::RunTask,
        json!({"cluster": "c", "taskDefinition": "web"}),
    );
    assert_eq!(r3["tasks"], json!([]));
    assert_eq!(r3["failures"].as_array().map(Vec::len), Some(2));
    assert_eq!(r3["failures"][0]["reason"], "RESOURCE:PORTS");
    for arn in &arns {
        assert_eq!(remaining(&ecs, arn, "CPU")["integerValue"], 768);
        assert_eq!(remaining(&ecs, arn, "MEMORY")["integerValue"], 1536);
        assert_eq!(
            remaining(&ecs, arn, "PORTS")["stringSetValue"],
            json!(["22", "8080"])
        );
    }
    let d = ok(
        &ecs,
        Operation::DescribeClusters,
        json!({"clusters": ["c"]}),
    );
    assert_eq!(d["clusters"][0]["pendingTasksCount"], 2);

    let listed = ok(
        &ecs,
        Operation::ListTasks,
        json!({"cluster": "c", "startedBy": "me"}),
    );
    assert_eq!(listed["taskArns"].as_array().map(Vec::len), Some(2));
    let task_arn = tasks[0]["taskArn"].as_str().expect("arn");
    let described = ok(
        &ecs,
        Operation::DescribeTasks,
        json!({"cluster": "c", "tasks": [task_arn, "nope"]}),
    );
    assert_eq!(described["tasks"][0]["taskArn"], task_arn);
    assert_eq!(described["failures"][0]["reason"], "MISSING");

    let stopped = ok(
        &ecs,
        Operation::StopTask,
        json!({"cluster": "c", "task": task_arn, "reason": "done"}),
    );
    assert_eq!(stopped["task"]["desiredStatus"], "STOPPED");
    assert_eq!(stopped["task"]["stoppedReason"], "done");
    assert_eq!(stopped["task"]["stopCode"], "UserInitiated");
    let running = ok(&ecs, Operation::ListTasks, json!({"cluster": "c"}));
    assert_eq!(running["taskArns"].as_array().map(Vec::len), Some(1));
    let stopping = ok(
        &ecs,
        Operation::ListTasks,
        json!({"cluster": "c", "desiredStatus": "STOPPED"}),
    );
    assert_eq!(stopping["taskArns"], json!([task_arn]));
}

#[test]
fn run_task_errors() {
    let ecs = ecs_on(Arc::new(MemStore::default()));
    ok(
        &ecs,
        Operation::CreateCluster,
        json!({"clusterName": "empty"}),
    );
    ok(
        &ecs,
        Operation::RegisterTaskDefinition,
        json!({"family": "web", "containerDefinitions": [
        {"name": "web", "image": "busybox", "memory": 64}]}),
    );
    let cases = [
        (
            json!({"cluster": "empty", "taskDefinition": "web"}),
            "InvalidParameterException",
        ),
        (
            json!({"cluster": "empty", "taskDefinition": "web", "count": 11}),
            "InvalidParameterException",
        ),
        (
            json!({"cluster": "empty", "taskDefinition": "web", "count": 0}),
            "InvalidParameterException",
        ),
        (
            json!({"cluster": "nope", "taskDefinition": "web"}),
            "ClusterNotFoundException",
        ),
        (
            json!({"cluster": "empty", "taskDefinition": "missing"}),
            "ClientException",
        ),
        (
            json!({"cluster": "empty", "taskDefinition": "web",
            "placementConstraints": [{"type": "memberOf", "expression": "attribute:x =="}]}),
            "InvalidParameterException",
        ),
        (
            json!({"cluster": "empty", "taskDefinition": "web",
            "placementStrategy": [{"type": "binpack", "field": "disk"}]}),
            "InvalidParameterException",
        ),
        (
            json!({"cluster": "empty", "taskDefinition": "web",
            "overrides": {"containerOverrides": [{"name": "other"}]}}),
            "InvalidParameterException",
        ),
    ];
    for (body, code) in cases {
        let e = call(&ecs, Operation::RunTask, body.clone()).expect_err("must fail");
        assert_eq!(e.code(), code, "{body}: {e}");
    }
    let e = call(
        &ecs,
        Operation::StopTask,
        json!({"cluster": "empty", "task": "abc"}),
    )
    .expect_err("missing");
    assert_eq!(e.code(), "InvalidParameterException");
}

#[test]
fn client_token_makes_run_task_idempotent() {
    let ecs = ecs_on(Arc::new(MemStore::default()));
    setup(&ecs, 1);
    let body = json!({"cluster": "c", "taskDefinition": "web", "clientToken": "tok-1"});
    let a = ok(&ecs, Operation::RunTask, body.clone());
    let b = ok(&ecs, Operation::RunTask, body);
    assert_eq!(a["tasks"][0]["taskArn"], b["tasks"][0]["taskArn"]);
    let listed = ok(&ecs, Operation::ListTasks, json!({"cluster": "c"}));
    assert_eq!(listed["taskArns"].as_array().map(Vec::len), Some(1));
    let e = call(
        &ecs,
        Operation::RunTask,
        json!({"cluster": "c", "taskDefinition": "web", "clientToken": "tok-1", "count": 2}),
    )
    .expect_err("reused token");
    assert_eq!(e.code(), "InvalidParameterException");
}

#[test]
fn tasks_and_accounting_survive_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (task_arn, instance_arn) = {
        let ecs = ecs_on(Arc::new(SqliteStore::open(dir.path()).expect("store")));
        let arns = setup(&ecs, 1);
        let r = ok(
            &ecs,
            Operation::RunTask,
            json!({"cluster": "c", "taskDefinition": "web"}),
        );
        (
            r["tasks"][0]["taskArn"].as_str().expect("arn").to_owned(),
            arns[0].clone(),
        )
    };
    let ecs = ecs_on(Arc::new(SqliteStore::open(dir.path()).expect("store")));
    let d = ok(
        &ecs,
        Operation::DescribeTasks,
        json!({"cluster": "c", "tasks": [task_arn]}),
    );
    assert_eq!(d["tasks"][0]["lastStatus"], "PENDING");
    assert_eq!(remaining(&ecs, &instance_arn, "CPU")["integerValue"], 768);
    // The restored index still knows port 8080 is taken and the group is present.
    let r = ok(
        &ecs,
        Operation::RunTask,
        json!({"cluster": "c", "taskDefinition": "web",
        "placementConstraints": [{"type": "distinctInstance"}]}),
    );
    assert_eq!(r["tasks"], json!([]));
}

/// The service scheduler reconciles many services in one durable write: each placement must
/// see the charges of the ones before it, so two services cannot both take an instance's last
/// resources (and a stop and a start on one instance keep distinct sequence numbers).
#[test]
fn services_reconciled_in_one_write_do_not_overcommit_an_instance() {
    let ecs = ecs_on(Arc::new(MemStore::default()));
    let arns = setup(&ecs, 1);
    ok(
        &ecs,
        Operation::RegisterTaskDefinition,
        json!({"family": "big", "containerDefinitions": [
            {"name": "big", "image": "busybox", "cpu": 600, "memory": 600}
        ]}),
    );
    for name in ["a", "b"] {
        ok(
            &ecs,
            Operation::CreateService,
            json!({"cluster": "c", "serviceName": name, "taskDefinition": "big", "desiredCount": 1}),
        );
    }
    ecs.reconcile_services().expect("reconcile");
    let listed = ok(&ecs, Operation::ListTasks, json!({"cluster": "c"}));
    assert_eq!(listed["taskArns"].as_array().map(Vec::len), Some(1));
    assert_eq!(remaining(&ecs, &arns[0], "CPU")["integerValue"], 1024 - 600);
    assert_eq!(
        remaining(&ecs, &arns[0], "MEMORY")["integerValue"],
        2048 - 600
    );
}

/// A staged RunTask answers from memory; its tasks become visible, and their agents are
/// woken, only once the caller has waited for its durability — and if the commit fails, the
/// caller gets the error and nothing is left behind.
#[test]
fn staged_run_task_is_visible_and_wakes_agents_only_once_durable() {
    for commit_fails in [false, true] {
        let store = Arc::new(MemStore::default());
        let ecs = ecs_on(store.clone());
        let arns = setup(&ecs, 1);
        let woken = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        {
            let woken = woken.clone();
            ecs.set_notifier(Arc::new(move |id: &str| {
                woken.lock().expect("woken").push(id.to_owned())
            }));
        }
        store.set_failing(commit_fails);
        let body = json!({"cluster": "c", "taskDefinition": "web"}).to_string();
        let staged = ecs
            .handle_staged(
                Operation::RunTask,
                body.as_bytes(),
                berth_commit::Lock::Wait,
            )
            .expect("answered from memory");
        let answer: Value = serde_json::from_slice(staged.peek()).expect("json");
        let task = answer["tasks"][0]["taskArn"]
            .as_str()
            .expect("a task")
            .to_owned();
        let listed = || ok(&ecs, Operation::ListTasks, json!({"cluster": "c"}))["taskArns"].clone();
        assert_eq!(listed(), json!([]), "not visible before it is durable");
        assert!(
            woken.lock().expect("woken").is_empty(),
            "no agent woken yet"
        );

        let durable = staged.wait();
        store.set_failing(false);
        if commit_fails {
            assert!(durable.is_err());
            assert_eq!(listed(), json!([]));
            assert_eq!(remaining(&ecs, &arns[0], "CPU")["integerValue"], 1024);
        } else {
            durable.expect("durable");
            assert_eq!(listed(), json!([task]));
            let instance_id = arns[0].rsplit('/').next().expect("id");
            assert_eq!(*woken.lock().expect("woken"), [instance_id.to_owned()]);
        }
    }
}
