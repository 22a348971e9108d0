//! Sync runs, list cursors and the per-source polling schedule.

use switchboard_domain::sync::{SyncRun, SyncStatus, SyncTrigger};
use switchboard_domain::{CompanyId, JobId, Result, SourceId, SyncRunId, Timestamp};

use crate::sql::Sql;
use crate::table::table;
use crate::{Conn, Tx, from_json, parse_id, to_json};

table! {
    SYNC_RUNS = "sync_runs", SyncRun as |r| {
        Key id: r.id.as_str(),
        Fixed company_id: r.company_id.as_str(),
        Fixed source_id: r.source_id.as_str(),
        Fixed trigger: r.trigger.as_str(),
        Set status: r.status.as_str(),
        Set error: r.error.as_deref(),
        Set counts: to_json(&r.counts)?,
        Fixed created_at: r.created_at,
        Set started_at: r.started_at,
        Set finished_at: r.finished_at,
    }
}

/// Where a collection's import got to.
struct Cursor<'a> {
    source: &'a SourceId,
    collection: &'a str,
    since_id: &'a str,
}

table! {
    SYNC_CURSORS = "sync_cursors", Cursor<'_> as |c| {
        Key source_id: c.source.as_str(),
        Key collection: c.collection,
        Set since_id: c.since_id,
        Set updated_at: Timestamp::now(),
    }
}

/// Which job carries a source's polling schedule.
struct Schedule<'a> {
    source: &'a SourceId,
    company: &'a CompanyId,
    job: &'a JobId,
}

table! {
    SYNC_SCHEDULES = "sync_schedules", Schedule<'_> as |s| {
        Key source_id: s.source.as_str(),
        Fixed company_id: s.company.as_str(),
        Set job_id: s.job.as_str(),
        Set updated_at: Timestamp::now(),
    }
}

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
    Sql::insert(r)?.execute(tx).await.map(drop)
}

/// Writes the run's status, error, counts and times.
pub async fn update_run(tx: &mut Tx<'_>, r: &SyncRun) -> Result<()> {
    Sql::update(r)?.execute(tx).await.map(drop)
}

pub async fn get_run(c: &mut impl Conn, company: &CompanyId, id: &SyncRunId) -> Result<Option<SyncRun>> {
    SYNC_RUNS.one(company, id.as_str()).get(c, Row::into_run).await
}

/// The source's most recent run that has started.
pub async fn last_run(c: &mut impl Conn, company: &CompanyId, source: &SourceId) -> Result<Option<SyncRun>> {
    SYNC_RUNS
        .select(
            "WHERE company_id = $1 AND source_id = $2 AND started_at IS NOT NULL \
             ORDER BY started_at DESC, id DESC LIMIT 1",
        )
        .bind(company.as_str())
        .bind(source.as_str())
        .get(c, Row::into_run)
        .await
}

pub async fn cursor(c: &mut impl Conn, source: &SourceId, collection: &str) -> Result<Option<String>> {
    Sql::new("SELECT since_id FROM sync_cursors WHERE source_id = $1 AND collection = $2")
        .bind(source.as_str())
        .bind(collection)
        .scalar_optional(c)
        .await
}

pub async fn set_cursor(tx: &mut Tx<'_>, source: &SourceId, collection: &str, since_id: &str) -> Result<()> {
    Sql::upsert(&Cursor { source, collection, since_id })?.execute(tx).await.map(drop)
}

/// The source's scheduled sync job, locking the schedule row until the transaction ends.
pub async fn scheduled_job_for_update(tx: &mut Tx<'_>, source: &SourceId) -> Result<Option<JobId>> {
    let id: Option<String> = Sql::new("SELECT job_id FROM sync_schedules WHERE source_id = $1")
        .bind(source.as_str())
        .for_update()
        .scalar_optional(tx)
        .await?;
    id.map(parse_id).transpose()
}

/// Makes `job` the source's scheduled sync job.
pub async fn set_scheduled_job(tx: &mut Tx<'_>, company: &CompanyId, source: &SourceId, job: &JobId) -> Result<()> {
    Sql::upsert(&Schedule { source, company, job })?.execute(tx).await.map(drop)
}

/// Hands the schedule from `current` to `next`; false (and nothing changed) if `current` is no
/// longer the scheduled job.
pub async fn pass_schedule(tx: &mut Tx<'_>, source: &SourceId, current: &JobId, next: &JobId) -> Result<bool> {
    let n = Sql::new("UPDATE sync_schedules SET job_id = $3, updated_at = $4 WHERE source_id = $1 AND job_id = $2")
        .bind(source.as_str())
        .bind(current.as_str())
        .bind(next.as_str())
        .bind(Timestamp::now())
        .execute(tx)
        .await?;
    Ok(n == 1)
}

/// Deletes the source's runs created before `before`.
pub async fn prune_runs(tx: &mut Tx<'_>, source: &SourceId, before: Timestamp) -> Result<u64> {
    Sql::new("DELETE FROM sync_runs WHERE source_id = $1 AND created_at < $2")
        .bind(source.as_str())
        .bind(before)
        .execute(tx)
        .await
}
