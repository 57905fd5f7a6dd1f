//! The JSON that Amazon ECS's task metadata endpoint v4 returns, built from the views.
//!
//! Keys are ECS's own (PascalCase, with `ImageID`, `TaskARN`, `IPv4Addresses`...). A key whose
//! value is absent is left out rather than written as `null`, as ECS does: `Ports`, `Labels`,
//! `Networks`, `LogOptions` when empty; `ExitCode`, `CreatedAt`, `StartedAt`, `FinishedAt`,
//! `Health`, `LogDriver` when unknown; the task's `Limits` when the task definition sets
//! neither `cpu` nor `memory`. Timestamps are RFC 3339 in UTC with as many fractional digits
//! as needed (none for a whole second), as Go writes them: `2020-10-02T00:43:06.31288465Z`.

use std::collections::BTreeMap;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use time::OffsetDateTime;

use crate::view::{ContainerView, HealthView, NetworkView, PortView, TaskView};

/// The body of `GET /v4/{token}`, and one entry of the task's `Containers`.
#[derive(Debug, Serialize)]
pub struct ContainerMetadata<'a> {
    #[serde(rename = "DockerId")]
    docker_id: &'a str,
    #[serde(rename = "Name")]
    name: &'a str,
    #[serde(rename = "DockerName")]
    docker_name: &'a str,
    #[serde(rename = "Image")]
    image: &'a str,
    #[serde(rename = "ImageID")]
    image_id: &'a str,
    #[serde(rename = "Ports", skip_serializing_if = "Vec::is_empty")]
    ports: Vec<Port<'a>>,
    #[serde(rename = "Labels", skip_serializing_if = "map_is_empty")]
    labels: &'a BTreeMap<String, String>,
    #[serde(rename = "DesiredStatus")]
    desired_status: &'a str,
    #[serde(rename = "KnownStatus")]
    known_status: &'a str,
    #[serde(rename = "ExitCode", skip_serializing_if = "Option::is_none")]
    exit_code: Option<i64>,
    #[serde(rename = "Limits")]
    limits: ContainerLimits,
    #[serde(rename = "CreatedAt", skip_serializing_if = "Option::is_none")]
    created_at: Option<String>,
    #[serde(rename = "StartedAt", skip_serializing_if = "Option::is_none")]
    started_at: Option<String>,
    #[serde(rename = "FinishedAt", skip_serializing_if = "Option::is_none")]
    finished_at: Option<String>,
    /// Always `NORMAL`: Berth runs no internal containers (ECS's `CNI_PAUSE` and the like).
    #[serde(rename = "Type")]
    container_type: &'static str,
    #[serde(rename = "LogDriver", skip_serializing_if = "Option::is_none")]
    log_driver: Option<&'a str>,
    #[serde(rename = "LogOptions", skip_serializing_if = "map_is_empty")]
    log_options: &'a BTreeMap<String, String>,
    #[serde(rename = "ContainerARN", skip_serializing_if = "str_is_empty")]
    container_arn: &'a str,
    #[serde(rename = "Networks", skip_serializing_if = "Vec::is_empty")]
    networks: Vec<Network<'a>>,
    #[serde(rename = "Health", skip_serializing_if = "Option::is_none")]
    health: Option<Health<'a>>,
}

/// The body of `GET /v4/{token}/task` and `GET /v4/{token}/taskWithTags`.
#[derive(Debug, Serialize)]
pub struct TaskMetadata<'a> {
    #[serde(rename = "Cluster")]
    cluster: &'a str,
    #[serde(rename = "ServiceName", skip_serializing_if = "Option::is_none")]
    service_name: Option<&'a str>,
    #[serde(rename = "TaskARN")]
    task_arn: &'a str,
    #[serde(rename = "Family")]
    family: &'a str,
    #[serde(rename = "Revision")]
    revision: &'a str,
    #[serde(rename = "DesiredStatus")]
    desired_status: &'a str,
    #[serde(rename = "KnownStatus")]
    known_status: &'a str,
    #[serde(rename = "Limits", skip_serializing_if = "Option::is_none")]
    limits: Option<TaskLimits>,
    #[serde(rename = "PullStartedAt", skip_serializing_if = "Option::is_none")]
    pull_started_at: Option<String>,
    #[serde(rename = "PullStoppedAt", skip_serializing_if = "Option::is_none")]
    pull_stopped_at: Option<String>,
    #[serde(rename = "ExecutionStoppedAt", skip_serializing_if = "Option::is_none")]
    execution_stopped_at: Option<String>,
    #[serde(rename = "AvailabilityZone", skip_serializing_if = "Option::is_none")]
    availability_zone: Option<&'a str>,
    #[serde(rename = "TaskTags", skip_serializing_if = "Option::is_none")]
    task_tags: Option<Tags<'a>>,
    #[serde(rename = "LaunchType", skip_serializing_if = "str_is_empty")]
    launch_type: &'a str,
    #[serde(rename = "Containers")]
    containers: Vec<ContainerMetadata<'a>>,
}

