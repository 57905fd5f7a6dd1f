//! RegisterContainerInstance (the agent's call), DeregisterContainerInstance,
//! DescribeContainerInstances, ListContainerInstances, UpdateContainerInstancesState,
//! UpdateContainerAgent.

use berth_ecs_model::shapes::*;

use super::{failure, list, validate_tags};
use crate::error::{EcsError, Result};
use crate::page::{page_size, paginate};
use crate::records::ContainerInstanceRec;
use crate::state::State;
use crate::Ecs;

const MAX_DESCRIBE: usize = 100;
const MAX_STATE_UPDATE: usize = 10;

impl Ecs {
    pub(crate) fn register_container_instance(
        &self,
        req: RegisterContainerInstanceRequest,
    ) -> Result<RegisterContainerInstanceResponse> {
        validate_tags(list(&req.tags))?;
        check_resources(list(&req.total_resources))?;
        let identity = match req.instance_identity_document.as_deref() {
            Some(doc) if !doc.trim().is_empty() => {
                Some(serde_json::from_str::<serde_json::Value>(doc).map_err(|_| {
                    EcsError::client("The instance identity document is not valid JSON.")
                })?)
            }
            _ => None,
        };
        let now = self.now();
        let rec = self.db.write(|tx| {
            let cluster = self.active_cluster(tx.state, req.cluster.as_deref())?.name().to_owned();
            let existing = match req.container_instance_arn.as_deref() {
                Some(arn) if !arn.is_empty() => {
                    let rec = find(self, tx.state, &cluster, arn).ok_or_else(|| {
                        EcsError::client(format!("Container instance {arn} was not found in the cluster."))
                    })?;
                    if rec.status() == "INACTIVE" {
                        return Err(EcsError::client(format!(
                            "Container instance {arn} is deregistered (INACTIVE) and cannot be registered again."
                        )));
                    }
                    Some(rec.clone())
                }
                _ => None,
            };
            let id = existing
                .as_ref()
                .map(|r| r.id.clone())
                .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
            let field = |k: &str| {
                identity.as_ref().and_then(|d| d.get(k)).and_then(|v| v.as_str()).map(str::to_owned)
            };
            let mut attributes = req.attributes.clone().unwrap_or_default();
            for (name, key) in [
                ("ecs.availability-zone", "availabilityZone"),
                ("ecs.instance-type", "instanceType"),
                ("ecs.ami-id", "imageId"),
            ] {
                if let Some(v) = field(key) {
                    if !attributes.iter().any(|a| a.name.as_deref() == Some(name)) {
                        attributes.push(attr(name, Some(v)));
                    }
                }
            }
            let resources = req.total_resources.clone().unwrap_or_default();
            let seq = existing.as_ref().map_or(0, |e| e.seq);
            let private_ip = field("privateIp")
                .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok())
                .or_else(|| existing.as_ref().and_then(|e| e.private_ip.clone()));
            let mut instance = existing.map(|e| e.instance).unwrap_or_default();
            if let Some(prev) = &instance.attributes {
                // Custom attributes set with PutAttributes survive a re-registration.
                for a in prev {
                    let custom = !is_agent_attribute(a.name.as_deref().unwrap_or_default());
                    if custom && !attributes.iter().any(|n| n.name == a.name) {
                        attributes.push(a.clone());
                    }
                }
            }
            instance.container_instance_arn =
                Some(self.scope.container_instance_arn(&cluster, &id));
            instance.ec2_instance_id = field("instanceId")
                .or(instance.ec2_instance_id.take())
                .or_else(|| Some(format!("i-{}", &id[..17])));
            instance.version += 1;
            instance.version_info = req.version_info.clone();
            instance.registered_resources = Some(resources.clone());
            instance.remaining_resources = Some(resources);
            instance.status = Some("ACTIVE".into());
            instance.agent_connected = true;
            instance.attributes = Some(attributes);
            instance.registered_at.get_or_insert(now);
            if let Some(t) = &req.tags {
                instance.tags = Some(t.clone());
            }
            instance.tags.get_or_insert_with(Vec::new);
            instance.attachments.get_or_insert_with(Vec::new);
            let rec = ContainerInstanceRec { cluster: cluster.clone(), id, seq, instance, private_ip };
            tx.put(rec.clone())?;
            Ok(rec)
        })?;
        self.agents.seen(&rec.id, now);
        Ok(RegisterContainerInstanceResponse {
            container_instance: Some(self.view(&rec, true)),
        })
    }

    pub(crate) fn deregister_container_instance(
        &self,
        req: DeregisterContainerInstanceRequest,
    ) -> Result<DeregisterContainerInstanceResponse> {
        let param = req.container_instance.unwrap_or_default();
        let rec = self.db.write(|tx| {
            let cluster = self
                .active_cluster(tx.state, req.cluster.as_deref())?
                .name()
                .to_owned();
            let mut rec = find(self, tx.state, &cluster, &param)
                .filter(|r| r.status() != "INACTIVE")
                .cloned()
                .ok_or_else(|| {
                    EcsError::client("The referenced container instance was not found.")
                })?;
            let counts = tx.state.task_counts(&rec.id);
            let busy = counts.running + counts.pending > 0;
            if busy && req.force != Some(true) {
                return Err(EcsError::client(
                    "The container instance has tasks; stop them first or deregister with force.",
                ));
            }
            rec.instance.status = Some("INACTIVE".into());
            rec.instance.agent_connected = false;
            rec.instance.version += 1;
            tx.put(rec.clone())?;
            Ok(rec)
        })?;
        Ok(DeregisterContainerInstanceResponse {
            container_instance: Some(self.view(&rec, true)),
        })
    }

    pub(crate) fn describe_container_instances(
        &self,
        req: DescribeContainerInstancesRequest,
    ) -> Result<DescribeContainerInstancesResponse> {
        let wanted = req.container_instances.unwrap_or_default();
        if wanted.is_empty() || wanted.len() > MAX_DESCRIBE {
            return Err(EcsError::invalid(
                "DescribeContainerInstances takes 1 to 100 container instances.",
            ));
        }
        let with_tags = list(&req.include).contains(&ContainerInstanceField::Tags);
        self.db.read(|state| {
            let cluster = self
                .active_cluster(state, req.cluster.as_deref())?
                .name()
                .to_owned();
            let mut found = Vec::new();
            let mut failures = Vec::new();
            for p in &wanted {
                match find(self, state, &cluster, p) {
                    Some(rec) => found.push(self.view(rec, with_tags)),
                    None => {
                        let arn = if p.starts_with("arn:") {
                            p.clone()
                        } else {
                            self.scope.container_instance_arn(&cluster, p)
                        };
                        failures.push(failure(arn, "MISSING"));
                    }
                }
            }
            Ok(DescribeContainerInstancesResponse {
                container_instances: Some(found),
                failures: Some(failures),
            })
        })
    }

    pub(crate) fn list_container_instances(
        &self,
        req: ListContainerInstancesRequest,
    ) -> Result<ListContainerInstancesResponse> {
        let size = page_size(req.max_results, 100, 100)?;
        let filter =
            match req.filter.as_deref() {
                Some(f) if !f.trim().is_empty() => Some(berth_query::parse(f).map_err(|e| {
                    EcsError::invalid(format!("Invalid filter expression '{f}': {e}"))
                })?),
                _ => None,
            };
        self.db.read(|state| {
            let cluster = self
                .active_cluster(state, req.cluster.as_deref())?
                .name()
                .to_owned();
            let mut arns: Vec<(String, String)> = state
                .container_instances
                .values()
                .filter(|r| r.cluster == cluster)
                .filter(|r| match &req.status {
                    Some(s) => r.status() == s.as_str(),
                    None => r.status() != "INACTIVE",
                })
                .filter(|r| {
                    filter.as_ref().is_none_or(|f| {
                        let connected = self.agents.connected(&r.id, self.now());
                        let running = state.task_counts(&r.id).running;
                        f.matches(&crate::query::Instance::new(r, connected, running))
                    })
                })
                .map(|r| (r.arn().to_owned(), r.arn().to_owned()))
                .collect();
            arns.sort();
            let page = paginate(arns, req.next_token.as_deref(), size)?;
            Ok(ListContainerInstancesResponse {
                container_instance_arns: Some(page.items),
                next_token: page.next_token,
            })
        })
    }

    pub(crate) fn update_container_instances_state(
        &self,
        req: UpdateContainerInstancesStateRequest,
    ) -> Result<UpdateContainerInstancesStateResponse> {
        let wanted = req.container_instances.clone().unwrap_or_default();
        if wanted.is_empty() || wanted.len() > MAX_STATE_UPDATE {
            return Err(EcsError::invalid(
                "UpdateContainerInstancesState takes 1 to 10 container instances.",
            ));
        }
        let status = match &req.status {
            Some(ContainerInstanceStatus::Active) => "ACTIVE",
            Some(ContainerInstanceStatus::Draining) => "DRAINING",
            _ => {
                return Err(EcsError::invalid(
                    "Container instances can only be set to ACTIVE or DRAINING.",
                ))
            }
        };
        let (updated, failures) = self.db.write(|tx| {
            let cluster = self
                .active_cluster(tx.state, req.cluster.as_deref())?
                .name()
                .to_owned();
            let mut updated = Vec::new();
            let mut failures = Vec::new();
            for p in &wanted {
                match find(self, tx.state, &cluster, p).filter(|r| r.status() != "INACTIVE") {
                    Some(rec) => {
                        let mut rec = rec.clone();
                        if rec.status() != status {
                            rec.instance.status = Some(status.into());
                            rec.instance.version += 1;
                            tx.put(rec.clone())?;
                        }
                        updated.push(self.view(&rec, false));
                    }
                    None => failures.push(failure(p.clone(), "MISSING")),
                }
            }
            Ok((updated, failures))
        })?;
        Ok(UpdateContainerInstancesStateResponse {
            container_instances: Some(updated),
            failures: Some(failures),
        })
    }

    pub(crate) fn update_container_agent(
        &self,
        req: UpdateContainerAgentRequest,
    ) -> Result<UpdateContainerAgentResponse> {
        let param = req.container_instance.unwrap_or_default();
        self.db.read(|state| {
            let cluster = self.active_cluster(state, req.cluster.as_deref())?.name().to_owned();
            let rec = find(self, state, &cluster, &param)
                .filter(|r| r.status() != "INACTIVE")
                .ok_or_else(|| EcsError::client("The referenced container instance was not found."))?;
            let known_version = rec
                .instance
                .version_info
                .as_ref()
                .and_then(|v| v.agent_version.as_deref())
                .is_some_and(|v| !v.is_empty());
            if !known_version {
                return Err(EcsError::MissingVersion(
                    "The container instance's agent did not report its version, so an update cannot be planned.".into(),
                ));
            }
            Err(EcsError::NoUpdateAvailable(
                "There is no update available for your container agent.".into(),
            ))
        })
    }
}

