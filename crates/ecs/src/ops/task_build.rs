//! Building a new task: its wire shape from the task definition, the overrides and the
//! instance it was placed on.

use berth_ecs_model::shapes::*;

use super::fargate::Launch;
use super::list;
use crate::error::{EcsError, Result};
use crate::records::ContainerInstanceRec;
use crate::Ecs;

/// What RunTask and StartTask share about the tasks they create.
pub(crate) struct NewTasks<'a> {
    pub cluster: &'a str,
    pub definition: &'a TaskDefinition,
    pub definition_tags: &'a [Tag],
    pub overrides: Option<&'a TaskOverride>,
    pub group: String,
    pub started_by: Option<String>,
    pub tags: Vec<Tag>,
    pub propagate_tags: Option<PropagateTags>,
    pub managed_tags: bool,
    pub enable_execute_command: bool,
    pub network: Option<&'a NetworkConfiguration>,
    pub cpu: Option<i64>,
    pub memory: Option<i64>,
    pub launch: Launch,
}

/// Checks the overrides against the definition: every override names one of its containers.
pub(crate) fn check_overrides(td: &TaskDefinition, ov: Option<&TaskOverride>) -> Result<()> {
    let Some(ov) = ov else { return Ok(()) };
    for o in list(&ov.container_overrides) {
        let name = o.name.as_deref().unwrap_or_default();
        if !list(&td.container_definitions)
            .iter()
            .any(|c| c.name.as_deref() == Some(name))
        {
            return Err(EcsError::invalid(format!(
                "Override for container named {name} is not a container in the TaskDefinition."
            )));
        }
        for (field, v) in [
            ("cpu", o.cpu),
            ("memory", o.memory),
            ("memoryReservation", o.memory_reservation),
        ] {
            if v.is_some_and(|v| v < 0) {
                return Err(EcsError::invalid(format!(
                    "Override {field} for container {name} must not be negative."
                )));
            }
        }
    }
    Ok(())
}

/// The network a task of `td` needs: awsvpc requires an awsvpcConfiguration with subnets.
pub(crate) fn check_network(td: &TaskDefinition, net: Option<&NetworkConfiguration>) -> Result<()> {
    let awsvpc = td.network_mode == Some(NetworkMode::Awsvpc);
    let conf = net.and_then(|n| n.awsvpc_configuration.as_ref());
    match (awsvpc, conf) {
        (true, None) => Err(EcsError::invalid(
            "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
        )),
        (false, Some(_)) => Err(EcsError::invalid(
            "Network Configuration is not valid for the given networkMode of this task definition.",
        )),
        (true, Some(c)) => {
            let subnets = list(&c.subnets);
            if subnets.is_empty() || subnets.len() > 16 {
                return Err(EcsError::invalid(
                    "awsvpcConfiguration needs 1 to 16 subnets.",
                ));
            }
            if list(&c.security_groups).len() > 5 {
                return Err(EcsError::invalid(
                    "awsvpcConfiguration takes at most 5 security groups.",
                ));
            }
            Ok(())
        }
        (false, None) => Ok(()),
    }
}

