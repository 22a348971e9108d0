use switchboard_domain::conversation::Identity;
use switchboard_domain::{CompanyId, IdentityId, Result, SourceId, Timestamp};

use crate::sql::Sql;
use crate::table::table;
use crate::{Conn, Keyset, Tx, from_json, parse_id, to_json};

table! {
    IDENTITIES = "identities", Identity as |i| {
        Key id: i.id.as_str(),
        Fixed company_id: i.company_id.as_str(),
        Fixed source_id: i.source_id.as_str(),
        Fixed foreign_id: &i.foreign_id,
        Set profile: to_json(&i.profile)?,
        Fixed created_at: i.created_at,
        Set updated_at: i.updated_at,
    }
}

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
    IDENTITIES
        .select("WHERE source_id = $1")
        .bind(source.as_str())
        .and_in(c.backend(), "foreign_id", foreign_ids)?
        .list(c, Row::into_identity)
        .await
}

pub async fn get(c: &mut impl Conn, company: &CompanyId, id: &IdentityId) -> Result<Option<Identity>> {
    IDENTITIES.one(company, id.as_str()).get(c, Row::into_identity).await
}

/// Inserts the identity unless the source already has one with its foreign id (another node may
/// have just imported it). True when inserted.
pub async fn insert(tx: &mut Tx<'_>, i: &Identity) -> Result<bool> {
    let n = Sql::insert(i)?.append(" ON CONFLICT (source_id, foreign_id) DO NOTHING").execute(tx).await?;
    Ok(n == 1)
}

pub async fn update_profile(tx: &mut Tx<'_>, i: &Identity) -> Result<()> {
    Sql::update(i)?.execute(tx).await.map(drop)
}

/// A page of the company's identities, newest first, after `after`.
pub async fn list(c: &mut impl Conn, company: &CompanyId, after: &Keyset, limit: i64) -> Result<Vec<Identity>> {
    IDENTITIES
        .select("WHERE company_id = $1")
        .bind(company.as_str())
        .page_after(after, limit)
        .list(c, Row::into_identity)
        .await
}

/// The company's texting contact with this E.164 number.
pub async fn get_by_sms_number(c: &mut impl Conn, company: &CompanyId, number: &str) -> Result<Option<Identity>> {
    IDENTITIES
        .select("WHERE company_id = $1 AND sms_number = $2")
        .bind(company.as_str())
        .bind(number)
        .get(c, Row::into_identity)
        .await
}

/// Makes the identity the company's texting contact of `number` (unique per company).
pub async fn set_sms_number(tx: &mut Tx<'_>, id: &IdentityId, number: &str) -> Result<()> {
    Sql::new("UPDATE identities SET sms_number = $1 WHERE id = $2")
        .bind(number)
        .bind(id.as_str())
        .execute(tx)
        .await
        .map(drop)
}

/// The company's texting contacts, by number.
pub async fn list_sms(c: &mut impl Conn, company: &CompanyId) -> Result<Vec<Identity>> {
    IDENTITIES
        .select("WHERE company_id = $1 AND sms_number IS NOT NULL ORDER BY sms_number")
        .bind(company.as_str())
        .list(c, Row::into_identity)
        .await
}