#[derive(Debug, Serialize)]
struct ContainerLimits {
    /// CPU units.
    #[serde(rename = "CPU")]
    cpu: i64,
    /// MiB.
    #[serde(rename = "Memory", skip_serializing_if = "Option::is_none")]
    memory: Option<i64>,
}

#[derive(Debug, Serialize)]
struct TaskLimits {
    /// vCPU.
    #[serde(rename = "CPU", skip_serializing_if = "Option::is_none")]
    cpu: Option<Vcpu>,
    /// MiB.
    #[serde(rename = "Memory", skip_serializing_if = "Option::is_none")]
    memory: Option<i64>,
}

#[derive(Debug, Serialize)]
struct Port<'a> {
    #[serde(rename = "ContainerPort")]
    container_port: u16,
    #[serde(rename = "Protocol")]
    protocol: &'a str,
    #[serde(rename = "HostPort")]
    host_port: u16,
    #[serde(rename = "HostIp", skip_serializing_if = "str_is_empty")]
    host_ip: &'a str,
}

#[derive(Debug, Serialize)]
struct Network<'a> {
    #[serde(rename = "NetworkMode")]
    network_mode: &'a str,
    #[serde(rename = "IPv4Addresses")]
    ipv4_addresses: &'a [String],
    #[serde(rename = "AttachmentIndex", skip_serializing_if = "Option::is_none")]
    attachment_index: Option<u32>,
    #[serde(rename = "MACAddress", skip_serializing_if = "Option::is_none")]
    mac_address: Option<&'a str>,
    #[serde(
        rename = "IPv4SubnetCIDRBlock",
        skip_serializing_if = "Option::is_none"
    )]
    ipv4_subnet_cidr_block: Option<&'a str>,
    #[serde(rename = "PrivateDNSName", skip_serializing_if = "Option::is_none")]
    private_dns_name: Option<&'a str>,
    #[serde(
        rename = "SubnetGatewayIpv4Address",
        skip_serializing_if = "Option::is_none"
    )]
    subnet_gateway_ipv4_address: Option<&'a str>,
}

/// A container's health; unlike the rest of the document its keys are camelCase.
#[derive(Debug, Serialize)]
struct Health<'a> {
    status: &'a str,
    #[serde(rename = "statusSince", skip_serializing_if = "Option::is_none")]
    status_since: Option<String>,
    #[serde(rename = "exitCode", skip_serializing_if = "Option::is_none")]
    exit_code: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<&'a str>,
}

/// Task vCPU, written as an integer when whole (`1`, not `1.0`) as Go's encoder does.
#[derive(Debug, Clone, Copy)]
struct Vcpu(f64);

impl Serialize for Vcpu {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53: beyond it not every integer is exact
        if self.0.is_finite() && self.0.fract() == 0.0 && self.0.abs() < EXACT {
            serializer.serialize_i64(self.0 as i64)
        } else {
            serializer.serialize_f64(self.0)
        }
    }
}

/// Key/value pairs written as one JSON object, in their given order.
#[derive(Debug)]
struct Tags<'a>(&'a [(String, String)]);

impl Serialize for Tags<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'a> ContainerMetadata<'a> {
    pub fn new(container: &'a ContainerView) -> Self {
        ContainerMetadata {
            docker_id: &container.docker_id,
            name: &container.name,
            docker_name: &container.docker_name,
            image: &container.image,
            image_id: &container.image_id,
            ports: container.ports.iter().map(Port::new).collect(),
            labels: &container.labels,
            desired_status: &container.desired_status,
            known_status: &container.known_status,
            exit_code: container.exit_code,
            limits: ContainerLimits {
                cpu: container.cpu,
                memory: container.memory,
            },
            created_at: container.created_at.map(rfc3339_nano),
            started_at: container.started_at.map(rfc3339_nano),
            finished_at: container.finished_at.map(rfc3339_nano),
            container_type: "NORMAL",
            log_driver: container.log_driver.as_deref(),
            log_options: &container.log_options,
            container_arn: &container.container_arn,
            networks: container.networks.iter().map(Network::new).collect(),
            health: container.health.as_ref().map(Health::new),
        }
    }
}

