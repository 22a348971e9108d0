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

/// The real `switchboard` binary as a process of its own (so that its memory can be measured
/// apart from the load generator's), serving a fresh SQLite database in a temporary directory.
pub struct Process {
    pub addr: SocketAddr,
    pub api_key: String,
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl Process {
    /// Starts `binary serve` with `settings` (`SWITCHBOARD_*` variables) and waits until it
    /// answers `/healthz`.
    pub fn start(binary: &std::path::Path, settings: &[(&str, String)]) -> anyhow::Result<Self> {
        use std::io::BufRead;
        let dir = tempfile::tempdir()?;
        // A port free now, handed to the server; nothing else on this machine takes it meanwhile.
        let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        let mut child = std::process::Command::new(binary)
            .arg("serve")
            .env("SWITCHBOARD_BIND", addr.to_string())
            .env("SWITCHBOARD_DATABASE_URL", format!("sqlite://{}", dir.path().join("bench.db").display()))
            .env("SWITCHBOARD_LOG_LEVEL", "warn")
            .envs(settings.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| {
                anyhow::anyhow!("cannot start {}: {e} (build it with cargo build --release)", binary.display())
            })?;
        let stdout = child.stdout.take().expect("piped stdout");
        let first = std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find(|l| l.starts_with("First start:"))
            .ok_or_else(|| anyhow::anyhow!("the server printed no API key"))?;
        let api_key = first
            .split_whitespace()
            .find_map(|w| w.strip_prefix("api_key="))
            .ok_or_else(|| anyhow::anyhow!("no api_key in {first:?}"))?
            .to_owned();
        let started = Instant::now();
        while std::net::TcpStream::connect(addr).is_err() {
            anyhow::ensure!(started.elapsed() < Duration::from_secs(60), "the server does not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Self { addr, api_key, child, _dir: dir })
    }

    /// The process's resident memory, in MiB.
    pub fn rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        let kib: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        kib / 1024.0
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where `cargo build --release` puts the binary.
pub fn release_binary() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/switchboard")
}
