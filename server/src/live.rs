//! The live event stream (`GET /api/events`, server-sent events): session starts and ends and
//! policy changes, scoped to what the viewer may see (their own sessions; admins everything).
//! Events are hints: the browser refreshes its lists, and asks `/api/me` whether its own
//! session is still alive.
//!
//! A stream lives no longer than its session: before every event and every keep-alive it
//! reloads the viewer's session (so the store's rules apply: ended, outdated by a generation,
//! timed out) and takes the viewer's role from it, and it closes once the session is over,
//! after passing on the end of the viewer's own session. One session holds at most
//! [`MAX_STREAMS_PER_SESSION`] streams on an instance.
use app::{
    error::ApiError,
    model::{Role, SessionKey},
    ssr::{
        auth::{AuthState, ClientInfo, Principal},
        context::ServerState,
        ending::{end_session, Ending},
        events::Event,
    },
};
use axum::{
    extract::{Request, State},
    response::{
        sse::{Event as SseEvent, Sse},
        IntoResponse, Response,
    },
};
use std::{
    collections::HashMap,
    convert::Infallible,
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::sync::broadcast::{self, error::RecvError};

/// How often an idle stream re-checks its session (and sends a keep-alive comment).
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Streams one session may hold open at once on one instance (429 beyond).
pub const MAX_STREAMS_PER_SESSION: usize = 8;

/// Whether a viewer with `auth` may see `event`.
pub fn visible_to(event: &Event, viewer: &AuthState) -> bool {
    match event {
        Event::PolicyChanged => true,
        Event::SessionStarted { user_id } | Event::SessionEnded { user_id, .. } => {
            viewer.role == Role::Admin || *user_id == viewer.user_id
        }
    }
}

/// Open streams per session key, on this instance.
#[derive(Clone, Debug, Default)]
pub struct Streams(Arc<Mutex<HashMap<SessionKey, usize>>>);

/// One open stream; gives its place back when dropped.
#[derive(Debug)]
struct Slot {
    streams: Streams,
    key: SessionKey,
}

impl Streams {
    fn open(&self, key: &SessionKey) -> Option<Slot> {
        let mut open = self.0.lock().expect("streams lock");
        let count = open.entry(key.clone()).or_default();
        if *count >= MAX_STREAMS_PER_SESSION {
            return None;
        }
        *count += 1;
        Some(Slot {
            streams: self.clone(),
            key: key.clone(),
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.streams.0.lock().expect("streams lock");
        if let Some(count) = open.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// One viewer's stream.
struct Viewer {
    state: ServerState,
    key: SessionKey,
    user_id: String,
    client: ClientInfo,
    events: broadcast::Receiver<Event>,
    ticks: tokio::time::Interval,
    closing: bool,
    _slot: Slot,
}

impl Viewer {
    /// The next thing to send, or None once the session is over.
    async fn next(&mut self) -> Option<SseEvent> {
        if self.closing {
            return None;
        }
        loop {
            let event = tokio::select! {
                event = self.events.recv() => match event {
                    Ok(event) => Some(event),
                    Err(RecvError::Lagged(_)) => None,
                    Err(RecvError::Closed) => return None,
                },
                _ = self.ticks.tick() => None,
            };
            let live = match self.state.registry.get(&self.key).await {
                Ok(Some(auth)) if auth.user_id == self.user_id => Some(auth),
                Ok(_) => None,
                Err(err) => {
                    tracing::warn!(%err, "live stream: session check failed; closing");
                    None
                }
            };
            // A stream is no activity: its session times out like any other, and the stream
            // ends it (its tab learns why when it asks).
            let policy = self.state.policy.current();
            let live = match live
                .map(|auth| (auth.timed_out(&policy, self.state.clock.now_ms()), auth))
            {
                Some((Some(reason), _)) => {
                    let ending =
                        Ending::new(reason, &self.client).note("seen by its live event stream");
                    let ended = end_session(&self.state, &self.user_id, &self.key, &ending).await;
                    if let Err(err) = ended {
                        tracing::warn!(?err, "live stream: could not end a timed-out session");
                    }
                    None
                }
                Some((None, auth)) => Some(auth),
                None => None,
            };
            let Some(viewer) = live else {
                // Over: pass on the end of the viewer's own session (the tab goes to the
                // sign-in page with the reason), then close.
                self.closing = true;
                return match event {
                    Some(event @ Event::SessionEnded { .. }) if matches!(&event, Event::SessionEnded { key, .. } if *key == self.key) => {
                        Some(sse(&event))
                    }
                    _ => None,
                };
            };
            match event {
                Some(event) if visible_to(&event, &viewer) => return Some(sse(&event)),
                Some(_) => continue,
                None => return Some(SseEvent::default().comment("keep-alive")),
            }
        }
    }
}

fn sse(event: &Event) -> SseEvent {
    SseEvent::default().json_data(event).unwrap_or_default()
}

/// The SSE handler.
pub async fn events(
    State((state, streams)): State<(ServerState, Streams)>,
    req: Request,
) -> Response {
    let (Some(viewer), Some(key)) = (
        req.extensions().get::<Principal>().cloned(),
        req.extensions()
            .get::<app::ssr::session::Session>()
            .and_then(|s| s.key()),
    ) else {
        return crate::reply::error(true, ApiError::not_signed_in());
    };
    let Some(slot) = streams.open(&key) else {
        let wait = KEEP_ALIVE.as_secs() as i64;
        return crate::reply::error(
            true,
            ApiError {
                message: "Too many live streams are open for this session.".into(),
                ..ApiError::rate_limited(wait)
            },
        );
    };
    let mut ticks = tokio::time::interval(KEEP_ALIVE);
    ticks.reset();
    let client = req
        .extensions()
        .get::<ClientInfo>()
        .cloned()
        .unwrap_or_default();
    let viewer = Viewer {
        client,
        events: state.events.subscribe(),
        state,
        key,
        user_id: viewer.0.user_id,
        ticks,
        closing: false,
        _slot: slot,
    };
    let stream = futures::stream::unfold(viewer, |mut viewer| async move {
        let next = viewer.next().await?;
        Some((Ok::<_, Infallible>(next), viewer))
    });
    Sse::new(stream).into_response()
}
