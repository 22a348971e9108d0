//! Where this node's secrets keys come from: `secrets.key` when it is set; otherwise the key
//! file beside the database, made with a new key on the first start, so that `switchboard
//! serve` needs no setup.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use switchboard_store::Keyring;

use crate::config::Config;

/// The keys configured, or those of the key file (made if missing).
pub fn keyring(config: &Config) -> anyhow::Result<Keyring> {
    if !config.secrets.key.trim().is_empty() {
        return Keyring::parse(&config.secrets.key).context("secrets.key");
    }
    let path = key_file(config.database_url.as_str());
    if !path.exists() {
        create_key_file(&path)?;
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read the secrets key file {}", path.display()))?;
    Keyring::parse(&text).with_context(|| path.display().to_string())
}

/// The key file used when no key is configured: beside a SQLite database, named like it
/// (`data.db`: `data.key`); for PostgreSQL, `switchboard.key` in the working folder.
pub fn key_file(database_url: &str) -> PathBuf {
    let sqlite = database_url.strip_prefix("sqlite://").or_else(|| database_url.strip_prefix("sqlite:"));
    match sqlite {
        Some(path) => Path::new(path.split_once('?').map_or(path, |(p, _)| p)).with_extension("key"),
        None => PathBuf::from("switchboard.key"),
    }
}

/// Writes a new key to `path`, readable by its owner only. The file appears whole or not at all
/// (written aside, then linked), and a file another process made first is kept.
fn create_key_file(path: &Path) -> anyhow::Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("switchboard.key");
    let aside = path.with_file_name(format!(".{name}.{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&aside).and_then(|mut f| {
        f.write_all(format!("{}\n", Keyring::generate_key()).as_bytes())?;
        f.sync_all()
    });
    let linked = written.and_then(|()| match std::fs::hard_link(&aside, path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    });
    let _ = std::fs::remove_file(&aside);
    if linked.with_context(|| format!("cannot write the secrets key file {}", path.display()))? {
        tracing::warn!(
            path = %path.display(),
            "no secrets key configured: made a new one in this file. Keep it with the database's backups: without \
             it the stored connector tokens and webhook secrets cannot be read. Every node on this database needs it"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_file_is_named_after_a_sqlite_database_and_sits_in_the_working_folder_for_postgresql() {
        assert_eq!(key_file("sqlite://switchboard.db"), Path::new("switchboard.key"));
        assert_eq!(key_file("sqlite:///var/lib/sb/data.db?mode=rwc"), Path::new("/var/lib/sb/data.key"));
        assert_eq!(key_file("postgres://sb@db/sb"), Path::new("switchboard.key"));
    }
}
