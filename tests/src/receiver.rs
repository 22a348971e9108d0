//! A real HTTP receiver for webhook deliveries: an axum server on a random port that records
//! every request and answers as the test tells it to (succeed, fail, hang, be gone).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::any;
use serde_json::Value;

/// How the receiver answers deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Ok,
    Fail(u16),
    /// Answers only after this long (longer than the server's timeout).
    Hang(Duration),
}

/// A request the receiver got, and what it answered.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// The status answered; 0 for a request held until the server gave up.
    pub answered: u16,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON delivery body")
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

#[derive(Default)]
struct Shared {
    mode: Option<Mode>,
    received: Vec<Received>,
    /// The verify token a handshake must carry for the receiver to echo the challenge.
    verify_token: Option<String>,
}

#[derive(Clone)]
pub struct Receiver {
    pub addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// On a given address: a receiver that "comes back" after being down listens where it did.
    pub async fn start_on(addr: SocketAddr) -> Receiver {
        let shared = Arc::new(Mutex::new(Shared { mode: Some(Mode::Ok), ..Default::default() }));
        let listener = tokio::net::TcpListener::bind(addr).await.expect("receiver binds");
        let addr = listener.local_addr().unwrap();
        let app = Router::new().route("/{*path}", any(handle)).route("/", any(handle)).with_state(shared.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        Receiver { addr, shared }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    pub fn set_mode(&self, mode: Mode) {
        self.shared.lock().unwrap().mode = Some(mode);
    }

    pub fn expect_verify_token(&self, token: &str) {
        self.shared.lock().unwrap().verify_token = Some(token.to_owned());
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().unwrap().received.clone()
    }

    /// The deliveries it accepted (answered 2xx), in arrival order.
    pub fn accepted(&self) -> Vec<Received> {
        self.received().into_iter().filter(|r| (200..300).contains(&r.answered)).collect()
    }

    /// Waits until `cond` holds of what was received; fails the test after a generous bound.
    pub async fn wait_for(&self, what: &str, cond: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        for _ in 0..600 {
            let got = self.received();
            if cond(&got) {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the receiver never saw {what}; got {:?}",
            self.received()
                .iter()
                .map(|r| (r.answered, String::from_utf8_lossy(&r.body).into_owned()))
                .collect::<Vec<_>>()
        );
    }
}

async fn handle(
    State(shared): State<Arc<Mutex<Shared>>>,
    Query(q): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let (mode, verify) = {
        let s = shared.lock().unwrap();
        (s.mode.unwrap_or(Mode::Ok), s.verify_token.clone())
    };
    if let Some(challenge) = get("hub.challenge") {
        let ok =
            get("hub.mode").as_deref() == Some("subscribe") && verify.is_some() && get("hub.verify_token") == verify;
        return if ok { (StatusCode::OK, challenge) } else { (StatusCode::FORBIDDEN, "wrong token".into()) };
    }
    let code = match mode {
        Mode::Ok => 200,
        Mode::Fail(code) => code,
        Mode::Hang(d) => {
            // Recorded on arrival: the server gives up first, and the answer is never read.
            shared.lock().unwrap().received.push(Received { headers, body: body.to_vec(), answered: 0 });
            tokio::time::sleep(d).await;
            return (StatusCode::OK, String::new());
        }
    };
    shared.lock().unwrap().received.push(Received { headers, body: body.to_vec(), answered: code });
    (StatusCode::from_u16(code).unwrap(), String::new())
}

/// Checks a Standard Webhooks signature header against `secret`, independently of the
/// server's code: true if one of its `v1,` signatures matches.
pub fn signature_valid(secret: &str, r: &Received) -> bool {
    use base64::Engine as _;
    use hmac::Mac;
    let key = base64::engine::general_purpose::STANDARD.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.", r.header("webhook-id"), r.header("webhook-timestamp")).as_bytes());
    mac.update(&r.body);
    let expected = format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()));
    r.header("webhook-signature").split(' ').any(|s| s == expected)
}
