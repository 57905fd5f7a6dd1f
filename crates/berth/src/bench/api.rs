//! `berth bench api`: a closed-loop load generator for the ECS JSON API (and Secrets
//! Manager's GetSecretValue, on the same endpoint).
//!
//! Each of `--concurrency` workers owns one keep-alive HTTP/1.1 connection and sends
//! SigV4-signed requests back to back, one operation at a time. After a setup step
//! (cluster `bench`, task definition family `bench`) every operation gets an unrecorded
//! warm-up, then a measured phase; the result is one JSON line per operation on stdout.
//! It works against any server speaking the ECS API (Berth, moto, …). `get-secret-value`
//! reads secret `bench` (created in the setup) through the `secretsmanager` service.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{HeaderName, HeaderValue, CONTENT_TYPE, HOST};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use berth_client::{now_seconds, Signer};

const TARGET_PREFIX: &str = "AmazonEC2ContainerServiceV20141113";
const SECRETS_PREFIX: &str = "secretsmanager";
const JSON_CONTENT_TYPE: &str = "application/x-amz-json-1.1";
/// How many failed requests per operation are shown on stderr.
const ERRORS_SHOWN: usize = 3;

#[derive(Args)]
pub struct ApiArgs {
    /// Base URL of the ECS endpoint, e.g. http://127.0.0.1:5454 (plain HTTP only).
    #[arg(long)]
    endpoint: String,
    /// Concurrent workers, each with its own keep-alive connection.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Seconds each operation is measured for.
    #[arg(long, default_value_t = 10.0, conflicts_with = "requests")]
    duration: f64,
    /// Measure each operation for this many requests instead of for --duration.
    #[arg(long)]
    requests: Option<u64>,
    /// Seconds of unrecorded warm-up before each operation's measurement.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Operations to measure, in order.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "describe-clusters,describe-task-definition,register-task-definition"
    )]
    ops: Vec<Op>,
    /// Label written in the "target" field of the output.
    #[arg(long, default_value = "berth")]
    target: String,
    /// Access key the requests are signed with.
    #[arg(long, default_value = "test")]
    access_key: String,
    /// Secret key the requests are signed with.
    #[arg(long, default_value = "test")]
    secret_key: String,
    /// Region in the credential scope.
    #[arg(long, default_value = "us-east-1")]
    region: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Op {
    DescribeClusters,
    DescribeTaskDefinition,
    RegisterTaskDefinition,
    GetSecretValue,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::DescribeClusters => "DescribeClusters",
            Op::DescribeTaskDefinition => "DescribeTaskDefinition",
            Op::RegisterTaskDefinition => "RegisterTaskDefinition",
            Op::GetSecretValue => "GetSecretValue",
        }
    }

    /// The service it calls: (target prefix, signing name).
    fn service(self) -> (&'static str, &'static str) {
        match self {
            Op::GetSecretValue => (SECRETS_PREFIX, "secretsmanager"),
            _ => (TARGET_PREFIX, "ecs"),
        }
    }

    fn body(self) -> &'static str {
        match self {
            Op::DescribeClusters => r#"{"clusters":["bench"]}"#,
            Op::DescribeTaskDefinition => r#"{"taskDefinition":"bench"}"#,
            Op::RegisterTaskDefinition => REGISTER_BODY,
            Op::GetSecretValue => r#"{"SecretId":"bench"}"#,
        }
    }
}

const CREATE_CLUSTER_BODY: &str = r#"{"clusterName":"bench"}"#;
const REGISTER_BODY: &str = r#"{"family":"bench","containerDefinitions":[{"name":"app","image":"public.ecr.aws/docker/library/nginx:1.27","cpu":128,"memory":256,"essential":true,"portMappings":[{"containerPort":80,"protocol":"tcp"}],"environment":[{"name":"MODE","value":"bench"}]}]}"#;

/// One request kind, ready to send: its target header and body.
struct Call {
    target: HeaderValue,
    target_str: String,
    /// The signing name of the service called.
    service: &'static str,
    body: Bytes,
}

