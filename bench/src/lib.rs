//! Shared pieces of the benchmark programs: a server on a fresh database, a bounded concurrent
//! load, and latency figures.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use switchboard::Server;
use switchboard::config::{Config, SecretsConfig};
use switchboard_engine::Engine;
use switchboard_engine::companies::CreatedCompany;
use switchboard_store::Backend;
use switchboard_store::testing::TestDb;

/// A Switchboard server on its own runtime (so the load generator does not share its
/// scheduler) over a fresh database.
pub struct BenchServer {
    pub addr: SocketAddr,
    pub engine: Engine,
    pub company: CreatedCompany,
    pub db: TestDb,
    runtime: tokio::runtime::Runtime,
}

impl BenchServer {
    pub fn start(backend: Backend, worker_threads: usize) -> anyhow::Result<Option<Self>> {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(worker_threads).enable_all().build()?;
        let Some(db) = runtime.block_on(TestDb::create(backend)) else { return Ok(None) };
        let config = Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: db.url.clone().into(),
            database_max_connections: 16,
            log_level: "warn".into(),
            secrets: SecretsConfig { key: db.secrets_key.clone() },
            ..Config::default()
        };
        let server = runtime.block_on(Server::build(&config))?;
        let (addr, engine) = (server.addr, server.engine.clone());
        let company = server.bootstrapped.clone().ok_or_else(|| anyhow::anyhow!("fresh database did not bootstrap"))?;
        runtime.spawn(async move {
            let _ = server.run(std::future::pending()).await;
        });
        Ok(Some(Self { addr, engine, company, db, runtime }))
    }

    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    pub fn stop(self) {
        let db = self.db;
        self.runtime.block_on(db.destroy());
        self.runtime.shutdown_timeout(Duration::from_secs(5));
    }
}

/// Latencies of one run, and how long it took.
pub struct Run {
    pub latencies: Vec<Duration>,
    pub failures: usize,
    pub elapsed: Duration,
}

impl Run {
    pub fn per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    pub fn percentile(&self, p: f64) -> Duration {
        let mut l = self.latencies.clone();
        l.sort();
        l.get(((l.len() as f64 * p).ceil() as usize).saturating_sub(1)).copied().unwrap_or_default()
    }

    pub fn line(&self, what: &str) -> String {
        format!(
            "{what:<28} {:>9.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms   p99.9 {:>7.2} ms   ({} requests, {} failed, {:.2} s)",
            self.per_second(),
            ms(self.percentile(0.50)),
            ms(self.percentile(0.99)),
            ms(self.percentile(0.999)),
            self.latencies.len(),
            self.failures,
            self.elapsed.as_secs_f64()
        )
    }
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Sends `requests.len()` requests with `concurrency` in flight, each built by `send(i)`; a
/// request counts as failed when `send` returns false.
pub async fn load<F, Fut>(requests: usize, concurrency: usize, send: F) -> Run
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let send = Arc::new(send);
    let start = Instant::now();
    let workers = (0..concurrency).map(|_| {
        let (next, send) = (next.clone(), send.clone());
        tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failures = 0;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= requests {
                    return (latencies, failures);
                }
                let t = Instant::now();
                if send(i).await {
                    latencies.push(t.elapsed());
                } else {
                    failures += 1;
                }
            }
        })
    });
    let mut run = Run { latencies: Vec::with_capacity(requests), failures: 0, elapsed: Duration::ZERO };
    for w in futures::future::join_all(workers).await {
        let (l, f) = w.expect("worker");
        run.latencies.extend(l);
        run.failures += f;
    }
    run.elapsed = start.elapsed();
    run
}

/// An HTTP client that keeps one connection per worker open.
pub fn client(concurrency: usize) -> reqwest::Client {
    reqwest::Client::builder().pool_max_idle_per_host(concurrency).build().expect("client")
}
