//! `berth`: the one binary. Parses the command line and hands over to the library crates.

mod agent_cmd;
mod agent_config;
mod bench;
mod certificates;
mod cli;
mod dns;
mod elb;
mod elb_plane;
mod explain;
mod hosts_file;
mod identities;
mod logs_cmd;
mod network;
mod region;
mod registries;
mod replication_peers;
mod sealing_cmd;
mod sim;

use anyhow::Result;
use clap::Parser;

/// See the `tikv-jemallocator` entry in Cargo.toml for why.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> Result<()> {
    // `berth agent --config FILE`: the file's settings become environment defaults first.
    let args: Vec<String> = std::env::args().collect();
    if let Some(path) = agent_config::config_path(&args) {
        agent_config::load(&path)?;
    }
    let cli = cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    // Freed pages go back to the system while idle, not only at the next allocation.
    if let Err(e) = tikv_jemalloc_ctl::background_thread::write(true) {
        tracing::debug!(error = %e, "jemalloc's background thread is not available");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(cli::run(cli));
    // The command is done (for `dev` and `server`: requests answered, writes durable). What
    // is left — the local agent's loops, long polls, blocking calls into Docker — is dropped
    // rather than waited for; the containers keep running and are adopted at the next start.
    runtime.shutdown_timeout(SHUTDOWN_GRACE);
    result
}

/// How long leftover work may take once a command has finished.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_millis(500);
