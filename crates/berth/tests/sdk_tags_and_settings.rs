//! SDK contract tests for resource tags (TagResource, UntagResource,
//! ListTagsForResource) and account settings (per principal, defaults, effective).

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use aws_sdk_ecs::types::SettingName;
use common::fixtures::{tag, tags_map};
use common::{Berth, ACCOUNT};

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
