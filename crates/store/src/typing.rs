//! The `typing.start` rate limit: one accepted start per thread per window, kept in a table so
//! that it holds across nodes and is decided atomically inside the writer's transaction.

use std::time::Duration;

use switchboard_domain::{Result, SourceId, Timestamp};

use crate::Tx;
use crate::sql::Sql;
use crate::table::table;

struct Start<'a> {
    source: &'a SourceId,
    thread: &'a str,
    at: Timestamp,
}

table! {
    TYPING_LIMITS = "typing_limits", Start<'_> as |s| {
        Key source_id: s.source.as_str(),
        Key thread_foreign_id: s.thread,
        Set last_start_at: s.at,
    }
}

/// Records a typing start unless one was accepted less than `window` ago. True when accepted.
pub async fn try_start(
    tx: &mut Tx<'_>,
    source: &SourceId,
    thread: &str,
    now: Timestamp,
    window: Duration,
) -> Result<bool> {
    let start = Start { source, thread, at: now };
    let accepted: Option<i64> = Sql::upsert(&start)?
        .append(" WHERE typing_limits.last_start_at <= $4 RETURNING last_start_at")
        .bind(now.minus(window))
        .scalar_optional(tx)
        .await?;
    Ok(accepted.is_some())
}

/// Forgets the last start, so the next one is accepted at once.
pub async fn stop(tx: &mut Tx<'_>, source: &SourceId, thread: &str) -> Result<()> {
    Sql::new("DELETE FROM typing_limits WHERE source_id = $1 AND thread_foreign_id = $2")
        .bind(source.as_str())
        .bind(thread)
        .execute(tx)
        .await
        .map(drop)
}
