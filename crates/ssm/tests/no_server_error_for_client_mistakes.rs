//! Whatever a client sends to any SSM operation, the answer is a success or a 4xx error:
//! never a panic, never a server error; and a refused write changes nothing.

use std::sync::Arc;

use berth_aws::clock::SystemClock;
use berth_aws::RequestContext;
use berth_ssm::Ssm;
use berth_ssm_model::Operation;
use proptest::prelude::*;

fn ssm() -> (tempfile::TempDir, Ssm) {
    let dir = tempfile::tempdir().expect("dir");
    let ring = berth_sealing::KeyRing::load_or_create(&dir.path().join("keys")).expect("ring");
    let ssm = Ssm::open(
        Arc::new(berth_store::MemStore::default()),
        Arc::new(ring),
        Arc::new(SystemClock),
    )
    .expect("open");
    (dir, ssm)
}

/// Bodies for the parameter operations; the tag operations get the parameter's name.
const BODIES: &[&str] = &[
    "",
    "{}",
    "[]",
    "null",
    "{\"Name\":1}",
    "{\"Name\":\"\"}",
    "{\"Name\":\"/p\",\"Value\":\"other\"}",
    "{\"Name\":\"/p\",\"Value\":\"other\",\"Overwrite\":true,\"Tags\":[{\"Key\":\"a\",\"Value\":\"b\"}]}",
    "{\"Name\":\"/p\",\"Value\":\"abc\",\"Overwrite\":true,\"AllowedPattern\":\"^\\\\d+$\"}",
    "{\"Name\":\"/p\",\"Value\":\"1\",\"Overwrite\":true,\"AllowedPattern\":\"(\"}",
    "{\"Name\":\"/p\",\"Value\":\"1\",\"Overwrite\":true,\"Tier\":\"Standard\",\"DataType\":\"nope\"}",
    "{\"Name\":\"/p\",\"Value\":\"1\",\"Overwrite\":true,\"Type\":\"String\",\"KeyId\":\"k\"}",
    "{\"Name\":\"a/b\",\"Value\":\"v\"}",
    "{\"Name\":\"/aws/x\",\"Value\":\"v\"}",
    "{\"Name\":\"/p:\"}",
    "{\"Name\":\"/p:99\"}",
    "{\"Name\":\"/p:nolabel\"}",
    "{\"Name\":\"arn:aws:ssm:eu-west-1:000000000000:parameter/p\"}",
    "{\"Names\":[\"/p\",\"/q\"]}",
    "{\"Path\":\"p\"}",
    "{\"Path\":\"/\",\"ParameterFilters\":[{\"Key\":\"Name\",\"Values\":[\"x\"]}]}",
    "{\"ParameterFilters\":[{\"Key\":\"Path\",\"Option\":\"Equals\",\"Values\":[\"/\"]}]}",
    "{\"Filters\":[{\"Key\":\"Name\",\"Values\":[\"p\"]}],\"ParameterFilters\":[]}",
    "{\"NextToken\":\"zz\",\"Path\":\"/\"}",
    "{\"Name\":\"/p\",\"ParameterVersion\":7,\"Labels\":[\"x\"]}",
    "{\"Name\":\"/p\",\"Labels\":[\"1bad\",\"aws-x\"]}",
    "{\"ResourceType\":\"Document\",\"ResourceId\":\"/p\"}",
    "{\"ResourceType\":\"Parameter\",\"ResourceId\":\"/nope\",\"Tags\":[]}",
    "{\"ResourceType\":\"Parameter\",\"ResourceId\":\"/p\",\"Tags\":[{\"Key\":\"aws:x\",\"Value\":\"1\"}]}",
];

fn check(ssm: &Ssm, op: Operation, body: &[u8]) {
    let ctx = RequestContext::for_account("000000000000", "us-east-1");
    if let Err(e) = ssm.handle(&ctx, op, body) {
        assert_eq!(
            e.status(),
            400,
            "{}: {e:?} for {:?}",
            op.name(),
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn every_operation_answers_client_mistakes_with_4xx() {
    let (_dir, ssm) = ssm();
    let ctx = RequestContext::for_account("000000000000", "us-east-1");
    ssm.handle(
        &ctx,
        Operation::PutParameter,
        br#"{"Name":"/p","Value":"1","Type":"SecureString"}"#,
    )
    .expect("parameter");
    for op in Operation::ALL {
        if matches!(op, Operation::DeleteParameter | Operation::DeleteParameters) {
            continue; // they would succeed, and change what the next bodies meet
        }
        for body in BODIES {
            check(&ssm, *op, body.as_bytes());
        }
    }
    let out = ssm
        .handle(
            &ctx,
            Operation::GetParameter,
            br#"{"Name":"/p","WithDecryption":true}"#,
        )
        .expect("still there");
    let text = String::from_utf8(out).expect("utf8");
    assert!(
        text.contains(r#""Value":"1""#) && text.contains(r#""Version":1"#),
        "{text}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn arbitrary_bodies_never_make_a_server_error(body in proptest::collection::vec(any::<u8>(), 0..200), which in 0usize..1000) {
        let (_dir, ssm) = ssm();
        let op = Operation::ALL[which % Operation::ALL.len()];
        check(&ssm, op, &body);
    }
}
