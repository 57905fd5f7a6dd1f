//! Replication backfills: Start/Stop/ListReplicationBackfills and
//! DescribeReplicationBackfillResults. A backfill queues, in one write, every image that
//! exists in a repository the replication configuration sends to its destination; the
//! replicator copies them as it does pushes, and the backfill is COMPLETE once each is
//! COMPLETE or FAILED.

use berth_aws::RequestContext;
use berth_ecr_model::shapes::*;

use super::{limit, page, required};
use crate::error::{EcrError, Result};
use crate::records::{child_key, BackfillRec, ReplicationRec};
use crate::replication::{configured, queue, sends, COMPLETE, FAILED, IN_PROGRESS};
use crate::state::State;
use crate::Ecr;

pub const STOPPED: &str = "STOPPED";

fn not_found(id: &str) -> EcrError {
    EcrError::ReplicationBackfillNotFound(format!(
        "The replication backfill with id '{id}' does not exist"
    ))
}

fn destination(b: &BackfillRec) -> ReplicationDestination {
    ReplicationDestination {
        region: Some(b.region.clone()),
        registry_id: Some(b.registry.clone()),
    }
}

/// The replication records of a backfill's images, with their (repository, digest).
fn records<'a>(
    state: &'a State,
    b: &'a BackfillRec,
) -> impl Iterator<
    Item = (
        &'a (String, String),
        Option<&'a std::sync::Arc<ReplicationRec>>,
    ),
> + 'a {
    b.images.iter().map(move |img| {
        let key = ReplicationRec::key_of(&b.account, &img.0, &img.1, &b.region, &b.registry);
        (img, state.replications.get(&key))
    })
}

fn progress(state: &State, b: &BackfillRec) -> ReplicationBackfillProgress {
    let mut done = 0;
    let mut failed = 0;
    let mut codes: Vec<String> = Vec::new();
    for (_, r) in records(state, b) {
        match r.map(|r| r.status.as_str()) {
            Some(COMPLETE) => done += 1,
            Some(FAILED) | None => {
                failed += 1;
                if let Some(f) = r.and_then(|r| r.failure.clone()) {
                    if !codes.contains(&f) {
                        codes.push(f);
                    }
                }
            }
            _ => {}
        }
    }
    ReplicationBackfillProgress {
        total_replication_count: Some(b.images.len() as i32),
        completed_replication_count: Some(done),
        failed_replication_count: Some(failed),
        failure_codes: Some(codes),
    }
}

impl Ecr {
    /// Marks backfills whose images all went (or failed) COMPLETE.
    pub(crate) fn settle_backfills(&self) -> Result<()> {
        let now = self.now();
        let finished: Vec<String> = self.db.read(|s| {
            s.backfills
                .values()
                .filter(|b| b.status == IN_PROGRESS)
                .filter(|b| records(s, b).all(|(_, r)| r.is_none_or(|r| r.status != IN_PROGRESS)))
                .map(|b| b.id.clone())
                .collect()
        });
        if finished.is_empty() {
            return Ok(());
        }
        self.db.write(|tx| {
            for id in &finished {
                if let Some(b) = tx.state.backfills.get(id) {
                    let mut b = (**b).clone();
                    b.status = COMPLETE.into();
                    b.ended_at = Some(now);
                    tx.put(b)?;
                }
            }
            Ok(())
        })
    }

    fn backfill(&self, ctx: &RequestContext, id: &str) -> Result<std::sync::Arc<BackfillRec>> {
        self.db
            .read(|s| s.backfills.get(id).cloned())
            .filter(|b| b.account == ctx.account)
            .ok_or_else(|| not_found(id))
    }

    pub(crate) fn start_replication_backfill(
        &self,
        ctx: &RequestContext,
        req: StartReplicationBackfillRequest,
    ) -> Result<StartReplicationBackfillResponse> {
        let d = req
            .destination
            .clone()
            .ok_or_else(|| super::missing("destination"))?;
        let dest = (
            required(&d.region, "destination.region")?.to_owned(),
            d.registry_id.clone().unwrap_or_else(|| ctx.account.clone()),
        );
        let id = uuid::Uuid::new_v4().to_string();
        let now = self.now();
        let account = ctx.account.clone();
        let region = self.region().to_owned();
        let b = self.db.write(|tx| {
            if !configured(tx.state, &account).contains(&dest) {
                return Err(EcrError::invalid(format!(
                    "Invalid parameter at 'destination' failed to satisfy constraint: 'the replication configuration names no destination {} {}'",
                    dest.0, dest.1
                )));
            }
            let busy = tx.state.backfills.values().any(|b| {
                b.account == account && b.status == IN_PROGRESS && (b.region.clone(), b.registry.clone()) == dest
            });
            if busy {
                return Err(EcrError::ReplicationBackfillInProgress(format!(
                    "A replication backfill to {} {} is in progress",
                    dest.0, dest.1
                )));
            }
            let images: Vec<std::sync::Arc<crate::records::ImageRec>> = tx
                .state
                .images
                .values()
                .filter(|i| i.account == account && sends(tx.state, &account, &region, &i.repo, &dest))
                .cloned()
                .collect();
            let mut queued = Vec::new();
            for image in &images {
                let tags = tx.state.tags_of(&account, &image.repo, &image.digest);
                queue(tx, image, &tags, &dest.0, &dest.1, now)?;
                queued.push((image.repo.clone(), image.digest.clone()));
            }
            let b = BackfillRec {
                id: id.clone(),
                account: account.clone(),
                region: dest.0.clone(),
                registry: dest.1.clone(),
                status: IN_PROGRESS.into(),
                started_at: now,
                ended_at: None,
                images: queued,
            };
            tx.put(b.clone())?;
            Ok(b)
        })?;
        self.replication_wake.notify_one();
        Ok(StartReplicationBackfillResponse {
            replication_backfill_id: Some(b.id.clone()),
            registry_id: Some(b.account.clone()),
            destination: Some(destination(&b)),
            status: Some(ReplicationBackfillStatus::InProgress),
            started_at: Some(b.started_at),
        })
    }

