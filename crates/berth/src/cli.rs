//! The subcommands and their flags.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use berth_server::{Config, Credential, Server, DEFAULT_ACCOUNT};
use clap::{Args, Parser, Subcommand};
use sha2::Digest;

#[derive(Parser)]
#[command(name = "berth", version, about = "Berth: a self-hosted Amazon ECS")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// A complete single-node region in one process (key `test`, secret `test`).
    Dev(DevArgs),
    /// The control plane alone; refuses to start without configured keys.
    Server(ServerArgs),
    /// The container agent: joins this host to a cluster and runs its tasks on Docker.
    Agent(crate::agent_cmd::AgentArgs),
    /// Explain placement decisions (a dry run that creates nothing).
    Explain(crate::explain::ExplainArgs),
    /// A simulated fleet of container instances speaking the real agent protocol.
    Sim(crate::sim::SimArgs),
    /// Load generators (e.g. `berth bench api`) that print their figures as JSON lines.
    Bench(crate::bench::BenchArgs),
    /// CloudWatch Logs at a terminal: `berth logs tail GROUP [--follow]`, `berth logs task TASK`.
    Logs(crate::logs_cmd::LogsArgs),
    /// The key ring that seals secret values at rest: `berth sealing-key rotate`.
    SealingKey(crate::sealing_cmd::SealingKeyArgs),
}

#[derive(Args)]
struct Common {
    /// Address to listen on.
    #[arg(long, env = "BERTH_LISTEN")]
    listen: Option<SocketAddr>,
    /// Directory holding Berth's durable state.
    #[arg(long, env = "BERTH_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// AWS region this endpoint answers as.
    #[arg(long, env = "BERTH_REGION", default_value = "us-east-1")]
    region: String,
    /// Seconds without a heartbeat after which an agent counts as disconnected.
    #[arg(long, env = "BERTH_AGENT_TIMEOUT", default_value_t = 60.0)]
    agent_timeout: f64,
    /// Seconds a STOPPED task stays describable (ECS keeps them about an hour).
    #[arg(long, env = "BERTH_TASK_RETENTION", default_value_t = 3600.0)]
    task_retention: f64,
    /// `host[:port]` ECR names in repository URIs and tokens (default: the listen address);
    /// `https://host[:port]` when a TLS proxy in front of Berth serves the registry.
    #[arg(long, env = "BERTH_REGISTRY_HOST")]
    registry_host: Option<String>,
    /// JSON file of known vulnerabilities ECR image scans check packages against
    /// (docs/ECR_SCANNING.md); without it scans only inventory packages.
    #[arg(long, env = "BERTH_VULNERABILITY_FILE")]
    vulnerability_file: Option<PathBuf>,
    /// The Berth endpoint serving another region, for ECR replication into it:
    /// REGION=http://host:port; repeatable (BERTH_REPLICATION_PEERS: comma-separated).
    #[arg(
        long = "replication-peer",
        env = "BERTH_REPLICATION_PEERS",
        value_delimiter = ','
    )]
    replication_peers: Vec<String>,
    /// The key replication signs its calls to peers with, as KEY:SECRET (a key of the
    /// replicating account on the peer; `berth dev` peers take any).
    #[arg(
        long,
        env = "BERTH_REPLICATION_CREDENTIAL",
        default_value = "test:test"
    )]
    replication_credential: String,
    /// The key ring file sealing Secrets Manager values and SecureString parameters at rest
    /// (default: sealing.keys in the data directory; created on first start). Keep it apart
    /// from backups of the database to keep those unreadable.
    #[arg(long, env = "BERTH_SEALING_KEY_FILE")]
    sealing_key_file: Option<PathBuf>,
    /// Where the host queries Berth's DNS for Cloud Map's DNS namespaces (UDP and TCP;
    /// `dig @127.0.0.1 -p 5300 api.internal`); comma-separated. Default 127.0.0.1:5300,
    /// skipped with a warning if taken; an address given must be served.
    #[arg(long = "dns-listen", env = "BERTH_DNS_LISTEN", value_delimiter = ',')]
    dns_listen: Vec<SocketAddr>,
    /// The IPv4 addresses load balancers are given, one each (a CIDR block).
    #[arg(
        long = "elb-addresses",
        env = "BERTH_ELB_ADDRESSES",
        default_value = "169.254.181.0/24"
    )]
    elb_addresses: ipnet::Ipv4Net,
    /// The hosts file load balancers' DNS names are written to, so that the host's resolver
    /// finds them; empty: none.
    #[arg(
        long = "elb-hosts-file",
        env = "BERTH_ELB_HOSTS_FILE",
        default_value = "/etc/hosts"
    )]
    elb_hosts_file: String,
    /// The load balancers' worker threads (each an event loop its client connections stay
    /// on); default: one per core.
    #[arg(long = "elb-workers", env = "BERTH_ELB_WORKERS", value_parser = clap::value_parser!(u16).range(1..=256))]
    elb_workers: Option<u16>,
}

