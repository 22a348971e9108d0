//! A real S3-compatible server for the file store's tests: `moto_server` (PyPI `moto[server]`,
//! pinned in conformance/requirements.txt), started on a free port and stopped when dropped.
//! `scripts/test.sh` installs it and names it in `SWITCHBOARD_TEST_MOTO_SERVER`; without that
//! variable the S3 tests are skipped, except under `CI=true`, where they fail.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const MOTO_SERVER_VAR: &str = "SWITCHBOARD_TEST_MOTO_SERVER";

/// A running `moto_server`.
pub struct Moto {
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    child: Child,
}

impl Moto {
    /// Starts `moto_server` and waits until it answers; `None` (skip) when it is not
    /// configured outside CI.
    pub async fn start() -> Option<Moto> {
        let program = match std::env::var(MOTO_SERVER_VAR) {
            Ok(p) if !p.is_empty() => p,
            _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
                panic!("{MOTO_SERVER_VAR} is not set: CI must run the S3 file store tests (scripts/test.sh sets it)")
            }
            _ => {
                eprintln!("skipped: {MOTO_SERVER_VAR} is not set (scripts/test.sh sets it)");
                return None;
            }
        };
        // A port free a moment ago; moto binds it right after.
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let child = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program} ({MOTO_SERVER_VAR}): {e}"));
        let moto = Moto { endpoint: format!("http://127.0.0.1:{port}"), child };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if client.get(&moto.endpoint).send().await.is_ok_and(|r| r.status().is_success()) {
                return Some(moto);
            }
            assert!(Instant::now() < deadline, "{program} did not answer on {} within a minute", moto.endpoint);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Creates a bucket.
    pub async fn create_bucket(&self, name: &str) {
        let res = reqwest::Client::new().put(format!("{}/{name}", self.endpoint)).send().await.unwrap();
        assert!(res.status().is_success(), "creating bucket {name}: {}", res.status());
    }

    /// The keys of the objects in `bucket`.
    pub async fn keys(&self, bucket: &str) -> Vec<String> {
        let url = format!("{}/{bucket}?list-type=2", self.endpoint);
        let xml = reqwest::Client::new().get(url).send().await.unwrap().text().await.unwrap();
        xml.split("<Key>").skip(1).filter_map(|s| s.split_once("</Key>")).map(|(k, _)| k.to_owned()).collect()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
