use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures::Stream;
use switchboard_domain::event::LoggedEvent;

use crate::NativeError;
use crate::auth::Caller;
use switchboard_api::AppState;

const HEARTBEAT: Duration = Duration::from_secs(15);

/// One event of the stream (a comment keeps an idle stream open).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub(crate) struct EventFrame {
    /// The event's seq, to resume after.
    #[schema(pattern = "^[0-9]+$")]
    id: String,
    /// The event's type (`docs/events.md`).
    event: String,
    /// Its JSON payload.
    data: String,
}

fn frame(e: &LoggedEvent) -> SseEvent {
    SseEvent::default().id(e.seq.to_string()).event(e.kind()).data(e.payload.to_string())
}

/// The cursor to resume after: `Last-Event-ID` (what a reconnecting `EventSource` sends), else
/// `?after=`; without either the stream starts with the next event.
/// Both are checked when both are given.
fn resume_after(headers: &HeaderMap, query: &HashMap<String, String>) -> Result<Option<i64>, NativeError> {
    let seq = |s: &str| {
        s.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            NativeError::bad_request(format!("the resume point must be an event seq (a whole number), got '{s}'"))
        })
    };
    let after = query.get("after").map(|s| seq(s)).transpose()?;
    match headers.get("last-event-id") {
        Some(v) => {
            let v = v.to_str().map_err(|_| NativeError::bad_request("'Last-Event-ID' must be an event seq"))?;
            seq(v.trim()).map(Some)
        }
        None => Ok(after),
    }
}

/// The company's event log as Server-Sent Events: `id` is the event's seq, `event` its type,
/// `data` its JSON payload; a comment every 15 s keeps idle connections open.
#[utoipa::path(
    get, path = "/v1/events", tag = "Native: Events",
    security(("api_key" = [])),
    params(
        ("Last-Event-ID" = Option<String>, Header, nullable = false, pattern = "^[0-9]{1,18}$", description = "Resume after this seq."),
        ("after" = Option<i64>, Query, minimum = 0, description = "Resume after this seq (when the header cannot be set)."),
    ),
    responses(
        (status = 200, description = "A `text/event-stream` of the company's events.", content_type = "text/event-stream", body = EventFrame),
        (status = 400, body = switchboard_api::problem::Problem), (status = 401, body = switchboard_api::problem::Problem)
    )
)]
pub(crate) async fn stream_events(
    State(s): State<AppState>,
    Caller(actor): Caller,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, NativeError> {
    let after = resume_after(&headers, &query)?;
    let events = s.engine.follow_events(&actor.company_id, after).await?;
    let stream =
        futures::stream::unfold(
            events,
            |mut events| async move { events.next().await.map(|e| (Ok(frame(&e)), events)) },
        );
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(HEARTBEAT).text("heartbeat")))
}
