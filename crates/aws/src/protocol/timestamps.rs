//! Timestamps as the XML and form protocols write them: ISO 8601 unless the shape's
//! `timestampFormat` says epoch seconds or an HTTP date.

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::OffsetDateTime;

use super::document;
use crate::schema::TimestampFormat;

const HTTP_DATE: &[time::format_description::BorrowedFormatItem<'static>] = format_description!(
    "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
);
const ISO_SECONDS: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
const ISO_MILLIS: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// Epoch seconds of a timestamp parameter.
pub(crate) fn parse_time(v: &str, format: TimestampFormat) -> Option<f64> {
    let t = match format {
        TimestampFormat::UnixTimestamp => {
            return v.parse::<f64>().ok().filter(|f| f.is_finite());
        }
        TimestampFormat::Iso8601 => OffsetDateTime::parse(v, &Rfc3339).ok()?,
        TimestampFormat::Rfc822 => time::PrimitiveDateTime::parse(v, HTTP_DATE)
            .ok()?
            .assume_utc(),
    };
    Some(t.unix_timestamp_nanos() as f64 / 1e9)
}

/// A timestamp as the answer carries it; None if it is no time (out of range).
pub(crate) fn format_time(seconds: f64, format: TimestampFormat) -> Option<String> {
    if !seconds.is_finite() {
        return None;
    }
    if format == TimestampFormat::UnixTimestamp {
        return Some(match document::epoch(seconds) {
            Value::Number(n) => n.to_string(),
            _ => return None,
        });
    }
    let millis = (seconds * 1000.0).round();
    if millis.abs() > 2.5e14 {
        return None;
    }
    let t = OffsetDateTime::from_unix_timestamp_nanos(millis as i128 * 1_000_000).ok()?;
    match format {
        TimestampFormat::Rfc822 => t.format(HTTP_DATE).ok(),
        _ if t.millisecond() == 0 => t.format(ISO_SECONDS).ok(),
        _ => t.format(ISO_MILLIS).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_keep_milliseconds() {
        assert_eq!(
            format_time(946845296.123, TimestampFormat::Iso8601).as_deref(),
            Some("2000-01-02T20:34:56.123Z")
        );
        assert_eq!(
            format_time(1398796238.0, TimestampFormat::Rfc822).as_deref(),
            Some("Tue, 29 Apr 2014 18:30:38 GMT")
        );
        assert_eq!(
            parse_time("Tue, 29 Apr 2014 18:30:38 GMT", TimestampFormat::Rfc822),
            Some(1398796238.0)
        );
        assert_eq!(format_time(1e300, TimestampFormat::Iso8601), None);
    }
}
