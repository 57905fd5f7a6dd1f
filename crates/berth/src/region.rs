//! A region's services, wired: the one store, each service over it, and the ports between
//! them. The server hosts what this returns and knows none of it.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use berth_aws::clock::SystemClock;
use berth_aws::service::Service;
use berth_ec2::{Ec2, Ec2Service};
use berth_ecr::{Ecr, EcrService};
use berth_ecs::{Ecs, EcsService, OpenAccount, Scope};
use berth_elbv2::{Elb, ElbConfig, ElbService};
use berth_iam::{Iam, IamIdentities, IamService};
use berth_logs::{Logs, LogsService};
use berth_secretsmanager::{SecretsManager, SecretsManagerService};
use berth_servicediscovery::{CloudMap, CloudMapService};
use berth_ssm::{Ssm, SsmService};
use berth_sts::{Sts, StsService};

use crate::identities::{IamRoles, RegionIdentities, StsRoleCredentials};

/// What a region's services need to start.
pub struct RegionConfig<'a> {
    pub data_dir: &'a Path,
    pub region: &'a str,
    /// The default account: its ECS state has the store's bare ECS kinds (as before there
    /// were accounts), and `berth dev`'s local agent joins its clusters.
    pub ecs_account: &'a str,
    pub agent_timeout_secs: f64,
    pub task_retention_secs: f64,
    /// `host[:port]` the registry names in repository URIs (default: the listen address).
    pub registry_host: Option<&'a str>,
    /// The vulnerability file ECR scans check against.
    pub vulnerability_file: Option<&'a Path>,
    /// Berth endpoints of other regions ECR replicates into, as (region, URL).
    pub replication_peers: &'a [(String, String)],
    /// The key and secret replication signs its calls to peers with.
    pub replication_credential: (&'a str, &'a str),
    /// The key ring sealing secret values (created if missing).
    pub sealing_key_file: &'a Path,
    /// The addresses load balancers are given.
    pub elb_addresses: ipnet::Ipv4Net,
}

/// The store kind listing the accounts (other than the default) with ECS state.
const ACCOUNTS_KIND: &str = "ecs/account";

pub struct Region {
    pub ecs: Arc<Ecs>,
    /// ELB, whose load balancers Berth's proxy serves.
    pub elb: Arc<Elb>,
    /// Cloud Map, whose DNS namespaces Berth's DNS servers answer.
    pub cloud_map: Arc<CloudMap>,
    /// The access keys IAM made, which the server authenticates too.
    pub identities: Arc<dyn berth_aws::identity::Identities>,
    /// Every service, ECS first.
    pub services: Vec<Arc<dyn Service>>,
}

