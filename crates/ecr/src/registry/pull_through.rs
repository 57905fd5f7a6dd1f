//! Filling a pull through cache repository from its upstream on a pull: the manifest (an
//! index with its image manifests), every blob they reference streamed into the blob store
//! and verified, then the manifest pushed as any other. A cached tag is checked against the
//! upstream again once a day (as ECR does); while the upstream cannot be reached, the
//! cached image is served.

use std::sync::Arc;

use axum::http::StatusCode;
use berth_ecr_model::shapes::RCTAppliedFor;

use super::error::RegistryError;
use super::{blocking, Ask};
use crate::blobs::Digest;
use crate::content::Push;
use crate::manifest;
use crate::ops::upstream_base;
use crate::records::PullThroughRule;
use crate::upstream::UpstreamError;
use crate::Ecr;

/// A cached tag is checked against its upstream again after this long.
const RECHECK_SECS: f64 = 24.0 * 3600.0;
/// An index lists at most this many manifests that are fetched with it.
const MAX_CHILDREN: usize = 64;

fn upstream_failed(e: UpstreamError, what: &str) -> RegistryError {
    match e {
        UpstreamError::NotFound(_) => RegistryError::manifest_unknown(what),
        UpstreamError::Refused(m) => RegistryError::denied(format!(
            "the pull through cache's upstream refused {what}: {m}"
        )),
        UpstreamError::Unavailable(m) => RegistryError::new(
            StatusCode::NOT_FOUND,
            "MANIFEST_UNKNOWN",
            format!("{what} is not cached and its upstream could not be reached: {m}"),
        ),
    }
}

/// Makes `reference` of a cache repository present when a rule covers it (only for the
/// registry's own account: another account's callers pull what is cached). Answers
/// without error when nothing had to be done.
pub async fn fill(ecr: &Arc<Ecr>, ask: &Ask, reference: &str) -> Result<(), RegistryError> {
    if ask.caller.account != ask.account {
        return Ok(());
    }
    let Some(rule) = ecr.pull_through_rule(&ask.account, &ask.name) else {
        return Ok(());
    };
    let Some(upstream_repo) = rule.upstream_repository(&ask.name) else {
        return Ok(());
    };
    let is_digest = Digest::parse(reference).is_some();
    let present = ecr
        .db
        .read(|s| s.resolve(&ask.account, &ask.name, reference))
        .is_some();
    let check_key = format!("{}\u{1}{}\u{1}{reference}", ask.account, ask.name);
    if present {
        if is_digest {
            return Ok(());
        }
        let checked = ecr
            .upstream_checks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&check_key)
            .copied();
        if checked.is_some_and(|t| ecr.now() - t < RECHECK_SECS) {
            return Ok(());
        }
    }
    let what = format!("{}:{reference}", ask.name);
    let result = fetch(ecr, ask, &rule, &upstream_repo, reference).await;
    match result {
        Ok(()) => {
            ecr.upstream_checks
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(check_key, ecr.now());
            Ok(())
        }
        Err(e) if present => {
            tracing::warn!(image = %what, error = %e.message, "upstream check failed; serving the cached image");
            Ok(())
        }
        Err(e) => Err(e),
    }
    .inspect_err(|e: &RegistryError| {
        tracing::info!(image = %what, error = %e.message, "pull through cache fill failed");
    })
}

