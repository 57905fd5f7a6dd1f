//! Forwarding a request to a target group: target choice (stickiness
//! first), the request head the target gets, the one retry ALB allows,
//! timeouts, the response's counters and cookies.
//!
//! Failures map to ALB's answers:
//!
//! - no registered (or no routable) target: 503;
//! - the connection is refused, or breaks before any response byte: one
//!   retry on another routable target (the same target on a fresh
//!   connection when the broken one was a pooled keep-alive connection and
//!   no other is routable). A request is retried only if nothing of it
//!   reached the target, or if it has no body and an idempotent method, so
//!   a target never gets twice a request it may have acted on; otherwise,
//!   and when the retry fails too: 502;
//! - an answer that is not HTTP: 502;
//! - no response head within the listener's idle timeout (connecting
//!   included): 504.

use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant, SystemTime};

use bytes::{Bytes, BytesMut};
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode, Version};
use http_body::Body as _;
use hyper::body::Incoming;
use hyper::upgrade::OnUpgrade;

use crate::body::ResponseBody;
use crate::headers;
use crate::service::ConnCtx;
use crate::sticky;
use crate::target::{GroupView, InFlight, Target};
use crate::upgrade;
use crate::upstream::{self, Conn, ConnectError, ExchangeError};
use crate::wire::{self, BodyFraming, Forwarded, ResponseHead};

/// ALB's limit for connecting to a target (within the idle timeout).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

enum Failure {
    /// No response head in time.
    Timeout,
    /// Failed before any response byte. `sent`: the request went out (so
    /// only an idempotent bodiless one may go again); `body` is the
    /// client's body when it was not touched.
    Retry {
        body: Option<Incoming>,
        sent: bool,
        reused: bool,
    },
    /// The target answered something that is not HTTP, or the client's
    /// body failed.
    Fatal,
}

/// What a request needs on each try.
struct Outgoing<'a> {
    head: Bytes,
    method: &'a Method,
    framing: BodyFraming,
    upgrade: bool,
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
        .and_then(|_| {
            sticky::find_token(
                request.headers(),
                sticky::TARGET_COOKIE,
                sticky::TARGET_COOKIE_CORS,
            )
        })
        .and_then(|token| group.sticky(token, now));
    let Some(mut at) = sticky.or_else(|| group.pick(now, None)) else {
        return ctx.elb_error(StatusCode::SERVICE_UNAVAILABLE);
    };

    let upgrade = request.version() == Version::HTTP_11
        && request.headers().contains_key(header::UPGRADE)
        && headers::connection_has(request.headers(), "upgrade");
    let mut client_upgrade = upgrade.then(|| hyper::upgrade::on(&mut request));
    let (parts, body) = request.into_parts();
    let framing = if body.is_end_stream() {
        BodyFraming::None
    } else if parts.headers.contains_key(header::CONTENT_LENGTH)
        && !parts.headers.contains_key(header::TRANSFER_ENCODING)
    {
        BodyFraming::Length
    } else {
        BodyFraming::Chunked
    };
    let mut body = (framing != BodyFraming::None).then_some(body);
    let outgoing = Outgoing {
        head: encode_head(ctx, &parts, framing, upgrade),
        method: &parts.method,
        framing,
        upgrade,
    };
    let replayable = framing == BodyFraming::None && is_idempotent(&parts.method);

    let mut retried = false;
    loop {
        let target = &group.targets[at];
        let started = if retried { Instant::now() } else { now };
        // Outstanding from here (least outstanding requests, draining).
        let in_flight = target.begin();
        match attempt(
            target,
            &outgoing,
            body.take(),
            group.tls,
            idle_timeout,
            started,
        )
        .await
        {
            Ok((head, conn)) => {
                return respond(
                    ctx,
                    group,
                    target,
                    head,
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
                body: returned,
                sent,
                reused,
            }) => {
                let next = group.pick(now, Some(at)).or(reused.then_some(at));
                match next {
                    Some(next) if !retried && (!sent || replayable) => {
                        retried = true;
                        at = next;
                        body = returned;
                    }
                    _ => return ctx.elb_error(StatusCode::BAD_GATEWAY),
                }
            }
        }
    }
}

