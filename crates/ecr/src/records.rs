//! What ECR keeps in the record table. Keys start with the account (the registry id), so
//! registries never meet: `<account>/<repository>` for a repository, and
//! `<account>/<repository>\u{1}<x>` for what belongs to it (images by digest, tags, the blobs
//! it may serve), so a repository's children are one key range. Blob bytes live in
//! `crate::blobs`; a [`BlobRec`] says a blob is complete and verified.

use std::collections::BTreeMap;

use berth_ecr_model::shapes::{
    EncryptionConfiguration, ImageScanFinding, ImageTagMutabilityExclusionFilter,
    ReplicationConfiguration,
};
use serde::{Deserialize, Serialize};

use crate::state::State;

pub fn repo_key(account: &str, repo: &str) -> String {
    format!("{account}/{repo}")
}

/// The key of something of a repository's (`\u{1}` sorts below every name character).
pub fn child_key(account: &str, repo: &str, name: &str) -> String {
    format!("{account}/{repo}\u{1}{name}")
}

/// The key range of a repository's children.
pub fn children_of(account: &str, repo: &str) -> String {
    format!("{account}/{repo}\u{1}")
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryRec {
    pub account: String,
    pub name: String,
    /// Epoch seconds.
    pub created_at: f64,
    pub tag_mutability: String,
    #[serde(default)]
    pub mutability_exclusions: Vec<ImageTagMutabilityExclusionFilter>,
    pub scan_on_push: bool,
    pub encryption: EncryptionConfiguration,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub policy: Option<String>,
    #[serde(default)]
    pub lifecycle_policy: Option<String>,
    /// When the lifecycle policy was last applied.
    #[serde(default)]
    pub lifecycle_updated_at: Option<f64>,
    /// The policy text of the last StartLifecyclePolicyPreview.
    #[serde(default)]
    pub lifecycle_preview: Option<String>,
}
berth_commit::record!(State: RepositoryRec, "ecr/repository", repositories, |r| repo_key(
    &r.account, &r.name
));

/// One manifest (an image, an index, an artifact) in a repository, by its digest.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageRec {
    pub account: String,
    pub repo: String,
    pub digest: String,
    pub media_type: String,
    #[serde(default)]
    pub artifact_type: Option<String>,
    #[serde(default)]
    pub config_media_type: Option<String>,
    /// The manifest exactly as pushed (its digest is over these bytes).
    pub manifest: String,
    /// The manifest's config and layers (what it keeps alive).
    #[serde(default)]
    pub blobs: Vec<String>,
    /// An index's manifests (by digest, in this repository).
    #[serde(default)]
    pub children: Vec<String>,
    /// The manifest this one refers to (`subject`), for the referrers API.
    #[serde(default)]
    pub subject: Option<String>,
    pub size: i64,
    pub pushed_at: f64,
    #[serde(default)]
    pub last_pulled_at: Option<f64>,
    #[serde(default)]
    pub scan: Option<ScanRec>,
}
berth_commit::record!(State: ImageRec, "ecr/image", images, |r| child_key(
    &r.account, &r.repo, &r.digest
));

/// The last scan of an image (started, or finished with what it found); see `crate::scan`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanRec {
    /// `IN_PROGRESS`, `COMPLETE`, `FAILED` or `UNSUPPORTED_IMAGE`.
    pub status: String,
    pub description: String,
    /// When it was asked for (epoch seconds).
    #[serde(default)]
    pub started_at: f64,
    #[serde(default)]
    pub completed_at: Option<f64>,
    /// The vulnerability file's modification time, when one was checked against.
    #[serde(default)]
    pub source_updated_at: Option<f64>,
    /// Most severe first.
    #[serde(default)]
    pub findings: Vec<ImageScanFinding>,
    /// Findings by severity (`HIGH` → 2); severities without findings are absent.
    #[serde(default)]
    pub counts: BTreeMap<String, i32>,
}

/// A tag of a repository and the manifest it names.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TagRec {
    pub account: String,
    pub repo: String,
    pub tag: String,
    pub digest: String,
}
berth_commit::record!(State: TagRec, "ecr/tag", tags, |r| child_key(
    &r.account, &r.repo, &r.tag
));

/// A blob a repository may serve: it was pushed or mounted into it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepoBlobRec {
    pub account: String,
    pub repo: String,
    pub digest: String,
    pub size: u64,
}
berth_commit::record!(State: RepoBlobRec, "ecr/repository-blob", repo_blobs, |r| child_key(
    &r.account, &r.repo, &r.digest
));

