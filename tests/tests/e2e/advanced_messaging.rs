//! The Advanced Messaging API (`/engage/advanced-messaging/v1`): contents and identities.

use super::*;
use switchboard_tests::{TestSource, full_capabilities, message};

async fn seeded(app: &TestApp, n: usize) -> TestSource {
    let src = app.create_source(&app.company, full_capabilities()).await;
    for i in 0..n {
        assert_eq!(
            app.push(&src, "messages.create", message(&format!("m{i}"), "t1", &format!("body {i}"))).await.0,
            200
        );
    }
    src
}

async fn page(app: &TestApp, query: &str) -> Value {
    let res = app.engage(Method::GET, &format!("/contents{query}"), &app.company).send().await.unwrap();
    assert_eq!(res.status(), 200, "{query}");
    res.json().await.unwrap()
}

async fn assert_engage_error(res: reqwest::Response, status: u16, code: &str, mentions: &str) {
    assert_eq!(res.status().as_u16(), status);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errorCode"], code, "{body}");
    assert!(body["message"].as_str().unwrap().contains(mentions), "{body}");
    assert_eq!(body["errors"][0]["errorCode"], code);
}

async fn reply(app: &TestApp, body: Value) -> reqwest::Response {
    app.engage(Method::POST, "/contents", &app.company).json(&body).send().await.unwrap()
}

