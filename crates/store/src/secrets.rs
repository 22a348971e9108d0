//! Secrets at rest. The secrets Switchboard must use again — a source's access token, which
//! signs its connector's calls; a webhook endpoint's signing secret (and the previous one, kept
//! for a day after a rotation) and the tokens it sends — are stored sealed with
//! XChaCha20-Poly1305 under a key from the configuration, so that a copy of the database alone
//! gives none of them. The store seals them as it writes and opens them as it reads: the layers
//! above only ever see the domain's secret types.
//!
//! A sealed value reads `enc:v1:<key id>:<base64url(nonce ‖ ciphertext)>`, so a value still in
//! clear (written before encryption at rest) is told apart, and each value names the key that
//! opens it. A key's id is a fingerprint of the key: nodes given the same key name it the same
//! way without configuring ids. Several keys are held at once during a rotation: the first
//! seals, the others only open. A value is bound to its table, column and row (the AEAD's
//! associated data), so a sealed value copied into another row does not open there.
//!
//! Each node registers the id of the key it seals with (`secret_keys`), and a node is refused
//! before it serves when the database holds a value, or names a key, that it has no key for:
//! several nodes on one database must share their keys.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use switchboard_domain::{Error, Result, Timestamp};

use crate::sql::Sql;
use crate::{Store, sources, webhooks};

const PREFIX: &str = "enc:v1:";
const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 24;
/// Hex digits of a key id.
const ID_LEN: usize = 16;

/// Every sealed column, by table.
const SEALED: [SealedColumns; 2] = [sources::SEALED, webhooks::SEALED];

/// A table's sealed columns. Its rows are named by their `id`.
pub(crate) struct SealedColumns {
    pub(crate) table: &'static str,
    pub(crate) columns: &'static [&'static str],
}

impl SealedColumns {
    /// Where the value of `column` in row `row` is stored.
    pub(crate) fn place<'a>(&self, column: &'static str, row: &'a str) -> Place<'a> {
        debug_assert!(self.columns.contains(&column), "{column} is not a sealed column of {}", self.table);
        Place { table: self.table, column, row }
    }
}

/// Where a sealed value is stored; bound to it as associated data.
#[derive(Clone, Copy)]
pub(crate) struct Place<'a> {
    table: &'static str,
    column: &'static str,
    row: &'a str,
}

impl Place<'_> {
    fn associated_data(&self) -> String {
        format!("{}.{}:{}", self.table, self.column, self.row)
    }
}

impl fmt::Display for Place<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{} of row {}", self.table, self.column, self.row)
    }
}

struct Key {
    id: String,
    cipher: XChaCha20Poly1305,
    /// HMAC-SHA256 keyed with the key, from which keys for other purposes are derived.
    deriver: Hmac<Sha256>,
}

/// The keys that seal and open stored secrets: the first seals, all open. A store given none
/// can neither read nor write a secret (it can still migrate). Its `Debug` shows key ids only.
#[derive(Clone, Default)]
pub struct Keyring {
    keys: Arc<Vec<Key>>,
}

impl Keyring {
    /// Keys as the configuration gives them: each the base64 of 32 bytes, separated by commas or
    /// whitespace, the one that seals first.
    pub fn parse(text: &str) -> Result<Self> {
        let mut keys: Vec<Key> = Vec::new();
        for (n, encoded) in text.split(|c: char| c == ',' || c.is_whitespace()).filter(|k| !k.is_empty()).enumerate() {
            let bytes = STANDARD.decode(encoded).ok().filter(|b| b.len() == KEY_LEN).ok_or_else(|| {
                Error::invalid(format!(
                    "secrets key #{} is not the base64 of {KEY_LEN} bytes (`switchboard secrets generate-key` makes one)",
                    n + 1
                ))
            })?;
            let id = key_id(&bytes);
            if !keys.iter().any(|k| k.id == id) {
                let cipher = XChaCha20Poly1305::new_from_slice(&bytes).map_err(|e| Error::Internal(e.to_string()))?;
                let deriver =
                    <Hmac<Sha256> as Mac>::new_from_slice(&bytes).map_err(|e| Error::Internal(e.to_string()))?;
                keys.push(Key { id, cipher, deriver });
            }
        }
        Ok(Self { keys: Arc::new(keys) })
    }

    /// A new random key, in the form [`Keyring::parse`] reads.
    pub fn generate_key() -> String {
        let mut key = [0u8; KEY_LEN];
        rand::rng().fill_bytes(&mut key);
        STANDARD.encode(key)
    }

    /// The id of the key that seals, if there is one.
    pub fn current_id(&self) -> Option<&str> {
        self.keys.first().map(|k| k.id.as_str())
    }

