//! Request timestamps: parsing `X-Amz-Date` (and the `Date` fallback),
//! formatting them back, and the freshness rules.
//!
//! * A header-signed request must be within 15 minutes of the server clock,
//!   in either direction.
//! * A presigned request is valid from its `X-Amz-Date` (tolerating the same
//!   15 minutes of client clock running ahead) until `X-Amz-Date + X-Amz-Expires`.

use std::time::{SystemTime, UNIX_EPOCH};

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use crate::AuthError;

/// Allowed clock skew between client and server, in seconds.
pub const MAX_SKEW_SECS: i64 = 15 * 60;

/// Longest validity a presigned request may ask for (seven days), in seconds.
pub const MAX_EXPIRES_SECS: u64 = 604_800;

/// A request timestamp, always UTC, second precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// Parses the ISO 8601 basic format SigV4 uses: `YYYYMMDD'T'HHMMSS'Z'`.
    pub(crate) fn parse_amz(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
            return None;
        }
        let year = i32::try_from(digits(&b[0..4])?).ok()?;
        Self::from_parts(
            year,
            digits(&b[4..6])?,
            digits(&b[6..8])?,
            digits(&b[9..11])?,
            digits(&b[11..13])?,
            digits(&b[13..15])?,
        )
    }

    /// Parses an HTTP `Date` header: the IMF-fixdate form
    /// (`Sun, 06 Nov 1994 08:49:37 GMT`), or the SigV4 basic format.
    pub(crate) fn parse_http_date(s: &str) -> Option<Self> {
        if let Some(t) = Self::parse_amz(s) {
            return Some(t);
        }
        let b = s.as_bytes();
        if b.len() != 29
            || &b[3..5] != b", "
            || b[7] != b' '
            || b[11] != b' '
            || b[16] != b' '
            || b[19] != b':'
            || b[22] != b':'
            || &b[25..] != b" GMT"
        {
            return None;
        }
        const MONTHS: [&[u8]; 12] = [
            b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
            b"Dec",
        ];
        let month = MONTHS.iter().position(|m| *m == &b[8..11])?;
        let month = u32::try_from(month).ok()? + 1;
        let year = i32::try_from(digits(&b[12..16])?).ok()?;
        Self::from_parts(
            year,
            month,
            digits(&b[5..7])?,
            digits(&b[17..19])?,
            digits(&b[20..22])?,
            digits(&b[23..25])?,
        )
    }

    fn from_parts(year: i32, month: u32, day: u32, h: u32, m: u32, s: u32) -> Option<Self> {
        let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
        let date = Date::from_calendar_date(year, month, u8::try_from(day).ok()?).ok()?;
        let time = Time::from_hms(
            u8::try_from(h).ok()?,
            u8::try_from(m).ok()?,
            u8::try_from(s).ok()?,
        )
        .ok()?;
        Some(Timestamp(PrimitiveDateTime::new(date, time).assume_utc()))
    }

    /// Converts a system time, truncating to whole seconds.
    pub(crate) fn from_system(t: SystemTime) -> Option<Self> {
        let secs = match t.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).ok()?,
            Err(e) => i64::try_from(e.duration().as_secs()).ok()?.checked_neg()?,
        };
        Self::from_unix(secs)
    }

    fn from_unix(secs: i64) -> Option<Self> {
        OffsetDateTime::from_unix_timestamp(secs)
            .ok()
            .map(Timestamp)
    }

    pub(crate) fn unix(self) -> i64 {
        self.0.unix_timestamp()
    }

    /// `YYYYMMDDTHHMMSSZ`, the form used in the string to sign.
    pub(crate) fn amz(self) -> String {
        let t = self.0;
        format!(
            "{}T{:02}{:02}{:02}Z",
            self.date(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }

    /// `YYYYMMDD`, the form used in the credential scope.
    pub(crate) fn date(self) -> String {
        let t = self.0;
        format!("{:04}{:02}{:02}", t.year(), u8::from(t.month()), t.day())
    }
}

/// Parses an all-ASCII-digit slice; `None` for anything else.
fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')))
}

/// Formats seconds since the epoch the way the expiry messages do.
fn fmt_unix(secs: i64) -> String {
    Timestamp::from_unix(secs).map_or_else(|| secs.to_string(), Timestamp::amz)
}

fn server_now(now: SystemTime) -> Result<Timestamp, AuthError> {
    Timestamp::from_system(now).ok_or_else(|| {
        AuthError::SignatureExpired("Signature expired: the server clock is out of range".into())
    })
}

/// Header-signed requests: the request time must be within 15 minutes of `now`.
pub(crate) fn check_skew(request: Timestamp, now: SystemTime) -> Result<(), AuthError> {
    let now = server_now(now)?;
    let (req_s, now_s) = (request.unix(), now.unix());
    if req_s < now_s.saturating_sub(MAX_SKEW_SECS) {
        return Err(AuthError::SignatureExpired(format!(
            "Signature expired: {} is now earlier than {} ({} - 15 min.)",
            request.amz(),
            fmt_unix(now_s.saturating_sub(MAX_SKEW_SECS)),
            now.amz()
        )));
    }
    check_not_future(request, now)
}