#[derive(Args)]
struct DevArgs {
    #[command(flatten)]
    common: Common,
    /// Run the control plane only, without the local agent (no containers are started).
    #[arg(long, env = "BERTH_DEV_NO_AGENT")]
    no_agent: bool,
    /// Refuse access keys other than `test`/`test` (by default dev accepts any key, acting
    /// in the account a 12-digit key id names, else 000000000000).
    #[arg(long, env = "BERTH_DEV_STRICT_AUTH")]
    strict_auth: bool,
}

#[derive(Args)]
struct ServerArgs {
    #[command(flatten)]
    common: Common,
    /// An accepted key as ACCESS_KEY_ID:SECRET_ACCESS_KEY[:ACCOUNT_ID]; repeatable.
    /// BERTH_CREDENTIALS takes a comma-separated list of the same.
    #[arg(long = "credential", env = "BERTH_CREDENTIALS", value_delimiter = ',')]
    credentials: Vec<String>,
}

const DEFAULT_LISTEN: &str = "127.0.0.1:5454";
const DEFAULT_DNS_LISTEN: &str = "127.0.0.1:5300";

pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Dev(args) => {
            let mut config = Config::dev(listen(&args.common)?);
            config.region = args.common.region.clone();
            config.open_auth = !args.strict_auth;
            let data_dir = data_dir(&args.common, "dev");
            let region = open_region(&args.common, &data_dir, DEFAULT_ACCOUNT)?;
            let ecs = region.ecs.clone();
            let dns = start_dns(
                &args.common,
                region.cloud_map.clone(),
                region.elb.clone(),
                !args.no_agent,
            )?;
            let hosts = hosts_file(&args.common, &data_dir);
            let _proxy =
                crate::elb_plane::start(region.elb.clone(), hosts.clone(), args.common.elb_workers)
                    .await;
            let server = start(config.clone(), region).await?;
            let addr = server.local_addr().unwrap_or(config.listen);
            let serving = tokio::spawn(server.run(shutdown_signal()));
            let _agent = if args.no_agent {
                None
            } else {
                match crate::agent_cmd::start_dev_agent(
                    ecs,
                    &format!("http://{addr}"),
                    &config.region,
                    data_dir.join("agent"),
                    dns.task_resolver,
                )
                .await
                {
                    Ok(agent) => {
                        println!("This host runs the tasks (Docker Engine connected).");
                        Some(agent)
                    }
                    Err(e) => {
                        eprintln!(
                            "warning: no local agent, tasks will stay PENDING: {e:#} \
                             (is the Docker Engine running?)"
                        );
                        None
                    }
                }
            };
            println!(
                "Berth dev is ready on http://{addr} (state in {})",
                data_dir.display()
            );
            for a in dns.addresses() {
                println!("DNS for Cloud Map's namespaces on {a} (UDP and TCP)");
            }
            println!("Point the AWS CLI or an SDK at it:");
            println!("  export AWS_ENDPOINT_URL=http://{addr}");
            println!("  export AWS_ACCESS_KEY_ID=test");
            println!("  export AWS_SECRET_ACCESS_KEY=test");
            println!("  export AWS_REGION={}", config.region);
            println!("  export AWS_DEFAULT_REGION={}", config.region);
            serving.await.context("the server task")??;
            if let Some(h) = &hosts {
                crate::elb_plane::forget_names(h);
            }
        }
        Command::Server(args) => {
            let credentials = parse_credentials(&args.credentials)?;
            if credentials.is_empty() {
                bail!(
                    "berth server needs at least one access key: pass --credential KEY:SECRET[:ACCOUNT] \
                     or set BERTH_CREDENTIALS (use `berth dev` for a local single-node setup)"
                );
            }
            let account = credentials[0].account_id.clone();
            let mut config = Config::strict(listen(&args.common)?, credentials);
            config.region = args.common.region.clone();
            let data_dir = data_dir(&args.common, "server");
            let region = open_region(&args.common, &data_dir, &account)?;
            let dns = start_dns(
                &args.common,
                region.cloud_map.clone(),
                region.elb.clone(),
                false,
            )?;
            let hosts = hosts_file(&args.common, &data_dir);
            let _proxy =
                crate::elb_plane::start(region.elb.clone(), hosts.clone(), args.common.elb_workers)
                    .await;
            let server = start(config.clone(), region).await?;
            let addr = server.local_addr().unwrap_or(config.listen);
            println!(
                "Berth server is ready on http://{addr} (state in {})",
                data_dir.display()
            );
            for a in dns.addresses() {
                println!("DNS for Cloud Map's namespaces on {a} (UDP and TCP)");
            }
            server.run(shutdown_signal()).await?;
            if let Some(h) = &hosts {
                crate::elb_plane::forget_names(h);
            }
        }
        Command::Agent(args) => crate::agent_cmd::run(args).await?,
        Command::Explain(args) => crate::explain::run(args).await?,
        Command::Sim(args) => crate::sim::run(args).await?,
        Command::Bench(args) => crate::bench::run(args).await?,
        Command::Logs(args) => crate::logs_cmd::run(args).await?,
        Command::SealingKey(args) => crate::sealing_cmd::run(args)?,
    }
    Ok(())
}

