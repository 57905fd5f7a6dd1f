//! Replication of pushed images by the registry's replication configuration.
//!
//! A push queues one [`ReplicationRec`] per destination its rules name, in the push's own
//! write (so an acknowledged push is never left unreplicated by a crash); the replicator job
//! copies each queued image and records COMPLETE or FAILED (DescribeImageReplicationStatus
//! reads them). A destination in this region (another account's registry) gets the image
//! in place: blobs are shared by content, so only records are written. The destination
//! registry's policy must allow the source account `ecr:ReplicateImage` (and
//! `ecr:CreateRepository` where the repository does not exist yet), as ECR requires. Berth
//! serves one region per process: a destination in another region is pushed to the Berth
//! endpoint serving it ([`crate::peers`]), or fails with a reason where none is named.
//! Images that arrive by replication are not replicated again.

use std::sync::Arc;

use berth_ecr_model::shapes::{RCTAppliedFor, RepositoryFilterType};
use berth_iam_policy::{resource_grant, Grant, Principal, Request};

use crate::content::{self, Push};
use crate::error::Result;
use crate::records::{ImageRec, ReplicationRec};
use crate::state::{State, Tx};
use crate::Ecr;

pub const IN_PROGRESS: &str = "IN_PROGRESS";
pub const COMPLETE: &str = "COMPLETE";
pub const FAILED: &str = "FAILED";
/// Rounds an index may wait for its manifests to be replicated first.
const MAX_ATTEMPTS: u32 = 30;

enum Outcome {
    Complete,
    Failed(String),
    NotYet,
}

/// The destinations (region, registry) the configuration of `account`'s registry names for
/// repository `repo`, without the source itself.
fn destinations(state: &State, account: &str, region: &str, repo: &str) -> Vec<(String, String)> {
    let Some(config) = state
        .registries
        .get(account)
        .and_then(|r| r.replication.clone())
    else {
        return Vec::new();
    };
    let mut out: Vec<(String, String)> = Vec::new();
    for rule in config.rules.iter().flatten() {
        let filters = rule.repository_filters.as_deref().unwrap_or_default();
        let matches = filters.is_empty()
            || filters.iter().any(|f| {
                matches!(
                    f.filter_type,
                    None | Some(RepositoryFilterType::PrefixMatch)
                ) && repo.starts_with(f.filter.as_deref().unwrap_or_default())
            });
        if !matches {
            continue;
        }
        for d in rule.destinations.iter().flatten() {
            let dest = (
                d.region.clone().unwrap_or_default(),
                d.registry_id.clone().unwrap_or_else(|| account.to_owned()),
            );
            let is_source = dest.0 == region && dest.1 == account;
            if !is_source && !out.contains(&dest) {
                out.push(dest);
            }
        }
    }
    out
}

/// Queues `image` for one destination (again, if it went there before), with `tags`
/// added to those it carries.
pub(crate) fn queue(
    tx: &mut Tx<'_>,
    image: &ImageRec,
    tags: &[String],
    region: &str,
    registry: &str,
    now: f64,
) -> Result<()> {
    let key = ReplicationRec::key_of(&image.account, &image.repo, &image.digest, region, registry);
    let mut rec = match tx.state.replications.get(&key) {
        Some(r) => (**r).clone(),
        None => ReplicationRec {
            account: image.account.clone(),
            repo: image.repo.clone(),
            digest: image.digest.clone(),
            tags: Vec::new(),
            region: region.to_owned(),
            registry: registry.to_owned(),
            status: IN_PROGRESS.into(),
            failure: None,
            queued_at: now,
            attempts: 0,
        },
    };
    for t in tags {
        if !rec.tags.iter().any(|x| x == t) {
            rec.tags.push(t.clone());
            rec.status = IN_PROGRESS.into();
            rec.failure = None;
        }
    }
    tx.put(rec)
}

