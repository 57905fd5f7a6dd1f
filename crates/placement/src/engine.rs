//! The placement loop: feasibility → strategies → choose → account, once per
//! task.
//!
//! Every candidate is checked once up front. Placing a task changes only the
//! chosen instance (its resources, ports, task count and groups), so after
//! each placement only that instance is checked again; each further task
//! costs one pass over the candidates per strategy. Once a task finds no
//! feasible instance, nothing changes any more, so the remaining tasks of the
//! call fail the same way without more work.

use std::collections::BTreeMap;

use fastrand::Rng;

use crate::explain::{TaskExplanation, Verdict};
use crate::feasibility::{check_with, Reason};
use crate::memo::Memo;
use crate::policy::Policy;
use crate::snapshot::Candidate;
use crate::strategy::{narrow, Tally};
use crate::Demand;

/// How much of the explanation to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Detail {
    /// A verdict for every candidate and every task (RunTask-sized calls).
    #[default]
    Full,
    /// Only counts per task (large calls, such as a service scheduler
    /// placing hundreds of tasks over thousands of instances).
    Summary,
}

/// What to place: `count` tasks of one demand under one policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// What each task needs.
    pub demand: Demand,
    /// Constraints and strategies, validated.
    pub policy: Policy,
    /// How many tasks (RunTask's `count`); ignored by [`start_on`].
    pub count: usize,
    /// How much explanation to keep.
    pub detail: Detail,
}

impl Request {
    /// `count` tasks of `demand` under `policy`, with full detail.
    pub fn new(demand: Demand, policy: Policy, count: usize) -> Self {
        Request {
            demand,
            policy,
            count,
            detail: Detail::Full,
        }
    }
}

/// Which API the placement answers; it decides how failures are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// ECS chooses among all instances of the cluster.
    RunTask,
    /// The caller named the instances, one task each.
    StartTask,
}

/// What happened to one requested task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskOutcome {
    /// Placed on the candidate at this index.
    Placed(usize),
    /// RunTask: no candidate was feasible.
    Unplaced,
    /// StartTask: the named candidate could not take it.
    Refused {
        /// The candidate's index.
        candidate: usize,
        /// The first check it failed.
        reason: Reason,
    },
}

/// The result of one placement call: an outcome and an explanation per
/// task. It borrows the request and the candidates it was computed from.
#[derive(Debug, Clone)]
pub struct Placement<'a> {
    pub(crate) request: &'a Request,
    pub(crate) candidates: &'a [Candidate],
    pub(crate) api: Api,
    pub(crate) outcomes: Vec<TaskOutcome>,
    pub(crate) explanations: Vec<TaskExplanation>,
    /// RunTask: each candidate's rejection once the first task could not be
    /// placed (the state stops changing there).
    pub(crate) stuck: Option<Vec<Option<Reason>>>,
}

impl<'a> Placement<'a> {
    /// One outcome per requested task, in order.
    pub fn outcomes(&self) -> &[TaskOutcome] {
        &self.outcomes
    }

    /// One explanation per requested task, in order.
    pub fn explanations(&self) -> &[TaskExplanation] {
        &self.explanations
    }

    /// The chosen candidates, one per placed task, in order.
    pub fn chosen(&self) -> impl Iterator<Item = &'a Candidate> + '_ {
        let candidates = self.candidates;
        self.outcomes.iter().filter_map(move |o| match o {
            TaskOutcome::Placed(i) => candidates.get(*i),
            _ => None,
        })
    }

    /// How many tasks were placed.
    pub fn placed(&self) -> usize {
        self.chosen().count()
    }

    /// How many tasks were not placed.
    pub fn unplaced(&self) -> usize {
        self.outcomes.len() - self.placed()
    }

    /// The request this placement answers.
    pub fn request(&self) -> &'a Request {
        self.request
    }

    /// The candidates it chose from.
    pub fn candidates(&self) -> &'a [Candidate] {
        self.candidates
    }

    /// Which API it answers.
    pub fn api(&self) -> Api {
        self.api
    }
}

/// Places `request.count` tasks on `candidates` (RunTask, and the service
/// scheduler). The same request, candidates and seed always give the same
/// placement.
pub fn place<'a>(request: &'a Request, candidates: &'a [Candidate], seed: u64) -> Placement<'a> {
    let reject = candidates
        .iter()
        .map(|c| check_with(c, 0, &request.demand, &request.policy).err())
        .collect();
    let tally = Tally::new(candidates, &request.demand, &request.policy.strategies);
    place_from(request, candidates, seed, reject, tally)
}

/// [`place`], with the candidates' verdicts taken from `memo` where they did not change
/// since an earlier call with the same demand and policy. Same request, candidates and seed:
/// same placement as [`place`].
pub fn place_with_memo<'a>(
    request: &'a Request,
    candidates: &'a [Candidate],
    seed: u64,
    memo: &mut Memo,
) -> Placement<'a> {
    let (reject, tally) = memo.prepare(candidates, &request.demand, &request.policy);
    place_from(request, candidates, seed, reject, tally)
}

