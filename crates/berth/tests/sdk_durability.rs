//! SDK contract test for durability: clusters, tags and task definitions (including
//! revision counters) survive `kill -9` and a restart on the same data directory.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use aws_sdk_ecs::types::TaskDefinitionStatus;
use common::fixtures::{register_minimal, tag, tags_map};
use common::rich_task_definition::{assert_rich_task_definition, register_rich};
use common::{cluster_arn, Berth};

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
    let rich = register_rich(&ecs).send().await.unwrap();
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
