//! The outbound guard from outside, on a server that allows no special-purpose network (the
//! default): a URL that leads into the server's own network, or carries credentials, is refused
//! where it is given; one already in the database (saved before the guard existed) is not
//! called, and what tried to call it says why.

use std::time::Duration;

use super::*;
use switchboard_domain::outbound::OutboundUrl;
use switchboard_domain::source::{SdkConfig, SdkSetup, Source, SourceConfig};
use switchboard_domain::webhook::{EndpointStatus, EventPattern, SigningSecret, WebhookEndpoint, WebhookFormat};
use switchboard_domain::{CompanyId, SourceId, Timestamp, WebhookEndpointId};
use switchboard_tests::connector::FakeConnector;
use switchboard_tests::receiver::Receiver;
use switchboard_tests::{full_capabilities, message};

/// URLs whose host is, embeds or resolves to a special-purpose address.
const INSIDE: &[&str] = &[
    "http://169.254.169.254/latest/",
    "http://10.0.0.1/",
    "http://[::1]:5432/",
    "http://127.0.0.1:9898/",
    "http://localhost:9898/",
    "http://2130706433/",
    "http://[64:ff9b::7f00:1]/",
    "http://[2002:7f00:1::]/",
    "http://[::ffff:169.254.169.254]/",
    "http://224.0.0.1/",
    "http://198.18.0.1/",
    "http://100.64.0.1/",
    "http://[fd00::1]/",
    "http://[fe80::1]/",
];

const WITH_CREDENTIALS: &[&str] =
    &["http://user:pass@hooks.example.invalid/in", "https://token@hooks.example.invalid/in"];

async fn get(app: &TestApp, path: &str) -> Value {
    let res = app.native(Method::GET, path, &app.company).send().await.unwrap();
    assert_eq!(res.status(), 200, "GET {path}");
    res.json().await.unwrap()
}

/// Writes `source` as a version without the guard did: straight into the database.
async fn saved_before_the_guard(app: &TestApp, base_uri: &str) -> Source {
    let now = Timestamp::now();
    let source = Source {
        id: SourceId::new(),
        company_id: CompanyId::parse(&app.company.id).unwrap(),
        name: "Old".into(),
        config: SourceConfig::Sdk(SdkConfig::new(SdkSetup {
            base_uri: Some(OutboundUrl::from_stored(base_uri).unwrap()),
            capabilities: Default::default(),
            settings: Default::default(),
        })),
        created_at: now,
        updated_at: now,
    };
    let mut tx = app.engine.store().begin().await.unwrap();
    switchboard_store::sources::insert(&mut tx, &source).await.unwrap();
    tx.commit().await.unwrap();
    source
}

/// Starts a sync of `source` and runs its job; returns the finished run.
async fn sync(app: &TestApp, source: &str) -> Value {
    let res = app.native(Method::POST, &format!("/v1/sources/{source}/sync"), &app.company).send().await.unwrap();
    assert_eq!(res.status(), 202);
    let run: Value = res.json().await.unwrap();
    app.drain_jobs().await;
    get(app, &format!("/v1/sources/{source}/syncs/{}", run["id"].as_str().unwrap())).await
}