    pub(crate) fn stop_replication_backfill(
        &self,
        ctx: &RequestContext,
        req: StopReplicationBackfillRequest,
    ) -> Result<StopReplicationBackfillResponse> {
        let id = required(&req.replication_backfill_id, "replicationBackfillId")?.to_owned();
        self.backfill(ctx, &id)?;
        let now = self.now();
        let b = self.db.write(|tx| {
            let mut b = tx
                .state
                .backfills
                .get(&id)
                .map(|b| (**b).clone())
                .ok_or_else(|| not_found(&id))?;
            if b.status != IN_PROGRESS {
                return Err(EcrError::ReplicationBackfillInvalidStatus(format!(
                    "The replication backfill '{id}' is {}, not IN_PROGRESS",
                    b.status
                )));
            }
            // What it queued and is still waiting is not copied.
            for (repo, digest) in &b.images {
                let key = ReplicationRec::key_of(&b.account, repo, digest, &b.region, &b.registry);
                if let Some(r) = tx.state.replications.get(&key) {
                    if r.status == IN_PROGRESS && r.queued_at >= b.started_at {
                        let mut r = (**r).clone();
                        r.status = FAILED.into();
                        r.failure = Some("the replication backfill was stopped".into());
                        tx.put(r)?;
                    }
                }
            }
            b.status = STOPPED.into();
            b.ended_at = Some(now);
            tx.put(b.clone())?;
            Ok(b)
        })?;
        Ok(StopReplicationBackfillResponse {
            registry_id: Some(b.account.clone()),
            replication_backfill_id: Some(b.id.clone()),
            destination: Some(destination(&b)),
            status: Some(ReplicationBackfillStatus::Stopped),
            started_at: Some(b.started_at),
        })
    }

    pub(crate) fn list_replication_backfills(
        &self,
        ctx: &RequestContext,
        req: ListReplicationBackfillsRequest,
    ) -> Result<ListReplicationBackfillsResponse> {
        let state = self.db.snapshot();
        let mut mine: Vec<&std::sync::Arc<BackfillRec>> = state
            .backfills
            .values()
            .filter(|b| b.account == ctx.account)
            .collect();
        mine.sort_by(|a, b| b.started_at.total_cmp(&a.started_at));
        let items = mine
            .into_iter()
            .enumerate()
            .map(|(i, b)| (format!("{i:010}"), b.clone()));
        let p = page(items, req.next_token.as_deref(), limit(req.max_results, 50))?;
        Ok(ListReplicationBackfillsResponse {
            registry_id: Some(ctx.account.clone()),
            backfills: Some(
                p.items
                    .iter()
                    .map(|b| ReplicationBackfillSummary {
                        replication_backfill_id: Some(b.id.clone()),
                        destination: Some(destination(b)),
                        status: Some(ReplicationBackfillStatus::parse(&b.status)),
                        failure_code: None,
                        progress: Some(progress(&state, b)),
                        started_at: Some(b.started_at),
                        ended_at: b.ended_at,
                    })
                    .collect(),
            ),
            next_token: p.next_token,
        })
    }

    pub(crate) fn describe_replication_backfill_results(
        &self,
        ctx: &RequestContext,
        req: DescribeReplicationBackfillResultsRequest,
    ) -> Result<DescribeReplicationBackfillResultsResponse> {
        let id = required(&req.replication_backfill_id, "replicationBackfillId")?;
        let b = self.backfill(ctx, id)?;
        let state = self.db.snapshot();
        let wanted = req
            .result_status_filter
            .as_ref()
            .map(|s| s.as_str().to_owned());
        let items: Vec<(String, ReplicationBackfillResult)> = records(&state, &b)
            .filter_map(|((repo, digest), r)| {
                let status = match r.map(|r| r.status.as_str()) {
                    Some(COMPLETE) => COMPLETE,
                    Some(IN_PROGRESS) => return None,
                    _ => FAILED,
                };
                if wanted.as_deref().is_some_and(|w| w != status) {
                    return None;
                }
                let result = ReplicationBackfillResult {
                    repository_name: Some(repo.clone()),
                    image_id: Some(ImageIdentifier {
                        image_digest: Some(digest.clone()),
                        image_tag: None,
                    }),
                    status: Some(ReplicationBackfillResultStatus::parse(status)),
                    failure_code: r.and_then(|r| r.failure.clone()),
                    sub_image_failure_codes: None,
                };
                Some((child_key(&b.account, repo, digest), result))
            })
            .collect();
        let p = page(
            items,
            req.next_token.as_deref(),
            limit(req.max_results, 100),
        )?;
        Ok(DescribeReplicationBackfillResultsResponse {
            registry_id: Some(b.account.clone()),
            replication_backfill_id: Some(b.id.clone()),
            destination: Some(destination(&b)),
            status: Some(ReplicationBackfillStatus::parse(&b.status)),
            failure_code: None,
            progress: Some(progress(&state, &b)),
            results: Some(p.items),
            started_at: Some(b.started_at),
            ended_at: b.ended_at,
            next_token: p.next_token,
        })
    }
}
