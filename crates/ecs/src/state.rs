//! The control plane's state: every ECS record in memory, with the indexes derived from
//! them, over berth-commit's write path ([`Db`], [`Tx`]): a change is durable before anyone
//! sees it.
//!
//! How writes become durable (group commit, staged writes, undo) is berth-commit's; this
//! module says what ECS keeps.

use std::sync::Arc;

pub use berth_commit::{Lock, Owned, Record, Savepoint, Staged, Table};

use crate::error::Result;
use crate::records::*;

/// One write in progress on the ECS state.
pub type Tx<'a> = berth_commit::Tx<'a, State>;

/// The ECS state with its store.
pub type Db = berth_commit::Db<State>;

/// Loads every ECS record kind from `store`.
pub fn open(store: Arc<dyn berth_store::Store>) -> Result<Db> {
    Ok(Db::open(store, |l| {
        l.load::<ClusterRec>()?;
        l.load::<FamilyRec>()?;
        l.load::<TaskDefinitionRec>()?;
        l.load::<ContainerInstanceRec>()?;
        l.load::<CapacityProviderRec>()?;
        l.load::<AccountSettingRec>()?;
        l.load::<TaskRec>()?;
        l.load::<ClientTokenRec>()?;
        l.load::<ServiceRec>()
    })?)
}

/// Everything the control plane knows, keyed as in the store.
#[derive(Default, Clone)]
pub struct State {
    pub clusters: Table<ClusterRec>,
    pub families: Table<FamilyRec>,
    pub task_definitions: Table<TaskDefinitionRec>,
    pub container_instances: Table<ContainerInstanceRec>,
    pub capacity_providers: Table<CapacityProviderRec>,
    pub account_settings: Table<AccountSettingRec>,
    pub tasks: Table<TaskRec>,
    pub client_tokens: Table<ClientTokenRec>,
    pub services: Table<ServiceRec>,
    /// Index: container instance id → (assignment sequence number, task id) of the tasks
    /// placed on it, so that a poll finds the changes after a sequence number directly.
    pub instance_tasks: imbl::OrdMap<String, imbl::OrdSet<(u64, String)>>,
    /// Index: container instance id → (task group → how many of the instance's tasks are in
    /// it), for placement candidates.
    pub instance_groups: imbl::OrdMap<String, imbl::OrdMap<String, usize>>,
    /// Index: container instance id → its pending and running task counts.
    pub instance_counts: imbl::OrdMap<String, TaskCounts>,
    /// Index: cluster name → its FARGATE tasks' pending and running counts (they run on
    /// the internal pool, not on the cluster's instances).
    pub fargate_counts: imbl::OrdMap<String, TaskCounts>,
    /// Index: service key (`<cluster>/<name>`) → the ids of its retained tasks.
    pub service_tasks: imbl::OrdMap<String, imbl::OrdSet<String>>,
    /// Index: change mark → container instance id, one entry per instance: the last change
    /// placement would see (its record, or the tasks on it). Placement candidates are
    /// refreshed from the marks after the last one they saw, not rebuilt.
    pub instance_changes: imbl::OrdMap<u64, String>,
    /// Index: container instance id → its entry in `instance_changes`.
    pub instance_marks: imbl::OrdMap<String, u64>,
    /// The last change mark given out.
    pub last_mark: u64,
    /// Moves on each time a failed commit discards changes: the working state then goes back
    /// to the visible one and change marks are given out again, so anything kept by mark
    /// (placement candidates) must start over.
    pub mark_epoch: u64,
}

impl State {
    /// The pending and running task counts of an instance.
    pub fn task_counts(&self, instance_id: &str) -> TaskCounts {
        self.instance_counts
            .get(instance_id)
            .copied()
            .unwrap_or_default()
    }

    /// Records that what placement sees of an instance changed.
    pub fn touch_instance(&mut self, instance_id: &str) {
        self.last_mark += 1;
        let mark = self.last_mark;
        if let Some(old) = self.instance_marks.insert(instance_id.to_owned(), mark) {
            self.instance_changes.remove(&old);
        }
        self.instance_changes.insert(mark, instance_id.to_owned());
    }
}

impl berth_commit::Tables for State {
    type Error = crate::error::EcsError;

    /// Change marks are given out again after a failed commit: anything kept by mark
    /// (placement candidates) must start over.
    fn discarded(&mut self, lost: &Self) {
        self.mark_epoch = self.mark_epoch.max(lost.mark_epoch) + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::EcsError;
    use berth_store::MemStore;

    #[test]
    fn an_undone_task_leaves_the_instance_indexes_as_they_were() {
        let db = open(Arc::new(MemStore::default())).expect("open");
        let task = TaskRec {
            cluster: "c".into(),
            id: "t1".into(),
            instance: Some("i1".into()),
            reservation: Some(Reservation::default()),
            seq: 1,
            task: berth_ecs_model::shapes::Task {
                group: Some("family:f".into()),
                last_status: Some("PENDING".into()),
                ..Default::default()
            },
            protected_until: None,
            lb: None,
        };
        let before = db.write(|tx| Ok(tx.state.clone())).expect("state");
        let r: Result<()> = db.write(|tx| {
            tx.put(task.clone())?;
            assert_eq!(tx.state.task_counts("i1").pending, 1);
            Err(EcsError::client("refused"))
        });
        assert!(r.is_err());
        db.write(|tx| {
            assert_eq!(tx.state.task_counts("i1").pending, 0);
            assert!(tx
                .state
                .instance_tasks
                .get("i1")
                .is_none_or(|s| s.is_empty()));
            assert!(tx
                .state
                .instance_groups
                .get("i1")
                .is_none_or(|g| g.is_empty()));
            // The instance was touched twice (put, then undone): placement refreshes it.
            assert!(tx.state.last_mark > before.last_mark);
            Ok(())
        })
        .expect("read");
    }
}
