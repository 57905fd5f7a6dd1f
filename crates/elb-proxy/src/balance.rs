//! Target choice, pure: which of a group's (non-draining) targets gets the
//! next request, and which of a forward action's groups.
//!
//! The routable set follows ALB:
//!
//! - while any target is healthy, only healthy targets are routable
//!   (`initial` and `unhealthy` ones get nothing);
//! - when none is healthy, ALB *fails open*: every registered target is
//!   routable.
//!
//! Draining targets are never candidates: the caller passes only the
//! group's registered ones. Within the routable set:
//!
//! - **round robin** takes them in turn from a shared ticket counter; while
//!   a target is in **slow start** its weight ramps from almost nothing to
//!   full, and the choice becomes a weighted draw;
//! - **least outstanding requests** takes the one with the fewest requests
//!   in flight, ties broken in turn.
//!
//! The functions see targets through a closure, so the proxy reads its
//! per-target atomics in place and nothing is allocated per request.

use std::time::{Duration, Instant};

use crate::config::Algorithm;

/// Full weight; a target in slow start has less (at least 1).
pub(crate) const FULL_WEIGHT: u32 = 1000;

/// What target choice needs to know about one target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Candidate {
    /// Healthy (or health checks disabled).
    pub healthy: bool,
    /// Requests in flight.
    pub outstanding: u32,
    /// [`FULL_WEIGHT`], or less during slow start.
    pub weight: u32,
}

/// Whether a target is routable, given whether any target of its group is
/// healthy.
pub(crate) fn routable(candidate: Candidate, any_healthy: bool) -> bool {
    candidate.healthy || !any_healthy
}

/// Picks one of `count` targets. `ticket` is a counter shared by the
/// group's requests (round robin's turn, the tie-break), `random` a random
/// number (the weighted draw); `exclude` is a target already tried. `None`
/// when no routable target is left.
pub(crate) fn choose(
    algorithm: Algorithm,
    count: usize,
    view: impl Fn(usize) -> Candidate,
    ticket: u64,
    random: u64,
    exclude: Option<usize>,
) -> Option<usize> {
    let any_healthy = (0..count).any(|i| view(i).healthy);
    let eligible = |i: usize| Some(i) != exclude && routable(view(i), any_healthy);
    match algorithm {
        Algorithm::RoundRobin => {
            let mut eligible_count = 0u64;
            let mut total_weight = 0u64;
            let mut ramping = false;
            for i in (0..count).filter(|i| eligible(*i)) {
                let weight = u64::from(view(i).weight.clamp(1, FULL_WEIGHT));
                eligible_count += 1;
                total_weight += weight;
                ramping |= weight < u64::from(FULL_WEIGHT);
            }
            if eligible_count == 0 {
                return None;
            }
            if ramping {
                let mut draw = random % total_weight;
                (0..count).filter(|i| eligible(*i)).find(|i| {
                    let weight = u64::from(view(*i).weight.clamp(1, FULL_WEIGHT));
                    if draw < weight {
                        true
                    } else {
                        draw -= weight;
                        false
                    }
                })
            } else {
                let turn = (ticket % eligible_count) as usize;
                (0..count).filter(|i| eligible(*i)).nth(turn)
            }
        }
        Algorithm::LeastOutstandingRequests => {
            if count == 0 {
                return None;
            }
            let start = (ticket % count as u64) as usize;
            (0..count)
                .map(|k| (start + k) % count)
                .filter(|i| eligible(*i))
                .min_by_key(|i| view(*i).outstanding)
        }
    }
}

/// A target's slow-start weight: ramps linearly from 1 to [`FULL_WEIGHT`]
/// over `slow_start` after it became healthy at `healthy_since`.
pub(crate) fn slow_start_weight(
    healthy_since: Option<Instant>,
    now: Instant,
    slow_start: Duration,
) -> u32 {
    match healthy_since {
        Some(since) if !slow_start.is_zero() => {
            let elapsed = now.saturating_duration_since(since);
            if elapsed >= slow_start {
                FULL_WEIGHT
            } else {
                let share =
                    elapsed.as_micros() * u128::from(FULL_WEIGHT) / slow_start.as_micros().max(1);
                (share as u32).clamp(1, FULL_WEIGHT)
            }
        }
        _ => FULL_WEIGHT,
    }
}

