//! Sync runs, list cursors and the per-source polling schedule.

use switchboard_domain::sync::{SyncRun, SyncStatus, SyncTrigger};
use switchboard_domain::{CompanyId, JobId, Result, SourceId, SyncRunId, Timestamp};

use crate::{Conn, Tx, db_err, for_update, from_json, parse_id, run, to_json};

const COLUMNS: &str = "id, company_id, source_id, trigger, status, error, counts, created_at, started_at, finished_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    company_id: String,
    source_id: String,
    trigger: String,
    status: String,
    error: Option<String>,
    counts: String,
    created_at: i64,
    started_at: Option<i64>,
    finished_at: Option<i64>,
}

impl Row {
    fn into_run(self) -> Result<SyncRun> {
        Ok(SyncRun {
            id: parse_id(self.id)?,
            company_id: parse_id(self.company_id)?,
            source_id: parse_id(self.source_id)?,
            trigger: SyncTrigger::parse(&self.trigger)?,
            status: SyncStatus::parse(&self.status)?,
            error: self.error,
            counts: from_json(&self.counts)?,
            created_at: Timestamp::from_micros(self.created_at),
            started_at: self.started_at.map(Timestamp::from_micros),
            finished_at: self.finished_at.map(Timestamp::from_micros),
        })
    }
}

pub async fn insert_run(tx: &mut Tx<'_>, r: &SyncRun) -> Result<()> {
    let counts = to_json(&r.counts)?;
    run!(tx, |c| {
        sqlx::query(
        "INSERT INTO sync_runs (id, company_id, source_id, trigger, status, error, counts, created_at, started_at, finished_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    )
    .bind(r.id.as_str())
    .bind(r.company_id.as_str())
    .bind(r.source_id.as_str())
    .bind(r.trigger.as_str())
    .bind(r.status.as_str())
    .bind(r.error.as_deref())
    .bind(&counts)
    .bind(r.created_at.as_micros())
    .bind(r.started_at.map(Timestamp::as_micros))
    .bind(r.finished_at.map(Timestamp::as_micros))
    .execute(&mut *c)
    .await
    .map_err(db_err)?
    .rows_affected()
    });
    Ok(())
}

/// Writes the run's status, error, counts and times.
pub async fn update_run(tx: &mut Tx<'_>, r: &SyncRun) -> Result<()> {
    let counts = to_json(&r.counts)?;
    run!(tx, |c| sqlx::query(
        "UPDATE sync_runs SET status = $2, error = $3, counts = $4, started_at = $5, finished_at = $6 WHERE id = $1"
    )
    .bind(r.id.as_str())
    .bind(r.status.as_str())
    .bind(r.error.as_deref())
    .bind(&counts)
    .bind(r.started_at.map(Timestamp::as_micros))
    .bind(r.finished_at.map(Timestamp::as_micros))
    .execute(&mut *c)
    .await
    .map_err(db_err)?
    .rows_affected());
    Ok(())
}

pub async fn get_run(c: &mut impl Conn, company: &CompanyId, id: &SyncRunId) -> Result<Option<SyncRun>> {
    let row: Option<Row> = run!(c, |c| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM sync_runs WHERE company_id = $1 AND id = $2"
    )))
    .bind(company.as_str())
    .bind(id.as_str())
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?);
    row.map(Row::into_run).transpose()
}

/// The source's most recent run that has started.
pub async fn last_run(c: &mut impl Conn, company: &CompanyId, source: &SourceId) -> Result<Option<SyncRun>> {
    let row: Option<Row> = run!(c, |c| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM sync_runs WHERE company_id = $1 AND source_id = $2 AND started_at IS NOT NULL ORDER BY started_at DESC, id DESC LIMIT 1"
    )))
    .bind(company.as_str())
    .bind(source.as_str())
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?
    });
    row.map(Row::into_run).transpose()
}

pub async fn cursor(c: &mut impl Conn, source: &SourceId, collection: &str) -> Result<Option<String>> {
    run!(c, |c| sqlx::query_scalar("SELECT since_id FROM sync_cursors WHERE source_id = $1 AND collection = $2")
        .bind(source.as_str())
        .bind(collection)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err))
}

pub async fn set_cursor(tx: &mut Tx<'_>, source: &SourceId, collection: &str, since_id: &str) -> Result<()> {
    run!(tx, |c| {
        sqlx::query(
        "INSERT INTO sync_cursors (source_id, collection, since_id, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (source_id, collection) DO UPDATE SET since_id = excluded.since_id, updated_at = excluded.updated_at"
    )
    .bind(source.as_str())
    .bind(collection)
    .bind(since_id)
    .bind(Timestamp::now().as_micros())
    .execute(&mut *c)
    .await
    .map_err(db_err)?
    .rows_affected()
    });
    Ok(())
}

/// The source's scheduled sync job, locking the schedule row until the transaction ends.
pub async fn scheduled_job_for_update(tx: &mut Tx<'_>, source: &SourceId) -> Result<Option<JobId>> {
    let sql = format!("SELECT job_id FROM sync_schedules WHERE source_id = $1{}", for_update(&tx.conn()));
    let id: Option<String> = run!(tx, |c| sqlx::query_scalar(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(source.as_str())
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?);
    id.map(parse_id).transpose()
}

/// Makes `job` the source's scheduled sync job.
pub async fn set_scheduled_job(tx: &mut Tx<'_>, company: &CompanyId, source: &SourceId, job: &JobId) -> Result<()> {
    run!(tx, |c| sqlx::query(
        "INSERT INTO sync_schedules (source_id, company_id, job_id, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (source_id) DO UPDATE SET job_id = excluded.job_id, updated_at = excluded.updated_at"
    )
    .bind(source.as_str())
    .bind(company.as_str())
    .bind(job.as_str())
    .bind(Timestamp::now().as_micros())
    .execute(&mut *c)
    .await
    .map_err(db_err)?
    .rows_affected());
    Ok(())
}

/// Hands the schedule from `current` to `next`; false (and nothing changed) if `current` is no
/// longer the scheduled job.
pub async fn pass_schedule(tx: &mut Tx<'_>, source: &SourceId, current: &JobId, next: &JobId) -> Result<bool> {
    let n = run!(tx, |c| sqlx::query(
        "UPDATE sync_schedules SET job_id = $3, updated_at = $4 WHERE source_id = $1 AND job_id = $2"
    )
    .bind(source.as_str())
    .bind(current.as_str())
    .bind(next.as_str())
    .bind(Timestamp::now().as_micros())
    .execute(&mut *c)
    .await
    .map_err(db_err)?
    .rows_affected());
    Ok(n == 1)
}

/// Deletes the source's runs created before `before`.
pub async fn prune_runs(tx: &mut Tx<'_>, source: &SourceId, before: Timestamp) -> Result<u64> {
    run!(tx, |c| sqlx::query("DELETE FROM sync_runs WHERE source_id = $1 AND created_at < $2")
        .bind(source.as_str())
        .bind(before.as_micros())
        .execute(&mut *c)
        .await
        .map_err(db_err)
        .map(|r| r.rows_affected()))
}
