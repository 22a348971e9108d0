//! Two `switchboard serve` processes on one PostgreSQL share the job queue: every agent reply
//! is exported to the connector exactly once, whichever node queued it and whichever claims it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use switchboard_store::Backend;
use switchboard_store::testing::with_db;

mod support;

use support::{GUARD, serve};

const REPLIES: usize = 24;
/// Retry at once and never sync on the schedule: this test drives everything.
const SETTINGS: &[(&str, &str)] = &[
    ("SWITCHBOARD_SDK__RETRY_DELAY_MS", "0"),
    ("SWITCHBOARD_SDK__SYNC_INTERVAL_SECS", "3600"),
    ("SWITCHBOARD_OUTBOUND__ALLOWED_NETWORKS", "127.0.0.0/8"),
];

/// A connector that counts `messages.create` calls per `content_id`.
async fn connector() -> (String, Arc<Mutex<HashMap<String, usize>>>) {
    let creates: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    async fn handle(State(creates): State<Arc<Mutex<HashMap<String, usize>>>>, Json(body): Json<Value>) -> Json<Value> {
        match body["action"].as_str().unwrap_or_default() {
            "implementation.info" => Json(json!({"objects": {"messages": ["create", "list"]}, "options": []})),
            "messages.list" => Json(
                json!([{"id": "m1", "thread_id": "t1", "author": {"id": "c1", "screenname": "Customer"}, "body": "Hello"}]),
            ),
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
        let a = serve(&db.url, dir.path(), SETTINGS).await;
        let b = serve(&db.url, dir.path(), SETTINGS).await;
        let key = a.key.clone().or(b.key.clone()).expect("one node created the company");
        let http = reqwest::Client::new();
        let (base_uri, creates) = connector().await;

        let res = http.post(a.url("/v1/sources")).bearer_auth(&key).json(&json!({"name": "Shared", "kind": "sdk", "base_uri": base_uri, "objects": {"messages": ["create", "list"]}})).send().await.unwrap();
        assert_eq!(res.status(), 201);
        let source: Value = res.json().await.unwrap();
        let sid = source["id"].as_str().unwrap();
        let run: Value = http.post(b.url(&format!("/v1/sources/{sid}/sync"))).bearer_auth(&key).send().await.unwrap().json().await.unwrap();
        let run_path = a.url(&format!("/v1/sources/{sid}/syncs/{}", run["id"].as_str().unwrap()));
        until(async || http.get(&run_path).bearer_auth(&key).send().await.unwrap().json::<Value>().await.unwrap()["status"] == "succeeded", "the sync").await;
        let records: Value = http.get(a.url("/engage/advanced-messaging/v1/contents")).bearer_auth(&key).send().await.unwrap().json().await.unwrap();
        let parent = records["records"][0]["id"].as_str().unwrap().to_owned();

        // Replies written on both nodes: each node's workers wake for its own, and poll for
        // the other's.
        let mut ids = Vec::new();
        for i in 0..REPLIES {
            let node = if i % 2 == 0 { &a } else { &b };
            let res = http.post(node.url("/engage/advanced-messaging/v1/contents")).bearer_auth(&key).json(&json!({"body": format!("reply {i}"), "inReplyToId": parent})).send().await.unwrap();
            assert_eq!(res.status(), 201);
            ids.push(res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned());
        }
        for id in &ids {
            let path = b.url(&format!("/v1/contents/{id}"));
            until(async || http.get(&path).bearer_auth(&key).send().await.unwrap().json::<Value>().await.unwrap()["export_status"] == "exported", "an export").await;
        }
        let creates = creates.lock().unwrap().clone();
        assert_eq!(creates.len(), REPLIES, "{creates:?}");
        assert!(creates.values().all(|n| *n == 1), "a reply was exported twice: {creates:?}");
        db
    })
    .await;
}
