//! A delivery's body, in the wire shape of the endpoint's format. One event per delivery in
//! every format; the delivery id (also the `webhook-id` header) is the body's `id`, the same on
//! every attempt, so receivers can deduplicate.

use serde_json::{Value, json};
use switchboard_domain::event::LoggedEvent;
use switchboard_domain::webhook::{WebhookDelivery, WebhookFormat};

pub(crate) fn body(format: WebhookFormat, d: &WebhookDelivery, e: &LoggedEvent) -> Value {
    match format {
        WebhookFormat::EngageDigital => engage_digital(d, e),
        WebhookFormat::RingPlan => ringplan(d, e),
        WebhookFormat::Native => native(d, e),
    }
}

/// Engage Digital's envelope. `resource.type` is the content's type (`message`, …) for
/// `content.*` events, else the first part of the event type.
fn engage_digital(d: &WebhookDelivery, e: &LoggedEvent) -> Value {
    let kind = e.kind();
    let payload = &e.payload;
    let resource_type = match payload.get("type").and_then(Value::as_str) {
        Some(t) if kind.starts_with("content.") => t.to_owned(),
        _ => kind.split('.').next().unwrap_or_default().to_owned(),
    };
    let resource_id = payload.get("id").cloned().unwrap_or(Value::Null);
    json!({
        "id": d.id,
        "domain_id": d.company_id,
        "events": [{
            "type": kind,
            "id": e.id,
            "issued_at": e.created_at.to_rfc3339_millis(),
            "resource": {"type": resource_type, "id": resource_id, "metadata": payload},
        }],
    })
}

/// RingPlan's callbacks are not publicly specified beyond their event names: the shape its
/// integrations expect of a callback, the event under `event` and its fields under `data`.
fn ringplan(d: &WebhookDelivery, e: &LoggedEvent) -> Value {
    json!({
        "id": d.id,
        "event": e.kind(),
        "timestamp": e.created_at.to_rfc3339_millis(),
        "company_id": d.company_id,
        "data": e.payload,
    })
}

/// Switchboard's own: the log entry as it is, with its `seq`.
fn native(d: &WebhookDelivery, e: &LoggedEvent) -> Value {
    json!({
        "id": d.id,
        "type": e.kind(),
        "seq": e.seq,
        "company_id": d.company_id,
        "created_at": e.created_at.to_rfc3339_millis(),
        "data": e.payload,
    })
}

#[cfg(test)]
mod tests {
    use switchboard_domain::event::{Event, WebhookDisabled};
    use switchboard_domain::webhook::DeliveryStatus;
    use switchboard_domain::{CompanyId, EventId, Timestamp, WebhookDeliveryId, WebhookEndpointId};

    use super::*;

    fn delivery_of(e: &LoggedEvent) -> WebhookDelivery {
        WebhookDelivery {
            id: WebhookDeliveryId::new(),
            company_id: e.company_id.clone(),
            endpoint_id: WebhookEndpointId::new(),
            event_seq: e.seq,
            event_type: e.kind().to_owned(),
            ordering_key: None,
            status: DeliveryStatus::Pending,
            attempts: 0,
            last_error: None,
            response_code: None,
            retry_from: e.created_at,
            created_at: e.created_at,
            updated_at: e.created_at,
            delivered_at: None,
        }
    }

    fn logged() -> LoggedEvent {
        let disabled = Event::WebhookDisabled(WebhookDisabled { id: WebhookEndpointId::new(), reason: "410".into() });
        let created = Timestamp::from_micros(1_629_285_651_510_000);
        LoggedEvent::read(EventId::new(), CompanyId::new(), 7, created, disabled.kind(), disabled.payload())
    }

    #[test]
    fn each_format_carries_the_delivery_id_the_event_type_and_its_payload_in_its_own_shape() {
        let e = logged();
        let d = delivery_of(&e);
        let payload = e.payload.clone();

        let ed = body(WebhookFormat::EngageDigital, &d, &e);
        assert_eq!(ed["id"], json!(d.id));
        assert_eq!(ed["domain_id"], json!(e.company_id));
        assert_eq!(ed["events"][0]["type"], "webhook.disabled");
        assert_eq!(ed["events"][0]["resource"], json!({"type": "webhook", "id": payload["id"], "metadata": payload}));

        let rp = body(WebhookFormat::RingPlan, &d, &e);
        assert_eq!(
            rp,
            json!({"id": d.id, "event": "webhook.disabled", "timestamp": "2021-08-18T11:20:51.510Z", "company_id": e.company_id, "data": payload})
        );

        let native = body(WebhookFormat::Native, &d, &e);
        assert_eq!(
            native,
            json!({"id": d.id, "type": "webhook.disabled", "seq": 7, "company_id": e.company_id, "created_at": "2021-08-18T11:20:51.510Z", "data": payload})
        );
    }
}
