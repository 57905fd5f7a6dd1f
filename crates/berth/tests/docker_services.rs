//! Services on real containers: `berth dev` with its local agent on the Docker Engine,
//! driven by aws-sdk-ecs.

mod common;

use std::time::{Duration, Instant};

use aws_sdk_ecs::types::{
    ContainerDefinition, DeploymentCircuitBreaker, DeploymentConfiguration, DeploymentRolloutState,
    Service,
};
use aws_sdk_ecs::Client;
use common::docker::{self, wait_for, Dev, IMAGE};

const CLUSTER: &str = "default";
const T: Duration = Duration::from_secs(90);

async fn setup() -> (Dev, Client) {
    Dev::start(CLUSTER).await
}

async fn register(client: &Client, family: &str, script: &str) -> String {
    client
        .register_task_definition()
        .family(family)
        .container_definitions(
            ContainerDefinition::builder()
                .name("main")
                .image(IMAGE)
                .memory(16)
                .set_command(Some(vec!["sh".into(), "-c".into(), script.into()]))
                .stop_timeout(1)
                .build(),
        )
        .send()
        .await
        .expect("register")
        .task_definition()
        .and_then(|t| t.task_definition_arn())
        .expect("arn")
        .to_owned()
}

async fn service(client: &Client, name: &str) -> Service {
    client
        .describe_services()
        .cluster(CLUSTER)
        .services(name)
        .send()
        .await
        .expect("describe")
        .services()[0]
        .clone()
}

fn steady(s: &Service) -> bool {
    s.deployments().len() == 1
        && s.deployments()[0].rollout_state() == Some(&DeploymentRolloutState::Completed)
        && s.running_count() == s.desired_count()
}

