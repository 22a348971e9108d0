//! Two `switchboard serve` processes on one PostgreSQL share the job queue: every agent reply
//! is exported to the connector exactly once, whichever node queued it and whichever claims it.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use switchboard_store::Backend;
use switchboard_store::testing::with_db;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_switchboard");
/// Only a guard against a hung process or job; no assertion depends on it.
const GUARD: Duration = Duration::from_secs(120);
const REPLIES: usize = 24;

struct Node {
    _child: Child,
    url: String,
    /// The first start's `api_key=…`, printed by the node that created the company.
    api_key: Option<String>,
}

async fn serve(db_url: &str, dir: &std::path::Path) -> Node {
    let mut child = Command::new(BIN)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        // Retry at once and never sync on the schedule: this test drives everything.
        .env("SWITCHBOARD_SDK__RETRY_DELAY_MS", "0")
        .env("SWITCHBOARD_SDK__SYNC_INTERVAL_SECS", "3600")
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
    // Keep draining the log so the node never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = stderr.next_line().await {} });
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_millis(500), stdout.next_line()).await.ok().and_then(|l| l.ok().flatten());
    let api_key = first.and_then(|l| l.split_whitespace().find_map(|w| w.strip_prefix("api_key=")).map(str::to_owned));
    Node { _child: child, url: format!("http://{addr}"), api_key }
}

/// A connector that counts `messages.create` calls per `content_id`.
async fn connector() -> (String, Arc<Mutex<HashMap<String, usize>>>) {
    let creates: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    async fn handle(State(creates): State<Arc<Mutex<HashMap<String, usize>>>>, Json(body): Json<Value>) -> Json<Value> {
        match body["action"].as_str().unwrap_or_default() {
            "implementation.info" => Json(json!({"objects": {"messages": ["create", "list"]}, "options": []})),
            "messages.list" => Json(json!([{"id": "m1", "thread_id": "t1", "author": {"id": "c1", "screenname": "Customer"}, "body": "Hello"}])),
            "messages.create" => {
                let id = body["params"]["content_id"].as_str().unwrap().to_owned();
                *creates.lock().unwrap().entry(id.clone()).or_default() += 1;
                Json(json!({"id": format!("ext-{id}")}))
            }
            _ => Json(json!({})),
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let app = axum::Router::new().route("/", axum::routing::post(handle)).with_state(creates.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, creates)
}

async fn until(mut check: impl AsyncFnMut() -> bool, what: &str) {
    let deadline = Instant::now() + GUARD;
    while !check().await {
        assert!(Instant::now() < deadline, "{what} never happened");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_on_one_postgresql_export_each_reply_exactly_once() {
    with_db(Backend::Postgres, |db| async move {
        let dir = tempfile::tempdir().unwrap();
        let a = serve(&db.url, dir.path()).await;
        let b = serve(&db.url, dir.path()).await;
        let key = a.api_key.clone().or(b.api_key.clone()).expect("one node created the company");
        let http = reqwest::Client::new();
        let (base_uri, creates) = connector().await;

        let res = http.post(format!("{}/v1/sources", a.url)).bearer_auth(&key).json(&json!({"name": "Shared", "kind": "sdk", "base_uri": base_uri, "objects": {"messages": ["create", "list"]}})).send().await.unwrap();
        assert_eq!(res.status(), 201);
        let source: Value = res.json().await.unwrap();
        let sid = source["id"].as_str().unwrap();
        let run: Value = http.post(format!("{}/v1/sources/{sid}/sync", b.url)).bearer_auth(&key).send().await.unwrap().json().await.unwrap();
        let run_path = format!("{}/v1/sources/{sid}/syncs/{}", a.url, run["id"].as_str().unwrap());
        until(async || http.get(&run_path).bearer_auth(&key).send().await.unwrap().json::<Value>().await.unwrap()["status"] == "succeeded", "the sync").await;
        let records: Value = http.get(format!("{}/engage/advanced-messaging/v1/contents", a.url)).bearer_auth(&key).send().await.unwrap().json().await.unwrap();
        let parent = records["records"][0]["id"].as_str().unwrap().to_owned();

        // Replies written on both nodes: each node's workers wake for its own, and poll for
        // the other's.
        let mut ids = Vec::new();
        for i in 0..REPLIES {
            let node = if i % 2 == 0 { &a } else { &b };
            let res = http.post(format!("{}/engage/advanced-messaging/v1/contents", node.url)).bearer_auth(&key).json(&json!({"body": format!("reply {i}"), "inReplyToId": parent})).send().await.unwrap();
            assert_eq!(res.status(), 201);
            ids.push(res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned());
        }
        for id in &ids {
            let path = format!("{}/v1/contents/{id}", b.url);
            until(async || http.get(&path).bearer_auth(&key).send().await.unwrap().json::<Value>().await.unwrap()["export_status"] == "exported", "an export").await;
        }
        let creates = creates.lock().unwrap().clone();
        assert_eq!(creates.len(), REPLIES, "{creates:?}");
        assert!(creates.values().all(|n| *n == 1), "a reply was exported twice: {creates:?}");
        db
    })
    .await;
}
