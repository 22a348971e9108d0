use switchboard_domain::company::Company;
use switchboard_domain::{CompanyId, Result, Timestamp};

use crate::{Conn, Tx, db_err, for_update, from_json, parse_id, run, to_json};

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    name: String,
    status: String,
    profile: String,
    created_at: i64,
    updated_at: i64,
}

impl Row {
    fn into_company(self) -> Result<Company> {
        Ok(Company {
            id: parse_id(self.id)?,
            name: self.name,
            status: self.status,
            profile: from_json(&self.profile)?,
            created_at: Timestamp::from_micros(self.created_at),
            updated_at: Timestamp::from_micros(self.updated_at),
        })
    }
}

/// Inserts the company and its event counter.
pub async fn insert(tx: &mut Tx<'_>, company: &Company) -> Result<()> {
    let profile = to_json(&company.profile)?;
    run!(tx, |c| {
        sqlx::query(
            "INSERT INTO companies (id, name, status, profile, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(company.id.as_str())
        .bind(&company.name)
        .bind(&company.status)
        .bind(&profile)
        .bind(company.created_at.as_micros())
        .bind(company.updated_at.as_micros())
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
        sqlx::query("INSERT INTO company_counters (company_id, event_seq) VALUES ($1, 0)")
            .bind(company.id.as_str())
            .execute(&mut *c)
            .await
            .map_err(db_err)?;
    });
    Ok(())
}

pub async fn get(c: &mut impl Conn, id: &CompanyId) -> Result<Option<Company>> {
    let row: Option<Row> = run!(c, |c| sqlx::query_as(
        "SELECT id, name, status, profile, created_at, updated_at FROM companies WHERE id = $1"
    )
    .bind(id.as_str())
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?);
    row.map(Row::into_company).transpose()
}

/// Like [`get`], locking the row until the transaction ends.
pub async fn get_for_update(tx: &mut Tx<'_>, id: &CompanyId) -> Result<Option<Company>> {
    let sql = format!(
        "SELECT id, name, status, profile, created_at, updated_at FROM companies WHERE id = $1{}",
        for_update(&tx.conn())
    );
    let row: Option<Row> = run!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(id.as_str())
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?);
    row.map(Row::into_company).transpose()
}

pub async fn update(tx: &mut Tx<'_>, company: &Company) -> Result<()> {
    let profile = to_json(&company.profile)?;
    run!(tx, |c| sqlx::query(
        "UPDATE companies SET name = $2, status = $3, profile = $4, updated_at = $5 WHERE id = $1"
    )
    .bind(company.id.as_str())
    .bind(&company.name)
    .bind(&company.status)
    .bind(&profile)
    .bind(company.updated_at.as_micros())
    .execute(&mut *c)
    .await
    .map_err(db_err)?
    .rows_affected());
    Ok(())
}

pub async fn exists_any(c: &mut impl Conn) -> Result<bool> {
    let n: i64 = run!(c, |c| sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT 1 FROM companies LIMIT 1) AS t")
        .fetch_one(&mut *c)
        .await
        .map_err(db_err)?);
    Ok(n > 0)
}

/// Records that the first-start company was made. Returns false if another process did it
/// first; the caller then rolls back.
pub async fn claim_bootstrap(tx: &mut Tx<'_>, company_id: &CompanyId) -> Result<bool> {
    let done = run!(tx, |c| sqlx::query(
        "INSERT INTO bootstrap (id, company_id, created_at) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING"
    )
    .bind(company_id.as_str())
    .bind(Timestamp::now().as_micros())
    .execute(&mut *c)
    .await
    .map_err(db_err)?
    .rows_affected());
    Ok(done == 1)
}
