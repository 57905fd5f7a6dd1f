//! `berth bench services`: how fast services converge and roll out.
//! - `--real`: `berth dev` with its local agent on this host's Docker Engine; a 10-task
//!   service whose containers have a health check is rolled from revision 1 to 2; prints
//!   the seconds from UpdateService to steady state (one COMPLETED deployment, all tasks
//!   RUNNING and healthy). With `--load-balancer` the tasks sit behind an Application Load
//!   Balancer (ELB health checks, bridge networking with dynamic host ports), and a client
//!   hammers the load balancer through the whole deployment, counting failed requests.
//! - otherwise: `berth dev --no-agent` and a simulated fleet; `--services` services of
//!   `--tasks` tasks each are created at once; prints the seconds until all are steady, the
//!   server's RSS, then the seconds for a rolling update of `--update` of them.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use berth_client::{Client, Endpoint};
use clap::Args;
use serde_json::{json, Value};

use super::placement::{rss_mib, start_dev};
use super::services_lb::{self, Hammer};
use crate::sim::{self, SimArgs};

#[derive(Args)]
pub struct ServicesBenchArgs {
    /// Real containers on this host's Docker Engine (a 10-task rolling deployment).
    #[arg(long)]
    real: bool,
    /// With --real: the service behind an Application Load Balancer, hammered by a client
    /// during the rolling deployment.
    #[arg(long, requires = "real")]
    load_balancer: bool,
    /// With --load-balancer: the hammering client's keep-alive connections.
    #[arg(long, default_value_t = 4)]
    lb_connections: usize,
    /// A locally present image for --real (scripts/demo-image builds this one).
    #[arg(long, default_value = "berth-demo/web:latest")]
    image: String,
    /// Simulated container instances.
    #[arg(long, default_value_t = 100)]
    instances: usize,
    /// Services created at once (simulated fleet).
    #[arg(long, default_value_t = 1000)]
    services: usize,
    /// Tasks per service.
    #[arg(long, default_value_t = 10)]
    tasks: i64,
    /// Services then rolled to a new revision (simulated fleet).
    #[arg(long, default_value_t = 100)]
    update: usize,
}

const CLUSTER: &str = "bench-services";

pub async fn run(args: ServicesBenchArgs) -> Result<()> {
    let (mut server, url) = start_dev(args.real).await?;
    let pid = server.id();
    let result = if args.real {
        real(&args, &url).await
    } else {
        simulated(&args, &url, pid).await
    };
    let _ = server.kill().await;
    println!("{}", result?);
    Ok(())
}

