//! Several hosts: one control plane and three `berth agent` processes (own data dirs,
//! different availability zones) on the Docker Engine. Spread placement uses all three;
//! killing one shows `agentConnected=false` within the agent timeout while the others keep
//! running tasks.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_ecs::types::{ContainerDefinition, PlacementStrategy, PlacementStrategyType};
use common::docker::{self, wait_for, wait_status, IMAGE};
use common::Berth;

const CLUSTER: &str = "multi";
const ZONES: [&str; 3] = ["us-east-1a", "us-east-1b", "us-east-1c"];
const T: Duration = Duration::from_secs(60);

struct AgentProcess {
    child: Child,
    dir: tempfile::TempDir,
}

impl AgentProcess {
    fn start(endpoint: &str, zone: &str) -> AgentProcess {
        let dir = tempfile::Builder::new()
            .prefix("berth-agent-")
            .tempdir()
            .expect("temp dir");
        let log = std::fs::File::create(dir.path().join("agent.log")).expect("log");
        let child = Command::new(env!("CARGO_BIN_EXE_berth"))
            .args(["agent", "--endpoint", endpoint, "--cluster", CLUSTER])
            .args(["--availability-zone", zone, "--metadata-port", "0"])
            .args(["--pull-behavior", "prefer-cached", "--stop-timeout", "1"])
            .args([
                "--access-key",
                "test",
                "--secret-key",
                "test",
                "--region",
                "us-east-1",
            ])
            .arg("--data-dir")
            .arg(dir.path())
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone().expect("log")))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("spawning berth agent");
        AgentProcess { child, dir }
    }

    fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for AgentProcess {
    fn drop(&mut self) {
        self.kill9();
        docker::remove_owned(self.dir.path());
    }
}

/// A control plane without a local agent, and the test cluster.
async fn control_plane(args: &[&str]) -> (Berth, aws_sdk_ecs::Client) {
    docker::image().await;
    let berth = Berth::start_with(args);
    let client = berth.client().await;
    client
        .create_cluster()
        .cluster_name(CLUSTER)
        .send()
        .await
        .expect("CreateCluster");
    (berth, client)
}

