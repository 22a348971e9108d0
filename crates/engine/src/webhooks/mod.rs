//! Webhooks: endpoints a company registers, the dispatcher that turns its event log into one
//! delivery per matching endpoint, and the job that sends a delivery until it succeeds or its
//! retry window closes.

mod body;
mod deliver;
mod dispatch;
mod ringplan;
pub(crate) mod signature;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use switchboard_domain::event::Event;
use switchboard_domain::outbound::OutboundUrl;
use switchboard_domain::webhook::{
    DeliveryStatus, EndpointStatus, EventPattern, Secret, SigningSecret, WebhookDelivery, WebhookEndpoint,
    WebhookFormat,
};
use switchboard_domain::{
    CompanyId, Error, Resource, Result, SourceId, Timestamp, WebhookDeliveryId, WebhookEndpointId,
};
use switchboard_store::{Tx, events, jobs, sources, webhooks};

pub use deliver::DeliverJob;
pub use dispatch::Dispatcher;

use crate::{Actor, Engine};

/// How deliveries are made. Tests shorten the delays; nothing else should need to.
#[derive(Debug, Clone)]
pub struct WebhookOptions {
    /// An attempt not answered within this is a failure.
    pub timeout: Duration,
    /// The wait after the first failed attempt, doubled after each further one up to `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// How long a delivery is retried before it is dead.
    pub retry_for: Duration,
    /// How often the dispatcher looks for events written by other nodes without being woken.
    pub poll: Duration,
}

impl Default for WebhookOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            retry_base: Duration::from_secs(30),
            retry_max: Duration::from_secs(3600),
            retry_for: Duration::from_secs(25 * 3600),
            poll: Duration::from_secs(1),
        }
    }
}

/// Shared by the engine's clones: the options and one HTTP client (its connection pool).
pub(crate) struct Webhooks {
    pub(crate) options: WebhookOptions,
    pub(crate) client: crate::outbound::Client,
}

impl Webhooks {
    pub(crate) fn new(options: WebhookOptions, guard: &crate::outbound::Guard) -> Result<Arc<Self>> {
        let builder = reqwest::Client::builder().timeout(options.timeout).user_agent("Switchboard-Webhooks/1");
        let client = guard.client(builder, "webhook")?;
        Ok(Arc::new(Self { options, client }))
    }
}

/// What an administrator gives to add an endpoint.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub url: OutboundUrl,
    pub format: WebhookFormat,
    pub events: Vec<EventPattern>,
    pub source_ids: Option<Vec<SourceId>>,
    pub verify_token: Option<Secret>,
    pub secret: Option<Secret>,
}

/// A change to an endpoint; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct WebhookChange {
    pub url: Option<OutboundUrl>,
    pub format: Option<WebhookFormat>,
    pub events: Option<Vec<EventPattern>>,
    pub source_ids: Option<Option<Vec<SourceId>>>,
    pub secret: Option<Option<Secret>>,
    pub active: Option<bool>,
}

/// How long the signing secret replaced by a rotation keeps signing.
const ROTATION_OVERLAP: Duration = Duration::from_secs(24 * 3600);

/// Where a new or resumed endpoint starts: after the company's newest event. The dispatch
/// cursor is held until the endpoint is committed, so the dispatcher cannot pass a later event
/// without seeing the endpoint.
async fn starting_seq(tx: &mut Tx<'_>, company: &CompanyId) -> Result<i64> {
    webhooks::lock_cursor(tx, company).await?;
    let last = events::last_seq(tx, company).await?;
    // Without an active endpoint the company is not dispatched and its cursor lags behind the
    // log; nothing before now is owed to anyone, so it jumps ahead.
    if !webhooks::list_endpoints(tx, company).await?.iter().any(|e| e.status == EndpointStatus::Active) {
        webhooks::advance_cursor(tx, company, last).await?;
    }
    Ok(last)
}

impl Engine {
    #[tracing::instrument(skip_all, fields(company = %actor.company_id))]
    pub async fn create_webhook(&self, actor: &Actor, new: NewWebhook) -> Result<WebhookEndpoint> {
        actor.require_admin("manage webhooks")?;
        if new.events.is_empty() {
            return Err(Error::invalid_field("events", "must name at least one event type or pattern"));
        }
        self.check_own_sources(&actor.company_id, new.source_ids.as_deref()).await?;
        self.outbound.check("url", &new.url).await?;
        if let Some(token) = &new.verify_token {
            self.verify_subscription(&new.url, token, new.secret.as_ref()).await?;
        }
        let now = Timestamp::now();
        let mut tx = self.store.begin().await?;
        let endpoint = WebhookEndpoint {
            id: WebhookEndpointId::new(),
            company_id: actor.company_id.clone(),
            url: new.url,
            format: new.format,
            events: new.events,
            source_ids: new.source_ids,
            verify_token: new.verify_token,
            secret: new.secret,
            signing_secret: SigningSecret::generate(),
            previous_signing_secret: None,
            status: EndpointStatus::Active,
            disabled_reason: None,
            start_seq: starting_seq(&mut tx, &actor.company_id).await?,
            created_at: now,
            updated_at: now,
        };
        webhooks::insert_endpoint(&mut tx, &endpoint).await?;
        events::append(&mut tx, &actor.company_id, vec![Event::WebhookCreated((&endpoint).into())]);
        tx.commit().await?;
        Ok(endpoint)
    }

