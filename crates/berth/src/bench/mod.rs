//! `berth bench …`: load generators that print their figures as JSON lines.

mod api;
mod placement;
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
    /// End-to-end task placement with a simulated fleet (RunTask accepted -> RUNNING).
    Placement(placement::PlacementArgs),
}

pub async fn run(args: BenchArgs) -> Result<()> {
    match args.command {
        BenchCommand::Api(args) => api::run(args).await,
        BenchCommand::Placement(args) => placement::run(args).await,
    }
}
