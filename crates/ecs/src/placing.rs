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
