//! Polling and export: Switchboard calling a Channel SDK connector (a real local server, see
//! `switchboard_tests::connector`). Syncs are started through the native API and awaited by
//! polling their run, never by timing.

use std::time::{Duration, Instant};

use super::*;
use switchboard_tests::connector::{FakeConnector, Reply};
use switchboard_tests::{Tenant, TestSource, message};

fn info() -> Value {
    json!({
        "objects": {"messages": ["create", "list", "show", "delete", "spam"], "private_messages": ["create", "list"], "threads": ["list"]},
        "options": [],
        "locales": {"default": {"spam": "Mark as spam"}}
    })
}

/// A source whose base URI is a fake connector declaring `info`; `extra` adds source fields.
async fn connected(app: &TestApp, tenant: &Tenant, info: Value, extra: Value) -> (TestSource, FakeConnector) {
    let connector = FakeConnector::start("unset", info.clone()).await;
    let mut fields = json!({"base_uri": connector.base_uri(), "objects": info["objects"]});
    fields.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    let source = app.create_source(tenant, fields).await;
    connector.set_token(&source.token);
    (source, connector)
}

/// Starts a sync and waits for its run to finish; returns the run.
async fn sync(app: &TestApp, tenant: &Tenant, source: &TestSource) -> Value {
    let res = app.native(Method::POST, &format!("/v1/sources/{}/sync", source.id), tenant).send().await.unwrap();
    assert_eq!(res.status(), 202);
    let run: Value = res.json().await.unwrap();
    assert_eq!(run["status"], "queued");
    app.drain_jobs().await;
    let path = format!("/v1/sources/{}/syncs/{}", source.id, run["id"].as_str().unwrap());
    let run = get(app, tenant, &path).await;
    assert!(run["status"] == "succeeded" || run["status"] == "failed", "the run is over once its job ran: {run}");
    run
}

async fn get(app: &TestApp, tenant: &Tenant, path: &str) -> Value {
    let res = app.native(Method::GET, path, tenant).send().await.unwrap();
    assert_eq!(res.status(), 200, "GET {path}");
    res.json().await.unwrap()
}

/// GETs `path` until `done` holds (on a server whose background jobs run on a schedule).
async fn eventually(app: &TestApp, tenant: &Tenant, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let res = app.native(Method::GET, path, tenant).send().await.unwrap();
        assert_eq!(res.status(), 200, "GET {path}");
        let v: Value = res.json().await.unwrap();
        if done(&v) {
            return v;
        }
        assert!(Instant::now() < deadline, "{path} never got there: {v}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The content once its export jobs ran: every attempt is due at once (no retry delay in tests).
async fn export_settled(app: &TestApp, content_id: &str) -> Value {
    app.drain_jobs().await;
    let c = get(app, &app.company, &format!("/v1/contents/{content_id}")).await;
    assert_ne!(c["export_status"], "pending", "{c}");
    c
}

fn by_foreign_id<'a>(contents: &'a [Value], id: &str) -> &'a Value {
    contents.iter().find(|c| c["foreignId"] == id).unwrap_or_else(|| panic!("no content {id}"))
}

