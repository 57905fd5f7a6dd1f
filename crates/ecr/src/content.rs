//! What the ECR API and the registry share: finding a repository, pushing a manifest,
//! deleting images, linking blobs to repositories, finishing uploads, and the garbage
//! collection of blobs nothing references.

use std::collections::HashSet;
use std::sync::Arc;

use berth_ecr_model::shapes::ImageTagMutabilityExclusionFilter;

use crate::blobs::{Digest, UploadFault};
use crate::error::{EcrError, Result};
use crate::manifest::{self, ManifestError};
use crate::records::*;
use crate::state::{Db, State, Tx};
use crate::Ecr;

/// The largest manifest ECR takes.
pub const MAX_MANIFEST_BYTES: usize = 4 * 1024 * 1024;

/// How long a blob no manifest references is kept by default (a client pushes layers
/// before the manifest that names them); see [`crate::Timings`].
pub const GC_GRACE_SECS: f64 = 3600.0;

/// The token key, made at first start.
pub(crate) fn token_key(db: &Db) -> Result<Vec<u8>> {
    if let Some(k) = db.read(|s| s.token_key.get("key").cloned()) {
        if let Ok(bytes) = hex::decode(&k.key) {
            return Ok(bytes);
        }
    }
    let key = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    db.write(|tx| tx.put(TokenKeyRec { key: key.clone() }))?;
    hex::decode(&key).map_err(|e| EcrError::Server(e.to_string()))
}

/// A repository name as ECR takes it: 2-256 characters, lower-case components of
/// `[a-z0-9]` separated by `.`, `_` or `-`, joined by `/`.
pub fn valid_repository_name(name: &str) -> bool {
    if name.len() < 2 || name.len() > 256 {
        return false;
    }
    let sep = |c: &u8| b"._-".contains(c);
    name.split('/').all(|part| {
        let b = part.as_bytes();
        b.first().is_some_and(u8::is_ascii_alphanumeric)
            && b.last().is_some_and(u8::is_ascii_alphanumeric)
            && b.iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || sep(c))
            && !b.windows(2).any(|w| sep(&w[0]) && sep(&w[1]))
    })
}

/// A tag as the distribution spec takes it: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
pub fn valid_tag(tag: &str) -> bool {
    let b = tag.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"._-".contains(c))
}

/// The caller's repository `name` in registry `account`.
pub fn repository(state: &State, account: &str, name: &str) -> Result<Arc<RepositoryRec>> {
    state
        .repositories
        .get(&repo_key(account, name))
        .cloned()
        .ok_or_else(|| EcrError::no_repository(account, name))
}

/// Whether `tag` may not be moved in `repo`.
pub fn tag_is_immutable(repo: &RepositoryRec, tag: &str) -> bool {
    let excluded = || matches_any(&repo.mutability_exclusions, tag);
    match repo.tag_mutability.as_str() {
        "IMMUTABLE" => true,
        "IMMUTABLE_WITH_EXCLUSION" => !excluded(),
        "MUTABLE_WITH_EXCLUSION" => excluded(),
        _ => false,
    }
}

fn matches_any(filters: &[ImageTagMutabilityExclusionFilter], tag: &str) -> bool {
    filters
        .iter()
        .filter_map(|f| f.filter.as_deref())
        .any(|f| wildcard(f.as_bytes(), tag.as_bytes()))
}

/// `*` matches any run of characters; everything else itself.
pub fn wildcard(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|i| wildcard(rest, &text[i..])),
        Some((c, rest)) => text.first() == Some(c) && wildcard(rest, &text[1..]),
    }
}

/// A manifest to push.
pub struct Push<'a> {
    pub account: &'a str,
    pub repo: &'a str,
    pub bytes: &'a [u8],
    pub content_type: Option<&'a str>,
    /// A tag to point at it.
    pub tag: Option<&'a str>,
    /// The digest the client says it has (a by-digest push, PutImage's imageDigest).
    pub digest: Option<&'a str>,
    /// PutImage answers ImageAlreadyExists for a push that changes nothing; the registry
    /// takes it again.
    pub refuse_unchanged: bool,
    /// Queued for replication by the registry's configuration (not for an image that
    /// arrives by replication).
    pub replicate: bool,
}

