//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use berth_sigv4::{Request, Secret};
use http::{HeaderMap, HeaderName, HeaderValue};

pub const TEST_ACCOUNT: &str = "123456789012";

/// A request that owns its parts; `req()` borrows the verifier's view of it.
#[derive(Debug, Clone)]
pub struct Owned {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Owned {
    pub fn req(&self) -> Request<'_> {
        Request {
            method: &self.method,
            path: &self.path,
            query: self.query.as_deref(),
            headers: &self.headers,
            body: &self.body,
        }
    }

    /// Splits a request target (`/path?query`) into path and query.
    pub fn set_target(&mut self, target: &str) {
        match target.split_once('?') {
            Some((p, q)) => {
                self.path = p.to_string();
                self.query = Some(q.to_string());
            }
            None => {
                self.path = target.to_string();
                self.query = None;
            }
        }
    }

    pub fn set_header(&mut self, name: &str, value: &str) {
        self.headers.insert(
            HeaderName::from_bytes(name.as_bytes()).expect("test header name"),
            HeaderValue::from_str(value).expect("test header value"),
        );
    }

    pub fn from_http(req: http::Request<Vec<u8>>) -> Self {
        let (parts, body) = req.into_parts();
        Owned {
            method: parts.method.as_str().to_string(),
            path: parts.uri.path().to_string(),
            query: parts.uri.query().map(str::to_string),
            headers: parts.headers,
            body,
        }
    }
}

/// Parses the AWS test-suite request format:
/// `METHOD target HTTP/1.1`, then `Name:value` lines, a blank line, the body.
pub fn parse_suite_request(text: &str) -> Owned {
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut lines = head.lines();
    let request_line = lines.next().expect("request line");
    let method = request_line.split(' ').next().expect("method");
    let target = request_line[method.len() + 1..]
        .strip_suffix(" HTTP/1.1")
        .expect("HTTP/1.1");
    let mut owned = Owned {
        method: method.to_string(),
        path: String::new(),
        query: None,
        headers: HeaderMap::new(),
        body: body.as_bytes().to_vec(),
    };
    owned.set_target(target);
    for line in lines {
        let (name, value) = line.split_once(':').expect("header line");
        owned.headers.append(
            HeaderName::from_bytes(name.as_bytes()).expect("suite header name"),
            HeaderValue::from_str(value).expect("suite header value"),
        );
    }
    owned
}

/// `YYYYMMDDTHHMMSSZ` as a `SystemTime`.
pub fn at(amz: &str) -> SystemTime {
    let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let t = time::PrimitiveDateTime::parse(amz, &fmt)
        .expect("test timestamp")
        .assume_utc();
    UNIX_EPOCH + Duration::from_secs(u64::try_from(t.unix_timestamp()).expect("after 1970"))
}

pub fn provider(access_key: &str, secret: &str) -> HashMap<String, Secret> {
    HashMap::from([(
        access_key.to_string(),
        Secret {
            secret_access_key: secret.to_string(),
            account_id: TEST_ACCOUNT.to_string(),
        },
    )])
}
