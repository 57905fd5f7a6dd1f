//! The typed values condition operators compare: numbers, dates, IP
//! networks and base64 binaries. Each parser is used for both sides, the
//! policy's value (an error at parse time) and the request's (a value that
//! does not parse matches nothing).

use std::net::IpAddr;

use time::format_description::well_known::Iso8601;
use time::{Date, OffsetDateTime, PrimitiveDateTime};

/// A number, integer or decimal (`10`, `-2.5`, `1e3`); compared as `f64`.
pub(crate) fn number(text: &str) -> Option<f64> {
    let n: f64 = text.trim().parse().ok()?;
    n.is_finite().then_some(n)
}

/// A date as nanoseconds since the Unix epoch. Accepted: epoch seconds
/// (`1711929600`, as `aws:EpochTime`), and ISO 8601 — a date and time with
/// an offset (`2024-04-01T00:00:00Z`, `...+02:00`, fractional seconds), a
/// date and time without one (taken as UTC), or a date alone (its midnight, UTC).
pub(crate) fn date(text: &str) -> Option<i128> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<i64>() {
        return Some(i128::from(seconds) * 1_000_000_000);
    }
    if let Ok(at) = OffsetDateTime::parse(text, &Iso8601::PARSING) {
        return Some(at.unix_timestamp_nanos());
    }
    if let Ok(at) = PrimitiveDateTime::parse(text, &Iso8601::PARSING) {
        return Some(at.assume_utc().unix_timestamp_nanos());
    }
    let day = Date::parse(text, &Iso8601::PARSING).ok()?;
    Some(day.midnight().assume_utc().unix_timestamp_nanos())
}

/// An IP network: `203.0.113.0/24`, `2001:db8::/32`, or one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub(crate) fn parse(text: &str) -> Option<Cidr> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address.parse().ok()?;
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse().ok().filter(|p| *p <= bits)?
            }
            Some(_) => return None,
        };
        Some(Cidr { network, prefix })
    }

    /// Whether `address` is in the network (never across v4 and v6).
    pub(crate) fn contains(&self, address: IpAddr) -> bool {
        match (self.network, address) {
            (IpAddr::V4(net), IpAddr::V4(addr)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(addr) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(addr)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(addr) & mask
            }
            _ => false,
        }
    }
}

/// Standard base64 (`+`, `/`), padding optional; `None` if not base64.
pub(crate) fn base64(text: &str) -> Option<Vec<u8>> {
    let body = text.trim().trim_end_matches('=');
    if body.len() % 4 == 1 || text.trim().len() - body.len() > 2 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for byte in body.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn numbers() {
        assert_eq!(number("10"), Some(10.0));
        assert_eq!(number("-2.5"), Some(-2.5));
        assert_eq!(number("1e3"), Some(1000.0));
        assert_eq!(number("ten"), None);
        assert_eq!(number("NaN"), None);
        assert_eq!(number("inf"), None);
    }

    #[test]
    fn dates_in_every_documented_form_agree() {
        let midnight = date("2020-04-01T00:00:00Z");
        assert!(midnight.is_some());
        assert_eq!(date("1585699200"), midnight);
        assert_eq!(date("2020-04-01"), midnight);
        assert_eq!(date("2020-04-01T00:00:00"), midnight);
        assert_eq!(date("2020-04-01T02:00:00+02:00"), midnight);
        assert_eq!(date("2020-04-01T00:00:00.000Z"), midnight);
        assert!(date("2020-04-01T00:00:00.5Z") > midnight);
        assert_eq!(date("yesterday"), None);
        assert_eq!(date("2020-13-01"), None);
    }

    #[test]
    fn networks() {
        let net = Cidr::parse("203.0.113.0/24").unwrap_or_else(|| panic!("a network"));
        assert!(net.contains(ip("203.0.113.200")));
        assert!(!net.contains(ip("203.0.114.1")));
        assert!(
            !net.contains(ip("::ffff:203.0.113.1")),
            "v4 networks do not hold v6 addresses"
        );
        let host_bits_set = Cidr::parse("10.1.2.3/8").unwrap_or_else(|| panic!("a network"));
        assert!(host_bits_set.contains(ip("10.200.0.1")));
        let everything = Cidr::parse("0.0.0.0/0").unwrap_or_else(|| panic!("a network"));
        assert!(everything.contains(ip("8.8.8.8")));
        let one = Cidr::parse("192.0.2.7").unwrap_or_else(|| panic!("an address"));
        assert!(one.contains(ip("192.0.2.7")) && !one.contains(ip("192.0.2.8")));
        let v6 = Cidr::parse("2001:DB8:1234:5678::/64").unwrap_or_else(|| panic!("a network"));
        assert!(v6.contains(ip("2001:db8:1234:5678::1")));
        assert!(!v6.contains(ip("2001:db8:1234:5679::1")));
        assert!(!v6.contains(ip("203.0.113.1")));
        for bad in [
            "203.0.113.0/33",
            "2001:db8::/129",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "10.0.0/8",
            "host",
        ] {
            assert_eq!(Cidr::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn base64_round_trips() {
        assert_eq!(base64("QmVydGg=").as_deref(), Some(&b"Berth"[..]));
        assert_eq!(base64("QmVydGg").as_deref(), Some(&b"Berth"[..]));
        assert_eq!(base64("").as_deref(), Some(&b""[..]));
        assert_eq!(base64("+/8=").as_deref(), Some(&[0xfb, 0xff][..]));
        assert_eq!(base64("QmVyd"), None);
        assert_eq!(base64("QmV*"), None);
        assert_eq!(base64("QQ==="), None);
    }
}
