//! Queues, interactions and their history, and the routing cursor (`routing_cursors`), whose
//! row every routing decision of a company locks.

use std::collections::BTreeMap;

use serde_json::Value;
use switchboard_domain::agent::Channel;
use switchboard_domain::routing::{
    HistoryEntry, HistoryKind, Interaction, InteractionState, Overflow, Queue, Skipped, Strategy, Workbin,
};
use switchboard_domain::{CompanyId, InteractionId, QueueId, Result, ThreadId, Timestamp, UserId, new_id};

use crate::sql::Sql;
use crate::table::table;
use crate::{Conn, Tx, from_json, parse_id, to_json};

table! {
    QUEUES = "queues", Queue as |q| {
        Key id: q.id.as_str(),
        Key company_id: q.company_id.as_str(),
        Set name: q.name.as_str(),
        Set strategy: q.strategy.as_str(),
        Set members: to_json(&q.members)?,
        Set feeds: to_json(&q.feeds)?,
        Set offer_timeout_secs: i32::try_from(q.offer_timeout_secs).unwrap_or(i32::MAX),
        Set overflow: q.overflow.as_ref().map(to_json).transpose()?,
        Fixed created_at: q.created_at,
        Set updated_at: q.updated_at,
    }
}

#[derive(sqlx::FromRow)]
struct QueueRow {
    id: String,
    company_id: String,
    name: String,
    strategy: String,
    members: String,
    feeds: String,
    offer_timeout_secs: i32,
    overflow: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl QueueRow {
    fn into_queue(self) -> Result<Queue> {
        Ok(Queue {
            id: parse_id(self.id)?,
            company_id: parse_id(self.company_id)?,
            name: self.name,
            strategy: Strategy::parse(&self.strategy)?,
            members: from_json(&self.members)?,
            feeds: from_json(&self.feeds)?,
            offer_timeout_secs: self.offer_timeout_secs.max(1) as u32,
            overflow: self.overflow.as_deref().map(from_json::<Overflow>).transpose()?,
            created_at: Timestamp::from_micros(self.created_at),
            updated_at: Timestamp::from_micros(self.updated_at),
        })
    }
}

pub async fn insert_queue(tx: &mut Tx<'_>, q: &Queue) -> Result<()> {
    Sql::insert(q)?.execute(tx).await.map(drop)
}

pub async fn update_queue(tx: &mut Tx<'_>, q: &Queue) -> Result<()> {
    Sql::update(q)?.execute(tx).await.map(drop)
}

pub async fn delete_queue(tx: &mut Tx<'_>, company: &CompanyId, id: &QueueId) -> Result<bool> {
    Ok(QUEUES.delete_one(company, id.as_str()).execute(tx).await? == 1)
}

pub async fn get_queue(c: &mut impl Conn, company: &CompanyId, id: &QueueId) -> Result<Option<Queue>> {
    QUEUES.one(company, id.as_str()).get(c, QueueRow::into_queue).await
}

pub async fn queue_by_name(c: &mut impl Conn, company: &CompanyId, name: &str) -> Result<Option<Queue>> {
    QUEUES
        .select("WHERE company_id = $1 AND name = $2")
        .bind(company.as_str())
        .bind(name)
        .get(c, QueueRow::into_queue)
        .await
}

/// The company's queues by name.
pub async fn list_queues(c: &mut impl Conn, company: &CompanyId) -> Result<Vec<Queue>> {
    QUEUES.select("WHERE company_id = $1 ORDER BY name").bind(company.as_str()).list(c, QueueRow::into_queue).await
}

/// The member a round-robin queue offered to last.
pub async fn last_offered(c: &mut impl Conn, company: &CompanyId, queue: &QueueId) -> Result<Option<UserId>> {
    let id: Option<Option<String>> = Sql::new("SELECT last_offered FROM queues WHERE company_id = $1 AND id = $2")
        .bind(company.as_str())
        .bind(queue.as_str())
        .scalar_optional(c)
        .await?;
    id.flatten().map(parse_id).transpose()
}

pub async fn set_last_offered(tx: &mut Tx<'_>, company: &CompanyId, queue: &QueueId, user: &UserId) -> Result<()> {
    Sql::new("UPDATE queues SET last_offered = $3 WHERE company_id = $1 AND id = $2")
        .bind(company.as_str())
        .bind(queue.as_str())
        .bind(user.as_str())
        .execute(tx)
        .await
        .map(drop)
}

table! {
    INTERACTIONS = "interactions", Interaction as |i| {
        Key id: i.id.as_str(),
        Key company_id: i.company_id.as_str(),
        Fixed thread_id: i.thread_id.as_str(),
        Fixed source_id: i.source_id.as_str(),
        Fixed channel: i.channel.as_str(),
        Set queue_id: i.queue_id.as_ref().map(QueueId::as_str),
        Set state: i.state.as_str(),
        Set agent_id: i.agent_id.as_ref().map(UserId::as_str),
        Set offer_deadline: i.offer_deadline,
        Set offers: i32::try_from(i.offers).unwrap_or(i32::MAX),
        Set declined_by: to_json(&i.declined_by)?,
        Set workbin: i.workbin.as_ref().map(to_json).transpose()?,
        Set user_data: to_json(&i.user_data)?,
        Set queued_at: i.queued_at,
        Set accepted_at: i.accepted_at,
        Set completed_at: i.completed_at,
        Fixed created_at: i.created_at,
        Set updated_at: i.updated_at,
    }
}

#[derive(sqlx::FromRow)]
struct InteractionRow {
    id: String,
    company_id: String,
    thread_id: String,
    source_id: String,
    channel: String,
    queue_id: Option<String>,
    state: String,
    agent_id: Option<String>,
    offer_deadline: Option<i64>,
    offers: i32,
    declined_by: String,
    workbin: Option<String>,
    user_data: String,
    queued_at: i64,
    accepted_at: Option<i64>,
    completed_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl InteractionRow {
    fn into_interaction(self) -> Result<Interaction> {
        Ok(Interaction {
            id: parse_id(self.id)?,
            company_id: parse_id(self.company_id)?,
            thread_id: parse_id(self.thread_id)?,
            source_id: parse_id(self.source_id)?,
            channel: Channel::parse(&self.channel)?,
            queue_id: self.queue_id.map(parse_id).transpose()?,
            state: InteractionState::parse(&self.state)?,
            agent_id: self.agent_id.map(parse_id).transpose()?,
            offer_deadline: self.offer_deadline.map(Timestamp::from_micros),
            offers: self.offers.max(0) as u32,
            declined_by: from_json(&self.declined_by)?,
            workbin: self.workbin.as_deref().map(from_json::<Workbin>).transpose()?,
            user_data: from_json::<BTreeMap<String, Value>>(&self.user_data)?,
            queued_at: Timestamp::from_micros(self.queued_at),
            accepted_at: self.accepted_at.map(Timestamp::from_micros),
            completed_at: self.completed_at.map(Timestamp::from_micros),
            created_at: Timestamp::from_micros(self.created_at),
            updated_at: Timestamp::from_micros(self.updated_at),
        })
    }
}

pub async fn insert_interaction(tx: &mut Tx<'_>, i: &Interaction) -> Result<()> {
    Sql::insert(i)?.execute(tx).await.map(drop)
}

pub async fn update_interaction(tx: &mut Tx<'_>, i: &Interaction) -> Result<()> {
    Sql::update(i)?.execute(tx).await.map(drop)
}

pub async fn get_interaction(
    c: &mut impl Conn,
    company: &CompanyId,
    id: &InteractionId,
) -> Result<Option<Interaction>> {
    INTERACTIONS.one(company, id.as_str()).get(c, InteractionRow::into_interaction).await
}

/// The thread's interaction that is not completed, if any.
pub async fn open_for_thread(c: &mut impl Conn, company: &CompanyId, thread: &ThreadId) -> Result<Option<Interaction>> {
    INTERACTIONS
        .select("WHERE company_id = $1 AND thread_id = $2 AND state <> 'completed'")
        .bind(company.as_str())
        .bind(thread.as_str())
        .get(c, InteractionRow::into_interaction)
        .await
}

/// Which interactions a list shows; `None` matches all.
#[derive(Debug, Default, Clone)]
pub struct InteractionFilter<'a> {
    pub state: Option<InteractionState>,
    pub agent_id: Option<&'a UserId>,
    pub queue_id: Option<&'a QueueId>,
    /// Only those not completed.
    pub active: bool,
}

/// Up to `limit` of the company's interactions matching `f`, oldest first.
pub async fn list_interactions(
    c: &mut impl Conn,
    company: &CompanyId,
    f: &InteractionFilter<'_>,
    limit: i64,
) -> Result<Vec<Interaction>> {
    INTERACTIONS
        .select(
            "WHERE company_id = $1 AND ($2 IS NULL OR state = $2) AND ($3 IS NULL OR agent_id = $3) \
             AND ($4 IS NULL OR queue_id = $4) AND ($5 = FALSE OR state <> 'completed') \
             ORDER BY created_at, id LIMIT $6",
        )
        .bind(company.as_str())
        .bind(f.state.map(InteractionState::as_str))
        .bind(f.agent_id.map(UserId::as_str))
        .bind(f.queue_id.map(QueueId::as_str))
        .bind(f.active)
        .bind(limit)
        .list(c, InteractionRow::into_interaction)
        .await
}

/// Up to `limit` queued interactions, those waiting longest first.
pub async fn queued(c: &mut impl Conn, company: &CompanyId, limit: i64) -> Result<Vec<Interaction>> {
    INTERACTIONS
        .select("WHERE company_id = $1 AND state = 'queued' ORDER BY queued_at, id LIMIT $2")
        .bind(company.as_str())
        .bind(limit)
        .list(c, InteractionRow::into_interaction)
        .await
}

/// Interactions offered to or accepted by agents: what counts against their capacity.
pub async fn holding(c: &mut impl Conn, company: &CompanyId) -> Result<Vec<Interaction>> {
    INTERACTIONS
        .select("WHERE company_id = $1 AND state IN ('offered', 'accepted') ORDER BY created_at, id")
        .bind(company.as_str())
        .list(c, InteractionRow::into_interaction)
        .await
}

/// How many interactions wait in the queue, and since when the longest has waited.
pub async fn waiting(c: &mut impl Conn, company: &CompanyId, queue: &QueueId) -> Result<(u64, Option<Timestamp>)> {
    let (n, oldest): (i64, Option<i64>) = Sql::new(
        "SELECT COUNT(*), MIN(queued_at) FROM interactions WHERE company_id = $1 AND queue_id = $2 AND state = 'queued'",
    )
    .bind(company.as_str())
    .bind(queue.as_str())
    .fetch_one(c)
    .await?;
    Ok((u64::try_from(n).unwrap_or(0), oldest.map(Timestamp::from_micros)))
}

/// How many interactions each agent holds (offered or accepted) on each channel.
pub async fn loads(c: &mut impl Conn, company: &CompanyId) -> Result<Vec<(UserId, Channel, u32)>> {
    let rows: Vec<(String, String, i64)> = Sql::new(
        "SELECT agent_id, channel, COUNT(*) FROM interactions WHERE company_id = $1 \
         AND state IN ('offered', 'accepted') AND agent_id IS NOT NULL GROUP BY agent_id, channel",
    )
    .bind(company.as_str())
    .fetch_all(c)
    .await?;
    rows.into_iter()
        .map(|(a, ch, n)| Ok((parse_id(a)?, Channel::parse(&ch)?, u32::try_from(n).unwrap_or(u32::MAX))))
        .collect()
}

/// Average seconds from acceptance to completion of the last `n` completed interactions of
/// the queue; `None` when none has completed yet.
pub async fn recent_handle_secs(
    c: &mut impl Conn,
    company: &CompanyId,
    queue: &QueueId,
    n: i64,
) -> Result<Option<f64>> {
    let spans: Vec<i64> = Sql::new(
        "SELECT completed_at - accepted_at FROM interactions WHERE company_id = $1 AND queue_id = $2 \
         AND state = 'completed' AND accepted_at IS NOT NULL ORDER BY completed_at DESC LIMIT $3",
    )
    .bind(company.as_str())
    .bind(queue.as_str())
    .bind(n)
    .scalars(c)
    .await?;
    if spans.is_empty() {
        return Ok(None);
    }
    Ok(Some(spans.iter().map(|s| *s as f64 / 1e6).sum::<f64>() / spans.len() as f64))
}

/// The queue position last told for each interaction of the queue that has one.
pub async fn told_positions(
    c: &mut impl Conn,
    company: &CompanyId,
    queue: &QueueId,
) -> Result<Vec<(InteractionId, i32)>> {
    let rows: Vec<(String, i32)> = Sql::new(
        "SELECT id, last_position FROM interactions WHERE company_id = $1 AND queue_id = $2 \
         AND state = 'queued' AND last_position IS NOT NULL",
    )
    .bind(company.as_str())
    .bind(queue.as_str())
    .fetch_all(c)
    .await?;
    rows.into_iter().map(|(id, p)| Ok((parse_id(id)?, p))).collect()
}

pub async fn set_told_position(tx: &mut Tx<'_>, company: &CompanyId, id: &InteractionId, position: i32) -> Result<()> {
    Sql::new("UPDATE interactions SET last_position = $3 WHERE company_id = $1 AND id = $2")
        .bind(company.as_str())
        .bind(id.as_str())
        .bind(position)
        .execute(tx)
        .await
        .map(drop)
}

/// When each agent was last offered an interaction of each channel.
pub async fn last_offers(c: &mut impl Conn, company: &CompanyId) -> Result<Vec<(UserId, Channel, Timestamp)>> {
    let rows: Vec<(String, String, i64)> =
        Sql::new("SELECT user_id, channel, at FROM agent_last_offers WHERE company_id = $1")
            .bind(company.as_str())
            .fetch_all(c)
            .await?;
    rows.into_iter().map(|(a, ch, at)| Ok((parse_id(a)?, Channel::parse(&ch)?, Timestamp::from_micros(at)))).collect()
}

/// Records that the agent was offered an interaction of `channel` at `at`.
pub async fn set_last_offer(
    tx: &mut Tx<'_>,
    company: &CompanyId,
    user: &UserId,
    channel: Channel,
    at: Timestamp,
) -> Result<()> {
    Sql::new(
        "INSERT INTO agent_last_offers (company_id, user_id, channel, at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (company_id, user_id, channel) DO UPDATE SET at = excluded.at",
    )
    .bind(company.as_str())
    .bind(user.as_str())
    .bind(channel.as_str())
    .bind(at)
    .execute(tx)
    .await
    .map(drop)
}

/// A history row with its company, which the entry does not carry.
struct HistoryRow<'a> {
    id: String,
    company: &'a CompanyId,
    entry: &'a HistoryEntry,
    skipped: String,
}

