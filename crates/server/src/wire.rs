//! The AWS JSON protocol's responses: the one place errors become wire bytes.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

pub const JSON_1_1: &str = "application/x-amz-json-1.1";

/// An error as the AWS JSON protocol sends it.
pub struct WireError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl WireError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        WireError {
            status,
            code: code.into(),
            message: message.into(),
        }
    }
}

impl From<berth_ecs::EcsError> for WireError {
    fn from(e: berth_ecs::EcsError) -> Self {
        WireError::new(e.status(), e.code(), e.to_string())
    }
}

impl From<berth_sigv4::AuthError> for WireError {
    fn from(e: berth_sigv4::AuthError) -> Self {
        WireError::new(e.status(), e.code(), e.message())
    }
}

/// Runs a control-plane call on a blocking thread (writes wait for the disk) and maps its
/// error to the wire.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> berth_ecs::Result<T> + Send + 'static,
) -> Result<T, WireError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| WireError::new(500, "ServerException", format!("handler failed: {e}")))?
        .map_err(WireError::from)
}

pub fn ok(body: Vec<u8>, request_id: &str) -> Response {
    with_headers((StatusCode::OK, body).into_response(), request_id)
}

pub fn error(e: WireError, request_id: &str) -> Response {
    let body = serde_json::json!({ "__type": e.code, "message": e.message });
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut resp = with_headers((status, body.to_string()).into_response(), request_id);
    if let Ok(v) = HeaderValue::from_str(&e.code) {
        resp.headers_mut().insert("x-amzn-ErrorType", v);
    }
    resp
}

fn with_headers(mut resp: Response, request_id: &str) -> Response {
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_1_1));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-amzn-RequestId", v);
    }
    resp
}