/// Why a push was refused, for each surface to word its own way.
#[derive(Debug)]
pub enum PushError {
    Ecr(EcrError),
    Manifest(ManifestError),
    TooLarge,
    BlobsUnknown(Vec<String>),
    ManifestsUnknown(Vec<String>),
    DigestMismatch { claimed: String, actual: String },
    TagImmutable { tag: String },
    Unchanged { digest: String, tag: Option<String> },
}

impl From<EcrError> for PushError {
    fn from(e: EcrError) -> Self {
        PushError::Ecr(e)
    }
}

impl Ecr {
    /// Stores a manifest (and moves a tag to it); durable on return.
    pub fn push_manifest(&self, p: &Push<'_>) -> Result<Arc<ImageRec>, PushError> {
        if p.bytes.len() > MAX_MANIFEST_BYTES {
            return Err(PushError::TooLarge);
        }
        if let Some(tag) = p.tag {
            if !valid_tag(tag) {
                return Err(PushError::Ecr(EcrError::invalid(format!(
                    "Invalid parameter at 'imageTag' failed to satisfy constraint: 'the tag {tag} is not a valid image tag'"
                ))));
            }
        }
        let parsed = manifest::parse(p.bytes, p.content_type).map_err(PushError::Manifest)?;
        let text = std::str::from_utf8(p.bytes).map_err(|_| {
            PushError::Manifest(ManifestError::Invalid("the manifest is not UTF-8".into()))
        })?;
        let actual = match p.digest.map(|d| (d, Digest::parse(d))) {
            Some((d, None)) => {
                return Err(PushError::DigestMismatch {
                    claimed: d.to_owned(),
                    actual: Digest::sha256_of(p.bytes).to_string(),
                })
            }
            Some((_, Some(claimed))) => {
                let actual = claimed.same_algorithm_of(p.bytes);
                if actual != claimed {
                    return Err(PushError::DigestMismatch {
                        claimed: claimed.to_string(),
                        actual: actual.to_string(),
                    });
                }
                actual
            }
            None => Digest::sha256_of(p.bytes),
        };
        let digest = actual.to_string();
        let now = self.now();
        let out = self.db.write(|tx| {
            let repo = repository(tx.state, p.account, p.repo)?;
            let missing: Vec<String> = parsed
                .blobs
                .iter()
                .filter(|b| !b.foreign)
                .filter(|b| {
                    !tx.state
                        .repo_blobs
                        .contains_key(&child_key(p.account, p.repo, &b.digest))
                })
                .map(|b| b.digest.clone())
                .collect();
            if !missing.is_empty() {
                return Ok(Err(PushError::BlobsUnknown(missing)));
            }
            let missing: Vec<String> = parsed
                .children
                .iter()
                .filter(|c| {
                    !tx.state
                        .images
                        .contains_key(&child_key(p.account, p.repo, c))
                })
                .cloned()
                .collect();
            if !missing.is_empty() {
                return Ok(Err(PushError::ManifestsUnknown(missing)));
            }
            let key = child_key(p.account, p.repo, &digest);
            let existing = tx.state.images.get(&key).cloned();
            if let Some(tag) = p.tag {
                let current = tx
                    .state
                    .tags
                    .get(&child_key(p.account, p.repo, tag))
                    .map(|t| t.digest.clone());
                match current {
                    Some(d) if d == digest && p.refuse_unchanged && existing.is_some() => {
                        return Ok(Err(PushError::Unchanged {
                            digest: digest.clone(),
                            tag: Some(tag.to_owned()),
                        }));
                    }
                    Some(d) if d != digest && tag_is_immutable(&repo, tag) => {
                        return Ok(Err(PushError::TagImmutable {
                            tag: tag.to_owned(),
                        }))
                    }
                    _ => {}
                }
                tx.put(TagRec {
                    account: p.account.to_owned(),
                    repo: p.repo.to_owned(),
                    tag: tag.to_owned(),
                    digest: digest.clone(),
                })?;
            } else if p.refuse_unchanged && existing.is_some() {
                return Ok(Err(PushError::Unchanged {
                    digest: digest.clone(),
                    tag: None,
                }));
            }
            let image = match existing {
                Some(e) => e,
                None => {
                    let rec = ImageRec {
                        account: p.account.to_owned(),
                        repo: p.repo.to_owned(),
                        digest: digest.clone(),
                        media_type: parsed.media_type.clone(),
                        artifact_type: parsed.artifact_type.clone(),
                        config_media_type: parsed.config_media_type.clone(),
                        manifest: text.to_owned(),
                        blobs: parsed.blobs.iter().map(|b| b.digest.clone()).collect(),
                        children: parsed.children.clone(),
                        subject: parsed.subject.clone(),
                        size: parsed.size,
                        pushed_at: now,
                        last_pulled_at: None,
                        scan: None,
                    };
                    // scanOnPush (the repository's, or a registry rule's): a new image is
                    // scanned (an index or artifact is not one).
                    let on_push =
                        repo.scan_on_push || crate::ops::scans_on_push(tx.state, p.account, p.repo);
                    let scan_it = on_push
                        && crate::scan::unscannable(
                            &rec.media_type,
                            rec.config_media_type.as_deref(),
                        )
                        .is_none();
                    let rec = ImageRec {
                        scan: scan_it.then(|| crate::scan::requested(now)),
                        ..rec
                    };
                    tx.put(rec.clone())?;
                    Arc::new(rec)
                }
            };
            if p.replicate && self.enqueue_replication(tx, &image, p.tag, now)? {
                self.replication_wake.notify_one();
            }
            Ok(Ok(image))
        })?;
        if out.as_ref().is_ok_and(|i| i.scan.is_some()) {
            self.scanning.wake.notify_one();
        }
        out
    }

