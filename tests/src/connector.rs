//! A Channel SDK connector for tests: a real HTTP server on a loopback port that verifies the
//! platform's signed requests over the raw bytes, serves `list` pages from its items honouring
//! `since_id`, answers scripted replies, and records every request.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::sign;

/// A scripted answer.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A JSON body with this status, correctly signed.
    Json(u16, Value),
    /// A raw body with this status and this signature header (`None`: no header).
    Raw(u16, String, Option<String>),
    /// No answer until the platform gives up.
    Hang,
}

/// A request the connector received.
#[derive(Debug, Clone)]
pub struct Received {
    pub action: String,
    pub params: Value,
    pub raw_body: String,
    pub query: Option<String>,
    /// Whether the header or `?signature=` verified over the raw body.
    pub signature_valid: bool,
}

#[derive(Default)]
struct Inner {
    token: String,
    info: Value,
    /// Items of each collection, newest first.
    items: HashMap<String, Vec<Value>>,
    page_size: usize,
    scripts: HashMap<String, VecDeque<Reply>>,
    received: Vec<Received>,
    created: usize,
}

#[derive(Clone)]
pub struct FakeConnector {
    pub addr: SocketAddr,
    state: Arc<Mutex<Inner>>,
}

impl FakeConnector {
    /// Starts a connector that declares `info` and signs with `token`.
    pub async fn start(token: &str, info: Value) -> Self {
        let state = Arc::new(Mutex::new(Inner { token: token.into(), info, page_size: 100, ..Inner::default() }));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new().route("/", axum::routing::post(handle)).with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { addr, state }
    }

    pub fn base_uri(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Replaces the connector's token (it must match the source's, which is generated).
    pub fn set_token(&self, token: &str) {
        self.state.lock().unwrap().token = token.into();
    }

    /// Sets a collection's items, newest first.
    pub fn set_items(&self, collection: &str, items: Vec<Value>) {
        self.state.lock().unwrap().items.insert(collection.into(), items);
    }

    pub fn set_page_size(&self, n: usize) {
        self.state.lock().unwrap().page_size = n;
    }

    /// Queues answers to `action`, used before the default behaviour.
    pub fn script(&self, action: &str, replies: Vec<Reply>) {
        self.state.lock().unwrap().scripts.entry(action.into()).or_default().extend(replies);
    }

    pub fn received(&self, action: &str) -> Vec<Received> {
        self.state.lock().unwrap().received.iter().filter(|r| r.action == action).cloned().collect()
    }
}

async fn handle(
    State(state): State<Arc<Mutex<Inner>>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let action = parsed["action"].as_str().unwrap_or_default().to_owned();
    let params = parsed.get("params").cloned().unwrap_or(Value::Null);
    let (reply, token) = {
        let mut s = state.lock().unwrap();
        let header_sig = headers.get("x-smccsdk-signature").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let query_sig =
            query.as_deref().and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("signature=")).map(str::to_owned));
        let expected = sign(&s.token, &body);
        let signature_valid = [header_sig, query_sig].into_iter().flatten().any(|sig| sig == expected);
        s.received.push(Received {
            action: action.clone(),
            params: params.clone(),
            raw_body: String::from_utf8_lossy(&body).into_owned(),
            query: query.clone(),
            signature_valid,
        });
        let scripted = s.scripts.get_mut(&action).and_then(VecDeque::pop_front);
        let reply = match scripted {
            Some(r) => r,
            None => default_reply(&mut s, &action, &params),
        };
        (reply, s.token.clone())
    };
    match reply {
        Reply::Json(status, v) => {
            let body = serde_json::to_vec(&v).unwrap();
            let sig = sign(&token, &body);
            (
                StatusCode::from_u16(status).unwrap(),
                [("content-type", "application/json"), ("x-smccsdk-signature", sig.as_str())],
                body,
            )
                .into_response()
        }
        Reply::Raw(status, body, sig) => {
            let mut res = (StatusCode::from_u16(status).unwrap(), body).into_response();
            if let Some(sig) = sig {
                res.headers_mut().insert("x-smccsdk-signature", sig.parse().unwrap());
            }
            res
        }
        Reply::Hang => {
            std::future::pending::<()>().await;
            unreachable!()
        }
    }
}

fn default_reply(s: &mut Inner, action: &str, params: &Value) -> Reply {
    if action == "implementation.info" {
        return Reply::Json(200, s.info.clone());
    }
    let (collection, op) = action.split_once('.').unwrap_or((action, ""));
    match op {
        "list" => {
            let all = s.items.get(collection).cloned().unwrap_or_default();
            // Newer than since_id (all when absent or unknown); the oldest page of those,
            // still newest first.
            let newer: Vec<Value> = match params.get("since_id").and_then(Value::as_str) {
                Some(since) => match all.iter().position(|i| i["id"] == since) {
                    Some(at) => all[..at].to_vec(),
                    None => all,
                },
                None => all,
            };
            let start = newer.len().saturating_sub(s.page_size);
            Reply::Json(200, Value::Array(newer[start..].to_vec()))
        }
        "create" => {
            s.created += 1;
            Reply::Json(200, json!({"id": format!("created-{}", s.created), "body": params["body"]}))
        }
        _ => Reply::Json(200, json!({"id": params["id"]})),
    }
}
