//! A generic JSON carrier, for any SMS gateway that speaks it: we post each message to the
//! gateway's URL, and it posts inbound messages and delivery statuses to us. Both ways are
//! signed the Standard Webhooks way (`webhook-id`, `webhook-timestamp`, `webhook-signature`),
//! with the same code that signs our webhook deliveries. `docs/carriers.md` has the shapes.

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde::{Deserialize, Serialize};
use switchboard_domain::outbound::OutboundUrl;
use switchboard_domain::webhook::SigningSecret;
use switchboard_domain::{Error, Result, Timestamp};

use super::{
    CarrierError, Carriers, DeliveryStatus, InboundMessage, Incoming, Media, OutboundMessage, Sent, StatusUpdate,
    code_text,
};
use crate::webhooks::signature;

/// How far a request's `webhook-timestamp` may be from our clock: the window in which a
/// captured request could be replayed.
pub const TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// A gateway: where messages are posted, and the `whsec_` secret both sides sign with.
#[derive(Debug, Clone)]
pub struct Gateway {
    url: OutboundUrl,
    secret: SigningSecret,
}

/// A message as the gateway receives it.
#[derive(Serialize)]
struct Outgoing<'a> {
    id: &'a str,
    from: &'a str,
    to: &'a str,
    text: &'a str,
    media_urls: Vec<&'a str>,
    status_callback_url: Option<&'a str>,
}

/// The gateway's answer to a message it accepted.
#[derive(Deserialize)]
struct Accepted {
    id: String,
    status: DeliveryStatus,
}

/// The gateway's error answer, or the error of a failed delivery: both fields optional.
#[derive(Deserialize)]
struct Failure {
    code: Option<serde_json::Value>,
    message: Option<String>,
}

/// What the gateway posts to us.
#[derive(Deserialize)]
#[serde(tag = "type")]
enum Posted {
    #[serde(rename = "message.received")]
    Received {
        id: String,
        from: String,
        to: String,
        #[serde(default)]
        text: String,
        #[serde(default)]
        media: Vec<PostedMedia>,
    },
    #[serde(rename = "message.status")]
    Status { id: String, status: DeliveryStatus, error: Option<Failure> },
}

#[derive(Deserialize)]
struct PostedMedia {
    url: String,
    content_type: Option<String>,
}

impl Gateway {
    pub fn new(url: OutboundUrl, secret: SigningSecret) -> Self {
        Self { url, secret }
    }

    /// Posts the message to the gateway. Its `id` is the `webhook-id`, the same on every
    /// attempt, so the gateway can tell a retry from a new message.
    pub async fn send(&self, carriers: &Carriers, message: &OutboundMessage) -> Result<Sent, CarrierError> {
        let outgoing = Outgoing {
            id: &message.id,
            from: &message.from,
            to: &message.to,
            text: &message.body,
            media_urls: message.media_urls.iter().map(url::Url::as_str).collect(),
            status_callback_url: message.status_callback.as_ref().map(url::Url::as_str),
        };
        let body = serde_json::to_vec(&outgoing).expect("a message serializes");
        let timestamp = Timestamp::now().as_micros() / 1_000_000;
        let request = carriers.client.request(reqwest::Method::POST, self.url.url().clone()).map_err(|refused| {
            CarrierError { code: None, message: format!("not sent: {refused}"), retryable: false }
        })?;
        let response = request
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", &message.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature::sign(&[&self.secret], &message.id, timestamp, &body))
            .body(body)
            .send()
            .await
            .map_err(CarrierError::unanswered)?;
        let status = response.status();
        if status.is_success() {
            let accepted: Accepted =
                response.json().await.map_err(|e| CarrierError::unreadable("the gateway", crate::http::describe(e)))?;
            return Ok(Sent { carrier_message_id: accepted.id, status: accepted.status });
        }
        let code = status.as_u16();
        let body = response.bytes().await.unwrap_or_default();
        let failure = serde_json::from_slice::<Failure>(&body).ok();
        let (carrier_code, message) = match failure {
            Some(Failure { code, message }) => (code.map(code_text), message),
            None => (None, None),
        };
        let message = message.unwrap_or_else(|| format!("the gateway answered HTTP {code}"));
        Err(CarrierError::answered(code, carrier_code, message))
    }

