use switchboard_domain::company::Company;
use switchboard_domain::{CompanyId, Result, Timestamp};

use crate::sql::Sql;
use crate::table::table;
use crate::{Conn, Tx, from_json, parse_id, to_json};

table! {
    COMPANIES = "companies", Company as |c| {
        Key id: c.id.as_str(),
        Set name: &c.name,
        Set status: &c.status,
        Set profile: to_json(&c.profile)?,
        Fixed created_at: c.created_at,
        Set updated_at: c.updated_at,
    }
}

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
    Sql::insert(company)?.execute(tx).await?;
    Sql::new("INSERT INTO company_counters (company_id, event_seq) VALUES ($1, 0)")
        .bind(company.id.as_str())
        .execute(tx)
        .await
        .map(drop)
}

pub async fn get(c: &mut impl Conn, id: &CompanyId) -> Result<Option<Company>> {
    COMPANIES.select("WHERE id = $1").bind(id.as_str()).get(c, Row::into_company).await
}

/// Like [`get`], locking the row until the transaction ends.
pub async fn get_for_update(tx: &mut Tx<'_>, id: &CompanyId) -> Result<Option<Company>> {
    COMPANIES.select("WHERE id = $1").bind(id.as_str()).for_update().get(tx, Row::into_company).await
}

pub async fn update(tx: &mut Tx<'_>, company: &Company) -> Result<()> {
    Sql::update(company)?.execute(tx).await.map(drop)
}

pub async fn exists_any(c: &mut impl Conn) -> Result<bool> {
    let n: i64 = Sql::new("SELECT COUNT(*) FROM (SELECT 1 FROM companies LIMIT 1) AS t").scalar(c).await?;
    Ok(n > 0)
}

/// Records that the first-start company was made. Returns false if another process did it
/// first; the caller then rolls back.
pub async fn claim_bootstrap(tx: &mut Tx<'_>, company_id: &CompanyId) -> Result<bool> {
    let done =
        Sql::new("INSERT INTO bootstrap (id, company_id, created_at) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING")
            .bind(company_id.as_str())
            .bind(Timestamp::now())
            .execute(tx)
            .await?;
    Ok(done == 1)
}
