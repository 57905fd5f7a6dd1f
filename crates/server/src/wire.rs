//! Responses: the one place answers and errors become wire bytes, in the protocol the
//! client spoke.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use berth_aws::protocol::{cbor, ec2, json, query, Protocol};
use berth_aws::service::ServiceInfo;
use berth_aws::AwsError;

use crate::route::Wire;

pub fn ok(body: Vec<u8>, wire: Wire, service: &ServiceInfo, request_id: &str) -> Response {
    let mut resp = (StatusCode::OK, body).into_response();
    if wire == Wire::Cbor {
        headers(&mut resp, cbor::CONTENT_TYPE, request_id);
        resp.headers_mut()
            .insert("smithy-protocol", HeaderValue::from_static("rpc-v2-cbor"));
    } else {
        headers(&mut resp, service.protocol.content_type(), request_id);
    }
    resp
}

pub fn error(
    e: &AwsError,
    wire: Wire,
    service: Option<&ServiceInfo>,
    request_id: &str,
) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    match wire {
        Wire::Query => {
            let mut resp = (status, query::error_body(e, request_id)).into_response();
            headers(&mut resp, "text/xml", request_id);
            resp
        }
        Wire::Ec2 => {
            let mut resp = (status, ec2::error_body(e, request_id)).into_response();
            headers(&mut resp, ec2::CONTENT_TYPE, request_id);
            resp
        }
        Wire::Registry => {
            let body = serde_json::json!({"errors": [{"code": e.code, "message": e.message}]});
            let mut resp = (status, body.to_string()).into_response();
            headers(&mut resp, "application/json", request_id);
            resp
        }
        Wire::Cbor => {
            let mut resp = (status, cbor::error_body(e)).into_response();
            headers(&mut resp, cbor::CONTENT_TYPE, request_id);
            resp.headers_mut()
                .insert("smithy-protocol", HeaderValue::from_static("rpc-v2-cbor"));
            resp
        }
        Wire::Json => {
            let protocol = service.map_or(Protocol::Json11, |s| s.protocol);
            let mut resp = (status, json::error_body(e)).into_response();
            headers(&mut resp, protocol.content_type(), request_id);
            let query_compatible = service.is_some_and(|s| s.query_compatible);
            for (name, value) in json::error_headers(e, query_compatible) {
                if let Ok(v) = HeaderValue::from_str(&value) {
                    resp.headers_mut().insert(name, v);
                }
            }
            resp
        }
    }
}

fn headers(resp: &mut Response, content_type: &'static str, request_id: &str) {
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-amzn-RequestId", v);
    }
}
