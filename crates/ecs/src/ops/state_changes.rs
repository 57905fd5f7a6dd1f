//! What an agent reports: DiscoverPollEndpoint, SubmitTaskStateChange,
//! SubmitContainerStateChange, SubmitAttachmentStateChanges.
//!
//! Reports only move a task forward in its lifecycle; a repeated or late report is
//! acknowledged and changes nothing, so agents can retry freely.

use berth_ecs_model::shapes::*;

use super::list;
use crate::error::{EcsError, Result};
use crate::records::TaskRec;
use crate::state::Owned;
use crate::state::{Lock, Staged, Tx};
use crate::Ecs;

/// The lifecycle order of task statuses.
fn rank(status: &str) -> Option<u8> {
    Some(match status {
        "PROVISIONING" => 0,
        "PENDING" => 1,
        "ACTIVATING" => 2,
        "RUNNING" => 3,
        "DEACTIVATING" => 4,
        "STOPPING" => 5,
        "DEPROVISIONING" => 6,
        "STOPPED" => 7,
        _ => return None,
    })
}

fn container_rank(status: &str) -> Option<u8> {
    Some(match status {
        "PENDING" => 0,
        "RUNNING" => 1,
        "STOPPED" => 2,
        _ => return None,
    })
}

const ACK: &str = "ACK";

/// Reports in one `BerthAgentV1.SubmitTaskStateChanges` call.
pub(crate) const MAX_REPORTS: usize = 100;

/// The statuses a task report names must be ones ECS knows.
fn check_task_report(req: &SubmitTaskStateChangeRequest) -> Result<()> {
    if let Some(s) = req.status.as_deref() {
        rank(s).ok_or_else(|| EcsError::invalid(format!("Unknown task status '{s}'.")))?;
    }
    for c in list(&req.containers) {
        if let Some(s) = c.status.as_deref() {
            container_rank(s)
                .ok_or_else(|| EcsError::invalid(format!("Unknown container status '{s}'.")))?;
        }
    }
    Ok(())
}

impl Ecs {
    pub(crate) fn discover_poll_endpoint(
        &self,
        req: DiscoverPollEndpointRequest,
    ) -> Result<DiscoverPollEndpointResponse> {
        if let Some(ci) = req.container_instance.as_deref() {
            self.agent_instance(req.cluster.as_deref(), ci)?;
        }
        let endpoint = self.agents.poll_endpoint();
        Ok(DiscoverPollEndpointResponse {
            endpoint: Some(endpoint.clone()),
            telemetry_endpoint: Some(endpoint.clone()),
            service_connect_endpoint: Some(endpoint),
        })
    }

    pub(crate) fn submit_task_state_change(
        &self,
        req: SubmitTaskStateChangeRequest,
    ) -> Result<SubmitTaskStateChangeResponse> {
        Ok(self
            .submit_task_state_change_staged(req, Lock::Wait)?
            .wait()?)
    }

    /// A task report as a staged write; the service scheduler is woken once it is durable.
    pub(crate) fn submit_task_state_change_staged(
        &self,
        req: SubmitTaskStateChangeRequest,
        lock: Lock,
    ) -> Result<Staged<SubmitTaskStateChangeResponse>> {
        check_task_report(&req)?;
        let now = self.now();
        let staged = self
            .db
            .stage(lock, |tx| self.apply_task_report(tx, &req, now))?;
        let wake = self.services_waker();
        let staged = if *staged.peek() {
            staged.then(wake)
        } else {
            staged
        };
        Ok(staged.map(|_| SubmitTaskStateChangeResponse {
            acknowledgment: Some(ACK.into()),
        }))
    }

