//! Configuration, from lowest to highest precedence: built-in defaults, `switchboard.toml` (or
//! `--config FILE`), `SWITCHBOARD_*` environment variables, command-line flags. Nested keys map
//! to environment names with `__` (`webhooks.timeout_ms` is `SWITCHBOARD_WEBHOOKS__TIMEOUT_MS`;
//! a list is comma-separated), and any variable may instead name a file holding its value with a
//! `_FILE` suffix, for secrets. Unknown keys are reported, not fatal.

mod files;
mod public_url;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use toml::{Table, Value};

pub use files::{FileStoreKind, FilesConfig, S3Config, default_files_path};
pub use public_url::PublicUrl;

pub const DEFAULT_FILE: &str = "switchboard.toml";
const ENV_PREFIX: &str = "SWITCHBOARD_";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Address to serve HTTP on.
    pub bind: SocketAddr,
    /// `sqlite://PATH` or `postgres://…`.
    pub database_url: DatabaseUrl,
    /// PostgreSQL pool size, or the number of SQLite reader connections.
    pub database_max_connections: u32,
    pub log_format: LogFormat,
    /// A tracing filter, e.g. `info` or `switchboard=debug,info`.
    pub log_level: String,
    /// Calls to Channel SDK connectors (polling and export).
    pub sdk: SdkConfig,
    pub webhooks: WebhooksConfig,
    pub outbound: OutboundConfig,
    pub jobs: JobsConfig,
    pub secrets: SecretsConfig,
    pub http: HttpConfig,
    pub realtime: RealtimeConfig,
    pub gws: GwsConfig,
    pub files: FilesConfig,
}

/// A database URL. It may carry a password, so its `Debug` shows it without one.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for DatabaseUrl {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

impl From<String> for DatabaseUrl {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl PartialEq<&str> for DatabaseUrl {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (base, query) = self.0.split_once('?').map_or((self.0.as_str(), None), |(b, q)| (b, Some(q)));
        let mut redacted = match base.split_once("://") {
            Some((scheme, rest)) => match rest.rsplit_once('@') {
                Some((credentials, host)) => {
                    let user = credentials.split(':').next().unwrap_or_default();
                    format!("{scheme}://{user}:***@{host}")
                }
                None => base.to_owned(),
            },
            None => base.to_owned(),
        };
        if let Some(query) = query {
            // `?password=`, `?sslpassword=`: any parameter named like a password.
            let pairs: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((k, _)) if k.to_ascii_lowercase().contains("password") => format!("{k}=***"),
                    _ => pair.to_owned(),
                })
                .collect();
            redacted = format!("{redacted}?{}", pairs.join("&"));
        }
        write!(f, "DatabaseUrl({redacted:?})")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SdkConfig {
    /// Longest wait for a connector's answer.
    pub request_timeout_ms: u64,
    /// Delay before a failed export or action is tried again.
    pub retry_delay_ms: u64,
    /// Time between syncs of a source that lists (three times this when it lists nothing).
    pub sync_interval_secs: u64,
}

impl Default for SdkConfig {
    fn default() -> Self {
        let d = switchboard_engine::channels::sdk::client::SdkOptions::default();
        Self {
            request_timeout_ms: d.request_timeout.as_millis() as u64,
            retry_delay_ms: d.retry_delay.as_millis() as u64,
            sync_interval_secs: d.sync_interval.as_secs(),
        }
    }
}

impl SdkConfig {
    pub fn options(&self) -> switchboard_engine::channels::sdk::client::SdkOptions {
        use std::time::Duration;
        switchboard_engine::channels::sdk::client::SdkOptions {
            request_timeout: Duration::from_millis(self.request_timeout_ms),
            retry_delay: Duration::from_millis(self.retry_delay_ms),
            sync_interval: Duration::from_secs(self.sync_interval_secs),
        }
    }
}

/// The job runner (`[jobs]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct JobsConfig {
    /// How long a claimed job is held before another worker may take it: how long a job of a
    /// crashed node waits. Keep it above the longest job (a webhook attempt's time-out).
    pub lease_secs: u64,
    /// Jobs this node runs at once (0: none; another node, or a test, runs them).
    pub workers: usize,
}

impl Default for JobsConfig {
    fn default() -> Self {
        let d = switchboard_engine::jobs::RunnerOptions::default();
        Self { lease_secs: d.lease.as_secs(), workers: d.workers }
    }
}

impl JobsConfig {
    pub fn options(&self) -> switchboard_engine::jobs::RunnerOptions {
        switchboard_engine::jobs::RunnerOptions {
            workers: self.workers,
            lease: std::time::Duration::from_secs(self.lease_secs.max(1)),
            ..switchboard_engine::jobs::RunnerOptions::default()
        }
    }
}