/// The request head the target gets.
fn encode_head(
    ctx: &ConnCtx,
    parts: &http::request::Parts,
    framing: BodyFraming,
    upgrade: bool,
) -> Bytes {
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
        trace_id: trace.as_ref().map_or(&[][..], |t| &t[..]),
    };
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut head = BytesMut::new();
    wire::encode_request(
        &mut head,
        &parts.method,
        path,
        &parts.headers,
        &forwarded,
        framing,
    );
    head.freeze()
}

fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE | Method::PUT | Method::DELETE
    )
}

/// One try on one target: a pooled or new connection, the request, the
/// response head — all within the idle timeout.
async fn attempt(
    target: &Target,
    outgoing: &Outgoing<'_>,
    body: Option<Incoming>,
    tls: bool,
    idle_timeout: Duration,
    now: Instant,
) -> Result<(ResponseHead, Conn), Failure> {
    let work = async move {
        let pooled = if outgoing.upgrade {
            None
        } else {
            target.pool.take(now)
        };
        let reused = pooled.is_some();
        let mut conn = match pooled {
            Some(conn) => conn,
            None => match Conn::open(target.addr, tls, CONNECT_TIMEOUT.min(idle_timeout)).await {
                Ok(conn) => conn,
                Err(ConnectError::Timeout) => return Err(Failure::Timeout),
                Err(ConnectError::Failed(e)) => {
                    tracing::debug!("connecting to {} failed: {e}", target.addr);
                    return Err(Failure::Retry {
                        body,
                        sent: false,
                        reused: false,
                    });
                }
            },
        };
        match upstream::exchange(
            &mut conn,
            &outgoing.head,
            body,
            outgoing.framing,
            outgoing.method,
        )
        .await
        {
            Ok(head) => Ok((head, conn)),
            Err(ExchangeError::NotSent(body)) => Err(Failure::Retry {
                body,
                sent: false,
                reused,
            }),
            Err(ExchangeError::Broken) => Err(Failure::Retry {
                body: None,
                sent: true,
                reused,
            }),
            Err(ExchangeError::Fatal(why)) => {
                tracing::debug!("bad answer from {}: {why}", target.addr);
                Err(Failure::Fatal)
            }
        }
    };
    match tokio::time::timeout(idle_timeout, work).await {
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
    head: ResponseHead,
    conn: Conn,
    in_flight: InFlight,
    started: Instant,
    client_upgrade: Option<OnUpgrade>,
    group_cookie: Option<(u64, Duration)>,
) -> Response<ResponseBody> {
    let status = head.status;
    let micros = started.elapsed().as_micros() as u64;
    group.shared.stats.target_response(status.as_u16(), micros);
    let mut headers = head.headers;
    let cookies = [
        group.stickiness.map(|d| {
            (
                sticky::TARGET_COOKIE,
                sticky::TARGET_COOKIE_CORS,
                target.token,
                d,
            )
        }),
        group_cookie.map(|(token, d)| (sticky::GROUP_COOKIE, sticky::GROUP_COOKIE_CORS, token, d)),
    ];
    for (name, cors, token, duration) in cookies.into_iter().flatten() {
        for cookie in sticky::set_cookies(name, cors, token, duration, SystemTime::now()) {
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                headers.append(header::SET_COOKIE, value);
            }
        }
    }
    let body = if status == StatusCode::SWITCHING_PROTOCOLS {
        let Some(client) = client_upgrade else {
            // A 101 nobody asked for.
            return ctx.elb_error(StatusCode::BAD_GATEWAY);
        };
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        upgrade::tunnel(client, conn, in_flight);
        ResponseBody::empty()
    } else {
        ResponseBody::target(conn, head.framing, head.keep_alive, in_flight)
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}
