//! The bridge from the control plane's state to the pure placement engine (berth-placement):
//! container instances become candidates, a task definition with overrides becomes a demand.

use std::collections::BTreeMap;

use berth_ecs_model::shapes::{
    ContainerInstance, NetworkMode, TaskDefinition, TaskOverride, TransportProtocol,
};
use berth_placement::{
    demand::{ContainerShape, NetworkMode as PNet, PortMapping, Protocol, TaskShape},
    Candidate, Demand, InstanceStatus, RequiredAttribute,
};

use crate::error::{EcsError, Result};
use crate::ops::list;
use crate::ops::task_definition_rules::{parse_task_cpu, parse_task_memory};
use crate::records::{ContainerInstanceRec, Reservation};
use crate::state::State;

pub(crate) fn candidate(state: &State, rec: &ContainerInstanceRec, connected: bool) -> Candidate {
    let i = &rec.instance;
    let mut c = Candidate::new(
        rec.arn(),
        remaining_int(i, "CPU"),
        remaining_int(i, "MEMORY"),
    );
    c.ec2_instance_id = i.ec2_instance_id.clone();
    c.status = InstanceStatus::from_ecs(rec.status()).unwrap_or(InstanceStatus::Inactive);
    c.agent_connected = connected;
    c.registered_at = i.registered_at;
    c.agent_version = i
        .version_info
        .as_ref()
        .and_then(|v| v.agent_version.clone());
    c.attributes = list(&i.attributes)
        .iter()
        .filter_map(|a| Some((a.name.clone()?, a.value.clone())))
        .collect::<BTreeMap<_, _>>();
    c.used_tcp_ports = remaining_ports(i, "PORTS").collect();
    c.used_udp_ports = remaining_ports(i, "PORTS_UDP").collect();
    c.running_tasks_count = i64::from(state.task_counts(&rec.id).running);
    c.task_groups = state
        .instance_groups
        .get(&rec.id)
        .map(|g| g.iter().map(|(g, n)| (g.clone(), *n)).collect())
        .unwrap_or_default();
    c
}

fn remaining_int(i: &ContainerInstance, name: &str) -> i64 {
    list(&i.remaining_resources)
        .iter()
        .find(|r| r.name.as_deref() == Some(name))
        .map_or(0, |r| i64::from(r.integer_value))
}

fn remaining_ports<'a>(i: &'a ContainerInstance, name: &'a str) -> impl Iterator<Item = u16> + 'a {
    list(&i.remaining_resources)
        .iter()
        .filter(move |r| r.name.as_deref() == Some(name))
        .flat_map(|r| {
            list(&r.string_set_value)
                .iter()
                .filter_map(|p| p.parse().ok())
        })
}

/// The task's effective cpu and memory (task level, with overrides), if set at task level.
pub(crate) fn task_size(
    td: &TaskDefinition,
    ov: Option<&TaskOverride>,
) -> Result<(Option<i64>, Option<i64>)> {
    let cpu = ov.and_then(|o| o.cpu.as_deref()).or(td.cpu.as_deref());
    let memory = ov
        .and_then(|o| o.memory.as_deref())
        .or(td.memory.as_deref());
    let to_invalid = |e: EcsError| EcsError::invalid(e.to_string());
    Ok((
        cpu.map(parse_task_cpu).transpose().map_err(to_invalid)?,
        memory
            .map(parse_task_memory)
            .transpose()
            .map_err(to_invalid)?,
    ))
}

