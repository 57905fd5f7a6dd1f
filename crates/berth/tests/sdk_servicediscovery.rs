//! Cloud Map through the official Rust SDK (AWS JSON 1.1) against the real binary:
//! namespaces, services, instances, discovery with the `data-` host prefix turned back to
//! the endpoint's host by an interceptor (what a Rust client of a local endpoint needs),
//! and Cloud Map's errors as the SDK's typed errors.

#![allow(clippy::unwrap_used)]

mod common;

use aws_sdk_servicediscovery::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_servicediscovery::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_servicediscovery::error::{BoxError, ProvideErrorMetadata};
use aws_sdk_servicediscovery::types::{DnsConfig, DnsRecord, RecordType, RoutingPolicy};
use common::{Berth, ACCESS_KEY, SECRET_KEY};

/// Sends `data-<host>` requests to `<host>`: a local endpoint has no `data-` name.
#[derive(Debug)]
struct NoHostPrefix;

impl Intercept for NoHostPrefix {
    fn name(&self) -> &'static str {
        "NoHostPrefix"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        let uri = request.uri().replacen("://data-", "://", 1);
        request.set_uri(uri)?;
        if let Some(host) = request.headers().get("host").map(str::to_owned) {
            request
                .headers_mut()
                .insert("host", host.trim_start_matches("data-").to_owned());
        }
        Ok(())
    }
}

#[tokio::test]
async fn cloud_map_through_the_rust_sdk() {
    let berth = Berth::start();
    let cfg = common::sdk_config(&berth.endpoint(), ACCESS_KEY, SECRET_KEY).await;
    let conf = aws_sdk_servicediscovery::config::Builder::from(&cfg)
        .interceptor(NoHostPrefix)
        .build();
    let sd = aws_sdk_servicediscovery::Client::from_conf(conf);

    let op = sd
        .create_private_dns_namespace()
        .name("sdk.internal")
        .vpc("vpc-1")
        .send()
        .await
        .expect("CreatePrivateDnsNamespace");
    let got = sd
        .get_operation()
        .operation_id(op.operation_id().unwrap())
        .send()
        .await
        .expect("GetOperation");
    let operation = got.operation().unwrap();
    assert_eq!(operation.status().map(|s| s.as_str()), Some("SUCCESS"));
    let ns = operation
        .targets()
        .unwrap()
        .get(&aws_sdk_servicediscovery::types::OperationTargetType::Namespace)
        .unwrap()
        .clone();

    let svc = sd
        .create_service()
        .name("api")
        .namespace_id(&ns)
        .dns_config(
            DnsConfig::builder()
                .routing_policy(RoutingPolicy::Multivalue)
                .dns_records(
                    DnsRecord::builder()
                        .r#type(RecordType::A)
                        .ttl(10)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("CreateService")
        .service
        .unwrap();
    assert_eq!(svc.name(), Some("api"));
    assert!(svc.create_date().is_some());
    let svc_id = svc.id().unwrap().to_owned();

    sd.register_instance()
        .service_id(&svc_id)
        .instance_id("i-1")
        .attributes("AWS_INSTANCE_IPV4", "10.4.0.1")
        .attributes("stage", "blue")
        .send()
        .await
        .expect("RegisterInstance");
    let found = sd
        .discover_instances()
        .namespace_name("sdk.internal")
        .service_name("api")
        .query_parameters("stage", "blue")
        .send()
        .await
        .expect("DiscoverInstances");
    let instances = found.instances();
    assert_eq!(instances.len(), 1);
    assert_eq!(instances[0].instance_id(), Some("i-1"));
    assert_eq!(
        instances[0]
            .attributes()
            .unwrap()
            .get("AWS_INSTANCE_IPV4")
            .map(String::as_str),
        Some("10.4.0.1")
    );
    assert!(found.instances_revision().is_some());

    // Cloud Map's errors, typed.
    let err = sd
        .get_service()
        .id("srv-doesnotexist000")
        .send()
        .await
        .expect_err("no such service");
    assert!(
        err.as_service_error().unwrap().is_service_not_found(),
        "{err:?}"
    );
    let err = sd
        .delete_namespace()
        .id(&ns)
        .send()
        .await
        .expect_err("in use");
    assert_eq!(err.code(), Some("ResourceInUse"));
    let err = sd
        .register_instance()
        .service_id(&svc_id)
        .instance_id("i-2")
        .attributes("nothing", "useful")
        .send()
        .await
        .expect_err("no address");
    assert_eq!(err.code(), Some("InvalidInput"));
}
