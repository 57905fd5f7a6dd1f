//! ECR through aws-sdk-ecr against the real binary: a repository, GetAuthorizationToken,
//! an image pushed with the layer-upload API and PutImage, read back with DescribeImages,
//! BatchGetImage and the registry, and the API's errors as the SDK's typed errors.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use aws_sdk_ecr::error::ProvideErrorMetadata;
use aws_sdk_ecr::primitives::Blob;
use aws_sdk_ecr::types::{ImageIdentifier, LayerAvailability};
use aws_sdk_ecr::Client;
use base64::Engine;
use common::{Berth, ACCESS_KEY, ACCOUNT, SECRET_KEY};
use sha2::{Digest, Sha256};

const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

async fn ecr(berth: &Berth) -> Client {
    Client::new(&common::sdk_config(&berth.endpoint(), ACCESS_KEY, SECRET_KEY).await)
}

fn sha256(data: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(data))
}

/// Uploads `data` as a layer in two parts; answers its digest.
async fn upload_layer(ecr: &Client, repo: &str, data: &[u8]) -> String {
    let up = ecr
        .initiate_layer_upload()
        .repository_name(repo)
        .send()
        .await
        .expect("InitiateLayerUpload");
    let id = up.upload_id().expect("uploadId").to_owned();
    assert!(up.part_size().unwrap_or_default() > 0);
    let half = data.len() / 2;
    for (first, part) in [(0, &data[..half]), (half, &data[half..])] {
        let last = first + part.len() - 1;
        let out = ecr
            .upload_layer_part()
            .repository_name(repo)
            .upload_id(&id)
            .part_first_byte(first as i64)
            .part_last_byte(last as i64)
            .layer_part_blob(Blob::new(part))
            .send()
            .await
            .expect("UploadLayerPart");
        assert_eq!(out.last_byte_received(), Some(last as i64));
    }
    let digest = sha256(data);
    let done = ecr
        .complete_layer_upload()
        .repository_name(repo)
        .upload_id(&id)
        .layer_digests(&digest)
        .send()
        .await
        .expect("CompleteLayerUpload");
    assert_eq!(done.layer_digest(), Some(digest.as_str()));
    assert_eq!(done.registry_id(), Some(ACCOUNT));
    digest
}

/// A raw `GET` on the registry with the token: (status line, body).
fn registry_get(berth: &Berth, path: &str, token: &str) -> (String, Vec<u8>) {
    let addr = berth.endpoint().trim_start_matches("http://").to_owned();
    let mut s = TcpStream::connect(&addr).unwrap();
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Basic {token}\r\nAccept: {DOCKER_MANIFEST}\r\nConnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head.lines().next().unwrap_or_default().to_owned();
    (status, raw[split + 4..].to_vec())
}

