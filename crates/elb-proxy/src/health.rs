//! Target health as ELB reports it (DescribeTargetHealth), and the state
//! machine the health checks drive. Pure: check outcomes and the time come
//! in as arguments.
//!
//! The checked states move on consecutive results:
//!
//! - `initial` → `healthy` after `healthy_threshold` successes in a row,
//!   → `unhealthy` after `unhealthy_threshold` failures in a row;
//! - `healthy` → `unhealthy` after `unhealthy_threshold` failures in a row;
//! - `unhealthy` → `healthy` after `healthy_threshold` successes in a row.
//!
//! What is *reported* also depends on the target's circumstances: a
//! deregistered target is `draining`, a target of a group that no listener
//! uses is `unused`, and one whose group has checks disabled is
//! `unavailable` (and routable).

use std::time::{Duration, Instant};

/// ELB's target health states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HealthState {
    Initial,
    Healthy,
    Unhealthy,
    Unused,
    Draining,
    Unavailable,
}

impl HealthState {
    /// The API's spelling: `initial`, `healthy`, …
    pub fn as_str(self) -> &'static str {
        match self {
            HealthState::Initial => "initial",
            HealthState::Healthy => "healthy",
            HealthState::Unhealthy => "unhealthy",
            HealthState::Unused => "unused",
            HealthState::Draining => "draining",
            HealthState::Unavailable => "unavailable",
        }
    }
}

/// ELB's reason codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HealthReason {
    RegistrationInProgress,
    InitialHealthChecking,
    Timeout,
    ResponseCodeMismatch,
    FailedHealthChecks,
    DeregistrationInProgress,
    NotInUse,
    HealthCheckDisabled,
}

impl HealthReason {
    /// The API's code: `Elb.RegistrationInProgress`, `Target.Timeout`, …
    pub fn as_str(self) -> &'static str {
        match self {
            HealthReason::RegistrationInProgress => "Elb.RegistrationInProgress",
            HealthReason::InitialHealthChecking => "Elb.InitialHealthChecking",
            HealthReason::Timeout => "Target.Timeout",
            HealthReason::ResponseCodeMismatch => "Target.ResponseCodeMismatch",
            HealthReason::FailedHealthChecks => "Target.FailedHealthChecks",
            HealthReason::DeregistrationInProgress => "Target.DeregistrationInProgress",
            HealthReason::NotInUse => "Target.NotInUse",
            HealthReason::HealthCheckDisabled => "Target.HealthCheckDisabled",
        }
    }
}

/// One target's health, as DescribeTargetHealth shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetHealth {
    pub state: HealthState,
    /// `None` when healthy.
    pub reason: Option<HealthReason>,
    /// A human sentence; `None` when healthy.
    pub description: Option<String>,
}

/// The result of one health check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CheckOutcome {
    /// The status was in the matcher.
    Success,
    /// No (complete) response within the timeout.
    Timeout,
    /// The connection was refused or reset, or the answer was not HTTP.
    Failed,
    /// A status outside the matcher.
    BadStatus(u16),
}

/// The checked state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Checked {
    Initial,
    Healthy,
    Unhealthy,
}

/// One target's health-check history.
#[derive(Clone, Debug)]
pub(crate) struct HealthMachine {
    state: Checked,
    successes: u32,
    failures: u32,
    checks: u64,
    last_failure: Option<CheckOutcome>,
    healthy_since: Option<Instant>,
}

impl Default for HealthMachine {
    fn default() -> Self {
        HealthMachine {
            state: Checked::Initial,
            successes: 0,
            failures: 0,
            checks: 0,
            last_failure: None,
            healthy_since: None,
        }
    }
}

impl HealthMachine {
    /// Records one check; returns the new state when it changed.
    pub(crate) fn record(
        &mut self,
        outcome: CheckOutcome,
        healthy_threshold: u32,
        unhealthy_threshold: u32,
        now: Instant,
    ) -> Option<Checked> {
        self.checks += 1;
        let before = self.state;
        if outcome == CheckOutcome::Success {
            self.successes = self.successes.saturating_add(1);
            self.failures = 0;
            if self.state != Checked::Healthy && self.successes >= healthy_threshold.max(1) {
                self.state = Checked::Healthy;
                self.healthy_since = Some(now);
            }
        } else {
            self.failures = self.failures.saturating_add(1);
            self.successes = 0;
            self.last_failure = Some(outcome);
            if self.state != Checked::Unhealthy && self.failures >= unhealthy_threshold.max(1) {
                self.state = Checked::Unhealthy;
                self.healthy_since = None;
            }
        }
        (self.state != before).then_some(self.state)
    }

