//! How one ECS container definition (with the task's overrides) becomes a Docker container:
//! a pure mapping from the task, its definition and the agent's choices (network, names,
//! metadata URI) to the Engine's create body.

use std::collections::{BTreeMap, HashMap};

use berth_ecs_model::shapes::{
    ContainerDefinition, ContainerOverride, KeyValuePair, Task, TaskDefinition,
};
use bollard::models::{
    ContainerCreateBody, DeviceMapping, HealthConfig, HostConfig, HostConfigLogConfig, Mount,
    MountType, MountVolumeOptions, MountVolumeOptionsDriverConfig, PortBinding, ResourcesUlimits,
};

/// Docker's own labels that identify an ECS task's containers (the names ECS's agent uses).
pub const LABEL_CLUSTER: &str = "com.amazonaws.ecs.cluster";
pub const LABEL_CONTAINER: &str = "com.amazonaws.ecs.container-name";
pub const LABEL_TASK: &str = "com.amazonaws.ecs.task-arn";
pub const LABEL_FAMILY: &str = "com.amazonaws.ecs.task-definition-family";
pub const LABEL_REVISION: &str = "com.amazonaws.ecs.task-definition-version";
/// Berth's: which agent (container instance) owns the container, and its metadata token.
pub const LABEL_OWNER: &str = "berth.owner";
pub const LABEL_TOKEN: &str = "berth.metadata-token";
/// The container instance (ARN) the agent ran the task as.
pub const LABEL_INSTANCE: &str = "berth.container-instance";
/// The task's network-namespace holder (awsvpc).
pub const PAUSE_CONTAINER: &str = "~internal~ecs~pause";

/// How the container joins the network.
#[derive(Clone, Debug, PartialEq)]
pub enum Network {
    Bridge,
    Host,
    None,
    /// awsvpc: share the namespace of the task's pause container.
    Namespace(String),
}

/// Where each of the task's volumes comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum VolumeSource {
    /// A host path, bind-mounted.
    HostPath(String),
    /// A Docker named volume (created with these driver settings if missing).
    Docker {
        name: String,
        driver: Option<String>,
        driver_opts: HashMap<String, String>,
        labels: HashMap<String, String>,
    },
}

/// Everything besides the definition that shapes the container.
pub struct Context<'a> {
    pub task: &'a Task,
    pub definition: &'a TaskDefinition,
    pub owner: &'a str,
    pub instance: &'a str,
    pub network: Network,
    pub metadata_base: Option<String>,
    pub token: &'a str,
    /// Docker names of the task's other containers (volumesFrom, links).
    pub docker_names: &'a HashMap<String, String>,
    pub volumes: &'a HashMap<String, VolumeSource>,
    /// Environment read from environmentFiles, in order, as (name, value).
    pub file_environment: Vec<(String, String)>,
    /// The container's `secrets`, read, as (name, value).
    pub secret_environment: Vec<(String, String)>,
    /// The log driver's `secretOptions`, read, as (option, value).
    pub log_secret_options: Vec<(String, String)>,
    /// What the agent sets unless the definition does (`AWS_ENDPOINT_URL`, `AWS_REGION`).
    pub default_environment: Vec<(String, String)>,
    /// What the agent sets whatever the definition says (the task role's credentials URI).
    pub agent_environment: Vec<(String, String)>,
    pub launch_type: &'a str,
    pub region: &'a str,
    /// The resolver a container whose definition names no `dnsServers` gets (Berth's DNS).
    pub default_dns: Option<String>,
}

/// The task's override for `container`, if any.
pub fn container_override<'a>(task: &'a Task, container: &str) -> Option<&'a ContainerOverride> {
    task.overrides
        .as_ref()?
        .container_overrides
        .as_ref()?
        .iter()
        .find(|o| o.name.as_deref() == Some(container))
}

fn pairs(list: &Option<Vec<KeyValuePair>>) -> impl Iterator<Item = (String, String)> + '_ {
    list.iter()
        .flatten()
        .filter_map(|kv| Some((kv.name.clone()?, kv.value.clone().unwrap_or_default())))
}