    pub async fn list_webhooks(&self, actor: &Actor) -> Result<Vec<WebhookEndpoint>> {
        actor.require_admin("manage webhooks")?;
        webhooks::list_endpoints(&mut self.store.reader().await?, &actor.company_id).await
    }

    pub async fn webhook(&self, actor: &Actor, id: &WebhookEndpointId) -> Result<WebhookEndpoint> {
        actor.require_admin("manage webhooks")?;
        webhooks::get_endpoint(&mut self.store.reader().await?, &actor.company_id, id)
            .await?
            .ok_or(Error::NotFound(Resource::Webhook))
    }

    #[tracing::instrument(skip_all, fields(company = %actor.company_id))]
    pub async fn update_webhook(
        &self,
        actor: &Actor,
        id: &WebhookEndpointId,
        change: WebhookChange,
    ) -> Result<WebhookEndpoint> {
        let current = self.webhook(actor, id).await?;
        if change.events.as_ref().is_some_and(Vec::is_empty) {
            return Err(Error::invalid_field("events", "must name at least one event type or pattern"));
        }
        if let Some(ids) = &change.source_ids {
            self.check_own_sources(&actor.company_id, ids.as_deref()).await?;
        }
        if let Some(url) = &change.url {
            self.outbound.check("url", url).await?;
            if let Some(token) = &current.verify_token {
                let secret = change.secret.clone().unwrap_or(current.secret.clone());
                self.verify_subscription(url, token, secret.as_ref()).await?;
            }
        }
        let mut tx = self.store.begin().await?;
        // The dispatch cursor before the endpoint, in the dispatcher's order: re-enabling takes
        // the cursor to start after the newest event.
        webhooks::lock_cursor(&mut tx, &actor.company_id).await?;
        let mut e = webhooks::get_endpoint_for_update(&mut tx, &actor.company_id, id)
            .await?
            .ok_or(Error::NotFound(Resource::Webhook))?;
        if let Some(url) = change.url {
            e.url = url;
        }
        if let Some(format) = change.format {
            if e.format == WebhookFormat::RingPlan && format != WebhookFormat::RingPlan {
                return Err(Error::Conflict(
                    "the 'format' of the RingPlan callback URL is RingPlan's and cannot change".into(),
                ));
            }
            e.format = format;
        }
        if let Some(events) = change.events {
            e.events = events;
        }
        if let Some(source_ids) = change.source_ids {
            e.source_ids = source_ids;
        }
        if let Some(secret) = change.secret {
            e.secret = secret;
        }
        match change.active {
            Some(true) if e.status == EndpointStatus::Disabled => {
                // Resumes from now: what happened while it was off is not replayed (that is
                // what redelivery is for).
                (e.status, e.disabled_reason) = (EndpointStatus::Active, None);
                e.start_seq = starting_seq(&mut tx, &actor.company_id).await?;
            }
            Some(true) => {}
            Some(false) => {
                (e.status, e.disabled_reason) = (EndpointStatus::Disabled, Some("disabled by an administrator".into()))
            }
            None => {}
        }
        e.updated_at = Timestamp::now();
        webhooks::update_endpoint(&mut tx, &e).await?;
        events::append(&mut tx, &actor.company_id, vec![Event::WebhookUpdated((&e).into())]);
        tx.commit().await?;
        Ok(e)
    }

    /// An endpoint may be limited to the company's own live sources only: another company's
    /// source id would tell whether that source exists, and match nothing.
    async fn check_own_sources(&self, company: &CompanyId, ids: Option<&[SourceId]>) -> Result<()> {
        let Some(ids) = ids.filter(|ids| !ids.is_empty()) else { return Ok(()) };
        let own: HashSet<SourceId> =
            sources::list(&mut self.store.reader().await?, company).await?.into_iter().map(|s| s.id).collect();
        match ids.iter().find(|id| !own.contains(*id)) {
            Some(id) => {
                Err(Error::invalid_field("source_ids", format!("holds '{id}', which is not a source of this company")))
            }
            None => Ok(()),
        }
    }