/// The destinations the registry configuration of `account` names, for any repository.
pub(crate) fn configured(state: &State, account: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let rules = state
        .registries
        .get(account)
        .and_then(|r| r.replication.clone())
        .and_then(|c| c.rules)
        .unwrap_or_default();
    for d in rules.iter().flat_map(|r| r.destinations.iter().flatten()) {
        let dest = (
            d.region.clone().unwrap_or_default(),
            d.registry_id.clone().unwrap_or_else(|| account.to_owned()),
        );
        if !out.contains(&dest) {
            out.push(dest);
        }
    }
    out
}

/// Whether the configuration of `account` sends `repo` to `dest`.
pub(crate) fn sends(
    state: &State,
    account: &str,
    region: &str,
    repo: &str,
    dest: &(String, String),
) -> bool {
    destinations(state, account, region, repo).contains(dest)
}

impl Ecr {
    /// Queues the replication of a pushed image (and its new tag) in the push's write.
    pub(crate) fn enqueue_replication(
        &self,
        tx: &mut Tx<'_>,
        image: &ImageRec,
        tag: Option<&str>,
        now: f64,
    ) -> Result<bool> {
        let dests = destinations(tx.state, &image.account, &self.region, &image.repo);
        let tags: Vec<String> = tag.map(str::to_owned).into_iter().collect();
        for (region, registry) in &dests {
            queue(tx, image, &tags, region, registry, now)?;
        }
        Ok(!dests.is_empty())
    }

    /// Replicates what is queued. What must wait (an index whose manifests are on their
    /// way) is tried again on the job's next round: the answer is always "no more now".
    pub fn run_replication(&self) -> Result<bool> {
        let mut queued: Vec<Arc<ReplicationRec>> = self.db.read(|s| {
            s.replications
                .values()
                .filter(|r| r.status == IN_PROGRESS)
                .cloned()
                .collect()
        });
        queued.sort_by(|a, b| a.queued_at.total_cmp(&b.queued_at));
        for rec in queued {
            let outcome = self.replicate(&rec)?;
            let mut next = (*rec).clone();
            match outcome {
                Outcome::Complete => next.status = COMPLETE.into(),
                Outcome::Failed(why) => {
                    tracing::warn!(repo = %rec.repo, digest = %rec.digest, region = %rec.region, registry = %rec.registry, reason = %why, "replication failed");
                    next.status = FAILED.into();
                    next.failure = Some(why);
                }
                Outcome::NotYet if rec.attempts + 1 >= MAX_ATTEMPTS => {
                    next.status = FAILED.into();
                    next.failure = Some("the index's manifests were not replicated in time".into());
                }
                Outcome::NotYet => {
                    next.attempts += 1;
                }
            }
            // Only if nothing newer was queued for it meanwhile (a new tag).
            self.db.write(|tx| {
                let key = ReplicationRec::key_of(
                    &next.account,
                    &next.repo,
                    &next.digest,
                    &next.region,
                    &next.registry,
                );
                match tx.state.replications.get(&key) {
                    Some(now) if now.tags == rec.tags => tx.put(next.clone()),
                    _ => Ok(()),
                }
            })?;
        }
        self.settle_backfills()?;
        Ok(false)
    }

    /// Pushes the image to the Berth endpoint serving the destination's region.
    fn replicate_to_peer(&self, rec: &ReplicationRec, image: &ImageRec) -> Outcome {
        let peers = self.peers.read().unwrap_or_else(|p| p.into_inner()).clone();
        let Some(peers) = peers.filter(|p| p.serves(&rec.region)) else {
            return Outcome::Failed(format!(
                "this Berth endpoint serves {}; no replication peer serves {} (berth --replication-peer)",
                self.region, rec.region
            ));
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return Outcome::NotYet;
        };
        let pushed = runtime.block_on(async {
            peers
                .create_repository(&rec.region, &rec.registry, &rec.repo)
                .await?;
            let login = peers.login(&rec.region).await?;
            self.peer_client
                .push(self, &login, &rec.registry, image, &rec.tags)
                .await
        });
        match pushed {
            Ok(crate::peers::Pushed::Done) => Outcome::Complete,
            Ok(crate::peers::Pushed::NotYet) => Outcome::NotYet,
            Err(e) => Outcome::Failed(e),
        }
    }

