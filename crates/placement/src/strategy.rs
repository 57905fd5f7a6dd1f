//! Applying strategies: each one narrows the feasible set to its best
//! instances, in order; what is left after the last is a tie, broken at
//! random (seeded).
//!
//! - `binpack(cpu|memory)` keeps the instances with the least remaining
//!   amount of that resource (after the tasks already placed by this call);
//! - `spread(instanceId)` keeps the instances running the fewest tasks of the
//!   group;
//! - `spread(attribute:<name>)` keeps the instances whose attribute value has
//!   the fewest tasks of the group, counted over every instance of the
//!   snapshot with that value (instances without the attribute form one
//!   bucket of their own);
//! - `random` keeps one instance, uniformly at random.
//!
//! Each step is one pass over the set (O(n)); nothing is sorted. The
//! values strategies compare are kept in compact arrays (built once per
//! call, updated as tasks are placed) rather than read from the candidates.

use std::collections::BTreeMap;

use fastrand::Rng;

use crate::demand::Demand;
use crate::feasibility::left;
use crate::policy::{Resource, SpreadField, Strategy};
use crate::snapshot::Candidate;

/// Running counts that strategies read, updated as tasks are placed.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tally {
    /// Tasks of this call placed on each candidate.
    pub placed: Vec<u32>,
    /// Tasks of the group on each candidate (including `placed`); empty when
    /// no strategy spreads.
    group_tasks: Vec<u32>,
    /// Remaining CPU and memory of each candidate (before this call), kept
    /// apart from the candidates so binpack scans a compact array; empty
    /// when no strategy binpacks.
    remaining: Vec<[i64; 2]>,
    /// For each strategy, its attribute buckets (`None` for the others).
    buckets: Vec<Option<Buckets>>,
}

/// One attribute's values as buckets.
#[derive(Debug, Clone)]
struct Buckets {
    /// The attribute.
    name: String,
    /// Bucket index of each value (`None`: instances without the attribute).
    values: BTreeMap<Option<String>, u32>,
    /// Bucket index of each candidate.
    of: Vec<u32>,
    /// Tasks of the group in each bucket.
    tasks: Vec<u32>,
}

impl Tally {
    pub fn new(candidates: &[Candidate], demand: &Demand, strategies: &[Strategy]) -> Self {
        let spreads = strategies.iter().any(|s| matches!(s, Strategy::Spread(_)));
        let group_tasks: Vec<u32> = if spreads {
            candidates.iter().map(|c| group_tasks(c, demand)).collect()
        } else {
            Vec::new()
        };
        let binpacks = strategies.iter().any(|s| matches!(s, Strategy::Binpack(_)));
        let remaining = if binpacks {
            candidates
                .iter()
                .map(|c| [c.remaining_cpu, c.remaining_memory])
                .collect()
        } else {
            Vec::new()
        };
        let buckets = strategies
            .iter()
            .map(|s| match s {
                Strategy::Spread(SpreadField::Attribute(name)) => {
                    Some(Buckets::new(candidates, name, &group_tasks))
                }
                _ => None,
            })
            .collect();
        Tally {
            placed: vec![0; candidates.len()],
            group_tasks,
            remaining,
            buckets,
        }
    }

    /// Takes in candidate `i` as it is now (a tally kept between calls, with nothing placed,
    /// for candidates that changed since it was made).
    pub fn refresh(&mut self, candidates: &[Candidate], demand: &Demand, i: usize) {
        let Some(c) = candidates.get(i) else {
            return;
        };
        if let Some(r) = self.remaining.get_mut(i) {
            *r = [c.remaining_cpu, c.remaining_memory];
        }
        let Some(old) = self.group_tasks.get(i).copied() else {
            return;
        };
        let new = group_tasks(c, demand);
        self.group_tasks[i] = new;
        for b in self.buckets.iter_mut().flatten() {
            if let Some(t) = b.of.get(i).and_then(|&k| b.tasks.get_mut(k as usize)) {
                *t = t.saturating_sub(old);
            }
            let k = b.bucket(c.attribute(&b.name));
            if let Some(slot) = b.of.get_mut(i) {
                *slot = k;
            }
            if let Some(t) = b.tasks.get_mut(k as usize) {
                *t = t.saturating_add(new);
            }
        }
    }

    /// Counts one more task on candidate `i`.
    pub fn record(&mut self, i: usize) {
        if let Some(p) = self.placed.get_mut(i) {
            *p += 1;
        }
        if let Some(g) = self.group_tasks.get_mut(i) {
            *g = g.saturating_add(1);
        }
        for b in self.buckets.iter_mut().flatten() {
            if let Some(t) = b.of.get(i).and_then(|&k| b.tasks.get_mut(k as usize)) {
                *t = t.saturating_add(1);
            }
        }
    }
}

fn group_tasks(c: &Candidate, demand: &Demand) -> u32 {
    u32::try_from(c.group_count(&demand.group)).unwrap_or(u32::MAX)
}

impl Buckets {
    fn new(candidates: &[Candidate], attribute: &str, group_tasks: &[u32]) -> Self {
        let mut b = Buckets {
            name: attribute.to_owned(),
            values: BTreeMap::new(),
            of: Vec::with_capacity(candidates.len()),
            tasks: Vec::new(),
        };
        for (c, &g) in candidates.iter().zip(group_tasks) {
            let k = b.bucket(c.attribute(attribute));
            if let Some(t) = b.tasks.get_mut(k as usize) {
                *t = t.saturating_add(g);
            }
            b.of.push(k);
        }
        b
    }

