//! The placement candidates of each cluster, kept between calls and refreshed incrementally.
//!
//! Every change placement can see — an instance's record, or a task put on, changed on or
//! released from it — gives the instance a new change mark in the state
//! (`State::instance_changes`). A cluster's cached candidates remember the last mark they
//! saw, so a RunTask over thousands of instances rebuilds only the instances changed since
//! the previous call instead of looking at all of them. Agent liveness changes with time, not
//! with records: the cache knows when the first connected agent would time out, and looks at
//! every agent again only then, or when an agent may have come back.

use std::collections::HashMap;
use std::sync::Mutex;

use berth_placement::{Candidate, Memo};

use crate::agent::Liveness;
use crate::placing::candidate;
use crate::state::State;

#[derive(Default)]
pub(crate) struct CandidateCache {
    clusters: Mutex<HashMap<String, ClusterCandidates>>,
}

#[derive(Default)]
struct ClusterCandidates {
    /// `State::mark_epoch` when built: a failed commit reuses change marks, so the cache
    /// starts over after one.
    epoch: u64,
    /// The last change mark applied.
    mark: u64,
    /// Instance ids, sorted, and their candidates in the same order.
    ids: Vec<String>,
    cands: Vec<Candidate>,
    /// `Liveness::revivals` when liveness was last looked at for every candidate.
    revivals: u64,
    /// When the first candidate counted as connected times out without another poll.
    live_until: f64,
    /// Placement verdicts kept between calls, told of every candidate that changes.
    memo: Memo,
}

impl ClusterCandidates {
    fn new(epoch: u64) -> Self {
        ClusterCandidates {
            epoch,
            live_until: f64::NEG_INFINITY,
            ..Default::default()
        }
    }

    /// Applies every change after `self.mark`.
    fn refresh(&mut self, state: &State, cluster: &str, live: &Liveness<'_>) {
        for (mark, id) in state.instance_changes.range(self.mark + 1..) {
            self.mark = *mark;
            let rec = state
                .container_instances
                .get(id)
                .filter(|r| r.cluster == cluster && r.status() != "INACTIVE");
            let at = self.ids.binary_search(id);
            match (rec, at) {
                (Some(rec), at) => {
                    let (connected, until) = (live.check)(&rec.id);
                    if connected {
                        self.live_until = self.live_until.min(until);
                    }
                    let c = candidate(state, rec, connected);
                    match at {
                        Ok(i) => {
                            self.cands[i] = c;
                            self.memo.changed(i);
                        }
                        Err(i) => {
                            self.ids.insert(i, id.clone());
                            self.cands.insert(i, c);
                            self.memo.reset();
                        }
                    }
                }
                (None, Ok(i)) => {
                    self.ids.remove(i);
                    self.cands.remove(i);
                    self.memo.reset();
                }
                (None, Err(_)) => {}
            }
        }
    }

    /// Looks at every agent again if one may have changed.
    fn refresh_liveness(&mut self, now: f64, live: &Liveness<'_>) {
        if live.revivals == self.revivals && now < self.live_until {
            return;
        }
        self.revivals = live.revivals;
        // Look again within one timeout in any case, so a verdict that raced a poll heals.
        self.live_until = now + live.timeout;
        for (i, (id, c)) in self.ids.iter().zip(&mut self.cands).enumerate() {
            let (connected, until) = (live.check)(id);
            if c.agent_connected != connected {
                c.agent_connected = connected;
                self.memo.changed(i);
            }
            if connected {
                self.live_until = self.live_until.min(until);
            }
        }
    }
}