async fn fetch(
    ecr: &Arc<Ecr>,
    ask: &Ask,
    rule: &PullThroughRule,
    upstream_repo: &str,
    reference: &str,
) -> Result<(), RegistryError> {
    let base = upstream_base(&rule.upstream_url);
    let what = format!("{}:{reference}", ask.name);
    let top = ecr
        .upstream
        .manifest(&base, upstream_repo, reference)
        .await
        .map_err(|e| upstream_failed(e, &what))?;
    let parsed = manifest::parse(&top.bytes, top.media_type.as_deref()).map_err(|e| {
        RegistryError::new(
            StatusCode::NOT_FOUND,
            "MANIFEST_UNKNOWN",
            format!("the upstream's manifest of {what} cannot be cached: {e}"),
        )
    })?;
    ensure_repository(ecr, ask).await?;
    if parsed.children.len() > MAX_CHILDREN {
        return Err(RegistryError::unsupported(format!(
            "the upstream's index of {what} lists more than {MAX_CHILDREN} manifests"
        )));
    }
    for child in &parsed.children {
        let have = ecr
            .db
            .read(|s| s.resolve(&ask.account, &ask.name, child))
            .is_some();
        if have {
            continue;
        }
        let fetched = ecr
            .upstream
            .manifest(&base, upstream_repo, child)
            .await
            .map_err(|e| upstream_failed(e, &format!("{}@{child}", ask.name)))?;
        let inner =
            manifest::parse(&fetched.bytes, fetched.media_type.as_deref()).map_err(|e| {
                RegistryError::new(
                    StatusCode::NOT_FOUND,
                    "MANIFEST_UNKNOWN",
                    format!("the upstream's manifest {child} cannot be cached: {e}"),
                )
            })?;
        fetch_blobs(ecr, ask, &base, upstream_repo, &inner).await?;
        push(
            ecr,
            ask,
            fetched.bytes,
            fetched.media_type,
            None,
            Some(child.clone()),
        )
        .await?;
    }
    fetch_blobs(ecr, ask, &base, upstream_repo, &parsed).await?;
    let is_digest = Digest::parse(reference).is_some();
    let (tag, digest) = if is_digest {
        (None, Some(reference.to_owned()))
    } else {
        (Some(reference.to_owned()), None)
    };
    push(ecr, ask, top.bytes, top.media_type, tag, digest).await
}

/// Creates the cache repository on its first pull, as ECR does (by its creation template).
async fn ensure_repository(ecr: &Arc<Ecr>, ask: &Ask) -> Result<(), RegistryError> {
    let (e, account, name) = (ecr.clone(), ask.account.clone(), ask.name.clone());
    blocking(move || {
        e.create_from_template(&account, &name, RCTAppliedFor::PullThroughCache)
            .map(|_| ())
            .map_err(|err| RegistryError::from_ecr(err, &name))
    })
    .await
}

/// Streams each blob the repository does not hold yet from the upstream into the store.
async fn fetch_blobs(
    ecr: &Arc<Ecr>,
    ask: &Ask,
    base: &str,
    upstream_repo: &str,
    parsed: &manifest::Parsed,
) -> Result<(), RegistryError> {
    for blob in parsed.blobs.iter().filter(|b| !b.foreign) {
        if ecr
            .repo_blob(&ask.account, &ask.name, &blob.digest)
            .is_some()
        {
            continue;
        }
        let digest = Digest::parse(&blob.digest).ok_or_else(|| {
            RegistryError::digest_invalid(format!("invalid digest '{}'", blob.digest))
        })?;
        let stored = ecr.db.read(|s| s.blobs.get(&blob.digest).map(|b| b.size));
        if let Some(size) = stored {
            // Another repository holds it already: the cache links it, as a mount does.
            let (e, account, name, d) = (
                ecr.clone(),
                ask.account.clone(),
                ask.name.clone(),
                blob.digest.clone(),
            );
            let linked = blocking(move || {
                e.link_blob(&account, &name, &d, size)
                    .map_err(|err| RegistryError::from_ecr(err, &name))
            })
            .await?;
            if linked {
                continue;
            }
            // Collected since it was looked up: fetched again below.
        }
        let body = ecr
            .upstream
            .blob(base, upstream_repo, &blob.digest)
            .await
            .map_err(|e| upstream_failed(e, &format!("{}@{}", ask.name, blob.digest)))?;
        let (e, account, name) = (ecr.clone(), ask.account.clone(), ask.name.clone());
        let id = blocking(move || {
            e.begin_upload(&account, &name)
                .map_err(|err| RegistryError::from_ecr(err, &name))
        })
        .await?;
        if let Err(e) = store_upload(ecr, ask, &id, &digest, body).await {
            let (c, cancel_id) = (ecr.clone(), id.clone());
            let _ = blocking(move || {
                c.cancel_upload(&cancel_id)
                    .map_err(|err| RegistryError::from_ecr(err, ""))
            })
            .await;
            return Err(e);
        }
    }
    Ok(())
}

/// Streams an upstream blob into upload `id` and makes it the blob of `digest`.
async fn store_upload(
    ecr: &Arc<Ecr>,
    ask: &Ask,
    id: &str,
    digest: &Digest,
    body: axum::body::Body,
) -> Result<(), RegistryError> {
    super::uploads::receive(ecr.clone(), ask, id, None, body).await?;
    let up = ecr
        .upload(&ask.account, &ask.name, id)
        .ok_or_else(RegistryError::upload_unknown)?;
    let (e, d) = (ecr.clone(), digest.clone());
    let done = blocking(move || {
        e.complete_upload(&up, &d)
            .map_err(|err| RegistryError::from_ecr(err, &up.repo))
    })
    .await?;
    done.map(|_| ()).map_err(|fault| {
        RegistryError::new(
            StatusCode::NOT_FOUND,
            "BLOB_UNKNOWN",
            format!("the upstream's blob {digest} could not be cached: {fault}"),
        )
    })
}

