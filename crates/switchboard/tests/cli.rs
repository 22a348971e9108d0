//! The `switchboard` binary as an operator runs it.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use switchboard_store::Backend;
use switchboard_store::testing::with_db;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStderr, ChildStdout, Command};

const BIN: &str = env!("CARGO_BIN_EXE_switchboard");
/// Only a guard against a hung process; no assertion depends on it.
const GUARD: Duration = Duration::from_secs(120);

fn command(db_url: &str, dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .arg("--database-url")
        .arg(db_url);
    cmd
}

struct Running {
    child: Child,
    addr: String,
    stdout: Lines<BufReader<ChildStdout>>,
    stderr: Lines<BufReader<ChildStderr>>,
    log: Vec<String>,
}

/// Starts `serve` on a random port with JSON logs and waits for its "serving" line.
async fn serve(db_url: &str, dir: &std::path::Path, extra_env: &[(&str, &str)]) -> Running {
    let mut cmd = command(db_url, dir);
    cmd.args(["--log-format", "json", "serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn switchboard");
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut log = Vec::new();
    let addr = tokio::time::timeout(GUARD, async {
        while let Some(line) = stderr.next_line().await.unwrap() {
            let entry: Value =
                serde_json::from_str(&line).unwrap_or_else(|_| panic!("a log line that is not JSON: {line}"));
            log.push(line);
            if entry["fields"]["message"] == "serving" {
                return entry["fields"]["addr"].as_str().unwrap().to_owned();
            }
        }
        panic!("switchboard exited before serving: {log:?}");
    })
    .await
    .expect("switchboard starts");
    let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    Running { child, addr, stdout, stderr, log }
}

impl Running {
    /// The first-start line, which `serve` prints before it starts serving.
    async fn first_start_line(&mut self) -> String {
        tokio::time::timeout(GUARD, self.stdout.next_line())
            .await
            .expect("stdout")
            .unwrap()
            .expect("a first-start line")
    }

    /// Sends SIGTERM, waits for a clean exit, and returns the whole log and what was left on
    /// stdout.
    async fn terminate(mut self) -> (Vec<String>, String) {
        let pid = self.child.id().unwrap().to_string();
        let status = std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(status.success());
        while let Some(line) = tokio::time::timeout(GUARD, self.stderr.next_line()).await.expect("log ends").unwrap() {
            self.log.push(line);
        }
        let mut stdout = String::new();
        while let Some(line) = tokio::time::timeout(GUARD, self.stdout.next_line()).await.expect("stdout ends").unwrap()
        {
            stdout.push_str(&line);
            stdout.push('\n');
        }
        let status = tokio::time::timeout(GUARD, self.child.wait()).await.expect("exits").unwrap();
        assert!(status.success(), "exit status {status:?}");
        (self.log, stdout)
    }
}

fn first_start_key(line: &str) -> (String, String) {
    let field = |name: &str| {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} in {line:?}"))
            .to_owned()
    };
    (field("company_id="), field("api_key="))
}

async fn company(addr: &str, key: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("http://{addr}/system/company"))
        .bearer_auth(key)
        .header("X-User-Id", "primary")
        .send()
        .await
        .unwrap()
}

type BoxedTest = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// Runs `test` with the URL of a fresh database and an empty working folder, on each backend.
async fn both(test: fn(String, std::path::PathBuf) -> BoxedTest) {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        with_db(backend, |db| async move {
            let dir = tempfile::tempdir().unwrap();
            test(db.url.clone(), dir.path().to_owned()).await;
            db
        })
        .await;
    }
}

#[tokio::test]
async fn the_version_flag_prints_the_version() {
    let out = Command::new(BIN).arg("--version").output().await.unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), format!("switchboard {}", env!("CARGO_PKG_VERSION")));
}

#[tokio::test]
async fn serve_with_no_arguments_uses_switchboard_db_in_the_current_folder() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .current_dir(dir.path())
        .env_clear()
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(GUARD, stdout.next_line()).await.unwrap().unwrap().expect("first-start line");
    assert!(line.contains("api_key=sbk_"), "{line}");
    assert!(dir.path().join("switchboard.db").exists());
    assert!(dir.path().join("files").is_dir(), "the file store's folder is beside the database");
    child.kill().await.unwrap();
}

