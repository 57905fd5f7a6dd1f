//! The header rewriting at the proxy's target side, pure: the request a
//! target gets (hop-by-hop headers out, `X-Forwarded-For/Proto/Port`,
//! `X-Amzn-Trace-Id` and `Host` in) and the response a client gets
//! (hop-by-hop headers out, `Upgrade` kept on a 101). Both edit the header
//! map hyper parsed in place; hyper's client and server do the
//! serializing, parsing and body framing.

use bytes::BytesMut;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::Version;

use crate::headers::{X_AMZN_TRACE_ID, X_FORWARDED_FOR, X_FORWARDED_PORT, X_FORWARDED_PROTO};

const KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");
const PROXY_CONNECTION: HeaderName = HeaderName::from_static("proxy-connection");

/// Headers that never cross the proxy (RFC 9110 §7.6.1), plus `Expect`:
/// the proxy does not wait for a target's `100 Continue`. `UPGRADE_AT` is
/// `Upgrade`'s place.
const HOP_BY_HOP: [HeaderName; 7] = [
    header::CONNECTION,
    header::TRANSFER_ENCODING,
    header::TE,
    header::UPGRADE,
    header::EXPECT,
    KEEP_ALIVE,
    PROXY_CONNECTION,
];
const UPGRADE_AT: usize = 3;

/// Which of [`HOP_BY_HOP`] `name` is, as a bit.
fn hop_by_hop_bit(name: &HeaderName) -> u8 {
    HOP_BY_HOP
        .iter()
        .position(|hop| hop == name)
        .map_or(0, |at| 1 << at)
}

/// The tokens of the `Connection` headers.
fn connection_tokens(headers: &HeaderMap) -> impl Iterator<Item = &[u8]> {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .flat_map(|v| v.as_bytes().split(|b| *b == b','))
        .map(<[u8]>::trim_ascii)
        .filter(|t| !t.is_empty())
}

/// Removes the hop-by-hop headers and the ones `Connection` lists, except
/// `Upgrade` when `keep_upgrade`. One scan of the names finds the ones
/// present; only those are looked up again to be removed.
fn remove_hop_by_hop(headers: &mut HeaderMap, keep_upgrade: bool) {
    let present = headers
        .keys()
        .fold(0u8, |bits, name| bits | hop_by_hop_bit(name));
    if present == 0 {
        return;
    }
    if present & 1 != 0 {
        let listed: Vec<HeaderName> = connection_tokens(headers)
            .filter_map(|t| HeaderName::from_bytes(t).ok())
            .filter(|name| hop_by_hop_bit(name) == 0)
            .collect();
        for name in listed {
            headers.remove(name);
        }
    }
    for (at, name) in HOP_BY_HOP.iter().enumerate() {
        if present & (1 << at) != 0 && !(keep_upgrade && at == UPGRADE_AT) {
            headers.remove(name);
        }
    }
}

/// What the proxy adds to a request.
pub(crate) struct Forwarded<'a> {
    pub client_ip: &'a HeaderValue,
    pub https: bool,
    pub port: &'a HeaderValue,
    /// `Host` for requests that came with an `:authority` instead.
    pub authority: Option<&'a str>,
    /// Pass `Upgrade` on (`Connection: upgrade`).
    pub upgrade: bool,
    /// Join several `Cookie` fields into one (they came over HTTP/2).
    pub join_cookies: bool,
    /// The body goes chunked (the client's length is unknown): any
    /// `Content-Length` goes.
    pub chunked: bool,
    /// `X-Amzn-Trace-Id` when the request has none.
    pub trace_id: &'a [u8],
}

const HTTP: HeaderValue = HeaderValue::from_static("http");
const HTTPS: HeaderValue = HeaderValue::from_static("https");
const UPGRADE: HeaderValue = HeaderValue::from_static("upgrade");

/// Rewrites a client's request headers into the ones its target gets.
pub(crate) fn rewrite_request(headers: &mut HeaderMap, forwarded: &Forwarded<'_>) {
    // Room for what is added, in one go.
    headers.reserve(5);
    remove_hop_by_hop(headers, forwarded.upgrade);
    if forwarded.chunked {
        headers.remove(header::CONTENT_LENGTH);
    }
    if forwarded.join_cookies {
        join_cookies(headers);
    }
    if !headers.contains_key(header::HOST) {
        if let Some(host) = forwarded
            .authority
            .and_then(|a| HeaderValue::from_str(a).ok())
        {
            headers.insert(header::HOST, host);
        }
    }
    let xff = if headers.contains_key(X_FORWARDED_FOR) {
        let mut joined = BytesMut::with_capacity(64);
        for value in headers.get_all(X_FORWARDED_FOR) {
            joined.extend_from_slice(value.as_bytes());
            joined.extend_from_slice(b", ");
        }
        joined.extend_from_slice(forwarded.client_ip.as_bytes());
        HeaderValue::from_maybe_shared(joined.freeze())
            .unwrap_or_else(|_| forwarded.client_ip.clone())
    } else {
        forwarded.client_ip.clone()
    };
    headers.insert(X_FORWARDED_FOR, xff);
    headers.insert(
        X_FORWARDED_PROTO,
        if forwarded.https { HTTPS } else { HTTP },
    );
    headers.insert(X_FORWARDED_PORT, forwarded.port.clone());
    if !headers.contains_key(X_AMZN_TRACE_ID) {
        if let Ok(trace) = HeaderValue::from_bytes(forwarded.trace_id) {
            headers.insert(X_AMZN_TRACE_ID, trace);
        }
    }
    if forwarded.upgrade {
        headers.insert(header::CONNECTION, UPGRADE);
    }
}