/// Presigned requests: valid until `X-Amz-Date + X-Amz-Expires`, and not dated
/// more than 15 minutes in the future.
pub(crate) fn check_presigned(
    request: Timestamp,
    expires: u64,
    now: SystemTime,
) -> Result<(), AuthError> {
    let now = server_now(now)?;
    let expires_i = i64::try_from(expires).unwrap_or(i64::MAX);
    let (req_s, now_s) = (request.unix(), now.unix());
    if req_s < now_s.saturating_sub(expires_i) {
        return Err(AuthError::SignatureExpired(format!(
            "Signature expired: {} is now earlier than {} ({} - {} sec.)",
            request.amz(),
            fmt_unix(now_s.saturating_sub(expires_i)),
            now.amz(),
            expires
        )));
    }
    check_not_future(request, now)
}

fn check_not_future(request: Timestamp, now: Timestamp) -> Result<(), AuthError> {
    let limit = now.unix().saturating_add(MAX_SKEW_SECS);
    if request.unix() > limit {
        return Err(AuthError::SignatureExpired(format!(
            "Signature not yet current: {} is still later than {} ({} + 15 min.)",
            request.amz(),
            fmt_unix(limit),
            now.amz()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(s: &str) -> SystemTime {
        let t = Timestamp::parse_amz(s).expect("valid test timestamp");
        UNIX_EPOCH + Duration::from_secs(u64::try_from(t.unix()).expect("after epoch"))
    }

    #[test]
    fn parses_and_formats_basic_format() {
        let t = Timestamp::parse_amz("20150830T123600Z").expect("parses");
        assert_eq!(t.amz(), "20150830T123600Z");
        assert_eq!(t.date(), "20150830");
        assert_eq!(t.unix(), 1_440_938_160);
    }

    #[test]
    fn rejects_malformed_basic_format() {
        for bad in [
            "",
            "20150830T123600",
            "20150830 123600Z",
            "2015-08-30T12:36:00Z",
            "20151330T123600Z",
            "20150230T123600Z",
            "20150830T250000Z",
            "2015083OT123600Z",
            "+0150830T123600Z",
            "20150830T123600Zx",
            "２０１50830T123600Z",
        ] {
            assert!(Timestamp::parse_amz(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn parses_imf_fixdate() {
        let t = Timestamp::parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT").expect("parses");
        assert_eq!(t.amz(), "20150830T123600Z");
        assert!(Timestamp::parse_http_date("Sun, 30 Foo 2015 12:36:00 GMT").is_none());
        assert!(Timestamp::parse_http_date("Sun, 30 Aug 2015 12:36:00 UTC").is_none());
    }

    #[test]
    fn skew_window_is_fifteen_minutes_each_way() {
        let now = at("20260101T003000Z");
        let ok = |s: &str| check_skew(Timestamp::parse_amz(s).expect("ts"), now);
        assert!(ok("20260101T001500Z").is_ok());
        assert!(ok("20260101T004500Z").is_ok());
        let err = ok("20260101T000000Z").expect_err("too old");
        assert_eq!(
            err.to_string(),
            "Signature expired: 20260101T000000Z is now earlier than 20260101T001500Z \
             (20260101T003000Z - 15 min.)"
        );
        let err = ok("20260101T010000Z").expect_err("too new");
        assert_eq!(
            err.to_string(),
            "Signature not yet current: 20260101T010000Z is still later than 20260101T004500Z \
             (20260101T003000Z + 15 min.)"
        );
    }

    #[test]
    fn presigned_window_uses_expires() {
        let req = Timestamp::parse_amz("20260101T000000Z").expect("ts");
        assert!(check_presigned(req, 3600, at("20260101T010000Z")).is_ok());
        let err = check_presigned(req, 3600, at("20260101T010001Z")).expect_err("expired");
        assert!(err
            .to_string()
            .starts_with("Signature expired: 20260101T000000Z"));
        assert!(check_presigned(req, 3600, at("20251231T234500Z")).is_ok());
        assert!(check_presigned(req, 3600, at("20251231T234459Z")).is_err());
    }

    #[test]
    fn extreme_clocks_do_not_panic() {
        let req = Timestamp::parse_amz("99991231T235959Z").expect("ts");
        let _ = check_skew(req, UNIX_EPOCH);
        let _ = check_presigned(req, u64::MAX, UNIX_EPOCH);
        let _ = check_skew(req, SystemTime::UNIX_EPOCH - Duration::from_secs(1 << 40));
        let _ = check_skew(req, SystemTime::UNIX_EPOCH + Duration::from_secs(1 << 40));
    }
}