#[tokio::test]
async fn an_image_pushed_through_the_layer_api() {
    let berth = Berth::start();
    let ecr = ecr(&berth).await;
    let repo = ecr
        .create_repository()
        .repository_name("team/app")
        .send()
        .await
        .expect("CreateRepository")
        .repository
        .expect("repository");
    assert_eq!(repo.repository_name(), Some("team/app"));
    assert_eq!(repo.registry_id(), Some(ACCOUNT));

    let auth = ecr.get_authorization_token().send().await.expect("token");
    let data = &auth.authorization_data()[0];
    assert_eq!(data.proxy_endpoint(), Some(berth.endpoint().as_str()));
    assert!(data.expires_at().is_some());
    let token = data
        .authorization_token()
        .expect("authorizationToken")
        .to_owned();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(&token)
        .expect("base64");
    assert!(decoded.starts_with(b"AWS:"));

    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let layer: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
    let config_digest = upload_layer(&ecr, "team/app", config).await;
    let layer_digest = upload_layer(&ecr, "team/app", &layer).await;
    let missing = sha256(b"never uploaded");
    let check = ecr
        .batch_check_layer_availability()
        .repository_name("team/app")
        .layer_digests(&layer_digest)
        .layer_digests(&missing)
        .send()
        .await
        .expect("BatchCheckLayerAvailability");
    let layers = check.layers();
    assert_eq!(layers.len(), 1);
    assert_eq!(layers[0].layer_digest(), Some(layer_digest.as_str()));
    assert_eq!(
        layers[0].layer_availability(),
        Some(&LayerAvailability::Available)
    );
    assert_eq!(layers[0].layer_size(), Some(layer.len() as i64));
    assert_eq!(check.failures().len(), 1);
    assert_eq!(check.failures()[0].layer_digest(), Some(missing.as_str()));

    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"{DOCKER_MANIFEST}","config":{{"mediaType":"application/vnd.docker.container.image.v1+json","size":{},"digest":"{config_digest}"}},"layers":[{{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":{},"digest":"{layer_digest}"}}]}}"#,
        config.len(),
        layer.len()
    );
    let digest = sha256(manifest.as_bytes());
    let put = ecr
        .put_image()
        .repository_name("team/app")
        .image_manifest(&manifest)
        .image_manifest_media_type(DOCKER_MANIFEST)
        .image_tag("v1")
        .send()
        .await
        .expect("PutImage")
        .image
        .expect("image");
    let id = put.image_id().expect("imageId");
    assert_eq!(id.image_digest(), Some(digest.as_str()));
    assert_eq!(id.image_tag(), Some("v1"));

    let described = ecr
        .describe_images()
        .repository_name("team/app")
        .send()
        .await
        .expect("DescribeImages");
    let details = described.image_details();
    assert_eq!(details.len(), 1);
    assert_eq!(details[0].image_digest(), Some(digest.as_str()));
    assert_eq!(details[0].image_tags(), ["v1".to_owned()]);
    assert_eq!(
        details[0].image_size_in_bytes(),
        Some((config.len() + layer.len()) as i64)
    );
    assert_eq!(
        details[0].image_manifest_media_type(),
        Some(DOCKER_MANIFEST)
    );
    assert!(details[0].image_pushed_at().is_some());

    let got = ecr
        .batch_get_image()
        .repository_name("team/app")
        .image_ids(ImageIdentifier::builder().image_tag("v1").build())
        .image_ids(ImageIdentifier::builder().image_tag("nope").build())
        .send()
        .await
        .expect("BatchGetImage");
    assert_eq!(got.images().len(), 1);
    assert_eq!(got.images()[0].image_manifest(), Some(manifest.as_str()));
    assert_eq!(got.failures().len(), 1);
    assert_eq!(
        got.failures()[0].failure_code().map(|c| c.as_str()),
        Some("ImageNotFound")
    );

    // The registry serves what the API stored, byte for byte.
    let (status, body) = registry_get(&berth, "/v2/team/app/manifests/v1", &token);
    assert!(status.contains(" 200 "), "{status}");
    assert_eq!(body, manifest.as_bytes());
    let (status, body) = registry_get(
        &berth,
        &format!("/v2/team/app/blobs/{layer_digest}"),
        &token,
    );
    assert!(status.contains(" 200 "), "{status}");
    assert_eq!(body, layer);
    let url = ecr
        .get_download_url_for_layer()
        .repository_name("team/app")
        .layer_digest(&layer_digest)
        .send()
        .await
        .expect("GetDownloadUrlForLayer");
    assert!(url
        .download_url()
        .is_some_and(|u| u.starts_with(&berth.endpoint()) && u.contains(&layer_digest)));
}

#[tokio::test]
async fn errors_are_the_sdks_typed_errors() {
    let berth = Berth::start();
    let ecr = ecr(&berth).await;
    ecr.create_repository()
        .repository_name("web")
        .image_tag_mutability(aws_sdk_ecr::types::ImageTagMutability::Immutable)
        .send()
        .await
        .expect("CreateRepository");

    let e = ecr
        .create_repository()
        .repository_name("web")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_repository_already_exists_exception(), "{e:?}");

    let e = ecr
        .describe_repositories()
        .repository_names("nope")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_repository_not_found_exception(), "{e:?}");

    let e = ecr
        .create_repository()
        .repository_name("Bad_Name")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_invalid_parameter_exception(), "{e:?}");

    // Layer uploads: unknown ids, parts out of order, a wrong digest.
    let e = ecr
        .upload_layer_part()
        .repository_name("web")
        .upload_id("00000000-0000-0000-0000-000000000000")
        .part_first_byte(0)
        .part_last_byte(2)
        .layer_part_blob(Blob::new(&b"abc"[..]))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_upload_not_found_exception(), "{e:?}");
    let id = ecr
        .initiate_layer_upload()
        .repository_name("web")
        .send()
        .await
        .expect("InitiateLayerUpload")
        .upload_id
        .expect("uploadId");
    ecr.upload_layer_part()
        .repository_name("web")
        .upload_id(&id)
        .part_first_byte(0)
        .part_last_byte(2)
        .layer_part_blob(Blob::new(&b"abc"[..]))
        .send()
        .await
        .expect("first part");
    let e = ecr
        .upload_layer_part()
        .repository_name("web")
        .upload_id(&id)
        .part_first_byte(10)
        .part_last_byte(12)
        .layer_part_blob(Blob::new(&b"def"[..]))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_invalid_layer_part_exception(), "{e:?}");
    let e = ecr
        .complete_layer_upload()
        .repository_name("web")
        .upload_id(&id)
        .layer_digests(sha256(b"not abc"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_invalid_layer_exception(), "{e:?}");

    // Manifests: malformed, naming layers that are not there, unchanged, an immutable tag.
    let e = ecr
        .put_image()
        .repository_name("web")
        .image_manifest("{not json")
        .image_tag("x")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_invalid_parameter_exception(), "{e:?}");
    let config = upload_layer(&ecr, "web", br#"{"os":"linux"}"#).await;
    let manifest = |layer: &str| {
        format!(
            r#"{{"schemaVersion":2,"mediaType":"{DOCKER_MANIFEST}","config":{{"mediaType":"application/vnd.docker.container.image.v1+json","size":15,"digest":"{config}"}},"layers":[{{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":5,"digest":"{layer}"}}]}}"#
        )
    };
    let e = ecr
        .put_image()
        .repository_name("web")
        .image_manifest(manifest(&sha256(b"absent")))
        .image_tag("v1")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_layers_not_found_exception(), "{e:?}");
    let layer = upload_layer(&ecr, "web", b"hello").await;
    let e = ecr
        .complete_layer_upload()
        .repository_name("web")
        .upload_id(
            ecr.initiate_layer_upload()
                .repository_name("web")
                .send()
                .await
                .expect("InitiateLayerUpload")
                .upload_id
                .expect("uploadId"),
        )
        .layer_digests(&layer)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            e.code(),
            Some("EmptyUploadException" | "LayerAlreadyExistsException")
        ),
        "{e:?}"
    );
    let good = manifest(&layer);
    ecr.put_image()
        .repository_name("web")
        .image_manifest(&good)
        .image_tag("v1")
        .send()
        .await
        .expect("PutImage");
    let e = ecr
        .put_image()
        .repository_name("web")
        .image_manifest(&good)
        .image_tag("v1")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_image_already_exists_exception(), "{e:?}");
    let other = good.replace(r#""size":5"#, r#""size":5 "#);
    let e = ecr
        .put_image()
        .repository_name("web")
        .image_manifest(&other)
        .image_tag("v1")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_image_tag_already_exists_exception(), "{e:?}");
    let e = ecr
        .put_image()
        .repository_name("web")
        .image_manifest(&good)
        .image_digest(sha256(b"something else"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_image_digest_does_not_match_exception(), "{e:?}");

    // Policies that are not there, a repository that is not empty.
    let e = ecr
        .get_lifecycle_policy()
        .repository_name("web")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_lifecycle_policy_not_found_exception(), "{e:?}");
    let e = ecr
        .get_repository_policy()
        .repository_name("web")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_repository_policy_not_found_exception(), "{e:?}");
    let e = ecr
        .delete_repository()
        .repository_name("web")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_repository_not_empty_exception(), "{e:?}");
    ecr.delete_repository()
        .repository_name("web")
        .force(true)
        .send()
        .await
        .expect("DeleteRepository force");

    // An operation Berth does not serve yet answers a ValidationException the SDK parses.
    let e = ecr.get_signing_configuration().send().await.unwrap_err();
    assert_eq!(e.code(), Some("ValidationException"), "{e:?}");
}
