use serde::{Deserialize, Serialize};
use switchboard_domain::email::Email;
use switchboard_domain::outbound::OutboundUrl;
use switchboard_domain::source::sdk::AccessToken;
use switchboard_domain::source::sms::{CarrierCredentials, CarrierKind};
use switchboard_domain::source::{SdkConfig, SmsConfig, Source, SourceConfig, SourceKind};
use switchboard_domain::texting::PhoneNumber;
use switchboard_domain::{CompanyId, Error, Result, SourceId, Timestamp};

use crate::secrets::{Keyring, SealedColumns};
use crate::sql::Sql;
use crate::table::table;
use crate::{Conn, Tx, from_json, parse_id, to_json};

/// The source's secret, stored sealed (see [`crate::secrets`]): an SDK connector's access
/// token, or an SMS number's carrier credentials (as JSON).
pub(crate) const SEALED: SealedColumns = SealedColumns { table: "sources", columns: &["access_token"] };

/// A source as its row holds it: its secret sealed, each kind's settings in its columns.
struct Stored<'a> {
    source: &'a Source,
    access_token: String,
    sdk: Option<&'a SdkConfig>,
    sms: Option<String>,
}

/// What the `sms` column holds of an SMS source (its number and secret have their own).
#[derive(Serialize, Deserialize)]
struct SmsSettings {
    carrier: String,
    owners: Vec<Email>,
    rate_per_minute: u32,
}

impl<'a> Stored<'a> {
    fn new(keys: &Keyring, source: &'a Source) -> Result<Self> {
        let place = SEALED.place("access_token", source.id.as_str());
        Ok(match &source.config {
            SourceConfig::Sdk(c) => {
                Self { source, access_token: keys.seal(place, c.access_token.expose())?, sdk: Some(c), sms: None }
            }
            SourceConfig::Sms(c) => {
                let settings = SmsSettings {
                    carrier: c.carrier.as_str().to_owned(),
                    owners: c.owners.clone(),
                    rate_per_minute: c.rate_per_minute,
                };
                Self {
                    source,
                    access_token: keys.seal(place, &to_json(&c.credentials.0)?)?,
                    sdk: None,
                    sms: Some(to_json(&settings)?),
                }
            }
        })
    }

    fn sms_number(&self) -> Option<&'a str> {
        match &self.source.config {
            SourceConfig::Sms(c) => Some(c.number.as_str()),
            SourceConfig::Sdk(_) => None,
        }
    }
}

table! {
    SOURCES = "sources", Stored<'_> as |r| {
        Key id: r.source.id.as_str(),
        Key company_id: r.source.company_id.as_str(),
        Set name: &r.source.name,
        Fixed kind: r.source.kind().as_str(),
        Set base_uri: r.sdk.and_then(|c| c.base_uri.as_ref()).map(OutboundUrl::expose),
        Set access_token: r.access_token.as_str(),
        Set capabilities: r.sdk.map(|c| to_json(&c.capabilities)).transpose()?.unwrap_or_else(|| "{}".into()),
        Set sdk_settings: r.sdk.map(|c| to_json(&c.settings)).transpose()?.unwrap_or_else(|| "{}".into()),
        Set sms_number: r.sms_number(),
        Set sms: r.sms.as_deref(),
        Fixed created_at: r.source.created_at,
        Set updated_at: r.source.updated_at,
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
    sms_number: Option<String>,
    sms: Option<String>,
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
            SourceKind::Sms => {
                let broken = |what: &str| Error::Internal(format!("source {}: {what}", self.id));
                let settings: SmsSettings = from_json(self.sms.as_deref().ok_or_else(|| broken("no sms settings"))?)?;
                let number = self.sms_number.as_deref().ok_or_else(|| broken("no sms number"))?;
                SourceConfig::Sms(SmsConfig {
                    number: PhoneNumber::parse("sms_number", number).map_err(|e| broken(&e.to_string()))?,
                    carrier: CarrierKind::parse("carrier", &settings.carrier).map_err(|e| broken(&e.to_string()))?,
                    credentials: CarrierCredentials(from_json(
                        &keys.open(SEALED.place("access_token", &self.id), &self.access_token)?,
                    )?),
                    owners: settings.owners,
                    rate_per_minute: settings.rate_per_minute,
                })
            }
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

/// The live SMS source of this number, whichever company has it: where a carrier delivers.
pub async fn get_by_sms_number(c: &mut impl Conn, number: &PhoneNumber) -> Result<Option<Source>> {
    let keys = c.secrets().clone();
    SOURCES
        .select(&format!("WHERE sms_number = $1 AND {LIVE}"))
        .bind(number.as_str())
        .get(c, |r: Row| r.into_source(&keys))
        .await
}

/// The company's live SMS sources, by number.
pub async fn list_sms(c: &mut impl Conn, company: &CompanyId) -> Result<Vec<Source>> {
    let keys = c.secrets().clone();
    SOURCES
        .select(&format!("WHERE company_id = $1 AND kind = 'sms' AND {LIVE} ORDER BY sms_number"))
        .bind(company.as_str())
        .list(c, |r: Row| r.into_source(&keys))
        .await
}
