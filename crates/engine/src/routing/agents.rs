//! Agents' states per channel: Ready / NotReady (with a reason), and the end of an agent's
//! session.

use switchboard_domain::agent::{AgentChannel, AgentState, Channel, SESSION_ENDED, StateChange};
use switchboard_domain::event::Event;
use switchboard_domain::routing::InteractionState;
use switchboard_domain::user::Role;
use switchboard_domain::{Error, Resource, Result, Timestamp, UserId};
use switchboard_store::{Tx, agents, events, routing, users};

use super::{interactions, pass};
use crate::{Actor, Engine};

impl Engine {
    /// Puts the agent `user` in `change`'s state on `channel`, or on every channel when `None`:
    /// going NotReady revokes their pending offers there (routed again to others), going Ready
    /// routes what they can take. Returns the agent's channels as they now are (every channel, in [`Channel::ALL`]
    /// order). Raises `agent.state_changed` for each channel whose state or reason changed;
    /// setting the state an agent is already in changes nothing. Agents set their own state;
    /// the owner and administrators may set anyone's.
    #[tracing::instrument(skip_all, fields(company = %actor.company_id, user = %user))]
    pub async fn set_agent_state(
        &self,
        actor: &Actor,
        user: &UserId,
        channel: Option<Channel>,
        change: StateChange,
    ) -> Result<Vec<AgentChannel>> {
        change.validate()?;
        may_act_for(actor, user)?;
        let mut tx = self.store.begin().await?;
        routing::lock(&mut tx, &actor.company_id).await?;
        let channels = match channel {
            Some(c) => vec![c],
            None => Channel::ALL.to_vec(),
        };
        let now = agent_channels_for_update(&mut tx, actor, user).await?;
        let updated = apply(&mut tx, actor, now, &channels, &change).await?;
        if change.state == AgentState::NotReady {
            revoke_offers(&mut tx, actor, user, &channels, "agent_not_ready").await?;
        }
        pass::route(&mut tx, &actor.company_id).await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// The agent's channels: their state, reason and capacity, every channel in
    /// [`Channel::ALL`] order (a channel never set is NotReady with its default capacity).
    /// Anyone of the company may read them.
    pub async fn agent_states(&self, actor: &Actor, user: &UserId) -> Result<Vec<AgentChannel>> {
        let mut r = self.store.reader().await?;
        users::get(&mut r, &actor.company_id, user).await?.ok_or(Error::NotFound(Resource::User))?;
        let stored = agents::of_user(&mut r, &actor.company_id, user).await?;
        Ok(complete(user, stored))
    }

    /// Ends the agent's contact-centre session: every channel NotReady with the reason
    /// [`SESSION_ENDED`], so nothing more is offered to them; their pending offers are revoked
    /// and routed again. Returns the channels as they now
    /// are. Who may: as [`Engine::set_agent_state`].
    #[tracing::instrument(skip_all, fields(company = %actor.company_id, user = %user))]
    pub async fn end_agent_session(&self, actor: &Actor, user: &UserId) -> Result<Vec<AgentChannel>> {
        may_act_for(actor, user)?;
        let mut tx = self.store.begin().await?;
        routing::lock(&mut tx, &actor.company_id).await?;
        let now = agent_channels_for_update(&mut tx, actor, user).await?;
        let change = StateChange::not_ready(Some(SESSION_ENDED.to_owned()));
        let updated = apply(&mut tx, actor, now, &Channel::ALL, &change).await?;
        revoke_offers(&mut tx, actor, user, &Channel::ALL, SESSION_ENDED).await?;
        pass::route(&mut tx, &actor.company_id).await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Sets how many interactions of `channel` the agent handles at once (the owner and
    /// administrators), and routes what the new room allows. Offers and interactions already
    /// held stay, even above a lowered capacity.
    #[tracing::instrument(skip_all, fields(company = %actor.company_id, user = %user))]
    pub async fn set_agent_capacity(
        &self,
        actor: &Actor,
        user: &UserId,
        channel: Channel,
        capacity: u32,
    ) -> Result<Vec<AgentChannel>> {
        actor.require_admin("set agents' capacities")?;
        if capacity > MAX_CAPACITY {
            return Err(Error::invalid_field("capacity", format!("must be at most {MAX_CAPACITY}")));
        }
        let mut tx = self.store.begin().await?;
        routing::lock(&mut tx, &actor.company_id).await?;
        let mut now = agent_channels_for_update(&mut tx, actor, user).await?;
        for a in now.iter_mut().filter(|a| a.channel == channel) {
            a.capacity = capacity;
            a.updated_at = Timestamp::now();
            agents::put(&mut tx, &actor.company_id, a).await?;
        }
        pass::route(&mut tx, &actor.company_id).await?;
        tx.commit().await?;
        Ok(now)
    }

    /// Every user of the company as an agent: their channels and how many interactions each
    /// holds now (offered or accepted).
    pub async fn list_agents(&self, actor: &Actor) -> Result<Vec<AgentLoad>> {
        let mut r = self.store.reader().await?;
        let (list, _) = users::list(&mut r, &actor.company_id, &Default::default(), i64::MAX, 0).await?;
        let stored = agents::list(&mut r, &actor.company_id).await?;
        let holding = routing::holding(&mut r, &actor.company_id).await?;
        Ok(list
            .into_iter()
            .map(|u| {
                let mine: Vec<AgentChannel> = stored.iter().filter(|a| a.user_id == u.id).cloned().collect();
                let channels = complete(&u.id, mine)
                    .into_iter()
                    .map(|a| {
                        let load = holding
                            .iter()
                            .filter(|i| i.agent_id.as_ref() == Some(&u.id) && i.channel == a.channel)
                            .count();
                        (a, load as u32)
                    })
                    .collect();
                AgentLoad { user_id: u.id, channels }
            })
            .collect())
    }
}

/// Most interactions of one channel an agent may be given at once.
pub const MAX_CAPACITY: u32 = 1000;

/// An agent's channels, each with the interactions it holds now.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentLoad {
    pub user_id: UserId,
    pub channels: Vec<(AgentChannel, u32)>,
}

/// Revokes the offers pending for the agent on `channels` and queues them again.
async fn revoke_offers(
    tx: &mut Tx<'_>,
    actor: &Actor,
    user: &UserId,
    channels: &[Channel],
    reason: &str,
) -> Result<()> {
    let pending = routing::holding(tx, &actor.company_id).await?;
    for mut i in pending.into_iter().filter(|i| {
        i.state == InteractionState::Offered && i.agent_id.as_ref() == Some(user) && channels.contains(&i.channel)
    }) {
        interactions::requeue(&mut i, None);
        let name = match &i.queue_id {
            Some(q) => routing::get_queue(tx, &actor.company_id, q).await?.map(|q| q.name),
            None => None,
        };
        pass::changed(tx, &i, name.as_deref(), Event::InteractionRevoked, Some(reason), Some(user)).await?;
    }
    Ok(())
}

/// Agents change their own state; the owner, administrators and supervisors change anyone's.
fn may_act_for(actor: &Actor, user: &UserId) -> Result<()> {
    if &actor.user.id == user || matches!(actor.user.role, Role::Primary | Role::Admin | Role::Supervisor) {
        Ok(())
    } else {
        Err(Error::forbidden("only the agent themself, an administrator or a supervisor may change an agent's state"))
    }
}

/// The agent's channels, every one, locked for the rest of the transaction. The user row is
/// locked too, so that two first changes of an agent (no rows yet) are not interleaved.
async fn agent_channels_for_update(tx: &mut Tx<'_>, actor: &Actor, user: &UserId) -> Result<Vec<AgentChannel>> {
    users::get_for_update(tx, &actor.company_id, user).await?.ok_or(Error::NotFound(Resource::User))?;
    let stored = agents::of_user_for_update(tx, &actor.company_id, user).await?;
    Ok(complete(user, stored))
}

/// Every channel of the agent: the stored ones, and the initial state of the others.
fn complete(user: &UserId, stored: Vec<AgentChannel>) -> Vec<AgentChannel> {
    let now = Timestamp::now();
    Channel::ALL
        .into_iter()
        .map(|c| {
            stored
                .iter()
                .find(|a| a.channel == c)
                .cloned()
                .unwrap_or_else(|| AgentChannel::initial(user.clone(), c, now))
        })
        .collect()
}

/// Writes `change` on the `channels` of the agent whose channels are `current`, raising an
/// event for each that changed; returns every channel as it now is.
async fn apply(
    tx: &mut Tx<'_>,
    actor: &Actor,
    current: Vec<AgentChannel>,
    channels: &[Channel],
    change: &StateChange,
) -> Result<Vec<AgentChannel>> {
    let now = Timestamp::now();
    let mut raised = Vec::new();
    let mut out = Vec::with_capacity(current.len());
    for mut agent in current {
        if channels.contains(&agent.channel) && (agent.state != change.state || agent.reason != change.reason) {
            agent.state = change.state;
            agent.reason = change.reason.clone();
            agent.updated_at = now;
            agents::put(tx, &actor.company_id, &agent).await?;
            raised.push(Event::AgentStateChanged((&agent).into()));
        }
        out.push(agent);
    }
    events::append(tx, &actor.company_id, raised);
    Ok(out)
}