    #[cfg(test)]
    pub(crate) fn state(&self) -> Checked {
        self.state
    }

    /// When the target last became healthy (for slow start).
    pub(crate) fn healthy_since(&self) -> Option<Instant> {
        self.healthy_since
    }

    /// What DescribeTargetHealth shows.
    pub(crate) fn report(&self, circumstances: Circumstances) -> TargetHealth {
        let (state, reason) = if circumstances.draining {
            (
                HealthState::Draining,
                Some(HealthReason::DeregistrationInProgress),
            )
        } else if !circumstances.in_use {
            (HealthState::Unused, Some(HealthReason::NotInUse))
        } else if !circumstances.checks_enabled {
            (
                HealthState::Unavailable,
                Some(HealthReason::HealthCheckDisabled),
            )
        } else {
            match self.state {
                Checked::Healthy => (HealthState::Healthy, None),
                Checked::Initial if self.checks == 0 => (
                    HealthState::Initial,
                    Some(HealthReason::RegistrationInProgress),
                ),
                Checked::Initial => (
                    HealthState::Initial,
                    Some(HealthReason::InitialHealthChecking),
                ),
                Checked::Unhealthy => (
                    HealthState::Unhealthy,
                    Some(match self.last_failure {
                        Some(CheckOutcome::Timeout) => HealthReason::Timeout,
                        Some(CheckOutcome::BadStatus(_)) => HealthReason::ResponseCodeMismatch,
                        _ => HealthReason::FailedHealthChecks,
                    }),
                ),
            }
        };
        let description = reason.map(|reason| match (reason, self.last_failure) {
            (HealthReason::ResponseCodeMismatch, Some(CheckOutcome::BadStatus(code))) => {
                format!("Health checks failed with these codes: [{code}]")
            }
            (HealthReason::RegistrationInProgress, _) => {
                "Target registration is in progress".to_owned()
            }
            (HealthReason::InitialHealthChecking, _) => {
                "Initial health checks in progress".to_owned()
            }
            (HealthReason::Timeout, _) => "Request timed out".to_owned(),
            (HealthReason::DeregistrationInProgress, _) => {
                "Target deregistration is in progress".to_owned()
            }
            (HealthReason::NotInUse, _) => {
                "Target group is not configured to receive traffic from the load balancer"
                    .to_owned()
            }
            (HealthReason::HealthCheckDisabled, _) => "Health checks are disabled".to_owned(),
            (HealthReason::ResponseCodeMismatch | HealthReason::FailedHealthChecks, _) => {
                "Health checks failed".to_owned()
            }
        });
        TargetHealth {
            state,
            reason,
            description,
        }
    }
}

/// What besides the checks decides a target's reported state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Circumstances {
    pub draining: bool,
    pub in_use: bool,
    pub checks_enabled: bool,
}

/// Whether the status code counts as a successful check.
pub(crate) fn status_matches(matcher: &[(u16, u16)], status: u16) -> bool {
    matcher
        .iter()
        .any(|(low, high)| (*low..=*high).contains(&status))
}