impl<'a> TaskMetadata<'a> {
    /// The task document; `with_tags` adds `TaskTags` (the `/taskWithTags` path).
    pub fn new(task: &'a TaskView, with_tags: bool) -> Self {
        let limits =
            (task.cpu_limit.is_some() || task.memory_limit.is_some()).then(|| TaskLimits {
                cpu: task.cpu_limit.map(Vcpu),
                memory: task.memory_limit,
            });
        TaskMetadata {
            cluster: &task.cluster,
            service_name: task.service_name.as_deref(),
            task_arn: &task.task_arn,
            family: &task.family,
            revision: &task.revision,
            desired_status: &task.desired_status,
            known_status: &task.known_status,
            limits,
            pull_started_at: task.pull_started_at.map(rfc3339_nano),
            pull_stopped_at: task.pull_stopped_at.map(rfc3339_nano),
            execution_stopped_at: task.execution_stopped_at.map(rfc3339_nano),
            availability_zone: task.availability_zone.as_deref(),
            task_tags: (with_tags && !task.task_tags.is_empty()).then(|| Tags(&task.task_tags)),
            launch_type: &task.launch_type,
            containers: task.containers.iter().map(ContainerMetadata::new).collect(),
        }
    }
}

impl<'a> Port<'a> {
    fn new(port: &'a PortView) -> Self {
        Port {
            container_port: port.container_port,
            protocol: &port.protocol,
            host_port: port.host_port,
            host_ip: &port.host_ip,
        }
    }
}

impl<'a> Network<'a> {
    fn new(network: &'a NetworkView) -> Self {
        Network {
            network_mode: &network.network_mode,
            ipv4_addresses: &network.ipv4_addresses,
            attachment_index: network.attachment_index,
            mac_address: network.mac_address.as_deref(),
            ipv4_subnet_cidr_block: network.ipv4_subnet_cidr_block.as_deref(),
            private_dns_name: network.private_dns_name.as_deref(),
            subnet_gateway_ipv4_address: network.subnet_gateway_ipv4_address.as_deref(),
        }
    }
}

impl<'a> Health<'a> {
    fn new(health: &'a HealthView) -> Self {
        Health {
            status: &health.status,
            status_since: health.status_since.map(rfc3339_nano),
            exit_code: health.exit_code,
            output: health.output.as_deref().filter(|output| !output.is_empty()),
        }
    }
}

fn map_is_empty(map: &&BTreeMap<String, String>) -> bool {
    map.is_empty()
}

fn str_is_empty(text: &&str) -> bool {
    text.is_empty()
}

