use switchboard_domain::location::Location;
use switchboard_domain::{CompanyId, LocationId, Result, Timestamp};

use crate::sql::Sql;
use crate::table::table;
use crate::{Conn, Tx, from_json, parse_id, to_json};

table! {
    LOCATIONS = "locations", Location as |l| {
        Key id: l.id.as_str(),
        Key company_id: l.company_id.as_str(),
        Set name: &l.name,
        Set details: to_json(&l.details)?,
        Fixed created_at: l.created_at,
        Set updated_at: l.updated_at,
    }
}

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
    Sql::insert(l)?.execute(tx).await.map(drop)
}

pub async fn update(tx: &mut Tx<'_>, l: &Location) -> Result<()> {
    Sql::update(l)?.execute(tx).await.map(drop)
}

pub async fn get(c: &mut impl Conn, company: &CompanyId, id: &LocationId) -> Result<Option<Location>> {
    LOCATIONS.one(company, id.as_str()).get(c, Row::into_location).await
}

/// Like [`get`], locking the row until the transaction ends.
pub async fn get_for_update(tx: &mut Tx<'_>, company: &CompanyId, id: &LocationId) -> Result<Option<Location>> {
    LOCATIONS.one(company, id.as_str()).for_update().get(tx, Row::into_location).await
}

pub async fn list(c: &mut impl Conn, company: &CompanyId) -> Result<Vec<Location>> {
    LOCATIONS.select("WHERE company_id = $1 ORDER BY id").bind(company.as_str()).list(c, Row::into_location).await
}

/// Locks the company's locations for the rest of the transaction (PostgreSQL) so that two
/// concurrent deletes cannot both see "more than one left". SQLite has one writer already.
pub async fn count_for_update(tx: &mut Tx<'_>, company: &CompanyId) -> Result<i64> {
    let ids: Vec<String> = Sql::new("SELECT id FROM locations WHERE company_id = $1")
        .bind(company.as_str())
        .for_update()
        .scalars(tx)
        .await?;
    Ok(ids.len() as i64)
}

pub async fn delete(tx: &mut Tx<'_>, company: &CompanyId, id: &LocationId) -> Result<bool> {
    let n = LOCATIONS.delete_one(company, id.as_str()).execute(tx).await?;
    Ok(n == 1)
}