/// The environment in ECS's precedence: files, then the definition, then overrides, then
/// what the agent injects.
pub fn environment(c: &ContainerDefinition, ctx: &Context<'_>) -> Vec<String> {
    let name = c.name.as_deref().unwrap_or_default();
    let ov = container_override(ctx.task, name);
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut set = |k: String, v: String, env: &mut BTreeMap<String, String>| {
        if !env.contains_key(&k) {
            order.push(k.clone());
        }
        env.insert(k, v);
    };
    for (k, v) in ctx.default_environment.iter().cloned() {
        set(k, v, &mut env);
    }
    for (k, v) in ctx.file_environment.iter().cloned() {
        set(k, v, &mut env);
    }
    for (k, v) in pairs(&c.environment) {
        set(k, v, &mut env);
    }
    if let Some(ov) = ov {
        for (k, v) in pairs(&ov.environment) {
            set(k, v, &mut env);
        }
    }
    for (k, v) in ctx.secret_environment.iter().cloned() {
        set(k, v, &mut env);
    }
    for (k, v) in ctx.agent_environment.iter().cloned() {
        set(k, v, &mut env);
    }
    if let Some(base) = &ctx.metadata_base {
        let uri = format!("{base}/v4/{}", ctx.token);
        set("ECS_CONTAINER_METADATA_URI_V4".into(), uri, &mut env);
        set(
            "ECS_CONTAINER_METADATA_URI".into(),
            format!("{base}/v3/{}", ctx.token),
            &mut env,
        );
    }
    set(
        "AWS_EXECUTION_ENV".into(),
        format!("AWS_ECS_{}", ctx.launch_type),
        &mut env,
    );
    if ctx.launch_type == "FARGATE" {
        set("AWS_REGION".into(), ctx.region.to_owned(), &mut env);
        set("AWS_DEFAULT_REGION".into(), ctx.region.to_owned(), &mut env);
    }
    order
        .into_iter()
        .filter_map(|k| env.get(&k).map(|v| format!("{k}={v}")))
        .collect()
}

fn mib(v: i64) -> i64 {
    v * 1024 * 1024
}

fn seconds(v: Option<i32>, default: i64) -> i64 {
    v.map(i64::from).unwrap_or(default) * 1_000_000_000
}

/// A container name Docker accepts: ECS's agent style `ecs-<family>-<rev>-<name>-<suffix>`.
pub fn docker_name(definition: &TaskDefinition, container: &str, suffix: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    };
    format!(
        "ecs-{}-{}-{}-{}",
        clean(definition.family.as_deref().unwrap_or("task")),
        definition.revision,
        clean(container),
        suffix
    )
}

