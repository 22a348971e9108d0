//! `spawn_app()`: the real Switchboard server, as the binary builds it, on a random port over a
//! fresh database; and [`e2e!`], which declares each test once per storage backend.

pub mod gws;
pub mod moto;
pub mod receiver;
pub mod socketio;
pub mod sse;

use std::net::SocketAddr;

use reqwest::{Method, RequestBuilder};
use serde_json::json;
use switchboard::Server;
use switchboard::config::{Config, FilesConfig, OutboundConfig, SdkConfig, SecretsConfig, WebhooksConfig};
use switchboard_domain::company::NewCompany;
use switchboard_domain::email::Email;
use switchboard_engine::Engine;
use switchboard_engine::companies::CreatedCompany;
pub use switchboard_store::Backend;
use switchboard_store::testing::TestDb;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use serde_json::Value;

pub mod connector;

/// A running server and what tests need to talk to it.
pub struct TestApp {
    pub addr: SocketAddr,
    pub backend: Backend,
    pub client: reqwest::Client,
    pub engine: Engine,
    /// The company the first start created (as a fresh install does).
    pub company: Tenant,
    /// The local file store's folder (unused when a test configures S3).
    pub files_dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

/// Credentials of a RingPlan caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub key: String,
    pub user: String,
}

/// A company on the test server and its credentials.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: String,
    pub key: String,
    pub primary_user_id: String,
    pub main_location_id: String,
}

impl From<CreatedCompany> for Tenant {
    fn from(c: CreatedCompany) -> Self {
        Tenant {
            id: c.company.id.to_string(),
            key: c.api_key.expose().to_owned(),
            primary_user_id: c.primary_user.id.to_string(),
            main_location_id: c.main_location.id.to_string(),
        }
    }
}

impl Tenant {
    /// The owner, as `X-User-Id: primary`.
    pub fn primary(&self) -> Caller {
        Caller { key: self.key.clone(), user: "primary".into() }
    }

    /// One of the company's users, by id.
    pub fn as_user(&self, user_id: &str) -> Caller {
        Caller { key: self.key.clone(), user: user_id.into() }
    }
}

/// Webhook settings for tests: retries within a second.
pub fn test_webhooks() -> WebhooksConfig {
    WebhooksConfig { timeout_ms: 2000, retry_base_ms: 100, retry_max_ms: 500, ..WebhooksConfig::default() }
}

pub async fn spawn_app(db: &TestDb) -> TestApp {
    spawn_app_with(db, |_| {}).await
}

