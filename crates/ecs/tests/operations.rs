//! Drives the ECS operations through `Ecs::handle` with JSON bodies, as the transport does.

mod common;

use std::sync::Arc;

use berth_ecs_model::Operation;
use berth_store::{MemStore, SqliteStore};
use common::{call, ecs, ecs_on, ok};
use serde_json::{json, Value};

fn web_def(family: &str) -> Value {
    json!({"family": family, "containerDefinitions": [{"name": "web", "image": "busybox", "memory": 64}]})
}

#[test]
fn concurrent_registrations_get_distinct_revisions() {
    let ecs = Arc::new(ecs());
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let ecs = ecs.clone();
            std::thread::spawn(move || {
                ok(&ecs, Operation::RegisterTaskDefinition, web_def("fam"))["taskDefinition"]
                    ["revision"]
                    .as_i64()
                    .expect("revision")
            })
        })
        .collect();
    let mut revs: Vec<i64> = threads
        .into_iter()
        .map(|t| t.join().expect("thread"))
        .collect();
    revs.sort();
    assert_eq!(revs, (1..=16).collect::<Vec<_>>());
}

#[test]
fn state_survives_reopen_and_revisions_continue() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let ecs = ecs_on(Arc::new(SqliteStore::open(dir.path()).expect("store")));
        ok(
            &ecs,
            Operation::CreateCluster,
            json!({"clusterName": "keep"}),
        );
        ok(&ecs, Operation::RegisterTaskDefinition, web_def("app"));
        ok(&ecs, Operation::RegisterTaskDefinition, web_def("app"));
    }
    let ecs = ecs_on(Arc::new(SqliteStore::open(dir.path()).expect("store")));
    let d = ok(
        &ecs,
        Operation::DescribeClusters,
        json!({"clusters": ["keep"]}),
    );
    assert_eq!(d["clusters"][0]["status"], "ACTIVE");
    let r = ok(&ecs, Operation::RegisterTaskDefinition, web_def("app"));
    assert_eq!(r["taskDefinition"]["revision"], 3);
}

#[test]
fn failed_commit_changes_nothing() {
    let store = Arc::new(MemStore::default());
    let ecs = ecs_on(store.clone());
    store.set_failing(true);
    let err =
        call(&ecs, Operation::CreateCluster, json!({"clusterName": "x"})).expect_err("must fail");
    assert_eq!(err.code(), "ServerException");
    store.set_failing(false);
    let d = ok(
        &ecs,
        Operation::DescribeClusters,
        json!({"clusters": ["x"]}),
    );
    assert_eq!(d["failures"][0]["reason"], "MISSING");
}

#[test]
fn container_definition_round_trips() {
    let ecs = ecs();
    let container = json!({
        "name": "app", "image": "repo/app:1", "cpu": 128, "memory": 256, "memoryReservation": 128,
        "portMappings": [{"containerPort": 80, "hostPort": 8080, "protocol": "tcp", "name": "http", "appProtocol": "http"}],
        "essential": true, "entryPoint": ["/bin/sh", "-c"], "command": ["echo hi"],
        "environment": [{"name": "A", "value": "1"}],
        "mountPoints": [{"sourceVolume": "data", "containerPath": "/data", "readOnly": false}],
        "volumesFrom": [], "linuxParameters": {"capabilities": {"add": ["NET_ADMIN"], "drop": ["MKNOD"]}, "initProcessEnabled": true, "sharedMemorySize": 64, "tmpfs": [{"containerPath": "/tmp", "size": 32, "mountOptions": ["rw"]}]},
        "secrets": [{"name": "S", "valueFrom": "arn:aws:ssm:us-east-1:000000000000:parameter/x"}],
        "startTimeout": 30, "stopTimeout": 20, "hostname": "h", "user": "1000", "workingDirectory": "/w",
        "disableNetworking": false, "privileged": false, "readonlyRootFilesystem": true,
        "dnsServers": ["10.0.0.2"], "dnsSearchDomains": ["example.com"],
        "extraHosts": [{"hostname": "db", "ipAddress": "10.0.0.5"}],
        "dockerSecurityOptions": ["no-new-privileges"], "interactive": true, "pseudoTerminal": false,
        "dockerLabels": {"team": "a"}, "ulimits": [{"name": "nofile", "softLimit": 1024, "hardLimit": 2048}],
        "logConfiguration": {"logDriver": "json-file", "options": {"max-size": "10m"}},
        "healthCheck": {"command": ["CMD-SHELL", "true"], "interval": 10, "timeout": 5, "retries": 3, "startPeriod": 0},
        "systemControls": [{"namespace": "net.core.somaxconn", "value": "1024"}],
        "restartPolicy": {"enabled": true, "ignoredExitCodes": [0], "restartAttemptPeriod": 60}
    });
    let side = json!({"name": "side", "image": "busybox", "memory": 32, "essential": false,
        "dependsOn": [{"containerName": "app", "condition": "START"}]});
    let req = json!({"family": "rt", "containerDefinitions": [container, side],
        "volumes": [{"name": "data", "host": {"sourcePath": "/srv"}}], "pidMode": "task", "ipcMode": "none"});
    let reg = ok(&ecs, Operation::RegisterTaskDefinition, req.clone());
    let d = ok(
        &ecs,
        Operation::DescribeTaskDefinition,
        json!({"taskDefinition": "rt:1"}),
    );
    assert_eq!(reg["taskDefinition"], d["taskDefinition"]);
    assert_eq!(
        d["taskDefinition"]["containerDefinitions"][0],
        req["containerDefinitions"][0]
    );
    assert_eq!(d["taskDefinition"]["volumes"], req["volumes"]);
    let side_out = &d["taskDefinition"]["containerDefinitions"][1];
    assert_eq!(side_out["essential"], false);
    assert_eq!(side_out["cpu"], 0, "ECS reports cpu 0 when unset");
    assert_eq!(side_out["portMappings"], json!([]));
}