/// What one task of `td` (with overrides) needs from an instance.
pub(crate) fn demand(
    td: &TaskDefinition,
    ov: Option<&TaskOverride>,
    group: &str,
) -> Result<Demand> {
    let (cpu, memory) = task_size(td, ov)?;
    let to_u32 = |v: i64| u32::try_from(v.max(0)).unwrap_or(u32::MAX);
    let overrides = ov
        .and_then(|o| o.container_overrides.as_deref())
        .unwrap_or_default();
    let shape = TaskShape {
        cpu: cpu.map(to_u32),
        memory: memory.map(to_u32),
        network_mode: match td.network_mode {
            Some(NetworkMode::Host) => PNet::Host,
            Some(NetworkMode::Awsvpc) => PNet::Awsvpc,
            Some(NetworkMode::None) => PNet::None,
            _ => PNet::Bridge,
        },
        containers: list(&td.container_definitions)
            .iter()
            .map(|c| {
                let o = overrides.iter().find(|o| o.name == c.name);
                let nonneg = |v: i32| u32::try_from(v.max(0)).unwrap_or(0);
                ContainerShape {
                    cpu: nonneg(o.and_then(|o| o.cpu).unwrap_or(c.cpu)),
                    memory: o.and_then(|o| o.memory).or(c.memory).map(nonneg),
                    memory_reservation: o
                        .and_then(|o| o.memory_reservation)
                        .or(c.memory_reservation)
                        .map(nonneg),
                    port_mappings: list(&c.port_mappings)
                        .iter()
                        .map(|p| PortMapping {
                            container_port: p.container_port.and_then(|v| u16::try_from(v).ok()),
                            host_port: p.host_port.and_then(|v| u16::try_from(v).ok()),
                            protocol: match p.protocol {
                                Some(TransportProtocol::Udp) => Protocol::Udp,
                                _ => Protocol::Tcp,
                            },
                        })
                        .collect(),
                }
            })
            .collect(),
    };
    let mut d = Demand::from_task(&shape, group);
    for a in list(&td.requires_attributes) {
        if let Some(name) = &a.name {
            d = d.with_attribute(match &a.value {
                Some(v) => RequiredAttribute::equal(name.clone(), v.clone()),
                None => RequiredAttribute::present(name.clone()),
            });
        }
    }
    if let Some(rp) = &td.runtime_platform {
        for a in RequiredAttribute::for_runtime_platform(
            rp.operating_system_family.as_ref().map(|f| f.as_str()),
            rp.cpu_architecture.as_ref().map(|c| c.as_str()),
        ) {
            d = d.with_attribute(a);
        }
    }
    Ok(d)
}

/// What a placed task holds on its instance.
pub(crate) fn reservation(d: &Demand) -> Reservation {
    Reservation {
        cpu: i64::from(d.cpu),
        memory: i64::from(d.memory),
        tcp_ports: d.tcp_ports.clone(),
        udp_ports: d.udp_ports.clone(),
    }
}

/// The placement candidates of each cluster, kept between calls: a RunTask over thousands
/// of instances rebuilds only the instances that changed since the last call (every change
/// to an instance's resources, tasks or attributes bumps its `version`).
#[derive(Default)]
pub(crate) struct CandidateCache {
    clusters: std::sync::Mutex<std::collections::HashMap<String, ClusterCandidates>>,
}

#[derive(Default)]
struct ClusterCandidates {
    /// `Db::discarded()` when built: a failed commit can reuse version numbers, so the cache
    /// starts over after one.
    epoch: u64,
    ids: Vec<String>,
    cands: Vec<Candidate>,
    /// What each candidate was built from.
    keys: Vec<Key>,
}

/// What a candidate is built from besides the instance record's version: agent liveness,
/// and the tasks on the instance (their number and how many run).
type Key = (i64, bool, usize, i32);

fn cache_key(state: &State, rec: &ContainerInstanceRec, connected: &impl Fn(&str) -> bool) -> Key {
    let tasks = state.instance_tasks.get(&rec.id).map_or(0, |t| t.len());
    (
        rec.instance.version,
        connected(&rec.id),
        tasks,
        state.task_counts(&rec.id).running,
    )
}