    /// The bucket of an attribute value, made if new.
    fn bucket(&mut self, value: Option<&str>) -> u32 {
        if let Some(&k) = self.values.get(&value.map(str::to_owned)) {
            return k;
        }
        self.tasks.push(0);
        let k = u32::try_from(self.tasks.len() - 1).unwrap_or(u32::MAX);
        self.values.insert(value.map(str::to_owned), k);
        k
    }
}

/// Narrows `set` (indexes into `candidates`, all feasible) with strategy
/// number `k`. Never empties a non-empty set.
pub(crate) fn narrow(
    set: &mut Vec<usize>,
    k: usize,
    strategy: &Strategy,
    demand: &Demand,
    tally: &Tally,
    rng: &mut Rng,
) {
    let placed = |i: usize| tally.placed.get(i).copied().unwrap_or(0);
    match strategy {
        Strategy::Random => {
            if set.len() > 1 {
                let pick = set[rng.usize(..set.len())];
                set.clear();
                set.push(pick);
            }
        }
        Strategy::Binpack(resource) => {
            let (slot, each) = match resource {
                Resource::Cpu => (0, demand.cpu),
                Resource::Memory => (1, demand.memory),
            };
            keep_least(set, |i| {
                tally
                    .remaining
                    .get(i)
                    .map_or(i64::MAX, |r| left(r[slot], placed(i), each))
            });
        }
        Strategy::Spread(SpreadField::Instance) => keep_least(set, |i| {
            i64::from(tally.group_tasks.get(i).copied().unwrap_or(0))
        }),
        Strategy::Spread(SpreadField::Attribute(_)) => {
            if let Some(Some(b)) = tally.buckets.get(k) {
                keep_least(set, |i| {
                    let bucket = b.of.get(i).and_then(|&x| b.tasks.get(x as usize));
                    i64::from(bucket.copied().unwrap_or(0))
                });
            }
        }
    }
}

/// Keeps the members of `set` with the smallest key, in order: one pass,
/// one key per member, no sort.
fn keep_least(set: &mut Vec<usize>, key: impl Fn(usize) -> i64) {
    let mut min = i64::MAX;
    let mut kept = 0;
    for j in 0..set.len() {
        let i = set[j];
        let k = key(i);
        if k < min {
            min = k;
            kept = 0;
        }
        if k == min {
            set[kept] = i;
            kept += 1;
        }
    }
    set.truncate(kept);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cands() -> Vec<Candidate> {
        let mut a = Candidate::new("a", 1000, 1000).with_attribute("zone", Some("z1"));
        a.add_task_group("g");
        a.add_task_group("g");
        let mut b = Candidate::new("b", 500, 3000).with_attribute("zone", Some("z1"));
        b.add_task_group("other");
        let c = Candidate::new("c", 800, 800).with_attribute("zone", Some("z2"));
        let d = Candidate::new("d", 900, 100);
        vec![a, b, c, d]
    }

    fn run(strategy: Strategy, set: &[usize]) -> Vec<usize> {
        let cs = cands();
        let demand = Demand::new(0, 0, "g");
        let strategies = [strategy];
        let tally = Tally::new(&cs, &demand, &strategies);
        let mut set = set.to_vec();
        let mut rng = Rng::with_seed(7);
        narrow(&mut set, 0, &strategies[0], &demand, &tally, &mut rng);
        set
    }

    #[test]
    fn binpack_keeps_the_least_remaining() {
        assert_eq!(run(Strategy::Binpack(Resource::Cpu), &[0, 1, 2, 3]), [1]);
        assert_eq!(run(Strategy::Binpack(Resource::Memory), &[0, 1, 2, 3]), [3]);
        assert_eq!(run(Strategy::Binpack(Resource::Memory), &[0, 1]), [0]);
    }

    #[test]
    fn spread_instance_keeps_the_emptiest() {
        assert_eq!(
            run(Strategy::Spread(SpreadField::Instance), &[0, 1, 2, 3]),
            [1, 2, 3]
        );
    }

    #[test]
    fn spread_attribute_counts_whole_buckets() {
        // z1 holds two tasks of g (on a), z2 none, the attribute-less bucket none.
        let s = Strategy::Spread(SpreadField::Attribute("zone".into()));
        assert_eq!(run(s.clone(), &[0, 1, 2, 3]), [2, 3]);
        // b is in z1 with a, so it loses to c even though b itself has no task of g.
        assert_eq!(run(s.clone(), &[1, 2]), [2]);
        // Only z1 instances feasible: both stay.
        assert_eq!(run(s, &[0, 1]), [0, 1]);
    }

    #[test]
    fn random_keeps_one() {
        let out = run(Strategy::Random, &[0, 1, 2, 3]);
        assert_eq!(out.len(), 1);
        assert_eq!(run(Strategy::Random, &[2]), [2]);
        assert!(run(Strategy::Random, &[]).is_empty());
    }

    #[test]
    fn record_updates_counts() {
        let cs = cands();
        let demand = Demand::new(100, 100, "g");
        let strategies = [
            Strategy::Spread(SpreadField::Attribute("zone".into())),
            Strategy::Spread(SpreadField::Instance),
            Strategy::Binpack(Resource::Cpu),
        ];
        let mut tally = Tally::new(&cs, &demand, &strategies);
        let mut rng = Rng::with_seed(1);
        tally.record(2);
        tally.record(2);
        tally.record(2);
        // z2 now has 3 tasks, z1 2, the attribute-less bucket 0.
        let mut set = vec![0, 1, 2, 3];
        narrow(&mut set, 0, &strategies[0], &demand, &tally, &mut rng);
        assert_eq!(set, [3]);
        // Binpack sees c's remaining CPU after 3 tasks: 800 - 300 = 500, tied with b.
        let mut set = vec![1, 2];
        narrow(&mut set, 2, &strategies[2], &demand, &tally, &mut rng);
        assert_eq!(set, [1, 2]);
    }
}
