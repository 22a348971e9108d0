//! `[files]`: where files (MMS attachments, fax documents, voicemail audio) are kept and how
//! large they may be.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Where files (MMS attachments, fax documents, voicemail audio) are kept, and how they are
/// served (`[files]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FilesConfig {
    /// `local` (a folder) or `s3` (an S3-compatible bucket, `[files.s3]`).
    pub store: FileStoreKind,
    /// The folder of the `local` store. Empty: `files` beside a SQLite database, `./files` for
    /// PostgreSQL. Several nodes need a folder they all share, or `s3`.
    pub path: String,
    pub s3: S3Config,
    /// The largest file uploaded or fetched, in bytes.
    pub max_bytes: u64,
    /// How long a signed file link works.
    pub link_ttl_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileStoreKind {
    Local,
    S3,
}

/// An S3-compatible bucket (`[files.s3]`). Its `Debug` never shows the secret access key.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct S3Config {
    pub bucket: String,
    pub region: String,
    /// The URL of an S3-compatible server other than AWS (MinIO, Ceph, …); empty for AWS.
    pub endpoint: String,
    /// Empty: the environment's AWS credentials (`AWS_ACCESS_KEY_ID`, an instance role, …).
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &if self.secret_access_key.is_empty() { "" } else { "***" })
            .finish()
    }
}

impl Default for FilesConfig {
    fn default() -> Self {
        let d = switchboard_engine::files::FileOptions::default();
        Self {
            store: FileStoreKind::Local,
            path: String::new(),
            s3: S3Config::default(),
            max_bytes: d.max_bytes,
            link_ttl_secs: d.link_ttl.as_secs(),
        }
    }
}

impl FilesConfig {
    /// The engine's file options; `database_url` places the default folder.
    pub fn options(&self, database_url: &str) -> switchboard_engine::files::FileOptions {
        use switchboard_engine::files::{FileOptions, FileStoreOptions, S3Options};
        let store = match self.store {
            FileStoreKind::Local if self.path.is_empty() => {
                FileStoreOptions::Local { path: default_files_path(database_url) }
            }
            FileStoreKind::Local => FileStoreOptions::Local { path: PathBuf::from(&self.path) },
            FileStoreKind::S3 => FileStoreOptions::S3(S3Options {
                bucket: self.s3.bucket.clone(),
                region: self.s3.region.clone(),
                endpoint: self.s3.endpoint.clone(),
                access_key_id: self.s3.access_key_id.clone(),
                secret_access_key: self.s3.secret_access_key.clone(),
            }),
        };
        FileOptions {
            store,
            max_bytes: self.max_bytes,
            link_ttl: std::time::Duration::from_secs(self.link_ttl_secs.max(1)),
        }
    }
}

/// The local file store's folder when none is configured: `files` in the folder of a SQLite
/// database; for PostgreSQL, `files` in the working folder.
pub fn default_files_path(database_url: &str) -> PathBuf {
    crate::secrets::key_file(database_url).with_file_name("files")
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::tests::env;
    use crate::config::{Config, Overrides};

    #[test]
    fn the_s3_file_store_is_configured_by_variables_its_secret_from_a_file_never_shown() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("s3-secret");
        std::fs::write(&file, "wJalrXUtnFEMI\n").unwrap();
        let vars = [
            ("SWITCHBOARD_FILES__STORE", "s3"),
            ("SWITCHBOARD_FILES__S3__BUCKET", "media"),
            ("SWITCHBOARD_FILES__S3__ENDPOINT", "http://127.0.0.1:9000"),
            ("SWITCHBOARD_FILES__S3__ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("SWITCHBOARD_FILES__S3__SECRET_ACCESS_KEY_FILE", file.to_str().unwrap()),
            ("SWITCHBOARD_FILES__MAX_BYTES", "1024"),
        ];
        let loaded = Config::load(&Overrides::default(), env(&vars)).unwrap();
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        let files = &loaded.config.files;
        assert_eq!((files.store, files.s3.bucket.as_str(), files.max_bytes), (FileStoreKind::S3, "media", 1024));
        assert_eq!(files.s3.secret_access_key, "wJalrXUtnFEMI");
        for printed in [format!("{:?}", loaded.config), format!("{:?}", loaded.config.engine_options().files)] {
            assert!(!printed.contains("wJalr"), "{printed}");
            assert!(printed.contains("AKIDEXAMPLE"), "{printed}");
        }
    }

    #[test]
    fn the_local_file_store_sits_beside_a_sqlite_database_and_in_the_working_folder_for_postgresql() {
        assert_eq!(default_files_path("sqlite:///var/lib/sb/data.db?mode=rwc"), Path::new("/var/lib/sb/files"));
        assert_eq!(default_files_path("sqlite://switchboard.db"), Path::new("files"));
        assert_eq!(default_files_path("postgres://sb@db/sb"), Path::new("files"));
    }
}
