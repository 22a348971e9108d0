//! Persistence for Switchboard on SQLite (embedded default) or PostgreSQL (scale-out), chosen
//! by the database URL. SQL is shared where it is portable: each statement is written once and
//! runs on both native drivers (`sql`), each table's columns are listed once (`table`), and what
//! the backends write differently is kept in `dialect`.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

pub use secrets::{Keyring, Prepared};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool};
use switchboard_domain::event::Event;
pub use switchboard_domain::paging::Keyset;
use switchboard_domain::{CompanyId, Error, Result};
use tokio::sync::broadcast;

pub mod agents;
pub mod api_keys;
pub mod companies;
pub mod contents;
mod dialect;
pub mod events;
pub mod files;
pub mod identities;
pub mod jobs;
pub mod locations;
mod migrations;
pub mod notify;
pub mod passwords;
pub mod routing;
mod secrets;
pub mod sessions;
pub mod sources;
mod sql;
pub mod sync;
mod table;
pub mod texting;
pub mod threads;
pub mod typing;
pub mod users;
pub mod webhooks;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// PostgreSQL pool size, or SQLite reader pool size (SQLite always has one writer).
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// The keys that seal stored secrets; with none, secrets can be neither written nor read.
    pub secrets: Keyring,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self { max_connections: 16, acquire_timeout: Duration::from_secs(10), secrets: Keyring::default() }
    }
}

enum Pools {
    /// One writer connection: SQLite allows a single writer, and queueing in the pool is
    /// cheaper than SQLITE_BUSY retries. Readers run concurrently thanks to WAL.
    Sqlite {
        write: SqlitePool,
        read: SqlitePool,
    },
    Postgres {
        pool: PgPool,
    },
}

/// A committed change to a company's event log: the realtime hub and the webhook dispatcher
/// wake up on these and read the log from their last seq.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    pub company_id: CompanyId,
    pub last_seq: i64,
}

struct Inner {
    url: String,
    pools: Pools,
    committed: broadcast::Sender<Committed>,
    /// Woken when a transaction that queued jobs commits, so local workers start at once.
    jobs_queued: tokio::sync::Notify,
    secrets: Keyring,
}

#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

