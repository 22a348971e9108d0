//! Agents at work: the channels they take interactions on, whether they are ready on each, and
//! how many interactions of each they handle at once. Agents are users (`user.rs`).

use serde::{Deserialize, Serialize};

use crate::source::SourceKind;
use crate::text::TextRule;
use crate::{Error, Result, Timestamp, UserId};

/// A kind of interaction an agent takes, whatever facade or carrier brings it. Routing knows
/// nothing more specific: a content's channel is derived from its source's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Chat,
    Sms,
    Email,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Chat, Channel::Sms, Channel::Email];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Chat => "chat",
            Channel::Sms => "sms",
            Channel::Email => "email",
        }
    }

    /// Parses a channel name as facades and storage write it (`chat`, `sms`, `email`).
    pub fn parse(s: &str) -> Result<Self> {
        Channel::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| Error::invalid_field("channel", format!("must be one of chat, sms, email; got '{s}'")))
    }

    /// The channel the contents of a source of this kind are routed on.
    pub fn of_source(kind: SourceKind) -> Self {
        match kind {
            SourceKind::Sdk => Channel::Chat,
            SourceKind::Sms => Channel::Sms,
        }
    }

    /// How many interactions of this channel an agent handles at once unless told otherwise:
    /// a chat needs attention in seconds, an email in hours.
    pub fn default_capacity(self) -> u32 {
        match self {
            Channel::Chat => 3,
            Channel::Sms => 5,
            Channel::Email => 10,
        }
    }
}

/// Whether an agent takes new interactions on a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    Ready,
    NotReady,
}

impl AgentState {
    pub fn as_str(self) -> &'static str {
        match self {
            AgentState::Ready => "ready",
            AgentState::NotReady => "not_ready",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "ready" => Ok(AgentState::Ready),
            "not_ready" => Ok(AgentState::NotReady),
            other => Err(Error::invalid_field("state", format!("must be ready or not_ready; got '{other}'"))),
        }
    }
}

/// Why an agent ended a session: the reason their channels are left NotReady with.
pub const SESSION_ENDED: &str = "session_ended";

/// A state to put an agent in: `Ready`, or `NotReady` with an optional reason (a break, after
/// call work: the facade's words, kept as given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateChange {
    pub state: AgentState,
    pub reason: Option<String>,
}

impl StateChange {
    pub fn ready() -> Self {
        Self { state: AgentState::Ready, reason: None }
    }

    pub fn not_ready(reason: Option<String>) -> Self {
        Self { state: AgentState::NotReady, reason }
    }

    /// A Ready agent has no reason to give; a NotReady one's reason is a short label.
    pub fn validate(&self) -> Result<()> {
        if self.state == AgentState::Ready && self.reason.is_some() {
            return Err(Error::invalid_field("reason", "only a not_ready state has a reason"));
        }
        TextRule::LABEL.check_opt("reason", self.reason.as_deref())
    }
}

/// An agent on one channel: ready or not (and why), and how many interactions they take at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentChannel {
    pub user_id: UserId,
    pub channel: Channel,
    pub state: AgentState,
    pub reason: Option<String>,
    pub capacity: u32,
    pub updated_at: Timestamp,
}

impl AgentChannel {
    /// An agent's channel before they were ever ready on it: NotReady, default capacity.
    pub fn initial(user_id: UserId, channel: Channel, now: Timestamp) -> Self {
        Self {
            user_id,
            channel,
            state: AgentState::NotReady,
            reason: None,
            capacity: channel.default_capacity(),
            updated_at: now,
        }
    }

    pub fn is_ready(&self) -> bool {
        self.state == AgentState::Ready
    }
}