e2e! {
    jobs: drained;

    async fn contents_are_listed_newest_first_thirty_per_page_by_default(app: &TestApp) {
        seeded(app, 32).await;
        let first = page(app, "").await;
        assert_eq!(first["paging"]["perPage"], 30);
        let records = first["records"].as_array().unwrap();
        assert_eq!(records.len(), 30);
        assert_eq!(records[0]["foreignId"], "m31");
        assert_eq!(records[29]["foreignId"], "m2");
        let r = &records[0];
        for field in ["id", "sourceId", "threadId", "foreignId", "authorIdentityId", "body", "type", "status", "creationTime", "attachments"] {
            assert!(r.get(field).is_some(), "{field} missing in {r}");
        }
        assert!(r.get("inReplyToId").is_some() && r.get("structuredContent").is_some());
        let next = first["paging"]["nextPageToken"].as_str().unwrap();
        let second = page(app, &format!("?pageToken={next}")).await;
        let rest: Vec<&str> = second["records"].as_array().unwrap().iter().map(|r| r["foreignId"].as_str().unwrap()).collect();
        assert_eq!(rest, vec!["m1", "m0"]);
        assert_eq!(second["paging"]["pageToken"], next);
        assert!(second["paging"].get("nextPageToken").is_none(), "the last page has no next token");
    }

    async fn paging_is_stable_while_new_contents_arrive(app: &TestApp) {
        let src = seeded(app, 7).await;
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let q = match &token { Some(t) => format!("?perPage=2&pageToken={t}"), None => "?perPage=2".into() };
            let p = page(app, &q).await;
            seen.extend(p["records"].as_array().unwrap().iter().map(|r| r["foreignId"].as_str().unwrap().to_owned()));
            app.push(&src, "messages.create", message(&format!("new{}", seen.len()), "t2", "arrived meanwhile")).await;
            match p["paging"]["nextPageToken"].as_str() {
                Some(t) => token = Some(t.to_owned()),
                None => break,
            }
        }
        assert_eq!(seen, vec!["m6", "m5", "m4", "m3", "m2", "m1", "m0"], "no record twice, none skipped");
    }

    async fn contents_can_be_filtered_by_source(app: &TestApp) {
        let a = seeded(app, 2).await;
        let b = app.create_source(&app.company, full_capabilities()).await;
        app.push(&b, "messages.create", message("b0", "t", "from b")).await;
        let only_b = page(app, &format!("?source={}", b.id)).await;
        assert_eq!(only_b["records"].as_array().unwrap().iter().map(|r| r["foreignId"].as_str().unwrap()).collect::<Vec<_>>(), vec!["b0"]);
        assert_eq!(page(app, &format!("?source={}", a.id)).await["records"].as_array().unwrap().len(), 2);
        assert_eq!(page(app, "?source=0123456789abcdef01234567").await["records"], json!([]));
    }

    async fn bad_list_parameters_are_400_naming_the_parameter(app: &TestApp) {
        seeded(app, 1).await;
        for (q, param) in [("?perPage=0", "perPage"), ("?perPage=101", "perPage"), ("?perPage=many", "perPage"), ("?pageToken=bogus", "pageToken"), ("?source=abc", "source")] {
            let res = app.engage(Method::GET, &format!("/contents{q}"), &app.company).send().await.unwrap();
            assert_eq!(res.status(), 400, "{q}");
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["errorCode"], "CMN-101");
            assert_eq!(body["errors"][0]["parameterName"], param, "{body}");
        }
        assert_eq!(page(app, "?perPage=100").await["paging"]["perPage"], 100);
    }

    async fn every_advanced_messaging_call_needs_the_company_key(app: &TestApp) {
        for path in ["/contents", "/identities", "/identities/0123456789abcdef01234567"] {
            let res = app.request(Method::GET, &format!("/engage/advanced-messaging/v1{path}")).send().await.unwrap();
            assert_engage_error(res, 401, "OAU-149", "token").await;
            let res = app.request(Method::GET, &format!("/engage/advanced-messaging/v1{path}")).bearer_auth("sbk_wrong").send().await.unwrap();
            assert_eq!(res.status(), 401);
        }
        let res = app.request(Method::POST, "/engage/advanced-messaging/v1/contents").json(&json!({"body": "x"})).send().await.unwrap();
        assert_eq!(res.status(), 401);
    }

    async fn a_reply_is_stored_as_pending_outbound_content_and_its_export_is_tried(app: &TestApp) {
        seeded(app, 1).await;
        let parent = page(app, "").await["records"][0].clone();
        let res = reply(app, json!({"body": "We are on it.", "inReplyToId": parent["id"]})).await;
        assert_eq!(res.status(), 201);
        let c: Value = res.json().await.unwrap();
        assert_eq!((c["direction"].as_str(), c["status"].as_str(), c["type"].as_str()), (Some("outbound"), Some("pending"), Some("message")));
        assert_eq!(c["inReplyToId"], parent["id"]);
        assert_eq!(c["threadId"], parent["threadId"]);
        assert_eq!(c["foreignId"], Value::Null);
        assert_eq!(page(app, "").await["records"][0]["id"], c["id"], "listed first");
        let event = app.events(&app.company).await.into_iter().find(|e| e.kind == "content.replied").expect("a content.replied event");
        assert_eq!((event.kind.as_str(), event.payload["created_from"].as_str()), ("content.replied", Some("agent")));
        // The export job is due at once; this source has no connector to export to, which it
        // says on the content (exports to connectors: tests/tests/e2e/sdk_polling.rs).
        assert_eq!(app.drain_jobs().await, 1);
        let path = format!("/v1/contents/{}", c["id"].as_str().unwrap());
        let exported: Value = app.native(Method::GET, &path, &app.company).send().await.unwrap().json().await.unwrap();
        assert_eq!(exported["export_status"], "failed");
        assert!(exported["export_error"].as_str().unwrap().contains("no 'base_uri'"), "{exported}");
    }

    async fn a_new_discussion_opens_a_thread_on_a_source_that_creates_threads(app: &TestApp) {
        let src = seeded(app, 0).await;
        let res = reply(app, json!({"body": "Announcement", "sourceId": src.id})).await;
        assert_eq!(res.status(), 201);
        let c: Value = res.json().await.unwrap();
        assert_eq!((c["type"].as_str(), c["sourceId"].as_str()), (Some("thread"), Some(src.id.as_str())));
        let events = app.events(&app.company).await;
        assert!(events.iter().any(|e| e.kind == "content.discussion_initiated" && e.payload["id"] == c["id"]));
        let reactive = app.create_source(&app.company, json!({"objects": {"messages": ["create", "list"]}})).await;
        let res = reply(app, json!({"body": "Hello?", "sourceId": reactive.id})).await;
        assert_engage_error(res, 409, "CMN-409", "does not support starting discussions").await;
    }

    async fn replies_need_a_source_that_accepts_them_and_an_allowed_parent(app: &TestApp) {
        let read_only = app.create_source(&app.company, json!({"objects": {"messages": ["create"]}})).await;
        app.push(&read_only, "messages.create", message("r1", "t", "can't answer me")).await;
        let patch = app.native(Method::PATCH, &format!("/v1/sources/{}", read_only.id), &app.company).json(&json!({"objects": {"messages": ["list"]}})).send().await.unwrap();
        assert_eq!(patch.status(), 200);
        let gated = app.create_source(&app.company, json!({"objects": {"messages": ["create", "reply"]}})).await;
        app.push(&gated, "messages.create", message("g1", "t", "no reply action on me")).await;
        let mut allowed = message("g2", "t", "reply allowed");
        allowed["actions"] = json!(["show", "reply"]);
        app.push(&gated, "messages.create", allowed).await;
        let records = page(app, "").await["records"].as_array().unwrap().clone();
        let id = |f: &str| records.iter().find(|r| r["foreignId"] == f).unwrap()["id"].clone();
        assert_engage_error(reply(app, json!({"body": "x", "inReplyToId": id("r1")})).await, 409, "CMN-409", "does not accept replies").await;
        assert_engage_error(reply(app, json!({"body": "x", "inReplyToId": id("g1")})).await, 409, "CMN-409", "cannot be replied to").await;
        assert_eq!(reply(app, json!({"body": "x", "inReplyToId": id("g2")})).await.status(), 201);
    }

    async fn bad_content_creations_are_400_and_store_nothing(app: &TestApp) {
        let src = seeded(app, 1).await;
        let parent = page(app, "").await["records"][0]["id"].clone();
        let cases = [
            (json!({"inReplyToId": parent}), "body"),
            (json!({"body": "  ", "inReplyToId": parent}), "'body'"),
            (json!({"body": "x"}), "sourceId"),
            (json!({"body": "x", "inReplyToId": "nope"}), "inReplyToId"),
            (json!({"body": "x", "inReplyToId": parent, "colour": "red"}), "colour"),
            (json!({"body": "é".repeat(20_001), "sourceId": src.id}), "20000"),
        ];
        for (body, mentions) in cases {
            let res = reply(app, body.clone()).await;
            assert_eq!(res.status(), 400, "{body}");
            let err: Value = res.json().await.unwrap();
            assert!(err["message"].as_str().unwrap().contains(mentions), "{body}: {err}");
        }
        let res = app.engage(Method::POST, "/contents", &app.company).header("Content-Type", "application/json").body("{oops").send().await.unwrap();
        assert_eq!(res.status(), 400);
        assert_eq!(page(app, "").await["records"].as_array().unwrap().len(), 1);
    }

    async fn a_content_naming_what_does_not_exist_is_404_naming_the_resource(app: &TestApp) {
        let src = seeded(app, 1).await;
        let parent = page(app, "").await["records"][0]["id"].clone();
        let nothing = "0123456789abcdef01234567";
        for (body, resource) in [
            (json!({"body": "x", "inReplyToId": nothing}), "[contentId]"),
            (json!({"body": "x", "sourceId": nothing}), "[sourceId]"),
            (json!({"body": "x", "inReplyToId": parent, "authorIdentityId": nothing}), "[identityId]"),
            (json!({"body": "x", "sourceId": src.id, "authorIdentityId": nothing}), "[identityId]"),
        ] {
            assert_engage_error(reply(app, body).await, 404, "CMN-102", resource).await;
        }
        assert_eq!(page(app, "").await["records"].as_array().unwrap().len(), 1);
    }

    async fn a_content_naming_what_does_not_allow_it_is_a_409_conflict(app: &TestApp) {
        let src = seeded(app, 1).await;
        let other = seeded(app, 0).await;
        let parent = page(app, "").await["records"][0]["id"].clone();
        let customer = page(app, "").await["records"][0]["authorIdentityId"].clone();
        for (body, mentions) in [
            (json!({"body": "x", "inReplyToId": parent, "authorIdentityId": customer}), "puppetizable"),
            (json!({"body": "x", "inReplyToId": parent, "sourceId": other.id}), "not the source of the content replied to"),
        ] {
            assert_engage_error(reply(app, body).await, 409, "CMN-409", mentions).await;
        }
        assert_eq!(page(app, &format!("?source={}", src.id)).await["records"].as_array().unwrap().len(), 1);
    }

    async fn a_reply_may_be_authored_by_a_puppetizable_identity_of_its_source(app: &TestApp) {
        let src = seeded(app, 1).await;
        app.push(&src, "users.create", json!({"id": "brand", "screenname": "Brand", "puppetizable": true})).await;
        let identities: Value = app.engage(Method::GET, "/identities", &app.company).send().await.unwrap().json().await.unwrap();
        let brand = identities["records"].as_array().unwrap().iter().find(|i| i["foreignId"] == "brand").unwrap()["id"].clone();
        let parent = page(app, "").await["records"][0]["id"].clone();
        let res = reply(app, json!({"body": "Signed by the brand", "inReplyToId": parent, "authorIdentityId": brand})).await;
        assert_eq!(res.status(), 201);
        assert_eq!(res.json::<Value>().await.unwrap()["authorIdentityId"], brand);
    }

    async fn identities_are_listed_and_fetched_also_at_the_documents_double_slash_urls(app: &TestApp) {
        let src = seeded(app, 0).await;
        for i in 0..3 {
            app.push(&src, "users.create", json!({"id": format!("u{i}"), "screenname": format!("User {i}"), "firstname": "F", "avatar_url": "https://x/a.png"})).await;
        }
        let first: Value = app.engage(Method::GET, "/identities?perPage=2", &app.company).send().await.unwrap().json().await.unwrap();
        let names: Vec<&str> = first["records"].as_array().unwrap().iter().map(|r| r["screenName"].as_str().unwrap()).collect();
        assert_eq!(names, vec!["User 2", "User 1"]);
        let next = first["paging"]["nextPageToken"].as_str().unwrap();
        let second: Value = app.engage(Method::GET, &format!("/identities?perPage=2&pageToken={next}"), &app.company).send().await.unwrap().json().await.unwrap();
        assert_eq!(second["records"][0]["screenName"], "User 0");
        let id = second["records"][0]["id"].as_str().unwrap();
        let one: Value = app.request(Method::GET, &format!("/engage/advanced-messaging//v1/identities/{id}")).bearer_auth(&app.company.key).send().await.unwrap().json().await.unwrap();
        assert_eq!((one["screenName"].as_str(), one["firstName"].as_str(), one["avatarUrl"].as_str(), one["sourceId"].as_str()), (Some("User 0"), Some("F"), Some("https://x/a.png"), Some(src.id.as_str())));
        let all = app.request(Method::GET, "/engage/advanced-messaging//v1/identities").bearer_auth(&app.company.key).send().await.unwrap();
        assert_eq!(all.status(), 200);
        let res = app.engage(Method::GET, "/identities/0123456789abcdef01234567", &app.company).send().await.unwrap();
        assert_engage_error(res, 404, "CMN-102", "identity").await;
    }

    async fn another_companys_contents_cannot_be_replied_to(app: &TestApp) {
        seeded(app, 1).await;
        let parent = page(app, "").await["records"][0]["id"].clone();
        let theirs = app.create_company("Other", "owner@other.example").await;
        let res = app.engage(Method::POST, "/contents", &theirs).json(&json!({"body": "hijack", "inReplyToId": parent})).send().await.unwrap();
        assert_engage_error(res, 404, "CMN-102", "[contentId]").await;
        assert_eq!(page(app, "").await["records"].as_array().unwrap().len(), 1);
    }
}