impl CandidateCache {
    /// Runs `f` with the registered instances of `cluster` as candidates (and their ids, in
    /// the same order), refreshed against `state`.
    pub(crate) fn with<R>(
        &self,
        epoch: u64,
        state: &State,
        cluster: &str,
        connected: impl Fn(&str) -> bool,
        f: impl FnOnce(&[Candidate], &[String]) -> R,
    ) -> R {
        let mut all = self.clusters.lock().unwrap_or_else(|p| p.into_inner());
        let cc = all.entry(cluster.to_owned()).or_default();
        if cc.epoch != epoch {
            *cc = ClusterCandidates {
                epoch,
                ..Default::default()
            };
        }
        let members = || {
            state
                .container_instances
                .values()
                .filter(|r| r.cluster == cluster && r.status() != "INACTIVE")
        };
        // The common case: the same instances as last time; refresh the changed ones in place,
        // without allocating.
        let mut same = true;
        let mut n = 0;
        for rec in members() {
            if cc.ids.get(n) != Some(&rec.id) {
                same = false;
                break;
            }
            let key = cache_key(state, rec, &connected);
            if cc.keys[n] != key {
                cc.cands[n] = candidate(state, rec, key.1);
                cc.keys[n] = key;
            }
            n += 1;
        }
        if !same || n != cc.ids.len() {
            let old_pos: std::collections::HashMap<String, usize> = cc
                .ids
                .iter()
                .enumerate()
                .map(|(i, id)| (id.clone(), i))
                .collect();
            let mut old: Vec<Option<Candidate>> = std::mem::take(&mut cc.cands)
                .into_iter()
                .map(Some)
                .collect();
            let old_keys = std::mem::take(&mut cc.keys);
            let mut ids = Vec::with_capacity(old.len());
            for rec in members() {
                let key = cache_key(state, rec, &connected);
                let reused = old_pos
                    .get(&rec.id)
                    .filter(|&&i| old_keys.get(i) == Some(&key))
                    .and_then(|&i| old.get_mut(i).and_then(Option::take));
                cc.cands
                    .push(reused.unwrap_or_else(|| candidate(state, rec, key.1)));
                cc.keys.push(key);
                ids.push(rec.id.clone());
            }
            cc.ids = ids;
        }
        f(&cc.cands, &cc.ids)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use berth_ecs_model::Operation;
    use proptest::prelude::*;
    use serde_json::json;

    use crate::{Ecs, FixedClock, Scope};

    fn call(ecs: &Ecs, op: Operation, body: serde_json::Value) -> Option<serde_json::Value> {
        let out = ecs.handle(op, body.to_string().as_bytes()).ok()?;
        serde_json::from_slice(&out).ok()
    }

    /// Whatever happens to a cluster, the cached candidates equal freshly built ones.
    fn check_cache(ecs: &Ecs) {
        ecs.db.read(|state| {
            let live = |_: &str| true;
            let fresh: Vec<_> = state
                .container_instances
                .values()
                .filter(|r| r.cluster == "c" && r.status() != "INACTIVE")
                .map(|r| super::candidate(state, r, true))
                .collect();
            ecs.candidate_cache
                .with(ecs.db.discarded(), state, "c", live, |cands, _| {
                    assert_eq!(cands, &fresh[..]);
                });
        });
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn cached_candidates_match_fresh_ones(ops in proptest::collection::vec((0u8..6, 0usize..4), 1..40)) {
            let ecs = Ecs::open(
                Arc::new(berth_store::MemStore::default()),
                Arc::new(FixedClock::new(1_700_000_000_000)),
                Scope::new("us-east-1", "000000000000"),
            ).expect("open");
            call(&ecs, Operation::CreateCluster, json!({"clusterName": "c"}));
            call(&ecs, Operation::RegisterTaskDefinition, json!({"family": "f", "containerDefinitions": [
                {"name": "a", "image": "i", "cpu": 100, "memory": 100, "portMappings": [{"containerPort": 80, "hostPort": 8080}]}]}));
            let mut instances: Vec<String> = Vec::new();
            let mut tasks: Vec<String> = Vec::new();
            for (op, k) in ops {
                match op {
                    0 => {
                        if let Some(r) = call(&ecs, Operation::RegisterContainerInstance, json!({"cluster": "c",
                            "totalResources": [{"name": "CPU", "type": "INTEGER", "integerValue": 1000},
                                               {"name": "MEMORY", "type": "INTEGER", "integerValue": 1000}]})) {
                            instances.push(r["containerInstance"]["containerInstanceArn"].as_str().unwrap_or_default().to_owned());
                        }
                    }
                    1 => {
                        if let Some(r) = call(&ecs, Operation::RunTask, json!({"cluster": "c", "taskDefinition": "f", "count": k + 1})) {
                            tasks.extend(r["tasks"].as_array().into_iter().flatten().filter_map(|t| t["taskArn"].as_str().map(str::to_owned)));
                        }
                    }
                    2 => if let Some(t) = tasks.get(k) {
                        call(&ecs, Operation::SubmitTaskStateChange, json!({"cluster": "c", "task": t, "status": "RUNNING"}));
                    },
                    3 => if let Some(t) = tasks.get(k) {
                        call(&ecs, Operation::SubmitTaskStateChange, json!({"cluster": "c", "task": t, "status": "STOPPED"}));
                    },
                    4 => if let Some(i) = instances.get(k) {
                        call(&ecs, Operation::PutAttributes, json!({"cluster": "c", "attributes": [{"name": format!("a{k}"), "value": "v", "targetId": i}]}));
                    },
                    _ => if let Some(i) = instances.get(k) {
                        call(&ecs, Operation::UpdateContainerInstancesState, json!({"cluster": "c", "containerInstances": [i], "status": if k % 2 == 0 { "DRAINING" } else { "ACTIVE" }}));
                    },
                }
                check_cache(&ecs);
            }
        }
    }
}
