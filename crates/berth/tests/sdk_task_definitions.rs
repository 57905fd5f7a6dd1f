//! SDK contract tests for task definitions: the rich definition round-tripping through
//! the typed model, revisions, listing, families, deregistration and deletion.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ecs::types::{SortOrder, TaskDefinitionFamilyStatus, TaskDefinitionStatus};
use common::fixtures::{assert_recent, register_minimal, tag, tags_map};
use common::rich_task_definition::{assert_rich_task_definition, register_rich};
use common::{task_definition_arn, Berth};

#[tokio::test]
async fn rich_task_definition_round_trips_through_the_typed_model() {
    let berth = Berth::start();
    let ecs = berth.client().await;

    let registered = register_rich(&ecs)
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
