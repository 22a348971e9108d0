//! The job queue: a table whose due rows workers claim with a lease. On PostgreSQL the claim
//! skips rows other workers hold (`FOR UPDATE SKIP LOCKED`), so several nodes share the work;
//! on SQLite the single writer makes the claim atomic by itself.

use std::time::Duration;

use switchboard_domain::job::{Job, JobStatus, NewJob};
use switchboard_domain::{CompanyId, Error, JobId, Result, Timestamp};

use crate::sql::Sql;
use crate::table::table;
use crate::{Conn, Tx, dialect, from_json, parse_id, to_json};

/// A job as [`enqueue`] writes it.
struct Queued<'a> {
    id: &'a JobId,
    job: &'a NewJob,
    now: Timestamp,
}

table! {
    JOBS = "jobs", Queued<'_> as |q| {
        Key id: q.id.as_str(),
        Fixed company_id: q.job.company_id.as_ref().map(|c| c.as_str()),
        Fixed kind: &q.job.kind,
        Fixed payload: q.job.payload.to_string(),
        Set status: JobStatus::Pending.as_str(),
        Set run_at: q.job.run_at,
        Set attempts: 0_i32,
        Fixed max_attempts: q.job.max_attempts.max(1),
        Set lease_token: None::<&str>,
        Set last_error: None::<&str>,
        Fixed created_at: q.now,
        Set updated_at: q.now,
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    company_id: Option<String>,
    kind: String,
    payload: String,
    status: String,
    run_at: i64,
    attempts: i32,
    max_attempts: i32,
    last_error: Option<String>,
}

impl Row {
    fn into_job(self) -> Result<Job> {
        Ok(Job {
            id: parse_id(self.id)?,
            company_id: self.company_id.map(parse_id).transpose()?,
            kind: self.kind,
            payload: from_json(&self.payload)?,
            status: JobStatus::parse(&self.status)
                .ok_or_else(|| Error::Internal(format!("unknown job status {:?}", self.status)))?,
            run_at: Timestamp::from_micros(self.run_at),
            attempts: self.attempts,
            max_attempts: self.max_attempts,
            last_error: self.last_error,
        })
    }
}

/// A job held by one worker until `lease_until`. Reporting on it needs the lease token, so a
/// worker whose lease ran out (and whose job another worker took) cannot overwrite the result.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub job: Job,
    pub token: String,
    pub lease_until: Timestamp,
}

pub async fn enqueue(tx: &mut Tx<'_>, job: &NewJob) -> Result<JobId> {
    let id = JobId::new();
    Sql::insert(&Queued { id: &id, job, now: Timestamp::now() })?.execute(tx).await?;
    tx.note_queued_job();
    Ok(id)
}

/// Claims up to `limit` due jobs of the given kinds for `lease`, oldest `run_at` first,
/// counting an attempt on each. A node claims only the kinds it can run.
pub async fn claim(tx: &mut Tx<'_>, kinds: &[&str], lease: Duration, limit: i64) -> Result<Vec<Claimed>> {
    let now = Timestamp::now();
    let lease_until = now.plus(lease);
    let token = switchboard_domain::new_id();
    let backend = tx.backend();
    let sql = format!(
        "UPDATE jobs SET run_at = $1, lease_token = $2, attempts = attempts + 1, updated_at = $3 WHERE id IN (\
         SELECT id FROM jobs WHERE status = 'pending' AND run_at <= $3 AND {} ORDER BY run_at LIMIT $4{}\
         ) RETURNING {}",
        dialect::in_json_list(backend, "kind", 5),
        dialect::for_update_skip_locked(backend),
        JOBS.columns()
    );
    let jobs = Sql::new(sql)
        .bind(lease_until)
        .bind(&token)
        .bind(now)
        .bind(limit)
        .bind(to_json(&kinds)?)
        .list(tx, Row::into_job)
        .await?;
    let mut claimed: Vec<Claimed> =
        jobs.into_iter().map(|job| Claimed { job, token: token.clone(), lease_until }).collect();
    claimed.sort_by(|a, b| a.job.id.cmp(&b.job.id));
    Ok(claimed)
}

/// An update of the claimed job (`$1`) that changes nothing unless the worker still holds its
/// lease (`$2`), and that gives the lease up.
fn while_leased<'a>(claimed: &'a Claimed, set: &str) -> Sql<'a> {
    Sql::new(format!("UPDATE jobs SET {set}, lease_token = NULL WHERE id = $1 AND lease_token = $2"))
        .bind(claimed.job.id.as_str())
        .bind(&claimed.token)
}

/// Marks the job done. False if the lease was lost to another worker.
pub async fn complete(tx: &mut Tx<'_>, claimed: &Claimed) -> Result<bool> {
    let n = while_leased(claimed, "status = 'done', updated_at = $3").bind(Timestamp::now()).execute(tx).await?;
    Ok(n == 1)
}

/// Records a failed attempt: the job runs again at `retry_at`, or is dead once its attempts are
/// used up (or at once when `retry_at` is `None`). Returns the new status, `None` if the lease
/// was lost.
pub async fn fail(
    tx: &mut Tx<'_>,
    claimed: &Claimed,
    error: &str,
    retry_at: Option<Timestamp>,
) -> Result<Option<JobStatus>> {
    let now = Timestamp::now();
    let status: Option<String> = while_leased(
        claimed,
        "status = CASE WHEN $3 = 0 OR attempts >= max_attempts THEN 'dead' ELSE 'pending' END, \
         run_at = $4, last_error = $5, updated_at = $6",
    )
    .append(" RETURNING status")
    .bind(i32::from(retry_at.is_some()))
    .bind(retry_at.unwrap_or(now))
    .bind(error)
    .bind(now)
    .scalar_optional(tx)
    .await?;
    status.map(|s| JobStatus::parse(&s).ok_or_else(|| Error::Internal(format!("unknown job status {s:?}")))).transpose()
}

/// Hands a claimed job back untouched (graceful shutdown): due now, and the attempt not counted.
pub async fn release(tx: &mut Tx<'_>, claimed: &Claimed) -> Result<bool> {
    let n = while_leased(claimed, "run_at = $3, attempts = attempts - 1, updated_at = $3")
        .bind(Timestamp::now())
        .execute(tx)
        .await?;
    Ok(n == 1)
}

pub async fn get(c: &mut impl Conn, id: &JobId) -> Result<Option<Job>> {
    JOBS.select("WHERE id = $1").bind(id.as_str()).get(c, Row::into_job).await
}

/// Pending jobs of one kind, oldest first (for operators and tests).
pub async fn list_pending(c: &mut impl Conn, kind: &str) -> Result<Vec<Job>> {
    JOBS.select("WHERE status = 'pending' AND kind = $1 ORDER BY run_at").bind(kind).list(c, Row::into_job).await
}

/// Whether the company has a job of this kind that no worker has taken yet: one that will
/// still see every change made before it runs. The row is locked until the caller commits,
/// so a worker cannot take it in between and run without seeing the caller's change.
pub async fn is_waiting(tx: &mut Tx<'_>, company: &CompanyId, kind: &str) -> Result<bool> {
    let found: Vec<String> = Sql::new(
        "SELECT id FROM jobs WHERE company_id = $1 AND kind = $2 AND status = 'pending' AND lease_token IS NULL LIMIT 1",
    )
    .bind(company.as_str())
    .bind(kind)
    .for_update()
    .scalars(tx)
    .await?;
    Ok(!found.is_empty())
}