impl CandidateCache {
    /// Runs `f` with the registered instances of `cluster` as candidates (and their ids, in
    /// the same order), as they stand in `state` at `now`, and their placement memo.
    ///
    /// `state` is normally the writer's working state, the newest there is. A state older
    /// than the cache (a reader's snapshot) gets candidates built afresh, and the cache is
    /// left as it is. A state from a newer mark epoch (after a failed commit) starts the
    /// cache over.
    pub(crate) fn with<R>(
        &self,
        state: &State,
        cluster: &str,
        now: f64,
        live: &Liveness<'_>,
        f: impl FnOnce(&[Candidate], &[String], &mut Memo) -> R,
    ) -> R {
        let mut all = self.clusters.lock().unwrap_or_else(|poisoned| {
            // A panic mid-refresh may have left a cache behind its mark: start over.
            self.clusters.clear_poison();
            let mut all = poisoned.into_inner();
            all.clear();
            all
        });
        let epoch = state.mark_epoch;
        let cc = all
            .entry(cluster.to_owned())
            .or_insert_with(|| ClusterCandidates::new(epoch));
        if cc.epoch < epoch {
            *cc = ClusterCandidates::new(epoch);
        }
        if cc.epoch > epoch || state.last_mark < cc.mark {
            drop(all);
            let mut fresh = ClusterCandidates::new(epoch);
            fresh.refresh(state, cluster, live);
            fresh.refresh_liveness(now, live);
            return f(&fresh.cands, &fresh.ids, &mut fresh.memo);
        }
        cc.refresh(state, cluster, live);
        cc.refresh_liveness(now, live);
        f(&cc.cands, &cc.ids, &mut cc.memo)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use berth_ecs_model::Operation;
    use proptest::prelude::*;
    use serde_json::json;

    use crate::{Ecs, FixedClock, Scope};

    fn call(ecs: &Ecs, op: Operation, body: serde_json::Value) -> Option<serde_json::Value> {
        let out = ecs.handle(op, body.to_string().as_bytes()).ok()?;
        serde_json::from_slice(&out).ok()
    }

    /// Registers an instance in cluster `c`; its ARN.
    fn register(ecs: &Ecs) -> String {
        call(
            ecs,
            Operation::RegisterContainerInstance,
            json!({"cluster": "c",
            "totalResources": [{"name": "CPU", "type": "INTEGER", "integerValue": 1000},
                               {"name": "MEMORY", "type": "INTEGER", "integerValue": 1000}]}),
        )
        .and_then(|r| {
            r["containerInstance"]["containerInstanceArn"]
                .as_str()
                .map(str::to_owned)
        })
        .expect("registered")
    }

    /// Whatever happens to a cluster, the cached candidates equal freshly built ones.
    fn check_cache(ecs: &Ecs) {
        ecs.db.read(|state| {
            let live = crate::agent::Liveness {
                revivals: 0,
                timeout: 60.0,
                check: Box::new(|_: &str| (true, f64::INFINITY)),
            };
            let fresh: Vec<_> = state
                .container_instances
                .values()
                .filter(|r| r.cluster == "c" && r.status() != "INACTIVE")
                .map(|r| crate::placing::candidate(state, r, true))
                .collect();
            ecs.candidate_cache
                .with(state, "c", 0.0, &live, |cands, _, _| {
                    assert_eq!(cands, &fresh[..]);
                });
        });
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn cached_candidates_match_fresh_ones(ops in proptest::collection::vec((0u8..10, 0usize..4), 1..40)) {
            let store = Arc::new(berth_store::MemStore::default());
            let ecs = Ecs::open(
                store.clone(),
                Arc::new(FixedClock::new(1_700_000_000_000)),
                Scope::new("us-east-1", "000000000000"),
            ).expect("open");
            call(&ecs, Operation::CreateCluster, json!({"clusterName": "c"}));
            call(&ecs, Operation::CreateCluster, json!({"clusterName": "other"}));
            call(&ecs, Operation::RegisterTaskDefinition, json!({"family": "f", "containerDefinitions": [
                {"name": "a", "image": "i", "cpu": 100, "memory": 100, "portMappings": [{"containerPort": 80, "hostPort": 8080}]}]}));
            let mut instances: Vec<String> = Vec::new();
            let mut tasks: Vec<String> = Vec::new();
            for (op, k) in ops {
                match op {
                    0 => {
                        if let Some(r) = call(&ecs, Operation::RegisterContainerInstance, json!({"cluster": "c",
                            "totalResources": [{"name": "CPU", "type": "INTEGER", "integerValue": 1000},
                                               {"name": "MEMORY", "type": "INTEGER", "integerValue": 1000}]})) {
                            instances.push(r["containerInstance"]["containerInstanceArn"].as_str().unwrap_or_default().to_owned());
                        }
                    }
                    1 => {
                        if let Some(r) = call(&ecs, Operation::RunTask, json!({"cluster": "c", "taskDefinition": "f", "count": k + 1})) {
                            tasks.extend(r["tasks"].as_array().into_iter().flatten().filter_map(|t| t["taskArn"].as_str().map(str::to_owned)));
                        }
                    }
                    2 => if let Some(t) = tasks.get(k) {
                        call(&ecs, Operation::SubmitTaskStateChange, json!({"cluster": "c", "task": t, "status": "RUNNING"}));
                    },
                    3 => if let Some(t) = tasks.get(k) {
                        call(&ecs, Operation::SubmitTaskStateChange, json!({"cluster": "c", "task": t, "status": "STOPPED"}));
                    },
                    4 => if let Some(i) = instances.get(k) {
                        call(&ecs, Operation::PutAttributes, json!({"cluster": "c", "attributes": [{"name": format!("a{k}"), "value": "v", "targetId": i}]}));
                    },
                    6 => if let Some(i) = instances.get(k) {
                        call(&ecs, Operation::DeregisterContainerInstance, json!({"cluster": "c", "containerInstance": i, "force": k % 2 == 0}));
                    },
                    7 => {
                        // Changes in another cluster are not this cluster's candidates.
                        call(&ecs, Operation::RegisterContainerInstance, json!({"cluster": "other",
                            "totalResources": [{"name": "CPU", "type": "INTEGER", "integerValue": 500},
                                               {"name": "MEMORY", "type": "INTEGER", "integerValue": 500}]}));
                    }
                    9 => {
                        // A failed commit discards placements the cache has already seen.
                        store.set_failing(true);
                        let refused = call(&ecs, Operation::RunTask, json!({"cluster": "c", "taskDefinition": "f", "count": k + 1}));
                        store.set_failing(false);
                        // Refused, unless nothing could be placed (then nothing was written).
                        prop_assert!(refused.is_none_or(|r| r["tasks"].as_array().is_some_and(Vec::is_empty)));
                    }
                    _ => if let Some(i) = instances.get(k) {
                        call(&ecs, Operation::UpdateContainerInstancesState, json!({"cluster": "c", "containerInstances": [i], "status": if k % 2 == 0 { "DRAINING" } else { "ACTIVE" }}));
                    },
                }
                check_cache(&ecs);
            }
        }
    }

    #[test]
    fn a_failed_commit_starts_the_cache_over() {
        let store = Arc::new(berth_store::MemStore::default());
        let ecs = Ecs::open(
            store.clone(),
            Arc::new(FixedClock::new(1_700_000_000_000)),
            Scope::new("us-east-1", "000000000000"),
        )
        .expect("open");
        call(&ecs, Operation::CreateCluster, json!({"clusterName": "c"}));
        call(
            &ecs,
            Operation::RegisterTaskDefinition,
            json!({"family": "f", "containerDefinitions": [{"name": "a", "image": "i", "memory": 100}]}),
        );
        let (a, b) = (register(&ecs), register(&ecs));
        let pick = json!([{"name": "pick", "value": "yes", "targetId": a}]);
        call(
            &ecs,
            Operation::PutAttributes,
            json!({"cluster": "c", "attributes": pick}),
        );
        for name in ["s1", "s2"] {
            call(
                &ecs,
                Operation::CreateService,
                json!({"cluster": "c", "serviceName": name, "taskDefinition": "f", "desiredCount": 1,
                    "placementConstraints": [{"type": "memberOf", "expression": "attribute:pick == yes"}]}),
            );
        }
        // Both services are placed on `a` in one write, so the second placement's cache sees
        // the first one's change; then the commit fails.
        store.set_failing(true);
        assert!(ecs.reconcile_services().is_err());
        store.set_failing(false);
        check_cache(&ecs);
        // Changes to `b` give out the discarded marks again, then go past them.
        for n in 0..6 {
            let attribute = json!([{"name": format!("a{n}"), "value": "v", "targetId": b}]);
            call(
                &ecs,
                Operation::PutAttributes,
                json!({"cluster": "c", "attributes": attribute}),
            );
            check_cache(&ecs);
        }
    }

    #[test]
    fn an_agent_that_stops_polling_stops_being_a_candidate_and_comes_back() {
        let clock = Arc::new(FixedClock::new(1_700_000_000_000));
        let ecs = Ecs::open(
            Arc::new(berth_store::MemStore::default()),
            clock.clone(),
            Scope::new("us-east-1", "000000000000"),
        )
        .expect("open");
        ecs.set_agent_timeout(30.0);
        call(&ecs, Operation::CreateCluster, json!({"clusterName": "c"}));
        let arn = register(&ecs);
        let connected = |ecs: &Ecs| {
            let now = ecs.now();
            let live = ecs.agents.live_view(now);
            ecs.db.read(|state| {
                ecs.candidate_cache
                    .with(state, "c", now, &live, |cands, _, _| {
                        cands.iter().map(|c| c.agent_connected).collect::<Vec<_>>()
                    })
            })
        };
        assert_eq!(connected(&ecs), [true]);
        clock.advance_millis(29_000);
        assert_eq!(connected(&ecs), [true]);
        clock.advance_millis(2_000);
        assert_eq!(connected(&ecs), [false], "silent past the timeout");
        // The agent polls again: a heartbeat with no record change.
        ecs.agent_instance(Some("c"), &arn).expect("heartbeat");
        assert_eq!(connected(&ecs), [true], "back after a poll");

        // A placement that read the clock just after a poll did, but looked before the poll
        // was recorded, saw the agent timed out: the poll still counts as a revival.
        let polled = ecs.now();
        clock.advance_millis(30_500);
        assert_eq!(connected(&ecs), [false], "timed out half a second ago");
        let id = arn.rsplit('/').next().unwrap_or_default();
        ecs.agents.seen(id, polled + 29.5);
        assert_eq!(
            connected(&ecs),
            [true],
            "the poll half a second before counts"
        );
    }
}
