//! `berth logs`: CloudWatch Logs for people at a terminal. `tail GROUP` prints a group's
//! events (what `aws logs tail` does in CLI v2), `--follow` keeps printing new ones; `task
//! TASK` prints every container's lines of one ECS task.

use std::collections::HashSet;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use serde_json::{json, Value};

use berth_client::{Client, Endpoint};

#[derive(Args)]
pub struct LogsArgs {
    #[command(subcommand)]
    command: LogsCommand,
    #[command(flatten)]
    conn: Conn,
}

#[derive(Args)]
struct Conn {
    /// Base URL of the Berth endpoint.
    #[arg(
        long,
        global = true,
        env = "AWS_ENDPOINT_URL",
        default_value = "http://127.0.0.1:5454"
    )]
    endpoint: String,
    #[arg(long, global = true, env = "AWS_ACCESS_KEY_ID", default_value = "test")]
    access_key: String,
    #[arg(
        long,
        global = true,
        env = "AWS_SECRET_ACCESS_KEY",
        default_value = "test"
    )]
    secret_key: String,
    #[arg(long, global = true, env = "AWS_REGION", default_value = "us-east-1")]
    region: String,
}

#[derive(Subcommand)]
enum LogsCommand {
    /// A log group's events across its streams, oldest first.
    Tail(TailArgs),
    /// Every container's lines of one task (awslogs), by task ARN or id.
    Task(TaskArgs),
}

#[derive(Args)]
struct TailArgs {
    group: String,
    /// Keep printing new events as they arrive.
    #[arg(long)]
    follow: bool,
    /// How far back to start: `30s`, `10m`, `2h`, `1d` (default 10m, as `aws logs tail`).
    #[arg(long, default_value = "10m")]
    since: String,
    /// Only events matching this CloudWatch filter pattern.
    #[arg(long)]
    filter_pattern: Option<String>,
    /// Only streams whose names start with this.
    #[arg(long)]
    log_stream_name_prefix: Option<String>,
}

#[derive(Args)]
struct TaskArgs {
    task: String,
    #[arg(long, default_value = "default")]
    cluster: String,
    /// Keep printing new lines as they arrive.
    #[arg(long)]
    follow: bool,
}

/// How often `--follow` asks for new events.
const POLL: Duration = Duration::from_millis(500);

pub async fn run(args: LogsArgs) -> Result<()> {
    let c = &args.conn;
    let mut client = Client::new(Endpoint::new(
        &c.endpoint,
        &c.access_key,
        &c.secret_key,
        &c.region,
    )?);
    match args.command {
        LogsCommand::Tail(a) => tail(&mut client, a).await,
        LogsCommand::Task(a) => task(&mut client, a).await,
    }
}

/// `10m` → milliseconds.
fn since_ms(s: &str) -> Result<i64> {
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = n
        .parse()
        .with_context(|| format!("--since {s}: a number and s, m, h, d or w"))?;
    let unit = match unit {
        "s" => 1_000,
        "" | "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 7 * 86_400_000,
        other => bail!("--since {s}: unknown unit '{other}' (s, m, h, d or w)"),
    };
    Ok(n.saturating_mul(unit))
}

fn now_ms() -> i64 {
    (berth_client::now_seconds() as i64).saturating_mul(1000)
}

/// An event's time as `aws logs tail` prints it (UTC, milliseconds).
fn stamp(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let f = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]"
    );
    t.format(&f).unwrap_or_default()
}