    /// Replaces the signing secret; the old one goes on signing (as a second signature) for a
    /// day, so receivers can move to the new one without rejecting deliveries.
    #[tracing::instrument(skip_all, fields(company = %actor.company_id))]
    pub async fn rotate_webhook_secret(&self, actor: &Actor, id: &WebhookEndpointId) -> Result<WebhookEndpoint> {
        actor.require_admin("manage webhooks")?;
        let mut tx = self.store.begin().await?;
        let mut e = webhooks::get_endpoint_for_update(&mut tx, &actor.company_id, id)
            .await?
            .ok_or(Error::NotFound(Resource::Webhook))?;
        let now = Timestamp::now();
        let old = std::mem::replace(&mut e.signing_secret, SigningSecret::generate());
        e.previous_signing_secret = Some((old, now.plus(ROTATION_OVERLAP)));
        e.updated_at = now;
        webhooks::update_endpoint(&mut tx, &e).await?;
        events::append(&mut tx, &actor.company_id, vec![Event::WebhookSecretRotated((&e).into())]);
        tx.commit().await?;
        Ok(e)
    }

    #[tracing::instrument(skip_all, fields(company = %actor.company_id))]
    pub async fn delete_webhook(&self, actor: &Actor, id: &WebhookEndpointId) -> Result<()> {
        actor.require_admin("manage webhooks")?;
        let mut tx = self.store.begin().await?;
        let e = webhooks::get_endpoint_for_update(&mut tx, &actor.company_id, id)
            .await?
            .ok_or(Error::NotFound(Resource::Webhook))?;
        webhooks::delete_endpoint(&mut tx, &actor.company_id, id).await?;
        events::append(&mut tx, &actor.company_id, vec![Event::WebhookDeleted((&e).into())]);
        tx.commit().await?;
        Ok(())
    }

    /// The endpoint's most recent deliveries, newest first.
    pub async fn webhook_deliveries(
        &self,
        actor: &Actor,
        id: &WebhookEndpointId,
        limit: i64,
    ) -> Result<Vec<WebhookDelivery>> {
        self.webhook(actor, id).await?;
        webhooks::list_deliveries(&mut self.store.reader().await?, &actor.company_id, id, limit).await
    }

    /// Sends a delivery again, with the same id, whatever became of it; its retry window
    /// starts over.
    #[tracing::instrument(skip_all, fields(company = %actor.company_id))]
    pub async fn redeliver(
        &self,
        actor: &Actor,
        id: &WebhookEndpointId,
        delivery_id: &WebhookDeliveryId,
    ) -> Result<WebhookDelivery> {
        actor.require_admin("manage webhooks")?;
        let mut tx = self.store.begin().await?;
        webhooks::get_endpoint_for_update(&mut tx, &actor.company_id, id)
            .await?
            .ok_or(Error::NotFound(Resource::Webhook))?;
        let mut d = webhooks::get_delivery(&mut tx, &actor.company_id, delivery_id)
            .await?
            .filter(|d| &d.endpoint_id == id)
            .ok_or(Error::NotFound(Resource::WebhookDelivery))?;
        if d.status == DeliveryStatus::Pending {
            return Err(Error::Conflict("this delivery is still being attempted".into()));
        }
        let now = Timestamp::now();
        d.status = DeliveryStatus::Pending;
        d.retry_from = now;
        d.updated_at = now;
        webhooks::update_delivery(&mut tx, &d).await?;
        jobs::enqueue(&mut tx, &deliver::job(&d)).await?;
        tx.commit().await?;
        Ok(d)
    }

    /// The subscription handshake of Engage Digital webhooks: a GET carrying a challenge that
    /// the receiver must answer with, and nothing else.
    async fn verify_subscription(&self, url: &OutboundUrl, token: &Secret, secret: Option<&Secret>) -> Result<()> {
        let challenge = switchboard_domain::new_id();
        let refused = |why: crate::outbound::Refused| Error::invalid_field("url", format!("was not verified: {why}"));
        let mut req = self.webhooks.client.request(reqwest::Method::GET, url.url().clone()).map_err(refused)?.query(&[
            ("hub.mode", "subscribe"),
            ("hub.challenge", challenge.as_str()),
            ("hub.verify_token", token.expose()),
        ]);
        if let Some(s) = secret {
            req = req.header("X-Dimelo-Secret", s.expose());
        }
        let res = req.send().await.map_err(|e| {
            Error::invalid(format!("the verification request to 'url' failed: {}", crate::http::describe(e)))
        })?;
        let status = res.status();
        let body = res.text().await.unwrap_or_default();
        if !status.is_success() || body.trim() != challenge {
            return Err(Error::invalid(format!(
                "'url' did not confirm the subscription: the verification GET must answer 200 with the hub.challenge as its body (got HTTP {})",
                status.as_u16()
            )));
        }
        Ok(())
    }
}
