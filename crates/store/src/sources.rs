use switchboard_domain::source::sdk::AccessToken;
use switchboard_domain::source::{SdkConfig, Source, SourceConfig, SourceKind};
use switchboard_domain::{CompanyId, Error, Result, SourceId, Timestamp};

use crate::{Conn, Tx, db_err, for_update, from_json, parse_id, run, to_json};

const COLUMNS: &str =
    "id, company_id, name, kind, base_uri, access_token, capabilities, sdk_settings, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    company_id: String,
    name: String,
    kind: String,
    base_uri: Option<String>,
    access_token: String,
    capabilities: String,
    sdk_settings: String,
    created_at: i64,
    updated_at: i64,
}

impl Row {
    fn into_source(self) -> Result<Source> {
        let config = match SourceKind::parse(&self.kind)
            .map_err(|_| Error::Internal(format!("unknown source kind {:?}", self.kind)))?
        {
            SourceKind::Sdk => SourceConfig::Sdk(SdkConfig {
                base_uri: self.base_uri,
                access_token: AccessToken::from_stored(self.access_token),
                capabilities: from_json(&self.capabilities)?,
                settings: from_json(&self.sdk_settings)?,
            }),
        };
        Ok(Source {
            id: parse_id(self.id)?,
            company_id: parse_id(self.company_id)?,
            name: self.name,
            config,
            created_at: Timestamp::from_micros(self.created_at),
            updated_at: Timestamp::from_micros(self.updated_at),
        })
    }
}

/// The columns a source's configuration is kept in.
struct ConfigColumns<'a> {
    base_uri: Option<&'a str>,
    access_token: &'a str,
    capabilities: String,
    settings: String,
}

impl<'a> ConfigColumns<'a> {
    fn of(s: &'a Source) -> Result<Self> {
        match &s.config {
            SourceConfig::Sdk(c) => Ok(Self {
                base_uri: c.base_uri.as_deref(),
                access_token: c.access_token.expose(),
                capabilities: to_json(&c.capabilities)?,
                settings: to_json(&c.settings)?,
            }),
        }
    }
}

pub async fn insert(tx: &mut Tx<'_>, s: &Source) -> Result<()> {
    let ConfigColumns { base_uri, access_token, capabilities, settings } = ConfigColumns::of(s)?;
    run!(tx, |c| {
        sqlx::query(
        "INSERT INTO sources (id, company_id, name, kind, base_uri, access_token, capabilities, created_at, updated_at, sdk_settings) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    )
    .bind(s.id.as_str())
    .bind(s.company_id.as_str())
    .bind(&s.name)
    .bind(s.kind().as_str())
    .bind(base_uri)
    .bind(access_token)
    .bind(&capabilities)
    .bind(s.created_at.as_micros())
    .bind(s.updated_at.as_micros())
    .bind(&settings)
    .execute(&mut *c)
    .await
    .map_err(db_err)?
    .rows_affected()
    });
    Ok(())
}

pub async fn update(tx: &mut Tx<'_>, s: &Source) -> Result<()> {
    let ConfigColumns { base_uri, access_token, capabilities, settings } = ConfigColumns::of(s)?;
    run!(tx, |c| {
        sqlx::query(
        "UPDATE sources SET name = $3, base_uri = $4, access_token = $5, capabilities = $6, updated_at = $7, sdk_settings = $8 WHERE company_id = $1 AND id = $2 AND deleted_at IS NULL"
    )
    .bind(s.company_id.as_str())
    .bind(s.id.as_str())
    .bind(&s.name)
    .bind(base_uri)
    .bind(access_token)
    .bind(&capabilities)
    .bind(s.updated_at.as_micros())
    .bind(&settings)
    .execute(&mut *c)
    .await
    .map_err(db_err)?
    .rows_affected()
    });
    Ok(())
}

/// A live source of the company.
pub async fn get(c: &mut impl Conn, company: &CompanyId, id: &SourceId) -> Result<Option<Source>> {
    let row: Option<Row> = run!(c, |c| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM sources WHERE company_id = $1 AND id = $2 AND deleted_at IS NULL"
    )))
    .bind(company.as_str())
    .bind(id.as_str())
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?);
    row.map(Row::into_source).transpose()
}

/// Like [`get`], locking the row until the transaction ends.
pub async fn get_for_update(tx: &mut Tx<'_>, company: &CompanyId, id: &SourceId) -> Result<Option<Source>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM sources WHERE company_id = $1 AND id = $2 AND deleted_at IS NULL{}",
        for_update(&tx.conn())
    );
    let row: Option<Row> = run!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(company.as_str())
        .bind(id.as_str())
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?);
    row.map(Row::into_source).transpose()
}

/// A live source by id alone, for callers the source itself authenticates (the Send API signs
/// with the source's token, so the source names its company).
pub async fn get_any_company(c: &mut impl Conn, id: &SourceId) -> Result<Option<Source>> {
    let row: Option<Row> = run!(c, |c| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM sources WHERE id = $1 AND deleted_at IS NULL"
    )))
    .bind(id.as_str())
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?);
    row.map(Row::into_source).transpose()
}

pub async fn list(c: &mut impl Conn, company: &CompanyId) -> Result<Vec<Source>> {
    let rows: Vec<Row> = run!(c, |c| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM sources WHERE company_id = $1 AND deleted_at IS NULL ORDER BY id"
    )))
    .bind(company.as_str())
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?);
    rows.into_iter().map(Row::into_source).collect()
}

/// Marks the source deleted; its conversations stay.
pub async fn delete(tx: &mut Tx<'_>, company: &CompanyId, id: &SourceId) -> Result<bool> {
    let n = run!(tx, |c| sqlx::query(
        "UPDATE sources SET deleted_at = $3 WHERE company_id = $1 AND id = $2 AND deleted_at IS NULL"
    )
    .bind(company.as_str())
    .bind(id.as_str())
    .bind(Timestamp::now().as_micros())
    .execute(&mut *c)
    .await
    .map_err(db_err)?
    .rows_affected());
    Ok(n == 1)
}

/// Every live source, of any company, that has a connector to poll.
pub async fn list_polled(c: &mut impl Conn) -> Result<Vec<Source>> {
    let rows: Vec<Row> = run!(c, |c| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM sources WHERE kind = 'sdk' AND base_uri IS NOT NULL AND deleted_at IS NULL ORDER BY id"
    )))
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?
    });
    rows.into_iter().map(Row::into_source).collect()
}