async fn push(
    ecr: &Arc<Ecr>,
    ask: &Ask,
    bytes: Vec<u8>,
    media_type: Option<String>,
    tag: Option<String>,
    digest: Option<String>,
) -> Result<(), RegistryError> {
    let (e, account, name) = (ecr.clone(), ask.account.clone(), ask.name.clone());
    blocking(move || {
        let p = Push {
            account: &account,
            repo: &name,
            bytes: &bytes,
            content_type: media_type.as_deref(),
            tag: tag.as_deref(),
            digest: digest.as_deref(),
            refuse_unchanged: false,
            replicate: true,
        };
        e.push_manifest(&p)
            .map(|_| ())
            .map_err(|err| RegistryError::from_push(err, &name))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::access::Caller;
    use crate::upstream::fake::FakeUpstream;
    use crate::upstream::Fetched;
    use berth_aws::clock::SystemClock;
    use berth_aws::RequestContext;

    fn blob(text: &str) -> (String, Vec<u8>) {
        (
            Digest::sha256_of(text.as_bytes()).to_string(),
            text.as_bytes().to_vec(),
        )
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_pull_fills_the_cache_repository_from_the_upstream() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Arc::new(berth_store::MemStore::default());
        let mut ecr =
            Ecr::open(store, dir.path(), Arc::new(SystemClock), "us-east-1").expect("open");
        let fake = Arc::new(FakeUpstream::default());
        ecr.set_upstream(fake.clone());
        let ecr = Arc::new(ecr);
        let (config, config_bytes) = blob("{}");
        let (layer, layer_bytes) = blob("layer bytes");
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": manifest::OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 2},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer, "size": 11}],
        })
        .to_string();
        fake.manifests.lock().expect("lock").insert(
            ("library/app".into(), "1".into()),
            Fetched {
                media_type: Some(manifest::OCI_MANIFEST.into()),
                bytes: manifest.into_bytes(),
            },
        );
        fake.blobs
            .lock()
            .expect("lock")
            .insert(config.clone(), config_bytes);
        fake.blobs
            .lock()
            .expect("lock")
            .insert(layer.clone(), layer_bytes);
        let ctx = RequestContext::for_account("000000000000", "us-east-1");
        let rule = br#"{"ecrRepositoryPrefix":"hub","upstreamRegistryUrl":"http://up.example"}"#;
        ecr.handle(
            &ctx,
            berth_ecr_model::Operation::CreatePullThroughCacheRule,
            rule,
        )
        .expect("rule");
        let ask = |name: &str, caller: &str| Ask {
            caller: Caller {
                account: caller.into(),
                access_key_id: "test".into(),
            },
            account: "000000000000".into(),
            name: name.into(),
            query: Default::default(),
            headers: Default::default(),
        };
        // Another account's caller fills nothing; the owner does.
        fill(&ecr, &ask("hub/library/app", "111111111111"), "1")
            .await
            .expect("no fill");
        assert!(fake.calls.lock().expect("lock").is_empty());
        fill(&ecr, &ask("hub/library/app", "000000000000"), "1")
            .await
            .expect("filled");
        let image = ecr
            .db
            .read(|s| s.resolve("000000000000", "hub/library/app", "1"));
        assert!(image.is_some());
        assert_eq!(
            ecr.repo_blob("000000000000", "hub/library/app", &layer),
            Some(11)
        );
        // A second pull within a day asks the upstream nothing.
        fill(&ecr, &ask("hub/library/app", "000000000000"), "1")
            .await
            .expect("cached");
        assert_eq!(fake.calls.lock().expect("lock").len(), 1);
        // Unknown upstream tags are unknown manifests; repositories outside a rule are not
        // filled.
        let err = fill(&ecr, &ask("hub/library/app", "000000000000"), "2").await;
        assert_eq!(err.expect_err("unknown").code, "MANIFEST_UNKNOWN");
        fill(&ecr, &ask("other/app", "000000000000"), "1")
            .await
            .expect("not a cache");
        assert_eq!(fake.calls.lock().expect("lock").len(), 2);
    }
}
