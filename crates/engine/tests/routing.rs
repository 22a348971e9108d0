//! The routing engine's use cases on the store, on both backends.

use switchboard_domain::agent::{AgentState, Channel, SESSION_ENDED, StateChange};
use switchboard_domain::company::NewCompany;
use switchboard_domain::user::UserDetails;
use switchboard_domain::{Error, Resource};
use switchboard_engine::auth::UserRef;
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
}
