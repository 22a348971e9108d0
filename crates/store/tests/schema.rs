//! The two backends' migrations must build one schema: the store's statements are written once
//! for both, so a column, key or index that one backend lacks is a bug waiting for that backend.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::{Connection, PgConnection, SqliteConnection};
use switchboard_domain::webhook::WebhookFormat;
use switchboard_store::testing::{TestDb, with_db};
use switchboard_store::{Backend, Keyring, Store, StoreOptions, store_test, webhooks};

/// Where the migrated schemas differ on purpose, as the facts only one side has, with the reason.
const SQLITE_ONLY: &[(&str, &str)] = &[(
    "contents unique (source_id, kind, foreign_id)",
    "0002's constraint, which 0003 replaced by (source_id, foreign_id, kind): PostgreSQL dropped it, \
     SQLite cannot drop a constraint without rebuilding the table and added the new index beside it",
)];
const POSTGRES_ONLY: &[(&str, &str)] = &[];

/// Tables each backend builds its own way, left out of the comparison, with the reason. Their
/// own tests show that they answer the same.
const BACKEND_OWN_TABLES: &[(&str, &str)] = &[(
    "texting_search",
    "0008's full-text index of messages: an FTS5 virtual table (and the shadow tables FTS5 keeps) on \
     SQLite, a tsvector column with a GIN index on PostgreSQL",
)];

