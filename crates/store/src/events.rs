//! The event log: every state change appends here in the transaction that makes it. `seq` is
//! taken from the company's counter row inside that transaction, so it is gapless, and since
//! the row stays locked until commit, events also become visible in `seq` order.

use serde_json::Value;
use switchboard_domain::event::{Event, LoggedEvent};
use switchboard_domain::{CompanyId, Error, EventId, Result, Timestamp};

use crate::sql::Sql;
use crate::table::table;
use crate::{Conn, Tx, from_json, parse_id};

/// Rows per INSERT: 6 parameters each, well under SQLite's 32766-parameter limit.
const INSERT_CHUNK: usize = 500;

/// A row of the log, as a committing transaction writes it.
struct Appended<'a> {
    company: &'a CompanyId,
    seq: i64,
    id: EventId,
    kind: &'a str,
    payload: String,
    created_at: Timestamp,
}

table! {
    EVENTS = "events", Appended<'_> as |e| {
        Key company_id: e.company.as_str(),
        Key seq: e.seq,
        Fixed id: e.id.as_str(),
        Fixed kind: e.kind,
        Fixed payload: e.payload.as_str(),
        Fixed created_at: e.created_at,
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    company_id: String,
    seq: i64,
    kind: String,
    payload: String,
    created_at: i64,
}

impl Row {
    fn into_event(self) -> Result<LoggedEvent> {
        let logged = LoggedEvent::read(
            parse_id(self.id)?,
            parse_id(self.company_id)?,
            self.seq,
            Timestamp::from_micros(self.created_at),
            &self.kind,
            from_json::<Value>(&self.payload)?,
        );
        if let Event::Unreadable { kind, .. } = &logged.event {
            tracing::warn!(seq = logged.seq, company = %logged.company_id, kind, "an event of the log is not one this binary can read; it is passed on as stored");
        }
        Ok(logged)
    }
}

/// Appends `events` to the company's log as part of `tx`: they are written, in order, when the
/// transaction commits, and not at all if it does not.
pub fn append(tx: &mut Tx<'_>, company: &CompanyId, events: Vec<Event>) {
    tx.push_events(company, events);
}

/// Writes the events held by a committing transaction: per company, one counter update for
/// the whole run of events and multi-row inserts.
pub(crate) async fn write(tx: &mut Tx<'_>, pending: Vec<(CompanyId, Event)>) -> Result<()> {
    let mut by_company: Vec<(CompanyId, Vec<Event>)> = Vec::new();
    for (company, event) in pending {
        match by_company.iter_mut().find(|(c, _)| *c == company) {
            Some((_, events)) => events.push(event),
            None => by_company.push((company, vec![event])),
        }
    }
    // Counter rows are taken in one order by every writer, so two transactions raising events
    // for the same companies cannot deadlock on them.
    by_company.sort_by(|a, b| a.0.cmp(&b.0));
    let now = Timestamp::now();
    for (company, events) in by_company {
        let n = events.len() as i64;
        let last: Option<i64> = Sql::new(
            "UPDATE company_counters SET event_seq = event_seq + $2 WHERE company_id = $1 RETURNING event_seq",
        )
        .bind(company.as_str())
        .bind(n)
        .scalar_optional(tx)
        .await?;
        let last = last.ok_or_else(|| Error::Internal(format!("company {company} has no event counter")))?;
        let rows: Vec<Appended> = (last - n + 1..)
            .zip(&events)
            .map(|(seq, e)| Appended {
                company: &company,
                seq,
                id: EventId::new(),
                kind: e.kind(),
                payload: e.payload().to_string(),
                created_at: now,
            })
            .collect();
        for chunk in rows.chunks(INSERT_CHUNK) {
            Sql::insert_many(chunk)?.execute(tx).await?;
        }
        tx.note_appended(&company, last);
    }
    Ok(())
}

/// Up to `limit` events of the company with seq greater than `after`, oldest first.
pub async fn read_after(c: &mut impl Conn, company: &CompanyId, after: i64, limit: i64) -> Result<Vec<LoggedEvent>> {
    EVENTS
        .select("WHERE company_id = $1 AND seq > $2 ORDER BY seq LIMIT $3")
        .bind(company.as_str())
        .bind(after)
        .bind(limit)
        .list(c, Row::into_event)
        .await
}

/// The seq of the company's newest event, 0 when it has none.
pub async fn last_seq(c: &mut impl Conn, company: &CompanyId) -> Result<i64> {
    let seq: Option<i64> = Sql::new("SELECT event_seq FROM company_counters WHERE company_id = $1")
        .bind(company.as_str())
        .scalar_optional(c)
        .await?;
    Ok(seq.unwrap_or(0))
}
