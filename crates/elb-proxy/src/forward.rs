//! Forwarding a request to a target group: target choice (stickiness
//! first), the request head the target gets (rewritten in place, see
//! `wire`), the exchange over hyper's HTTP/1.1 client on a pooled or new
//! connection (`upstream`, `pool`), the one retry ALB allows, timeouts,
//! the response's counters and cookies.
//!
//! Failures map to ALB's answers:
//!
//! - no registered (or no routable) target: 503;
//! - the connection is refused, or breaks before any response byte: one
//!   retry on another routable target (the same target on a fresh
//!   connection when the broken one was a pooled keep-alive connection and
//!   no other is routable). A request is retried only if nothing of it
//!   reached the target (hyper hands back a request it did not start to
//!   write), or if it has no body and an idempotent method and went out on
//!   a new connection or one idle for a while (see `REPLAY_AFTER`), so a
//!   target never gets twice a request it may have acted on; otherwise,
//!   and when the retry fails too: 502. A pooled connection that turns out
//!   closed before the request went out is no failure: the request takes
//!   the next one;
//! - an answer that is not HTTP: 502;
//! - no response head within the listener's idle timeout (connecting
//!   included): 504.

use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant, SystemTime};

use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode, Uri, Version};
use http_body::Body as _;
use hyper::body::Incoming;
use hyper::upgrade::OnUpgrade;

use crate::body::ResponseBody;
use crate::config::Stickiness;
use crate::headers;
use crate::service::ConnCtx;
use crate::sticky;
use crate::target::{GroupView, InFlight, Target};
use crate::upgrade;
use crate::upstream::{Conn, ConnectError, Driven, RequestBody};
use crate::wire::{self, Forwarded};

/// ALB's limit for connecting to a target (within the idle timeout).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A pooled connection idle longer than this may have been closed by its
/// target just as the request goes out; a request that could be sent again
/// is copied first (a request on a connection reused at once is not: the
/// copy would cost allocations on every request).
const REPLAY_AFTER: Duration = Duration::from_secs(1);

// Lives on the stack for a moment, as the successful result (a response
// head) does; boxing the request would cost an allocation per retry.
#[allow(clippy::large_enum_variant)]
enum Failure {
    /// No response head in time.
    Timeout,
    /// Failed before any response byte. `request`: what may go to another
    /// target — the request itself when none of it went out, a copy when
    /// it went out but is idempotent and bodiless, else nothing.
    Retry {
        request: Option<Request<RequestBody>>,
        reused: bool,
    },
    /// The target answered something that is not HTTP, or the client's
    /// body failed.
    Fatal,
}

