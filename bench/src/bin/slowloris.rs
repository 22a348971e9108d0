//! Slow clients against the real binary: N connections that send a request head one byte a
//! second (slowloris), and meanwhile a normal client's `GET /healthz` latency, each request on a
//! new connection. Prints how many slow connections the server cut off and after how long, the
//! normal client's figures without and during the attack, and the server's counters. Build the
//! binary first, then:
//!
//!     cargo build --release -p switchboard
//!     cargo run --release -p switchboard-bench --bin slowloris -- --attackers 200 --seconds 20
//!
//! `--header-read-timeout-ms` and `--max-connections` set the server's limits (the defaults when
//! not given); a time-out of an hour and no cap is how the server behaved without them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use switchboard_bench::{Process, Run, release_binary};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Parser)]
struct Args {
    /// Slow connections.
    #[arg(long, default_value_t = 200)]
    attackers: usize,
    /// How long the attack lasts; slow connections still open then are counted as held.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// The server's `http.header_read_timeout_ms`.
    #[arg(long)]
    header_read_timeout_ms: Option<u64>,
    /// The server's `http.max_connections`.
    #[arg(long)]
    max_connections: Option<usize>,
    /// The switchboard binary.
    #[arg(long)]
    binary: Option<std::path::PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut settings = Vec::new();
    if let Some(t) = args.header_read_timeout_ms {
        settings.push(("SWITCHBOARD_HTTP__HEADER_READ_TIMEOUT_MS", t.to_string()));
    }
    if let Some(m) = args.max_connections {
        settings.push(("SWITCHBOARD_HTTP__MAX_CONNECTIONS", m.to_string()));
    }
    let server = Process::start(&args.binary.clone().unwrap_or_else(release_binary), &settings)?;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    println!(
        "slowloris: {} connections sending a header byte a second for {} s; header_read_timeout_ms={}, max_connections={}",
        args.attackers,
        args.seconds,
        args.header_read_timeout_ms.map_or("default".into(), |t| t.to_string()),
        args.max_connections.map_or("default".into(), |m| m.to_string()),
    );
    rt.block_on(async {
        let addr = server.addr;
        let quiet = normal_client(addr, Duration::from_secs(3)).await;
        println!("{}", quiet.line("normal client, no attack"));

        let attack = Duration::from_secs(args.seconds);
        let started = Instant::now();
        let attackers: Vec<_> = (0..args.attackers).map(|_| tokio::spawn(slow_connection(addr, attack))).collect();
        // Once the slow connections have their places.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let during = normal_client(addr, attack.saturating_sub(started.elapsed())).await;
        let mut held_for = Vec::new();
        for a in attackers {
            held_for.push(a.await?);
        }
        let cut: Vec<Duration> = held_for.iter().filter_map(|h| *h).collect();
        let longest = cut.iter().max().copied().unwrap_or_default();
        println!("{}", during.line("normal client, under attack"));
        println!(
            "slow connections cut off by the server: {}/{} (longest held {:.1} s); still open at the end: {}",
            cut.len(),
            args.attackers,
            longest.as_secs_f64(),
            args.attackers - cut.len()
        );
        let metrics = reqwest::get(format!("http://{addr}/metrics")).await?.text().await?;
        for line in metrics.lines().filter(|l| l.starts_with("http_") && !l.starts_with("http_request_duration")) {
            if !line.starts_with("http_requests_total") {
                println!("  {line}");
            }
        }
        anyhow::Ok(())
    })?;
    println!(
        "(the normal client opens a new connection per request; a failed one was refused, reset or unanswered in 10 s)"
    );
    Ok(())
}

/// Sends a request head a byte a second until the server closes the connection (how long it
/// held it) or `attack` is over (`None`).
async fn slow_connection(addr: std::net::SocketAddr, attack: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).await.ok()?;
    let head = b"GET /healthz HTTP/1.1\r\nHost: switchboard\r\nX-Slow: ";
    let mut sent = 0;
    let mut answer = [0u8; 512];
    while started.elapsed() < attack {
        let byte = head.get(sent).copied().unwrap_or(b'a');
        if stream.write_all(&[byte]).await.is_err() {
            return Some(started.elapsed());
        }
        sent += 1;
        // The server closing the connection shows as a read of nothing (or a reset).
        let read = tokio::time::timeout(Duration::from_secs(1), stream.read(&mut answer)).await;
        if let Ok(Ok(0) | Err(_)) = read {
            return Some(started.elapsed());
        }
    }
    None
}

/// Sequential `GET /healthz`, a new connection each, for `duration`.
async fn normal_client(addr: std::net::SocketAddr, duration: Duration) -> Run {
    let client = Arc::new(
        reqwest::Client::builder().pool_max_idle_per_host(0).timeout(Duration::from_secs(10)).build().expect("client"),
    );
    let url = format!("http://{addr}/healthz");
    let started = Instant::now();
    let mut run = Run { latencies: Vec::new(), failures: 0, elapsed: Duration::ZERO };
    while started.elapsed() < duration {
        let t = Instant::now();
        match client.get(&url).send().await {
            Ok(res) if res.status().is_success() => run.latencies.push(t.elapsed()),
            _ => run.failures += 1,
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    run.elapsed = started.elapsed();
    run
}
