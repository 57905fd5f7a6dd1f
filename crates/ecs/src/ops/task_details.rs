//! `BerthAgentV1.ReportTaskDetails`: what an agent observes that ECS's state-change shapes
//! cannot carry — container health (and from it the task's healthStatus) and an awsvpc
//! task's private address (in its ENI attachment and its containers' network interfaces).

use berth_ecs_model::shapes::*;
use serde::{Deserialize, Serialize};

use super::list;
use crate::error::{EcsError, Result};
use crate::Ecs;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerDetails {
    pub container_name: String,
    #[serde(default)]
    pub health_status: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskDetailsRequest {
    #[serde(default)]
    pub cluster: Option<String>,
    pub task: String,
    #[serde(default)]
    pub containers: Vec<ContainerDetails>,
    #[serde(default, rename = "privateIPv4Address")]
    pub private_ipv4_address: Option<String>,
}

fn health(s: &str) -> Result<HealthStatus> {
    match s {
        "HEALTHY" => Ok(HealthStatus::Healthy),
        "UNHEALTHY" => Ok(HealthStatus::Unhealthy),
        "UNKNOWN" => Ok(HealthStatus::Unknown),
        other => Err(EcsError::invalid(format!(
            "Unknown health status '{other}'."
        ))),
    }
}

impl Ecs {
    pub fn report_task_details(&self, req: &TaskDetailsRequest) -> Result<()> {
        let updates: Vec<(String, Option<HealthStatus>)> = req
            .containers
            .iter()
            .map(|c| {
                Ok((
                    c.container_name.clone(),
                    c.health_status.as_deref().map(health).transpose()?,
                ))
            })
            .collect::<Result<_>>()?;
        self.db
            .write(|tx| {
                let cluster = self
                    .active_cluster(tx.state, req.cluster.as_deref())?
                    .name()
                    .to_owned();
                let mut rec = self
                    .find_task(tx.state, &cluster, &req.task)
                    .cloned()
                    .ok_or_else(|| EcsError::invalid("The referenced task was not found."))?;
                if let Some(i) = &rec.instance {
                    self.agents.seen(i, self.now());
                }
                let before = rec.task.clone();
                for (name, status) in &updates {
                    if let Some(c) = rec
                        .task
                        .containers
                        .get_or_insert_with(Vec::new)
                        .iter_mut()
                        .find(|c| c.name.as_deref() == Some(name))
                    {
                        if let Some(s) = status {
                            c.health_status = Some(s.clone());
                        }
                    }
                }
                if let Some(ip) = &req.private_ipv4_address {
                    set_address(&mut rec.task, ip);
                }
                let essential: Vec<String> = rec
                    .task
                    .task_definition_arn
                    .as_deref()
                    .and_then(|arn| self.find_task_definition(tx.state, arn))
                    .map(|d| {
                        list(&d.definition.container_definitions)
                            .iter()
                            .filter(|c| c.essential.unwrap_or(true) && c.health_check.is_some())
                            .filter_map(|c| c.name.clone())
                            .collect()
                    })
                    .unwrap_or_default();
                rec.task.health_status = Some(task_health(&rec.task, &essential));
                let service = rec.group().starts_with("service:");
                if rec.task != before {
                    rec.task.version += 1;
                    tx.put(rec)?;
                }
                Ok(service)
            })
            .map(|service| {
                if service {
                    self.wake_services();
                }
            })
    }
}

/// ECS's rule: the task is UNHEALTHY if an essential container with a health check is;
/// HEALTHY when all of them are; UNKNOWN otherwise (or when none has a health check).
fn task_health(task: &Task, essential_checked: &[String]) -> HealthStatus {
    if essential_checked.is_empty() {
        return HealthStatus::Unknown;
    }
    let statuses: Vec<Option<&HealthStatus>> = essential_checked
        .iter()
        .map(|n| {
            list(&task.containers)
                .iter()
                .find(|c| c.name.as_deref() == Some(n))
                .and_then(|c| c.health_status.as_ref())
        })
        .collect();
    if statuses.contains(&Some(&HealthStatus::Unhealthy)) {
        HealthStatus::Unhealthy
    } else if statuses.iter().all(|s| *s == Some(&HealthStatus::Healthy)) {
        HealthStatus::Healthy
    } else {
        HealthStatus::Unknown
    }
}

fn set_address(task: &mut Task, ip: &str) {
    let mut attachment_id = None;
    for a in task.attachments.get_or_insert_with(Vec::new) {
        if a.r#type.as_deref() != Some("ElasticNetworkInterface") {
            continue;
        }
        attachment_id = a.id.clone();
        let details = a.details.get_or_insert_with(Vec::new);
        details.retain(|d| d.name.as_deref() != Some("privateIPv4Address"));
        details.push(KeyValuePair {
            name: Some("privateIPv4Address".into()),
            value: Some(ip.to_owned()),
        });
    }
    for c in task.containers.get_or_insert_with(Vec::new) {
        c.network_interfaces = Some(vec![NetworkInterface {
            attachment_id: attachment_id.clone(),
            private_ipv4_address: Some(ip.to_owned()),
            ipv6_address: None,
        }]);
    }
}
