//! RegisterTaskDefinition's rules: what ECS refuses, and what it fills in. Pure functions.

use std::collections::HashSet;

use berth_ecs_model::shapes::*;

use crate::arn::valid_name;
use crate::error::{EcsError, Result};

const MAX_CONTAINERS: usize = 10;
const MIN_CONTAINER_MEMORY_MIB: i32 = 6;

/// Task-level cpu in CPU units: "1024", "1 vCPU", "0.25 vcpu".
pub fn parse_task_cpu(s: &str) -> Result<i64> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    let value = if let Some(v) = lower.strip_suffix("vcpu") {
        v.trim()
            .parse::<f64>()
            .ok()
            .map(|f| (f * 1024.0).round() as i64)
    } else {
        t.parse::<i64>().ok()
    };
    value.filter(|v| *v > 0).ok_or_else(|| {
        EcsError::client(format!(
            "Invalid 'cpu' setting for task: '{s}' is not a number of CPU units or vCPUs."
        ))
    })
}

/// Task-level memory in MiB: "2048", "2 GB", "2gb".
pub fn parse_task_memory(s: &str) -> Result<i64> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    let value = if let Some(v) = lower.strip_suffix("gb") {
        v.trim()
            .parse::<f64>()
            .ok()
            .map(|f| (f * 1024.0).round() as i64)
    } else if let Some(v) = lower
        .strip_suffix("mb")
        .or_else(|| lower.strip_suffix("mib"))
    {
        v.trim().parse::<i64>().ok()
    } else {
        t.parse::<i64>().ok()
    };
    value.filter(|v| *v > 0).ok_or_else(|| {
        EcsError::client(format!(
            "Invalid 'memory' setting for task: '{s}' is not a number of MiB or GB."
        ))
    })
}

/// Fargate's supported task size combinations (CPU units → memory MiB).
pub fn fargate_size_valid(cpu: i64, memory: i64) -> bool {
    let gib = |g: i64| g * 1024;
    match cpu {
        256 => [512, 1024, 2048].contains(&memory),
        512 => (gib(1)..=gib(4)).contains(&memory) && memory % 1024 == 0,
        1024 => (gib(2)..=gib(8)).contains(&memory) && memory % 1024 == 0,
        2048 => (gib(4)..=gib(16)).contains(&memory) && memory % 1024 == 0,
        4096 => (gib(8)..=gib(30)).contains(&memory) && memory % 1024 == 0,
        8192 => (gib(16)..=gib(60)).contains(&memory) && memory % gib(4) == 0,
        16384 => (gib(32)..=gib(120)).contains(&memory) && memory % gib(8) == 0,
        _ => false,
    }
}

/// Why a definition cannot run on Fargate, if it cannot (beyond network mode and size).
fn fargate_incompatibility(req: &RegisterTaskDefinitionRequest) -> Option<String> {
    for v in req.volumes.as_deref().unwrap_or_default() {
        let name = v.name.as_deref().unwrap_or_default();
        if v.host.as_ref().is_some_and(|h| h.source_path.is_some()) {
            return Some(format!("host volumes with a sourcePath (volume '{name}')"));
        }
        if v.docker_volume_configuration.is_some() {
            return Some(format!("dockerVolumeConfiguration (volume '{name}')"));
        }
    }
    if req
        .placement_constraints
        .as_ref()
        .is_some_and(|p| !p.is_empty())
    {
        return Some("placement constraints".into());
    }
    if req.ipc_mode.is_some() {
        return Some("ipcMode".into());
    }
    if req.pid_mode == Some(PidMode::Host) {
        return Some("pidMode host".into());
    }
    for c in req.container_definitions.as_deref().unwrap_or_default() {
        let name = c.name.as_deref().unwrap_or_default();
        if c.privileged == Some(true) {
            return Some(format!("privileged containers (container '{name}')"));
        }
        if c.links.as_ref().is_some_and(|l| !l.is_empty()) {
            return Some(format!("links (container '{name}')"));
        }
        if c.docker_security_options
            .as_ref()
            .is_some_and(|l| !l.is_empty())
        {
            return Some(format!("dockerSecurityOptions (container '{name}')"));
        }
        if let Some(lp) = &c.linux_parameters {
            if lp.devices.as_ref().is_some_and(|d| !d.is_empty())
                || lp.shared_memory_size.is_some()
                || lp.tmpfs.as_ref().is_some_and(|t| !t.is_empty())
            {
                return Some(format!(
                    "devices, sharedMemorySize or tmpfs (container '{name}')"
                ));
            }
        }
    }
    None
}