#[tokio::test]
async fn the_first_start_prints_one_line_with_a_working_key_and_later_starts_print_none() {
    both(|url, dir| {
        Box::pin(async move {
            let mut first = serve(&url, &dir, &[]).await;
            let (company_id, key) = first_start_key(&first.first_start_line().await);
            let res = company(&first.addr, &key).await;
            assert_eq!(res.status(), 200);
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["id"], company_id.as_str());
            assert_eq!(body["name"], "Default");
            let (log, rest) = first.terminate().await;
            assert_eq!(rest, "", "exactly one line on first start");
            assert!(log.iter().all(|l| !l.contains(&key)), "the API key appears in the log");

            let second = serve(&url, &dir, &[]).await;
            assert_eq!(company(&second.addr, &key).await.status(), 200, "the first key still works");
            let (_, stdout) = second.terminate().await;
            assert_eq!(stdout, "", "no new key on a later start");
        })
    })
    .await;
}

#[tokio::test]
async fn company_create_prints_json_with_a_key_that_works() {
    both(|url, dir| {
        Box::pin(async move {
            let out = command(&url, &dir)
                .args(["company", "create", "--name", "Acme", "--email", "owner@acme.example", "--first-name", "Ada"])
                .output()
                .await
                .unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let created: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
            let key = created["api_key"].as_str().unwrap();
            assert_eq!(created["company_id"].as_str().unwrap().len(), 24);
            assert_eq!(created["primary_user_id"].as_str().unwrap().len(), 24);

            let server = serve(&url, &dir, &[]).await;
            let body: Value = company(&server.addr, key).await.json().await.unwrap();
            assert_eq!(body["name"], "Acme");
            assert_eq!(body["email"], "owner@acme.example");
            let (_, stdout) = server.terminate().await;
            assert_eq!(stdout, "", "a database with a company is not empty: no first-start company");
        })
    })
    .await;
}

#[tokio::test]
async fn company_create_rejects_a_malformed_email() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("x.db").display());
    let out = command(&url, dir.path())
        .args(["company", "create", "--name", "Acme", "--email", "nope"])
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--email"));
}

#[tokio::test]
async fn migrate_applies_the_schema_and_exits() {
    both(|url, dir| {
        Box::pin(async move {
            for _ in 0..2 {
                let out = command(&url, &dir).arg("migrate").output().await.unwrap();
                assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
                assert!(out.stdout.is_empty());
            }
            let mut server = serve(&url, &dir, &[]).await;
            first_start_key(&server.first_start_line().await);
            server.terminate().await;
        })
    })
    .await;
}

#[tokio::test]
async fn api_keys_are_never_logged_even_at_trace_level() {
    both(|url, dir| {
        Box::pin(async move {
            let mut server = serve(&url, &dir, &[("SWITCHBOARD_LOG_LEVEL", "trace")]).await;
            let (_, key) = first_start_key(&server.first_start_line().await);
            assert_eq!(company(&server.addr, &key).await.status(), 200);
            let wrong = format!("{key}x");
            assert_eq!(company(&server.addr, &wrong).await.status(), 401);
            let (log, _) = server.terminate().await;
            assert!(log.len() > 3, "trace logging is on");
            assert!(log.iter().all(|l| !l.contains(&key[4..])), "an API key appears in the log");
        })
    })
    .await;
}

#[tokio::test]
async fn unknown_configuration_keys_are_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("switchboard.toml"), "bnd = \"127.0.0.1:1\"\n").unwrap();
    let url = format!("sqlite://{}", dir.path().join("x.db").display());
    let server = serve(&url, dir.path(), &[]).await;
    assert!(
        server.log.iter().any(|l| l.contains("WARN") && l.contains("unknown configuration key 'bnd'")),
        "{:?}",
        server.log
    );
    server.terminate().await;
}

#[tokio::test]
async fn serve_with_no_key_configured_makes_a_key_file_beside_the_database_for_its_owner_only_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("data.db").display());
    let key_file = dir.path().join("data.key");

    let mut first = serve(&url, dir.path(), &[]).await;
    first_start_key(&first.first_start_line().await);
    let key = std::fs::read_to_string(&key_file).expect("a key file beside the database");
    assert!(
        first.log.iter().any(|l| l.contains("WARN") && l.contains(key_file.to_str().unwrap())),
        "the log says where the key is: {:?}",
        first.log
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let (log, _) = first.terminate().await;
    assert!(log.iter().all(|l| !l.contains(key.trim())), "the key appears in the log");

    let second = serve(&url, dir.path(), &[]).await;
    assert!(second.log.iter().all(|l| !l.contains("made a new one")), "{:?}", second.log);
    second.terminate().await;
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), key, "a later start keeps the key");
}

