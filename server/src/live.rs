//! The live event stream (`GET /api/events`, server-sent events): session starts and ends and
//! policy changes, scoped to what the viewer may see (their own sessions; admins everything).
//! Events are hints: the browser refreshes its lists, and asks `/api/me` whether its own
//! session is still alive.
use app::{
    error::ApiError,
    model::Role,
    ssr::{auth::Principal, context::ServerState, events::Event},
};
use axum::{
    extract::{Request, State},
    response::{
        sse::{Event as SseEvent, KeepAlive, Sse},
        IntoResponse, Response,
    },
};
use futures::StreamExt;
use std::{convert::Infallible, time::Duration};
use tokio_stream::wrappers::BroadcastStream;

/// Whether `viewer` may see `event`.
pub fn visible_to(event: &Event, viewer: &Principal) -> bool {
    match event {
        Event::PolicyChanged => true,
        Event::SessionStarted { user_id } | Event::SessionEnded { user_id, .. } => {
            viewer.0.role == Role::Admin || *user_id == viewer.0.user_id
        }
    }
}

/// The SSE handler.
pub async fn events(State(state): State<ServerState>, req: Request) -> Response {
    let Some(viewer) = req.extensions().get::<Principal>().cloned() else {
        return crate::reply::error(true, ApiError::not_signed_in());
    };
    let stream = BroadcastStream::new(state.events.subscribe()).filter_map(move |event| {
        let visible = event.ok().filter(|event| visible_to(event, &viewer));
        async move {
            visible.map(|event| {
                Ok::<_, Infallible>(SseEvent::default().json_data(&event).unwrap_or_default())
            })
        }
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}