    /// A request the gateway posted to us: its signature checked against our clock `now`, then
    /// read.
    pub fn receive(&self, headers: &HeaderMap, body: &[u8], now: Timestamp) -> Result<Incoming> {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| Error::forbidden(format!("the {name} header is missing")))
        };
        let (id, timestamp, given) =
            (header("webhook-id")?, header("webhook-timestamp")?, header("webhook-signature")?);
        signature::verify(&self.secret, id, timestamp, body, given, now, TOLERANCE)
            .map_err(|why| Error::forbidden(format!("the request's signature was refused: {why}")))?;
        let posted: Posted = serde_json::from_slice(body)
            .map_err(|e| Error::invalid(format!("the body is not a message.received or message.status object: {e}")))?;
        match posted {
            Posted::Received { id, from, to, text, media } => {
                for (field, value) in [("id", &id), ("from", &from), ("to", &to)] {
                    if value.is_empty() {
                        return Err(Error::invalid_field(field, "must not be empty"));
                    }
                }
                let media = media
                    .into_iter()
                    .map(|m| {
                        let url = url::Url::parse(&m.url)
                            .map_err(|_| Error::invalid_field("media.url", "must be an absolute URL"))?;
                        Ok(Media { url, content_type: m.content_type })
                    })
                    .collect::<Result<_>>()?;
                Ok(Incoming::Message(InboundMessage { carrier_message_id: id, from, to, body: text, media }))
            }
            Posted::Status { id, status, error } => {
                if id.is_empty() {
                    return Err(Error::invalid_field("id", "must not be empty"));
                }
                let (error_code, error_message) = match error {
                    Some(Failure { code, message }) => (code.map(code_text), message),
                    None => (None, None),
                };
                Ok(Incoming::Status(StatusUpdate { carrier_message_id: id, status, error_code, error_message }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use axum::extract::State;
    use axum::http::StatusCode;
    use axum::response::{IntoResponse, Response};
    use axum::routing::post;
    use serde_json::{Value, json};

    use super::*;
    use crate::outbound::OutboundOptions;

    fn secret() -> SigningSecret {
        SigningSecret::from_stored("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into())
    }

    fn gateway_at(url: &str) -> Gateway {
        Gateway::new(OutboundUrl::parse("url", url).unwrap(), secret())
    }

    /// The headers a gateway signs `body` with, at `timestamp`.
    fn signed(id: &str, timestamp: i64, body: &[u8]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("webhook-id", id.parse().unwrap());
        headers.insert("webhook-timestamp", timestamp.to_string().parse().unwrap());
        headers.insert("webhook-signature", signature::sign(&[&secret()], id, timestamp, body).parse().unwrap());
        headers
    }

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_micros(seconds * 1_000_000)
    }

    #[test]
    fn a_signed_inbound_message_and_status_are_read() {
        let gateway = gateway_at("https://gateway.example.com/send");
        let body = json!({
            "type": "message.received", "id": "in_1", "from": "+14155550100", "to": "+14155550199",
            "text": "Hi", "media": [{"url": "https://gateway.example.com/m/1", "content_type": "image/png"}],
        })
        .to_string();
        let read =
            gateway.receive(&signed("evt_1", 1_700_000_000, body.as_bytes()), body.as_bytes(), at(1_700_000_000));
        assert_eq!(
            read.unwrap(),
            Incoming::Message(InboundMessage {
                carrier_message_id: "in_1".into(),
                from: "+14155550100".into(),
                to: "+14155550199".into(),
                body: "Hi".into(),
                media: vec![Media {
                    url: "https://gateway.example.com/m/1".parse().unwrap(),
                    content_type: Some("image/png".into())
                }],
            })
        );
        let body = json!({"type": "message.status", "id": "gw_9", "status": "failed", "error": {"code": 30007, "message": "Filtered"}})
            .to_string();
        let read =
            gateway.receive(&signed("evt_2", 1_700_000_000, body.as_bytes()), body.as_bytes(), at(1_700_000_100));
        assert_eq!(
            read.unwrap(),
            Incoming::Status(StatusUpdate {
                carrier_message_id: "gw_9".into(),
                status: DeliveryStatus::Failed,
                error_code: Some("30007".into()),
                error_message: Some("Filtered".into()),
            })
        );
    }

    #[test]
    fn an_unsigned_tampered_stale_or_malformed_request_is_refused() {
        let gateway = gateway_at("https://gateway.example.com/send");
        let body = br#"{"type":"message.status","id":"gw_9","status":"delivered"}"#;
        let now = 1_700_000_000;
        let refused = |headers: &HeaderMap, body: &[u8], now: i64| {
            gateway.receive(headers, body, at(now)).unwrap_err().to_string()
        };
        assert_eq!(refused(&HeaderMap::new(), body, now), "the webhook-id header is missing");
        let headers = signed("evt_1", now, body);
        let tampered = br#"{"type":"message.status","id":"gw_8","status":"delivered"}"#;
        assert_eq!(
            refused(&headers, tampered, now),
            "the request's signature was refused: no webhook-signature matches its body"
        );
        assert_eq!(
            refused(&headers, body, now + 301),
            "the request's signature was refused: its webhook-timestamp is too far from the current time"
        );
        assert!(gateway.receive(&headers, body, at(now + 300)).is_ok());
        let other = Gateway::new(
            OutboundUrl::parse("url", "https://gateway.example.com/send").unwrap(),
            SigningSecret::generate(),
        );
        assert!(matches!(other.receive(&headers, body, at(now)), Err(Error::Forbidden(_))));

        let unknown = br#"{"type":"message.deleted","id":"gw_9"}"#;
        let err = refused(&signed("evt_3", now, unknown), unknown, now);
        assert!(err.starts_with("the body is not a message.received or message.status object"), "{err}");
        let bad_status = br#"{"type":"message.status","id":"gw_9","status":"teleported"}"#;
        assert!(matches!(
            gateway.receive(&signed("evt_4", now, bad_status), bad_status, at(now)),
            Err(Error::Invalid { .. })
        ));
        let no_from = br#"{"type":"message.received","id":"in_1","from":"","to":"+14155550199"}"#;
        assert_eq!(refused(&signed("evt_5", now, no_from), no_from, now), "'from' must not be empty");
    }

    /// What the test gateway received: its headers' signature checked, and the body.
    type Received = Arc<Mutex<Vec<(String, Value)>>>;

    async fn accept(State(received): State<Received>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
        let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let verified = signature::verify(
            &secret(),
            &header("webhook-id"),
            &header("webhook-timestamp"),
            &body,
            &header("webhook-signature"),
            Timestamp::now(),
            TOLERANCE,
        );
        if verified.is_err() {
            return (StatusCode::UNAUTHORIZED, axum::Json(json!({"code": "bad_signature", "message": "no"})))
                .into_response();
        }
        let message: Value = serde_json::from_slice(&body).unwrap();
        received.lock().unwrap().push((header("webhook-id"), message.clone()));
        match message["to"].as_str() {
            Some("+15005550001") => (
                StatusCode::UNPROCESSABLE_ENTITY,
                axum::Json(json!({"code": "invalid_number", "message": "not a mobile number"})),
            )
                .into_response(),
            Some("+15005550002") => StatusCode::SERVICE_UNAVAILABLE.into_response(),
            _ => axum::Json(json!({"id": "gw_1", "status": "sent"})).into_response(),
        }
    }

    async fn gateway() -> (Gateway, Received) {
        let received = Received::default();
        let app = axum::Router::new().route("/send", post(accept)).with_state(received.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://127.0.0.1:{}/send", listener.local_addr().unwrap().port());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (gateway_at(&url), received)
    }

    fn carriers() -> Carriers {
        Carriers::new(&OutboundOptions { allowed_networks: vec!["127.0.0.0/8".parse().unwrap()] }).unwrap()
    }

    fn message(to: &str) -> OutboundMessage {
        OutboundMessage {
            id: "msg_1".into(),
            from: "+14155550199".into(),
            to: to.into(),
            body: "Your table is ready".into(),
            media_urls: vec!["https://sms.example.com/files/1".parse().unwrap()],
            status_callback: None,
        }
    }

    #[tokio::test]
    async fn a_message_is_posted_signed_and_its_answer_read() {
        let (gateway, received) = gateway().await;
        let sent = gateway.send(&carriers(), &message("+14155550100")).await.unwrap();
        assert_eq!(sent, Sent { carrier_message_id: "gw_1".into(), status: DeliveryStatus::Sent });
        let (id, body) = received.lock().unwrap().pop().unwrap();
        assert_eq!(id, "msg_1");
        assert_eq!(
            body,
            json!({
                "id": "msg_1", "from": "+14155550199", "to": "+14155550100", "text": "Your table is ready",
                "media_urls": ["https://sms.example.com/files/1"], "status_callback_url": null,
            })
        );
    }

    #[tokio::test]
    async fn the_gateways_errors_are_read_and_only_the_passing_ones_retried() {
        let (gateway, _) = gateway().await;
        let carriers = carriers();
        let refused = gateway.send(&carriers, &message("+15005550001")).await.unwrap_err();
        assert_eq!(
            refused,
            CarrierError {
                code: Some("invalid_number".into()),
                message: "not a mobile number".into(),
                retryable: false
            }
        );
        let down = gateway.send(&carriers, &message("+15005550002")).await.unwrap_err();
        assert_eq!(down, CarrierError { code: None, message: "the gateway answered HTTP 503".into(), retryable: true });
        // Signed with another secret, the gateway refuses the request.
        let stranger = Gateway::new(gateway.url.clone(), SigningSecret::generate());
        let unsigned = stranger.send(&carriers, &message("+14155550100")).await.unwrap_err();
        assert_eq!((unsigned.code.as_deref(), unsigned.retryable), (Some("bad_signature"), false));
    }
}
