//! RingPlan webhooks (seeds/003): the company's callback URL and its event subscriptions.

use super::*;

e2e! {
    async fn the_callback_url_is_set_replaced_and_read_back(app: &TestApp) {
        let me = app.company.primary();
        let res = app.ringplan(Method::GET, "/webhooks/callbacks/url", &me).send().await.unwrap();
        assert_problem(res, 404, "webhook").await;

        let res = app.ringplan(Method::PUT, "/webhooks/callbacks/url", &me).json(&json!({"url": "https://www.example.com"})).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let first: Value = res.json().await.unwrap();
        assert_eq!(first["url"], "https://www.example.com");
        assert_eq!(first["company_id"], app.company.id.as_str());
        assert_eq!(first["id"].as_str().unwrap().len(), 24);

        let res = app.ringplan(Method::PUT, "/webhooks/callbacks/url", &me).json(&json!({"url": "https://hooks.example.com/rp"})).send().await.unwrap();
        let second: Value = res.json().await.unwrap();
        assert_eq!(second["id"], first["id"], "one URL object per company");
        let got: Value = app.ringplan(Method::GET, "/webhooks/callbacks/url", &me).send().await.unwrap().json().await.unwrap();
        assert_eq!(got, second);

        for (body, mention) in [(json!({}), "url"), (json!({"url": "not a url"}), "url"), (json!({"url": "https://x.example", "colour": 1}), "colour")] {
            let res = app.ringplan(Method::PUT, "/webhooks/callbacks/url", &me).json(&body).send().await.unwrap();
            assert_problem(res, 400, mention).await;
        }
        let got: Value = app.ringplan(Method::GET, "/webhooks/callbacks/url", &me).send().await.unwrap().json().await.unwrap();
        assert_eq!(got["url"], "https://hooks.example.com/rp", "a refused update changes nothing");
    }

    async fn subscriptions_take_the_four_event_types_and_nothing_else(app: &TestApp) {
        let me = app.company.primary();
        let mut ids = Vec::new();
        for kind in ["dial.action.started", "dial.action.completed", "call.action.hangup", "texting.message.inbound"] {
            let res = app.ringplan(Method::POST, "/webhooks/callbacks", &me).json(&json!({"type": kind})).send().await.unwrap();
            assert_eq!(res.status(), 201);
            let cb: Value = res.json().await.unwrap();
            assert_eq!(cb["type"], kind);
            ids.push(cb["id"].as_str().unwrap().to_owned());
        }
        let res = app.ringplan(Method::POST, "/webhooks/callbacks", &me).json(&json!({"type": "content.imported"})).send().await.unwrap();
        assert_problem(res, 400, "type").await;
        let listed: Vec<Value> = app.ringplan(Method::GET, "/webhooks/callbacks", &me).send().await.unwrap().json().await.unwrap();
        assert_eq!(listed.len(), 4);

        let res = app.ringplan(Method::DELETE, &format!("/webhooks/callbacks/{}", ids[0]), &me).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.unwrap()["type"], "dial.action.started");
        let res = app.ringplan(Method::DELETE, &format!("/webhooks/callbacks/{}", ids[0]), &me).send().await.unwrap();
        assert_problem(res, 404, "webhook event").await;
        let listed: Vec<Value> = app.ringplan(Method::GET, "/webhooks/callbacks", &me).send().await.unwrap().json().await.unwrap();
        assert_eq!(listed.len(), 3);
    }

    async fn the_url_endpoint_receives_exactly_the_subscribed_types(app: &TestApp) {
        let me = app.company.primary();
        app.ringplan(Method::POST, "/webhooks/callbacks", &me).json(&json!({"type": "texting.message.inbound"})).send().await.unwrap();
        let url: Value = app.ringplan(Method::PUT, "/webhooks/callbacks/url", &me).json(&json!({"url": "https://www.example.com"})).send().await.unwrap().json().await.unwrap();
        let endpoint: Value = app.native(Method::GET, &format!("/v1/webhooks/{}", url["id"].as_str().unwrap()), &app.company).send().await.unwrap().json().await.unwrap();
        assert_eq!(endpoint["events"], json!(["texting.message.inbound"]));
        assert_eq!(endpoint["format"], "ringplan", "its deliveries are written the RingPlan way");
        let path = format!("/v1/webhooks/{}", url["id"].as_str().unwrap());
        let res = app.native(Method::PATCH, &path, &app.company).json(&json!({"format": "native"})).send().await.unwrap();
        assert_problem(res, 409, "RingPlan").await;
        app.ringplan(Method::POST, "/webhooks/callbacks", &me).json(&json!({"type": "call.action.hangup"})).send().await.unwrap();
        let endpoint: Value = app.native(Method::GET, &format!("/v1/webhooks/{}", url["id"].as_str().unwrap()), &app.company).send().await.unwrap().json().await.unwrap();
        assert_eq!(endpoint["events"], json!(["texting.message.inbound", "call.action.hangup"]));
    }

    async fn another_companys_ringplan_webhooks_are_out_of_reach(app: &TestApp) {
        let other = app.create_company("Other Corp", "owner@other.example").await;
        let me = app.company.primary();
        app.ringplan(Method::PUT, "/webhooks/callbacks/url", &me).json(&json!({"url": "https://www.example.com"})).send().await.unwrap();
        let cb: Value = app.ringplan(Method::POST, "/webhooks/callbacks", &me).json(&json!({"type": "call.action.hangup"})).send().await.unwrap().json().await.unwrap();

        let res = app.ringplan(Method::GET, "/webhooks/callbacks/url", &other.primary()).send().await.unwrap();
        assert_problem(res, 404, "webhook").await;
        let theirs: Value = app.ringplan(Method::GET, "/webhooks/callbacks", &other.primary()).send().await.unwrap().json().await.unwrap();
        assert_eq!(theirs, json!([]));
        let res = app.ringplan(Method::DELETE, &format!("/webhooks/callbacks/{}", cb["id"].as_str().unwrap()), &other.primary()).send().await.unwrap();
        assert_problem(res, 404, "webhook event").await;
        let res = app.ringplan(Method::PUT, "/webhooks/callbacks/url", &other.primary()).json(&json!({"url": "https://x.example", "company_id": app.company.id})).send().await.unwrap();
        assert_problem(res, 403, "company_id").await;
        let mine: Vec<Value> = app.ringplan(Method::GET, "/webhooks/callbacks", &me).send().await.unwrap().json().await.unwrap();
        assert_eq!(mine.len(), 1);
        let res = app.request(Method::GET, "/webhooks/callbacks").send().await.unwrap();
        assert_eq!(res.status(), 401);
    }
}