    /// Deletes an image by digest (with its tags), or a tag (and the image, when that was
    /// its last tag). Answers the image's digest and the tags removed.
    pub fn delete_image(
        &self,
        account: &str,
        repo: &str,
        reference: &str,
    ) -> Result<Result<(String, Vec<String>), ImageRefused>> {
        let now = self.now();
        self.db
            .write(|tx| delete_image_in(tx, account, repo, reference, now))
    }

    /// Records that `repo` may serve a blob the registry holds (a cross-repository mount).
    /// Answers false if the blob is gone (collected since the caller looked).
    pub fn link_blob(&self, account: &str, repo: &str, digest: &str, size: u64) -> Result<bool> {
        let now = self.now();
        let _publishing = self.publishing.read().unwrap_or_else(|p| p.into_inner());
        self.db.write(|tx| {
            repository(tx.state, account, repo)?;
            if !tx.state.blobs.contains_key(digest) {
                return Ok(false);
            }
            link_in(tx, account, repo, digest, size, now)?;
            Ok(true)
        })
    }

    /// Starts an upload into a repository.
    pub fn begin_upload(&self, account: &str, repo: &str) -> Result<String> {
        self.db.read(|s| repository(s, account, repo))?;
        let id = uuid::Uuid::new_v4().to_string();
        // The upload file exists before its record: the collector must not see it between.
        let _publishing = self.publishing.read().unwrap_or_else(|p| p.into_inner());
        self.blobs.begin(&id)?;
        let now = self.now();
        let rec = UploadRec {
            id: id.clone(),
            account: account.to_owned(),
            repo: repo.to_owned(),
            started_at: now,
        };
        self.db.write(|tx| {
            repository(tx.state, account, repo)?;
            tx.put(rec)
        })?;
        Ok(id)
    }

