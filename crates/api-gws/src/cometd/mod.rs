//! The CometD (Bayeux 1.0) server at `/api/v2/notifications`, long-polling only (spec §A.10):
//! `/meta/handshake`, `/meta/connect` (held until there are messages or the advised time-out),
//! `/meta/subscribe` and `/meta/unsubscribe` with `*` and `**` patterns, `/meta/disconnect`.
//! Bodies are one message or a batch (an array). The CometD JavaScript client posts to
//! `…/handshake`, `…/connect`, `…/disconnect` and `…/`; other clients post everything to the
//! bare URL: all of them are one handler, which goes by each message's `channel`.
//!
//! A client is authenticated by its session's cookie (a handshake may instead carry HTTP Basic,
//! which signs in). Its messages come from the company's event log through the realtime hub
//! ([`crate::messages`] says which event becomes which message), so any node serves them; the
//! session records up to where they were delivered, so a client that handshakes again (on
//! another node, or after it was forgotten) resumes there and misses nothing.

mod channel;
mod clients;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};
use futures::FutureExt;
use serde_json::{Map, Value, json};
use switchboard_api::AppState;
use switchboard_domain::Error;
use switchboard_engine::sign_in::SessionActor;

use crate::Gws;
use crate::messages::{Context, notifications};
use crate::session::{self, Agent};
use clients::Client;
pub(crate) use clients::Clients;
use switchboard_domain::routing::InteractionState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v2/notifications", post(handle))
        .route("/api/v2/notifications/", post(handle))
        .route("/api/v2/notifications/{kind}", post(handle))
}

/// One request: its messages answered in order, a `/meta/connect` last (it may be held).
#[axum::debug_handler(state = AppState)]
async fn handle(
    State(state): State<AppState>,
    Extension(gws): Extension<Gws>,
    client_addr: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let messages = match parse(&body) {
        Ok(m) => m,
        Err(reason) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!([{ "successful": false, "error": format!("400::{reason}") }])),
            )
                .into_response();
        }
    };
    let mut request =
        Request { state: &state, gws: &gws, headers: &headers, addr: client_addr.map(|c| c.0.0), new_token: None };
    let mut replies = Vec::with_capacity(messages.len());
    let mut connect = None;
    for message in messages {
        if message.get("channel").and_then(Value::as_str) == Some("/meta/connect") && connect.is_none() {
            connect = Some(message);
            continue;
        }
        replies.push(request.dispatch(&message).await);
    }
    if let Some(message) = connect {
        replies.extend(request.connect(&message).await);
    }
    let mut res = Json(Value::Array(replies)).into_response();
    if let Some(token) = &request.new_token {
        session::set_cookie(&mut res, token);
    }
    res
}

/// A body of one message or an array of them, each an object.
fn parse(body: &[u8]) -> Result<Vec<Map<String, Value>>, &'static str> {
    let value: Value = serde_json::from_slice(body).map_err(|_| "Malformed message: the body is not JSON")?;
    let items = match value {
        Value::Array(items) => items,
        single @ Value::Object(_) => vec![single],
        _ => return Err("Malformed message: a message or an array of messages is expected"),
    };
    if items.is_empty() {
        return Err("Malformed message: the batch is empty");
    }
    items
        .into_iter()
        .map(|m| match m {
            Value::Object(m) => Ok(m),
            _ => Err("Malformed message: each message is an object"),
        })
        .collect()
}

struct Request<'a> {
    state: &'a AppState,
    gws: &'a Gws,
    headers: &'a HeaderMap,
    addr: Option<SocketAddr>,
    /// The token of a session a handshake opened with Basic credentials: its cookie is set.
    new_token: Option<switchboard_domain::secret::Secret>,
}

/// A reply to `message` on its channel, echoing its `id` and the client's.
fn reply(message: &Map<String, Value>, successful: bool) -> Map<String, Value> {
    let mut r = Map::new();
    r.insert("channel".into(), message.get("channel").cloned().unwrap_or(Value::Null));
    r.insert("successful".into(), Value::Bool(successful));
    for key in ["id", "clientId"] {
        if let Some(v) = message.get(key) {
            r.insert(key.into(), v.clone());
        }
    }
    r
}

fn failure(message: &Map<String, Value>, error: &str) -> Value {
    let mut r = reply(message, false);
    r.insert("error".into(), Value::String(error.into()));
    Value::Object(r)
}