table! {
    HISTORY = "interaction_history", HistoryRow<'_> as |h| {
        Key id: h.id.as_str(),
        Key company_id: h.company.as_str(),
        Fixed interaction_id: h.entry.interaction_id.as_str(),
        Fixed at: h.entry.at,
        Fixed kind: match h.entry.kind { HistoryKind::State => "state", HistoryKind::Decision => "decision" },
        Fixed state: h.entry.state.as_str(),
        Fixed agent_id: h.entry.agent_id.as_ref().map(UserId::as_str),
        Fixed queue_id: h.entry.queue_id.as_ref().map(QueueId::as_str),
        Fixed reason: h.entry.reason.as_str(),
        Fixed skipped: h.skipped.as_str(),
    }
}

#[derive(sqlx::FromRow)]
struct StoredHistory {
    interaction_id: String,
    at: i64,
    kind: String,
    state: String,
    agent_id: Option<String>,
    queue_id: Option<String>,
    reason: String,
    skipped: String,
}

impl StoredHistory {
    fn into_entry(self) -> Result<HistoryEntry> {
        Ok(HistoryEntry {
            interaction_id: parse_id(self.interaction_id)?,
            at: Timestamp::from_micros(self.at),
            kind: if self.kind == "decision" { HistoryKind::Decision } else { HistoryKind::State },
            state: InteractionState::parse(&self.state)?,
            agent_id: self.agent_id.map(parse_id).transpose()?,
            queue_id: self.queue_id.map(parse_id).transpose()?,
            reason: self.reason,
            skipped: from_json::<Vec<Skipped>>(&self.skipped)?,
        })
    }
}

