//! Send API throughput: N concurrent signed `messages.create` calls (1 KB bodies, new ids,
//! a few hundred threads), on SQLite and on PostgreSQL, against the same load on `/healthz`
//! (this machine's HTTP ceiling). Run in release mode:
//!
//!     cargo run --release -p switchboard-bench --bin send_api -- --requests 20000 --concurrency 32
//!
//! PostgreSQL runs when SWITCHBOARD_TEST_POSTGRES_URL names a server to create a database on.

use std::sync::Arc;

use clap::Parser;
use hmac::Mac;
use serde_json::json;
use switchboard_bench::{BenchServer, client, load};
use switchboard_domain::source::sdk::Capabilities;
use switchboard_domain::source::{SdkSetup, SourceConfig, SourceDetails, SourceSetup};
use switchboard_engine::auth::UserRef;
use switchboard_store::Backend;

#[derive(Parser)]
struct Args {
    /// Requests per measured run.
    #[arg(long, default_value_t = 20_000)]
    requests: usize,
    /// Requests in flight.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Distinct threads the messages are spread over.
    #[arg(long, default_value_t = 300)]
    threads: usize,
    /// Server worker threads.
    #[arg(long, default_value_t = 2)]
    server_threads: usize,
    /// Only these backends (sqlite, postgres).
    #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres")]
    backends: Vec<String>,
}

fn sign(token: &str, body: &[u8]) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha512>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let load_rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    println!(
        "send_api benchmark: {} requests per run, {} in flight, {} threads, 1 KB bodies",
        args.requests, args.concurrency, args.threads
    );
    for name in &args.backends {
        let backend = match name.as_str() {
            "sqlite" => Backend::Sqlite,
            "postgres" => Backend::Postgres,
            other => anyhow::bail!("unknown backend {other}"),
        };
        let Some(server) = BenchServer::start(backend, args.server_threads)? else {
            println!("{name}: skipped (SWITCHBOARD_TEST_POSTGRES_URL is not set)");
            continue;
        };
        let actor = server.block_on(server.engine.authenticate(server.company.api_key.expose(), &UserRef::Primary))?;
        let capabilities = Capabilities {
            objects: [("messages".to_owned(), vec!["create".to_owned()])].into(),
            ..Capabilities::default()
        };
        let source = server.block_on(server.engine.create_source(
            &actor,
            SourceDetails {
                name: "bench".into(),
                setup: SourceSetup::Sdk(SdkSetup { base_uri: None, capabilities, settings: Default::default() }),
            },
        ))?;
        let SourceConfig::Sdk(sdk) = &source.config else { unreachable!("an SDK source was made") };
        let url = format!("http://{}/realtime/sdk/{}", server.addr, source.id);
        let text = "x".repeat(1000);
        let prepare = |prefix: &str, n: usize| -> Arc<Vec<(Vec<u8>, String)>> {
            Arc::new(
                (0..n)
                    .map(|i| {
                        let body = serde_json::to_vec(&json!({"action": "messages.create", "params": {
                            "id": format!("{prefix}-{i}"), "author": {"id": format!("cust-{}", i % args.threads), "screenname": "Customer"},
                            "body": text, "thread_id": format!("thread-{}", i % args.threads)}}))
                        .unwrap();
                        let sig = sign(sdk.access_token.expose(), &body);
                        (body, sig)
                    })
                    .collect(),
            )
        };
        let http = client(args.concurrency);
        let push = |requests: Arc<Vec<(Vec<u8>, String)>>| {
            let (http, url) = (http.clone(), url.clone());
            move |i: usize| {
                let (http, url, requests) = (http.clone(), url.clone(), requests.clone());
                async move {
                    let (body, sig) = &requests[i];
                    match http.post(&url).header("X-SMCCSDK-SIGNATURE", sig).body(body.clone()).send().await {
                        Ok(r) => r.status() == 200,
                        Err(_) => false,
                    }
                }
            }
        };
        let warmup = prepare("warmup", args.requests / 10);
        load_rt.block_on(load(warmup.len(), args.concurrency, push(warmup.clone())));
        let measured = prepare("run", args.requests);
        let messages = load_rt.block_on(load(measured.len(), args.concurrency, push(measured.clone())));
        let health_url = format!("http://{}/healthz", server.addr);
        let healthz = load_rt.block_on(load(args.requests, args.concurrency, {
            let http = http.clone();
            move |_| {
                let (http, url) = (http.clone(), health_url.clone());
                async move { http.get(&url).send().await.map(|r| r.status() == 200).unwrap_or(false) }
            }
        }));
        let stored = server.block_on(server.engine.list_contents(&actor, Some(&source.id), None, 1))?;
        println!("\n[{name}]");
        println!("{}", messages.line("messages.create (signed)"));
        println!("{}", healthz.line("GET /healthz (ceiling)"));
        println!("ratio messages/healthz      {:>9.3}", messages.per_second() / healthz.per_second());
        println!(
            "p99 ratio messages/healthz  {:>9.2}",
            messages.percentile(0.99).as_secs_f64() / healthz.percentile(0.99).as_secs_f64().max(1e-9)
        );
        anyhow::ensure!(messages.failures == 0, "{} pushes failed", messages.failures);
        anyhow::ensure!(!stored.items.is_empty(), "nothing was stored");
        server.stop();
    }
    Ok(())
}
