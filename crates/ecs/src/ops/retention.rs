//! How long finished things are kept: STOPPED tasks stay describable for the task retention
//! (ECS keeps them about an hour; Berth's default is the same and users may keep them much
//! longer), RunTask client tokens for a day.

use crate::error::Result;
use crate::records::{ClientTokenRec, TaskRec};
use crate::Ecs;

/// How long a RunTask clientToken is remembered.
const CLIENT_TOKEN_SECS: f64 = 24.0 * 3600.0;

/// At most this many records are removed per sweep, so one sweep is one short write.
const SWEEP_LIMIT: usize = 5000;

impl Ecs {
    /// Removes STOPPED tasks that stopped more than `retention_secs` ago, and expired client
    /// tokens. Returns how many records were removed; call again while it is non-zero.
    pub fn sweep(&self, retention_secs: f64) -> Result<usize> {
        let now = self.now();
        self.db.write(|tx| {
            let old_tasks: Vec<String> = tx
                .state
                .tasks
                .values()
                .filter(|t| t.last_status() == "STOPPED")
                .filter(|t| {
                    t.task
                        .stopped_at
                        .is_some_and(|at| now - at > retention_secs)
                })
                .take(SWEEP_LIMIT)
                .map(|t| t.id.clone())
                .collect();
            let old_tokens: Vec<String> = tx
                .state
                .client_tokens
                .values()
                .filter(|c| now - c.created_at > CLIENT_TOKEN_SECS)
                .take(SWEEP_LIMIT)
                .map(|c| c.token.clone())
                .collect();
            for id in &old_tasks {
                tx.delete::<TaskRec>(id);
            }
            for token in &old_tokens {
                tx.delete::<ClientTokenRec>(token);
            }
            Ok(old_tasks.len() + old_tokens.len())
        })
    }
}
