use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{CompanyId, JobId, Timestamp};

/// The payload of one kind of job. The queue stores it as JSON under [`JobPayload::KIND`]; the
/// runner decodes it back before the job's handler sees it, and a payload that does not decode
/// is a dead job with the reason, never a half-read one.
pub trait JobPayload: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The job kind, e.g. `sdk.export`.
    const KIND: &'static str;
    /// Attempts before the job is dead.
    const MAX_ATTEMPTS: i32 = 5;
}

/// Work to do later, or to retry: a row of the job queue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub company_id: Option<CompanyId>,
    pub kind: String,
    pub payload: Value,
    pub run_at: Timestamp,
    pub max_attempts: i32,
}

impl NewJob {
    pub fn new(kind: impl Into<String>, payload: Value) -> Self {
        Self { company_id: None, kind: kind.into(), payload, run_at: Timestamp::now(), max_attempts: 5 }
    }

    /// A job of `P`'s kind carrying `payload`, due now, with `P`'s attempts.
    pub fn of<P: JobPayload>(payload: &P) -> Self {
        // A payload is a plain struct with string keys: it always encodes.
        let payload = serde_json::to_value(payload).unwrap_or(Value::Null);
        Self::new(P::KIND, payload).max_attempts(P::MAX_ATTEMPTS)
    }

    pub fn for_company(mut self, company_id: CompanyId) -> Self {
        self.company_id = Some(company_id);
        self
    }

    pub fn run_at(mut self, at: Timestamp) -> Self {
        self.run_at = at;
        self
    }

    pub fn max_attempts(mut self, n: i32) -> Self {
        self.max_attempts = n;
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// Waiting for `run_at`, or claimed by a worker whose lease has not run out.
    Pending,
    Done,
    /// Gave up after `max_attempts`.
    Dead,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Done => "done",
            JobStatus::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(JobStatus::Pending),
            "done" => Some(JobStatus::Done),
            "dead" => Some(JobStatus::Dead),
            _ => None,
        }
    }
}

/// A row of the job queue. For a claimed job, `attempts` counts the attempt under way.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: JobId,
    pub company_id: Option<CompanyId>,
    pub kind: String,
    pub payload: Value,
    pub status: JobStatus,
    pub run_at: Timestamp,
    pub attempts: i32,
    pub max_attempts: i32,
    pub last_error: Option<String>,
}

/// What a worker reports for a claimed job.
#[derive(Debug, Clone, PartialEq)]
pub enum JobOutcome {
    Done,
    /// Try again after `retry_in`, unless the attempts are used up.
    Failed {
        error: String,
        retry_in: Duration,
    },
    /// Do not try again.
    Fatal {
        error: String,
    },
}