#[tokio::test(flavor = "multi_thread")]
async fn three_agents_spread_and_one_dies() {
    let (berth, client) = control_plane(&["--no-agent", "--agent-timeout", "3"]).await;
    let mut agents: Vec<AgentProcess> = ZONES
        .iter()
        .map(|z| AgentProcess::start(&berth.endpoint(), z))
        .collect();
    let instances = wait_for("three agents registered", T, || async {
        let out = client
            .list_container_instances()
            .cluster(CLUSTER)
            .send()
            .await
            .ok()?;
        (out.container_instance_arns().len() == 3).then(|| out.container_instance_arns().to_vec())
    })
    .await;
    let described = client
        .describe_container_instances()
        .cluster(CLUSTER)
        .set_container_instances(Some(instances.clone()))
        .send()
        .await
        .expect("describe");
    let mut zone_of = std::collections::HashMap::new();
    for ci in described.container_instances() {
        let zone = ci
            .attributes()
            .iter()
            .find(|a| a.name() == "ecs.availability-zone")
            .and_then(|a| a.value())
            .expect("zone attribute")
            .to_owned();
        zone_of.insert(ci.container_instance_arn().expect("arn").to_owned(), zone);
        assert!(ci.agent_connected());
    }
    let mut zones: Vec<String> = zone_of.values().cloned().collect();
    zones.sort();
    assert_eq!(zones, ZONES.map(String::from).to_vec());

    client
        .register_task_definition()
        .family("sleeper")
        .container_definitions(
            ContainerDefinition::builder()
                .name("main")
                .image(IMAGE)
                .memory(16)
                .set_command(Some(vec!["sleep".into(), "600".into()]))
                .stop_timeout(1)
                .build(),
        )
        .send()
        .await
        .expect("register");
    let spread = PlacementStrategy::builder()
        .r#type(PlacementStrategyType::Spread)
        .field("attribute:ecs.availability-zone")
        .build();
    let out = client
        .run_task()
        .cluster(CLUSTER)
        .task_definition("sleeper")
        .count(6)
        .placement_strategy(spread.clone())
        .send()
        .await
        .expect("RunTask");
    assert!(out.failures().is_empty(), "{:?}", out.failures());
    let mut per_zone = std::collections::BTreeMap::new();
    for t in out.tasks() {
        let arn = t.task_arn().expect("arn");
        let running = wait_status(&client, CLUSTER, arn, "RUNNING", T).await;
        assert!(running.containers()[0].runtime_id().is_some());
        let host = running.container_instance_arn().expect("instance");
        *per_zone.entry(zone_of[host].clone()).or_insert(0) += 1;
    }
    assert_eq!(
        per_zone.values().copied().collect::<Vec<_>>(),
        vec![2, 2, 2],
        "{per_zone:?}"
    );

    // Kill the agent in us-east-1c: within the 3 s timeout (plus a heartbeat) it shows
    // disconnected; the others stay connected.
    let dead_arn = zone_of
        .iter()
        .find(|(_, z)| z.as_str() == "us-east-1c")
        .map(|(a, _)| a.clone())
        .expect("c instance");
    let killed_at = Instant::now();
    agents[2].kill9();
    wait_for("agentConnected=false", Duration::from_secs(15), || async {
        let out = client
            .describe_container_instances()
            .cluster(CLUSTER)
            .container_instances(&dead_arn)
            .send()
            .await
            .ok()?;
        (!out.container_instances()[0].agent_connected()).then_some(())
    })
    .await;
    assert!(
        killed_at.elapsed() < Duration::from_secs(12),
        "took {:?}",
        killed_at.elapsed()
    );
    let others = client
        .describe_container_instances()
        .cluster(CLUSTER)
        .set_container_instances(Some(instances.clone()))
        .send()
        .await
        .expect("describe");
    for ci in others.container_instances() {
        let arn = ci.container_instance_arn().unwrap_or_default();
        assert_eq!(ci.agent_connected(), arn != dead_arn, "{arn}");
    }

    // New tasks go to the living hosts only, and run.
    let out = client
        .run_task()
        .cluster(CLUSTER)
        .task_definition("sleeper")
        .count(4)
        .placement_strategy(spread)
        .send()
        .await
        .expect("RunTask");
    assert!(out.failures().is_empty(), "{:?}", out.failures());
    for t in out.tasks() {
        assert_ne!(t.container_instance_arn(), Some(dead_arn.as_str()));
        wait_status(&client, CLUSTER, t.task_arn().expect("arn"), "RUNNING", T).await;
    }
    drop(agents);
}

/// The control plane goes away: the agent's containers keep running, a task that ends
/// meanwhile is reported once the control plane is back.
#[tokio::test(flavor = "multi_thread")]
async fn reports_wait_for_an_unreachable_control_plane() {
    let (mut berth, client) = control_plane(&["--no-agent"]).await;
    let _agent = AgentProcess::start(&berth.endpoint(), "us-east-1a");
    docker::wait_instance(&client, CLUSTER).await;
    client
        .register_task_definition()
        .family("brief")
        .container_definitions(
            ContainerDefinition::builder()
                .name("main")
                .image(IMAGE)
                .memory(16)
                .set_command(Some(vec![
                    "sh".into(),
                    "-c".into(),
                    "sleep 4; exit 5".into(),
                ]))
                .build(),
        )
        .container_definitions(
            ContainerDefinition::builder()
                .name("steady")
                .image(IMAGE)
                .memory(16)
                .essential(false)
                .set_command(Some(vec!["sleep".into(), "600".into()]))
                .stop_timeout(1)
                .build(),
        )
        .send()
        .await
        .expect("register");
    let running = docker::run_one(&client, CLUSTER, "brief", T).await;
    let arn = running.task_arn().expect("arn").to_owned();
    let steady_id = running
        .containers()
        .iter()
        .find(|c| c.name() == Some("steady"))
        .and_then(|c| c.runtime_id())
        .expect("steady id")
        .to_owned();
    // Down for longer than the task lives.
    berth.kill9();
    let runtime = docker::image().await;
    use berth_agent::runtime::Runtime;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        runtime.inspect(&steady_id).await.expect("inspect").running,
        "containers keep running without the control plane"
    );
    tokio::time::sleep(Duration::from_secs(5)).await;
    berth.kill_and_restart_same_port();
    let client = berth.client().await;
    let stopped = wait_status(&client, CLUSTER, &arn, "STOPPED", T).await;
    let main = stopped
        .containers()
        .iter()
        .find(|c| c.name() == Some("main"))
        .expect("main");
    assert_eq!(main.exit_code(), Some(5));
    assert_eq!(
        stopped.stopped_reason(),
        Some("Essential container in task exited")
    );
}

