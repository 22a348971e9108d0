//! `spawn_app()`: the real Switchboard server, as the binary builds it, on a random port over a
//! fresh database; and [`e2e!`], which declares each test once per storage backend.

use std::net::SocketAddr;

use reqwest::{Method, RequestBuilder};
use serde_json::json;
use switchboard::Server;
use switchboard::config::Config;
use switchboard_domain::company::NewCompany;
use switchboard_domain::email::Email;
use switchboard_engine::Engine;
use switchboard_engine::companies::CreatedCompany;
pub use switchboard_store::Backend;
use switchboard_store::testing::TestDb;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use serde_json::Value;

/// A running server and what tests need to talk to it.
pub struct TestApp {
    pub addr: SocketAddr,
    pub backend: Backend,
    pub client: reqwest::Client,
    pub engine: Engine,
    /// The company the first start created (as a fresh install does).
    pub company: Tenant,
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
        Tenant { id: c.company.id.to_string(), key: c.api_key, primary_user_id: c.primary_user.id.to_string(), main_location_id: c.main_location.id.to_string() }
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

pub async fn spawn_app(db: &TestDb) -> TestApp {
    let config = Config { bind: SocketAddr::from(([127, 0, 0, 1], 0)), database_url: db.url.clone(), database_max_connections: 8, ..Config::default() };
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
    TestApp { addr, backend: db.backend, client: reqwest::Client::new(), engine, company: company.into(), stop: Some(stop), task: Some(task) }
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
            .create_company(NewCompany { name: name.into(), email: Some(Email::parse(email).unwrap()), first_name: Some("Owner".into()), last_name: None })
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

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// Checks a RingPlan problem body: its status and that its detail mentions `detail_part`.
pub async fn assert_problem(res: reqwest::Response, status: u16, detail_part: &str) {
    assert_eq!(res.status().as_u16(), status, "status");
    let body: Value = res.json().await.expect("a JSON problem body");
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(body["type"], "about:blank", "{body}");
    assert!(body["title"].is_string(), "{body}");
    let detail = body["detail"].as_str().expect("detail");
    assert!(detail.to_lowercase().contains(&detail_part.to_lowercase()), "detail {detail:?} should mention {detail_part:?}");
}

/// Declares each test once per backend (`mod name { fn sqlite; fn postgres }`), given a
/// running [`TestApp`] on a fresh database.
#[macro_export]
macro_rules! e2e {
    ($(async fn $name:ident($app:ident: &TestApp) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($app: &$crate::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::run($crate::Backend::Sqlite, |app| async move { body(&app).await; app }).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::run($crate::Backend::Postgres, |app| async move { body(&app).await; app }).await;
            }
        }
    )*};
}

/// Runs `test` against a server on a fresh database of `backend`, then stops the server and
/// drops the database.
pub async fn run<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: std::future::Future<Output = TestApp>,
{
    switchboard_store::testing::with_db(backend, |db| async move {
        let app = spawn_app(&db).await;
        test(app).await.stop().await;
        db
    })
    .await;
}
