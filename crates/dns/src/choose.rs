//! Which instances an answer names: Route 53's routing policies over the
//! healthy instances, with the random generator passed in.

use crate::zones::Routing;

/// Route 53 returns at most eight records per Multivalue answer.
pub(crate) const MULTIVALUE_MAX: usize = 8;

/// Up to [`MULTIVALUE_MAX`] instance indexes, in answer order.
pub(crate) struct Chosen {
    picks: [usize; MULTIVALUE_MAX],
    len: usize,
}

impl Chosen {
    pub(crate) fn as_slice(&self) -> &[usize] {
        &self.picks[..self.len]
    }
}

/// The instances (from `candidates`, the ones that have the asked type) an
/// answer holds: Multivalue, all of them in random order when there are at
/// most eight, else eight distinct ones at random; Weighted, one at random
/// (Cloud Map gives every instance the same weight).
pub(crate) fn choose(routing: Routing, candidates: &[usize], rng: &mut fastrand::Rng) -> Chosen {
    let mut chosen = Chosen {
        picks: [0; MULTIVALUE_MAX],
        len: 0,
    };
    let count = match routing {
        Routing::Weighted => candidates.len().min(1),
        Routing::Multivalue => candidates.len().min(MULTIVALUE_MAX),
    };
    if count == candidates.len() {
        chosen.picks[..count].copy_from_slice(candidates);
        chosen.len = count;
        rng.shuffle(&mut chosen.picks[..count]);
        return chosen;
    }
    // Fewer than all: draw positions until `count` distinct ones are held.
    // With count <= 8 < candidates, a draw repeats with probability below
    // 8/9, so this ends after a few draws.
    let mut positions = [0usize; MULTIVALUE_MAX];
    while chosen.len < count {
        let position = rng.usize(..candidates.len());
        if !positions[..chosen.len].contains(&position) {
            positions[chosen.len] = position;
            chosen.picks[chosen.len] = candidates[position];
            chosen.len += 1;
        }
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn picks_are_distinct_candidates_within_the_policy(
            count in 0usize..40,
            seed in any::<u64>(),
            weighted in any::<bool>(),
        ) {
            let candidates: Vec<usize> = (0..count).map(|i| i * 3).collect();
            let routing = if weighted { Routing::Weighted } else { Routing::Multivalue };
            let chosen = choose(routing, &candidates, &mut fastrand::Rng::with_seed(seed));
            let picks = chosen.as_slice();
            let expected = match routing {
                Routing::Weighted => count.min(1),
                Routing::Multivalue => count.min(MULTIVALUE_MAX),
            };
            prop_assert_eq!(picks.len(), expected);
            for (i, pick) in picks.iter().enumerate() {
                prop_assert!(candidates.contains(pick));
                prop_assert!(!picks[..i].contains(pick));
            }
        }
    }

    #[test]
    fn every_candidate_gets_its_turn() {
        let candidates: Vec<usize> = (0..20).collect();
        let mut seen = [false; 20];
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..50 {
            for &pick in choose(Routing::Multivalue, &candidates, &mut rng).as_slice() {
                seen[pick] = true;
            }
        }
        assert!(seen.iter().all(|&s| s));
    }
}
