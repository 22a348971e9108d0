//! Webhook endpoints, the dispatcher's per-company cursor over the event log, and deliveries.

use switchboard_domain::webhook::{
    DeliveryStatus, EndpointStatus, EventPattern, Secret, SigningSecret, Subscription, TargetUrl, WebhookDelivery,
    WebhookEndpoint,
};
use switchboard_domain::{
    CompanyId, Result, SourceId, SubscriptionId, Timestamp, WebhookDeliveryId, WebhookEndpointId,
};

use crate::{Conn, Tx, db_err, for_update, from_json, parse_id, run, to_json};

const ENDPOINT_COLUMNS: &str = "id, company_id, url, events, source_ids, verify_token, secret, signing_secret, previous_signing_secret, previous_until, status, disabled_reason, start_seq, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct EndpointRow {
    id: String,
    company_id: String,
    url: String,
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
    fn into_endpoint(self) -> Result<WebhookEndpoint> {
        let events: Vec<String> = from_json(&self.events)?;
        let source_ids: Option<Vec<String>> = self.source_ids.as_deref().map(from_json).transpose()?;
        Ok(WebhookEndpoint {
            id: parse_id(self.id)?,
            company_id: parse_id(self.company_id)?,
            url: TargetUrl::parse(&self.url)?,
            events: events.iter().map(|e| EventPattern::parse(e)).collect::<Result<_>>()?,
            source_ids: source_ids
                .map(|ids| ids.into_iter().map(parse_id).collect::<Result<Vec<SourceId>>>())
                .transpose()?,
            verify_token: self.verify_token.map(Secret::new),
            secret: self.secret.map(Secret::new),
            signing_secret: SigningSecret::from_stored(self.signing_secret),
            previous_signing_secret: self
                .previous_signing_secret
                .zip(self.previous_until)
                .map(|(s, u)| (SigningSecret::from_stored(s), Timestamp::from_micros(u))),
            status: EndpointStatus::parse(&self.status)?,
            disabled_reason: self.disabled_reason,
            start_seq: self.start_seq,
            created_at: Timestamp::from_micros(self.created_at),
            updated_at: Timestamp::from_micros(self.updated_at),
        })
    }
}

fn events_json(e: &WebhookEndpoint) -> Result<String> {
    to_json(&e.events.iter().map(EventPattern::as_str).collect::<Vec<_>>())
}

fn sources_json(e: &WebhookEndpoint) -> Result<Option<String>> {
    e.source_ids.as_ref().map(|ids| to_json(&ids.iter().map(SourceId::as_str).collect::<Vec<_>>())).transpose()
}

pub async fn insert_endpoint(tx: &mut Tx<'_>, e: &WebhookEndpoint) -> Result<()> {
    let (events, sources) = (events_json(e)?, sources_json(e)?);
    run!(tx, |c| {
        sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO webhook_endpoints ({ENDPOINT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    )))
    .bind(e.id.as_str())
    .bind(e.company_id.as_str())
    .bind(e.url.as_str())
    .bind(&events)
    .bind(sources.as_deref())
    .bind(e.verify_token.as_ref().map(Secret::expose))
    .bind(e.secret.as_ref().map(Secret::expose))
    .bind(e.signing_secret.expose())
    .bind(e.previous_signing_secret.as_ref().map(|(s, _)| s.expose()))
    .bind(e.previous_signing_secret.as_ref().map(|(_, u)| u.as_micros()))
    .bind(e.status.as_str())
    .bind(e.disabled_reason.as_deref())
    .bind(e.start_seq)
    .bind(e.created_at.as_micros())
    .bind(e.updated_at.as_micros())
    .execute(&mut *c)
    .await
    .map_err(db_err)?
    .rows_affected()
    });
    Ok(())
}

