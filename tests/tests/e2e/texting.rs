//! RingPlan texting (seeds/003) over the core, with the loopback carrier: numbers, texting
//! contacts, conversations and messages, their status codes and paging headers, bad input and
//! unknown ids. Tenancy has its own file (`texting_tenancy.rs`).

use switchboard_tests::{Caller, Tenant};

use crate::*;

/// Adds a loopback number to the company (native admin API); fast enough that tests never wait
/// for a sending slot.
pub(crate) async fn add_number(app: &TestApp, tenant: &Tenant, number: &str, owners: &[&str]) -> Value {
    let res = app
        .native(Method::POST, "/v1/texting/numbers", tenant)
        .json(&json!({"number": number, "carrier": "loopback", "owners": owners, "rate_per_minute": 6000}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "adding {number}");
    res.json().await.unwrap()
}

pub(crate) async fn add_contact(app: &TestApp, caller: &Caller, number: &str) -> Value {
    let res =
        app.ringplan(Method::POST, "/texting/contacts", caller).json(&json!({"number": number})).send().await.unwrap();
    assert!(res.status() == 201 || res.status() == 200, "adding contact {number}: {}", res.status());
    res.json().await.unwrap()
}

/// The conversation between the company's `from` number and `to` (v2: made if new).
pub(crate) async fn conversation(app: &TestApp, caller: &Caller, from: &str, to: &str) -> Value {
    let res = app
        .ringplan(Method::POST, "/texting/v2/conversations", caller)
        .json(&json!({"recipients": [{"number": to}], "from_number": from, "conversation_type": "direct"}))
        .send()
        .await
        .unwrap();
    assert!(res.status() == 201 || res.status() == 200, "conversation: {}", res.status());
    res.json().await.unwrap()
}

pub(crate) async fn publish(app: &TestApp, caller: &Caller, conversation: &str, body: Value) -> reqwest::Response {
    let path = format!("/texting/conversations/{conversation}/messages/publish");
    app.ringplan(Method::POST, &path, caller).json(&body).send().await.unwrap()
}

async fn messages(app: &TestApp, caller: &Caller, conversation: &str) -> Vec<Value> {
    let path = format!("/texting/conversations/{conversation}/messages");
    let res = app.ringplan(Method::GET, &path, caller).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// Runs the due jobs until no message of the conversation waits to be sent: a number's messages
/// leave at its rate, so some are due only a little later.
pub(crate) async fn send_all(app: &TestApp, caller: &Caller, conversation: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        app.drain_jobs().await;
        if messages(app, caller, conversation).await.iter().all(|m| m["status"] != "queued") {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "messages still queued after 30 s");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()[name].to_str().unwrap().to_owned()
}

e2e! {
    async fn a_number_is_added_with_write_only_credentials_and_listed_to_its_owners(app: &TestApp) {
        let owner = app.company.primary();
        let jane = app.add_user(&app.company, "Jane", "jane@example.com").await;
        let added = add_number(app, &app.company, "(415) 555-0199", &["jane@example.com"]).await;
        assert_eq!(added["number"], "+14155550199");
        assert_eq!(added["carrier"], "loopback");
        assert!(added.get("credentials").is_none(), "{added}");
        add_number(app, &app.company, "+14155550198", &[]).await;

        let res = app.native(Method::POST, "/v1/texting/numbers", &app.company)
            .json(&json!({"number": "+14155550199", "carrier": "loopback"})).send().await.unwrap();
        assert_problem(res, 409, "already in use").await;
        for (body, field) in [
            (json!({"number": "12", "carrier": "loopback"}), "number"),
            (json!({"number": "+14155550100", "carrier": "pigeon"}), "carrier"),
            (json!({"number": "+14155550100", "carrier": "loopback", "credentials": {"token": "x"}}), "credentials"),
            (json!({"number": "+14155550100", "carrier": "loopback", "owners": ["not-an-email"]}), "owners[0]"),
            (json!({"number": "+14155550100", "carrier": "loopback", "rate_per_minute": 0}), "rate_per_minute"),
        ] {
            let res = app.native(Method::POST, "/v1/texting/numbers", &app.company).json(&body).send().await.unwrap();
            assert_problem(res, 400, field).await;
        }

        let all: Vec<Value> = app.ringplan(Method::GET, "/texting/numbers", &owner).send().await.unwrap().json().await.unwrap();
        assert_eq!(all.len(), 2, "the primary user sees every number");
        let mine: Vec<Value> = app.ringplan(Method::GET, "/texting/numbers", &app.company.as_user(&jane))
            .send().await.unwrap().json().await.unwrap();
        assert_eq!(mine.len(), 1, "{mine:?}");
        assert_eq!(mine[0]["ownership"], json!(["jane@example.com"]));
        assert_eq!(mine[0]["company_id"], app.company.id.as_str());

        let national: Vec<Value> = app.ringplan(Method::GET, "/texting/numbers?numformat=national", &owner)
            .send().await.unwrap().json().await.unwrap();
        assert!(national.iter().any(|n| n["number"] == "(415) 555-0199"), "{national:?}");
        let international: Vec<Value> = app.ringplan(Method::GET, "/texting/numbers?numformat=international", &owner)
            .send().await.unwrap().json().await.unwrap();
        assert!(international.iter().any(|n| n["number"] == "+1 415-555-0199"), "{international:?}");
        let res = app.ringplan(Method::GET, "/texting/numbers?numformat=roman", &owner).send().await.unwrap();
        assert_problem(res, 400, "numformat").await;
        let res = app.native(Method::PATCH, &format!("/v1/sources/{}", added["id"].as_str().unwrap()), &app.company)
            .json(&json!({"name": "Renamed"})).send().await.unwrap();
        assert_problem(res, 409, "/v1/texting/numbers").await;
    }

    async fn the_owners_of_a_number_are_replaced_by_put(app: &TestApp) {
        let owner = app.company.primary();
        add_number(app, &app.company, "+14155550199", &[]).await;
        let res = app.ringplan(Method::PUT, "/texting/numbers/4155550199", &owner)
            .json(&json!(["janedoe@example.com", "johnsmith@example.com"])).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["ownership"], json!(["janedoe@example.com", "johnsmith@example.com"]));
        assert_eq!(body["number"], "+14155550199");

        let res = app.ringplan(Method::PUT, "/texting/numbers/4155550100", &owner).json(&json!([])).send().await.unwrap();
        assert_problem(res, 404, "texting number").await;
        let res = app.ringplan(Method::PUT, "/texting/numbers/4155550199", &owner).json(&json!({"a": 1})).send().await.unwrap();
        assert_problem(res, 400, "array").await;
        let res = app.ringplan(Method::PUT, "/texting/numbers/4155550199", &owner).json(&json!(["nope"])).send().await.unwrap();
        assert_problem(res, 400, "[0]").await;
        let jane = app.add_user(&app.company, "Jane", "jane@example.com").await;
        let res = app.ringplan(Method::PUT, "/texting/numbers/4155550199", &app.company.as_user(&jane))
            .json(&json!(["jane@example.com"])).send().await.unwrap();
        assert_problem(res, 403, "owner").await;
    }

    async fn a_texting_contact_is_created_once_per_number_found_and_replaced(app: &TestApp) {
        let owner = app.company.primary();
        add_number(app, &app.company, "+14155550199", &[]).await;
        let res = app.ringplan(Method::POST, "/texting/contacts", &owner)
            .json(&json!({"number": "+12340009999", "first_name": "Jane", "last_name": "Doe"})).send().await.unwrap();
        assert_eq!(res.status(), 201);
        let jane: Value = res.json().await.unwrap();
        assert_eq!((jane["number"].as_str(), jane["company_id"].as_str()), (Some("+12340009999"), Some(app.company.id.as_str())));
        let again = app.ringplan(Method::POST, "/texting/contacts", &owner)
            .json(&json!({"number": "234-000-9999"})).send().await.unwrap();
        assert_eq!(again.status(), 200, "the same number in another writing is the same contact");
        assert_eq!(again.json::<Value>().await.unwrap()["id"], jane["id"]);
        add_contact(app, &owner, "+12340008888").await;

        let found: Vec<Value> = app.ringplan(Method::GET, "/texting/contacts?search=jane", &owner)
            .send().await.unwrap().json().await.unwrap();
        assert_eq!(found.iter().map(|c| &c["id"]).collect::<Vec<_>>(), vec![&jane["id"]]);
        let all: Vec<Value> = app.ringplan(Method::GET, "/texting/contacts", &owner).send().await.unwrap().json().await.unwrap();
        assert_eq!(all.len(), 2);

        let path = format!("/texting/contacts/{}", jane["id"].as_str().unwrap());
        let got: Value = app.ringplan(Method::GET, &path, &owner).send().await.unwrap().json().await.unwrap();
        assert_eq!(got, jane);
        let res = app.ringplan(Method::PUT, &path, &owner).json(&json!({"number": "11235554321"})).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let replaced: Value = res.json().await.unwrap();
        assert_eq!(replaced["number"], "+11235554321");
        assert_eq!(replaced["first_name"], Value::Null, "a replacement drops what it leaves out");
        let res = app.ringplan(Method::PUT, &path, &owner).json(&json!({"number": "+12340008888"})).send().await.unwrap();
        assert_problem(res, 409, "another texting contact").await;

        for bad in [json!({"number": "12"}), json!({}), json!({"number": "+12340007777", "nickname": "x"})] {
            let res = app.ringplan(Method::POST, "/texting/contacts", &owner).json(&bad).send().await.unwrap();
            assert_problem(res, 400, "").await;
        }
        for id in ["0123456789abcdef01234567", "not-an-id"] {
            let res = app.ringplan(Method::GET, &format!("/texting/contacts/{id}"), &owner).send().await.unwrap();
            assert_problem(res, 404, "texting contact").await;
        }
        let users_are_not_texting_contacts = format!("/texting/contacts/{}", app.company.primary_user_id);
        let res = app.ringplan(Method::GET, &users_are_not_texting_contacts, &owner).send().await.unwrap();
        assert_eq!(res.status(), 404);
    }

    async fn a_conversation_is_made_once_per_pair_of_numbers_listed_paged_and_deleted(app: &TestApp) {
        let owner = app.company.primary();
        add_number(app, &app.company, "+14155550199", &[]).await;
        let contact = add_contact(app, &owner, "+12340009999").await;
        let body = json!({"contact_id": contact["id"], "from_number": "4155550199"});
        let res = app.ringplan(Method::POST, "/texting/conversations", &owner).json(&body).send().await.unwrap();
        assert_eq!(res.status(), 201);
        let made: Value = res.json().await.unwrap();
        assert_eq!(made["from_number"], "+14155550199");
        assert_eq!(made["contact_id"], contact["id"]);
        assert_eq!(made["contactinfo"]["number"], "+12340009999");
        assert_eq!(made["recipients"], json!([contact["id"]]));
        assert_eq!((made["countunreadmessages"].as_u64(), made["unread_msg_count"].as_u64()), (Some(0), Some(0)));
        let res = app.ringplan(Method::POST, "/texting/conversations", &owner).json(&body).send().await.unwrap();
        assert_eq!(res.status(), 200, "the pair already has a conversation");
        assert_eq!(res.json::<Value>().await.unwrap()["id"], made["id"]);
        let v2 = conversation(app, &owner, "4155550199", "+12340009999").await;
        assert_eq!(v2["id"], made["id"], "v2 finds the same conversation by numbers");
        for n in ["+12340001111", "+12340002222"] {
            conversation(app, &owner, "+14155550199", n).await;
        }

        let res = app.ringplan(Method::GET, "/texting/conversations?page=2&per_page=2", &owner).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(
            ["X-Pagination-Total-Count", "X-Pagination-Page-Count", "X-Pagination-Current-Page", "X-Pagination-Per-Page"]
                .map(|h| header(&res, h)),
            ["3", "2", "2", "2"].map(String::from)
        );
        assert_eq!(res.json::<Vec<Value>>().await.unwrap().len(), 1);
        for q in ["page=0", "per_page=0", "per_page=1001", "page=x"] {
            let res = app.ringplan(Method::GET, &format!("/texting/conversations?{q}"), &owner).send().await.unwrap();
            assert_problem(res, 400, q.split('=').next().unwrap()).await;
        }

        for (body, field) in [
            (json!({"contact_id": contact["id"], "from_number": "nope"}), "from_number"),
            (json!({"contact_id": contact["id"], "from_number": "4155550199", "conversation_type": "group"}), "conversation_type"),
        ] {
            let res = app.ringplan(Method::POST, "/texting/conversations", &owner).json(&body).send().await.unwrap();
            assert_problem(res, 400, field).await;
        }
        let res = app.ringplan(Method::POST, "/texting/conversations", &owner)
            .json(&json!({"contact_id": contact["id"], "from_number": "+14155550100"})).send().await.unwrap();
        assert_problem(res, 404, "texting number").await;
        let res = app.ringplan(Method::POST, "/texting/conversations", &owner)
            .json(&json!({"contact_id": "0123456789abcdef01234567", "from_number": "+14155550199"})).send().await.unwrap();
        assert_problem(res, 404, "texting contact").await;
        let res = app.ringplan(Method::POST, "/texting/v2/conversations", &owner)
            .json(&json!({"recipients": [], "from_number": "+14155550199"})).send().await.unwrap();
        assert_problem(res, 400, "recipients").await;

        let path = format!("/texting/conversations/{}", made["id"].as_str().unwrap());
        publish(app, &owner, made["id"].as_str().unwrap(), json!({"text": "bye"})).await;
        let res = app.ringplan(Method::DELETE, &path, &owner).send().await.unwrap();
        assert_eq!(res.status(), 204);
        let res = app.ringplan(Method::DELETE, &path, &owner).send().await.unwrap();
        assert_problem(res, 404, "conversation").await;
        let res = app.ringplan(Method::GET, &format!("{path}/messages"), &owner).send().await.unwrap();
        assert_problem(res, 404, "conversation").await;
        let kinds: Vec<String> = app.events(&app.company).await.into_iter().map(|e| e.kind).collect();
        assert!(kinds.iter().filter(|k| *k == "texting.chat.new").count() == 3, "{kinds:?}");
        assert!(kinds.contains(&"texting.chat.delete".to_owned()), "{kinds:?}");
    }
}

e2e! {
    jobs: drained;

    async fn a_published_message_is_queued_then_delivered_by_loopback_to_the_other_number(app: &TestApp) {
        let owner = app.company.primary();
        add_number(app, &app.company, "+14155550199", &[]).await;
        add_number(app, &app.company, "+14155550188", &[]).await;
        let ours = conversation(app, &owner, "+14155550199", "+14155550188").await;
        let id = ours["id"].as_str().unwrap();
        let res = publish(app, &owner, id, json!({"text": "Your table is ready"})).await;
        assert_eq!(res.status(), 201);
        let sent: Value = res.json().await.unwrap();
        assert_eq!((sent["direction"].as_str(), sent["frm"].as_str(), sent["to"].as_str()), (Some("outbound"), Some("+14155550199"), Some("+14155550188")));
        assert_eq!((sent["success"].clone(), sent["status"].as_str()), (Value::Null, Some("queued")));
        assert_eq!(sent["conversation_id"], id);

        send_all(app, &owner, id).await;
        let now = messages(app, &owner, id).await;
        assert_eq!((now[0]["success"].as_bool(), now[0]["status"].as_str()), (Some(true), Some("sent")), "{now:?}");

        let all: Vec<Value> = app.ringplan(Method::GET, "/texting/conversations", &owner).send().await.unwrap().json().await.unwrap();
        let theirs = all.iter().find(|c| c["from_number"] == "+14155550188").expect("the other number's conversation");
        assert_eq!(theirs["countunreadmessages"], 1);
        assert_eq!(theirs["lastmessage"]["text"], "Your table is ready");
        assert_eq!(theirs["lastmessage"]["direction"], "inbound");
        let kinds: Vec<String> = app.events(&app.company).await.into_iter().map(|e| e.kind).collect();
        for k in ["texting.message.new", "texting.message.inbound", "content.imported", "texting.chat.new"] {
            assert!(kinds.contains(&k.to_owned()), "{k} in {kinds:?}");
        }
    }

    async fn messages_are_paged_marked_read_and_deleted_by_ids(app: &TestApp) {
        let owner = app.company.primary();
        add_number(app, &app.company, "+14155550199", &[]).await;
        add_number(app, &app.company, "+14155550188", &[]).await;
        let ours = conversation(app, &owner, "+14155550199", "+14155550188").await;
        for i in 0..3 {
            assert_eq!(publish(app, &owner, ours["id"].as_str().unwrap(), json!({"text": format!("m{i}")})).await.status(), 201);
        }
        send_all(app, &owner, ours["id"].as_str().unwrap()).await;
        let all: Vec<Value> = app.ringplan(Method::GET, "/texting/conversations", &owner).send().await.unwrap().json().await.unwrap();
        let theirs = all.iter().find(|c| c["from_number"] == "+14155550188").unwrap();
        let conv = theirs["id"].as_str().unwrap();
        assert_eq!(theirs["unread_msg_count"], 3);

        let path = format!("/texting/conversations/{conv}/messages");
        let res = app.ringplan(Method::GET, &format!("{path}?per_page=2&page=1"), &owner).send().await.unwrap();
        assert_eq!(header(&res, "X-Pagination-Total-Count"), "3");
        assert_eq!(header(&res, "X-Pagination-Page-Count"), "2");
        let page: Vec<Value> = res.json().await.unwrap();
        assert_eq!(page.iter().map(|m| m["text"].as_str().unwrap()).collect::<Vec<_>>(), ["m2", "m1"], "newest first");

        let first = page[0]["id"].as_str().unwrap();
        let res = app.ringplan(Method::PATCH, &format!("{path}/{first}"), &owner).json(&json!({"is_read": true})).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.unwrap()["is_read"], true);
        let res = app.ringplan(Method::PATCH, &format!("{path}/{first}"), &owner).json(&json!({"is_read": "yes"})).send().await.unwrap();
        assert_problem(res, 400, "is_read").await;
        let res = app.ringplan(Method::PATCH, &format!("{path}/0123456789abcdef01234567"), &owner).json(&json!({"is_read": true})).send().await.unwrap();
        assert_problem(res, 404, "message").await;
        let conversations: Vec<Value> = app.ringplan(Method::GET, "/texting/conversations", &owner).send().await.unwrap().json().await.unwrap();
        let theirs = conversations.iter().find(|c| c["id"] == conv).unwrap();
        assert_eq!(theirs["countunreadmessages"], 2);
        let read = app.events(&app.company).await.into_iter().find(|e| e.kind == "texting.message.markAsRead").expect("a read event");
        assert_eq!(read.payload["messagesIds"], json!([first]));

        let res = app.ringplan(Method::DELETE, &format!("{path}?ids=nope"), &owner).send().await.unwrap();
        assert_problem(res, 400, "ids").await;
        let res = app.ringplan(Method::DELETE, &path, &owner).send().await.unwrap();
        assert_problem(res, 400, "ids").await;
        let second = page[1]["id"].as_str().unwrap();
        let res = app.ringplan(Method::DELETE, &format!("{path}?ids={first}&ids=0123456789abcdef01234567"), &owner).send().await.unwrap();
        assert_problem(res, 404, "message").await;
        assert_eq!(messages(app, &owner, conv).await.len(), 3, "nothing is deleted when an id is unknown");
        let res = app.ringplan(Method::DELETE, &format!("{path}?ids={first}&ids={second}"), &owner).send().await.unwrap();
        assert_eq!(res.status(), 204);
        let left = messages(app, &owner, conv).await;
        assert_eq!(left.iter().map(|m| m["text"].as_str().unwrap()).collect::<Vec<_>>(), ["m0"]);
        let deleted: Vec<Value> = app.events(&app.company).await.into_iter()
            .filter(|e| e.kind == "texting.message.delete").map(|e| e.payload).collect();
        assert_eq!(deleted.len(), 2);
        assert_eq!(deleted[0]["conversation_id"], conv);
    }

    async fn a_publish_repeated_with_its_stamp_id_is_one_message_and_bad_publishes_change_nothing(app: &TestApp) {
        let owner = app.company.primary();
        add_number(app, &app.company, "+14155550199", &[]).await;
        let conv = conversation(app, &owner, "+14155550199", "+12340009999").await;
        let id = conv["id"].as_str().unwrap();
        let body = json!({"text": "once", "stamp_id": "b44c10de-1d7b-4914-ac68-6af475bc3236"});
        let first: Value = publish(app, &owner, id, body.clone()).await.json().await.unwrap();
        let again = publish(app, &owner, id, body).await;
        assert_eq!(again.status(), 201);
        assert_eq!(again.json::<Value>().await.unwrap()["id"], first["id"]);
        assert_eq!(first["stamp_id"], "b44c10de-1d7b-4914-ac68-6af475bc3236");

        for (body, field) in [
            (json!({"text": ""}), "text"),
            (json!({}), "text"),
            (json!({"text": "x", "files": [{"id": "f"}]}), "files"),
            (json!({"text": "x", "colour": "red"}), "colour"),
        ] {
            assert_problem(publish(app, &owner, id, body).await, 400, field).await;
        }
        assert_problem(publish(app, &owner, "0123456789abcdef01234567", json!({"text": "x"})).await, 404, "conversation").await;
        let res = app.ringplan(Method::POST, &format!("/texting/v2/conversations/{id}/messages/publish"), &owner)
            .json(&json!({"text": "v2", "with_warning": true})).send().await.unwrap();
        assert_eq!(res.status(), 201);
        let v2: Vec<Value> = res.json().await.unwrap();
        assert_eq!(v2[0]["text"], "v2");
        assert_eq!(messages(app, &owner, id).await.len(), 2);
    }
}
