//! Dates and times for `registeredAt`.
//!
//! AWS documents four argument forms: `2018-06-18T22:28:28+00:00`,
//! `2018-06-18T22:28:28Z`, `2018-06-18T22:28:28` (UTC) and `2018-06-18`
//! (a UTC day). Fractional seconds (`22:28:28.5Z`) are accepted too.
//!
//! A comparison is made at the argument's precision: the registration time
//! is truncated to the day (date-only argument) or the second before being
//! compared, so `registeredAt == 2018-02-13` holds all that day and
//! `registeredAt > 2018-02-13` starts on the 14th.

use std::cmp::Ordering;

const DAY: f64 = 86_400.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Precision {
    Day,
    Second,
    Exact,
}

/// A parsed `registeredAt` argument.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Timestamp {
    /// Epoch seconds of the instant the argument names.
    epoch: f64,
    precision: Precision,
}

impl Timestamp {
    pub(crate) fn parse(s: &str) -> Option<Timestamp> {
        let mut r = Reader {
            s: s.as_bytes(),
            at: 0,
        };
        let year = r.digits(4)?;
        r.byte(b'-')?;
        let month = r.digits(2)?;
        r.byte(b'-')?;
        let day = r.digits(2)?;
        if month == 0 || month > 12 || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        let days = days_from_civil(year, month, day) as f64;
        if r.done() {
            return Some(Timestamp {
                epoch: days * DAY,
                precision: Precision::Day,
            });
        }
        r.byte(b'T')?;
        let hour = r.digits(2)?;
        r.byte(b':')?;
        let minute = r.digits(2)?;
        r.byte(b':')?;
        let second = r.digits(2)?;
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        let mut epoch = days * DAY + (hour * 3600 + minute * 60 + second) as f64;
        let mut precision = Precision::Second;
        if r.peek() == Some(b'.') {
            r.at += 1;
            let start = r.at;
            while r.peek().is_some_and(|b| b.is_ascii_digit()) {
                r.at += 1;
            }
            let digits = std::str::from_utf8(&r.s[start..r.at]).ok()?;
            if digits.is_empty() {
                return None;
            }
            epoch += format!("0.{digits}").parse::<f64>().ok()?;
            precision = Precision::Exact;
        }
        match r.peek() {
            None => {}
            Some(b'Z') => r.at += 1,
            Some(sign @ (b'+' | b'-')) => {
                r.at += 1;
                let oh = r.digits(2)?;
                r.byte(b':')?;
                let om = r.digits(2)?;
                if oh > 23 || om > 59 {
                    return None;
                }
                let offset = (oh * 3600 + om * 60) as f64;
                // Local time = UTC + offset.
                epoch -= if sign == b'+' { offset } else { -offset };
            }
            Some(_) => return None,
        }
        r.done().then_some(Timestamp { epoch, precision })
    }

    /// How a registration time (epoch seconds) compares to this argument.
    pub(crate) fn compare_subject(&self, subject: f64) -> Option<Ordering> {
        let truncated = match self.precision {
            Precision::Day => (subject / DAY).floor() * DAY,
            Precision::Second => subject.floor(),
            Precision::Exact => subject,
        };
        truncated.partial_cmp(&self.epoch)
    }
}

struct Reader<'a> {
    s: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn done(&self) -> bool {
        self.at == self.s.len()
    }

    fn byte(&mut self, want: u8) -> Option<()> {
        (self.peek()? == want).then(|| self.at += 1)
    }

    fn digits(&mut self, n: usize) -> Option<i64> {
        let mut v = 0i64;
        for _ in 0..n {
            let b = self.peek().filter(u8::is_ascii_digit)?;
            v = v * 10 + i64::from(b - b'0');
            self.at += 1;
        }
        Some(v)
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    // Count from 0000-03-01 so the leap day ends each 4-year cycle.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let shifted_month = (month + 9) % 12; // March = 0
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epoch(s: &str) -> f64 {
        Timestamp::parse(s).expect("valid date").epoch
    }

    #[test]
    fn documented_formats() {
        // 2018-06-18T22:28:28Z is 1529360908.
        assert_eq!(epoch("2018-06-18T22:28:28+00:00"), 1_529_360_908.0);
        assert_eq!(epoch("2018-06-18T22:28:28Z"), 1_529_360_908.0);
        assert_eq!(epoch("2018-06-18T22:28:28"), 1_529_360_908.0);
        assert_eq!(epoch("2018-06-18"), 1_529_280_000.0);
    }

    #[test]
    fn offsets_and_epoch_edges() {
        assert_eq!(epoch("1970-01-01"), 0.0);
        assert_eq!(epoch("1970-01-01T02:00:00+02:00"), 0.0);
        assert_eq!(epoch("1969-12-31T19:00:00-05:00"), 0.0);
        assert_eq!(epoch("2000-03-01"), 951_868_800.0);
        assert_eq!(epoch("2018-02-13T00:00:00.25Z"), 1_518_480_000.25);
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "2018",
            "2018-6-18",
            "2018-13-01",
            "2018-02-29",
            "2018-06-18T",
            "2018-06-18T24:00:00",
            "2018-06-18T22:28",
            "2018-06-18T22:28:28+0000",
            "2018-06-18T22:28:28.Z",
            "2018-06-18T22:28:28Zjunk",
            "2018-06-18 22:28:28",
            "１２３４-01-01",
        ] {
            assert!(Timestamp::parse(bad).is_none(), "{bad}");
        }
        assert!(Timestamp::parse("2016-02-29").is_some());
    }

    #[test]
    fn compares_at_argument_precision() {
        let day = Timestamp::parse("2018-02-13").expect("date");
        let noon = 1_518_480_000.0 + 43_200.0;
        assert_eq!(day.compare_subject(noon), Some(Ordering::Equal));
        assert_eq!(day.compare_subject(noon - DAY), Some(Ordering::Less));
        assert_eq!(day.compare_subject(noon + DAY), Some(Ordering::Greater));
        let second = Timestamp::parse("2018-02-13T12:00:00Z").expect("time");
        assert_eq!(second.compare_subject(noon + 0.9), Some(Ordering::Equal));
        assert_eq!(second.compare_subject(f64::NAN), None);
    }
}
