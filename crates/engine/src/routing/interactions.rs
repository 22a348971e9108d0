//! What agents (and administrators) do with interactions: accept, reject, complete, place in a
//! queue, transfer, workbins, user data; and the reads. Every change takes the company's routing
//! lock first, then routes what it made possible, in its own transaction.

use std::collections::BTreeMap;

use serde_json::Value;
use switchboard_domain::event::{Event, InteractionSnapshot};
use switchboard_domain::routing::{
    HistoryEntry, Interaction, InteractionState, Queue, QueueDetails, Workbin, validate_user_data,
};
use switchboard_domain::user::Role;
use switchboard_domain::{CompanyId, Error, InteractionId, QueueId, Resource, Result, Timestamp, UserId};
use switchboard_store::{Tx, agents, routing, users};

use super::pass::{changed, route, schedule_overflow};
use crate::{Actor, Engine};

/// Where a transfer sends an interaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferTarget {
    /// Offered to this agent directly.
    User(UserId),
    /// Queued in the queue of this name.
    Queue(String),
}

/// A change to an interaction's user data.
#[derive(Debug, Clone, PartialEq)]
pub enum UserDataChange {
    /// Adds the keys it does not have yet; existing keys keep their values.
    Attach(BTreeMap<String, Value>),
    /// Sets the given keys, adding or overwriting.
    Update(BTreeMap<String, Value>),
    /// Removes the keys.
    Delete(Vec<String>),
}

/// An interaction, its queue's name, and its history of states and routing decisions.
#[derive(Debug, Clone, PartialEq)]
pub struct InteractionDetails {
    pub interaction: Interaction,
    pub queue_name: Option<String>,
    pub history: Vec<HistoryEntry>,
}

/// Which interactions a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InteractionQuery {
    pub state: Option<InteractionState>,
    pub agent_id: Option<UserId>,
    pub queue_id: Option<QueueId>,
    /// Only those not completed.
    pub active: bool,
}

/// Most interactions a list returns.
pub const LIST_LIMIT: i64 = 1000;

/// The owner, administrators and supervisors watch and handle every interaction of the company.
fn is_admin(actor: &Actor) -> bool {
    matches!(actor.user.role, Role::Primary | Role::Admin | Role::Supervisor)
}

/// The interaction, locked by the routing lock the caller holds.
async fn load(tx: &mut Tx<'_>, company: &CompanyId, id: &InteractionId) -> Result<Interaction> {
    routing::get_interaction(tx, company, id).await?.ok_or(Error::NotFound(Resource::Interaction))
}

async fn queue_name(tx: &mut Tx<'_>, company: &CompanyId, queue: Option<&QueueId>) -> Result<Option<String>> {
    match queue {
        Some(q) => Ok(routing::get_queue(tx, company, q).await?.map(|q| q.name)),
        None => Ok(None),
    }
}

/// A refusal of an operation the interaction's state does not allow.
fn wrong_state(i: &Interaction, op: &str) -> Error {
    Error::Conflict(format!("cannot {op} an interaction that is {}", i.state.as_str()))
}

/// The agent's own interaction (offered to or accepted by them), or any for an administrator.
fn require_agent(actor: &Actor, i: &Interaction, op: &str) -> Result<()> {
    if i.agent_id.as_ref() == Some(&actor.user.id) || is_admin(actor) {
        Ok(())
    } else {
        Err(Error::forbidden(format!("only the interaction's agent may {op} it")))
    }
}

