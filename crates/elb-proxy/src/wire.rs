//! HTTP/1.1 towards targets, pure: the request head the target gets (with
//! the header rewriting done while serializing, so nothing is inserted into
//! or removed from a header map per request) and the parsing of the
//! target's response head (hop-by-hop headers left out, body framing per
//! RFC 9112 §6.3).

use std::ops::Range;

use bytes::{Bytes, BytesMut};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode, Version};

use crate::headers::{X_AMZN_TRACE_ID, X_FORWARDED_FOR, X_FORWARDED_PORT, X_FORWARDED_PROTO};

/// Response heads larger than this are refused (502).
pub(crate) const MAX_HEAD: usize = 64 * 1024;
/// At most this many response header fields.
const MAX_HEADERS: usize = 128;

/// Headers that never cross the proxy (RFC 9110 §7.6.1), plus `Expect`:
/// the proxy does not wait for a target's `100 Continue`.
fn is_hop_by_hop(name: &HeaderName) -> bool {
    *name == header::CONNECTION
        || *name == header::TRANSFER_ENCODING
        || *name == header::TE
        || *name == header::UPGRADE
        || *name == header::EXPECT
        || name.as_str() == "keep-alive"
        || name.as_str() == "proxy-connection"
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

/// How the request body goes to the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BodyFraming {
    /// No body.
    None,
    /// As the client's `Content-Length` says.
    Length,
    /// Chunked (the client's length is unknown: chunked itself, or HTTP/2).
    Chunked,
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
    /// `X-Amzn-Trace-Id` when the request has none.
    pub trace_id: &'a [u8],
}

/// Serializes the request head the target gets.
pub(crate) fn encode_request(
    out: &mut BytesMut,
    method: &Method,
    path_and_query: &str,
    headers: &HeaderMap,
    forwarded: &Forwarded<'_>,
    framing: BodyFraming,
) {
    out.reserve(256 + headers.len() * 48);
    out.extend_from_slice(method.as_str().as_bytes());
    out.extend_from_slice(b" ");
    out.extend_from_slice(path_and_query.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    let listed: Vec<&[u8]> = if headers.contains_key(header::CONNECTION) {
        connection_tokens(headers).collect()
    } else {
        Vec::new()
    };
    let mut has_host = false;
    let mut has_trace = false;
    let mut cookies_done = false;
    for (name, value) in headers {
        if is_hop_by_hop(name)
            || *name == X_FORWARDED_FOR
            || *name == X_FORWARDED_PROTO
            || *name == X_FORWARDED_PORT
            || (framing == BodyFraming::Chunked && *name == header::CONTENT_LENGTH)
            || listed
                .iter()
                .any(|t| t.eq_ignore_ascii_case(name.as_str().as_bytes()))
        {
            continue;
        }
        if *name == header::COOKIE && forwarded.join_cookies {
            if !cookies_done {
                cookies_done = true;
                line_start(out, name);
                for (n, cookie) in headers.get_all(header::COOKIE).iter().enumerate() {
                    if n > 0 {
                        out.extend_from_slice(b"; ");
                    }
                    out.extend_from_slice(cookie.as_bytes());
                }
                out.extend_from_slice(b"\r\n");
            }
            continue;
        }
        has_host |= *name == header::HOST;
        has_trace |= *name == X_AMZN_TRACE_ID;
        field(out, name, value.as_bytes());
    }
    if !has_host {
        if let Some(authority) = forwarded.authority {
            field(out, &header::HOST, authority.as_bytes());
        }
    }
    line_start(out, &X_FORWARDED_FOR);
    for value in headers.get_all(X_FORWARDED_FOR) {
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b", ");
    }
    out.extend_from_slice(forwarded.client_ip.as_bytes());
    out.extend_from_slice(b"\r\n");
    field(
        out,
        &X_FORWARDED_PROTO,
        if forwarded.https { b"https" } else { b"http" },
    );
    field(out, &X_FORWARDED_PORT, forwarded.port.as_bytes());
    if !has_trace {
        field(out, &X_AMZN_TRACE_ID, forwarded.trace_id);
    }
    if framing == BodyFraming::Chunked {
        out.extend_from_slice(b"transfer-encoding: chunked\r\n");
    }
    if forwarded.upgrade {
        out.extend_from_slice(b"connection: upgrade\r\n");
        for value in headers.get_all(header::UPGRADE) {
            field(out, &header::UPGRADE, value.as_bytes());
        }
    }
    out.extend_from_slice(b"\r\n");
}