/// The keys that seal stored secrets (`[secrets]`). Its `Debug` never shows them.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SecretsConfig {
    /// Base64 keys of 32 bytes, separated by commas or whitespace: the first seals, the others
    /// only open (older keys, during a rotation). Empty: the key file beside the database,
    /// made on the first start (see `crate::secrets`).
    pub key: String,
}

impl std::fmt::Debug for SecretsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let key = if self.key.is_empty() { "" } else { "***" };
        f.debug_struct("SecretsConfig").field("key", &key).finish()
    }
}

/// What every outbound request (connectors, webhooks) may reach (`[outbound]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OutboundConfig {
    /// Special-purpose networks (loopback, private, link-local, …) that connectors and webhook
    /// receivers may be on all the same, as CIDRs: the operator's own, never "everything".
    pub allowed_networks: Vec<ipnet::IpNet>,
}

impl OutboundConfig {
    pub fn options(&self) -> switchboard_engine::outbound::OutboundOptions {
        switchboard_engine::outbound::OutboundOptions { allowed_networks: self.allowed_networks.clone() }
    }
}

/// Outbound webhook deliveries (`[webhooks]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WebhooksConfig {
    /// An attempt not answered within this many milliseconds has failed.
    pub timeout_ms: u64,
    /// The wait after the first failed attempt; it doubles per attempt up to `retry_max_ms`.
    pub retry_base_ms: u64,
    pub retry_max_ms: u64,
    /// How long a failing delivery is retried before it is dead.
    pub retry_for_secs: u64,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        let d = switchboard_engine::webhooks::WebhookOptions::default();
        Self {
            timeout_ms: d.timeout.as_millis() as u64,
            retry_base_ms: d.retry_base.as_millis() as u64,
            retry_max_ms: d.retry_max.as_millis() as u64,
            retry_for_secs: d.retry_for.as_secs(),
        }
    }
}

impl WebhooksConfig {
    pub fn options(&self) -> switchboard_engine::webhooks::WebhookOptions {
        use std::time::Duration;
        switchboard_engine::webhooks::WebhookOptions {
            timeout: Duration::from_millis(self.timeout_ms),
            retry_base: Duration::from_millis(self.retry_base_ms),
            retry_max: Duration::from_millis(self.retry_max_ms),
            retry_for: Duration::from_secs(self.retry_for_secs),
            ..Default::default()
        }
    }
}

/// How long a client may take to send a request, and how many connections may be open
/// (`[http]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HttpConfig {
    /// A connection whose request head (request line and headers) is not complete this long
    /// after it was opened, or after its previous answer, is closed.
    pub header_read_timeout_ms: u64,
    /// A request whose body has not arrived this long after its head is answered 408 and its
    /// connection closed. Answers that stream (SSE, socket.io) are not limited.
    pub body_read_timeout_ms: u64,
    /// Connections open at once, websockets and event streams included; further ones are
    /// answered 503 and closed.
    pub max_connections: usize,
    /// A connection whose client takes none of what is sent to it (an answer, events, websocket
    /// frames) for this long is closed.
    pub write_stall_timeout_ms: u64,
    /// The URL clients and carriers reach this server at (`https://sb.example.com`, maybe
    /// with a path a proxy strips), where it is not the listen address: signed file links are
    /// made under it and carriers' webhook signatures are checked against it. Empty: derived
    /// from the listen address.
    pub public_url: PublicUrl,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            header_read_timeout_ms: 10_000,
            body_read_timeout_ms: 60_000,
            max_connections: 10_000,
            write_stall_timeout_ms: 30_000,
            public_url: PublicUrl::default(),
        }
    }
}

/// Live event streams (`[realtime]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RealtimeConfig {
    /// socket.io packets queued for one socket and not yet sent. A socket this far behind gets
    /// the next ones as it makes room; one that makes none for `socket_stall_timeout_ms` is
    /// disconnected (it resumes with `last_seq`) rather than left without events.
    pub socket_buffer: usize,
    /// How long a socket whose send buffer is full may take nothing before it is disconnected.
    pub socket_stall_timeout_ms: u64,
    /// Events a company's feed keeps in memory for its slowest subscriber; one further behind
    /// reads the gap from the log.
    pub feed_buffer: usize,
}

impl Default for RealtimeConfig {
    fn default() -> Self {
        Self {
            socket_buffer: 1024,
            socket_stall_timeout_ms: 10_000,
            feed_buffer: switchboard_engine::realtime::RealtimeOptions::default().buffer,
        }
    }
}

