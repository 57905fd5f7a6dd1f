//! Basic scanning through the ECR API: images pushed layer by layer, scanned by the job,
//! their findings read back.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use base64::Engine;
use berth_aws::clock::SystemClock;
use berth_aws::RequestContext;
use berth_ecr::Ecr;
use berth_ecr_model::Operation;
use serde_json::{json, Value};
use sha2::Digest as _;

struct World {
    ecr: Ecr,
    ctx: RequestContext,
    _dir: tempfile::TempDir,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let ecr = Ecr::open(
        Arc::new(berth_store::MemStore::default()),
        dir.path(),
        Arc::new(SystemClock),
        "us-east-1",
    )
    .unwrap();
    World {
        ecr,
        ctx: RequestContext::for_account("000000000000", "us-east-1"),
        _dir: dir,
    }
}

impl World {
    fn call(&self, op: Operation, body: Value) -> Result<Value, (String, String)> {
        self.ecr
            .handle(&self.ctx, op, body.to_string().as_bytes())
            .map(|b| serde_json::from_slice(&b).unwrap())
            .map_err(|e| (e.code().to_owned(), e.to_string()))
    }

    fn ok(&self, op: Operation, body: Value) -> Value {
        self.call(op, body).unwrap()
    }

    fn upload(&self, repo: &str, bytes: &[u8]) -> String {
        let digest = format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)));
        let id = self.ok(
            Operation::InitiateLayerUpload,
            json!({"repositoryName": repo}),
        )["uploadId"]
            .as_str()
            .unwrap()
            .to_owned();
        if !bytes.is_empty() {
            self.ok(
                Operation::UploadLayerPart,
                json!({"repositoryName": repo, "uploadId": id, "partFirstByte": 0,
                       "partLastByte": bytes.len() - 1,
                       "layerPartBlob": base64::engine::general_purpose::STANDARD.encode(bytes)}),
            );
        }
        match self.call(
            Operation::CompleteLayerUpload,
            json!({"repositoryName": repo, "uploadId": id, "layerDigests": [digest]}),
        ) {
            Ok(_) => {}
            Err((code, _)) if code == "LayerAlreadyExistsException" => {}
            Err(e) => panic!("{e:?}"),
        }
        digest
    }

    /// Pushes an image of one layer holding `files`; answers its digest.
    fn push(&self, repo: &str, tag: &str, files: &[(&str, &str)]) -> String {
        let config =
            br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
        let layer = tar(files);
        let config_digest = self.upload(repo, config);
        let layer_digest = self.upload(repo, &layer);
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": config_digest, "size": config.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                        "digest": layer_digest, "size": layer.len()}],
        });
        let out = self.ok(
            Operation::PutImage,
            json!({"repositoryName": repo, "imageTag": tag, "imageManifest": manifest.to_string()}),
        );
        out["image"]["imageId"]["imageDigest"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    fn findings(&self, repo: &str, tag: &str, extra: Value) -> Result<Value, (String, String)> {
        let mut body = json!({"repositoryName": repo, "imageId": {"imageTag": tag}});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        self.call(Operation::DescribeImageScanFindings, body)
    }
}

fn tar(files: &[(&str, &str)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, text) in files {
        let mut h = tar::Header::new_ustar();
        h.set_size(text.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, path, text.as_bytes()).unwrap();
    }
    b.into_inner().unwrap()
}

const STATUS: &str = "Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\n\
Source: openssl\nVersion: 3.0.11-1~deb12u1\n\nPackage: zlib1g\nStatus: install ok installed\n\
Architecture: amd64\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\n\n";

fn debian_files() -> Vec<(&'static str, &'static str)> {
    vec![
        ("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n"),
        ("var/lib/dpkg/status", STATUS),
    ]
}

const VULNS: &str = r#"{"vulnerabilities": [
  {"id": "CVE-2023-5678", "package": "openssl", "os": "debian:12", "fixedVersion": "3.0.11-1~deb12u2",
   "severity": "HIGH", "description": "DH checks", "uri": "https://example.invalid/CVE-2023-5678", "cvss3Score": 5.3},
  {"id": "CVE-2022-0001", "package": "openssl", "os": "debian:12", "fixedVersion": "3.0.2-1", "severity": "CRITICAL"},
  {"id": "CVE-2018-25032", "package": "zlib", "os": "debian", "severity": "medium"},
  {"id": "CVE-2099-0002", "package": "zlib", "os": "debian:11", "severity": "CRITICAL"}
]}"#;

