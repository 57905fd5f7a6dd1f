//! Events → PutLogEvents batches within CloudWatch Logs' limits: at most 1,048,576 bytes a
//! batch (each event's UTF-8 message plus 26 bytes), at most 10,000 events (Berth sends at
//! 1,000), 256 KiB an event (longer messages are split at character boundaries into events
//! of the same timestamp), a span of at most 24 hours, and the events of a batch in
//! timestamp order. Empty messages (which CloudWatch refuses) are dropped. Pure.

use std::collections::VecDeque;

use super::assemble::Event;
use super::cursor::Position;
use super::sink::LogEvent;

/// What CloudWatch counts for each event besides its message.
pub const EVENT_OVERHEAD_BYTES: usize = 26;
pub const MAX_BATCH_BYTES: usize = 1_048_576;
pub const MAX_BATCH_EVENTS: usize = 10_000;
/// An event's size counted as a batch counts it (message plus overhead).
pub const MAX_EVENT_BYTES: usize = 256 * 1024;
pub const MAX_MESSAGE_BYTES: usize = MAX_EVENT_BYTES - EVENT_OVERHEAD_BYTES;
pub const MAX_SPAN_MS: i64 = 24 * 60 * 60 * 1000;
/// A batch with this many events is sent without waiting for the flush interval.
pub const FLUSH_EVENTS: usize = 1_000;
// The runtime cuts endless lines where an event ends.
const _: () = assert!(crate::runtime::log_frames::MAX_LINE_BYTES == MAX_MESSAGE_BYTES);

/// A batcher's limits (the defaults are CloudWatch's, sending at [`FLUSH_EVENTS`]).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub events: usize,
    pub bytes: usize,
    pub span_ms: i64,
    /// At most `bytes - EVENT_OVERHEAD_BYTES`.
    pub message_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            events: FLUSH_EVENTS,
            bytes: MAX_BATCH_BYTES,
            span_ms: MAX_SPAN_MS,
            message_bytes: MAX_MESSAGE_BYTES,
        }
    }
}

/// One PutLogEvents call's worth.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Batch {
    /// In timestamp order; may be empty (only dropped messages), then nothing is sent.
    pub events: Vec<LogEvent>,
    /// Once the batch is acknowledged, every line up to here is shipped (`None`: no line is
    /// complete yet, as with the first part of a split line).
    pub through: Option<Position>,
}

#[derive(Debug, Default)]
struct Open {
    batch: Batch,
    bytes: usize,
    span: Option<(i64, i64)>,
    /// Something to seal: events, or `through` moved past dropped messages.
    changed: bool,
}

/// See the module docs.
#[derive(Debug)]
pub struct Batcher {
    limits: Limits,
    open: Open,
    sealed: VecDeque<Batch>,
    /// Where the events pushed so far end.
    through: Option<Position>,
}

/// `message` in pieces of at most `max` bytes, cut at character boundaries.
pub fn split_message(message: &str, max: usize) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = message;
    while !rest.is_empty() {
        let mut cut = rest.len().min(max.max(1));
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        if cut == 0 {
            // A character wider than `max`: it goes whole.
            cut = rest
                .chars()
                .next()
                .map(char::len_utf8)
                .unwrap_or(rest.len());
        }
        let (part, tail) = rest.split_at(cut);
        parts.push(part);
        rest = tail;
    }
    parts
}

impl Batcher {
    pub fn new(limits: Limits) -> Self {
        Batcher {
            limits,
            open: Open::default(),
            sealed: VecDeque::new(),
            through: None,
        }
    }

    pub fn push(&mut self, event: Event) {
        let parts = split_message(&event.message, self.limits.message_bytes);
        let last = parts.len().saturating_sub(1);
        for (i, part) in parts.into_iter().enumerate() {
            // A line is shipped only with its last part.
            let through = if i == last {
                Some(event.through)
            } else {
                self.through
            };
            let e = LogEvent {
                timestamp: event.timestamp_ms,
                message: part.to_owned(),
            };
            self.add(e, through);
        }
        if event.message.is_empty() {
            self.open.batch.through = Some(event.through);
            self.open.changed = true;
        }
        self.through = Some(event.through);
    }

