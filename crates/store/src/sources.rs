use switchboard_domain::outbound::OutboundUrl;
use switchboard_domain::source::sdk::AccessToken;
use switchboard_domain::source::{SdkConfig, Source, SourceConfig, SourceKind};
use switchboard_domain::{CompanyId, Error, Result, SourceId, Timestamp};

use crate::secrets::{Keyring, SealedColumns};
use crate::sql::Sql;
use crate::table::table;
use crate::{Conn, Tx, from_json, parse_id, to_json};

/// The access token signs a connector's calls: it is stored sealed (see [`crate::secrets`]).
pub(crate) const SEALED: SealedColumns = SealedColumns { table: "sources", columns: &["access_token"] };

/// A source as its row holds it: its access token sealed.
struct Stored<'a> {
    source: &'a Source,
    access_token: String,
}

impl<'a> Stored<'a> {
    fn new(keys: &Keyring, source: &'a Source) -> Result<Self> {
        let access_token =
            keys.seal(SEALED.place("access_token", source.id.as_str()), sdk(source).access_token.expose())?;
        Ok(Self { source, access_token })
    }
}

table! {
    SOURCES = "sources", Stored<'_> as |r| {
        Key id: r.source.id.as_str(),
        Key company_id: r.source.company_id.as_str(),
        Set name: &r.source.name,
        Fixed kind: r.source.kind().as_str(),
        Set base_uri: sdk(r.source).base_uri.as_ref().map(OutboundUrl::expose),
        Set access_token: r.access_token.as_str(),
        Set capabilities: to_json(&sdk(r.source).capabilities)?,
        Set sdk_settings: to_json(&sdk(r.source).settings)?,
        Fixed created_at: r.source.created_at,
        Set updated_at: r.source.updated_at,
    }
}

/// The columns hold an SDK source's configuration, the only kind so far: a second kind decides
/// here which of them it uses.
fn sdk(s: &Source) -> &SdkConfig {
    match &s.config {
        SourceConfig::Sdk(c) => c,
    }
}

/// Deleted sources are kept (their conversations stay) but exist for nobody.
const LIVE: &str = "deleted_at IS NULL";

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
    fn into_source(self, keys: &Keyring) -> Result<Source> {
        let config = match SourceKind::parse(&self.kind)
            .map_err(|_| Error::Internal(format!("unknown source kind {:?}", self.kind)))?
        {
            SourceKind::Sdk => SourceConfig::Sdk(SdkConfig {
                base_uri: self
                    .base_uri
                    .as_deref()
                    .map(OutboundUrl::from_stored)
                    .transpose()
                    .map_err(|e| Error::Internal(format!("source {}: {e}", self.id)))?,
                access_token: AccessToken::from_stored(
                    keys.open(SEALED.place("access_token", &self.id), &self.access_token)?,
                ),
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

pub async fn insert(tx: &mut Tx<'_>, s: &Source) -> Result<()> {
    let row = Stored::new(tx.secrets(), s)?;
    Sql::insert(&row)?.execute(tx).await.map(drop)
}

pub async fn update(tx: &mut Tx<'_>, s: &Source) -> Result<()> {
    let row = Stored::new(tx.secrets(), s)?;
    Sql::update(&row)?.append(&format!(" AND {LIVE}")).execute(tx).await.map(drop)
}

fn one<'a>(company: &'a CompanyId, id: &'a SourceId) -> Sql<'a> {
    SOURCES.one(company, id.as_str()).append(&format!(" AND {LIVE}"))
}

/// A live source of the company.
pub async fn get(c: &mut impl Conn, company: &CompanyId, id: &SourceId) -> Result<Option<Source>> {
    let keys = c.secrets().clone();
    one(company, id).get(c, |r: Row| r.into_source(&keys)).await
}

/// Like [`get`], locking the row until the transaction ends.
pub async fn get_for_update(tx: &mut Tx<'_>, company: &CompanyId, id: &SourceId) -> Result<Option<Source>> {
    let keys = tx.secrets().clone();
    one(company, id).for_update().get(tx, |r: Row| r.into_source(&keys)).await
}

/// A live source by id alone, for callers the source itself authenticates (the Send API signs
/// with the source's token, so the source names its company).
pub async fn get_any_company(c: &mut impl Conn, id: &SourceId) -> Result<Option<Source>> {
    let keys = c.secrets().clone();
    SOURCES.select(&format!("WHERE id = $1 AND {LIVE}")).bind(id.as_str()).get(c, |r: Row| r.into_source(&keys)).await
}

pub async fn list(c: &mut impl Conn, company: &CompanyId) -> Result<Vec<Source>> {
    let keys = c.secrets().clone();
    SOURCES
        .select(&format!("WHERE company_id = $1 AND {LIVE} ORDER BY id"))
        .bind(company.as_str())
        .list(c, |r: Row| r.into_source(&keys))
        .await
}

/// Marks the source deleted; its conversations stay.
pub async fn delete(tx: &mut Tx<'_>, company: &CompanyId, id: &SourceId) -> Result<bool> {
    let n = Sql::new(format!("UPDATE sources SET deleted_at = $3 WHERE company_id = $1 AND id = $2 AND {LIVE}"))
        .bind(company.as_str())
        .bind(id.as_str())
        .bind(Timestamp::now())
        .execute(tx)
        .await?;
    Ok(n == 1)
}

/// Every live source, of any company, that has a connector to poll.
pub async fn list_polled(c: &mut impl Conn) -> Result<Vec<Source>> {
    let keys = c.secrets().clone();
    SOURCES
        .select(&format!("WHERE kind = 'sdk' AND base_uri IS NOT NULL AND {LIVE} ORDER BY id"))
        .list(c, |r: Row| r.into_source(&keys))
        .await
}