/// A complete, verified blob in the content store (shared by every repository).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlobRec {
    pub digest: String,
    pub size: u64,
    /// When it was stored, linked again, or last let go by an image deleted: garbage
    /// collection leaves young blobs alone, so a blob pushed for a manifest not yet put
    /// (or pushed again soon after) is never taken from under it.
    pub stored_at: f64,
}
berth_commit::record!(State: BlobRec, "ecr/blob", blobs, |r| r.digest.clone());

/// An upload in progress (its bytes are a file named by `id` in the upload directory).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadRec {
    pub id: String,
    pub account: String,
    pub repo: String,
    pub started_at: f64,
}
berth_commit::record!(State: UploadRec, "ecr/upload", uploads, |r| r.id.clone());

/// An image to replicate to one destination registry, and how far that went.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicationRec {
    pub account: String,
    pub repo: String,
    pub digest: String,
    /// The tags pushed to point at it since it was queued.
    #[serde(default)]
    pub tags: Vec<String>,
    pub region: String,
    pub registry: String,
    /// IN_PROGRESS, COMPLETE or FAILED.
    pub status: String,
    #[serde(default)]
    pub failure: Option<String>,
    pub queued_at: f64,
    /// Rounds that found it not ready yet (an index whose manifests are still on the way).
    #[serde(default)]
    pub attempts: u32,
}

impl ReplicationRec {
    pub fn key_of(account: &str, repo: &str, digest: &str, region: &str, registry: &str) -> String {
        child_key(
            account,
            repo,
            &format!("{digest}\u{1}{region}\u{1}{registry}"),
        )
    }
}
berth_commit::record!(State: ReplicationRec, "ecr/replication", replications, |r| {
    ReplicationRec::key_of(&r.account, &r.repo, &r.digest, &r.region, &r.registry)
});

/// A replication backfill: the images that existed when it started, queued for one
/// destination.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackfillRec {
    pub id: String,
    pub account: String,
    pub region: String,
    pub registry: String,
    /// IN_PROGRESS, COMPLETE or STOPPED.
    pub status: String,
    pub started_at: f64,
    #[serde(default)]
    pub ended_at: Option<f64>,
    /// (repository, digest) of every image queued.
    pub images: Vec<(String, String)>,
}
berth_commit::record!(State: BackfillRec, "ecr/backfill", backfills, |r| r.id.clone());

/// A registry's own settings.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistryRec {
    pub account: String,
    #[serde(default)]
    pub policy: Option<String>,
    #[serde(default)]
    pub replication: Option<ReplicationConfiguration>,
    #[serde(default)]
    pub scanning: Option<serde_json::Value>,
    /// Pull through cache rules, by repository prefix.
    #[serde(default)]
    pub pull_through: BTreeMap<String, PullThroughRule>,
    /// Principals whose pulls leave lastRecordedPullTime as it is, with when each was
    /// registered.
    #[serde(default)]
    pub pull_exclusions: BTreeMap<String, f64>,
    /// Account settings (PutAccountSetting), by name.
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
    /// Repository creation templates, by prefix.
    #[serde(default)]
    pub templates: BTreeMap<String, berth_ecr_model::shapes::RepositoryCreationTemplate>,
}

/// A pull through cache rule: repositories under `prefix` are filled from an upstream
/// registry on their first pull.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PullThroughRule {
    pub prefix: String,
    /// `scheme://host[:port]` of the upstream registry.
    pub upstream_url: String,
    #[serde(default)]
    pub upstream_registry: Option<String>,
    /// The upstream's repository prefix the cache's repositories map to (`ROOT`: none).
    #[serde(default)]
    pub upstream_prefix: Option<String>,
    #[serde(default)]
    pub credential_arn: Option<String>,
    #[serde(default)]
    pub custom_role_arn: Option<String>,
    pub created_at: f64,
    pub updated_at: f64,
}

impl PullThroughRule {
    /// The upstream repository of a cache repository under this rule's prefix.
    pub fn upstream_repository(&self, repo: &str) -> Option<String> {
        let rest = if self.prefix == "ROOT" {
            repo
        } else {
            repo.strip_prefix(&self.prefix)?.strip_prefix('/')?
        };
        Some(match self.upstream_prefix.as_deref() {
            None | Some("ROOT") | Some("") => rest.to_owned(),
            Some(p) => format!("{p}/{rest}"),
        })
    }
}
berth_commit::record!(State: RegistryRec, "ecr/registry", registries, |r| r.account.clone());

/// The key authorization tokens are signed with, made once and kept, so tokens outlive a
/// restart as ECR's outlive nothing but their 12 hours.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TokenKeyRec {
    pub key: String,
}
berth_commit::record!(State: TokenKeyRec, "ecr/token-key", token_key, |_r| "key".to_owned());
