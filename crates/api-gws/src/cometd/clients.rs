//! This node's CometD clients: what each subscribed to, where it is in its company's event log,
//! and its one held `/meta/connect`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;
use switchboard_domain::session::AgentSession;
use switchboard_domain::{InteractionId, ThreadId};
use switchboard_engine::realtime::Subscription;
use tokio::sync::Notify;

/// One handshaken client. Its events come from a subscription to the company's log kept across
/// its connects, so a client that is away between two connects misses nothing: the subscription
/// reads from the log what the in-memory feed no longer holds.
pub(crate) struct Client {
    pub(crate) id: String,
    pub(crate) session: AgentSession,
    state: Mutex<ClientState>,
    /// The events of the company after the client's position; taken by the connect being held.
    pub(crate) events: tokio::sync::Mutex<Option<Subscription>>,
    /// Rung to end the connect being held: a newer connect of the client, its disconnect, or a
    /// message pushed to it.
    pub(crate) interrupt: Notify,
    /// The threads of the interactions the agent has accepted, whose new customer messages
    /// the client is sent; kept up to date from the events it reads.
    pub(crate) threads: Mutex<HashMap<ThreadId, InteractionId>>,
    /// Messages that are answers to the agent's own requests (`GetWorkbinContent`), not events.
    pushed: Mutex<Vec<(&'static str, Value)>>,
}

struct ClientState {
    subscriptions: Vec<String>,
    last_seen: Instant,
    /// The seq up to which events were considered for the client's last answer.
    sent: i64,
    /// The seq recorded on the session as delivered.
    recorded: i64,
    /// Whether the client has connected once (the first connect is answered at once).
    connected: bool,
    /// Counts the client's connects: a held connect ends when a newer one starts.
    generation: u64,
    gone: bool,
}

impl Client {
    pub(crate) fn new(id: String, session: AgentSession, threads: HashMap<ThreadId, InteractionId>) -> Self {
        let seq = session.delivered_seq;
        Self {
            id,
            session,
            state: Mutex::new(ClientState {
                subscriptions: Vec::new(),
                last_seen: Instant::now(),
                sent: seq,
                recorded: seq,
                connected: false,
                generation: 0,
                gone: false,
            }),
            events: tokio::sync::Mutex::new(None),
            interrupt: Notify::new(),
            threads: Mutex::new(threads),
            pushed: Mutex::new(Vec::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, ClientState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn seen(&self) {
        self.lock().last_seen = Instant::now();
    }

    pub(crate) fn subscribe(&self, pattern: &str) {
        let mut s = self.lock();
        if !s.subscriptions.iter().any(|p| p == pattern) {
            s.subscriptions.push(pattern.to_owned());
        }
    }

    pub(crate) fn unsubscribe(&self, pattern: &str) {
        self.lock().subscriptions.retain(|p| p != pattern);
    }

    /// Whether the client subscribed to a pattern covering `channel`.
    pub(crate) fn wants(&self, channel: &str) -> bool {
        self.lock().subscriptions.iter().any(|p| super::channel::matches(p, channel))
    }

    /// Marks the start of a connect, ending the one held before it. Returns the connect's
    /// generation, whether it is the client's first, and the seq that the previous answer
    /// reached if it is not recorded on the session yet (the client asking again means it got
    /// that answer).
    pub(crate) fn start_connect(&self) -> (u64, bool, Option<i64>) {
        let mut s = self.lock();
        s.last_seen = Instant::now();
        s.generation += 1;
        let first = !s.connected;
        s.connected = true;
        let to_record = (s.sent > s.recorded).then_some(s.sent);
        if let Some(seq) = to_record {
            s.recorded = seq;
        }
        let generation = s.generation;
        drop(s);
        self.interrupt.notify_waiters();
        (generation, first, to_record)
    }

    /// Whether the connect of `generation` must end now: a newer one started, or the client is
    /// gone.
    pub(crate) fn superseded(&self, generation: u64) -> bool {
        let s = self.lock();
        s.gone || s.generation != generation
    }

    /// Takes the messages pushed to the client.
    pub(crate) fn take_pushed(&self) -> Vec<(&'static str, Value)> {
        std::mem::take(&mut *self.pushed.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    pub(crate) fn sent(&self) -> i64 {
        self.lock().sent
    }

    pub(crate) fn set_sent(&self, seq: i64) {
        let mut s = self.lock();
        s.sent = s.sent.max(seq);
        s.last_seen = Instant::now();
    }
}

/// The clients of this node by id.
#[derive(Default)]
pub(crate) struct Clients {
    by_id: Mutex<HashMap<String, Arc<Client>>>,
}

impl Clients {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Arc<Client>>> {
        self.by_id.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers a new client of `session`, forgetting the clients not seen for `timeout`.
    pub(crate) fn add(
        &self,
        session: AgentSession,
        threads: HashMap<ThreadId, InteractionId>,
        timeout: Duration,
    ) -> Arc<Client> {
        let id = hex::encode(rand::random::<[u8; 20]>());
        let client = Arc::new(Client::new(id.clone(), session, threads));
        let mut by_id = self.lock();
        by_id.retain(|_, c| {
            let keep = c.lock().last_seen.elapsed() < timeout;
            if !keep {
                c.lock().gone = true;
                c.interrupt.notify_waiters();
            }
            keep
        });
        by_id.insert(id, client.clone());
        client
    }

    /// The client with this id, if it is known here and still within `timeout`.
    pub(crate) fn get(&self, id: &str, timeout: Duration) -> Option<Arc<Client>> {
        let mut by_id = self.lock();
        let client = by_id.get(id)?.clone();
        if client.lock().last_seen.elapsed() >= timeout {
            by_id.remove(id);
            client.lock().gone = true;
            return None;
        }
        Some(client)
    }

    /// Forgets a client and ends its held connect.
    pub(crate) fn remove(&self, id: &str) {
        if let Some(client) = self.lock().remove(id) {
            client.lock().gone = true;
            client.interrupt.notify_waiters();
        }
    }

    /// Sends messages to the session's clients on this node, with their next connect.
    pub(crate) fn push(&self, session_id: &str, messages: Vec<(&'static str, Value)>) {
        for client in self.lock().values().filter(|c| c.session.id == session_id) {
            client.pushed.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).extend(messages.iter().cloned());
            client.interrupt.notify_waiters();
        }
    }

    /// Forgets every client of a session (it ended).
    pub(crate) fn remove_session(&self, session_id: &str) {
        let mut by_id = self.lock();
        by_id.retain(|_, c| {
            let keep = c.session.id != session_id;
            if !keep {
                c.lock().gone = true;
                c.interrupt.notify_waiters();
            }
            keep
        });
    }
}
