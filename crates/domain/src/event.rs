use serde_json::Value;

use crate::{CompanyId, EventId, Timestamp};

/// A change to append to the company's event log, in the same transaction as the change.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub kind: &'static str,
    pub payload: Value,
}

impl NewEvent {
    pub fn new(kind: &'static str, payload: Value) -> Self {
        Self { kind, payload }
    }
}

/// An entry of a company's event log. `seq` is gapless and increasing per company.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: EventId,
    pub company_id: CompanyId,
    pub seq: i64,
    pub kind: String,
    pub payload: Value,
    pub created_at: Timestamp,
}