fn open_region(
    c: &Common,
    data_dir: &std::path::Path,
    ecs_account: &str,
) -> Result<crate::region::Region> {
    crate::region::open(&crate::region::RegionConfig {
        data_dir,
        region: &c.region,
        elb_addresses: c.elb_addresses,
        ecs_account,
        agent_timeout_secs: c.agent_timeout,
        task_retention_secs: c.task_retention,
        registry_host: c.registry_host.as_deref(),
        vulnerability_file: c.vulnerability_file.as_deref(),
        sealing_key_file: &c
            .sealing_key_file
            .clone()
            .unwrap_or_else(|| data_dir.join(crate::sealing_cmd::DEFAULT_FILE)),
        replication_peers: &c
            .replication_peers
            .iter()
            .map(|p| crate::replication_peers::parse_peer(p))
            .collect::<Result<Vec<_>>>()?,
        replication_credential: c
            .replication_credential
            .split_once(':')
            .context("--replication-credential takes KEY:SECRET")?,
    })
}

async fn start(config: Config, region: crate::region::Region) -> Result<Server> {
    let server = Server::bind(config, region.services)
        .await
        .context("starting the server")?;
    server.set_identities(region.identities);
    Ok(server)
}

/// Berth's DNS for the host (`--dns-listen`) and, with `for_tasks`, for the local tasks.
fn start_dns(
    c: &Common,
    map: std::sync::Arc<berth_servicediscovery::CloudMap>,
    elb: std::sync::Arc<berth_elbv2::Elb>,
    for_tasks: bool,
) -> Result<crate::dns::Dns> {
    let (listen, required) = if c.dns_listen.is_empty() {
        (
            vec![DEFAULT_DNS_LISTEN.parse().context("default DNS address")?],
            false,
        )
    } else {
        (c.dns_listen.clone(), true)
    };
    crate::dns::start(
        crate::dns::zones_from(map, elb),
        &listen,
        required,
        for_tasks,
    )
}

/// Where load balancers' names go, owned by this data directory's block.
fn hosts_file(c: &Common, data_dir: &std::path::Path) -> Option<crate::elb_plane::HostsFile> {
    if c.elb_hosts_file.is_empty() {
        return None;
    }
    let owner = hex::encode(sha2::Sha256::digest(data_dir.to_string_lossy().as_bytes()));
    Some(crate::elb_plane::HostsFile {
        path: PathBuf::from(&c.elb_hosts_file),
        owner: owner[..12].to_owned(),
    })
}

fn listen(c: &Common) -> Result<SocketAddr> {
    match c.listen {
        Some(a) => Ok(a),
        None => DEFAULT_LISTEN.parse().context("default listen address"),
    }
}

fn data_dir(c: &Common, mode: &str) -> PathBuf {
    c.data_dir
        .clone()
        .unwrap_or_else(|| match std::env::var_os("HOME") {
            Some(home) => PathBuf::from(home).join(".berth").join(mode),
            None => PathBuf::from(".berth").join(mode),
        })
}

fn parse_credentials(specs: &[String]) -> Result<Vec<Credential>> {
    specs
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            let mut parts = s.trim().splitn(3, ':');
            let (Some(key), Some(secret)) = (parts.next(), parts.next()) else {
                bail!("credential '{s}' is not ACCESS_KEY_ID:SECRET_ACCESS_KEY[:ACCOUNT_ID]");
            };
            if key.is_empty() || secret.is_empty() {
                bail!("credential '{s}' has an empty key or secret");
            }
            let account = parts.next().unwrap_or(DEFAULT_ACCOUNT);
            if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
                bail!("account id '{account}' must be 12 digits");
            }
            Ok(Credential {
                access_key_id: key.into(),
                secret_access_key: secret.into(),
                account_id: account.into(),
            })
        })
        .collect()
}

pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
