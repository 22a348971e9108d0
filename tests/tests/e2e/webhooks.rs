//! Native webhooks against a real local receiver: signed deliveries with stable ids, retries
//! through failures and time-outs, thread order, 410, verification, rotation, tenancy.

use std::time::Duration;

use super::*;
use switchboard_tests::receiver::{Mode, Receiver, signature_valid};
use switchboard_tests::{Tenant, TestSource, full_capabilities, message};

async fn create_webhook(app: &TestApp, tenant: &Tenant, body: Value) -> Value {
    let res = app.native(Method::POST, "/v1/webhooks", tenant).json(&body).send().await.unwrap();
    assert_eq!(res.status(), 201, "creating a webhook");
    res.json().await.unwrap()
}

async fn push_message(app: &TestApp, source: &TestSource, id: &str, thread: &str) {
    let (status, body) = app.push(source, "messages.create", message(id, thread, &format!("body of {id}"))).await;
    assert_eq!(status, 200, "{body}");
}

async fn deliveries(app: &TestApp, tenant: &Tenant, webhook: &str) -> Vec<Value> {
    let res = app.native(Method::GET, &format!("/v1/webhooks/{webhook}/deliveries"), tenant).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// The company's deliveries to the endpoint once none is pending; fails after a generous bound.
async fn delivered(app: &TestApp, webhook: &str) -> Vec<Value> {
    for _ in 0..600 {
        let list = deliveries(app, &app.company, webhook).await;
        if !list.is_empty() && list.iter().all(|d| d["status"] != "pending") {
            return list;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("deliveries to {webhook} stayed pending");
}

/// The foreign ids of the contents of the accepted deliveries, in arrival order.
fn accepted_foreign_ids(r: &Receiver) -> Vec<String> {
    r.accepted()
        .iter()
        .map(|x| x.json()["events"][0]["resource"]["metadata"]["foreign_id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

e2e! {
    async fn a_delivery_arrives_signed_in_the_envelope_with_one_id_across_retries(app: &TestApp) {
        let receiver = Receiver::start().await;
        receiver.set_mode(Mode::Fail(500));
        let source = app.create_source(&app.company, full_capabilities()).await;
        let hook = create_webhook(app, &app.company, json!({"url": receiver.url(), "events": ["content.imported"], "secret": "s3cret"})).await;
        let signing = hook["signing_secret"].as_str().unwrap().to_owned();
        push_message(app, &source, "m1", "t1").await;

        receiver.wait_for("two failed attempts", |r| r.len() >= 2).await;
        receiver.set_mode(Mode::Ok);
        let got = receiver.wait_for("an accepted delivery", |r| r.iter().any(|x| x.answered == 200)).await;

        let ids: std::collections::HashSet<&str> = got.iter().map(|r| r.header("webhook-id")).collect();
        assert_eq!(ids.len(), 1, "every attempt carries the same webhook-id");
        let last = got.last().unwrap();
        assert!(signature_valid(&signing, last), "signature {}", last.header("webhook-signature"));
        assert_eq!(last.header("x-dimelo-secret"), "s3cret");
        let body = last.json();
        assert_eq!(body["id"], last.header("webhook-id"));
        assert_eq!(body["domain_id"], app.company.id.as_str());
        let event = &body["events"][0];
        assert_eq!(event["type"], "content.imported");
        assert_eq!(event["resource"]["type"], "message");
        assert_eq!(event["resource"]["metadata"]["foreign_id"], "m1");
        assert_eq!(event["resource"]["id"], event["resource"]["metadata"]["id"]);
        assert!(event["issued_at"].as_str().unwrap().ends_with('Z'));

        // The receiver records the request before it answers: wait for the server to record
        // the answer too.
        let list = delivered(app, hook["id"].as_str().unwrap()).await;
        assert_eq!(list.len(), 1, "only content.imported matches: {list:?}");
        assert_eq!(list[0]["id"], body["id"]);
        assert_eq!(list[0]["status"], "delivered");
        assert_eq!(list[0]["response_code"], 200);
        assert!(list[0]["attempts"].as_i64().unwrap() >= 3);
    }

    async fn an_endpoint_in_the_native_format_gets_the_log_entry_under_data(app: &TestApp) {
        let receiver = Receiver::start().await;
        let source = app.create_source(&app.company, full_capabilities()).await;
        let hook = create_webhook(app, &app.company, json!({"url": receiver.url(), "format": "native", "events": ["content.imported"]})).await;
        assert_eq!(hook["format"], "native");
        push_message(app, &source, "n1", "t1").await;
        let got = receiver.wait_for("the delivery", |r| !r.is_empty()).await;
        let body = got[0].json();
        assert!(signature_valid(hook["signing_secret"].as_str().unwrap(), &got[0]));
        assert_eq!(body["id"], got[0].header("webhook-id"));
        assert_eq!((body["type"].as_str(), body["company_id"].as_str()), (Some("content.imported"), Some(app.company.id.as_str())));
        assert_eq!(body["data"]["foreign_id"], "n1");
        let logged = app.events(&app.company).await.into_iter().find(|e| e.kind == "content.imported").unwrap();
        assert_eq!((body["seq"].as_i64(), &body["data"]), (Some(logged.seq), &logged.payload));
        assert!(body.get("events").is_none(), "not the Engage Digital envelope: {body}");
        for (format, mention) in [("ringplan", "engage_digital or native"), ("xml", "format")] {
            let res = app.native(Method::POST, "/v1/webhooks", &app.company).json(&json!({"url": receiver.url(), "format": format, "events": ["*"]})).send().await.unwrap();
            assert_problem(res, 400, mention).await;
        }
        let res = app.native(Method::PATCH, &format!("/v1/webhooks/{}", hook["id"].as_str().unwrap()), &app.company).json(&json!({"format": "engage_digital"})).send().await.unwrap();
        assert_eq!(res.json::<Value>().await.unwrap()["format"], "engage_digital");
    }

    async fn deliveries_keep_thread_order_through_failures_and_time_outs(app: &TestApp) {
        let receiver = Receiver::start().await;
        receiver.set_mode(Mode::Fail(503));
        let source = app.create_source(&app.company, full_capabilities()).await;
        create_webhook(app, &app.company, json!({"url": receiver.url(), "events": ["content.*"]})).await;
        for i in 0..4 {
            push_message(app, &source, &format!("a{i}"), "ta").await;
            push_message(app, &source, &format!("b{i}"), "tb").await;
        }
        receiver.wait_for("failed attempts", |r| r.len() >= 3).await;
        receiver.set_mode(Mode::Hang(Duration::from_secs(4)));
        receiver.wait_for("an attempt that timed out", |r| r.len() >= 4).await;
        receiver.set_mode(Mode::Ok);
        receiver.wait_for("all eight messages", |_| receiver.accepted().len() >= 8).await;

        let ids = accepted_foreign_ids(&receiver);
        let of = |p: char| ids.iter().filter(|i| i.starts_with(p)).cloned().collect::<Vec<_>>();
        assert_eq!(of('a'), ["a0", "a1", "a2", "a3"]);
        assert_eq!(of('b'), ["b0", "b1", "b2", "b3"]);
    }

    async fn a_receiver_answering_410_disables_the_endpoint(app: &TestApp) {
        let receiver = Receiver::start().await;
        receiver.set_mode(Mode::Fail(410));
        let source = app.create_source(&app.company, full_capabilities()).await;
        let hook = create_webhook(app, &app.company, json!({"url": receiver.url(), "events": ["*"]})).await;
        let id = hook["id"].as_str().unwrap();
        push_message(app, &source, "m1", "t1").await;
        receiver.wait_for("a delivery", |r| !r.is_empty()).await;
        let mut status = Value::Null;
        for _ in 0..300 {
            status = app.native(Method::GET, &format!("/v1/webhooks/{id}"), &app.company).send().await.unwrap().json().await.unwrap();
            if status["status"] == "disabled" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(status["status"], "disabled", "{status}");
        assert!(status["disabled_reason"].as_str().unwrap().contains("410"));
        let list = deliveries(app, &app.company, id).await;
        assert!(list.iter().all(|d| d["status"] == "dead"), "{list:?}");

        // Nothing more is sent to it.
        receiver.set_mode(Mode::Ok);
        let before = receiver.received().len();
        push_message(app, &source, "m2", "t1").await;
        let res = app.native(Method::PATCH, &format!("/v1/webhooks/{id}"), &app.company).json(&json!({"active": true})).send().await.unwrap();
        assert_eq!(res.status(), 200);
        // Re-enabled, it gets new events (and not the one raised while it was disabled).
        push_message(app, &source, "m3", "t1").await;
        receiver.wait_for("the message sent after re-enabling", |r| r.iter().any(|x| x.json()["events"][0]["resource"]["metadata"]["foreign_id"] == "m3")).await;
        assert!(receiver.received()[before..].iter().all(|x| x.json()["events"][0]["resource"]["metadata"]["foreign_id"] != "m2"));
    }

    async fn redelivery_sends_the_same_delivery_id_again(app: &TestApp) {
        let receiver = Receiver::start().await;
        let source = app.create_source(&app.company, full_capabilities()).await;
        let hook = create_webhook(app, &app.company, json!({"url": receiver.url(), "events": ["content.imported"]})).await;
        let hook_id = hook["id"].as_str().unwrap();
        push_message(app, &source, "m1", "t1").await;
        let first = receiver.wait_for("a delivery", |r| !r.is_empty()).await[0].clone();
        let list = delivered(app, hook_id).await;
        let delivery_id = list[0]["id"].as_str().unwrap();
        let res = app.native(Method::POST, &format!("/v1/webhooks/{hook_id}/deliveries/{delivery_id}/redeliver"), &app.company).send().await.unwrap();
        assert_eq!(res.status(), 202);
        let got = receiver.wait_for("the redelivery", |r| r.len() >= 2).await;
        assert_eq!(got[1].header("webhook-id"), first.header("webhook-id"));
        assert_eq!(got[1].json()["id"], first.json()["id"]);

        let res = app.native(Method::POST, &format!("/v1/webhooks/{hook_id}/deliveries/000000000000000000000000/redeliver"), &app.company).send().await.unwrap();
        assert_problem(res, 404, "delivery").await;
    }

    async fn after_a_rotation_both_secrets_sign_deliveries(app: &TestApp) {
        let receiver = Receiver::start().await;
        let source = app.create_source(&app.company, full_capabilities()).await;
        let hook = create_webhook(app, &app.company, json!({"url": receiver.url(), "events": ["content.imported"]})).await;
        let old = hook["signing_secret"].as_str().unwrap().to_owned();
        let res = app.native(Method::POST, &format!("/v1/webhooks/{}/rotate-secret", hook["id"].as_str().unwrap()), &app.company).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let new = res.json::<Value>().await.unwrap()["signing_secret"].as_str().unwrap().to_owned();
        assert_ne!(old, new);
        push_message(app, &source, "m1", "t1").await;
        let got = receiver.wait_for("a delivery", |r| !r.is_empty()).await;
        assert!(signature_valid(&old, &got[0]) && signature_valid(&new, &got[0]), "{}", got[0].header("webhook-signature"));
        let listed: Value = app.native(Method::GET, "/v1/webhooks", &app.company).send().await.unwrap().json().await.unwrap();
        assert!(listed[0].get("signing_secret").is_none(), "secrets are shown only at creation and rotation");
    }

    async fn registration_with_a_verify_token_needs_the_challenge_echoed(app: &TestApp) {
        let receiver = Receiver::start().await;
        receiver.expect_verify_token("right");
        let res = app.native(Method::POST, "/v1/webhooks", &app.company).json(&json!({"url": receiver.url(), "events": ["*"], "verify_token": "wrong"})).send().await.unwrap();
        assert_problem(res, 400, "did not confirm the subscription").await;
        let listed: Value = app.native(Method::GET, "/v1/webhooks", &app.company).send().await.unwrap().json().await.unwrap();
        assert_eq!(listed, json!([]), "a refused endpoint is not created");
        let hook = create_webhook(app, &app.company, json!({"url": receiver.url(), "events": ["*"], "verify_token": "right"})).await;
        assert_eq!(hook["verified"], true);
    }

    async fn malformed_webhooks_are_refused_with_a_clear_problem(app: &TestApp) {
        let cases = [
            (json!({"events": ["*"]}), "url"),
            (json!({"url": "ftp://example.com/", "events": ["*"]}), "url"),
            (json!({"url": "http://127.0.0.1:9/", "events": []}), "events"),
            (json!({"url": "http://127.0.0.1:9/", "events": ["Content.Imported"]}), "event type"),
            (json!({"url": "http://127.0.0.1:9/", "events": ["*"], "source_ids": ["nope"]}), "source_ids"),
            (json!({"url": "http://127.0.0.1:9/", "events": ["*"], "colour": "red"}), "colour"),
        ];
        for (body, mention) in cases {
            let res = app.native(Method::POST, "/v1/webhooks", &app.company).json(&body).send().await.unwrap();
            assert_problem(res, 400, mention).await;
        }
        let listed: Value = app.native(Method::GET, "/v1/webhooks", &app.company).send().await.unwrap().json().await.unwrap();
        assert_eq!(listed, json!([]));
    }

    async fn another_companys_webhooks_and_deliveries_are_out_of_reach(app: &TestApp) {
        let other = app.create_company("Other Corp", "owner@other.example").await;
        let receiver = Receiver::start().await;
        let source = app.create_source(&app.company, full_capabilities()).await;
        let hook = create_webhook(app, &app.company, json!({"url": receiver.url(), "events": ["content.imported"]})).await;
        let id = hook["id"].as_str().unwrap();
        push_message(app, &source, "m1", "t1").await;
        receiver.wait_for("a delivery", |r| !r.is_empty()).await;
        let delivery = deliveries(app, &app.company, id).await[0]["id"].as_str().unwrap().to_owned();

        let theirs: Value = app.native(Method::GET, "/v1/webhooks", &other).send().await.unwrap().json().await.unwrap();
        assert_eq!(theirs, json!([]));
        for (method, path, body) in [
            (Method::GET, format!("/v1/webhooks/{id}"), None),
            (Method::PATCH, format!("/v1/webhooks/{id}"), Some(json!({"active": false}))),
            (Method::POST, format!("/v1/webhooks/{id}/rotate-secret"), None),
            (Method::GET, format!("/v1/webhooks/{id}/deliveries"), None),
            (Method::POST, format!("/v1/webhooks/{id}/deliveries/{delivery}/redeliver"), None),
            (Method::DELETE, format!("/v1/webhooks/{id}"), None),
        ] {
            let mut req = app.native(method.clone(), &path, &other);
            if let Some(b) = body {
                req = req.json(&b);
            }
            assert_problem(req.send().await.unwrap(), 404, "webhook").await;
        }
        let mine: Value = app.native(Method::GET, &format!("/v1/webhooks/{id}"), &app.company).send().await.unwrap().json().await.unwrap();
        assert_eq!(mine["status"], "active");
        // The other company's events never reach this company's endpoint.
        let other_source = app.create_source(&other, full_capabilities()).await;
        push_message(app, &other_source, "theirs", "t1").await;
        push_message(app, &source, "m2", "t1").await;
        receiver.wait_for("the second message", |r| r.len() >= 2).await;
        assert!(receiver.received().iter().all(|r| r.json()["domain_id"] == app.company.id.as_str()));
        let res = app.request(Method::GET, "/v1/webhooks").send().await.unwrap();
        assert_problem(res, 401, "credentials").await;
    }

    async fn deleting_an_endpoint_removes_it_and_its_deliveries(app: &TestApp) {
        let receiver = Receiver::start().await;
        let hook = create_webhook(app, &app.company, json!({"url": receiver.url(), "events": ["*"]})).await;
        let id = hook["id"].as_str().unwrap();
        let res = app.native(Method::DELETE, &format!("/v1/webhooks/{id}"), &app.company).send().await.unwrap();
        assert_eq!(res.status(), 204);
        let res = app.native(Method::GET, &format!("/v1/webhooks/{id}/deliveries"), &app.company).send().await.unwrap();
        assert_problem(res, 404, "webhook").await;
    }
}