pub async fn update_endpoint(tx: &mut Tx<'_>, e: &WebhookEndpoint) -> Result<()> {
    let (events, sources) = (events_json(e)?, sources_json(e)?);
    run!(tx, |c| {
        sqlx::query(
        "UPDATE webhook_endpoints SET url = $3, events = $4, source_ids = $5, verify_token = $6, secret = $7, signing_secret = $8, \
         previous_signing_secret = $9, previous_until = $10, status = $11, disabled_reason = $12, updated_at = $13, start_seq = $14 \
         WHERE company_id = $1 AND id = $2"
    )
    .bind(e.company_id.as_str())
    .bind(e.id.as_str())
    .bind(e.url.as_str())
    .bind(&events)
    .bind(sources.as_deref())
    .bind(e.verify_token.as_ref().map(Secret::expose))
    .bind(e.secret.as_ref().map(Secret::expose))
    .bind(e.signing_secret.expose())
    .bind(e.previous_signing_secret.as_ref().map(|(s, _)| s.expose()))
    .bind(e.previous_signing_secret.as_ref().map(|(_, u)| u.as_micros()))
    .bind(e.status.as_str())
    .bind(e.disabled_reason.as_deref())
    .bind(e.updated_at.as_micros())
    .bind(e.start_seq)
    .execute(&mut *c)
    .await
    .map_err(db_err)?
    .rows_affected()
    });
    Ok(())
}

pub async fn get_endpoint(
    c: &mut impl Conn,
    company: &CompanyId,
    id: &WebhookEndpointId,
) -> Result<Option<WebhookEndpoint>> {
    let row: Option<EndpointRow> = run!(c, |c| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE company_id = $1 AND id = $2"
    )))
    .bind(company.as_str())
    .bind(id.as_str())
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?);
    row.map(EndpointRow::into_endpoint).transpose()
}

pub async fn get_endpoint_for_update(
    tx: &mut Tx<'_>,
    company: &CompanyId,
    id: &WebhookEndpointId,
) -> Result<Option<WebhookEndpoint>> {
    let sql = format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE company_id = $1 AND id = $2{}",
        for_update(&tx.conn())
    );
    let row: Option<EndpointRow> = run!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(company.as_str())
        .bind(id.as_str())
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?);
    row.map(EndpointRow::into_endpoint).transpose()
}

/// The company's endpoints, oldest first.
pub async fn list_endpoints(c: &mut impl Conn, company: &CompanyId) -> Result<Vec<WebhookEndpoint>> {
    let rows: Vec<EndpointRow> = run!(c, |c| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE company_id = $1 ORDER BY id"
    )))
    .bind(company.as_str())
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?);
    rows.into_iter().map(EndpointRow::into_endpoint).collect()
}

/// Deletes the endpoint; its deliveries go with it (ON DELETE CASCADE). False if the company
/// has no such endpoint.
pub async fn delete_endpoint(tx: &mut Tx<'_>, company: &CompanyId, id: &WebhookEndpointId) -> Result<bool> {
    let n = run!(tx, |c| sqlx::query("DELETE FROM webhook_endpoints WHERE company_id = $1 AND id = $2")
        .bind(company.as_str())
        .bind(id.as_str())
        .execute(&mut *c)
        .await
        .map_err(db_err)?
        .rows_affected());
    Ok(n == 1)
}

/// Companies with an active endpoint whose log has events the dispatcher has not turned into
/// deliveries yet. The others are left alone: their cursor catches up when an endpoint starts.
pub async fn companies_behind(c: &mut impl Conn, limit: i64) -> Result<Vec<CompanyId>> {
    let ids: Vec<String> = run!(c, |c| sqlx::query_scalar(
        "SELECT cc.company_id FROM company_counters cc LEFT JOIN webhook_cursors w ON w.company_id = cc.company_id \
         WHERE cc.event_seq > COALESCE(w.last_seq, 0) \
           AND EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.company_id = cc.company_id AND e.status = 'active') \
         ORDER BY cc.company_id LIMIT $1"
    )
    .bind(limit)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?);
    ids.into_iter().map(parse_id).collect()
}

