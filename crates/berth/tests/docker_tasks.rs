//! Real containers: `berth dev` with its local agent on the Docker Engine, driven by the
//! official aws-sdk-ecs. The image is built on the host (see common/docker.rs).

mod common;

use std::time::{Duration, Instant};

use aws_sdk_ecs::types::{
    AwsVpcConfiguration, ContainerCondition, ContainerDefinition, ContainerDependency,
    ContainerOverride, HealthCheck, HealthStatus, MountPoint, NetworkConfiguration, NetworkMode,
    PortMapping, TaskOverride, TaskStopCode, Volume,
};
use aws_sdk_ecs::Client;
use common::docker::{self, http_get, wait_for, wait_status, Dev, IMAGE};

const CLUSTER: &str = "default";
const T: Duration = Duration::from_secs(60);

fn sh(script: &str) -> Vec<String> {
    vec!["sh".into(), "-c".into(), script.into()]
}

fn container(name: &str, script: &str) -> aws_sdk_ecs::types::builders::ContainerDefinitionBuilder {
    ContainerDefinition::builder()
        .name(name)
        .image(IMAGE)
        .memory(32)
        .set_command(Some(sh(script)))
}

async fn setup() -> (Dev, Client) {
    Dev::start(CLUSTER).await
}

/// An awsvpc configuration: Berth maps any subnet to its task network.
fn any_subnet() -> NetworkConfiguration {
    NetworkConfiguration::builder()
        .awsvpc_configuration(
            AwsVpcConfiguration::builder()
                .subnets("subnet-local")
                .build()
                .expect("awsvpc"),
        )
        .build()
}

async fn run(client: &Client, family: &str, overrides: Option<TaskOverride>) -> String {
    let out = client
        .run_task()
        .cluster(CLUSTER)
        .task_definition(family)
        .set_overrides(overrides)
        .send()
        .await
        .expect("RunTask");
    assert!(out.failures().is_empty(), "{:?}", out.failures());
    out.tasks()[0].task_arn().expect("arn").to_owned()
}

async fn stop(client: &Client, arn: &str) {
    client
        .stop_task()
        .cluster(CLUSTER)
        .task(arn)
        .reason("test over")
        .send()
        .await
        .expect("StopTask");
}

/// A web server on a dynamic host port answers HTTP; the same container read the task
/// metadata endpoint (v4) from inside and serves what it got.
#[tokio::test(flavor = "multi_thread")]
async fn web_server_on_a_dynamic_port_and_the_metadata_endpoint() {
    let (_dev, client) = setup().await;
    client
        .register_task_definition()
        .family("web")
        .network_mode(NetworkMode::Bridge)
        .container_definitions(
            container(
                "web",
                "wget -qO /www/task.json $ECS_CONTAINER_METADATA_URI_V4/task; \
                 wget -qO /www/self.json $ECS_CONTAINER_METADATA_URI_V4; \
                 exec httpd -f -p 8080 -h /www",
            )
            .port_mappings(PortMapping::builder().container_port(8080).build())
            .stop_timeout(2)
            .build(),
        )
        .send()
        .await
        .expect("register");
    let arn = run(&client, "web", None).await;
    let task = wait_status(&client, CLUSTER, &arn, "RUNNING", T).await;
    let c = &task.containers()[0];
    assert!(c.runtime_id().is_some(), "runtimeId reported");
    let binding = &c.network_bindings()[0];
    assert_eq!(binding.container_port(), Some(8080));
    let host_port = binding.host_port().expect("a host port");
    assert!(host_port > 0);
    let addr = format!("127.0.0.1:{host_port}");
    let body = wait_for("the web server", T, || async { http_get(&addr, "/") }).await;
    assert_eq!(body, "hello from berth\n");
    let meta = wait_for("metadata", T, || async { http_get(&addr, "/task.json") }).await;
    let meta: serde_json::Value = serde_json::from_str(&meta).expect("metadata JSON");
    assert_eq!(meta["TaskARN"], arn.as_str());
    assert_eq!(meta["Family"], "web");
    assert_eq!(meta["Containers"][0]["Name"], "web");
    let own: serde_json::Value =
        serde_json::from_str(&http_get(&addr, "/self.json").expect("self")).expect("JSON");
    assert_eq!(own["Name"], "web");
    assert_eq!(own["DockerId"], c.runtime_id().unwrap_or_default());
    stop(&client, &arn).await;
    let stopped = wait_status(&client, CLUSTER, &arn, "STOPPED", T).await;
    assert_eq!(stopped.stop_code(), Some(&TaskStopCode::UserInitiated));
}

