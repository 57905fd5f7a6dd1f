//! How long `matches` takes over a million events, as FilterLogEvents runs it.
//! Ignored by default; run it optimised:
//!
//! ```text
//! cargo test -p berth-log-filter --release --test speed -- --ignored --nocapture
//! ```

use std::time::{Duration, Instant};

use berth_log_filter::FilterPattern;

const EVENTS: usize = 1_000_000;
const RUNS: usize = 5;

/// A million access-log-like lines of about 120 bytes; one in a hundred
/// holds `ERROR`.
fn events() -> Vec<String> {
    (0..EVENTS)
        .map(|i| {
            let level = if i % 100 == 0 { "ERROR" } else { "INFO" };
            format!(
                "2024-05-01T12:{:02}:{:02}.{:03}Z {level} [worker-{}] 10.0.{}.{} GET /api/v1/items/{i} \
                 status={} latency_ms={}",
                (i / 60_000) % 60,
                (i / 1000) % 60,
                i % 1000,
                i % 16,
                i % 256,
                (i * 7) % 256,
                [200, 201, 404, 500][i % 4],
                i % 997,
            )
        })
        .collect()
}

/// The median wall time of one pass over `events`, and how many matched.
fn median_pass(pattern: &FilterPattern, events: &[String]) -> (Duration, usize) {
    let mut times = Vec::with_capacity(RUNS);
    let mut matched = 0;
    for _ in 0..RUNS {
        let start = Instant::now();
        matched = events.iter().filter(|e| pattern.matches(e)).count();
        times.push(start.elapsed());
    }
    times.sort();
    (times[RUNS / 2], matched)
}

fn report(text: &str, events: &[String]) -> Duration {
    let pattern = FilterPattern::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    let (median, matched) = median_pass(&pattern, events);
    println!(
        "{text:<55} {:>8.1} ms per {} events ({:>6.1} ns/event), {matched} matched",
        median.as_secs_f64() * 1e3,
        events.len(),
        median.as_secs_f64() * 1e9 / events.len() as f64,
    );
    median
}

#[test]
#[ignore = "a measurement: run with --release -- --ignored --nocapture"]
fn one_term_over_a_million_events() {
    let events = events();
    let one_term = report("ERROR", &events);
    report("?ERROR ?WARN -timeout", &events);
    report("\"status=500\"", &events);
    report(
        "\"GET /api/v1/items/999999 status=500 latency_ms\"",
        &events,
    );
    report("%status=5[0-9]{2}%", &events);
    report("[..., status, latency]", &events);
    let json: Vec<String> = events
        .iter()
        .take(EVENTS / 10)
        .enumerate()
        .map(|(i, e)| {
            format!(
                r#"{{"level":"{}","latency":{},"msg":"{e}"}}"#,
                ["info", "error"][i % 2],
                i % 997
            )
        })
        .collect();
    report(r#"{ $.level = "error" && $.latency > 500 }"#, &json);
    if !cfg!(debug_assertions) {
        assert!(
            one_term < Duration::from_millis(200),
            "one term took {one_term:?} over {EVENTS} events"
        );
    }
}
