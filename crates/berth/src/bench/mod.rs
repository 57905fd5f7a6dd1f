//! `berth bench …`: load generators that print their figures as JSON lines.

mod api;
pub(crate) mod sign;

use anyhow::Result;
use clap::{Args, Subcommand};

#[derive(Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    command: BenchCommand,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Throughput and latency of ECS API calls against an endpoint (Berth, moto, …).
    Api(api::ApiArgs),
}

pub async fn run(args: BenchArgs) -> Result<()> {
    match args.command {
        BenchCommand::Api(args) => api::run(args).await,
    }
}