/// Checks a registration and returns the task definition as ECS stores it (without ARN,
/// revision and registration stamps, which the caller adds).
pub fn build(req: &RegisterTaskDefinitionRequest) -> Result<TaskDefinition> {
    let family = req.family.as_deref().unwrap_or_default();
    if !valid_name(family) {
        return Err(EcsError::client(
            "Family must be 1-255 characters: letters, numbers, hyphens and underscores.",
        ));
    }
    let containers = req.container_definitions.as_deref().unwrap_or_default();
    if containers.is_empty() {
        return Err(EcsError::client("Container list cannot be empty."));
    }
    if containers.len() > MAX_CONTAINERS {
        return Err(EcsError::client(format!(
            "Too many containers: a task definition holds at most {MAX_CONTAINERS}."
        )));
    }
    let compat = req.requires_compatibilities.as_deref().unwrap_or_default();
    let fargate = compat.contains(&Compatibility::Fargate);
    let mode = req.network_mode.clone();
    let task_cpu = req.cpu.as_deref().map(parse_task_cpu).transpose()?;
    let task_memory = req.memory.as_deref().map(parse_task_memory).transpose()?;

    let volumes = req.volumes.as_deref().unwrap_or_default();
    let mut volume_names = HashSet::new();
    for v in volumes {
        let name = v.name.as_deref().unwrap_or_default();
        if !valid_name(name) {
            return Err(EcsError::client(format!("Invalid volume name '{name}'.")));
        }
        if !volume_names.insert(name) {
            return Err(EcsError::client(format!("Duplicate volume name '{name}'.")));
        }
    }

    let mut names = HashSet::new();
    for c in containers {
        let name = c.name.as_deref().unwrap_or_default();
        if name.is_empty() {
            return Err(EcsError::client(
                "Container.name should not be null or empty.",
            ));
        }
        if !valid_name(name) {
            return Err(EcsError::client(format!(
                "Container name '{name}' must be 1-255 characters: letters, numbers, hyphens and underscores."
            )));
        }
        if !names.insert(name) {
            return Err(EcsError::client(format!(
                "Duplicate container name '{name}': container names must be unique within a task definition."
            )));
        }
        if c.image.as_deref().unwrap_or_default().is_empty() {
            return Err(EcsError::client(
                "Container.image should not be null or empty.",
            ));
        }
    }

    let mut cpu_sum: i64 = 0;
    for c in containers {
        let name = c.name.as_deref().unwrap_or_default();
        check_memory(c, name, task_memory)?;
        if c.cpu < 0 {
            return Err(EcsError::client(format!(
                "Invalid 'cpu' setting for container '{name}'."
            )));
        }
        cpu_sum += i64::from(c.cpu);
        check_ports(c, name, mode.as_ref())?;
        if c.links.as_ref().is_some_and(|l| !l.is_empty())
            && matches!(mode, Some(NetworkMode::Awsvpc) | Some(NetworkMode::Host))
        {
            return Err(EcsError::client(format!(
                "Links are not supported when networkMode={} (container '{name}').",
                mode.as_ref().map(|m| m.as_str()).unwrap_or_default()
            )));
        }
        for d in c.depends_on.as_deref().unwrap_or_default() {
            let target = d.container_name.as_deref().unwrap_or_default();
            let Some(dep) = containers
                .iter()
                .find(|o| o.name.as_deref() == Some(target) && target != name)
            else {
                return Err(EcsError::client(format!(
                    "Container '{name}' depends on '{target}', which is not another container of this task definition."
                )));
            };
            let exits = matches!(
                d.condition,
                Some(ContainerCondition::Complete) | Some(ContainerCondition::Success)
            );
            if exits && dep.essential != Some(false) {
                return Err(EcsError::client(format!(
                    "Container '{name}' depends on '{target}' with condition {}: COMPLETE and SUCCESS cannot be set on an essential container.",
                    d.condition.as_ref().map(|c| c.as_str()).unwrap_or_default()
                )));
            }
        }
        for vf in c.volumes_from.as_deref().unwrap_or_default() {
            let src = vf.source_container.as_deref().unwrap_or_default();
            if src == name || !names.contains(src) {
                return Err(EcsError::client(format!(
                    "Container '{name}' takes volumes from '{src}', which is not another container of this task definition."
                )));
            }
        }
        for mp in c.mount_points.as_deref().unwrap_or_default() {
            let src = mp.source_volume.as_deref().unwrap_or_default();
            if !volume_names.contains(src) {
                return Err(EcsError::client(format!("Unknown volume '{src}'.")));
            }
        }
        if mode == Some(NetworkMode::None)
            && c.port_mappings.as_ref().is_some_and(|p| !p.is_empty())
        {
            return Err(EcsError::client(format!(
                "Port mappings are not supported when networkMode=none (container '{name}')."
            )));
        }
    }
    if !containers.iter().any(|c| c.essential != Some(false)) {
        return Err(EcsError::client(
            "Task definition does not have any essential container.",
        ));
    }
    if let Some(task_mem) = task_memory {
        let reserved: i64 = containers
            .iter()
            .map(|c| i64::from(c.memory_reservation.or(c.memory).unwrap_or(0)))
            .sum();
        if reserved > task_mem {
            return Err(EcsError::client(format!(
                "The containers' memory reservations ({reserved} MiB) exceed the task memory ({task_mem} MiB)."
            )));
        }
    }
    if let Some(cpu) = task_cpu {
        if cpu_sum > cpu {
            return Err(EcsError::client(format!(
                "The sum of the containers' cpu ({cpu_sum}) exceeds the task cpu ({cpu})."
            )));
        }
    }
    if fargate {
        if mode != Some(NetworkMode::Awsvpc) {
            return Err(EcsError::client(
                "Fargate only supports network mode 'awsvpc'.",
            ));
        }
        let (Some(cpu), Some(memory)) = (task_cpu, task_memory) else {
            return Err(EcsError::client(
                "Fargate requires that 'cpu' and 'memory' be defined at the task level.",
            ));
        };
        if !fargate_size_valid(cpu, memory) {
            return Err(EcsError::client(format!(
                "No Fargate configuration exists for given values: {cpu} CPU, {memory} memory."
            )));
        }
        if let Some(why) = fargate_incompatibility(req) {
            return Err(EcsError::client(format!("Fargate does not support {why}.")));
        }
    }
    for pc in req.placement_constraints.as_deref().unwrap_or_default() {
        if pc.r#type != Some(TaskDefinitionPlacementConstraintType::MemberOf) {
            return Err(EcsError::client(
                "Task definition placement constraints must be of type memberOf.",
            ));
        }
        let expr = pc.expression.as_deref().unwrap_or_default();
        berth_query::parse(expr).map_err(|e| {
            EcsError::client(format!(
                "Invalid placement constraint expression '{expr}': {e}"
            ))
        })?;
    }
    if req
        .placement_constraints
        .as_ref()
        .is_some_and(|p| p.len() > 10)
    {
        return Err(EcsError::client(
            "A task definition takes at most 10 placement constraints.",
        ));
    }

    Ok(normalized(req, task_cpu, task_memory))
}