impl Store {
    /// Connects to `sqlite://PATH` (the file is created if missing) or `postgres://…`.
    pub async fn connect(url: &str, opts: &StoreOptions) -> Result<Self> {
        let pools = if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            let (path, _) = path.split_once('?').unwrap_or((path, ""));
            if path.is_empty() {
                return Err(Error::invalid("the sqlite database URL has no file path (sqlite://PATH)"));
            }
            let base = SqliteConnectOptions::new()
                .filename(path)
                .journal_mode(SqliteJournalMode::Wal)
                // FULL: a write acknowledged to a client survives a power cut, not just a crash.
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            // No ping before each use: a local file does not drop connections, and the ping
            // would cost a round trip to SQLite's worker thread on every transaction and read.
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .test_before_acquire(false)
                .acquire_timeout(opts.acquire_timeout)
                .connect_with(base.clone().create_if_missing(true))
                .await
                .map_err(|e| Error::Unavailable(format!("cannot open sqlite database {path}: {e}")))?;
            let read = SqlitePoolOptions::new()
                .max_connections(opts.max_connections.max(1))
                .test_before_acquire(false)
                .acquire_timeout(opts.acquire_timeout)
                .connect_with(base.read_only(true))
                .await
                .map_err(|e| Error::Unavailable(format!("cannot open sqlite database {path}: {e}")))?;
            Pools::Sqlite { write, read }
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // Plan every execution with its parameters: a generic plan cached while a table was
            // still empty (as on a new install) keeps scanning that table after it has grown.
            let options = PgConnectOptions::from_str(url)
                .map_err(|e| Error::invalid(format!("invalid PostgreSQL URL: {e}")))?
                .options([("plan_cache_mode", "force_custom_plan")]);
            let pool = PgPoolOptions::new()
                .max_connections(opts.max_connections.max(2))
                .acquire_timeout(opts.acquire_timeout)
                .connect_with(options)
                .await
                .map_err(|e| Error::Unavailable(format!("cannot connect to PostgreSQL: {e}")))?;
            Pools::Postgres { pool }
        } else {
            return Err(Error::invalid("the database URL must start with sqlite:// or postgres://"));
        };
        let (committed, _) = broadcast::channel(4096);
        Ok(Self {
            inner: Arc::new(Inner {
                url: url.to_owned(),
                pools,
                committed,
                jobs_queued: tokio::sync::Notify::new(),
                secrets: opts.secrets.clone(),
            }),
        })
    }

    /// The URL this store was opened with. It may hold a password: never log it.
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// The keys this store seals and opens secrets with.
    pub fn secrets(&self) -> &Keyring {
        &self.inner.secrets
    }

    pub fn backend(&self) -> Backend {
        match self.inner.pools {
            Pools::Sqlite { .. } => Backend::Sqlite,
            Pools::Postgres { .. } => Backend::Postgres,
        }
    }

    /// Applies the migrations this binary knows. Fails if the database has one it does not
    /// know (a newer binary ran against it), rather than running on a schema it cannot read.
    pub async fn migrate(&self) -> Result<()> {
        let migrator = migrations::migrator(self.backend());
        let res = match &self.inner.pools {
            Pools::Sqlite { write, .. } => migrator.run(write).await,
            Pools::Postgres { pool } => migrator.run(pool).await,
        };
        res.map_err(|e| Error::Unavailable(format!("database migration failed: {e}")))
    }

    /// Applies the migrations up to `version` only: for tests of a migration on data written
    /// before it.
    #[cfg(feature = "testing")]
    pub async fn migrate_to(&self, version: i64) -> Result<()> {
        let migrator = migrations::migrator(self.backend());
        let res = match &self.inner.pools {
            Pools::Sqlite { write, .. } => migrator.run_to(version, write).await,
            Pools::Postgres { pool } => migrator.run_to(version, pool).await,
        };
        res.map_err(|e| Error::Unavailable(format!("database migration failed: {e}")))
    }

    /// A transaction on the writer. On SQLite it starts IMMEDIATE so that a second process on
    /// the same file waits for the lock up front instead of failing at its first write.
    pub async fn begin(&self) -> Result<Tx<'static>> {
        let inner = match &self.inner.pools {
            Pools::Sqlite { write, .. } => {
                TxInner::Sqlite(write.begin_with(dialect::SQLITE_BEGIN_WRITE).await.map_err(db_err)?)
            }
            Pools::Postgres { pool } => TxInner::Postgres(pool.begin().await.map_err(db_err)?),
        };
        Ok(Tx { inner, pending_events: Vec::new(), committed: Vec::new(), queued_jobs: false, store: self.clone() })
    }

    /// A connection of the writer pool held by one caller across several transactions, so that
    /// a busy writer does not give it back (and wait for the pool's release check) between
    /// transactions. Hold it briefly: on SQLite it is the only writer connection.
    pub async fn hold_writer(&self) -> Result<HeldWriter> {
        let conn = match &self.inner.pools {
            Pools::Sqlite { write, .. } => HeldConn::Sqlite(write.acquire().await.map_err(db_err)?),
            Pools::Postgres { pool } => HeldConn::Postgres(pool.acquire().await.map_err(db_err)?),
        };
        Ok(HeldWriter { conn, store: self.clone() })
    }

    /// A connection for reads outside a transaction.
    pub async fn reader(&self) -> Result<Reader> {
        let conn = match &self.inner.pools {
            Pools::Sqlite { read, .. } => ReaderConn::Sqlite(read.acquire().await.map_err(db_err)?),
            Pools::Postgres { pool } => ReaderConn::Postgres(pool.acquire().await.map_err(db_err)?),
        };
        Ok(Reader { conn, secrets: self.inner.secrets.clone() })
    }

    /// Succeeds when the database answers a query.
    pub async fn ping(&self) -> Result<()> {
        sql::Sql::new("SELECT 1").execute(&mut self.reader().await?).await.map(drop)
    }

    /// Resolves when a transaction of this process that queued jobs commits (other nodes' jobs
    /// are found by polling). `enable()` it before looking for work, so that a commit in between
    /// is not missed.
    pub fn jobs_queued(&self) -> tokio::sync::futures::Notified<'_> {
        self.inner.jobs_queued.notified()
    }

    /// Notices of committed event-log appends, in commit order for each company.
    pub fn subscribe_committed(&self) -> broadcast::Receiver<Committed> {
        self.inner.committed.subscribe()
    }

    /// The PostgreSQL pool, for LISTEN/NOTIFY; `None` on SQLite.
    pub fn postgres_pool(&self) -> Option<&PgPool> {
        match &self.inner.pools {
            Pools::Postgres { pool } => Some(pool),
            Pools::Sqlite { .. } => None,
        }
    }

    pub async fn close(&self) {
        match &self.inner.pools {
            Pools::Sqlite { write, read } => {
                read.close().await;
                write.close().await;
            }
            Pools::Postgres { pool } => pool.close().await,
        }
    }
}