/// The schema without the tables each backend builds its own way (their names as prefixes, for
/// FTS5's shadow tables `texting_search_data`, …).
fn shared(schema: BTreeSet<String>) -> BTreeSet<String> {
    schema.into_iter().filter(|fact| !BACKEND_OWN_TABLES.iter().any(|(table, _)| fact.starts_with(table))).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_backends_migrate_to_the_same_schema() {
    with_db(Backend::Postgres, |pg| async move {
        let postgres = shared(postgres_schema(&pg).await);
        with_db(Backend::Sqlite, |lite| async move {
            let sqlite = shared(sqlite_schema(&lite).await);
            for schema in [&sqlite, &postgres] {
                assert!(schema.contains("events primary key (company_id, seq)"), "schema not read: {schema:#?}");
            }
            let only = |a: &BTreeSet<String>, b: &BTreeSet<String>| a.difference(b).cloned().collect::<Vec<_>>();
            let known = |list: &[(&str, &str)]| list.iter().map(|(fact, _)| fact.to_string()).collect::<Vec<_>>();
            assert_eq!(only(&sqlite, &postgres), known(SQLITE_ONLY), "only in the SQLite schema");
            assert_eq!(only(&postgres, &sqlite), known(POSTGRES_ONLY), "only in the PostgreSQL schema");
            lite
        })
        .await;
        pg
    })
    .await;
}

/// 0005: endpoints made before it keep the Engage Digital envelope, except the RingPlan callback
/// URL's, which speaks RingPlan's shape from then on.
async fn migrating_to_formats_gives_only_the_ringplan_callback_url_the_ringplan_format(backend: Backend) {
    with_db(backend, |db| async move {
        let secrets = Keyring::parse(&db.secrets_key).unwrap();
        let store = Store::connect(&db.url, &StoreOptions { secrets, ..StoreOptions::default() }).await.unwrap();
        store.migrate_to(4).await.unwrap();
        let (company, ringplan, plain) = ("c0000000000000000000000c", "e000000000000000000000e1", "e000000000000000000000e2");
        let mut tx = store.begin().await.unwrap();
        for (sql, binds) in [
            ("INSERT INTO companies (id, name, status, profile, created_at, updated_at) VALUES ($1, 'Acme', 'active', '{}', 0, 0)", vec![company]),
            ("INSERT INTO company_counters (company_id, event_seq) VALUES ($1, 0)", vec![company]),
            (
                "INSERT INTO webhook_endpoints (id, company_id, url, events, signing_secret, status, start_seq, created_at, updated_at) \
                 VALUES ($1, $2, 'https://x.example/', '[\"*\"]', 'whsec_c2VjcmV0', 'active', 0, 0, 0)",
                vec![ringplan, company],
            ),
            (
                "INSERT INTO webhook_endpoints (id, company_id, url, events, signing_secret, status, start_seq, created_at, updated_at) \
                 VALUES ($1, $2, 'https://x.example/', '[\"*\"]', 'whsec_c2VjcmV0', 'active', 0, 0, 0)",
                vec![plain, company],
            ),
            ("INSERT INTO ringplan_callback_urls (company_id, endpoint_id) VALUES ($1, $2)", vec![company, ringplan]),
        ] {
            switchboard_store::testing::execute(&mut tx, sql, &binds).await;
        }
        tx.commit().await.unwrap();
        store.migrate().await.unwrap();
        store.prepare_secrets().await.unwrap();
        let mut r = store.reader().await.unwrap();
        let company = switchboard_domain::CompanyId::parse(company).unwrap();
        let format = |id: &str| switchboard_domain::WebhookEndpointId::parse(id).unwrap();
        let rp = webhooks::get_endpoint(&mut r, &company, &format(ringplan)).await.unwrap().unwrap();
        let ed = webhooks::get_endpoint(&mut r, &company, &format(plain)).await.unwrap().unwrap();
        assert_eq!((rp.format, ed.format), (WebhookFormat::RingPlan, WebhookFormat::EngageDigital));
        drop(r);
        store.close().await;
        db
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrating_to_formats_gives_only_the_ringplan_callback_url_the_ringplan_format_sqlite() {
    migrating_to_formats_gives_only_the_ringplan_callback_url_the_ringplan_format(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrating_to_formats_gives_only_the_ringplan_callback_url_the_ringplan_format_postgres() {
    migrating_to_formats_gives_only_the_ringplan_callback_url_the_ringplan_format(Backend::Postgres).await;
}

store_test! {
    async fn a_database_a_newer_binary_migrated_is_refused(store: Store) {
        record_applied_migration(&store, 9999).await;
        let err = store.migrate().await.expect_err("a migration this binary does not know");
        assert!(err.to_string().contains("9999"), "{err}");
    }
}

// A schema is read as a set of facts, one line each ("users.email: text", "users unique
// (company_id, email_norm)"), so that two schemas compare as sets and a difference reads as the
// facts one side lacks. Names of indexes and constraints are left out: the backends name the
// ones they make for constraints differently.

/// Integer types of any width are one class: each backend's migration picks the width it stores
/// best, and the driver reads either into the Rust type.
fn type_class(declared: &str) -> String {
    let declared = declared.to_ascii_lowercase();
    match declared.as_str() {
        t if t.contains("int") => "integer".into(),
        "bool" => "boolean".into(),
        _ => declared,
    }
}

fn column(table: &str, name: &str, declared: &str, not_null: bool) -> String {
    format!("{table}.{name}: {}{}", type_class(declared), if not_null { " not null" } else { "" })
}

/// A partial index is only marked so: each backend prints its predicate its own way.
fn index(table: &str, unique: bool, partial: bool, columns: &[String]) -> String {
    let kind = if unique { "unique" } else { "index" };
    format!("{table} {kind} ({}){}", columns.join(", "), if partial { " partial" } else { "" })
}

fn primary_key(table: &str, columns: &[String]) -> String {
    format!("{table} primary key ({})", columns.join(", "))
}

async fn sqlite_schema(db: &TestDb) -> BTreeSet<String> {
    db.store().await.close().await;
    let mut c = SqliteConnection::connect(&db.url).await.expect("open the SQLite database");
    let mut facts = BTreeSet::new();
    let columns: Vec<(String, String, String, bool, i64)> = sqlx::query_as(
        "SELECT m.name, p.name, p.type, p.\"notnull\", p.pk FROM sqlite_master m, pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations' ORDER BY m.name, p.pk",
    )
    .fetch_all(&mut c)
    .await
    .expect("read the SQLite columns");
    let mut keys: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (table, name, declared, not_null, pk) in columns {
        // SQLite lets a PRIMARY KEY column other than INTEGER hold NULL (a historical quirk);
        // PostgreSQL does not, and the store never writes one.
        facts.insert(column(&table, &name, &declared, not_null || pk > 0));
        if pk > 0 {
            keys.entry(table).or_default().push(name);
        }
    }
    facts.extend(keys.iter().map(|(table, columns)| primary_key(table, columns)));
    let indexed: Vec<(String, String, bool, String, bool, String)> = sqlx::query_as(
        "SELECT m.name, l.name, l.\"unique\", l.origin, l.partial, i.name \
         FROM sqlite_master m, pragma_index_list(m.name) l, pragma_index_info(l.name) i \
         WHERE m.type = 'table' AND m.name <> '_sqlx_migrations' ORDER BY m.name, l.name, i.seqno",
    )
    .fetch_all(&mut c)
    .await
    .expect("read the SQLite indexes");
    let mut indexes: BTreeMap<(String, String), (bool, bool, Vec<String>)> = BTreeMap::new();
    for (table, name, unique, origin, partial, column) in indexed {
        // The primary key's own index: the key is read from the columns above.
        if origin != "pk" {
            indexes.entry((table, name)).or_insert((unique, partial, Vec::new())).2.push(column);
        }
    }
    facts.extend(
        indexes.iter().map(|((table, _), (unique, partial, columns))| index(table, *unique, *partial, columns)),
    );
    c.close().await.ok();
    facts
}

async fn postgres_schema(db: &TestDb) -> BTreeSet<String> {
    db.store().await.close().await;
    let mut c = PgConnection::connect(&db.url).await.expect("connect to the PostgreSQL database");
    let mut facts = BTreeSet::new();
    let columns: Vec<(String, String, String, bool)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable = 'NO' FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut c)
    .await
    .expect("read the PostgreSQL columns");
    facts.extend(columns.iter().map(|(table, name, declared, not_null)| column(table, name, declared, *not_null)));
    let indexes: Vec<(String, bool, bool, bool, Vec<String>)> = sqlx::query_as(
        "SELECT t.relname::text, i.indisprimary, i.indisunique, i.indpred IS NOT NULL, \
                ARRAY(SELECT a.attname::text FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k (attnum, n) \
                      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.n) \
         FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid \
         WHERE t.relnamespace = current_schema()::regnamespace AND t.relname <> '_sqlx_migrations'",
    )
    .fetch_all(&mut c)
    .await
    .expect("read the PostgreSQL indexes");
    for (table, primary, unique, partial, columns) in indexes {
        facts.insert(if primary { primary_key(&table, &columns) } else { index(&table, unique, partial, &columns) });
    }
    c.close().await.ok();
    facts
}

/// Marks `version` applied, as a binary with that migration would have.
async fn record_applied_migration(store: &Store, version: i64) {
    const RECORD: &str = "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
                          VALUES ($1, 'from a newer binary', TRUE, $2, 0)";
    let checksum = vec![0u8; 48];
    match store.backend() {
        Backend::Sqlite => {
            let mut c = SqliteConnection::connect(store.url()).await.expect("open the SQLite database");
            sqlx::query(RECORD).bind(version).bind(checksum).execute(&mut c).await.expect("record the migration");
            c.close().await.ok();
        }
        Backend::Postgres => {
            let pool = store.postgres_pool().expect("a PostgreSQL store");
            sqlx::query(RECORD).bind(version).bind(checksum).execute(pool).await.expect("record the migration");
        }
    }
}