fn line_start(out: &mut BytesMut, name: &HeaderName) {
    out.extend_from_slice(name.as_str().as_bytes());
    out.extend_from_slice(b": ");
}

fn field(out: &mut BytesMut, name: &HeaderName, value: &[u8]) {
    line_start(out, name);
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// How a response body is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Framing {
    Empty,
    Length(u64),
    Chunked,
    /// Until the target closes the connection.
    UntilClose,
}

/// A parsed response head.
#[derive(Debug)]
pub(crate) struct ResponseHead {
    pub status: StatusCode,
    /// Without hop-by-hop headers (`Upgrade` kept on a 101).
    pub headers: HeaderMap,
    pub framing: Framing,
    /// The connection may carry another request afterwards.
    pub keep_alive: bool,
}

/// A response head that is not HTTP/1.x.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct HeadError(pub &'static str);

impl std::fmt::Display for HeadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid response head: {}", self.0)
    }
}

impl std::error::Error for HeadError {}

/// Parses the response head at the start of `buf`, removing it (and any
/// interim 1xx heads before it). `Ok(None)`: incomplete, read more.
pub(crate) fn parse_response(
    buf: &mut BytesMut,
    method: &Method,
) -> Result<Option<ResponseHead>, HeadError> {
    loop {
        let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut parsed = httparse::Response::new(&mut slots);
        let len = match parsed.parse(buf) {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD => {
                return Err(HeadError("too large"))
            }
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(httparse::Error::TooManyHeaders) => {
                return Err(HeadError("too many header fields"))
            }
            Err(_) => return Err(HeadError("malformed")),
        };
        let code = parsed.code.unwrap_or(0);
        let status = StatusCode::from_u16(code).map_err(|_| HeadError("invalid status"))?;
        let version = if parsed.version == Some(0) {
            Version::HTTP_10
        } else {
            Version::HTTP_11
        };
        if status.is_informational() && status != StatusCode::SWITCHING_PROTOCOLS {
            // 100 Continue, 103 Early Hints: not passed on.
            let _ = buf.split_to(len);
            continue;
        }
        // Where each field is, so the values can share the head's bytes
        // once it is split off the buffer (no allocation for the list).
        let base = buf.as_ptr() as usize;
        let at = |s: &[u8]| {
            let start = s.as_ptr() as usize - base;
            (start as u32, (start + s.len()) as u32)
        };
        let mut spans = [Span::default(); MAX_HEADERS];
        let count = parsed.headers.len();
        for (span, field) in spans.iter_mut().zip(parsed.headers.iter()) {
            (span.name_start, span.name_end) = at(field.name.as_bytes());
            (span.value_start, span.value_end) = at(field.value);
        }
        let head = buf.split_to(len).freeze();
        return build_head(&head, &spans[..count], status, version, method).map(Some);
    }
}

/// A header field's place in the head.
#[derive(Clone, Copy, Default)]
struct Span {
    name_start: u32,
    name_end: u32,
    value_start: u32,
    value_end: u32,
}

impl Span {
    fn name(&self) -> Range<usize> {
        self.name_start as usize..self.name_end as usize
    }

    fn value(&self) -> Range<usize> {
        self.value_start as usize..self.value_end as usize
    }
}