/// Picks one of a forward action's target groups by weight; weight 0 is
/// never picked, and all zero picks none.
pub(crate) fn choose_weighted(weights: &[u32], random: u64) -> Option<usize> {
    let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
    if total == 0 {
        return None;
    }
    let mut draw = random % total;
    weights.iter().position(|w| {
        let w = u64::from(*w);
        if draw < w {
            true
        } else {
            draw -= w;
            false
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn c(healthy: bool) -> Candidate {
        Candidate {
            healthy,
            outstanding: 0,
            weight: FULL_WEIGHT,
        }
    }

    #[test]
    fn round_robin_takes_turns_among_healthy_targets() {
        let targets = [c(true), c(false), c(true), c(true)];
        let picks: Vec<_> = (0..6)
            .map(|t| choose(Algorithm::RoundRobin, 4, |i| targets[i], t, 0, None))
            .collect();
        assert_eq!(
            picks,
            [Some(0), Some(2), Some(3), Some(0), Some(2), Some(3)]
        );
    }

    #[test]
    fn fail_open_when_nothing_is_healthy() {
        let targets = [c(false), c(false)];
        let picks: Vec<_> = (0..4)
            .map(|t| choose(Algorithm::RoundRobin, 2, |i| targets[i], t, 0, None))
            .collect();
        assert_eq!(picks, [Some(0), Some(1), Some(0), Some(1)]);
        assert_eq!(
            choose(Algorithm::RoundRobin, 0, |i| targets[i], 0, 0, None),
            None
        );
    }

    #[test]
    fn exclusion_leaves_the_others() {
        let targets = [c(true), c(true)];
        assert_eq!(
            choose(Algorithm::RoundRobin, 2, |i| targets[i], 0, 0, Some(0)),
            Some(1)
        );
        let lone = [c(true), c(false)];
        assert_eq!(
            choose(Algorithm::RoundRobin, 2, |i| lone[i], 0, 0, Some(0)),
            None,
            "an unhealthy target is no retry target while another is healthy"
        );
    }

    #[test]
    fn least_outstanding_prefers_the_idle_target() {
        let mut targets = [c(true), c(true), c(true)];
        targets[0].outstanding = 5;
        targets[1].outstanding = 1;
        targets[2].outstanding = 3;
        for t in 0..5 {
            assert_eq!(
                choose(
                    Algorithm::LeastOutstandingRequests,
                    3,
                    |i| targets[i],
                    t,
                    0,
                    None
                ),
                Some(1)
            );
        }
        targets[2].outstanding = 1;
        let picks: std::collections::BTreeSet<_> = (0..6)
            .filter_map(|t| {
                choose(
                    Algorithm::LeastOutstandingRequests,
                    3,
                    |i| targets[i],
                    t,
                    0,
                    None,
                )
            })
            .collect();
        assert_eq!(picks, [1, 2].into(), "ties rotate");
    }

    #[test]
    fn slow_start_ramps_linearly() {
        let t0 = Instant::now();
        let ss = Duration::from_secs(100);
        assert_eq!(slow_start_weight(Some(t0), t0, ss), 1);
        assert_eq!(
            slow_start_weight(Some(t0), t0 + Duration::from_secs(25), ss),
            250
        );
        assert_eq!(slow_start_weight(Some(t0), t0 + ss, ss), FULL_WEIGHT);
        assert_eq!(slow_start_weight(Some(t0), t0, Duration::ZERO), FULL_WEIGHT);
        assert_eq!(slow_start_weight(None, t0, ss), FULL_WEIGHT);
    }

    #[test]
    fn a_ramping_target_gets_its_share() {
        let mut targets = [c(true), c(true)];
        targets[1].weight = 250;
        let mut counts = [0u32; 2];
        for r in 0..1250u64 {
            if let Some(i) = choose(Algorithm::RoundRobin, 2, |i| targets[i], r, r, None) {
                counts[i] += 1;
            }
        }
        assert_eq!(counts, [1000, 250]);
    }

    #[test]
    fn weighted_groups_split_by_weight() {
        let weights = [1, 3, 0];
        let mut counts = [0u32; 3];
        for r in 0..400u64 {
            counts[choose_weighted(&weights, r).unwrap()] += 1;
        }
        assert_eq!(counts, [100, 300, 0]);
        assert_eq!(choose_weighted(&[0, 0], 7), None);
        assert_eq!(choose_weighted(&[], 7), None);
    }

    fn arb_candidate() -> impl Strategy<Value = Candidate> {
        (any::<bool>(), 0u32..10, 0u32..=FULL_WEIGHT).prop_map(|(healthy, outstanding, weight)| {
            Candidate {
                healthy,
                outstanding,
                weight,
            }
        })
    }

    fn arb_algorithm() -> impl Strategy<Value = Algorithm> {
        prop_oneof![
            Just(Algorithm::RoundRobin),
            Just(Algorithm::LeastOutstandingRequests)
        ]
    }

    proptest! {
        /// A target never gets traffic while unhealthy unless every target
        /// is unhealthy (fail-open); something is always chosen when any
        /// target is registered.
        #[test]
        fn unhealthy_only_when_all_are(
            targets in prop::collection::vec(arb_candidate(), 0..8),
            algorithm in arb_algorithm(),
            ticket in any::<u64>(),
            random in any::<u64>(),
        ) {
            let picked = choose(algorithm, targets.len(), |i| targets[i], ticket, random, None);
            prop_assert_eq!(picked.is_some(), !targets.is_empty());
            if let Some(i) = picked {
                let any_healthy = targets.iter().any(|t| t.healthy);
                prop_assert!(targets[i].healthy || !any_healthy);
            }
        }

        /// The excluded target is never chosen.
        #[test]
        fn excluded_never_chosen(
            targets in prop::collection::vec(arb_candidate(), 1..8),
            algorithm in arb_algorithm(),
            ticket in any::<u64>(),
            random in any::<u64>(),
            excluded in 0usize..8,
        ) {
            let picked = choose(algorithm, targets.len(), |i| targets[i], ticket, random, Some(excluded));
            prop_assert_ne!(picked, Some(excluded));
        }

        /// Least outstanding requests never picks a routable target with more
        /// in flight than another routable one.
        #[test]
        fn least_outstanding_is_minimal(
            targets in prop::collection::vec(arb_candidate(), 1..8),
            ticket in any::<u64>(),
        ) {
            let any_healthy = targets.iter().any(|t| t.healthy);
            let i = choose(Algorithm::LeastOutstandingRequests, targets.len(), |i| targets[i], ticket, 0, None).unwrap();
            let min = targets.iter().filter(|t| routable(**t, any_healthy)).map(|t| t.outstanding).min().unwrap();
            prop_assert_eq!(targets[i].outstanding, min);
        }

        /// Round robin over healthy full-weight targets gives each exactly
        /// one turn per cycle.
        #[test]
        fn round_robin_is_fair(healthy in prop::collection::vec(any::<bool>(), 1..8), start in 0u64..1000) {
            let targets: Vec<_> = healthy.iter().map(|h| c(*h)).collect();
            let routable_count = if healthy.iter().any(|h| *h) { healthy.iter().filter(|h| **h).count() } else { healthy.len() };
            let mut counts = vec![0usize; targets.len()];
            for t in start..start + routable_count as u64 * 3 {
                counts[choose(Algorithm::RoundRobin, targets.len(), |i| targets[i], t, 0, None).unwrap()] += 1;
            }
            let any_healthy = healthy.iter().any(|h| *h);
            for (i, n) in counts.iter().enumerate() {
                prop_assert_eq!(*n, if routable(targets[i], any_healthy) { 3 } else { 0 });
            }
        }

        /// Weight 0 is never chosen.
        #[test]
        fn zero_weight_never_chosen(weights in prop::collection::vec(0u32..1000, 0..6), random in any::<u64>()) {
            match choose_weighted(&weights, random) {
                Some(i) => prop_assert!(weights[i] > 0),
                None => prop_assert!(weights.iter().all(|w| *w == 0)),
            }
        }
    }
}
