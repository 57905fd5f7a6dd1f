//! Container-instance helpers: registering an instance the way the ECS agent does,
//! listing instances, and reading resources and attributes back as maps.

#![allow(dead_code, clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ecs::types::{Attribute, ContainerInstance, Resource, VersionInfo};
use aws_sdk_ecs::Client;

use super::{ACCOUNT, REGION};

/// An EC2 instance identity document as the ECS agent sends it.
pub fn identity_document(instance_id: &str, az: &str) -> String {
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
pub fn resources_map(rs: &[Resource]) -> BTreeMap<String, (String, i32, Vec<String>)> {
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
pub async fn register_instance(
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

pub fn attr(name: &str, value: Option<&str>) -> Attribute {
    Attribute::builder()
        .name(name)
        .set_value(value.map(str::to_string))
        .build()
        .unwrap()
}

pub async fn list_instances(ecs: &Client, cluster: &str, filter: Option<&str>) -> BTreeSet<String> {
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

pub fn attrs_map(attrs: &[Attribute]) -> BTreeMap<String, Option<String>> {
    attrs
        .iter()
        .map(|a| (a.name().to_string(), a.value().map(str::to_string)))
        .collect()
}
