//! Whatever a client sends to any Cloud Map operation, the answer is a success or a 4xx
//! error: never a panic, never a server error; and the DNS view stays buildable.

use std::sync::Arc;

use berth_aws::clock::SystemClock;
use berth_aws::RequestContext;
use berth_servicediscovery::CloudMap;
use berth_servicediscovery_model::Operation;
use proptest::prelude::*;

fn map() -> CloudMap {
    CloudMap::open(
        Arc::new(berth_store::MemStore::default()),
        Arc::new(SystemClock),
    )
    .expect("open")
}

const BODIES: &[&str] = &[
    "",
    "{}",
    "[]",
    "null",
    "{\"Name\":1}",
    "{\"Name\":\"\",\"Vpc\":\"v\"}",
    "{\"Name\":\"bad name\",\"Vpc\":\"v\"}",
    "{\"Name\":\"a..b\",\"Vpc\":\"v\"}",
    "{\"Name\":\"arn:x\"}",
    "{\"Id\":\"ns-nope\"}",
    "{\"Id\":\"arn:aws:servicediscovery:us-east-1:000000000000:namespace/ns-nope\"}",
    "{\"Id\":\"arn:bad\"}",
    "{\"Name\":\"svc\",\"NamespaceId\":\"NS\",\"DnsConfig\":{\"DnsRecords\":[]}}",
    "{\"Name\":\"svc\",\"NamespaceId\":\"NS\",\"DnsConfig\":{\"DnsRecords\":[{\"Type\":\"A\",\"TTL\":-1}]}}",
    "{\"Name\":\"svc\",\"NamespaceId\":\"NS\",\"DnsConfig\":{\"DnsRecords\":[{\"Type\":\"A\",\"TTL\":1},{\"Type\":\"A\",\"TTL\":1}]}}",
    "{\"Name\":\"svc2\",\"NamespaceId\":\"NS\",\"HealthCheckConfig\":{\"Type\":\"TCP\",\"ResourcePath\":\"/\"}}",
    "{\"ServiceId\":\"SRV\",\"InstanceId\":\"i 1\",\"Attributes\":{}}",
    "{\"ServiceId\":\"SRV\",\"InstanceId\":\"i1\",\"Attributes\":{\"AWS_INSTANCE_IPV4\":\"x\"}}",
    "{\"ServiceId\":\"SRV\",\"InstanceId\":\"i1\",\"Attributes\":{\"AWS_INSTANCE_IPV4\":\"10.0.0.1\",\"AWS_INSTANCE_PORT\":\"0\"}}",
    "{\"ServiceId\":\"SRV\",\"InstanceId\":\"nope\",\"Status\":\"HEALTHY\"}",
    "{\"ServiceId\":\"SRV\",\"Instances\":[\"nope\"]}",
    "{\"ServiceId\":\"SRV\",\"Attributes\":{}}",
    "{\"NamespaceName\":\"x\",\"ServiceName\":\"y\",\"MaxResults\":0}",
    "{\"NamespaceName\":\"ns.internal\",\"ServiceName\":\"nope\"}",
    "{\"OperationId\":\"nope\"}",
    "{\"Filters\":[{\"Name\":\"NOPE\",\"Values\":[\"x\"]}]}",
    "{\"Filters\":[{\"Name\":\"TYPE\",\"Values\":[],\"Condition\":\"EQ\"}]}",
    "{\"Filters\":[{\"Name\":\"UPDATE_DATE\",\"Values\":[\"a\",\"b\"],\"Condition\":\"BETWEEN\"}]}",
    "{\"NextToken\":\"zz\"}",
    "{\"ResourceARN\":\"nope\",\"Tags\":[]}",
    "{\"ResourceARN\":\"arn:aws:servicediscovery:us-east-1:000000000000:namespace/NS\",\"Tags\":[{\"Key\":\"aws:x\",\"Value\":\"1\"}]}",
];

#[test]
fn every_operation_answers_client_mistakes_with_4xx() {
    let map = map();
    let ctx = RequestContext::for_account("000000000000", "us-east-1");
    let op = map
        .handle(
            &ctx,
            Operation::CreatePrivateDnsNamespace,
            br#"{"Name":"ns.internal","Vpc":"v"}"#,
        )
        .expect("namespace");
    let op: serde_json::Value = serde_json::from_slice(&op).expect("json");
    let got = map
        .handle(
            &ctx,
            Operation::GetOperation,
            format!(
                r#"{{"OperationId":"{}"}}"#,
                op["OperationId"].as_str().unwrap_or_default()
            )
            .as_bytes(),
        )
        .expect("operation");
    let got: serde_json::Value = serde_json::from_slice(&got).expect("json");
    let ns = got["Operation"]["Targets"]["NAMESPACE"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let svc = map
        .handle(
            &ctx,
            Operation::CreateService,
            format!(r#"{{"Name":"web","NamespaceId":"{ns}","DnsConfig":{{"DnsRecords":[{{"Type":"A","TTL":5}}]}}}}"#).as_bytes(),
        )
        .expect("service");
    let svc: serde_json::Value = serde_json::from_slice(&svc).expect("json");
    let svc = svc["Service"]["Id"].as_str().unwrap_or_default().to_owned();
    for op in Operation::ALL {
        if matches!(op, Operation::DeleteNamespace | Operation::DeleteService) {
            continue; // they would succeed, and change what the next bodies meet
        }
        for body in BODIES {
            let body = body.replace("NS", &ns).replace("SRV", &svc);
            if let Err(e) = map.handle(&ctx, *op, body.as_bytes()) {
                assert_eq!(e.status(), 400, "{}: {e:?} for {body}", op.name());
            }
        }
    }
    // What was refused left the namespace and its service as they were.
    let zones = map.zones();
    assert_eq!(zones.zone_count(), 1);
    let listed = map
        .handle(&ctx, Operation::ListServices, b"{}")
        .expect("list");
    assert!(String::from_utf8_lossy(&listed).contains("\"Name\":\"web\""));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn arbitrary_bodies_never_make_a_server_error(body in proptest::collection::vec(any::<u8>(), 0..200), which in 0usize..1000) {
        let map = map();
        let ctx = RequestContext::for_account("000000000000", "us-east-1");
        let op = Operation::ALL[which % Operation::ALL.len()];
        if let Err(e) = map.handle(&ctx, op, &body) {
            prop_assert_eq!(e.status(), 400);
        }
    }
}