fn build_head(
    head: &Bytes,
    fields: &[Span],
    status: StatusCode,
    version: Version,
    method: &Method,
) -> Result<ResponseHead, HeadError> {
    let raw = |r: &Range<usize>| &head[r.clone()];
    let mut close = false;
    let mut keep_alive_token = false;
    let mut listed: Vec<&[u8]> = Vec::new();
    let mut chunked: Option<bool> = None;
    let mut length: Option<u64> = None;
    for span in fields {
        let (name, value) = (raw(&span.name()), raw(&span.value()));
        if name.eq_ignore_ascii_case(b"connection") {
            for token in value.split(|b| *b == b',').map(<[u8]>::trim_ascii) {
                if token.eq_ignore_ascii_case(b"close") {
                    close = true;
                } else if token.eq_ignore_ascii_case(b"keep-alive") {
                    keep_alive_token = true;
                } else if !token.is_empty() {
                    listed.push(token);
                }
            }
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            let last = value.rsplit(|b| *b == b',').next().unwrap_or(b"");
            chunked = Some(last.trim_ascii().eq_ignore_ascii_case(b"chunked"));
        } else if name.eq_ignore_ascii_case(b"content-length") {
            for part in value.split(|b| *b == b',') {
                let n = std::str::from_utf8(part.trim_ascii())
                    .ok()
                    .and_then(|t| t.parse::<u64>().ok())
                    .ok_or(HeadError("invalid content-length"))?;
                if length.is_some_and(|l| l != n) {
                    return Err(HeadError("conflicting content-length"));
                }
                length = Some(n);
            }
        }
    }
    let switching = status == StatusCode::SWITCHING_PROTOCOLS;
    let framing = if *method == Method::HEAD
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
        || switching
    {
        Framing::Empty
    } else {
        match (chunked, length) {
            (Some(true), _) => Framing::Chunked,
            (Some(false), _) => Framing::UntilClose,
            (None, Some(length)) => Framing::Length(length),
            (None, None) => Framing::UntilClose,
        }
    };
    let keep_alive = !close
        && framing != Framing::UntilClose
        && !switching
        && (version == Version::HTTP_11 || keep_alive_token);

    // What the client gets: no hop-by-hop fields (but a 101's Upgrade), no
    // Content-Length next to a Transfer-Encoding.
    let mut headers = HeaderMap::with_capacity(fields.len());
    for span in fields {
        let name = HeaderName::from_bytes(raw(&span.name()))
            .map_err(|_| HeadError("invalid header name"))?;
        let keep_upgrade = switching && name == header::UPGRADE;
        if !keep_upgrade
            && (is_hop_by_hop(&name)
                || (chunked.is_some() && name == header::CONTENT_LENGTH)
                || listed
                    .iter()
                    .any(|t| t.eq_ignore_ascii_case(name.as_str().as_bytes())))
        {
            continue;
        }
        let value = HeaderValue::from_maybe_shared(head.slice(span.value()))
            .map_err(|_| HeadError("invalid header value"))?;
        headers.append(name, value);
    }
    Ok(ResponseHead {
        status,
        headers,
        framing,
        keep_alive,
    })
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

    fn encode(headers: &HeaderMap, f: &Forwarded<'_>, framing: BodyFraming) -> String {
        let mut out = BytesMut::new();
        encode_request(&mut out, &Method::POST, "/a?b=c", headers, f, framing);
        String::from_utf8(out.to_vec()).unwrap()
    }

    #[test]
    fn request_heads_are_rewritten_while_serialized() {
        let (ip, port) = (
            HeaderValue::from_static("10.0.0.1"),
            HeaderValue::from_static("80"),
        );
        let headers = map(&[
            ("host", "example.com"),
            ("connection", "keep-alive, x-drop"),
            ("x-drop", "1"),
            ("keep-alive", "300"),
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-proto", "gopher"),
            ("expect", "100-continue"),
            ("transfer-encoding", "chunked"),
            ("x-kept", "yes"),
        ]);
        let text = encode(&headers, &forwarded(&ip, &port), BodyFraming::Chunked);
        assert_eq!(
            text,
            "POST /a?b=c HTTP/1.1\r\nhost: example.com\r\nx-kept: yes\r\nx-forwarded-for: 1.2.3.4, 10.0.0.1\r\n\
             x-forwarded-proto: http\r\nx-forwarded-port: 80\r\n\
             x-amzn-trace-id: Root=1-00000000-000000000000000000000000\r\ntransfer-encoding: chunked\r\n\r\n"
        );
    }

    #[test]
    fn authority_cookies_trace_and_upgrade() {
        let (ip, port) = (
            HeaderValue::from_static("10.0.0.1"),
            HeaderValue::from_static("443"),
        );
        let headers = map(&[
            ("cookie", "a=1"),
            ("cookie", "b=2"),
            ("x-amzn-trace-id", "Root=1-given"),
            ("upgrade", "websocket"),
        ]);
        let mut f = forwarded(&ip, &port);
        f.authority = Some("h.example:8443");
        f.join_cookies = true;
        f.upgrade = true;
        f.https = true;
        let text = encode(&headers, &f, BodyFraming::None);
        assert!(text.contains("cookie: a=1; b=2\r\n"), "{text}");
        assert!(text.contains("host: h.example:8443\r\n"), "{text}");
        assert!(text.contains("x-amzn-trace-id: Root=1-given\r\n"), "{text}");
        assert_eq!(text.matches("x-amzn-trace-id").count(), 1, "{text}");
        assert!(text.contains("x-forwarded-proto: https\r\n"), "{text}");
        assert!(
            text.ends_with("connection: upgrade\r\nupgrade: websocket\r\n\r\n"),
            "{text}"
        );
    }

    fn parse(text: &str, method: &Method) -> Result<Option<ResponseHead>, HeadError> {
        let mut buf = BytesMut::from(text.as_bytes());
        parse_response(&mut buf, method)
    }

    #[test]
    fn framing_follows_rfc_9112() {
        let ok = |text: &str| parse(text, &Method::GET).unwrap().unwrap();
        let h = ok("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n");
        assert_eq!((h.framing, h.keep_alive), (Framing::Length(12), true));
        let h =
            ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 3\r\n\r\n");
        assert_eq!(h.framing, Framing::Chunked);
        assert!(
            !h.headers.contains_key("content-length")
                && !h.headers.contains_key("transfer-encoding")
        );
        let h = ok("HTTP/1.1 200 OK\r\n\r\n");
        assert_eq!((h.framing, h.keep_alive), (Framing::UntilClose, false));
        let h = ok("HTTP/1.1 204 No Content\r\n\r\n");
        assert_eq!(h.framing, Framing::Empty);
        let h = ok("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n");
        assert!(!h.keep_alive, "HTTP/1.0 closes by default");
        let h = ok("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n");
        assert!(h.keep_alive);
        let h = ok("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n");
        assert!(!h.keep_alive);
        let h = parse(
            "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n",
            &Method::HEAD,
        )
        .unwrap()
        .unwrap();
        assert_eq!(h.framing, Framing::Empty);
        assert_eq!(
            h.headers.get("content-length").unwrap(),
            "10",
            "kept for HEAD"
        );
    }

    #[test]
    fn interim_heads_are_skipped_and_partial_heads_wait() {
        let mut buf = BytesMut::from(
            &b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"[..],
        );
        let h = parse_response(&mut buf, &Method::POST).unwrap().unwrap();
        assert_eq!(h.status, 201);
        assert_eq!(&buf[..], b"ok", "the body stays in the buffer");
        assert!(parse("HTTP/1.1 200 OK\r\nContent-Le", &Method::GET)
            .unwrap()
            .is_none());
    }

    #[test]
    fn response_hop_by_hop_fields_go_but_upgrade_stays_on_101() {
        let h = parse(
            "HTTP/1.1 200 OK\r\nConnection: keep-alive, x-private\r\nKeep-Alive: timeout=5\r\nX-Private: 1\r\nX-Kept: 2\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n",
            &Method::GET,
        )
        .unwrap()
        .unwrap();
        let names: Vec<_> = h.headers.keys().map(|k| k.as_str()).collect();
        assert_eq!(names, ["x-kept", "set-cookie", "content-length"]);
        assert_eq!(h.headers.get_all("set-cookie").iter().count(), 2);
        let h = parse(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
            &Method::GET,
        )
        .unwrap()
        .unwrap();
        assert_eq!(h.status, 101);
        assert_eq!(h.headers.get("upgrade").unwrap(), "websocket");
        assert!(!h.keep_alive);
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(parse("SSH-2.0-OpenSSH\r\n\r\n", &Method::GET).is_err());
        assert!(parse(
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            &Method::GET
        )
        .is_err());
        assert!(parse("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", &Method::GET).is_err());
    }
}
