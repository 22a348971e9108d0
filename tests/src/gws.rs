//! An agent of the GWS facade (`/api/v2`) as tests drive it: signed in with Basic, then
//! carrying its `JSESSIONID` cookie (and its CSRF token, when the server sends one), and a plain
//! HTTP Bayeux client for its CometD notifications.

use base64::Engine as _;
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

use crate::{Tenant, TestApp};

/// `Authorization: Basic …` for `user` and `password`.
pub fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

/// The `JSESSIONID` value a response sets, if it sets one.
pub fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("JSESSIONID=").map(|rest| rest.split(';').next().unwrap_or_default().to_owned()))
        .filter(|v| !v.is_empty())
}

/// A signed-in agent.
#[derive(Debug, Clone)]
pub struct GwsSession {
    pub cookie: String,
    /// The CSRF token the sign-in's GET answered, when protection is on.
    pub csrf: Option<String>,
    pub user: Value,
}

impl TestApp {
    /// Adds a user to `tenant` with `password` (set by the owner through the native API) and
    /// returns its id.
    pub async fn add_agent(&self, tenant: &Tenant, first_name: &str, email: &str, password: &str) -> String {
        let id = self.add_user(tenant, first_name, email).await;
        self.set_password(tenant, &id, password).await;
        id
    }

    pub async fn set_password(&self, tenant: &Tenant, user_id: &str, password: &str) {
        let res = self
            .native(Method::PUT, &format!("/v1/users/{user_id}/password"), tenant)
            .json(&json!({"password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204, "setting a password");
    }

    /// `GET /api/v2/me` with Basic credentials: the new session.
    pub async fn sign_in(&self, email: &str, password: &str) -> GwsSession {
        let res = self
            .request(Method::GET, "/api/v2/me")
            .header("Authorization", basic(email, password))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "signing in as {email}");
        let cookie = session_cookie(&res).expect("a JSESSIONID cookie");
        let csrf = res.headers().get("x-csrf-token").map(|v| v.to_str().unwrap().to_owned());
        let body: Value = res.json().await.unwrap();
        GwsSession { cookie, csrf, user: body["user"].clone() }
    }

    /// A request of the session, with its cookie and CSRF token.
    pub fn gws(&self, method: Method, path: &str, session: &GwsSession) -> RequestBuilder {
        let mut req = self.request(method, path).header("Cookie", format!("JSESSIONID={}", session.cookie));
        if let Some(token) = &session.csrf {
            req = req.header("X-CSRF-TOKEN", token);
        }
        req
    }

    /// `POST path` with `body`: the status and the JSON answer.
    pub async fn gws_post(&self, path: &str, session: &GwsSession, body: Value) -> (u16, Value) {
        let res = self.gws(Method::POST, path, session).json(&body).send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Posts a Bayeux message or batch to `/api/v2/notifications{suffix}` as the session; the
    /// answer's messages.
    pub async fn bayeux(&self, session: &GwsSession, suffix: &str, body: Value) -> Vec<Value> {
        let res = self
            .gws(Method::POST, &format!("/api/v2/notifications{suffix}"), session)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "a Bayeux request");
        res.json::<Vec<Value>>().await.unwrap()
    }

    /// Handshakes as the session; the new client's id.
    pub async fn handshake(&self, session: &GwsSession) -> String {
        let replies = self
            .bayeux(
                session,
                "/handshake",
                json!([{"channel": "/meta/handshake", "version": "1.0", "supportedConnectionTypes": ["long-polling"]}]),
            )
            .await;
        assert_eq!(replies[0]["successful"], true, "{replies:?}");
        replies[0]["clientId"].as_str().unwrap().to_owned()
    }

    pub async fn subscribe(&self, session: &GwsSession, client: &str, subscription: &str) {
        let replies = self
            .bayeux(
                session,
                "/",
                json!([{"channel": "/meta/subscribe", "clientId": client, "subscription": subscription}]),
            )
            .await;
        assert_eq!(replies[0]["successful"], true, "{replies:?}");
    }

    /// One `/meta/connect`: the messages it delivered (the connect's own reply left out, and
    /// checked to be successful).
    pub async fn connect(&self, session: &GwsSession, client: &str) -> Vec<Value> {
        let mut replies = self
            .bayeux(
                session,
                "/connect",
                json!([{"channel": "/meta/connect", "clientId": client, "connectionType": "long-polling"}]),
            )
            .await;
        let reply = replies.pop().expect("a connect reply");
        assert_eq!(reply["channel"], "/meta/connect", "{reply}");
        assert_eq!(reply["successful"], true, "{reply}");
        replies
    }
}

impl TestApp {
    /// Connects again and again until a delivered message satisfies `done`; every message
    /// delivered until then. Fails after 20 seconds.
    pub async fn connect_until(&self, session: &GwsSession, client: &str, done: impl Fn(&Value) -> bool) -> Vec<Value> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let mut seen = Vec::new();
        while std::time::Instant::now() < deadline {
            let messages = self.connect(session, client).await;
            let found = messages.iter().any(&done);
            seen.extend(messages);
            if found {
                return seen;
            }
        }
        panic!("no such message within 20 s; delivered: {seen:?}");
    }

    /// Posts a Bayeux body as the session, whatever the answer: its status and messages.
    pub async fn bayeux_raw(&self, session: &GwsSession, suffix: &str, body: Value) -> (u16, Vec<Value>) {
        let res = self
            .gws(Method::POST, &format!("/api/v2/notifications{suffix}"), session)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json::<Vec<Value>>().await.unwrap())
    }
}

/// Whether a CometD message is a `ChannelStateChangeMessageV2` putting `channel` in `state`.
pub fn is_channel_state(message: &Value, channel: &str, state: &str) -> bool {
    message["channel"] == "/v2/me/channels"
        && message["data"]["messageType"] == "ChannelStateChangeMessageV2"
        && message["data"]["channels"]
            .as_array()
            .is_some_and(|cs| cs.iter().any(|c| c["channel"] == channel && c["userState"]["state"] == state))
}
