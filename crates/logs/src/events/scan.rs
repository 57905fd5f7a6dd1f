//! Reading events in time order across chunks and streams: chunks overlap in time (a later
//! call may carry older events), so a scan keeps the best `limit` events in a bounded heap
//! and stops at the first chunk that cannot improve on them.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io;

use super::index::ChunkRef;
use super::store::EventStore;

/// A place between events: events are ordered by (timestamp, sequence number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub ts: i64,
    pub seq: u64,
}

impl Position {
    pub const START: Position = Position {
        ts: i64::MIN,
        seq: 0,
    };
    pub const END: Position = Position {
        ts: i64::MAX,
        seq: u64::MAX,
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Events after the position, oldest first.
    Forward,
    /// Events before the position, newest first.
    Backward,
}

/// Which events a scan wants.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// Inclusive.
    pub start: i64,
    /// Exclusive.
    pub end: i64,
    /// Events strictly beyond this position, in `direction`.
    pub from: Position,
    pub direction: Direction,
    pub limit: usize,
}

/// An event a scan found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub stream: u64,
    pub ts: i64,
    pub seq: u64,
    pub ingest: i64,
    pub message: String,
}

impl Found {
    pub fn position(&self) -> Position {
        Position {
            ts: self.ts,
            seq: self.seq,
        }
    }
}

/// Heap order: the event a full heap gives up first is at the top.
struct Ranked(Position, Found, bool);

impl PartialEq for Ranked {
    fn eq(&self, o: &Self) -> bool {
        self.0 == o.0
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Ranked {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        // Forward keeps the earliest (max-heap on position); backward the latest.
        if self.2 {
            self.0.cmp(&o.0)
        } else {
            Reverse(self.0).cmp(&Reverse(o.0))
        }
    }
}

impl EventStore {
    /// The first `w.limit` events of `streams` ((stream, group) pairs) in the window, in
    /// `w.direction`'s order, whose message `keep` accepts.
    pub fn scan(
        &self,
        streams: &[(u64, u64)],
        w: &Window,
        keep: &dyn Fn(&str) -> bool,
    ) -> io::Result<Vec<Found>> {
        let forward = w.direction == Direction::Forward;
        let mut chunks: Vec<(u64, u64, ChunkRef)> = Vec::new();
        for &(stream, group) in streams {
            for c in self.chunks(stream) {
                let in_window = c.max_ts >= w.start && c.min_ts < w.end;
                let beyond = if forward {
                    c.max_ts >= w.from.ts
                } else {
                    c.min_ts <= w.from.ts
                };
                if in_window && beyond {
                    chunks.push((stream, group, c));
                }
            }
        }
        if forward {
            chunks.sort_by_key(|(_, _, c)| (c.min_ts, c.base_seq));
        } else {
            chunks.sort_by_key(|(_, _, c)| Reverse((c.max_ts, c.base_seq)));
        }
        let mut best: BinaryHeap<Ranked> = BinaryHeap::with_capacity(w.limit.min(10_001) + 1);
        for (stream, group, c) in chunks {
            if w.limit == 0 {
                break;
            }
            if best.len() >= w.limit {
                if let Some(worst) = best.peek() {
                    let cannot_improve = if forward {
                        c.min_ts > worst.0.ts
                    } else {
                        c.max_ts < worst.0.ts
                    };
                    if cannot_improve {
                        break;
                    }
                }
            }
            self.read(group, &c, |ts, seq, message| {
                if ts < w.start || ts >= w.end {
                    return;
                }
                let pos = Position { ts, seq };
                let beyond = if forward { pos > w.from } else { pos < w.from };
                if !beyond {
                    return;
                }
                if best.len() >= w.limit {
                    let better = best.peek().is_some_and(|worst| {
                        if forward {
                            pos < worst.0
                        } else {
                            pos > worst.0
                        }
                    });
                    if !better {
                        return;
                    }
                }
                if !keep(message) {
                    return;
                }
                best.push(Ranked(
                    pos,
                    Found {
                        stream,
                        ts,
                        seq,
                        ingest: c.ingest,
                        message: message.to_owned(),
                    },
                    forward,
                ));
                if best.len() > w.limit {
                    best.pop();
                }
            })?;
        }
        let mut out: Vec<Found> = best.into_iter().map(|r| r.1).collect();
        out.sort_by_key(|f| f.position());
        if !forward {
            out.reverse();
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn store_with(batches: &[Vec<i64>]) -> (tempfile::TempDir, EventStore) {
        let dir = tempfile::tempdir().expect("dir");
        let store = EventStore::open(dir.path(), &HashMap::new()).expect("open");
        for (i, batch) in batches.iter().enumerate() {
            let msgs: Vec<String> = batch.iter().map(|t| format!("m{i}-{t}")).collect();
            let events: Vec<(i64, &str)> = batch
                .iter()
                .zip(&msgs)
                .map(|(t, m)| (*t, m.as_str()))
                .collect();
            store
                .append(1, 1 + (i as u64 % 2), 0, &events)
                .expect("append");
        }
        (dir, store)
    }

    proptest! {
        /// Paging forward or backward through any batches yields every event once, in
        /// (timestamp, sequence) order, as a sort of everything would.
        #[test]
        fn paging_yields_the_sorted_events_once(
            batches in proptest::collection::vec(proptest::collection::vec(0i64..50, 1..6), 1..8),
            limit in 1usize..7,
            forward: bool,
        ) {
            let (_dir, store) = store_with(&batches);
            let streams = [(1, 1), (2, 1)];
            let all = store.scan(&streams, &Window { start: i64::MIN, end: i64::MAX, from: Position::START, direction: Direction::Forward, limit: 10_000 }, &|_| true).expect("all");
            prop_assert_eq!(all.len(), batches.iter().map(Vec::len).sum::<usize>());
            prop_assert!(all.windows(2).all(|p| p[0].position() < p[1].position()));
            let (mut from, direction) = if forward { (Position::START, Direction::Forward) } else { (Position::END, Direction::Backward) };
            let mut paged = Vec::new();
            loop {
                let page = store.scan(&streams, &Window { start: i64::MIN, end: i64::MAX, from, direction, limit }, &|_| true).expect("page");
                let Some(last) = page.last() else { break };
                from = last.position();
                paged.extend(page);
            }
            if !forward { paged.reverse(); }
            prop_assert_eq!(paged, all);
        }
    }

    #[test]
    fn a_window_and_a_filter_narrow_the_scan() {
        let (_dir, store) = store_with(&[vec![1, 2, 3], vec![4, 5, 6]]);
        let found = store
            .scan(
                &[(1, 1), (2, 1)],
                &Window {
                    start: 2,
                    end: 6,
                    from: Position::START,
                    direction: Direction::Forward,
                    limit: 100,
                },
                &|m| !m.ends_with("-4"),
            )
            .expect("scan");
        let ts: Vec<i64> = found.iter().map(|f| f.ts).collect();
        assert_eq!(ts, [2, 3, 5]);
    }
}