#[test]
fn a_scan_checks_the_packages_against_the_vulnerability_file() {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("vulns.json");
    std::fs::write(&file, VULNS).unwrap();
    w.ecr.set_vulnerability_file(&file).unwrap();
    w.ok(
        Operation::CreateRepository,
        json!({"repositoryName": "web"}),
    );
    let digest = w.push("web", "v1", &debian_files());

    // Not scanned yet: there is no scan to describe.
    let (code, _) = w.findings("web", "v1", json!({})).unwrap_err();
    assert_eq!(code, "ScanNotFoundException");

    let started = w.ok(
        Operation::StartImageScan,
        json!({"repositoryName": "web", "imageId": {"imageTag": "v1"}}),
    );
    assert_eq!(started["imageScanStatus"]["status"], "IN_PROGRESS");
    assert_eq!(started["imageId"]["imageDigest"], digest.as_str());
    let (code, _) = w
        .call(
            Operation::StartImageScan,
            json!({"repositoryName": "web", "imageId": {"imageDigest": digest}}),
        )
        .unwrap_err();
    assert_eq!(code, "LimitExceededException");
    let pending = w.findings("web", "v1", json!({})).unwrap();
    assert_eq!(pending["imageScanStatus"]["status"], "IN_PROGRESS");
    assert!(pending.get("imageScanFindings").is_none());

    assert!(!w.ecr.run_scans().unwrap());
    let out = w.findings("web", "v1", json!({})).unwrap();
    assert_eq!(out["imageScanStatus"]["status"], "COMPLETE", "{out}");
    let desc = out["imageScanStatus"]["description"].as_str().unwrap();
    assert!(desc.contains("2 packages of debian:12"), "{desc}");
    let f = &out["imageScanFindings"];
    let names: Vec<&str> = f["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["CVE-2023-5678", "CVE-2018-25032"]);
    assert_eq!(f["findingSeverityCounts"], json!({"HIGH": 1, "MEDIUM": 1}));
    let first = &f["findings"][0];
    assert_eq!(first["severity"], "HIGH");
    assert_eq!(first["uri"], "https://example.invalid/CVE-2023-5678");
    let attrs: Vec<(String, String)> = first["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["key"].as_str().unwrap().into(),
                a["value"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        attrs.contains(&("package_name".into(), "libssl3".into())),
        "{attrs:?}"
    );
    assert!(attrs.contains(&("package_version".into(), "3.0.11-1~deb12u1".into())));
    assert!(attrs.contains(&("fixed_in_version".into(), "3.0.11-1~deb12u2".into())));
    let mtime = std::fs::metadata(&file)
        .unwrap()
        .modified()
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!((f["vulnerabilitySourceUpdatedAt"].as_f64().unwrap() - mtime).abs() < 1.0);
    assert!(f["imageScanCompletedAt"].as_f64().is_some());

    // Pages of one finding.
    let p1 = w.findings("web", "v1", json!({"maxResults": 1})).unwrap();
    assert_eq!(
        p1["imageScanFindings"]["findings"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let token = p1["nextToken"].as_str().unwrap();
    let p2 = w
        .findings("web", "v1", json!({"maxResults": 1, "nextToken": token}))
        .unwrap();
    assert_eq!(
        p2["imageScanFindings"]["findings"][0]["name"],
        "CVE-2018-25032"
    );
    assert!(p2.get("nextToken").is_none());

    // DescribeImages summarises the scan.
    let d = w.ok(Operation::DescribeImages, json!({"repositoryName": "web"}));
    let detail = &d["imageDetails"][0];
    assert_eq!(detail["imageScanStatus"]["status"], "COMPLETE");
    assert_eq!(
        detail["imageScanFindingsSummary"]["findingSeverityCounts"],
        json!({"HIGH": 1, "MEDIUM": 1})
    );
}

#[test]
fn scan_on_push_scans_new_images_and_unsupported_images_say_why() {
    let w = world();
    w.ok(
        Operation::CreateRepository,
        json!({"repositoryName": "app", "imageScanningConfiguration": {"scanOnPush": true}}),
    );
    w.push("app", "deb", &debian_files());
    w.push("app", "static", &[("app", "\x7fELF")]);
    for tag in ["deb", "static"] {
        let out = w.findings("app", tag, json!({})).unwrap();
        assert_eq!(out["imageScanStatus"]["status"], "IN_PROGRESS");
    }
    w.ecr.run_scans().unwrap();

    // Without a vulnerability file: inventoried, nothing claimed.
    let out = w.findings("app", "deb", json!({})).unwrap();
    assert_eq!(out["imageScanStatus"]["status"], "COMPLETE");
    let desc = out["imageScanStatus"]["description"].as_str().unwrap();
    assert!(desc.contains("no vulnerabilities were checked"), "{desc}");
    assert!(desc.contains("2 packages"), "{desc}");
    assert_eq!(out["imageScanFindings"]["findings"], json!([]));
    assert!(out["imageScanFindings"]
        .get("vulnerabilitySourceUpdatedAt")
        .is_none());

    let out = w.findings("app", "static", json!({})).unwrap();
    assert_eq!(out["imageScanStatus"]["status"], "UNSUPPORTED_IMAGE");
    let desc = out["imageScanStatus"]["description"].as_str().unwrap();
    assert!(desc.contains("no package database"), "{desc}");
    assert!(out.get("imageScanFindings").is_none());
}

#[test]
fn an_unusable_vulnerability_file_fails_the_scan_and_is_refused_up_front() {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("vulns.json");
    let err = w.ecr.set_vulnerability_file(&file).unwrap_err();
    assert!(err.to_string().contains("vulns.json"), "{err}");
    std::fs::write(&file, VULNS).unwrap();
    w.ecr.set_vulnerability_file(&file).unwrap();
    w.ok(
        Operation::CreateRepository,
        json!({"repositoryName": "web"}),
    );
    w.push("web", "v1", &debian_files());
    // The operator breaks the file after the start: the scan says so, and checks nothing.
    std::fs::write(&file, r#"{"vulnerabilities": [{"id": "CVE-1"}]}"#).unwrap();
    w.ok(
        Operation::StartImageScan,
        json!({"repositoryName": "web", "imageId": {"imageTag": "v1"}}),
    );
    w.ecr.run_scans().unwrap();
    let out = w.findings("web", "v1", json!({})).unwrap();
    assert_eq!(out["imageScanStatus"]["status"], "FAILED");
    let desc = out["imageScanStatus"]["description"].as_str().unwrap();
    assert!(desc.contains("no vulnerabilities were checked"), "{desc}");
    assert!(desc.contains("missing field `package`"), "{desc}");
    // Fixed again: a new scan completes.
    std::fs::write(&file, VULNS).unwrap();
    w.ok(
        Operation::StartImageScan,
        json!({"repositoryName": "web", "imageId": {"imageTag": "v1"}}),
    );
    w.ecr.run_scans().unwrap();
    let out = w.findings("web", "v1", json!({})).unwrap();
    assert_eq!(out["imageScanStatus"]["status"], "COMPLETE");
}

#[test]
fn scan_requests_name_real_images() {
    let w = world();
    w.ok(
        Operation::CreateRepository,
        json!({"repositoryName": "web"}),
    );
    let (code, _) = w
        .call(
            Operation::StartImageScan,
            json!({"repositoryName": "web", "imageId": {"imageTag": "nope"}}),
        )
        .unwrap_err();
    assert_eq!(code, "ImageNotFoundException");
    let (code, _) = w.findings("web", "nope", json!({})).unwrap_err();
    assert_eq!(code, "ImageNotFoundException");
    let (code, _) = w
        .call(
            Operation::StartImageScan,
            json!({"repositoryName": "nope", "imageId": {"imageTag": "v1"}}),
        )
        .unwrap_err();
    assert_eq!(code, "RepositoryNotFoundException");
}