    pub fn has(&self, id: &str) -> bool {
        self.keys.iter().any(|k| k.id == id)
    }

    /// A key for `purpose` (signing file links, say) derived from each key of the ring, the
    /// current one first: one sign with the first and accept any, so that what was signed before
    /// a rotation still verifies while the older key is kept. A derived key tells nothing of the
    /// key it comes from, nor of the keys of other purposes.
    pub fn derive(&self, purpose: &str) -> Vec<[u8; KEY_LEN]> {
        self.keys
            .iter()
            .map(|k| {
                let mut mac = k.deriver.clone();
                mac.update(b"switchboard derived key\0");
                mac.update(purpose.as_bytes());
                mac.finalize().into_bytes().into()
            })
            .collect()
    }

    pub(crate) fn seal(&self, place: Place<'_>, plain: &str) -> Result<String> {
        let key = self.keys.first().ok_or_else(no_key)?;
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let aad = place.associated_data();
        let sealed = key
            .cipher
            .encrypt(&XNonce::from(nonce), Payload { msg: plain.as_bytes(), aad: aad.as_bytes() })
            .map_err(|_| Error::Internal(format!("cannot seal {place}")))?;
        let mut out = nonce.to_vec();
        out.extend(sealed);
        Ok(format!("{PREFIX}{}:{}", key.id, URL_SAFE_NO_PAD.encode(out)))
    }

    pub(crate) fn open(&self, place: Place<'_>, stored: &str) -> Result<String> {
        let (id, body) = split(stored).ok_or_else(|| {
            Error::Internal(format!("{place} is stored in clear: start `switchboard serve` once to seal it"))
        })?;
        let key = self.keys.iter().find(|k| k.id == id).ok_or_else(|| {
            Error::Internal(format!("{place} is sealed with secrets key {id}, which this node does not have"))
        })?;
        let broken = || Error::Internal(format!("{place} does not open with secrets key {id}: the row was altered"));
        let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| broken())?;
        let (nonce, sealed) = bytes.split_at_checked(NONCE_LEN).ok_or_else(broken)?;
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| broken())?;
        let aad = place.associated_data();
        let plain = key
            .cipher
            .decrypt(&XNonce::from(nonce), Payload { msg: sealed, aad: aad.as_bytes() })
            .map_err(|_| broken())?;
        String::from_utf8(plain).map_err(|_| broken())
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring").field("ids", &self.keys.iter().map(|k| k.id.as_str()).collect::<Vec<_>>()).finish()
    }
}

fn key_id(key: &[u8]) -> String {
    let digest = Sha256::new().chain_update(b"switchboard secrets key id\0").chain_update(key).finalize();
    hex::encode(&digest[..ID_LEN / 2])
}

/// The key id and body of a sealed value; `None` for a value in clear.
fn split(stored: &str) -> Option<(&str, &str)> {
    let rest = stored.strip_prefix(PREFIX)?;
    rest.split_once(':').filter(|(id, _)| id.len() == ID_LEN)
}

fn no_key() -> Error {
    Error::invalid("no secrets key is configured: secrets cannot be stored or read")
}

/// What [`Store::prepare_secrets`] found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Prepared {
    /// Values found in clear and sealed now.
    pub sealed: u64,
    /// Values sealed with an older key than the current one: `switchboard secrets rotate`
    /// seals them with the current key.
    pub under_older_keys: u64,
}

impl Store {
    /// Readies the stored secrets for this node, before it serves. Refuses a database that holds
    /// a secret sealed with a key this node lacks, or where another node registered a key this
    /// node lacks (it would seal secrets this node cannot open); then registers this node's
    /// current key, and seals the values still stored in clear (written before secrets were
    /// encrypted at rest). An interrupted start leaves every value either in clear or sealed,
    /// and the next start goes on.
    pub async fn prepare_secrets(&self) -> Result<Prepared> {
        let keys = self.secrets();
        let current = keys.current_id().ok_or_else(no_key)?.to_owned();
        let in_use = self.keys_in_use().await?;
        self.refuse_missing_keys(&in_use, true).await?;
        let registered = self.register_key(&current).await?;
        // Another node may have registered its own key meanwhile: the later of the two sees it.
        if let Err(e) = self.refuse_missing_keys(&[], true).await {
            if registered {
                self.forget_key(&current).await?;
            }
            return Err(e);
        }
        let sealed = self.reseal(|stored| split(stored).is_none()).await?;
        let under_older_keys = in_use.iter().filter(|(id, _)| *id != current).map(|(_, n)| n).sum();
        Ok(Prepared { sealed, under_older_keys })
    }

