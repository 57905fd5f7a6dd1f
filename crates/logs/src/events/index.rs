//! What is in memory of the stored events: one entry per chunk (not per event), so memory
//! grows with the number of PutLogEvents calls kept, not with their size.

use std::collections::HashMap;

/// Where a chunk is and what it spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkRef {
    pub segment: u64,
    pub offset: u64,
    pub body_len: u32,
    pub count: u32,
    pub min_ts: i64,
    pub max_ts: i64,
    pub base_seq: u64,
    pub ingest: i64,
    /// Bytes of the messages (what CloudWatch counts as stored).
    pub bytes: u64,
}

/// One stream's chunks, sorted by (min_ts, base_seq).
#[derive(Debug, Default, Clone)]
pub struct StreamIndex {
    pub group: u64,
    pub chunks: Vec<ChunkRef>,
    pub first_ts: Option<i64>,
    pub last_ts: Option<i64>,
    pub last_ingest: Option<i64>,
    pub bytes: u64,
}

impl StreamIndex {
    pub fn add(&mut self, c: ChunkRef) {
        let at = self
            .chunks
            .partition_point(|x| (x.min_ts, x.base_seq) <= (c.min_ts, c.base_seq));
        self.chunks.insert(at, c);
        self.first_ts = Some(self.first_ts.map_or(c.min_ts, |t| t.min(c.min_ts)));
        self.last_ts = Some(self.last_ts.map_or(c.max_ts, |t| t.max(c.max_ts)));
        self.last_ingest = Some(self.last_ingest.map_or(c.ingest, |t| t.max(c.ingest)));
        self.bytes += c.bytes;
    }

    /// Drops the chunks whose every event is older than `cutoff`; returns them.
    pub fn expire(&mut self, cutoff: i64) -> Vec<ChunkRef> {
        let (gone, kept): (Vec<ChunkRef>, Vec<ChunkRef>) =
            self.chunks.iter().partition(|c| c.max_ts < cutoff);
        if gone.is_empty() {
            return gone;
        }
        self.chunks = kept;
        self.first_ts = self.chunks.iter().map(|c| c.min_ts).min();
        self.bytes = self.chunks.iter().map(|c| c.bytes).sum();
        gone
    }
}

/// Live chunks per segment, so a segment with none left can go.
#[derive(Debug, Default)]
pub struct SegmentUse {
    pub live: HashMap<(u64, u64), usize>,
}

impl SegmentUse {
    pub fn add(&mut self, group: u64, segment: u64) {
        *self.live.entry((group, segment)).or_default() += 1;
    }

    /// One chunk fewer; true if the segment has none left.
    pub fn remove(&mut self, group: u64, segment: u64) -> bool {
        match self.live.get_mut(&(group, segment)) {
            Some(n) if *n > 1 => {
                *n -= 1;
                false
            }
            Some(_) => {
                self.live.remove(&(group, segment));
                true
            }
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(min_ts: i64, max_ts: i64, seq: u64) -> ChunkRef {
        ChunkRef {
            segment: 0,
            offset: 0,
            body_len: 0,
            count: 1,
            min_ts,
            max_ts,
            base_seq: seq,
            ingest: seq as i64,
            bytes: 10,
        }
    }

    #[test]
    fn chunks_stay_sorted_and_stats_follow() {
        let mut s = StreamIndex::default();
        s.add(chunk(5, 9, 1));
        s.add(chunk(1, 2, 2));
        s.add(chunk(5, 6, 0));
        let order: Vec<u64> = s.chunks.iter().map(|c| c.base_seq).collect();
        assert_eq!(order, [2, 0, 1]);
        assert_eq!(
            (s.first_ts, s.last_ts, s.last_ingest, s.bytes),
            (Some(1), Some(9), Some(2), 30)
        );
        let gone = s.expire(6);
        assert_eq!(gone.len(), 1);
        assert_eq!(s.first_ts, Some(5));
        assert_eq!(s.bytes, 20);
    }
}
