//! Switchboard's use cases. Facades call these with parsed domain values; every write happens
//! in one transaction together with the events it raises.

pub mod auth;
pub mod channels;
pub mod companies;
pub mod conversations;
pub mod files;
mod http;
pub mod jobs;
pub mod locations;
pub mod outbound;
pub mod realtime;
pub mod routing;
pub mod sign_in;
pub mod sources;
pub mod texting;
pub mod users;
pub mod webhooks;

use std::sync::Arc;

use switchboard_domain::Result;
use switchboard_store::{Committed, Store};
use tokio::sync::broadcast;

pub use auth::Actor;

/// How the engine calls the outside world. Defaults suit production; tests shorten delays.
#[derive(Debug, Clone, Default)]
pub struct EngineOptions {
    pub sdk: channels::sdk::client::SdkOptions,
    pub webhooks: webhooks::WebhookOptions,
    pub outbound: outbound::OutboundOptions,
    pub realtime: realtime::RealtimeOptions,
    pub files: files::FileOptions,
    pub public_url: PublicUrl,
    pub sessions: sign_in::SessionOptions,
    pub routing: routing::RoutingOptions,
}

/// The URL this server is reached at from outside (`http.public_url`), which a proxy makes
/// differ from the listen address: links handed out (signed file links) are made under it, and
/// carriers' webhook signatures, computed over the URL they called, are checked against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl(url::Url);

impl PublicUrl {
    pub fn new(url: url::Url) -> Self {
        Self(url)
    }

    pub fn url(&self) -> &url::Url {
        &self.0
    }

    /// The absolute URL of `path` (from its `/`, with any query): under the base URL's own
    /// path, if it has one (a proxy that serves this server under `/switchboard` strips it).
    pub fn join(&self, path: &str) -> String {
        format!("{}{path}", self.0.as_str().trim_end_matches('/'))
    }
}

impl Default for PublicUrl {
    fn default() -> Self {
        Self(url::Url::parse("http://127.0.0.1:8080").expect("a valid URL"))
    }
}

/// The entry point to every use case. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    store: Store,
    sdk: channels::sdk::Runtime,
    webhooks: Arc<webhooks::Webhooks>,
    /// Checks every URL this server is given to call.
    outbound: outbound::Guard,
    /// Commits made by other nodes (PostgreSQL NOTIFY).
    remote_commits: broadcast::Sender<Committed>,
    realtime: realtime::Hub,
    files: Arc<files::Files>,
    public_url: PublicUrl,
    routing: routing::RoutingOptions,
    /// Set when the server shuts down, to end live streams (they would hold it open forever).
    closing: Arc<tokio::sync::watch::Sender<bool>>,
    /// How long agents' sessions last and how failed sign-ins are slowed down.
    sessions: Arc<sign_in::SessionOptions>,
}

impl Engine {
    /// Builds the engine and starts its background writer; call within a Tokio runtime. Fails
    /// when an HTTP client cannot be built: better at start-up than at the first delivery.
    pub fn new(store: Store, options: EngineOptions) -> Result<Self> {
        let outbound = outbound::Guard::new(&options.outbound);
        let sdk = channels::sdk::Runtime::start(&store, options.sdk, &outbound)?;
        let webhooks = webhooks::Webhooks::new(options.webhooks, &outbound)?;
        let link_keys = store.secrets().derive(files::LINK_KEY_PURPOSE);
        let files = Arc::new(files::Files::new(options.files, link_keys, &outbound)?);
        let remote_commits = switchboard_store::notify::relay(&store);
        let realtime = realtime::Hub::start(store.subscribe_committed(), remote_commits.subscribe(), options.realtime);
        let closing = Arc::new(tokio::sync::watch::channel(false).0);
        let sessions = Arc::new(options.sessions);
        let public_url = options.public_url;
        let routing = options.routing;
        Ok(Self {
            store,
            sdk,
            webhooks,
            outbound,
            remote_commits,
            realtime,
            files,
            public_url,
            routing,
            closing,
            sessions,
        })
    }

    /// Connector answers accepted with a wrong or missing signature since start.
    pub fn sdk_signature_mismatches(&self) -> u64 {
        self.sdk.connector.signature_mismatches.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Ends every live event stream (socket.io, SSE): the server is shutting down, and clients
    /// will resume from their last seq elsewhere.
    pub fn close_streams(&self) {
        self.closing.send_replace(true);
    }

    /// Resolves once [`Engine::close_streams`] has been called.
    pub async fn streams_closing(&self) {
        let mut closing = self.closing.subscribe();
        let _ = closing.wait_for(|c| *c).await;
    }

    /// Wakes on commits made by other nodes; local ones are [`Store::subscribe_committed`].
    pub fn wakeups(&self) -> broadcast::Receiver<Committed> {
        self.remote_commits.subscribe()
    }

    /// The URL this server is reached at from outside.
    pub fn public_url(&self) -> &PublicUrl {
        &self.public_url
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
}