    /// Seals every stored secret with the current key, opening it with the older key that
    /// sealed it; then forgets the keys no stored secret uses any more. Safe while nodes serve:
    /// a value changed meanwhile is left as its writer sealed it. Returns how many were sealed.
    pub async fn rotate_secrets(&self) -> Result<u64> {
        let current = self.secrets().current_id().ok_or_else(no_key)?.to_owned();
        self.refuse_missing_keys(&self.keys_in_use().await?, false).await?;
        let resealed = self.reseal(|stored| split(stored).is_none_or(|(id, _)| id != current)).await?;
        self.register_key(&current).await?;
        let in_use = self.keys_in_use().await?;
        let mut tx = self.begin().await?;
        for id in Sql::new("SELECT id FROM secret_keys").scalars::<String>(&mut tx).await? {
            if id != current && !in_use.iter().any(|(used, _)| *used == id) {
                Sql::new("DELETE FROM secret_keys WHERE id = $1").bind(id).execute(&mut tx).await?;
            }
        }
        tx.commit().await?;
        Ok(resealed)
    }

    /// The ids of the keys stored values are sealed with, and how many values each seals.
    async fn keys_in_use(&self) -> Result<Vec<(String, u64)>> {
        let mut r = self.reader().await?;
        let mut in_use: Vec<(String, u64)> = Vec::new();
        for sealed in &SEALED {
            for column in sealed.columns {
                // The id is the fixed-length field after the prefix.
                let sql = format!(
                    "SELECT substr({column}, {start}, {ID_LEN}) AS key_id, COUNT(*) FROM {table} \
                     WHERE {column} LIKE '{PREFIX}%' GROUP BY key_id",
                    start = PREFIX.len() + 1,
                    table = sealed.table,
                );
                for (id, n) in Sql::new(sql).fetch_all::<(String, i64)>(&mut r).await? {
                    match in_use.iter_mut().find(|(used, _)| *used == id) {
                        Some((_, count)) => *count += n as u64,
                        None => in_use.push((id, n as u64)),
                    }
                }
            }
        }
        Ok(in_use)
    }

    /// Fails, naming the first key this node lacks, if a stored value is sealed with it or (with
    /// `registered`) a node registered it.
    async fn refuse_missing_keys(&self, in_use: &[(String, u64)], registered: bool) -> Result<()> {
        let keys = self.secrets();
        if let Some((id, n)) = in_use.iter().find(|(id, _)| !keys.has(id)) {
            return Err(Error::invalid(format!(
                "the database holds {n} secret(s) sealed with secrets key {id}, which this node does not have \
                 (it has {keys:?}): give every node the same secrets.key"
            )));
        }
        if registered {
            let ids: Vec<String> =
                Sql::new("SELECT id FROM secret_keys ORDER BY id").scalars(&mut self.reader().await?).await?;
            if let Some(id) = ids.iter().find(|id| !keys.has(id)) {
                return Err(Error::invalid(format!(
                    "another node seals secrets with secrets key {id}, which this node does not have (it has \
                     {keys:?}): give every node the same secrets.key. If no node uses that key any more, \
                     `switchboard secrets rotate` forgets it"
                )));
            }
        }
        Ok(())
    }

