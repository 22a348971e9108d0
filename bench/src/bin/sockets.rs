//! Live sockets against the real binary: N socket.io clients (websocket transport) connect at
//! once and authenticate, events are made at R a second for S seconds (`POST /company/contacts`,
//! one `user.created` each), and every client checks that it gets each event once, in order.
//! A client the server disconnects (`stream_ended`) reconnects with its `last_seq`, as a client
//! should. Prints the clients that missed events without being disconnected (must be 0), the
//! disconnections, and the server's resident memory before, at the peak and after the clients
//! have left, over several rounds (memory that grows round after round is a leak; memory that
//! stays up after the first is the allocator keeping it). Build the binary first, then:
//!
//!     cargo build --release -p switchboard
//!     cargo run --release -p switchboard-bench --bin sockets -- --clients 1000 --rate 50 --seconds 20

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use switchboard_bench::{Process, release_binary};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

#[derive(Parser)]
struct Args {
    /// socket.io clients, connecting at once.
    #[arg(long, default_value_t = 1000)]
    clients: usize,
    /// Events made per second.
    #[arg(long, default_value_t = 50)]
    rate: u64,
    /// How long events are made, per round.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Rounds of connect, events, leave.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// How long clients are given, after the last event, to have them all.
    #[arg(long, default_value_t = 30)]
    drain_seconds: u64,
    /// How long after the clients have left the server's memory is read again.
    #[arg(long, default_value_t = 15)]
    settle_seconds: u64,
    /// The switchboard binary.
    #[arg(long)]
    binary: Option<std::path::PathBuf>,
}

/// What one client saw.
#[derive(Debug, Default, Clone)]
struct Seen {
    /// The last seq taken in order.
    last: i64,
    /// Events received twice, and events skipped.
    repeated: u64,
    skipped: u64,
    /// Times the server ended the stream (`stream_ended`) or closed the connection.
    ended: u64,
    /// Whether the client was connected and authenticated when the round ended.
    connected: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let server = Process::start(&args.binary.clone().unwrap_or_else(release_binary), &[])?;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    println!(
        "sockets: {} socket.io clients (websocket), {} events/s for {} s, {} rounds",
        args.clients, args.rate, args.seconds, args.rounds
    );
    println!("server RSS at start: {:.1} MiB", server.rss_mib());
    rt.block_on(async {
        for round in 1..=args.rounds {
            run_round(&server, &args, round).await?;
        }
        anyhow::Ok(())
    })?;
    Ok(())
}

async fn run_round(server: &Process, args: &Args, round: usize) -> anyhow::Result<()> {
    let (stop_tx, stop) = watch::channel(false);
    let shared = Arc::new(Shared { target: AtomicI64::new(i64::MAX), ..Shared::default() });
    let started = Instant::now();
    let clients: Vec<_> = (0..args.clients)
        .map(|_| tokio::spawn(client(server.addr, server.api_key.clone(), shared.clone(), stop.clone())))
        .collect();
    let head = wait_for_head(&shared, args.clients).await?;
    let connected = started.elapsed();
    let http = reqwest::Client::new();
    let events = args.rate * args.seconds;
    let last = head + events as i64;
    shared.target.store(last, Ordering::SeqCst);

    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / args.rate.max(1)));
    for i in 0..events {
        tick.tick().await;
        let email = format!("r{round}-{i}-{}@example.com", std::process::id());
        let res = http
            .post(format!("http://{}/company/contacts", server.addr))
            .bearer_auth(&server.api_key)
            .header("X-User-Id", "primary")
            .json(&json!({"first_name": "Bench", "contacts": {"email": email}}))
            .send()
            .await?;
        anyhow::ensure!(res.status() == 201, "making an event: {}", res.status());
    }
    let peak = server.rss_mib();
    // Clients that have everything return; the others are stopped after the drain time.
    let drain = tokio::time::sleep(Duration::from_secs(args.drain_seconds));
    tokio::pin!(drain);
    let mut seen = Vec::new();
    let mut pending = futures::stream::FuturesUnordered::from_iter(clients);
    loop {
        tokio::select! {
            done = pending.next() => match done {
                Some(s) => seen.push(s?),
                None => break,
            },
            () = &mut drain, if !*stop.borrow() => { let _ = stop_tx.send(true); }
        }
    }
    let left = server.rss_mib();
    tokio::time::sleep(Duration::from_secs(args.settle_seconds)).await;
    let after = server.rss_mib();

    let complete = seen.iter().filter(|s| s.last == last && s.skipped == 0 && s.repeated == 0).count();
    let deaf = seen.iter().filter(|s| s.last < last && s.connected).count();
    let incomplete = seen.iter().filter(|s| s.last < last).count();
    let skipped = seen.iter().filter(|s| s.skipped > 0).count();
    let repeated = seen.iter().filter(|s| s.repeated > 0).count();
    let ended: u64 = seen.iter().map(|s| s.ended).sum();
    let disconnected_clients = seen.iter().filter(|s| s.ended > 0).count();
    println!(
        "round {round}: {} clients authenticated in {:.1} s; {} events (seq {}..={last})",
        args.clients,
        connected.as_secs_f64(),
        events,
        head + 1
    );
    println!(
        "  every event once, in order: {complete}/{}; short of the last event: {incomplete}, of them still connected (deaf): {deaf}; with a gap: {skipped}; with a repeat: {repeated}",
        args.clients
    );
    println!("  streams ended by the server and resumed: {ended} (on {disconnected_clients} clients)");
    println!(
        "  server RSS: {peak:.1} MiB at the end of the events, {left:.1} MiB as the clients left, {after:.1} MiB {} s later",
        args.settle_seconds
    );
    Ok(())
}

