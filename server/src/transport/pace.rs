//! One connection's clock: how long it may wait between requests, and how long a request's
//! head may take once it has begun.
//!
//! hyper's HTTP/1 `header_read_timeout` starts as soon as a connection goes idle, so on its own
//! it is at once the bound on a head that dribbles in and on a kept-alive connection waiting
//! for its next request. One number cannot be both. Short (it was 5 s), and a client whose own
//! pool keeps connections about as long (Node's agent: 5 s; a proxy: 60 s) sends its next
//! request at the moment the server closes the connection: the request meets a reset, and a
//! `POST` is not retried (a sign-in failed so in CI). Long, and a head may dribble in for as long.
//! So each connection keeps its own clock:
//!
//! - a new connection's first head must be in within the header timeout of its being accepted
//!   (a connection that never sends a byte is closed);
//! - once an answer has been sent, the connection may wait up to the idle timeout for the next
//!   request (answers say so, one second less, in `Keep-Alive: timeout=…`, so that a client
//!   that honours it closes first);
//! - from that request's first byte, its head must be in within the header timeout;
//! - while a request is under way none of this applies: its body is bounded by
//!   [`super::read_body`], a page by the render timeout and a stalled write by the write
//!   timeout, and a live event stream stays open.
//!
//! The [`Clock`] is shared by the connection's reads ([`Paced`], which enforces it) and its
//! answers ([`Tracked`] bodies, whose end starts the idle wait).
use super::Timeouts;
use std::{
    future::Future as _,
    io,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
    time::Duration,
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    time::{Instant, Sleep},
};

/// Where a connection is between requests.
#[derive(Clone, Copy, Debug)]
enum Phase {
    /// Accepted; its first request has not begun.
    New,
    /// A request is under way (its head is in, its answer not yet sent).
    Busy,
    /// Answer number `turn` was sent at `since`; the next request has not been taken in.
    Waiting { since: Instant, turn: u64 },
}

/// One connection's phase, shared by its reads and its answers.
#[derive(Debug)]
pub(super) struct Clock {
    state: Mutex<(Phase, u64)>,
}

impl Clock {
    pub(super) fn new() -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new((Phase::New, 0)),
        })
    }

    fn phase(&self) -> Phase {
        self.lock().0
    }

    /// A request's head is in: it is under way.
    pub(super) fn begin(&self) {
        self.lock().0 = Phase::Busy;
    }

    /// A request's answer has been sent (or given up): the wait for the next one starts.
    fn done(&self) {
        let mut state = self.lock();
        state.1 += 1;
        state.0 = Phase::Waiting {
            since: Instant::now(),
            turn: state.1,
        };
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (Phase, u64)> {
        // The state is two plain values, consistent after any panic.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// What `Keep-Alive: timeout=` says for a connection that waits `idle`: a second less (the
/// client's clock starts later than ours, and one that closes at the very second would meet our
/// close), none when that leaves nothing.
pub(super) fn hint(idle: Duration) -> Option<http::HeaderValue> {
    let secs = idle.as_secs().saturating_sub(1);
    (secs > 0).then(|| {
        http::HeaderValue::from_str(&format!("timeout={secs}")).expect("a number is a header value")
    })
}

/// A connection's stream, its reads bounded by its [`Clock`]: a read that has waited past the
/// current bound fails with `TimedOut`, and hyper closes the connection. Writes pass through.
pub(super) struct Paced<S> {
    io: S,
    clock: Arc<Clock>,
    timeouts: Timeouts,
    accepted: Instant,
    /// The turn whose next head has begun to arrive, and when its first byte came.
    head: Option<(u64, Instant)>,
    timer: Pin<Box<Sleep>>,
}

impl<S> Paced<S> {
    /// `io`, a connection accepted at `accepted` (its TLS handshake, if any, counts towards its
    /// first head's time).
    pub(super) fn new(io: S, clock: Arc<Clock>, timeouts: Timeouts, accepted: Instant) -> Self {
        Self {
            io,
            clock,
            timeouts,
            accepted,
            head: None,
            timer: Box::pin(tokio::time::sleep_until(accepted + timeouts.header)),
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Paced<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let (deadline, turn) = match this.clock.phase() {
            Phase::Busy => return Pin::new(&mut this.io).poll_read(cx, buf),
            Phase::New => (this.accepted + this.timeouts.header, None),
            Phase::Waiting { since, turn } => match this.head {
                Some((begun, first_byte)) if begun == turn => {
                    (first_byte + this.timeouts.header, None)
                }
                _ => (since + this.timeouts.idle, Some(turn)),
            },
        };
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Pending => {
                if this.timer.deadline() != deadline {
                    this.timer.as_mut().reset(deadline);
                }
                match this.timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the client sent nothing in time",
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
            Poll::Ready(Ok(())) => {
                // The first byte of the next request: its head's own clock starts.
                if let Some(turn) = turn {
                    if buf.filled().len() > before {
                        this.head = Some((turn, Instant::now()));
                    }
                }
                Poll::Ready(Ok(()))
            }
            failed => failed,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Paced<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// An answer's body that tells the connection's [`Clock`] when it is over (sent in full, or
/// dropped because the connection ended).
pub(super) struct Tracked<B> {
    body: B,
    clock: Arc<Clock>,
}

impl<B> Tracked<B> {
    pub(super) fn new(body: B, clock: Arc<Clock>) -> Self {
        Self { body, clock }
    }
}

impl<B> Drop for Tracked<B> {
    fn drop(&mut self) {
        self.clock.done();
    }
}

impl<B: hyper::body::Body + Unpin> hyper::body::Body for Tracked<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}
