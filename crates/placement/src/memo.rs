//! Feasibility kept between placement calls.
//!
//! A caller that keeps its candidates between calls (the control plane does, per cluster)
//! changes only a few of them between two calls: the instances that got or lost a task. Every
//! candidate's verdict before a call's first task depends only on the candidate, the demand
//! and the policy, so for a demand and policy seen before, only the candidates changed since
//! need checking again. [`Memo`] holds those verdicts for a few recent demands; the caller
//! says which candidates changed ([`Memo::changed`]) or that the list itself changed
//! ([`Memo::reset`]). A placement with a memo is the placement without one.

use crate::feasibility::{check_with, Reason};
use crate::policy::Policy;
use crate::snapshot::Candidate;
use crate::strategy::Tally;
use crate::Demand;

/// How many demand/policy pairs a memo remembers (the least recently used goes first).
const ENTRIES: usize = 8;

/// Verdicts of every candidate for recent demands and policies.
#[derive(Debug, Clone, Default)]
pub struct Memo {
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, Default)]
struct Entry {
    demand: Demand,
    policy: Policy,
    verdicts: Vec<Option<Reason>>,
    /// What the strategies count, with nothing placed yet.
    tally: Tally,
    /// Candidates changed since `verdicts` and `tally` were computed.
    stale: Vec<usize>,
}

impl Memo {
    /// The candidate at `index` changed (its resources, tasks, attributes or liveness).
    pub fn changed(&mut self, index: usize) {
        self.entries.retain_mut(|e| {
            e.stale.push(index);
            // Cheaper to start over than to keep a long list.
            e.stale.len() <= e.verdicts.len() / 4 + 16
        });
    }

    /// Candidates were added or removed: every index may mean another instance now.
    pub fn reset(&mut self) {
        self.entries.clear();
    }

    /// Each candidate's verdict for one task of `demand` under `policy`, and what the
    /// strategies count, before any task of the call is placed: remembered where the
    /// candidate did not change.
    pub(crate) fn prepare(
        &mut self,
        candidates: &[Candidate],
        demand: &Demand,
        policy: &Policy,
    ) -> (Vec<Option<Reason>>, Tally) {
        let found = self.entries.iter().position(|e| {
            e.verdicts.len() == candidates.len() && e.demand == *demand && e.policy == *policy
        });
        let entry = match found {
            Some(i) => {
                let mut e = self.entries.remove(i);
                for i in std::mem::take(&mut e.stale) {
                    if let (Some(v), Some(c)) = (e.verdicts.get_mut(i), candidates.get(i)) {
                        *v = check_with(c, 0, demand, policy).err();
                    }
                    e.tally.refresh(candidates, demand, i);
                }
                e
            }
            None => Entry {
                demand: demand.clone(),
                policy: policy.clone(),
                verdicts: candidates
                    .iter()
                    .map(|c| check_with(c, 0, demand, policy).err())
                    .collect(),
                tally: Tally::new(candidates, demand, &policy.strategies),
                stale: Vec::new(),
            },
        };
        let out = (entry.verdicts.clone(), entry.tally.clone());
        if self.entries.len() >= ENTRIES {
            self.entries.pop();
        }
        self.entries.insert(0, entry);
        out
    }
}
