//! One PutLogEvents batch as stored: a fixed header, then its events, with a CRC of the
//! events so that a torn write at the tail of a segment is recognised at start.
//!
//! Header (little-endian): magic `u32`, stream id `u64`, first sequence number `u64`,
//! ingestion time `i64`, event count `u32`, min and max timestamp `i64`, body length `u32`,
//! body CRC-32 `u32`. Body: per event, timestamp `i64`, message length `u32`, message bytes.

pub const MAGIC: u32 = 0x3147_4c42; // "BLG1"
pub const HEADER_LEN: usize = 56;

/// What the header of a chunk says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub stream: u64,
    pub base_seq: u64,
    pub ingest: i64,
    pub count: u32,
    pub min_ts: i64,
    pub max_ts: i64,
    pub body_len: u32,
    pub crc: u32,
}

/// An event read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub ts: i64,
    pub seq: u64,
    pub message: String,
}

/// Encodes a chunk of `events` (already validated: at most 10,000, each message < 4 GiB).
pub fn encode(stream: u64, base_seq: u64, ingest: i64, events: &[(i64, &str)]) -> Vec<u8> {
    let body_len: usize = events.iter().map(|(_, m)| 12 + m.len()).sum();
    let mut out = Vec::with_capacity(HEADER_LEN + body_len);
    out.resize(HEADER_LEN, 0);
    let (mut min_ts, mut max_ts) = (i64::MAX, i64::MIN);
    for (ts, msg) in events {
        min_ts = min_ts.min(*ts);
        max_ts = max_ts.max(*ts);
        out.extend_from_slice(&ts.to_le_bytes());
        out.extend_from_slice(&(msg.len() as u32).to_le_bytes());
        out.extend_from_slice(msg.as_bytes());
    }
    let crc = crc32fast::hash(&out[HEADER_LEN..]);
    let header = Header {
        stream,
        base_seq,
        ingest,
        count: events.len() as u32,
        min_ts,
        max_ts,
        body_len: (out.len() - HEADER_LEN) as u32,
        crc,
    };
    out[..HEADER_LEN].copy_from_slice(&header.to_bytes());
    out
}

impl Header {
    pub fn to_bytes(self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[0..4].copy_from_slice(&MAGIC.to_le_bytes());
        b[4..12].copy_from_slice(&self.stream.to_le_bytes());
        b[12..20].copy_from_slice(&self.base_seq.to_le_bytes());
        b[20..28].copy_from_slice(&self.ingest.to_le_bytes());
        b[28..32].copy_from_slice(&self.count.to_le_bytes());
        b[32..40].copy_from_slice(&self.min_ts.to_le_bytes());
        b[40..48].copy_from_slice(&self.max_ts.to_le_bytes());
        b[48..52].copy_from_slice(&self.body_len.to_le_bytes());
        b[52..56].copy_from_slice(&self.crc.to_le_bytes());
        b
    }

    /// Parses a header; None if it is not one.
    pub fn parse(b: &[u8]) -> Option<Header> {
        let b: &[u8; HEADER_LEN] = b.get(..HEADER_LEN)?.try_into().ok()?;
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let u64_at = |i: usize| {
            let mut x = [0u8; 8];
            x.copy_from_slice(&b[i..i + 8]);
            u64::from_le_bytes(x)
        };
        if u32_at(0) != MAGIC {
            return None;
        }
        Some(Header {
            stream: u64_at(4),
            base_seq: u64_at(12),
            ingest: u64_at(20) as i64,
            count: u32_at(28),
            min_ts: u64_at(32) as i64,
            max_ts: u64_at(40) as i64,
            body_len: u32_at(48),
            crc: u32_at(52),
        })
    }
}

/// Decodes a chunk body, calling `f` for each event; None if the body is damaged.
pub fn decode(header: &Header, body: &[u8], mut f: impl FnMut(i64, u64, &str)) -> Option<()> {
    if crc32fast::hash(body) != header.crc {
        return None;
    }
    let mut at = 0usize;
    for i in 0..header.count {
        let ts = i64::from_le_bytes(body.get(at..at + 8)?.try_into().ok()?);
        let len = u32::from_le_bytes(body.get(at + 8..at + 12)?.try_into().ok()?) as usize;
        let msg = std::str::from_utf8(body.get(at + 12..at + 12 + len)?).ok()?;
        f(ts, header.base_seq + u64::from(i), msg);
        at += 12 + len;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_chunk_reads_back_what_was_written(events in proptest::collection::vec((any::<i64>(), ".{0,40}"), 1..20), stream: u64, seq in 0u64..1 << 40) {
            let refs: Vec<(i64, &str)> = events.iter().map(|(t, m)| (*t, m.as_str())).collect();
            let bytes = encode(stream, seq, 7, &refs);
            let h = Header::parse(&bytes).expect("header");
            prop_assert_eq!(h.stream, stream);
            prop_assert_eq!(h.count as usize, events.len());
            prop_assert_eq!(h.body_len as usize, bytes.len() - HEADER_LEN);
            let mut back = Vec::new();
            decode(&h, &bytes[HEADER_LEN..], |ts, s, m| back.push((ts, s, m.to_owned()))).expect("decode");
            for (i, (ts, s, m)) in back.iter().enumerate() {
                prop_assert_eq!(*ts, events[i].0);
                prop_assert_eq!(*s, seq + i as u64);
                prop_assert_eq!(m, &events[i].1);
            }
        }

        #[test]
        fn a_damaged_body_is_refused(flip in 0usize..100) {
            let bytes = encode(1, 1, 1, &[(1, "hello world"), (2, "again")]);
            let h = Header::parse(&bytes).expect("header");
            let mut body = bytes[HEADER_LEN..].to_vec();
            let i = flip % body.len();
            body[i] ^= 0x40;
            let refused = decode(&h, &body, |_, _, _| ()).is_none();
            prop_assert!(refused);
        }
    }
}
