//! What one task needs from a container instance.

use std::fmt;

/// Which kind of capacity a task runs on. Placement only handles the two
/// kinds that have container instances; Fargate has no candidates to choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LaunchType {
    /// EC2 container instances (those without `ecs.capability.external`).
    #[default]
    Ec2,
    /// ECS Anywhere instances (those with `ecs.capability.external`).
    External,
}

/// The attribute that marks an external (ECS Anywhere) instance.
pub const EXTERNAL_ATTRIBUTE: &str = "ecs.capability.external";

impl LaunchType {
    /// The ECS spelling.
    pub fn as_ecs(self) -> &'static str {
        match self {
            Self::Ec2 => "EC2",
            Self::External => "EXTERNAL",
        }
    }
}

/// An attribute the instance must have, as in a task definition's
/// `requiresAttributes`: a name and, optionally, the value it must have.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequiredAttribute {
    /// Attribute name, e.g. `ecs.capability.task-eni`.
    pub name: String,
    /// The value it must equal; `None` means any value (or none) will do.
    pub value: Option<String>,
}

impl RequiredAttribute {
    /// Requires the attribute to be present.
    pub fn present(name: impl Into<String>) -> Self {
        RequiredAttribute {
            name: name.into(),
            value: None,
        }
    }

    /// Requires the attribute to have `value`.
    pub fn equal(name: impl Into<String>, value: impl Into<String>) -> Self {
        RequiredAttribute {
            name: name.into(),
            value: Some(value.into()),
        }
    }

    /// The attributes a task definition's `runtimePlatform` implies:
    /// `operatingSystemFamily` `LINUX` needs `ecs.os-type` `linux`, any
    /// `WINDOWS_SERVER_…` needs `windows`; `cpuArchitecture` `X86_64` and
    /// `ARM64` need `ecs.cpu-architecture` `x86_64` and `arm64`. Unknown
    /// values imply nothing (registration validates them).
    pub fn for_runtime_platform(
        operating_system_family: Option<&str>,
        cpu_architecture: Option<&str>,
    ) -> Vec<RequiredAttribute> {
        let mut out = Vec::new();
        match operating_system_family {
            Some("LINUX") => out.push(Self::equal("ecs.os-type", "linux")),
            Some(f) if f.starts_with("WINDOWS_SERVER_") => {
                out.push(Self::equal("ecs.os-type", "windows"));
            }
            _ => {}
        }
        match cpu_architecture {
            Some("X86_64") => out.push(Self::equal("ecs.cpu-architecture", "x86_64")),
            Some("ARM64") => out.push(Self::equal("ecs.cpu-architecture", "arm64")),
            _ => {}
        }
        out
    }
}

impl fmt::Display for RequiredAttribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(f, "{}={v}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// The resources and conditions one task needs. Every task of one
/// placement call has the same demand.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Demand {
    /// CPU units (1024 per vCPU).
    pub cpu: u32,
    /// Memory in MiB.
    pub memory: u32,
    /// Static TCP host ports, sorted, without repeats.
    pub tcp_ports: Vec<u16>,
    /// Static UDP host ports, sorted, without repeats.
    pub udp_ports: Vec<u16>,
    /// The task group (`family:<name>` by default for RunTask/StartTask,
    /// `service:<name>` for a service's tasks).
    pub group: String,
    /// Attributes the instance must have.
    pub required_attributes: Vec<RequiredAttribute>,
    /// Which instances may take the task.
    pub launch_type: LaunchType,
}

impl Demand {
    /// A demand for `cpu` units and `memory` MiB in `group`, nothing else.
    pub fn new(cpu: u32, memory: u32, group: impl Into<String>) -> Self {
        Demand {
            cpu,
            memory,
            group: group.into(),
            ..Default::default()
        }
    }

    /// Adds static TCP host ports (builder style).
    pub fn with_tcp_ports(mut self, ports: impl IntoIterator<Item = u16>) -> Self {
        self.tcp_ports.extend(ports);
        normalize(&mut self.tcp_ports);
        self
    }

    /// Adds static UDP host ports (builder style).
    pub fn with_udp_ports(mut self, ports: impl IntoIterator<Item = u16>) -> Self {
        self.udp_ports.extend(ports);
        normalize(&mut self.udp_ports);
        self
    }

    /// Adds a required attribute (builder style).
    pub fn with_attribute(mut self, attribute: RequiredAttribute) -> Self {
        self.required_attributes.push(attribute);
        self
    }

    /// The demand of a task built from its definition (EC2 rules):
    ///
    /// - CPU is the task-level `cpu` when given, else the sum of the
    ///   containers' `cpu`;
    /// - memory is the task-level `memory` when given, else the sum over
    ///   containers of `memoryReservation` when given, else `memory` (ECS
    ///   subtracts the soft limit when there is one);
    /// - static host ports are those that bind a fixed host port: in
    ///   `bridge` mode a `hostPort` given and non-zero (0 or absent means a
    ///   dynamic port), in `host` mode the `hostPort` or else the
    ///   `containerPort`; `awsvpc` and `none` tasks bind no host ports.
    pub fn from_task(task: &TaskShape, group: impl Into<String>) -> Self {
        let cpu = task.cpu.unwrap_or_else(|| {
            task.containers
                .iter()
                .map(|c| c.cpu)
                .fold(0, u32::saturating_add)
        });
        let memory = task.memory.unwrap_or_else(|| {
            task.containers
                .iter()
                .map(|c| c.memory_reservation.or(c.memory).unwrap_or(0))
                .fold(0, u32::saturating_add)
        });
        let mut tcp = Vec::new();
        let mut udp = Vec::new();
        for m in task.containers.iter().flat_map(|c| &c.port_mappings) {
            let port = match task.network_mode {
                NetworkMode::Bridge => m.host_port,
                NetworkMode::Host => m.host_port.or(m.container_port),
                NetworkMode::Awsvpc | NetworkMode::None => None,
            };
            match (port, m.protocol) {
                (Some(p), Protocol::Tcp) if p != 0 => tcp.push(p),
                (Some(p), Protocol::Udp) if p != 0 => udp.push(p),
                _ => {}
            }
        }
        normalize(&mut tcp);
        normalize(&mut udp);
        Demand {
            cpu,
            memory,
            tcp_ports: tcp,
            udp_ports: udp,
            group: group.into(),
            required_attributes: Vec::new(),
            launch_type: LaunchType::Ec2,
        }
    }
}

