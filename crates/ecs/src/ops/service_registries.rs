//! `serviceRegistries`: a service's running tasks registered as instances of its Cloud Map
//! service (awsvpc tasks at their own address, bridge and host tasks at their container
//! instance's with the host port), as ECS registers them — once RUNNING (and HEALTHY, when the task has container
//! health checks), deregistered as soon as the task is to stop. What to register is a pure
//! function of the state ([`desired`]); [`Ecs::sync_registries`] brings Cloud Map to it
//! through the [`Registries`] port the binary wires.

use std::collections::{BTreeMap, BTreeSet};

use berth_ecs_model::shapes::{HealthStatus, ServiceRegistry, Task, TaskDefinition};

use crate::error::{EcsError, Result};
use crate::state::State;
use crate::Ecs;

/// A service's `serviceRegistries` as ECS checks them: at most one, naming a Cloud Map
/// service by ARN, its `containerName` a container of the task definition with the
/// `containerPort` it maps, `port` only without them.
pub(crate) fn check_registries(regs: &[ServiceRegistry], td: &TaskDefinition) -> Result<()> {
    if regs.len() > 1 {
        return Err(EcsError::invalid(
            "A service can have at most one service registry.",
        ));
    }
    for r in regs {
        let arn = r.registry_arn.as_deref().unwrap_or_default();
        let ok = berth_aws::arn::Arn::parse(arn).is_some_and(|a| {
            a.service == "servicediscovery" && a.resource.starts_with("service/srv-")
        });
        if !ok {
            return Err(EcsError::invalid(format!(
                "The service registry ARN '{arn}' is not the ARN of a Cloud Map service."
            )));
        }
        if r.port.is_some() && (r.container_name.is_some() || r.container_port.is_some()) {
            return Err(EcsError::invalid(
                "A service registry takes either port or containerName and containerPort, not both.",
            ));
        }
        if let Some(p) = r.port.or(r.container_port) {
            if !(1..=65535).contains(&p) {
                return Err(EcsError::invalid(format!(
                    "The service registry port {p} is not between 1 and 65535."
                )));
            }
        }
        match (&r.container_name, r.container_port) {
            (None, Some(_)) => {
                return Err(EcsError::invalid(
                    "A service registry's containerPort needs its containerName.",
                ))
            }
            (Some(name), port) => {
                let container = td
                    .container_definitions
                    .iter()
                    .flatten()
                    .find(|c| c.name.as_deref() == Some(name.as_str()))
                    .ok_or_else(|| {
                        EcsError::invalid(format!(
                            "The container name '{name}' of the service registry is not in the task definition."
                        ))
                    })?;
                if let Some(port) = port {
                    let mapped = container
                        .port_mappings
                        .iter()
                        .flatten()
                        .any(|m| m.container_port == Some(port));
                    if !mapped {
                        return Err(EcsError::invalid(format!(
                            "The container '{name}' does not map containerPort {port}."
                        )));
                    }
                }
            }
            (None, None) => {}
        }
    }
    Ok(())
}

/// Instance attributes, by instance id (the task id), by registry (Cloud Map service ARN).
pub type Registrations = BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>>;

/// Cloud Map, as ECS uses it (the binary wires it to berth-servicediscovery).
pub trait Registries: Send + Sync + 'static {
    /// The instances ECS registered in the Cloud Map service `registry` (those carrying
    /// `ECS_SERVICE_NAME`), with their attributes. Err: no such service.
    fn registered(
        &self,
        account: &str,
        registry: &str,
    ) -> Result<BTreeMap<String, BTreeMap<String, String>>, String>;
    fn register(
        &self,
        account: &str,
        registry: &str,
        instance: &str,
        attributes: &BTreeMap<String, String>,
    ) -> Result<(), String>;
    fn deregister(&self, account: &str, registry: &str, instance: &str) -> Result<(), String>;
}

