//! Stickiness cookies, pure: what `AWSALB` / `AWSALBCORS` (the target) and
//! `AWSALBTG` / `AWSALBTGCORS` (the target group) carry, how they are found
//! in a request, and the `Set-Cookie` values.
//!
//! A cookie's value is 16 hex digits: a stable hash of the target's
//! (id, port) or of the target group's ARN. It names, it does not
//! authenticate: a client may pick its target, which ALB's opaque cookie
//! would not let it do, but it can only pick a target that is routable
//! anyway.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderMap;

use crate::hash::{fnv1a, fnv1a_more};

pub(crate) const TARGET_COOKIE: &str = "AWSALB";
pub(crate) const TARGET_COOKIE_CORS: &str = "AWSALBCORS";
pub(crate) const GROUP_COOKIE: &str = "AWSALBTG";
pub(crate) const GROUP_COOKIE_CORS: &str = "AWSALBTGCORS";
/// The cookie `app_cookie` stickiness adds (ALB numbers its parts; one
/// part always suffices for Berth's 16 hex digits).
pub(crate) const APP_COOKIE: &str = "AWSALBAPP-0";

/// The cookie value naming a target.
pub(crate) fn target_token(id: &str, port: u16) -> u64 {
    fnv1a_more(fnv1a_more(fnv1a(id.as_bytes()), b":"), &port.to_be_bytes())
}

/// The cookie value naming a target group.
pub(crate) fn group_token(arn: &str) -> u64 {
    fnv1a_more(fnv1a(b"tg:"), arn.as_bytes())
}

/// The token in the request's cookie `name` (the plain one, or its CORS
/// twin when only that came back), if it parses.
pub(crate) fn find_token(headers: &HeaderMap, name: &str, cors_name: &str) -> Option<u64> {
    let mut cors = None;
    for header in headers.get_all(http::header::COOKIE) {
        for pair in header.as_bytes().split(|b| *b == b';') {
            let pair = pair.trim_ascii();
            let Some(eq) = pair.iter().position(|b| *b == b'=') else {
                continue;
            };
            let (key, value) = (&pair[..eq], &pair[eq + 1..]);
            if key == name.as_bytes() {
                if let Some(token) = parse_hex(value) {
                    return Some(token);
                }
            } else if key == cors_name.as_bytes() && cors.is_none() {
                cors = parse_hex(value);
            }
        }
    }
    cors
}

fn parse_hex(value: &[u8]) -> Option<u64> {
    if value.len() != 16 {
        return None;
    }
    value.iter().try_fold(0u64, |acc, b| {
        let digit = (*b as char).to_digit(16)?;
        Some(acc << 4 | u64::from(digit))
    })
}

/// The two `Set-Cookie` values for a token: the plain cookie and its CORS
/// twin (`SameSite=None; Secure`), both expiring after `duration`.
pub(crate) fn set_cookies(
    name: &str,
    cors_name: &str,
    token: u64,
    duration: Duration,
    now: SystemTime,
) -> [String; 2] {
    let expires = http_date(now + duration);
    [
        format!("{name}={token:016X}; Expires={expires}; Path=/"),
        format!("{cors_name}={token:016X}; Expires={expires}; Path=/; SameSite=None; Secure"),
    ]
}

/// The `Set-Cookie` value of the `app_cookie` stickiness cookie.
pub(crate) fn set_app_cookie(token: u64, duration: Duration, now: SystemTime) -> String {
    let expires = http_date(now + duration);
    format!("{APP_COOKIE}={token:016X}; Expires={expires}; Path=/")
}

/// Whether a response sets the cookie `name`.
pub(crate) fn sets_cookie(headers: &HeaderMap, name: &str) -> bool {
    headers.get_all(http::header::SET_COOKIE).iter().any(|v| {
        let v = v.as_bytes();
        v.len() > name.len() && v.starts_with(name.as_bytes()) && v[name.len()] == b'='
    })
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub(crate) fn http_date(at: SystemTime) -> String {
    let secs = at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[(days % 7) as usize],
        day,
        MONTHS[(month - 1) as usize],
        year,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month 1..=12, day 1..=31), proleptic
/// Gregorian (the well-known era arithmetic).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn dates_are_imf_fixdates() {
        assert_eq!(http_date(UNIX_EPOCH), "Thu, 01 Jan 1970 00:00:00 GMT");
        let t = UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(http_date(leap), "Tue, 29 Feb 2000 00:00:00 GMT");
    }

    #[test]
    fn tokens_round_trip_through_cookies() {
        let token = target_token("i-0123", 8080);
        assert_ne!(token, target_token("i-0123", 8081));
        let [plain, cors] = set_cookies(
            TARGET_COOKIE,
            TARGET_COOKIE_CORS,
            token,
            Duration::from_secs(60),
            UNIX_EPOCH,
        );
        assert!(
            plain.starts_with("AWSALB=") && plain.ends_with("Path=/"),
            "{plain}"
        );
        assert!(cors.contains("SameSite=None; Secure"), "{cors}");
        let value = plain.split(';').next().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::COOKIE,
            HeaderValue::from_str(&format!("a=b; {value}; c=d")).unwrap(),
        );
        assert_eq!(
            find_token(&headers, TARGET_COOKIE, TARGET_COOKIE_CORS),
            Some(token)
        );
        assert_eq!(find_token(&headers, GROUP_COOKIE, GROUP_COOKIE_CORS), None);
    }

    #[test]
    fn the_cors_twin_alone_is_honoured_and_junk_is_not() {
        let mut headers = HeaderMap::new();
        headers.append(
            http::header::COOKIE,
            HeaderValue::from_static("AWSALBCORS=00000000000000AB"),
        );
        assert_eq!(
            find_token(&headers, TARGET_COOKIE, TARGET_COOKIE_CORS),
            Some(0xab)
        );
        headers.append(http::header::COOKIE, HeaderValue::from_static("AWSALB=zz"));
        assert_eq!(
            find_token(&headers, TARGET_COOKIE, TARGET_COOKIE_CORS),
            Some(0xab)
        );
        assert_eq!(parse_hex(b"0123456789abcdeF"), Some(0x0123_4567_89ab_cdef));
    }
}
