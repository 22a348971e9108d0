//! Webhook endpoints, the dispatcher's per-company cursor over the event log, and deliveries.

use switchboard_domain::outbound::OutboundUrl;
use switchboard_domain::webhook::{
    DeliveryStatus, EndpointStatus, EventPattern, Secret, SigningSecret, Subscription, WebhookDelivery,
    WebhookEndpoint, WebhookFormat,
};
use switchboard_domain::{
    CompanyId, Error, Result, SourceId, SubscriptionId, Timestamp, WebhookDeliveryId, WebhookEndpointId,
};

use crate::secrets::{Keyring, SealedColumns};
use crate::sql::Sql;
use crate::table::table;
use crate::{Conn, Tx, from_json, parse_id, to_json};

/// What signs deliveries, and the tokens sent with them: stored sealed (see
/// [`crate::secrets`]).
pub(crate) const SEALED: SealedColumns = SealedColumns {
    table: "webhook_endpoints",
    columns: &["verify_token", "secret", "signing_secret", "previous_signing_secret"],
};

/// An endpoint as its row holds it: its secrets sealed.
struct StoredEndpoint<'a> {
    endpoint: &'a WebhookEndpoint,
    verify_token: Option<String>,
    secret: Option<String>,
    signing_secret: String,
    previous_signing_secret: Option<String>,
}

impl<'a> StoredEndpoint<'a> {
    fn new(keys: &Keyring, e: &'a WebhookEndpoint) -> Result<Self> {
        let seal = |column, plain: &str| keys.seal(SEALED.place(column, e.id.as_str()), plain);
        Ok(Self {
            endpoint: e,
            verify_token: e.verify_token.as_ref().map(|s| seal("verify_token", s.expose())).transpose()?,
            secret: e.secret.as_ref().map(|s| seal("secret", s.expose())).transpose()?,
            signing_secret: seal("signing_secret", e.signing_secret.expose())?,
            previous_signing_secret: e
                .previous_signing_secret
                .as_ref()
                .map(|(s, _)| seal("previous_signing_secret", s.expose()))
                .transpose()?,
        })
    }
}

table! {
    ENDPOINTS = "webhook_endpoints", StoredEndpoint<'_> as |r| {
        Key id: r.endpoint.id.as_str(),
        Key company_id: r.endpoint.company_id.as_str(),
        Set url: r.endpoint.url.expose(),
        Set format: r.endpoint.format.as_str(),
        Set events: to_json(&r.endpoint.events.iter().map(EventPattern::as_str).collect::<Vec<_>>())?,
        Set source_ids: r.endpoint.source_ids.as_ref().map(to_json).transpose()?,
        Set verify_token: r.verify_token.as_deref(),
        Set secret: r.secret.as_deref(),
        Set signing_secret: r.signing_secret.as_str(),
        Set previous_signing_secret: r.previous_signing_secret.as_deref(),
        Set previous_until: r.endpoint.previous_signing_secret.as_ref().map(|(_, until)| *until),
        Set status: r.endpoint.status.as_str(),
        Set disabled_reason: r.endpoint.disabled_reason.as_deref(),
        Set start_seq: r.endpoint.start_seq,
        Fixed created_at: r.endpoint.created_at,
        Set updated_at: r.endpoint.updated_at,
    }
}

#[derive(sqlx::FromRow)]
struct EndpointRow {
    id: String,
    company_id: String,
    url: String,
    format: String,
    events: String,
    source_ids: Option<String>,
    verify_token: Option<String>,
    secret: Option<String>,
    signing_secret: String,
    previous_signing_secret: Option<String>,
    previous_until: Option<i64>,
    status: String,
    disabled_reason: Option<String>,
    start_seq: i64,
    created_at: i64,
    updated_at: i64,
}

