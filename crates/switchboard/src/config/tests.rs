use super::*;

pub(super) fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn defaults_serve_locally_on_an_embedded_sqlite_file() {
    // Tests run in the crate folder, which has no switchboard.toml.
    let loaded = Config::load(&Overrides::default(), env(&[])).unwrap();
    assert_eq!(loaded.config, Config::default());
    assert_eq!(loaded.config.bind.to_string(), "127.0.0.1:8080");
    assert_eq!(loaded.config.database_url, "sqlite://switchboard.db");
}

#[test]
fn file_then_environment_then_flags_each_win_over_the_one_before() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.toml");
    std::fs::write(&file, "bind = \"127.0.0.1:9000\"\ndatabase_url = \"sqlite://from-file.db\"\nlog_level = \"debug\"\ndatabase_max_connections = 3\n").unwrap();
    let o = Overrides { config_file: Some(file.clone()), ..Default::default() };
    let c = Config::load(
        &o,
        env(&[("SWITCHBOARD_DATABASE_URL", "sqlite://from-env.db"), ("SWITCHBOARD_DATABASE_MAX_CONNECTIONS", "7")]),
    )
    .unwrap()
    .config;
    assert_eq!(c.bind.to_string(), "127.0.0.1:9000");
    assert_eq!(c.database_url, "sqlite://from-env.db");
    assert_eq!(c.database_max_connections, 7);
    assert_eq!(c.log_level, "debug");

    let o =
        Overrides { config_file: Some(file), database_url: Some("sqlite://from-flag.db".into()), ..Default::default() };
    let c = Config::load(&o, env(&[("SWITCHBOARD_DATABASE_URL", "sqlite://from-env.db")])).unwrap().config;
    assert_eq!(c.database_url, "sqlite://from-flag.db");
}

#[test]
fn unknown_keys_and_variables_are_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.toml");
    std::fs::write(&file, "bnd = \"x\"\n").unwrap();
    let o = Overrides { config_file: Some(file), ..Default::default() };
    let loaded = Config::load(&o, env(&[("SWITCHBOARD_NOPE", "1"), ("SWITCHBOARD_TEST_POSTGRES_URL", "x")])).unwrap();
    assert_eq!(loaded.warnings.len(), 2, "{:?}", loaded.warnings);
    assert!(loaded.warnings[0].contains("'bnd'"));
    assert!(loaded.warnings[1].contains("SWITCHBOARD_NOPE") && loaded.warnings[1].contains("'nope'"));
}

#[test]
fn a_value_can_come_from_a_file_named_by_a_file_variable() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("db-url");
    std::fs::write(&secret, "postgres://u:secret@db/sb\n").unwrap();
    let c = Config::load(&Overrides::default(), env(&[("SWITCHBOARD_DATABASE_URL_FILE", secret.to_str().unwrap())]))
        .unwrap()
        .config;
    assert_eq!(c.database_url, "postgres://u:secret@db/sb");
}

#[test]
fn webhook_settings_are_nested_keys_and_environment_variables() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.toml");
    std::fs::write(&file, "[webhooks]\nretry_base_ms = 50\n").unwrap();
    let o = Overrides { config_file: Some(file), ..Default::default() };
    let loaded = Config::load(&o, env(&[("SWITCHBOARD_WEBHOOKS__TIMEOUT_MS", "700")])).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert_eq!(loaded.config.webhooks.options().retry_base, std::time::Duration::from_millis(50));
    assert_eq!(loaded.config.webhooks.options().timeout, std::time::Duration::from_millis(700));
}

#[test]
fn outbound_requests_reach_no_special_purpose_network_unless_one_is_listed() {
    assert!(Config::default().outbound.allowed_networks.is_empty());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.toml");
    std::fs::write(&file, "[outbound]\nallowed_networks = [\"10.1.2.0/24\", \"::1/128\"]\n").unwrap();
    let o = Overrides { config_file: Some(file.clone()), ..Default::default() };
    let from_file = Config::load(&o, env(&[])).unwrap().config.outbound.allowed_networks;
    assert_eq!(from_file, vec!["10.1.2.0/24".parse().unwrap(), "::1/128".parse().unwrap()]);
    let from_env = Config::load(
        &Overrides::default(),
        env(&[("SWITCHBOARD_OUTBOUND__ALLOWED_NETWORKS", "127.0.0.1/32, 192.168.7.0/24")]),
    )
    .unwrap()
    .config
    .outbound
    .allowed_networks;
    assert_eq!(from_env, vec!["127.0.0.1/32".parse().unwrap(), "192.168.7.0/24".parse().unwrap()]);
    std::fs::write(&file, "[outbound]\nallowed_networks = [\"10.1.2.0/33\"]\n").unwrap();
    let err = format!("{:#}", Config::load(&o, env(&[])).unwrap_err());
    assert!(err.contains("allowed_networks"), "{err}");
}

