//! The event log: every state change appends here in the transaction that makes it. `seq` is
//! taken from the company's counter row inside that transaction, so it is gapless, and since
//! the row stays locked until commit, events also become visible in `seq` order.

use serde_json::Value;
use switchboard_domain::event::{Event, LoggedEvent};
use switchboard_domain::{CompanyId, Error, EventId, Result, Timestamp};

use crate::{Conn, Tx, db_err, from_json, parse_id, run};

/// Rows per INSERT: 6 parameters each, well under SQLite's 32766-parameter limit.
const INSERT_CHUNK: usize = 500;

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
        let event = Event::decode(&self.kind, from_json::<Value>(&self.payload)?).map_err(|e| {
            Error::Internal(format!("event {} of company {} cannot be read: {e}", self.seq, self.company_id))
        })?;
        Ok(LoggedEvent {
            id: parse_id(self.id)?,
            company_id: parse_id(self.company_id)?,
            seq: self.seq,
            created_at: Timestamp::from_micros(self.created_at),
            event,
        })
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
    let now = Timestamp::now().as_micros();
    for (company, events) in by_company {
        let n = events.len() as i64;
        let last: Option<i64> = run!(tx, |c| sqlx::query_scalar(
            "UPDATE company_counters SET event_seq = event_seq + $2 WHERE company_id = $1 RETURNING event_seq"
        )
        .bind(company.as_str())
        .bind(n)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?);
        let last = last.ok_or_else(|| Error::Internal(format!("company {company} has no event counter")))?;
        let rows: Vec<(i64, String, &'static str, String)> = (last - n + 1..)
            .zip(events)
            .map(|(seq, e)| (seq, EventId::new().to_string(), e.kind(), e.payload().to_string()))
            .collect();
        for chunk in rows.chunks(INSERT_CHUNK) {
            let sql = format!(
                "INSERT INTO events (company_id, seq, id, kind, payload, created_at) VALUES {}",
                crate::values_placeholders(chunk.len(), 6)
            );
            run!(tx, |c| {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
                for (seq, id, kind, payload) in chunk {
                    q = q
                        .bind(company.as_str())
                        .bind(*seq)
                        .bind(id.as_str())
                        .bind(*kind)
                        .bind(payload.as_str())
                        .bind(now);
                }
                q.execute(&mut *c).await.map_err(db_err)?.rows_affected()
            });
        }
        tx.note_appended(&company, last);
    }
    Ok(())
}

/// Up to `limit` events of the company with seq greater than `after`, oldest first.
pub async fn read_after(c: &mut impl Conn, company: &CompanyId, after: i64, limit: i64) -> Result<Vec<LoggedEvent>> {
    let rows: Vec<Row> = run!(c, |c| {
        sqlx::query_as(
        "SELECT id, company_id, seq, kind, payload, created_at FROM events WHERE company_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
    )
    .bind(company.as_str())
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?
    });
    rows.into_iter().map(Row::into_event).collect()
}

/// The seq of the company's newest event, 0 when it has none.
pub async fn last_seq(c: &mut impl Conn, company: &CompanyId) -> Result<i64> {
    let seq: Option<i64> =
        run!(c, |c| sqlx::query_scalar("SELECT event_seq FROM company_counters WHERE company_id = $1")
            .bind(company.as_str())
            .fetch_optional(&mut *c)
            .await
            .map_err(db_err)?);
    Ok(seq.unwrap_or(0))
}
