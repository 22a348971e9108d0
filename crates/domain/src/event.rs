//! The events of a company's log: one typed variant per event type, each with its payload.
//! Every change appends its event in the transaction that makes it; storage keeps the type name
//! and the payload as JSON text, and every way out (socket.io, SSE, webhooks) forwards them.
//! `docs/events.md` documents each type and is checked against [`Event::TYPES`] by a test.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::agent::{AgentChannel, AgentState, Channel};
use crate::company::Company;
use crate::conversation::{BodyFormat, Content, ContentKind, Direction, ExportStatus, Identity, Thread};
use crate::location::Location;
use crate::source::{Source, SourceKind};
use crate::texting::{TextConversation, TextConversationDeleted, TextMessage, TextMessageDeleted, TextMessagesRead};
use crate::time::{rfc3339_micros, rfc3339_millis};
use crate::user::{Role, User};
use crate::webhook::{EndpointStatus, WebhookEndpoint};
use crate::{
    CompanyId, ContentId, EventId, IdentityId, LocationId, SourceId, ThreadId, Timestamp, UserId, WebhookEndpointId,
};

mod interaction;

pub use interaction::InteractionSnapshot;

/// Declares [`Event`] from `"type" => Variant(Payload)` lines: the enum, its type names, and
/// the conversion to and from the stored `(type, payload)` pair.
macro_rules! events {
    ($($kind:literal => $variant:ident($payload:ty),)*) => {
        /// A change to a company, as its log records it.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Event {
            $($variant($payload),)*
            /// A stored event this binary cannot read: a type a newer node wrote during an
            /// upgrade, or a payload that does not fit its type. It is passed on as it is
            /// stored, never written by this binary, so one such row stops nothing.
            Unreadable { kind: String, payload: Value },
        }

        impl Event {
            /// Every event type, as stored and as every transport names it.
            pub const TYPES: &'static [&'static str] = &[$($kind,)*];

            /// The event's type, e.g. `content.imported`.
            pub fn kind(&self) -> &str {
                match self {
                    $(Event::$variant(_) => $kind,)*
                    Event::Unreadable { kind, .. } => kind,
                }
            }

            /// The payload as JSON, as transports forward it.
            pub fn payload(&self) -> Value {
                let encoded = match self {
                    $(Event::$variant(p) => serde_json::to_value(p),)*
                    Event::Unreadable { payload, .. } => Ok(payload.clone()),
                };
                // Payloads are plain structs with string keys: they always encode.
                encoded.unwrap_or(Value::Null)
            }

            /// Reads back a stored event. Fails on a type this binary does not know (a newer
            /// node wrote it) or a payload that does not fit its type.
            pub fn decode(kind: &str, payload: Value) -> Result<Event, String> {
                match kind {
                    $($kind => serde_json::from_value(payload).map(Event::$variant).map_err(|e| format!("{kind}: {e}")),)*
                    other => Err(format!("unknown event type '{other}'")),
                }
            }
        }
    };
}