    /// `BerthAgentV1.SubmitTaskStateChanges`: many task reports in one call and one durable
    /// write, applied in order. Each report stands alone: one that is refused (its task
    /// unknown, say) changes nothing and gets its error; the others are applied.
    pub fn submit_task_state_changes(
        &self,
        reports: &[SubmitTaskStateChangeRequest],
        lock: Lock,
    ) -> Result<Staged<Vec<Result<()>>>> {
        if reports.len() > MAX_REPORTS {
            return Err(EcsError::invalid(format!(
                "At most {MAX_REPORTS} reports fit in one call."
            )));
        }
        let now = self.now();
        let staged = self.db.stage(lock, |tx| {
            let mut wake = false;
            let results = reports
                .iter()
                .map(|req| {
                    let violations = berth_ecs_model::Validate::violations(req);
                    if !violations.is_empty() {
                        return Err(EcsError::invalid(violations.join("; ")));
                    }
                    check_task_report(req)?;
                    let sp = tx.savepoint();
                    match self.apply_task_report(tx, req, now) {
                        Ok(service_task) => {
                            wake |= service_task;
                            Ok(())
                        }
                        Err(e) => {
                            tx.rollback_to(sp);
                            Err(e)
                        }
                    }
                })
                .collect::<Vec<_>>();
            Ok((results, wake))
        })?;
        let wake = self.services_waker();
        let staged = if staged.peek().1 {
            staged.then(wake)
        } else {
            staged
        };
        Ok(staged.map(|(results, _)| results))
    }

    /// Applies one task report; answers whether the task is a service's.
    fn apply_task_report(
        &self,
        tx: &mut Tx<'_>,
        req: &SubmitTaskStateChangeRequest,
        now: f64,
    ) -> Result<bool> {
        let mut rec = self.reported_task(tx, req.cluster.as_deref(), req.task.as_deref())?;
        let before = rec.task.clone();
        for c in list(&req.containers) {
            apply_container(
                &mut rec,
                c.container_name.as_deref(),
                c.status.as_deref(),
                c.exit_code,
                c.reason.as_deref(),
                c.runtime_id.as_deref(),
                c.image_digest.as_deref(),
                c.network_bindings.as_ref(),
            );
        }
        if let Some(t) = req.pull_started_at {
            rec.task.pull_started_at.get_or_insert(t);
        }
        if let Some(t) = req.pull_stopped_at {
            rec.task.pull_stopped_at.get_or_insert(t);
        }
        if let Some(t) = req.execution_stopped_at {
            rec.task.execution_stopped_at.get_or_insert(t);
        }
        for a in list(&req.attachments) {
            apply_attachment(&mut rec, a);
        }
        if let Some(s) = req.status.as_deref() {
            self.advance(tx, &mut rec, s, req.reason.as_deref(), now)?;
        }
        let service_task = rec.group().starts_with("service:");
        if rec.task != before {
            rec.task.version += 1;
            tx.put(rec)?;
        }
        Ok(service_task)
    }

    pub(crate) fn submit_container_state_change(
        &self,
        req: SubmitContainerStateChangeRequest,
    ) -> Result<SubmitContainerStateChangeResponse> {
        if let Some(s) = req.status.as_deref() {
            container_rank(s)
                .ok_or_else(|| EcsError::invalid(format!("Unknown container status '{s}'.")))?;
        }
        self.db.write(|tx| {
            let mut rec = self.reported_task(tx, req.cluster.as_deref(), req.task.as_deref())?;
            let before = rec.task.clone();
            apply_container(
                &mut rec,
                req.container_name.as_deref(),
                req.status.as_deref(),
                req.exit_code,
                req.reason.as_deref(),
                req.runtime_id.as_deref(),
                None,
                req.network_bindings.as_ref(),
            );
            if rec.task != before {
                rec.task.version += 1;
                tx.put(rec)?;
            }
            Ok(())
        })?;
        Ok(SubmitContainerStateChangeResponse {
            acknowledgment: Some(ACK.into()),
        })
    }

    pub(crate) fn submit_attachment_state_changes(
        &self,
        req: SubmitAttachmentStateChangesRequest,
    ) -> Result<SubmitAttachmentStateChangesResponse> {
        let changes = req.attachments.clone().unwrap_or_default();
        self.db.write(|tx| {
            let cluster = self
                .active_cluster(tx.state, req.cluster.as_deref())?
                .name()
                .to_owned();
            for change in &changes {
                let arn = change.attachment_arn.as_deref().unwrap_or_default();
                let id = arn.rsplit('/').next().unwrap_or_default();
                let owner = tx
                    .state
                    .tasks
                    .values()
                    .filter(|t| t.cluster == cluster)
                    .find(|t| {
                        list(&t.task.attachments)
                            .iter()
                            .any(|a| a.id.as_deref() == Some(id))
                    })
                    .owned();
                let Some(mut rec) = owner else {
                    return Err(EcsError::invalid(format!(
                        "The attachment '{arn}' was not found."
                    )));
                };
                apply_attachment(&mut rec, change);
                rec.task.version += 1;
                tx.put(rec)?;
            }
            Ok(())
        })?;
        Ok(SubmitAttachmentStateChangesResponse {
            acknowledgment: Some(ACK.into()),
        })
    }