/// An essential container's exit stops the task with its exit code; the command override
/// replaces the definition's command.
#[tokio::test(flavor = "multi_thread")]
async fn essential_exit_and_command_override() {
    let (_dev, client) = setup().await;
    client
        .register_task_definition()
        .family("exiter")
        .container_definitions(container("main", "exit 3").build())
        .container_definitions(
            container("sidecar", "sleep 300")
                .essential(false)
                .stop_timeout(1)
                .build(),
        )
        .send()
        .await
        .expect("register");
    let overrides = TaskOverride::builder()
        .container_overrides(
            ContainerOverride::builder()
                .name("main")
                .set_command(Some(sh("sleep 1; exit 7")))
                .build(),
        )
        .build();
    let arn = run(&client, "exiter", Some(overrides)).await;
    let task = wait_status(&client, CLUSTER, &arn, "STOPPED", T).await;
    assert_eq!(
        task.stop_code(),
        Some(&TaskStopCode::EssentialContainerExited)
    );
    assert_eq!(
        task.stopped_reason(),
        Some("Essential container in task exited")
    );
    let main = task
        .containers()
        .iter()
        .find(|c| c.name() == Some("main"))
        .expect("main");
    assert_eq!(main.exit_code(), Some(7), "the override's command ran");
    assert_eq!(main.last_status(), Some("STOPPED"));
    let side = task
        .containers()
        .iter()
        .find(|c| c.name() == Some("sidecar"))
        .expect("side");
    assert_eq!(
        side.last_status(),
        Some("STOPPED"),
        "the sidecar was stopped with the task"
    );
    assert!(task.started_at().is_some() && task.stopped_at().is_some());
}

/// dependsOn HEALTHY: the app starts only once the database's health check passes; the
/// health shows on the container and the task.
#[tokio::test(flavor = "multi_thread")]
async fn depends_on_healthy_orders_the_start() {
    let (_dev, client) = setup().await;
    let check = HealthCheck::builder()
        .set_command(Some(vec!["CMD-SHELL".into(), "test -f /tmp/ready".into()]))
        .interval(5)
        .timeout(2)
        .retries(3)
        .build()
        .expect("health check");
    client
        .register_task_definition()
        .family("ordered")
        .container_definitions(
            container(
                "db",
                "sleep 2; touch /tmp/ready; date +%s > /tmp/ready; exec sleep 300",
            )
            .health_check(check)
            .build(),
        )
        .container_definitions(
            container("app", "exec sleep 300")
                .depends_on(
                    ContainerDependency::builder()
                        .container_name("db")
                        .condition(ContainerCondition::Healthy)
                        .build()
                        .expect("dependency"),
                )
                .build(),
        )
        .send()
        .await
        .expect("register");
    let runtime = docker::image().await;
    let arn = run(&client, "ordered", None).await;
    let task = wait_status(&client, CLUSTER, &arn, "RUNNING", T).await;
    let id = |name: &str| {
        task.containers()
            .iter()
            .find(|c| c.name() == Some(name))
            .and_then(|c| c.runtime_id())
            .expect("runtime id")
            .to_owned()
    };
    use berth_agent::runtime::Runtime;
    let db = runtime.inspect(&id("db")).await.expect("db");
    let app = runtime.inspect(&id("app")).await.expect("app");
    assert_eq!(
        db.health.as_deref(),
        Some("healthy"),
        "db was healthy when app started"
    );
    assert!(
        app.started_at > db.started_at,
        "app {:?} started after db {:?}",
        app.started_at,
        db.started_at
    );
    let healthy = wait_for("health reported", T, || async {
        let t = docker::describe(&client, CLUSTER, &arn).await;
        (t.health_status() == Some(&HealthStatus::Healthy)).then_some(t)
    })
    .await;
    let db_c = healthy
        .containers()
        .iter()
        .find(|c| c.name() == Some("db"))
        .expect("db");
    assert_eq!(db_c.health_status(), Some(&HealthStatus::Healthy));
    stop(&client, &arn).await;
}

/// stopTimeout: a container that ignores SIGTERM is killed once its stopTimeout passes.
#[tokio::test(flavor = "multi_thread")]
async fn stop_timeout_bounds_a_stubborn_container() {
    let (_dev, client) = setup().await;
    client
        .register_task_definition()
        .family("stubborn")
        .container_definitions(
            container("main", "trap '' TERM; while true; do sleep 1; done")
                .stop_timeout(3)
                .build(),
        )
        .send()
        .await
        .expect("register");
    let arn = run(&client, "stubborn", None).await;
    wait_status(&client, CLUSTER, &arn, "RUNNING", T).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let asked = Instant::now();
    stop(&client, &arn).await;
    let task = wait_status(&client, CLUSTER, &arn, "STOPPED", T).await;
    let took = asked.elapsed();
    assert!(
        took >= Duration::from_secs(3),
        "stopped after {took:?}, before its stopTimeout"
    );
    assert!(
        took < Duration::from_secs(15),
        "stopTimeout 3 s took {took:?}"
    );
    assert_eq!(task.containers()[0].exit_code(), Some(137), "killed");
}

