//! Responses the load balancer makes itself: error pages, fixed responses
//! and redirects, all with `Server: awselb/2.0` as ALB's.

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};

use crate::body::ResponseBody;

const SERVER: HeaderValue = HeaderValue::from_static("awselb/2.0");
const HTML: HeaderValue = HeaderValue::from_static("text/html");

/// A tiny HTML error page for `status`.
pub(crate) fn error_page(status: StatusCode) -> Response<ResponseBody> {
    let body = Bytes::from(page(status));
    generated(status, Some(HTML), body)
}

fn page(status: StatusCode) -> String {
    let title = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    format!("<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<h1>{title}</h1>\r\n</body>\r\n</html>\r\n")
}

/// A response with the load balancer's `Server` header.
pub(crate) fn generated(
    status: StatusCode,
    content_type: Option<HeaderValue>,
    body: Bytes,
) -> Response<ResponseBody> {
    let mut response = Response::new(ResponseBody::full(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::SERVER, SERVER);
    if let Some(content_type) = content_type {
        headers.insert(header::CONTENT_TYPE, content_type);
    }
    response
}

/// A redirect to `location`.
pub(crate) fn redirect(status: StatusCode, location: &str) -> Response<ResponseBody> {
    match HeaderValue::from_str(location) {
        Ok(value) => {
            let mut response = error_page(status);
            response.headers_mut().insert(header::LOCATION, value);
            response
        }
        // A Location that cannot be a header (a control character from the
        // request): nothing sensible to redirect to.
        Err(_) => error_page(StatusCode::BAD_REQUEST),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body::Body;

    #[test]
    fn error_pages_name_their_status() {
        let r = error_page(StatusCode::BAD_GATEWAY);
        assert_eq!(r.status(), 502);
        assert_eq!(r.headers().get("server").unwrap(), "awselb/2.0");
        assert_eq!(r.headers().get("content-type").unwrap(), "text/html");
        assert!(page(StatusCode::BAD_GATEWAY).contains("<title>502 Bad Gateway</title>"));
        assert_eq!(
            r.body().size_hint().exact(),
            Some(page(StatusCode::BAD_GATEWAY).len() as u64)
        );
    }

    #[test]
    fn redirects_carry_their_location() {
        let r = redirect(StatusCode::MOVED_PERMANENTLY, "https://example.com/");
        assert_eq!(r.headers().get("location").unwrap(), "https://example.com/");
        assert_eq!(redirect(StatusCode::FOUND, "bad\nvalue").status(), 400);
    }
}
