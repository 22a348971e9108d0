//! The Channel SDK Send API (`POST /realtime/sdk/{source_id}`): every row of seeds/001's error
//! table, every action, and what each leaves in the store.

use super::*;
use switchboard_tests::{TestSource, full_capabilities, message, sign};

const TOO_LARGE: &str = "Invalid request size (max: 20971520 bytes)";

async fn source(app: &TestApp) -> TestSource {
    app.create_source(&app.company, full_capabilities()).await
}

fn kinds(events: &[switchboard_tests::LoggedEvent]) -> Vec<&str> {
    events.iter().map(|e| e.kind.as_str()).collect()
}

e2e! {
    async fn a_signed_message_is_answered_ok_and_stored_with_its_author_and_thread(app: &TestApp) {
        let src = source(app).await;
        let params = json!({"id": "890", "actions": ["reply", "show", "list"], "author": {"id": "666", "created_at": "07/11/2019", "screenname": "John Doe"}, "body": "Awesome post !", "format": "text", "thread_id": "42"});
        assert_eq!(app.push(&src, "messages.create", params).await, (200, "ok".into()));
        let records = app.contents(&app.company, "").await;
        assert_eq!(records.len(), 1);
        let c = &records[0];
        assert_eq!((c["foreignId"].as_str(), c["body"].as_str(), c["type"].as_str(), c["direction"].as_str()), (Some("890"), Some("Awesome post !"), Some("message"), Some("inbound")));
        assert_eq!(c["bodyFormat"], "text");
        assert_eq!(c["sourceId"], src.id.as_str());
        let author: Value = app.engage(Method::GET, &format!("/identities/{}", c["authorIdentityId"].as_str().unwrap()), &app.company).send().await.unwrap().json().await.unwrap();
        assert_eq!((author["screenName"].as_str(), author["foreignId"].as_str()), (Some("John Doe"), Some("666")));
        let log = app.events(&app.company).await;
        let tail: Vec<&str> = kinds(&log).into_iter().rev().take(3).collect();
        assert_eq!(tail, vec!["content.imported", "thread.created", "identity.created"], "committed before ok, in order");
        let imported = log.last().unwrap();
        assert_eq!(imported.payload["foreign_id"], "890");
        assert_eq!(imported.payload["created_from"], "send_api");
        assert_eq!(imported.payload["first_in_thread"], true);
    }

    async fn the_signature_may_come_in_the_query_and_in_any_case(app: &TestApp) {
        let src = source(app).await;
        let body = serde_json::to_vec(&json!({"action": "messages.create", "params": message("1", "t", "hi")})).unwrap();
        let sig = sign(&src.token, &body);
        let res = app.request(Method::POST, &format!("/realtime/sdk/{}?signature={sig}", src.id)).body(body.clone()).send().await.unwrap();
        assert_eq!((res.status().as_u16(), res.text().await.unwrap()), (200, "ok".into()));
        let body2 = serde_json::to_vec(&json!({"action": "messages.create", "params": message("2", "t", "hi")})).unwrap();
        assert_eq!(app.push_raw(&src.id, Some(&sign(&src.token, &body2).to_uppercase()), body2).await.0, 200);
    }

    async fn the_signature_is_checked_over_the_raw_bytes_whatever_their_json_style(app: &TestApp) {
        let src = source(app).await;
        let styles: [&[u8]; 3] = [
            "{\"action\":\"messages.create\",\"params\":{\"id\":\"u1\",\"author\":{\"id\":\"a\",\"screenname\":\"Zoé\"},\"body\":\"Café 日本 🎉\",\"thread_id\":\"t\"}}".as_bytes(),
            br#"{"action": "messages.create", "params": {"id": "u2", "author": {"id": "a", "screenname": "Zo\u00e9"}, "body": "Caf\u00e9 \u65e5\u672c \ud83c\udf89", "thread_id": "t"}}"#,
            r#"{"action":"messages.create","params":{"id":"u3","author":{"id":"a","screenname":"Zoé"},"body":"a\/b","thread_id":"t"}}"#.as_bytes(),
        ];
        for body in styles {
            assert_eq!(app.push_raw(&src.id, Some(&sign(&src.token, body)), body.to_vec()).await, (200, "ok".into()));
        }
        let bodies: Vec<String> = app.contents(&app.company, "").await.iter().map(|c| c["body"].as_str().unwrap().to_owned()).collect();
        assert_eq!(bodies, vec!["a/b", "Café 日本 🎉", "Café 日本 🎉"]);
    }

    async fn a_body_that_is_not_json_is_a_bad_request(app: &TestApp) {
        let src = source(app).await;
        for body in [&b"{nope"[..], b"", b"[1,2]", b"\"ok\""] {
            assert_eq!(app.push_raw(&src.id, Some(&sign(&src.token, body)), body.to_vec()).await, (400, "Bad request".into()), "{body:?}");
        }
    }

    async fn a_body_without_action_or_params_is_an_invalid_request_format(app: &TestApp) {
        let src = source(app).await;
        for body in [json!({"params": {}}), json!({"action": "messages.create"}), json!({"action": "", "params": {}}), json!({"action": "messages.create", "params": []})] {
            let bytes = serde_json::to_vec(&body).unwrap();
            let (status, text) = app.push_raw(&src.id, Some(&sign(&src.token, &bytes)), bytes).await;
            assert_eq!(status, 400, "{body}");
            assert!(text.starts_with("Invalid request format"), "{text}");
        }
    }

    async fn a_body_over_20_mib_is_refused_with_413_and_one_just_under_is_accepted(app: &TestApp) {
        let src = source(app).await;
        let over = vec![b' '; 20_971_521];
        assert_eq!(app.push_raw(&src.id, Some("x"), over).await, (413, TOO_LARGE.into()));
        let envelope = serde_json::to_vec(&json!({"action": "messages.create", "params": {"id": "big", "author": {"id": "a", "screenname": "A"}, "thread_id": "t", "attachments": [{"content": "", "filename": "big.bin"}]}})).unwrap();
        let filler = 20_971_520 - envelope.len();
        let params = json!({"id": "big", "author": {"id": "a", "screenname": "A"}, "thread_id": "t", "attachments": [{"content": "A".repeat(filler), "filename": "big.bin"}]});
        let body = serde_json::to_vec(&json!({"action": "messages.create", "params": params})).unwrap();
        assert_eq!(body.len(), 20_971_520);
        assert_eq!(app.push_raw(&src.id, Some(&sign(&src.token, &body)), body).await, (200, "ok".into()));
    }

    async fn an_unknown_malformed_or_deleted_source_is_not_found(app: &TestApp) {
        let src = source(app).await;
        let body = serde_json::to_vec(&json!({"action": "messages.create", "params": message("1", "t", "x")})).unwrap();
        for id in ["0123456789abcdef01234567", "8da592bc6fcf8bae41b2", "nope"] {
            assert_eq!(app.push_raw(id, Some(&sign(&src.token, &body)), body.clone()).await, (422, "Source not found".into()));
        }
        assert_eq!(app.native(Method::DELETE, &format!("/v1/sources/{}", src.id), &app.company).send().await.unwrap().status(), 204);
        assert_eq!(app.push_raw(&src.id, Some(&sign(&src.token, &body)), body).await, (422, "Source not found".into()));
    }

    async fn a_missing_or_wrong_signature_is_refused_and_nothing_is_stored(app: &TestApp) {
        let src = source(app).await;
        let other = source(app).await;
        let body = serde_json::to_vec(&json!({"action": "messages.create", "params": message("1", "t", "x")})).unwrap();
        let respaced = serde_json::to_vec_pretty(&json!({"action": "messages.create", "params": message("1", "t", "x")})).unwrap();
        for sig in [None, Some(String::new()), Some("00".repeat(64)), Some(sign(&other.token, &body)), Some(sign(&src.token, &respaced))] {
            assert_eq!(app.push_raw(&src.id, sig.as_deref(), body.clone()).await, (422, "Invalid signature".into()));
        }
        assert!(app.contents(&app.company, "").await.is_empty());
    }

    async fn an_undeclared_or_unknown_action_is_invalid(app: &TestApp) {
        let limited = app.create_source(&app.company, json!({"objects": {"messages": ["create"], "private_messages": ["list"]}, "options": []})).await;
        for action in ["private_messages.create", "threads.create", "status.mark_as_read", "typing.start", "messages.delete", "messages.list", "implementation.info", "launch.rockets"] {
            assert_eq!(app.push(&limited, action, json!({"id": "1", "thread_id": "t", "preview": "p"})).await, (422, "Invalid action".into()), "{action}");
        }
    }

    async fn an_item_missing_a_required_field_is_an_invalid_resource_format_naming_it(app: &TestApp) {
        let src = source(app).await;
        let cases = [
            ("messages.create", json!({"author": {"id": "a", "screenname": "A"}, "body": "x", "thread_id": "t"}), "'id'"),
            ("messages.create", json!({"id": "1", "body": "x", "thread_id": "t"}), "'author'"),
            ("messages.create", json!({"id": "1", "author": {"id": "a"}, "body": "x", "thread_id": "t"}), "'author.screenname'"),
            ("messages.create", json!({"id": "1", "author": {"id": "a", "screenname": "A"}, "thread_id": "t"}), "'body' or 'attachments'"),
            ("messages.create", json!({"id": "1", "author": {"id": "a", "screenname": "A"}, "body": "x"}), "'thread_id'"),
            ("messages.create", json!({"id": "1", "author": {"id": "a", "screenname": "A"}, "body": "x", "thread_id": "t", "in_reply_to_id": "nope"}), "'in_reply_to_id'"),
            ("private_messages.create", json!({"id": "1", "author": {"id": "a", "screenname": "A"}, "body": "x"}), "'recipient'"),
            ("threads.create", json!({"id": "1", "title": "T", "body": "x"}), "'author'"),
            ("users.create", json!({"id": "1"}), "'screenname'"),
            ("status.mark_as_read", json!({}), "'id'"),
            ("status.mark_as_read", json!({"id": "unknown"}), "'id'"),
            ("typing.start", json!({"thread_id": "t"}), "'preview'"),
            ("typing.stop", json!({}), "'thread_id' or 'in_reply_to_id'"),
        ];
        for (action, params, field) in cases {
            let (status, text) = app.push(&src, action, params.clone()).await;
            assert_eq!(status, 422, "{action} {params}");
            assert!(text.starts_with("Invalid resource format") && text.contains(field), "{action} {params}: {text}");
        }
        assert!(app.contents(&app.company, "").await.is_empty());
    }

    async fn structured_content_errors_use_the_documented_texts(app: &TestApp) {
        let src = source(app).await;
        let plain = app.create_source(&app.company, json!({"objects": {"messages": ["create"]}})).await;
        let bot = json!({"id": "bot", "screenname": "Bot", "puppetizable": true});
        let msg = |sc: Value, author: Value| json!({"id": "sc", "author": author, "body": "Pick one", "thread_id": "t", "structured_content": sc});
        let select = json!({"type": "select", "items": [{"title": "Yes"}, {"title": "No"}]});
        let cases = [
            (&plain, msg(select.clone(), bot.clone()), "Source doesn't support structured contents"),
            (&src, msg(json!({"items": []}), bot.clone()), "Type is required for structured contents"),
            (&src, msg(json!({"type": "apple_pay"}), bot.clone()), "Source doesn't support this type of structured content"),
            (&src, msg(json!({"type": "select", "items": []}), bot.clone()), "structured_content: \"items\" must not be empty"),
            (&src, msg(json!({"type": "rich_link", "title": "T"}), bot.clone()), "structured_content: \"url\" must not be empty"),
            (&src, msg(select.clone(), json!({"id": "cust", "screenname": "Customer"})), "The author must be puppetizable"),
        ];
        for (source, params, text) in cases {
            assert_eq!(app.push(source, "messages.create", params).await, (422, text.to_owned()));
        }
        assert_eq!(app.push(&src, "messages.create", msg(select.clone(), bot)).await, (200, "ok".into()));
        assert_eq!(app.contents(&app.company, "").await[0]["structuredContent"], select);
    }

    async fn an_identity_made_puppetizable_by_users_create_may_author_structured_content(app: &TestApp) {
        let src = source(app).await;
        assert_eq!(app.push(&src, "users.create", json!({"id": "agent-7", "screenname": "Agent", "puppetizable": true, "email": "a@x.example"})).await.0, 200);
        let params = json!({"id": "s1", "author": {"id": "agent-7", "screenname": "Agent"}, "body": "See", "thread_id": "t", "structured_content": {"type": "rich_link", "url": "https://example.com", "title": "Example"}});
        assert_eq!(app.push(&src, "messages.create", params).await, (200, "ok".into()));
        let ids: Value = app.engage(Method::GET, "/identities", &app.company).send().await.unwrap().json().await.unwrap();
        let agent = &ids["records"][0];
        assert_eq!((agent["foreignId"].as_str(), agent["puppetizable"].as_bool(), agent["email"].as_str()), (Some("agent-7"), Some(true), Some("a@x.example")));
    }

    async fn pushing_the_same_item_twice_creates_it_once_and_a_change_updates_it(app: &TestApp) {
        let src = source(app).await;
        for _ in 0..3 {
            assert_eq!(app.push(&src, "messages.create", message("m1", "t1", "first")).await.0, 200);
        }
        let records = app.contents(&app.company, "").await;
        assert_eq!(records.len(), 1);
        let mut edited = message("m1", "t1", "edited");
        edited["author"]["screenname"] = json!("Alice B.");
        assert_eq!(app.push(&src, "messages.create", edited).await.0, 200);
        let records = app.contents(&app.company, "").await;
        assert_eq!(records.len(), 1);
        assert_eq!(records[0]["body"], "edited");
        let log = app.events(&app.company).await;
        let k = kinds(&log);
        assert_eq!(k.iter().filter(|x| **x == "content.imported").count(), 1);
        assert_eq!(k.iter().filter(|x| **x == "thread.created").count(), 1);
        assert_eq!(k.iter().filter(|x| **x == "identity.created").count(), 1);
        assert_eq!(k.iter().filter(|x| **x == "content.updated").count(), 1);
        assert_eq!(k.iter().filter(|x| **x == "identity.updated").count(), 1);
    }

    async fn messages_of_one_thread_share_it_and_replies_point_at_their_parent(app: &TestApp) {
        let src = source(app).await;
        app.push(&src, "messages.create", message("m1", "t1", "question")).await;
        let mut reply = message("m2", "t1", "answer");
        reply["in_reply_to_id"] = json!("m1");
        assert_eq!(app.push(&src, "messages.create", reply).await.0, 200);
        app.push(&src, "messages.create", message("m3", "t2", "other")).await;
        let records = app.contents(&app.company, "").await;
        let by_foreign = |f: &str| records.iter().find(|c| c["foreignId"] == f).unwrap().clone();
        let (m1, m2, m3) = (by_foreign("m1"), by_foreign("m2"), by_foreign("m3"));
        assert_eq!(m1["threadId"], m2["threadId"]);
        assert_ne!(m1["threadId"], m3["threadId"]);
        assert_eq!(m2["inReplyToId"], m1["id"]);
    }

    async fn private_messages_are_grouped_by_replies_and_keep_their_recipient(app: &TestApp) {
        let src = source(app).await;
        let pm = |id: &str, reply: Option<&str>| json!({"id": id, "author": {"id": "c1", "screenname": "Carol"}, "recipient": {"id": "brand", "screenname": "Brand"}, "body": "psst", "in_reply_to_id": reply});
        assert_eq!(app.push(&src, "private_messages.create", pm("p1", None)).await.0, 200);
        assert_eq!(app.push(&src, "private_messages.create", pm("p2", Some("p1"))).await.0, 200);
        assert_eq!(app.push(&src, "private_messages.create", pm("p3", None)).await.0, 200);
        let records = app.contents(&app.company, "").await;
        assert!(records.iter().all(|c| c["type"] == "private_message" && c["recipientIdentityId"].is_string()));
        let thread = |f: &str| records.iter().find(|c| c["foreignId"] == f).unwrap()["threadId"].clone();
        assert_eq!(thread("p1"), thread("p2"));
        assert_ne!(thread("p1"), thread("p3"));
    }

    async fn a_thread_is_created_with_its_title_and_opening_post(app: &TestApp) {
        let src = source(app).await;
        let params = json!({"id": "th1", "title": "Printer on fire", "author": {"id": "c1", "screenname": "Carol"}, "body": "Help!"});
        assert_eq!(app.push(&src, "threads.create", params).await, (200, "ok".into()));
        assert_eq!(app.push(&src, "messages.create", message("th1", "th1", "same id as the thread, other collection")).await.0, 200);
        let records = app.contents(&app.company, "").await;
        assert_eq!(records.len(), 2);
        let opener = records.iter().find(|c| c["type"] == "thread").unwrap();
        let msg = records.iter().find(|c| c["type"] == "message").unwrap();
        assert_eq!(opener["body"], "Help!");
        assert_eq!(opener["threadId"], msg["threadId"]);
        let created = app.events(&app.company).await.into_iter().find(|e| e.kind == "thread.created").unwrap();
        assert_eq!(created.payload["title"], "Printer on fire");
    }

    async fn unthreaded_sources_group_messages_by_replies(app: &TestApp) {
        let src = app.create_source(&app.company, json!({"objects": {"messages": ["create"]}, "options": ["messages.unthreaded"]})).await;
        let m = |id: &str, reply: Option<&str>| json!({"id": id, "author": {"id": "a", "screenname": "A"}, "body": "x", "in_reply_to_id": reply});
        assert_eq!(app.push(&src, "messages.create", m("u1", None)).await.0, 200);
        assert_eq!(app.push(&src, "messages.create", m("u2", Some("u1"))).await.0, 200);
        assert_eq!(app.push(&src, "messages.create", m("u3", None)).await.0, 200);
        let records = app.contents(&app.company, "").await;
        let thread = |f: &str| records.iter().find(|c| c["foreignId"] == f).unwrap()["threadId"].clone();
        assert_eq!(thread("u1"), thread("u2"));
        assert_ne!(thread("u1"), thread("u3"));
    }

    async fn mark_as_read_marks_the_content_once(app: &TestApp) {
        let src = source(app).await;
        app.push(&src, "messages.create", message("m1", "t1", "hello")).await;
        for _ in 0..2 {
            assert_eq!(app.push(&src, "status.mark_as_read", json!({"id": "m1"})).await, (200, "ok".into()));
        }
        assert_eq!(app.contents(&app.company, "").await[0]["read"], true);
        let reads: Vec<_> = app.events(&app.company).await.into_iter().filter(|e| e.kind == "content.read").collect();
        assert_eq!(reads.len(), 1);
        assert_eq!(reads[0].payload["foreign_id"], "m1");
    }

    async fn typing_start_is_limited_per_thread_until_a_stop(app: &TestApp) {
        let src = source(app).await;
        let start = json!({"thread_id": "42", "preview": "Hel"});
        assert_eq!(app.push(&src, "typing.start", start.clone()).await, (200, "ok".into()));
        assert_eq!(app.push(&src, "typing.start", start.clone()).await, (429, "too many typing requests, please try again in a few seconds".into()));
        assert_eq!(app.push(&src, "typing.start", json!({"thread_id": "43", "preview": "x"})).await.0, 200, "another thread has its own limit");
        assert_eq!(app.push(&src, "typing.stop", json!({"thread_id": "42"})).await, (200, "ok".into()));
        assert_eq!(app.push(&src, "typing.start", start).await.0, 200, "a stop resets the limit");
        assert!(app.contents(&app.company, "").await.is_empty(), "typing is not stored");
        let log = app.events(&app.company).await;
        let typing: Vec<&str> = kinds(&log).into_iter().filter(|k| k.starts_with("typing.")).collect();
        assert_eq!(typing, vec!["typing.started", "typing.started", "typing.stopped", "typing.started"]);
    }

    async fn creating_the_thread_between_two_typing_starts_does_not_reset_the_limit(app: &TestApp) {
        let src = source(app).await;
        let start = json!({"thread_id": "NEW", "preview": "x"});
        assert_eq!(app.push(&src, "typing.start", start.clone()).await.0, 200);
        assert_eq!(app.push(&src, "messages.create", message("m1", "NEW", "hi")).await.0, 200);
        assert_eq!(app.push(&src, "typing.start", start.clone()).await.0, 429);
        assert_eq!(app.push(&src, "typing.stop", json!({"in_reply_to_id": "m1"})).await.0, 200);
        assert_eq!(app.push(&src, "typing.start", start).await.0, 200, "a stop named by a content of the thread resets it too");
    }

    async fn typing_on_a_known_content_is_limited_on_its_thread(app: &TestApp) {
        let src = source(app).await;
        app.push(&src, "messages.create", message("m1", "t1", "hello")).await;
        assert_eq!(app.push(&src, "typing.start", json!({"thread_id": "t1", "preview": "a"})).await.0, 200);
        assert_eq!(app.push(&src, "typing.start", json!({"in_reply_to_id": "m1", "preview": "b"})).await.0, 429, "the same conversation, named by its content");
    }

    async fn concurrent_pushes_are_each_committed_before_their_ok(app: &TestApp) {
        let src = source(app).await;
        let pushes = (0..60).map(|i| app.push(&src, "messages.create", message(&format!("c{i}"), &format!("t{}", i % 7), "hi")));
        let answers = futures::future::join_all(pushes).await;
        assert!(answers.iter().all(|a| *a == (200, "ok".to_owned())), "{answers:?}");
        assert_eq!(app.contents(&app.company, "").await.len(), 60);
        let log = app.events(&app.company).await;
        assert_eq!(log.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=log.len() as i64).collect::<Vec<_>>(), "gapless");
        assert_eq!(kinds(&log).iter().filter(|k| **k == "content.imported").count(), 60);
    }

    async fn a_refused_push_leaves_no_trace_when_sharing_a_commit_with_others(app: &TestApp) {
        let src = source(app).await;
        let pushes = (0..40).map(|i| {
            let mut m = json!({"id": format!("g{i}"), "author": {"id": format!("author-{i}"), "screenname": "A"}, "body": "x", "thread_id": format!("thread-{i}")});
            if i % 2 == 1 {
                m["in_reply_to_id"] = json!("missing");
            }
            app.push(&src, "messages.create", m)
        });
        let answers = futures::future::join_all(pushes).await;
        for (i, (status, _)) in answers.iter().enumerate() {
            assert_eq!(*status, if i % 2 == 1 { 422 } else { 200 }, "push {i}");
        }
        let stored: Vec<String> = app.contents(&app.company, "").await.iter().map(|c| c["foreignId"].as_str().unwrap().to_owned()).collect();
        assert_eq!(stored.len(), 20);
        assert!(stored.iter().all(|f| f[1..].parse::<u32>().unwrap() % 2 == 0));
        let log = app.events(&app.company).await;
        for kind in ["content.imported", "identity.created", "thread.created"] {
            assert_eq!(kinds(&log).iter().filter(|k| **k == kind).count(), 20, "{kind}");
        }
        let identities: Value = app.engage(Method::GET, "/identities?perPage=100", &app.company).send().await.unwrap().json().await.unwrap();
        let authors: Vec<&str> = identities["records"].as_array().unwrap().iter().map(|i| i["foreignId"].as_str().unwrap()).collect();
        assert_eq!(authors.len(), 20);
        assert!(authors.iter().all(|a| a["author-".len()..].parse::<u32>().unwrap() % 2 == 0), "{authors:?}");
    }

    async fn one_companys_source_token_cannot_sign_for_another_companys_source(app: &TestApp) {
        let theirs = app.create_company("Other", "owner@other.example").await;
        let their_source = app.create_source(&theirs, full_capabilities()).await;
        let mine = source(app).await;
        let body = serde_json::to_vec(&json!({"action": "messages.create", "params": message("x", "t", "spoof")})).unwrap();
        assert_eq!(app.push_raw(&their_source.id, Some(&sign(&mine.token, &body)), body).await, (422, "Invalid signature".into()));
        assert!(app.contents(&theirs, "").await.is_empty());
    }

    async fn contents_pushed_to_one_companys_source_are_never_visible_to_another(app: &TestApp) {
        let theirs = app.create_company("Other", "owner@other.example").await;
        let src = source(app).await;
        app.push(&src, "messages.create", message("secret", "t", "for company A only")).await;
        let mine = app.contents(&app.company, "").await;
        assert_eq!(mine.len(), 1);
        assert!(app.contents(&theirs, "").await.is_empty());
        assert!(app.contents(&theirs, &format!("&source={}", src.id)).await.is_empty());
        let author = mine[0]["authorIdentityId"].as_str().unwrap();
        assert_eq!(app.engage(Method::GET, &format!("/identities/{author}"), &theirs).send().await.unwrap().status(), 404);
        let ids: Value = app.engage(Method::GET, "/identities", &theirs).send().await.unwrap().json().await.unwrap();
        assert_eq!(ids["records"], json!([]));
        assert!(app.events(&theirs).await.iter().all(|e| !e.kind.starts_with("content.")));
    }
}