    fn replicate(&self, rec: &ReplicationRec) -> Result<Outcome> {
        let source = self.db.read(|s| {
            s.images
                .get(&crate::records::child_key(
                    &rec.account,
                    &rec.repo,
                    &rec.digest,
                ))
                .cloned()
        });
        let Some(image) = source else {
            return Ok(Outcome::Failed(
                "the image was deleted before it was replicated".into(),
            ));
        };
        if rec.region != self.region {
            return Ok(self.replicate_to_peer(rec, &image));
        }
        let dest_exists = self
            .db
            .read(|s| content::repository(s, &rec.registry, &rec.repo))
            .is_ok();
        let needed: &[&str] = if dest_exists {
            &["ecr:ReplicateImage"]
        } else {
            &["ecr:ReplicateImage", "ecr:CreateRepository"]
        };
        if rec.registry != rec.account {
            let arn = format!(
                "arn:aws:ecr:{}:{}:repository/{}",
                self.region, rec.registry, rec.repo
            );
            let policy = self.db.read(|s| {
                s.registries
                    .get(&rec.registry)
                    .and_then(|r| r.policy.clone())
            });
            let parsed = policy
                .as_deref()
                .and_then(|t| crate::access::parse_policy(t).ok());
            for action in needed {
                let who = Principal::from_arn(format!("arn:aws:iam::{}:root", rec.account));
                let grant = parsed
                    .as_ref()
                    .map(|p| resource_grant(p, &Request::new(who, *action, &arn)))
                    .unwrap_or(Grant::None);
                if !matches!(grant, Grant::Principal(_) | Grant::Account(_)) {
                    return Ok(Outcome::Failed(format!(
                        "the registry policy of {} does not allow account {} {action}",
                        rec.registry, rec.account
                    )));
                }
            }
        }
        if !dest_exists {
            let created =
                self.create_from_template(&rec.registry, &rec.repo, RCTAppliedFor::Replication);
            if let Err(e) = created {
                return Ok(Outcome::Failed(e.to_string()));
            }
        }
        // Blobs are shared by content: the destination repository only needs its links.
        let now = self.now();
        self.db.write(|tx| {
            for digest in &image.blobs {
                if let Some(size) = tx.state.blobs.get(digest).map(|b| b.size) {
                    content::link_in(tx, &rec.registry, &rec.repo, digest, size, now)?;
                }
            }
            Ok(())
        })?;
        let tags: Vec<Option<&str>> = if rec.tags.is_empty() {
            vec![None]
        } else {
            rec.tags.iter().map(|t| Some(t.as_str())).collect()
        };
        for tag in tags {
            let push = Push {
                account: &rec.registry,
                repo: &rec.repo,
                bytes: image.manifest.as_bytes(),
                content_type: Some(&image.media_type),
                tag,
                digest: Some(&image.digest),
                refuse_unchanged: false,
                replicate: false,
            };
            match self.push_manifest(&push) {
                Ok(_) => {}
                Err(content::PushError::ManifestsUnknown(_)) => return Ok(Outcome::NotYet),
                Err(content::PushError::TagImmutable { tag }) => {
                    return Ok(Outcome::Failed(format!(
                        "the tag '{tag}' is immutable in the destination repository and names another image there"
                    )))
                }
                Err(content::PushError::Ecr(e)) => return Err(e),
                Err(e) => return Ok(Outcome::Failed(format!("the destination refused the manifest: {e:?}"))),
            }
        }
        Ok(Outcome::Complete)
    }
}
