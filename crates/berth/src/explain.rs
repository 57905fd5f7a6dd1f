//! `berth explain run-task`: where RunTask would place tasks and why, without creating any.

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use serde_json::{json, Value};

use berth_client::{Client, Endpoint};

#[derive(Args)]
pub struct ExplainArgs {
    #[command(subcommand)]
    command: ExplainCommand,
}

#[derive(Subcommand)]
enum ExplainCommand {
    /// Dry-run a RunTask: the chosen instances, and for every instance the check that
    /// rejected it.
    RunTask(RunTaskArgs),
}

#[derive(Args)]
struct RunTaskArgs {
    /// Base URL of the Berth endpoint.
    #[arg(
        long,
        env = "AWS_ENDPOINT_URL",
        default_value = "http://127.0.0.1:5454"
    )]
    endpoint: String,
    #[arg(long)]
    cluster: Option<String>,
    /// family, family:revision or ARN.
    #[arg(long)]
    task_definition: String,
    #[arg(long, default_value_t = 1)]
    count: i32,
    /// JSON list, as for `aws ecs run-task --placement-constraints`.
    #[arg(long)]
    placement_constraints: Option<String>,
    /// JSON list, as for `aws ecs run-task --placement-strategy`.
    #[arg(long)]
    placement_strategy: Option<String>,
    /// Print the whole JSON answer instead of the explanation.
    #[arg(long)]
    json: bool,
    #[arg(long, env = "AWS_ACCESS_KEY_ID", default_value = "test")]
    access_key: String,
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", default_value = "test")]
    secret_key: String,
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    region: String,
}

fn json_arg(name: &str, v: &Option<String>) -> Result<Option<Value>> {
    v.as_deref()
        .map(|s| serde_json::from_str(s).with_context(|| format!("--{name} is not JSON")))
        .transpose()
}

pub async fn run(args: ExplainArgs) -> Result<()> {
    let ExplainCommand::RunTask(a) = args.command;
    let mut body = json!({"taskDefinition": a.task_definition, "count": a.count});
    if let Some(c) = &a.cluster {
        body["cluster"] = json!(c);
    }
    if let Some(v) = json_arg("placement-constraints", &a.placement_constraints)? {
        body["placementConstraints"] = v;
    }
    if let Some(v) = json_arg("placement-strategy", &a.placement_strategy)? {
        body["placementStrategy"] = v;
    }
    let endpoint = Endpoint::new(&a.endpoint, &a.access_key, &a.secret_key, &a.region)?;
    let answer = Client::new(endpoint)
        .call("BerthV1.ExplainRunTask", &body)
        .await?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&answer)?);
    } else {
        println!("{}", answer["explanation"].as_str().unwrap_or_default());
    }
    Ok(())
}