    fn add(&mut self, e: LogEvent, through: Option<Position>) {
        let size = e.message.len() + EVENT_OVERHEAD_BYTES;
        let span = match self.open.span {
            Some((lo, hi)) => (lo.min(e.timestamp), hi.max(e.timestamp)),
            None => (e.timestamp, e.timestamp),
        };
        let open = &self.open;
        let overflows = open.batch.events.len() + 1 > self.limits.events
            || open.bytes + size > self.limits.bytes
            || span.1.saturating_sub(span.0) > self.limits.span_ms;
        if overflows && !open.batch.events.is_empty() {
            self.seal();
        }
        let open = &mut self.open;
        let (lo, hi) = open.span.unwrap_or((e.timestamp, e.timestamp));
        open.span = Some((lo.min(e.timestamp), hi.max(e.timestamp)));
        open.bytes += size;
        open.batch.events.push(e);
        if through.is_some() {
            open.batch.through = through;
        }
        open.changed = true;
        let full = open.batch.events.len() >= self.limits.events
            || open.bytes + EVENT_OVERHEAD_BYTES + 1 > self.limits.bytes;
        if full {
            self.seal();
        }
    }

    /// Closes the open batch (the flush interval is up, or the output ended).
    pub fn seal(&mut self) {
        let open = std::mem::take(&mut self.open);
        if open.changed {
            let mut batch = open.batch;
            batch.events.sort_by_key(|e| e.timestamp);
            self.sealed.push_back(batch);
        }
    }