/// [`spawn_app`] with the test's own changes to the configuration.
pub async fn spawn_app_with(db: &TestDb, configure: impl FnOnce(&mut Config)) -> TestApp {
    // Connectors under test fail on purpose: retry them at once and time them out quickly; and
    // sync only when a test asks (POST /v1/sources/{id}/sync), never on the schedule.
    let sdk = SdkConfig { request_timeout_ms: 10_000, retry_delay_ms: 0, sync_interval_secs: 3600 };
    let files_dir = tempfile::tempdir().expect("a folder for the file store");
    let mut config = Config {
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        database_url: db.url.clone().into(),
        database_max_connections: 8,
        sdk,
        webhooks: test_webhooks(),
        secrets: SecretsConfig { key: db.secrets_key.clone() },
        // Test connectors and receivers listen on loopback.
        outbound: OutboundConfig { allowed_networks: vec!["127.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()] },
        files: FilesConfig { path: files_dir.path().display().to_string(), ..FilesConfig::default() },
        ..Config::default()
    };
    configure(&mut config);
    let server = Server::build(&config).await.expect("server starts");
    let company = server.bootstrapped.clone().expect("a fresh database bootstraps a company");
    let (addr, engine) = (server.addr, server.engine.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        server
            .run(async {
                let _ = stopped.await;
            })
            .await
            .expect("server runs");
    });
    TestApp {
        addr,
        backend: db.backend,
        client: reqwest::Client::new(),
        engine,
        company: company.into(),
        files_dir,
        stop: Some(stop),
        task: Some(task),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// A RingPlan request with the caller's `Authorization` and `X-User-Id`.
    pub fn ringplan(&self, method: Method, path: &str, caller: &Caller) -> RequestBuilder {
        self.request(method, path).bearer_auth(&caller.key).header("X-User-Id", &caller.user)
    }

    /// Another tenant on the same server.
    pub async fn create_company(&self, name: &str, email: &str) -> Tenant {
        self.engine
            .create_company(NewCompany {
                name: name.into(),
                email: Some(Email::parse(email).unwrap()),
                first_name: Some("Owner".into()),
                last_name: None,
            })
            .await
            .expect("company created")
            .into()
    }

    /// Adds a user to a company through the API and returns its id.
    pub async fn add_user(&self, company: &Tenant, first_name: &str, email: &str) -> String {
        let res = self
            .ringplan(Method::POST, "/company/contacts", &company.primary())
            .json(&json!({"first_name": first_name, "contacts": {"email": email}}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "adding a user");
        res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
    }

    /// Runs every job that is due, and those they queue, until none is; returns how many ran.
    /// For servers without job workers (`e2e! { jobs: drained; … }`).
    pub async fn drain_jobs(&self) -> usize {
        self.engine.drain_jobs().await.expect("the due jobs run")
    }

    /// Stops the server gracefully. A server that does not stop within a minute fails the
    /// test rather than hang the suite.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(std::time::Duration::from_secs(60), task)
                .await
                .expect("the server stops gracefully")
                .expect("server task");
        }
    }
}

/// A Channel SDK source created through the native API.
#[derive(Debug, Clone)]
pub struct TestSource {
    pub id: String,
    pub token: String,
}

/// What a test source declares, as `implementation.info` would.
pub fn full_capabilities() -> Value {
    json!({
        "objects": {
            "messages": ["create", "list", "show"],
            "private_messages": ["create", "list"],
            "threads": ["create", "list"],
            "status": ["mark_as_read"],
        },
        "options": ["view.messaging", "messaging.typing_indicator"],
    })
}

/// Lowercase hex HMAC-SHA512 of `body` keyed with `token`, written here independently of the
/// server's own signing code.
pub fn sign(token: &str, body: &[u8]) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha512>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

impl TestApp {
    /// A native API request with the tenant's key (acting as its owner).
    pub fn native(&self, method: Method, path: &str, tenant: &Tenant) -> RequestBuilder {
        self.request(method, path).bearer_auth(&tenant.key)
    }

    /// An Advanced Messaging request with the tenant's key.
    pub fn engage(&self, method: Method, path: &str, tenant: &Tenant) -> RequestBuilder {
        self.request(method, &format!("/engage/advanced-messaging/v1{path}")).bearer_auth(&tenant.key)
    }

    /// Adds a Channel SDK source with `capabilities` (`{"objects", "options"}`).
    pub async fn create_source(&self, tenant: &Tenant, capabilities: Value) -> TestSource {
        let mut body = json!({"name": "Test source", "kind": "sdk"});
        body.as_object_mut().unwrap().extend(capabilities.as_object().unwrap().clone());
        let res = self.native(Method::POST, "/v1/sources", tenant).json(&body).send().await.unwrap();
        assert_eq!(res.status(), 201, "creating a source");
        let s: Value = res.json().await.unwrap();
        TestSource { id: s["id"].as_str().unwrap().to_owned(), token: s["access_token"].as_str().unwrap().to_owned() }
    }

    /// Sends raw bytes to the Send API with the given signature header.
    pub async fn push_raw(&self, source_id: &str, signature: Option<&str>, body: Vec<u8>) -> (u16, String) {
        let mut req = self
            .request(Method::POST, &format!("/realtime/sdk/{source_id}"))
            .header("Content-Type", "application/json")
            .body(body);
        if let Some(sig) = signature {
            req = req.header("X-SMCCSDK-SIGNATURE", sig);
        }
        let res = req.send().await.unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    }

    /// Pushes `{"action", "params"}`, compact and signed with the source's token.
    pub async fn push(&self, source: &TestSource, action: &str, params: Value) -> (u16, String) {
        let body = serde_json::to_vec(&json!({"action": action, "params": params})).unwrap();
        let sig = sign(&source.token, &body);
        self.push_raw(&source.id, Some(&sig), body).await
    }

    /// The tenant's contents, newest first (one page of up to 100).
    pub async fn contents(&self, tenant: &Tenant, query: &str) -> Vec<Value> {
        let res = self.engage(Method::GET, &format!("/contents?perPage=100{query}"), tenant).send().await.unwrap();
        assert_eq!(res.status(), 200);
        res.json::<Value>().await.unwrap()["records"].as_array().unwrap().clone()
    }

    /// The tenant's event log, oldest first, each event as its type and JSON payload (what every
    /// transport carries).
    pub async fn events(&self, tenant: &Tenant) -> Vec<LoggedEvent> {
        let company = switchboard_domain::CompanyId::parse(&tenant.id).unwrap();
        let mut r = self.engine.store().reader().await.unwrap();
        let log = switchboard_store::events::read_after(&mut r, &company, 0, 100_000).await.unwrap();
        log.into_iter().map(|e| LoggedEvent { seq: e.seq, kind: e.kind().to_owned(), payload: e.payload }).collect()
    }
}

/// An entry of a company's event log, as tests look at it.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedEvent {
    pub seq: i64,
    pub kind: String,
    pub payload: Value,
}