async fn service_tasks(
    client: &aws_sdk_ecs::Client,
    service: &str,
) -> Vec<aws_sdk_ecs::types::Task> {
    let arns = client
        .list_tasks()
        .cluster(CLUSTER)
        .service_name(service)
        .send()
        .await
        .expect("list")
        .task_arns()
        .to_vec();
    if arns.is_empty() {
        return Vec::new();
    }
    client
        .describe_tasks()
        .cluster(CLUSTER)
        .set_tasks(Some(arns))
        .send()
        .await
        .expect("describe")
        .tasks()
        .to_vec()
}

/// A DAEMON service runs one task on each of three agents and follows a fourth that joins;
/// draining an instance moves a REPLICA service's task off it and ends the daemon's task
/// there, while a standalone task keeps running (as in ECS).
#[tokio::test(flavor = "multi_thread")]
async fn daemon_follows_hosts_and_draining_moves_service_tasks() {
    let (berth, client) = control_plane(&["--no-agent"]).await;
    let mut agents: Vec<AgentProcess> = ZONES
        .iter()
        .map(|z| AgentProcess::start(&berth.endpoint(), z))
        .collect();
    wait_for("three agents", T, || async {
        let out = client
            .list_container_instances()
            .cluster(CLUSTER)
            .send()
            .await
            .ok()?;
        (out.container_instance_arns().len() == 3).then_some(())
    })
    .await;
    client
        .register_task_definition()
        .family("agentd")
        .container_definitions(
            ContainerDefinition::builder()
                .name("main")
                .image(IMAGE)
                .memory(16)
                .set_command(Some(vec![
                    "sh".into(),
                    "-c".into(),
                    "trap 'exit 0' TERM; while true; do sleep 1; done".into(),
                ]))
                .stop_timeout(1)
                .build(),
        )
        .send()
        .await
        .expect("register");
    client
        .create_service()
        .cluster(CLUSTER)
        .service_name("daemon")
        .task_definition("agentd")
        .scheduling_strategy(aws_sdk_ecs::types::SchedulingStrategy::Daemon)
        .send()
        .await
        .expect("create daemon");
    let running_on = |tasks: &[aws_sdk_ecs::types::Task]| -> Vec<String> {
        let mut v: Vec<String> = tasks
            .iter()
            .filter(|t| t.last_status() == Some("RUNNING"))
            .filter_map(|t| t.container_instance_arn().map(str::to_owned))
            .collect();
        v.sort();
        v
    };
    wait_for("one daemon task per host", T, || async {
        let on = running_on(&service_tasks(&client, "daemon").await);
        let mut unique = on.clone();
        unique.dedup();
        (on.len() == 3 && unique.len() == 3).then_some(())
    })
    .await;
    agents.push(AgentProcess::start(&berth.endpoint(), "us-east-1a"));
    wait_for("the fourth host's daemon task", T, || async {
        let on = running_on(&service_tasks(&client, "daemon").await);
        (on.len() == 4).then_some(())
    })
    .await;

    // A replica service and a standalone task, then drain the host that has the replica.
    client
        .create_service()
        .cluster(CLUSTER)
        .service_name("web")
        .task_definition("agentd")
        .desired_count(1)
        .send()
        .await
        .expect("create web");
    let web = wait_for("the web task", T, || async {
        service_tasks(&client, "web")
            .await
            .into_iter()
            .find(|t| t.last_status() == Some("RUNNING"))
    })
    .await;
    let drained = web.container_instance_arn().expect("host").to_owned();
    let standalone = client
        .start_task()
        .cluster(CLUSTER)
        .task_definition("agentd")
        .container_instances(&drained)
        .send()
        .await
        .expect("StartTask");
    let standalone = standalone.tasks()[0].task_arn().expect("arn").to_owned();
    wait_status(&client, CLUSTER, &standalone, "RUNNING", T).await;
    client
        .update_container_instances_state()
        .cluster(CLUSTER)
        .container_instances(&drained)
        .status(aws_sdk_ecs::types::ContainerInstanceStatus::Draining)
        .send()
        .await
        .expect("drain");
    let moved = wait_for("the web task to move off the draining host", T, || async {
        let tasks = service_tasks(&client, "web").await;
        let running: Vec<_> = tasks
            .iter()
            .filter(|t| t.last_status() == Some("RUNNING"))
            .collect();
        (running.len() == 1 && running[0].container_instance_arn() != Some(drained.as_str()))
            .then(|| running[0].task_arn().unwrap_or_default().to_owned())
    })
    .await;
    assert_ne!(moved, web.task_arn().unwrap_or_default());
    wait_for(
        "the daemon task on the draining host to stop",
        T,
        || async {
            let on = running_on(&service_tasks(&client, "daemon").await);
            (!on.contains(&drained) && on.len() == 3).then_some(())
        },
    )
    .await;
    let kept = docker::describe(&client, CLUSTER, &standalone).await;
    assert_eq!(
        kept.last_status(),
        Some("RUNNING"),
        "standalone tasks keep running on a draining host"
    );
}