/// A borrowed connection of either backend.
pub enum ConnRef<'a> {
    Sqlite(&'a mut SqliteConnection),
    Postgres(&'a mut PgConnection),
}

/// Anything queries can run on: a [`Tx`] or a [`Reader`].
pub trait Conn: Send {
    fn conn(&mut self) -> ConnRef<'_>;
    fn backend(&self) -> Backend;
    /// The keys that seal and open the secrets this connection writes and reads.
    fn secrets(&self) -> &Keyring;
}

enum HeldConn {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

/// See [`Store::hold_writer`]. Dropping it gives the connection back.
pub struct HeldWriter {
    conn: HeldConn,
    store: Store,
}

impl HeldWriter {
    pub async fn begin(&mut self) -> Result<Tx<'_>> {
        let inner = match &mut self.conn {
            HeldConn::Sqlite(c) => TxInner::Sqlite(c.begin_with(dialect::SQLITE_BEGIN_WRITE).await.map_err(db_err)?),
            HeldConn::Postgres(c) => TxInner::Postgres(c.begin().await.map_err(db_err)?),
        };
        Ok(Tx {
            inner,
            pending_events: Vec::new(),
            committed: Vec::new(),
            queued_jobs: false,
            store: self.store.clone(),
        })
    }
}

enum TxInner<'c> {
    Sqlite(sqlx::Transaction<'c, Sqlite>),
    Postgres(sqlx::Transaction<'c, Postgres>),
}

/// A write transaction, on a pooled connection (`'static`) or a held one. Dropping it without
/// [`Tx::commit`] rolls it back.
///
/// Events appended in it are held until commit and then written together, so a transaction
/// that raises many events (a batch of ingested messages) takes its company's counter once.
pub struct Tx<'c> {
    inner: TxInner<'c>,
    pending_events: Vec<(CompanyId, Event)>,
    committed: Vec<Committed>,
    queued_jobs: bool,
    store: Store,
}

impl Tx<'_> {
    pub(crate) fn push_events(&mut self, company: &CompanyId, events: Vec<Event>) {
        self.pending_events.extend(events.into_iter().map(|e| (company.clone(), e)));
    }

    pub async fn commit(mut self) -> Result<()> {
        let pending = std::mem::take(&mut self.pending_events);
        events::write(&mut self, pending).await?;
        match self.inner {
            TxInner::Sqlite(t) => t.commit().await.map_err(db_err)?,
            TxInner::Postgres(t) => t.commit().await.map_err(db_err)?,
        }
        for notice in self.committed {
            // Nobody listening is fine: the log is the truth and readers catch up from it.
            let _ = self.store.inner.committed.send(notice);
        }
        if self.queued_jobs {
            self.store.inner.jobs_queued.notify_waiters();
        }
        Ok(())
    }

    pub(crate) fn note_queued_job(&mut self) {
        self.queued_jobs = true;
    }

    pub(crate) fn note_appended(&mut self, company_id: &CompanyId, last_seq: i64) {
        match self.committed.iter_mut().find(|c| &c.company_id == company_id) {
            Some(c) => c.last_seq = last_seq,
            None => self.committed.push(Committed { company_id: company_id.clone(), last_seq }),
        }
    }
}

