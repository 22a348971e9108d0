use switchboard_domain::conversation::Identity;
use switchboard_domain::{CompanyId, IdentityId, Result, SourceId, Timestamp};

use crate::{Conn, Keyset, Tx, db_err, foreign_id_in_json_list, from_json, parse_id, run, to_json};

const COLUMNS: &str = "id, company_id, source_id, foreign_id, profile, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    company_id: String,
    source_id: String,
    foreign_id: String,
    profile: String,
    created_at: i64,
    updated_at: i64,
}

impl Row {
    fn into_identity(self) -> Result<Identity> {
        Ok(Identity {
            id: parse_id(self.id)?,
            company_id: parse_id(self.company_id)?,
            source_id: parse_id(self.source_id)?,
            foreign_id: self.foreign_id,
            profile: from_json(&self.profile)?,
            created_at: Timestamp::from_micros(self.created_at),
            updated_at: Timestamp::from_micros(self.updated_at),
        })
    }
}

/// The source's identities among these foreign ids (those that exist).
pub async fn get_many_by_foreign(c: &mut impl Conn, source: &SourceId, foreign_ids: &[&str]) -> Result<Vec<Identity>> {
    let sql =
        format!("SELECT {COLUMNS} FROM identities WHERE source_id = $1 AND {}", foreign_id_in_json_list(&c.conn()));
    let list = to_json(&foreign_ids)?;
    let rows: Vec<Row> = run!(c, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(source.as_str())
        .bind(&list)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?);
    rows.into_iter().map(Row::into_identity).collect()
}

pub async fn get(c: &mut impl Conn, company: &CompanyId, id: &IdentityId) -> Result<Option<Identity>> {
    let row: Option<Row> = run!(c, |c| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM identities WHERE company_id = $1 AND id = $2"
    )))
    .bind(company.as_str())
    .bind(id.as_str())
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?);
    row.map(Row::into_identity).transpose()
}

/// Inserts the identity unless the source already has one with its foreign id (another node may
/// have just imported it). True when inserted.
pub async fn insert(tx: &mut Tx<'_>, i: &Identity) -> Result<bool> {
    let profile = to_json(&i.profile)?;
    let n = run!(tx, |c| {
        sqlx::query("INSERT INTO identities (id, company_id, source_id, foreign_id, profile, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (source_id, foreign_id) DO NOTHING")
        .bind(i.id.as_str())
        .bind(i.company_id.as_str())
        .bind(i.source_id.as_str())
        .bind(&i.foreign_id)
        .bind(&profile)
        .bind(i.created_at.as_micros())
        .bind(i.updated_at.as_micros())
        .execute(&mut *c)
        .await
        .map_err(db_err)?
        .rows_affected()
    });
    Ok(n == 1)
}

pub async fn update_profile(tx: &mut Tx<'_>, i: &Identity) -> Result<()> {
    let profile = to_json(&i.profile)?;
    run!(tx, |c| sqlx::query("UPDATE identities SET profile = $2, updated_at = $3 WHERE id = $1")
        .bind(i.id.as_str())
        .bind(&profile)
        .bind(i.updated_at.as_micros())
        .execute(&mut *c)
        .await
        .map_err(db_err)?
        .rows_affected());
    Ok(())
}

/// A page of the company's identities, newest first, after `after`.
pub async fn list(c: &mut impl Conn, company: &CompanyId, after: &Keyset, limit: i64) -> Result<Vec<Identity>> {
    let rows: Vec<Row> = run!(c, |c| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM identities WHERE company_id = $1 AND (created_at < $2 OR (created_at = $2 AND id < $3)) ORDER BY created_at DESC, id DESC LIMIT $4"
    )))
    .bind(company.as_str())
    .bind(after.created_at)
    .bind(&after.id)
    .bind(limit)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?
    });
    rows.into_iter().map(Row::into_identity).collect()
}