    /// Registers `id` as a key nodes seal with; whether it was new.
    async fn register_key(&self, id: &str) -> Result<bool> {
        let mut tx = self.begin().await?;
        let n = Sql::new("INSERT INTO secret_keys (id, created_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING")
            .bind(id)
            .bind(Timestamp::now())
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn forget_key(&self, id: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        Sql::new("DELETE FROM secret_keys WHERE id = $1").bind(id).execute(&mut tx).await?;
        tx.commit().await
    }

    /// Seals again, with the current key, each stored value `stale` says must be; returns how
    /// many were. A row is rewritten only if its value is still the one read, so a value a
    /// serving node changed meanwhile is kept.
    async fn reseal(&self, stale: impl Fn(&str) -> bool) -> Result<u64> {
        let keys = self.secrets().clone();
        let mut done = 0;
        for sealed in &SEALED {
            for column in sealed.columns {
                let rows: Vec<(String, String)> =
                    Sql::new(format!("SELECT id, {column} FROM {} WHERE {column} IS NOT NULL", sealed.table))
                        .fetch_all(&mut self.reader().await?)
                        .await?;
                for (id, stored) in rows.into_iter().filter(|(_, stored)| stale(stored)) {
                    let place = sealed.place(column, &id);
                    let plain = match split(&stored) {
                        Some(_) => keys.open(place, &stored)?,
                        None => stored.clone(),
                    };
                    let update = format!("UPDATE {} SET {column} = $1 WHERE id = $2 AND {column} = $3", sealed.table);
                    let mut tx = self.begin().await?;
                    done += Sql::new(update)
                        .bind(keys.seal(place, &plain)?)
                        .bind(&id)
                        .bind(&stored)
                        .execute(&mut tx)
                        .await?;
                    tx.commit().await?;
                }
            }
        }
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: SealedColumns = SealedColumns { table: "t", columns: &["c", "d"] };

    fn keyring() -> Keyring {
        Keyring::parse(&Keyring::generate_key()).unwrap()
    }

    #[test]
    fn a_sealed_value_names_its_key_holds_no_plaintext_and_opens_in_its_place() {
        let keys = keyring();
        let sealed = keys.seal(TABLE.place("c", "r1"), "whsec_plain").unwrap();
        let id = keys.current_id().unwrap();
        assert!(sealed.starts_with(&format!("enc:v1:{id}:")), "{sealed}");
        assert!(!sealed.contains("plain"));
        assert_ne!(sealed, keys.seal(TABLE.place("c", "r1"), "whsec_plain").unwrap(), "a fresh nonce each time");
        assert_eq!(keys.open(TABLE.place("c", "r1"), &sealed).unwrap(), "whsec_plain");
    }

    #[test]
    fn a_sealed_value_does_not_open_in_another_row_or_column_or_once_altered() {
        let keys = keyring();
        let sealed = keys.seal(TABLE.place("c", "r1"), "secret").unwrap();
        for place in [TABLE.place("c", "r2"), TABLE.place("d", "r1")] {
            let err = keys.open(place, &sealed).unwrap_err().to_string();
            assert!(err.contains("does not open"), "{err}");
        }
        let mut altered = sealed.clone();
        let last = altered.pop().unwrap();
        altered.push(if last == 'A' { 'B' } else { 'A' });
        assert!(keys.open(TABLE.place("c", "r1"), &altered).is_err());
    }

    #[test]
    fn a_value_sealed_with_a_key_the_ring_lacks_or_in_clear_is_refused_by_name() {
        let (a, b) = (keyring(), keyring());
        let sealed = a.seal(TABLE.place("c", "r1"), "secret").unwrap();
        let err = b.open(TABLE.place("c", "r1"), &sealed).unwrap_err().to_string();
        assert!(err.contains(a.current_id().unwrap()) && err.contains("does not have"), "{err}");
        let err = a.open(TABLE.place("c", "r1"), "secret").unwrap_err().to_string();
        assert!(err.contains("in clear"), "{err}");
    }

    #[test]
    fn derived_keys_differ_by_purpose_and_key_and_follow_the_ring_order() {
        let (old, new) = (Keyring::generate_key(), Keyring::generate_key());
        let both = Keyring::parse(&format!("{new},{old}")).unwrap();
        let links = both.derive("file links");
        assert_eq!(links.len(), 2);
        assert_ne!(links[0], links[1]);
        assert_eq!(links[1], Keyring::parse(&old).unwrap().derive("file links")[0]);
        assert_ne!(links[0], both.derive("other")[0]);
        assert_eq!(links, both.derive("file links"));
        assert!(Keyring::default().derive("file links").is_empty());
    }

    #[test]
    fn older_keys_open_and_only_the_first_seals() {
        let (old, new) = (Keyring::generate_key(), Keyring::generate_key());
        let before = Keyring::parse(&old).unwrap();
        let sealed = before.seal(TABLE.place("c", "r1"), "secret").unwrap();
        let both = Keyring::parse(&format!("{new},\n {old}")).unwrap();
        assert_eq!(both.open(TABLE.place("c", "r1"), &sealed).unwrap(), "secret");
        assert_ne!(both.current_id(), before.current_id());
        assert!(both.seal(TABLE.place("c", "r1"), "secret").unwrap().contains(both.current_id().unwrap()));
    }

    #[test]
    fn keys_that_are_not_32_bytes_of_base64_are_refused_and_no_key_seals_nothing() {
        for bad in ["nope", "c2hvcnQ=", &format!("{} x", Keyring::generate_key())] {
            let err = Keyring::parse(bad).unwrap_err().to_string();
            assert!(err.contains("secrets key #"), "{err}");
        }
        let none = Keyring::parse("").unwrap();
        assert!(none.seal(TABLE.place("c", "r1"), "x").is_err());
        assert!(Keyring::default().current_id().is_none());
    }

    #[test]
    fn a_keyring_debug_prints_its_key_ids_and_no_key() {
        let key = Keyring::generate_key();
        let keys = Keyring::parse(&key).unwrap();
        let printed = format!("{keys:?}");
        assert!(printed.contains(keys.current_id().unwrap()), "{printed}");
        assert!(!printed.contains(&key) && !printed.contains(&key[..12]), "{printed}");
    }
}
