//! The event log: every state change appends here in the transaction that makes it. `seq` is
//! taken from the company's counter row inside that transaction, so it is gapless, and since
//! the row stays locked until commit, events also become visible in `seq` order.

use serde_json::Value;
use switchboard_domain::event::{Event, NewEvent};
use switchboard_domain::{CompanyId, Error, EventId, Result, Timestamp};

use crate::{Conn, Tx, db_err, from_json, parse_id, run};

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
    fn into_event(self) -> Result<Event> {
        Ok(Event {
            id: parse_id(self.id)?,
            company_id: parse_id(self.company_id)?,
            seq: self.seq,
            kind: self.kind,
            payload: from_json::<Value>(&self.payload)?,
            created_at: Timestamp::from_micros(self.created_at),
        })
    }
}

/// Appends `events` to the company's log inside `tx`, in order, and returns them with their seq.
pub async fn append(tx: &mut Tx, company: &CompanyId, events: Vec<NewEvent>) -> Result<Vec<Event>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let n = events.len() as i64;
    let now = Timestamp::now();
    let appended = run!(tx, |c| {
        let last: Option<i64> = sqlx::query_scalar("UPDATE company_counters SET event_seq = event_seq + $2 WHERE company_id = $1 RETURNING event_seq")
            .bind(company.as_str())
            .bind(n)
            .fetch_optional(&mut *c)
            .await
            .map_err(db_err)?;
        let last = last.ok_or_else(|| Error::Internal(format!("company {company} has no event counter")))?;
        let mut appended = Vec::with_capacity(events.len());
        for (seq, e) in (last - n + 1..).zip(events) {
            let event = Event { id: EventId::new(), company_id: company.clone(), seq, kind: e.kind.to_owned(), payload: e.payload, created_at: now };
            sqlx::query("INSERT INTO events (company_id, seq, id, kind, payload, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(company.as_str())
                .bind(seq)
                .bind(event.id.as_str())
                .bind(&event.kind)
                .bind(event.payload.to_string())
                .bind(now.as_micros())
                .execute(&mut *c)
                .await
                .map_err(db_err)?;
            appended.push(event);
        }
        appended
    });
    if let Some(last) = appended.last() {
        tx.note_appended(company, last.seq);
    }
    Ok(appended)
}

/// Up to `limit` events of the company with seq greater than `after`, oldest first.
pub async fn read_after(c: &mut impl Conn, company: &CompanyId, after: i64, limit: i64) -> Result<Vec<Event>> {
    let rows: Vec<Row> = run!(c, |c| sqlx::query_as(
        "SELECT id, company_id, seq, kind, payload, created_at FROM events WHERE company_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
    )
    .bind(company.as_str())
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?);
    rows.into_iter().map(Row::into_event).collect()
}

/// The seq of the company's newest event, 0 when it has none.
pub async fn last_seq(c: &mut impl Conn, company: &CompanyId) -> Result<i64> {
    let seq: Option<i64> = run!(c, |c| sqlx::query_scalar("SELECT event_seq FROM company_counters WHERE company_id = $1")
        .bind(company.as_str())
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?);
    Ok(seq.unwrap_or(0))
}