impl RealtimeConfig {
    pub fn socket_options(&self) -> switchboard_api_ringplan::SocketOptions {
        switchboard_api_ringplan::SocketOptions {
            buffer: self.socket_buffer.max(1),
            stall: std::time::Duration::from_millis(self.socket_stall_timeout_ms),
        }
    }
}

/// The GWS facade `/api/v2`: agents' sessions, CSRF and CometD (`[gws]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GwsConfig {
    /// GWS's `enableCsrfProtection`: GETs answer a token, and writes without it are refused.
    pub csrf: bool,
    /// A session unused for this long has ended.
    pub session_idle_secs: u64,
    /// A session has ended this long after sign-in, however busy.
    pub session_absolute_secs: u64,
    /// Failed sign-ins in a row one account may have before the next attempt must wait.
    pub sign_in_free_failures: u32,
    /// The same for one client address.
    pub sign_in_free_failures_per_address: u32,
    /// The wait after the first failure past the free ones; it doubles with each further one.
    pub sign_in_backoff_ms: u64,
    /// The longest wait; failures older than this are forgotten.
    pub sign_in_backoff_max_secs: u64,
    /// How long a CometD `/meta/connect` is held when there is nothing to send (its `advice`).
    pub cometd_timeout_ms: u64,
}

impl Default for GwsConfig {
    fn default() -> Self {
        let s = switchboard_engine::sign_in::SessionOptions::default();
        Self {
            csrf: false,
            session_idle_secs: s.idle.as_secs(),
            session_absolute_secs: s.absolute.as_secs(),
            sign_in_free_failures: s.free_failures_per_account,
            sign_in_free_failures_per_address: s.free_failures_per_address,
            sign_in_backoff_ms: u64::try_from(s.backoff.as_millis()).unwrap_or(u64::MAX),
            sign_in_backoff_max_secs: s.backoff_max.as_secs(),
            cometd_timeout_ms: switchboard_api_gws::GwsOptions::default().connect_timeout.as_millis() as u64,
        }
    }
}

impl GwsConfig {
    pub fn session_options(&self) -> switchboard_engine::sign_in::SessionOptions {
        use std::time::Duration;
        switchboard_engine::sign_in::SessionOptions {
            idle: Duration::from_secs(self.session_idle_secs),
            absolute: Duration::from_secs(self.session_absolute_secs),
            free_failures_per_account: self.sign_in_free_failures,
            free_failures_per_address: self.sign_in_free_failures_per_address,
            backoff: Duration::from_millis(self.sign_in_backoff_ms),
            backoff_max: Duration::from_secs(self.sign_in_backoff_max_secs),
        }
    }