fn steady(s: &Value) -> bool {
    let deployments = s["deployments"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    deployments.len() == 1
        && deployments[0]["rolloutState"] == "COMPLETED"
        && s["runningCount"] == s["desiredCount"]
        && s["pendingCount"] == 0
}

/// Waits until every named service is steady; DescribeServices takes 10 at a time.
async fn wait_steady(
    client: &mut Client,
    cluster: &str,
    names: &[String],
    limit: Duration,
) -> Result<f64> {
    let started = Instant::now();
    let mut pending: Vec<String> = names.to_vec();
    while !pending.is_empty() {
        let mut still = Vec::new();
        for chunk in pending.chunks(10) {
            let out = client
                .ecs(
                    "DescribeServices",
                    &json!({"cluster": cluster, "services": chunk}),
                )
                .await?;
            for s in out["services"].as_array().into_iter().flatten() {
                if !steady(s) {
                    still.push(s["serviceName"].as_str().unwrap_or_default().to_owned());
                }
            }
        }
        pending = still;
        if started.elapsed() > limit {
            bail!("{} services not steady after {limit:?}", pending.len());
        }
        if !pending.is_empty() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    Ok(started.elapsed().as_secs_f64())
}

async fn real(args: &ServicesBenchArgs, url: &str) -> Result<Value> {
    let endpoint = Endpoint::new(url, "test", "test", "us-east-1")?;
    let mut client = Client::new(endpoint);
    // The local agent joins `default` at start-up.
    let cluster = "default";
    let deadline = Instant::now() + Duration::from_secs(60);
    while client
        .ecs("ListContainerInstances", &json!({"cluster": cluster}))
        .await
        .ok()
        .and_then(|o| o["containerInstanceArns"].as_array().map(|a| a.is_empty()))
        .unwrap_or(true)
    {
        if Instant::now() > deadline {
            bail!("the local agent did not join");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ports = if args.load_balancer {
        json!([{"containerPort": 8080, "hostPort": 0}])
    } else {
        json!([])
    };
    let td = |rev: &str| {
        json!({"family": "bench-roll", "containerDefinitions": [{
            "name": "web", "image": args.image, "memory": 16, "essential": true,
            "command": ["sh", "-c", format!("trap 'exit 0' TERM; echo {rev} > /tmp/rev; httpd -p 8080 -h /www; while true; do sleep 1; done")],
            "portMappings": ports,
            "healthCheck": {"command": ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8080/ || exit 1"],
                            "interval": 5, "timeout": 2, "retries": 2, "startPeriod": 0},
            "stopTimeout": 2}]})
    };
    client.ecs("RegisterTaskDefinition", &td("1")).await?;
    client.ecs("RegisterTaskDefinition", &td("2")).await?;
    let lb = if args.load_balancer {
        Some(services_lb::create(&mut client, 8080).await?)
    } else {
        None
    };
    let mut service = json!({"cluster": cluster, "serviceName": "roll", "taskDefinition": "bench-roll:1", "desiredCount": 10});
    if let Some(lb) = &lb {
        service["loadBalancers"] = json!([{"targetGroupArn": lb.target_group_arn,
                                           "containerName": "web", "containerPort": 8080}]);
    }
    client.ecs("CreateService", &service).await?;
    let names = vec!["roll".to_owned()];
    let create_secs = wait_steady(&mut client, cluster, &names, Duration::from_secs(180)).await?;
    let hammer = match &lb {
        Some(lb) => {
            services_lb::wait_serving(lb.address, Duration::from_secs(60)).await?;
            Some(Hammer::start(lb.address, args.lb_connections))
        }
        None => None,
    };
    let t0 = Instant::now();
    client
        .ecs(
            "UpdateService",
            &json!({"cluster": cluster, "service": "roll", "taskDefinition": "bench-roll:2"}),
        )
        .await?;
    wait_steady(&mut client, cluster, &names, Duration::from_secs(600)).await?;
    let deploy_secs = t0.elapsed().as_secs_f64();
    let traffic = match hammer {
        Some(h) => {
            // A moment more: the last old targets' drains end after steady state.
            tokio::time::sleep(Duration::from_secs(2)).await;
            Some(h.finish().await)
        }
        None => None,
    };
    client
        .ecs(
            "DeleteService",
            &json!({"cluster": cluster, "service": "roll", "force": true}),
        )
        .await?;
    if let Some(lb) = &lb {
        services_lb::delete(&mut client, lb).await?;
    }
    // Give the agent a moment to stop the containers before the server goes away.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let mut out = json!({
        "bench": "services-real",
        "tasks": 10,
        "health_check_interval_secs": 5,
        "create_to_steady_secs": create_secs,
        "rolling_deployment_secs": deploy_secs,
    });
    if let Some(traffic) = traffic {
        out["load_balancer"] = json!(true);
        out["traffic_during_deployment"] = traffic;
    }
    Ok(out)
}

async fn simulated(args: &ServicesBenchArgs, url: &str, pid: Option<u32>) -> Result<Value> {
    let sim_args = SimArgs {
        endpoint: url.to_owned(),
        cluster: CLUSTER.into(),
        instances: args.instances,
        cpu: 1_048_576,
        memory: 4_194_304,
        attributes: vec!["ecs.availability-zone={us-east-1a,us-east-1b,us-east-1c}".into()],
        access_key: "test".into(),
        secret_key: "test".into(),
        region: "us-east-1".into(),
        register_concurrency: 64,
    };
    let _stats = sim::start(&sim_args)
        .await
        .context("starting the simulated fleet")?;
    let endpoint = Endpoint::new(url, "test", "test", "us-east-1")?;
    let mut client = Client::new(endpoint);
    for rev in 0..2 {
        client
            .ecs(
                "RegisterTaskDefinition",
                &json!({"family": "bench-svc", "containerDefinitions": [
                    {"name": "app", "image": format!("app:{rev}"), "cpu": 16, "memory": 16}]}),
            )
            .await?;
    }
    let names: Vec<String> = (0..args.services).map(|i| format!("svc-{i:05}")).collect();
    let t0 = Instant::now();
    for n in &names {
        client
            .ecs(
                "CreateService",
                &json!({"cluster": CLUSTER, "serviceName": n, "taskDefinition": "bench-svc:1",
                        "desiredCount": args.tasks}),
            )
            .await?;
    }
    let create_calls_secs = t0.elapsed().as_secs_f64();
    wait_steady(&mut client, CLUSTER, &names, Duration::from_secs(900)).await?;
    let converge_secs = t0.elapsed().as_secs_f64();
    let rss = pid.and_then(rss_mib);
    let rolled = &names[..args.update.min(names.len())];
    let t1 = Instant::now();
    for n in rolled {
        client
            .ecs(
                "UpdateService",
                &json!({"cluster": CLUSTER, "service": n, "taskDefinition": "bench-svc:2"}),
            )
            .await?;
    }
    wait_steady(&mut client, CLUSTER, rolled, Duration::from_secs(900)).await?;
    let update_secs = t1.elapsed().as_secs_f64();
    Ok(json!({
        "bench": "services-sim",
        "instances": args.instances,
        "services": args.services,
        "tasks_per_service": args.tasks,
        "create_calls_secs": create_calls_secs,
        "converge_secs": converge_secs,
        "server_rss_mib": rss,
        "rolled_services": rolled.len(),
        "rolling_update_secs": update_secs,
        "server_rss_after_update_mib": pid.and_then(rss_mib),
    }))
}
