//! One attempt at a delivery, run as a job: the event is read from the log, written in the
//! endpoint's format, signed the Standard Webhooks way and posted.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use switchboard_domain::event::{Event, LoggedEvent, WebhookDisabled};
use switchboard_domain::job::{Job, JobOutcome, JobPayload, NewJob};
use switchboard_domain::webhook::{DeliveryStatus, EndpointStatus, WebhookDelivery, WebhookEndpoint};
use switchboard_domain::{CompanyId, Error, Result, Timestamp, WebhookDeliveryId};
use switchboard_store::{events, webhooks};

use super::body::body;
use super::signature;
use crate::Engine;
use crate::jobs::backoff;

/// A `webhook.deliver` job: one attempt at a delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliverJob {
    pub delivery_id: WebhookDeliveryId,
}

impl JobPayload for DeliverJob {
    const KIND: &'static str = "webhook.deliver";
    /// The delivery decides when it is dead (its retry window), not the job's attempt count.
    const MAX_ATTEMPTS: i32 = 1_000_000;
}

pub(crate) fn job(d: &WebhookDelivery) -> NewJob {
    NewJob::of(&DeliverJob { delivery_id: d.id.clone() }).for_company(d.company_id.clone())
}

/// What one attempt came to.
enum Attempt {
    Delivered(u16),
    Gone,
    Failed { code: Option<u16>, error: String },
}

impl Engine {
    /// Runs a delivery job.
    #[tracing::instrument(skip_all, fields(company = ?job.company_id, delivery = %payload.delivery_id))]
    pub(crate) async fn try_delivery(&self, job: &Job, payload: DeliverJob) -> Result<JobOutcome> {
        let company: CompanyId =
            job.company_id.clone().ok_or_else(|| Error::Internal("a webhook delivery job has no company".into()))?;
        let id = payload.delivery_id;
        let mut r = self.store.reader().await?;
        let Some(mut d) =
            webhooks::get_delivery(&mut r, &company, &id).await?.filter(|d| d.status == DeliveryStatus::Pending)
        else {
            return Ok(JobOutcome::Done);
        };
        let Some(endpoint) = webhooks::get_endpoint(&mut r, &company, &d.endpoint_id).await? else {
            return Ok(JobOutcome::Done);
        };
        let options = &self.webhooks.options;
        if endpoint.status == EndpointStatus::Disabled {
            self.finish(&mut d, DeliveryStatus::Dead, None, Some("the endpoint is disabled".into())).await?;
            return Ok(JobOutcome::Done);
        }
        if webhooks::earlier_pending(&mut r, &d).await? {
            // Not an attempt: the thread's earlier event must reach the receiver first.
            return Ok(JobOutcome::Failed {
                error: "waiting for an earlier delivery of the same thread".into(),
                retry_in: options.retry_base.min(Duration::from_secs(5)),
            });
        }
        let event =
            events::read_after(&mut r, &company, d.event_seq - 1, 1).await?.pop().filter(|e| e.seq == d.event_seq);
        let event =
            event.ok_or_else(|| Error::Internal(format!("event {} of a delivery is not in the log", d.event_seq)))?;
        drop(r);

        d.attempts += 1;
        match self.attempt(&endpoint, &d, &event).await {
            Attempt::Delivered(code) => {
                self.finish(&mut d, DeliveryStatus::Delivered, Some(code), None).await?;
                Ok(JobOutcome::Done)
            }
            Attempt::Gone => {
                self.finish(
                    &mut d,
                    DeliveryStatus::Dead,
                    Some(410),
                    Some("the receiver answered 410 Gone; the endpoint is disabled".into()),
                )
                .await?;
                self.disable_gone(&endpoint).await?;
                Ok(JobOutcome::Done)
            }
            Attempt::Failed { code, error } => {
                let retry_in = backoff(d.attempts, options.retry_base, options.retry_max);
                let dead = Timestamp::now().plus(retry_in) > d.retry_from.plus(options.retry_for);
                let status = if dead { DeliveryStatus::Dead } else { DeliveryStatus::Pending };
                self.finish(&mut d, status, code, Some(error.clone())).await?;
                Ok(if dead { JobOutcome::Fatal { error } } else { JobOutcome::Failed { error, retry_in } })
            }
        }
    }

    async fn attempt(&self, endpoint: &WebhookEndpoint, d: &WebhookDelivery, event: &LoggedEvent) -> Attempt {
        let body = serde_json::to_vec(&body(endpoint.format, d, event)).unwrap_or_default();
        let now = Timestamp::now();
        let timestamp = now.as_micros() / 1_000_000;
        let req = match self.webhooks.client.request(reqwest::Method::POST, endpoint.url.url().clone()) {
            Ok(req) => req,
            Err(refused) => return Attempt::Failed { code: None, error: format!("not sent: {refused}") },
        };
        let mut req = req
            .header("Content-Type", "application/json")
            .header("webhook-id", d.id.as_str())
            .header("webhook-timestamp", timestamp.to_string())
            .header(
                "webhook-signature",
                signature::sign(&endpoint.signing_secrets(now), d.id.as_str(), timestamp, &body),
            );
        if let Some(secret) = &endpoint.secret {
            req = req.header("X-Dimelo-Secret", secret.expose());
        }
        match req.body(body).send().await {
            Ok(res) if res.status().is_success() => Attempt::Delivered(res.status().as_u16()),
            Ok(res) if res.status().as_u16() == 410 => Attempt::Gone,
            Ok(res) => Attempt::Failed {
                code: Some(res.status().as_u16()),
                error: format!("the receiver answered HTTP {}", res.status().as_u16()),
            },
            Err(e) => Attempt::Failed { code: None, error: crate::http::describe(e) },
        }
    }

    async fn finish(
        &self,
        d: &mut WebhookDelivery,
        status: DeliveryStatus,
        code: Option<u16>,
        error: Option<String>,
    ) -> Result<()> {
        let now = Timestamp::now();
        d.status = status;
        d.response_code = code.map(i32::from).or(d.response_code);
        d.last_error = error;
        d.updated_at = now;
        if status == DeliveryStatus::Delivered {
            d.delivered_at = Some(now);
        }
        let mut tx = self.store.begin().await?;
        webhooks::update_delivery(&mut tx, d).await?;
        tx.commit().await
    }

    /// A receiver that answers 410 wants no more: the endpoint stops, and what was waiting for
    /// it is given up (an administrator may re-enable it and redeliver).
    async fn disable_gone(&self, endpoint: &WebhookEndpoint) -> Result<()> {
        let reason = "the receiver answered 410 Gone";
        let mut tx = self.store.begin().await?;
        // Waits for a dispatch under way, whose new deliveries are then given up below, and holds
        // off the next until the endpoint is disabled. The cursor before the endpoint, as the
        // dispatcher takes them (its new deliveries lock their endpoint's row).
        webhooks::lock_cursor(&mut tx, &endpoint.company_id).await?;
        if let Some(mut e) = webhooks::get_endpoint_for_update(&mut tx, &endpoint.company_id, &endpoint.id).await? {
            e.status = EndpointStatus::Disabled;
            e.disabled_reason = Some(reason.into());
            e.updated_at = Timestamp::now();
            webhooks::update_endpoint(&mut tx, &e).await?;
            webhooks::kill_pending(&mut tx, &e.company_id, &e.id, "the endpoint was disabled (410 Gone)").await?;
            let disabled = WebhookDisabled { id: e.id.clone(), reason: reason.into() };
            events::append(&mut tx, &e.company_id, vec![Event::WebhookDisabled(disabled)]);
        }
        tx.commit().await
    }
}