impl Call {
    fn of(service: (&str, &'static str), op_name: &str, body: &'static str) -> Result<Self> {
        let target_str = format!("{}.{op_name}", service.0);
        Ok(Call {
            target: HeaderValue::from_str(&target_str)?,
            target_str,
            service: service.1,
            body: Bytes::from_static(body.as_bytes()),
        })
    }
}

/// Where to connect and how to sign, shared by every worker.
struct Endpoint {
    /// `host:port` to connect to; also the `Host` header.
    authority: String,
    host_header: HeaderValue,
    signer: Signer,
}

impl Endpoint {
    fn parse(url: &str, signer: Signer) -> Result<Self> {
        let authority = authority_of(url)?;
        Ok(Endpoint {
            host_header: HeaderValue::from_str(&authority)?,
            authority,
            signer,
        })
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>> {
        connect(&self.authority).await
    }
}

/// The `host:port` of a plain-HTTP `--endpoint` URL (port 80 if it names none).
pub(super) fn authority_of(url: &str) -> Result<String> {
    let uri: Uri = url
        .parse()
        .with_context(|| format!("--endpoint {url:?} is not a URL"))?;
    if uri.scheme_str() != Some("http") {
        bail!("--endpoint {url:?}: only plain http:// endpoints are supported");
    }
    let Some(authority) = uri.authority() else {
        bail!("--endpoint {url:?} has no host");
    };
    Ok(if authority.port().is_some() {
        authority.as_str().to_string()
    } else {
        format!("{}:80", authority.host())
    })
}

/// A new HTTP/1.1 connection to `authority`, its driver running on its own task.
pub(super) async fn connect(authority: &str) -> Result<SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(authority)
        .await
        .with_context(|| format!("connecting to {authority}"))?;
    stream.set_nodelay(true)?;
    let (sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .context("HTTP/1.1 handshake")?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

/// A signature for one call, good for the second it was made in. Reusing it within that
/// second keeps the load generator's own CPU use down on a small machine; the server still
/// verifies every request in full.
struct CachedSignature {
    second: u64,
    target: String,
    headers: Vec<(HeaderName, HeaderValue)>,
}

enum Outcome {
    Ok(Duration),
    /// The server answered with an error status.
    Refused(StatusCode, Bytes),
    /// The connection failed; the worker reconnects.
    Broken(anyhow::Error),
}

struct Worker {
    endpoint: Arc<Endpoint>,
    sender: Option<SendRequest<Full<Bytes>>>,
    signature: Option<CachedSignature>,
}

impl Worker {
    fn new(endpoint: Arc<Endpoint>) -> Self {
        Worker {
            endpoint,
            sender: None,
            signature: None,
        }
    }

    fn signed_headers(&mut self, call: &Call) -> Result<Vec<(HeaderName, HeaderValue)>> {
        let second = now_seconds();
        if let Some(s) = &self.signature {
            if s.second == second && s.target == call.target_str {
                return Ok(s.headers.clone());
            }
        }
        let host = self.endpoint.authority.as_str();
        let headers = self.endpoint.signer.sign_for(
            call.service,
            host,
            &[
                ("host", host),
                ("content-type", JSON_CONTENT_TYPE),
                ("x-amz-target", &call.target_str),
            ],
            &call.body,
            second,
        )?;
        self.signature = Some(CachedSignature {
            second,
            target: call.target_str.clone(),
            headers: headers.clone(),
        });
        Ok(headers)
    }

    fn request(&mut self, call: &Call) -> Result<Request<Full<Bytes>>> {
        let signed = self.signed_headers(call)?;
        let mut builder = Request::builder()
            .method(Method::POST)
            .uri("/")
            .header(HOST, self.endpoint.host_header.clone())
            .header(CONTENT_TYPE, JSON_CONTENT_TYPE)
            .header("x-amz-target", call.target.clone());
        for (name, value) in signed {
            builder = builder.header(name, value);
        }
        Ok(builder.body(Full::new(call.body.clone()))?)
    }

    async fn call(&mut self, call: &Call) -> Outcome {
        match self.try_call(call).await {
            Ok(outcome) => outcome,
            Err(e) => {
                self.sender = None;
                Outcome::Broken(e)
            }
        }
    }

    async fn try_call(&mut self, call: &Call) -> Result<Outcome> {
        let mut request = self.request(call)?;
        // A server may close a keep-alive connection between two requests (moto's server
        // answers as HTTP/1.0 and closes after every response). A request that was never
        // written to the old connection is sent on a new one; that is not a failure.
        let mut retried = false;
        loop {
            let mut sender = match self.sender.take() {
                Some(s) if !s.is_closed() => s,
                _ => self.endpoint.connect().await?,
            };
            if let Err(e) = sender.ready().await {
                if retried {
                    return Err(anyhow::Error::new(e).context("connection not ready"));
                }
                retried = true;
                continue;
            }
            let started = Instant::now();
            let response = match sender.try_send_request(request).await {
                Ok(response) => response,
                Err(mut e) => match e.take_message() {
                    Some(unsent) if !retried => {
                        request = unsent;
                        retried = true;
                        continue;
                    }
                    _ => {
                        return Err(
                            anyhow::Error::new(e.into_error()).context("sending the request")
                        )
                    }
                },
            };
            let status = response.status();
            let body = response
                .into_body()
                .collect()
                .await
                .context("reading the response")?
                .to_bytes();
            let elapsed = started.elapsed();
            self.sender = Some(sender);
            return Ok(if status.is_success() {
                Outcome::Ok(elapsed)
            } else {
                Outcome::Refused(status, body)
            });
        }
    }
}

/// When a phase ends.
#[derive(Clone)]
enum Stop {
    At(Instant),
    /// Requests left to send, shared by the workers.
    After(Arc<AtomicU64>),
}

impl Stop {
    fn take_one(&self) -> bool {
        match self {
            Stop::At(deadline) => Instant::now() < *deadline,
            Stop::After(left) => left
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                .is_ok(),
        }
    }
}

#[derive(Default)]
struct Tally {
    /// Latencies of successful requests, in microseconds.
    latencies_us: Vec<u32>,
    errors: u64,
}

/// Runs `call` on every worker until `stop`, returning the workers and what they saw.
async fn phase(
    workers: Vec<Worker>,
    call: &Arc<Call>,
    stop: Stop,
    shown: &Arc<AtomicUsize>,
) -> Result<(Vec<Worker>, Tally, Duration)> {
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(workers.len());
    for mut worker in workers {
        let call = call.clone();
        let stop = stop.clone();
        let shown = shown.clone();
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            while stop.take_one() {
                match worker.call(&call).await {
                    Outcome::Ok(latency) => tally
                        .latencies_us
                        .push(u32::try_from(latency.as_micros()).unwrap_or(u32::MAX)),
                    Outcome::Refused(status, body) => {
                        tally.errors += 1;
                        if shown.fetch_add(1, Ordering::Relaxed) < ERRORS_SHOWN {
                            let body = String::from_utf8_lossy(&body);
                            let body: String = body.chars().take(300).collect();
                            eprintln!("{}: HTTP {status}: {body}", call.target_str);
                        }
                    }
                    Outcome::Broken(e) => {
                        tally.errors += 1;
                        if shown.fetch_add(1, Ordering::Relaxed) < ERRORS_SHOWN {
                            eprintln!("{}: {e:#}", call.target_str);
                        }
                        // Don't spin on a server that is down.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
            (worker, tally)
        }));
    }
    let mut workers = Vec::with_capacity(tasks.len());
    let mut total = Tally::default();
    for task in tasks {
        let (worker, tally) = task.await.context("a load-generator worker failed")?;
        workers.push(worker);
        total.latencies_us.extend(tally.latencies_us);
        total.errors += tally.errors;
    }
    Ok((workers, total, started.elapsed()))
}

/// The `q` quantile (nearest rank) of sorted latencies, in milliseconds.
pub(super) fn quantile_ms(sorted_us: &[u32], q: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted_us.len() as f64).ceil() as usize;
    let index = rank.clamp(1, sorted_us.len()) - 1;
    f64::from(sorted_us[index]) / 1000.0
}

pub(super) fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

/// Creates cluster `bench` and registers task definition family `bench` once, then checks
/// that the reads being measured find them (a 200 that describes nothing would not count).
async fn setup(endpoint: &Arc<Endpoint>, ops: &[Op]) -> Result<()> {
    let mut worker = Worker::new(endpoint.clone());
    if ops.contains(&Op::GetSecretValue) {
        setup_secret(&mut worker).await?;
    }
    if ops.iter().all(|o| *o == Op::GetSecretValue) {
        return Ok(());
    }
    for (op, body) in [
        ("CreateCluster", CREATE_CLUSTER_BODY),
        ("RegisterTaskDefinition", REGISTER_BODY),
    ] {
        once(&mut worker, op, body).await?;
    }
    let clusters = once(&mut worker, "DescribeClusters", Op::DescribeClusters.body()).await?;
    if clusters["clusters"][0]["clusterName"] != "bench" {
        bail!("DescribeClusters does not find cluster bench: {clusters}");
    }
    let task_def = once(
        &mut worker,
        "DescribeTaskDefinition",
        Op::DescribeTaskDefinition.body(),
    )
    .await?;
    if task_def["taskDefinition"]["family"] != "bench" {
        bail!("DescribeTaskDefinition does not find family bench: {task_def}");
    }
    Ok(())
}

/// Creates secret `bench` (unless a run before did) and checks that GetSecretValue reads it.
async fn setup_secret(worker: &mut Worker) -> Result<()> {
    let service = Op::GetSecretValue.service();
    let create = r#"{"Name":"bench","SecretString":"{\"user\":\"bench\",\"password\":\"0123456789abcdef0123456789abcdef\"}"}"#;
    if let Err(e) = once_of(worker, service, "CreateSecret", create).await {
        if !e.to_string().contains("ResourceExistsException") {
            return Err(e);
        }
    }
    let got = once_of(worker, service, "GetSecretValue", Op::GetSecretValue.body()).await?;
    if got["SecretString"]
        .as_str()
        .is_none_or(|s| !s.contains("bench"))
    {
        bail!("GetSecretValue does not read secret bench: {got}");
    }
    Ok(())
}

/// Sends one ECS request and returns its JSON answer.
async fn once(worker: &mut Worker, op: &str, body: &'static str) -> Result<serde_json::Value> {
    once_of(worker, (TARGET_PREFIX, "ecs"), op, body).await
}

/// Sends one request to `service` and returns its JSON answer.
async fn once_of(
    worker: &mut Worker,
    service: (&str, &'static str),
    op: &str,
    body: &'static str,
) -> Result<serde_json::Value> {
    let call = Call::of(service, op, body)?;
    let request = worker.request(&call)?;
    let mut sender = worker.endpoint.connect().await?;
    sender.ready().await.context("connection not ready")?;
    let response = sender
        .send_request(request)
        .await
        .with_context(|| format!("sending {op}"))?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .with_context(|| format!("reading the answer to {op}"))?
        .to_bytes();
    if !status.is_success() {
        bail!("{op}: HTTP {status}: {}", String::from_utf8_lossy(&body));
    }
    serde_json::from_slice(&body).with_context(|| format!("{op} answered with invalid JSON"))
}

fn seconds(flag: &str, value: f64) -> Result<Duration> {
    Duration::try_from_secs_f64(value).with_context(|| format!("{flag} {value} is not a duration"))
}

pub async fn run(args: ApiArgs) -> Result<()> {
    if args.concurrency == 0 {
        bail!("--concurrency must be at least 1");
    }
    let duration = seconds("--duration", args.duration)?;
    let warmup = seconds("--warmup", args.warmup)?;
    if args.requests.is_none() && duration.is_zero() {
        bail!("--duration must be positive");
    }
    let signer = Signer::new(&args.access_key, &args.secret_key, &args.region);
    let endpoint = Arc::new(Endpoint::parse(&args.endpoint, signer)?);
    setup(&endpoint, &args.ops)
        .await
        .with_context(|| format!("setting up against {}", args.endpoint))?;

    let mut workers: Vec<Worker> = (0..args.concurrency)
        .map(|_| Worker::new(endpoint.clone()))
        .collect();
    for op in &args.ops {
        let call = Arc::new(Call::of(op.service(), op.name(), op.body())?);
        let shown = Arc::new(AtomicUsize::new(0));
        if !warmup.is_zero() {
            let (w, _, _) =
                phase(workers, &call, Stop::At(Instant::now() + warmup), &shown).await?;
            workers = w;
        }
        let stop = match args.requests {
            Some(n) => Stop::After(Arc::new(AtomicU64::new(n))),
            None => Stop::At(Instant::now() + duration),
        };
        let (w, mut tally, elapsed) = phase(workers, &call, stop, &shown).await?;
        workers = w;
        tally.latencies_us.sort_unstable();
        let ok = tally.latencies_us.len() as u64;
        let secs = elapsed.as_secs_f64();
        let rps = if secs > 0.0 { ok as f64 / secs } else { 0.0 };
        // Written by hand to keep the fields in this order (serde_json sorts map keys).
        let line = format!(
            "{{\"target\":{},\"op\":\"{}\",\"concurrency\":{},\"seconds\":{},\
             \"requests\":{},\"errors\":{},\"rps\":{},\"p50_ms\":{},\"p99_ms\":{},\
             \"max_ms\":{}}}",
            serde_json::Value::from(args.target.as_str()),
            op.name(),
            args.concurrency,
            round(secs, 3),
            ok + tally.errors,
            tally.errors,
            round(rps, 1),
            round(quantile_ms(&tally.latencies_us, 0.50), 3),
            round(quantile_ms(&tally.latencies_us, 0.99), 3),
            round(quantile_ms(&tally.latencies_us, 1.0), 3),
        );
        println!("{line}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_nearest_rank() {
        let sorted: Vec<u32> = (1..=100).map(|i| i * 1000).collect();
        assert_eq!(quantile_ms(&sorted, 0.50), 50.0);
        assert_eq!(quantile_ms(&sorted, 0.99), 99.0);
        assert_eq!(quantile_ms(&sorted, 1.0), 100.0);
        assert_eq!(quantile_ms(&[], 0.5), 0.0);
        assert_eq!(quantile_ms(&[7000], 0.99), 7.0);
    }

    #[test]
    fn endpoints_must_be_plain_http_with_a_host() {
        let signer = || Signer::new("test", "test", "us-east-1");
        let e = Endpoint::parse("http://127.0.0.1:5454", signer()).expect("parses");
        assert_eq!(e.authority, "127.0.0.1:5454");
        let e = Endpoint::parse("http://localhost", signer()).expect("parses");
        assert_eq!(e.authority, "localhost:80");
        assert!(Endpoint::parse("https://127.0.0.1:5454", signer()).is_err());
        assert!(Endpoint::parse("127.0.0.1:5454", signer()).is_err());
    }

    #[test]
    fn signing_adds_date_and_authorization() {
        let signer = Signer::new("test", "test", "us-east-1");
        let headers = signer
            .sign(
                "127.0.0.1:5454",
                &[("host", "127.0.0.1:5454"), ("x-amz-target", "X.Y")],
                b"{}",
                1_767_225_600,
            )
            .expect("signs");
        let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
        assert!(names.contains(&"x-amz-date"), "{names:?}");
        let auth = headers
            .iter()
            .find(|(n, _)| n.as_str() == "authorization")
            .and_then(|(_, v)| v.to_str().ok())
            .expect("authorization header");
        assert!(
            auth.starts_with(
                "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/ecs/aws4_request"
            ),
            "{auth}"
        );
    }
}