/// Several `Cookie` fields (HTTP/2 allows them) as the one HTTP/1.1 wants.
fn join_cookies(headers: &mut HeaderMap) {
    let mut cookies = headers.get_all(header::COOKIE).iter();
    if cookies.next().is_none() || cookies.next().is_none() {
        return;
    }
    let mut joined = BytesMut::new();
    for (n, cookie) in headers.get_all(header::COOKIE).iter().enumerate() {
        if n > 0 {
            joined.extend_from_slice(b"; ");
        }
        joined.extend_from_slice(cookie.as_bytes());
    }
    if let Ok(value) = HeaderValue::from_maybe_shared(joined.freeze()) {
        headers.insert(header::COOKIE, value);
    }
}

/// Rewrites a target's response headers into the ones its client gets: no
/// hop-by-hop fields (but a 101's `Upgrade`), no `Content-Length` next to a
/// `Transfer-Encoding`. Returns whether the target keeps the connection
/// open for another request.
pub(crate) fn rewrite_response(headers: &mut HeaderMap, version: Version, switching: bool) -> bool {
    let mut close = false;
    let mut keep_alive_token = false;
    for token in connection_tokens(headers) {
        close |= token.eq_ignore_ascii_case(b"close");
        keep_alive_token |= token.eq_ignore_ascii_case(b"keep-alive");
    }
    if headers.contains_key(header::TRANSFER_ENCODING) {
        headers.remove(header::CONTENT_LENGTH);
    }
    remove_hop_by_hop(headers, switching);
    !close && !switching && (version == Version::HTTP_11 || keep_alive_token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded<'a>(ip: &'a HeaderValue, port: &'a HeaderValue) -> Forwarded<'a> {
        Forwarded {
            client_ip: ip,
            https: false,
            port,
            authority: None,
            upgrade: false,
            join_cookies: false,
            chunked: false,
            trace_id: b"Root=1-00000000-000000000000000000000000",
        }
    }

    fn map(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
        h
    }

    fn text(headers: &HeaderMap) -> String {
        let mut pairs: Vec<String> = headers
            .iter()
            .map(|(k, v)| format!("{k}: {}", v.to_str().unwrap()))
            .collect();
        pairs.sort();
        pairs.join("\n")
    }

    #[test]
    fn request_headers_are_rewritten() {
        let (ip, port) = (
            HeaderValue::from_static("10.0.0.1"),
            HeaderValue::from_static("80"),
        );
        let mut headers = map(&[
            ("host", "example.com"),
            ("connection", "keep-alive, x-drop"),
            ("x-drop", "1"),
            ("keep-alive", "300"),
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-proto", "gopher"),
            ("expect", "100-continue"),
            ("transfer-encoding", "chunked"),
            ("content-length", "5"),
            ("x-kept", "yes"),
        ]);
        let mut f = forwarded(&ip, &port);
        f.chunked = true;
        rewrite_request(&mut headers, &f);
        assert_eq!(
            text(&headers),
            "host: example.com\nx-amzn-trace-id: Root=1-00000000-000000000000000000000000\n\
             x-forwarded-for: 1.2.3.4, 10.0.0.1\nx-forwarded-port: 80\nx-forwarded-proto: http\nx-kept: yes"
        );
    }

    #[test]
    fn authority_cookies_trace_and_upgrade() {
        let (ip, port) = (
            HeaderValue::from_static("10.0.0.1"),
            HeaderValue::from_static("443"),
        );
        let mut headers = map(&[
            ("cookie", "a=1"),
            ("cookie", "b=2"),
            ("x-amzn-trace-id", "Root=1-given"),
            ("connection", "Upgrade"),
            ("upgrade", "websocket"),
        ]);
        let mut f = forwarded(&ip, &port);
        f.authority = Some("h.example:8443");
        f.join_cookies = true;
        f.upgrade = true;
        f.https = true;
        rewrite_request(&mut headers, &f);
        assert_eq!(
            text(&headers),
            "connection: upgrade\ncookie: a=1; b=2\nhost: h.example:8443\nupgrade: websocket\n\
             x-amzn-trace-id: Root=1-given\nx-forwarded-for: 10.0.0.1\nx-forwarded-port: 443\n\
             x-forwarded-proto: https"
        );
    }

    #[test]
    fn response_hop_by_hop_fields_go_but_upgrade_stays_on_101() {
        let mut h = map(&[
            ("connection", "keep-alive, x-private"),
            ("keep-alive", "timeout=5"),
            ("x-private", "1"),
            ("x-kept", "2"),
            ("set-cookie", "a=1"),
            ("set-cookie", "b=2"),
            ("content-length", "0"),
        ]);
        assert!(rewrite_response(&mut h, Version::HTTP_11, false));
        assert_eq!(
            text(&h),
            "content-length: 0\nset-cookie: a=1\nset-cookie: b=2\nx-kept: 2"
        );
        let mut h = map(&[("upgrade", "websocket"), ("connection", "Upgrade")]);
        assert!(!rewrite_response(&mut h, Version::HTTP_11, true));
        assert_eq!(text(&h), "upgrade: websocket");
        let mut h = map(&[("transfer-encoding", "chunked"), ("content-length", "3")]);
        assert!(rewrite_response(&mut h, Version::HTTP_11, false));
        assert!(h.is_empty());
    }

    #[test]
    fn keep_alive_follows_the_version_and_connection() {
        let ka =
            |pairs: &[(&'static str, &'static str)], v| rewrite_response(&mut map(pairs), v, false);
        assert!(ka(&[], Version::HTTP_11));
        assert!(!ka(&[], Version::HTTP_10), "HTTP/1.0 closes by default");
        assert!(ka(&[("connection", "keep-alive")], Version::HTTP_10));
        assert!(!ka(&[("connection", "close")], Version::HTTP_11));
    }
}
