//! What a connection may do before any Hallpass rule runs: how long a client may take to send
//! its headers and its body, and how large the body may be; and how long a page may take to
//! answer.
//!
//! The session of a request is loaded only once its whole body has arrived ([`read_body`]
//! sits outside the session layer), so a client cannot hold a request open to have it
//! checked against a session that is ended meanwhile; and neither headers nor bodies may
//! dribble in for longer than a few seconds (408, or the connection is closed). A kept-alive
//! connection waits longer for its next request than a head may take to arrive ([`pace`]).
//!
//! The same holds the other way round ([`bound_page`], applied by [`read_body`]): a page
//! whose render stops (waiting on data that never comes, as leptos#4773 made happen, or on a
//! data task that panicked) does not hold its connection forever, unseen; it is cut off and
//! logged as an error.
use crate::reply;
use app::error::{ApiError, ErrorCode};
use axum::{
    body::Body,
    extract::{ConnectInfo, Request, State},
    middleware::Next,
    response::Response,
    Router,
};
use http_body_util::BodyExt as _;
use hyper::server::conn::http1::Builder;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    service::TowerToHyperService,
};
use pace::{Clock, Paced, Tracked};
use std::{future::Future, time::Duration};
use tower::ServiceExt as _;
use tower_http::timeout::TimeoutBody;

mod pace;

/// `Keep-Alive` (hop-by-hop; the `http` crate names no constant for it).
const KEEP_ALIVE: http::HeaderName = http::HeaderName::from_static("keep-alive");

/// How long a client may take to send a request's headers by default
/// (`HALLPASS_HEADER_TIMEOUT_SECS`).
pub const DEFAULT_HEADER_TIMEOUT_SECS: u64 = 5;
/// How long a client may take to send a request's body by default
/// (`HALLPASS_BODY_TIMEOUT_SECS`); Hallpass's bodies are a few hundred bytes.
pub const DEFAULT_BODY_TIMEOUT_SECS: u64 = 5;
/// How long a kept-alive connection may wait for its next request by default
/// (`HALLPASS_IDLE_TIMEOUT_SECS`): longer than clients and proxies keep theirs (Node's agent
/// 5 s, a cloud load balancer's 60 s), so that they close first, as nginx's 75 s.
pub const DEFAULT_IDLE_TIMEOUT_SECS: u64 = 75;
/// How long a response write may stall (the client not reading) by default
/// (`HALLPASS_WRITE_TIMEOUT_SECS`); the connection is closed after it.
pub const DEFAULT_WRITE_TIMEOUT_SECS: u64 = 10;
/// How long a page may take to begin its answer, and then to send each next part of it, by
/// default (`HALLPASS_RENDER_TIMEOUT_SECS`); pages render in milliseconds.
pub const DEFAULT_RENDER_TIMEOUT_SECS: u64 = 10;
/// How many connections one instance holds open at once by default
/// (`HALLPASS_MAX_CONNECTIONS`); beyond it new ones wait in the listen backlog.
pub const DEFAULT_MAX_CONNECTIONS: usize = 4096;
/// The largest request body accepted (server-function forms are a few hundred bytes).
pub const MAX_BODY: usize = 64 * 1024;

