//! Whatever a client sends to any Logs operation, the answer is a success or a 4xx error:
//! never a panic, never a server error, and a refused call changes nothing.

use std::sync::Arc;

use berth_aws::clock::SystemClock;
use berth_aws::RequestContext;
use berth_logs::Logs;
use berth_logs_model::Operation;
use proptest::prelude::*;

fn logs() -> (tempfile::TempDir, Logs) {
    let dir = tempfile::tempdir().expect("dir");
    let logs = Logs::open(
        Arc::new(berth_store::MemStore::default()),
        dir.path(),
        Arc::new(SystemClock),
    )
    .expect("open");
    (dir, logs)
}

const BODIES: &[&str] = &[
    "",
    "{}",
    "[]",
    "null",
    "{\"logGroupName\":1}",
    "{\"logGroupName\":\"\"}",
    "{\"logGroupName\":\"g\",\"logStreamName\":\"s\"}",
    "{\"logGroupName\":\"g\",\"logStreamName\":\"s\",\"logEvents\":[]}",
    "{\"logGroupName\":\"g\",\"logStreamName\":\"s\",\"logEvents\":[{\"timestamp\":-1,\"message\":\"x\"}]}",
    "{\"logGroupName\":\"g\",\"filterPattern\":\"{ $.a = \"}",
    "{\"logGroupName\":\"g\",\"nextToken\":\"f/notanumber/1\"}",
    "{\"logGroupIdentifier\":\"arn:aws:logs:us-east-1:1:log-group:\"}",
    "{\"resourceArn\":\"arn:\"}",
    "{\"limit\":0}",
    "{\"limit\":-5,\"descending\":\"yes\"}",
    "{\"retentionInDays\":2,\"logGroupName\":\"g\"}",
    "{\"logGroupName\":\"g\",\"filterName\":\"f\",\"filterPattern\":\"\",\"metricTransformations\":[]}",
    "{\"filterPattern\":\"[a, ...\",\"logEventMessages\":[\"x\"]}",
];

fn check(logs: &Logs, op: Operation, body: &[u8]) {
    let ctx = RequestContext::for_account("000000000000", "us-east-1");
    if let Err(e) = logs.handle(&ctx, op, body) {
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
    let (_dir, logs) = logs();
    let ctx = RequestContext::for_account("000000000000", "us-east-1");
    logs.handle(&ctx, Operation::CreateLogGroup, br#"{"logGroupName":"g"}"#)
        .expect("group");
    logs.handle(
        &ctx,
        Operation::CreateLogStream,
        br#"{"logGroupName":"g","logStreamName":"s"}"#,
    )
    .expect("stream");
    for op in Operation::ALL {
        for body in BODIES {
            check(&logs, *op, body.as_bytes());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn arbitrary_bodies_never_make_a_server_error(body in proptest::collection::vec(any::<u8>(), 0..200), which in 0usize..1000) {
        let (_dir, logs) = logs();
        let op = Operation::ALL[which % Operation::ALL.len()];
        check(&logs, op, &body);
    }
}
