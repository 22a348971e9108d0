//! socket.io at `/ws` (and `/ws/`), as RingPlan serves it: a client authenticates with its
//! company API key (the `authenticate` event, or the handshake's `auth` payload), then receives
//! the company's events as socket.io events named by type, from the log, resuming after
//! `last_seq` when it gives one.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

use serde::Deserialize;
use serde_json::{Value, json};
use socketioxide::SocketIo;
use socketioxide::extract::{AckSender, SocketRef, TryData};
use socketioxide::layer::SocketIoLayer;
use switchboard_domain::Error;
use switchboard_engine::Engine;
use switchboard_engine::auth::UserRef;

/// A socket that has not authenticated by then is disconnected.
const AUTH_DEADLINE: Duration = Duration::from_secs(5);

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
pub fn layer(engine: Engine) -> SocketIoLayer {
    let (layer, io) = SocketIo::builder().req_path("/ws").build_layer();
    let closing = engine.clone();
    io.ns("/", move |socket: SocketRef, TryData(auth): TryData<Value>| on_connect(engine.clone(), socket, auth.ok()));
    // At shutdown, close every socket (and its pending long-poll requests) rather than let
    // the server wait for clients to leave.
    tokio::spawn(async move {
        closing.streams_closing().await;
        io.close().await;
    });
    layer
}

async fn on_connect(engine: Engine, socket: SocketRef, auth: Option<Value>) {
    let authenticated = Arc::new(AtomicBool::new(false));
    let handshake = auth.filter(|a| a.get("token").is_some());
    if let Some(auth) = handshake {
        authenticate(&engine, &socket, &authenticated, auth).await;
    }
    let (e, flag) = (engine.clone(), authenticated.clone());
    socket.on("authenticate", move |s: SocketRef, TryData(data): TryData<Value>, ack: AckSender| {
        let (e, flag) = (e.clone(), flag.clone());
        async move {
            let ok = authenticate(&e, &s, &flag, data.unwrap_or(Value::Null)).await;
            // Clients that ask for an acknowledgement get the outcome there too.
            let _ = ack.send(&json!({"status": if ok { "authenticated" } else { "unauthorized" }}));
        }
    });
    socket.on("texting.message.markAsRead", |ack: AckSender| async move {
        // Texting is not part of this server yet: say so rather than pretend it worked.
        let _ = ack.send(&json!({"error": "texting is not available on this server", "status": 501}));
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

/// Authenticates the socket and starts its stream; false if it was refused (and disconnected).
async fn authenticate(engine: &Engine, socket: &SocketRef, authenticated: &AtomicBool, data: Value) -> bool {
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
    let after = request.and_then(|r| r.last_seq).filter(|s| *s >= 0);
    let mut events = match engine.follow_events(&actor.company_id, after).await {
        Ok(events) => events,
        Err(_) => {
            let _ = socket.emit("unauthorized", &json!({"message": "the event stream is unavailable; try again"}));
            let _ = socket.clone().disconnect();
            return false;
        }
    };
    let _ = socket.emit("authenticated", &json!({"company_id": actor.company_id, "user_id": actor.user.id}));
    // The stream ends with the socket, not at the company's next event: a quiet company would
    // otherwise keep a gone socket subscribed, and its company's feed reading the log.
    let gone = Arc::new(Notify::new());
    let on_gone = gone.clone();
    socket.on_disconnect(move || async move { on_gone.notify_one() });
    if !socket.connected() {
        return true;
    }
    let socket = socket.clone();
    tokio::spawn(async move {
        loop {
            let event = tokio::select! {
                e = events.next() => e,
                () = gone.notified() => return,
            };
            let Some(event) = event else { break };
            let mut payload = event.payload.clone();
            if let Value::Object(fields) = &mut payload {
                fields.entry("seq").or_insert(json!(event.seq));
            }
            if socket.emit(event.kind(), &payload).is_err() {
                return;
            }
        }
        // The stream ended (shutdown, or the log is unreadable): the client reconnects and
        // resumes with its last seq.
        let _ = socket.disconnect();
    });
    true
}
