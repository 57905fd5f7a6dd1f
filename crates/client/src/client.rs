//! A signed client for the AWS JSON and AWS Query protocols over one keep-alive HTTP/1.1
//! connection.

use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{HeaderValue, CONTENT_TYPE, HOST};
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::sign::{now_seconds, Signer, ECS_SERVICE};

pub const ECS_PREFIX: &str = "AmazonEC2ContainerServiceV20141113";
/// The `X-Amz-Target` prefix of CloudWatch Logs operations.
pub const LOGS_PREFIX: &str = "Logs_20140328";
/// CloudWatch Logs' SigV4 signing name.
pub const LOGS_SERVICE: &str = "logs";
/// The JSON target prefix of the ECR API.
pub const ECR_PREFIX: &str = "AmazonEC2ContainerRegistry_V20150921";
/// The SigV4 signing name of the ECR API.
pub const ECR_SERVICE: &str = "ecr";
const JSON: &str = "application/x-amz-json-1.1";
const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// Where to connect and how to sign: the credentials and region. Which service a request is
/// signed for is chosen per call ([`Client::call_service`]).
#[derive(Clone)]
pub struct Endpoint {
    pub host: String,
    signer: std::sync::Arc<Signer>,
}

/// What can go wrong with a call.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with an AWS error.
    #[error("{0}")]
    Api(#[from] ApiError),
    /// The endpoint URL is unusable.
    #[error("endpoint {url}: {reason}")]
    Endpoint { url: String, reason: String },
    /// Connecting, sending or reading failed (the call may or may not have been applied).
    #[error("{0}")]
    Transport(String),
    /// The request could not be signed.
    #[error("signing the request: {0}")]
    Sign(String),
    /// No answer within the call's deadline.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
}

impl Error {
    /// The AWS error code, for an error answer.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Api(e) => Some(&e.code),
            _ => None,
        }
    }
}

fn transport(e: impl std::fmt::Display) -> Error {
    Error::Transport(e.to_string())
}

