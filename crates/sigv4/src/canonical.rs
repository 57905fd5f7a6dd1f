//! Building the canonical request: the exact byte string a SigV4 client hashed.
//!
//! ```text
//! HTTPMethod \n CanonicalURI \n CanonicalQueryString \n CanonicalHeaders \n SignedHeaders \n HashedPayload
//! ```
//!
//! * **URI** — the path with dot segments and empty segments removed (RFC 3986
//!   section 5.2.4), each segment URI-encoded. Clients for services other than S3
//!   encode the already-encoded path once more, so the raw path as received is
//!   what gets encoded here (`%20` on the wire becomes `%2520`).
//! * **Query** — every `name=value` pair, percent-decoded then re-encoded with the
//!   SigV4 unreserved set, sorted by encoded name then encoded value.
//! * **Headers** — each signed header as `name:value\n`, the value trimmed, runs
//!   of spaces collapsed, repeated headers joined with `,`.

use http::{HeaderMap, HeaderName};
use percent_encoding::{percent_decode, percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but the SigV4 unreserved characters `A-Z a-z 0-9 - _ . ~` is encoded.
const SIGV4_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// URI-encodes bytes the SigV4 way (uppercase hex, unreserved set untouched).
pub(crate) fn uri_encode(bytes: &[u8]) -> String {
    percent_encode(bytes, SIGV4_UNRESERVED).to_string()
}

/// The canonical URI for a raw (as received, still percent-encoded) path.
pub(crate) fn canonical_uri(raw_path: &str) -> String {
    normalize_path(raw_path)
        .split('/')
        .map(|segment| uri_encode(segment.as_bytes()))
        .collect::<Vec<_>>()
        .join("/")
}

/// Removes `.`/`..` and empty segments; the result starts with `/` and keeps a
/// trailing `/` when the input ends in `/`, `/.` or `/..`.
fn normalize_path(path: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                kept.pop();
            }
            s => kept.push(s),
        }
    }
    let mut out = String::with_capacity(path.len() + 1);
    out.push('/');
    out.push_str(&kept.join("/"));
    let trailing = path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..");
    if trailing && !out.ends_with('/') {
        out.push('/');
    }
    out
}

/// One decoded query parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueryParam {
    pub(crate) name: Vec<u8>,
    pub(crate) value: Vec<u8>,
}

impl QueryParam {
    pub(crate) fn name_is(&self, name: &str) -> bool {
        self.name == name.as_bytes()
    }
}

/// Splits a raw query string into decoded pairs (`+` is a space, as in forms).
/// Empty pieces (`a=1&&b=2`) are skipped; a piece without `=` has an empty value.
pub(crate) fn parse_query(raw: &str) -> Vec<QueryParam> {
    raw.split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            QueryParam {
                name: decode_component(name),
                value: decode_component(value),
            }
        })
        .collect()
}

fn decode_component(s: &str) -> Vec<u8> {
    let spaced = s.replace('+', " ");
    percent_decode(spaced.as_bytes()).collect()
}

/// The canonical query string of `params`, leaving out any parameter named `skip`.
pub(crate) fn canonical_query(params: &[QueryParam], skip: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .filter(|p| skip.is_none_or(|s| !p.name_is(s)))
        .map(|p| (uri_encode(&p.name), uri_encode(&p.value)))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The canonical headers block (each line ending in `\n`) for the signed header
/// names, in the order given. A signed header the request lacks gets an empty
/// value, which can only lead to a signature mismatch.
pub(crate) fn canonical_headers(headers: &HeaderMap, signed: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    for name in signed {
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        if let Ok(header) = HeaderName::from_bytes(name.as_bytes()) {
            for (i, value) in headers.get_all(&header).iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                push_trimmed(&mut out, value.as_bytes());
            }
        }
        out.push(b'\n');
    }
    out
}