events! {
    "company.created" => CompanyCreated(CompanyCreated),
    "company.updated" => CompanyUpdated(CompanySnapshot),
    "user.created" => UserCreated(UserSnapshot),
    "user.updated" => UserUpdated(UserSnapshot),
    "user.deleted" => UserDeleted(UserSnapshot),
    "location.created" => LocationCreated(LocationSnapshot),
    "location.updated" => LocationUpdated(LocationSnapshot),
    "location.deleted" => LocationDeleted(LocationSnapshot),
    "source.created" => SourceCreated(SourceSnapshot),
    "source.updated" => SourceUpdated(SourceSnapshot),
    "source.token_rotated" => SourceTokenRotated(SourceSnapshot),
    "source.deleted" => SourceDeleted(SourceSnapshot),
    "identity.created" => IdentityCreated(IdentitySnapshot),
    "identity.updated" => IdentityUpdated(IdentitySnapshot),
    "thread.created" => ThreadCreated(ThreadSnapshot),
    "thread.updated" => ThreadUpdated(ThreadSnapshot),
    "content.imported" => ContentImported(ContentSnapshot),
    "content.replied" => ContentReplied(ContentSnapshot),
    "content.discussion_initiated" => ContentDiscussionInitiated(ContentSnapshot),
    "content.updated" => ContentUpdated(ContentSnapshot),
    "content.exported" => ContentExported(ContentSnapshot),
    "content.export_failed" => ContentExportFailed(ContentFailed),
    "content.action_performed" => ContentActionPerformed(ContentAction),
    "content.action_failed" => ContentActionFailed(ContentActionFailed),
    "content.read" => ContentRead(ContentRead),
    "typing.started" => TypingStarted(Typing),
    "typing.stopped" => TypingStopped(Typing),
    "webhook.created" => WebhookCreated(WebhookSnapshot),
    "webhook.updated" => WebhookUpdated(WebhookSnapshot),
    "webhook.secret_rotated" => WebhookSecretRotated(WebhookSnapshot),
    "webhook.deleted" => WebhookDeleted(WebhookSnapshot),
    "webhook.disabled" => WebhookDisabled(WebhookDisabled),
    "agent.state_changed" => AgentStateChanged(AgentStateChanged),
    "interaction.created" => InteractionCreated(InteractionSnapshot),
    "interaction.offered" => InteractionOffered(InteractionSnapshot),
    "interaction.revoked" => InteractionRevoked(InteractionSnapshot),
    "interaction.accepted" => InteractionAccepted(InteractionSnapshot),
    "interaction.rejected" => InteractionRejected(InteractionSnapshot),
    "interaction.completed" => InteractionCompleted(InteractionSnapshot),
    "interaction.queued" => InteractionQueued(InteractionSnapshot),
    "interaction.transferred" => InteractionTransferred(InteractionSnapshot),
    "interaction.placed_in_workbin" => InteractionPlacedInWorkbin(InteractionSnapshot),
    "interaction.user_data_updated" => InteractionUserDataUpdated(InteractionSnapshot),
    "texting.message.new" => TextingMessageNew(TextMessage),
    "texting.message.inbound" => TextingMessageInbound(TextMessage),
    "texting.message.failed" => TextingMessageFailed(TextMessage),
    "texting.message.delete" => TextingMessageDelete(TextMessageDeleted),
    "texting.message.markAsRead" => TextingMessagesRead(TextMessagesRead),
    "texting.chat.new" => TextingChatNew(TextConversation),
    "texting.chat.delete" => TextingChatDelete(TextConversationDeleted),
}

impl Event {
    /// The conversation the event is about: deliveries of one thread keep their order.
    pub fn thread_id(&self) -> Option<&ThreadId> {
        match self {
            Event::ThreadCreated(t) | Event::ThreadUpdated(t) => Some(&t.id),
            Event::ContentImported(c)
            | Event::ContentReplied(c)
            | Event::ContentDiscussionInitiated(c)
            | Event::ContentUpdated(c)
            | Event::ContentExported(c) => Some(&c.thread_id),
            Event::ContentExportFailed(f) => Some(&f.content.thread_id),
            Event::ContentActionPerformed(a) => Some(&a.content.thread_id),
            Event::ContentActionFailed(a) => Some(&a.action.content.thread_id),
            Event::ContentRead(r) => Some(&r.thread_id),
            Event::TypingStarted(t) | Event::TypingStopped(t) => t.thread_id.as_ref(),
            Event::TextingMessageNew(m) | Event::TextingMessageInbound(m) | Event::TextingMessageFailed(m) => {
                Some(&m.conversation_id)
            }
            Event::TextingMessageDelete(d) => Some(&d.conversation_id),
            Event::TextingMessagesRead(r) => Some(&r.conversation_id),
            Event::TextingChatNew(c) => Some(&c.id),
            Event::TextingChatDelete(d) => Some(&d.id),
            e => e.interaction().map(|i| &i.thread_id),
        }
    }