/// Whether a draining target may go: nothing in flight any more, or the
/// deregistration delay is over.
pub(crate) fn drain_finished(
    in_flight: u32,
    draining_since: Instant,
    now: Instant,
    delay: Duration,
) -> bool {
    in_flight == 0 || now.saturating_duration_since(draining_since) >= delay
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const LIVE: Circumstances = Circumstances {
        draining: false,
        in_use: true,
        checks_enabled: true,
    };

    fn feed(machine: &mut HealthMachine, outcomes: &[CheckOutcome]) {
        let now = Instant::now();
        for o in outcomes {
            machine.record(*o, 3, 2, now);
        }
    }

    use CheckOutcome::{BadStatus, Failed, Success, Timeout};

    #[test]
    fn initial_until_a_threshold_is_reached() {
        let mut m = HealthMachine::default();
        let r = m.report(LIVE);
        assert_eq!(r.state, HealthState::Initial);
        assert_eq!(r.reason, Some(HealthReason::RegistrationInProgress));
        feed(&mut m, &[Success, Success]);
        assert_eq!(
            m.report(LIVE).reason,
            Some(HealthReason::InitialHealthChecking)
        );
        feed(&mut m, &[Success]);
        assert_eq!(m.report(LIVE).state, HealthState::Healthy);
        assert_eq!(m.report(LIVE).reason, None);
        assert!(m.healthy_since().is_some());
    }

    #[test]
    fn failures_make_it_unhealthy_with_the_last_reason() {
        let mut m = HealthMachine::default();
        feed(&mut m, &[Success, Success, Success, BadStatus(500)]);
        assert_eq!(
            m.report(LIVE).state,
            HealthState::Healthy,
            "one failure is not enough"
        );
        feed(&mut m, &[BadStatus(500)]);
        let r = m.report(LIVE);
        assert_eq!(r.state, HealthState::Unhealthy);
        assert_eq!(r.reason, Some(HealthReason::ResponseCodeMismatch));
        assert_eq!(
            r.description.as_deref(),
            Some("Health checks failed with these codes: [500]")
        );
        feed(&mut m, &[Timeout]);
        assert_eq!(m.report(LIVE).reason, Some(HealthReason::Timeout));
        feed(&mut m, &[Failed]);
        assert_eq!(
            m.report(LIVE).reason,
            Some(HealthReason::FailedHealthChecks)
        );
        feed(&mut m, &[Success, Success]);
        assert_eq!(
            m.report(LIVE).state,
            HealthState::Unhealthy,
            "needs three in a row"
        );
        feed(&mut m, &[Success]);
        assert_eq!(m.report(LIVE).state, HealthState::Healthy);
    }

    #[test]
    fn a_broken_streak_starts_over() {
        let mut m = HealthMachine::default();
        feed(&mut m, &[Success, Success, Failed, Success, Success]);
        assert_eq!(m.state(), Checked::Initial);
        feed(&mut m, &[Success]);
        assert_eq!(m.state(), Checked::Healthy);
    }

    #[test]
    fn circumstances_override_the_checks() {
        let mut m = HealthMachine::default();
        feed(&mut m, &[Success, Success, Success]);
        let draining = m.report(Circumstances {
            draining: true,
            ..LIVE
        });
        assert_eq!(draining.state, HealthState::Draining);
        assert_eq!(
            draining.reason,
            Some(HealthReason::DeregistrationInProgress)
        );
        let unused = m.report(Circumstances {
            in_use: false,
            ..LIVE
        });
        assert_eq!(unused.state, HealthState::Unused);
        assert_eq!(
            unused.reason.map(HealthReason::as_str),
            Some("Target.NotInUse")
        );
        let disabled = m.report(Circumstances {
            checks_enabled: false,
            ..LIVE
        });
        assert_eq!(disabled.state, HealthState::Unavailable);
        assert_eq!(
            disabled.reason.map(HealthReason::as_str),
            Some("Target.HealthCheckDisabled")
        );
    }

    #[test]
    fn matcher_ranges_are_inclusive() {
        let m = [(200, 200), (300, 399)];
        assert!(status_matches(&m, 200));
        assert!(status_matches(&m, 399));
        assert!(!status_matches(&m, 201));
        assert!(!status_matches(&m, 500));
    }

    #[test]
    fn draining_ends_when_idle_or_late() {
        let t0 = Instant::now();
        let delay = Duration::from_secs(10);
        assert!(drain_finished(0, t0, t0, delay));
        assert!(!drain_finished(2, t0, t0 + Duration::from_secs(9), delay));
        assert!(drain_finished(2, t0, t0 + delay, delay));
    }

    fn arb_outcome() -> impl Strategy<Value = CheckOutcome> {
        prop_oneof![
            Just(Success),
            Just(Timeout),
            Just(Failed),
            (400u16..600).prop_map(BadStatus)
        ]
    }

    proptest! {
        /// The state is exactly what the last run of equal results says:
        /// healthy after a success run of the threshold, unhealthy after a
        /// failure run of the threshold, otherwise unchanged.
        #[test]
        fn state_follows_the_runs(
            outcomes in prop::collection::vec(arb_outcome(), 0..40),
            healthy_threshold in 1u32..6,
            unhealthy_threshold in 1u32..6,
        ) {
            let mut m = HealthMachine::default();
            let mut expected = Checked::Initial;
            let (mut ok_run, mut bad_run) = (0u32, 0u32);
            let now = Instant::now();
            for o in outcomes {
                if o == Success { ok_run += 1; bad_run = 0; } else { bad_run += 1; ok_run = 0; }
                if ok_run >= healthy_threshold { expected = Checked::Healthy; }
                if bad_run >= unhealthy_threshold { expected = Checked::Unhealthy; }
                m.record(o, healthy_threshold, unhealthy_threshold, now);
                prop_assert_eq!(m.state(), expected);
                let report = m.report(LIVE);
                prop_assert_eq!(report.state == HealthState::Healthy, expected == Checked::Healthy);
                prop_assert_eq!(report.reason.is_none(), expected == Checked::Healthy);
            }
        }
    }
}