#[test]
fn the_replaced_allow_private_targets_is_reported_with_what_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.toml");
    std::fs::write(&file, "[webhooks]\nallow_private_targets = true\n").unwrap();
    let o = Overrides { config_file: Some(file), ..Default::default() };
    let loaded = Config::load(&o, env(&[("SWITCHBOARD_WEBHOOKS__ALLOW_PRIVATE_TARGETS", "true")])).unwrap();
    assert_eq!(loaded.warnings.len(), 2, "{:?}", loaded.warnings);
    for warning in &loaded.warnings {
        assert!(warning.contains("'webhooks.allow_private_targets' ignored"), "{warning}");
        assert!(warning.contains("replaced by outbound.allowed_networks"), "{warning}");
    }
    assert!(loaded.config.outbound.allowed_networks.is_empty());
}

#[test]
fn http_limits_are_nested_keys_and_environment_variables() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.toml");
    std::fs::write(&file, "[http]\nheader_read_timeout_ms = 250\n").unwrap();
    let o = Overrides { config_file: Some(file), ..Default::default() };
    let loaded = Config::load(&o, env(&[("SWITCHBOARD_HTTP__MAX_CONNECTIONS", "64")])).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert_eq!(loaded.config.http.header_read_timeout_ms, 250);
    assert_eq!(loaded.config.http.max_connections, 64);
    assert_eq!(loaded.config.http.body_read_timeout_ms, HttpConfig::default().body_read_timeout_ms);
}

#[test]
fn realtime_buffers_reach_the_socket_io_layer_and_the_engine() {
    let c = Config {
        realtime: RealtimeConfig { socket_buffer: 0, socket_stall_timeout_ms: 250, feed_buffer: 0 },
        ..Config::default()
    };
    let sockets = c.realtime.socket_options();
    assert_eq!((sockets.buffer, sockets.stall), (1, std::time::Duration::from_millis(250)), "at least one packet");
    assert_eq!(c.engine_options().realtime.buffer, 1, "at least one event");
}

#[test]
fn the_database_password_never_shows_in_debug_output() {
    let c = Config { database_url: DatabaseUrl::from("postgres://sb:hunter2@db:5432/sb"), ..Config::default() };
    let printed = format!("{c:?}");
    assert!(!printed.contains("hunter2"), "{printed}");
    assert!(printed.contains("postgres://sb:***@db:5432/sb"), "{printed}");
    let in_query = DatabaseUrl::from("postgres://db/sb?user=sb&password=hunter2&sslmode=require");
    assert_eq!(format!("{in_query:?}"), r#"DatabaseUrl("postgres://db/sb?user=sb&password=***&sslmode=require")"#);
    let o = Overrides { database_url: Some("postgres://sb:hunter2@db/sb".into()), ..Overrides::default() };
    assert!(!format!("{o:?}").contains("hunter2"));
}

#[test]
fn the_secrets_key_comes_from_a_file_variable_and_never_shows_in_debug_output() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("key");
    std::fs::write(&file, "a2V5LW9uZQ==\na2V5LXR3bw==\n").unwrap();
    let loaded =
        Config::load(&Overrides::default(), env(&[("SWITCHBOARD_SECRETS__KEY_FILE", file.to_str().unwrap())])).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert_eq!(loaded.config.secrets.key, "a2V5LW9uZQ==\na2V5LXR3bw==");
    let printed = format!("{:?}", loaded.config);
    assert!(!printed.contains("a2V5"), "{printed}");
    assert!(printed.contains(r#"SecretsConfig { key: "***" }"#), "{printed}");
}

#[test]
fn badly_typed_values_are_errors() {
    assert!(Config::load(&Overrides::default(), env(&[("SWITCHBOARD_DATABASE_MAX_CONNECTIONS", "many")])).is_err());
    assert!(Config::load(&Overrides::default(), env(&[("SWITCHBOARD_BIND", "not-an-address")])).is_err());
}
