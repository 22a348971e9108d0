//! The SQL the two backends write differently, all of it: every other statement of the store is
//! portable and written once.

use crate::Backend;

/// How SQLite begins a writer's transaction (see [`crate::Store::begin`]); PostgreSQL's plain
/// BEGIN needs nothing more, its locks are taken row by row.
pub(crate) const SQLITE_BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

/// The row-lock suffix for a read that precedes an update in the same transaction. SQLite's
/// writer transaction is exclusive already; PostgreSQL needs the lock to avoid lost updates.
pub(crate) fn for_update(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE",
    }
}

/// The row-lock suffix for a queue's claim: PostgreSQL skips the rows other workers hold, so
/// several nodes share the work; SQLite's single writer makes the claim atomic by itself.
pub(crate) fn for_update_skip_locked(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
    }
}

/// `column` is one of the strings of the JSON array bound as parameter `param`: a list of any
/// length under one statement text (so the statement cache is not flooded), written so that each
/// backend probes the index for each string instead of scanning.
pub(crate) fn in_json_list(backend: Backend, column: &str, param: usize) -> String {
    match backend {
        Backend::Sqlite => format!("{column} IN (SELECT value FROM json_each(${param}))"),
        Backend::Postgres => format!("{column} = ANY (ARRAY(SELECT jsonb_array_elements_text(${param}::jsonb)))"),
    }
}
