//! One request, from the listener's rules to a response: a fixed response,
//! a redirect, or forwarding to a target group ([`crate::forward`]).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;

use arc_swap::ArcSwap;
use http::header::{self, HeaderValue};
use http::{Request, Response, StatusCode};
use hyper::body::Incoming;

use crate::body::ResponseBody;
use crate::conditions::{strip_port, RequestFacts};
use crate::forward;
use crate::headers;
use crate::redirect::RedirectInput;
use crate::responses;
use crate::routing::{ListenerRuntime, RouteAction};
use crate::stats::LbStats;
use crate::target::GroupView;

/// What every connection of a listener shares, across applies.
pub(crate) struct ListenerShared {
    pub runtime: ArcSwap<ListenerRuntime>,
    /// The port it listens on (`X-Forwarded-Port`, `#{port}`).
    pub port: u16,
    pub port_value: HeaderValue,
}

/// One client connection.
pub(crate) struct ConnCtx {
    pub listener: Arc<ListenerShared>,
    pub lb: Arc<LbStats>,
    pub peer: SocketAddr,
    /// The peer's address as an `X-Forwarded-For` entry.
    pub client_ip: HeaderValue,
    pub https: bool,
    /// Requests being answered (the idle timeout waits for them).
    pub active: AtomicUsize,
    /// Set on any traffic; the idle watcher clears it.
    pub activity: AtomicBool,
}

impl ConnCtx {
    pub(crate) fn new(
        listener: Arc<ListenerShared>,
        lb: Arc<LbStats>,
        peer: SocketAddr,
        https: bool,
    ) -> ConnCtx {
        let ip = crate::conditions::canonical_ip(peer.ip());
        let client_ip =
            HeaderValue::from_str(&ip.to_string()).unwrap_or(HeaderValue::from_static("0.0.0.0"));
        ConnCtx {
            listener,
            lb,
            peer,
            client_ip,
            https,
            active: AtomicUsize::new(0),
            activity: AtomicBool::new(true),
        }
    }
}

/// Counts a request as active for as long as it is being answered.
struct Active<'a>(&'a ConnCtx);

impl<'a> Active<'a> {
    fn new(ctx: &'a ConnCtx) -> Self {
        ctx.active.fetch_add(1, Relaxed);
        Active(ctx)
    }
}

impl Drop for Active<'_> {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Relaxed);
        self.0.activity.store(true, Relaxed);
    }
}

// Lives on the stack for a moment; boxing the response would cost an
// allocation per generated answer.
#[allow(clippy::large_enum_variant)]
enum Step {
    Respond(Response<ResponseBody>),
    Forward(Arc<GroupView>, Option<(u64, std::time::Duration)>),
}

/// Answers one request.
pub(crate) async fn handle(
    ctx: Arc<ConnCtx>,
    mut request: Request<Incoming>,
) -> Result<Response<ResponseBody>, Infallible> {
    let _active = Active::new(&ctx);
    ctx.lb.request_count.fetch_add(1, Relaxed);
    let runtime = ctx.listener.runtime.load();
    if runtime.drop_invalid_header_fields {
        headers::drop_invalid_names(request.headers_mut());
    }
    let idle_timeout = runtime.idle_timeout;
    let step = route(&ctx, &runtime, &request);
    drop(runtime);
    Ok(match step {
        Step::Respond(response) => response,
        // Boxed: the forwarding state machine is a few KiB, and hyper keeps
        // room for this future in every connection, busy or idle.
        Step::Forward(group, group_cookie) => {
            Box::pin(forward::forward(
                &ctx,
                request,
                &group,
                group_cookie,
                idle_timeout,
            ))
            .await
        }
    })
}

fn route(ctx: &ConnCtx, runtime: &ListenerRuntime, request: &Request<Incoming>) -> Step {
    let host = request
        .headers()
        .get(header::HOST)
        .map(HeaderValue::as_bytes)
        .or_else(|| request.uri().authority().map(|a| a.as_str().as_bytes()))
        .map_or(&b""[..], strip_port);
    let mut small = [0u8; 128];
    let mut large = Vec::new();
    let host_lower = lowercase(host, &mut small, &mut large);
    let facts = RequestFacts {
        method: request.method().as_str(),
        host,
        host_lower,
        path: request.uri().path().as_bytes(),
        query: request.uri().query().unwrap_or("").as_bytes(),
        headers: request.headers(),
        source_ip: ctx.peer.ip(),
    };
    match runtime.rules.find(&facts) {
        RouteAction::Forward(forward) => match forward.choose(request.headers()) {
            Some(group) => Step::Forward(
                Arc::clone(group),
                forward
                    .stickiness
                    .map(|duration| (group.shared.token, duration)),
            ),
            None => Step::Respond(ctx.elb_error(StatusCode::SERVICE_UNAVAILABLE)),
        },
        RouteAction::Fixed {
            status,
            content_type,
            body,
        } => {
            ctx.lb.fixed_responses.fetch_add(1, Relaxed);
            ctx.lb.elb_response(status.as_u16());
            Step::Respond(responses::generated(
                *status,
                content_type.clone(),
                body.clone(),
            ))
        }
        RouteAction::Redirect(redirect) => {
            ctx.lb.redirects.fetch_add(1, Relaxed);
            ctx.lb.elb_response(redirect.status);
            let location = redirect.location(&RedirectInput {
                https: ctx.https,
                host: std::str::from_utf8(host).unwrap_or(""),
                port: ctx.listener.port,
                path: request.uri().path(),
                query: request.uri().query().unwrap_or(""),
            });
            let status = StatusCode::from_u16(redirect.status).unwrap_or(StatusCode::FOUND);
            Step::Respond(responses::redirect(status, &location))
        }
        RouteAction::Broken => Step::Respond(ctx.elb_error(StatusCode::SERVICE_UNAVAILABLE)),
    }
}

impl ConnCtx {
    /// A generated error, counted.
    pub(crate) fn elb_error(&self, status: StatusCode) -> Response<ResponseBody> {
        self.lb.elb_response(status.as_u16());
        responses::error_page(status)
    }
}

/// `host` lowercased, copied only when it has uppercase letters.
fn lowercase<'a>(host: &'a [u8], small: &'a mut [u8; 128], large: &'a mut Vec<u8>) -> &'a [u8] {
    if !host.iter().any(u8::is_ascii_uppercase) {
        return host;
    }
    if host.len() <= small.len() {
        let out = &mut small[..host.len()];
        out.copy_from_slice(host);
        out.make_ascii_lowercase();
        out
    } else {
        large.extend(host.iter().map(u8::to_ascii_lowercase));
        large
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size_of_output<F>(_: &impl Fn() -> F) -> usize {
        std::mem::size_of::<F>()
    }

    #[test]
    fn the_per_connection_request_future_stays_small() {
        fn never<T>() -> T {
            unreachable!()
        }
        let size = size_of_output(&|| handle(never(), never()));
        assert!(size < 1024, "{size} bytes kept per connection");
    }

    #[test]
    fn lowercasing_copies_only_when_needed() {
        let (mut small, mut large) = ([0u8; 128], Vec::new());
        assert_eq!(
            lowercase(b"a.example", &mut small, &mut large),
            b"a.example"
        );
        assert_eq!(
            lowercase(b"A.Example", &mut small, &mut large),
            b"a.example"
        );
        let long = vec![b'A'; 300];
        assert_eq!(
            lowercase(&long, &mut small, &mut large),
            vec![b'a'; 300].as_slice()
        );
    }
}
