//! socket.io at `/ws` (and `/ws/`), as RingPlan serves it: a client authenticates with its
//! company API key (the `authenticate` event, or the handshake's `auth` payload), then receives
//! the company's events as socket.io events named by type, from the log, resuming after
//! `last_seq` when it gives one. `authenticated` carries the seq the stream starts after. A
//! socket is never left connected without its events: one that stops taking them (its send
//! buffer stays full) or whose stream ends is sent `stream_ended` with the seq to resume after,
//! and disconnected.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};
use socketioxide::extract::{AckSender, SocketRef, TryData};
use socketioxide::layer::SocketIoLayer;
use socketioxide::{SendError, SocketError, SocketIo};
use switchboard_domain::{Error, Resource, ThreadId};
use switchboard_engine::auth::UserRef;
use switchboard_engine::realtime::Subscription;
use switchboard_engine::{Actor, Engine};
use tokio::sync::Notify;
use tokio::time::Instant;

/// A socket that has not authenticated by then is disconnected.
const AUTH_DEADLINE: Duration = Duration::from_secs(5);

/// The longest wait between two looks at a full send buffer: socketioxide tells no one when it
/// drains.
const ROOM_POLL: Duration = Duration::from_millis(50);

/// How sockets are fed.
#[derive(Debug, Clone, Copy)]
pub struct SocketOptions {
    /// Packets queued for a socket and not yet sent.
    pub buffer: usize,
    /// How long a socket whose buffer is full may take nothing before its stream stops and it
    /// is disconnected.
    pub stall: Duration,
}

#[derive(Debug, Deserialize)]
struct Authenticate {
    token: Option<String>,
    /// Accepted for compatibility; events are the company's, whoever the user is.
    #[serde(rename = "user_email")]
    _user_email: Option<String>,
    /// Replay the events after this seq before live ones.
    last_seq: Option<i64>,
}

/// The socket.io layer to put in front of the router.
pub fn layer(engine: Engine, options: SocketOptions) -> SocketIoLayer {
    let (layer, io) = SocketIo::builder().req_path("/ws").max_buffer_size(options.buffer.max(1)).build_layer();
    let closing = engine.clone();
    io.ns("/", move |socket: SocketRef, TryData(auth): TryData<Value>| {
        on_connect(engine.clone(), socket, auth.ok(), options)
    });
    // At shutdown, close every socket (and its pending long-poll requests) rather than let
    // the server wait for clients to leave.
    tokio::spawn(async move {
        closing.streams_closing().await;
        io.close().await;
    });
    layer
}

async fn on_connect(engine: Engine, socket: SocketRef, auth: Option<Value>, options: SocketOptions) {
    let authenticated = Arc::new(AtomicBool::new(false));
    let handshake = auth.filter(|a| a.get("token").is_some());
    if let Some(auth) = handshake {
        authenticate(&engine, &socket, &authenticated, auth, options).await;
    }
    let (e, flag) = (engine.clone(), authenticated.clone());
    socket.on("authenticate", move |s: SocketRef, TryData(data): TryData<Value>, ack: AckSender| {
        let (e, flag) = (e.clone(), flag.clone());
        async move {
            let ok = authenticate(&e, &s, &flag, data.unwrap_or(Value::Null), options).await;
            // Clients that ask for an acknowledgement get the outcome there too.
            let _ = ack.send(&json!({"status": if ok { "authenticated" } else { "unauthorized" }}));
        }
    });
    let e = engine.clone();
    socket.on("texting.message.markAsRead", move |s: SocketRef, TryData(data): TryData<Value>, ack: AckSender| {
        let e = e.clone();
        async move {
            let answer = mark_as_read(&e, &s, data.unwrap_or(Value::Null)).await;
            // Clients that ask for an acknowledgement get the outcome; the others get the
            // `texting.message.markAsRead` event of the messages that were unread.
            let _ = ack.send(&answer);
        }
    });
    let (s, flag) = (socket.clone(), authenticated);
    tokio::spawn(async move {
        tokio::time::sleep(AUTH_DEADLINE).await;
        if !flag.load(Ordering::SeqCst) && s.connected() {
            let _ = s.emit("unauthorized", &json!({"message": "authentication timed out"}));
            let _ = s.disconnect();
        }
    });
}