/// Forwards `request` to a target of `group`.
pub(crate) async fn forward(
    ctx: &ConnCtx,
    mut request: Request<Incoming>,
    group: &GroupView,
    group_cookie: Option<(u64, Duration)>,
    idle_timeout: Duration,
) -> Response<ResponseBody> {
    group.shared.stats.request_count.fetch_add(1, Relaxed);
    let now = Instant::now();
    let sticky = group
        .stickiness
        .as_ref()
        .and_then(|s| {
            let (name, cors) = match s {
                Stickiness::LbCookie { .. } => (sticky::TARGET_COOKIE, sticky::TARGET_COOKIE_CORS),
                Stickiness::AppCookie { .. } => (sticky::APP_COOKIE, sticky::APP_COOKIE),
            };
            sticky::find_token(request.headers(), name, cors)
        })
        .and_then(|token| group.sticky(token, now));
    let Some(mut at) = sticky.or_else(|| group.pick(now, None)) else {
        return ctx.elb_error(StatusCode::SERVICE_UNAVAILABLE);
    };

    let upgrade = request.version() == Version::HTTP_11
        && request.headers().contains_key(header::UPGRADE)
        && headers::connection_has(request.headers(), "upgrade");
    let mut client_upgrade = upgrade.then(|| hyper::upgrade::on(&mut request));
    let (mut parts, body) = request.into_parts();
    let has_body = !body.is_end_stream();
    // The client's length is unknown (chunked itself, or HTTP/2 without
    // one): hyper sends the body chunked.
    let chunked = has_body
        && (parts.headers.contains_key(header::TRANSFER_ENCODING)
            || !parts.headers.contains_key(header::CONTENT_LENGTH));
    let replayable = !has_body && is_idempotent(&parts.method);
    rewrite_head(ctx, &mut parts, chunked, upgrade);
    let body = if has_body {
        RequestBody::Client(body)
    } else {
        RequestBody::Empty
    };
    let mut request = Request::from_parts(parts, body);

    let mut retried = false;
    loop {
        let target = &group.targets[at];
        let started = if retried { Instant::now() } else { now };
        // Outstanding from here (least outstanding requests, draining).
        let in_flight = target.begin();
        let tried = Try {
            upgrade,
            replayable,
            tls: group.tls,
            idle_timeout,
            now: started,
        };
        match attempt(target, request, &tried).await {
            Ok((response, conn)) => {
                return respond(
                    ctx,
                    group,
                    target,
                    response,
                    conn,
                    in_flight,
                    started,
                    client_upgrade.take(),
                    group_cookie,
                )
            }
            Err(Failure::Timeout) => return ctx.elb_error(StatusCode::GATEWAY_TIMEOUT),
            Err(Failure::Fatal) => return ctx.elb_error(StatusCode::BAD_GATEWAY),
            Err(Failure::Retry {
                request: returned,
                reused,
            }) => {
                let next = group.pick(now, Some(at)).or(reused.then_some(at));
                match (next, returned) {
                    (Some(next), Some(returned)) if !retried => {
                        retried = true;
                        at = next;
                        request = returned;
                    }
                    _ => return ctx.elb_error(StatusCode::BAD_GATEWAY),
                }
            }
        }
    }
}

/// Turns the client's request head into the one the target gets: the
/// headers rewritten in place (see [`wire`]), the target in origin form.
fn rewrite_head(ctx: &ConnCtx, parts: &mut http::request::Parts, chunked: bool, upgrade: bool) {
    let trace = if parts.headers.contains_key(headers::X_AMZN_TRACE_ID) {
        None
    } else {
        let secs = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Some(headers::trace_id(secs as u32, fastrand::u128(..)))
    };
    let forwarded = Forwarded {
        client_ip: &ctx.client_ip,
        https: ctx.https,
        port: &ctx.listener.port_value,
        authority: parts.uri.authority().map(|a| a.as_str()),
        upgrade,
        join_cookies: parts.version == Version::HTTP_2,
        chunked,
        trace_id: trace.as_ref().map_or(&[][..], |t| &t[..]),
    };
    wire::rewrite_request(&mut parts.headers, &forwarded);
    if parts.uri.scheme().is_some() || parts.uri.authority().is_some() {
        parts.uri = parts
            .uri
            .path_and_query()
            .cloned()
            .map_or(Uri::from_static("/"), Uri::from);
    }
    parts.version = Version::HTTP_11;
}

/// A copy of a bodiless request, to send again.
fn copy_of(request: &Request<RequestBody>) -> Request<RequestBody> {
    let mut copy = Request::new(RequestBody::Empty);
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.headers_mut() = request.headers().clone();
    copy
}

fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE | Method::PUT | Method::DELETE
    )
}

/// How one try goes.
struct Try {
    upgrade: bool,
    replayable: bool,
    tls: bool,
    idle_timeout: Duration,
    now: Instant,
}

