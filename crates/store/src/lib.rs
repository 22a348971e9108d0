//! Persistence for Switchboard on SQLite (embedded default) or PostgreSQL (scale-out), chosen
//! by the database URL. SQL is shared where it is portable: each query is written once and the
//! [`run!`] macro expands it for both native drivers.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool};
pub use switchboard_domain::paging::Keyset;
use switchboard_domain::event::NewEvent;
use switchboard_domain::{CompanyId, Error, Result};
use tokio::sync::broadcast;

pub mod api_keys;
pub mod companies;
pub mod contents;
pub mod events;
pub mod identities;
pub mod jobs;
pub mod locations;
pub mod sources;
pub mod threads;
pub mod typing;
pub mod users;

/// Expands `$body` once per backend with `$c` bound to that backend's connection, so a query
/// written once type-checks and runs on both.
#[macro_export]
macro_rules! run {
    ($ex:expr, |$c:ident| $body:expr) => {
        match $crate::Conn::conn(&mut *$ex) {
            $crate::ConnRef::Sqlite($c) => $body,
            $crate::ConnRef::Postgres($c) => $body,
        }
    };
}

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
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self { max_connections: 16, acquire_timeout: Duration::from_secs(10) }
    }
}

enum Pools {
    /// One writer connection: SQLite allows a single writer, and queueing in the pool is
    /// cheaper than SQLITE_BUSY retries. Readers run concurrently thanks to WAL.
    Sqlite { write: SqlitePool, read: SqlitePool },
    Postgres { pool: PgPool },
}

/// A committed change to a company's event log: the realtime hub and the webhook dispatcher
/// wake up on these and read the log from their last seq.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    pub company_id: CompanyId,
    pub last_seq: i64,
}

struct Inner {
    pools: Pools,
    committed: broadcast::Sender<Committed>,
}