impl EndpointRow {
    fn into_endpoint(self, keys: &Keyring) -> Result<WebhookEndpoint> {
        // A value the store wrote is valid; one that is not is a broken row, not bad input.
        let row = self.id.clone();
        let open = |column, stored: &str| keys.open(SEALED.place(column, &row), stored);
        let broken = |e: Error| Error::Internal(format!("webhook endpoint {row}: {e}"));
        let events: Vec<String> = from_json(&self.events)?;
        let source_ids: Option<Vec<String>> = self.source_ids.as_deref().map(from_json).transpose()?;
        Ok(WebhookEndpoint {
            id: parse_id(self.id)?,
            company_id: parse_id(self.company_id)?,
            url: OutboundUrl::from_stored(&self.url).map_err(&broken)?,
            format: WebhookFormat::parse(&self.format).map_err(&broken)?,
            events: events.iter().map(|e| EventPattern::parse(e)).collect::<Result<_>>().map_err(&broken)?,
            source_ids: source_ids
                .map(|ids| ids.into_iter().map(parse_id).collect::<Result<Vec<SourceId>>>())
                .transpose()?,
            verify_token: self.verify_token.map(|s| open("verify_token", &s).map(Secret::new)).transpose()?,
            secret: self.secret.map(|s| open("secret", &s).map(Secret::new)).transpose()?,
            signing_secret: SigningSecret::from_stored(open("signing_secret", &self.signing_secret)?),
            previous_signing_secret: self
                .previous_signing_secret
                .zip(self.previous_until)
                .map(|(s, u)| {
                    Ok((SigningSecret::from_stored(open("previous_signing_secret", &s)?), Timestamp::from_micros(u)))
                })
                .transpose()?,
            status: EndpointStatus::parse(&self.status).map_err(&broken)?,
            disabled_reason: self.disabled_reason,
            start_seq: self.start_seq,
            created_at: Timestamp::from_micros(self.created_at),
            updated_at: Timestamp::from_micros(self.updated_at),
        })
    }
}

pub async fn insert_endpoint(tx: &mut Tx<'_>, e: &WebhookEndpoint) -> Result<()> {
    let row = StoredEndpoint::new(tx.secrets(), e)?;
    Sql::insert(&row)?.execute(tx).await.map(drop)
}

pub async fn update_endpoint(tx: &mut Tx<'_>, e: &WebhookEndpoint) -> Result<()> {
    let row = StoredEndpoint::new(tx.secrets(), e)?;
    Sql::update(&row)?.execute(tx).await.map(drop)
}

pub async fn get_endpoint(
    c: &mut impl Conn,
    company: &CompanyId,
    id: &WebhookEndpointId,
) -> Result<Option<WebhookEndpoint>> {
    let keys = c.secrets().clone();
    ENDPOINTS.one(company, id.as_str()).get(c, |r: EndpointRow| r.into_endpoint(&keys)).await
}

pub async fn get_endpoint_for_update(
    tx: &mut Tx<'_>,
    company: &CompanyId,
    id: &WebhookEndpointId,
) -> Result<Option<WebhookEndpoint>> {
    let keys = tx.secrets().clone();
    ENDPOINTS.one(company, id.as_str()).for_update().get(tx, |r: EndpointRow| r.into_endpoint(&keys)).await
}

/// The company's endpoints, oldest first.
pub async fn list_endpoints(c: &mut impl Conn, company: &CompanyId) -> Result<Vec<WebhookEndpoint>> {
    let keys = c.secrets().clone();
    ENDPOINTS
        .select("WHERE company_id = $1 ORDER BY id")
        .bind(company.as_str())
        .list(c, |r: EndpointRow| r.into_endpoint(&keys))
        .await
}

/// Deletes the endpoint; its deliveries go with it (ON DELETE CASCADE). False if the company
/// has no such endpoint.
pub async fn delete_endpoint(tx: &mut Tx<'_>, company: &CompanyId, id: &WebhookEndpointId) -> Result<bool> {
    let n = ENDPOINTS.delete_one(company, id.as_str()).execute(tx).await?;
    Ok(n == 1)
}

/// Companies with an active endpoint whose log has events the dispatcher has not turned into
/// deliveries yet. The others are left alone: their cursor catches up when an endpoint starts.
pub async fn companies_behind(c: &mut impl Conn, limit: i64) -> Result<Vec<CompanyId>> {
    let ids: Vec<String> = Sql::new(
        "SELECT cc.company_id FROM company_counters cc LEFT JOIN webhook_cursors w ON w.company_id = cc.company_id \
         WHERE cc.event_seq > COALESCE(w.last_seq, 0) \
           AND EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.company_id = cc.company_id AND e.status = 'active') \
         ORDER BY cc.company_id LIMIT $1",
    )
    .bind(limit)
    .scalars(c)
    .await?;
    ids.into_iter().map(parse_id).collect()
}

