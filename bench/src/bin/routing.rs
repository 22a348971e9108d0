//! Routing decisions per second: A agents (capacity C on chat each) in one queue with Q
//! conversations waiting, on the engine and store directly (no HTTP). Three figures:
//! - intake: waiting conversations turned into queued interactions per second;
//! - fill: agents going Ready one after the other, each routing pass offering them C
//!   interactions (decisions per second, each pass reading the longest-waiting queued ones,
//!   every agent's seat and load);
//! - churn: agents accepting and completing one interaction at a time, each completion's pass
//!   offering the freed seat the next one (decisions per second in the steady state).
//!
//! Run in release mode:
//!
//!     cargo run --release -p switchboard-bench --bin routing -- --agents 1000 --queued 100000
//!
//! PostgreSQL runs when SWITCHBOARD_TEST_POSTGRES_URL names a server to create a database on.

use std::time::Instant;

use clap::Parser;
use serde_json::{Map, Value, json};
use switchboard_domain::agent::{Channel, StateChange};
use switchboard_domain::company::NewCompany;
use switchboard_domain::event::Origin;
use switchboard_domain::routing::{Feed, InteractionState, QueueDetails, Strategy};
use switchboard_domain::source::sdk::Capabilities;
use switchboard_domain::source::{SdkSetup, SourceDetails, SourceSetup};
use switchboard_domain::user::UserDetails;
use switchboard_engine::Engine;
use switchboard_engine::auth::UserRef;
use switchboard_engine::channels::sdk::ingest::Batch;
use switchboard_engine::channels::sdk::objects::parse_action;
use switchboard_store::testing::TestDb;
use switchboard_store::{Backend, routing};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 1000)]
    agents: usize,
    /// Conversations waiting before agents go Ready.
    #[arg(long, default_value_t = 100_000)]
    queued: usize,
    /// Chat capacity of each agent.
    #[arg(long, default_value_t = 3)]
    capacity: u32,
    /// Completions measured in the churn phase.
    #[arg(long, default_value_t = 2000)]
    completions: usize,
    /// Only these backends (sqlite, postgres).
    #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres")]
    backends: Vec<String>,
}

/// Messages written per ingest transaction while preparing the queue.
const INGEST_BATCH: usize = 500;

fn capabilities() -> Capabilities {
    Capabilities { objects: [("messages".to_owned(), vec!["create".to_owned()])].into(), ..Default::default() }
}

fn rate(n: usize, since: Instant) -> String {
    let secs = since.elapsed().as_secs_f64();
    format!("{n} in {secs:.2} s = {:.0}/s", n as f64 / secs)
}

async fn run(backend: Backend, args: &Args) -> anyhow::Result<bool> {
    let Some(db) = TestDb::create(backend).await else { return Ok(false) };
    let store = db.store().await;
    let engine = Engine::new(store.clone(), Default::default())?;
    let created = engine
        .create_company(NewCompany { name: "Bench".into(), email: None, first_name: None, last_name: None })
        .await?;
    let key = created.api_key.expose();
    let owner = engine.authenticate(key, &UserRef::Primary).await?;
    let mut agents = Vec::with_capacity(args.agents);
    for _ in 0..args.agents {
        let user = engine.create_user(&owner, UserDetails { activated: true, ..Default::default() }).await?;
        engine.set_agent_capacity(&owner, &user.id, Channel::Chat, args.capacity).await?;
        agents.push(engine.authenticate(key, &UserRef::Id(user.id)).await?);
    }
    let setup =
        SourceSetup::Sdk(SdkSetup { base_uri: None, capabilities: capabilities(), settings: Default::default() });
    let source = engine.create_source(&owner, SourceDetails { name: "chat".into(), setup }).await?;
    let queue = QueueDetails {
        name: "support".into(),
        strategy: Strategy::LongestIdle,
        members: agents.iter().map(|a| a.user.id.clone()).collect(),
        feeds: vec![Feed { source_id: source.id.clone(), category: None }],
        offer_timeout_secs: 3600,
        overflow: None,
    };
    engine.create_queue(&owner, queue).await?;

    for start in (0..args.queued).step_by(INGEST_BATCH) {
        let commands = (start..(start + INGEST_BATCH).min(args.queued))
            .map(|n| {
                let params: Map<String, Value> = json!({"id": format!("m{n}"), "author": {"id": format!("c{n}"), "screenname": "C"}, "body": "help", "thread_id": format!("t{n}")})
                    .as_object()
                    .cloned()
                    .unwrap_or_default();
                parse_action("messages.create", &params, &capabilities())
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut tx = store.begin().await?;
        let pairs: Vec<_> = commands.iter().map(|c| (&source, c)).collect();
        let mut batch = Batch::begin(&mut tx, &pairs).await?;
        for c in &commands {
            batch.apply(&source, c.clone(), Origin::SendApi).await?;
        }
        batch.finish().await?;
        tx.commit().await?;
    }
    let started = Instant::now();
    engine.take_in().await?;
    let queued = routing::queued(&mut store.reader().await?, &owner.company_id, i64::MAX).await?.len();
    println!("{backend:?} intake: {}", rate(queued, started));

    let started = Instant::now();
    for a in &agents {
        engine.set_agent_state(a, &a.user.id, Some(Channel::Chat), StateChange::ready()).await?;
    }
    let offered = routing::holding(&mut store.reader().await?, &owner.company_id).await?.len();
    println!("{backend:?} fill: {} decisions ({} passes), {}", offered, agents.len(), rate(offered, started));

    let started = Instant::now();
    let mut done = 0;
    'churn: loop {
        for a in &agents {
            let Some(i) = engine.my_interactions(a).await?.into_iter().find(|i| i.state == InteractionState::Offered)
            else {
                continue;
            };
            engine.accept_interaction(a, &i.id).await?;
            engine.complete_interaction(a, &i.id).await?;
            done += 1;
            if done == args.completions {
                break 'churn;
            }
        }
    }
    println!(
        "{backend:?} churn: {} (each: read the agent's offers, accept, complete + the pass that offers the freed seat)",
        rate(done, started)
    );
    store.close().await;
    db.destroy().await;
    Ok(true)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    println!(
        "routing benchmark: {} agents (chat capacity {}), {} conversations waiting, {} completions",
        args.agents, args.capacity, args.queued, args.completions
    );
    for name in &args.backends {
        let backend = match name.as_str() {
            "sqlite" => Backend::Sqlite,
            "postgres" => Backend::Postgres,
            other => anyhow::bail!("unknown backend {other}"),
        };
        if !rt.block_on(run(backend, &args))? {
            println!("{name}: skipped (SWITCHBOARD_TEST_POSTGRES_URL is not set)");
        }
    }
    Ok(())
}
