//! The routing engine's use cases on the store, on both backends.

use serde_json::{Map, Value, json};
use switchboard_domain::agent::{AgentState, Channel, SESSION_ENDED, StateChange};
use switchboard_domain::company::NewCompany;
use switchboard_domain::event::Origin;
use switchboard_domain::routing::{Feed, HistoryKind, InteractionState, QueueDetails, Strategy};
use switchboard_domain::source::sdk::Capabilities;
use switchboard_domain::source::{SdkSetup, Source, SourceDetails, SourceSetup};
use switchboard_domain::user::UserDetails;
use switchboard_domain::{Error, Resource};
use switchboard_engine::auth::UserRef;
use switchboard_engine::channels::sdk::ingest::Batch;
use switchboard_engine::channels::sdk::objects::parse_action;
use switchboard_engine::routing::OfferTimeoutJob;
use switchboard_engine::{Actor, Engine};
use switchboard_store::{Store, events, store_test};

/// A company's owner and one of its agents, as actors.
async fn company(engine: &Engine, name: &str) -> (Actor, Actor) {
    let created = engine
        .create_company(NewCompany { name: name.into(), email: None, first_name: None, last_name: None })
        .await
        .unwrap();
    let owner = engine.authenticate(created.api_key.expose(), &UserRef::Primary).await.unwrap();
    let agent = engine.create_user(&owner, UserDetails { activated: true, ..Default::default() }).await.unwrap();
    let agent = engine.authenticate(created.api_key.expose(), &UserRef::Id(agent.id)).await.unwrap();
    (owner, agent)
}

