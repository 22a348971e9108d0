//! Webhooks and streams across crashes and nodes, with the real binary: a receiver that is
//! down while events are produced and the server is killed (SIGKILL) gets every event once the
//! server is back; two `serve` processes on one PostgreSQL share the work.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use serde_json::{Value, json};
use switchboard_store::Backend;
use switchboard_store::testing::with_db;

mod support;

use support::{GUARD, Node, serve};

/// Settings of every node here: receivers on loopback allowed, quick retries, and short leases, since
/// a killed node's claimed jobs are taken over only once their lease ends.
const SETTINGS: &[(&str, &str)] = &[
    ("SWITCHBOARD_OUTBOUND__ALLOWED_NETWORKS", "127.0.0.0/8"),
    ("SWITCHBOARD_WEBHOOKS__RETRY_BASE_MS", "100"),
    ("SWITCHBOARD_WEBHOOKS__RETRY_MAX_MS", "500"),
    ("SWITCHBOARD_WEBHOOKS__TIMEOUT_MS", "2000"),
    ("SWITCHBOARD_JOBS__LEASE_SECS", "5"),
];

type Log = Arc<Mutex<Vec<(HeaderMap, Value)>>>;

/// A receiver that accepts everything and records it.
async fn receiver_on(addr: SocketAddr) -> Log {
    let log: Log = Arc::default();
    let listener = tokio::net::TcpListener::bind(addr).await.expect("the receiver's port is free again");
    let app = Router::new()
        .route(
            "/hook",
            post(|State(log): State<Log>, headers: HeaderMap, body: Bytes| async move {
                log.lock().unwrap().push((headers, serde_json::from_slice(&body).unwrap()));
            }),
        )
        .with_state(log.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    log
}

/// A local address nothing listens on (yet).
async fn free_addr() -> SocketAddr {
    tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap()
}

async fn create_source(client: &reqwest::Client, node: &Node, key: &str, name: &str) -> String {
    let res = client
        .post(node.url("/v1/sources"))
        .bearer_auth(key)
        .json(&json!({"name": name, "kind": "sdk"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
}

async fn deliveries(client: &reqwest::Client, node: &Node, key: &str, hook: &str) -> Vec<Value> {
    client
        .get(node.url(&format!("/v1/webhooks/{hook}/deliveries")))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Polls `cond` until it holds; fails after the guard.
async fn eventually<F: AsyncFnMut() -> bool>(what: &str, mut cond: F) {
    let deadline = tokio::time::Instant::now() + GUARD;
    while !cond().await {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Per event id, the delivery ids it arrived under, and the source ids that arrived.
fn by_event(log: &Log) -> (HashMap<String, HashSet<String>>, HashSet<String>) {
    let mut ids: HashMap<String, HashSet<String>> = HashMap::new();
    let mut sources = HashSet::new();
    for (headers, body) in log.lock().unwrap().iter() {
        let event = &body["events"][0];
        ids.entry(event["id"].as_str().unwrap().to_owned())
            .or_default()
            .insert(headers["webhook-id"].to_str().unwrap().to_owned());
        sources.insert(event["resource"]["id"].as_str().unwrap().to_owned());
    }
    (ids, sources)
}

async fn crash_and_restart(db_url: String, dir: std::path::PathBuf) {
    let client = reqwest::Client::new();
    let node = serve(&db_url, &dir, SETTINGS).await;
    let key = node.key.clone().expect("the first start prints a key");
    let receiver = free_addr().await;
    let res = client
        .post(node.url("/v1/webhooks"))
        .bearer_auth(&key)
        .json(&json!({"url": format!("http://{receiver}/hook"), "events": ["source.created"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let hook = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();

    // The receiver is down: the first events fail and wait for a retry...
    let mut sources = HashSet::new();
    for i in 0..5 {
        sources.insert(create_source(&client, &node, &key, &format!("before {i}")).await);
    }
    eventually("the first deliveries failed once", async || {
        let d = deliveries(&client, &node, &key, &hook).await;
        d.len() == 5 && d.iter().all(|d| d["attempts"].as_i64().unwrap() >= 1)
    })
    .await;
    // ...and the last ones are killed with the server before anything is done with them.
    for i in 0..5 {
        sources.insert(create_source(&client, &node, &key, &format!("after {i}")).await);
    }
    node.kill().await;

    let node = serve(&db_url, &dir, SETTINGS).await;
    let log = receiver_on(receiver).await;
    eventually("every event delivered after the restart", async || by_event(&log).1.is_superset(&sources)).await;
    eventually("every delivery marked delivered", async || {
        let d = deliveries(&client, &node, &key, &hook).await;
        d.len() == 10 && d.iter().all(|d| d["status"] == "delivered")
    })
    .await;
    let (ids, got) = by_event(&log);
    assert_eq!(got, sources);
    assert!(ids.values().all(|w| w.len() == 1), "an event arrived under two delivery ids: {ids:?}");
    node.kill().await;
}

#[tokio::test]
async fn events_raised_while_the_receiver_is_down_survive_a_sigkill_and_arrive_once_each() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        with_db(backend, |db| async move {
            let dir = tempfile::tempdir().unwrap();
            crash_and_restart(db.url.clone(), dir.path().to_owned()).await;
            db
        })
        .await;
    }
}

#[tokio::test]
async fn two_nodes_on_postgresql_share_webhook_work_and_stream_each_others_events() {
    with_db(Backend::Postgres, |db| async move {
        let dir = tempfile::tempdir().unwrap();
        let client = reqwest::Client::new();
        let one = serve(&db.url, dir.path(), SETTINGS).await;
        let key = one.key.clone().expect("the first start prints a key");
        let two = serve(&db.url, dir.path(), SETTINGS).await;
        assert!(two.key.is_none(), "the second node does not bootstrap again");

        let receiver = free_addr().await;
        let log = receiver_on(receiver).await;
        let res = client
            .post(one.url("/v1/webhooks"))
            .bearer_auth(&key)
            .json(&json!({"url": format!("http://{receiver}/hook"), "events": ["source.created"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let hook = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();

        // A stream on node two, from now on.
        let mut stream = client.get(two.url("/v1/events")).bearer_auth(&key).send().await.unwrap();
        assert_eq!(stream.status(), 200);

        let mut sources = HashSet::new();
        for i in 0..20 {
            let node = if i % 2 == 0 { &one } else { &two };
            sources.insert(create_source(&client, node, &key, &format!("source {i}")).await);
        }

        // Node two streams the events written through node one, too.
        let mut text = String::new();
        let streamed = tokio::time::timeout(GUARD, async {
            loop {
                let seen: HashSet<String> = sources.iter().filter(|s| text.contains(s.as_str())).cloned().collect();
                if seen == sources {
                    return;
                }
                let chunk = stream.chunk().await.unwrap().expect("the stream stays open");
                text.push_str(&String::from_utf8_lossy(&chunk));
            }
        })
        .await;
        assert!(streamed.is_ok(), "node two did not stream every event");

        eventually("every delivery made", async || {
            let d = deliveries(&client, &two, &key, &hook).await;
            d.len() == 20 && d.iter().all(|d| d["status"] == "delivered" && d["attempts"] == 1)
        })
        .await;
        let (ids, got) = by_event(&log);
        assert_eq!(got, sources);
        assert_eq!(log.lock().unwrap().len(), 20, "each delivery made once, not once per node");
        assert!(ids.values().all(|w| w.len() == 1));
        drop(stream);
        one.kill().await;
        two.kill().await;
        db
    })
    .await;
}
