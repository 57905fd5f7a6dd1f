//! Lines → log events. Without a start pattern each line is an event. With one
//! (`awslogs-datetime-format` or `awslogs-multiline-pattern`), a line that matches it begins
//! a new event and a line that does not is appended to the event before it with `\n` (or
//! begins one, when there is none). An event is dated by its first line. Pure.

use regex::Regex;

use super::batch::MAX_MESSAGE_BYTES;
use super::cursor::Position;

/// A line of output, placed.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub at: Position,
    pub text: String,
}

/// An event to ship.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// ms since the epoch.
    pub timestamp_ms: i64,
    pub message: String,
    /// The position of its last line: once the event is acknowledged, every line up to there
    /// is shipped.
    pub through: Position,
}

impl Event {
    fn of(line: Line) -> Event {
        Event {
            timestamp_ms: line.at.ns.div_euclid(1_000_000),
            message: line.text,
            through: line.at,
        }
    }
}

/// See the module docs.
#[derive(Debug)]
pub struct Assembler {
    start: Option<Regex>,
    pending: Option<Event>,
}

impl Assembler {
    pub fn new(start: Option<Regex>) -> Self {
        Assembler {
            start,
            pending: None,
        }
    }

    /// Takes a line; answers the event it completes, if any.
    pub fn push(&mut self, line: Line) -> Option<Event> {
        let Some(start) = &self.start else {
            return Some(Event::of(line));
        };
        let begins = start.is_match(&line.text);
        match &mut self.pending {
            Some(event)
                if !begins && event.message.len() + 1 + line.text.len() <= MAX_MESSAGE_BYTES =>
            {
                event.message.push('\n');
                event.message.push_str(&line.text);
                event.through = line.at;
                None
            }
            // A new event begins (or the one before is full).
            _ => self.pending.replace(Event::of(line)),
        }
    }

    /// The event still open (the next line might have continued it).
    pub fn flush(&mut self) -> Option<Event> {
        self.pending.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn lines(texts: &[&str]) -> Vec<Line> {
        texts
            .iter()
            .enumerate()
            .map(|(i, t)| Line {
                at: Position {
                    ns: 1_000_000 * (i as i64 + 1),
                    nth: 0,
                },
                text: t.to_string(),
            })
            .collect()
    }

    fn assemble(start: Option<&str>, input: Vec<Line>) -> Vec<Event> {
        let mut a = Assembler::new(start.map(|s| Regex::new(s).expect("regex")));
        let mut out: Vec<Event> = input.into_iter().filter_map(|l| a.push(l)).collect();
        out.extend(a.flush());
        out
    }

    #[test]
    fn without_a_pattern_each_line_is_an_event() {
        let out = assemble(None, lines(&["a", "  b"]));
        let messages: Vec<&str> = out.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(messages, ["a", "  b"]);
        assert_eq!((out[0].timestamp_ms, out[1].timestamp_ms), (1, 2));
    }

    #[test]
    fn lines_that_do_not_start_an_event_continue_the_one_before() {
        let out = assemble(
            Some("^INFO"),
            lines(&["  stray", "INFO one", "  more", "  and more", "INFO two"]),
        );
        let messages: Vec<&str> = out.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            messages,
            ["  stray", "INFO one\n  more\n  and more", "INFO two"]
        );
        // Dated by the first line; shipped through the last.
        assert_eq!(out[1].timestamp_ms, 2);
        assert_eq!(out[1].through.ns, 4_000_000);
    }

    #[test]
    fn an_event_that_would_outgrow_the_limit_is_closed_first() {
        let big = "x".repeat(MAX_MESSAGE_BYTES - 10);
        let out = assemble(Some("^START"), lines(&["START", &big, "tail"]));
        let sizes: Vec<usize> = out.iter().map(|e| e.message.len()).collect();
        assert_eq!(sizes, [6 + big.len(), 4]);
    }

    proptest! {
        /// Nothing is lost or reordered: the events joined are the lines joined, each event
        /// but perhaps the first begins with a start line, and `through` only grows.
        #[test]
        fn events_partition_the_lines(texts in proptest::collection::vec("(S|x)[a-z]{0,3}", 0..40)) {
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let out = assemble(Some("^S"), lines(&refs));
            let joined: Vec<&str> = out.iter().map(|e| e.message.as_str()).collect();
            prop_assert_eq!(joined.join("\n"), texts.join("\n"));
            for e in out.iter().skip(1) {
                prop_assert!(e.message.starts_with('S'));
            }
            prop_assert!(out.windows(2).all(|w| w[0].through < w[1].through));
            if let (Some(last), Some(line)) = (out.last(), lines(&refs).last()) {
                prop_assert_eq!(last.through, line.at);
            }
        }
    }
}