/// A container instance of `cluster` by ARN or by ID.
pub(crate) fn find<'s>(
    ecs: &Ecs,
    state: &'s State,
    cluster: &str,
    param: &str,
) -> Option<&'s ContainerInstanceRec> {
    let id = match ecs.scope.resource_of(param) {
        Some(res) => {
            let rest = res.strip_prefix("container-instance/")?;
            rest.rsplit('/').next()?
        }
        None if param.starts_with("arn:") => return None,
        None => param,
    };
    state
        .container_instances
        .get(id)
        .map(|r| &**r)
        .filter(|r| r.cluster == cluster)
}

impl Ecs {
    /// The instance as described, with tags only when asked for.
    fn view(&self, rec: &ContainerInstanceRec, with_tags: bool) -> ContainerInstance {
        let mut i = self.db.read(|state| self.live_instance(state, rec));
        if !with_tags {
            i.tags = None;
        }
        i
    }
}

fn attr(name: &str, value: Option<String>) -> Attribute {
    Attribute {
        name: Some(name.into()),
        value,
        ..Default::default()
    }
}

/// Attributes the agent or ECS set, as opposed to custom ones from PutAttributes.
pub(crate) fn is_agent_attribute(name: &str) -> bool {
    name.starts_with("ecs.") || name.starts_with("com.amazonaws.ecs.")
}

