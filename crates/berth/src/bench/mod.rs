//! `berth bench …`: load generators that print their figures as JSON lines.

mod agent;
mod api;
mod logs;
mod logs_latency;
mod placement;
mod registry;
mod registry_client;
mod services;
mod services_lb;

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
    /// A real agent on Docker: RunTask -> RUNNING latency against `docker run -d`, and the
    /// agent's idle memory and CPU.
    Agent(agent::AgentBenchArgs),
    /// Services: convergence and rolling updates (real containers, or a simulated fleet).
    Services(services::ServicesBenchArgs),
    /// CloudWatch Logs: PutLogEvents ingest, FilterLogEvents over many events, memory while
    /// ingesting, against an endpoint (Berth, moto, …).
    Logs(logs::LogsBenchArgs),
    /// An OCI registry (Berth's `/v2/`, CNCF distribution, …): monolithic and chunked blob
    /// uploads, downloads, and concurrent pulls with the server's memory.
    Registry(registry::RegistryBenchArgs),
}

pub async fn run(args: BenchArgs) -> Result<()> {
    match args.command {
        BenchCommand::Api(args) => api::run(args).await,
        BenchCommand::Placement(args) => placement::run(args).await,
        BenchCommand::Agent(args) => agent::run(args).await,
        BenchCommand::Services(args) => services::run(args).await,
        BenchCommand::Logs(args) => logs::run(args).await,
        BenchCommand::Registry(args) => registry::run(args).await,
    }
}
