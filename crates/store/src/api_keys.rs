//! API keys are stored only as a SHA-256 hash. Keys carry 256 bits of entropy, so a fast hash
//! is as safe as a slow one and keeps every request's lookup cheap.

use sha2::{Digest, Sha256};
use switchboard_domain::{ApiKeyId, CompanyId, Result, Timestamp};

use crate::{Conn, Tx, db_err, parse_id, run};

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

pub async fn insert(tx: &mut Tx<'_>, k: &NewApiKey<'_>) -> Result<()> {
    let hash = hash_key(k.key);
    run!(tx, |c| sqlx::query(
        "INSERT INTO api_keys (id, company_id, key_hash, prefix, name, created_at) VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(k.id.as_str())
    .bind(k.company_id.as_str())
    .bind(&hash)
    .bind(k.prefix)
    .bind(k.name)
    .bind(Timestamp::now().as_micros())
    .execute(&mut *c)
    .await
    .map_err(db_err)?
    .rows_affected());
    Ok(())
}

/// The company a key belongs to, if the key exists and is not revoked.
pub async fn company_of(c: &mut impl Conn, key: &str) -> Result<Option<CompanyId>> {
    let hash = hash_key(key);
    let id: Option<String> =
        run!(c, |c| sqlx::query_scalar("SELECT company_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL")
            .bind(&hash)
            .fetch_optional(&mut *c)
            .await
            .map_err(db_err)?);
    id.map(parse_id).transpose()
}