/// RFC 3339 in UTC with trailing zeros of the fraction trimmed (Go's `RFC3339Nano`).
pub fn rfc3339_nano(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    let mut out = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    );
    let nanos = at.nanosecond();
    if nanos != 0 {
        let digits = format!("{nanos:09}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};
    use time::macros::datetime;

    fn to_json(value: &impl Serialize) -> Value {
        serde_json::to_value(value).expect("shapes serialize")
    }

    fn keys(value: &Value) -> Vec<&str> {
        let mut keys: Vec<&str> = value
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        keys
    }

    fn full_container() -> ContainerView {
        ContainerView {
            name: "curl".into(),
            docker_id: "ea32192c8553".into(),
            docker_name: "berth-curltest-24-curl".into(),
            image: "curltest:latest".into(),
            image_id: "sha256:d691691e".into(),
            labels: BTreeMap::from([("com.amazonaws.ecs.container-name".into(), "curl".into())]),
            desired_status: "RUNNING".into(),
            known_status: "STOPPED".into(),
            cpu: 10,
            memory: Some(128),
            created_at: Some(datetime!(2020-10-02 00:15:07.620912337 UTC)),
            started_at: Some(datetime!(2020-10-02 00:15:08 UTC)),
            finished_at: Some(datetime!(2020-10-02 02:15:08.5 +02:00)),
            exit_code: Some(137),
            health: Some(HealthView {
                status: "UNHEALTHY".into(),
                status_since: Some(datetime!(2020-10-02 00:16:00.25 UTC)),
                exit_code: Some(1),
                output: Some("curl: (7) refused".into()),
            }),
            networks: vec![NetworkView {
                network_mode: "awsvpc".into(),
                ipv4_addresses: vec!["10.0.2.100".into()],
                attachment_index: Some(0),
                mac_address: Some("0e:9e:32:c7:48:85".into()),
                ipv4_subnet_cidr_block: Some("10.0.2.0/24".into()),
                private_dns_name: Some("ip-10-0-2-100.internal".into()),
                subnet_gateway_ipv4_address: Some("10.0.2.1/24".into()),
            }],
            ports: vec![PortView {
                container_port: 80,
                protocol: "tcp".into(),
                host_port: 49153,
                host_ip: "0.0.0.0".into(),
            }],
            container_arn: "arn:aws:ecs:us-east-1:000000000000:container/abc".into(),
            log_driver: Some("awslogs".into()),
            log_options: BTreeMap::from([("awslogs-group".into(), "/ecs/curl".into())]),
        }
    }

    #[test]
    fn container_with_everything_set_has_ecs_keys_and_formats() {
        let container = full_container();
        let got = to_json(&ContainerMetadata::new(&container));
        let want = json!({
            "DockerId": "ea32192c8553",
            "Name": "curl",
            "DockerName": "berth-curltest-24-curl",
            "Image": "curltest:latest",
            "ImageID": "sha256:d691691e",
            "Ports": [{"ContainerPort": 80, "Protocol": "tcp", "HostPort": 49153, "HostIp": "0.0.0.0"}],
            "Labels": {"com.amazonaws.ecs.container-name": "curl"},
            "DesiredStatus": "RUNNING",
            "KnownStatus": "STOPPED",
            "ExitCode": 137,
            "Limits": {"CPU": 10, "Memory": 128},
            "CreatedAt": "2020-10-02T00:15:07.620912337Z",
            "StartedAt": "2020-10-02T00:15:08Z",
            "FinishedAt": "2020-10-02T00:15:08.5Z",
            "Type": "NORMAL",
            "LogDriver": "awslogs",
            "LogOptions": {"awslogs-group": "/ecs/curl"},
            "ContainerARN": "arn:aws:ecs:us-east-1:000000000000:container/abc",
            "Networks": [{
                "NetworkMode": "awsvpc",
                "IPv4Addresses": ["10.0.2.100"],
                "AttachmentIndex": 0,
                "MACAddress": "0e:9e:32:c7:48:85",
                "IPv4SubnetCIDRBlock": "10.0.2.0/24",
                "PrivateDNSName": "ip-10-0-2-100.internal",
                "SubnetGatewayIpv4Address": "10.0.2.1/24"
            }],
            "Health": {
                "status": "UNHEALTHY",
                "statusSince": "2020-10-02T00:16:00.25Z",
                "exitCode": 1,
                "output": "curl: (7) refused"
            }
        });
        assert_eq!(got, want);
    }

    #[test]
    fn container_leaves_out_absent_fields_instead_of_null() {
        let container = ContainerView {
            name: "web".into(),
            desired_status: "RUNNING".into(),
            known_status: "PENDING".into(),
            cpu: 0,
            ..Default::default()
        };
        let got = to_json(&ContainerMetadata::new(&container));
        assert_eq!(
            keys(&got),
            [
                "DesiredStatus",
                "DockerId",
                "DockerName",
                "Image",
                "ImageID",
                "KnownStatus",
                "Limits",
                "Name",
                "Type"
            ]
        );
        assert_eq!(
            got["DockerId"], "",
            "not created yet: empty, as ECS shows it"
        );
        assert_eq!(got["Limits"], json!({"CPU": 0}));
        assert!(!got.to_string().contains("null"));
    }

    #[test]
    fn bridge_network_and_port_without_host_ip_have_only_their_keys() {
        let container = ContainerView {
            networks: vec![NetworkView {
                network_mode: "bridge".into(),
                ipv4_addresses: vec!["172.17.0.5".into()],
                ..Default::default()
            }],
            ports: vec![PortView {
                container_port: 53,
                protocol: "udp".into(),
                host_port: 5353,
                host_ip: String::new(),
            }],
            health: Some(HealthView {
                status: "UNKNOWN".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let got = to_json(&ContainerMetadata::new(&container));
        assert_eq!(
            got["Networks"],
            json!([{"NetworkMode": "bridge", "IPv4Addresses": ["172.17.0.5"]}])
        );
        assert_eq!(
            got["Ports"],
            json!([{"ContainerPort": 53, "Protocol": "udp", "HostPort": 5353}])
        );
        assert_eq!(got["Health"], json!({"status": "UNKNOWN"}));
    }

    fn task() -> TaskView {
        TaskView {
            cluster: "arn:aws:ecs:us-east-1:000000000000:cluster/default".into(),
            task_arn: "arn:aws:ecs:us-east-1:000000000000:task/default/158d".into(),
            family: "curltest".into(),
            revision: "26".into(),
            desired_status: "RUNNING".into(),
            known_status: "RUNNING".into(),
            cpu_limit: Some(0.25),
            memory_limit: Some(512),
            pull_started_at: Some(datetime!(2020-10-02 00:43:06.202617438 UTC)),
            pull_stopped_at: Some(datetime!(2020-10-02 00:43:06.31288465 UTC)),
            execution_stopped_at: None,
            availability_zone: Some("us-east-1a".into()),
            launch_type: "EC2".into(),
            service_name: None,
            task_tags: vec![("team".into(), "web".into()), ("env".into(), "dev".into())],
            containers: vec![full_container(), ContainerView::default()],
        }
    }

    #[test]
    fn task_has_ecs_keys_and_all_containers() {
        let task = task();
        let got = to_json(&TaskMetadata::new(&task, false));
        assert_eq!(
            keys(&got),
            [
                "AvailabilityZone",
                "Cluster",
                "Containers",
                "DesiredStatus",
                "Family",
                "KnownStatus",
                "LaunchType",
                "Limits",
                "PullStartedAt",
                "PullStoppedAt",
                "Revision",
                "TaskARN"
            ]
        );
        assert_eq!(got["Limits"], json!({"CPU": 0.25, "Memory": 512}));
        assert_eq!(got["Revision"], "26");
        assert_eq!(got["PullStoppedAt"], "2020-10-02T00:43:06.31288465Z");
        let containers = got["Containers"].as_array().expect("Containers is a list");
        assert_eq!(containers.len(), 2);
        assert_eq!(containers[0]["Name"], "curl");
    }

    #[test]
    fn task_tags_only_with_tags_and_in_their_order() {
        let task = task();
        let got = serde_json::to_string(&TaskMetadata::new(&task, true)).expect("serializes");
        assert!(
            got.contains(r#""TaskTags":{"team":"web","env":"dev"}"#),
            "{got}"
        );
        let untagged = TaskView {
            task_tags: Vec::new(),
            ..task.clone()
        };
        let got = to_json(&TaskMetadata::new(&untagged, true));
        assert!(got.get("TaskTags").is_none());
    }

    #[test]
    fn task_limits_whole_vcpu_is_an_integer_and_absent_limits_are_omitted() {
        let mut task = task();
        task.cpu_limit = Some(1.0);
        task.memory_limit = None;
        let got = serde_json::to_string(&TaskMetadata::new(&task, false)).expect("serializes");
        assert!(got.contains(r#""Limits":{"CPU":1}"#), "{got}");

        task.cpu_limit = None;
        task.execution_stopped_at = Some(datetime!(2021-01-01 00:00:00.000000001 UTC));
        task.service_name = Some("web".into());
        let got = to_json(&TaskMetadata::new(&task, false));
        assert!(got.get("Limits").is_none());
        assert_eq!(got["ExecutionStoppedAt"], "2021-01-01T00:00:00.000000001Z");
        assert_eq!(got["ServiceName"], "web");
    }

    #[test]
    fn timestamps_are_utc_with_trimmed_fraction() {
        assert_eq!(
            rfc3339_nano(datetime!(2024-02-29 23:59:59.100 -01:00)),
            "2024-03-01T00:59:59.1Z"
        );
        assert_eq!(
            rfc3339_nano(datetime!(2024-01-05 03:04:05 UTC)),
            "2024-01-05T03:04:05Z"
        );
    }
}