    /// The upload `id` of a repository, if it is one.
    pub fn upload(&self, account: &str, repo: &str, id: &str) -> Option<Arc<UploadRec>> {
        self.db
            .read(|s| s.uploads.get(id).cloned())
            .filter(|u| u.account == account && u.repo == repo)
    }

    /// Verifies an upload against `digest` and makes it a blob of its repository.
    pub fn complete_upload(
        &self,
        up: &UploadRec,
        digest: &Digest,
    ) -> Result<Result<u64, UploadFault>> {
        match self.blobs.prepare(&up.id, digest.algorithm) {
            Ok(()) => {}
            Err(UploadFault::Io(e)) => return Err(e.into()),
            Err(f) => return Ok(Err(f)),
        }
        // The blob file exists before its record: the collector must not see it between
        // (prepared, the upload's bytes are not read again while the collector waits).
        let _publishing = self.publishing.read().unwrap_or_else(|p| p.into_inner());
        let done = match self.blobs.complete(&up.id, digest) {
            Ok(d) => d,
            Err(UploadFault::Io(e)) => return Err(e.into()),
            Err(f) => return Ok(Err(f)),
        };
        let now = self.now();
        let linked = self.db.write(|tx| {
            // Cancelled, or its repository deleted, while the bytes were checked: the blob
            // is no blob of that repository (the collector takes the file).
            let live = tx.state.uploads.contains_key(&up.id)
                && tx
                    .state
                    .repositories
                    .contains_key(&repo_key(&up.account, &up.repo));
            if !live {
                return Ok(false);
            }
            tx.delete::<UploadRec>(&up.id);
            link_in(
                tx,
                &up.account,
                &up.repo,
                &done.digest.to_string(),
                done.size,
                now,
            )?;
            Ok(true)
        })?;
        if !linked {
            return Ok(Err(UploadFault::Unknown(up.id.clone())));
        }
        Ok(Ok(done.size))
    }

    /// Gives up an upload.
    pub fn cancel_upload(&self, id: &str) -> Result<()> {
        self.db.write(|tx| {
            tx.delete::<UploadRec>(id);
            Ok(())
        })?;
        self.blobs.remove_upload(id)?;
        Ok(())
    }

    /// Whether `repo` may serve blob `digest`, and its size.
    pub fn repo_blob(&self, account: &str, repo: &str, digest: &str) -> Option<u64> {
        self.db.read(|s| {
            s.repo_blobs
                .get(&child_key(account, repo, digest))
                .map(|b| b.size)
        })
    }

