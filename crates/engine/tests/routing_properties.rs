//! Routing properties over random sequences of arrivals, Ready / NotReady, ends of sessions,
//! accepts, rejects, offer time-outs, completions and transfers, run on the real engine and
//! store (SQLite) and checked after every step against what a simple model allows:
//! - no agent holds more than their capacity;
//! - an offer is only ever pending with an agent Ready on its channel;
//! - nothing waits in a queue while a member of it is Ready with room (every queued
//!   interaction is offered once capacity frees);
//! - an interaction is never offered twice at once (each offer ends before the next);
//! - round robin offers to the next eligible member in turn after the one offered last.
//!
//! The cases come from a fixed seed, so a run is the same every time; a failure is shrunk to a
//! short sequence.

use std::collections::HashMap;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use serde_json::{Map, Value, json};
use switchboard_domain::agent::{Channel, StateChange};
use switchboard_domain::company::NewCompany;
use switchboard_domain::event::Origin;
use switchboard_domain::routing::{
    Feed, HistoryKind, Interaction, InteractionState, QueueDetails, Strategy as Routing,
};
use switchboard_domain::source::sdk::Capabilities;
use switchboard_domain::source::{SdkSetup, Source, SourceDetails, SourceSetup};
use switchboard_domain::user::UserDetails;
use switchboard_domain::{Error, UserId};
use switchboard_engine::auth::UserRef;
use switchboard_engine::channels::sdk::ingest::Batch;
use switchboard_engine::channels::sdk::objects::parse_action;
use switchboard_engine::routing::{InteractionQuery, OfferTimeoutJob, TransferTarget};
use switchboard_engine::{Actor, Engine};
use switchboard_store::testing::with_db;
use switchboard_store::{Backend, Store, events};

const AGENTS: usize = 3;
const THREADS: usize = 6;

/// One step of a sequence. Indices pick among what exists at that moment (modulo its count).
#[derive(Debug, Clone)]
enum Op {
    Arrive { thread: usize },
    Ready { agent: usize },
    NotReady { agent: usize },
    EndSession { agent: usize },
    Accept { agent: usize, pick: usize },
    Reject { agent: usize, pick: usize },
    Timeout { pick: usize },
    Complete { agent: usize, pick: usize },
    TransferToAgent { agent: usize, pick: usize, to: usize },
    TransferToQueue { agent: usize, pick: usize },
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    let agent = 0..AGENTS;
    prop_oneof![
        4 => (0..THREADS).prop_map(|thread| Op::Arrive { thread }),
        3 => agent.clone().prop_map(|agent| Op::Ready { agent }),
        1 => agent.clone().prop_map(|agent| Op::NotReady { agent }),
        1 => agent.clone().prop_map(|agent| Op::EndSession { agent }),
        3 => (agent.clone(), 0..4usize).prop_map(|(agent, pick)| Op::Accept { agent, pick }),
        2 => (agent.clone(), 0..4usize).prop_map(|(agent, pick)| Op::Reject { agent, pick }),
        2 => (0..4usize).prop_map(|pick| Op::Timeout { pick }),
        3 => (agent.clone(), 0..4usize).prop_map(|(agent, pick)| Op::Complete { agent, pick }),
        1 => (agent.clone(), 0..4usize, 0..AGENTS).prop_map(|(agent, pick, to)| Op::TransferToAgent { agent, pick, to }),
        1 => (agent.clone(), 0..4usize).prop_map(|(agent, pick)| Op::TransferToQueue { agent, pick }),
    ]
}

fn capabilities() -> Capabilities {
    Capabilities { objects: [("messages".to_owned(), vec!["create".to_owned()])].into(), ..Default::default() }
}

/// One company: its owner, agents (with their capacities), source and queues' members.
struct World {
    engine: Engine,
    store: Store,
    owner: Actor,
    agents: Vec<Actor>,
    source: Source,
    members: HashMap<String, Vec<UserId>>,
    messages: usize,
}

impl World {
    async fn new(store: &Store, engine: &Engine, case: usize, capacities: &[u32]) -> World {
        let created = engine
            .create_company(NewCompany { name: format!("Co {case}"), email: None, first_name: None, last_name: None })
            .await
            .unwrap();
        let key = created.api_key.expose();
        let owner = engine.authenticate(key, &UserRef::Primary).await.unwrap();
        let mut agents = Vec::new();
        for capacity in capacities {
            let user = engine.create_user(&owner, UserDetails { activated: true, ..Default::default() }).await.unwrap();
            engine.set_agent_capacity(&owner, &user.id, Channel::Chat, *capacity).await.unwrap();
            agents.push(engine.authenticate(key, &UserRef::Id(user.id)).await.unwrap());
        }
        let setup =
            SourceSetup::Sdk(SdkSetup { base_uri: None, capabilities: capabilities(), settings: Default::default() });
        let source = engine.create_source(&owner, SourceDetails { name: "chat".into(), setup }).await.unwrap();
        let ids: Vec<UserId> = agents.iter().map(|a| a.user.id.clone()).collect();
        let members = HashMap::from([("arrivals".to_owned(), ids.clone()), ("second".to_owned(), ids[1..].to_vec())]);
        let queue = |name: &str, strategy, feeds| QueueDetails {
            name: name.into(),
            strategy,
            members: members[name].clone(),
            feeds,
            offer_timeout_secs: 30,
            overflow: None,
        };
        let feed = vec![Feed { source_id: source.id.clone(), category: None }];
        engine.create_queue(&owner, queue("arrivals", Routing::RoundRobin, feed)).await.unwrap();
        engine.create_queue(&owner, queue("second", Routing::LeastBusy, vec![])).await.unwrap();
        World { engine: engine.clone(), store: store.clone(), owner, agents, source, members, messages: 0 }
    }

