use switchboard_domain::location::Location;
use switchboard_domain::{CompanyId, LocationId, Result, Timestamp};

use crate::{Conn, Tx, db_err, for_update, from_json, parse_id, run, to_json};

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    company_id: String,
    name: String,
    details: String,
    created_at: i64,
    updated_at: i64,
}

impl Row {
    fn into_location(self) -> Result<Location> {
        Ok(Location {
            id: parse_id(self.id)?,
            company_id: parse_id(self.company_id)?,
            name: self.name,
            details: from_json(&self.details)?,
            created_at: Timestamp::from_micros(self.created_at),
            updated_at: Timestamp::from_micros(self.updated_at),
        })
    }
}

pub async fn insert(tx: &mut Tx<'_>, l: &Location) -> Result<()> {
    let details = to_json(&l.details)?;
    run!(tx, |c| sqlx::query(
        "INSERT INTO locations (id, company_id, name, details, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(l.id.as_str())
    .bind(l.company_id.as_str())
    .bind(&l.name)
    .bind(&details)
    .bind(l.created_at.as_micros())
    .bind(l.updated_at.as_micros())
    .execute(&mut *c)
    .await
    .map_err(db_err)?
    .rows_affected());
    Ok(())
}

pub async fn update(tx: &mut Tx<'_>, l: &Location) -> Result<()> {
    let details = to_json(&l.details)?;
    run!(tx, |c| sqlx::query(
        "UPDATE locations SET name = $3, details = $4, updated_at = $5 WHERE company_id = $1 AND id = $2"
    )
    .bind(l.company_id.as_str())
    .bind(l.id.as_str())
    .bind(&l.name)
    .bind(&details)
    .bind(l.updated_at.as_micros())
    .execute(&mut *c)
    .await
    .map_err(db_err)?
    .rows_affected());
    Ok(())
}

pub async fn get(c: &mut impl Conn, company: &CompanyId, id: &LocationId) -> Result<Option<Location>> {
    let row: Option<Row> = run!(c, |c| {
        sqlx::query_as(
        "SELECT id, company_id, name, details, created_at, updated_at FROM locations WHERE company_id = $1 AND id = $2"
    )
    .bind(company.as_str())
    .bind(id.as_str())
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?
    });
    row.map(Row::into_location).transpose()
}

/// Like [`get`], locking the row until the transaction ends.
pub async fn get_for_update(tx: &mut Tx<'_>, company: &CompanyId, id: &LocationId) -> Result<Option<Location>> {
    let sql = format!(
        "SELECT id, company_id, name, details, created_at, updated_at FROM locations WHERE company_id = $1 AND id = $2{}",
        for_update(&tx.conn())
    );
    let row: Option<Row> = run!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(company.as_str())
        .bind(id.as_str())
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?);
    row.map(Row::into_location).transpose()
}

pub async fn list(c: &mut impl Conn, company: &CompanyId) -> Result<Vec<Location>> {
    let rows: Vec<Row> = run!(c, |c| {
        sqlx::query_as(
        "SELECT id, company_id, name, details, created_at, updated_at FROM locations WHERE company_id = $1 ORDER BY id"
    )
    .bind(company.as_str())
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?
    });
    rows.into_iter().map(Row::into_location).collect()
}

/// Locks the company's locations for the rest of the transaction (PostgreSQL) so that two
/// concurrent deletes cannot both see "more than one left". SQLite has one writer already.
pub async fn count_for_update(tx: &mut Tx<'_>, company: &CompanyId) -> Result<i64> {
    match tx.conn() {
        crate::ConnRef::Sqlite(c) => sqlx::query_scalar("SELECT COUNT(*) FROM locations WHERE company_id = $1")
            .bind(company.as_str())
            .fetch_one(&mut *c)
            .await
            .map_err(db_err),
        crate::ConnRef::Postgres(c) => {
            let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM locations WHERE company_id = $1 FOR UPDATE")
                .bind(company.as_str())
                .fetch_all(&mut *c)
                .await
                .map_err(db_err)?;
            Ok(ids.len() as i64)
        }
    }
}

pub async fn delete(tx: &mut Tx<'_>, company: &CompanyId, id: &LocationId) -> Result<bool> {
    let n = run!(tx, |c| sqlx::query("DELETE FROM locations WHERE company_id = $1 AND id = $2")
        .bind(company.as_str())
        .bind(id.as_str())
        .execute(&mut *c)
        .await
        .map_err(db_err)?
        .rows_affected());
    Ok(n == 1)
}
