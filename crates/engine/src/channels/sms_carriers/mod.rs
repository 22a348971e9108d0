//! The wire side of the SMS carriers Switchboard speaks to: what goes out (a message to send),
//! what comes back (its carrier id and status, or the carrier's error), and what carriers post
//! to us (an inbound message, a delivery status), in each carrier's own format and signature.
//! Nothing here knows the texting model or the database: the SMS channel maps these types onto
//! its own. `docs/carriers.md` describes each carrier's wire shapes.

pub mod http;
pub mod twilio;

use std::time::Duration;

use switchboard_domain::Result;

use crate::outbound::{Client, Guard, OutboundOptions};

/// A message to hand to a carrier.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundMessage {
    /// Our id of the message, the same on every attempt (carriers that take one deduplicate by it).
    pub id: String,
    pub from: String,
    pub to: String,
    pub body: String,
    /// Public links to the media of an MMS, which the carrier fetches.
    pub media_urls: Vec<url::Url>,
    /// Where the carrier posts the message's delivery statuses.
    pub status_callback: Option<url::Url>,
}

/// A carrier accepted a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub carrier_message_id: String,
    pub status: DeliveryStatus,
}

/// A carrier did not accept a message, or could not be reached.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CarrierError {
    /// The carrier's own error code, when it gave one (Twilio's `21211`).
    pub code: Option<String>,
    pub message: String,
    /// Whether the same request may succeed later (rate limits, the carrier's or the network's
    /// failures); a refusal of the message itself will not.
    pub retryable: bool,
}

impl CarrierError {
    /// An error answer with HTTP `status`: retryable when the carrier asks us to slow down or
    /// failed itself, not when it refused the request.
    fn answered(status: u16, code: Option<String>, message: String) -> Self {
        Self { code, message, retryable: status == 408 || status == 429 || status >= 500 }
    }

    /// No answer: retryable, unless the outbound guard refused the destination, which only an
    /// operator can change.
    fn unanswered(e: reqwest::Error) -> Self {
        let refused = crate::outbound::refusal_in(&e).is_some();
        Self { code: None, message: crate::http::describe(e), retryable: !refused }
    }

    /// An answer saying the message was accepted, that could not be read: it may have been sent,
    /// so sending it again could send it twice.
    fn unreadable(carrier: &str, e: impl std::fmt::Display) -> Self {
        Self {
            code: None,
            message: format!("{carrier} accepted the message with an unreadable answer: {e}"),
            retryable: false,
        }
    }
}

/// A carrier's error code as text: Twilio's are numbers, a gateway's may be either.
fn code_text(code: serde_json::Value) -> String {
    match code {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    }
}

/// A message a carrier received for one of our numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMessage {
    pub carrier_message_id: String,
    pub from: String,
    pub to: String,
    pub body: String,
    pub media: Vec<Media>,
}

/// One medium of an inbound MMS, at the carrier (fetching it may need the carrier's credentials).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    pub url: url::Url,
    pub content_type: Option<String>,
}

/// Where an outbound message got to, as its carrier reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusUpdate {
    pub carrier_message_id: String,
    pub status: DeliveryStatus,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

/// What a carrier posts to us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    Message(InboundMessage),
    Status(StatusUpdate),
}

/// The life of an outbound message at its carrier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Accepted, not yet handed to the network.
    Queued,
    /// Handed to the network.
    Sent,
    Delivered,
    /// The network could not deliver it.
    Undelivered,
    /// The carrier could not send it.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Undelivered => "undelivered",
            Self::Failed => "failed",
        }
    }
}

/// How long a carrier has to answer a request.
const TIMEOUT: Duration = Duration::from_secs(15);

/// The HTTP client every carrier request goes through, past the outbound guard. Cheap to
/// clone; keep one (its connection pool) for all carriers.
#[derive(Debug, Clone)]
pub struct Carriers {
    client: Client,
}

impl Carriers {
    /// Fails when the client cannot be built: better at start-up than at the first message.
    pub fn new(outbound: &OutboundOptions) -> Result<Self> {
        let builder = reqwest::Client::builder().timeout(TIMEOUT).user_agent("Switchboard-SMS/1");
        Ok(Self { client: Guard::new(outbound).client(builder, "SMS carrier")? })
    }
}
