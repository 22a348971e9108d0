//! The job queue: a table whose due rows workers claim with a lease. On PostgreSQL the claim
//! skips rows other workers hold (`FOR UPDATE SKIP LOCKED`), so several nodes share the work;
//! on SQLite the single writer makes the claim atomic by itself.

use std::time::Duration;

use switchboard_domain::job::{Job, JobStatus, NewJob};
use switchboard_domain::{Error, JobId, Result, Timestamp};

use crate::{Conn, ConnRef, Tx, db_err, from_json, parse_id, run, to_json};

const COLUMNS: &str = "id, company_id, kind, payload, status, run_at, attempts, max_attempts, lease_token, last_error";

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
    lease_token: Option<String>,
    last_error: Option<String>,
}

impl Row {
    fn into_job(self) -> Result<(Job, Option<String>)> {
        let job = Job {
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
        };
        Ok((job, self.lease_token))
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
    let now = Timestamp::now().as_micros();
    run!(tx, |c| {
        sqlx::query(
        "INSERT INTO jobs (id, company_id, kind, payload, status, run_at, attempts, max_attempts, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'pending', $5, 0, $6, $7, $7)"
    )
    .bind(id.as_str())
    .bind(job.company_id.as_ref().map(|c| c.as_str()))
    .bind(&job.kind)
    .bind(job.payload.to_string())
    .bind(job.run_at.as_micros())
    .bind(job.max_attempts.max(1))
    .bind(now)
    .execute(&mut *c)
    .await
    .map_err(db_err)?
    .rows_affected()
    });
    tx.note_queued_job();
    Ok(id)
}

/// Claims up to `limit` due jobs of the given kinds for `lease`, oldest `run_at` first,
/// counting an attempt on each. A node claims only the kinds it can run.
pub async fn claim(tx: &mut Tx<'_>, kinds: &[&str], lease: Duration, limit: i64) -> Result<Vec<Claimed>> {
    let now = Timestamp::now();
    let lease_until = now.plus(lease);
    let token = switchboard_domain::new_id();
    let due = match tx.conn() {
        ConnRef::Sqlite(_) => {
            "SELECT id FROM jobs WHERE status = 'pending' AND run_at <= $3 AND kind IN (SELECT value FROM json_each($5)) ORDER BY run_at LIMIT $4"
        }
        ConnRef::Postgres(_) => {
            "SELECT id FROM jobs WHERE status = 'pending' AND run_at <= $3 AND kind = ANY (ARRAY(SELECT jsonb_array_elements_text($5::jsonb))) \
             ORDER BY run_at LIMIT $4 FOR UPDATE SKIP LOCKED"
        }
    };
    let sql = format!(
        "UPDATE jobs SET run_at = $1, lease_token = $2, attempts = attempts + 1, updated_at = $3 WHERE id IN ({due}) RETURNING {COLUMNS}"
    );
    let kinds = to_json(&kinds)?;
    let rows: Vec<Row> = run!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(lease_until.as_micros())
        .bind(&token)
        .bind(now.as_micros())
        .bind(limit)
        .bind(&kinds)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?);
    let mut claimed = rows
        .into_iter()
        .map(|r| Ok(Claimed { job: r.into_job()?.0, token: token.clone(), lease_until }))
        .collect::<Result<Vec<_>>>()?;
    claimed.sort_by(|a, b| a.job.id.cmp(&b.job.id));
    Ok(claimed)
}

/// Marks the job done. False if the lease was lost to another worker.
pub async fn complete(tx: &mut Tx<'_>, claimed: &Claimed) -> Result<bool> {
    let n = run!(tx, |c| sqlx::query(
        "UPDATE jobs SET status = 'done', lease_token = NULL, updated_at = $3 WHERE id = $1 AND lease_token = $2"
    )
    .bind(claimed.job.id.as_str())
    .bind(&claimed.token)
    .bind(Timestamp::now().as_micros())
    .execute(&mut *c)
    .await
    .map_err(db_err)?
    .rows_affected());
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
    let status: Option<String> = run!(tx, |c| sqlx::query_scalar(
        "UPDATE jobs SET status = CASE WHEN $3 = 0 OR attempts >= max_attempts THEN 'dead' ELSE 'pending' END, \
         run_at = $4, lease_token = NULL, last_error = $5, updated_at = $6 \
         WHERE id = $1 AND lease_token = $2 RETURNING status"
    )
    .bind(claimed.job.id.as_str())
    .bind(&claimed.token)
    .bind(i32::from(retry_at.is_some()))
    .bind(retry_at.unwrap_or(now).as_micros())
    .bind(error)
    .bind(now.as_micros())
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?);
    status.map(|s| JobStatus::parse(&s).ok_or_else(|| Error::Internal(format!("unknown job status {s:?}")))).transpose()
}

/// Hands a claimed job back untouched (graceful shutdown): due now, and the attempt not counted.
pub async fn release(tx: &mut Tx<'_>, claimed: &Claimed) -> Result<bool> {
    let n = run!(tx, |c| {
        sqlx::query(
        "UPDATE jobs SET run_at = $3, lease_token = NULL, attempts = attempts - 1, updated_at = $3 WHERE id = $1 AND lease_token = $2"
    )
    .bind(claimed.job.id.as_str())
    .bind(&claimed.token)
    .bind(Timestamp::now().as_micros())
    .execute(&mut *c)
    .await
    .map_err(db_err)?
    .rows_affected()
    });
    Ok(n == 1)
}

pub async fn get(c: &mut impl Conn, id: &JobId) -> Result<Option<Job>> {
    let row: Option<Row> =
        run!(c, |c| sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM jobs WHERE id = $1")))
            .bind(id.as_str())
            .fetch_optional(&mut *c)
            .await
            .map_err(db_err)?);
    row.map(|r| r.into_job().map(|(job, _)| job)).transpose()
}

/// Pending jobs of one kind, oldest first (for operators and tests).
pub async fn list_pending(c: &mut impl Conn, kind: &str) -> Result<Vec<Job>> {
    let rows: Vec<Row> = run!(c, |c| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM jobs WHERE status = 'pending' AND kind = $1 ORDER BY run_at"
    )))
    .bind(kind)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?);
    rows.into_iter().map(|r| r.into_job().map(|(job, _)| job)).collect()
}
