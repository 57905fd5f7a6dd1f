//! Why each task went where it went, for people.

use std::collections::BTreeMap;
use std::fmt;

use crate::engine::{Placement, TaskOutcome};
use crate::feasibility::Reason;
use crate::snapshot::Candidate;

/// What placement thought of one candidate for one task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// It failed this check.
    Rejected(Reason),
    /// It was feasible and stayed among the best through `survived` of the
    /// strategies (all of them: it lost only the final random tie-break).
    /// Higher is better: this is its rank.
    Feasible {
        /// How many strategies, in order, kept it.
        survived: u8,
    },
    /// It got the task.
    Chosen,
    /// StartTask: the task was meant for another named instance.
    NotTarget,
}

/// How one task was placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskExplanation {
    /// The chosen candidate's index, if any.
    pub chosen: Option<usize>,
    /// How many candidates passed every check.
    pub feasible: usize,
    /// How many were still tied after the last strategy.
    pub finalists: usize,
    /// How many candidates each check rejected.
    pub rejected: BTreeMap<Reason, usize>,
    /// One verdict per candidate, by index; empty with `Detail::Summary`.
    pub verdicts: Vec<Verdict>,
}

impl Placement<'_> {
    /// A report of the whole placement: the request, then per task the
    /// outcome, the rejection counts and (unless `Detail::Summary`) a line
    /// per candidate.
    pub fn explain(&self) -> Explanation<'_> {
        Explanation {
            placement: self,
            per_candidate: true,
        }
    }

    /// The same report without the per-candidate lines.
    pub fn summary(&self) -> Explanation<'_> {
        Explanation {
            placement: self,
            per_candidate: false,
        }
    }

    /// For the first task that could not be placed: the candidate that got
    /// furthest through the checks, and the check it failed. This is what
    /// ECS service events call "the closest matching container-instance".
    pub fn closest_match(&self) -> Option<(&Candidate, Reason)> {
        let t = self
            .outcomes
            .iter()
            .position(|o| !matches!(o, TaskOutcome::Placed(_)))?;
        if let Some(TaskOutcome::Refused { candidate, reason }) = self.outcomes.get(t) {
            return Some((self.candidates.get(*candidate)?, *reason));
        }
        let stuck = self.stuck.as_ref()?;
        let (i, r) = stuck
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.map(|r| (i, r)))
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))?;
        Some((self.candidates.get(i)?, r))
    }
}

/// A rendering of a [`Placement`]; see [`Placement::explain`].
pub struct Explanation<'a> {
    placement: &'a Placement<'a>,
    per_candidate: bool,
}

impl fmt::Display for Explanation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.placement;
        let req = p.request();
        let d = &req.demand;
        let n = p.candidates().len();
        writeln!(
            f,
            "placed {} of {} task(s) over {} candidate(s)",
            p.placed(),
            p.outcomes().len(),
            n
        )?;
        write!(
            f,
            "demand: group {}, cpu {}, memory {} MiB, launch type {}",
            d.group,
            d.cpu,
            d.memory,
            d.launch_type.as_ecs()
        )?;
        if !d.tcp_ports.is_empty() {
            write!(f, ", tcp ports {:?}", d.tcp_ports)?;
        }
        if !d.udp_ports.is_empty() {
            write!(f, ", udp ports {:?}", d.udp_ports)?;
        }
        for a in &d.required_attributes {
            write!(f, ", attribute {a}")?;
        }
        writeln!(f)?;
        let list = |items: Vec<String>, none: &str| {
            if items.is_empty() {
                none.to_owned()
            } else {
                items.join(", ")
            }
        };
        writeln!(
            f,
            "constraints: {}",
            list(
                req.policy
                    .constraints
                    .iter()
                    .map(|c| c.to_string())
                    .collect(),
                "none"
            )
        )?;
        writeln!(
            f,
            "strategies: {}",
            list(
                req.policy
                    .strategies
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
                "none (random, the RunTask default)"
            )
        )?;
        for (t, (outcome, e)) in p.outcomes().iter().zip(p.explanations()).enumerate() {
            self.task(f, t, outcome, e)?;
        }
        Ok(())
    }
}

impl Explanation<'_> {
    fn task(
        &self,
        f: &mut fmt::Formatter<'_>,
        t: usize,
        outcome: &TaskOutcome,
        e: &TaskExplanation,
    ) -> fmt::Result {
        let p = self.placement;
        let cands = p.candidates();
        let arn = |i: usize| cands.get(i).map_or("?", |c| c.arn.as_str());
        write!(f, "task {}: ", t + 1)?;
        match outcome {
            TaskOutcome::Placed(i) => writeln!(
                f,
                "placed on {} ({} of {} feasible, {} tied after strategies)",
                arn(*i),
                e.feasible,
                cands.len(),
                e.finalists
            )?,
            TaskOutcome::Unplaced => writeln!(
                f,
                "not placed: none of {} candidate(s) is feasible",
                cands.len()
            )?,
            TaskOutcome::Refused { candidate, reason } => {
                writeln!(f, "not placed on {}: {}", arn(*candidate), reason.label())?
            }
        }
        let req = p.request();
        if !e.rejected.is_empty() {
            let counts: Vec<String> = e
                .rejected
                .iter()
                .map(|(r, n)| {
                    format!(
                        "{n} {} ({})",
                        r.label(),
                        r.describe(&req.demand, &req.policy)
                    )
                })
                .collect();
            writeln!(f, "  rejected: {}", counts.join("; "))?;
        }
        if !self.per_candidate {
            return Ok(());
        }
        let strategies = &req.policy.strategies;
        for (i, v) in e.verdicts.iter().enumerate() {
            let line = match v {
                Verdict::NotTarget => continue,
                Verdict::Chosen => "chosen".to_owned(),
                Verdict::Feasible { survived } => match strategies.get(usize::from(*survived)) {
                    Some(s) => format!(
                        "feasible, rank {survived}: kept by {survived} of {} strategies, dropped by {s}",
                        strategies.len()
                    ),
                    None => format!("feasible, rank {survived}: lost the final random tie-break"),
                },
                Verdict::Rejected(r) => {
                    let status = match (r, cands.get(i)) {
                        (Reason::NotActive, Some(c)) => format!(" (status {})", c.status),
                        _ => String::new(),
                    };
                    format!(
                        "rejected, {}: {}{status}",
                        r.label(),
                        r.describe(&req.demand, &req.policy)
                    )
                }
            };
            writeln!(f, "  - {}: {line}", arn(i))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_stay_small() {
        // One verdict per candidate and task: keep them at four bytes.
        assert!(std::mem::size_of::<Verdict>() <= 4);
    }
}
