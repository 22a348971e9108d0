//! Polling synchronisation of a Channel SDK source: each run asks the connector what it
//! implements, lists what is new in each collection, and imports it.

use serde::{Deserialize, Serialize};

use crate::{CompanyId, Error, Result, SourceId, SyncRunId, Timestamp};

/// Why a run happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncTrigger {
    Schedule,
    Manual,
}

impl SyncTrigger {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncTrigger::Schedule => "schedule",
            SyncTrigger::Manual => "manual",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "schedule" => Ok(SyncTrigger::Schedule),
            "manual" => Ok(SyncTrigger::Manual),
            other => Err(Error::Internal(format!("unknown sync trigger {other:?}"))),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
}

impl SyncStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncStatus::Queued => "queued",
            SyncStatus::Running => "running",
            SyncStatus::Succeeded => "succeeded",
            SyncStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "queued" => Ok(SyncStatus::Queued),
            "running" => Ok(SyncStatus::Running),
            "succeeded" => Ok(SyncStatus::Succeeded),
            "failed" => Ok(SyncStatus::Failed),
            other => Err(Error::Internal(format!("unknown sync status {other:?}"))),
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SyncCounts {
    /// List pages received.
    pub pages: u64,
    /// Items received in them.
    pub fetched: u64,
    /// Items new to Switchboard.
    pub imported: u64,
    /// Items skipped because they lack a required field (or are otherwise refused).
    pub skipped: u64,
    /// Answers whose signature did not verify but were accepted (lenient sources).
    pub signature_mismatches: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SyncRun {
    pub id: SyncRunId,
    pub company_id: CompanyId,
    pub source_id: SourceId,
    pub trigger: SyncTrigger,
    pub status: SyncStatus,
    pub error: Option<String>,
    pub counts: SyncCounts,
    pub created_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
}