    fn reported_task(
        &self,
        tx: &Tx<'_>,
        cluster: Option<&str>,
        task: Option<&str>,
    ) -> Result<TaskRec> {
        let cluster = self.active_cluster(tx.state, cluster)?.name().to_owned();
        let rec = self
            .find_task(tx.state, &cluster, task.unwrap_or_default())
            .cloned()
            .ok_or_else(|| EcsError::invalid("The referenced task was not found."))?;
        if let Some(i) = &rec.instance {
            self.agents.seen(i, self.now());
        }
        Ok(rec)
    }

    /// Moves the task to `status` if that is forward in its lifecycle, with its timestamps and
    /// the instance's accounting.
    fn advance(
        &self,
        tx: &mut Tx<'_>,
        rec: &mut TaskRec,
        status: &str,
        reason: Option<&str>,
        now: f64,
    ) -> Result<()> {
        let (Some(from), Some(to)) = (rank(rec.last_status()), rank(status)) else {
            return Ok(());
        };
        if to <= from {
            return Ok(());
        }
        if status == "STOPPED" {
            if rec.task.stopped_reason.is_none() {
                rec.task.stopped_reason = reason.map(str::to_owned);
                if rec.task.stop_code.is_none() {
                    let ran = rec.task.started_at.is_some();
                    let essential_exit = match reason {
                        Some(r) if r.starts_with("Essential container") => true,
                        Some(_) if !ran => false,
                        _ => list(&rec.task.containers)
                            .iter()
                            .any(|c| c.exit_code.is_some()),
                    };
                    rec.task.stop_code = Some(if essential_exit {
                        TaskStopCode::EssentialContainerExited
                    } else {
                        TaskStopCode::TaskFailedToStart
                    });
                }
            }
            return self.finish_stopped(tx, rec, now);
        }
        rec.task.last_status = Some(status.to_owned());
        match status {
            "RUNNING" => {
                rec.task.started_at.get_or_insert(now);
                rec.task.connectivity = Some(Connectivity::Connected);
                rec.task.connectivity_at.get_or_insert(now);
            }
            "DEACTIVATING" | "STOPPING" | "DEPROVISIONING" => {
                rec.task.stopping_at.get_or_insert(now);
            }
            _ => {}
        }
        // The instance's pending/running counts follow from the task (see TaskCounts).
        Ok(())
    }
}

#[allow(clippy::too_many_arguments)]
fn apply_container(
    rec: &mut TaskRec,
    name: Option<&str>,
    status: Option<&str>,
    exit_code: Option<i32>,
    reason: Option<&str>,
    runtime_id: Option<&str>,
    image_digest: Option<&str>,
    bindings: Option<&Vec<NetworkBinding>>,
) {
    let Some(c) = rec
        .task
        .containers
        .get_or_insert_with(Vec::new)
        .iter_mut()
        .find(|c| c.name.as_deref() == name)
    else {
        return;
    };
    if let Some(s) = status {
        let forward = match (
            c.last_status.as_deref().and_then(container_rank),
            container_rank(s),
        ) {
            (Some(a), Some(b)) => b > a,
            (None, Some(_)) => true,
            _ => false,
        };
        if forward {
            c.last_status = Some(s.to_owned());
        }
    }
    if exit_code.is_some() {
        c.exit_code = exit_code;
    }
    if let Some(r) = reason {
        c.reason = Some(r.to_owned());
    }
    if let Some(r) = runtime_id {
        c.runtime_id = Some(r.to_owned());
    }
    if let Some(d) = image_digest {
        c.image_digest = Some(d.to_owned());
    }
    if let Some(b) = bindings {
        c.network_bindings = Some(b.clone());
    }
}

fn apply_attachment(rec: &mut TaskRec, change: &AttachmentStateChange) {
    let id = change
        .attachment_arn
        .as_deref()
        .and_then(|a| a.rsplit('/').next())
        .unwrap_or_default();
    if let Some(a) = rec
        .task
        .attachments
        .get_or_insert_with(Vec::new)
        .iter_mut()
        .find(|a| a.id.as_deref() == Some(id))
    {
        a.status = change.status.clone();
    }
}
