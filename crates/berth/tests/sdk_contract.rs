//! Contract tests: the real `berth dev` binary driven by the official AWS SDK for Rust
//! (`aws-sdk-ecs`), a client nobody in this project wrote. Every test starts its own
//! server on a free loopback port with an empty temporary data directory, so counts
//! and listings are exact.
//!
//! Run with `cargo test -p berth --test sdk_contract`.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_sdk_ecs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ecs::operation::delete_cluster::DeleteClusterError;
use aws_sdk_ecs::operation::describe_task_definition::DescribeTaskDefinitionError;
use aws_sdk_ecs::types::{
    Attribute, Compatibility, ContainerCondition, ContainerDefinition, ContainerDependency,
    ContainerInstance, ContainerInstanceStatus, DockerVolumeConfiguration, HealthCheck,
    HostVolumeProperties, KernelCapabilities, KeyValuePair, LinuxParameters, LogConfiguration,
    LogDriver, MountPoint, NetworkMode, PortMapping, Resource, Scope, SettingName, SortOrder, Tag,
    TargetType, TaskDefinition, TaskDefinitionFamilyStatus, TaskDefinitionStatus, Tmpfs,
    TransportProtocol, Ulimit, UlimitName, VersionInfo, Volume,
};
use aws_sdk_ecs::Client;
use common::{cluster_arn, task_definition_arn, Berth, ACCOUNT, REGION};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build()
}

fn tags_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn kv(name: &str, value: &str) -> KeyValuePair {
    KeyValuePair::builder().name(name).value(value).build()
}

fn attrs_map(attrs: &[Attribute]) -> BTreeMap<String, Option<String>> {
    attrs
        .iter()
        .map(|a| (a.name().to_string(), a.value().map(str::to_string)))
        .collect()
}

fn minimal_container(name: &str) -> ContainerDefinition {
    ContainerDefinition::builder()
        .name(name)
        .image("public.ecr.aws/nginx/nginx:latest")
        .memory(128)
        .build()
}

async fn register_minimal(ecs: &Client, family: &str) -> TaskDefinition {
    ecs.register_task_definition()
        .family(family)
        .container_definitions(minimal_container("web"))
        .send()
        .await
        .unwrap()
        .task_definition()
        .cloned()
        .unwrap()
}

/// Walks ListClusters with the given page size, returning every page.
async fn list_cluster_pages(ecs: &Client, max_results: i32) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = ecs
            .list_clusters()
            .max_results(max_results)
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap();
        pages.push(out.cluster_arns().to_vec());
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            return pages;
        }
        assert!(
            pages.len() <= 50,
            "ListClusters pagination does not terminate"
        );
    }
}

/// An EC2 instance identity document as the ECS agent sends it.
fn identity_document(instance_id: &str, az: &str) -> String {
    serde_json::json!({
        "accountId": ACCOUNT,
        "architecture": "x86_64",
        "availabilityZone": az,
        "imageId": "ami-0abcdef1234567890",
        "instanceId": instance_id,
        "instanceType": "t3.medium",
        "region": REGION,
        "version": "2017-09-30",
    })
    .to_string()
}

fn int_resource(name: &str, value: i32) -> Resource {
    Resource::builder()
        .name(name)
        .r#type("INTEGER")
        .integer_value(value)
        .build()
}

fn ports_resource(name: &str, ports: &[&str]) -> Resource {
    let mut b = Resource::builder().name(name).r#type("STRINGSET");
    for p in ports {
        b = b.string_set_value(*p);
    }
    b.build()
}

/// Resources by name as (type, integer value, sorted string set).
fn resources_map(rs: &[Resource]) -> BTreeMap<String, (String, i32, Vec<String>)> {
    rs.iter()
        .map(|r| {
            let mut set = r.string_set_value().to_vec();
            set.sort();
            (
                r.name().unwrap_or_default().to_string(),
                (
                    r.r#type().unwrap_or_default().to_string(),
                    r.integer_value(),
                    set,
                ),
            )
        })
        .collect()
}

/// Does what the ECS agent does at start-up: RegisterContainerInstance.
async fn register_instance(
    ecs: &Client,
    cluster: &str,
    instance_id: &str,
    az: &str,
    extra: &[(&str, &str)],
) -> ContainerInstance {
    let mut req = ecs
        .register_container_instance()
        .cluster(cluster)
        .instance_identity_document(identity_document(instance_id, az))
        .instance_identity_document_signature("c2lnbmF0dXJl")
        .total_resources(int_resource("CPU", 2048))
        .total_resources(int_resource("MEMORY", 3943))
        .total_resources(ports_resource(
            "PORTS",
            &["22", "2375", "2376", "51678", "51679"],
        ))
        .total_resources(ports_resource("PORTS_UDP", &[]))
        .version_info(
            VersionInfo::builder()
                .agent_version("1.89.0")
                .agent_hash("4ac4b0e2")
                .docker_version("DockerVersion: 25.0.8")
                .build(),
        )
        .attributes(attr("ecs.os-type", Some("linux")))
        .attributes(attr("ecs.availability-zone", Some(az)))
        .attributes(attr("ecs.instance-type", Some("t3.medium")))
        .attributes(attr(
            "com.amazonaws.ecs.capability.docker-remote-api.1.17",
            None,
        ));
    for (k, v) in extra {
        req = req.attributes(attr(k, Some(v)));
    }
    req.send()
        .await
        .unwrap()
        .container_instance()
        .cloned()
        .unwrap()
}

