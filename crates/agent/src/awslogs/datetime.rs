//! `awslogs-datetime-format` as a regular expression: the strftime-like codes Docker's awslogs
//! driver documents become patterns for what they print; the rest of the format is taken as
//! regular expression text (so `\[` stands for a bracket, as in Docker's examples). The result
//! is anchored at the start of the line. Pure.

use regex::Regex;

const WEEKDAYS: &str = "Mon|Tue|Wed|Thu|Fri|Sat|Sun";
const WEEKDAYS_FULL: &str = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday";
const MONTHS: &str = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec";
const MONTHS_FULL: &str =
    "January|February|March|April|May|June|July|August|September|October|November|December";

/// What one code prints, as a pattern.
fn code(c: char) -> Option<String> {
    let p = match c {
        'a' => format!("(?:{WEEKDAYS})"),
        'A' => format!("(?:{WEEKDAYS_FULL})"),
        'w' => "[0-6]".into(),
        'd' => "(?:0[1-9]|[12][0-9]|3[01])".into(),
        'b' => format!("(?:{MONTHS})"),
        'B' => format!("(?:{MONTHS_FULL})"),
        'm' => "(?:0[1-9]|1[0-2])".into(),
        'Y' => "[0-9]{4}".into(),
        'y' => "[0-9]{2}".into(),
        'H' => "(?:[01][0-9]|2[0-3])".into(),
        'I' => "(?:0[1-9]|1[0-2])".into(),
        'p' => "(?:AM|PM)".into(),
        'M' => "[0-5][0-9]".into(),
        // 60: a leap second.
        'S' => "(?:[0-5][0-9]|60)".into(),
        'f' => "[0-9]{6}".into(),
        'z' => "[+-][0-9]{4}".into(),
        'Z' => "[A-Z][A-Za-z]{1,4}".into(),
        'j' => "(?:00[1-9]|0[1-9][0-9]|[12][0-9]{2}|3[0-5][0-9]|36[0-6])".into(),
        // Not strftime: milliseconds with their point.
        'L' => r"\.[0-9]{3}".into(),
        '%' => "%".into(),
        _ => return None,
    };
    Some(p)
}

/// The pattern a line must start with, or why the format is unusable.
pub fn start_pattern(format: &str) -> Result<Regex, String> {
    let mut pattern = String::from("^");
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            pattern.push(c);
            continue;
        }
        match chars.next() {
            Some(c) => {
                pattern.push_str(&code(c).ok_or_else(|| {
                    format!("awslogs-datetime-format: %{c} is not a supported code")
                })?)
            }
            None => return Err("awslogs-datetime-format: ends with a lone %".into()),
        }
    }
    Regex::new(&pattern).map_err(|e| format!("awslogs-datetime-format: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bracketed_date_format_matches_lines_that_start_with_such_a_date() {
        let re = start_pattern(r"\[%b %d, %Y %H:%M:%S\]").expect("valid");
        assert!(re.is_match("[May 01, 2017 19:00:01] A message was logged"));
        assert!(!re.is_match("Some random message"));
        assert!(!re.is_match("x [May 01, 2017 19:00:01] not at the start"));
        assert!(!re.is_match("[May 32, 2017 19:00:01] no such day"));
    }

    #[test]
    fn iso_dates_with_fractions_and_offsets() {
        let re = start_pattern("%Y-%m-%dT%H:%M:%S%L%z").expect("valid");
        assert!(re.is_match("2026-01-02T03:04:05.123+0100 started"));
        assert!(!re.is_match("2026-13-02T03:04:05.123+0100"));
        let re = start_pattern("%a %A %B %I%p %j %y %w %f %Z %%").expect("valid");
        assert!(re.is_match("Mon Monday January 07PM 363 08 0 000345 PST %"));
    }

    #[test]
    fn unknown_codes_and_bad_patterns_are_refused() {
        assert!(start_pattern("%e").expect_err("refused").contains("%e"));
        assert!(start_pattern("%Y%").is_err());
        assert!(start_pattern("(%Y").is_err());
    }
}
