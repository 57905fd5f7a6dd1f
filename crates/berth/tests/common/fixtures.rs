//! Small helpers shared by several SDK contract test files: tags, the minimal task
//! definition, timestamp checks, and a server started with one cluster.

#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;

use aws_sdk_ecs::types::{ContainerDefinition, Tag, TaskDefinition};
use aws_sdk_ecs::Client;

use super::Berth;

pub fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build()
}

pub fn tags_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

pub fn minimal_container(name: &str) -> ContainerDefinition {
    ContainerDefinition::builder()
        .name(name)
        .image("public.ecr.aws/nginx/nginx:latest")
        .memory(128)
        .build()
}

pub async fn register_minimal(ecs: &Client, family: &str) -> TaskDefinition {
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

/// The timestamp is present and within the last hour (the SDK parsed the server's
/// epoch-seconds number into a `DateTime`).
pub fn assert_recent(t: Option<&aws_sdk_ecs::primitives::DateTime>, what: &str) {
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

/// A fresh server and a client for it, with one ACTIVE cluster named `cluster`
/// already created. Keep the returned [`Berth`] alive for as long as the client is used.
pub async fn start_with_cluster(cluster: &str) -> (Berth, Client) {
    let berth = Berth::start();
    let ecs = berth.client().await;
    ecs.create_cluster()
        .cluster_name(cluster)
        .send()
        .await
        .unwrap();
    (berth, ecs)
}