/// awsvpc: the task has its own IP (in its ENI attachment), reachable from the host; its
/// containers reach each other on localhost.
#[tokio::test(flavor = "multi_thread")]
async fn awsvpc_task_reached_on_its_own_ip() {
    let (_dev, client) = setup().await;
    client
        .register_task_definition()
        .family("vpc")
        .network_mode(NetworkMode::Awsvpc)
        .volumes(Volume::builder().name("shared").build())
        .container_definitions(
            container("web", "exec httpd -f -p 8080 -h /www")
                .port_mappings(PortMapping::builder().container_port(8080).build())
                .stop_timeout(1)
                .mount_points(MountPoint::builder().source_volume("shared").container_path("/www").build())
                .build(),
        )
        .container_definitions(
            container(
                "peer",
                "until wget -qO /www/peer.html http://127.0.0.1:8080/index.html; do sleep 0.2; done; exec sleep 300",
            )
            .essential(false)
            .stop_timeout(1)
            .mount_points(MountPoint::builder().source_volume("shared").container_path("/www").build())
            .build(),
        )
        .send()
        .await
        .expect("register");
    let out = client
        .run_task()
        .cluster(CLUSTER)
        .task_definition("vpc")
        .network_configuration(any_subnet())
        .send()
        .await
        .expect("RunTask");
    assert!(out.failures().is_empty(), "{:?}", out.failures());
    let arn = out.tasks()[0].task_arn().expect("arn").to_owned();
    let (task, ip) = docker::wait_task_ip(&client, CLUSTER, &arn, T).await;
    assert!(ip.parse::<std::net::Ipv4Addr>().is_ok(), "{ip}");
    let iface = &task.containers()[0].network_interfaces()[0];
    assert_eq!(iface.private_ipv4_address(), Some(ip.as_str()));
    let addr = format!("{ip}:8080");
    let peer = wait_for("the peer's copy over localhost", T, || async {
        http_get(&addr, "/peer.html")
    })
    .await;
    assert_eq!(peer, "hello from berth\n");
    stop(&client, &arn).await;
    wait_status(&client, CLUSTER, &arn, "STOPPED", T).await;
}

/// The agent (here: the whole `berth dev` process) is killed and restarted: it re-adopts
/// the running container instead of starting a second one, and can still stop it.
#[tokio::test(flavor = "multi_thread")]
async fn a_restarted_agent_adopts_its_containers() {
    let (mut dev, client) = setup().await;
    client
        .register_task_definition()
        .family("survivor")
        .container_definitions(container("main", "exec sleep 600").stop_timeout(2).build())
        .send()
        .await
        .expect("register");
    let arn = run(&client, "survivor", None).await;
    let before = wait_status(&client, CLUSTER, &arn, "RUNNING", T).await;
    let runtime_id = before.containers()[0].runtime_id().expect("id").to_owned();
    dev.berth.kill_and_restart();
    let client = dev.berth.client().await;
    docker::wait_instance(&client, CLUSTER).await;
    // The agent reconnects and keeps the task: still RUNNING, same container, none added.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = docker::describe(&client, CLUSTER, &arn).await;
    assert_eq!(after.last_status(), Some("RUNNING"));
    assert_eq!(
        after.containers()[0].runtime_id(),
        Some(runtime_id.as_str())
    );
    let runtime = docker::image().await;
    use berth_agent::runtime::Runtime;
    let same_task = runtime
        .list("com.amazonaws.ecs.task-arn", &arn)
        .await
        .expect("list");
    assert_eq!(same_task.len(), 1, "no duplicate container: {same_task:?}");
    assert!(same_task[0].running);
    stop(&client, &arn).await;
    let stopped = wait_status(&client, CLUSTER, &arn, "STOPPED", T).await;
    assert_eq!(
        stopped.containers()[0].exit_code(),
        Some(137),
        "killed after stopTimeout"
    );
    let observed = runtime.inspect(&runtime_id).await.expect("inspect");
    assert!(!observed.running, "the adopted container was stopped");
}

