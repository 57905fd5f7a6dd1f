//! Real containers with the awslogs log driver: what a task prints is readable through
//! CloudWatch Logs (aws-sdk-cloudwatchlogs), under the stream name ECS uses; a task whose
//! log group does not exist fails to start as in ECS; `berth logs tail --follow` shows new
//! lines as they come.

mod common;

use std::time::Duration;

use aws_sdk_ecs::types::{ContainerDefinition, LogConfiguration, LogDriver};
use common::docker::{wait_for, wait_status, Dev, IMAGE};

const CLUSTER: &str = "default";
const T: Duration = Duration::from_secs(60);

fn logging_container(name: &str, script: &str, options: &[(&str, &str)]) -> ContainerDefinition {
    let mut log = LogConfiguration::builder().log_driver(LogDriver::Awslogs);
    for (k, v) in options {
        log = log.options(*k, *v);
    }
    ContainerDefinition::builder()
        .name(name)
        .image(IMAGE)
        .memory(32)
        .set_command(Some(vec!["sh".into(), "-c".into(), script.into()]))
        .log_configuration(log.build().expect("log configuration"))
        .build()
}

async fn run(ecs: &aws_sdk_ecs::Client, family: &str, c: ContainerDefinition) -> String {
    ecs.register_task_definition()
        .family(family)
        .container_definitions(c)
        .send()
        .await
        .expect("register");
    let out = ecs
        .run_task()
        .cluster(CLUSTER)
        .task_definition(family)
        .send()
        .await
        .expect("RunTask");
    assert!(out.failures().is_empty(), "{:?}", out.failures());
    out.tasks()[0].task_arn().expect("arn").to_owned()
}

fn task_id(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or_default()
}

#[tokio::test]
async fn a_task_prints_and_cloudwatch_logs_returns_its_lines() {
    let (dev, ecs) = Dev::start(CLUSTER).await;
    let logs = dev.berth.logs_client().await;
    let script = "for i in 1 2 3 4 5; do echo line $i; done; echo oops >&2; sleep 300";
    let c = logging_container(
        "web",
        script,
        &[
            ("awslogs-group", "/ecs/printer"),
            ("awslogs-create-group", "true"),
            ("awslogs-stream-prefix", "app"),
            ("awslogs-region", "us-east-1"),
        ],
    );
    let arn = run(&ecs, "printer", c).await;
    wait_status(&ecs, CLUSTER, &arn, "RUNNING", T).await;
    let stream = format!("app/web/{}", task_id(&arn));
    let lines = wait_for("the task's lines in CloudWatch Logs", T, || async {
        let got = logs
            .get_log_events()
            .log_group_name("/ecs/printer")
            .log_stream_name(&stream)
            .start_from_head(true)
            .send()
            .await
            .ok()?;
        let lines: Vec<String> = got
            .events()
            .iter()
            .filter_map(|e| e.message().map(str::to_owned))
            .collect();
        (lines.len() >= 6).then_some(lines)
    })
    .await;
    // stdout in order, and stderr's line (CloudWatch orders by millisecond timestamp, so
    // lines printed within one millisecond have no defined order between the two streams).
    let stdout: Vec<&String> = lines.iter().filter(|l| l.starts_with("line")).collect();
    assert_eq!(stdout, ["line 1", "line 2", "line 3", "line 4", "line 5"]);
    assert_eq!(
        lines.iter().filter(|l| *l == "oops").count(),
        1,
        "{lines:?}"
    );
    assert_eq!(lines.len(), 6, "{lines:?}");
    let found = logs
        .filter_log_events()
        .log_group_name("/ecs/printer")
        .filter_pattern("\"line 3\"")
        .send()
        .await
        .expect("filter");
    assert_eq!(found.events().len(), 1);
    assert_eq!(found.events()[0].log_stream_name(), Some(stream.as_str()));

    // berth logs tail --follow prints what the task prints next.
    let exec = ecs
        .register_task_definition()
        .family("ticker")
        .container_definitions(logging_container(
            "tick",
            "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done",
            &[
                ("awslogs-group", "/ecs/printer"),
                ("awslogs-stream-prefix", "app"),
            ],
        ))
        .send()
        .await;
    exec.expect("register ticker");
    let ticker = run_registered(&ecs, "ticker").await;
    wait_status(&ecs, CLUSTER, &ticker, "RUNNING", T).await;
    let mut tail = std::process::Command::new(env!("CARGO_BIN_EXE_berth"))
        .args([
            "logs",
            "tail",
            "/ecs/printer",
            "--follow",
            "--since",
            "1m",
            "--endpoint",
            &dev.berth.endpoint(),
        ])
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("berth logs tail");
    let stdout = tail.stdout.take().expect("stdout");
    let seen = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let mut ticks = Vec::new();
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(n) = line
                .rsplit("tick ")
                .next()
                .and_then(|n| n.trim().parse::<u32>().ok())
            {
                if line.contains("tick ") {
                    ticks.push(n);
                }
            }
            if ticks.len() >= 15 {
                break;
            }
        }
        ticks
    });
    let ticks = tokio::time::timeout(T, seen)
        .await
        .expect("tail kept printing")
        .expect("reader");
    let _ = tail.kill();
    let _ = tail.wait();
    assert!(
        ticks.windows(2).all(|w| w[1] == w[0] + 1),
        "ticks in order, none missed: {ticks:?}"
    );
}

