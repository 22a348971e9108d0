//! Texts coming in: the loopback carrier's webhook (`POST /carriers/loopback/{number}/inbound`),
//! a webhook delivered twice, the opt-out keywords, and the full-text search of messages.

use switchboard_tests::Tenant;
use switchboard_tests::receiver::Receiver;

use crate::texting::{add_number, conversation, publish, send_all};
use crate::*;

async fn text_in(app: &TestApp, tenant: &Tenant, to: &str, body: Value) -> reqwest::Response {
    app.native(Method::POST, &format!("/carriers/loopback/{to}/inbound"), tenant).json(&body).send().await.unwrap()
}

async fn search(app: &TestApp, tenant: &Tenant, text: &str) -> Vec<String> {
    let res = app
        .ringplan(Method::GET, "/texting/conversations/search", &tenant.primary())
        .query(&[("text", text)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "searching {text}");
    res.json::<Vec<Value>>().await.unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
}

e2e! {
    async fn a_ringplan_callback_subscriber_receives_texting_message_inbound(app: &TestApp) {
        let me = app.company.primary();
        add_number(app, &app.company, "+14155550199", &[]).await;
        let receiver = Receiver::start().await;
        let res = app.ringplan(Method::POST, "/webhooks/callbacks", &me).json(&json!({"type": "texting.message.inbound"})).send().await.unwrap();
        assert_eq!(res.status(), 201);
        let res = app.ringplan(Method::PUT, "/webhooks/callbacks/url", &me).json(&json!({"url": receiver.url()})).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(text_in(app, &app.company, "+14155550199", json!({"id": "m-1", "from": "+12340009999", "text": "Hello"})).await.status(), 200);

        let got = receiver.wait_for("the inbound text", |r| !r.is_empty()).await;
        let kinds: Vec<String> = got.iter().map(|r| r.json()["event"].as_str().unwrap_or_default().to_owned()).collect();
        assert_eq!(kinds, ["texting.message.inbound"], "only the subscribed type");
        let data = &got[0].json()["data"];
        assert_eq!((data["text"].as_str(), data["frm"].as_str(), data["to"].as_str()), (Some("Hello"), Some("+12340009999"), Some("+14155550199")));
        assert_eq!(data["direction"], "inbound");
    }

    async fn a_text_is_a_content_of_the_core_in_advanced_messaging(app: &TestApp) {
        add_number(app, &app.company, "+14155550199", &[]).await;
        assert_eq!(text_in(app, &app.company, "+14155550199", json!({"id": "m-1", "from": "+12340009999", "text": "Hello core"})).await.status(), 200);
        let contents = app.contents(&app.company, "").await;
        let found = contents.iter().find(|c| c["body"] == "Hello core").unwrap_or_else(|| panic!("{contents:?}"));
        let conversations: Vec<Value> = app.ringplan(Method::GET, "/texting/conversations", &app.company.primary()).send().await.unwrap().json().await.unwrap();
        assert_eq!(found["threadId"], conversations[0]["id"]);
        assert_eq!(found["id"], conversations[0]["lastmessage"]["id"]);
    }
}

e2e! {
    jobs: drained;

    async fn an_inbound_text_makes_its_contact_and_conversation_once_whatever_the_repeats(app: &TestApp) {
        add_number(app, &app.company, "+14155550199", &[]).await;
        let body = json!({"id": "m-1", "from": "(234) 000-9999", "text": "Is my table ready?"});
        let res = text_in(app, &app.company, "+14155550199", body.clone()).await;
        assert_eq!(res.status(), 200);
        assert_eq!(text_in(app, &app.company, "+14155550199", body).await.status(), 200, "the same id again");

        let owner = app.company.primary();
        let all: Vec<Value> = app.ringplan(Method::GET, "/texting/conversations", &owner).send().await.unwrap().json().await.unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0]["contactinfo"]["number"], "+12340009999");
        assert_eq!(all[0]["countunreadmessages"], 1);
        assert_eq!(all[0]["lastmessage"]["frm"], "+12340009999");
        let contacts: Vec<Value> = app.ringplan(Method::GET, "/texting/contacts", &owner).send().await.unwrap().json().await.unwrap();
        assert_eq!(contacts.len(), 1);
        let kinds: Vec<String> = app.events(&app.company).await.into_iter().map(|e| e.kind).collect();
        assert_eq!(kinds.iter().filter(|k| *k == "texting.message.inbound").count(), 1, "{kinds:?}");

        let res = text_in(app, &app.company, "+14155550100", json!({"from": "+12340009999", "text": "hi"})).await;
        assert_problem(res, 404, "source").await;
        let res = text_in(app, &app.company, "+14155550199", json!({"from": "nope", "text": "hi"})).await;
        assert_problem(res, 400, "from").await;
        let res = app.native(Method::POST, "/carriers/pigeon/+14155550199/inbound", &app.company)
            .json(&json!({"from": "+12340009999", "text": "hi"})).send().await.unwrap();
        assert_eq!(res.status(), 404);
        let res = app.request(Method::POST, "/carriers/loopback/+14155550199/inbound")
            .json(&json!({"from": "+12340009999", "text": "hi"})).send().await.unwrap();
        assert_eq!(res.status(), 401, "nothing signs loopback: it takes the company's key");
        let other = app.create_company("Other", "owner@other.example").await;
        let res = text_in(app, &other, "+14155550199", json!({"from": "+12340009999", "text": "hi"})).await;
        assert_problem(res, 404, "").await;
        let messages = format!("/texting/conversations/{}/messages", all[0]["id"].as_str().unwrap());
        let list: Vec<Value> = app.ringplan(Method::GET, &messages, &owner).send().await.unwrap().json().await.unwrap();
        assert_eq!(list.len(), 1, "nothing else was stored");
    }

    async fn stop_opts_the_contact_out_of_the_number_start_back_in_and_help_is_answered(app: &TestApp) {
        let owner = app.company.primary();
        add_number(app, &app.company, "+14155550199", &[]).await;
        let conv = conversation(app, &owner, "+14155550199", "+12340009999").await;
        let id = conv["id"].as_str().unwrap();
        assert_eq!(text_in(app, &app.company, "+14155550199", json!({"from": "+12340009999", "text": " Stop "})).await.status(), 200);
        let res = publish(app, &owner, id, json!({"text": "Last chance!"})).await;
        assert_problem(res, 409, "opted out").await;
        let texts = format!("/texting/conversations/{id}/messages");
        let list: Vec<Value> = app.ringplan(Method::GET, &texts, &owner).send().await.unwrap().json().await.unwrap();
        assert_eq!(list.iter().filter(|m| m["direction"] == "outbound").count(), 0, "nothing was sent: {list:?}");

        assert_eq!(text_in(app, &app.company, "+14155550199", json!({"from": "+12340009999", "text": "START"})).await.status(), 200);
        assert_eq!(publish(app, &owner, id, json!({"text": "Welcome back"})).await.status(), 201);

        assert_eq!(text_in(app, &app.company, "+14155550199", json!({"from": "+12340009999", "text": "help"})).await.status(), 200);
        let list: Vec<Value> = app.ringplan(Method::GET, &texts, &owner).send().await.unwrap().json().await.unwrap();
        let answer = &list[0];
        assert_eq!((answer["direction"].as_str(), answer["to"].as_str()), (Some("outbound"), Some("+12340009999")));
        assert!(answer["text"].as_str().unwrap().contains("STOP"), "{answer}");
        send_all(app, &owner, id).await;
    }

    async fn a_reply_through_advanced_messaging_keeps_the_opt_out_and_its_parent_can_be_deleted(app: &TestApp) {
        let owner = app.company.primary();
        add_number(app, &app.company, "+14155550199", &[]).await;
        assert_eq!(text_in(app, &app.company, "+14155550199", json!({"from": "+12340009999", "text": "STOP"})).await.status(), 200);
        let stop = app.contents(&app.company, "").await.into_iter().find(|c| c["body"] == "STOP").expect("the STOP text");
        let reply = |body: &'static str| {
            app.engage(Method::POST, "/contents", &app.company).json(&json!({"body": body, "inReplyToId": stop["id"]})).send()
        };
        let res = reply("Sorry to see you go").await.unwrap();
        assert_eq!(res.status(), 409, "{}", res.text().await.unwrap());
        assert!(!app.contents(&app.company, "").await.iter().any(|c| c["body"] == "Sorry to see you go"), "nothing was stored");

        assert_eq!(text_in(app, &app.company, "+14155550199", json!({"from": "+12340009999", "text": "START"})).await.status(), 200);
        assert_eq!(reply("Welcome back").await.unwrap().status(), 201);
        let conv = stop["threadId"].as_str().unwrap();
        let res = app
            .ringplan(Method::DELETE, &format!("/texting/conversations/{conv}/messages"), &owner)
            .query(&[("ids", stop["id"].as_str().unwrap())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204, "the message a reply answered is deleted: {}", res.text().await.unwrap());
        let left: Vec<Value> = app.ringplan(Method::GET, &format!("/texting/conversations/{conv}/messages"), &owner).send().await.unwrap().json().await.unwrap();
        assert!(left.iter().any(|m| m["text"] == "Welcome back") && !left.iter().any(|m| m["text"] == "STOP"), "{left:?}");
        send_all(app, &owner, conv).await;
    }

    async fn search_ranks_the_companys_conversations_by_their_messages_words_and_prefixes(app: &TestApp) {
        let owner = app.company.primary();
        add_number(app, &app.company, "+14155550199", &[]).await;
        let both = conversation(app, &owner, "+14155550199", "+12340000001").await["id"].as_str().unwrap().to_owned();
        let once = conversation(app, &owner, "+14155550199", "+12340000002").await["id"].as_str().unwrap().to_owned();
        let none = conversation(app, &owner, "+14155550199", "+12340000003").await["id"].as_str().unwrap().to_owned();
        for (conv, text) in [
            (&both, "Development Talks: the agenda"),
            (&both, "More development talks, talks and talks"),
            (&once, "A long message that mentions development only once, among many other words of no interest"),
            (&none, "Nothing to see here"),
        ] {
            assert_eq!(publish(app, &owner, conv, json!({"text": text})).await.status(), 201);
        }
        assert_eq!(search(app, &app.company, "Development Talks").await, vec![both.clone()]);
        assert_eq!(search(app, &app.company, "develop").await, vec![both.clone(), once.clone()], "prefixes, best first");
        assert_eq!(search(app, &app.company, "TALK").await, vec![both.clone()]);
        assert!(search(app, &app.company, "\"*) OR (").await.is_empty(), "query syntax is never passed through");
        assert!(search(app, &app.company, "").await.is_empty());

        let mail = conversation(app, &owner, "+14155550199", "+12340000004").await["id"].as_str().unwrap().to_owned();
        assert_eq!(publish(app, &owner, &mail, json!({"text": "Write to jane@example.com about the café"})).await.status(), 201);
        assert_eq!(search(app, &app.company, "example").await, vec![mail.clone()], "an address is words, on both backends");
        assert_eq!(search(app, &app.company, "café").await, vec![mail.clone()]);
        assert!(search(app, &app.company, "cafe").await.is_empty(), "accents are kept, on both backends");

        let other = app.create_company("Other", "owner@other.example").await;
        add_number(app, &other, "+14155550111", &[]).await;
        let theirs = conversation(app, &other.primary(), "+14155550111", "+12340000001").await;
        publish(app, &other.primary(), theirs["id"].as_str().unwrap(), json!({"text": "development talks"})).await;
        assert_eq!(search(app, &other, "development").await, vec![theirs["id"].as_str().unwrap().to_owned()]);
        assert!(!search(app, &app.company, "development").await.contains(&theirs["id"].as_str().unwrap().to_owned()));

        let path = format!("/texting/conversations/{both}");
        assert_eq!(app.ringplan(Method::DELETE, &path, &owner).send().await.unwrap().status(), 204);
        assert_eq!(search(app, &app.company, "develop").await, vec![once], "a deleted conversation is no longer found");
    }
}