e2e! {
    @with |config| {
        config.outbound.allowed_networks.clear();
        config.jobs.workers = 0;
    };

    async fn a_source_whose_base_uri_leads_inside_or_carries_credentials_is_refused_and_not_stored(app: &TestApp) {
        for bad in INSIDE.iter().chain(WITH_CREDENTIALS) {
            let body = json!({"name": "Forum", "kind": "sdk", "base_uri": bad});
            let res = app.native(Method::POST, "/v1/sources", &app.company).json(&body).send().await.unwrap();
            assert_eq!(res.headers()["content-type"], "application/problem+json", "{bad}");
            assert_problem(res, 400, "'base_uri'").await;
        }
        let res = app.native(Method::POST, "/v1/sources", &app.company).json(&json!({"name": "F", "kind": "sdk", "base_uri": "http://10.0.0.1/"})).send().await.unwrap();
        assert_problem(res, 400, "'base_uri' points to 10.0.0.1, a special-purpose address (private-use, 10.0.0.0/8)").await;
        let res = app.native(Method::POST, "/v1/sources", &app.company).json(&json!({"name": "F", "kind": "sdk", "base_uri": "http://u:secret@hooks.example.invalid/"})).send().await.unwrap();
        assert_problem(res, 400, "'base_uri' must not carry credentials").await;
        assert_eq!(get(app, "/v1/sources").await, json!([]));
    }

    async fn a_patch_pointing_a_source_inside_is_refused_and_changes_nothing(app: &TestApp) {
        let created: Value = app.native(Method::POST, "/v1/sources", &app.company).json(&json!({"name": "Push only", "kind": "sdk"})).send().await.unwrap().json().await.unwrap();
        let path = format!("/v1/sources/{}", created["id"].as_str().unwrap());
        let before = get(app, &path).await;
        for bad in INSIDE.iter().chain(WITH_CREDENTIALS) {
            let res = app.native(Method::PATCH, &path, &app.company).json(&json!({"base_uri": bad, "name": "Renamed"})).send().await.unwrap();
            assert_problem(res, 400, "'base_uri'").await;
        }
        assert_eq!(get(app, &path).await, before);
    }

    async fn a_webhook_whose_url_leads_inside_or_carries_credentials_is_refused(app: &TestApp) {
        for bad in INSIDE.iter().chain(WITH_CREDENTIALS) {
            let res = app.native(Method::POST, "/v1/webhooks", &app.company).json(&json!({"url": bad, "events": ["*"]})).send().await.unwrap();
            assert_problem(res, 400, "'url'").await;
        }
        let res = app.native(Method::POST, "/v1/webhooks", &app.company).json(&json!({"url": "http://[64:ff9b::7f00:1]/", "events": ["*"]})).send().await.unwrap();
        assert_problem(res, 400, "an address carrying 127.0.0.1, a special-purpose address (loopback, 127.0.0.0/8)").await;
        assert_eq!(get(app, "/v1/webhooks").await, json!([]));

        // No event will go to this name, which does not resolve: it is checked at each connection.
        let hook: Value = app.native(Method::POST, "/v1/webhooks", &app.company).json(&json!({"url": "https://hooks.example.invalid/in", "events": ["content.imported"]})).send().await.unwrap().json().await.unwrap();
        let path = format!("/v1/webhooks/{}", hook["id"].as_str().unwrap());
        for bad in INSIDE.iter().chain(WITH_CREDENTIALS) {
            let res = app.native(Method::PATCH, &path, &app.company).json(&json!({"url": bad})).send().await.unwrap();
            assert_problem(res, 400, "'url'").await;
        }
        assert_eq!(get(app, &path).await["url"], "https://hooks.example.invalid/in");

        let me = app.company.primary();
        for bad in INSIDE.iter().chain(WITH_CREDENTIALS) {
            let res = app.ringplan(Method::PUT, "/webhooks/callbacks/url", &me).json(&json!({"url": bad})).send().await.unwrap();
            assert_problem(res, 400, "'url'").await;
        }
        let res = app.ringplan(Method::GET, "/webhooks/callbacks/url", &me).send().await.unwrap();
        assert_eq!(res.status(), 404, "no callback URL was set");
    }

    async fn a_sync_of_a_source_saved_before_the_guard_calls_nothing_and_says_why(app: &TestApp) {
        let connector = FakeConnector::start("unset", json!({"objects": {"messages": ["list"]}})).await;
        let source = saved_before_the_guard(app, &connector.base_uri()).await;
        let run = sync(app, source.id.as_str()).await;
        assert_eq!(run["status"], "failed", "{run}");
        let error = run["error"].as_str().unwrap();
        assert!(error.contains("the connector was not called: 127.0.0.1 is a special-purpose address (loopback, 127.0.0.0/8)"), "{error}");
        assert!(error.contains("outbound.allowed_networks"), "{error}");
        assert!(connector.received("implementation.info").is_empty(), "the connector got a request");
    }

    async fn a_source_whose_name_now_resolves_inside_is_not_connected_to(app: &TestApp) {
        let connector = FakeConnector::start("unset", json!({"objects": {"messages": ["list"]}})).await;
        let source = saved_before_the_guard(app, &format!("http://localhost:{}/", connector.addr.port())).await;
        let run = sync(app, source.id.as_str()).await;
        assert_eq!(run["status"], "failed", "{run}");
        let error = run["error"].as_str().unwrap();
        assert!(error.contains("the connector was not called: localhost resolves only to addresses it may not reach"), "{error}");
        assert!(connector.received("implementation.info").is_empty(), "the connector got a request");
    }

    async fn a_source_saved_with_a_password_in_its_base_uri_keeps_it_but_never_shows_it(app: &TestApp) {
        let source = saved_before_the_guard(app, "http://hook:hunter2@connector.example.invalid/sdk").await;
        let path = format!("/v1/sources/{}", source.id);
        assert_eq!(get(app, &path).await["base_uri"], "http://hook:***@connector.example.invalid/sdk");
        let res = app.native(Method::PATCH, &path, &app.company).json(&json!({"name": "Renamed"})).send().await.unwrap();
        assert_eq!(res.status(), 200, "a change of something else keeps the base URI as it is");
        let patched: Value = res.json().await.unwrap();
        assert_eq!((patched["name"].as_str(), patched["base_uri"].as_str()), (Some("Renamed"), Some("http://hook:***@connector.example.invalid/sdk")));
        assert!(!get(app, "/v1/sources").await.to_string().contains("hunter2"));
        let events = app.events(&app.company).await;
        assert!(!format!("{events:?}").contains("hunter2"), "the source.updated event shows no password");
        let stored = app.engine.source(&app.engine.authenticate(&app.company.key, &switchboard_engine::auth::UserRef::Primary).await.unwrap(), &source.id).await.unwrap();
        assert_eq!(stored.base_uri().unwrap().expose(), "http://hook:hunter2@connector.example.invalid/sdk", "still called as it was");
    }

    async fn a_webhook_saved_before_the_guard_gets_nothing_hides_its_password_and_says_why(app: &TestApp) {
        let receiver = Receiver::start().await;
        let url = receiver.url().replacen("http://", "http://hook:hunter2@", 1);
        let company = CompanyId::parse(&app.company.id).unwrap();
        let now = Timestamp::now();
        let mut tx = app.engine.store().begin().await.unwrap();
        let endpoint = WebhookEndpoint {
            id: WebhookEndpointId::new(),
            company_id: company.clone(),
            url: OutboundUrl::from_stored(&url).unwrap(),
            format: WebhookFormat::Native,
            events: vec![EventPattern::parse("content.imported").unwrap()],
            source_ids: None,
            verify_token: None,
            secret: None,
            signing_secret: SigningSecret::generate(),
            previous_signing_secret: None,
            status: EndpointStatus::Active,
            disabled_reason: None,
            start_seq: switchboard_store::events::last_seq(&mut tx, &company).await.unwrap(),
            created_at: now,
            updated_at: now,
        };
        switchboard_store::webhooks::insert_endpoint(&mut tx, &endpoint).await.unwrap();
        tx.commit().await.unwrap();

        let path = format!("/v1/webhooks/{}", endpoint.id);
        let shown = get(app, &path).await;
        assert_eq!(shown["url"], url.replace("hunter2", "***"));
        assert!(!get(app, "/v1/webhooks").await.to_string().contains("hunter2"));

        let source = app.create_source(&app.company, full_capabilities()).await;
        let (status, body) = app.push(&source, "messages.create", message("m1", "t1", "Hello")).await;
        assert_eq!(status, 200, "{body}");
        // The dispatcher queues the delivery on its own; its job runs here.
        let mut deliveries = Vec::new();
        for _ in 0..600 {
            app.drain_jobs().await;
            deliveries = get(app, &format!("{path}/deliveries")).await.as_array().unwrap().clone();
            if deliveries.iter().any(|d| d["attempts"].as_i64() > Some(0)) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let error = deliveries.first().and_then(|d| d["last_error"].as_str()).unwrap_or_else(|| panic!("no failed attempt: {deliveries:?}"));
        assert!(error.starts_with("not sent: 127.0.0.1 is a special-purpose address (loopback, 127.0.0.0/8)"), "{error}");
        assert!(receiver.received().is_empty(), "the receiver got a request");
    }
}