async fn tail(client: &mut Client, a: TailArgs) -> Result<()> {
    let mut start = now_ms() - since_ms(&a.since)?;
    // Events already printed at the newest timestamp seen (the next poll starts there).
    let mut printed_at_start: HashSet<String> = HashSet::new();
    loop {
        let mut token: Option<String> = None;
        let mut newest = start;
        let mut at_newest: HashSet<String> = HashSet::new();
        loop {
            let mut body = json!({"logGroupName": a.group, "startTime": start});
            if let Some(p) = &a.filter_pattern {
                body["filterPattern"] = json!(p);
            }
            if let Some(p) = &a.log_stream_name_prefix {
                body["logStreamNamePrefix"] = json!(p);
            }
            if let Some(t) = &token {
                body["nextToken"] = json!(t);
            }
            let page = client.logs("FilterLogEvents", &body).await?;
            for e in page["events"].as_array().into_iter().flatten() {
                let id = e["eventId"].as_str().unwrap_or_default().to_owned();
                let ts = e["timestamp"].as_i64().unwrap_or_default();
                if ts == start && printed_at_start.contains(&id) {
                    continue;
                }
                println!(
                    "{} {} {}",
                    stamp(ts),
                    e["logStreamName"].as_str().unwrap_or_default(),
                    e["message"].as_str().unwrap_or_default()
                );
                if ts > newest {
                    newest = ts;
                    at_newest.clear();
                }
                if ts == newest {
                    at_newest.insert(id);
                }
            }
            match page["nextToken"].as_str() {
                Some(t) => token = Some(t.to_owned()),
                None => break,
            }
        }
        if !a.follow {
            return Ok(());
        }
        if newest > start {
            start = newest;
            printed_at_start = at_newest;
        } else {
            printed_at_start.extend(at_newest);
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Each awslogs container of the task: (container name, group, stream).
async fn task_streams(client: &mut Client, a: &TaskArgs) -> Result<Vec<(String, String, String)>> {
    let described = client
        .ecs(
            "DescribeTasks",
            &json!({"cluster": a.cluster, "tasks": [a.task]}),
        )
        .await?;
    let Some(task) = described["tasks"].get(0) else {
        bail!("no task {} in cluster {}", a.task, a.cluster);
    };
    let arn = task["taskArn"].as_str().unwrap_or_default();
    let id = arn.rsplit('/').next().unwrap_or_default().to_owned();
    let td = client
        .ecs(
            "DescribeTaskDefinition",
            &json!({"taskDefinition": task["taskDefinitionArn"]}),
        )
        .await?;
    let mut out = Vec::new();
    for c in td["taskDefinition"]["containerDefinitions"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let log: &Value = &c["logConfiguration"];
        if log["logDriver"].as_str() != Some("awslogs") {
            continue;
        }
        let name = c["name"].as_str().unwrap_or_default().to_owned();
        let opts = &log["options"];
        let Some(group) = opts["awslogs-group"].as_str() else {
            continue;
        };
        let stream = match opts["awslogs-stream-prefix"].as_str() {
            Some(prefix) => format!("{prefix}/{name}/{id}"),
            None => {
                eprintln!("{name}: no awslogs-stream-prefix, so its stream is named after its Docker container id; use `berth logs tail {group}`");
                continue;
            }
        };
        out.push((name, group.to_owned(), stream));
    }
    if out.is_empty() {
        bail!("no container of task {id} logs with awslogs and a stream prefix");
    }
    Ok(out)
}

async fn task(client: &mut Client, a: TaskArgs) -> Result<()> {
    let streams = task_streams(client, &a).await?;
    let mut tokens: Vec<Option<String>> = vec![None; streams.len()];
    loop {
        for (i, (name, group, stream)) in streams.iter().enumerate() {
            loop {
                let mut body =
                    json!({"logGroupName": group, "logStreamName": stream, "startFromHead": true});
                if let Some(t) = &tokens[i] {
                    body["nextToken"] = json!(t);
                }
                let page = match client.logs("GetLogEvents", &body).await {
                    Ok(p) => p,
                    // The stream appears when the container starts.
                    Err(e) if e.code() == Some("ResourceNotFoundException") && a.follow => break,
                    Err(e) => return Err(e.into()),
                };
                let events = page["events"].as_array().cloned().unwrap_or_default();
                for e in &events {
                    println!("[{name}] {}", e["message"].as_str().unwrap_or_default());
                }
                let next = page["nextForwardToken"].as_str().map(str::to_owned);
                let done = events.is_empty() || next == tokens[i];
                tokens[i] = next;
                if done {
                    break;
                }
            }
        }
        if !a.follow {
            return Ok(());
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_aws_logs_tail_units() {
        assert_eq!(since_ms("10m").ok(), Some(600_000));
        assert_eq!(since_ms("30s").ok(), Some(30_000));
        assert_eq!(since_ms("2h").ok(), Some(7_200_000));
        assert_eq!(since_ms("1d").ok(), Some(86_400_000));
        assert_eq!(since_ms("5").ok(), Some(300_000));
        assert!(since_ms("m").is_err());
        assert!(since_ms("3y").is_err());
    }

    #[test]
    fn stamps_are_utc_with_milliseconds() {
        assert_eq!(stamp(0), "1970-01-01T00:00:00.000");
        assert_eq!(stamp(1_700_000_000_123), "2023-11-14T22:13:20.123");
    }
}