    async fn arrive(&mut self, thread: usize) {
        self.messages += 1;
        let params: Map<String, Value> = json!({"id": format!("m{}", self.messages), "author": {"id": "c", "screenname": "C"}, "body": "hi", "thread_id": format!("t{thread}")})
            .as_object()
            .unwrap()
            .clone();
        let command = parse_action("messages.create", &params, &capabilities()).unwrap();
        let mut tx = self.store.begin().await.unwrap();
        let pairs = vec![(&self.source, &command)];
        let mut batch = Batch::begin(&mut tx, &pairs).await.unwrap();
        batch.apply(&self.source, command.clone(), Origin::SendApi).await.unwrap();
        batch.finish().await.unwrap();
        tx.commit().await.unwrap();
        self.engine.take_in().await.unwrap();
    }

    async fn active(&self) -> Vec<Interaction> {
        let q = InteractionQuery { active: true, ..Default::default() };
        self.engine.list_interactions(&self.owner, &q).await.unwrap().into_iter().map(|d| d.interaction).collect()
    }

    /// The agent's interactions in `state`, the `pick`-th (modulo), if any.
    async fn pick(&self, agent: usize, state: InteractionState, pick: usize) -> Option<Interaction> {
        let mine: Vec<Interaction> = self
            .engine
            .my_interactions(&self.agents[agent])
            .await
            .unwrap()
            .into_iter()
            .filter(|i| i.state == state)
            .collect();
        (!mine.is_empty()).then(|| mine[pick % mine.len()].clone())
    }

    async fn apply(&mut self, op: &Op) -> Result<(), Error> {
        let e = self.engine.clone();
        match *op {
            Op::Arrive { thread } => self.arrive(thread).await,
            Op::Ready { agent } => {
                let a = &self.agents[agent];
                e.set_agent_state(a, &a.user.id, Some(Channel::Chat), StateChange::ready()).await?;
            }
            Op::NotReady { agent } => {
                let a = &self.agents[agent];
                e.set_agent_state(a, &a.user.id, Some(Channel::Chat), StateChange::not_ready(Some("break".into())))
                    .await?;
            }
            Op::EndSession { agent } => {
                let a = &self.agents[agent];
                e.end_agent_session(a, &a.user.id).await?;
            }
            Op::Accept { agent, pick } => {
                if let Some(i) = self.pick(agent, InteractionState::Offered, pick).await {
                    e.accept_interaction(&self.agents[agent], &i.id).await?;
                }
            }
            Op::Reject { agent, pick } => {
                if let Some(i) = self.pick(agent, InteractionState::Offered, pick).await {
                    e.reject_interaction(&self.agents[agent], &i.id).await?;
                }
            }
            Op::Timeout { pick } => {
                let offered: Vec<Interaction> =
                    self.active().await.into_iter().filter(|i| i.state == InteractionState::Offered).collect();
                if !offered.is_empty() {
                    let i = &offered[pick % offered.len()];
                    let job = OfferTimeoutJob {
                        company_id: i.company_id.clone(),
                        interaction_id: i.id.clone(),
                        offer: i.offers,
                    };
                    e.expire_offer(&job).await?;
                }
            }
            Op::Complete { agent, pick } => {
                if let Some(i) = self.pick(agent, InteractionState::Accepted, pick).await {
                    e.complete_interaction(&self.agents[agent], &i.id).await?;
                }
            }
            Op::TransferToAgent { agent, pick, to } => {
                if let Some(i) = self.pick(agent, InteractionState::Accepted, pick).await {
                    let target = TransferTarget::User(self.agents[to].user.id.clone());
                    match e.transfer_interaction(&self.agents[agent], &i.id, target).await {
                        // A target not Ready or without room is refused; the model allows it.
                        Err(Error::Conflict(_)) => {}
                        other => {
                            other?;
                        }
                    }
                }
            }
            Op::TransferToQueue { agent, pick } => {
                if let Some(i) = self.pick(agent, InteractionState::Accepted, pick).await {
                    e.transfer_interaction(&self.agents[agent], &i.id, TransferTarget::Queue("second".into())).await?;
                }
            }
        }
        Ok(())
    }

