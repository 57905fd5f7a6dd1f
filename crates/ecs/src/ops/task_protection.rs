//! UpdateTaskProtection / GetTaskProtection: scale-in protection of tasks, with an expiry.
//! The service scheduler never stops a protected task to scale in.

use berth_ecs_model::shapes::*;

use super::{failure, list};
use crate::error::{EcsError, Result};
use crate::records::TaskRec;
use crate::Ecs;

/// ECS's default and limits for expiresInMinutes.
const DEFAULT_MINUTES: i32 = 120;
const MAX_MINUTES: i32 = 2880;
const MAX_TASKS: usize = 10;

fn view(t: &TaskRec, now: f64) -> ProtectedTask {
    let until = t.protected_until.filter(|u| *u > now);
    ProtectedTask {
        task_arn: Some(t.arn().to_owned()),
        protection_enabled: until.is_some(),
        expiration_date: until,
    }
}

impl Ecs {
    pub(crate) fn update_task_protection(
        &self,
        req: UpdateTaskProtectionRequest,
    ) -> Result<UpdateTaskProtectionResponse> {
        let tasks = list(&req.tasks).to_vec();
        if tasks.is_empty() || tasks.len() > MAX_TASKS {
            return Err(EcsError::invalid("tasks must name 1 to 10 tasks."));
        }
        let minutes = req.expires_in_minutes.unwrap_or(DEFAULT_MINUTES);
        if req.protection_enabled && !(1..=MAX_MINUTES).contains(&minutes) {
            return Err(EcsError::invalid(
                "expiresInMinutes must be between 1 and 2880.",
            ));
        }
        let now = self.now();
        let (protected, failures) = self.db.write(|tx| {
            let cluster = self
                .active_cluster(tx.state, req.cluster.as_deref())?
                .name()
                .to_owned();
            let mut protected = Vec::new();
            let mut failures = Vec::new();
            for t in &tasks {
                let Some(mut rec) = self.find_task(tx.state, &cluster, t).cloned() else {
                    failures.push(failure(t.clone(), "MISSING"));
                    continue;
                };
                if rec.last_status() == "STOPPED" {
                    failures.push(failure(rec.arn().to_owned(), "TASK_NOT_VALID"));
                    continue;
                }
                rec.protected_until = req
                    .protection_enabled
                    .then_some(now + f64::from(minutes) * 60.0);
                protected.push(view(&rec, now));
                tx.put(rec)?;
            }
            Ok((protected, failures))
        })?;
        Ok(UpdateTaskProtectionResponse {
            protected_tasks: Some(protected),
            failures: Some(failures),
        })
    }

    pub(crate) fn get_task_protection(
        &self,
        req: GetTaskProtectionRequest,
    ) -> Result<GetTaskProtectionResponse> {
        let tasks = list(&req.tasks).to_vec();
        if tasks.len() > MAX_TASKS {
            return Err(EcsError::invalid("tasks must name at most 10 tasks."));
        }
        let now = self.now();
        self.db.read(|state| {
            let cluster = self
                .active_cluster(state, req.cluster.as_deref())?
                .name()
                .to_owned();
            let mut protected = Vec::new();
            let mut failures = Vec::new();
            for t in &tasks {
                match self.find_task(state, &cluster, t) {
                    Some(rec) => protected.push(view(rec, now)),
                    None => failures.push(failure(t.clone(), "MISSING")),
                }
            }
            Ok(GetTaskProtectionResponse {
                protected_tasks: Some(protected),
                failures: Some(failures),
            })
        })
    }
}