/// Takes the company's dispatch cursor for the rest of the transaction and returns it; a
/// second node dispatching the same company waits here, then sees the advanced cursor.
pub async fn lock_cursor(tx: &mut Tx<'_>, company: &CompanyId) -> Result<i64> {
    // The no-op update takes the row lock on PostgreSQL whether the row is new or not.
    Sql::new(
        "INSERT INTO webhook_cursors (company_id, last_seq) VALUES ($1, 0) \
         ON CONFLICT (company_id) DO UPDATE SET last_seq = webhook_cursors.last_seq RETURNING last_seq",
    )
    .bind(company.as_str())
    .scalar(tx)
    .await
}

pub async fn advance_cursor(tx: &mut Tx<'_>, company: &CompanyId, seq: i64) -> Result<()> {
    Sql::new("UPDATE webhook_cursors SET last_seq = $2 WHERE company_id = $1 AND last_seq < $2")
        .bind(company.as_str())
        .bind(seq)
        .execute(tx)
        .await
        .map(drop)
}

table! {
    DELIVERIES = "webhook_deliveries", WebhookDelivery as |d| {
        Key id: d.id.as_str(),
        Key company_id: d.company_id.as_str(),
        Fixed endpoint_id: d.endpoint_id.as_str(),
        Fixed event_seq: d.event_seq,
        Fixed event_type: &d.event_type,
        Fixed ordering_key: d.ordering_key.as_deref(),
        Set status: d.status.as_str(),
        Set attempts: d.attempts,
        Set last_error: d.last_error.as_deref(),
        Set response_code: d.response_code,
        Set retry_from: d.retry_from,
        Fixed created_at: d.created_at,
        Set updated_at: d.updated_at,
        Set delivered_at: d.delivered_at,
    }
}

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: String,
    company_id: String,
    endpoint_id: String,
    event_seq: i64,
    event_type: String,
    ordering_key: Option<String>,
    status: String,
    attempts: i32,
    last_error: Option<String>,
    response_code: Option<i32>,
    retry_from: i64,
    created_at: i64,
    updated_at: i64,
    delivered_at: Option<i64>,
}

impl DeliveryRow {
    fn into_delivery(self) -> Result<WebhookDelivery> {
        Ok(WebhookDelivery {
            id: parse_id(self.id)?,
            company_id: parse_id(self.company_id)?,
            endpoint_id: parse_id(self.endpoint_id)?,
            event_seq: self.event_seq,
            event_type: self.event_type,
            ordering_key: self.ordering_key,
            status: DeliveryStatus::parse(&self.status)?,
            attempts: self.attempts,
            last_error: self.last_error,
            response_code: self.response_code,
            retry_from: Timestamp::from_micros(self.retry_from),
            created_at: Timestamp::from_micros(self.created_at),
            updated_at: Timestamp::from_micros(self.updated_at),
            delivered_at: self.delivered_at.map(Timestamp::from_micros),
        })
    }
}

pub async fn insert_delivery(tx: &mut Tx<'_>, d: &WebhookDelivery) -> Result<()> {
    Sql::insert(d)?.execute(tx).await.map(drop)
}

pub async fn update_delivery(tx: &mut Tx<'_>, d: &WebhookDelivery) -> Result<()> {
    Sql::update(d)?.execute(tx).await.map(drop)
}

pub async fn get_delivery(
    c: &mut impl Conn,
    company: &CompanyId,
    id: &WebhookDeliveryId,
) -> Result<Option<WebhookDelivery>> {
    DELIVERIES.one(company, id.as_str()).get(c, DeliveryRow::into_delivery).await
}

/// The endpoint's deliveries, newest first.
pub async fn list_deliveries(
    c: &mut impl Conn,
    company: &CompanyId,
    endpoint: &WebhookEndpointId,
    limit: i64,
) -> Result<Vec<WebhookDelivery>> {
    DELIVERIES
        .select("WHERE company_id = $1 AND endpoint_id = $2 ORDER BY event_seq DESC LIMIT $3")
        .bind(company.as_str())
        .bind(endpoint.as_str())
        .bind(limit)
        .list(c, DeliveryRow::into_delivery)
        .await
}

