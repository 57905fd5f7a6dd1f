//! Header names and values the proxy adds or looks at: `X-Forwarded-*`,
//! `X-Amzn-Trace-Id`, `Connection` tokens, ALB's invalid-name filter. (The
//! rewriting itself, in place on the header map, is in `wire`.)

use http::header::{self, HeaderMap, HeaderName};

pub(crate) const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
pub(crate) const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
pub(crate) const X_FORWARDED_PORT: HeaderName = HeaderName::from_static("x-forwarded-port");
pub(crate) const X_AMZN_TRACE_ID: HeaderName = HeaderName::from_static("x-amzn-trace-id");

/// Whether a `Connection` header lists `token`.
pub(crate) fn connection_has(headers: &HeaderMap, token: &str) -> bool {
    headers.get_all(header::CONNECTION).iter().any(|value| {
        value
            .as_bytes()
            .split(|b| *b == b',')
            .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
    })
}

/// `Root=1-<8 hex digits of epoch seconds>-<24 hex digits of random>`.
pub(crate) fn trace_id(epoch_secs: u32, random: u128) -> [u8; 40] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 40];
    out[..7].copy_from_slice(b"Root=1-");
    for k in 0..8 {
        out[7 + k] = HEX[(epoch_secs >> (28 - 4 * k) & 0xf) as usize];
    }
    out[15] = b'-';
    for k in 0..24 {
        out[16 + k] = HEX[(random >> (92 - 4 * k) & 0xf) as usize];
    }
    out
}

/// ALB's `drop_invalid_header_fields`: header names other than letters,
/// digits and hyphens go.
pub(crate) fn drop_invalid_names(headers: &mut HeaderMap) {
    let invalid: Vec<HeaderName> = headers
        .keys()
        .filter(|name| {
            !name
                .as_str()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        .cloned()
        .collect();
    for name in invalid {
        headers.remove(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn map(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn connection_tokens_are_found_case_insensitively() {
        let h = map(&[("connection", "keep-alive, Upgrade")]);
        assert!(connection_has(&h, "upgrade"));
        assert!(!connection_has(&h, "close"));
    }

    #[test]
    fn trace_ids_have_alb_shape() {
        let id = trace_id(0x5f84_c7a1, 0x0123_4567_89ab_cdef_0011_2233);
        assert_eq!(&id[..], b"Root=1-5f84c7a1-0123456789abcdef00112233");
    }

    #[test]
    fn invalid_names_are_dropped_when_asked() {
        let mut h = map(&[("x_under", "1"), ("x-ok", "2")]);
        drop_invalid_names(&mut h);
        assert!(!h.contains_key("x_under") && h.contains_key("x-ok"));
    }
}