    /// Removes blobs no manifest references (older than the grace period), uploads left
    /// behind for longer than a day, and files the store has no record of. Answers how many
    /// blobs went.
    pub fn collect_garbage(&self) -> Result<usize> {
        let grace = self.timings.gc_grace_secs;
        // No upload is begun or completed while files are judged and removed.
        let _publishing = self.publishing.write().unwrap_or_else(|p| p.into_inner());
        let now = self.now();
        let (files, upload_files) = self.blobs.list()?;
        let state = self.db.snapshot();
        let referenced: HashSet<&str> = state
            .images
            .values()
            .flat_map(|i| i.blobs.iter().map(String::as_str))
            .collect();
        let doomed: Vec<String> = state
            .blobs
            .values()
            .filter(|b| now - b.stored_at > grace && !referenced.contains(b.digest.as_str()))
            .map(|b| b.digest.clone())
            .collect();
        let stale_uploads: Vec<String> = state
            .uploads
            .values()
            .filter(|u| now - u.started_at > 86_400.0)
            .map(|u| u.id.clone())
            .collect();
        let mut removed = Vec::new();
        if !doomed.is_empty() || !stale_uploads.is_empty() {
            removed = self.db.write(|tx| {
                let still: HashSet<String> = tx
                    .state
                    .images
                    .values()
                    .flat_map(|i| i.blobs.iter().cloned())
                    .collect();
                let mut gone = Vec::new();
                for d in &doomed {
                    // Referenced or stored again (a fresh upload of it) since the snapshot.
                    let fresh = tx
                        .state
                        .blobs
                        .get(d)
                        .is_none_or(|b| now - b.stored_at <= grace);
                    if still.contains(d) || fresh {
                        continue;
                    }
                    tx.delete::<BlobRec>(d);
                    let links: Vec<String> = tx
                        .state
                        .repo_blobs
                        .iter()
                        .filter(|(_, l)| &l.digest == d)
                        .map(|(k, _)| k.clone())
                        .collect();
                    for k in links {
                        tx.delete::<RepoBlobRec>(&k);
                    }
                    gone.push(d.clone());
                }
                for id in &stale_uploads {
                    tx.delete::<UploadRec>(id);
                }
                Ok(gone)
            })?;
        }
        for d in removed.iter().filter_map(|d| Digest::parse(d)) {
            self.blobs.remove_blob(&d)?;
        }
        // Files without a record: a crash between writing a blob and committing it, or an
        // upload whose record is gone.
        let state = self.db.snapshot();
        for d in files {
            if !state.blobs.contains_key(&d.to_string()) {
                self.blobs.remove_blob(&d)?;
            }
        }
        for id in upload_files {
            if !state.uploads.contains_key(&id) && !id.starts_with("put-") {
                self.blobs.remove_upload(&id)?;
            }
        }
        for id in stale_uploads {
            self.blobs.remove_upload(&id)?;
        }
        // What the registry holds on disk, after each collection, for the operator.
        let blobs = self.db.read(|s| s.blobs.len());
        match self.blobs.disk_usage() {
            Ok(bytes) => {
                tracing::info!(blobs, bytes, removed = removed.len(), "registry storage")
            }
            Err(e) => tracing::warn!(error = %e, "registry storage could not be measured"),
        }
        Ok(removed.len())
    }
}

pub(crate) fn link_in(
    tx: &mut Tx<'_>,
    account: &str,
    repo: &str,
    digest: &str,
    size: u64,
    now: f64,
) -> Result<()> {
    // Linked again (uploaded or mounted anew): the grace period starts over, as the
    // manifest naming it may follow.
    if tx.state.blobs.get(digest).is_none_or(|b| b.stored_at < now) {
        tx.put(BlobRec {
            digest: digest.to_owned(),
            size,
            stored_at: now,
        })?;
    }
    if !tx
        .state
        .repo_blobs
        .contains_key(&child_key(account, repo, digest))
    {
        tx.put(RepoBlobRec {
            account: account.to_owned(),
            repo: repo.to_owned(),
            digest: digest.to_owned(),
            size,
        })?;
    }
    Ok(())
}

/// Why an image could not be deleted (ECR's ImageFailureCode words).
#[derive(Debug, Clone, PartialEq)]
pub enum ImageRefused {
    NotFound,
    ReferencedByIndex(String),
}