fn check_memory(c: &ContainerDefinition, name: &str, task_memory: Option<i64>) -> Result<()> {
    if task_memory.is_none() && c.memory.is_none() && c.memory_reservation.is_none() {
        return Err(EcsError::client(format!(
            "Invalid setting for container '{name}'. At least one of 'memory' or 'memoryReservation' must be specified."
        )));
    }
    for (field, value) in [
        ("memory", c.memory),
        ("memoryReservation", c.memory_reservation),
    ] {
        if let Some(v) = value {
            if v < MIN_CONTAINER_MEMORY_MIB {
                return Err(EcsError::client(format!(
                    "Invalid '{field}' setting for container '{name}': the minimum is {MIN_CONTAINER_MEMORY_MIB} MiB."
                )));
            }
            if task_memory.is_some_and(|t| i64::from(v) > t) {
                return Err(EcsError::client(format!(
                    "Invalid '{field}' setting for container '{name}': it exceeds the task memory."
                )));
            }
        }
    }
    if let (Some(hard), Some(soft)) = (c.memory, c.memory_reservation) {
        if soft > hard {
            return Err(EcsError::client(format!(
                "Invalid setting for container '{name}'. 'memory' must be greater than or equal to 'memoryReservation'."
            )));
        }
    }
    Ok(())
}