    /// The source (channel) the event is about, for endpoints that follow some sources only.
    pub fn source_id(&self) -> Option<&SourceId> {
        match self {
            Event::SourceCreated(s)
            | Event::SourceUpdated(s)
            | Event::SourceTokenRotated(s)
            | Event::SourceDeleted(s) => Some(&s.id),
            Event::IdentityCreated(i) | Event::IdentityUpdated(i) => Some(&i.source_id),
            Event::ThreadCreated(t) | Event::ThreadUpdated(t) => Some(&t.source_id),
            Event::ContentImported(c)
            | Event::ContentReplied(c)
            | Event::ContentDiscussionInitiated(c)
            | Event::ContentUpdated(c)
            | Event::ContentExported(c) => Some(&c.source_id),
            Event::ContentExportFailed(f) => Some(&f.content.source_id),
            Event::ContentActionPerformed(a) => Some(&a.content.source_id),
            Event::ContentActionFailed(a) => Some(&a.action.content.source_id),
            Event::ContentRead(r) => Some(&r.source_id),
            Event::TypingStarted(t) | Event::TypingStopped(t) => Some(&t.source_id),
            e => e.interaction().map(|i| &i.source_id),
        }
    }
}

/// An entry of a company's event log. `seq` is gapless and increasing per company.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedEvent {
    pub id: EventId,
    pub company_id: CompanyId,
    pub seq: i64,
    pub created_at: Timestamp,
    pub event: Event,
    /// The payload as stored, which every transport forwards: read once, not encoded again for
    /// each subscriber.
    pub payload: Value,
}

impl LoggedEvent {
    /// The entry read back from its stored type and payload; a row this binary cannot read is
    /// [`Event::Unreadable`].
    pub fn read(
        id: EventId,
        company_id: CompanyId,
        seq: i64,
        created_at: Timestamp,
        kind: &str,
        payload: Value,
    ) -> Self {
        let event = Event::decode(kind, payload.clone())
            .unwrap_or_else(|_| Event::Unreadable { kind: kind.to_owned(), payload: payload.clone() });
        Self { id, company_id, seq, created_at, event, payload }
    }