/// Deletes an image (see [`Ecr::delete_image`]) in `tx`. The blobs of what it deletes start
/// their grace period `now`: a client pushing the image again within it (its layers still
/// answer HEAD, so it skips them) finds them there.
pub(crate) fn delete_image_in(
    tx: &mut Tx<'_>,
    account: &str,
    repo: &str,
    reference: &str,
    now: f64,
) -> Result<std::result::Result<(String, Vec<String>), ImageRefused>> {
    let Some(image) = tx.state.resolve(account, repo, reference) else {
        return Ok(Err(ImageRefused::NotFound));
    };
    let tags = tx.state.tags_of(account, repo, &image.digest);
    let by_tag = !reference.contains(':');
    if by_tag && tags.len() > 1 {
        tx.delete::<TagRec>(&child_key(account, repo, reference));
        return Ok(Ok((image.digest.clone(), vec![reference.to_owned()])));
    }
    let parents: Vec<String> = State::under(&tx.state.images, &children_of(account, repo))
        .filter(|(_, i)| i.children.contains(&image.digest))
        .map(|(_, i)| i.digest.clone())
        .collect();
    if let Some(parent) = parents.first() {
        if by_tag {
            tx.delete::<TagRec>(&child_key(account, repo, reference));
            return Ok(Ok((image.digest.clone(), vec![reference.to_owned()])));
        }
        return Ok(Err(ImageRefused::ReferencedByIndex(parent.clone())));
    }
    for t in &tags {
        tx.delete::<TagRec>(&child_key(account, repo, t));
    }
    tx.delete::<ImageRec>(&child_key(account, repo, &image.digest));
    let mut released: Vec<String> = image.blobs.clone();
    // An index takes its untagged children with it, unless another index lists them.
    for child in &image.children {
        let listed_elsewhere = State::under(&tx.state.images, &children_of(account, repo))
            .any(|(_, i)| i.children.contains(child));
        if !listed_elsewhere && tx.state.tags_of(account, repo, child).is_empty() {
            let key = child_key(account, repo, child);
            if let Some(c) = tx.state.images.get(&key) {
                released.extend(c.blobs.iter().cloned());
            }
            tx.delete::<ImageRec>(&key);
        }
    }
    for d in released {
        if let Some(b) = tx.state.blobs.get(&d).filter(|b| b.stored_at < now) {
            let mut b = (**b).clone();
            b.stored_at = now;
            tx.put(b)?;
        }
    }
    Ok(Ok((image.digest.clone(), tags)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_names_follow_ecr() {
        for ok in ["web", "team/web", "a.b-c_d", "ns/sub/app1"] {
            assert!(valid_repository_name(ok), "{ok}");
        }
        for bad in [
            "a", "Web", "-web", "web-", "a//b", "/web", "web/", "a..b", "a__b", "a b",
        ] {
            assert!(!valid_repository_name(bad), "{bad}");
        }
    }

    #[test]
    fn tags_follow_the_distribution_spec() {
        assert!(valid_tag("v1.2.3-rc_1"));
        assert!(valid_tag("_x"));
        assert!(!valid_tag(".x"));
        assert!(!valid_tag(""));
        assert!(!valid_tag(&"a".repeat(129)));
        assert!(!valid_tag("a:b"));
    }

    #[test]
    fn an_upload_completed_after_its_repository_went_links_nothing() {
        use berth_aws::RequestContext;
        use berth_ecr_model::Operation;
        let (_dir, ecr) = crate::tests::ecr();
        let ctx = RequestContext::for_account("000000000000", "us-east-1");
        let create = br#"{"repositoryName":"web"}"#;
        ecr.handle(&ctx, Operation::CreateRepository, create)
            .expect("create");
        let id = ecr.begin_upload("000000000000", "web").expect("begin");
        let up = ecr.upload("000000000000", "web", &id).expect("upload");
        let mut a = ecr.blobs.append(&id, Some(0)).expect("append");
        a.write(b"layer").expect("write");
        a.finish().expect("finish");
        // The repository is deleted while the client's closing PUT is under way: its write
        // is in, the upload file not removed yet.
        ecr.db
            .write(|tx| {
                tx.delete::<UploadRec>(&id);
                tx.delete::<RepositoryRec>(&repo_key("000000000000", "web"));
                Ok(())
            })
            .expect("delete");
        ecr.handle(&ctx, Operation::CreateRepository, create)
            .expect("create again");
        let digest = Digest::sha256_of(b"layer");
        let done = ecr.complete_upload(&up, &digest).expect("no server error");
        assert!(matches!(done, Err(UploadFault::Unknown(_))), "{done:?}");
        assert_eq!(
            ecr.repo_blob("000000000000", "web", &digest.to_string()),
            None
        );
    }

    #[test]
    fn wildcards_match_runs() {
        assert!(wildcard(b"release-*", b"release-1"));
        assert!(wildcard(b"*", b""));
        assert!(wildcard(b"a*b*c", b"axxbyyc"));
        assert!(!wildcard(b"a*b", b"ac"));
    }
}