/// An agent that comes back after its instance was deregistered (with force, while it was
/// down) registers anew and removes the containers of the tasks it no longer has: no
/// orphans.
#[tokio::test(flavor = "multi_thread")]
async fn a_returning_agent_removes_orphaned_containers() {
    let (berth, client) = control_plane(&["--no-agent"]).await;
    let mut agent = AgentProcess::start(&berth.endpoint(), "us-east-1a");
    let first = docker::wait_instance(&client, CLUSTER).await;
    client
        .register_task_definition()
        .family("orphan")
        .container_definitions(
            ContainerDefinition::builder()
                .name("main")
                .image(IMAGE)
                .memory(16)
                .set_command(Some(vec!["sleep".into(), "600".into()]))
                .stop_timeout(1)
                .build(),
        )
        .send()
        .await
        .expect("register");
    let running = docker::run_one(&client, CLUSTER, "orphan", T).await;
    let id = running.containers()[0].runtime_id().expect("id").to_owned();
    agent.kill9();
    client
        .deregister_container_instance()
        .cluster(CLUSTER)
        .container_instance(&first)
        .force(true)
        .send()
        .await
        .expect("deregister");
    let runtime = docker::image().await;
    use berth_agent::runtime::Runtime;
    assert!(
        runtime.inspect(&id).await.expect("inspect").running,
        "still running while the agent is away"
    );
    // The same agent (same data dir) comes back.
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_berth"))
        .args([
            "agent",
            "--endpoint",
            &berth.endpoint(),
            "--cluster",
            CLUSTER,
        ])
        .args(["--availability-zone", "us-east-1a", "--metadata-port", "0"])
        .args(["--pull-behavior", "prefer-cached", "--stop-timeout", "1"])
        .args([
            "--access-key",
            "test",
            "--secret-key",
            "test",
            "--region",
            "us-east-1",
        ])
        .arg("--data-dir")
        .arg(agent.dir.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("restarting berth agent");
    agent.child = child;
    wait_for("a new instance", T, || async {
        let out = client
            .list_container_instances()
            .cluster(CLUSTER)
            .send()
            .await
            .ok()?;
        out.container_instance_arns()
            .iter()
            .any(|a| *a != first)
            .then_some(())
    })
    .await;
    wait_for("the orphaned container to be removed", T, || async {
        match runtime.inspect(&id).await {
            Err(_) => Some(()),
            Ok(o) => (!o.running).then_some(()),
        }
    })
    .await;
}
