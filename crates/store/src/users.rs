use switchboard_domain::email::Email;
use switchboard_domain::user::{Role, User, UserFilter};
use switchboard_domain::{CompanyId, Error, Result, Timestamp, UserId};

use crate::{Conn, Tx, db_err, for_update, from_json, parse_id, run, to_json};

const COLUMNS: &str =
    "id, company_id, role, first_name, last_name, email, activated, profile, created_at, updated_at, last_enter";

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    company_id: String,
    role: String,
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
    activated: bool,
    profile: String,
    created_at: i64,
    updated_at: i64,
    last_enter: Option<i64>,
}

impl Row {
    fn into_user(self) -> Result<User> {
        Ok(User {
            id: parse_id(self.id)?,
            company_id: parse_id(self.company_id)?,
            role: Role::parse(&self.role)?,
            first_name: self.first_name,
            last_name: self.last_name,
            email: self
                .email
                .map(|e| Email::parse(&e))
                .transpose()
                .map_err(|_| Error::Internal("malformed email in database".into()))?,
            activated: self.activated,
            profile: from_json(&self.profile)?,
            created_at: Timestamp::from_micros(self.created_at),
            updated_at: Timestamp::from_micros(self.updated_at),
            last_enter: self.last_enter.map(Timestamp::from_micros),
        })
    }
}

pub async fn insert(tx: &mut Tx<'_>, user: &User) -> Result<()> {
    let profile = to_json(&user.profile)?;
    run!(tx, |c| {
        sqlx::query(
        "INSERT INTO users (id, company_id, role, first_name, last_name, email, email_norm, activated, profile, created_at, updated_at, last_enter) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    )
    .bind(user.id.as_str())
    .bind(user.company_id.as_str())
    .bind(user.role.as_str())
    .bind(user.first_name.as_deref())
    .bind(user.last_name.as_deref())
    .bind(user.email.as_ref().map(Email::as_str))
    .bind(user.email.as_ref().map(Email::normalized))
    .bind(user.activated)
    .bind(&profile)
    .bind(user.created_at.as_micros())
    .bind(user.updated_at.as_micros())
    .bind(user.last_enter.map(Timestamp::as_micros))
    .execute(&mut *c)
    .await
    .map_err(db_err)?
    .rows_affected()
    });
    Ok(())
}

pub async fn update(tx: &mut Tx<'_>, user: &User) -> Result<()> {
    let profile = to_json(&user.profile)?;
    run!(tx, |c| sqlx::query(
        "UPDATE users SET role = $3, first_name = $4, last_name = $5, email = $6, email_norm = $7, activated = $8, \
         profile = $9, updated_at = $10, last_enter = $11 WHERE company_id = $1 AND id = $2"
    )
    .bind(user.company_id.as_str())
    .bind(user.id.as_str())
    .bind(user.role.as_str())
    .bind(user.first_name.as_deref())
    .bind(user.last_name.as_deref())
    .bind(user.email.as_ref().map(Email::as_str))
    .bind(user.email.as_ref().map(Email::normalized))
    .bind(user.activated)
    .bind(&profile)
    .bind(user.updated_at.as_micros())
    .bind(user.last_enter.map(Timestamp::as_micros))
    .execute(&mut *c)
    .await
    .map_err(db_err)?
    .rows_affected());
    Ok(())
}

pub async fn get(c: &mut impl Conn, company: &CompanyId, id: &UserId) -> Result<Option<User>> {
    let row: Option<Row> = run!(c, |c| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM users WHERE company_id = $1 AND id = $2"
    )))
    .bind(company.as_str())
    .bind(id.as_str())
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?);
    row.map(Row::into_user).transpose()
}

/// Like [`get`], locking the row until the transaction ends.
pub async fn get_for_update(tx: &mut Tx<'_>, company: &CompanyId, id: &UserId) -> Result<Option<User>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE company_id = $1 AND id = $2{}", for_update(&tx.conn()));
    let row: Option<Row> = run!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(company.as_str())
        .bind(id.as_str())
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?);
    row.map(Row::into_user).transpose()
}

pub async fn get_primary(c: &mut impl Conn, company: &CompanyId) -> Result<Option<User>> {
    let row: Option<Row> = run!(c, |c| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM users WHERE company_id = $1 AND role = 'primary'"
    )))
    .bind(company.as_str())
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?);
    row.map(Row::into_user).transpose()
}

/// Whether another user of the company has this email (case-insensitively).
pub async fn email_taken(
    c: &mut impl Conn,
    company: &CompanyId,
    email: &Email,
    except: Option<&UserId>,
) -> Result<bool> {
    let n: i64 = run!(c, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE company_id = $1 AND email_norm = $2 AND id <> $3"
    )
    .bind(company.as_str())
    .bind(email.normalized())
    .bind(except.map_or("", UserId::as_str))
    .fetch_one(&mut *c)
    .await
    .map_err(db_err)?);
    Ok(n > 0)
}

/// One page of the company's users in creation order, and the number matching the filter.
pub async fn list(
    c: &mut impl Conn,
    company: &CompanyId,
    filter: &UserFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<User>, i64)> {
    let first_name = filter.first_name.as_ref().map(|s| s.to_lowercase());
    let email = filter.email.as_ref().map(|s| s.to_lowercase());
    const WHERE: &str =
        "company_id = $1 AND ($2 IS NULL OR lower(first_name) = $2) AND ($3 IS NULL OR email_norm = $3)";
    let (rows, total): (Vec<Row>, i64) = run!(c, |c| {
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM users WHERE {WHERE}")))
            .bind(company.as_str())
            .bind(first_name.as_deref())
            .bind(email.as_deref())
            .fetch_one(&mut *c)
            .await
            .map_err(db_err)?;
        let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM users WHERE {WHERE} ORDER BY id LIMIT $4 OFFSET $5"
        )))
        .bind(company.as_str())
        .bind(first_name.as_deref())
        .bind(email.as_deref())
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
        (rows, total)
    });
    Ok((rows.into_iter().map(Row::into_user).collect::<Result<_>>()?, total))
}

pub async fn count(c: &mut impl Conn, company: &CompanyId) -> Result<i64> {
    run!(c, |c| sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE company_id = $1")
        .bind(company.as_str())
        .fetch_one(&mut *c)
        .await
        .map_err(db_err))
}

pub async fn delete(tx: &mut Tx<'_>, company: &CompanyId, id: &UserId) -> Result<bool> {
    let n = run!(tx, |c| sqlx::query("DELETE FROM users WHERE company_id = $1 AND id = $2")
        .bind(company.as_str())
        .bind(id.as_str())
        .execute(&mut *c)
        .await
        .map_err(db_err)?
        .rows_affected());
    Ok(n == 1)
}