fn normalize(ports: &mut Vec<u16>) {
    ports.sort_unstable();
    ports.dedup();
}

/// A task definition's network mode, as far as host ports go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NetworkMode {
    /// `bridge` (the EC2 default): `hostPort` 0 or absent is dynamic.
    #[default]
    Bridge,
    /// `host`: the container port is the host port.
    Host,
    /// `awsvpc`: the task has its own network interface.
    Awsvpc,
    /// `none`: no networking.
    None,
}

/// A port mapping's protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// `tcp` (the default).
    #[default]
    Tcp,
    /// `udp`.
    Udp,
}

/// One `portMappings` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PortMapping {
    /// `containerPort`.
    pub container_port: Option<u16>,
    /// `hostPort`.
    pub host_port: Option<u16>,
    /// `protocol`.
    pub protocol: Protocol,
}

/// The parts of a container definition that placement needs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContainerShape {
    /// `cpu` units (0 when absent).
    pub cpu: u32,
    /// `memory`: the hard limit in MiB.
    pub memory: Option<u32>,
    /// `memoryReservation`: the soft limit in MiB.
    pub memory_reservation: Option<u32>,
    /// `portMappings`.
    pub port_mappings: Vec<PortMapping>,
}

/// The parts of a task definition (with overrides applied) that placement needs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TaskShape {
    /// Task-level `cpu` in units, if given.
    pub cpu: Option<u32>,
    /// Task-level `memory` in MiB, if given.
    pub memory: Option<u32>,
    /// `networkMode`.
    pub network_mode: NetworkMode,
    /// `containerDefinitions`.
    pub containers: Vec<ContainerShape>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(cpu: u32, memory: Option<u32>, reservation: Option<u32>) -> ContainerShape {
        ContainerShape {
            cpu,
            memory,
            memory_reservation: reservation,
            port_mappings: Vec::new(),
        }
    }

    #[test]
    fn task_level_values_win() {
        let task = TaskShape {
            cpu: Some(512),
            memory: Some(1024),
            containers: vec![container(100, Some(300), None)],
            ..Default::default()
        };
        let d = Demand::from_task(&task, "family:web");
        assert_eq!((d.cpu, d.memory), (512, 1024));
        assert_eq!(d.group, "family:web");
    }

    #[test]
    fn container_sums_prefer_the_reservation() {
        let task = TaskShape {
            containers: vec![
                container(100, Some(300), None),
                container(50, Some(512), Some(128)),
                container(0, None, Some(64)),
            ],
            ..Default::default()
        };
        let d = Demand::from_task(&task, "g");
        assert_eq!((d.cpu, d.memory), (150, 300 + 128 + 64));
    }

    #[test]
    fn static_ports_by_network_mode() {
        let maps = vec![
            PortMapping {
                container_port: Some(80),
                host_port: Some(8080),
                protocol: Protocol::Tcp,
            },
            PortMapping {
                container_port: Some(81),
                host_port: Some(0),
                protocol: Protocol::Tcp,
            },
            PortMapping {
                container_port: Some(82),
                host_port: None,
                protocol: Protocol::Tcp,
            },
            PortMapping {
                container_port: Some(53),
                host_port: Some(53),
                protocol: Protocol::Udp,
            },
        ];
        let shape = |mode| TaskShape {
            network_mode: mode,
            containers: vec![ContainerShape {
                port_mappings: maps.clone(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let bridge = Demand::from_task(&shape(NetworkMode::Bridge), "g");
        assert_eq!(bridge.tcp_ports, [8080]);
        assert_eq!(bridge.udp_ports, [53]);
        let host = Demand::from_task(&shape(NetworkMode::Host), "g");
        assert_eq!(host.tcp_ports, [82, 8080]);
        let awsvpc = Demand::from_task(&shape(NetworkMode::Awsvpc), "g");
        assert!(awsvpc.tcp_ports.is_empty() && awsvpc.udp_ports.is_empty());
    }

    #[test]
    fn runtime_platform_attributes() {
        let a = RequiredAttribute::for_runtime_platform(Some("LINUX"), Some("ARM64"));
        assert_eq!(
            a,
            [
                RequiredAttribute::equal("ecs.os-type", "linux"),
                RequiredAttribute::equal("ecs.cpu-architecture", "arm64"),
            ]
        );
        let w = RequiredAttribute::for_runtime_platform(Some("WINDOWS_SERVER_2022_CORE"), None);
        assert_eq!(w, [RequiredAttribute::equal("ecs.os-type", "windows")]);
        assert!(RequiredAttribute::for_runtime_platform(None, None).is_empty());
    }

    #[test]
    fn builder_ports_are_sorted_and_unique() {
        let d = Demand::new(1, 1, "g").with_tcp_ports([90, 80, 90]);
        assert_eq!(d.tcp_ports, [80, 90]);
    }
}