/// Imports message `m1` and writes an agent reply to it; returns the reply's id.
async fn reply_to_imported(app: &TestApp, source: &TestSource, connector: &FakeConnector, body: &str) -> String {
    connector.set_items("messages", vec![message("m1", "t1", "Help")]);
    assert_eq!(sync(app, &app.company, source).await["status"], "succeeded");
    let parent = by_foreign_id(&app.contents(&app.company, "").await, "m1").clone();
    let res = app
        .engage(Method::POST, "/contents", &app.company)
        .json(&json!({"body": body, "inReplyToId": parent["id"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
}

e2e! {
    jobs: drained;

    async fn a_sync_imports_each_collection_page_by_page_from_its_since_id(app: &TestApp) {
        let (source, connector) = connected(app, &app.company, info(), json!({})).await;
        let messages: Vec<Value> = (1..=5).rev().map(|i| message(&format!("m{i}"), "t1", &format!("body {i}"))).collect();
        connector.set_items("messages", messages);
        connector.set_items("threads", vec![json!({"id": "t1", "title": "Order", "author": {"id": "cust-1", "screenname": "Alice"}, "body": "Where is it?"})]);
        connector.set_page_size(2);
        let run = sync(app, &app.company, &source).await;
        assert_eq!(run["status"], "succeeded", "{run}");
        assert_eq!(run["counts"]["imported"], 6, "{run}");
        assert_eq!(run["counts"]["skipped"], 0);
        // The first list has no since_id; each next one starts at the newest item so far.
        let since: Vec<Value> = connector.received("messages.list").iter().map(|r| r.params["since_id"].clone()).collect();
        assert_eq!(since, vec![Value::Null, json!("m2"), json!("m4"), json!("m5")]);
        assert!(connector.received("implementation.info").iter().all(|r| r.signature_valid && r.raw_body.starts_with(r#"{"action":"implementation.info","time":""#)));
        assert!(connector.received("messages.list").iter().all(|r| r.signature_valid));
        let contents = app.contents(&app.company, "").await;
        assert_eq!(contents.len(), 6);
        assert_eq!(by_foreign_id(&contents, "m3")["body"], "body 3");

        // The next run asks only for what is newer, and what the Send API brought is not
        // imported twice.
        let newer = vec![message("m7", "t1", "seven"), message("m6", "t1", "six")];
        let mut all = newer.clone();
        all.extend((1..=5).rev().map(|i| message(&format!("m{i}"), "t1", &format!("body {i}"))));
        connector.set_items("messages", all);
        assert_eq!(app.push(&source, "messages.create", newer[1].clone()).await, (200, "ok".into()));
        let run = sync(app, &app.company, &source).await;
        assert_eq!(run["counts"]["imported"], 1, "{run}");
        assert_eq!(connector.received("messages.list")[4].params["since_id"], "m5");
        assert_eq!(app.contents(&app.company, "").await.len(), 8);
        let imported = app.events(&app.company).await.into_iter().filter(|e| e.kind == "content.imported").count();
        assert_eq!(imported, 8);
    }

    async fn an_unthreaded_connector_is_never_asked_for_threads(app: &TestApp) {
        let info = json!({"objects": {"messages": ["create", "list"], "threads": ["list"]}, "options": ["messages.unthreaded"]});
        let (source, connector) = connected(app, &app.company, info, json!({"options": ["messages.unthreaded"]})).await;
        connector.set_items("messages", vec![json!({"id": "m1", "author": {"id": "cust-1", "screenname": "Alice"}, "body": "no thread"})]);
        let run = sync(app, &app.company, &source).await;
        assert_eq!((run["status"].as_str(), run["counts"]["imported"].as_u64()), (Some("succeeded"), Some(1)), "{run}");
        assert!(connector.received("threads.list").is_empty());
        assert_eq!(connector.received("messages.list").len(), 2, "a page, then an empty one");
    }

    async fn the_source_shows_its_last_run_and_what_the_connector_declared(app: &TestApp) {
        let (source, connector) = connected(app, &app.company, info(), json!({})).await;
        connector.set_items("messages", vec![message("m1", "t1", "a"), json!({"id": "m0", "body": "no author", "thread_id": "t1"})]);
        let run = sync(app, &app.company, &source).await;
        let s: Value = app.native(Method::GET, &format!("/v1/sources/{}", source.id), &app.company).send().await.unwrap().json().await.unwrap();
        assert_eq!(s["last_sync"]["id"], run["id"]);
        assert_eq!(s["last_sync"]["status"], "succeeded");
        assert_eq!(s["last_sync"]["counts"]["imported"], 1);
        assert_eq!(s["last_sync"]["counts"]["skipped"], 1, "an item without author is skipped and counted");
        assert!(s["last_sync"]["finished_at"].is_string());
        assert_eq!(s["objects"]["messages"], json!(["create", "list", "show", "delete", "spam"]));
        assert_eq!(s["locales"]["default"]["spam"], "Mark as spam");
    }

    async fn a_malformed_implementation_info_fails_the_run_with_a_clear_error(app: &TestApp) {
        let (source, connector) = connected(app, &app.company, info(), json!({})).await;
        connector.script("implementation.info", vec![Reply::Json(200, json!({"objects": ["messages"]}))]);
        let run = sync(app, &app.company, &source).await;
        assert_eq!(run["status"], "failed");
        assert!(run["error"].as_str().unwrap().contains("malformed implementation.info answer: 'objects' must be an object"), "{run}");
        assert!(connector.received("messages.list").is_empty(), "nothing is listed after a failed implementation.info");
        let s: Value = app.native(Method::GET, &format!("/v1/sources/{}", source.id), &app.company).send().await.unwrap().json().await.unwrap();
        assert_eq!(s["last_sync"]["status"], "failed");
        assert_eq!(s["objects"]["messages"], json!(["create", "list", "show", "delete", "spam"]), "capabilities are unchanged");
    }

    async fn a_list_answering_500_fails_the_run_and_keeps_the_cursor(app: &TestApp) {
        let (source, connector) = connected(app, &app.company, info(), json!({})).await;
        connector.set_items("messages", vec![message("m2", "t1", "b"), message("m1", "t1", "a")]);
        connector.set_page_size(1);
        connector.script("messages.list", vec![Reply::Json(200, json!([message("m1", "t1", "a")])), Reply::Raw(500, "database down".into(), None)]);
        let run = sync(app, &app.company, &source).await;
        assert_eq!(run["status"], "failed");
        assert!(run["error"].as_str().unwrap().contains("messages.list failed: the connector answered HTTP 500: database down"), "{run}");
        assert_eq!(run["counts"]["imported"], 1, "the committed page stays");
        let run = sync(app, &app.company, &source).await;
        assert_eq!(run["status"], "succeeded");
        assert_eq!(connector.received("messages.list")[2].params["since_id"], "m1", "the cursor moved past the committed page only");
        assert_eq!(app.contents(&app.company, "").await.len(), 2);
    }

    async fn response_signatures_are_checked_as_the_source_says(app: &TestApp) {
        let (lenient, lenient_conn) = connected(app, &app.company, info(), json!({})).await;
        lenient_conn.script("implementation.info", vec![Reply::Raw(200, info().to_string(), Some("bad".into()))]);
        let run = sync(app, &app.company, &lenient).await;
        assert_eq!(run["status"], "succeeded");
        assert_eq!(run["counts"]["signature_mismatches"], 1);
        let metrics = app.request(Method::GET, "/metrics").send().await.unwrap().text().await.unwrap();
        assert!(metrics.contains("sdk_response_signature_mismatches_total 1\n"), "{metrics}");

        let (strict, strict_conn) = connected(app, &app.company, info(), json!({"response_signature": "strict"})).await;
        strict_conn.script("implementation.info", vec![Reply::Raw(200, info().to_string(), None)]);
        let run = sync(app, &app.company, &strict).await;
        assert_eq!(run["status"], "failed");
        assert!(run["error"].as_str().unwrap().contains("not signed"), "{run}");
    }

    async fn a_base_uri_query_string_is_kept_and_signatures_can_travel_in_it(app: &TestApp) {
        let connector = FakeConnector::start("unset", info()).await;
        let source = app.create_source(&app.company, json!({"base_uri": format!("{}?dimelo_smcc_sdk=1", connector.base_uri()), "signature_in": "both", "json_escaping": "ascii"})).await;
        connector.set_token(&source.token);
        connector.set_items("messages", vec![message("m1", "t1", "Crème brûlée 😀")]);
        assert_eq!(sync(app, &app.company, &source).await["status"], "succeeded");
        let req = &connector.received("implementation.info")[0];
        let query = req.query.as_deref().unwrap();
        assert!(query.starts_with("dimelo_smcc_sdk=1&signature="), "{query}");
        assert!(req.signature_valid);
        assert_eq!(by_foreign_id(&app.contents(&app.company, "").await, "m1")["body"], "Crème brûlée 😀");

        // An ASCII-escaping source writes non-ASCII text as Python's json.dumps does.
        let reply = {
            let parent = by_foreign_id(&app.contents(&app.company, "").await, "m1").clone();
            let res = app.engage(Method::POST, "/contents", &app.company).json(&json!({"body": "Voilà 😀", "inReplyToId": parent["id"]})).send().await.unwrap();
            res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
        };
        assert_eq!(export_settled(app, &reply).await["export_status"], "exported");
        let create = &connector.received("messages.create")[0];
        assert!(create.raw_body.contains(r#""body":"Voil\u00e0 \ud83d\ude00""#), "{}", create.raw_body);
        assert!(create.raw_body.is_ascii());
        assert!(create.signature_valid);
    }

    async fn settings_are_validated_and_can_be_changed(app: &TestApp) {
        let res = app.native(Method::POST, "/v1/sources", &app.company).json(&json!({"name": "X", "kind": "sdk", "json_escaping": "latin1"})).send().await.unwrap();
        assert_problem(res, 400, "'json_escaping' must be one of utf8, ascii").await;
        let source = app.create_source(&app.company, json!({})).await;
        let path = format!("/v1/sources/{}", source.id);
        let s: Value = app.native(Method::GET, &path, &app.company).send().await.unwrap().json().await.unwrap();
        assert_eq!((s["json_escaping"].as_str(), s["signature_in"].as_str(), s["response_signature"].as_str()), (Some("utf8"), Some("header"), Some("lenient")));
        let res = app.native(Method::PATCH, &path, &app.company).json(&json!({"signature_in": "sideways"})).send().await.unwrap();
        assert_problem(res, 400, "'signature_in' must be one of header, query, both").await;
        let s: Value = app.native(Method::PATCH, &path, &app.company).json(&json!({"signature_in": "query", "response_signature": "off"})).send().await.unwrap().json().await.unwrap();
        assert_eq!((s["signature_in"].as_str(), s["response_signature"].as_str(), s["json_escaping"].as_str()), (Some("query"), Some("off"), Some("utf8")));
        // A source without a connector has nothing to synchronise: a conflict with its state.
        let res = app.native(Method::POST, &format!("/v1/sources/{}/sync", source.id), &app.company).send().await.unwrap();
        assert_problem(res, 409, "base_uri").await;
    }

    async fn an_agent_reply_is_exported_with_retry_flags_and_one_content_id(app: &TestApp) {
        let (source, connector) = connected(app, &app.company, info(), json!({})).await;
        connector.script("messages.create", vec![
            Reply::Raw(500, "boom".into(), None),
            Reply::Json(200, json!({"error": {"fatal": false, "message": "Unable to save message."}})),
            Reply::Json(200, json!({"id": "ext-42", "body": "On it"})),
        ]);
        let reply = reply_to_imported(app, &source, &connector, "On it").await;
        let c = export_settled(app, &reply).await;
        assert_eq!(c["export_status"], "exported", "{c}");
        assert_eq!(c["foreign_id"], "ext-42");
        assert_eq!(c["export_attempts"], 3);
        let creates = connector.received("messages.create");
        assert_eq!(creates.iter().map(|r| r.params["retry"].clone()).collect::<Vec<_>>(), vec![json!(false), json!(true), json!(true)]);
        assert!(creates.iter().all(|r| r.params["content_id"] == reply.as_str() && r.signature_valid));
        let p = &creates[0].params;
        assert_eq!((p["body"].as_str(), p["in_reply_to_id"].as_str(), p["thread_id"].as_str(), p["format"].as_str()), (Some("On it"), Some("m1"), Some("t1"), Some("text")));
        let engage = app.contents(&app.company, "").await;
        assert_eq!(engage.iter().find(|x| x["id"] == reply.as_str()).unwrap()["status"], "exported");
        let exported: Vec<_> = app.events(&app.company).await.into_iter().filter(|e| e.kind == "content.exported").collect();
        assert_eq!(exported.len(), 1);
        assert_eq!(exported[0].payload["foreign_id"], "ext-42");
        // The connector's copy listed back later is the same content, not a new one.
        connector.set_items("messages", vec![message("ext-42", "t1", "On it"), message("m1", "t1", "Help")]);
        assert_eq!(sync(app, &app.company, &source).await["counts"]["imported"], 0);
    }

    async fn private_replies_and_new_discussions_use_their_own_collections(app: &TestApp) {
        let info = json!({"objects": {"messages": ["create", "list"], "private_messages": ["create", "list"], "threads": ["create", "list"]}, "options": []});
        let (source, connector) = connected(app, &app.company, info, json!({})).await;
        connector.set_items("private_messages", vec![json!({"id": "pm1", "author": {"id": "cust-1", "screenname": "Alice"}, "recipient": {"id": "brand", "screenname": "Brand"}, "body": "psst"})]);
        assert_eq!(sync(app, &app.company, &source).await["counts"]["imported"], 1);
        let parent = by_foreign_id(&app.contents(&app.company, "").await, "pm1")["id"].clone();
        let res = app.engage(Method::POST, "/contents", &app.company).json(&json!({"body": "Sure", "inReplyToId": parent})).send().await.unwrap();
        let private = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
        assert_eq!(export_settled(app, &private).await["export_status"], "exported");
        let p = &connector.received("private_messages.create")[0].params;
        assert_eq!((p["recipient_id"].as_str(), p["in_reply_to_id"].as_str(), p["body"].as_str()), (Some("cust-1"), Some("pm1"), Some("Sure")));
        assert!(p.get("thread_id").is_none(), "{p}");

        let res = app.engage(Method::POST, "/contents", &app.company).json(&json!({"body": "News", "sourceId": source.id})).send().await.unwrap();
        let opener = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
        let c = export_settled(app, &opener).await;
        assert_eq!((c["export_status"].as_str(), c["kind"].as_str()), (Some("exported"), Some("thread")), "{c}");
        let p = &connector.received("threads.create")[0].params;
        assert_eq!((p["body"].as_str(), p["content_id"].as_str(), p["retry"].as_bool()), (Some("News"), Some(opener.as_str()), Some(false)));
        assert!(p.get("thread_id").is_none() && p.get("in_reply_to_id").is_none(), "{p}");
    }

    async fn an_export_whose_id_was_imported_meanwhile_keeps_both_contents(app: &TestApp) {
        let (source, connector) = connected(app, &app.company, info(), json!({})).await;
        connector.set_items("messages", vec![message("m1", "t1", "Help")]);
        assert_eq!(sync(app, &app.company, &source).await["status"], "succeeded");
        // The connector's answer names an item Switchboard already has.
        connector.script("messages.create", vec![Reply::Json(200, json!({"id": "m1"}))]);
        let parent = by_foreign_id(&app.contents(&app.company, "").await, "m1")["id"].clone();
        let res = app.engage(Method::POST, "/contents", &app.company).json(&json!({"body": "Hi", "inReplyToId": parent})).send().await.unwrap();
        let reply = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
        let c = export_settled(app, &reply).await;
        assert_eq!((c["export_status"].as_str(), c["export_attempts"].as_i64()), (Some("exported"), Some(1)), "{c}");
        assert!(c["foreign_id"].is_null());
        assert!(c["export_error"].as_str().unwrap().contains("already belongs to content"), "{c}");
        assert_eq!(connector.received("messages.create").len(), 1);
    }

    async fn a_fatal_resource_error_stops_the_export_at_once(app: &TestApp) {
        let (source, connector) = connected(app, &app.company, info(), json!({})).await;
        connector.script("messages.create", vec![Reply::Json(422, json!({"error": {"fatal": true, "message": "Thread locked"}}))]);
        let reply = reply_to_imported(app, &source, &connector, "Hello").await;
        let c = export_settled(app, &reply).await;
        assert_eq!(c["export_status"], "failed");
        assert_eq!(c["export_attempts"], 1);
        assert!(c["export_error"].as_str().unwrap().contains("Thread locked"), "{c}");
        assert_eq!(connector.received("messages.create").len(), 1);
        let engage = app.contents(&app.company, "").await;
        let record = engage.iter().find(|x| x["id"] == reply.as_str()).unwrap();
        assert_eq!(record["status"], "failed");
        assert!(record["exportError"].as_str().unwrap().contains("Thread locked"));
        assert_eq!(app.events(&app.company).await.iter().filter(|e| e.kind == "content.export_failed").count(), 1);
    }

    async fn answers_without_id_or_in_time_use_up_the_three_attempts(app: &TestApp) {
        let (source, connector) = connected(app, &app.company, info(), json!({})).await;
        connector.script("messages.create", vec![Reply::Json(200, json!({})), Reply::Hang, Reply::Raw(200, "not json".into(), None)]);
        let reply = reply_to_imported(app, &source, &connector, "Hello").await;
        let c = export_settled(app, &reply).await;
        assert_eq!(c["export_status"], "failed");
        assert_eq!(c["export_attempts"], 3);
        assert!(c["foreign_id"].is_null());
        assert!(c["export_error"].as_str().unwrap().contains("not JSON"), "{c}");
        assert_eq!(connector.received("messages.create").len(), 3);
    }

    async fn actions_are_sent_only_when_the_collection_and_the_item_allow_them(app: &TestApp) {
        let info = json!({"objects": {"messages": ["create", "list", "destroy", "spam"]}, "options": []});
        let (source, connector) = connected(app, &app.company, info, json!({})).await;
        let mut item = message("m1", "t1", "spam?");
        item["actions"] = json!(["spam", "destroy", "publish"]);
        connector.set_items("messages", vec![item, message("m0", "t1", "no actions")]);
        assert_eq!(sync(app, &app.company, &source).await["status"], "succeeded");
        let contents = app.contents(&app.company, "").await;
        let (m1, m0) = (by_foreign_id(&contents, "m1")["id"].as_str().unwrap().to_owned(), by_foreign_id(&contents, "m0")["id"].as_str().unwrap().to_owned());
        let act = |id: &str, action: &str| app.native(Method::POST, &format!("/v1/contents/{id}/actions/{action}"), &app.company).json(&json!({"user_id": "agent-7"})).send();
        assert_problem(act(&m0, "spam").await.unwrap(), 400, "not an action the source allows").await;
        assert_problem(act(&m1, "publish").await.unwrap(), 400, "not an action the source allows").await;
        assert_problem(act(&m1, "list").await.unwrap(), 400, "not an action").await;
        let res = app.native(Method::POST, &format!("/v1/contents/{m1}/actions/spam"), &app.company).json(&json!({})).send().await.unwrap();
        assert_problem(res, 400, "user_id").await;
        // The connector answers with the item as it now is: its new actions are taken in.
        let mut spammed = message("m1", "t1", "spam?");
        spammed["actions"] = json!(["unspam", "destroy"]);
        connector.script("messages.spam", vec![Reply::Json(200, spammed)]);
        assert_eq!(act(&m1, "spam").await.unwrap().status(), 202);
        // `delete` reaches a connector that declared `destroy` under its own name.
        assert_eq!(act(&m1, "delete").await.unwrap().status(), 202);
        app.drain_jobs().await;
        assert_eq!(app.events(&app.company).await.iter().filter(|e| e.kind == "content.action_performed").count(), 2);
        let spam = connector.received("messages.spam");
        assert_eq!(spam.len(), 1);
        assert_eq!(spam[0].params, json!({"id": "m1", "user_id": "agent-7"}));
        assert_eq!(connector.received("messages.destroy")[0].params, json!({"id": "m1"}));
        let c: Value = app.native(Method::GET, &format!("/v1/contents/{m1}"), &app.company).send().await.unwrap().json().await.unwrap();
        assert_eq!(c["actions"], json!(["unspam", "destroy"]), "{c}");
    }

    async fn queuing_updates_go_only_to_sources_that_declare_them(app: &TestApp) {
        let with = json!({"objects": {"messages": ["list"]}, "options": ["messaging.queuing_update"]});
        let (declared, declared_conn) = connected(app, &app.company, with.clone(), json!({"options": ["messaging.queuing_update"]})).await;
        let (silent, silent_conn) = connected(app, &app.company, info(), json!({})).await;
        let update = switchboard_engine::channels::sdk::export::QueuingUpdate { estimated_wait_time: 30, position: 2, thread_id: Some("t1".into()), in_reply_to_id: Some("m9".into()) };
        let load = |id: &str| {
            let id = switchboard_domain::SourceId::parse(id).unwrap();
            async move { switchboard_store::sources::get_any_company(&mut app.engine.store().reader().await.unwrap(), &id).await.unwrap().unwrap() }
        };
        assert!(app.engine.queuing_update(&load(&declared.id).await, &update).await);
        assert_eq!(declared_conn.received("messaging.queuing_update")[0].params, json!({"estimated_wait_time": 30, "position": 2, "thread_id": "t1", "in_reply_to_id": "m9"}));
        assert!(!app.engine.queuing_update(&load(&silent.id).await, &update).await);
        assert!(silent_conn.received("messaging.queuing_update").is_empty());
        // A connector that refuses it (as the JS SDK does) is logged, never fatal.
        declared_conn.script("messaging.queuing_update", vec![Reply::Json(422, json!({"error": "Invalid action"}))]);
        assert!(!app.engine.queuing_update(&load(&declared.id).await, &update).await);
        assert_eq!(sync(app, &app.company, &declared).await["status"], "succeeded");
    }

    async fn another_company_cannot_sync_or_see_runs_contents_or_act(app: &TestApp) {
        let (source, connector) = connected(app, &app.company, info(), json!({})).await;
        let mut item = message("m1", "t1", "x");
        item["actions"] = json!(["spam"]);
        connector.set_items("messages", vec![item]);
        let run = sync(app, &app.company, &source).await;
        let content = by_foreign_id(&app.contents(&app.company, "").await, "m1")["id"].as_str().unwrap().to_owned();
        let other = app.create_company("Other", "other@example.com").await;
        assert_problem(app.native(Method::POST, &format!("/v1/sources/{}/sync", source.id), &other).send().await.unwrap(), 404, "source").await;
        let run_path = format!("/v1/sources/{}/syncs/{}", source.id, run["id"].as_str().unwrap());
        assert_problem(app.native(Method::GET, &run_path, &other).send().await.unwrap(), 404, "sync run").await;
        assert_problem(app.native(Method::GET, &format!("/v1/contents/{content}"), &other).send().await.unwrap(), 404, "content").await;
        let res = app.native(Method::POST, &format!("/v1/contents/{content}/actions/spam"), &other).json(&json!({"user_id": "1"})).send().await.unwrap();
        assert_problem(res, 404, "content").await;
        assert_eq!(connector.received("implementation.info").len(), 1);
    }

    async fn a_polled_source_has_exactly_one_scheduled_sync(app: &TestApp) {
        let (source, _connector) = connected(app, &app.company, info(), json!({})).await;
        let path = format!("/v1/sources/{}", source.id);
        for name in ["A", "B"] {
            let res = app.native(Method::PATCH, &path, &app.company).json(&json!({"name": name})).send().await.unwrap();
            assert_eq!(res.status(), 200);
        }
        assert_eq!(scheduled_syncs(app, &source.id).await, 1, "saving a source again does not schedule it twice");
        // As every node does at start-up.
        app.engine.schedule_polled_sources().await.unwrap();
        app.engine.schedule_polled_sources().await.unwrap();
        assert_eq!(scheduled_syncs(app, &source.id).await, 1, "starting again does not schedule it twice");
        let plain = app.create_source(&app.company, json!({})).await;
        assert_eq!(scheduled_syncs(app, &plain.id).await, 0, "a source without a base URI is not polled");
    }
}

/// Pending scheduled sync jobs of a source.
async fn scheduled_syncs(app: &TestApp, source_id: &str) -> usize {
    let mut r = app.engine.store().reader().await.unwrap();
    let jobs = switchboard_store::jobs::list_pending(&mut r, "sdk.sync").await.unwrap();
    jobs.into_iter().filter(|j| j.payload["source_id"] == source_id).count()
}

/// The schedule itself, on a server that syncs every second: a polled source is synced without
/// being asked, again and again, each run from the cursor the last one left; old runs pruned.
async fn scheduled_syncs_keep_coming(backend: switchboard_tests::Backend) {
    switchboard_store::testing::with_db(backend, |db| async move {
        let app = switchboard_tests::spawn_app_with(&db, |c| c.sdk.sync_interval_secs = 1).await;
        let (source, connector) = connected(&app, &app.company, info(), json!({})).await;
        connector.set_items("messages", vec![message("m1", "t1", "scheduled")]);
        // A run from last month, which the schedule's pruning removes.
        let old = {
            use switchboard_domain::sync::*;
            let created = switchboard_domain::Timestamp::now().minus(Duration::from_secs(30 * 24 * 3600));
            let run = SyncRun {
                id: switchboard_domain::SyncRunId::new(),
                company_id: switchboard_domain::CompanyId::parse(&app.company.id).unwrap(),
                source_id: switchboard_domain::SourceId::parse(&source.id).unwrap(),
                trigger: SyncTrigger::Manual,
                status: SyncStatus::Succeeded,
                error: None,
                counts: SyncCounts::default(),
                created_at: created,
                started_at: Some(created),
                finished_at: Some(created),
            };
            let mut tx = app.engine.store().begin().await.unwrap();
            switchboard_store::sync::insert_run(&mut tx, &run).await.unwrap();
            tx.commit().await.unwrap();
            format!("/v1/sources/{}/syncs/{}", source.id, run.id)
        };
        assert_eq!(app.native(Method::GET, &old, &app.company).send().await.unwrap().status(), 200);
        let path = format!("/v1/sources/{}", source.id);
        let first = eventually(&app, &app.company, &path, |s| {
            s["last_sync"]["trigger"] == "schedule" && s["last_sync"]["status"] == "succeeded"
        })
        .await;
        assert_eq!(first["last_sync"]["counts"]["imported"], 1);
        let first_id = first["last_sync"]["id"].clone();
        let second = eventually(&app, &app.company, &path, |s| {
            s["last_sync"]["id"] != first_id && s["last_sync"]["status"] == "succeeded"
        })
        .await;
        assert_eq!(second["last_sync"]["trigger"], "schedule");
        assert_eq!(second["last_sync"]["counts"]["imported"], 0);
        assert_eq!(
            app.native(Method::GET, &old, &app.company).send().await.unwrap().status(),
            404,
            "runs older than a week are pruned"
        );
        assert_eq!(connector.received("messages.list")[1].params["since_id"], "m1");
        app.stop().await;
        db
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_polled_source_is_synced_on_its_schedule_sqlite() {
    scheduled_syncs_keep_coming(switchboard_tests::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_polled_source_is_synced_on_its_schedule_postgres() {
    scheduled_syncs_keep_coming(switchboard_tests::Backend::Postgres).await;
}
