//! Start-up wiring shared by the `switchboard` binary and the black-box tests.

pub mod config;
mod http;
pub mod secrets;
mod serve;

use std::future::Future;
use std::net::SocketAddr;

use anyhow::Context;
use switchboard_api::AppState;
use switchboard_engine::companies::CreatedCompany;
use switchboard_engine::jobs::Runner;
use switchboard_engine::routing::Intake;
use switchboard_engine::webhooks::Dispatcher;
use switchboard_engine::{Engine, EngineOptions};
use switchboard_store::{Store, StoreOptions};
use tokio::net::TcpListener;

use crate::config::{Config, PublicUrl};

/// Connects to the configured database, brings its schema up to date, and readies its stored
/// secrets for this node's keys (refusing a database sealed with keys this node lacks).
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let store = migrated_store(config).await?;
    let prepared = store.prepare_secrets().await.context("cannot use the stored secrets")?;
    if prepared.sealed > 0 {
        tracing::info!(count = prepared.sealed, "sealed the secrets an earlier version stored in clear");
    }
    if prepared.under_older_keys > 0 {
        tracing::info!(
            count = prepared.under_older_keys,
            "secrets are sealed with an older secrets key: `switchboard secrets rotate` seals them with the current one"
        );
    }
    Ok(store)
}

/// Connects to the configured database, with this node's secrets keys, and brings its schema
/// up to date.
pub async fn migrated_store(config: &Config) -> anyhow::Result<Store> {
    let opts = StoreOptions {
        max_connections: config.database_max_connections,
        secrets: secrets::keyring(config)?,
        ..StoreOptions::default()
    };
    let store = Store::connect(config.database_url.as_str(), &opts).await.context("cannot open the database")?;
    store.migrate().await.context("cannot migrate the database")?;
    Ok(store)
}

/// A server bound to its address, ready to run.
pub struct Server {
    pub engine: Engine,
    pub addr: SocketAddr,
    /// The company made on the first start against an empty database, if this start made it.
    pub bootstrapped: Option<CreatedCompany>,
    listener: TcpListener,
    config: Config,
}

impl Server {
    pub async fn build(config: &Config) -> anyhow::Result<Server> {
        let store = open_store(config).await?;
        let listener =
            TcpListener::bind(config.bind).await.with_context(|| format!("cannot listen on {}", config.bind))?;
        let addr = listener.local_addr()?;
        // Bound first: with port 0, or no `http.public_url`, links are made under the address
        // actually listened on.
        let public_url = config.http.public_url(addr);
        if config.http.public_url == PublicUrl::default() && !addr.ip().is_loopback() {
            tracing::warn!(%public_url, "http.public_url is not set: links handed to carriers and clients point at the listen address");
        }
        let options =
            EngineOptions { public_url: switchboard_engine::PublicUrl::new(public_url), ..config.engine_options() };
        let engine = Engine::new(store, options).context("cannot start the engine")?;
        let bootstrapped = engine.bootstrap().await.context("cannot create the first company")?;
        engine.schedule_polled_sources().await.context("cannot schedule the polling of sources")?;
        Ok(Server { engine, addr, bootstrapped, listener, config: config.clone() })
    }

    /// Serves until `shutdown` resolves, then finishes the requests in flight and the jobs
    /// under way.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let jobs = self.config.jobs.options();
        if jobs.workers == 0 {
            tracing::warn!(
                "jobs.workers is 0: this node runs no jobs (syncs, exports, webhook deliveries); another node must"
            );
        }
        let runner = Runner::start(self.engine.store().clone(), self.engine.job_handlers(), jobs);
        let dispatcher = Dispatcher::start(self.engine.clone());
        let intake = Intake::start(self.engine.clone());
        let state = AppState::new(self.engine.clone());
        let metrics = state.metrics.clone();
        let app = http::app(state, &self.config);
        tracing::info!(addr = %self.addr, "serving");
        let engine = self.engine.clone();
        let shutdown = async move {
            shutdown.await;
            engine.close_streams();
        };
        serve::serve(self.listener, app, &self.config.http, metrics, shutdown).await;
        dispatcher.stop().await;
        intake.stop().await;
        runner.stop().await;
        self.engine.store().close().await;
        Ok(())
    }
}
