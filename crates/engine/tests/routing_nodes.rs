//! Two nodes (two engines, each with its own connection pool) on one PostgreSQL database route
//! one company's 200 conversations to 20 agents at the same time: every conversation gets one
//! interaction, each is offered to one agent at a time, and none is lost.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use switchboard_domain::agent::{Channel, StateChange};
use switchboard_domain::company::NewCompany;
use switchboard_domain::event::Origin;
use switchboard_domain::routing::{Feed, InteractionState, QueueDetails, Strategy};
use switchboard_domain::source::sdk::Capabilities;
use switchboard_domain::source::{SdkSetup, Source, SourceDetails, SourceSetup};
use switchboard_domain::user::UserDetails;
use switchboard_engine::auth::UserRef;
use switchboard_engine::channels::sdk::ingest::Batch;
use switchboard_engine::channels::sdk::objects::parse_action;
use switchboard_engine::routing::InteractionQuery;
use switchboard_engine::{Actor, Engine};
use switchboard_store::testing::with_db;
use switchboard_store::{Backend, Store, events};

const AGENTS: usize = 20;
const CONVERSATIONS: usize = 200;

fn capabilities() -> Capabilities {
    Capabilities { objects: [("messages".to_owned(), vec!["create".to_owned()])].into(), ..Default::default() }
}

async fn message(store: &Store, source: &Source, n: usize) {
    let params: Map<String, Value> =
        json!({"id": format!("m{n}"), "author": {"id": format!("c{n}"), "screenname": "C"}, "body": "help", "thread_id": format!("t{n}")})
            .as_object()
            .unwrap()
            .clone();
    let command = parse_action("messages.create", &params, &capabilities()).unwrap();
    let mut tx = store.begin().await.unwrap();
    let pairs = vec![(source, &command)];
    let mut batch = Batch::begin(&mut tx, &pairs).await.unwrap();
    batch.apply(source, command.clone(), Origin::SendApi).await.unwrap();
    batch.finish().await.unwrap();
    tx.commit().await.unwrap();
}

/// One node's work: half the arrivals, its own intake passes, and its agents accepting and
/// completing whatever they are offered, until every conversation is done.
async fn node(engine: Engine, store: Store, source: Source, agents: Vec<Actor>, arrivals: Vec<usize>, owner: Actor) {
    let deadline = Instant::now() + Duration::from_secs(120);
    for n in arrivals {
        message(&store, &source, n).await;
        engine.take_in().await.unwrap();
    }
    loop {
        engine.take_in().await.unwrap();
        for a in &agents {
            for i in engine.my_interactions(a).await.unwrap() {
                // The other node may have moved it meanwhile: only what changes nothing may fail.
                if i.state == InteractionState::Offered {
                    let _ = engine.accept_interaction(a, &i.id).await;
                }
                let _ = engine.complete_interaction(a, &i.id).await;
            }
        }
        let done = InteractionQuery { state: Some(InteractionState::Completed), ..Default::default() };
        if engine.list_interactions(&owner, &done).await.unwrap().len() == CONVERSATIONS {
            return;
        }
        assert!(Instant::now() < deadline, "the conversations were not all handled in time");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_on_postgresql_offer_no_interaction_twice_and_lose_none() {
    with_db(Backend::Postgres, |db| async move {
        let (store_a, store_b) = (db.store().await, db.store().await);
        let (a, b) = (
            Engine::new(store_a.clone(), Default::default()).unwrap(),
            Engine::new(store_b.clone(), Default::default()).unwrap(),
        );
        let created = a
            .create_company(NewCompany { name: "Acme".into(), email: None, first_name: None, last_name: None })
            .await
            .unwrap();
        let key = created.api_key.expose();
        let owner = a.authenticate(key, &UserRef::Primary).await.unwrap();
        let mut agents = Vec::new();
        for _ in 0..AGENTS {
            let user = a.create_user(&owner, UserDetails { activated: true, ..Default::default() }).await.unwrap();
            let agent = a.authenticate(key, &UserRef::Id(user.id)).await.unwrap();
            a.set_agent_state(&agent, &agent.user.id, Some(Channel::Chat), StateChange::ready()).await.unwrap();
            agents.push(agent);
        }
        let setup =
            SourceSetup::Sdk(SdkSetup { base_uri: None, capabilities: capabilities(), settings: Default::default() });
        let source = a.create_source(&owner, SourceDetails { name: "chat".into(), setup }).await.unwrap();
        let queue = QueueDetails {
            name: "support".into(),
            strategy: Strategy::RoundRobin,
            members: agents.iter().map(|x| x.user.id.clone()).collect(),
            feeds: vec![Feed { source_id: source.id.clone(), category: None }],
            offer_timeout_secs: 600,
            overflow: None,
        };
        a.create_queue(&owner, queue).await.unwrap();

        let (left, right) = agents.split_at(AGENTS / 2);
        let on_a = tokio::spawn(node(
            a.clone(),
            store_a.clone(),
            source.clone(),
            left.to_vec(),
            (0..CONVERSATIONS).step_by(2).collect(),
            owner.clone(),
        ));
        let on_b = tokio::spawn(node(
            b.clone(),
            store_b.clone(),
            source.clone(),
            right.to_vec(),
            (1..CONVERSATIONS).step_by(2).collect(),
            owner.clone(),
        ));
        on_a.await.unwrap();
        on_b.await.unwrap();

        // One interaction per conversation, all completed.
        let all = a.list_interactions(&owner, &InteractionQuery::default()).await.unwrap();
        assert_eq!(all.len(), CONVERSATIONS);
        assert!(all.iter().all(|d| d.interaction.state == InteractionState::Completed));
        assert_eq!(all.iter().map(|d| d.interaction.thread_id.clone()).collect::<HashSet<_>>().len(), CONVERSATIONS);
        // Each offer ended (accepted) before any other offer of the same interaction.
        let log =
            events::read_after(&mut store_a.reader().await.unwrap(), &owner.company_id, 0, 100_000).await.unwrap();
        let mut pending: HashMap<String, bool> = HashMap::new();
        let mut offers = 0;
        for e in &log {
            let id = e.payload["id"].as_str().unwrap_or_default().to_owned();
            match e.kind() {
                "interaction.offered" => {
                    assert!(!pending.insert(id.clone(), true).unwrap_or(false), "{id} offered twice at once");
                    offers += 1;
                }
                "interaction.accepted" | "interaction.revoked" | "interaction.rejected" => {
                    pending.insert(id, false);
                }
                _ => {}
            }
        }
        assert_eq!(offers, CONVERSATIONS, "each offered once: nobody rejected or let an offer run out");
        drop((a, b));
        store_a.close().await;
        store_b.close().await;
        db
    })
    .await;
}