    /// The invariants that hold between any two steps.
    async fn check(&self, step: usize) -> Result<(), TestCaseError> {
        let agents = self.engine.list_agents(&self.owner).await.unwrap();
        let chat = |user: &UserId| {
            let load = agents.iter().find(|l| &l.user_id == user).unwrap();
            load.channels.iter().find(|(a, _)| a.channel == Channel::Chat).cloned().unwrap()
        };
        for a in &self.agents {
            let (seat, load) = chat(&a.user.id);
            prop_assert!(load <= seat.capacity, "step {step}: {} holds {load} > capacity {}", a.user.id, seat.capacity);
        }
        let active = self.active().await;
        let queues = self.engine.list_queues(&self.owner).await.unwrap();
        for i in &active {
            if i.state == InteractionState::Offered {
                let agent = i.agent_id.as_ref().unwrap();
                prop_assert!(chat(agent).0.is_ready(), "step {step}: {} offered to {agent}, who is not ready", i.id);
            }
            if i.state == InteractionState::Queued {
                let queue = queues.iter().find(|q| Some(&q.id) == i.queue_id.as_ref()).unwrap();
                for m in &self.members[&queue.name] {
                    let (seat, load) = chat(m);
                    prop_assert!(
                        !(seat.is_ready() && load < seat.capacity),
                        "step {step}: {} waits in {} while {m} is ready with room ({load}/{})",
                        i.id,
                        queue.name,
                        seat.capacity
                    );
                }
            }
        }
        Ok(())
    }

    /// Over the whole log: each offer ends before the interaction is offered again, and round
    /// robin goes on after the member offered last, to the first one not passed over.
    async fn check_offers(&self) -> Result<(), TestCaseError> {
        let log = events::read_after(&mut self.store.reader().await.unwrap(), &self.owner.company_id, 0, 100_000)
            .await
            .unwrap();
        let mut pending: HashMap<String, bool> = HashMap::new();
        let mut offered_so_far: HashMap<String, usize> = HashMap::new();
        let mut last: Option<UserId> = None;
        let rr = &self.members["arrivals"];
        for e in log.iter().filter(|e| e.kind().starts_with("interaction.")) {
            let id = e.payload["id"].as_str().unwrap().to_owned();
            match e.kind() {
                "interaction.offered" => {
                    prop_assert!(!pending.get(&id).copied().unwrap_or(false), "{id} offered twice at once");
                    pending.insert(id.clone(), true);
                    let n = offered_so_far.entry(id.clone()).or_default();
                    *n += 1;
                    if e.payload["queue_name"] != "arrivals" {
                        continue;
                    }
                    // This offer's decision: the interaction's n-th.
                    let iid = switchboard_domain::InteractionId::parse(&id).unwrap();
                    let details = self.engine.get_interaction(&self.owner, &iid).await.unwrap();
                    let decision =
                        details.history.iter().filter(|h| h.kind == HistoryKind::Decision).nth(*n - 1).unwrap();
                    if decision.reason.starts_with("transfer") {
                        continue;
                    }
                    let chosen = decision.agent_id.clone().unwrap();
                    let start = last.as_ref().and_then(|l| rr.iter().position(|m| m == l)).map_or(0, |k| k + 1);
                    let expected = (0..rr.len())
                        .map(|k| &rr[(start + k) % rr.len()])
                        .find(|m| !decision.skipped.iter().any(|s| &s.user_id == *m));
                    prop_assert_eq!(Some(&chosen), expected, "round robin after {:?}: {}", last, decision.reason);
                    last = Some(chosen);
                }
                "interaction.accepted"
                | "interaction.revoked"
                | "interaction.rejected"
                | "interaction.completed"
                | "interaction.transferred"
                | "interaction.queued"
                | "interaction.placed_in_workbin" => {
                    pending.insert(id, false);
                }
                _ => {}
            }
        }
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routing_keeps_its_promises_over_random_sequences() {
    with_db(Backend::Sqlite, |db| async move {
        let store = db.store().await;
        let engine = Engine::new(store.clone(), Default::default()).unwrap();
        let config = Config { cases: 48, failure_persistence: None, ..Config::default() };
        let mut runner = TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
        let case = std::sync::atomic::AtomicUsize::new(0);
        let cases = (proptest::collection::vec(1..=3u32, AGENTS), proptest::collection::vec(op(), 1..40));
        let handle = tokio::runtime::Handle::current();
        let result = tokio::task::block_in_place(|| {
            runner.run(&cases, |(capacities, ops)| {
                let n = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                handle.block_on(async {
                    let mut world = World::new(&store, &engine, n, &capacities).await;
                    for (step, op) in ops.iter().enumerate() {
                        world.apply(op).await.map_err(|e| TestCaseError::fail(format!("step {step} {op:?}: {e}")))?;
                        world.check(step).await?;
                    }
                    world.check_offers().await
                })
            })
        });
        if let Err(e) = result {
            panic!("{e}");
        }
        db
    })
    .await;
}
