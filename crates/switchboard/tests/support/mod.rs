//! The real `switchboard` binary in a process of its own, for tests that need whole processes:
//! crashes (SIGKILL) and several nodes on one database.

// Each test binary uses a part of this module.
#![allow(dead_code)]

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_switchboard");
/// Only a guard against a hung process or a lost job; no assertion depends on speed.
pub const GUARD: Duration = Duration::from_secs(120);

pub struct Node {
    child: Child,
    addr: String,
    /// The first start's API key, when this start was the one that created the company.
    pub key: Option<String>,
}

/// Starts `switchboard serve` on a free port over `db_url`, in `dir`, with the given
/// `SWITCHBOARD_*` settings, and waits until it serves.
pub async fn serve(db_url: &str, dir: &Path, settings: &[(&str, &str)]) -> Node {
    let mut child = Command::new(BIN)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(settings.iter().copied())
        .args(["--database-url", db_url, "--log-format", "json", "serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn switchboard");
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = tokio::time::timeout(GUARD, async {
        while let Some(line) = stderr.next_line().await.unwrap() {
            let entry: Value = serde_json::from_str(&line).unwrap_or_default();
            if entry["fields"]["message"] == "serving" {
                return entry["fields"]["addr"].as_str().unwrap().to_owned();
            }
        }
        panic!("switchboard exited before serving");
    })
    .await
    .expect("switchboard starts");
    // Keep draining the log so the process never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = stderr.next_line().await {} });
    // The first-start line is printed before the server listens, so it is already in the pipe.
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let first =
        tokio::time::timeout(Duration::from_millis(500), stdout.next_line()).await.ok().and_then(|l| l.ok().flatten());
    let key = first.and_then(|l| l.split_whitespace().find_map(|w| w.strip_prefix("api_key=")).map(str::to_owned));
    Node { child, addr, key }
}

impl Node {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// SIGKILL: no graceful shutdown, jobs and leases left as they are.
    pub async fn kill(mut self) {
        self.child.start_kill().unwrap();
        self.child.wait().await.unwrap();
    }
}
