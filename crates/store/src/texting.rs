//! What texting keeps beside the core rows: opt-outs, each number's sending slots, and the
//! full-text index of messages (SQLite FTS5, PostgreSQL tsvector with a GIN index).

use switchboard_domain::conversation::Content;
use switchboard_domain::{CompanyId, IdentityId, Result, SourceId, ThreadId, Timestamp};

use crate::sql::Sql;
use crate::{Backend, Conn, Tx, parse_id};

/// Whether the contact opted out of messages from the number.
pub async fn opted_out(c: &mut impl Conn, source: &SourceId, contact: &IdentityId) -> Result<bool> {
    let n: i64 = Sql::new("SELECT COUNT(*) FROM sms_opt_outs WHERE source_id = $1 AND identity_id = $2")
        .bind(source.as_str())
        .bind(contact.as_str())
        .scalar(c)
        .await?;
    Ok(n > 0)
}

/// Records (or lifts) the contact's opt-out of messages from the number.
pub async fn set_opted_out(tx: &mut Tx<'_>, source: &SourceId, contact: &IdentityId, out: bool) -> Result<()> {
    let sql = if out {
        Sql::new(
            "INSERT INTO sms_opt_outs (source_id, identity_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (source_id, identity_id) DO NOTHING",
        )
        .bind(source.as_str())
        .bind(contact.as_str())
        .bind(Timestamp::now())
    } else {
        Sql::new("DELETE FROM sms_opt_outs WHERE source_id = $1 AND identity_id = $2")
            .bind(source.as_str())
            .bind(contact.as_str())
    };
    sql.execute(tx).await.map(drop)
}

/// Takes the number's next sending slot: the later of `now` and the slot after the last one
/// taken, which then moves on by `interval_micros`. The row is locked until the transaction
/// ends, so two messages never share a slot.
pub async fn take_send_slot(
    tx: &mut Tx<'_>,
    source: &SourceId,
    now: Timestamp,
    interval_micros: i64,
) -> Result<Timestamp> {
    Sql::new("INSERT INTO sms_send_slots (source_id, next_at) VALUES ($1, $2) ON CONFLICT (source_id) DO NOTHING")
        .bind(source.as_str())
        .bind(now)
        .execute(tx)
        .await?;
    let next: i64 = Sql::new("SELECT next_at FROM sms_send_slots WHERE source_id = $1")
        .bind(source.as_str())
        .for_update()
        .scalar(tx)
        .await?;
    let slot = next.max(now.as_micros());
    Sql::new("UPDATE sms_send_slots SET next_at = $1 WHERE source_id = $2")
        .bind(slot.saturating_add(interval_micros))
        .bind(source.as_str())
        .execute(tx)
        .await?;
    Ok(Timestamp::from_micros(slot))
}

/// Adds the message to the company's full-text index.
pub async fn index(tx: &mut Tx<'_>, content: &Content) -> Result<()> {
    let body = content.body.as_deref().unwrap_or_default();
    let sql = match tx.backend() {
        Backend::Sqlite => {
            Sql::new("INSERT INTO texting_search (content_id, company_id, thread_id, body) VALUES ($1, $2, $3, $4)")
        }
        Backend::Postgres => Sql::new(
            "INSERT INTO texting_search (content_id, company_id, thread_id, body, document) \
             VALUES ($1, $2, $3, $4, to_tsvector('simple', $5))",
        ),
    };
    let sql =
        sql.bind(content.id.as_str()).bind(content.company_id.as_str()).bind(content.thread_id.as_str()).bind(body);
    let sql = match tx.backend() {
        Backend::Sqlite => sql,
        // PostgreSQL's parser would keep `jane@example.com` or `3.5` whole, where FTS5 splits
        // them: it is given the words as FTS5 sees them, so both find the same messages.
        Backend::Postgres => sql.bind(words_of(body).collect::<Vec<_>>().join(" ")),
    };
    sql.execute(tx).await.map(drop)
}

/// Takes these messages out of the index.
pub async fn unindex(tx: &mut Tx<'_>, ids: &[&str]) -> Result<()> {
    Sql::new("DELETE FROM texting_search WHERE 1 = 1")
        .and_in(tx.backend(), "content_id", ids)?
        .execute(tx)
        .await
        .map(drop)
}

/// Takes a conversation's messages out of the index.
pub async fn unindex_thread(tx: &mut Tx<'_>, thread: &ThreadId) -> Result<()> {
    Sql::new("DELETE FROM texting_search WHERE thread_id = $1").bind(thread.as_str()).execute(tx).await.map(drop)
}

/// The words of a query: letters and digits, lower-cased; everything else separates them (and
/// so can never reach the index's query syntax).
fn words(text: &str) -> Vec<String> {
    words_of(text).take(16).collect()
}

fn words_of(text: &str) -> impl Iterator<Item = String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase)
}

/// The company's conversations whose messages hold every word of `text`, each word also as a
/// prefix (`dev` finds `development`), the best match first.
pub async fn search(c: &mut impl Conn, company: &CompanyId, text: &str, limit: i64) -> Result<Vec<ThreadId>> {
    let words = words(text);
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let (sql, query) = match c.backend() {
        Backend::Sqlite => (
            // `rank` is bm25, lower for better matches. FTS5 computes it only in the query on the
            // index itself: the materialized CTE keeps SQLite from folding that query into the
            // grouping around it, which takes each conversation's best.
            "WITH m AS MATERIALIZED (SELECT thread_id, rank FROM texting_search \
             WHERE texting_search MATCH $2 AND company_id = $1) \
             SELECT thread_id FROM m GROUP BY thread_id ORDER BY MIN(rank), thread_id LIMIT $3",
            words.iter().map(|w| format!("\"{w}\"*")).collect::<Vec<_>>().join(" "),
        ),
        Backend::Postgres => (
            "SELECT thread_id FROM texting_search, to_tsquery('simple', $2) AS q \
             WHERE company_id = $1 AND document @@ q GROUP BY thread_id \
             ORDER BY MAX(ts_rank(document, q)) DESC, thread_id LIMIT $3",
            words.iter().map(|w| format!("{w}:*")).collect::<Vec<_>>().join(" & "),
        ),
    };
    let ids: Vec<String> = Sql::new(sql).bind(company.as_str()).bind(query).bind(limit).scalars(c).await?;
    ids.into_iter().map(parse_id).collect()
}

#[cfg(test)]
mod tests {
    use super::words;

    #[test]
    fn query_words_are_letters_and_digits_only() {
        assert_eq!(words("Development \"Talks\"* OR x:y"), ["development", "talks", "or", "x", "y"]);
        assert!(words(" *\"()' ").is_empty());
    }
}