/// The task's address on its own network interface (awsvpc), if it has one.
pub(crate) fn task_ip(task: &Task) -> Option<String> {
    task.containers
        .iter()
        .flatten()
        .flat_map(|c| c.network_interfaces.iter().flatten())
        .find_map(|n| n.private_ipv4_address.clone())
}

/// The port a registry names: its `port`, or `containerPort` (awsvpc), or the host port
/// bound to `containerName`'s `containerPort`.
fn task_port(task: &Task, r: &ServiceRegistry) -> Option<i32> {
    if let Some(p) = r.port {
        return Some(p);
    }
    let name = r.container_name.as_deref()?;
    let container = task
        .containers
        .iter()
        .flatten()
        .find(|c| c.name.as_deref() == Some(name))?;
    let bound = container
        .network_bindings
        .iter()
        .flatten()
        .find(|b| r.container_port.is_none() || b.container_port == r.container_port);
    match bound {
        Some(b) if b.host_port.is_some() && task_ip(task).is_none() => b.host_port,
        _ => r.container_port,
    }
}

/// Whether `task` should be discoverable: RUNNING, not being stopped, and healthy if it has
/// health checks.
fn discoverable(task: &Task) -> bool {
    task.last_status.as_deref() == Some("RUNNING")
        && task.desired_status.as_deref() == Some("RUNNING")
        && !matches!(task.health_status, Some(HealthStatus::Unhealthy))
        && task.stopping_at.is_none()
}

/// What every service's registries should hold now. Registries of services without tasks
/// (or deleted ones still listed) are present and empty, so their leftovers are removed.
/// `checked` answers whether a task definition (by ARN) has container health checks: its
/// tasks register once HEALTHY.
pub fn desired(state: &State, checked: &dyn Fn(&str) -> bool) -> Registrations {
    let mut out = Registrations::new();
    for rec in state.services.values() {
        let registries = rec
            .service
            .service_registries
            .as_deref()
            .unwrap_or_default();
        for r in registries {
            let Some(arn) = r.registry_arn.clone() else {
                continue;
            };
            let wanted = out.entry(arn).or_default();
            let key = format!("{}/{}", rec.cluster, rec.name);
            let tasks = state
                .service_tasks
                .get(&key)
                .into_iter()
                .flatten()
                .filter_map(|id| state.tasks.get(id));
            for t in tasks {
                let task = &t.task;
                let waits_for_health = task.health_status != Some(HealthStatus::Healthy)
                    && task.task_definition_arn.as_deref().is_some_and(checked);
                if !discoverable(task) || waits_for_health {
                    continue;
                }
                // awsvpc: the task's own address; bridge and host: its instance's, with the
                // host port (as ECS registers the EC2 instance's private address).
                let instance_ip = || {
                    t.instance
                        .as_ref()
                        .and_then(|i| state.container_instances.get(i))
                        .and_then(|i| i.private_ip.clone())
                };
                let Some(ip) = task_ip(task).or_else(instance_ip) else {
                    continue;
                };
                let mut attrs = BTreeMap::new();
                attrs.insert("AWS_INSTANCE_IPV4".to_owned(), ip);
                if let Some(p) = task_port(task, r) {
                    attrs.insert("AWS_INSTANCE_PORT".to_owned(), p.to_string());
                }
                if let Some(az) = &task.availability_zone {
                    attrs.insert("AVAILABILITY_ZONE".to_owned(), az.clone());
                }
                attrs.insert("ECS_CLUSTER_NAME".to_owned(), rec.cluster.clone());
                attrs.insert("ECS_SERVICE_NAME".to_owned(), rec.name.clone());
                if let Some(family) = task
                    .task_definition_arn
                    .as_deref()
                    .and_then(|a| a.rsplit_once('/'))
                    .and_then(|(_, fr)| fr.rsplit_once(':'))
                    .map(|(f, _)| f.to_owned())
                {
                    attrs.insert("ECS_TASK_DEFINITION_FAMILY".to_owned(), family);
                }
                wanted.insert(t.id.clone(), attrs);
            }
        }
    }
    out
}