/// FARGATE in a cluster with no container instances: the task runs on the managed pool
/// (here, dev's host), isolated on its own IP, with the task-level limits enforced.
#[tokio::test(flavor = "multi_thread")]
async fn fargate_task_in_a_cluster_without_instances() {
    let (_dev, client) = setup().await;
    client
        .create_cluster()
        .cluster_name("apps")
        .send()
        .await
        .expect("CreateCluster");
    client
        .register_task_definition()
        .family("fg")
        .network_mode(NetworkMode::Awsvpc)
        .requires_compatibilities(aws_sdk_ecs::types::Compatibility::Fargate)
        .cpu("256")
        .memory("512")
        .container_definitions(
            ContainerDefinition::builder()
                .name("web")
                .image(IMAGE)
                .set_command(Some(sh(
                    "env > /www/env.txt; wget -qO /www/task.json $ECS_CONTAINER_METADATA_URI_V4/task; \
                     exec httpd -f -p 8080 -h /www",
                )))
                .stop_timeout(1)
                .build(),
        )
        .send()
        .await
        .expect("register");
    let out = client
        .run_task()
        .cluster("apps")
        .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
        .task_definition("fg")
        .network_configuration(any_subnet())
        .send()
        .await
        .expect("RunTask");
    assert!(out.failures().is_empty(), "{:?}", out.failures());
    let arn = out.tasks()[0].task_arn().expect("arn").to_owned();
    assert!(out.tasks()[0].container_instance_arn().is_none());
    let (task, ip) = docker::wait_task_ip(&client, "apps", &arn, T).await;
    assert_eq!(
        task.launch_type(),
        Some(&aws_sdk_ecs::types::LaunchType::Fargate)
    );
    let addr = format!("{ip}:8080");
    let env = wait_for("the task's environment", T, || async {
        http_get(&addr, "/env.txt")
    })
    .await;
    assert!(env.contains("AWS_EXECUTION_ENV=AWS_ECS_FARGATE"), "{env}");
    assert!(env.contains("AWS_REGION=us-east-1"), "{env}");
    let meta: serde_json::Value =
        serde_json::from_str(&http_get(&addr, "/task.json").expect("metadata")).expect("JSON");
    assert_eq!(meta["LaunchType"], "FARGATE");
    assert_eq!(meta["Limits"]["CPU"], 0.25);
    assert_eq!(meta["Limits"]["Memory"], 512);
    let runtime = docker::image().await;
    use berth_agent::runtime::Runtime;
    let c = runtime
        .inspect(task.containers()[0].runtime_id().expect("id"))
        .await
        .expect("inspect");
    assert!(c.running);
    let listed = client
        .list_container_instances()
        .cluster("apps")
        .send()
        .await
        .expect("list");
    assert_eq!(
        listed.container_instance_arns().len(),
        1,
        "only dev's own EC2 registration"
    );
    client
        .stop_task()
        .cluster("apps")
        .task(&arn)
        .send()
        .await
        .expect("stop");
    wait_status(&client, "apps", &arn, "STOPPED", T).await;
}

/// Failures end STOPPED with a reason, never stuck in PENDING: an image that cannot be
/// pulled, and a command that does not exist.
#[tokio::test(flavor = "multi_thread")]
async fn failures_end_stopped_with_a_reason() {
    let (_dev, client) = setup().await;
    client
        .register_task_definition()
        .family("nopull")
        .container_definitions(
            ContainerDefinition::builder()
                .name("main")
                .image("berth-test/does-not-exist:1")
                .memory(16)
                .build(),
        )
        .send()
        .await
        .expect("register");
    client
        .register_task_definition()
        .family("nocmd")
        .container_definitions(
            ContainerDefinition::builder()
                .name("main")
                .image(IMAGE)
                .memory(16)
                .set_command(Some(vec!["/no/such/program".into()]))
                .build(),
        )
        .send()
        .await
        .expect("register");
    let pull = run(&client, "nopull", None).await;
    let start = run(&client, "nocmd", None).await;
    let pulled = wait_status(&client, CLUSTER, &pull, "STOPPED", T).await;
    let reason = pulled.stopped_reason().unwrap_or_default();
    assert!(reason.starts_with("CannotPullContainerError:"), "{reason}");
    assert_eq!(pulled.stop_code(), Some(&TaskStopCode::TaskFailedToStart));
    let c = &pulled.containers()[0];
    assert!(c
        .reason()
        .unwrap_or_default()
        .starts_with("CannotPullContainerError:"));
    assert_eq!(c.last_status(), Some("STOPPED"));
    let started = wait_status(&client, CLUSTER, &start, "STOPPED", T).await;
    let reason = started.stopped_reason().unwrap_or_default();
    assert!(reason.starts_with("CannotStartContainerError:"), "{reason}");
    assert_eq!(started.stop_code(), Some(&TaskStopCode::TaskFailedToStart));
    assert!(started.containers()[0]
        .reason()
        .unwrap_or_default()
        .contains("/no/such/program"));
}