pub fn open(c: &RegionConfig<'_>) -> Result<Region> {
    let store: Arc<dyn berth_store::Store> = Arc::new(
        berth_store::SqliteStore::open(c.data_dir)
            .with_context(|| format!("opening the store in {}", c.data_dir.display()))?,
    );
    let clock = Arc::new(SystemClock);
    let logs = Logs::open(store.clone(), &c.data_dir.join("logs"), clock.clone())
        .context("loading the CloudWatch Logs state")?;
    let ecr = Ecr::open(
        store.clone(),
        &c.data_dir.join("ecr"),
        clock.clone(),
        c.region,
    )
    .context("loading the ECR state")?
    .with_timings(berth_ecr::Timings::from_env().map_err(anyhow::Error::msg)?);
    if let Some(host) = c.registry_host {
        // `https://host[:port]`: a TLS proxy in front of Berth answers for the registry.
        match host.strip_prefix("https://") {
            Some(tls) => ecr.set_registry_host(tls.trim_end_matches('/'), true),
            None => ecr.set_registry_host(host.strip_prefix("http://").unwrap_or(host), false),
        }
    }
    ecr.set_default_registry(c.ecs_account);
    if !c.replication_peers.is_empty() {
        let (key, secret) = c.replication_credential;
        let peers = crate::replication_peers::BerthPeers::new(c.replication_peers, key, secret)?;
        ecr.set_peers(Arc::new(peers));
    }
    if let Some(file) = c.vulnerability_file {
        ecr.set_vulnerability_file(file)?;
    }
    let ring = berth_sealing::KeyRing::load_or_create(c.sealing_key_file)
        .context("loading the sealing key ring")?;
    let ring = Arc::new(ring);
    let secrets = SecretsManager::open(store.clone(), ring.clone(), clock.clone())
        .context("loading the Secrets Manager state")?;
    let ssm = Ssm::open(store.clone(), ring.clone(), clock.clone())
        .context("loading the Parameter Store state")?;
    let cloud_map = Arc::new(
        CloudMap::open(store.clone(), clock.clone()).context("loading the Cloud Map state")?,
    );
    let iam = Arc::new(
        Iam::open(store.clone(), ring.clone(), clock.clone()).context("loading the IAM state")?,
    );
    let ecs = Ecs::open(
        store.clone(),
        clock.clone(),
        Scope::new(c.region, c.ecs_account),
    )
    .context("loading the ECS state")?;
    ecs.set_agent_timeout(c.agent_timeout_secs);
    let ecs = Arc::new(ecs);
    // Another account's ECS state lives under `ecs@<account>/` kinds of the same store; the
    // accounts that have one are listed under kind `ecs/account`.
    let open_account: OpenAccount = {
        let (store, clock) = (store.clone(), clock.clone());
        let (region, timeout) = (c.region.to_owned(), c.agent_timeout_secs);
        Arc::new(move |account: &str| {
            store.commit(vec![berth_store::Op::put(
                ACCOUNTS_KIND,
                account,
                b"{}".to_vec(),
            )])?;
            let scoped: Arc<dyn berth_store::Store> = Arc::new(berth_store::Namespaced::new(
                store.clone(),
                format!("ecs@{account}/"),
            ));
            let ecs = Ecs::open(scoped, clock.clone(), Scope::new(&region, account))?;
            ecs.set_agent_timeout(timeout);
            Ok(ecs)
        })
    };
    let known: Vec<String> = store
        .load(ACCOUNTS_KIND)
        .context("listing the ECS accounts")?
        .into_iter()
        .map(|(account, _)| account)
        .collect();
    let ecs_service = EcsService::new(
        ecs.clone(),
        c.ecs_account,
        open_account,
        &known,
        c.task_retention_secs,
    )
    .context("loading the ECS state of every account")?;
    let sts = Arc::new(Sts::new(
        ring.clone(),
        clock.clone(),
        Arc::new(IamRoles(iam.clone())),
    ));
    ecs_service.set_role_credentials(Arc::new(StsRoleCredentials(sts.clone())));
    ecs_service.set_registries(Arc::new(crate::registries::CloudMapRegistries {
        map: cloud_map.clone(),
        region: c.region.to_owned(),
    }));
    let elb = Arc::new(
        Elb::open(
            store.clone(),
            clock.clone(),
            ElbConfig::new(c.elb_addresses),
        )
        .context("loading the ELB state")?,
    );
    let ec2 = Arc::new(Ec2::open(store.clone(), c.region).context("loading the EC2 state")?);
    elb.set_network(Arc::new(crate::network::Ec2Network(ec2.clone())));
    elb.set_instances(Arc::new(crate::elb::EcsInstances(ecs_service.clone())));
    elb.set_certificates(Arc::new(crate::certificates::IamCertificates(iam.clone())));
    ecs_service.set_load_balancers(Arc::new(crate::elb::ElbTargets {
        elb: elb.clone(),
        region: c.region.to_owned(),
    }));
    Ok(Region {
        ecs,
        elb: elb.clone(),
        cloud_map: cloud_map.clone(),
        identities: Arc::new(RegionIdentities {
            iam: IamIdentities::new(iam.clone()),
            sts: sts.clone(),
        }),
        services: vec![
            ecs_service,
            LogsService::new(Arc::new(logs)),
            EcrService::new(Arc::new(ecr)),
            SecretsManagerService::new(Arc::new(secrets)),
            SsmService::new(Arc::new(ssm)),
            CloudMapService::new(cloud_map),
            ElbService::new(elb),
            Ec2Service::new(ec2),
            StsService::new(sts),
            IamService::new(iam),
        ],
    })
}