fn check_ports(c: &ContainerDefinition, name: &str, mode: Option<&NetworkMode>) -> Result<()> {
    let same_port_required = matches!(mode, Some(NetworkMode::Awsvpc) | Some(NetworkMode::Host));
    let mut seen = HashSet::new();
    for pm in c.port_mappings.as_deref().unwrap_or_default() {
        if pm.container_port.is_none() && pm.container_port_range.is_none() {
            return Err(EcsError::client(format!(
                "Container '{name}': a port mapping needs a containerPort or a containerPortRange."
            )));
        }
        if pm.container_port.is_some_and(|p| !(1..=65535).contains(&p)) {
            return Err(EcsError::client(format!(
                "Invalid 'containerPort' setting for container '{name}'"
            )));
        }
        if pm.host_port.is_some_and(|p| !(0..=65535).contains(&p)) {
            return Err(EcsError::client(format!(
                "Invalid 'hostPort' setting for container '{name}'"
            )));
        }
        if let (Some(cp), Some(hp)) = (pm.container_port, pm.host_port) {
            if same_port_required && hp != cp && hp != 0 {
                return Err(EcsError::client(format!(
                    "When networkMode={}, the host ports and container ports in port mappings must match.",
                    mode.map(|m| m.as_str()).unwrap_or_default()
                )));
            }
        }
        if let Some(cp) = pm.container_port {
            let proto = pm
                .protocol
                .as_ref()
                .map(|p| p.as_str())
                .unwrap_or("tcp")
                .to_owned();
            if !seen.insert((cp, proto)) {
                return Err(EcsError::client(format!(
                    "Container '{name}' maps container port {cp} more than once."
                )));
            }
        }
    }
    Ok(())
}

