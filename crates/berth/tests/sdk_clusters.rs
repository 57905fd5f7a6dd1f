//! SDK contract tests for clusters: create, describe (by name, by ARN, missing),
//! list with pagination, delete. See `common` for how the server is started.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ecs::Client;
use common::cluster_arn;
use common::fixtures::{start_with_cluster, tag, tags_map};
use common::Berth;

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
    let (_berth, ecs) = start_with_cluster("known").await;

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