    pub fn options(&self) -> switchboard_api_gws::GwsOptions {
        switchboard_api_gws::GwsOptions {
            csrf: self.csrf,
            connect_timeout: std::time::Duration::from_millis(self.cometd_timeout_ms),
            ..Default::default()
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: DatabaseUrl::from("sqlite://switchboard.db"),
            database_max_connections: 16,
            log_format: LogFormat::Text,
            log_level: "info".into(),
            sdk: SdkConfig::default(),
            webhooks: WebhooksConfig::default(),
            outbound: OutboundConfig::default(),
            jobs: JobsConfig::default(),
            secrets: SecretsConfig::default(),
            http: HttpConfig::default(),
            realtime: RealtimeConfig::default(),
            gws: GwsConfig::default(),
            files: FilesConfig::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Settings given on the command line; they win over every other source.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub bind: Option<SocketAddr>,
    pub database_url: Option<DatabaseUrl>,
    pub log_format: Option<LogFormat>,
}

/// The configuration, and what was odd about its sources (to log once logging is set up).
#[derive(Debug)]
pub struct Loaded {
    pub config: Config,
    pub warnings: Vec<String>,
}

impl Config {
    /// How the engine calls connectors and webhook receivers.
    pub fn engine_options(&self) -> switchboard_engine::EngineOptions {
        switchboard_engine::EngineOptions {
            sdk: self.sdk.options(),
            webhooks: self.webhooks.options(),
            outbound: self.outbound.options(),
            realtime: switchboard_engine::realtime::RealtimeOptions {
                buffer: self.realtime.feed_buffer.max(1),
                ..Default::default()
            },
            sessions: self.gws.session_options(),
            files: self.files.options(self.database_url.as_str()),
            public_url: switchboard_engine::PublicUrl::new(self.http.public_url(self.bind)),
            routing: Default::default(),
        }
    }

    pub fn load(overrides: &Overrides, env: impl IntoIterator<Item = (String, String)>) -> anyhow::Result<Loaded> {
        let defaults = Value::try_from(Config::default()).context("defaults")?;
        let Value::Table(mut merged) = defaults.clone() else { bail!("defaults are not a table") };
        let mut warnings = Vec::new();

        let file = match &overrides.config_file {
            Some(path) => Some(read_file(path)?),
            None if Path::new(DEFAULT_FILE).exists() => Some(read_file(Path::new(DEFAULT_FILE))?),
            None => None,
        };
        if let Some((path, table)) = file {
            for key in unknown_keys(&table, &defaults, "") {
                warnings.push(format!("{}: {}", path.display(), unknown_key(&key)));
            }
            merge(&mut merged, table);
        }

        for (name, raw) in env {
            let Some(rest) = name.strip_prefix(ENV_PREFIX) else { continue };
            // Test harness settings share the prefix but are not configuration.
            if rest.starts_with("TEST_") {
                continue;
            }
            let (rest, value) = match rest.strip_suffix("_FILE") {
                Some(r) => (
                    r,
                    std::fs::read_to_string(&raw)
                        .with_context(|| format!("{name}: cannot read {raw}"))?
                        .trim()
                        .to_owned(),
                ),
                None => (rest, raw),
            };
            let path: Vec<String> = rest.split("__").map(str::to_lowercase).collect();
            match lookup(&defaults, &path) {
                Some(default) => set(&mut merged, &path, coerce(&name, &value, default)?),
                None => warnings.push(format!("environment variable {name}: {}", unknown_key(&path.join(".")))),
            }
        }

        if let Some(b) = overrides.bind {
            merged.insert("bind".into(), Value::String(b.to_string()));
        }
        if let Some(u) = &overrides.database_url {
            merged.insert("database_url".into(), Value::String(u.as_str().to_owned()));
        }
        if let Some(f) = overrides.log_format {
            merged.insert("log_format".into(), Value::try_from(f)?);
        }

        let config: Config = Value::Table(merged).try_into().context("invalid configuration")?;
        Ok(Loaded { config, warnings })
    }
}

/// Keys that were replaced, with what to set instead.
const REPLACED: &[(&str, &str)] = &[(
    "webhooks.allow_private_targets",
    "outbound.allowed_networks, the list of networks (CIDRs) that connectors and webhook receivers may be on",
)];

fn unknown_key(key: &str) -> String {
    match REPLACED.iter().find(|(old, _)| *old == key) {
        Some((_, new)) => format!("configuration key '{key}' ignored: it was replaced by {new}"),
        None => format!("unknown configuration key '{key}' ignored"),
    }
}

fn read_file(path: &Path) -> anyhow::Result<(PathBuf, Table)> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read configuration file {}", path.display()))?;
    let table = text.parse::<Table>().with_context(|| format!("{} is not valid TOML", path.display()))?;
    Ok((path.to_owned(), table))
}

fn unknown_keys(table: &Table, known: &Value, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in table {
        let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        match known.get(k) {
            None => out.push(path),
            Some(Value::Table(_)) => {
                if let Value::Table(t) = v {
                    out.extend(unknown_keys(t, &known[k.as_str()], &path));
                }
            }
            Some(_) => {}
        }
    }
    out
}

fn merge(into: &mut Table, from: Table) {
    for (k, v) in from {
        match (into.get_mut(&k), v) {
            (Some(Value::Table(a)), Value::Table(b)) => merge(a, b),
            (_, v) => {
                into.insert(k, v);
            }
        }
    }
}

fn lookup<'a>(v: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

fn set(table: &mut Table, path: &[String], value: Value) {
    let (last, parents) = path.split_last().expect("non-empty path");
    let mut t = table;
    for p in parents {
        t = t
            .entry(p.clone())
            .or_insert_with(|| Value::Table(Table::new()))
            .as_table_mut()
            .expect("parent key is a table");
    }
    t.insert(last.clone(), value);
}

/// Environment values are text; give them the type of the setting they replace.
fn coerce(name: &str, raw: &str, like: &Value) -> anyhow::Result<Value> {
    Ok(match like {
        Value::Boolean(_) => match raw.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Value::Boolean(true),
            "false" | "0" | "no" | "off" => Value::Boolean(false),
            _ => bail!("{name} must be true or false, got '{raw}'"),
        },
        Value::Integer(_) => {
            Value::Integer(raw.parse().with_context(|| format!("{name} must be an integer, got '{raw}'"))?)
        }
        Value::Array(_) => Value::Array(
            raw.split(',').map(str::trim).filter(|v| !v.is_empty()).map(|v| Value::String(v.into())).collect(),
        ),
        _ => Value::String(raw.to_owned()),
    })
}

#[cfg(test)]
pub(crate) mod tests;
