//! Signed-in agents' HTTP sessions (`gws_sessions`), found by the hash of their token.

use switchboard_domain::session::AgentSession;
use switchboard_domain::{CompanyId, Result, Timestamp, UserId};

use crate::sql::Sql;
use crate::table::table;
use crate::{Conn, Tx, parse_id};

table! {
    SESSIONS = "gws_sessions", AgentSession as |s| {
        Key id: s.id.as_str(),
        Fixed company_id: s.company_id.as_str(),
        Fixed user_id: s.user_id.as_str(),
        Fixed csrf_token: s.csrf_token.as_str(),
        Set delivered_seq: s.delivered_seq,
        Fixed created_at: s.created_at,
        Set last_seen_at: s.last_seen_at,
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    company_id: String,
    user_id: String,
    csrf_token: String,
    delivered_seq: i64,
    created_at: i64,
    last_seen_at: i64,
}

impl Row {
    fn into_session(self) -> Result<AgentSession> {
        Ok(AgentSession {
            id: self.id,
            company_id: parse_id(self.company_id)?,
            user_id: parse_id(self.user_id)?,
            csrf_token: self.csrf_token,
            delivered_seq: self.delivered_seq,
            created_at: Timestamp::from_micros(self.created_at),
            last_seen_at: Timestamp::from_micros(self.last_seen_at),
        })
    }
}

pub async fn insert(tx: &mut Tx<'_>, session: &AgentSession) -> Result<()> {
    Sql::insert(session)?.execute(tx).await.map(drop)
}

/// The session with this id (the hash of its token), in whichever company it is.
pub async fn get(c: &mut impl Conn, id: &str) -> Result<Option<AgentSession>> {
    SESSIONS.select("WHERE id = $1").bind(id).get(c, Row::into_session).await
}

/// The company's sessions, oldest first.
pub async fn for_company(c: &mut impl Conn, company: &CompanyId) -> Result<Vec<AgentSession>> {
    SESSIONS
        .select("WHERE company_id = $1 ORDER BY created_at, id")
        .bind(company.as_str())
        .list(c, Row::into_session)
        .await
}

/// Notes that the session was used at `at`.
pub async fn touch(c: &mut impl Conn, id: &str, at: Timestamp) -> Result<()> {
    Sql::new("UPDATE gws_sessions SET last_seen_at = $2 WHERE id = $1").bind(id).bind(at).execute(c).await.map(drop)
}

/// Moves the session's delivered seq forward (never back: two clients of one session may
/// report out of order).
pub async fn advance_delivered(c: &mut impl Conn, id: &str, seq: i64) -> Result<()> {
    Sql::new("UPDATE gws_sessions SET delivered_seq = $2 WHERE id = $1 AND delivered_seq < $2")
        .bind(id)
        .bind(seq)
        .execute(c)
        .await
        .map(drop)
}

/// Ends a session; false if it had ended already.
pub async fn delete(c: &mut impl Conn, id: &str) -> Result<bool> {
    Ok(Sql::new("DELETE FROM gws_sessions WHERE id = $1").bind(id).execute(c).await? == 1)
}

/// Ends every session of a user (their password changed).
pub async fn delete_for_user(tx: &mut Tx<'_>, company: &CompanyId, user: &UserId) -> Result<u64> {
    Sql::new("DELETE FROM gws_sessions WHERE company_id = $1 AND user_id = $2")
        .bind(company.as_str())
        .bind(user.as_str())
        .execute(tx)
        .await
}

/// Removes the sessions idle since before `idle_before` or made before `made_before`.
pub async fn delete_expired(c: &mut impl Conn, idle_before: Timestamp, made_before: Timestamp) -> Result<u64> {
    Sql::new("DELETE FROM gws_sessions WHERE last_seen_at < $1 OR created_at < $2")
        .bind(idle_before)
        .bind(made_before)
        .execute(c)
        .await
}