    /// The next closed batch, oldest first.
    pub fn take_ready(&mut self) -> Option<Batch> {
        self.sealed.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn event(ms: i64, message: &str, ns: i64) -> Event {
        Event {
            timestamp_ms: ms,
            message: message.to_owned(),
            through: Position { ns, nth: 0 },
        }
    }

    fn drain(b: &mut Batcher) -> Vec<Batch> {
        b.seal();
        std::iter::from_fn(|| b.take_ready()).collect()
    }

    fn limits(events: usize, bytes: usize, span_ms: i64) -> Limits {
        Limits {
            events,
            bytes,
            span_ms,
            message_bytes: bytes - EVENT_OVERHEAD_BYTES,
        }
    }

    #[test]
    fn a_batch_closes_at_its_event_count_and_byte_limit() {
        let mut b = Batcher::new(limits(2, 1000, MAX_SPAN_MS));
        for i in 0..5 {
            b.push(event(i, "m", i));
        }
        // Two full batches are ready at once; the fifth event waits for the flush.
        assert_eq!(b.take_ready().map(|x| x.events.len()), Some(2));
        assert_eq!(b.take_ready().map(|x| x.events.len()), Some(2));
        assert_eq!(b.take_ready(), None);
        assert_eq!(drain(&mut b).len(), 1);
        // 26 + 74 = 100 bytes an event: a 250-byte batch holds two.
        let mut b = Batcher::new(limits(100, 250, MAX_SPAN_MS));
        for i in 0..3 {
            b.push(event(i, &"x".repeat(74), i));
        }
        let sizes: Vec<usize> = drain(&mut b).iter().map(|x| x.events.len()).collect();
        assert_eq!(sizes, [2, 1]);
    }

    #[test]
    fn a_long_line_is_split_and_counts_as_shipped_with_its_last_part() {
        let mut b = Batcher::new(Limits {
            message_bytes: 100,
            ..limits(2, 1000, MAX_SPAN_MS)
        });
        b.push(event(1, "first", 10));
        b.push(event(2, &"y".repeat(250), 20));
        let batches = drain(&mut b);
        let parts: Vec<usize> = batches
            .iter()
            .flat_map(|x| x.events.iter().map(|e| e.message.len()))
            .collect();
        assert_eq!(parts, [5, 100, 100, 50]);
        let through: Vec<Option<i64>> = batches.iter().map(|x| x.through.map(|p| p.ns)).collect();
        // [first, y×100] → through the first line only; [y×100, y×50] → through the long one.
        assert_eq!(through, [Some(10), Some(20)]);
    }

    #[test]
    fn events_are_sorted_within_a_batch_and_a_batch_spans_at_most_a_day() {
        let mut b = Batcher::new(Limits::default());
        b.push(event(30, "c", 1));
        b.push(event(10, "a", 2));
        b.push(event(MAX_SPAN_MS + 11, "late", 3));
        let batches = drain(&mut b);
        let stamps: Vec<Vec<i64>> = batches
            .iter()
            .map(|x| x.events.iter().map(|e| e.timestamp).collect())
            .collect();
        assert_eq!(stamps, [vec![10, 30], vec![MAX_SPAN_MS + 11]]);
    }

    #[test]
    fn empty_messages_are_dropped_but_move_the_cursor() {
        let mut b = Batcher::new(Limits::default());
        b.push(event(1, "", 5));
        let batches = drain(&mut b);
        assert_eq!(batches.len(), 1);
        assert!(batches[0].events.is_empty());
        assert_eq!(batches[0].through, Some(Position { ns: 5, nth: 0 }));
        assert!(drain(&mut b).is_empty(), "nothing more to seal");
    }

    #[test]
    fn splits_keep_characters_whole() {
        assert_eq!(split_message("ééé", 3), ["é", "é", "é"]);
        assert_eq!(split_message("aé", 2), ["a", "é"]);
        assert_eq!(split_message("é", 1), ["é"]);
        assert!(split_message("", 5).is_empty());
    }

    fn message() -> impl Strategy<Value = String> {
        prop_oneof![Just(String::new()), "[a-zé]{1,12}", "[a-z]{40,200}",]
    }

    proptest! {
        /// Every batch keeps every limit, is sorted, and the messages come out whole and in
        /// order (timestamps here never go back, so sorting keeps the order).
        #[test]
        fn batches_keep_the_limits_and_lose_nothing(
            events in proptest::collection::vec((0i64..3, message()), 0..60),
            max_events in 1usize..6,
            bytes in 60usize..300,
            span_ms in 0i64..4,
        ) {
            let limits = limits(max_events, bytes, span_ms);
            let mut b = Batcher::new(limits);
            let mut ms = 0;
            for (i, (step, text)) in events.iter().enumerate() {
                ms += step;
                b.push(event(ms, text, i as i64));
            }
            let batches = drain(&mut b);
            let mut out = String::new();
            let mut last_through = None;
            for batch in &batches {
                prop_assert!(batch.events.len() <= limits.events);
                let size: usize = batch.events.iter().map(|e| e.message.len() + 26).sum();
                prop_assert!(size <= limits.bytes);
                if let (Some(lo), Some(hi)) = (batch.events.first(), batch.events.last()) {
                    prop_assert!(hi.timestamp - lo.timestamp <= limits.span_ms);
                }
                prop_assert!(batch.events.windows(2).all(|w| w[0].timestamp <= w[1].timestamp));
                for e in &batch.events {
                    prop_assert!(!e.message.is_empty());
                    prop_assert!(e.message.len() <= limits.message_bytes.max(2));
                    out.push_str(&e.message);
                }
                prop_assert!(batch.through >= last_through);
                last_through = batch.through;
            }
            let expected: String = events.iter().map(|(_, t)| t.as_str()).collect();
            prop_assert_eq!(out, expected);
            if !events.is_empty() {
                prop_assert_eq!(last_through.map(|p| p.ns), Some(events.len() as i64 - 1));
            }
        }

        /// Out-of-order timestamps: each batch is sorted and no event is lost or added.
        #[test]
        fn unordered_events_are_sorted_per_batch(stamps in proptest::collection::vec(0i64..1000, 0..50)) {
            let mut b = Batcher::new(limits(7, 10_000, MAX_SPAN_MS));
            for (i, ms) in stamps.iter().enumerate() {
                b.push(event(*ms, &format!("e{i}"), i as i64));
            }
            let batches = drain(&mut b);
            let mut seen: Vec<String> = Vec::new();
            for batch in &batches {
                prop_assert!(batch.events.windows(2).all(|w| w[0].timestamp <= w[1].timestamp));
                seen.extend(batch.events.iter().map(|e| e.message.clone()));
            }
            seen.sort();
            let mut expected: Vec<String> = (0..stamps.len()).map(|i| format!("e{i}")).collect();
            expected.sort();
            prop_assert_eq!(seen, expected);
        }
    }
}
