//! The "rich" task definition: a family exercising most container-definition and
//! volume fields, how to register it, and how to check that every value came back.

#![allow(dead_code, clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap};

use aws_sdk_ecs::operation::register_task_definition::builders::RegisterTaskDefinitionFluentBuilder;
use aws_sdk_ecs::types::{
    Compatibility, ContainerCondition, ContainerDefinition, ContainerDependency,
    DockerVolumeConfiguration, HealthCheck, HostVolumeProperties, KernelCapabilities, KeyValuePair,
    LinuxParameters, LogConfiguration, LogDriver, MountPoint, NetworkMode, PortMapping, Scope,
    TaskDefinition, TaskDefinitionStatus, Tmpfs, TransportProtocol, Ulimit, UlimitName, Volume,
};
use aws_sdk_ecs::Client;

use super::fixtures::assert_recent;
use super::task_definition_arn;

pub fn kv(name: &str, value: &str) -> KeyValuePair {
    KeyValuePair::builder().name(name).value(value).build()
}

pub fn rich_app_container() -> ContainerDefinition {
    ContainerDefinition::builder()
        .name("app")
        .image("public.ecr.aws/docker/library/python:3.12-slim")
        .cpu(256)
        .memory(512)
        .memory_reservation(256)
        .essential(true)
        .entry_point("python3")
        .command("-m")
        .command("http.server")
        .command("8080")
        .working_directory("/srv")
        .port_mappings(
            PortMapping::builder()
                .container_port(8080)
                .host_port(80)
                .protocol(TransportProtocol::Tcp)
                .build(),
        )
        .port_mappings(
            PortMapping::builder()
                .container_port(5353)
                .host_port(5353)
                .protocol(TransportProtocol::Udp)
                .build(),
        )
        .environment(kv("MODE", "production"))
        .environment(kv("GREETING", "hello world"))
        .environment(kv("EMPTYISH", " "))
        .health_check(
            HealthCheck::builder()
                .command("CMD-SHELL")
                .command("curl -f http://localhost:8080/ || exit 1")
                .interval(15)
                .timeout(4)
                .retries(5)
                .start_period(20)
                .build()
                .unwrap(),
        )
        .log_configuration(
            LogConfiguration::builder()
                .log_driver(LogDriver::JsonFile)
                .options("max-size", "10m")
                .options("max-file", "3")
                .build()
                .unwrap(),
        )
        .ulimits(
            Ulimit::builder()
                .name(UlimitName::Nofile)
                .soft_limit(4096)
                .hard_limit(8192)
                .build()
                .unwrap(),
        )
        .ulimits(
            Ulimit::builder()
                .name(UlimitName::Core)
                .soft_limit(0)
                .hard_limit(0)
                .build()
                .unwrap(),
        )
        .linux_parameters(
            LinuxParameters::builder()
                .capabilities(
                    KernelCapabilities::builder()
                        .add("NET_ADMIN")
                        .add("SYS_PTRACE")
                        .drop("MKNOD")
                        .build(),
                )
                .init_process_enabled(true)
                .shared_memory_size(64)
                .tmpfs(
                    Tmpfs::builder()
                        .container_path("/run/scratch")
                        .size(32)
                        .mount_options("rw")
                        .mount_options("noexec")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .depends_on(
            ContainerDependency::builder()
                .container_name("sidecar")
                .condition(ContainerCondition::Healthy)
                .build()
                .unwrap(),
        )
        .depends_on(
            ContainerDependency::builder()
                .container_name("init")
                .condition(ContainerCondition::Success)
                .build()
                .unwrap(),
        )
        .docker_labels("com.example.team", "core")
        .docker_labels("com.example.tier", "web")
        .mount_points(
            MountPoint::builder()
                .source_volume("data")
                .container_path("/srv/data")
                .read_only(false)
                .build(),
        )
        .mount_points(
            MountPoint::builder()
                .source_volume("cache")
                .container_path("/var/cache/app")
                .read_only(true)
                .build(),
        )
        .build()
}

pub fn sidecar_container() -> ContainerDefinition {
    ContainerDefinition::builder()
        .name("sidecar")
        .image("public.ecr.aws/docker/library/busybox:latest")
        .memory(64)
        .essential(false)
        .health_check(
            HealthCheck::builder()
                .command("CMD")
                .command("true")
                .interval(10)
                .timeout(2)
                .retries(3)
                .start_period(0)
                .build()
                .unwrap(),
        )
        .build()
}

pub fn init_container() -> ContainerDefinition {
    ContainerDefinition::builder()
        .name("init")
        .image("public.ecr.aws/docker/library/busybox:latest")
        .memory(32)
        .essential(false)
        .command("true")
        .build()
}

pub fn rich_volumes() -> Vec<Volume> {
    vec![
        Volume::builder()
            .name("data")
            .host(
                HostVolumeProperties::builder()
                    .source_path("/srv/berth-data")
                    .build(),
            )
            .build(),
        Volume::builder()
            .name("cache")
            .docker_volume_configuration(
                DockerVolumeConfiguration::builder()
                    .scope(Scope::Shared)
                    .autoprovision(true)
                    .driver("local")
                    .driver_opts("type", "tmpfs")
                    .driver_opts("device", "tmpfs")
                    .labels("purpose", "cache")
                    .build(),
            )
            .build(),
    ]
}

/// A RegisterTaskDefinition request for family `rich` with the rich containers and
/// volumes, not yet sent (add tags or other fields, then `send`).
pub fn register_rich(ecs: &Client) -> RegisterTaskDefinitionFluentBuilder {
    ecs.register_task_definition()
        .family("rich")
        .task_role_arn("arn:aws:iam::000000000000:role/rich-task")
        .network_mode(NetworkMode::Bridge)
        .requires_compatibilities(Compatibility::Ec2)
        .cpu("1024")
        .memory("2048")
        .container_definitions(rich_app_container())
        .container_definitions(sidecar_container())
        .container_definitions(init_container())
        .set_volumes(Some(rich_volumes()))
}

fn env_map(c: &ContainerDefinition) -> BTreeMap<String, String> {
    c.environment()
        .iter()
        .map(|e| {
            (
                e.name().unwrap_or_default().to_string(),
                e.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Every value `sent` carries is in `got`, read through the SDK's typed model.
pub fn assert_rich_app_container(got: &ContainerDefinition, sent: &ContainerDefinition) {
    assert_eq!(got.name(), Some("app"));
    assert_eq!(got.image(), sent.image());
    assert_eq!(got.cpu(), 256);
    assert_eq!(got.memory(), Some(512));
    assert_eq!(got.memory_reservation(), Some(256));
    assert_eq!(got.essential(), Some(true));
    assert_eq!(got.entry_point(), ["python3"]);
    assert_eq!(got.command(), ["-m", "http.server", "8080"]);
    assert_eq!(got.working_directory(), Some("/srv"));

    let ports: Vec<_> = got
        .port_mappings()
        .iter()
        .map(|p| (p.container_port(), p.host_port(), p.protocol().cloned()))
        .collect();
    assert_eq!(
        ports,
        [
            (Some(8080), Some(80), Some(TransportProtocol::Tcp)),
            (Some(5353), Some(5353), Some(TransportProtocol::Udp)),
        ]
    );

    assert_eq!(env_map(got), env_map(sent));

    let hc = got.health_check().expect("healthCheck missing");
    assert_eq!(
        hc.command(),
        ["CMD-SHELL", "curl -f http://localhost:8080/ || exit 1"]
    );
    assert_eq!(hc.interval(), Some(15));
    assert_eq!(hc.timeout(), Some(4));
    assert_eq!(hc.retries(), Some(5));
    assert_eq!(hc.start_period(), Some(20));

    let log = got.log_configuration().expect("logConfiguration missing");
    assert_eq!(log.log_driver(), &LogDriver::JsonFile);
    assert_eq!(
        log.options(),
        Some(&HashMap::from([
            ("max-size".to_string(), "10m".to_string()),
            ("max-file".to_string(), "3".to_string()),
        ]))
    );

    let ulimits: Vec<_> = got
        .ulimits()
        .iter()
        .map(|u| (u.name().clone(), u.soft_limit(), u.hard_limit()))
        .collect();
    assert_eq!(
        ulimits,
        [(UlimitName::Nofile, 4096, 8192), (UlimitName::Core, 0, 0)]
    );

    let lp = got.linux_parameters().expect("linuxParameters missing");
    let caps = lp.capabilities().expect("capabilities missing");
    assert_eq!(caps.add(), ["NET_ADMIN", "SYS_PTRACE"]);
    assert_eq!(caps.drop(), ["MKNOD"]);
    assert_eq!(lp.init_process_enabled(), Some(true));
    assert_eq!(lp.shared_memory_size(), Some(64));
    assert_eq!(lp.tmpfs().len(), 1);
    assert_eq!(lp.tmpfs()[0].container_path(), "/run/scratch");
    assert_eq!(lp.tmpfs()[0].size(), 32);
    assert_eq!(lp.tmpfs()[0].mount_options(), ["rw", "noexec"]);

    let deps: Vec<_> = got
        .depends_on()
        .iter()
        .map(|d| (d.container_name().to_string(), d.condition().clone()))
        .collect();
    assert_eq!(
        deps,
        [
            ("sidecar".to_string(), ContainerCondition::Healthy),
            ("init".to_string(), ContainerCondition::Success),
        ]
    );

    assert_eq!(
        got.docker_labels(),
        Some(&HashMap::from([
            ("com.example.team".to_string(), "core".to_string()),
            ("com.example.tier".to_string(), "web".to_string()),
        ]))
    );

    let mounts: Vec<_> = got
        .mount_points()
        .iter()
        .map(|m| (m.source_volume(), m.container_path(), m.read_only()))
        .collect();
    assert_eq!(
        mounts,
        [
            (Some("data"), Some("/srv/data"), Some(false)),
            (Some("cache"), Some("/var/cache/app"), Some(true)),
        ]
    );
}

pub fn assert_rich_task_definition(td: &TaskDefinition, revision: i32) {
    assert_eq!(td.family(), Some("rich"));
    assert_eq!(td.revision(), revision);
    assert_eq!(
        td.task_definition_arn(),
        Some(task_definition_arn("rich", revision).as_str())
    );
    assert_eq!(td.status(), Some(&TaskDefinitionStatus::Active));
    assert_eq!(td.network_mode(), Some(&NetworkMode::Bridge));
    assert_eq!(td.requires_compatibilities(), [Compatibility::Ec2]);
    assert_eq!(td.cpu(), Some("1024"));
    assert_eq!(td.memory(), Some("2048"));
    assert_eq!(
        td.task_role_arn(),
        Some("arn:aws:iam::000000000000:role/rich-task")
    );
    assert_recent(td.registered_at(), "registeredAt");

    let names: Vec<_> = td
        .container_definitions()
        .iter()
        .map(|c| c.name().unwrap_or_default())
        .collect();
    assert_eq!(names, ["app", "sidecar", "init"]);
    assert_rich_app_container(&td.container_definitions()[0], &rich_app_container());
    let sidecar = &td.container_definitions()[1];
    assert_eq!(sidecar.essential(), Some(false));
    assert_eq!(
        sidecar.health_check().map(|h| h.command().to_vec()),
        Some(vec!["CMD".to_string(), "true".to_string()])
    );

    let vols = td.volumes();
    assert_eq!(vols.len(), 2, "{vols:?}");
    assert_eq!(vols[0].name(), Some("data"));
    assert_eq!(
        vols[0].host().and_then(|h| h.source_path()),
        Some("/srv/berth-data")
    );
    assert_eq!(vols[1].name(), Some("cache"));
    let dv = vols[1]
        .docker_volume_configuration()
        .expect("dockerVolumeConfiguration missing");
    assert_eq!(dv.scope(), Some(&Scope::Shared));
    assert_eq!(dv.autoprovision(), Some(true));
    assert_eq!(dv.driver(), Some("local"));
    assert_eq!(
        dv.driver_opts(),
        Some(&HashMap::from([
            ("type".to_string(), "tmpfs".to_string()),
            ("device".to_string(), "tmpfs".to_string()),
        ]))
    );
    assert_eq!(
        dv.labels(),
        Some(&HashMap::from([(
            "purpose".to_string(),
            "cache".to_string()
        )]))
    );
}
