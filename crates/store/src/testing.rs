//! Fresh databases for tests. PostgreSQL tests run when `SWITCHBOARD_TEST_POSTGRES_URL` names a
//! server we may create databases on; without it they are skipped, except under `CI=true`, where
//! a missing PostgreSQL is a failure.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use sqlx::Connection;

use switchboard_domain::company::{Company, CompanyProfile};
use switchboard_domain::{CompanyId, Timestamp};

use crate::{Backend, Keyring, Store, StoreOptions};

pub const POSTGRES_URL_VAR: &str = "SWITCHBOARD_TEST_POSTGRES_URL";

/// A new company named `name`, not yet stored.
pub fn company(name: &str) -> Company {
    let now = Timestamp::now();
    Company {
        id: CompanyId::new(),
        name: name.into(),
        status: "active".into(),
        profile: CompanyProfile::default(),
        created_at: now,
        updated_at: now,
    }
}

/// A database that exists for one test.
pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    /// The secrets key of this database's stores and servers, in configuration form.
    pub secrets_key: String,
    postgres: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// A new database on `backend`, or `None` when PostgreSQL is not configured outside CI.
    pub async fn create(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("switchboard.db").display());
                Some(TestDb { url, backend, secrets_key: Keyring::generate_key(), postgres: None, _dir: Some(dir) })
            }
            Backend::Postgres => {
                let admin = match std::env::var(POSTGRES_URL_VAR) {
                    Ok(url) if !url.is_empty() => url,
                    _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
                        panic!("{POSTGRES_URL_VAR} is not set: CI must run the PostgreSQL suite")
                    }
                    _ => {
                        eprintln!("skipped on PostgreSQL: {POSTGRES_URL_VAR} is not set");
                        return None;
                    }
                };
                let name = format!("sb_test_{}", switchboard_domain::new_id());
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .unwrap_or_else(|e| panic!("cannot connect to {POSTGRES_URL_VAR}: {e}"));
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                conn.close().await.ok();
                let url = with_database(&admin, &name);
                Some(TestDb {
                    url,
                    backend,
                    secrets_key: Keyring::generate_key(),
                    postgres: Some((admin, name)),
                    _dir: None,
                })
            }
        }
    }

    /// A store on this database with the migrations applied, sealing secrets with the
    /// database's key.
    pub async fn store(&self) -> Store {
        let secrets = Keyring::parse(&self.secrets_key).expect("a generated key parses");
        let opts = StoreOptions { secrets, ..StoreOptions::default() };
        let store = Store::connect(&self.url, &opts).await.expect("connect test database");
        store.migrate().await.expect("migrate test database");
        store
    }

    pub async fn destroy(self) {
        if let Some((admin, name)) = &self.postgres
            && let Ok(mut conn) = sqlx::PgConnection::connect(admin).await
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                .execute(&mut conn)
                .await;
            conn.close().await.ok();
        }
    }
}

/// Runs a statement the store's own functions do not write (rows of an older schema, or of a
/// newer binary), binding `binds` as text.
pub async fn execute(tx: &mut crate::Tx<'_>, sql: &str, binds: &[&str]) {
    let done = match crate::Conn::conn(tx) {
        crate::ConnRef::Sqlite(c) => {
            binds.iter().fold(sqlx::query(sqlx::AssertSqlSafe(sql)), |q, b| q.bind(*b)).execute(c).await.map(drop)
        }
        crate::ConnRef::Postgres(c) => {
            binds.iter().fold(sqlx::query(sqlx::AssertSqlSafe(sql)), |q, b| q.bind(*b)).execute(c).await.map(drop)
        }
    };
    done.expect("the test's statement runs");
}

/// The first column of each row `sql` selects, as text: what a copy of the database holds,
/// read past the store's own functions.
pub async fn read_texts(store: &Store, sql: &str) -> Vec<Option<String>> {
    crate::sql::Sql::new(sql.to_owned())
        .scalars(&mut store.reader().await.expect("a reader"))
        .await
        .expect("the test's query runs")
}

/// Replaces the database name in a PostgreSQL URL, keeping credentials, host and query.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[scheme_end..].find('/').map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{}", &base[..authority_end], name);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// Runs `test` against a fresh database of `backend` and drops the database afterwards, also
/// when the test panics.
pub async fn with_db<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(TestDb) -> Fut,
    Fut: Future<Output = TestDb>,
{
    let Some(db) = TestDb::create(backend).await else { return };
    let cleanup = (db.postgres.clone(), backend);
    match AssertUnwindSafe(test(db)).catch_unwind().await {
        Ok(db) => db.destroy().await,
        Err(panic) => {
            TestDb {
                url: String::new(),
                backend: cleanup.1,
                secrets_key: String::new(),
                postgres: cleanup.0,
                _dir: None,
            }
            .destroy()
            .await;
            std::panic::resume_unwind(panic);
        }
    }
}

/// Declares each test once per backend: `mod name { fn sqlite; fn postgres }`, both given a
/// migrated [`Store`] on a fresh database.
#[macro_export]
macro_rules! store_test {
    ($(async fn $name:ident($store:ident: Store) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($store: $crate::Store) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::testing::with_db($crate::Backend::Sqlite, |db| async move {
                    body(db.store().await).await;
                    db
                }).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::testing::with_db($crate::Backend::Postgres, |db| async move {
                    body(db.store().await).await;
                    db
                }).await;
            }
        }
    )*};
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_name_is_replaced_and_the_rest_kept() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(with_database("postgres://u:p@h/db?sslmode=disable", "x"), "postgres://u:p@h/x?sslmode=disable");
        assert_eq!(with_database("postgres://h:5432", "x"), "postgres://h:5432/x");
    }
}