async fn run_registered(ecs: &aws_sdk_ecs::Client, family: &str) -> String {
    let out = ecs
        .run_task()
        .cluster(CLUSTER)
        .task_definition(family)
        .send()
        .await
        .expect("RunTask");
    out.tasks()[0].task_arn().expect("arn").to_owned()
}

#[tokio::test]
async fn a_missing_log_group_fails_the_task_as_ecs_does() {
    let (_dev, ecs) = Dev::start(CLUSTER).await;
    let c = logging_container(
        "web",
        "echo hi; sleep 300",
        &[
            ("awslogs-group", "/no/such/group"),
            ("awslogs-stream-prefix", "app"),
        ],
    );
    let arn = run(&ecs, "nogroup", c).await;
    let task = wait_status(&ecs, CLUSTER, &arn, "STOPPED", T).await;
    let reason = task.containers()[0].reason().unwrap_or_default().to_owned();
    assert!(
        reason.contains("ResourceNotFoundException") && reason.contains("log group does not exist"),
        "reason: {reason:?}, stoppedReason: {:?}",
        task.stopped_reason()
    );
}

/// `kill -9` of `berth dev` (its agent with it) while a task prints: the container keeps
/// running, and once Berth is back every line reaches CloudWatch Logs, once and in order.
#[tokio::test]
async fn lines_printed_while_berth_is_down_arrive_after_it_restarts() {
    let (mut dev, ecs) = Dev::start(CLUSTER).await;
    ecs.register_task_definition()
        .family("restart-ticker")
        .container_definitions(logging_container(
            "tick",
            "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.1; done",
            &[
                ("awslogs-group", "/ecs/restart"),
                ("awslogs-create-group", "true"),
                ("awslogs-stream-prefix", "app"),
            ],
        ))
        .send()
        .await
        .expect("register");
    let arn = run_registered(&ecs, "restart-ticker").await;
    wait_status(&ecs, CLUSTER, &arn, "RUNNING", T).await;
    let stream = format!("app/tick/{}", task_id(&arn));
    let ticks =
        |logs: aws_sdk_cloudwatchlogs::Client, want: usize| {
            let stream = stream.clone();
            async move {
                wait_for("ticks in CloudWatch Logs", T, || async {
                    let mut all = Vec::new();
                    let mut token: Option<String> = None;
                    loop {
                        let got = logs
                            .get_log_events()
                            .log_group_name("/ecs/restart")
                            .log_stream_name(&stream)
                            .start_from_head(true)
                            .set_next_token(token.clone())
                            .send()
                            .await
                            .ok()?;
                        let next = got.next_forward_token().map(str::to_owned);
                        if got.events().is_empty() || next == token {
                            break;
                        }
                        all.extend(got.events().iter().filter_map(|e| {
                            e.message()?.strip_prefix("tick ")?.parse::<u32>().ok()
                        }));
                        token = next;
                    }
                    (all.len() >= want).then_some(all)
                })
                .await
            }
        };
    let before = ticks(dev.berth.logs_client().await, 10).await;
    dev.berth.kill_and_restart();
    // The ticker prints on while Berth is down and while its agent comes back.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = ticks(dev.berth.logs_client().await, before.len() + 40).await;
    let expected: Vec<u32> = (1..=after.len() as u32).collect();
    assert_eq!(
        after, expected,
        "every tick once, in order, none lost across the restart"
    );
}
