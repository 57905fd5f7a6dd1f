//! The endpoint over HTTP, with a fake source: the router in-process, and real listeners.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use berth_task_metadata::{bind, router, ContainerView, MetadataSource, TaskView};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tower::ServiceExt;

struct Fake {
    tokens: HashMap<String, (TaskView, String)>,
    stats: HashMap<String, Value>,
}

#[async_trait::async_trait]
impl MetadataSource for Fake {
    fn lookup(&self, token: &str) -> Option<(TaskView, String)> {
        self.tokens.get(token).cloned()
    }

    async fn stats(&self, docker_id: &str) -> Option<Value> {
        self.stats.get(docker_id).cloned()
    }
}

fn container(name: &str, docker_id: &str) -> ContainerView {
    ContainerView {
        name: name.into(),
        docker_id: docker_id.into(),
        docker_name: format!("berth-app-1-{name}"),
        image: "nginx:latest".into(),
        desired_status: "RUNNING".into(),
        known_status: "RUNNING".into(),
        cpu: 256,
        memory: Some(512),
        ..Default::default()
    }
}

fn web_stats() -> Value {
    json!({"read": "2020-10-02T00:51:13.410254284Z", "id": "aaa111", "memory_stats": {"usage": 1806336}})
}

/// One task of three containers: `web` (with stats), `sidecar` (no stats), `init` (not
/// created yet). Token `tok-web` is web's, `tok-sidecar` the sidecar's.
fn source() -> Arc<dyn MetadataSource> {
    let task = TaskView {
        cluster: "arn:aws:ecs:us-east-1:000000000000:cluster/default".into(),
        task_arn: "arn:aws:ecs:us-east-1:000000000000:task/default/abc".into(),
        family: "app".into(),
        revision: "1".into(),
        desired_status: "RUNNING".into(),
        known_status: "RUNNING".into(),
        launch_type: "EC2".into(),
        task_tags: vec![("team".into(), "web".into())],
        containers: vec![
            container("web", "aaa111"),
            container("sidecar", "bbb222"),
            container("init", ""),
        ],
        ..Default::default()
    };
    let tokens = HashMap::from([
        ("tok-web".to_string(), (task.clone(), "web".to_string())),
        ("tok-sidecar".to_string(), (task, "sidecar".to_string())),
    ]);
    let stats = HashMap::from([("aaa111".to_string(), web_stats())]);
    Arc::new(Fake { tokens, stats })
}

async fn call(method: Method, path: &str) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .body(Body::empty())
        .expect("a request");
    let response = router(source()).oneshot(request).await.expect("infallible");
    let status = response.status();
    if status == StatusCode::OK {
        assert_eq!(
            response
                .headers()
                .get(header::CONTENT_TYPE)
                .map(|v| v.as_bytes()),
            Some(&b"application/json"[..])
        );
    }
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("a body")
        .to_bytes();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).expect("a JSON body")
    };
    (status, body)
}

async fn get(path: &str) -> (StatusCode, Value) {
    call(Method::GET, path).await
}

#[tokio::test]
async fn container_path_answers_the_tokens_own_container() {
    let (status, body) = get("/v4/tok-sidecar").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["Name"], "sidecar");
    assert_eq!(body["DockerId"], "bbb222");
    assert_eq!(body["Limits"], json!({"CPU": 256, "Memory": 512}));
    assert_eq!(body["Type"], "NORMAL");
    assert!(body.get("Containers").is_none());
}

#[tokio::test]
async fn task_path_lists_every_container_without_tags() {
    let (status, body) = get("/v4/tok-web/task").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["TaskARN"],
        "arn:aws:ecs:us-east-1:000000000000:task/default/abc"
    );
    assert_eq!(body["Family"], "app");
    let names: Vec<&str> = body["Containers"]
        .as_array()
        .expect("Containers is a list")
        .iter()
        .map(|c| c["Name"].as_str().expect("a name"))
        .collect();
    assert_eq!(names, ["web", "sidecar", "init"]);
    assert!(body.get("TaskTags").is_none());
}

#[tokio::test]
async fn task_with_tags_path_adds_task_tags() {
    let (status, body) = get("/v4/tok-web/taskWithTags").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["TaskTags"], json!({"team": "web"}));
    assert_eq!(body["Containers"].as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn stats_path_passes_docker_stats_through_unchanged() {
    let (status, body) = get("/v4/tok-web/stats").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, web_stats());

    let (status, body) = get("/v4/tok-sidecar/stats").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, Value::Null, "no stats from the source: null");
}

#[tokio::test]
async fn task_stats_path_maps_each_created_container_to_its_stats_or_null() {
    let (status, body) = get("/v4/tok-sidecar/task/stats").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"aaa111": web_stats(), "bbb222": null}));
}

#[tokio::test]
async fn unknown_token_is_404_on_every_path() {
    for path in [
        "/v4/nope",
        "/v4/nope/task",
        "/v4/nope/taskWithTags",
        "/v4/nope/stats",
        "/v4/nope/task/stats",
    ] {
        let (status, body) = get(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(body["Error"], "unknown task metadata token", "{path}");
    }
}

#[tokio::test]
async fn other_paths_are_404_and_other_methods_405() {
    for path in [
        "/",
        "/v4",
        "/v3/tok-web",
        "/v4/tok-web/nope",
        "/v4/tok-web/task/x",
    ] {
        let (status, _) = get(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, _) = call(Method::POST, "/v4/tok-web").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    let (status, _) = call(Method::DELETE, "/v4/tok-web/task").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
}

/// A raw HTTP/1.1 GET; the whole response as text.
async fn raw_get(addr: SocketAddr, path: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(addr).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    Ok(response)
}

#[tokio::test]
async fn bind_serves_every_address_over_tcp_until_dropped() {
    let local: SocketAddr = "127.0.0.1:0".parse().expect("an address");
    let server = bind(&[local, local], source()).await.expect("binds");
    let addrs = server.addrs.clone();
    assert_eq!(addrs.len(), 2);
    assert!(addrs.iter().all(|addr| addr.port() != 0), "{addrs:?}");
    assert_ne!(addrs[0], addrs[1]);
    let running = tokio::spawn(server.run());

    for addr in &addrs {
        let response = raw_get(*addr, "/v4/tok-web").await.expect("a response");
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(response.contains(r#""Name":"web""#), "{response}");
        let response = raw_get(*addr, "/v4/unknown").await.expect("a response");
        assert!(response.starts_with("HTTP/1.1 404"), "{response}");
    }

    running.abort();
    let _ = running.await;
    let mut refused = false;
    for _ in 0..50 {
        if raw_get(addrs[0], "/v4/tok-web").await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        refused,
        "listeners still answer after the server was dropped"
    );
}
