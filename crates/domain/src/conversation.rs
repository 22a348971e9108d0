//! The conversation core every channel maps to: identities (who), threads (where) and contents
//! (what was said). Each is unique per source by its `foreign_id`, the id the channel gave it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{CompanyId, ContentId, Error, IdentityId, Result, SourceId, ThreadId, Timestamp, UserId};

/// A customer, or a controlled identity agents and bots may author as (`puppetizable`).
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub id: IdentityId,
    pub company_id: CompanyId,
    pub source_id: SourceId,
    pub foreign_id: String,
    pub profile: IdentityProfile,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What the channel tells about an identity; re-importing it replaces these fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IdentityProfile {
    pub screen_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub avatar_url: Option<String>,
    pub puppetizable: bool,
    pub gender: Option<String>,
    pub home_phone: Option<String>,
    pub mobile_phone: Option<String>,
    pub context_data: Option<Value>,
    pub foreign_created_at: Option<Timestamp>,
    pub foreign_updated_at: Option<Timestamp>,
}

/// A conversation. `foreign_id` is `None` for conversations the channel does not name
/// (unthreaded sources and private messages are grouped by replies).
#[derive(Debug, Clone, PartialEq)]
pub struct Thread {
    pub id: ThreadId,
    pub company_id: CompanyId,
    pub source_id: SourceId,
    pub foreign_id: Option<String>,
    pub title: Option<String>,
    pub details: ThreadDetails,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ThreadDetails {
    pub actions: Vec<String>,
    pub categories: Vec<String>,
    pub context_data: Option<Value>,
    pub display_url: Option<String>,
    pub foreign_created_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContentKind {
    Message,
    PrivateMessage,
    /// The first post of a thread, on sources whose threads carry content.
    #[serde(rename = "thread")]
    ThreadOpener,
}

impl ContentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ContentKind::Message => "message",
            ContentKind::PrivateMessage => "private_message",
            ContentKind::ThreadOpener => "thread",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "message" => Ok(ContentKind::Message),
            "private_message" => Ok(ContentKind::PrivateMessage),
            "thread" => Ok(ContentKind::ThreadOpener),
            other => Err(Error::Internal(format!("unknown content kind {other:?}"))),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// From the channel (a customer, or the brand outside Switchboard).
    Inbound,
    /// Written in Switchboard, to be exported to the channel.
    Outbound,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "inbound" => Ok(Direction::Inbound),
            "outbound" => Ok(Direction::Outbound),
            other => Err(Error::Internal(format!("unknown direction {other:?}"))),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BodyFormat {
    Text,
    Html,
}

impl BodyFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            BodyFormat::Text => "text",
            BodyFormat::Html => "html",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "text" => Some(BodyFormat::Text),
            "html" => Some(BodyFormat::Html),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportStatus {
    Pending,
    Exported,
    Failed,
}

impl ExportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportStatus::Pending => "pending",
            ExportStatus::Exported => "exported",
            ExportStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "pending" => Ok(ExportStatus::Pending),
            "exported" => Ok(ExportStatus::Exported),
            "failed" => Ok(ExportStatus::Failed),
            other => Err(Error::Internal(format!("unknown export status {other:?}"))),
        }
    }
}

/// Where an outbound content stands in its export to the channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Export {
    pub status: ExportStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
}

/// The longest body a content may have, in characters.
pub const MAX_BODY_CHARS: usize = crate::text::TextRule::BODY.max_chars;

/// A file attached to a content: a URL, or inline base64 `content` with a `filename`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// A message, private message or thread opener.
#[derive(Debug, Clone, PartialEq)]
pub struct Content {
    pub id: ContentId,
    pub company_id: CompanyId,
    pub source_id: SourceId,
    pub thread_id: ThreadId,
    /// The channel's id; `None` for outbound content not exported yet.
    pub foreign_id: Option<String>,
    pub kind: ContentKind,
    pub direction: Direction,
    pub author_identity_id: Option<IdentityId>,
    pub recipient_identity_id: Option<IdentityId>,
    pub in_reply_to_id: Option<ContentId>,
    pub body: Option<String>,
    pub format: BodyFormat,
    pub attachments: Vec<Attachment>,
    pub structured_content: Option<Value>,
    pub details: ContentDetails,
    pub read: bool,
    /// `None` for inbound content.
    pub export: Option<Export>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContentDetails {
    /// Operations the channel allows on this very item (`delete`, `publish`, custom actions, …).
    pub actions: Vec<String>,
    pub categories: Vec<String>,
    pub context_data: Option<Value>,
    pub display_url: Option<String>,
    pub ip: Option<String>,
    pub language: Option<String>,
    pub title: Option<String>,
    pub structured_reply: Option<Value>,
    pub foreign_created_at: Option<Timestamp>,
    pub foreign_updated_at: Option<Timestamp>,
    /// The agent who wrote an outbound content.
    pub author_user_id: Option<UserId>,
    /// How the agent signs ("Jane from Acme").
    pub sender_name: Option<String>,
}
