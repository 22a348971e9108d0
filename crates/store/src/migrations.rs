//! The schema's migrations: those written once for both backends (`migrations/common`) and each
//! backend's own (`migrations/sqlite`, `migrations/postgres`), merged by version. The rule is
//! in `migrations/README.md`.

use sqlx::migrate::{Migration, Migrator};

use crate::Backend;

static COMMON: Migrator = sqlx::migrate!("./migrations/common");
static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

/// The migrations `backend` runs: its own files, and the common ones of the versions it has no
/// file of. Like any migrator, it refuses a database that has a migration it does not know.
pub(crate) fn migrator(backend: Backend) -> Migrator {
    let own = match backend {
        Backend::Sqlite => &SQLITE,
        Backend::Postgres => &POSTGRES,
    };
    merge(&own.migrations, &COMMON.migrations)
}

fn merge(own: &[Migration], common: &[Migration]) -> Migrator {
    let mut all = own.to_vec();
    all.extend(common.iter().filter(|c| !own.iter().any(|o| o.version == c.version)).cloned());
    Migrator::with_migrations(all)
}

#[cfg(test)]
mod tests {
    use sqlx::SqlSafeStr;
    use sqlx::migrate::{Migration, MigrationType};

    use super::merge;

    fn migration(version: i64, sql: &'static str) -> Migration {
        Migration::new(version, sql.into(), MigrationType::Simple, sql.into_sql_str(), false)
    }

    fn listed(migrations: &[Migration]) -> Vec<(i64, &str)> {
        migrations.iter().map(|m| (m.version, m.sql.as_str())).collect()
    }

    #[test]
    fn a_backends_own_file_replaces_the_common_one_of_its_version() {
        let own = [migration(5, "own 5")];
        let common = [migration(5, "common 5"), migration(6, "common 6")];
        assert_eq!(listed(&merge(&own, &common).migrations), [(5, "own 5"), (6, "common 6")]);
    }

    #[test]
    fn common_and_own_migrations_run_in_version_order() {
        let own = [migration(1, "own 1"), migration(7, "own 7")];
        let common = [migration(6, "common 6"), migration(8, "common 8")];
        let merged = merge(&own, &common);
        assert_eq!(listed(&merged.migrations), [(1, "own 1"), (6, "common 6"), (7, "own 7"), (8, "common 8")]);
    }
}