/// The `agent.state_changed` events of the company's log: (channel, state, reason).
async fn state_events(store: &Store, actor: &Actor) -> Vec<(String, String, Option<String>)> {
    let log = events::read_after(&mut store.reader().await.unwrap(), &actor.company_id, 0, 1000).await.unwrap();
    log.iter()
        .filter(|e| e.kind() == "agent.state_changed")
        .map(|e| {
            let p = &e.payload;
            (
                p["channel"].as_str().unwrap().to_owned(),
                p["state"].as_str().unwrap().to_owned(),
                p["reason"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

/// Another agent of the owner's company.
async fn add_agent(engine: &Engine, owner: &Actor, key: &str) -> Actor {
    let user = engine.create_user(owner, UserDetails { activated: true, ..Default::default() }).await.unwrap();
    engine.authenticate(key, &UserRef::Id(user.id)).await.unwrap()
}

fn capabilities() -> Capabilities {
    Capabilities { objects: [("messages".to_owned(), vec!["create".to_owned()])].into(), ..Default::default() }
}

async fn sdk_source(engine: &Engine, owner: &Actor) -> Source {
    let setup =
        SourceSetup::Sdk(SdkSetup { base_uri: None, capabilities: capabilities(), settings: Default::default() });
    engine.create_source(owner, SourceDetails { name: "chat".into(), setup }).await.unwrap()
}

/// A customer's message in `thread`, ingested as the Send API does.
async fn message(store: &Store, source: &Source, id: &str, thread: &str) {
    let params: Map<String, Value> =
        json!({"id": id, "author": {"id": "c", "screenname": "C"}, "body": "help", "thread_id": thread})
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

fn queue(name: &str, strategy: Strategy, members: Vec<&Actor>, source: &Source) -> QueueDetails {
    QueueDetails {
        name: name.into(),
        strategy,
        members: members.iter().map(|a| a.user.id.clone()).collect(),
        feeds: vec![Feed { source_id: source.id.clone(), category: None }],
        offer_timeout_secs: 30,
        overflow: None,
    }
}

/// The `interaction.*` event types of the company's log, in order.
async fn interaction_events(store: &Store, actor: &Actor) -> Vec<String> {
    let log = events::read_after(&mut store.reader().await.unwrap(), &actor.company_id, 0, 1000).await.unwrap();
    log.iter().map(|e| e.kind().to_owned()).filter(|k| k.starts_with("interaction.")).collect()
}

fn states(channels: &[switchboard_domain::agent::AgentChannel]) -> Vec<(Channel, AgentState)> {
    channels.iter().map(|a| (a.channel, a.state)).collect()
}

store_test! {
    async fn agents_set_their_state_per_channel_and_end_their_session(store: Store) {
        let engine = Engine::new(store.clone(), Default::default()).unwrap();
        let (owner, agent) = company(&engine, "Acme").await;
        let me = agent.user.id.clone();

        let initial = engine.agent_states(&agent, &me).await.unwrap();
        assert_eq!(states(&initial), vec![(Channel::Chat, AgentState::NotReady), (Channel::Sms, AgentState::NotReady), (Channel::Email, AgentState::NotReady)]);
        assert_eq!(initial.iter().map(|a| a.capacity).collect::<Vec<_>>(), vec![3, 5, 10]);

        let now = engine.set_agent_state(&agent, &me, Some(Channel::Chat), StateChange::ready()).await.unwrap();
        assert_eq!(states(&now)[0], (Channel::Chat, AgentState::Ready));
        assert_eq!(states(&now)[1], (Channel::Sms, AgentState::NotReady));
        // The same state again changes nothing and raises nothing.
        engine.set_agent_state(&agent, &me, Some(Channel::Chat), StateChange::ready()).await.unwrap();
        // The owner puts the agent Ready everywhere: two more channels change.
        engine.set_agent_state(&owner, &me, None, StateChange::ready()).await.unwrap();
        engine.set_agent_state(&agent, &me, Some(Channel::Sms), StateChange::not_ready(Some("lunch".into()))).await.unwrap();
        let read = engine.agent_states(&owner, &me).await.unwrap();
        assert_eq!(states(&read), vec![(Channel::Chat, AgentState::Ready), (Channel::Sms, AgentState::NotReady), (Channel::Email, AgentState::Ready)]);
        assert_eq!(read[1].reason.as_deref(), Some("lunch"));

        let ended = engine.end_agent_session(&agent, &me).await.unwrap();
        assert!(ended.iter().all(|a| a.state == AgentState::NotReady && a.reason.as_deref() == Some(SESSION_ENDED)));

        let r = |c: &str, s: &str, why: Option<&str>| (c.to_owned(), s.to_owned(), why.map(str::to_owned));
        assert_eq!(state_events(&store, &agent).await, vec![
            r("chat", "ready", None),
            r("sms", "ready", None),
            r("email", "ready", None),
            r("sms", "not_ready", Some("lunch")),
            r("chat", "not_ready", Some(SESSION_ENDED)),
            r("sms", "not_ready", Some(SESSION_ENDED)),
            r("email", "not_ready", Some(SESSION_ENDED)),
        ]);
    }

    async fn an_agent_changes_only_their_own_state_within_their_company(store: Store) {
        let engine = Engine::new(store.clone(), Default::default()).unwrap();
        let (owner, agent) = company(&engine, "Acme").await;
        let (other_owner, _) = company(&engine, "Other").await;

        let err = engine.set_agent_state(&agent, &owner.user.id, None, StateChange::ready()).await.unwrap_err();
        assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
        let err = engine.end_agent_session(&agent, &owner.user.id).await.unwrap_err();
        assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
        let err = engine.set_agent_state(&other_owner, &agent.user.id, None, StateChange::ready()).await.unwrap_err();
        assert_eq!(err, Error::NotFound(Resource::User));
        let err = engine.agent_states(&other_owner, &agent.user.id).await.unwrap_err();
        assert_eq!(err, Error::NotFound(Resource::User));
        let err = engine.set_agent_state(&agent, &agent.user.id, None, StateChange { state: AgentState::Ready, reason: Some("x".into()) }).await.unwrap_err();
        assert!(matches!(err, Error::Invalid { .. }), "{err:?}");
        assert!(state_events(&store, &agent).await.is_empty());
    }

    async fn an_inbound_message_is_offered_to_a_ready_member_and_follows_rejections_and_time_outs(store: Store) {
        let engine = Engine::new(store.clone(), Default::default()).unwrap();
        let created = engine.create_company(NewCompany { name: "Acme".into(), email: None, first_name: None, last_name: None }).await.unwrap();
        let key = created.api_key.expose();
        let owner = engine.authenticate(key, &UserRef::Primary).await.unwrap();
        let (a, b) = (add_agent(&engine, &owner, key).await, add_agent(&engine, &owner, key).await);
        let source = sdk_source(&engine, &owner).await;
        engine.create_queue(&owner, queue("support", Strategy::RoundRobin, vec![&a, &b], &source)).await.unwrap();

        message(&store, &source, "m1", "t1").await;
        engine.take_in().await.unwrap();
        let all = engine.active_interactions(&owner).await.unwrap();
        assert_eq!(all.len(), 1);
        let id = all[0].interaction.id.clone();
        assert_eq!(all[0].interaction.state, InteractionState::Queued, "nobody is ready");
        assert_eq!(all[0].queue_name.as_deref(), Some("support"));

        // a goes Ready and is offered it at once; a second message of the thread opens nothing.
        engine.set_agent_state(&a, &a.user.id, None, StateChange::ready()).await.unwrap();
        message(&store, &source, "m2", "t1").await;
        engine.take_in().await.unwrap();
        let mine = engine.my_interactions(&a).await.unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!((mine[0].state, mine[0].agent_id.as_ref()), (InteractionState::Offered, Some(&a.user.id)));
        assert!(matches!(engine.accept_interaction(&b, &id).await.unwrap_err(), Error::Forbidden(_)));

        // a rejects while b is not ready: nobody else can take it, so a is offered it again.
        let again = engine.reject_interaction(&a, &id).await.unwrap();
        assert_eq!(again.state, InteractionState::Queued);
        let now = engine.get_interaction(&owner, &id).await.unwrap().interaction;
        assert_eq!((now.state, now.agent_id.as_ref(), now.offers), (InteractionState::Offered, Some(&a.user.id), 2));

        // b goes Ready; a's offer runs out: b is offered it, a skipped as having declined it.
        engine.set_agent_state(&b, &b.user.id, Some(Channel::Chat), StateChange::ready()).await.unwrap();
        engine.expire_offer(&OfferTimeoutJob { company_id: owner.company_id.clone(), interaction_id: id.clone(), offer: 2 }).await.unwrap();
        let details = engine.get_interaction(&owner, &id).await.unwrap();
        assert_eq!((details.interaction.agent_id.as_ref(), details.interaction.offers), (Some(&b.user.id), 3));
        let decision = details.history.iter().rev().find(|h| h.kind == HistoryKind::Decision).unwrap();
        assert!(decision.reason.starts_with("round_robin"), "{}", decision.reason);
        assert_eq!(decision.skipped.iter().map(|s| (s.user_id.clone(), s.reason.as_str())).collect::<Vec<_>>(), vec![(a.user.id.clone(), "rejected_before")]);
        // The job of an earlier offer does nothing.
        engine.expire_offer(&OfferTimeoutJob { company_id: owner.company_id.clone(), interaction_id: id.clone(), offer: 2 }).await.unwrap();
        assert_eq!(engine.get_interaction(&owner, &id).await.unwrap().interaction.offers, 3);

        // b goes NotReady: the offer is revoked and a gets it again.
        engine.set_agent_state(&b, &b.user.id, None, StateChange::not_ready(Some("break".into()))).await.unwrap();
        let now = engine.get_interaction(&owner, &id).await.unwrap().interaction;
        assert_eq!((now.state, now.agent_id.as_ref()), (InteractionState::Offered, Some(&a.user.id)));

        engine.accept_interaction(&a, &id).await.unwrap();
        assert!(matches!(engine.reject_interaction(&a, &id).await.unwrap_err(), Error::Conflict(_)));
        let done = engine.complete_interaction(&a, &id).await.unwrap();
        assert_eq!(done.state, InteractionState::Completed);
        assert!(engine.my_interactions(&a).await.unwrap().is_empty());

        // The thread's next message opens a new interaction, offered to a (b is not ready).
        message(&store, &source, "m3", "t1").await;
        engine.take_in().await.unwrap();
        let mine = engine.my_interactions(&a).await.unwrap();
        assert_eq!(mine.len(), 1);
        assert_ne!(mine[0].id, id);

        assert_eq!(interaction_events(&store, &owner).await, vec![
            "interaction.created", "interaction.offered", "interaction.rejected", "interaction.offered",
            "interaction.revoked", "interaction.offered", "interaction.revoked", "interaction.offered",
            "interaction.accepted", "interaction.completed", "interaction.created", "interaction.offered",
        ]);

        // Another company sees none of it.
        let (other, _) = company(&engine, "Other").await;
        assert_eq!(engine.get_interaction(&other, &id).await.unwrap_err(), Error::NotFound(Resource::Interaction));
        assert!(matches!(engine.accept_interaction(&other, &id).await.unwrap_err(), Error::NotFound(_)));
        assert!(engine.active_interactions(&other).await.unwrap().is_empty());
    }

    async fn an_agent_never_gets_more_than_their_capacity_and_a_completion_frees_room(store: Store) {
        let engine = Engine::new(store.clone(), Default::default()).unwrap();
        let created = engine.create_company(NewCompany { name: "Acme".into(), email: None, first_name: None, last_name: None }).await.unwrap();
        let key = created.api_key.expose();
        let owner = engine.authenticate(key, &UserRef::Primary).await.unwrap();
        let a = add_agent(&engine, &owner, key).await;
        let source = sdk_source(&engine, &owner).await;
        engine.create_queue(&owner, queue("support", Strategy::LeastBusy, vec![&a], &source)).await.unwrap();
        engine.set_agent_capacity(&owner, &a.user.id, Channel::Chat, 2).await.unwrap();
        engine.set_agent_state(&a, &a.user.id, None, StateChange::ready()).await.unwrap();
        for t in ["t1", "t2", "t3"] {
            message(&store, &source, &format!("m-{t}"), t).await;
        }
        engine.take_in().await.unwrap();
        let mine = engine.my_interactions(&a).await.unwrap();
        assert_eq!(mine.len(), 2, "capacity 2");
        let waiting = engine.list_interactions(&owner, &switchboard_engine::routing::InteractionQuery { state: Some(InteractionState::Queued), ..Default::default() }).await.unwrap();
        assert_eq!(waiting.len(), 1);
        let q = engine.list_queues(&owner).await.unwrap().remove(0);
        let figures = engine.queue_figures(&owner, &q).await.unwrap();
        assert_eq!((figures.waiting, figures.agents_ready), (1, 1));
        let agents = engine.list_agents(&owner).await.unwrap();
        let load = agents.iter().find(|l| l.user_id == a.user.id).unwrap();
        assert_eq!((load.channels[0].0.capacity, load.channels[0].1), (2, 2));

        engine.accept_interaction(&a, &mine[0].id).await.unwrap();
        engine.complete_interaction(&a, &mine[0].id).await.unwrap();
        let mine = engine.my_interactions(&a).await.unwrap();
        assert_eq!(mine.len(), 2, "the waiting one took the freed room");
        assert!(engine.list_interactions(&owner, &switchboard_engine::routing::InteractionQuery { state: Some(InteractionState::Queued), ..Default::default() }).await.unwrap().is_empty());
        assert!(matches!(engine.create_queue(&owner, queue("support", Strategy::LeastBusy, vec![&a], &source)).await.unwrap_err(), Error::Conflict(_)));
        assert!(matches!(engine.create_queue(&a, queue("mine", Strategy::LeastBusy, vec![&a], &source)).await.unwrap_err(), Error::Forbidden(_)));
    }
}

store_test! {
    async fn an_accepted_interaction_is_cancelled_transferred_and_set_aside_in_workbins(store: Store) {
        let engine = Engine::new(store.clone(), Default::default()).unwrap();
        let created = engine.create_company(NewCompany { name: "Acme".into(), email: None, first_name: None, last_name: None }).await.unwrap();
        let key = created.api_key.expose();
        let owner = engine.authenticate(key, &UserRef::Primary).await.unwrap();
        let (a, b) = (add_agent(&engine, &owner, key).await, add_agent(&engine, &owner, key).await);
        let source = sdk_source(&engine, &owner).await;
        let support = engine.create_queue(&owner, queue("support", Strategy::LongestIdle, vec![&a, &b], &source)).await.unwrap();
        engine.create_queue(&owner, QueueDetails { feeds: vec![], ..queue("billing", Strategy::RoundRobin, vec![&b], &source) }).await.unwrap();
        engine.set_agent_state(&a, &a.user.id, Some(Channel::Chat), StateChange::ready()).await.unwrap();
        message(&store, &source, "m1", "t1").await;
        engine.take_in().await.unwrap();
        let id = engine.my_interactions(&a).await.unwrap()[0].id.clone();
        assert!(matches!(engine.cancel_interaction(&a, &id).await.unwrap_err(), Error::Conflict(_)), "not accepted yet");
        engine.accept_interaction(&a, &id).await.unwrap();

        // Cancel gives it back: a is the only one ready, so it comes back to a.
        let back = engine.cancel_interaction(&a, &id).await.unwrap();
        assert_eq!(back.state, InteractionState::Queued);
        let now = engine.get_interaction(&owner, &id).await.unwrap().interaction;
        assert_eq!((now.state, now.agent_id.as_ref()), (InteractionState::Offered, Some(&a.user.id)));
        engine.accept_interaction(&a, &id).await.unwrap();

        // A transfer goes only to a Ready agent with room.
        let to_b = switchboard_engine::routing::TransferTarget::User(b.user.id.clone());
        assert!(matches!(engine.transfer_interaction(&a, &id, to_b.clone()).await.unwrap_err(), Error::Conflict(_)));
        assert_eq!(engine.get_interaction(&owner, &id).await.unwrap().interaction.agent_id.as_ref(), Some(&a.user.id), "a refused transfer changes nothing");
        engine.set_agent_state(&b, &b.user.id, Some(Channel::Chat), StateChange::ready()).await.unwrap();
        engine.transfer_interaction(&a, &id, to_b).await.unwrap();
        let now = engine.get_interaction(&owner, &id).await.unwrap().interaction;
        assert_eq!((now.state, now.agent_id.as_ref()), (InteractionState::Offered, Some(&b.user.id)));
        engine.accept_interaction(&b, &id).await.unwrap();

        // User data: attach keeps existing keys, update overwrites, delete removes.
        use switchboard_engine::routing::UserDataChange;
        let data = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| ((*k).to_owned(), json!(v))).collect();
        engine.change_user_data(&b, &id, UserDataChange::Attach(data(&[("topic", "refund"), ("tier", "gold")]))).await.unwrap();
        engine.change_user_data(&b, &id, UserDataChange::Attach(data(&[("topic", "other")]))).await.unwrap();
        engine.change_user_data(&b, &id, UserDataChange::Update(data(&[("tier", "silver")]))).await.unwrap();
        let i = engine.change_user_data(&b, &id, UserDataChange::Delete(vec!["tier".into()])).await.unwrap();
        assert_eq!(i.user_data, data(&[("topic", "refund")]));
        assert!(matches!(engine.change_user_data(&a, &id, UserDataChange::Delete(vec![])).await.unwrap_err(), Error::Forbidden(_)));

        // To a queue's workbin: out of routing and of b's load; a member pulls it and holds it.
        let bin = switchboard_domain::routing::Workbin::Queue { queue_id: support.id.clone() };
        engine.place_in_workbin(&b, &id, bin.clone()).await.unwrap();
        assert!(engine.my_interactions(&b).await.unwrap().is_empty());
        assert_eq!(engine.workbin_content(&a, &bin).await.unwrap().len(), 1);
        let pulled = engine.pull_from_workbin(&a, &id).await.unwrap();
        assert_eq!((pulled.state, pulled.agent_id.as_ref()), (InteractionState::Accepted, Some(&a.user.id)));
        assert!(engine.workbin_content(&a, &bin).await.unwrap().is_empty());

        // Transfer to the billing queue: offered there to its member b.
        engine.transfer_interaction(&a, &id, switchboard_engine::routing::TransferTarget::Queue("billing".into())).await.unwrap();
        let details = engine.get_interaction(&owner, &id).await.unwrap();
        assert_eq!((details.queue_name.as_deref(), details.interaction.agent_id.as_ref()), (Some("billing"), Some(&b.user.id)));
        assert!(matches!(engine.transfer_interaction(&b, &id, switchboard_engine::routing::TransferTarget::Queue("nope".into())).await.unwrap_err(), Error::Conflict(_) | Error::NotFound(_)));

        // Another company can touch none of it.
        let (other, _) = company(&engine, "Other").await;
        assert_eq!(engine.cancel_interaction(&other, &id).await.unwrap_err(), Error::NotFound(Resource::Interaction));
        assert_eq!(engine.pull_from_workbin(&other, &id).await.unwrap_err(), Error::NotFound(Resource::Interaction));
        assert!(engine.workbin_content(&other, &bin).await.is_err());

        let kinds = interaction_events(&store, &owner).await;
        assert_eq!(kinds, vec![
            "interaction.created", "interaction.offered", "interaction.accepted", "interaction.queued",
            "interaction.offered", "interaction.accepted", "interaction.transferred", "interaction.offered",
            "interaction.accepted", "interaction.user_data_updated", "interaction.user_data_updated",
            "interaction.user_data_updated", "interaction.user_data_updated", "interaction.placed_in_workbin",
            "interaction.accepted", "interaction.transferred", "interaction.offered",
        ]);
    }
}

store_test! {
    async fn an_interaction_that_waited_its_queue_s_maximum_overflows_to_the_next_queue(store: Store) {
        let engine = Engine::new(store.clone(), Default::default()).unwrap();
        let created = engine.create_company(NewCompany { name: "Acme".into(), email: None, first_name: None, last_name: None }).await.unwrap();
        let key = created.api_key.expose();
        let owner = engine.authenticate(key, &UserRef::Primary).await.unwrap();
        let (a, b) = (add_agent(&engine, &owner, key).await, add_agent(&engine, &owner, key).await);
        let source = sdk_source(&engine, &owner).await;
        let backup = engine.create_queue(&owner, QueueDetails { feeds: vec![], ..queue("backup", Strategy::LongestIdle, vec![&b], &source) }).await.unwrap();
        let overflow = switchboard_domain::routing::Overflow { queue_id: backup.id.clone(), max_wait_secs: 1 };
        engine.create_queue(&owner, QueueDetails { overflow: Some(overflow), ..queue("front", Strategy::LongestIdle, vec![&a], &source) }).await.unwrap();
        engine.set_agent_state(&b, &b.user.id, Some(Channel::Chat), StateChange::ready()).await.unwrap();
        message(&store, &source, "m1", "t1").await;
        engine.take_in().await.unwrap();
        let id = engine.active_interactions(&owner).await.unwrap()[0].interaction.id.clone();
        assert_eq!(engine.get_interaction(&owner, &id).await.unwrap().queue_name.as_deref(), Some("front"), "a, its only member, is not ready");

        // The `routing.route` job queued for the end of the wait runs a pass; run it until the
        // second has passed (a generous bound, no timing in the assertion).
        let job = switchboard_engine::routing::RouteJob { company_id: owner.company_id.clone() };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let details = loop {
            engine.route_company(&job).await.unwrap();
            let d = engine.get_interaction(&owner, &id).await.unwrap();
            if d.queue_name.as_deref() == Some("backup") {
                break d;
            }
            assert!(std::time::Instant::now() < deadline, "never overflowed");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        };
        assert_eq!((details.interaction.state, details.interaction.agent_id.as_ref()), (InteractionState::Offered, Some(&b.user.id)));
        assert!(details.history.iter().any(|h| h.reason == "overflow"), "{:?}", details.history);
        assert_eq!(interaction_events(&store, &owner).await, vec!["interaction.created", "interaction.queued", "interaction.offered"]);
        // A queue another overflows into stays.
        assert!(matches!(engine.delete_queue(&owner, &backup.id).await.unwrap_err(), Error::Conflict(_)));
    }
}