/// The client's `texting.message.markAsRead` `{conversation_id, messagesIds}`: the messages are
/// marked read as the REST API's `PATCH` does, for the socket's company. An unauthenticated
/// socket is told `unauthorized`.
async fn mark_as_read(engine: &Engine, socket: &SocketRef, data: Value) -> Value {
    let Some(actor) = socket.extensions.get::<Actor>() else {
        let _ = socket.emit("unauthorized", &json!({"message": "authenticate before emitting"}));
        return json!({"error": "authenticate before emitting", "status": 401});
    };
    let request = match serde_json::from_value::<MarkAsRead>(data) {
        Ok(r) => r,
        Err(e) => return json!({"error": format!("expected {{conversation_id, messagesIds}}: {e}"), "status": 400}),
    };
    let conversation = ThreadId::parse(&request.conversation_id).map_err(|_| Error::NotFound(Resource::Thread));
    let ids = crate::texting::message_ids("messagesIds", request.messages_ids.iter().map(String::as_str));
    let marked = match (conversation, ids) {
        (Ok(c), Ok(ids)) => engine.mark_texts_read(&actor, &c, &ids, true).await,
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    match marked {
        Ok(messages) => json!({
            "conversation_id": request.conversation_id,
            "messagesIds": messages.iter().map(|m| m.id.to_string()).collect::<Vec<_>>(),
        }),
        Err(e) => {
            let problem = crate::RingPlanError::from(e).0;
            json!({"error": problem.detail, "status": problem.status})
        }
    }
}

#[derive(Deserialize)]
struct MarkAsRead {
    conversation_id: String,
    #[serde(rename = "messagesIds")]
    messages_ids: Vec<String>,
}

/// Authenticates the socket and starts its stream; false if it was refused (and disconnected).
async fn authenticate(
    engine: &Engine,
    socket: &SocketRef,
    authenticated: &AtomicBool,
    data: Value,
    options: SocketOptions,
) -> bool {
    // Claimed before the first await, so two `authenticate` emits never open two streams.
    if authenticated.compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst).is_err() {
        return true;
    }
    let request = serde_json::from_value::<Authenticate>(data).ok();
    let token = request.as_ref().and_then(|r| r.token.clone()).unwrap_or_default();
    let actor = match engine.authenticate(&token, &UserRef::Primary).await {
        Ok(actor) => actor,
        Err(e) => {
            let message = if e == Error::Unauthenticated {
                "invalid token".to_owned()
            } else {
                "authentication is unavailable; try again".to_owned()
            };
            let _ = socket.emit("unauthorized", &json!({"message": message}));
            let _ = socket.clone().disconnect();
            return false;
        }
    };
    socket.extensions.insert(actor.clone());
    let after = request.and_then(|r| r.last_seq).filter(|s| *s >= 0);
    let events = match engine.follow_events(&actor.company_id, after).await {
        Ok(events) => events,
        Err(_) => {
            let _ = socket.emit("unauthorized", &json!({"message": "the event stream is unavailable; try again"}));
            let _ = socket.clone().disconnect();
            return false;
        }
    };
    let greeting = json!({"company_id": actor.company_id, "user_id": actor.user.id, "last_seq": events.last_seq()});
    // The stream ends with the socket, not at the company's next event: a quiet company would
    // otherwise keep a gone socket subscribed, and its company's feed reading the log.
    let gone = Arc::new(Notify::new());
    let on_gone = gone.clone();
    socket.on_disconnect(move || async move { on_gone.notify_one() });
    if !socket.connected() {
        return true;
    }
    // Emitted here, so that a client asking for an acknowledgement gets it after `authenticated`.
    let greeted = emit_paced(socket, "authenticated", &greeting, options.stall).await;
    tokio::spawn(stream(socket.clone(), gone, events, greeted, options));
    true
}