/// The calls that take `have` to `want` for one registry: (register, deregister).
pub fn plan(
    want: &BTreeMap<String, BTreeMap<String, String>>,
    have: &BTreeMap<String, BTreeMap<String, String>>,
) -> (Vec<String>, Vec<String>) {
    let register = want
        .iter()
        .filter(|(id, attrs)| have.get(*id) != Some(attrs))
        .map(|(id, _)| id.clone())
        .collect();
    let deregister = have
        .keys()
        .filter(|id| !want.contains_key(*id))
        .cloned()
        .collect();
    (register, deregister)
}

impl Ecs {
    /// Registers and deregisters this account's service tasks in Cloud Map so that it holds
    /// [`desired`]; answers the calls made. A registry that fails is tried again next run.
    pub fn sync_registries(&self, registries: &dyn Registries) -> usize {
        let state = self.db.snapshot();
        let checked = |arn: &str| {
            self.find_task_definition(&state, arn).is_some_and(|d| {
                d.definition
                    .container_definitions
                    .iter()
                    .flatten()
                    .any(|c| c.health_check.is_some())
            })
        };
        let want = desired(&state, &checked);
        let account = self.scope.account.clone();
        let mut calls = 0;
        let mut seen = BTreeSet::new();
        for (arn, wanted) in &want {
            seen.insert(arn.clone());
            let have = match registries.registered(&account, arn) {
                Ok(h) => h,
                Err(e) => {
                    tracing::debug!(registry = %arn, error = %e, "service registry unavailable");
                    continue;
                }
            };
            let (register, deregister) = plan(wanted, &have);
            for id in register {
                calls += 1;
                if let Some(attrs) = wanted.get(&id) {
                    if let Err(e) = registries.register(&account, arn, &id, attrs) {
                        tracing::warn!(registry = %arn, task = %id, error = %e, "registering the task failed");
                    }
                }
            }
            for id in deregister {
                calls += 1;
                if let Err(e) = registries.deregister(&account, arn, &id) {
                    tracing::warn!(registry = %arn, task = %id, error = %e, "deregistering the task failed");
                }
            }
        }
        calls
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn attrs(ip: &str) -> BTreeMap<String, String> {
        BTreeMap::from([("AWS_INSTANCE_IPV4".to_owned(), ip.to_owned())])
    }

    #[test]
    fn plan_registers_new_and_changed_and_removes_gone() {
        let want = BTreeMap::from([
            ("a".to_owned(), attrs("10.0.0.1")),
            ("b".to_owned(), attrs("10.0.0.2")),
        ]);
        let have = BTreeMap::from([
            ("b".to_owned(), attrs("10.0.0.9")),
            ("c".to_owned(), attrs("10.0.0.3")),
        ]);
        let (reg, dereg) = plan(&want, &have);
        assert_eq!(reg, vec!["a", "b"]);
        assert_eq!(dereg, vec!["c"]);
        assert_eq!(plan(&want, &want), (vec![], vec![]));
    }

    proptest! {
        #[test]
        fn applying_the_plan_reaches_what_is_wanted(
            want in proptest::collection::btree_map("[a-d]", "[0-3]", 0..4),
            have in proptest::collection::btree_map("[a-d]", "[0-3]", 0..4),
        ) {
            let want: BTreeMap<String, BTreeMap<String, String>> = want.into_iter().map(|(k, v)| (k, attrs(&v))).collect();
            let mut have: BTreeMap<String, BTreeMap<String, String>> = have.into_iter().map(|(k, v)| (k, attrs(&v))).collect();
            let (reg, dereg) = plan(&want, &have);
            for id in dereg { have.remove(&id); }
            for id in reg { have.insert(id.clone(), want[&id].clone()); }
            prop_assert_eq!(have, want);
        }
    }
}