impl Endpoint {
    pub fn new(url: &str, access_key: &str, secret_key: &str, region: &str) -> Result<Self, Error> {
        let bad = |reason: &str| Error::Endpoint {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let uri: Uri = url.parse().map_err(|_| bad("not a URL"))?;
        if uri.scheme_str() != Some("http") {
            return Err(bad("only plain http:// endpoints are supported"));
        }
        let host = uri
            .authority()
            .map(|a| a.to_string())
            .ok_or_else(|| bad("no host"))?;
        Ok(Endpoint {
            host,
            signer: std::sync::Arc::new(Signer::new(access_key, secret_key, region)),
        })
    }
}

impl Endpoint {
    /// The same endpoint, signing with temporary credentials (a role's) instead.
    pub fn with_session(
        &self,
        access_key: &str,
        secret_key: &str,
        session_token: &str,
    ) -> Endpoint {
        Endpoint {
            host: self.host.clone(),
            signer: std::sync::Arc::new(Signer::temporary(
                access_key,
                secret_key,
                Some(session_token),
                self.signer.region(),
            )),
        }
    }
}

/// An AWS error answer.
#[derive(Debug)]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for ApiError {}

/// One connection; reconnects after a failure.
pub struct Client {
    endpoint: Endpoint,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Client {
    pub fn new(endpoint: Endpoint) -> Self {
        Client {
            endpoint,
            sender: None,
        }
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, Error> {
        let stream = TcpStream::connect(&self.endpoint.host)
            .await
            .map_err(|e| Error::Transport(format!("connecting to {}: {e}", self.endpoint.host)))?;
        stream.set_nodelay(true).map_err(transport)?;
        let (sender, conn) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(transport)?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(sender)
    }

    /// Calls `target` (e.g. `AmazonEC2ContainerServiceV20141113.RunTask`) with a JSON body,
    /// signed for ECS. A 4xx/5xx answer is an [`ApiError`].
    pub async fn call(
        &mut self,
        target: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, Error> {
        self.call_service(ECS_SERVICE, target, body).await
    }

    /// Calls `target` of any AWS JSON service on the endpoint, signed with that service's
    /// signing name (`logs` for `Logs_20140328.PutLogEvents`, …).
    pub async fn call_service(
        &mut self,
        signing_name: &str,
        target: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, Error> {
        let body = serde_json::to_vec(body).map_err(transport)?;
        let (status, bytes) = self.send(signing_name, JSON, Some(target), body).await?;
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        if status >= 400 {
            return Err(ApiError {
                status,
                code: value["__type"].as_str().unwrap_or("Unknown").to_owned(),
                message: value["message"].as_str().unwrap_or_default().to_owned(),
            }
            .into());
        }
        Ok(value)
    }

    /// Calls `action` of an AWS Query service (ELB's `CreateLoadBalancer`, …) with `params`,
    /// signed with the service's signing name; answers the XML document. A 4xx/5xx answer is
    /// an [`ApiError`] with the error's `Code` and `Message`.
    pub async fn query(
        &mut self,
        signing_name: &str,
        version: &str,
        action: &str,
        params: &[(&str, &str)],
    ) -> Result<String, Error> {
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("Action", action)
            .append_pair("Version", version)
            .extend_pairs(params)
            .finish()
            .into_bytes();
        let (status, bytes) = self.send(signing_name, FORM, None, body).await?;
        let xml = String::from_utf8_lossy(&bytes).into_owned();
        if status >= 400 {
            return Err(ApiError {
                status,
                code: crate::xml::first(&xml, "Code").unwrap_or_else(|| "Unknown".into()),
                message: crate::xml::first(&xml, "Message").unwrap_or_default(),
            }
            .into());
        }
        Ok(xml)
    }

    /// Sends one signed POST of `body` (with `X-Amz-Target` when given) on the kept-alive
    /// connection; answers the status and the body.
    async fn send(
        &mut self,
        signing_name: &str,
        content_type: &'static str,
        target: Option<&str>,
        body: Vec<u8>,
    ) -> Result<(u16, Bytes), Error> {
        let mut headers = vec![("content-type", content_type)];
        if let Some(target) = target {
            headers.push(("x-amz-target", target));
        }
        headers.push(("host", self.endpoint.host.as_str()));
        let signed = self.endpoint.signer.sign_for(
            signing_name,
            &self.endpoint.host,
            &headers,
            &body,
            now_seconds(),
        )?;
        let target_value = target
            .map(|t| HeaderValue::from_str(t).map_err(|e| Error::Sign(e.to_string())))
            .transpose()?;
        let body = Bytes::from(body);
        let host = self.endpoint.host.clone();
        let build = || {
            let mut req = Request::builder()
                .method(Method::POST)
                .uri("/")
                .header(HOST, host.as_str())
                .header(CONTENT_TYPE, content_type);
            if let Some(target) = &target_value {
                req = req.header("x-amz-target", target.clone());
            }
            for (name, value) in &signed {
                req = req.header(name, value);
            }
            req.body(Full::new(body.clone())).map_err(transport)
        };
        let (mut sender, reused) = match self.sender.take() {
            Some(s) if !s.is_closed() => (s, true),
            _ => (self.connect().await?, false),
        };
        let first = match sender.ready().await {
            Ok(()) => sender.send_request(build()?).await,
            Err(e) => Err(e),
        };
        let resp = match first {
            Ok(resp) => resp,
            // A kept-alive connection the server closed while it sat idle: the request never
            // left (`is_closed`/`is_canceled`), so it is sent again on a new connection.
            Err(e) if reused && (e.is_closed() || e.is_canceled()) => {
                sender = self.connect().await?;
                sender.ready().await.map_err(transport)?;
                sender.send_request(build()?).await.map_err(transport)?
            }
            Err(e) => return Err(transport(e)),
        };
        let status = resp.status().as_u16();
        let bytes = resp
            .into_body()
            .collect()
            .await
            .map_err(transport)?
            .to_bytes();
        self.sender = Some(sender);
        Ok((status, bytes))
    }

    /// [`Client::call`] with a deadline; on timeout the connection is dropped.
    pub async fn call_within(
        &mut self,
        deadline: Duration,
        target: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, Error> {
        self.call_service_within(deadline, ECS_SERVICE, target, body)
            .await
    }

    /// [`Client::call_service`] with a deadline; on timeout the connection is dropped.
    pub async fn call_service_within(
        &mut self,
        deadline: Duration,
        signing_name: &str,
        target: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, Error> {
        let call = self.call_service(signing_name, target, body);
        match tokio::time::timeout(deadline, call).await {
            Ok(r) => r,
            Err(_) => {
                self.sender = None;
                Err(Error::Timeout(deadline))
            }
        }
    }

    /// Calls an ECS operation by name.
    pub async fn ecs(
        &mut self,
        op: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, Error> {
        self.call(&format!("{ECS_PREFIX}.{op}"), body).await
    }

    /// Calls an ECR operation by name (`GetAuthorizationToken`, …), signed for `ecr`, with a
    /// deadline.
    pub async fn ecr_within(
        &mut self,
        deadline: Duration,
        op: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, Error> {
        let target = format!("{ECR_PREFIX}.{op}");
        self.call_service_within(deadline, ECR_SERVICE, &target, body)
            .await
    }

    /// Calls a CloudWatch Logs operation by name (`PutLogEvents`, …), signed for `logs`.
    pub async fn logs(
        &mut self,
        op: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, Error> {
        self.call_service(LOGS_SERVICE, &format!("{LOGS_PREFIX}.{op}"), body)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A one-connection server: answers each request with `answers` in turn and hands back
    /// each request's head (lowercased) and body.
    async fn server(answers: Vec<String>) -> (String, tokio::sync::mpsc::Receiver<String>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = tokio::sync::mpsc::channel(8);
        tokio::spawn(async move {
            let Ok((mut conn, _)) = listener.accept().await else {
                return;
            };
            let mut buf = Vec::new();
            for answer in answers {
                let request = loop {
                    let mut chunk = [0u8; 4096];
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text[..end]
                            .to_ascii_lowercase()
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length: ")?.parse().ok())
                            .unwrap_or(0usize);
                        if buf.len() >= end + 4 + length {
                            let request = String::from_utf8_lossy(&buf[..end + 4 + length]);
                            let request = request.to_string();
                            buf.drain(..end + 4 + length);
                            break request;
                        }
                    }
                    match conn.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                };
                let _ = tx.send(request).await;
                let _ = conn.write_all(answer.as_bytes()).await;
            }
        });
        (url, rx)
    }

    #[tokio::test]
    async fn a_service_call_is_signed_for_that_service_and_ecs_calls_stay_ecs() {
        let answer = |status: &str, body: &str| {
            format!(
                "HTTP/1.1 {status}\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            )
        };
        let ok = answer("200 OK", "{}");
        let exists = answer(
            "400 Bad Request",
            r#"{"__type":"ResourceAlreadyExistsException","message":"The log group exists."}"#,
        );
        let (url, mut requests) = server(vec![ok, exists]).await;
        let endpoint = Endpoint::new(&url, "AKID", "secret", "us-east-1").expect("endpoint");
        let mut client = Client::new(endpoint);
        client
            .ecs("ListClusters", &serde_json::json!({}))
            .await
            .expect("ecs call");
        let err = client
            .logs("CreateLogGroup", &serde_json::json!({"logGroupName": "g"}))
            .await
            .expect_err("an error answer");
        assert_eq!(err.code(), Some("ResourceAlreadyExistsException"));
        let ecs = requests.recv().await.expect("first request").to_lowercase();
        assert!(ecs.contains("/us-east-1/ecs/aws4_request"), "{ecs}");
        assert!(ecs.contains("x-amz-target: amazonec2containerservicev20141113.listclusters"));
        let logs = requests
            .recv()
            .await
            .expect("second request")
            .to_lowercase();
        assert!(logs.contains("/us-east-1/logs/aws4_request"), "{logs}");
        assert!(logs.contains("x-amz-target: logs_20140328.createloggroup"));
        assert!(logs.ends_with(r#"{"loggroupname":"g"}"#), "{logs}");
    }

    #[tokio::test]
    async fn a_query_call_sends_a_signed_form_and_reads_xml_errors() {
        let answer = |status: &str, body: &str| {
            format!(
                "HTTP/1.1 {status}\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            )
        };
        let ok = answer(
            "200 OK",
            "<CreateLoadBalancerResponse><LoadBalancerArn>arn:a</LoadBalancerArn></CreateLoadBalancerResponse>",
        );
        let dup = answer(
            "400 Bad Request",
            "<ErrorResponse><Error><Code>DuplicateLoadBalancerName</Code><Message>taken</Message></Error></ErrorResponse>",
        );
        let (url, mut requests) = server(vec![ok, dup]).await;
        let endpoint = Endpoint::new(&url, "AKID", "secret", "us-east-1").expect("endpoint");
        let mut client = Client::new(endpoint);
        let params = [("Name", "web"), ("Subnets.member.1", "subnet-1/a b")];
        let mut answers = Vec::new();
        for _ in 0..2 {
            answers.push(
                client
                    .query(
                        "elasticloadbalancing",
                        "2015-12-01",
                        "CreateLoadBalancer",
                        &params,
                    )
                    .await,
            );
        }
        let xml = answers[0].as_ref().expect("query call");
        assert_eq!(
            crate::xml::first(xml, "LoadBalancerArn").as_deref(),
            Some("arn:a")
        );
        let err = answers[1].as_ref().expect_err("an error answer");
        assert_eq!(err.code(), Some("DuplicateLoadBalancerName"));
        assert!(err.to_string().contains("taken"), "{err}");
        let sent = requests.recv().await.expect("first request").to_lowercase();
        assert!(
            sent.contains("/us-east-1/elasticloadbalancing/aws4_request"),
            "{sent}"
        );
        assert!(sent.contains("content-type: application/x-www-form-urlencoded"));
        assert!(!sent.contains("x-amz-target"), "{sent}");
        assert!(
            sent.ends_with("action=createloadbalancer&version=2015-12-01&name=web&subnets.member.1=subnet-1%2fa+b"),
            "{sent}"
        );
    }
}