/// Appends `value` without leading/trailing spaces and with runs of spaces
/// collapsed to one.
fn push_trimmed(out: &mut Vec<u8>, value: &[u8]) {
    let mut pending_space = false;
    let mut started = false;
    for &b in value {
        if b == b' ' {
            pending_space = started;
            continue;
        }
        if pending_space {
            out.push(b' ');
            pending_space = false;
        }
        out.push(b);
        started = true;
    }
}

/// Joins the six parts of the canonical request.
pub(crate) fn canonical_request(
    method: &str,
    uri: &str,
    query: &str,
    headers_block: &[u8],
    signed_headers: &str,
    payload_hash: &str,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        method.len() + uri.len() + query.len() + headers_block.len() + signed_headers.len() + 80,
    );
    for part in [method, uri, query] {
        out.extend_from_slice(part.as_bytes());
        out.push(b'\n');
    }
    out.extend_from_slice(headers_block);
    out.push(b'\n');
    out.extend_from_slice(signed_headers.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(payload_hash.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn normalizes_paths_like_the_test_suite() {
        for (raw, want) in [
            ("", "/"),
            ("/", "/"),
            ("//", "/"),
            ("/./", "/"),
            ("/./example", "/example"),
            ("//example//", "/example/"),
            ("/example/..", "/"),
            ("/example1/example2/../..", "/"),
            ("/a/b/..", "/a/"),
            ("/a/./b/.", "/a/b/"),
            ("/../../x", "/x"),
            ("noslash", "/noslash"),
        ] {
            assert_eq!(normalize_path(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn encodes_path_segments_again() {
        assert_eq!(canonical_uri("/"), "/");
        assert_eq!(canonical_uri("/example%20space/"), "/example%2520space/");
        assert_eq!(canonical_uri("/example space/"), "/example%20space/");
        assert_eq!(canonical_uri("/ሴ"), "/%E1%88%B4");
        assert_eq!(canonical_uri("/a~b_c-d.e"), "/a~b_c-d.e");
        assert_eq!(canonical_uri("/a:b@c"), "/a%3Ab%40c");
    }

    #[test]
    fn canonical_query_sorts_after_encoding() {
        let q = parse_query("Param-3=Value3&Param=Value2&%E1%88%B4=Value1");
        assert_eq!(
            canonical_query(&q, None),
            "%E1%88%B4=Value1&Param=Value2&Param-3=Value3"
        );
        let q = parse_query("b=2&a=2&a=1&c&&d=x%2fy+z&e=%7e");
        assert_eq!(canonical_query(&q, None), "a=1&a=2&b=2&c=&d=x%2Fy%20z&e=~");
        let q = parse_query("X-Amz-Signature=abc&z=1");
        assert_eq!(canonical_query(&q, Some("X-Amz-Signature")), "z=1");
        assert_eq!(canonical_query(&parse_query(""), None), "");
    }

    #[test]
    fn malformed_percent_sequences_pass_through() {
        let q = parse_query("a=%zz&b=%&c=%4");
        assert_eq!(canonical_query(&q, None), "a=%25zz&b=%25&c=%254");
    }

    #[test]
    fn header_values_are_trimmed_and_joined() {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("example.amazonaws.com"));
        h.append("my-header1", HeaderValue::from_static("  value4  "));
        h.append("my-header1", HeaderValue::from_static("value1"));
        h.append("my-header2", HeaderValue::from_static("\"a   b   c\""));
        let signed = ["host", "my-header1", "my-header2", "absent"].map(String::from);
        let block = canonical_headers(&h, &signed);
        assert_eq!(
            String::from_utf8_lossy(&block),
            "host:example.amazonaws.com\nmy-header1:value4,value1\nmy-header2:\"a b c\"\nabsent:\n"
        );
    }

    #[test]
    fn trimming_handles_edge_cases() {
        for (raw, want) in [
            ("", ""),
            ("   ", ""),
            (" a ", "a"),
            ("a  b", "a b"),
            ("\ta\t", "\ta\t"),
        ] {
            let mut out = Vec::new();
            push_trimmed(&mut out, raw.as_bytes());
            assert_eq!(out, want.as_bytes(), "{raw:?}");
        }
    }
}
