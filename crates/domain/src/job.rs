use std::time::Duration;

use serde_json::Value;

use crate::{CompanyId, JobId, Timestamp};

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