/// A `messages.create` params object.
pub fn message(id: &str, thread: &str, body: &str) -> Value {
    json!({"id": id, "author": {"id": "cust-1", "screenname": "Alice"}, "body": body, "thread_id": thread})
}

/// Checks a RingPlan problem body: its status and that its detail mentions `detail_part`.
pub async fn assert_problem(res: reqwest::Response, status: u16, detail_part: &str) {
    assert_eq!(res.status().as_u16(), status, "status");
    let body: Value = res.json().await.expect("a JSON problem body");
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(body["type"], "about:blank", "{body}");
    assert!(body["title"].is_string(), "{body}");
    let detail = body["detail"].as_str().expect("detail");
    assert!(
        detail.to_lowercase().contains(&detail_part.to_lowercase()),
        "detail {detail:?} should mention {detail_part:?}"
    );
}

/// Declares each test once per backend (`mod name { fn sqlite; fn postgres }`), given a
/// running [`TestApp`] on a fresh database. Starting the block with `jobs: drained;` runs the
/// server without job workers: the tests run due jobs themselves with
/// [`TestApp::drain_jobs`], and never wait for them. Starting it with `@with |config| …;` runs
/// the server with that change to its configuration.
#[macro_export]
macro_rules! e2e {
    (jobs: drained; $($tests:tt)*) => {
        $crate::e2e!(@with |config| config.jobs.workers = 0; $($tests)*);
    };
    (@with $configure:expr; $(async fn $name:ident($app:ident: &TestApp) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($app: &$crate::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::run($crate::Backend::Sqlite, $configure, |app| async move { body(&app).await; app }).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::run($crate::Backend::Postgres, $configure, |app| async move { body(&app).await; app }).await;
            }
        }
    )*};
    ($($tests:tt)*) => {
        $crate::e2e!(@with |_| {}; $($tests)*);
    };
}

/// Runs `test` against a server, configured by `configure`, on a fresh database of `backend`;
/// then stops the server and drops the database.
pub async fn run<F, Fut>(backend: Backend, configure: impl FnOnce(&mut Config), test: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: std::future::Future<Output = TestApp>,
{
    switchboard_store::testing::with_db(backend, |db| async move {
        let app = spawn_app_with(&db, configure).await;
        test(app).await.stop().await;
        db
    })
    .await;
}