/// Takes the company's dispatch cursor for the rest of the transaction and returns it; a
/// second node dispatching the same company waits here, then sees the advanced cursor.
pub async fn lock_cursor(tx: &mut Tx<'_>, company: &CompanyId) -> Result<i64> {
    // The no-op update takes the row lock on PostgreSQL whether the row is new or not.
    run!(tx, |c| sqlx::query_scalar(
        "INSERT INTO webhook_cursors (company_id, last_seq) VALUES ($1, 0) \
         ON CONFLICT (company_id) DO UPDATE SET last_seq = webhook_cursors.last_seq RETURNING last_seq"
    )
    .bind(company.as_str())
    .fetch_one(&mut *c)
    .await
    .map_err(db_err))
}

pub async fn advance_cursor(tx: &mut Tx<'_>, company: &CompanyId, seq: i64) -> Result<()> {
    run!(tx, |c| sqlx::query("UPDATE webhook_cursors SET last_seq = $2 WHERE company_id = $1 AND last_seq < $2")
        .bind(company.as_str())
        .bind(seq)
        .execute(&mut *c)
        .await
        .map_err(db_err)?
        .rows_affected());
    Ok(())
}

const DELIVERY_COLUMNS: &str = "id, company_id, endpoint_id, event_seq, event_type, ordering_key, status, attempts, last_error, response_code, retry_from, created_at, updated_at, delivered_at";

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
    run!(tx, |c| {
        sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO webhook_deliveries ({DELIVERY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    )))
    .bind(d.id.as_str())
    .bind(d.company_id.as_str())
    .bind(d.endpoint_id.as_str())
    .bind(d.event_seq)
    .bind(&d.event_type)
    .bind(d.ordering_key.as_deref())
    .bind(d.status.as_str())
    .bind(d.attempts)
    .bind(d.last_error.as_deref())
    .bind(d.response_code)
    .bind(d.retry_from.as_micros())
    .bind(d.created_at.as_micros())
    .bind(d.updated_at.as_micros())
    .bind(d.delivered_at.map(Timestamp::as_micros))
    .execute(&mut *c)
    .await
    .map_err(db_err)?
    .rows_affected()
    });
    Ok(())
}

pub async fn update_delivery(tx: &mut Tx<'_>, d: &WebhookDelivery) -> Result<()> {
    run!(tx, |c| {
        sqlx::query(
        "UPDATE webhook_deliveries SET status = $3, attempts = $4, last_error = $5, response_code = $6, updated_at = $7, delivered_at = $8, retry_from = $9 \
         WHERE company_id = $1 AND id = $2"
    )
    .bind(d.company_id.as_str())
    .bind(d.id.as_str())
    .bind(d.status.as_str())
    .bind(d.attempts)
    .bind(d.last_error.as_deref())
    .bind(d.response_code)
    .bind(d.updated_at.as_micros())
    .bind(d.delivered_at.map(Timestamp::as_micros))
    .bind(d.retry_from.as_micros())
    .execute(&mut *c)
    .await
    .map_err(db_err)?
    .rows_affected()
    });
    Ok(())
}

pub async fn get_delivery(
    c: &mut impl Conn,
    company: &CompanyId,
    id: &WebhookDeliveryId,
) -> Result<Option<WebhookDelivery>> {
    let row: Option<DeliveryRow> = run!(c, |c| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE company_id = $1 AND id = $2"
    )))
    .bind(company.as_str())
    .bind(id.as_str())
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?);
    row.map(DeliveryRow::into_delivery).transpose()
}

/// The endpoint's deliveries, newest first.
pub async fn list_deliveries(
    c: &mut impl Conn,
    company: &CompanyId,
    endpoint: &WebhookEndpointId,
    limit: i64,
) -> Result<Vec<WebhookDelivery>> {
    let rows: Vec<DeliveryRow> = run!(c, |c| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE company_id = $1 AND endpoint_id = $2 ORDER BY event_seq DESC LIMIT $3"
    )))
    .bind(company.as_str())
    .bind(endpoint.as_str())
    .bind(limit)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?
    });
    rows.into_iter().map(DeliveryRow::into_delivery).collect()
}