/// One try on one target: a pooled or new connection, the request, the
/// response head — all within the idle timeout. A pooled connection found
/// closed before the request went out costs nothing: the next one (or a
/// new one) takes the request.
async fn attempt(
    target: &Target,
    request: Request<RequestBody>,
    tried: &Try,
) -> Result<(Response<Incoming>, Conn), Failure> {
    let work = async move {
        let mut request = request;
        loop {
            let pooled = if tried.upgrade {
                None
            } else {
                target.pool.take(tried.now)
            };
            let reused = pooled.is_some();
            let mut conn = match pooled {
                Some(conn) => conn,
                None => {
                    let timeout = CONNECT_TIMEOUT.min(tried.idle_timeout);
                    let driven = if tried.upgrade {
                        Driven::OwnTask
                    } else {
                        Driven::ByUser
                    };
                    match Conn::open(target.addr, tried.tls, timeout, driven).await {
                        Ok(conn) => conn,
                        Err(ConnectError::Timeout) => return Err(Failure::Timeout),
                        Err(ConnectError::Failed(e)) => {
                            tracing::debug!("connecting to {} failed: {e}", target.addr);
                            return Err(Failure::Retry {
                                request: Some(request),
                                reused: false,
                            });
                        }
                    }
                }
            };
            let stale =
                !reused || tried.now.saturating_duration_since(conn.idle_since) > REPLAY_AFTER;
            let copy = (tried.replayable && stale).then(|| copy_of(&request));
            match conn.exchange(request).await {
                Ok(response) => return Ok((response, conn)),
                Err(mut failed) => {
                    if let Some(back) = failed.take_message() {
                        // Nothing of it went out.
                        if reused {
                            request = back;
                            continue;
                        }
                        return Err(Failure::Retry {
                            request: Some(back),
                            reused,
                        });
                    }
                    let error = failed.into_error();
                    if error.is_parse() || error.is_user() {
                        tracing::debug!("bad exchange with {}: {error}", target.addr);
                        return Err(Failure::Fatal);
                    }
                    tracing::debug!("connection to {} broke: {error}", target.addr);
                    return Err(Failure::Retry {
                        request: copy,
                        reused,
                    });
                }
            }
        }
    };
    match tokio::time::timeout(tried.idle_timeout, work).await {
        Ok(result) => result,
        Err(_) => Err(Failure::Timeout),
    }
}

/// The target's response on its way to the client.
#[allow(clippy::too_many_arguments)]
fn respond(
    ctx: &ConnCtx,
    group: &GroupView,
    target: &Target,
    mut response: Response<Incoming>,
    conn: Conn,
    in_flight: InFlight,
    started: Instant,
    client_upgrade: Option<OnUpgrade>,
    group_cookie: Option<(u64, Duration)>,
) -> Response<ResponseBody> {
    let status = response.status();
    let micros = started.elapsed().as_micros() as u64;
    group.shared.stats.target_response(status.as_u16(), micros);
    let switching = status == StatusCode::SWITCHING_PROTOCOLS;
    let target_upgrade = switching.then(|| hyper::upgrade::on(&mut response));
    let version = response.version();
    let (parts, body) = response.into_parts();
    let mut headers = parts.headers;
    let keep_alive = wire::rewrite_response(&mut headers, version, switching);
    let now = SystemTime::now();
    let mut cookies: Vec<String> = Vec::new();
    match &group.stickiness {
        Some(Stickiness::LbCookie { duration }) => cookies.extend(sticky::set_cookies(
            sticky::TARGET_COOKIE,
            sticky::TARGET_COOKIE_CORS,
            target.token,
            *duration,
            now,
        )),
        // Only when the application (re)issues its own cookie, as ALB.
        Some(Stickiness::AppCookie {
            cookie_name,
            duration,
        }) if sticky::sets_cookie(&headers, cookie_name) => {
            cookies.push(sticky::set_app_cookie(target.token, *duration, now));
        }
        _ => {}
    }
    if let Some((token, duration)) = group_cookie {
        cookies.extend(sticky::set_cookies(
            sticky::GROUP_COOKIE,
            sticky::GROUP_COOKIE_CORS,
            token,
            duration,
            now,
        ));
    }
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    let body = match (target_upgrade, client_upgrade) {
        (Some(target), Some(client)) => {
            headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
            upgrade::tunnel(client, target, in_flight);
            ResponseBody::empty()
        }
        // A 101 nobody asked for.
        (Some(_), None) => return ctx.elb_error(StatusCode::BAD_GATEWAY),
        (None, _) => ResponseBody::target(body, conn, keep_alive, in_flight),
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}