/// Why a socket's stream stopped.
enum Stop {
    /// The socket took no packet for [`SocketOptions::stall`].
    TooSlow,
    /// The subscription ended: the server is shutting down, or the log cannot be read.
    Ended,
    /// The socket has left.
    Gone,
}

/// Emits the company's events after `authenticated` (whose emission is `greeted`), until the
/// socket leaves; a stream that stops before is told to the client, which is then disconnected
/// (never left connected and deaf).
async fn stream(
    socket: SocketRef,
    gone: Arc<Notify>,
    mut events: Subscription,
    greeted: Result<(), Stop>,
    options: SocketOptions,
) {
    let mut given = events.last_seq();
    let stop = 'forward: {
        if let Err(stop) = greeted {
            break 'forward stop;
        }
        loop {
            let event = tokio::select! {
                e = events.next() => e,
                () = gone.notified() => return,
            };
            let Some(event) = event else { break 'forward Stop::Ended };
            let mut payload = event.payload.clone();
            if let Value::Object(fields) = &mut payload {
                fields.entry("seq").or_insert(json!(event.seq));
            }
            if let Err(stop) = emit_paced(&socket, event.kind(), &payload, options.stall).await {
                break 'forward stop;
            }
            given = event.seq;
        }
    };
    // Off the company's feed before the client is told to come back.
    drop(events);
    let reason = match stop {
        Stop::TooSlow => "too_slow",
        Stop::Ended => "ended",
        Stop::Gone => return,
    };
    end_stream(&socket, &gone, reason, given).await;
}

/// Queues a packet for the socket. While its send buffer is full the packet waits, so that a
/// client catching up on a backlog gets it at its own pace; a socket that makes no room for
/// `stall` is too slow (or gone silent), and its stream stops.
async fn emit_paced(socket: &SocketRef, event: &str, payload: &Value, stall: Duration) -> Result<(), Stop> {
    let give_up = Instant::now() + stall;
    let mut pause = Duration::from_millis(1);
    loop {
        match socket.emit(event, payload) {
            Ok(()) => return Ok(()),
            Err(SendError::Socket(SocketError::InternalChannelFull)) if Instant::now() < give_up => {
                tokio::time::sleep(pause.min(give_up - Instant::now())).await;
                pause = (pause * 2).min(ROOM_POLL);
            }
            Err(SendError::Socket(SocketError::InternalChannelFull)) => return Err(Stop::TooSlow),
            Err(SendError::Socket(SocketError::Closed)) => return Err(Stop::Gone),
            Err(SendError::Serialize(e)) => {
                tracing::error!(error = %e, event, "an event cannot be written for socket.io");
                return Err(Stop::Ended);
            }
        }
    }
}

/// Tells the client why its stream stopped and at which seq (`stream_ended`), then disconnects
/// it: it reconnects and authenticates with that `last_seq`, and misses nothing. A send buffer
/// still full is waited on: the notice goes once the client makes room, or engine.io's
/// heartbeat, which cannot queue its ping either, closes the connection.
async fn end_stream(socket: &SocketRef, gone: &Notify, reason: &str, last_seq: i64) {
    let notice = json!({
        "reason": reason,
        "last_seq": last_seq,
        "message": "the event stream stopped; reconnect and authenticate with this last_seq to resume",
    });
    let mut told = false;
    loop {
        if !told {
            match socket.emit("stream_ended", &notice) {
                Ok(()) => told = true,
                Err(SendError::Socket(SocketError::InternalChannelFull)) => {}
                Err(_) => return,
            }
        }
        if told && !matches!(socket.clone().disconnect(), Err(SocketError::InternalChannelFull)) {
            return;
        }
        tokio::select! {
            () = gone.notified() => return,
            () = tokio::time::sleep(ROOM_POLL) => {}
        }
    }
}
