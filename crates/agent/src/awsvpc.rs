//! awsvpc: each task gets its own network namespace, held by a pause container on Berth's
//! task network, with its own IP; the task's containers join that namespace (and so reach
//! each other on localhost), and the host reaches the task on its IP.

use std::collections::HashMap;

use bollard::models::{ContainerCreateBody, HostConfig};

use crate::container_config as cc;
use crate::pause::PAUSE_IMAGE;
use crate::runner::Runner;

/// Creates (or finds) and starts the task's pause container; answers its id and IP.
pub(crate) async fn pause_container(r: &Runner) -> Result<(String, Option<String>), String> {
    let shared = &r.shared;
    let network = &shared.cfg.task_network;
    let id = match &r.pause {
        Some(id) => id.clone(),
        None => {
            let task_arn = r.a.task.task_arn.clone().unwrap_or_default();
            let mut labels = HashMap::new();
            labels.insert(cc::LABEL_TASK.to_owned(), task_arn.clone());
            labels.insert(
                cc::LABEL_CONTAINER.to_owned(),
                cc::PAUSE_CONTAINER.to_owned(),
            );
            labels.insert(cc::LABEL_OWNER.to_owned(), shared.owner.clone());
            labels.insert(cc::LABEL_INSTANCE.to_owned(), r.a.instance.clone());
            labels.insert(
                cc::LABEL_CLUSTER.to_owned(),
                r.a.task.cluster_arn.clone().unwrap_or_default(),
            );
            // Names, DNS and hosts entries belong to the namespace: take them from the
            // task's containers.
            let defs =
                r.a.definition
                    .container_definitions
                    .clone()
                    .unwrap_or_default();
            let hostname = defs.iter().find_map(|d| d.hostname.clone());
            let dns = defs
                .iter()
                .find_map(|d| d.dns_servers.clone())
                .or_else(|| shared.cfg.dns_server.map(|a| vec![a.to_string()]));
            let dns_search = defs.iter().find_map(|d| d.dns_search_domains.clone());
            let extra_hosts: Vec<String> = defs
                .iter()
                .flat_map(|d| d.extra_hosts.clone().unwrap_or_default())
                .filter_map(|h| Some(format!("{}:{}", h.hostname?, h.ip_address?)))
                .collect();
            let body = ContainerCreateBody {
                image: Some(PAUSE_IMAGE.to_owned()),
                hostname,
                labels: Some(labels),
                host_config: Some(HostConfig {
                    network_mode: Some(network.clone()),
                    dns,
                    dns_search,
                    extra_hosts: (!extra_hosts.is_empty()).then_some(extra_hosts),
                    ..Default::default()
                }),
                ..Default::default()
            };
            let name = cc::docker_name(
                &r.a.definition,
                "internalecspause",
                &uuid::Uuid::new_v4().simple().to_string()[..12],
            );
            shared
                .runtime
                .create(&name, body)
                .await
                .map_err(|e| e.to_string())?
        }
    };
    shared.runtime.start(&id).await.map_err(|e| e.to_string())?;
    let observed = shared
        .runtime
        .inspect(&id)
        .await
        .map_err(|e| e.to_string())?;
    Ok((id, observed.addresses.get(network).cloned()))
}