#[test]
fn validation_errors_are_client_errors_and_change_nothing() {
    let ecs = ecs();
    let bad = [
        json!({"family": "v", "containerDefinitions": [{"name": "a", "image": "i"}]}),
        json!({"family": "v", "containerDefinitions": [{"name": "a", "image": "i", "memory": 64}, {"name": "a", "image": "i", "memory": 64}]}),
        json!({"family": "v", "containerDefinitions": [{"name": "a", "image": "i", "memory": 64, "memoryReservation": 128}]}),
        json!({"family": "v", "containerDefinitions": [{"name": "a", "image": "i", "memory": 64, "essential": false}]}),
        json!({"family": "v", "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256", "memory": "4096",
               "containerDefinitions": [{"name": "a", "image": "i"}]}),
        json!({"family": "v", "networkMode": "awsvpc", "containerDefinitions": [{"name": "a", "image": "i", "memory": 64,
               "portMappings": [{"containerPort": 80, "hostPort": 81}]}]}),
    ];
    for b in bad {
        let e =
            call(&ecs, Operation::RegisterTaskDefinition, b.clone()).expect_err("must be refused");
        assert_eq!(e.code(), "ClientException", "{b}");
    }
    let e = call(
        &ecs,
        Operation::RegisterTaskDefinition,
        json!({"containerDefinitions": []}),
    )
    .expect_err("refused");
    assert_eq!(e.code(), "InvalidParameterException");
    let fams = ok(&ecs, Operation::ListTaskDefinitionFamilies, json!({}));
    assert_eq!(fams["families"], json!([]));
}

#[test]
fn wrong_types_and_enums() {
    let ecs = ecs();
    let e = ecs
        .handle(Operation::CreateCluster, br#"{"clusterName": 5}"#)
        .expect_err("type");
    assert_eq!(e.code(), "SerializationException");
    let e = ecs
        .handle(Operation::CreateCluster, b"{not json")
        .expect_err("json");
    assert_eq!(e.code(), "SerializationException");
    let e = call(
        &ecs,
        Operation::ListTaskDefinitions,
        json!({"status": "BOGUS"}),
    )
    .expect_err("enum");
    assert_eq!(e.code(), "InvalidParameterException");
    let e = call(&ecs, Operation::CreateExpressGatewayService, json!({})).expect_err("unsupported");
    assert!(e.to_string().contains("CreateExpressGatewayService"));
}

#[test]
fn list_container_instances_filters_with_the_query_language() {
    let ecs = ecs();
    ok(&ecs, Operation::CreateCluster, json!({"clusterName": "q"}));
    for az in ["us-east-1a", "us-east-1b", "us-east-1a"] {
        ok(
            &ecs,
            Operation::RegisterContainerInstance,
            json!({
                "cluster": "q",
                "totalResources": [{"name": "CPU", "type": "INTEGER", "integerValue": 2048}],
                "attributes": [{"name": "ecs.availability-zone", "value": az}]
            }),
        );
    }
    let l = ok(
        &ecs,
        Operation::ListContainerInstances,
        json!({"cluster": "q", "filter": "attribute:ecs.availability-zone == us-east-1a"}),
    );
    assert_eq!(l["containerInstanceArns"].as_array().map(Vec::len), Some(2));
    let e = call(
        &ecs,
        Operation::ListContainerInstances,
        json!({"cluster": "q", "filter": "attribute:x =="}),
    )
    .expect_err("bad filter");
    assert_eq!(e.code(), "InvalidParameterException");
    let e =
        call(&ecs, Operation::DeleteCluster, json!({"cluster": "q"})).expect_err("has instances");
    assert_eq!(e.code(), "ClusterContainsContainerInstancesException");
}
