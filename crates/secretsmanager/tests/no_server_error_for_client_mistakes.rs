//! Whatever a client sends to any Secrets Manager operation, the answer is a success or a
//! 4xx error: never a panic, never a server error; and a refused write changes nothing.

use std::sync::Arc;

use berth_aws::clock::SystemClock;
use berth_aws::RequestContext;
use berth_secretsmanager::SecretsManager;
use berth_secretsmanager_model::Operation;
use proptest::prelude::*;

fn sm() -> (tempfile::TempDir, SecretsManager) {
    let dir = tempfile::tempdir().expect("dir");
    let ring = berth_sealing::KeyRing::load_or_create(&dir.path().join("keys")).expect("ring");
    let sm = SecretsManager::open(
        Arc::new(berth_store::MemStore::default()),
        Arc::new(ring),
        Arc::new(SystemClock),
    )
    .expect("open");
    (dir, sm)
}

const BODIES: &[&str] = &[
    "",
    "{}",
    "[]",
    "null",
    "{\"Name\":1}",
    "{\"Name\":\"\"}",
    "{\"Name\":\"s\",\"SecretString\":\"v\",\"SecretBinary\":\"AA==\"}",
    "{\"Name\":\"n\",\"SecretBinary\":\"!!\"}",
    "{\"SecretId\":\"s\"}",
    "{\"SecretId\":\"arn:aws:secretsmanager:us-east-1:000000000000:secret:\"}",
    "{\"SecretId\":\"arn:\"}",
    "{\"SecretId\":\"s\",\"VersionId\":\"nope\",\"VersionStage\":\"AWSCURRENT\"}",
    "{\"SecretId\":\"s\",\"VersionStage\":\"AWSCURRENT\"}",
    "{\"SecretId\":\"s\",\"VersionStage\":\"AWSCURRENT\",\"RemoveFromVersionId\":\"x\"}",
    "{\"SecretId\":\"s\",\"RecoveryWindowInDays\":1}",
    "{\"SecretId\":\"s\",\"RecoveryWindowInDays\":7,\"ForceDeleteWithoutRecovery\":true}",
    "{\"SecretId\":\"s\",\"ResourcePolicy\":\"{\"}",
    "{\"SecretId\":\"s\",\"ResourcePolicy\":\"{\\\"Statement\\\":[]}\"}",
    "{\"SecretId\":\"s\",\"Tags\":[{\"Key\":\"aws:x\",\"Value\":\"1\"}]}",
    "{\"NextToken\":\"zz\"}",
    "{\"MaxResults\":0}",
    "{\"Filters\":[{\"Key\":\"name\"}]}",
    "{\"SecretIdList\":[\"s\"],\"Filters\":[]}",
    "{\"PasswordLength\":0}",
    "{\"PasswordLength\":5,\"ExcludeLowercase\":true,\"ExcludeUppercase\":true,\"ExcludeNumbers\":true,\"ExcludePunctuation\":true}",
];

fn check(sm: &SecretsManager, op: Operation, body: &[u8]) {
    let ctx = RequestContext::for_account("000000000000", "us-east-1");
    if let Err(e) = sm.handle(&ctx, op, body) {
        assert_eq!(
            e.status(),
            400,
            "{}: {e:?} for {:?}",
            op.name(),
            String::from_utf8_lossy(body)
        );
    }
}

fn value(sm: &SecretsManager) -> String {
    let ctx = RequestContext::for_account("000000000000", "us-east-1");
    let out = sm
        .handle(&ctx, Operation::GetSecretValue, br#"{"SecretId":"s"}"#)
        .expect("read");
    String::from_utf8(out).expect("utf8")
}

#[test]
fn every_operation_answers_client_mistakes_with_4xx() {
    let (_dir, sm) = sm();
    let ctx = RequestContext::for_account("000000000000", "us-east-1");
    sm.handle(
        &ctx,
        Operation::CreateSecret,
        br#"{"Name":"s","SecretString":"v"}"#,
    )
    .expect("secret");
    let before = value(&sm);
    for op in Operation::ALL {
        for body in BODIES {
            // Deleting for real would change what the next bodies meet.
            if *op == Operation::DeleteSecret && body.contains("Force") {
                continue;
            }
            check(&sm, *op, body.as_bytes());
        }
    }
    // The one secret is still there: DeleteSecret with a valid window may have scheduled
    // it, which RestoreSecret answers; its value never changed.
    sm.handle(&ctx, Operation::RestoreSecret, br#"{"SecretId":"s"}"#)
        .expect("restore");
    let after = value(&sm);
    let pick = |s: &str| {
        s.split("\"SecretString\":")
            .nth(1)
            .map(|x| x[..3].to_owned())
    };
    assert_eq!(pick(&before), pick(&after));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn arbitrary_bodies_never_make_a_server_error(body in proptest::collection::vec(any::<u8>(), 0..200), which in 0usize..1000) {
        let (_dir, sm) = sm();
        let op = Operation::ALL[which % Operation::ALL.len()];
        check(&sm, op, &body);
    }
}