fn check_resources(resources: &[Resource]) -> Result<()> {
    for r in resources {
        let name = r.name.as_deref().unwrap_or_default();
        let ty = r.r#type.as_deref().unwrap_or_default();
        let ok = match name {
            "CPU" | "MEMORY" => ty == "INTEGER" && r.integer_value >= 0,
            "PORTS" | "PORTS_UDP" => {
                ty == "STRINGSET"
                    && list(&r.string_set_value)
                        .iter()
                        .all(|p| p.parse::<u16>().is_ok())
            }
            _ => !name.is_empty(),
        };
        if !ok {
            return Err(EcsError::client(format!(
                "Invalid resource '{name}' of type '{ty}' in totalResources."
            )));
        }
    }
    Ok(())
}

impl Ecs {
    /// Where the container instance whose EC2 instance id is `ec2_id` is reached (its
    /// identity document's `privateIp`), if one of this account's instances has that id
    /// and is ACTIVE: what a load balancer's `instance` target is.
    pub fn instance_address(&self, ec2_id: &str) -> Option<std::net::IpAddr> {
        self.db.read(|state| {
            state
                .container_instances
                .values()
                .filter(|r| r.status() == "ACTIVE")
                .find(|r| r.instance.ec2_instance_id.as_deref() == Some(ec2_id))
                .and_then(|r| r.private_ip.as_deref()?.parse().ok())
        })
    }
}
