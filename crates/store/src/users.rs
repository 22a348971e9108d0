use switchboard_domain::email::Email;
use switchboard_domain::user::{Role, User, UserFilter};
use switchboard_domain::{CompanyId, Error, Result, Timestamp, UserId};

use crate::sql::Sql;
use crate::table::table;
use crate::{Conn, Tx, from_json, parse_id, to_json};

table! {
    USERS = "users", User as |u| {
        Key id: u.id.as_str(),
        Key company_id: u.company_id.as_str(),
        Set role: u.role.as_str(),
        Set first_name: u.first_name.as_deref(),
        Set last_name: u.last_name.as_deref(),
        Set email: u.email.as_ref().map(Email::as_str),
        Set email_norm: u.email.as_ref().map(Email::normalized),
        Set activated: u.activated,
        Set profile: to_json(&u.profile)?,
        Fixed created_at: u.created_at,
        Set updated_at: u.updated_at,
        Set last_enter: u.last_enter,
    }
}

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
    Sql::insert(user)?.execute(tx).await.map(drop)
}

pub async fn update(tx: &mut Tx<'_>, user: &User) -> Result<()> {
    Sql::update(user)?.execute(tx).await.map(drop)
}

pub async fn get(c: &mut impl Conn, company: &CompanyId, id: &UserId) -> Result<Option<User>> {
    USERS.one(company, id.as_str()).get(c, Row::into_user).await
}

/// Like [`get`], locking the row until the transaction ends.
pub async fn get_for_update(tx: &mut Tx<'_>, company: &CompanyId, id: &UserId) -> Result<Option<User>> {
    USERS.one(company, id.as_str()).for_update().get(tx, Row::into_user).await
}

pub async fn get_primary(c: &mut impl Conn, company: &CompanyId) -> Result<Option<User>> {
    USERS.select("WHERE company_id = $1 AND role = 'primary'").bind(company.as_str()).get(c, Row::into_user).await
}

/// Whether another user of the company has this email (case-insensitively).
pub async fn email_taken(
    c: &mut impl Conn,
    company: &CompanyId,
    email: &Email,
    except: Option<&UserId>,
) -> Result<bool> {
    let n: i64 = Sql::new("SELECT COUNT(*) FROM users WHERE company_id = $1 AND email_norm = $2 AND id <> $3")
        .bind(company.as_str())
        .bind(email.normalized())
        .bind(except.map_or("", UserId::as_str))
        .scalar(c)
        .await?;
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
        "WHERE company_id = $1 AND ($2 IS NULL OR lower(first_name) = $2) AND ($3 IS NULL OR email_norm = $3)";
    let filtered = |sql: Sql<'static>| sql.bind(company.as_str()).bind(first_name.as_deref()).bind(email.as_deref());
    let total: i64 = filtered(Sql::new(format!("SELECT COUNT(*) FROM users {WHERE}"))).scalar(c).await?;
    let users = filtered(USERS.select(&format!("{WHERE} ORDER BY id LIMIT $4 OFFSET $5")))
        .bind(limit)
        .bind(offset)
        .list(c, Row::into_user)
        .await?;
    Ok((users, total))
}

pub async fn count(c: &mut impl Conn, company: &CompanyId) -> Result<i64> {
    Sql::new("SELECT COUNT(*) FROM users WHERE company_id = $1").bind(company.as_str()).scalar(c).await
}

pub async fn delete(tx: &mut Tx<'_>, company: &CompanyId, id: &UserId) -> Result<bool> {
    let n = USERS.delete_one(company, id.as_str()).execute(tx).await?;
    Ok(n == 1)
}
