//! Users' password hashes (argon2id PHC strings, made by the engine) and the failed sign-ins
//! that slow the next attempts down.

use switchboard_domain::user::User;
use switchboard_domain::{CompanyId, Result, Timestamp, UserId};

use crate::sql::Sql;
use crate::{Conn, Tx, users};

/// Sets or replaces a user's password hash.
pub async fn set(tx: &mut Tx<'_>, company: &CompanyId, user: &UserId, hash: &str) -> Result<()> {
    Sql::new(
        "INSERT INTO user_passwords (user_id, company_id, hash, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at",
    )
    .bind(user.as_str())
    .bind(company.as_str())
    .bind(hash)
    .bind(Timestamp::now())
    .execute(tx)
    .await
    .map(drop)
}

/// The active users of any company with this (normalized) email who have a password, each with
/// its hash. Emails are unique within a company only, so there may be several.
pub async fn candidates(c: &mut impl Conn, email_norm: &str) -> Result<Vec<(User, String)>> {
    let rows: Vec<(String, String, String)> = Sql::new(
        "SELECT u.company_id, u.id, p.hash FROM users u JOIN user_passwords p ON p.user_id = u.id \
         WHERE u.email_norm = $1 AND u.activated ORDER BY u.id",
    )
    .bind(email_norm)
    .fetch_all(c)
    .await?;
    let mut found = Vec::with_capacity(rows.len());
    for (company, id, hash) in rows {
        let company = crate::parse_id::<CompanyId>(company)?;
        let id = crate::parse_id::<UserId>(id)?;
        if let Some(user) = users::get(c, &company, &id).await? {
            found.push((user, hash));
        }
    }
    Ok(found)
}

/// How many sign-ins in a row failed for `subject`, and when the last one did.
pub async fn failures(c: &mut impl Conn, subject: &str) -> Result<Option<(i32, Timestamp)>> {
    let row: Option<(i32, i64)> = Sql::new("SELECT failures, last_failed_at FROM sign_in_failures WHERE subject = $1")
        .bind(subject)
        .fetch_optional(c)
        .await?;
    Ok(row.map(|(n, at)| (n, Timestamp::from_micros(at))))
}

/// Counts one more failed sign-in for `subject`; the count starts again when the last failure
/// was before `forget_before`.
pub async fn record_failure(tx: &mut Tx<'_>, subject: &str, at: Timestamp, forget_before: Timestamp) -> Result<()> {
    Sql::new(
        "INSERT INTO sign_in_failures (subject, failures, last_failed_at) VALUES ($1, 1, $2) \
         ON CONFLICT (subject) DO UPDATE SET last_failed_at = $2, failures = CASE \
         WHEN sign_in_failures.last_failed_at < $3 THEN 1 ELSE sign_in_failures.failures + 1 END",
    )
    .bind(subject)
    .bind(at)
    .bind(forget_before)
    .execute(tx)
    .await
    .map(drop)
}

/// Forgets the failures of `subject` after a successful sign-in.
pub async fn clear_failures(tx: &mut Tx<'_>, subject: &str) -> Result<()> {
    Sql::new("DELETE FROM sign_in_failures WHERE subject = $1").bind(subject).execute(tx).await.map(drop)
}