fn place_from<'a>(
    request: &'a Request,
    candidates: &'a [Candidate],
    seed: u64,
    mut reject: Vec<Option<Reason>>,
    mut tally: Tally,
) -> Placement<'a> {
    let Request {
        demand,
        policy,
        count,
        detail,
    } = request;
    let full = *detail == Detail::Full;
    let mut rejected: BTreeMap<Reason, usize> = BTreeMap::new();
    for r in reject.iter().flatten() {
        *rejected.entry(*r).or_default() += 1;
    }
    let mut rng = Rng::with_seed(seed);
    let mut out = Placement {
        request,
        candidates,
        api: Api::RunTask,
        outcomes: Vec::with_capacity(*count),
        explanations: Vec::with_capacity(*count),
        stuck: None,
    };
    // The feasible candidates, in order; only the one a task lands on can stop being so.
    let mut feasible_set: Vec<usize> = (0..candidates.len())
        .filter(|&i| reject.get(i).is_some_and(Option::is_none))
        .collect();
    let mut set = Vec::with_capacity(candidates.len());
    for _ in 0..*count {
        if out.stuck.is_some() {
            if let Some(last) = out.explanations.last().cloned() {
                out.outcomes.push(TaskOutcome::Unplaced);
                out.explanations.push(last);
            }
            continue;
        }
        set.clear();
        set.extend_from_slice(&feasible_set);
        let feasible = set.len();
        let mut verdicts: Vec<Verdict> = if full {
            reject
                .iter()
                .map(|r| r.map_or(Verdict::Feasible { survived: 0 }, Verdict::Rejected))
                .collect()
        } else {
            Vec::new()
        };
        for (k, strategy) in policy.strategies.iter().enumerate() {
            narrow(&mut set, k, strategy, demand, &tally, &mut rng);
            let survived = u8::try_from(k + 1).unwrap_or(u8::MAX);
            for &i in &set {
                if let Some(v) = verdicts.get_mut(i) {
                    *v = Verdict::Feasible { survived };
                }
            }
        }
        let finalists = set.len();
        // Ties after the last strategy (and the RunTask default, which has
        // no strategy at all) are broken at random.
        let pick = match set.len() {
            0 => None,
            1 => set.first().copied(),
            n => set.get(rng.usize(..n)).copied(),
        };
        let explanation = |chosen, verdicts| TaskExplanation {
            chosen,
            feasible,
            finalists,
            rejected: rejected.clone(),
            verdicts,
        };
        let Some(pick) = pick else {
            out.outcomes.push(TaskOutcome::Unplaced);
            out.explanations.push(explanation(None, verdicts));
            out.stuck = Some(reject.clone());
            continue;
        };
        if let Some(v) = verdicts.get_mut(pick) {
            *v = Verdict::Chosen;
        }
        out.outcomes.push(TaskOutcome::Placed(pick));
        out.explanations.push(explanation(Some(pick), verdicts));
        // Account: the chosen instance now carries one more task.
        tally.record(pick);
        if let (Some(c), Some(slot)) = (candidates.get(pick), reject.get_mut(pick)) {
            let placed = tally.placed.get(pick).copied().unwrap_or(0);
            let now = check_with(c, placed, demand, policy).err();
            if let Some(r) = now {
                *rejected.entry(r).or_default() += 1;
                if let Ok(at) = feasible_set.binary_search(&pick) {
                    feasible_set.remove(at);
                }
            }
            *slot = now;
        }
    }
    out
}

/// Places one task on each of `targets`, in order (StartTask: the caller
/// named the instances). Strategies do not apply; constraints and every
/// other check do, and a target named twice gets the first task accounted
/// before the second is checked.
pub fn start_on<'a>(request: &'a Request, targets: &'a [Candidate]) -> Placement<'a> {
    let Request {
        demand,
        policy,
        detail,
        ..
    } = request;
    let mut placed: Vec<u32> = vec![0; targets.len()];
    let mut out = Placement {
        request,
        candidates: targets,
        api: Api::StartTask,
        outcomes: Vec::with_capacity(targets.len()),
        explanations: Vec::with_capacity(targets.len()),
        stuck: None,
    };
    for (t, target) in targets.iter().enumerate() {
        // Earlier tasks landed on targets equal to this one (by ARN).
        let before: u32 = targets
            .iter()
            .zip(&placed)
            .take(t)
            .filter(|(c, _)| c.arn == target.arn)
            .map(|(_, n)| *n)
            .sum();
        let result = check_with(target, before, demand, policy);
        let mut rejected = BTreeMap::new();
        let verdict = match result {
            Ok(()) => Verdict::Chosen,
            Err(r) => {
                rejected.insert(r, 1);
                Verdict::Rejected(r)
            }
        };
        let verdicts = if *detail == Detail::Full {
            (0..targets.len())
                .map(|i| if i == t { verdict } else { Verdict::NotTarget })
                .collect()
        } else {
            Vec::new()
        };
        let ok = result.is_ok();
        out.explanations.push(TaskExplanation {
            chosen: ok.then_some(t),
            feasible: usize::from(ok),
            finalists: usize::from(ok),
            rejected,
            verdicts,
        });
        out.outcomes.push(match result {
            Ok(()) => {
                if let Some(p) = placed.get_mut(t) {
                    *p += 1;
                }
                TaskOutcome::Placed(t)
            }
            Err(reason) => TaskOutcome::Refused {
                candidate: t,
                reason,
            },
        });
    }
    out
}