/// What a client this node does not know (any more) is told: handshake again.
fn unknown_client(message: &Map<String, Value>) -> Value {
    let mut r = reply(message, false);
    r.insert("error".into(), "402::Unknown client".into());
    r.insert("advice".into(), json!({ "reconnect": "handshake", "interval": 0 }));
    Value::Object(r)
}

impl Request<'_> {
    fn advice(&self) -> Value {
        let timeout = u64::try_from(self.gws.options.connect_timeout.as_millis()).unwrap_or(u64::MAX);
        json!({ "reconnect": "retry", "interval": 0, "timeout": timeout })
    }

    /// The session of this request's cookie (or Basic credentials, on a handshake), with the
    /// CSRF check when protection is on; `Err` is the Bayeux error to answer.
    async fn session(&mut self, handshake: bool) -> Result<SessionActor, &'static str> {
        let headers = if handshake {
            self.headers.clone()
        } else {
            let mut h = self.headers.clone();
            h.remove(axum::http::header::AUTHORIZATION);
            h
        };
        let (Agent(agent), new_token) = match session::resolve(self.state, &headers, self.addr).await {
            Ok(found) => found,
            Err(Error::RateLimited(_)) => return Err("403::Too many failed sign-ins"),
            Err(Error::Unauthenticated) => return Err("401::Not authenticated"),
            Err(e) => {
                tracing::warn!(error = %e, "a CometD request could not be authenticated");
                return Err("500::Internal error");
            }
        };
        tracing::Span::current().record("company", tracing::field::display(&agent.actor.company_id));
        if self.gws.options.csrf && !session::csrf_ok(self.headers, &Agent(agent.clone())) {
            return Err("403::Missing or invalid Csrf token");
        }
        if new_token.is_some() {
            self.new_token = new_token;
        }
        Ok(agent)
    }

    /// The client a message names, if it is known here and belongs to the request's session.
    async fn client(&mut self, message: &Map<String, Value>) -> Result<Arc<Client>, Value> {
        let id = message.get("clientId").and_then(Value::as_str).unwrap_or_default();
        let client =
            self.gws.clients.get(id, self.gws.options.client_timeout).ok_or_else(|| unknown_client(message))?;
        match self.session(false).await {
            Ok(agent) if agent.session.id == client.session.id => Ok(client),
            Ok(_) => Err(unknown_client(message)),
            Err(error) => {
                // The session ended or expired: its clients are done.
                if error.starts_with("401") {
                    self.gws.clients.remove_session(&client.session.id);
                }
                Err(failure(message, error))
            }
        }
    }

    async fn dispatch(&mut self, message: &Map<String, Value>) -> Value {
        let Some(channel) = message.get("channel").and_then(Value::as_str) else {
            return failure(message, "400::Missing channel");
        };
        match channel {
            "/meta/handshake" => self.handshake(message).await,
            "/meta/subscribe" | "/meta/unsubscribe" => self.subscription(message, channel == "/meta/subscribe").await,
            "/meta/disconnect" => match self.client(message).await {
                Ok(client) => {
                    self.gws.clients.remove(&client.id);
                    Value::Object(reply(message, true))
                }
                Err(e) => e,
            },
            c if c.starts_with("/meta/") => failure(message, "400::Unknown meta channel"),
            _ => match self.client(message).await {
                Ok(_) => failure(message, "403::Publish denied"),
                Err(e) => e,
            },
        }
    }

    async fn handshake(&mut self, message: &Map<String, Value>) -> Value {
        if let Some(types) = message.get("supportedConnectionTypes").and_then(Value::as_array)
            && !types.iter().any(|t| t == "long-polling")
        {
            let mut r = reply(message, false);
            r.insert("error".into(), "301::Only long-polling is supported".into());
            r.insert("supportedConnectionTypes".into(), json!(["long-polling"]));
            r.insert("advice".into(), json!({ "reconnect": "none" }));
            return Value::Object(r);
        }
        let agent = match self.session(true).await {
            Ok(agent) => agent,
            Err(error) => {
                let mut r = reply(message, false);
                r.insert("error".into(), error.into());
                r.insert("advice".into(), json!({ "reconnect": "none" }));
                return Value::Object(r);
            }
        };
        // The session as stored now: it records up to where its last client was sent messages.
        let threads = match self.state.engine.my_interactions(&agent.actor).await {
            Ok(mine) => mine
                .into_iter()
                .filter(|i| i.state == InteractionState::Accepted)
                .map(|i| (i.thread_id, i.id))
                .collect(),
            Err(e) => {
                tracing::warn!(error = %e, "a CometD client's interactions cannot be read");
                return failure(message, "500::Internal error");
            }
        };
        let client = self.gws.clients.add(agent.session, threads, self.gws.options.client_timeout);
        let mut r = reply(message, true);
        r.insert("clientId".into(), client.id.clone().into());
        r.insert("version".into(), "1.0".into());
        r.insert("supportedConnectionTypes".into(), json!(["long-polling"]));
        r.insert("advice".into(), self.advice());
        Value::Object(r)
    }

    async fn subscription(&mut self, message: &Map<String, Value>, subscribe: bool) -> Value {
        let client = match self.client(message).await {
            Ok(c) => c,
            Err(e) => return e,
        };
        let patterns: Vec<&str> = match message.get("subscription") {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(items)) if !items.is_empty() => items.iter().filter_map(Value::as_str).collect(),
            _ => return failure(message, "403::Missing subscription"),
        };
        if patterns.iter().any(|p| !channel::is_valid(p)) {
            return failure(message, "405::Invalid channel");
        }
        if patterns.iter().any(|p| p.starts_with("/meta/")) {
            return failure(message, "403::Cannot subscribe to meta channels");
        }
        client.seen();
        for p in &patterns {
            if subscribe {
                client.subscribe(p);
            } else {
                client.unsubscribe(p);
            }
        }
        let mut r = reply(message, true);
        r.insert("subscription".into(), message.get("subscription").cloned().unwrap_or(Value::Null));
        Value::Object(r)
    }

    /// A `/meta/connect`: the client's messages so far, or those that come before the advised
    /// time-out, then the connect's reply. A client's first connect is answered at once.
    async fn connect(&mut self, message: &Map<String, Value>) -> Vec<Value> {
        let client = match self.client(message).await {
            Ok(c) => c,
            Err(e) => return vec![e],
        };
        let (generation, first, to_record) = client.start_connect();
        if let Some(seq) = to_record
            && let Err(e) = self.state.engine.session_delivered(&client.session, seq).await
        {
            tracing::warn!(error = %e, "cannot record a CometD session's delivered seq");
        }
        let mut out = Vec::new();
        let mut held = client.events.lock().await;
        if held.is_none() {
            match self.state.engine.follow_events(&client.session.company_id, Some(client.sent())).await {
                Ok(sub) => *held = Some(sub),
                Err(e) => {
                    tracing::warn!(error = %e, "a CometD client cannot follow its company's events");
                    return vec![failure(message, "500::Cannot read notifications")];
                }
            }
        }
        let events = held.as_mut().expect("set above");
        let wait = if first { Duration::ZERO } else { self.gws.options.connect_timeout };
        let deadline = tokio::time::Instant::now() + wait;
        let user = &client.session.user_id;
        let base = crate::me::base_uri(self.headers);
        let take_pushed = |out: &mut Vec<Value>| {
            for (channel, data) in client.take_pushed() {
                if client.wants(channel) {
                    out.push(json!({ "channel": channel, "data": data }));
                }
            }
        };
        loop {
            take_pushed(&mut out);
            let interrupted = client.interrupt.notified();
            tokio::pin!(interrupted);
            interrupted.as_mut().enable();
            if client.superseded(generation) || out.len() >= self.gws.options.max_batch {
                break;
            }
            // Once there is something to send, only what is already there joins it.
            let next = if out.is_empty() {
                tokio::select! {
                    e = events.next() => Some(e),
                    () = tokio::time::sleep_until(deadline) => None,
                    () = &mut interrupted => None,
                }
            } else {
                events.next().now_or_never()
            };
            match next {
                Some(Some(event)) => {
                    client.set_sent(event.seq);
                    let notifications = {
                        let mut threads = client.threads.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                        let mut cx = Context { user, threads: &mut threads, base: &base };
                        notifications(&event, &mut cx)
                    };
                    for n in notifications {
                        if client.wants(n.channel) {
                            out.push(json!({ "channel": n.channel, "data": n.data }));
                        }
                    }
                }
                // The stream ended: the server is shutting down; the client reconnects.
                Some(None) => {
                    *held = None;
                    break;
                }
                None => break,
            }
        }
        take_pushed(&mut out);
        let mut r = reply(message, true);
        r.insert("clientId".into(), client.id.clone().into());
        r.insert("advice".into(), self.advice());
        out.push(Value::Object(r));
        out
    }
}