/// The definition as ECS returns it: the request's fields unchanged, plus ECS's defaults.
fn normalized(
    req: &RegisterTaskDefinitionRequest,
    task_cpu: Option<i64>,
    task_memory: Option<i64>,
) -> TaskDefinition {
    let mode = req.network_mode.clone();
    let fixed_host_port = matches!(mode, Some(NetworkMode::Awsvpc) | Some(NetworkMode::Host));
    let containers = req
        .container_definitions
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|mut c| {
            c.essential.get_or_insert(true);
            for pm in c.port_mappings.get_or_insert_with(Vec::new).iter_mut() {
                pm.protocol.get_or_insert(TransportProtocol::Tcp);
                if fixed_host_port && pm.host_port.is_none() {
                    pm.host_port = pm.container_port;
                }
            }
            c.environment.get_or_insert_with(Vec::new);
            c.mount_points.get_or_insert_with(Vec::new);
            c.volumes_from.get_or_insert_with(Vec::new);
            c
        })
        .collect::<Vec<_>>();
    let fargate_ok = mode == Some(NetworkMode::Awsvpc)
        && matches!((task_cpu, task_memory), (Some(c), Some(m)) if fargate_size_valid(c, m))
        && fargate_incompatibility(req).is_none();
    let mut compatibilities = vec![Compatibility::Ec2];
    if fargate_ok {
        compatibilities.push(Compatibility::Fargate);
    }
    TaskDefinition {
        container_definitions: Some(containers),
        family: req.family.clone(),
        task_role_arn: req.task_role_arn.clone(),
        execution_role_arn: req.execution_role_arn.clone(),
        network_mode: mode,
        volumes: Some(req.volumes.clone().unwrap_or_default()),
        status: Some(TaskDefinitionStatus::Active),
        requires_attributes: Some(required_attributes(req)),
        placement_constraints: Some(req.placement_constraints.clone().unwrap_or_default()),
        compatibilities: Some(compatibilities),
        runtime_platform: req.runtime_platform.clone(),
        requires_compatibilities: req.requires_compatibilities.clone(),
        cpu: task_cpu.map(|c| c.to_string()),
        memory: task_memory.map(|m| m.to_string()),
        inference_accelerators: req.inference_accelerators.clone(),
        pid_mode: req.pid_mode.clone(),
        ipc_mode: req.ipc_mode.clone(),
        proxy_configuration: req.proxy_configuration.clone(),
        ephemeral_storage: req.ephemeral_storage.clone(),
        enable_fault_injection: req.enable_fault_injection,
        trusted_execution_configuration: req.trusted_execution_configuration.clone(),
        ..Default::default()
    }
}

/// The agent capabilities a container instance needs to run this definition.
fn required_attributes(req: &RegisterTaskDefinitionRequest) -> Vec<Attribute> {
    let mut names = Vec::new();
    let containers = req.container_definitions.as_deref().unwrap_or_default();
    if req.network_mode == Some(NetworkMode::Awsvpc) {
        names.push("ecs.capability.task-eni".to_owned());
    }
    if containers.iter().any(|c| c.health_check.is_some()) {
        names.push("ecs.capability.container-health-check".to_owned());
    }
    if containers
        .iter()
        .any(|c| c.depends_on.as_ref().is_some_and(|d| !d.is_empty()))
    {
        names.push("ecs.capability.container-ordering".to_owned());
    }
    for c in containers {
        if let Some(driver) = c
            .log_configuration
            .as_ref()
            .and_then(|l| l.log_driver.as_ref())
        {
            names.push(format!(
                "com.amazonaws.ecs.capability.logging-driver.{}",
                driver.as_str()
            ));
        }
    }
    if req.task_role_arn.is_some() {
        names.push("com.amazonaws.ecs.capability.task-iam-role".to_owned());
    }
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|n| Attribute {
            name: Some(n),
            ..Default::default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_and_memory_units() {
        assert_eq!(parse_task_cpu("1 vCPU").expect("cpu"), 1024);
        assert_eq!(parse_task_cpu("0.25 vcpu").expect("cpu"), 256);
        assert_eq!(parse_task_cpu("512").expect("cpu"), 512);
        assert!(parse_task_cpu("lots").is_err());
        assert_eq!(parse_task_memory("2 GB").expect("mem"), 2048);
        assert_eq!(parse_task_memory("0.5GB").expect("mem"), 512);
        assert_eq!(parse_task_memory("3072").expect("mem"), 3072);
        assert!(parse_task_memory("-1").is_err());
    }

    #[test]
    fn fargate_sizes() {
        assert!(fargate_size_valid(256, 512));
        assert!(!fargate_size_valid(256, 4096));
        assert!(fargate_size_valid(4096, 30720));
        assert!(!fargate_size_valid(4096, 31744));
        assert!(fargate_size_valid(8192, 20480));
        assert!(!fargate_size_valid(8192, 17408));
        assert!(!fargate_size_valid(300, 1024));
    }
}
