//! Queues and the interactions routed through them. An interaction is one customer
//! conversation (a thread) waiting for, offered to, or handled by an agent; it is created by
//! the first inbound content of a thread without an open one, on the content's channel.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::agent::Channel;
use crate::text::TextRule;
use crate::{CompanyId, Error, InteractionId, QueueId, Result, SourceId, ThreadId, Timestamp, UserId};

/// How a queue picks among the Ready agents with room for one more interaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// The agent who has waited longest since their last offer (or since becoming Ready).
    LongestIdle,
    /// Members in turn, after the one offered last.
    RoundRobin,
    /// The agent with the smallest share of their capacity in use.
    LeastBusy,
}

impl Strategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::LongestIdle => "longest_idle",
            Strategy::RoundRobin => "round_robin",
            Strategy::LeastBusy => "least_busy",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "longest_idle" => Ok(Strategy::LongestIdle),
            "round_robin" => Ok(Strategy::RoundRobin),
            "least_busy" => Ok(Strategy::LeastBusy),
            other => Err(Error::invalid_field(
                "strategy",
                format!("must be longest_idle, round_robin or least_busy; got '{other}'"),
            )),
        }
    }
}

/// What feeds a queue: a source's contents, or only those of one of its categories.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feed {
    pub source_id: SourceId,
    #[serde(default)]
    pub category: Option<String>,
}

/// A queue of interactions and the agents (members) it offers them to.
#[derive(Debug, Clone, PartialEq)]
pub struct Queue {
    pub id: QueueId,
    pub company_id: CompanyId,
    pub name: String,
    pub strategy: Strategy,
    pub members: Vec<UserId>,
    pub feeds: Vec<Feed>,
    /// How long an offer waits for an answer before it is revoked, in seconds.
    pub offer_timeout_secs: u32,
    /// Where an interaction goes when it has waited `max_wait_secs` here without an agent.
    pub overflow: Option<Overflow>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overflow {
    pub queue_id: QueueId,
    pub max_wait_secs: u32,
}

/// The fields of a queue callers write.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueDetails {
    pub name: String,
    pub strategy: Strategy,
    pub members: Vec<UserId>,
    pub feeds: Vec<Feed>,
    pub offer_timeout_secs: u32,
    pub overflow: Option<Overflow>,
}

impl QueueDetails {
    pub const DEFAULT_OFFER_TIMEOUT_SECS: u32 = 30;

    pub fn validate(&self) -> Result<()> {
        TextRule::NAME.check("name", &self.name)?;
        if self.name.trim().is_empty() {
            return Err(Error::invalid_field("name", "must not be empty"));
        }
        if !(1..=86_400).contains(&self.offer_timeout_secs) {
            return Err(Error::invalid_field("offer_timeout_secs", "must be between 1 and 86400"));
        }
        for (i, f) in self.feeds.iter().enumerate() {
            TextRule::LABEL.check_opt(&format!("feeds[{i}].category"), f.category.as_deref())?;
        }
        if let Some(o) = &self.overflow
            && !(1..=604_800).contains(&o.max_wait_secs)
        {
            return Err(Error::invalid_field("overflow.max_wait_secs", "must be between 1 and 604800"));
        }
        Ok(())
    }
}

impl Queue {
    /// Whether a content of `source` with these categories feeds this queue.
    pub fn is_fed_by(&self, source: &SourceId, categories: &[String]) -> bool {
        self.feeds.iter().any(|f| &f.source_id == source && f.category.as_ref().is_none_or(|c| categories.contains(c)))
    }
}

/// Where an interaction stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InteractionState {
    /// Waiting in its queue for an agent.
    Queued,
    /// Offered to one agent, who has until the offer's deadline to accept or reject it.
    Offered,
    /// Taken by its agent.
    Accepted,
    /// Set aside in a workbin (an agent's or a queue's), out of routing.
    InWorkbin,
    /// Done; a later content of its thread opens a new interaction.
    Completed,
}

impl InteractionState {
    pub fn as_str(self) -> &'static str {
        match self {
            InteractionState::Queued => "queued",
            InteractionState::Offered => "offered",
            InteractionState::Accepted => "accepted",
            InteractionState::InWorkbin => "in_workbin",
            InteractionState::Completed => "completed",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "queued" => Ok(InteractionState::Queued),
            "offered" => Ok(InteractionState::Offered),
            "accepted" => Ok(InteractionState::Accepted),
            "in_workbin" => Ok(InteractionState::InWorkbin),
            "completed" => Ok(InteractionState::Completed),
            other => Err(Error::invalid_field("state", format!("unknown interaction state '{other}'"))),
        }
    }

    /// Whether the interaction counts against its agent's capacity.
    pub fn holds_agent(self) -> bool {
        matches!(self, InteractionState::Offered | InteractionState::Accepted)
    }
}

/// A workbin: an agent's own, or a queue's shared one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Workbin {
    Agent { user_id: UserId },
    Queue { queue_id: QueueId },
}

/// An interaction: one conversation being routed and handled.
#[derive(Debug, Clone, PartialEq)]
pub struct Interaction {
    pub id: InteractionId,
    pub company_id: CompanyId,
    pub thread_id: ThreadId,
    pub source_id: SourceId,
    pub channel: Channel,
    pub queue_id: Option<QueueId>,
    pub state: InteractionState,
    /// The agent it is offered to or accepted by.
    pub agent_id: Option<UserId>,
    pub offer_deadline: Option<Timestamp>,
    /// Offers made so far; an offer's time-out job names its number, so that a job of an
    /// earlier offer does nothing.
    pub offers: u32,
    /// Agents who rejected it or let the offer run out: offered others first.
    pub declined_by: Vec<UserId>,
    pub workbin: Option<Workbin>,
    pub user_data: BTreeMap<String, Value>,
    /// When it entered its current queue: its wait is counted from here.
    pub queued_at: Timestamp,
    pub accepted_at: Option<Timestamp>,
    pub completed_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Interaction {
    /// What the agent may do with it now, in GWS operation names.
    pub fn capabilities(&self) -> Vec<&'static str> {
        match self.state {
            InteractionState::Offered => vec!["Accept", "Reject"],
            InteractionState::Accepted => vec![
                "Complete",
                "Transfer",
                "PlaceInQueue",
                "PlaceInWorkbin",
                "AttachUserData",
                "UpdateUserData",
                "DeleteUserData",
                "SendMessage",
            ],
            InteractionState::Queued | InteractionState::InWorkbin | InteractionState::Completed => vec![],
        }
    }
}

/// User data keys and values as agents write them.
pub fn validate_user_data(data: &BTreeMap<String, Value>) -> Result<()> {
    for (k, v) in data {
        TextRule::LABEL.check("userData", k)?;
        if let Value::String(s) = v {
            TextRule::TEXT.check(&format!("userData.{k}"), s)?;
        }
    }
    Ok(())
}

/// What an entry of an interaction's history records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HistoryKind {
    /// Its state changed (`state`, with `agent_id` and `reason` where they apply).
    State,
    /// A routing decision: the agent chosen (or none) and why, with who was skipped and why.
    Decision,
}

/// Why an agent was passed over for an offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub user_id: UserId,
    /// `not_ready`, `at_capacity`, `rejected_before`.
    pub reason: String,
}

/// One entry of an interaction's history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub interaction_id: InteractionId,
    pub at: Timestamp,
    pub kind: HistoryKind,
    pub state: InteractionState,
    pub agent_id: Option<UserId>,
    pub queue_id: Option<QueueId>,
    pub reason: String,
    pub skipped: Vec<Skipped>,
}