/// A 4-task service rolled from revision 1 to 2 never drops below minimumHealthyPercent
/// (sampled throughout) and ends with 4 tasks of revision 2.
#[tokio::test(flavor = "multi_thread")]
async fn rolling_update_keeps_the_minimum() {
    let (_dev, client) = setup().await;
    let v1 = register(
        &client,
        "roll",
        "trap 'exit 0' TERM; while true; do sleep 1; done",
    )
    .await;
    let v2 = register(
        &client,
        "roll",
        "trap 'exit 0' TERM; while true; do sleep 1; done",
    )
    .await;
    client
        .create_service()
        .cluster(CLUSTER)
        .service_name("roll")
        .task_definition(&v1)
        .desired_count(4)
        .deployment_configuration(
            DeploymentConfiguration::builder()
                .minimum_healthy_percent(50)
                .maximum_percent(150)
                .build(),
        )
        .send()
        .await
        .expect("create");
    wait_for("4 tasks running", T, || async {
        steady(&service(&client, "roll").await).then_some(())
    })
    .await;
    client
        .update_service()
        .cluster(CLUSTER)
        .service("roll")
        .task_definition(&v2)
        .send()
        .await
        .expect("update");
    let started = Instant::now();
    let mut lowest = u32::MAX;
    loop {
        let s = service(&client, "roll").await;
        lowest = lowest.min(s.running_count() as u32);
        assert!(s.running_count() >= 2, "below the minimum: {s:?}");
        assert!(
            s.running_count() + s.pending_count() <= 6,
            "above the maximum: {s:?}"
        );
        if steady(&s) && s.task_definition() == Some(v2.as_str()) {
            break;
        }
        assert!(started.elapsed() < T, "rollout did not finish: {s:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let took = started.elapsed();
    let tasks = client
        .list_tasks()
        .cluster(CLUSTER)
        .service_name("roll")
        .send()
        .await
        .expect("list");
    assert_eq!(tasks.task_arns().len(), 4);
    let described = client
        .describe_tasks()
        .cluster(CLUSTER)
        .set_tasks(Some(tasks.task_arns().to_vec()))
        .send()
        .await
        .expect("describe tasks");
    assert!(described
        .tasks()
        .iter()
        .all(|t| t.task_definition_arn() == Some(v2.as_str())));
    eprintln!("rolling update of 4 tasks took {took:?}; lowest running count {lowest}");
}

/// A killed container is replaced by the scheduler.
#[tokio::test(flavor = "multi_thread")]
async fn a_killed_container_is_replaced() {
    let (_dev, client) = setup().await;
    let td = register(
        &client,
        "keep",
        "trap 'exit 0' TERM; while true; do sleep 1; done",
    )
    .await;
    client
        .create_service()
        .cluster(CLUSTER)
        .service_name("keep")
        .task_definition(&td)
        .desired_count(1)
        .send()
        .await
        .expect("create");
    wait_for("1 task running", T, || async {
        steady(&service(&client, "keep").await).then_some(())
    })
    .await;
    let first = client
        .list_tasks()
        .cluster(CLUSTER)
        .service_name("keep")
        .send()
        .await
        .expect("list")
        .task_arns()[0]
        .clone();
    let task = docker::describe(&client, CLUSTER, &first).await;
    let id = task.containers()[0].runtime_id().expect("id").to_owned();
    let killed = std::process::Command::new("docker")
        .args(["kill", &id])
        .output()
        .expect("docker kill");
    assert!(killed.status.success());
    let replacement = wait_for("a replacement", T, || async {
        let arns = client
            .list_tasks()
            .cluster(CLUSTER)
            .service_name("keep")
            .send()
            .await
            .ok()?
            .task_arns()
            .to_vec();
        let other = arns.into_iter().find(|a| *a != first)?;
        let t = docker::describe(&client, CLUSTER, &other).await;
        (t.last_status() == Some("RUNNING")).then_some(other)
    })
    .await;
    assert_ne!(replacement, first);
    let dead = docker::describe(&client, CLUSTER, &first).await;
    assert_eq!(dead.last_status(), Some("STOPPED"));
}

/// A revision whose container crashes at once trips the circuit breaker, which rolls the
/// service back to the last good revision.
#[tokio::test(flavor = "multi_thread")]
async fn a_crashing_revision_trips_the_breaker_and_rolls_back() {
    let (_dev, client) = setup().await;
    let good = register(
        &client,
        "brk",
        "trap 'exit 0' TERM; while true; do sleep 1; done",
    )
    .await;
    let bad = register(&client, "brk", "exit 3").await;
    client
        .create_service()
        .cluster(CLUSTER)
        .service_name("brk")
        .task_definition(&good)
        .desired_count(1)
        .deployment_configuration(
            DeploymentConfiguration::builder()
                .deployment_circuit_breaker(
                    DeploymentCircuitBreaker::builder()
                        .enable(true)
                        .rollback(true)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("create");
    wait_for("steady", T, || async {
        steady(&service(&client, "brk").await).then_some(())
    })
    .await;
    client
        .update_service()
        .cluster(CLUSTER)
        .service("brk")
        .task_definition(&bad)
        .send()
        .await
        .expect("update");
    let started = Instant::now();
    let s = loop {
        let s = service(&client, "brk").await;
        if steady(&s) && s.task_definition() == Some(good.as_str()) {
            break s;
        }
        assert!(started.elapsed() < T, "the rollback did not finish: {s:#?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let events: Vec<&str> = s.events().iter().filter_map(|e| e.message()).collect();
    assert!(
        events
            .iter()
            .any(|m| m.contains("deployment failed: tasks failed to start")),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|m| m.contains("rolling back to deployment")),
        "{events:?}"
    );
}

/// The control plane (here the whole `berth dev`, agent included) is killed in the middle of
/// a rolling deployment; after the restart the deployment finishes correctly.
#[tokio::test(flavor = "multi_thread")]
async fn a_restart_mid_deployment_finishes_it() {
    let (mut dev, client) = setup().await;
    let v1 = register(
        &client,
        "mid",
        "trap 'exit 0' TERM; while true; do sleep 1; done",
    )
    .await;
    let v2 = register(
        &client,
        "mid",
        "trap 'exit 0' TERM; while true; do sleep 1; done",
    )
    .await;
    client
        .create_service()
        .cluster(CLUSTER)
        .service_name("mid")
        .task_definition(&v1)
        .desired_count(4)
        .deployment_configuration(
            DeploymentConfiguration::builder()
                .minimum_healthy_percent(50)
                .maximum_percent(100)
                .build(),
        )
        .send()
        .await
        .expect("create");
    wait_for("steady", T, || async {
        steady(&service(&client, "mid").await).then_some(())
    })
    .await;
    client
        .update_service()
        .cluster(CLUSTER)
        .service("mid")
        .task_definition(&v2)
        .send()
        .await
        .expect("update");
    // Mid-way: some old tasks stopping, the new deployment not complete.
    wait_for("the rollout to be under way", T, || async {
        let s = service(&client, "mid").await;
        (s.deployments().len() == 2).then_some(())
    })
    .await;
    dev.berth.kill_and_restart();
    let client = dev.berth.client().await;
    let s = wait_for("the rollout to finish after the restart", T, || async {
        let s = service(&client, "mid").await;
        (steady(&s) && s.task_definition() == Some(v2.as_str())).then_some(s)
    })
    .await;
    assert_eq!(s.running_count(), 4);
    let tasks = client
        .list_tasks()
        .cluster(CLUSTER)
        .service_name("mid")
        .send()
        .await
        .expect("list");
    assert_eq!(tasks.task_arns().len(), 4);
}