impl Conn for Tx<'_> {
    fn conn(&mut self) -> ConnRef<'_> {
        match &mut self.inner {
            TxInner::Sqlite(t) => ConnRef::Sqlite(t),
            TxInner::Postgres(t) => ConnRef::Postgres(t),
        }
    }

    fn backend(&self) -> Backend {
        match self.inner {
            TxInner::Sqlite(_) => Backend::Sqlite,
            TxInner::Postgres(_) => Backend::Postgres,
        }
    }

    fn secrets(&self) -> &Keyring {
        &self.store.inner.secrets
    }
}

/// A pooled connection for reads outside a transaction.
pub struct Reader {
    conn: ReaderConn,
    secrets: Keyring,
}

enum ReaderConn {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

impl Conn for Reader {
    fn conn(&mut self) -> ConnRef<'_> {
        match &mut self.conn {
            ReaderConn::Sqlite(c) => ConnRef::Sqlite(c),
            ReaderConn::Postgres(c) => ConnRef::Postgres(c),
        }
    }

    fn backend(&self) -> Backend {
        match self.conn {
            ReaderConn::Sqlite(_) => Backend::Sqlite,
            ReaderConn::Postgres(_) => Backend::Postgres,
        }
    }

    fn secrets(&self) -> &Keyring {
        &self.secrets
    }
}

/// Maps a driver error to the domain: a unique violation is a conflict; a value the database
/// refuses is `Unstorable`, the request's fault, so that a caller is not told to retry what can
/// never succeed; everything else is the storage being unavailable. Details go to the log,
/// never to callers.
pub fn db_err(e: sqlx::Error) -> Error {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => Error::Conflict(d.message().to_owned()),
        sqlx::Error::Database(d) if refuses_the_value(d.as_ref()) => {
            tracing::warn!(error = %e, "the database refused a value");
            Error::Unstorable(d.message().to_owned())
        }
        sqlx::Error::RowNotFound => Error::Internal("row not found".into()),
        _ => {
            tracing::error!(error = %e, "database error");
            Error::Unavailable(e.to_string())
        }
    }
}

/// Whether the database refused a value of the statement rather than failed: on PostgreSQL a
/// data exception (SQLSTATE class 22: NUL in text, a value out of range), a broken constraint
/// (class 23) or a program limit (54000: an index row too big); on SQLite a constraint, a value
/// too big or of the wrong type. A lost connection, a full disk or a serialization failure is
/// none of these.
fn refuses_the_value(d: &dyn sqlx::error::DatabaseError) -> bool {
    use sqlx::error::ErrorKind;
    if matches!(d.kind(), ErrorKind::ForeignKeyViolation | ErrorKind::NotNullViolation | ErrorKind::CheckViolation) {
        return true;
    }
    let Some(code) = d.code() else { return false };
    if d.try_downcast_ref::<sqlx::postgres::PgDatabaseError>().is_some() {
        code.starts_with("22") || code.starts_with("23") || code == "54000"
    } else {
        // SQLite gives its extended result code, whose low byte is the primary one.
        const TOOBIG: i32 = 18;
        const CONSTRAINT: i32 = 19;
        const MISMATCH: i32 = 20;
        code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, TOOBIG | CONSTRAINT | MISMATCH))
    }
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Internal(format!("cannot encode JSON column: {e}")))
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| Error::Internal(format!("cannot decode JSON column: {e}")))
}

pub(crate) fn parse_id<T: TryFrom<String>>(s: String) -> Result<T> {
    T::try_from(s).map_err(|_| Error::Internal("malformed id in database".into()))
}

#[cfg(feature = "testing")]
pub mod testing;