#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

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
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(opts.acquire_timeout)
                .connect_with(base.clone().create_if_missing(true))
                .await
                .map_err(|e| Error::Unavailable(format!("cannot open sqlite database {path}: {e}")))?;
            let read = SqlitePoolOptions::new()
                .max_connections(opts.max_connections.max(1))
                .acquire_timeout(opts.acquire_timeout)
                .connect_with(base.read_only(true))
                .await
                .map_err(|e| Error::Unavailable(format!("cannot open sqlite database {path}: {e}")))?;
            Pools::Sqlite { write, read }
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url).map_err(|e| Error::invalid(format!("invalid PostgreSQL URL: {e}")))?;
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
        Ok(Self { inner: Arc::new(Inner { pools, committed }) })
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
        let res = match &self.inner.pools {
            Pools::Sqlite { write, .. } => SQLITE_MIGRATOR.run(write).await,
            Pools::Postgres { pool } => POSTGRES_MIGRATOR.run(pool).await,
        };
        res.map_err(|e| Error::Unavailable(format!("database migration failed: {e}")))
    }

    /// A transaction on the writer. On SQLite it starts IMMEDIATE so that a second process on
    /// the same file waits for the lock up front instead of failing at its first write.
    pub async fn begin(&self) -> Result<Tx> {
        let inner = match &self.inner.pools {
            Pools::Sqlite { write, .. } => TxInner::Sqlite(write.begin_with("BEGIN IMMEDIATE").await.map_err(db_err)?),
            Pools::Postgres { pool } => TxInner::Postgres(pool.begin().await.map_err(db_err)?),
        };
        Ok(Tx { inner, pending_events: Vec::new(), committed: Vec::new(), store: self.clone() })
    }

    /// A connection for reads outside a transaction.
    pub async fn reader(&self) -> Result<Reader> {
        Ok(match &self.inner.pools {
            Pools::Sqlite { read, .. } => Reader::Sqlite(read.acquire().await.map_err(db_err)?),
            Pools::Postgres { pool } => Reader::Postgres(pool.acquire().await.map_err(db_err)?),
        })
    }

    /// Succeeds when the database answers a query.
    pub async fn ping(&self) -> Result<()> {
        let mut r = self.reader().await?;
        run!(&mut r, |c| sqlx::query("SELECT 1").execute(&mut *c).await.map(|_| ()).map_err(db_err))
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

/// A borrowed connection of either backend; what [`run!`] matches on.
pub enum ConnRef<'a> {
    Sqlite(&'a mut SqliteConnection),
    Postgres(&'a mut PgConnection),
}

/// Anything queries can run on: a [`Tx`] or a [`Reader`].
pub trait Conn: Send {
    fn conn(&mut self) -> ConnRef<'_>;
}

enum TxInner {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

/// A write transaction. Dropping it without [`Tx::commit`] rolls it back.
///
/// Events appended in it are held until commit and then written together, so a transaction
/// that raises many events (a batch of ingested messages) takes its company's counter once.
pub struct Tx {
    inner: TxInner,
    pending_events: Vec<(CompanyId, NewEvent)>,
    committed: Vec<Committed>,
    store: Store,
}

/// A point a transaction can return to, undoing what came after (rows and pending events).
#[must_use]
pub struct Savepoint {
    pending_events: usize,
}

impl Tx {
    pub async fn savepoint(&mut self) -> Result<Savepoint> {
        run!(self, |c| sqlx::query("SAVEPOINT sb_step").execute(&mut *c).await.map_err(db_err)?.rows_affected());
        Ok(Savepoint { pending_events: self.pending_events.len() })
    }

    /// Keeps what was done since the savepoint.
    pub async fn release(&mut self, _sp: Savepoint) -> Result<()> {
        run!(self, |c| sqlx::query("RELEASE SAVEPOINT sb_step").execute(&mut *c).await.map_err(db_err)?.rows_affected());
        Ok(())
    }

    /// Undoes what was done since the savepoint; the transaction stays usable.
    pub async fn rollback_to(&mut self, sp: Savepoint) -> Result<()> {
        run!(self, |c| {
            sqlx::query("ROLLBACK TO SAVEPOINT sb_step").execute(&mut *c).await.map_err(db_err)?;
            sqlx::query("RELEASE SAVEPOINT sb_step").execute(&mut *c).await.map_err(db_err)?.rows_affected()
        });
        self.pending_events.truncate(sp.pending_events);
        Ok(())
    }

    pub(crate) fn push_events(&mut self, company: &CompanyId, events: Vec<NewEvent>) {
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
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self.inner {
            TxInner::Sqlite(_) => Backend::Sqlite,
            TxInner::Postgres(_) => Backend::Postgres,
        }
    }

    pub(crate) fn note_appended(&mut self, company_id: &CompanyId, last_seq: i64) {
        match self.committed.iter_mut().find(|c| &c.company_id == company_id) {
            Some(c) => c.last_seq = last_seq,
            None => self.committed.push(Committed { company_id: company_id.clone(), last_seq }),
        }
    }
}

impl Conn for Tx {
    fn conn(&mut self) -> ConnRef<'_> {
        match &mut self.inner {
            TxInner::Sqlite(t) => ConnRef::Sqlite(t),
            TxInner::Postgres(t) => ConnRef::Postgres(t),
        }
    }
}

pub enum Reader {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

impl Conn for Reader {
    fn conn(&mut self) -> ConnRef<'_> {
        match self {
            Reader::Sqlite(c) => ConnRef::Sqlite(c),
            Reader::Postgres(c) => ConnRef::Postgres(c),
        }
    }
}

/// Maps a driver error to the domain: unique violations become conflicts, everything else
/// is the storage being unavailable. Details go to the log, never to callers.
pub fn db_err(e: sqlx::Error) -> Error {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => Error::Conflict(d.message().to_owned()),
        sqlx::Error::RowNotFound => Error::Internal("row not found".into()),
        _ => {
            tracing::error!(error = %e, "database error");
            Error::Unavailable(e.to_string())
        }
    }
}

/// The row-lock suffix for a read that precedes an update in the same transaction. SQLite's
/// writer transaction is exclusive already; PostgreSQL needs the lock to avoid lost updates.
pub(crate) fn for_update(c: &ConnRef<'_>) -> &'static str {
    match c {
        ConnRef::Sqlite(_) => "",
        ConnRef::Postgres(_) => " FOR UPDATE",
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
