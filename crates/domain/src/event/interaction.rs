//! The payload of `interaction.*` events, and how to find it in any of them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Event;
use crate::agent::Channel;
use crate::routing::{Interaction, InteractionState, Workbin};
use crate::time::rfc3339_micros;
use crate::{InteractionId, QueueId, SourceId, ThreadId, Timestamp, UserId};

impl Event {
    /// The interaction an `interaction.*` event is about.
    pub fn interaction(&self) -> Option<&InteractionSnapshot> {
        match self {
            Event::InteractionCreated(i)
            | Event::InteractionOffered(i)
            | Event::InteractionRevoked(i)
            | Event::InteractionAccepted(i)
            | Event::InteractionRejected(i)
            | Event::InteractionCompleted(i)
            | Event::InteractionQueued(i)
            | Event::InteractionTransferred(i)
            | Event::InteractionPlacedInWorkbin(i)
            | Event::InteractionUserDataUpdated(i) => Some(i),
            _ => None,
        }
    }
}

/// An interaction as its `interaction.*` events carry it: what a GWS `InteractionStateMessage`
/// needs (id, channel, queue, state, capabilities, user data, the agent), and why it changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InteractionSnapshot {
    pub id: InteractionId,
    pub thread_id: ThreadId,
    pub source_id: SourceId,
    pub channel: Channel,
    pub queue_id: Option<QueueId>,
    pub queue_name: Option<String>,
    pub state: InteractionState,
    /// The agent it is offered to or accepted by; for `interaction.revoked` and
    /// `interaction.rejected`, the agent whose offer ended.
    pub agent_id: Option<UserId>,
    #[serde(default, with = "rfc3339_micros::option")]
    pub offer_deadline: Option<Timestamp>,
    pub capabilities: Vec<String>,
    pub user_data: BTreeMap<String, Value>,
    pub workbin: Option<Workbin>,
    /// Why it changed: `offer_timeout`, `agent_not_ready`, `overflow`, … (`null` when the
    /// event type says it all).
    pub reason: Option<String>,
    #[serde(with = "rfc3339_micros")]
    pub updated_at: Timestamp,
}

impl InteractionSnapshot {
    /// `i` as it now is, in the queue named `queue_name`.
    pub fn new(i: &Interaction, queue_name: Option<&str>, reason: Option<&str>) -> Self {
        Self {
            id: i.id.clone(),
            thread_id: i.thread_id.clone(),
            source_id: i.source_id.clone(),
            channel: i.channel,
            queue_id: i.queue_id.clone(),
            queue_name: queue_name.map(str::to_owned),
            state: i.state,
            agent_id: i.agent_id.clone(),
            offer_deadline: i.offer_deadline,
            capabilities: i.capabilities().into_iter().map(str::to_owned).collect(),
            user_data: i.user_data.clone(),
            workbin: i.workbin.clone(),
            reason: reason.map(str::to_owned),
            updated_at: i.updated_at,
        }
    }

    /// The same, naming `agent` as the agent (the one whose offer ended).
    pub fn with_agent(mut self, agent: &UserId) -> Self {
        self.agent_id = Some(agent.clone());
        self
    }
}
