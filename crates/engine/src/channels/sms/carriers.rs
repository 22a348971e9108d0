//! Carriers: who moves a number's messages to and from phones. Each is an adapter behind the
//! small [`Carrier`] trait, so the SMS channel (queueing, retries, rates, opt-outs,
//! idempotency, events) is written once:
//!
//! - [`Carrier::send`] sends one outbound message and answers the carrier's id for it, or why
//!   it failed (and whether trying again may help). The send job calls it; retries and the final
//!   failure are the job's business.
//! - [`Carrier::parse_inbound`] reads a webhook the carrier posted to
//!   `POST /carriers/{kind}/{number_or_account}/inbound` (checking its signature, where the
//!   carrier signs) into messages and status updates, and says what to answer the carrier. The
//!   channel stores what it returns; a message is known by its carrier id, so a webhook
//!   delivered twice stores it once.
//!
//! Only `loopback` exists so far: it delivers between numbers of this installation. A carrier
//! reached over HTTP (Twilio, a generic JSON gateway) adds a [`CarrierKind`] variant, an arm
//! in [`of`], and its adapter here; its calls go through the outbound guard like every other.

use serde::Deserialize;
use switchboard_domain::source::sms::CarrierKind;
use switchboard_domain::text::TextRule;
use switchboard_domain::texting::PhoneNumber;
use switchboard_domain::{ContentId, Error, Result};

use crate::Engine;

/// One message to send.
#[derive(Debug, Clone)]
pub struct OutboundSms {
    pub content_id: ContentId,
    pub from: PhoneNumber,
    pub to: PhoneNumber,
    pub text: String,
}

/// Why a send failed.
#[derive(Debug, Clone, PartialEq)]
pub struct SendError {
    pub message: String,
    /// Trying again cannot help (a number the carrier refuses, bad credentials).
    pub fatal: bool,
}

/// A message a carrier delivered to one of our numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundSms {
    /// The carrier's id: a message delivered twice is stored once.
    pub carrier_id: String,
    pub from: PhoneNumber,
    pub to: PhoneNumber,
    pub text: String,
}

/// What a carrier's webhook tells.
#[derive(Debug, Clone, PartialEq)]
pub enum CarrierEvent {
    Message(InboundSms),
    /// A message sent from our number `from` was delivered (or failed on the way: `error`).
    Status {
        carrier_id: String,
        from: PhoneNumber,
        error: Option<String>,
    },
}

/// A webhook as it arrived: the number or account named in its path, and its raw body (which
/// signatures cover).
#[derive(Debug, Clone)]
pub struct InboundRequest<'a> {
    pub number_or_account: &'a str,
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
}

/// What to answer the carrier.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundAnswer {
    pub content_type: &'static str,
    pub body: String,
}

/// What the SMS channel asks of every carrier.
pub(crate) trait Carrier {
    /// Sends one message; the carrier's id for it.
    fn send(&self, engine: &Engine, sms: &OutboundSms) -> impl Future<Output = Result<String, SendError>> + Send;
    /// Reads a webhook into what it tells, and what to answer.
    fn parse_inbound(&self, request: &InboundRequest<'_>) -> Result<(Vec<CarrierEvent>, InboundAnswer)>;
}

/// The carrier of a number.
pub(crate) fn of(kind: CarrierKind) -> impl Carrier {
    match kind {
        CarrierKind::Loopback => Loopback,
    }
}

/// Delivers between numbers of this installation: sending to one of them is receiving on it.
/// Its webhook takes `{"id", "from", "text"}` to the number in the path, as if a phone had
/// texted it (the caller must hold the number's company API key: nothing signs it).
pub(crate) struct Loopback;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoopbackInbound {
    id: Option<String>,
    from: String,
    text: String,
}

impl Carrier for Loopback {
    async fn send(&self, engine: &Engine, sms: &OutboundSms) -> Result<String, SendError> {
        // The same id on every attempt: a retry after a lost answer is not a second message.
        let carrier_id = format!("loopback-{}", sms.content_id);
        let message = InboundSms {
            carrier_id: carrier_id.clone(),
            from: sms.from.clone(),
            to: sms.to.clone(),
            text: sms.text.clone(),
        };
        match engine.receive_sms(&message).await {
            Ok(_) => Ok(carrier_id),
            Err(Error::NotFound(_)) => {
                Err(SendError { message: format!("no number {} on this installation", sms.to), fatal: true })
            }
            Err(e) => Err(SendError { message: e.to_string(), fatal: false }),
        }
    }

    fn parse_inbound(&self, request: &InboundRequest<'_>) -> Result<(Vec<CarrierEvent>, InboundAnswer)> {
        let to = PhoneNumber::parse("number", request.number_or_account)?;
        let body: LoopbackInbound = serde_json::from_slice(request.body).map_err(|e| Error::invalid(e.to_string()))?;
        let from = PhoneNumber::parse("from", &body.from)?;
        TextRule::BODY.check("text", &body.text)?;
        if body.text.trim().is_empty() {
            return Err(Error::invalid_field("text", "must not be empty"));
        }
        let carrier_id = match body.id {
            Some(id) => {
                TextRule::ID.check("id", &id)?;
                id
            }
            None => format!("loopback-{}", ContentId::new()),
        };
        let message = InboundSms { carrier_id, from, to, text: body.text };
        Ok((
            vec![CarrierEvent::Message(message)],
            InboundAnswer { content_type: "application/json", body: "{}".into() },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loopback_webhook_is_a_message_to_the_number_in_its_path() {
        let body = br#"{"id": "m-1", "from": "+1 951 336 0234", "text": "STOP"}"#;
        let request = InboundRequest { number_or_account: "+18583140000", content_type: None, body };
        let (events, answer) = Loopback.parse_inbound(&request).unwrap();
        assert_eq!(answer.body, "{}");
        let CarrierEvent::Message(m) = &events[0] else { panic!("{events:?}") };
        assert_eq!((m.carrier_id.as_str(), m.from.as_str(), m.to.as_str()), ("m-1", "+19513360234", "+18583140000"));
        let bad = InboundRequest {
            number_or_account: "+18583140000",
            content_type: None,
            body: br#"{"from": "x", "text": "hi"}"#,
        };
        assert!(Loopback.parse_inbound(&bad).unwrap_err().to_string().contains("'from'"));
    }
}
