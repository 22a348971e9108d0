//! The RingPlan facade's webhooks: one callback URL per company and the event types it
//! subscribed. They are kept as an ordinary endpoint (whose events are the subscribed types),
//! so they share the dispatcher, signing, retries and delivery log of every other endpoint.

use switchboard_domain::event::Event;
use switchboard_domain::outbound::OutboundUrl;
use switchboard_domain::webhook::{
    EndpointStatus, EventPattern, SigningSecret, Subscription, WebhookEndpoint, WebhookFormat,
};
use switchboard_domain::{CompanyId, Error, Resource, Result, SubscriptionId, Timestamp, WebhookEndpointId};
use switchboard_store::{Tx, events, webhooks};

use crate::{Actor, Engine};

/// The event types a RingPlan webhook subscription may name.
const EVENT_TYPES: [&str; 4] =
    ["dial.action.started", "dial.action.completed", "call.action.hangup", "texting.message.inbound"];

fn subscribable(event_type: &str) -> Result<&'static str> {
    EVENT_TYPES.iter().find(|t| **t == event_type).copied().ok_or_else(|| {
        Error::invalid_field("type", format!("must be one of {}, got '{event_type}'", EVENT_TYPES.join(", ")))
    })
}

async fn subscribed_patterns(tx: &mut Tx<'_>, company: &CompanyId) -> Result<Vec<EventPattern>> {
    webhooks::list_callbacks(tx, company).await?.iter().map(|c| EventPattern::parse(&c.event_type)).collect()
}

/// Makes the callback endpoint's events the subscribed types, after a subscription changed.
async fn sync_endpoint(tx: &mut Tx<'_>, company: &CompanyId) -> Result<()> {
    let Some(id) = webhooks::ringplan_endpoint(tx, company).await? else { return Ok(()) };
    if let Some(mut e) = webhooks::get_endpoint_for_update(tx, company, &id).await? {
        e.events = subscribed_patterns(tx, company).await?;
        e.updated_at = Timestamp::now();
        webhooks::update_endpoint(tx, &e).await?;
    }
    Ok(())
}

impl Engine {
    /// The company's callback URL endpoint; `NotFound` until one is set.
    pub async fn ringplan_callback_url(&self, actor: &Actor) -> Result<WebhookEndpoint> {
        actor.require_admin("manage webhooks")?;
        let mut r = self.store.reader().await?;
        let id =
            webhooks::ringplan_endpoint(&mut r, &actor.company_id).await?.ok_or(Error::NotFound(Resource::Webhook))?;
        webhooks::get_endpoint(&mut r, &actor.company_id, &id).await?.ok_or(Error::NotFound(Resource::Webhook))
    }

    /// Sets (or replaces) the company's callback URL.
    #[tracing::instrument(skip_all, fields(company = %actor.company_id))]
    pub async fn set_ringplan_callback_url(&self, actor: &Actor, url: OutboundUrl) -> Result<WebhookEndpoint> {
        actor.require_admin("manage webhooks")?;
        self.outbound.check("url", &url).await?;
        let company = &actor.company_id;
        let now = Timestamp::now();
        let mut tx = self.store.begin().await?;
        let existing = match webhooks::ringplan_endpoint(&mut tx, company).await? {
            Some(id) => webhooks::get_endpoint_for_update(&mut tx, company, &id).await?,
            None => None,
        };
        let endpoint = match existing {
            Some(mut e) => {
                e.url = url;
                e.updated_at = now;
                webhooks::update_endpoint(&mut tx, &e).await?;
                events::append(&mut tx, company, vec![Event::WebhookUpdated((&e).into())]);
                e
            }
            None => {
                let e = WebhookEndpoint {
                    id: WebhookEndpointId::new(),
                    company_id: company.clone(),
                    url,
                    format: WebhookFormat::RingPlan,
                    events: subscribed_patterns(&mut tx, company).await?,
                    source_ids: None,
                    verify_token: None,
                    secret: None,
                    signing_secret: SigningSecret::generate(),
                    previous_signing_secret: None,
                    status: EndpointStatus::Active,
                    disabled_reason: None,
                    start_seq: super::starting_seq(&mut tx, company).await?,
                    created_at: now,
                    updated_at: now,
                };
                webhooks::insert_endpoint(&mut tx, &e).await?;
                webhooks::set_ringplan_endpoint(&mut tx, company, &e.id).await?;
                events::append(&mut tx, company, vec![Event::WebhookCreated((&e).into())]);
                e
            }
        };
        tx.commit().await?;
        Ok(endpoint)
    }

    pub async fn ringplan_callbacks(&self, actor: &Actor) -> Result<Vec<Subscription>> {
        actor.require_admin("manage webhooks")?;
        webhooks::list_callbacks(&mut self.store.reader().await?, &actor.company_id).await
    }

    /// Subscribes the callback URL to an event type. Subscribing twice gives the existing
    /// subscription back.
    #[tracing::instrument(skip_all, fields(company = %actor.company_id))]
    pub async fn subscribe_ringplan(&self, actor: &Actor, event_type: &str) -> Result<Subscription> {
        actor.require_admin("manage webhooks")?;
        let event_type = subscribable(event_type)?;
        let company = &actor.company_id;
        let mut tx = self.store.begin().await?;
        if let Some(existing) =
            webhooks::list_callbacks(&mut tx, company).await?.into_iter().find(|c| c.event_type == event_type)
        {
            return Ok(existing);
        }
        let callback =
            Subscription { id: SubscriptionId::new(), company_id: company.clone(), event_type: event_type.to_owned() };
        webhooks::insert_callback(&mut tx, &callback).await?;
        sync_endpoint(&mut tx, company).await?;
        tx.commit().await?;
        Ok(callback)
    }

    #[tracing::instrument(skip_all, fields(company = %actor.company_id))]
    pub async fn unsubscribe_ringplan(&self, actor: &Actor, id: &SubscriptionId) -> Result<Subscription> {
        actor.require_admin("manage webhooks")?;
        let company = &actor.company_id;
        let mut tx = self.store.begin().await?;
        let callback =
            webhooks::delete_callback(&mut tx, company, id).await?.ok_or(Error::NotFound(Resource::Subscription))?;
        sync_endpoint(&mut tx, company).await?;
        tx.commit().await?;
        Ok(callback)
    }
}
