//! Server certificates through IAM's handler: upload, read, rename, tag, delete, and the
//! PEM the load balancers serve — private keys stored sealed, bad uploads refused unchanged.

use std::sync::Arc;

use berth_aws::clock::SystemClock;
use berth_aws::RequestContext;
use berth_iam::{Iam, IamError};
use berth_iam_model::Operation;
use serde_json::{json, Value};

fn iam() -> (Iam, Arc<berth_store::MemStore>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("dir");
    let ring = berth_sealing::KeyRing::load_or_create(&dir.path().join("keys")).expect("ring");
    let store = Arc::new(berth_store::MemStore::default());
    let iam = Iam::open(store.clone(), Arc::new(ring), Arc::new(SystemClock)).expect("open");
    (iam, store, dir)
}

fn call(iam: &Iam, op: Operation, body: Value) -> Result<Value, IamError> {
    let ctx = RequestContext::for_account("123456789012", "us-east-1");
    let out = iam.handle(&ctx, op, body.to_string().as_bytes())?;
    Ok(serde_json::from_slice(&out).expect("json"))
}

fn self_signed(name: &str) -> (String, String) {
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = rcgen::CertificateParams::new(vec![name.to_owned()])
        .expect("params")
        .self_signed(&key)
        .expect("cert");
    (cert.pem(), key.serialize_pem())
}

#[test]
fn a_certificate_is_uploaded_read_renamed_tagged_and_deleted() {
    let (iam, store, _dir) = iam();
    let (cert, key) = self_signed("web.example");
    let up = call(
        &iam,
        Operation::UploadServerCertificate,
        json!({"ServerCertificateName": "web", "Path": "/lb/", "CertificateBody": cert,
               "PrivateKey": key, "Tags": [{"Key": "team", "Value": "edge"}]}),
    )
    .expect("upload");
    let meta = &up["ServerCertificateMetadata"];
    assert_eq!(
        meta["Arn"],
        "arn:aws:iam::123456789012:server-certificate/lb/web"
    );
    assert!(meta["ServerCertificateId"]
        .as_str()
        .is_some_and(|id| id.starts_with("ASCA") && id.len() == 20));
    assert!(meta["Expiration"].as_f64().is_some_and(|e| e > 4e9));
    assert_eq!(up["Tags"][0]["Value"], "edge");

    // The private key never reaches the store in the clear, nor the API's answers.
    let stored: String = berth_store::Store::load(&*store, "iam/server-certificate")
        .expect("load")
        .iter()
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
        .collect();
    let cert_line = cert.lines().nth(1).expect("a certificate line");
    assert!(
        stored.contains(cert_line),
        "the record is readable as stored"
    );
    let key_body = key.lines().nth(1).expect("a key line");
    assert!(!stored.contains(key_body), "the private key is sealed");
    let got = call(
        &iam,
        Operation::GetServerCertificate,
        json!({"ServerCertificateName": "web"}),
    )
    .expect("get");
    assert_eq!(got["ServerCertificate"]["CertificateBody"], cert);
    assert!(!got.to_string().contains(key_body));

    // The load balancers get the PEM by ARN.
    let arn = "arn:aws:iam::123456789012:server-certificate/lb/web";
    let pem = iam
        .server_certificate_pem("123456789012", arn)
        .expect("pem");
    assert_eq!(pem.key_pem, key);
    assert!(pem.chain_pem.starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(iam.server_certificate_pem("999999999999", arn).is_none());

    let dup = call(
        &iam,
        Operation::UploadServerCertificate,
        json!({"ServerCertificateName": "web", "CertificateBody": cert, "PrivateKey": key}),
    );
    assert!(matches!(dup, Err(IamError::EntityAlreadyExists(_))));

    call(
        &iam,
        Operation::UpdateServerCertificate,
        json!({"ServerCertificateName": "web", "NewServerCertificateName": "web2", "NewPath": "/"}),
    )
    .expect("update");
    let list = call(&iam, Operation::ListServerCertificates, json!({})).expect("list");
    let items = list["ServerCertificateMetadataList"]
        .as_array()
        .expect("list");
    assert_eq!(items.len(), 1);
    assert_eq!(
        items[0]["Arn"],
        "arn:aws:iam::123456789012:server-certificate/web2"
    );
    assert!(iam.server_certificate_pem("123456789012", arn).is_none());
    let filtered = call(
        &iam,
        Operation::ListServerCertificates,
        json!({"PathPrefix": "/lb/"}),
    )
    .expect("list");
    assert_eq!(filtered["ServerCertificateMetadataList"], json!([]));

    call(
        &iam,
        Operation::TagServerCertificate,
        json!({"ServerCertificateName": "web2", "Tags": [{"Key": "env", "Value": "dev"}]}),
    )
    .expect("tag");
    call(
        &iam,
        Operation::UntagServerCertificate,
        json!({"ServerCertificateName": "web2", "TagKeys": ["team"]}),
    )
    .expect("untag");
    let tags = call(
        &iam,
        Operation::ListServerCertificateTags,
        json!({"ServerCertificateName": "web2"}),
    )
    .expect("tags");
    assert_eq!(tags["Tags"], json!([{"Key": "env", "Value": "dev"}]));

    call(
        &iam,
        Operation::DeleteServerCertificate,
        json!({"ServerCertificateName": "web2"}),
    )
    .expect("delete");
    let gone = call(
        &iam,
        Operation::GetServerCertificate,
        json!({"ServerCertificateName": "web2"}),
    );
    assert!(matches!(gone, Err(IamError::NoSuchEntity(m)) if m.contains("web2")));
}

#[test]
fn bad_uploads_are_refused_and_store_nothing() {
    let (iam, _store, _dir) = iam();
    let (cert, _) = self_signed("a.example");
    let (_, other_key) = self_signed("b.example");
    let mismatch = call(
        &iam,
        Operation::UploadServerCertificate,
        json!({"ServerCertificateName": "a", "CertificateBody": cert, "PrivateKey": other_key}),
    );
    let e = mismatch.expect_err("mismatch");
    assert_eq!((e.code(), e.status()), ("KeyPairMismatch", 400));
    let malformed = call(
        &iam,
        Operation::UploadServerCertificate,
        json!({"ServerCertificateName": "a", "CertificateBody": "nope", "PrivateKey": other_key}),
    );
    let e = malformed.expect_err("malformed");
    assert_eq!((e.code(), e.status()), ("MalformedCertificate", 400));
    let bad_name = call(
        &iam,
        Operation::UploadServerCertificate,
        json!({"ServerCertificateName": "a b", "CertificateBody": cert, "PrivateKey": other_key}),
    );
    assert!(bad_name.is_err());
    let list = call(&iam, Operation::ListServerCertificates, json!({})).expect("list");
    assert_eq!(list["ServerCertificateMetadataList"], json!([]));
}
