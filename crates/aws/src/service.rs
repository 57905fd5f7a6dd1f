//! The contract between a service crate and the server that hosts it. The server knows no
//! service: it holds a table of `dyn Service`, routes each request to the one whose target
//! prefix (or signing name) it names, checks that the SigV4 scope names that service, and
//! runs the call the way the service says ([`Exec`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use berth_commit::{Lock, Staged};

use crate::protocol::Protocol;
use crate::schema::Schema;
use crate::{AwsError, RequestContext};

/// What a service declares about itself.
#[derive(Debug, Clone)]
pub struct ServiceInfo {
    /// A short name for logs and traces (`ecs`, `logs`).
    pub name: &'static str,
    /// The service name a SigV4 credential scope must carry to call it.
    pub signing_name: &'static str,
    pub protocol: Protocol,
    /// The `X-Amz-Target` prefixes it answers: the AWS model's, then any of Berth's own
    /// (an agent channel, extensions).
    pub target_prefixes: &'static [&'static str],
    /// Errors also carry `x-amzn-query-error` (the model is `awsQueryCompatible`).
    pub query_compatible: bool,
    /// The largest request body it takes (HTTP 413 beyond); None: the server's default.
    pub max_body_bytes: Option<usize>,
    /// The region its clients sign with whatever the endpoint's (IAM, a global service:
    /// `us-east-1`); None: the endpoint's region only.
    pub signing_region: Option<&'static str>,
}

/// How the server runs an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exec {
    /// On the blocking pool: it may read a lot or wait for the disk.
    Blocking,
    /// A short CPU-only call whose writes are staged: it runs on the async worker with
    /// [`Lock::TryOnce`] (again on the blocking pool if the writer was busy), and its
    /// durability is settled by the server's committer thread before it answers.
    Hot,
    /// It awaits something itself (a long poll): [`Service::call_async`].
    Async,
}

/// A future a service hands back for an [`Exec::Async`] operation.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// One call: who, which operation (under which of the service's prefixes), what body.
#[derive(Debug, Clone)]
pub struct Call {
    pub ctx: RequestContext,
    pub prefix: String,
    pub op: String,
    pub body: Vec<u8>,
}

/// A background job the server runs for a service: after `period`, or as soon as `wake` is
/// notified (then after `settle`, so a burst of changes lands first). `run` answers whether
/// it has more to do at once.
pub struct Job {
    pub name: &'static str,
    pub period: Duration,
    pub wake: Option<Arc<tokio::sync::Notify>>,
    pub settle: Duration,
    pub run: Arc<dyn Fn() -> Result<bool, AwsError> + Send + Sync>,
}

pub trait Service: Send + Sync + 'static {
    fn info(&self) -> &ServiceInfo;

    /// How `op` (under target prefix `prefix`) runs; None if the service has no such operation.
    fn exec(&self, prefix: &str, op: &str) -> Option<Exec>;

    /// Answers a [`Exec::Blocking`] or [`Exec::Hot`] call. The answer is staged: the server
    /// settles its durability before sending it.
    fn call(&self, call: &Call, lock: Lock) -> Result<Staged<Vec<u8>>, AwsError>;

    /// Answers an [`Exec::Async`] call.
    fn call_async(self: Arc<Self>, call: Call) -> BoxFuture<Result<Vec<u8>, AwsError>> {
        let what = format!("{}.{}", call.prefix, call.op);
        Box::pin(async move { Err(AwsError::unknown_operation(&what)) })
    }

    /// The schema of the service's model (its model crate's `schema::SCHEMA`), which the
    /// server needs to transcode AWS Query and rpc-v2-cbor requests and answers to and from
    /// the JSON documents the service handles; None for a service that speaks only JSON.
    fn schema(&self) -> Option<&Schema> {
        None
    }

    /// The resources (ARNs) a call of `op` with input document `body` acts on, which IAM
    /// policies are evaluated against; `*` for an operation that names none, as AWS does
    /// for actions without resource-level permissions. Only asked of callers whose
    /// policies decide (not an account's root).
    fn resources(&self, ctx: &RequestContext, op: &str, body: &[u8]) -> Vec<String> {
        let _ = (ctx, op, body);
        vec!["*".into()]
    }

    /// The resource-based policy attached to `resource` (an ARN [`Service::resources`]
    /// answered), if it has one: evaluated with the caller's own policies.
    fn resource_policy(&self, ctx: &RequestContext, resource: &str) -> Option<String> {
        let _ = (ctx, resource);
        None
    }

    /// The background jobs to run while the server runs.
    fn jobs(self: Arc<Self>) -> Vec<Job> {
        Vec::new()
    }

    /// Told the address the server listens on, once bound.
    fn listening(&self, endpoint: &str) {
        let _ = endpoint;
    }

    /// An HTTP surface of the service's own beside its AWS API (ECR's OCI registry under
    /// `/v2/`), with the path prefix it owns. The server hands such requests over whole and
    /// streamed, without reading or authenticating them: the surface does its own auth.
    fn http(self: Arc<Self>) -> Option<(&'static str, Arc<dyn HttpSurface>)> {
        None
    }
}

pub type HttpRequest = axum::http::Request<axum::body::Body>;
pub type HttpResponse = axum::http::Response<axum::body::Body>;

/// A service's own HTTP surface (see [`Service::http`]).
pub trait HttpSurface: Send + Sync + 'static {
    fn handle(self: Arc<Self>, req: HttpRequest) -> BoxFuture<HttpResponse>;
}
