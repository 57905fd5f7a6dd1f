//! SDK contract tests for container instances: register as the agent does, describe,
//! filter with the cluster query language, drain, deregister.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ecs::types::ContainerInstanceStatus;
use common::container_instances::{attrs_map, list_instances, register_instance, resources_map};
use common::fixtures::{assert_recent, start_with_cluster};
use common::{ACCOUNT, REGION};

#[tokio::test]
async fn container_instance_register_describe_filter_drain_deregister() {
    let (_berth, ecs) = start_with_cluster("fleet").await;

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