    pub fn kind(&self) -> &str {
        self.event.kind()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompanyCreated {
    pub id: CompanyId,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompanySnapshot {
    pub id: CompanyId,
    pub name: String,
    pub status: String,
    #[serde(with = "rfc3339_micros")]
    pub updated_at: Timestamp,
}

impl From<&Company> for CompanySnapshot {
    fn from(c: &Company) -> Self {
        Self { id: c.id.clone(), name: c.name.clone(), status: c.status.clone(), updated_at: c.updated_at }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserSnapshot {
    pub id: UserId,
    pub company_id: CompanyId,
    pub role: Role,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub activated: bool,
    #[serde(with = "rfc3339_micros")]
    pub updated_at: Timestamp,
}

impl From<&User> for UserSnapshot {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.clone(),
            company_id: u.company_id.clone(),
            role: u.role,
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
            email: u.email.as_ref().map(|e| e.as_str().to_owned()),
            activated: u.activated,
            updated_at: u.updated_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocationSnapshot {
    pub id: LocationId,
    pub company_id: CompanyId,
    pub name: String,
    #[serde(with = "rfc3339_micros")]
    pub updated_at: Timestamp,
}

impl From<&Location> for LocationSnapshot {
    fn from(l: &Location) -> Self {
        Self { id: l.id.clone(), company_id: l.company_id.clone(), name: l.name.clone(), updated_at: l.updated_at }
    }
}

/// A source without its secrets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceSnapshot {
    pub id: SourceId,
    pub name: String,
    pub kind: SourceKind,
    pub base_uri: Option<String>,
    #[serde(with = "rfc3339_micros")]
    pub updated_at: Timestamp,
}

impl From<&Source> for SourceSnapshot {
    fn from(s: &Source) -> Self {
        Self {
            id: s.id.clone(),
            name: s.name.clone(),
            kind: s.kind(),
            base_uri: s.base_uri().map(ToString::to_string),
            updated_at: s.updated_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdentitySnapshot {
    pub id: IdentityId,
    pub source_id: SourceId,
    pub foreign_id: String,
    pub screen_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub puppetizable: bool,
    #[serde(with = "rfc3339_micros")]
    pub updated_at: Timestamp,
}

impl From<&Identity> for IdentitySnapshot {
    fn from(i: &Identity) -> Self {
        Self {
            id: i.id.clone(),
            source_id: i.source_id.clone(),
            foreign_id: i.foreign_id.clone(),
            screen_name: i.profile.screen_name.clone(),
            first_name: i.profile.first_name.clone(),
            last_name: i.profile.last_name.clone(),
            email: i.profile.email.clone(),
            puppetizable: i.profile.puppetizable,
            updated_at: i.updated_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadSnapshot {
    pub id: ThreadId,
    pub source_id: SourceId,
    pub foreign_id: Option<String>,
    pub title: Option<String>,
    #[serde(with = "rfc3339_micros")]
    pub updated_at: Timestamp,
}

impl From<&Thread> for ThreadSnapshot {
    fn from(t: &Thread) -> Self {
        Self {
            id: t.id.clone(),
            source_id: t.source_id.clone(),
            foreign_id: t.foreign_id.clone(),
            title: t.title.clone(),
            updated_at: t.updated_at,
        }
    }
}

/// How a content reached Switchboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Pushed by a connector (Channel SDK Send API).
    SendApi,
    /// Fetched by polling a connector.
    Synchronizer,
    /// Written by an agent in Switchboard.
    Agent,
    /// Delivered by an SMS carrier.
    Carrier,
}

/// Where a content stands: received from its channel, or an agent's content and its export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContentStatus {
    Imported,
    Pending,
    Exported,
    Failed,
}

/// A content with the field names of Engage Digital's `content.*` webhook metadata, so that
/// integrations written for it find what they expect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentSnapshot {
    pub id: ContentId,
    pub source_id: SourceId,
    pub source_type: SourceKind,
    pub thread_id: ThreadId,
    pub foreign_id: Option<String>,
    #[serde(rename = "type")]
    pub kind: ContentKind,
    pub private: bool,
    pub direction: Direction,
    pub author_id: Option<IdentityId>,
    pub recipient_id: Option<IdentityId>,
    pub in_reply_to_id: Option<ContentId>,
    pub body: Option<String>,
    pub body_input_format: BodyFormat,
    pub has_attachment: bool,
    pub foreign_categories: Vec<String>,
    pub language: Option<String>,
    pub structured_content: Option<Value>,
    #[serde(with = "rfc3339_millis")]
    pub date: Timestamp,
    pub created_from: Origin,
    pub creator_id: Option<UserId>,
    pub first_in_thread: bool,
    pub status: ContentStatus,
}

impl ContentSnapshot {
    /// `c` as it is now, on a source of `source_type`, arrived by `origin`.
    pub fn new(c: &Content, source_type: SourceKind, origin: Origin, first_in_thread: bool) -> Self {
        Self {
            id: c.id.clone(),
            source_id: c.source_id.clone(),
            source_type,
            thread_id: c.thread_id.clone(),
            foreign_id: c.foreign_id.clone(),
            kind: c.kind,
            private: c.kind == ContentKind::PrivateMessage,
            direction: c.direction,
            author_id: c.author_identity_id.clone(),
            recipient_id: c.recipient_identity_id.clone(),
            in_reply_to_id: c.in_reply_to_id.clone(),
            body: c.body.clone(),
            body_input_format: c.format,
            has_attachment: !c.attachments.is_empty(),
            foreign_categories: c.details.categories.clone(),
            language: c.details.language.clone(),
            structured_content: c.structured_content.clone(),
            date: c.created_at,
            created_from: origin,
            creator_id: c.details.author_user_id.clone(),
            first_in_thread,
            status: match c.export.as_ref().map(|e| e.status) {
                None => ContentStatus::Imported,
                Some(ExportStatus::Pending) => ContentStatus::Pending,
                Some(ExportStatus::Exported) => ContentStatus::Exported,
                Some(ExportStatus::Failed) => ContentStatus::Failed,
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentFailed {
    #[serde(flatten)]
    pub content: ContentSnapshot,
    pub error: String,
}

/// An item action (`delete`, `publish`, a custom one) the connector carried out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentAction {
    #[serde(flatten)]
    pub content: ContentSnapshot,
    pub action: String,
    /// The connector-side id of the user the action was made for.
    pub user_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentActionFailed {
    #[serde(flatten)]
    pub action: ContentAction,
    pub error: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentRead {
    pub id: ContentId,
    pub source_id: SourceId,
    pub thread_id: ThreadId,
    pub foreign_id: Option<String>,
}

impl From<&Content> for ContentRead {
    fn from(c: &Content) -> Self {
        Self {
            id: c.id.clone(),
            source_id: c.source_id.clone(),
            thread_id: c.thread_id.clone(),
            foreign_id: c.foreign_id.clone(),
        }
    }
}

/// Someone is typing in a conversation (or stopped). Not stored, only announced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Typing {
    pub source_id: SourceId,
    /// `None` while the conversation is not known to Switchboard yet.
    pub thread_id: Option<ThreadId>,
    pub thread_foreign_id: Option<String>,
    pub in_reply_to_id: Option<String>,
    /// What is being typed; `None` when typing stopped.
    pub preview: Option<String>,
}

/// A webhook endpoint without its secrets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookSnapshot {
    pub id: WebhookEndpointId,
    pub url: String,
    pub events: Vec<String>,
    pub status: EndpointStatus,
    #[serde(with = "rfc3339_micros")]
    pub updated_at: Timestamp,
}

impl From<&WebhookEndpoint> for WebhookSnapshot {
    fn from(e: &WebhookEndpoint) -> Self {
        Self {
            id: e.id.clone(),
            url: e.url.to_string(),
            events: e.events.iter().map(|p| p.as_str().to_owned()).collect(),
            status: e.status,
            updated_at: e.updated_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookDisabled {
    pub id: WebhookEndpointId,
    pub reason: String,
}

/// An agent's state on one channel changed (Ready, NotReady and why).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentStateChanged {
    pub user_id: UserId,
    pub channel: Channel,
    pub state: AgentState,
    pub reason: Option<String>,
    #[serde(with = "rfc3339_micros")]
    pub updated_at: Timestamp,
}

impl From<&AgentChannel> for AgentStateChanged {
    fn from(a: &AgentChannel) -> Self {
        Self {
            user_id: a.user_id.clone(),
            channel: a.channel,
            state: a.state,
            reason: a.reason.clone(),
            updated_at: a.updated_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn typing() -> Typing {
        Typing {
            source_id: SourceId::new(),
            thread_id: None,
            thread_foreign_id: Some("42".into()),
            in_reply_to_id: None,
            preview: Some("Hel".into()),
        }
    }

    #[test]
    fn an_event_is_stored_as_its_type_and_payload_and_read_back_the_same() {
        let event = Event::TypingStarted(typing());
        let back = Event::decode(event.kind(), event.payload()).unwrap();
        assert_eq!(back, event);
        assert_eq!(event.kind(), "typing.started");
        assert_eq!(event.payload()["thread_foreign_id"], "42");
    }

    #[test]
    fn unknown_types_and_payloads_that_do_not_fit_are_refused() {
        assert!(Event::decode("content.teleported", json!({})).unwrap_err().contains("unknown event type"));
        assert!(Event::decode("typing.started", json!({"preview": 1})).is_err());
    }

    #[test]
    fn every_type_is_named_once() {
        let mut types = Event::TYPES.to_vec();
        types.sort_unstable();
        types.dedup();
        assert_eq!(types.len(), Event::TYPES.len());
    }
}
