//! The registry: the OCI Distribution API v2 under `/v2/`, over the same repositories,
//! images and blobs as the ECR API.
//!
//! A request is authenticated ([`access`]: ECR's token as Basic `AWS:<password>` or Bearer),
//! its path split into repository name and endpoint ([`route`]), and handed to the
//! endpoint's module: [`manifests`], [`blobs`] (downloads, with `Range`), [`uploads`]
//! (monolithic, chunked and resumable, cross-repository mounts), [`listing`] (tags and
//! referrers). Every write is durable before the answer; blob bytes stream through a
//! blocking thread in both directions, so memory stays flat whatever the blob's size.

mod access;
mod blobs;
pub mod error;
mod listing;
mod manifests;
mod pull_through;
mod route;
mod uploads;

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use berth_aws::service::{BoxFuture, HttpRequest, HttpResponse, HttpSurface};

pub use access::{Caller, REGISTRY_PARAM};
use berth_ecr_model::shapes::RCTAppliedFor;
use error::RegistryError;
use route::Endpoint;

use crate::Ecr;

pub struct Registry {
    ecr: Arc<Ecr>,
}

impl Registry {
    pub fn new(ecr: Arc<Ecr>) -> Arc<Self> {
        Arc::new(Registry { ecr })
    }
}

impl HttpSurface for Registry {
    fn handle(self: Arc<Self>, req: HttpRequest) -> BoxFuture<HttpResponse> {
        Box::pin(async move {
            let method = req.method().clone();
            let path = req.uri().path().to_owned();
            let has_body = declares_body(req.headers());
            let mut resp = match self.serve(req).await {
                Ok(r) => r,
                Err(e) => {
                    tracing::debug!(%method, %path, code = e.code, message = %e.message, "registry request refused");
                    e.into_response()
                }
            };
            // A request body left unread (refused before it was read, or sent where none is
            // taken) ends the connection; saying so keeps the client from reusing it.
            let unread = !resp.status().is_success()
                || matches!(method, Method::GET | Method::HEAD | Method::DELETE);
            if has_body && unread {
                resp.headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            resp
        })
    }
}

/// What every endpoint gets: who asks, which repository, the query.
pub(crate) struct Ask {
    pub caller: Caller,
    /// The registry (account) the repository is in.
    pub account: String,
    pub name: String,
    pub query: HashMap<String, String>,
    pub headers: HeaderMap,
}

impl Registry {
    async fn serve(&self, req: HttpRequest) -> Result<Response, RegistryError> {
        let (parts, body) = req.into_parts();
        let query = route::query(parts.uri.query());
        let endpoint = route::parse(parts.uri.path())?;
        let caller = access::authenticate(&self.ecr, &parts.headers, &query)?;
        let Some((name, endpoint)) = endpoint else {
            // The base endpoint: tells a client it speaks v2 and its credentials are good.
            let caller = caller.ok_or_else(|| access::challenge(&self.ecr, "Not Authorized"))?;
            let _ = caller;
            return Ok(with_api_version((StatusCode::OK, "{}").into_response()));
        };
        // Without credentials only reads are tried, as nobody: a repository policy that
        // allows everyone (`"Principal": "*"`) lets them through; anything else is
        // challenged, whether the repository exists or not.
        let read = matches!(parts.method, Method::GET | Method::HEAD)
            && matches!(
                endpoint,
                Endpoint::Manifest(_) | Endpoint::Blob(_) | Endpoint::Tags | Endpoint::Referrers(_)
            );
        let anonymous = caller.is_none();
        let caller = match caller {
            Some(c) => c,
            None if read => access::Caller {
                account: String::new(),
                access_key_id: String::new(),
            },
            None => return Err(access::challenge(&self.ecr, "Not Authorized")),
        };
        let account = access::registry_of(&parts.headers, &query).unwrap_or_else(|| {
            if anonymous {
                self.ecr.default_registry()
            } else {
                caller.account.clone()
            }
        });
        let pushes = matches!(
            (&parts.method, &endpoint),
            (&Method::POST, Endpoint::Uploads) | (&Method::PUT, Endpoint::Manifest(_))
        );
        if pushes && !anonymous && caller.account == account {
            create_on_push(&self.ecr, &account, &name).await?;
        }
        let ask = Ask {
            caller,
            account,
            name,
            query,
            headers: parts.headers,
        };
        let ecr = self.ecr.clone();
        let m = parts.method;
        let resp = match endpoint {
            Endpoint::Manifest(reference) => match m {
                Method::GET | Method::HEAD => {
                    manifests::get(ecr, &ask, &reference, m == Method::HEAD).await
                }
                Method::PUT => manifests::put(ecr, &ask, &reference, body).await,
                Method::DELETE => manifests::delete(ecr, &ask, &reference).await,
                _ => Err(not_allowed()),
            },
            Endpoint::Blob(digest) => match m {
                Method::GET | Method::HEAD => {
                    blobs::get(ecr, &ask, &digest, m == Method::HEAD).await
                }
                Method::DELETE => Err(RegistryError::unsupported(
                    "Blobs are deleted with the manifests that reference them.",
                )),
                _ => Err(not_allowed()),
            },
            Endpoint::Uploads => match m {
                Method::POST => uploads::start(ecr, &ask, body).await,
                _ => Err(not_allowed()),
            },
            Endpoint::Upload(id) => match m {
                Method::GET => uploads::status(ecr, &ask, &id).await,
                Method::PATCH => uploads::patch(ecr, &ask, &id, body).await,
                Method::PUT => uploads::finish(ecr, &ask, &id, body).await,
                Method::DELETE => uploads::cancel(ecr, &ask, &id).await,
                _ => Err(not_allowed()),
            },
            Endpoint::Tags => match m {
                Method::GET => listing::tags(ecr, &ask).await,
                _ => Err(not_allowed()),
            },
            Endpoint::Referrers(digest) => match m {
                Method::GET => listing::referrers(ecr, &ask, &digest).await,
                _ => Err(not_allowed()),
            },
        };
        let resp = match resp {
            Err(e)
                if anonymous && (e.status == StatusCode::FORBIDDEN || e.code == "NAME_UNKNOWN") =>
            {
                Err(access::challenge(&self.ecr, "Not Authorized"))
            }
            other => other,
        }?;
        Ok(with_api_version(resp))
    }
}

/// A push to a repository that does not exist creates it where a CREATE_ON_PUSH creation
/// template covers its name.
async fn create_on_push(ecr: &Arc<Ecr>, account: &str, name: &str) -> Result<(), RegistryError> {
    let exists = ecr
        .db
        .read(|s| crate::content::repository(s, account, name))
        .is_ok();
    if exists {
        return Ok(());
    }
    let (e, account, name) = (ecr.clone(), account.to_owned(), name.to_owned());
    blocking(move || {
        e.create_from_template(&account, &name, RCTAppliedFor::CreateOnPush)
            .map(|_| ())
            .map_err(|err| RegistryError::from_ecr(err, &name))
    })
    .await
}

/// Whether a request carries a body (a non-zero `Content-Length`, or chunked).
fn declares_body(headers: &HeaderMap) -> bool {
    let length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    length.is_some_and(|n| n > 0) || headers.contains_key(header::TRANSFER_ENCODING)
}

fn not_allowed() -> RegistryError {
    RegistryError::unsupported("The operation is not supported on this endpoint.")
}

fn with_api_version(mut r: Response) -> Response {
    r.headers_mut().insert(
        "Docker-Distribution-API-Version",
        HeaderValue::from_static("registry/2.0"),
    );
    r
}

/// Runs blocking store work (writes wait for the disk) off the async workers.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, RegistryError> + Send + 'static,
) -> Result<T, RegistryError> {
    tokio::task::spawn_blocking(f).await.map_err(|_| {
        RegistryError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "UNKNOWN",
            "the handler failed",
        )
    })?
}

/// Sets a header from text (skipped if it is not a valid header value).
pub(crate) fn set(resp: &mut Response, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        resp.headers_mut().insert(name, v);
    }
}
