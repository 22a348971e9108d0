//! Webhook endpoints (where a company's events are pushed) and their deliveries.

use std::fmt;

use base64::Engine as _;
use rand::RngCore;

pub use crate::secret::Secret;

use crate::outbound::OutboundUrl;

use crate::event::Event;
use crate::{CompanyId, Error, Result, SourceId, SubscriptionId, Timestamp, WebhookDeliveryId, WebhookEndpointId};

/// Which event types an endpoint receives: an exact type (`content.imported`), a family
/// (`content.*`), or everything (`*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventPattern(String);

impl EventPattern {
    pub fn parse(s: &str) -> Result<Self> {
        let body = s.strip_suffix(".*").unwrap_or(s);
        let valid_segment = |seg: &str| {
            !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        };
        if s == "*" || (body.split('.').all(valid_segment) && s.len() <= 100) {
            Ok(Self(s.to_owned()))
        } else {
            Err(Error::invalid(format!(
                "'{s}' is not an event type or pattern (e.g. 'content.imported', 'content.*', '*')"
            )))
        }
    }

    pub fn matches(&self, kind: &str) -> bool {
        match self.0.strip_suffix('*') {
            Some(prefix) => kind.starts_with(prefix),
            None => self.0 == kind,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The key of a Standard Webhooks signature: `whsec_` and the base64 of 32 random bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret(String);

impl SigningSecret {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(bytes)))
    }

    pub fn from_stored(s: String) -> Self {
        Self(s)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The HMAC key: the decoded bytes after the `whsec_` prefix, as the specification says.
    pub fn key(&self) -> Vec<u8> {
        let b64 = self.0.strip_prefix("whsec_").unwrap_or(&self.0);
        base64::engine::general_purpose::STANDARD.decode(b64).unwrap_or_else(|_| b64.as_bytes().to_vec())
    }
}

impl fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningSecret(***)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EndpointStatus {
    Active,
    /// Stopped by its owner, or by the receiver answering `410 Gone`.
    Disabled,
}

impl EndpointStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "active" => Ok(Self::Active),
            "disabled" => Ok(Self::Disabled),
            _ => Err(Error::invalid(format!("unknown webhook status '{s}' (active, disabled)"))),
        }
    }
}

/// The wire shape of an endpoint's deliveries: the facade that created the endpoint chooses it.
/// Signing (Standard Webhooks) is the same for all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookFormat {
    /// Engage Digital's envelope: `{id, domain_id, events: [{type, id, issued_at, resource}]}`.
    EngageDigital,
    /// RingPlan's callback: `{id, event, timestamp, company_id, data}`.
    #[serde(rename = "ringplan")]
    RingPlan,
    /// Switchboard's own: `{id, type, seq, company_id, created_at, data}`.
    Native,
}

impl WebhookFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EngageDigital => "engage_digital",
            Self::RingPlan => "ringplan",
            Self::Native => "native",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "engage_digital" => Ok(Self::EngageDigital),
            "ringplan" => Ok(Self::RingPlan),
            "native" => Ok(Self::Native),
            _ => Err(Error::invalid_field("format", format!("must be engage_digital, ringplan or native, got '{s}'"))),
        }
    }
}

#[derive(Debug, Clone)]
pub struct WebhookEndpoint {
    pub id: WebhookEndpointId,
    pub company_id: CompanyId,
    pub url: OutboundUrl,
    pub format: WebhookFormat,
    pub events: Vec<EventPattern>,
    /// Only events about these sources, when set.
    pub source_ids: Option<Vec<SourceId>>,
    pub verify_token: Option<Secret>,
    /// Sent as-is in `X-Dimelo-Secret`.
    pub secret: Option<Secret>,
    pub signing_secret: SigningSecret,
    /// The secret before the last rotation, still signing until `previous_until`.
    pub previous_signing_secret: Option<(SigningSecret, Timestamp)>,
    pub status: EndpointStatus,
    pub disabled_reason: Option<String>,
    /// Events up to this seq were in the log before the endpoint existed; it gets none of them.
    pub start_seq: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl WebhookEndpoint {
    /// Whether `event` goes to this endpoint: its type is subscribed, and its source followed.
    pub fn wants(&self, event: &Event) -> bool {
        self.status == EndpointStatus::Active
            && self.events.iter().any(|p| p.matches(event.kind()))
            && self.source_ids.as_ref().is_none_or(|ids| event.source_id().is_some_and(|s| ids.contains(s)))
    }

    /// The secrets that sign a delivery now: the current one, and the previous one for a day
    /// after a rotation so receivers can switch without losing deliveries.
    pub fn signing_secrets(&self, now: Timestamp) -> Vec<&SigningSecret> {
        let mut out = vec![&self.signing_secret];
        if let Some((old, until)) = &self.previous_signing_secret
            && *until > now
        {
            out.push(old);
        }
        out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    /// Given up: retries ran out, or the endpoint was disabled.
    Dead,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "pending" => Ok(Self::Pending),
            "delivered" => Ok(Self::Delivered),
            "dead" => Ok(Self::Dead),
            _ => Err(Error::Internal(format!("unknown delivery status '{s}'"))),
        }
    }
}

/// One event sent to one endpoint, with all its attempts. Its id is the `webhook-id` and the
/// body's `id`, the same on every attempt, so receivers can deduplicate.
#[derive(Debug, Clone)]
pub struct WebhookDelivery {
    pub id: WebhookDeliveryId,
    pub company_id: CompanyId,
    pub endpoint_id: WebhookEndpointId,
    pub event_seq: i64,
    pub event_type: String,
    /// Deliveries of one endpoint with the same key (a thread) are made in `event_seq` order.
    pub ordering_key: Option<String>,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub response_code: Option<i32>,
    /// Retries go on for the retry window from here: the creation, or the last redelivery.
    pub retry_from: Timestamp,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
}

/// A subscription of a company's facade webhook to one event type: RingPlan keeps its callback
/// URL's event types this way (which types may be subscribed is RingPlan's rule, in its use case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: SubscriptionId,
    pub company_id: CompanyId,
    pub event_type: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_exact_types_families_and_everything() {
        let p = |s| EventPattern::parse(s).unwrap();
        assert!(p("content.imported").matches("content.imported"));
        assert!(!p("content.imported").matches("content.updated"));
        assert!(p("content.*").matches("content.updated"));
        assert!(!p("content.*").matches("contents.updated"));
        assert!(p("*").matches("thread.created"));
        assert!(EventPattern::parse("content.").is_err());
        assert!(EventPattern::parse("Content.Imported").is_err());
        assert!(EventPattern::parse("co*").is_err());
    }

    #[test]
    fn signing_secrets_are_random_and_never_debug_printed() {
        let a = SigningSecret::generate();
        assert_ne!(a, SigningSecret::generate());
        assert!(a.expose().starts_with("whsec_"));
        assert_eq!(a.key().len(), 32);
        assert_eq!(format!("{a:?}"), "SigningSecret(***)");
    }
}
