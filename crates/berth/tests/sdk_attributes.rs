//! SDK contract tests for custom attributes on container instances: PutAttributes,
//! ListAttributes with filters, DeleteAttributes, and their use in cluster queries.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use aws_sdk_ecs::types::{Attribute, TargetType};
use common::container_instances::{attrs_map, list_instances, register_instance};
use common::fixtures::start_with_cluster;

#[tokio::test]
async fn put_list_delete_attributes() {
    let (_berth, ecs) = start_with_cluster("attrs").await;
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