pub async fn record(tx: &mut Tx<'_>, company: &CompanyId, entry: &HistoryEntry) -> Result<()> {
    let row = HistoryRow { id: new_id(), company, entry, skipped: to_json(&entry.skipped)? };
    Sql::insert(&row)?.execute(tx).await.map(drop)
}

/// The interaction's history, oldest first.
pub async fn history(c: &mut impl Conn, company: &CompanyId, id: &InteractionId) -> Result<Vec<HistoryEntry>> {
    HISTORY
        .select("WHERE company_id = $1 AND interaction_id = $2 ORDER BY at, id")
        .bind(company.as_str())
        .bind(id.as_str())
        .list(c, StoredHistory::into_entry)
        .await
}

/// Takes the company's routing lock for the rest of the transaction and returns how far
/// routing has read the log. A company's cursor starts at its log's end when first taken:
/// contents from before it had routing are not routed.
pub async fn lock(tx: &mut Tx<'_>, company: &CompanyId) -> Result<i64> {
    // The no-op update takes the row lock on PostgreSQL whether the row is new or not.
    Sql::new(
        "INSERT INTO routing_cursors (company_id, last_seq) \
         SELECT company_id, event_seq FROM company_counters WHERE company_id = $1 \
         ON CONFLICT (company_id) DO UPDATE SET last_seq = routing_cursors.last_seq RETURNING last_seq",
    )
    .bind(company.as_str())
    .scalar(tx)
    .await
}

pub async fn advance(tx: &mut Tx<'_>, company: &CompanyId, seq: i64) -> Result<()> {
    Sql::new("UPDATE routing_cursors SET last_seq = $2 WHERE company_id = $1 AND last_seq < $2")
        .bind(company.as_str())
        .bind(seq)
        .execute(tx)
        .await
        .map(drop)
}

/// Companies with a queue whose log has events routing has not read yet.
pub async fn companies_behind(c: &mut impl Conn, limit: i64) -> Result<Vec<CompanyId>> {
    let ids: Vec<String> = Sql::new(
        "SELECT r.company_id FROM routing_cursors r JOIN company_counters cc ON cc.company_id = r.company_id \
         WHERE cc.event_seq > r.last_seq ORDER BY r.company_id LIMIT $1",
    )
    .bind(limit)
    .scalars(c)
    .await?;
    ids.into_iter().map(parse_id).collect()
}
