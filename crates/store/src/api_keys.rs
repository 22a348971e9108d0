//! API keys are stored only as a SHA-256 hash. Keys carry 256 bits of entropy, so a fast hash
//! is as safe as a slow one and keeps every request's lookup cheap.

use sha2::{Digest, Sha256};
use switchboard_domain::{ApiKeyId, CompanyId, Result, Timestamp};

use crate::sql::Sql;
use crate::table::table;
use crate::{Conn, Tx, parse_id};

pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

pub struct NewApiKey<'a> {
    pub id: ApiKeyId,
    pub company_id: &'a CompanyId,
    pub key: &'a str,
    /// Enough of the key to recognise it in a list, never enough to use it.
    pub prefix: &'a str,
    pub name: &'a str,
}

table! {
    API_KEYS = "api_keys", NewApiKey<'_> as |k| {
        Key id: k.id.as_str(),
        Fixed company_id: k.company_id.as_str(),
        Fixed key_hash: hash_key(k.key),
        Fixed prefix: k.prefix,
        Fixed name: k.name,
        Fixed created_at: Timestamp::now(),
    }
}

pub async fn insert(tx: &mut Tx<'_>, k: &NewApiKey<'_>) -> Result<()> {
    Sql::insert(k)?.execute(tx).await.map(drop)
}

/// The company a key belongs to, if the key exists and is not revoked.
pub async fn company_of(c: &mut impl Conn, key: &str) -> Result<Option<CompanyId>> {
    let id: Option<String> = Sql::new("SELECT company_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL")
        .bind(hash_key(key))
        .scalar_optional(c)
        .await?;
    id.map(parse_id).transpose()
}