/// `switchboard secrets generate-key`'s output.
async fn generate_key(url: &str, dir: &std::path::Path) -> String {
    let out = command(url, dir).args(["secrets", "generate-key"]).output().await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[tokio::test]
async fn after_secrets_rotate_the_old_key_can_go_and_a_node_left_with_it_alone_is_refused() {
    both(|url, dir| {
        Box::pin(async move {
            let old = generate_key(&url, &dir).await;
            let new = generate_key(&url, &dir).await;
            assert_ne!(old, new);

            let settings = [("SWITCHBOARD_SECRETS__KEY", old.as_str()), ("SWITCHBOARD_LOG_LEVEL", "trace")];
            let mut first = serve(&url, &dir, &settings).await;
            let (_, api_key) = first_start_key(&first.first_start_line().await);
            let created: Value = reqwest::Client::new()
                .post(format!("http://{}/v1/sources", first.addr))
                .bearer_auth(&api_key)
                .json(&serde_json::json!({"name": "Forum", "kind": "sdk", "objects": {"messages": ["create"]}}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let (source, token) = (created["id"].as_str().unwrap(), created["access_token"].as_str().unwrap());
            let (log, _) = first.terminate().await;
            for secret in [token, old.as_str()] {
                assert!(log.iter().all(|l| !l.contains(secret)), "a secret appears in the log");
            }

            let both_keys = format!("{new},{old}");
            let out = command(&url, &dir).env("SWITCHBOARD_SECRETS__KEY", &both_keys).args(["secrets", "rotate"]).output().await.unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let rotated: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
            assert_eq!(rotated["resealed"], 1, "{rotated}");

            let second = serve(&url, &dir, &[("SWITCHBOARD_SECRETS__KEY", new.as_str())]).await;
            let body = r#"{"action":"messages.create","params":{"id":"m1","thread_id":"t","body":"Hello","author":{"id":"a","screenname":"A"}}}"#;
            let pushed = reqwest::Client::new()
                .post(format!("http://{}/realtime/sdk/{source}", second.addr))
                .header("X-SMCCSDK-SIGNATURE", switchboard_engine::channels::sdk::signing::sign(token, body.as_bytes()))
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(pushed.text().await.unwrap(), "ok", "the token opens under the new key alone and still signs");
            second.terminate().await;

            let refused = tokio::time::timeout(
                GUARD,
                command(&url, &dir)
                    .env("SWITCHBOARD_SECRETS__KEY", &old)
                    .args(["serve", "--bind", "127.0.0.1:0"])
                    .output(),
            )
            .await
            .expect("a node with the wrong key exits instead of serving")
            .unwrap();
            assert!(!refused.status.success());
            let said = String::from_utf8_lossy(&refused.stderr);
            assert!(said.contains(rotated["key_id"].as_str().unwrap()) && said.contains("secrets.key"), "{said}");
        })
    })
    .await;
}

#[tokio::test]
async fn user_set_password_reads_standard_input_and_the_user_signs_in_to_api_v2_with_it() {
    both(|url, dir| {
        Box::pin(async move {
            use tokio::io::AsyncWriteExt;
            let out = command(&url, &dir)
                .args(["company", "create", "--name", "Acme", "--email", "owner@acme.example"])
                .output()
                .await
                .unwrap();
            let created: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
            let company_id = created["company_id"].as_str().unwrap().to_owned();

            let password = "a secret nobody logs";
            let mut child = command(&url, &dir)
                .args(["user", "set-password", "--company", &company_id, "--user", "primary"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            child.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).await.unwrap();
            let out = child.wait_with_output().await.unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let printed: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
            assert_eq!(printed["user_id"], created["primary_user_id"]);
            assert!(!String::from_utf8_lossy(&out.stderr).contains(password));

            let short = command(&url, &dir)
                .args(["user", "set-password", "--company", &company_id, "--user", "primary"])
                .stdin(Stdio::null())
                .output()
                .await
                .unwrap();
            assert!(!short.status.success(), "an empty password is refused");

            let server = serve(&url, &dir, &[]).await;
            let res = reqwest::Client::new()
                .get(format!("http://{}/api/v2/me", server.addr))
                .basic_auth("owner@acme.example", Some(password))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            let me: Value = res.json().await.unwrap();
            assert_eq!(me["user"]["roles"][0], "ROLE_ADMIN");
            let (log, _) = server.terminate().await;
            assert!(!log.iter().any(|l| l.contains(password)), "the password is never logged");
        })
    })
    .await;
}