fn attr(name: &str, value: Option<&str>) -> Attribute {
    Attribute::builder()
        .name(name)
        .set_value(value.map(str::to_string))
        .build()
        .unwrap()
}

async fn list_instances(ecs: &Client, cluster: &str, filter: Option<&str>) -> BTreeSet<String> {
    ecs.list_container_instances()
        .cluster(cluster)
        .set_filter(filter.map(str::to_string))
        .send()
        .await
        .unwrap()
        .container_instance_arns()
        .iter()
        .cloned()
        .collect()
}

fn assert_client_error<E: ProvideErrorMetadata + std::fmt::Debug>(err: &E, code: &str) {
    assert_eq!(err.code(), Some(code), "unexpected error: {err:?}");
    assert!(
        !err.message().unwrap_or_default().trim().is_empty(),
        "{code} has an empty message: {err:?}"
    );
}

/// The timestamp is present and within the last hour (the SDK parsed the server's
/// epoch-seconds number into a `DateTime`).
fn assert_recent(t: Option<&aws_sdk_ecs::primitives::DateTime>, what: &str) {
    let t = t.unwrap_or_else(|| panic!("{what} missing"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        (now - 3600..=now + 60).contains(&t.secs()),
        "{what} = {t} is not recent (now = {now})"
    );
}

// ---------------------------------------------------------------------------
// Clusters
// ---------------------------------------------------------------------------

#[tokio::test]
async fn cluster_create_describe_list_delete() {
    let berth = Berth::start();
    let ecs = berth.client().await;

    let created = ecs
        .create_cluster()
        .cluster_name("alpha")
        .tags(tag("team", "core"))
        .send()
        .await
        .unwrap();
    let c = created.cluster().unwrap();
    assert_eq!(c.cluster_name(), Some("alpha"));
    assert_eq!(c.cluster_arn(), Some(cluster_arn("alpha").as_str()));
    assert_eq!(c.status(), Some("ACTIVE"));
    assert_eq!(c.registered_container_instances_count(), 0);
    assert_eq!(c.running_tasks_count(), 0);
    assert_eq!(c.pending_tasks_count(), 0);
    assert_eq!(c.active_services_count(), 0);

    // By name and by ARN, in one call.
    let described = ecs
        .describe_clusters()
        .clusters("alpha")
        .clusters(cluster_arn("alpha"))
        .send()
        .await
        .unwrap();
    assert!(described.failures().is_empty(), "{described:?}");
    assert_eq!(described.clusters().len(), 2, "{described:?}");
    for c in described.clusters() {
        assert_eq!(c.cluster_arn(), Some(cluster_arn("alpha").as_str()));
        assert_eq!(c.status(), Some("ACTIVE"));
    }

    // Tags only with include=TAGS.
    let with_tags = ecs
        .describe_clusters()
        .clusters("alpha")
        .include(aws_sdk_ecs::types::ClusterField::Tags)
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags_map(with_tags.clusters()[0].tags()),
        BTreeMap::from([("team".to_string(), "core".to_string())])
    );

    let listed = ecs.list_clusters().send().await.unwrap();
    assert_eq!(listed.cluster_arns(), [cluster_arn("alpha")]);
    assert_eq!(listed.next_token(), None);

    // Delete: the response and later describes say INACTIVE; list no longer shows it.
    let deleted = ecs.delete_cluster().cluster("alpha").send().await.unwrap();
    let d = deleted.cluster().unwrap();
    assert_eq!(d.cluster_arn(), Some(cluster_arn("alpha").as_str()));
    assert_eq!(d.status(), Some("INACTIVE"));

    let after = ecs
        .describe_clusters()
        .clusters(cluster_arn("alpha"))
        .send()
        .await
        .unwrap();
    assert!(after.failures().is_empty(), "{after:?}");
    assert_eq!(after.clusters().len(), 1);
    assert_eq!(after.clusters()[0].status(), Some("INACTIVE"));

    let listed = ecs.list_clusters().send().await.unwrap();
    assert!(
        listed.cluster_arns().is_empty(),
        "deleted cluster still listed: {listed:?}"
    );
}

