//! An AWS JSON endpoint for tests: answers each call as a test says for its `X-Amz-Target`
//! and body, and records every call's target and body.

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use berth_client::Endpoint;
use serde_json::{json, Value};

/// Every call so far, as (target, body).
pub(crate) type Calls = Arc<Mutex<Vec<(String, Value)>>>;

/// Serves on a free local port. `answer(target, body)` is the answer body, or the code of an
/// error answer (400).
pub(crate) async fn serve<F>(answer: F) -> (Endpoint, Calls)
where
    F: Fn(&str, &Value) -> Result<Value, &'static str> + Clone + Send + Sync + 'static,
{
    let calls: Calls = Arc::new(Mutex::new(Vec::new()));
    let seen = calls.clone();
    let app = axum::Router::new().fallback(move |headers: HeaderMap, body: String| {
        let (seen, answer) = (seen.clone(), answer.clone());
        async move {
            let target = headers
                .get("x-amz-target")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let body: Value = serde_json::from_str(&body).unwrap_or_default();
            let answered = answer(&target, &body);
            seen.lock().expect("calls").push((target, body));
            match answered {
                Ok(v) => (StatusCode::OK, v.to_string()).into_response(),
                Err(code) => {
                    let e = json!({"__type": code, "message": "no"});
                    (StatusCode::BAD_REQUEST, e.to_string()).into_response()
                }
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let endpoint = Endpoint::new(&url, "test", "test", "us-east-1").expect("endpoint");
    (endpoint, calls)
}
