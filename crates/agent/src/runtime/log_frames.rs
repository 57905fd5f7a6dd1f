//! The Engine's log frames (`docker logs --timestamps`) as lines: each frame starts with an
//! RFC 3339 timestamp and a space; a line the Engine logged in parts (it splits lines longer
//! than 16 KiB) comes as frames without a newline, joined here per stream. Pure.
//!
//! A TTY container's output has no frames: the client cuts it at newlines, so a line logged
//! in parts arrives as one piece with the later part's timestamp inside it (kept as text).

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{LogLine, LogSource};

/// A line still unfinished after this many bytes is let out as it is: the longest message a
/// CloudWatch Logs event holds (256 KiB less the 26 bytes it counts per event), so a cut line
/// makes whole events; it also bounds the memory a line without newlines takes.
pub const MAX_LINE_BYTES: usize = 256 * 1024 - 26;

/// Joins frames into lines; see the module docs.
#[derive(Debug, Default)]
pub struct FrameJoiner {
    /// Unfinished line per source (stdout, stderr).
    partial: [Vec<u8>; 2],
    /// The last timestamp read: a frame without one (TTY) is taken as logged then.
    last_ns: i64,
}

fn slot(source: LogSource) -> usize {
    match source {
        LogSource::Stdout => 0,
        LogSource::Stderr => 1,
    }
}

/// Where to cut `bytes` (at least `max` long) to keep at most `max`: the last character
/// boundary at or before `max`.
fn utf8_cut(bytes: &[u8], max: usize) -> usize {
    let is_continuation = |i: usize| bytes.get(i).is_some_and(|b| b & 0xC0 == 0x80);
    let mut cut = max;
    while cut > 0 && is_continuation(cut) {
        cut -= 1;
    }
    if cut == 0 {
        max
    } else {
        cut
    }
}

/// `2024-01-02T03:04:05.123456789Z rest` → (ns since the epoch, rest).
pub fn split_timestamp(frame: &[u8]) -> Option<(i64, &[u8])> {
    let space = frame.iter().position(|b| *b == b' ')?;
    let stamp = std::str::from_utf8(&frame[..space]).ok()?;
    let at = OffsetDateTime::parse(stamp, &Rfc3339).ok()?;
    let ns = i64::try_from(at.unix_timestamp_nanos()).ok()?;
    Some((ns, &frame[space + 1..]))
}

impl FrameJoiner {
    /// The lines a frame completes.
    pub fn push(&mut self, source: LogSource, frame: &[u8]) -> Vec<LogLine> {
        let payload = match split_timestamp(frame) {
            Some((ns, rest)) => {
                self.last_ns = ns;
                rest
            }
            None => frame,
        };
        let mut out = Vec::new();
        let mut rest = payload;
        while let Some(nl) = rest.iter().position(|b| *b == b'\n') {
            self.partial[slot(source)].extend_from_slice(&rest[..nl]);
            out.push(self.take(source));
            rest = &rest[nl + 1..];
        }
        self.partial[slot(source)].extend_from_slice(rest);
        while self.partial[slot(source)].len() >= MAX_LINE_BYTES {
            let buffer = &mut self.partial[slot(source)];
            let tail = buffer.split_off(utf8_cut(buffer, MAX_LINE_BYTES));
            let line = self.take(source);
            self.partial[slot(source)] = tail;
            out.push(line);
        }
        out
    }

    /// Lines the output ended without finishing (no final newline).
    pub fn finish(&mut self) -> Vec<LogLine> {
        let mut out = Vec::new();
        for source in [LogSource::Stdout, LogSource::Stderr] {
            if !self.partial[slot(source)].is_empty() {
                out.push(self.take(source));
            }
        }
        out
    }

    fn take(&mut self, source: LogSource) -> LogLine {
        let bytes = std::mem::take(&mut self.partial[slot(source)]);
        LogLine {
            timestamp_ns: self.last_ns,
            source,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T1: &str = "2026-01-02T03:04:05.000000001Z";
    const T1_NS: i64 = 1_767_323_045_000_000_001;

    fn line(ns: i64, source: LogSource, text: &str) -> LogLine {
        LogLine {
            timestamp_ns: ns,
            source,
            text: text.into(),
        }
    }

    #[test]
    fn timestamps_keep_nanoseconds_and_accept_trimmed_fractions() {
        let frame = format!("{T1} hello");
        let (ns, rest) = split_timestamp(frame.as_bytes()).expect("stamp");
        assert_eq!((ns, rest), (T1_NS, &b"hello"[..]));
        // The Engine trims trailing zeros of the fraction.
        let (ns, _) = split_timestamp(b"2026-01-02T03:04:05.5Z x").expect("stamp");
        assert_eq!(ns, 1_767_323_045_500_000_000);
        assert!(split_timestamp(b"no timestamp here").is_none());
    }

    #[test]
    fn parts_of_a_line_join_per_stream_and_the_last_part_dates_it() {
        let mut j = FrameJoiner::default();
        let t2 = "2026-01-02T03:04:06Z";
        assert!(j
            .push(LogSource::Stdout, format!("{T1} abc").as_bytes())
            .is_empty());
        let err = j.push(LogSource::Stderr, format!("{T1} oops\n").as_bytes());
        assert_eq!(err, vec![line(T1_NS, LogSource::Stderr, "oops")]);
        let out = j.push(LogSource::Stdout, format!("{t2} def\n").as_bytes());
        assert_eq!(
            out,
            vec![line(1_767_323_046_000_000_000, LogSource::Stdout, "abcdef")]
        );
        assert!(j.finish().is_empty());
    }

    #[test]
    fn an_unfinished_line_comes_out_at_the_end_or_when_too_long() {
        let mut j = FrameJoiner::default();
        assert!(j
            .push(LogSource::Stdout, format!("{T1} tail").as_bytes())
            .is_empty());
        assert_eq!(j.finish(), vec![line(T1_NS, LogSource::Stdout, "tail")]);
        let long = format!("{T1} {}", "x".repeat(2 * MAX_LINE_BYTES + 10));
        let out = j.push(LogSource::Stdout, long.as_bytes());
        let sizes: Vec<usize> = out.iter().map(|l| l.text.len()).collect();
        assert_eq!(sizes, [MAX_LINE_BYTES, MAX_LINE_BYTES]);
        assert_eq!(j.finish()[0].text.len(), 10);
        // A cut never splits a character.
        let wide = format!("{T1} {}é", "x".repeat(MAX_LINE_BYTES - 1));
        let out = j.push(LogSource::Stdout, wide.as_bytes());
        assert_eq!(out[0].text.len(), MAX_LINE_BYTES - 1);
        assert_eq!(j.finish()[0].text, "é");
    }

    #[test]
    fn a_tty_piece_without_timestamp_takes_the_last_one() {
        let mut j = FrameJoiner::default();
        j.push(LogSource::Stdout, format!("{T1} a\n").as_bytes());
        let out = j.push(LogSource::Stdout, b"b\r\n");
        assert_eq!(out, vec![line(T1_NS, LogSource::Stdout, "b\r")]);
    }

    #[test]
    fn a_character_split_between_parts_survives() {
        let mut j = FrameJoiner::default();
        let e = "é".as_bytes();
        let mut first = format!("{T1} ").into_bytes();
        first.push(e[0]);
        let mut second = format!("{T1} ").into_bytes();
        second.extend_from_slice(&[e[1], b'\n']);
        assert!(j.push(LogSource::Stdout, &first).is_empty());
        assert_eq!(j.push(LogSource::Stdout, &second)[0].text, "é");
    }
}