impl Ecs {
    /// One task of `spec` placed on `instance`, in its first state.
    pub(crate) fn new_task(
        &self,
        spec: &NewTasks<'_>,
        id: &str,
        instance: &ContainerInstanceRec,
        now: f64,
    ) -> Task {
        let td = spec.definition;
        let task_arn = self.scope.arn(&format!("task/{}/{id}", spec.cluster));
        let awsvpc = td.network_mode == Some(NetworkMode::Awsvpc);
        let instance_attr = |name: &str| {
            list(&instance.instance.attributes)
                .iter()
                .find(|a| a.name.as_deref() == Some(name))
                .and_then(|a| a.value.clone())
        };
        let overrides = spec
            .overrides
            .and_then(|o| o.container_overrides.as_deref())
            .unwrap_or_default();
        let containers = list(&td.container_definitions)
            .iter()
            .map(|c| {
                let o = overrides.iter().find(|o| o.name == c.name);
                Container {
                    container_arn: Some(self.scope.arn(&format!(
                        "container/{}/{id}/{}",
                        spec.cluster,
                        uuid::Uuid::new_v4()
                    ))),
                    task_arn: Some(task_arn.clone()),
                    name: c.name.clone(),
                    image: c.image.clone(),
                    last_status: Some("PENDING".into()),
                    network_interfaces: Some(Vec::new()),
                    health_status: c.health_check.as_ref().map(|_| HealthStatus::Unknown),
                    cpu: Some(o.and_then(|o| o.cpu).unwrap_or(c.cpu).to_string()),
                    memory: o.and_then(|o| o.memory).or(c.memory).map(|m| m.to_string()),
                    memory_reservation: o
                        .and_then(|o| o.memory_reservation)
                        .or(c.memory_reservation)
                        .map(|m| m.to_string()),
                    ..Default::default()
                }
            })
            .collect();
        let container_overrides = list(&td.container_definitions)
            .iter()
            .map(|c| {
                overrides
                    .iter()
                    .find(|o| o.name == c.name)
                    .cloned()
                    .unwrap_or(ContainerOverride {
                        name: c.name.clone(),
                        ..Default::default()
                    })
            })
            .collect();
        let mut tags = Vec::new();
        if spec.propagate_tags == Some(PropagateTags::TaskDefinition) {
            tags.extend(spec.definition_tags.iter().cloned());
        }
        for t in &spec.tags {
            tags.retain(|e: &Tag| e.key != t.key);
            tags.push(t.clone());
        }
        if spec.managed_tags {
            tags.push(Tag {
                key: Some("aws:ecs:clusterName".into()),
                value: Some(spec.cluster.into()),
            });
        }
        let attachments = if awsvpc {
            let conf = spec.network.and_then(|n| n.awsvpc_configuration.as_ref());
            let subnet = conf
                .and_then(|c| c.subnets.as_ref())
                .and_then(|s| s.first().cloned());
            vec![Attachment {
                id: Some(uuid::Uuid::new_v4().to_string()),
                r#type: Some("ElasticNetworkInterface".into()),
                status: Some("PRECREATED".into()),
                details: Some(
                    subnet
                        .map(|s| {
                            vec![KeyValuePair {
                                name: Some("subnetId".into()),
                                value: Some(s),
                            }]
                        })
                        .unwrap_or_default(),
                ),
            }]
        } else {
            Vec::new()
        };
        Task {
            attachments: Some(attachments),
            attributes: Some(vec![Attribute {
                name: Some("ecs.cpu-architecture".into()),
                value: Some(
                    instance_attr("ecs.cpu-architecture").unwrap_or_else(|| "x86_64".into()),
                ),
                ..Default::default()
            }]),
            availability_zone: instance_attr("ecs.availability-zone"),
            cluster_arn: Some(self.scope.cluster_arn(spec.cluster)),
            container_instance_arn: match spec.launch {
                Launch::Ec2 => Some(instance.arn().to_owned()),
                Launch::Fargate { .. } => None,
            },
            capacity_provider_name: match &spec.launch {
                Launch::Fargate { provider } => provider.clone(),
                Launch::Ec2 => None,
            },
            platform_version: match spec.launch {
                Launch::Fargate { .. } => Some("1.4.0".into()),
                Launch::Ec2 => None,
            },
            platform_family: match spec.launch {
                Launch::Fargate { .. } => Some("Linux".into()),
                Launch::Ec2 => None,
            },
            containers: Some(containers),
            cpu: spec.cpu.map(|c| c.to_string()),
            memory: spec.memory.map(|m| m.to_string()),
            created_at: Some(now),
            desired_status: Some("RUNNING".into()),
            enable_execute_command: spec.enable_execute_command,
            group: Some(spec.group.clone()),
            health_status: Some(HealthStatus::Unknown),
            last_status: Some(if awsvpc { "PROVISIONING" } else { "PENDING" }.into()),
            launch_type: Some(match spec.launch {
                Launch::Ec2 => LaunchType::Ec2,
                Launch::Fargate { .. } => LaunchType::Fargate,
            }),
            overrides: Some(TaskOverride {
                container_overrides: Some(container_overrides),
                inference_accelerator_overrides: Some(Vec::new()),
                ..spec.overrides.cloned().unwrap_or_default()
            }),
            started_by: spec.started_by.clone(),
            tags: Some(tags),
            task_arn: Some(task_arn),
            task_definition_arn: td.task_definition_arn.clone(),
            version: 1,
            ephemeral_storage: td.ephemeral_storage.clone(),
            ..Default::default()
        }
    }
}
