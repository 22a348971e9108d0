//! The `typing.start` rate limit: one accepted start per thread per window, kept in a table so
//! that it holds across nodes and is decided atomically inside the writer's transaction.

use std::time::Duration;

use switchboard_domain::{Result, SourceId, Timestamp};

use crate::{Tx, db_err, run};

/// Records a typing start unless one was accepted less than `window` ago. True when accepted.
pub async fn try_start(
    tx: &mut Tx<'_>,
    source: &SourceId,
    thread: &str,
    now: Timestamp,
    window: Duration,
) -> Result<bool> {
    let accepted: Option<i64> = run!(tx, |c| sqlx::query_scalar(
        "INSERT INTO typing_limits (source_id, thread_foreign_id, last_start_at) VALUES ($1, $2, $3) \
         ON CONFLICT (source_id, thread_foreign_id) DO UPDATE SET last_start_at = excluded.last_start_at \
         WHERE typing_limits.last_start_at <= $4 RETURNING last_start_at"
    )
    .bind(source.as_str())
    .bind(thread)
    .bind(now.as_micros())
    .bind(now.minus(window).as_micros())
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?);
    Ok(accepted.is_some())
}

/// Forgets the last start, so the next one is accepted at once.
pub async fn stop(tx: &mut Tx<'_>, source: &SourceId, thread: &str) -> Result<()> {
    run!(tx, |c| sqlx::query("DELETE FROM typing_limits WHERE source_id = $1 AND thread_foreign_id = $2")
        .bind(source.as_str())
        .bind(thread)
        .execute(&mut *c)
        .await
        .map_err(db_err)?
        .rows_affected());
    Ok(())
}