#[tokio::test]
async fn describe_unknown_clusters_reports_missing() {
    let berth = Berth::start();
    let ecs = berth.client().await;
    ecs.create_cluster()
        .cluster_name("known")
        .send()
        .await
        .unwrap();

    let out = ecs
        .describe_clusters()
        .clusters("known")
        .clusters("nope")
        .clusters(cluster_arn("gone"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.clusters().len(), 1);
    assert_eq!(out.clusters()[0].cluster_name(), Some("known"));
    let failures: BTreeMap<_, _> = out
        .failures()
        .iter()
        .map(|f| (f.arn().unwrap_or_default(), f.reason().unwrap_or_default()))
        .collect();
    let nope_arn = cluster_arn("nope");
    let gone_arn = cluster_arn("gone");
    assert_eq!(
        failures,
        BTreeMap::from([
            (nope_arn.as_str(), "MISSING"),
            (gone_arn.as_str(), "MISSING")
        ]),
        "{out:?}"
    );
}

#[tokio::test]
async fn list_clusters_paginates_over_every_cluster_exactly_once() {
    let berth = Berth::start();
    let ecs = berth.client().await;
    let names: Vec<String> = (0..5).map(|i| format!("page-{i}")).collect();
    for n in &names {
        ecs.create_cluster().cluster_name(n).send().await.unwrap();
    }

    let pages = list_cluster_pages(&ecs, 2).await;
    assert!(pages.len() >= 3, "5 clusters in pages of 2: {pages:?}");
    for p in &pages {
        assert!(p.len() <= 2, "page larger than maxResults: {pages:?}");
    }
    let flat: Vec<String> = pages.concat();
    let unique: BTreeSet<&String> = flat.iter().collect();
    assert_eq!(unique.len(), flat.len(), "an ARN came back twice: {flat:?}");
    let expected: BTreeSet<String> = names.iter().map(|n| cluster_arn(n)).collect();
    assert_eq!(flat.iter().cloned().collect::<BTreeSet<_>>(), expected);

    // The SDK's own paginator sees the same.
    let via_paginator: Vec<String> = ecs
        .list_clusters()
        .max_results(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(via_paginator.len(), 5);
    assert_eq!(via_paginator.into_iter().collect::<BTreeSet<_>>(), expected);
}

// ---------------------------------------------------------------------------
// Task definitions
// ---------------------------------------------------------------------------

fn rich_app_container() -> ContainerDefinition {
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

fn sidecar_container() -> ContainerDefinition {
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

fn init_container() -> ContainerDefinition {
    ContainerDefinition::builder()
        .name("init")
        .image("public.ecr.aws/docker/library/busybox:latest")
        .memory(32)
        .essential(false)
        .command("true")
        .build()
}

fn rich_volumes() -> Vec<Volume> {
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
fn assert_rich_app_container(got: &ContainerDefinition, sent: &ContainerDefinition) {
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

fn assert_rich_task_definition(td: &TaskDefinition, revision: i32) {
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

#[tokio::test]
async fn rich_task_definition_round_trips_through_the_typed_model() {
    let berth = Berth::start();
    let ecs = berth.client().await;

    let registered = ecs
        .register_task_definition()
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
        .tags(tag("owner", "contract-tests"))
        .send()
        .await
        .unwrap();
    assert_rich_task_definition(registered.task_definition().unwrap(), 1);
    assert_eq!(
        tags_map(registered.tags()),
        BTreeMap::from([("owner".to_string(), "contract-tests".to_string())])
    );

    // Every way of naming the revision describes the same thing.
    for reference in ["rich", "rich:1", &task_definition_arn("rich", 1)] {
        let described = ecs
            .describe_task_definition()
            .task_definition(reference)
            .include(aws_sdk_ecs::types::TaskDefinitionField::Tags)
            .send()
            .await
            .unwrap();
        assert_rich_task_definition(described.task_definition().unwrap(), 1);
        assert_eq!(
            tags_map(described.tags()),
            BTreeMap::from([("owner".to_string(), "contract-tests".to_string())]),
            "tags via {reference}"
        );
    }
}

#[tokio::test]
async fn task_definition_revisions_listing_and_lifecycle() {
    let berth = Berth::start();
    let ecs = berth.client().await;

    for expected in 1..=3 {
        let td = register_minimal(&ecs, "web").await;
        assert_eq!(td.family(), Some("web"));
        assert_eq!(td.revision(), expected);
        assert_eq!(
            td.task_definition_arn(),
            Some(task_definition_arn("web", expected).as_str())
        );
    }
    register_minimal(&ecs, "webapp").await;
    register_minimal(&ecs, "other").await;

    // familyPrefix on ListTaskDefinitions is the full family name.
    let desc = ecs
        .list_task_definitions()
        .family_prefix("web")
        .sort(SortOrder::Desc)
        .send()
        .await
        .unwrap();
    assert_eq!(
        desc.task_definition_arns(),
        [3, 2, 1].map(|r| task_definition_arn("web", r))
    );
    let asc = ecs
        .list_task_definitions()
        .family_prefix("web")
        .send()
        .await
        .unwrap();
    assert_eq!(
        asc.task_definition_arns(),
        [1, 2, 3].map(|r| task_definition_arn("web", r))
    );

    // The SDK paginator over everything, page size 2.
    let all: Vec<String> = ecs
        .list_task_definitions()
        .max_results(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(
        all.iter().cloned().collect::<BTreeSet<_>>(),
        BTreeSet::from([
            task_definition_arn("web", 1),
            task_definition_arn("web", 2),
            task_definition_arn("web", 3),
            task_definition_arn("webapp", 1),
            task_definition_arn("other", 1),
        ])
    );
    assert_eq!(all.len(), 5, "{all:?}");

    // ListTaskDefinitionFamilies' familyPrefix is a real prefix.
    let fams = ecs
        .list_task_definition_families()
        .family_prefix("web")
        .send()
        .await
        .unwrap();
    assert_eq!(fams.families(), ["web", "webapp"]);

    // Deregister web:2 -> INACTIVE, still describable, gone from the ACTIVE listing.
    let dereg = ecs
        .deregister_task_definition()
        .task_definition("web:2")
        .send()
        .await
        .unwrap();
    let td = dereg.task_definition().unwrap();
    assert_eq!(td.revision(), 2);
    assert_eq!(td.status(), Some(&TaskDefinitionStatus::Inactive));
    assert_recent(td.deregistered_at(), "deregisteredAt");
    assert!(td.deregistered_at() >= td.registered_at());

    let described = ecs
        .describe_task_definition()
        .task_definition("web:2")
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.task_definition().unwrap().status(),
        Some(&TaskDefinitionStatus::Inactive)
    );
    let active = ecs
        .list_task_definitions()
        .family_prefix("web")
        .send()
        .await
        .unwrap();
    assert_eq!(
        active.task_definition_arns(),
        [1, 3].map(|r| task_definition_arn("web", r))
    );
    let inactive = ecs
        .list_task_definitions()
        .family_prefix("web")
        .status(TaskDefinitionStatus::Inactive)
        .send()
        .await
        .unwrap();
    assert_eq!(
        inactive.task_definition_arns(),
        [task_definition_arn("web", 2)]
    );

    // Revisions are never reused: the next one is 4.
    assert_eq!(register_minimal(&ecs, "web").await.revision(), 4);

    // A family whose only revision is deregistered is INACTIVE.
    ecs.deregister_task_definition()
        .task_definition("other:1")
        .send()
        .await
        .unwrap();
    let inactive_fams = ecs
        .list_task_definition_families()
        .status(TaskDefinitionFamilyStatus::Inactive)
        .send()
        .await
        .unwrap();
    assert_eq!(inactive_fams.families(), ["other"]);

    // Deleting an ACTIVE revision is refused per item; an INACTIVE one is accepted.
    let del = ecs
        .delete_task_definitions()
        .task_definitions("web:3")
        .send()
        .await
        .unwrap();
    assert!(del.task_definitions().is_empty(), "{del:?}");
    assert_eq!(del.failures().len(), 1, "{del:?}");
    let f = &del.failures()[0];
    assert_eq!(
        f.arn(),
        Some(task_definition_arn("web", 3).as_str()),
        "{f:?}"
    );
    assert!(!f.reason().unwrap_or_default().is_empty(), "{f:?}");

    let del = ecs
        .delete_task_definitions()
        .task_definitions("web:2")
        .send()
        .await
        .unwrap();
    assert!(del.failures().is_empty(), "{del:?}");
    assert_eq!(del.task_definitions().len(), 1);
    assert_eq!(
        del.task_definitions()[0].status(),
        Some(&TaskDefinitionStatus::DeleteInProgress)
    );
    assert_eq!(register_minimal(&ecs, "web").await.revision(), 5);
}

// ---------------------------------------------------------------------------
// Container instances and attributes
// ---------------------------------------------------------------------------

#[tokio::test]
async fn container_instance_register_describe_filter_drain_deregister() {
    let berth = Berth::start();
    let ecs = berth.client().await;
    ecs.create_cluster()
        .cluster_name("fleet")
        .send()
        .await
        .unwrap();

    let a = register_instance(
        &ecs,
        "fleet",
        "i-0aaaaaaaaaaaaaaaa",
        "us-east-1a",
        &[("team", "blue")],
    )
    .await;
    let b = register_instance(&ecs, "fleet", "i-0bbbbbbbbbbbbbbbb", "us-east-1b", &[]).await;
    let a_arn = a.container_instance_arn().unwrap().to_string();
    let b_arn = b.container_instance_arn().unwrap().to_string();
    let prefix = format!("arn:aws:ecs:{REGION}:{ACCOUNT}:container-instance/fleet/");
    for arn in [&a_arn, &b_arn] {
        let id = arn.strip_prefix(&prefix).unwrap_or_else(|| panic!("{arn}"));
        assert!(
            id.len() == 32 && id.bytes().all(|c| c.is_ascii_hexdigit()),
            "{arn}"
        );
    }
    assert_ne!(a_arn, b_arn);
    assert_eq!(a.status(), Some("ACTIVE"));
    assert_eq!(a.ec2_instance_id(), Some("i-0aaaaaaaaaaaaaaaa"));

    let described = ecs
        .describe_container_instances()
        .cluster("fleet")
        .container_instances(&a_arn)
        .send()
        .await
        .unwrap();
    assert!(described.failures().is_empty(), "{described:?}");
    let ci = &described.container_instances()[0];
    assert_eq!(ci.container_instance_arn(), Some(a_arn.as_str()));
    assert_eq!(ci.ec2_instance_id(), Some("i-0aaaaaaaaaaaaaaaa"));
    assert_eq!(ci.status(), Some("ACTIVE"));
    assert_recent(ci.registered_at(), "registeredAt");
    assert_eq!(ci.running_tasks_count(), 0);
    assert_eq!(ci.pending_tasks_count(), 0);
    let expected_resources = BTreeMap::from([
        ("CPU".to_string(), ("INTEGER".to_string(), 2048, vec![])),
        ("MEMORY".to_string(), ("INTEGER".to_string(), 3943, vec![])),
        (
            "PORTS".to_string(),
            (
                "STRINGSET".to_string(),
                0,
                ["22", "2375", "2376", "51678", "51679"]
                    .map(String::from)
                    .to_vec(),
            ),
        ),
        (
            "PORTS_UDP".to_string(),
            ("STRINGSET".to_string(), 0, vec![]),
        ),
    ]);
    assert_eq!(resources_map(ci.registered_resources()), expected_resources);
    assert_eq!(resources_map(ci.remaining_resources()), expected_resources);
    let attrs = attrs_map(ci.attributes());
    assert_eq!(
        attrs.get("team"),
        Some(&Some("blue".to_string())),
        "{attrs:?}"
    );
    assert_eq!(
        attrs.get("ecs.availability-zone"),
        Some(&Some("us-east-1a".to_string())),
        "{attrs:?}"
    );
    assert_eq!(
        attrs.get("ecs.os-type"),
        Some(&Some("linux".to_string())),
        "{attrs:?}"
    );
    assert!(
        attrs.contains_key("com.amazonaws.ecs.capability.docker-remote-api.1.17"),
        "{attrs:?}"
    );
    let vi = ci.version_info().expect("versionInfo missing");
    assert_eq!(vi.agent_version(), Some("1.89.0"));
    assert_eq!(vi.docker_version(), Some("DockerVersion: 25.0.8"));

    // By short id too.
    let short = a_arn.rsplit('/').next().unwrap();
    let by_id = ecs
        .describe_container_instances()
        .cluster("fleet")
        .container_instances(short)
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_id.container_instances()[0].container_instance_arn(),
        Some(a_arn.as_str())
    );

    let cluster = ecs
        .describe_clusters()
        .clusters("fleet")
        .send()
        .await
        .unwrap();
    assert_eq!(
        cluster.clusters()[0].registered_container_instances_count(),
        2
    );

    // Cluster query language filter.
    assert_eq!(
        list_instances(&ecs, "fleet", None).await,
        BTreeSet::from([a_arn.clone(), b_arn.clone()])
    );
    assert_eq!(
        list_instances(
            &ecs,
            "fleet",
            Some("attribute:ecs.availability-zone == us-east-1a")
        )
        .await,
        BTreeSet::from([a_arn.clone()])
    );
    assert_eq!(
        list_instances(
            &ecs,
            "fleet",
            Some("attribute:ecs.availability-zone != us-east-1a")
        )
        .await,
        BTreeSet::from([b_arn.clone()])
    );

    // DRAINING.
    let drained = ecs
        .update_container_instances_state()
        .cluster("fleet")
        .container_instances(&a_arn)
        .status(ContainerInstanceStatus::Draining)
        .send()
        .await
        .unwrap();
    assert!(drained.failures().is_empty(), "{drained:?}");
    assert_eq!(drained.container_instances().len(), 1);
    assert_eq!(drained.container_instances()[0].status(), Some("DRAINING"));
    let draining: BTreeSet<String> = ecs
        .list_container_instances()
        .cluster("fleet")
        .status(ContainerInstanceStatus::Draining)
        .send()
        .await
        .unwrap()
        .container_instance_arns()
        .iter()
        .cloned()
        .collect();
    assert_eq!(draining, BTreeSet::from([a_arn.clone()]));
    let active: BTreeSet<String> = ecs
        .list_container_instances()
        .cluster("fleet")
        .status(ContainerInstanceStatus::Active)
        .send()
        .await
        .unwrap()
        .container_instance_arns()
        .iter()
        .cloned()
        .collect();
    assert_eq!(active, BTreeSet::from([b_arn.clone()]));

    // Back to ACTIVE, then deregister.
    let back = ecs
        .update_container_instances_state()
        .cluster("fleet")
        .container_instances(&a_arn)
        .status(ContainerInstanceStatus::Active)
        .send()
        .await
        .unwrap();
    assert_eq!(back.container_instances()[0].status(), Some("ACTIVE"));

    let gone = ecs
        .deregister_container_instance()
        .cluster("fleet")
        .container_instance(&a_arn)
        .send()
        .await
        .unwrap();
    let gone = gone.container_instance().unwrap();
    assert_eq!(gone.container_instance_arn(), Some(a_arn.as_str()));
    assert_eq!(gone.status(), Some("INACTIVE"));
    assert_eq!(
        list_instances(&ecs, "fleet", None).await,
        BTreeSet::from([b_arn.clone()])
    );
    let cluster = ecs
        .describe_clusters()
        .clusters("fleet")
        .send()
        .await
        .unwrap();
    assert_eq!(
        cluster.clusters()[0].registered_container_instances_count(),
        1
    );
}

#[tokio::test]
async fn put_list_delete_attributes() {
    let berth = Berth::start();
    let ecs = berth.client().await;
    ecs.create_cluster()
        .cluster_name("attrs")
        .send()
        .await
        .unwrap();
    let a = register_instance(&ecs, "attrs", "i-0aaaaaaaaaaaaaaaa", "us-east-1a", &[]).await;
    let b = register_instance(&ecs, "attrs", "i-0bbbbbbbbbbbbbbbb", "us-east-1b", &[]).await;
    let a_arn = a.container_instance_arn().unwrap().to_string();
    let b_arn = b.container_instance_arn().unwrap().to_string();

    let target = |name: &str, value: Option<&str>, id: &str| {
        Attribute::builder()
            .name(name)
            .set_value(value.map(str::to_string))
            .target_type(TargetType::ContainerInstance)
            .target_id(id)
            .build()
            .unwrap()
    };

    let put = ecs
        .put_attributes()
        .cluster("attrs")
        .attributes(target("tier", Some("gold"), &a_arn))
        .attributes(target("tier", Some("silver"), &b_arn))
        .attributes(target("rack", Some("r7"), &a_arn))
        .attributes(target("flag", None, &a_arn))
        .send()
        .await
        .unwrap();
    assert_eq!(put.attributes().len(), 4, "{put:?}");

    let list = |name: Option<&'static str>, value: Option<&'static str>| {
        let ecs = ecs.clone();
        async move {
            let out = ecs
                .list_attributes()
                .cluster("attrs")
                .target_type(TargetType::ContainerInstance)
                .set_attribute_name(name.map(str::to_string))
                .set_attribute_value(value.map(str::to_string))
                .send()
                .await
                .unwrap();
            out.attributes()
                .iter()
                .map(|a| {
                    assert_eq!(a.target_type(), Some(&TargetType::ContainerInstance));
                    (
                        a.target_id().unwrap_or_default().to_string(),
                        a.name().to_string(),
                        a.value().map(str::to_string),
                    )
                })
                .collect::<BTreeSet<_>>()
        }
    };

    let everything = list(None, None).await;
    for want in [
        (a_arn.clone(), "tier".to_string(), Some("gold".to_string())),
        (
            b_arn.clone(),
            "tier".to_string(),
            Some("silver".to_string()),
        ),
        (a_arn.clone(), "rack".to_string(), Some("r7".to_string())),
        (a_arn.clone(), "flag".to_string(), None),
    ] {
        assert!(everything.contains(&want), "{want:?} not in {everything:?}");
    }
    assert_eq!(
        list(Some("tier"), None).await,
        BTreeSet::from([
            (a_arn.clone(), "tier".to_string(), Some("gold".to_string())),
            (
                b_arn.clone(),
                "tier".to_string(),
                Some("silver".to_string())
            ),
        ])
    );
    assert_eq!(
        list(Some("tier"), Some("gold")).await,
        BTreeSet::from([(a_arn.clone(), "tier".to_string(), Some("gold".to_string()))])
    );

    // Custom attributes feed the cluster query language.
    assert_eq!(
        list_instances(&ecs, "attrs", Some("attribute:tier == silver")).await,
        BTreeSet::from([b_arn.clone()])
    );

    // Overwrite, then delete.
    ecs.put_attributes()
        .cluster("attrs")
        .attributes(target("tier", Some("platinum"), &a_arn))
        .send()
        .await
        .unwrap();
    let deleted = ecs
        .delete_attributes()
        .cluster("attrs")
        .attributes(target("rack", None, &a_arn))
        .send()
        .await
        .unwrap();
    assert_eq!(
        deleted
            .attributes()
            .iter()
            .map(|a| a.name())
            .collect::<Vec<_>>(),
        ["rack"]
    );
    assert!(list(Some("rack"), None).await.is_empty());

    let ci = ecs
        .describe_container_instances()
        .cluster("attrs")
        .container_instances(&a_arn)
        .send()
        .await
        .unwrap();
    let attrs = attrs_map(ci.container_instances()[0].attributes());
    assert_eq!(attrs.get("tier"), Some(&Some("platinum".to_string())));
    assert!(attrs.contains_key("flag"), "{attrs:?}");
    assert!(!attrs.contains_key("rack"), "{attrs:?}");
}

// ---------------------------------------------------------------------------
// Tags and account settings
// ---------------------------------------------------------------------------

#[tokio::test]
async fn tag_untag_list_tags_on_a_cluster() {
    let berth = Berth::start();
    let ecs = berth.client().await;
    let arn = ecs
        .create_cluster()
        .cluster_name("tagged")
        .tags(tag("created", "yes"))
        .send()
        .await
        .unwrap()
        .cluster()
        .unwrap()
        .cluster_arn()
        .unwrap()
        .to_string();

    let tags_of = || {
        let ecs = ecs.clone();
        let arn = arn.clone();
        async move {
            tags_map(
                ecs.list_tags_for_resource()
                    .resource_arn(arn)
                    .send()
                    .await
                    .unwrap()
                    .tags(),
            )
        }
    };
    let map = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };

    assert_eq!(tags_of().await, map(&[("created", "yes")]));

    ecs.tag_resource()
        .resource_arn(&arn)
        .tags(tag("env", "dev"))
        .tags(tag("owner", "alice"))
        .tags(tag("empty", ""))
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags_of().await,
        map(&[
            ("created", "yes"),
            ("env", "dev"),
            ("owner", "alice"),
            ("empty", "")
        ])
    );

    // Re-tagging a key overwrites its value.
    ecs.tag_resource()
        .resource_arn(&arn)
        .tags(tag("env", "prod"))
        .send()
        .await
        .unwrap();
    ecs.untag_resource()
        .resource_arn(&arn)
        .tag_keys("owner")
        .tag_keys("created")
        .tag_keys("never-set")
        .send()
        .await
        .unwrap();
    assert_eq!(tags_of().await, map(&[("env", "prod"), ("empty", "")]));

    // DescribeClusters include=TAGS agrees.
    let d = ecs
        .describe_clusters()
        .clusters(&arn)
        .include(aws_sdk_ecs::types::ClusterField::Tags)
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags_map(d.clusters()[0].tags()),
        map(&[("env", "prod"), ("empty", "")])
    );
}

#[tokio::test]
async fn put_and_list_account_settings() {
    let berth = Berth::start();
    let ecs = berth.client().await;
    let principal = format!("arn:aws:iam::{ACCOUNT}:user/contract");

    let put = ecs
        .put_account_setting()
        .name(SettingName::ContainerInsights)
        .value("enabled")
        .principal_arn(&principal)
        .send()
        .await
        .unwrap();
    let s = put.setting().unwrap();
    assert_eq!(s.name(), Some(&SettingName::ContainerInsights));
    assert_eq!(s.value(), Some("enabled"));
    assert_eq!(s.principal_arn(), Some(principal.as_str()));

    // Overwrite.
    ecs.put_account_setting()
        .name(SettingName::ContainerInsights)
        .value("disabled")
        .principal_arn(&principal)
        .send()
        .await
        .unwrap();

    let listed = ecs
        .list_account_settings()
        .principal_arn(&principal)
        .send()
        .await
        .unwrap();
    let got: Vec<_> = listed
        .settings()
        .iter()
        .map(|s| (s.name().cloned(), s.value(), s.principal_arn()))
        .collect();
    assert_eq!(
        got,
        [(
            Some(SettingName::ContainerInsights),
            Some("disabled"),
            Some(principal.as_str())
        )]
    );

    // Account default, and effective settings preferring the principal's own.
    let default = ecs
        .put_account_setting_default()
        .name(SettingName::AwsvpcTrunking)
        .value("enabled")
        .send()
        .await
        .unwrap();
    assert_eq!(default.setting().unwrap().value(), Some("enabled"));

    // More settings exist than fit one default page: walk them with the SDK paginator.
    let effective: Vec<_> = ecs
        .list_account_settings()
        .principal_arn(&principal)
        .effective_settings(true)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    let eff: BTreeMap<String, String> = effective
        .iter()
        .map(|s| {
            (
                s.name().map(|n| n.as_str().to_string()).unwrap_or_default(),
                s.value().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        eff.get("containerInsights").map(String::as_str),
        Some("disabled"),
        "{eff:?}"
    );
    assert_eq!(
        eff.get("awsvpcTrunking").map(String::as_str),
        Some("enabled"),
        "{eff:?}"
    );
    for name in [
        "serviceLongArnFormat",
        "taskLongArnFormat",
        "containerInstanceLongArnFormat",
    ] {
        assert!(eff.contains_key(name), "{name} not effective: {eff:?}");
    }
    assert_eq!(
        eff.len(),
        effective.len(),
        "a setting listed twice: {effective:?}"
    );

    // Filtering by name and value.
    let none = ecs
        .list_account_settings()
        .principal_arn(&principal)
        .name(SettingName::ContainerInsights)
        .value("enabled")
        .send()
        .await
        .unwrap();
    assert!(none.settings().is_empty(), "{none:?}");
}

// ---------------------------------------------------------------------------
// Error mapping
// ---------------------------------------------------------------------------

#[tokio::test]
async fn modeled_errors_come_back_as_typed_variants() {
    let berth = Berth::start();
    let ecs = berth.client().await;

    let err = ecs
        .describe_task_definition()
        .task_definition("no-such-family")
        .send()
        .await
        .unwrap_err();
    let status = err.raw_response().map(|r| r.status().as_u16());
    assert_eq!(status, Some(400), "{err:?}");
    let svc = err.into_service_error();
    assert!(
        matches!(svc, DescribeTaskDefinitionError::ClientException(_)),
        "expected ClientException, got {svc:?}"
    );
    assert_client_error(&svc, "ClientException");

    let err = ecs
        .delete_cluster()
        .cluster("no-such-cluster")
        .send()
        .await
        .unwrap_err();
    let svc = err.into_service_error();
    assert!(
        matches!(svc, DeleteClusterError::ClusterNotFoundException(_)),
        "expected ClusterNotFoundException, got {svc:?}"
    );
    assert_client_error(&svc, "ClusterNotFoundException");
}

async fn auth_error(berth: &Berth, key: &str, secret: &str) -> (Option<String>, Option<u16>) {
    let ecs = berth.client_with(key, secret).await;
    let err = ecs.list_clusters().send().await.unwrap_err();
    assert!(
        matches!(err, SdkError::ServiceError(_)),
        "expected a service error, got {err:?}"
    );
    assert!(
        !err.message().unwrap_or_default().trim().is_empty(),
        "auth error with an empty message: {err:?}"
    );
    let status = err.raw_response().map(|r| r.status().as_u16());
    (err.code().map(str::to_string), status)
}

#[tokio::test]
async fn authentication_failures_carry_aws_error_codes() {
    let berth = Berth::start();

    let (code, status) = auth_error(&berth, "test", "not-the-secret").await;
    assert_eq!(code.as_deref(), Some("InvalidSignatureException"));
    assert!(matches!(status, Some(400..=499)), "status {status:?}");

    let (code, status) = auth_error(&berth, "AKIANOTAREALKEY00000", "test").await;
    assert_eq!(code.as_deref(), Some("UnrecognizedClientException"));
    assert!(matches!(status, Some(400..=499)), "status {status:?}");

    // The server is still serving correctly signed requests.
    let ok = berth.client().await;
    assert!(ok
        .list_clusters()
        .send()
        .await
        .unwrap()
        .cluster_arns()
        .is_empty());
}

// ---------------------------------------------------------------------------
// Durability
// ---------------------------------------------------------------------------

#[tokio::test]
async fn state_survives_kill_9_and_restart() {
    let mut berth = Berth::start();
    let ecs = berth.client().await;

    ecs.create_cluster()
        .cluster_name("durable")
        .tags(tag("k", "v"))
        .send()
        .await
        .unwrap();
    ecs.create_cluster()
        .cluster_name("doomed")
        .send()
        .await
        .unwrap();
    ecs.delete_cluster().cluster("doomed").send().await.unwrap();
    let rich = ecs
        .register_task_definition()
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
        .send()
        .await
        .unwrap();
    assert_eq!(rich.task_definition().unwrap().revision(), 1);
    for expected in 1..=2 {
        assert_eq!(register_minimal(&ecs, "dur").await.revision(), expected);
    }
    ecs.deregister_task_definition()
        .task_definition("dur:1")
        .send()
        .await
        .unwrap();
    drop(ecs);

    berth.kill_and_restart();
    let ecs = berth.client().await;

    let clusters = ecs
        .describe_clusters()
        .clusters("durable")
        .clusters("doomed")
        .include(aws_sdk_ecs::types::ClusterField::Tags)
        .send()
        .await
        .unwrap();
    assert!(clusters.failures().is_empty(), "{clusters:?}");
    let status: BTreeMap<_, _> = clusters
        .clusters()
        .iter()
        .map(|c| {
            (
                c.cluster_name().unwrap_or_default(),
                c.status().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        status,
        BTreeMap::from([("durable", "ACTIVE"), ("doomed", "INACTIVE")]),
        "server log:\n{}",
        berth.log()
    );
    let durable = clusters
        .clusters()
        .iter()
        .find(|c| c.cluster_name() == Some("durable"))
        .unwrap();
    assert_eq!(
        tags_map(durable.tags()),
        BTreeMap::from([("k".to_string(), "v".to_string())])
    );
    assert_eq!(
        ecs.list_clusters().send().await.unwrap().cluster_arns(),
        [cluster_arn("durable")]
    );

    let described = ecs
        .describe_task_definition()
        .task_definition("rich:1")
        .send()
        .await
        .unwrap();
    assert_rich_task_definition(described.task_definition().unwrap(), 1);

    let dur2 = ecs
        .describe_task_definition()
        .task_definition("dur")
        .send()
        .await
        .unwrap();
    assert_eq!(dur2.task_definition().unwrap().revision(), 2);
    let dur1 = ecs
        .describe_task_definition()
        .task_definition("dur:1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        dur1.task_definition().unwrap().status(),
        Some(&TaskDefinitionStatus::Inactive)
    );

    // The revision counter survived too.
    assert_eq!(register_minimal(&ecs, "dur").await.revision(), 3);
    assert_eq!(register_minimal(&ecs, "rich").await.revision(), 2);

    // And a second crash right after those writes loses nothing either.
    drop(ecs);
    berth.kill_and_restart();
    let ecs = berth.client().await;
    assert_eq!(register_minimal(&ecs, "dur").await.revision(), 4);
}