/// Whether an earlier delivery with the same ordering key is still pending for the endpoint:
/// then this one must wait, to keep the thread's order.
pub async fn earlier_pending(c: &mut impl Conn, d: &WebhookDelivery) -> Result<bool> {
    let Some(key) = &d.ordering_key else { return Ok(false) };
    let waiting: bool = run!(c, |c| {
        sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM webhook_deliveries WHERE endpoint_id = $1 AND ordering_key = $2 AND event_seq < $3 AND status = 'pending')"
    )
    .bind(d.endpoint_id.as_str())
    .bind(key)
    .bind(d.event_seq)
    .fetch_one(&mut *c)
    .await
    .map_err(db_err)?
    });
    Ok(waiting)
}

/// Gives up the endpoint's pending deliveries (it was disabled). Returns how many.
pub async fn kill_pending(
    tx: &mut Tx<'_>,
    company: &CompanyId,
    endpoint: &WebhookEndpointId,
    reason: &str,
) -> Result<u64> {
    let n = run!(tx, |c| {
        sqlx::query(
        "UPDATE webhook_deliveries SET status = 'dead', last_error = $3, updated_at = $4 WHERE company_id = $1 AND endpoint_id = $2 AND status = 'pending'"
    )
    .bind(company.as_str())
    .bind(endpoint.as_str())
    .bind(reason)
    .bind(Timestamp::now().as_micros())
    .execute(&mut *c)
    .await
    .map_err(db_err)?
    .rows_affected()
    });
    Ok(n)
}

/// The endpoint that is the company's RingPlan callback URL, if one was set.
pub async fn ringplan_endpoint(c: &mut impl Conn, company: &CompanyId) -> Result<Option<WebhookEndpointId>> {
    let id: Option<String> =
        run!(c, |c| sqlx::query_scalar("SELECT endpoint_id FROM ringplan_callback_urls WHERE company_id = $1")
            .bind(company.as_str())
            .fetch_optional(&mut *c)
            .await
            .map_err(db_err)?);
    id.map(parse_id).transpose()
}

pub async fn set_ringplan_endpoint(tx: &mut Tx<'_>, company: &CompanyId, endpoint: &WebhookEndpointId) -> Result<()> {
    run!(tx, |c| {
        sqlx::query(
        "INSERT INTO ringplan_callback_urls (company_id, endpoint_id) VALUES ($1, $2) ON CONFLICT (company_id) DO UPDATE SET endpoint_id = EXCLUDED.endpoint_id"
    )
    .bind(company.as_str())
    .bind(endpoint.as_str())
    .execute(&mut *c)
    .await
    .map_err(db_err)?
    .rows_affected()
    });
    Ok(())
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
    let rows: Vec<SubscriptionRow> = run!(c, |c| sqlx::query_as(
        "SELECT id, company_id, event_type FROM ringplan_callbacks WHERE company_id = $1 ORDER BY id"
    )
    .bind(company.as_str())
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?);
    rows.into_iter().map(SubscriptionRow::into_subscription).collect()
}

pub async fn insert_callback(tx: &mut Tx<'_>, cb: &Subscription) -> Result<()> {
    run!(tx, |c| sqlx::query(
        "INSERT INTO ringplan_callbacks (id, company_id, event_type, created_at) VALUES ($1, $2, $3, $4)"
    )
    .bind(cb.id.as_str())
    .bind(cb.company_id.as_str())
    .bind(&cb.event_type)
    .bind(Timestamp::now().as_micros())
    .execute(&mut *c)
    .await
    .map_err(db_err)?
    .rows_affected());
    Ok(())
}

/// Deletes the subscription and returns it; `None` if the company has no such subscription.
pub async fn delete_callback(
    tx: &mut Tx<'_>,
    company: &CompanyId,
    id: &SubscriptionId,
) -> Result<Option<Subscription>> {
    let row: Option<SubscriptionRow> = run!(tx, |c| sqlx::query_as(
        "DELETE FROM ringplan_callbacks WHERE company_id = $1 AND id = $2 RETURNING id, company_id, event_type"
    )
    .bind(company.as_str())
    .bind(id.as_str())
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?);
    row.map(SubscriptionRow::into_subscription).transpose()
}