/// Whether an earlier delivery with the same ordering key is still pending for the endpoint:
/// then this one must wait, to keep the thread's order.
pub async fn earlier_pending(c: &mut impl Conn, d: &WebhookDelivery) -> Result<bool> {
    let Some(key) = &d.ordering_key else { return Ok(false) };
    Sql::new(
        "SELECT EXISTS (SELECT 1 FROM webhook_deliveries \
         WHERE endpoint_id = $1 AND ordering_key = $2 AND event_seq < $3 AND status = 'pending')",
    )
    .bind(d.endpoint_id.as_str())
    .bind(key)
    .bind(d.event_seq)
    .scalar(c)
    .await
}

/// Gives up the endpoint's pending deliveries (it was disabled). Returns how many.
pub async fn kill_pending(
    tx: &mut Tx<'_>,
    company: &CompanyId,
    endpoint: &WebhookEndpointId,
    reason: &str,
) -> Result<u64> {
    Sql::new(
        "UPDATE webhook_deliveries SET status = 'dead', last_error = $3, updated_at = $4 \
         WHERE company_id = $1 AND endpoint_id = $2 AND status = 'pending'",
    )
    .bind(company.as_str())
    .bind(endpoint.as_str())
    .bind(reason)
    .bind(Timestamp::now())
    .execute(tx)
    .await
}

/// The endpoint that is a company's RingPlan callback URL.
struct CallbackUrl<'a> {
    company: &'a CompanyId,
    endpoint: &'a WebhookEndpointId,
}

table! {
    CALLBACK_URLS = "ringplan_callback_urls", CallbackUrl<'_> as |u| {
        Key company_id: u.company.as_str(),
        Set endpoint_id: u.endpoint.as_str(),
    }
}

/// The endpoint that is the company's RingPlan callback URL, if one was set.
pub async fn ringplan_endpoint(c: &mut impl Conn, company: &CompanyId) -> Result<Option<WebhookEndpointId>> {
    let id: Option<String> = Sql::new("SELECT endpoint_id FROM ringplan_callback_urls WHERE company_id = $1")
        .bind(company.as_str())
        .scalar_optional(c)
        .await?;
    id.map(parse_id).transpose()
}

pub async fn set_ringplan_endpoint(tx: &mut Tx<'_>, company: &CompanyId, endpoint: &WebhookEndpointId) -> Result<()> {
    Sql::upsert(&CallbackUrl { company, endpoint })?.execute(tx).await.map(drop)
}

table! {
    CALLBACKS = "ringplan_callbacks", Subscription as |s| {
        Key id: s.id.as_str(),
        Fixed company_id: s.company_id.as_str(),
        Fixed event_type: &s.event_type,
        Fixed created_at: Timestamp::now(),
    }
}

#[derive(sqlx::FromRow)]
struct SubscriptionRow {
    id: String,
    company_id: String,
    event_type: String,
}

impl SubscriptionRow {
    fn into_subscription(self) -> Result<Subscription> {
        Ok(Subscription { id: parse_id(self.id)?, company_id: parse_id(self.company_id)?, event_type: self.event_type })
    }
}

/// The company's RingPlan subscriptions, oldest first.
pub async fn list_callbacks(c: &mut impl Conn, company: &CompanyId) -> Result<Vec<Subscription>> {
    CALLBACKS
        .select("WHERE company_id = $1 ORDER BY id")
        .bind(company.as_str())
        .list(c, SubscriptionRow::into_subscription)
        .await
}

pub async fn insert_callback(tx: &mut Tx<'_>, cb: &Subscription) -> Result<()> {
    Sql::insert(cb)?.execute(tx).await.map(drop)
}

/// Deletes the subscription and returns it; `None` if the company has no such subscription.
pub async fn delete_callback(
    tx: &mut Tx<'_>,
    company: &CompanyId,
    id: &SubscriptionId,
) -> Result<Option<Subscription>> {
    let returning = format!(" RETURNING {}", CALLBACKS.columns());
    CALLBACKS.delete_one(company, id.as_str()).append(&returning).get(tx, SubscriptionRow::into_subscription).await
}