/// What the clients share with the round: how many have authenticated, the head their
/// streams started after, and the seq to reach.
#[derive(Default)]
struct Shared {
    authenticated: AtomicUsize,
    head: AtomicI64,
    target: AtomicI64,
}

/// The log's head once every client has authenticated (nothing else makes events meanwhile,
/// so each `authenticated` carries it).
async fn wait_for_head(shared: &Shared, clients: usize) -> anyhow::Result<i64> {
    let started = Instant::now();
    while shared.authenticated.load(Ordering::SeqCst) < clients {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(300),
            "only {} of {clients} clients authenticated in 5 minutes",
            shared.authenticated.load(Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(shared.head.load(Ordering::SeqCst))
}

/// One socket.io client: connects, authenticates (with its `last_seq` after the first time),
/// and checks the events, until it has `target` or is stopped.
async fn client(addr: SocketAddr, key: String, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) -> Seen {
    let mut seen = Seen::default();
    let mut resume: Option<i64> = None;
    loop {
        let Ok((ws, _)) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws/?EIO=4&transport=websocket")).await
        else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let (mut tx, mut rx) = ws.split();
        let mut auth = json!({"token": key});
        if let Some(seq) = resume {
            auth["last_seq"] = json!(seq);
        }
        seen.connected = false;
        loop {
            let message = tokio::select! {
                m = rx.next() => m,
                _ = stop.wait_for(|s| *s) => return seen,
            };
            let Some(Ok(Message::Text(text))) = message else { break };
            let text = text.as_str();
            if text.starts_with('0') {
                let _ = tx.send(Message::text(format!("40{auth}"))).await;
            } else if text == "2" {
                let _ = tx.send(Message::text("3")).await;
            } else if text.starts_with("41") || text == "1" {
                break;
            } else if let Some(event) = text.strip_prefix("42") {
                let Ok(Value::Array(args)) = serde_json::from_str::<Value>(event) else { continue };
                let name = args.first().and_then(Value::as_str).unwrap_or_default();
                let data = args.get(1).cloned().unwrap_or_default();
                match name {
                    "authenticated" => {
                        seen.connected = true;
                        if resume.is_none() {
                            seen.last = data["last_seq"].as_i64().unwrap_or(0);
                            shared.head.fetch_max(seen.last, Ordering::SeqCst);
                            shared.authenticated.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                    "stream_ended" => {
                        seen.ended += 1;
                    }
                    _ => {
                        let seq = data["seq"].as_i64().unwrap_or(0);
                        if seq <= seen.last {
                            seen.repeated += 1;
                        } else {
                            if seq > seen.last + 1 {
                                seen.skipped += (seq - seen.last - 1) as u64;
                            }
                            seen.last = seq;
                        }
                        if seen.last >= shared.target.load(Ordering::SeqCst) {
                            let _ = tx.send(Message::text("41")).await;
                            seen.connected = false;
                            return seen;
                        }
                    }
                }
            }
        }
        seen.connected = false;
        resume = Some(seen.last);
    }
}