/// How long a client may take.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// For the request line and headers, from the accept (a connection's first request) or
    /// from the request's first byte (the connection is closed after it).
    pub header: Duration,
    /// For a kept-alive connection's next request to begin once an answer is sent (the
    /// connection is closed after it).
    pub idle: Duration,
    /// For the body, once the headers are in (408 after it).
    pub body: Duration,
    /// For any one write of a response to make progress (a client that stops reading).
    pub write: Duration,
    /// For a page to begin its answer (503 after it), and then to send each next part of it
    /// (the connection is closed after it).
    pub render: Duration,
    /// Connections held open at once (more wait to be accepted).
    pub max_connections: usize,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            header: Duration::from_secs(DEFAULT_HEADER_TIMEOUT_SECS),
            idle: Duration::from_secs(DEFAULT_IDLE_TIMEOUT_SECS),
            body: Duration::from_secs(DEFAULT_BODY_TIMEOUT_SECS),
            write: Duration::from_secs(DEFAULT_WRITE_TIMEOUT_SECS),
            render: Duration::from_secs(DEFAULT_RENDER_TIMEOUT_SECS),
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// Middleware: reads the whole body (at most [`MAX_BODY`] bytes, within the body timeout)
/// before the request goes on; a page's answer is then bounded by the render timeout
/// ([`bound_page`]; static files and the API are not pages).
pub async fn read_body(State(timeouts): State<Timeouts>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path();
    let api = reply::is_api(path);
    let page = !api && !crate::assets::is_asset(path);
    match tokio::time::timeout(timeouts.body, axum::body::to_bytes(body, MAX_BODY)).await {
        Ok(Ok(bytes)) if page => {
            let path = parts.uri.path().to_owned();
            let answer = next.run(Request::from_parts(parts, Body::from(bytes)));
            bound_page(timeouts.render, path, answer).await
        }
        Ok(Ok(bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Ok(Err(err)) => {
            tracing::info!(%err, "request body refused");
            let too_large = std::error::Error::source(&err)
                .is_some_and(|e| e.is::<http_body_util::LengthLimitError>());
            reply::error(
                api,
                if too_large {
                    ApiError::new(ErrorCode::TooLarge, "The request body is too large.")
                } else {
                    ApiError::bad_request("The request body could not be read.")
                },
            )
        }
        Err(_) => reply::error(
            api,
            ApiError::new(
                ErrorCode::Timeout,
                "The request took too long to arrive. Please try again.",
            ),
        ),
    }
}

/// A page's answer (`answer`, a page's handler under way), bounded: it must begin within
/// `limit` (503 otherwise), and may not then pause longer than `limit` between parts (the
/// connection is closed). Either is logged as an error: a render that stops is a bug to find,
/// not a client's fault. Not for the API, whose event stream is meant to stay open.
async fn bound_page(
    limit: Duration,
    path: String,
    answer: impl Future<Output = Response>,
) -> Response {
    let Ok(res) = tokio::time::timeout(limit, answer).await else {
        tracing::error!(%path, ?limit, "a page did not begin its answer in time");
        return reply::error(
            false,
            ApiError::new(
                ErrorCode::Unavailable,
                "The page took too long to prepare. Please try again.",
            ),
        );
    };
    res.map(|body| {
        Body::new(TimeoutBody::new(limit, body).map_err(move |err| {
            tracing::error!(%path, ?limit, %err, "a page stopped in the middle of its answer");
            err
        }))
    })
}

/// Serves `router` on `listener` until `shutdown` completes. Every connection is HTTP/1.1
/// (hyper's HTTP/1 server directly: no protocol detection, whose wait for the first bytes has
/// no timeout, and no HTTP/2, which would escape the header timeout and multiply what one
/// connection may carry), and is bounded in time by its [`pace::Clock`]: its first request's
/// headers must arrive within the header timeout from the moment it is accepted; once an
/// answer is sent it may wait the idle timeout for the next request, whose headers must then
/// arrive within the header timeout of its first byte; a response write that makes no
/// progress for the write timeout (a client that stops reading) closes it. At most
/// `max_connections` are open at once. Each request carries the peer's address as
/// [`ConnectInfo`].
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    timeouts: Timeouts,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    serve_with(listener, router, timeouts, None, shutdown).await
}

/// [`serve`] over TLS: the handshake must also finish within the header timeout (a client
/// that opens a connection and never completes its hello holds a place no longer than one
/// that never finishes its headers).
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    router: Router,
    timeouts: Timeouts,
    tls: std::sync::Arc<rustls::ServerConfig>,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    serve_with(listener, router, timeouts, Some(acceptor), shutdown).await
}

async fn serve_with(
    listener: tokio::net::TcpListener,
    router: Router,
    timeouts: Timeouts,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let keep_alive = pace::hint(timeouts.idle);
    let mut builder = Builder::new();
    // The connection's own clock (`Paced`) bounds heads and idle waits; hyper's, which starts
    // when a connection goes idle, is a backstop past both (and has hyper read again at once
    // when an answer is done, so that the idle wait is timed).
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(timeouts.idle + timeouts.header);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(timeouts.max_connections.max(1)));
    tokio::pin!(shutdown);
    loop {
        // A place first: at the cap, further clients wait in the kernel's backlog.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: wait a moment, keep serving.
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let (clock, accepted) = (Clock::new(), tokio::time::Instant::now());
        let service = router
            .clone()
            .map_request({
                let clock = clock.clone();
                move |mut req: Request<hyper::body::Incoming>| {
                    clock.begin();
                    req.extensions_mut().insert(ConnectInfo(peer));
                    req
                }
            })
            .map_response({
                let (clock, keep_alive) = (clock.clone(), keep_alive.clone());
                move |res: Response| {
                    let (mut parts, body) = res.into_parts();
                    if let Some(hint) = &keep_alive {
                        parts.headers.insert(KEEP_ALIVE, hint.clone());
                    }
                    http::Response::from_parts(parts, Tracked::new(body, clock.clone()))
                }
            });
        let service = TowerToHyperService::new(service);
        // Writes that stall are cut off under TLS as well (the TLS stream writes through it).
        let mut stream = tokio_io_timeout::TimeoutStream::new(stream);
        stream.set_write_timeout(Some(timeouts.write));
        let stream = Box::pin(stream);
        let (builder, watcher, tls) = (builder.clone(), graceful.watcher(), tls.clone());
        tokio::spawn(async move {
            let result = match tls {
                None => {
                    let stream = Paced::new(stream, clock, timeouts, accepted);
                    let connection = builder.serve_connection(TokioIo::new(stream), service);
                    watcher.watch(connection).await
                }
                Some(acceptor) => {
                    match tokio::time::timeout(timeouts.header, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => {
                            // Timed on what hyper reads: requests, not TLS records.
                            let stream = Paced::new(stream, clock, timeouts, accepted);
                            let connection =
                                builder.serve_connection(TokioIo::new(stream), service);
                            watcher.watch(connection).await
                        }
                        Ok(Err(err)) => {
                            tracing::debug!(%err, "TLS handshake failed");
                            Ok(())
                        }
                        Err(_) => {
                            tracing::debug!("TLS handshake took too long");
                            Ok(())
                        }
                    }
                }
            };
            if let Err(err) = result {
                tracing::debug!(%err, "connection ended with an error");
            }
            drop(slot);
        });
    }
    // Requests under way finish (for a while); new connections are no longer accepted.
    tokio::select! {
        () = graceful.shutdown() => {},
        () = tokio::time::sleep(Duration::from_secs(10)) => {},
    }
    Ok(())
}