/// The Engine create body for container `c`.
pub fn create_body(c: &ContainerDefinition, ctx: &Context<'_>) -> ContainerCreateBody {
    let name = c.name.clone().unwrap_or_default();
    let ov = container_override(ctx.task, &name);
    let mut labels: HashMap<String, String> = c
        .docker_labels
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    labels.insert(
        LABEL_CLUSTER.into(),
        ctx.task.cluster_arn.clone().unwrap_or_default(),
    );
    labels.insert(LABEL_CONTAINER.into(), name.clone());
    labels.insert(
        LABEL_TASK.into(),
        ctx.task.task_arn.clone().unwrap_or_default(),
    );
    labels.insert(
        LABEL_FAMILY.into(),
        ctx.definition.family.clone().unwrap_or_default(),
    );
    labels.insert(LABEL_REVISION.into(), ctx.definition.revision.to_string());
    labels.insert(LABEL_OWNER.into(), ctx.owner.to_owned());
    labels.insert(LABEL_INSTANCE.into(), ctx.instance.to_owned());
    labels.insert(LABEL_TOKEN.into(), ctx.token.to_owned());

    let command = ov
        .and_then(|o| o.command.clone())
        .or_else(|| c.command.clone());
    let cpu = ov.and_then(|o| o.cpu).unwrap_or(c.cpu);
    let memory = ov.and_then(|o| o.memory).or(c.memory);
    let reservation = ov
        .and_then(|o| o.memory_reservation)
        .or(c.memory_reservation);

    let mut host = HostConfig {
        // Docker's minimum share is 2; ECS gives containers without cpu the minimum.
        cpu_shares: Some(i64::from(cpu).max(2)),
        memory: memory.map(|m| mib(i64::from(m))),
        memory_reservation: reservation.map(|m| mib(i64::from(m))),
        privileged: c.privileged,
        readonly_rootfs: c.readonly_root_filesystem,
        security_opt: c.docker_security_options.clone(),
        ..Default::default()
    };
    // Task-level limits: Docker has no per-task cgroup here, so each container is held to
    // the task's limits (a container can never exceed its task).
    if host.memory.is_none() {
        if let Some(task_mem) = task_memory(ctx) {
            host.memory = Some(mib(task_mem));
        }
    }
    if let Some(task_cpu) = task_cpu(ctx) {
        host.nano_cpus = Some(task_cpu * 1_000_000_000 / 1024);
    }

    let mut exposed = Vec::new();
    let mut bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    for pm in c.port_mappings.iter().flatten() {
        let Some(port) = pm.container_port else {
            continue;
        };
        let proto = pm
            .protocol
            .as_ref()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "tcp".into());
        let key = format!("{port}/{proto}");
        exposed.push(key.clone());
        if ctx.network == Network::Bridge {
            let host_port = match pm.host_port {
                Some(p) if p > 0 => p.to_string(),
                // Dynamic: the Engine picks a free ephemeral port.
                _ => String::new(),
            };
            bindings
                .entry(key)
                .or_insert_with(|| Some(Vec::new()))
                .get_or_insert_with(Vec::new)
                .push(PortBinding {
                    host_ip: Some("0.0.0.0".into()),
                    host_port: Some(host_port),
                });
        }
    }
    if !bindings.is_empty() {
        host.port_bindings = Some(bindings);
    }

    host.network_mode = Some(match &ctx.network {
        Network::Bridge => "bridge".into(),
        Network::Host => "host".into(),
        Network::None => "none".into(),
        Network::Namespace(id) => format!("container:{id}"),
    });
    let own_namespace = matches!(ctx.network, Network::Bridge | Network::None | Network::Host);
    if own_namespace {
        host.dns = c
            .dns_servers
            .clone()
            .or_else(|| ctx.default_dns.clone().map(|d| vec![d]));
        host.dns_search = c.dns_search_domains.clone();
        host.extra_hosts = c.extra_hosts.as_ref().map(|hosts| {
            hosts
                .iter()
                .filter_map(|h| {
                    Some(format!(
                        "{}:{}",
                        h.hostname.as_deref()?,
                        h.ip_address.as_deref()?
                    ))
                })
                .collect()
        });
    }
    if ctx.network == Network::Bridge {
        let links: Vec<String> = c
            .links
            .iter()
            .flatten()
            .filter_map(|l| {
                let (target, alias) = l.split_once(':').unwrap_or((l.as_str(), l.as_str()));
                ctx.docker_names.get(target).map(|d| format!("{d}:{alias}"))
            })
            .collect();
        if !links.is_empty() {
            host.links = Some(links);
        }
    }

    host.ulimits = c.ulimits.as_ref().map(|u| {
        u.iter()
            .map(|u| ResourcesUlimits {
                name: u.name.as_ref().map(|n| n.as_str().to_owned()),
                soft: Some(i64::from(u.soft_limit)),
                hard: Some(i64::from(u.hard_limit)),
            })
            .collect()
    });
    if let Some(lp) = &c.linux_parameters {
        if let Some(caps) = &lp.capabilities {
            host.cap_add = caps.add.clone();
            host.cap_drop = caps.drop.clone();
        }
        host.init = lp.init_process_enabled;
        host.shm_size = lp.shared_memory_size.map(|m| mib(i64::from(m)));
        host.devices = lp.devices.as_ref().map(|d| {
            d.iter()
                .map(|d| DeviceMapping {
                    path_on_host: d.host_path.clone(),
                    path_in_container: d.container_path.clone().or_else(|| d.host_path.clone()),
                    cgroup_permissions: Some(match &d.permissions {
                        Some(p) if !p.is_empty() => p
                            .iter()
                            .map(|p| match p.as_str() {
                                "read" => 'r',
                                "write" => 'w',
                                _ => 'm',
                            })
                            .collect(),
                        _ => "rwm".into(),
                    }),
                })
                .collect()
        });
        if let Some(t) = &lp.tmpfs {
            host.tmpfs = Some(
                t.iter()
                    .filter_map(|t| {
                        let mut opts = vec![format!("size={}m", t.size)];
                        opts.extend(t.mount_options.iter().flatten().cloned());
                        Some((t.container_path.clone()?, opts.join(",")))
                    })
                    .collect(),
            );
        }
        if let (Some(swap), Some(mem)) = (lp.max_swap, host.memory) {
            host.memory_swap = Some(mem + mib(i64::from(swap)));
        }
        host.memory_swappiness = lp.swappiness.map(i64::from);
    }
    host.sysctls = c.system_controls.as_ref().map(|s| {
        s.iter()
            .filter_map(|s| Some((s.namespace.clone()?, s.value.clone().unwrap_or_default())))
            .collect()
    });
    if let Some(log) = &c.log_configuration {
        let driver = log
            .log_driver
            .as_ref()
            .map(|d| d.as_str().to_owned())
            .unwrap_or_else(|| "json-file".into());
        // awslogs: the container writes to json-file, which never blocks it, and the agent
        // ships that output to Berth's CloudWatch Logs (crate::awslogs); its options are the
        // agent's, not Docker's. awsfirelens needs a FireLens router, which Berth does not
        // run: its output stays in json-file on the host instead of failing the container.
        if driver == crate::awslogs::DRIVER || driver == "awsfirelens" {
            host.log_config = Some(HostConfigLogConfig {
                typ: Some("json-file".into()),
                config: None,
            });
        } else {
            let mut config: HashMap<String, String> = log
                .options
                .iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            config.extend(ctx.log_secret_options.iter().cloned());
            host.log_config = Some(HostConfigLogConfig {
                typ: Some(driver),
                config: (!config.is_empty()).then_some(config),
            });
        }
    }

    let mut mounts = Vec::new();
    for mp in c.mount_points.iter().flatten() {
        let (Some(vol), Some(target)) = (mp.source_volume.as_deref(), mp.container_path.clone())
        else {
            continue;
        };
        let read_only = mp.read_only;
        match ctx.volumes.get(vol) {
            Some(VolumeSource::HostPath(path)) => mounts.push(Mount {
                target: Some(target),
                source: Some(path.clone()),
                typ: Some(MountType::BIND),
                read_only,
                ..Default::default()
            }),
            Some(VolumeSource::Docker {
                name,
                driver,
                driver_opts,
                labels,
            }) => mounts.push(Mount {
                target: Some(target),
                source: Some(name.clone()),
                typ: Some(MountType::VOLUME),
                read_only,
                volume_options: Some(MountVolumeOptions {
                    labels: (!labels.is_empty()).then(|| labels.clone()),
                    driver_config: driver.as_ref().map(|d| MountVolumeOptionsDriverConfig {
                        name: Some(d.clone()),
                        options: (!driver_opts.is_empty()).then(|| driver_opts.clone()),
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            None => {}
        }
    }
    if !mounts.is_empty() {
        host.mounts = Some(mounts);
    }
    let volumes_from: Vec<String> = c
        .volumes_from
        .iter()
        .flatten()
        .filter_map(|v| {
            let source = ctx.docker_names.get(v.source_container.as_deref()?)?;
            Some(if v.read_only == Some(true) {
                format!("{source}:ro")
            } else {
                source.clone()
            })
        })
        .collect();
    if !volumes_from.is_empty() {
        host.volumes_from = Some(volumes_from);
    }

    let healthcheck = c.health_check.as_ref().and_then(|h| {
        let test = h.command.clone()?;
        Some(HealthConfig {
            test: Some(test),
            interval: Some(seconds(h.interval, 30)),
            timeout: Some(seconds(h.timeout, 5)),
            retries: Some(h.retries.map(i64::from).unwrap_or(3)),
            start_period: Some(seconds(h.start_period, 0)),
            start_interval: None,
        })
    });

    ContainerCreateBody {
        image: c.image.clone(),
        cmd: command,
        entrypoint: c.entry_point.clone(),
        env: Some(environment(c, ctx)),
        working_dir: c.working_directory.clone(),
        user: c.user.clone(),
        hostname: if own_namespace && ctx.network != Network::Host {
            c.hostname.clone()
        } else {
            None
        },
        labels: Some(labels),
        // The Engine refuses exposed ports on a container sharing another's namespace.
        exposed_ports: (!exposed.is_empty() && !matches!(ctx.network, Network::Namespace(_)))
            .then_some(exposed),
        tty: c.pseudo_terminal,
        open_stdin: c.interactive,
        network_disabled: c.disable_networking,
        healthcheck,
        stop_timeout: c.stop_timeout.map(i64::from),
        host_config: Some(host),
        ..Default::default()
    }
}

fn task_memory(ctx: &Context<'_>) -> Option<i64> {
    ctx.task
        .overrides
        .as_ref()
        .and_then(|o| o.memory.clone())
        .or_else(|| ctx.definition.memory.clone())
        .and_then(|m| m.parse().ok())
}

fn task_cpu(ctx: &Context<'_>) -> Option<i64> {
    ctx.task
        .overrides
        .as_ref()
        .and_then(|o| o.cpu.clone())
        .or_else(|| ctx.definition.cpu.clone())
        .and_then(|m| m.parse().ok())
}

/// Parses an environment file: `NAME=value` lines; blank lines and `#` comments skipped.
pub fn parse_env_file(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let (k, v) = l.split_once('=')?;
            Some((k.trim().to_owned(), v.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests;
