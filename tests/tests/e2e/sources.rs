//! The native source administration API (`/v1/sources`).

use super::*;
use switchboard_tests::{full_capabilities, message, sign};

async fn get(app: &TestApp, id: &str) -> reqwest::Response {
    app.native(Method::GET, &format!("/v1/sources/{id}"), &app.company).send().await.unwrap()
}

e2e! {
    async fn a_created_source_shows_its_token_once(app: &TestApp) {
        let res = app.native(Method::POST, "/v1/sources", &app.company)
            .json(&json!({"name": "Forum", "kind": "sdk", "base_uri": "http://127.0.0.1:9898/?x=1", "objects": {"messages": ["create", "list"]}, "options": ["messages.no_title"]}))
            .send().await.unwrap();
        assert_eq!(res.status(), 201);
        let s: Value = res.json().await.unwrap();
        let token = s["access_token"].as_str().unwrap();
        assert_eq!(token.len(), 64);
        assert!(token.chars().all(|c| c.is_ascii_alphanumeric()));
        let id = s["id"].as_str().unwrap();
        assert_eq!(s["send_api_path"], format!("/realtime/sdk/{id}"));
        assert_eq!(s["objects"], json!({"messages": ["create", "list"]}));
        let fetched: Value = get(app, id).await.json().await.unwrap();
        assert!(fetched.get("access_token").is_none(), "{fetched}");
        assert_eq!(fetched["base_uri"], "http://127.0.0.1:9898/?x=1");
        let listed: Vec<Value> = app.native(Method::GET, "/v1/sources", &app.company).send().await.unwrap().json().await.unwrap();
        assert_eq!(listed, vec![fetched]);
    }

    async fn sources_that_cannot_be_validated_are_400_problems(app: &TestApp) {
        for (body, detail) in [
            (json!({"kind": "sdk"}), "name"),
            (json!({"name": "X"}), "kind"),
            (json!({"name": "X", "kind": "fax"}), "unknown source kind"),
            (json!({"name": "", "kind": "sdk"}), "name"),
            (json!({"name": "X", "kind": "sdk", "base_uri": "ftp://nope"}), "base_uri"),
            (json!({"name": "X", "kind": "sdk", "options": ["view.messagin"]}), "unknown option 'view.messagin'"),
            (json!({"name": "X", "kind": "sdk", "objects": {"posts": ["create"]}}), "unknown collection 'posts'"),
            (json!({"name": "X", "kind": "sdk", "objects": {"messages": "create"}}), "'objects.messages'"),
            (json!({"name": "X", "kind": "sdk", "token": "mine"}), "token"),
        ] {
            let res = app.native(Method::POST, "/v1/sources", &app.company).json(&body).send().await.unwrap();
            assert_problem(res, 400, detail).await;
        }
        let listed: Vec<Value> = app.native(Method::GET, "/v1/sources", &app.company).send().await.unwrap().json().await.unwrap();
        assert!(listed.is_empty());
    }

    async fn patching_a_source_changes_what_it_declares(app: &TestApp) {
        let src = app.create_source(&app.company, json!({"objects": {"messages": ["create"]}})).await;
        assert_eq!(app.push(&src, "status.mark_as_read", json!({"id": "x"})).await, (422, "Invalid action".into()));
        let path = format!("/v1/sources/{}", src.id);
        let res = app.native(Method::PATCH, &path, &app.company).json(&json!({"name": "Renamed", "objects": {"status": ["mark_as_read"]}, "access_token": "forged"})).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let s: Value = res.json().await.unwrap();
        assert_eq!(s["name"], "Renamed");
        assert_eq!(s["objects"], json!({"messages": ["create"], "status": ["mark_as_read"]}), "objects merge per collection");
        assert!(s.get("access_token").is_none());
        let (status, text) = app.push(&src, "status.mark_as_read", json!({"id": "x"})).await;
        assert_eq!(status, 422);
        assert!(text.starts_with("Invalid resource format"), "now declared; the token did not change: {text}");
        for (body, detail) in [(json!({"name": null}), "name"), (json!({"options": ["bogus"]}), "bogus"), (json!({"base_uri": "nope"}), "base_uri")] {
            assert_problem(app.native(Method::PATCH, &path, &app.company).json(&body).send().await.unwrap(), 400, detail).await;
        }
    }

    async fn rotating_the_token_retires_the_old_one_at_once(app: &TestApp) {
        let old = app.create_source(&app.company, full_capabilities()).await;
        let res = app.native(Method::POST, &format!("/v1/sources/{}/rotate-token", old.id), &app.company).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let new_token = res.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
        assert_ne!(new_token, old.token);
        assert_eq!(app.push(&old, "messages.create", message("1", "t", "x")).await, (422, "Invalid signature".into()));
        let new = switchboard_tests::TestSource { id: old.id.clone(), token: new_token };
        assert_eq!(app.push(&new, "messages.create", message("1", "t", "x")).await, (200, "ok".into()));
        assert_eq!(sign(&new.token, b"x").len(), 128);
    }

    async fn a_deleted_source_disappears_but_its_conversations_stay(app: &TestApp) {
        let src = app.create_source(&app.company, full_capabilities()).await;
        app.push(&src, "messages.create", message("kept", "t", "history")).await;
        let path = format!("/v1/sources/{}", src.id);
        assert_eq!(app.native(Method::DELETE, &path, &app.company).send().await.unwrap().status(), 204);
        assert_problem(get(app, &src.id).await, 404, "source").await;
        assert_problem(app.native(Method::DELETE, &path, &app.company).send().await.unwrap(), 404, "source").await;
        assert_eq!(app.contents(&app.company, "").await[0]["foreignId"], "kept");
        assert!(app.events(&app.company).await.iter().any(|e| e.kind == "source.deleted"));
    }

    async fn only_the_owner_or_an_administrator_manages_sources(app: &TestApp) {
        let src = app.create_source(&app.company, full_capabilities()).await;
        let agent = app.add_user(&app.company, "Agent", "agent@example.com").await;
        let as_agent = |m: Method, p: &str| app.request(m, p).bearer_auth(&app.company.key).header("X-User-Id", agent.as_str());
        let path = format!("/v1/sources/{}", src.id);
        for (m, p) in [(Method::GET, "/v1/sources".to_owned()), (Method::POST, "/v1/sources".to_owned()), (Method::GET, path.clone()), (Method::PATCH, path.clone()), (Method::DELETE, path.clone()), (Method::POST, format!("{path}/rotate-token"))] {
            let res = as_agent(m.clone(), &p).json(&json!({"name": "x", "kind": "sdk"})).send().await.unwrap();
            assert_problem(res, 403, "administrator").await;
        }
        assert_eq!(get(app, &src.id).await.status(), 200);
    }

    async fn another_companys_sources_are_invisible_and_untouchable(app: &TestApp) {
        let theirs = app.create_company("Other", "owner@other.example").await;
        let their_source = app.create_source(&theirs, full_capabilities()).await;
        let path = format!("/v1/sources/{}", their_source.id);
        for (m, p) in [(Method::GET, path.clone()), (Method::PATCH, path.clone()), (Method::DELETE, path.clone()), (Method::POST, format!("{path}/rotate-token"))] {
            let res = app.native(m.clone(), &p, &app.company).json(&json!({"name": "pwned"})).send().await.unwrap();
            assert_problem(res, 404, "source").await;
        }
        let mine: Vec<Value> = app.native(Method::GET, "/v1/sources", &app.company).send().await.unwrap().json().await.unwrap();
        assert!(mine.is_empty());
        assert_eq!(app.push(&their_source, "messages.create", message("1", "t", "still theirs")).await.0, 200, "their token still works");
    }

    async fn the_native_api_needs_the_company_key(app: &TestApp) {
        assert_problem(app.request(Method::GET, "/v1/sources").send().await.unwrap(), 401, "API key").await;
        assert_problem(app.request(Method::GET, "/v1/sources").bearer_auth("sbk_nope").send().await.unwrap(), 401, "API key").await;
        let res = app.request(Method::GET, "/v1/sources").bearer_auth(&app.company.key).header("X-User-Id", "0123456789abcdef01234567").send().await.unwrap();
        assert_eq!(res.status(), 401);
    }
}
