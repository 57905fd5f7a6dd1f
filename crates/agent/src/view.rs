//! The task as the metadata endpoint shows it, built from a runner's state.

use std::collections::BTreeMap;

use berth_task_metadata::{ContainerView, HealthView, NetworkView, PortView, TaskView};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::container_config::Network;
use crate::runner::Runner;

fn parse_time(t: &Option<String>) -> Option<OffsetDateTime> {
    t.as_deref()
        .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
}

fn from_epoch(t: Option<f64>) -> Option<OffsetDateTime> {
    let t = t?;
    OffsetDateTime::from_unix_timestamp_nanos((t * 1e9) as i128).ok()
}

/// The view and each container's (token, name).
pub(crate) fn task_view(r: &Runner) -> (TaskView, Vec<(String, String)>) {
    let task = &r.a.task;
    let def = &r.a.definition;
    let mode = match &r.network {
        Network::Bridge => "bridge",
        Network::Host => "host",
        Network::None => "none",
        Network::Namespace(_) => "awsvpc",
    };
    let mut tokens = Vec::new();
    let containers = r
        .slots
        .iter()
        .map(|s| {
            tokens.push((s.token.clone(), s.name().to_owned()));
            let o = s.observed.clone().unwrap_or_default();
            let known = if o.running {
                "RUNNING"
            } else if o.exited {
                "STOPPED"
            } else {
                "PENDING"
            };
            let ips: Vec<String> = match &r.network {
                Network::Namespace(_) => r.task_ip.iter().cloned().collect(),
                _ => o.addresses.values().cloned().collect(),
            };
            let container_arn = task
                .containers
                .iter()
                .flatten()
                .find(|c| c.name.as_deref() == Some(s.name()))
                .and_then(|c| c.container_arn.clone())
                .unwrap_or_default();
            let log = s.def.log_configuration.as_ref();
            ContainerView {
                name: s.name().to_owned(),
                docker_id: o.id.clone(),
                docker_name: s.docker_name.clone(),
                image: s.def.image.clone().unwrap_or_default(),
                image_id: o.image_id.clone(),
                labels: o.labels.clone().into_iter().collect::<BTreeMap<_, _>>(),
                desired_status: if r.known_status == "STOPPED" {
                    "STOPPED"
                } else {
                    "RUNNING"
                }
                .into(),
                known_status: known.into(),
                cpu: i64::from(s.def.cpu),
                memory: s.def.memory.map(i64::from),
                created_at: parse_time(&o.created_at),
                started_at: parse_time(&o.started_at),
                finished_at: if o.exited {
                    parse_time(&o.finished_at)
                } else {
                    None
                },
                exit_code: if o.exited { o.exit_code } else { None },
                health: o.health.as_ref().map(|h| HealthView {
                    status: match h.as_str() {
                        "healthy" => "HEALTHY",
                        "unhealthy" => "UNHEALTHY",
                        _ => "UNKNOWN",
                    }
                    .into(),
                    output: o.health_output.clone(),
                    ..Default::default()
                }),
                networks: if mode == "none" {
                    Vec::new()
                } else {
                    vec![NetworkView {
                        network_mode: mode.into(),
                        ipv4_addresses: ips,
                        ..Default::default()
                    }]
                },
                ports: o
                    .ports
                    .iter()
                    .map(|(cp, proto, ip, hp)| PortView {
                        container_port: *cp,
                        protocol: proto.clone(),
                        host_port: *hp,
                        host_ip: ip.clone(),
                    })
                    .collect(),
                container_arn,
                log_driver: log
                    .and_then(|l| l.log_driver.as_ref())
                    .map(|d| d.as_str().to_owned()),
                log_options: log
                    .and_then(|l| l.options.clone())
                    .map(|o| o.into_iter().collect())
                    .unwrap_or_default(),
            }
        })
        .collect();
    let view = TaskView {
        cluster: task.cluster_arn.clone().unwrap_or_default(),
        task_arn: task.task_arn.clone().unwrap_or_default(),
        family: def.family.clone().unwrap_or_default(),
        revision: def.revision.to_string(),
        desired_status: if r.known_status == "STOPPED" {
            "STOPPED"
        } else {
            "RUNNING"
        }
        .into(),
        known_status: r.known_status.into(),
        cpu_limit: task
            .cpu
            .as_deref()
            .or(def.cpu.as_deref())
            .and_then(|c| c.parse::<f64>().ok())
            .map(|c| c / 1024.0),
        memory_limit: task
            .memory
            .as_deref()
            .or(def.memory.as_deref())
            .and_then(|m| m.parse().ok()),
        pull_started_at: from_epoch(r.pull_started_at),
        pull_stopped_at: from_epoch(r.pull_stopped_at),
        execution_stopped_at: None,
        availability_zone: task.availability_zone.clone(),
        launch_type: task
            .launch_type
            .as_ref()
            .map(|l| l.as_str().to_owned())
            .unwrap_or_else(|| "EC2".into()),
        service_name: task
            .group
            .as_deref()
            .and_then(|g| g.strip_prefix("service:"))
            .map(str::to_owned),
        task_tags: task
            .tags
            .iter()
            .flatten()
            .filter_map(|t| Some((t.key.clone()?, t.value.clone().unwrap_or_default())))
            .collect(),
        containers,
    };
    (view, tokens)
}
