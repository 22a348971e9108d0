//! A minimal socket.io client (protocol 5 over engine.io 4, long-polling transport), written
//! here from the protocol rather than taken from the server's library: it polls only when the
//! test says so, which is how a test makes a client fall behind.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;

const MINUTE: Duration = Duration::from_secs(60);

/// What the server sent, one socket.io packet (or engine.io control packet) each.
#[derive(Debug, Clone, PartialEq)]
pub enum Packet {
    /// The namespace connection was accepted (`40`).
    Connected,
    /// An event with its first argument (`42["name", data]`).
    Event(String, Value),
    /// The server disconnected the socket from the namespace (`41`).
    Disconnected,
    /// The namespace connection was refused (`44`).
    ConnectError(Value),
    /// engine.io closed the session (`1`).
    Closed,
}

pub struct SocketIoClient {
    http: reqwest::Client,
    url: String,
    /// Packets received and not taken yet.
    received: Mutex<VecDeque<Packet>>,
}

impl SocketIoClient {
    /// Opens an engine.io session at `base` (`http://host:port`) and connects to the default
    /// namespace with `auth` as the handshake payload.
    pub async fn connect(base: &str, auth: &Value) -> Self {
        let http = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
        let open = http.get(format!("{base}/ws/?EIO=4&transport=polling")).send().await.unwrap();
        assert_eq!(open.status(), 200, "engine.io handshake");
        let text = open.text().await.unwrap();
        let handshake: Value = serde_json::from_str(text.strip_prefix('0').expect("an open packet")).unwrap();
        let sid = handshake["sid"].as_str().expect("a sid").to_owned();
        let client =
            Self { http, url: format!("{base}/ws/?EIO=4&transport=polling&sid={sid}"), received: Mutex::default() };
        client.send(&format!("40{auth}")).await;
        client
    }

    async fn send(&self, payload: &str) {
        let res = self.http.post(&self.url).body(payload.to_owned()).send().await.unwrap();
        assert_eq!(res.status(), 200, "engine.io accepted {payload:?}");
    }

    /// One long poll: what the server has queued (pings answered). `Err(status)` when the
    /// session is no more.
    async fn poll(&self) -> Result<Vec<Packet>, u16> {
        let res = tokio::time::timeout(MINUTE, self.http.get(&self.url).send())
            .await
            .expect("a poll is answered within a minute")
            .unwrap();
        if res.status() != 200 {
            return Err(res.status().as_u16());
        }
        let body = res.text().await.unwrap();
        let mut packets = Vec::new();
        for raw in body.split('\u{1e}') {
            match raw.split_at(raw.len().min(1)) {
                ("2", _) => self.send("3").await,
                ("1", _) => packets.push(Packet::Closed),
                ("4", message) => packets.push(parse_message(message)),
                _ => {}
            }
        }
        Ok(packets)
    }

    /// The next packet: one already received, or from the next polls. Fails the test if none
    /// comes within a minute, or the session is no more.
    pub async fn next(&self) -> Packet {
        loop {
            if let Some(packet) = self.received.lock().unwrap().pop_front() {
                return packet;
            }
            let packets = tokio::time::timeout(MINUTE, self.poll())
                .await
                .expect("a packet within a minute")
                .expect("the session is open");
            self.received.lock().unwrap().extend(packets);
        }
    }

    /// The packets up to `n` events, or up to the socket's disconnection (excluded); what came
    /// after stays for the next call. Fails the test if that takes over a minute.
    pub async fn take_events(&self, n: usize) -> Vec<Packet> {
        let take = async {
            let mut seen = Vec::new();
            let mut events = 0;
            while events < n {
                match self.next().await {
                    Packet::Disconnected | Packet::Closed => break,
                    packet => {
                        events += usize::from(matches!(packet, Packet::Event(..)));
                        seen.push(packet);
                    }
                }
            }
            seen
        };
        tokio::time::timeout(MINUTE, take).await.unwrap_or_else(|_| panic!("{n} events within a minute"))
    }

    /// The packets up to the server's disconnection of the socket. Fails the test if it does not
    /// come within a minute.
    pub async fn until_disconnected(&self) -> Vec<Packet> {
        let take = async {
            let mut seen = Vec::new();
            loop {
                match self.next().await {
                    Packet::Disconnected | Packet::Closed => return seen,
                    packet => seen.push(packet),
                }
            }
        };
        tokio::time::timeout(MINUTE, take).await.expect("the server disconnects the socket within a minute")
    }

    /// Emits an event with `data` to the server (no acknowledgement asked).
    pub async fn emit(&self, event: &str, data: &Value) {
        self.send(&format!("42{}", serde_json::json!([event, data]))).await;
    }

    /// The next event called `name`, skipping the others. Fails the test if none comes within
    /// a minute.
    pub async fn next_event(&self, name: &str) -> Value {
        let find = async {
            loop {
                match self.next().await {
                    Packet::Event(n, data) if n == name => return data,
                    Packet::Disconnected | Packet::Closed => panic!("disconnected before {name}"),
                    _ => {}
                }
            }
        };
        tokio::time::timeout(MINUTE, find).await.unwrap_or_else(|_| panic!("{name} within a minute"))
    }

    /// Closes the engine.io session, as a client leaving does.
    pub async fn close(self) {
        self.send("1").await;
    }
}

fn parse_message(message: &str) -> Packet {
    match message.split_at(message.len().min(1)) {
        ("0", _) => Packet::Connected,
        ("1", _) => Packet::Disconnected,
        ("2", data) => {
            let args: Vec<Value> = serde_json::from_str(data).expect("an event array");
            Packet::Event(args[0].as_str().expect("an event name").to_owned(), args.get(1).cloned().unwrap_or_default())
        }
        ("4", data) => Packet::ConnectError(serde_json::from_str(data).unwrap_or_default()),
        (other, _) => panic!("unexpected socket.io packet type {other:?}"),
    }
}

/// The events among `packets`, as (name, data).
pub fn events(packets: &[Packet]) -> Vec<(String, Value)> {
    packets
        .iter()
        .filter_map(|p| match p {
            Packet::Event(name, data) => Some((name.clone(), data.clone())),
            _ => None,
        })
        .collect()
}