impl Engine {
    /// Runs `f` on the interaction in a transaction holding the company's routing lock, then
    /// routes and commits.
    async fn with_interaction<T>(
        &self,
        actor: &Actor,
        id: &InteractionId,
        f: impl AsyncFnOnce(&mut Tx<'_>, Interaction) -> Result<T>,
    ) -> Result<T> {
        let mut tx = self.store.begin().await?;
        routing::lock(&mut tx, &actor.company_id).await?;
        let i = load(&mut tx, &actor.company_id, id).await?;
        let out = f(&mut tx, i).await?;
        route(&mut tx, &actor.company_id).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// The offered agent takes the interaction.
    #[tracing::instrument(skip_all, fields(company = %actor.company_id, interaction = %id))]
    pub async fn accept_interaction(&self, actor: &Actor, id: &InteractionId) -> Result<Interaction> {
        self.with_interaction(actor, id, async |tx, mut i| {
            if i.state != InteractionState::Offered {
                return Err(wrong_state(&i, "accept"));
            }
            if i.agent_id.as_ref() != Some(&actor.user.id) {
                return Err(Error::forbidden("the interaction is offered to another agent"));
            }
            let now = Timestamp::now();
            i.state = InteractionState::Accepted;
            i.offer_deadline = None;
            i.accepted_at = Some(now);
            i.updated_at = now;
            let name = queue_name(tx, &actor.company_id, i.queue_id.as_ref()).await?;
            changed(tx, &i, name.as_deref(), Event::InteractionAccepted, None, None).await?;
            Ok(i)
        })
        .await
    }

    /// The offered agent declines the interaction: it is queued again and offered to another
    /// member first.
    #[tracing::instrument(skip_all, fields(company = %actor.company_id, interaction = %id))]
    pub async fn reject_interaction(&self, actor: &Actor, id: &InteractionId) -> Result<Interaction> {
        self.with_interaction(actor, id, async |tx, mut i| {
            if i.state != InteractionState::Offered {
                return Err(wrong_state(&i, "reject"));
            }
            if i.agent_id.as_ref() != Some(&actor.user.id) {
                return Err(Error::forbidden("the interaction is offered to another agent"));
            }
            requeue(&mut i, Some(actor.user.id.clone()));
            let name = queue_name(tx, &actor.company_id, i.queue_id.as_ref()).await?;
            changed(tx, &i, name.as_deref(), Event::InteractionRejected, Some("rejected"), Some(&actor.user.id))
                .await?;
            Ok(i)
        })
        .await
    }

    /// The agent is done with the interaction; its capacity is free again.
    #[tracing::instrument(skip_all, fields(company = %actor.company_id, interaction = %id))]
    pub async fn complete_interaction(&self, actor: &Actor, id: &InteractionId) -> Result<Interaction> {
        self.with_interaction(actor, id, async |tx, mut i| {
            if !matches!(i.state, InteractionState::Accepted | InteractionState::InWorkbin) {
                return Err(wrong_state(&i, "complete"));
            }
            require_agent(actor, &i, "complete")?;
            let now = Timestamp::now();
            i.state = InteractionState::Completed;
            i.offer_deadline = None;
            i.completed_at = Some(now);
            i.updated_at = now;
            let name = queue_name(tx, &actor.company_id, i.queue_id.as_ref()).await?;
            changed(tx, &i, name.as_deref(), Event::InteractionCompleted, None, None).await?;
            Ok(i)
        })
        .await
    }

    /// The agent gives an accepted interaction up without finishing it (GWS `Cancel`): it is
    /// queued again in its queue, offered to other members first, so the customer is not
    /// dropped.
    #[tracing::instrument(skip_all, fields(company = %actor.company_id, interaction = %id))]
    pub async fn cancel_interaction(&self, actor: &Actor, id: &InteractionId) -> Result<Interaction> {
        self.with_interaction(actor, id, async |tx, mut i| {
            held_by(actor, &i, "cancel")?;
            let agent = i.agent_id.clone();
            requeue(&mut i, agent.clone());
            i.accepted_at = None;
            let name = queue_name(tx, &actor.company_id, i.queue_id.as_ref()).await?;
            changed(tx, &i, name.as_deref(), Event::InteractionQueued, Some("cancelled"), agent.as_ref()).await?;
            Ok(i)
        })
        .await
    }

    /// Puts the interaction (the agent's, accepted) in the queue of this name, to be routed
    /// again from there.
    #[tracing::instrument(skip_all, fields(company = %actor.company_id, interaction = %id))]
    pub async fn place_in_queue(&self, actor: &Actor, id: &InteractionId, queue_name: &str) -> Result<Interaction> {
        self.with_interaction(actor, id, async |tx, mut i| {
            held_by(actor, &i, "place in a queue")?;
            let queue = queue_named(tx, &actor.company_id, queue_name).await?;
            to_queue(tx, &mut i, &queue, Event::InteractionQueued, "placed_in_queue").await?;
            Ok(i)
        })
        .await
    }

    /// Hands the interaction (the agent's, accepted) to another agent, who is offered it, or
    /// to a queue.
    #[tracing::instrument(skip_all, fields(company = %actor.company_id, interaction = %id))]
    pub async fn transfer_interaction(
        &self,
        actor: &Actor,
        id: &InteractionId,
        to: TransferTarget,
    ) -> Result<Interaction> {
        self.with_interaction(actor, id, async |tx, mut i| {
            held_by(actor, &i, "transfer")?;
            match &to {
                TransferTarget::Queue(name) => {
                    let queue = queue_named(tx, &actor.company_id, name).await?;
                    to_queue(tx, &mut i, &queue, Event::InteractionTransferred, "transferred_to_queue").await?;
                }
                TransferTarget::User(user) => {
                    users::get(tx, &actor.company_id, user).await?.ok_or(Error::NotFound(Resource::User))?;
                    check_room(tx, &i, user).await?;
                    offer_directly(tx, &mut i, user).await?;
                }
            }
            Ok(i)
        })
        .await
    }

    /// Sets the interaction (the agent's, accepted) aside in a workbin: the agent's own or a
    /// queue's. It leaves routing and its agent's load until pulled.
    #[tracing::instrument(skip_all, fields(company = %actor.company_id, interaction = %id))]
    pub async fn place_in_workbin(&self, actor: &Actor, id: &InteractionId, workbin: Workbin) -> Result<Interaction> {
        self.with_interaction(actor, id, async |tx, mut i| {
            held_by(actor, &i, "place in a workbin")?;
            check_workbin(tx, actor, &workbin).await?;
            let now = Timestamp::now();
            i.state = InteractionState::InWorkbin;
            i.agent_id = None;
            i.offer_deadline = None;
            i.workbin = Some(workbin);
            i.updated_at = now;
            let name = queue_name(tx, &actor.company_id, i.queue_id.as_ref()).await?;
            changed(tx, &i, name.as_deref(), Event::InteractionPlacedInWorkbin, None, Some(&actor.user.id)).await?;
            Ok(i)
        })
        .await
    }

    /// Takes an interaction out of a workbin the agent may use: it is accepted by them.
    #[tracing::instrument(skip_all, fields(company = %actor.company_id, interaction = %id))]
    pub async fn pull_from_workbin(&self, actor: &Actor, id: &InteractionId) -> Result<Interaction> {
        self.with_interaction(actor, id, async |tx, mut i| {
            let Some(workbin) = i.workbin.clone().filter(|_| i.state == InteractionState::InWorkbin) else {
                return Err(wrong_state(&i, "pull from a workbin"));
            };
            check_workbin(tx, actor, &workbin).await?;
            let now = Timestamp::now();
            i.state = InteractionState::Accepted;
            i.agent_id = Some(actor.user.id.clone());
            i.workbin = None;
            i.accepted_at = Some(now);
            i.updated_at = now;
            let name = queue_name(tx, &actor.company_id, i.queue_id.as_ref()).await?;
            changed(tx, &i, name.as_deref(), Event::InteractionAccepted, Some("pulled_from_workbin"), None).await?;
            Ok(i)
        })
        .await
    }

    /// The interactions in a workbin the actor may use, oldest first.
    pub async fn workbin_content(&self, actor: &Actor, workbin: &Workbin) -> Result<Vec<Interaction>> {
        let mut tx = self.store.begin().await?;
        check_workbin(&mut tx, actor, workbin).await?;
        let all = routing::list_interactions(
            &mut tx,
            &actor.company_id,
            &routing::InteractionFilter { state: Some(InteractionState::InWorkbin), ..Default::default() },
            LIST_LIMIT,
        )
        .await?;
        drop(tx);
        Ok(all.into_iter().filter(|i| i.workbin.as_ref() == Some(workbin)).collect())
    }

    /// Changes the interaction's user data (its agent's, or any for an administrator).
    #[tracing::instrument(skip_all, fields(company = %actor.company_id, interaction = %id))]
    pub async fn change_user_data(
        &self,
        actor: &Actor,
        id: &InteractionId,
        change: UserDataChange,
    ) -> Result<Interaction> {
        self.with_interaction(actor, id, async |tx, mut i| {
            if i.state == InteractionState::Completed {
                return Err(wrong_state(&i, "change the user data of"));
            }
            require_agent(actor, &i, "change the user data of")?;
            match change {
                UserDataChange::Attach(data) => {
                    validate_user_data(&data)?;
                    for (k, v) in data {
                        i.user_data.entry(k).or_insert(v);
                    }
                }
                UserDataChange::Update(data) => {
                    validate_user_data(&data)?;
                    i.user_data.extend(data);
                }
                UserDataChange::Delete(keys) => {
                    for k in keys {
                        i.user_data.remove(&k);
                    }
                }
            }
            i.updated_at = Timestamp::now();
            let name = queue_name(tx, &actor.company_id, i.queue_id.as_ref()).await?;
            changed(tx, &i, name.as_deref(), Event::InteractionUserDataUpdated, Some("user_data_updated"), None)
                .await?;
            Ok(i)
        })
        .await
    }

    /// The interactions offered to or accepted by the actor, oldest first.
    pub async fn my_interactions(&self, actor: &Actor) -> Result<Vec<Interaction>> {
        let mut r = self.store.reader().await?;
        let f = routing::InteractionFilter { agent_id: Some(&actor.user.id), active: true, ..Default::default() };
        routing::list_interactions(&mut r, &actor.company_id, &f, LIST_LIMIT).await
    }

    /// The company's interactions matching `q`, oldest first: for the owner, administrators and
    /// supervisors.
    pub async fn list_interactions(&self, actor: &Actor, q: &InteractionQuery) -> Result<Vec<InteractionDetails>> {
        if !is_admin(actor) {
            return Err(Error::forbidden(
                "only the company owner, an administrator or a supervisor may list the company's interactions",
            ));
        }
        let mut r = self.store.reader().await?;
        let f = routing::InteractionFilter {
            state: q.state,
            agent_id: q.agent_id.as_ref(),
            queue_id: q.queue_id.as_ref(),
            active: q.active,
        };
        let list = routing::list_interactions(&mut r, &actor.company_id, &f, LIST_LIMIT).await?;
        let names: BTreeMap<QueueId, String> =
            routing::list_queues(&mut r, &actor.company_id).await?.into_iter().map(|q| (q.id, q.name)).collect();
        let mut out = Vec::with_capacity(list.len());
        for i in list {
            let history = routing::history(&mut r, &actor.company_id, &i.id).await?;
            let queue_name = i.queue_id.as_ref().and_then(|q| names.get(q)).cloned();
            out.push(InteractionDetails { interaction: i, queue_name, history });
        }
        Ok(out)
    }

    /// Every interaction of the company that is not completed, oldest first.
    pub async fn active_interactions(&self, actor: &Actor) -> Result<Vec<InteractionDetails>> {
        self.list_interactions(actor, &InteractionQuery { active: true, ..Default::default() }).await
    }

    /// One interaction with its history. Agents see those they hold; the owner and
    /// administrators see any.
    pub async fn get_interaction(&self, actor: &Actor, id: &InteractionId) -> Result<InteractionDetails> {
        let mut r = self.store.reader().await?;
        let i = routing::get_interaction(&mut r, &actor.company_id, id)
            .await?
            .ok_or(Error::NotFound(Resource::Interaction))?;
        if !is_admin(actor) && i.agent_id.as_ref() != Some(&actor.user.id) {
            return Err(Error::NotFound(Resource::Interaction));
        }
        let queue_name = match &i.queue_id {
            Some(q) => routing::get_queue(&mut r, &actor.company_id, q).await?.map(|q| q.name),
            None => None,
        };
        let history = routing::history(&mut r, &actor.company_id, &i.id).await?;
        Ok(InteractionDetails { interaction: i, queue_name, history })
    }
}

/// Back to waiting in its queue, remembering who declined it.
pub(crate) fn requeue(i: &mut Interaction, declined: Option<UserId>) {
    if let Some(d) = declined
        && !i.declined_by.contains(&d)
    {
        i.declined_by.push(d);
    }
    i.state = InteractionState::Queued;
    i.agent_id = None;
    i.offer_deadline = None;
    i.updated_at = Timestamp::now();
}

/// The interaction is accepted and the actor's (or the actor administers).
fn held_by(actor: &Actor, i: &Interaction, op: &str) -> Result<()> {
    if i.state != InteractionState::Accepted {
        return Err(wrong_state(i, op));
    }
    require_agent(actor, i, op)
}

async fn queue_named(tx: &mut Tx<'_>, company: &CompanyId, name: &str) -> Result<Queue> {
    routing::queue_by_name(tx, company, name).await?.ok_or(Error::NotFound(Resource::Queue))
}

/// Queues the interaction in `queue`, its wait counted from now.
async fn to_queue(
    tx: &mut Tx<'_>,
    i: &mut Interaction,
    queue: &Queue,
    event: fn(InteractionSnapshot) -> Event,
    reason: &str,
) -> Result<()> {
    let previous = i.agent_id.clone();
    requeue(i, None);
    i.declined_by.clear();
    i.queue_id = Some(queue.id.clone());
    i.queued_at = i.updated_at;
    schedule_overflow(tx, i, queue).await?;
    changed(tx, i, Some(&queue.name), event, Some(reason), previous.as_ref()).await
}

/// A transfer goes only to an agent Ready on the interaction's channel with room for it, as
/// any offer does.
async fn check_room(tx: &mut Tx<'_>, i: &Interaction, user: &UserId) -> Result<()> {
    let seat = agents::of_user(tx, &i.company_id, user).await?.into_iter().find(|a| a.channel == i.channel);
    let Some(seat) = seat.filter(|a| a.is_ready()) else {
        return Err(Error::Conflict(format!("the agent is not ready on {}", i.channel.as_str())));
    };
    let held = routing::holding(tx, &i.company_id)
        .await?
        .iter()
        .filter(|h| h.agent_id.as_ref() == Some(user) && h.channel == i.channel)
        .count();
    if held >= seat.capacity as usize {
        return Err(Error::Conflict(format!("the agent has no room for one more {} interaction", i.channel.as_str())));
    }
    Ok(())
}

/// Offers the interaction to `user` outside the queue's strategy (a transfer to an agent).
async fn offer_directly(tx: &mut Tx<'_>, i: &mut Interaction, user: &UserId) -> Result<()> {
    let queue = match &i.queue_id {
        Some(q) => routing::get_queue(tx, &i.company_id, q).await?,
        None => None,
    };
    let timeout = queue.as_ref().map_or(QueueDetails::DEFAULT_OFFER_TIMEOUT_SECS, |q| q.offer_timeout_secs);
    let name = queue.as_ref().map(|q| q.name.clone());
    let from = i.agent_id.clone();
    let by = from.map_or_else(|| "an administrator".to_owned(), |f| format!("agent {f}"));
    super::pass::offer(tx, i, user, timeout, format!("transfer: chosen by {by}"), vec![]).await?;
    changed(tx, i, name.as_deref(), Event::InteractionTransferred, Some("transferred_to_agent"), None).await?;
    changed(tx, i, name.as_deref(), Event::InteractionOffered, None, None).await
}

/// An agent's own workbin, or a queue's workbin for its members; any for an administrator.
async fn check_workbin(tx: &mut Tx<'_>, actor: &Actor, workbin: &Workbin) -> Result<()> {
    match workbin {
        Workbin::Agent { user_id } => {
            if user_id != &actor.user.id && !is_admin(actor) {
                return Err(Error::forbidden("an agent's workbin is theirs alone"));
            }
            users::get(tx, &actor.company_id, user_id).await?.ok_or(Error::NotFound(Resource::User))?;
        }
        Workbin::Queue { queue_id } => {
            let queue =
                routing::get_queue(tx, &actor.company_id, queue_id).await?.ok_or(Error::NotFound(Resource::Queue))?;
            if !queue.members.contains(&actor.user.id) && !is_admin(actor) {
                return Err(Error::forbidden("a queue's workbin is for its members"));
            }
        }
    }
    Ok(())
}
