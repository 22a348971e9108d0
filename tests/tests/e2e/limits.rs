//! What a stored text may be (`domain::text`), enforced the same on both backends by the REST
//! facades: a U+0000 or an over-long value is refused before anything is written, in each
//! facade's own error format and naming the field; a value of exactly the maximum length is
//! stored and read back (which on PostgreSQL proves that its indexes take it). Bodies over the
//! size limit are a 413 in each facade's format, and a webhook may only be limited to its own
//! company's sources.

use super::*;
use switchboard_domain::text::TextRule;
use switchboard_tests::{Tenant, full_capabilities, message};

/// `n` characters of four bytes each: the most bytes a value of that length can take.
fn wide(n: usize) -> String {
    "😀".repeat(n)
}

/// One character more than `rule` allows.
fn over(rule: TextRule) -> String {
    "a".repeat(rule.max_chars + 1)
}

const NUL: &str = "a\u{0}b";

async fn ringplan_json(app: &TestApp, method: Method, path: &str, body: &Value) -> reqwest::Response {
    app.ringplan(method, path, &app.company.primary()).json(body).send().await.unwrap()
}

async fn get_json(res: reqwest::Response) -> Value {
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn company(app: &TestApp) -> Value {
    get_json(app.ringplan(Method::GET, "/system/company", &app.company.primary()).send().await.unwrap()).await
}

async fn contacts(app: &TestApp) -> Value {
    get_json(app.ringplan(Method::GET, "/system/company/contacts", &app.company.primary()).send().await.unwrap()).await
}

async fn locations(app: &TestApp) -> Value {
    get_json(app.ringplan(Method::GET, "/company/locations", &app.company.primary()).send().await.unwrap()).await
}

async fn sources(app: &TestApp) -> Value {
    get_json(app.native(Method::GET, "/v1/sources", &app.company).send().await.unwrap()).await
}

async fn webhooks(app: &TestApp, tenant: &Tenant) -> Value {
    get_json(app.native(Method::GET, "/v1/webhooks", tenant).send().await.unwrap()).await
}

/// Checks an Advanced Messaging error body: its status, `CMN-101`, and the parameter it names.
async fn assert_engage_invalid(res: reqwest::Response, status: u16, parameter: Option<&str>, mentions: &str) {
    assert_eq!(res.status().as_u16(), status);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errorCode"], "CMN-101", "{body}");
    assert_eq!(body["errors"][0]["errorCode"], "CMN-101", "{body}");
    assert_eq!(body["errors"][0]["parameterName"].as_str(), parameter, "{body}");
    assert!(body["message"].as_str().unwrap().contains(mentions), "{body}");
}

e2e! {
    jobs: drained;

    async fn company_patches_with_a_nul_or_an_over_long_value_are_400_problems_naming_the_field_and_change_nothing(app: &TestApp) {
        let before = company(app).await;
        for (body, field) in [
            (json!({"name": NUL}), "'name' must not contain"),
            (json!({"address": {"city": NUL}}), "'address.city' must not contain"),
            (json!({"address": {"street": {"name": over(TextRule::LABEL)}}}), "'address.street.name' must be at most 255 characters"),
            (json!({"name": over(TextRule::NAME)}), "'name' must be at most 200 characters"),
            (json!({"name": "Two\nlines"}), "'name' must be a single line"),
            (json!({"description": over(TextRule::TEXT)}), "'description' must be at most 10000 characters"),
            (json!({"website": over(TextRule::URL)}), "'website' must be at most 2048 characters"),
            (json!({"phone": over(TextRule::PHONE)}), "'phone' must be at most 64 characters"),
            (json!({"partner_id": over(TextRule::ID)}), "'partner_id' must be at most 512 characters"),
            (json!({"billing_email": format!("{}@example.com", "a".repeat(250))}), "'billing_email' must be at most 254 characters"),
            (json!({"email": "jane\u{0}@example.com"}), "'email' must not contain"),
        ] {
            assert_problem(ringplan_json(app, Method::PATCH, "/company", &body).await, 400, field).await;
        }
        assert_eq!(company(app).await, before);
    }

    async fn company_values_of_exactly_the_maximum_length_are_stored_and_read_back(app: &TestApp) {
        let email = format!("{}@example.com", wide(254 - "@example.com".len()));
        let body = json!({"name": wide(200), "description": format!("multi\nline\t{}", wide(9989)), "website": wide(2048), "email": email, "address": {"zip": wide(255)}});
        let res = ringplan_json(app, Method::PATCH, "/company", &body).await;
        assert_eq!(res.status(), 200);
        let stored = company(app).await;
        for field in ["name", "description", "website", "email"] {
            assert_eq!(stored[field], body[field], "{field}");
        }
        assert_eq!(stored["address"]["zip"], body["address"]["zip"]);
    }

    async fn contacts_with_a_nul_or_an_over_long_value_are_400_problems_naming_the_field_and_are_not_added(app: &TestApp) {
        for (body, field) in [
            (json!({"first_name": NUL}), "'first_name' must not contain"),
            (json!({"last_name": over(TextRule::NAME)}), "'last_name' must be at most 200 characters"),
            (json!({"contacts": {"email": "a\u{0}@example.com"}}), "'contacts.email' must not contain"),
            (json!({"contacts": {"email": format!("{}@example.com", "a".repeat(250))}}), "'contacts.email' must be at most 254 characters"),
            (json!({"contacts": {"fax": over(TextRule::PHONE)}}), "'contacts.fax' must be at most 64 characters"),
            (json!({"contacts": {"phones": {"mobile": over(TextRule::PHONE)}}}), "'contacts.phones.mobile' must be at most 64 characters"),
            (json!({"address": {"city": over(TextRule::LABEL)}}), "'address.city' must be at most 255 characters"),
            (json!({"extension": {"note": NUL}}), "'extension.note' must not contain"),
            (json!({"description": over(TextRule::TEXT)}), "'description' must be at most 10000 characters"),
            (json!({"birthdate": over(TextRule::LABEL)}), "'birthdate' must be at most 255 characters"),
        ] {
            assert_problem(ringplan_json(app, Method::POST, "/company/contacts", &body).await, 400, field).await;
        }
        assert_eq!(contacts(app).await.as_array().unwrap().len(), 1);
    }

    async fn contact_updates_with_a_nul_or_an_over_long_value_are_400_problems_and_change_nothing(app: &TestApp) {
        let jane = app.add_user(&app.company, "Jane", "jane@example.com").await;
        let path = format!("/company/contacts/{jane}");
        let before = contacts(app).await;
        for (body, field) in [
            (json!({"first_name": NUL}), "'first_name' must not contain"),
            (json!({"title": over(TextRule::LABEL)}), "'title' must be at most 255 characters"),
            (json!({"contacts": {"phones": {"work": NUL}}}), "'contacts.phones.work' must not contain"),
            (json!({"contacts": {"fax": over(TextRule::PHONE)}}), "'contacts.fax' must be at most 64 characters"),
        ] {
            assert_problem(ringplan_json(app, Method::PATCH, &path, &body).await, 400, field).await;
        }
        assert_eq!(contacts(app).await, before);
    }

    async fn contact_values_of_exactly_the_maximum_length_are_stored_and_read_back(app: &TestApp) {
        let email = format!("{}@example.com", wide(254 - "@example.com".len()));
        let body = json!({"first_name": wide(200), "last_name": wide(200), "contacts": {"email": email, "phones": {"mobile": wide(64)}}, "timezone": wide(255)});
        let res = ringplan_json(app, Method::POST, "/company/contacts", &body).await;
        assert_eq!(res.status(), 201);
        let id = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
        let stored = contacts(app).await.as_array().unwrap().iter().find(|c| c["id"] == id.as_str()).unwrap().clone();
        assert_eq!((&stored["first_name"], &stored["last_name"], &stored["timezone"]), (&body["first_name"], &body["last_name"], &body["timezone"]));
        assert_eq!(stored["contacts"]["email"], body["contacts"]["email"]);
        assert_eq!(stored["contacts"]["phones"]["mobile"], body["contacts"]["phones"]["mobile"]);
        let again = ringplan_json(app, Method::POST, "/company/contacts", &json!({"first_name": "Twin", "contacts": {"email": email.to_uppercase()}})).await;
        assert_problem(again, 409, "already exists").await;
    }

    async fn a_contact_list_filter_holding_a_nul_is_a_400_problem_naming_it(app: &TestApp) {
        for (query, field) in [("?first_name=a%00b", "'first_name' must not contain"), ("?work_email=a%00@example.com", "'work_email' must not contain")] {
            let res = app.ringplan(Method::GET, &format!("/system/company/contacts{query}"), &app.company.primary()).send().await.unwrap();
            assert_problem(res, 400, field).await;
        }
    }

    async fn locations_with_a_nul_or_an_over_long_value_are_400_problems_naming_the_field_and_change_nothing(app: &TestApp) {
        for (body, field) in [
            (json!({"name": NUL}), "'name' must not contain"),
            (json!({"name": over(TextRule::NAME)}), "'name' must be at most 200 characters"),
            (json!({"name": "X", "street": {"type": over(TextRule::LABEL)}}), "'street.type' must be at most 255 characters"),
            (json!({"name": "X", "building": {"value": NUL}}), "'building.value' must not contain"),
            (json!({"name": "X", "callerid": over(TextRule::PHONE)}), "'callerid' must be at most 64 characters"),
            (json!({"name": "X", "pbx_id": over(TextRule::ID)}), "'pbx_id' must be at most 512 characters"),
        ] {
            assert_problem(ringplan_json(app, Method::POST, "/company/locations", &body).await, 400, field).await;
        }
        let path = format!("/company/locations/{}", app.company.main_location_id);
        let before = locations(app).await;
        assert_eq!(before.as_array().unwrap().len(), 1);
        for (body, field) in [(json!({"city": NUL}), "'city' must not contain"), (json!({"zip": over(TextRule::LABEL)}), "'zip' must be at most 255 characters")] {
            assert_problem(ringplan_json(app, Method::PATCH, &path, &body).await, 400, field).await;
        }
        assert_eq!(locations(app).await, before);
    }

    async fn location_values_of_exactly_the_maximum_length_are_stored_and_read_back(app: &TestApp) {
        let body = json!({"name": wide(200), "city": wide(255), "pbx_id": wide(512), "phone": wide(64)});
        assert_eq!(ringplan_json(app, Method::POST, "/company/locations", &body).await.status(), 201);
        let stored = locations(app).await.as_array().unwrap().iter().find(|l| l["name"] == body["name"]).unwrap().clone();
        for field in ["city", "pbx_id", "phone"] {
            assert_eq!(stored[field], body[field], "{field}");
        }
    }

    async fn sources_with_a_nul_or_an_over_long_value_are_400_problems_naming_the_field_and_change_nothing(app: &TestApp) {
        for (body, field) in [
            (json!({"name": NUL, "kind": "sdk"}), "'name' must not contain"),
            (json!({"name": over(TextRule::NAME), "kind": "sdk"}), "'name' must be at most 200 characters"),
            (json!({"name": "S", "kind": "sdk", "base_uri": format!("http://example.com/{}", "a".repeat(2048))}), "'base_uri' must be at most 2048 characters"),
            (json!({"name": "S", "kind": "sdk", "base_uri": "http://example.com/a\u{0}"}), "'base_uri' must not contain"),
            (json!({"name": "S", "kind": "sdk", "objects": {"messages": ["create", over(TextRule::LABEL)]}}), "'objects.messages[1]' must be at most 255 characters"),
        ] {
            assert_problem(app.native(Method::POST, "/v1/sources", &app.company).json(&body).send().await.unwrap(), 400, field).await;
        }
        assert_eq!(sources(app).await, json!([]));
        let src = app.create_source(&app.company, full_capabilities()).await;
        let before = sources(app).await;
        for (body, field) in [(json!({"name": NUL}), "'name' must not contain"), (json!({"name": over(TextRule::NAME)}), "'name' must be at most 200 characters")] {
            assert_problem(app.native(Method::PATCH, &format!("/v1/sources/{}", src.id), &app.company).json(&body).send().await.unwrap(), 400, field).await;
        }
        assert_eq!(sources(app).await, before);
        let res = app.native(Method::PATCH, &format!("/v1/sources/{}", src.id), &app.company).json(&json!({"name": wide(200)})).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(sources(app).await[0]["name"], wide(200).as_str(), "the maximum is stored and read back");
    }

    async fn webhooks_with_a_nul_are_400_problems_naming_the_field_and_are_not_added(app: &TestApp) {
        for (body, field) in [
            (json!({"url": "https://example.com/a\u{0}", "events": ["*"]}), "'url' must not contain"),
            (json!({"url": "https://example.com/", "events": ["*", NUL]}), "'events[1]' must not contain"),
            (json!({"url": "https://example.com/", "events": ["*"], "secret": NUL}), "'secret' must not contain"),
        ] {
            assert_problem(app.native(Method::POST, "/v1/webhooks", &app.company).json(&body).send().await.unwrap(), 400, field).await;
        }
        assert_eq!(webhooks(app, &app.company).await, json!([]));
    }

    async fn a_webhook_cannot_be_limited_to_another_companys_source(app: &TestApp) {
        let theirs = app.create_company("Other", "owner@other.example").await;
        let their_source = app.create_source(&theirs, full_capabilities()).await;
        let ours = app.create_source(&app.company, full_capabilities()).await;
        let body = json!({"url": "http://127.0.0.1:9/", "events": ["*"], "source_ids": [ours.id, their_source.id]});
        let res = app.native(Method::POST, "/v1/webhooks", &app.company).json(&body).send().await.unwrap();
        assert_problem(res, 400, &format!("'source_ids' holds '{}', which is not a source of this company", their_source.id)).await;
        assert_eq!(webhooks(app, &app.company).await, json!([]));

        let body = json!({"url": "http://127.0.0.1:9/", "events": ["*"], "source_ids": [ours.id]});
        let res = app.native(Method::POST, "/v1/webhooks", &app.company).json(&body).send().await.unwrap();
        assert_eq!(res.status(), 201, "its own source is fine");
        let hook: Value = res.json().await.unwrap();
        let path = format!("/v1/webhooks/{}", hook["id"].as_str().unwrap());
        let res = app.native(Method::PATCH, &path, &app.company).json(&json!({"source_ids": [their_source.id]})).send().await.unwrap();
        assert_problem(res, 400, "'source_ids'").await;
        assert_eq!(webhooks(app, &app.company).await[0]["source_ids"], json!([ours.id]));
    }

    async fn advanced_messaging_contents_with_a_nul_or_an_over_long_body_are_400_naming_it_and_store_nothing(app: &TestApp) {
        let src = app.create_source(&app.company, full_capabilities()).await;
        for (body, parameter, mentions) in [
            (json!({"body": NUL, "sourceId": src.id}), Some("body"), "'body' must not contain"),
            (json!({"body": over(TextRule::BODY), "sourceId": src.id}), Some("body"), "'body' must be at most 20000 characters"),
            (json!({"body": "x", "sourceId": src.id, "authorIdentityId": NUL}), Some("authorIdentityId"), "'authorIdentityId' must not contain"),
        ] {
            let res = app.engage(Method::POST, "/contents", &app.company).json(&body).send().await.unwrap();
            assert_engage_invalid(res, 400, parameter, mentions).await;
        }
        assert!(app.contents(&app.company, "").await.is_empty());
        let body = wide(TextRule::BODY.max_chars);
        let res = app.engage(Method::POST, "/contents", &app.company).json(&json!({"body": body, "sourceId": src.id})).send().await.unwrap();
        assert_eq!(res.status(), 201);
        assert_eq!(app.contents(&app.company, "").await[0]["body"], body.as_str(), "the maximum is stored and read back");
    }

    async fn an_action_with_an_over_long_or_nul_user_id_is_a_400_problem_and_queues_nothing(app: &TestApp) {
        let src = app.create_source(&app.company, full_capabilities()).await;
        assert_eq!(app.push(&src, "messages.create", message("m1", "t1", "hello")).await.0, 200);
        let content = app.contents(&app.company, "").await[0]["id"].as_str().unwrap().to_owned();
        let path = format!("/v1/contents/{content}/actions/delete");
        for (user_id, field) in [("u".repeat(1 << 20), "'user_id' must be at most 512 characters"), (NUL.to_owned(), "'user_id' must not contain")] {
            let res = app.native(Method::POST, &path, &app.company).json(&json!({"user_id": user_id})).send().await.unwrap();
            assert_problem(res, 400, field).await;
        }
        assert_eq!(app.drain_jobs().await, 0, "no action job was queued");
    }

    async fn a_nul_in_a_path_id_is_not_found_in_the_facades_format(app: &TestApp) {
        assert_problem(app.native(Method::GET, "/v1/sources/a%00b", &app.company).send().await.unwrap(), 404, "source").await;
        assert_problem(app.ringplan(Method::PATCH, "/company/contacts/a%00b", &app.company.primary()).json(&json!({"last_name": "X"})).send().await.unwrap(), 404, "contact").await;
        let (status, text) = app.push_raw("a%00b", Some("x"), b"{\"action\":\"messages.create\",\"params\":{}}".to_vec()).await;
        assert_eq!((status, text.as_str()), (422, "Source not found"));
        let res = app.engage(Method::GET, "/identities/a%00b", &app.company).send().await.unwrap();
        assert_eq!(res.status(), 404);
    }

    async fn a_body_over_the_limit_is_413_in_each_facades_own_format(app: &TestApp) {
        // One byte over: the server has read the whole body when it refuses it, so the answer
        // is not lost to a connection closed while the client is still sending.
        let big = vec![b' '; 2 * 1024 * 1024 + 1];
        let problem = |res: reqwest::Response| assert_problem(res, 413, "larger than the limit of 2097152 bytes");
        problem(app.ringplan(Method::PATCH, "/company", &app.company.primary()).body(big.clone()).send().await.unwrap()).await;
        problem(app.native(Method::POST, "/v1/sources", &app.company).body(big.clone()).send().await.unwrap()).await;
        let res = app.engage(Method::POST, "/contents", &app.company).body(big.clone()).send().await.unwrap();
        assert_engage_invalid(res, 413, None, "Request body is too large (max: 2097152 bytes)").await;
        let over = vec![b' '; 20_971_521];
        let src = app.create_source(&app.company, full_capabilities()).await;
        assert_eq!(app.push_raw(&src.id, Some("x"), over).await, (413, "Invalid request size (max: 20971520 bytes)".into()));
    }

    async fn the_openapi_document_states_the_maximum_lengths_the_server_enforces(app: &TestApp) {
        let doc: Value = app.request(Method::GET, "/openapi.json").send().await.unwrap().json().await.unwrap();
        let schemas = &doc["components"]["schemas"];
        for (schema, property, rule) in [
            ("CompanyWire", "name", TextRule::NAME),
            ("CompanyWire", "description", TextRule::TEXT),
            ("CompanyWire", "website", TextRule::URL),
            ("CompanyWire", "partner_id", TextRule::ID),
            ("CompanyWire", "email", TextRule::EMAIL),
            ("ContactWire", "first_name", TextRule::NAME),
            ("ContactWire", "timezone", TextRule::LABEL),
            ("ContactChannels", "fax", TextRule::PHONE),
            ("Phones", "mobile", TextRule::PHONE),
            ("Address", "city", TextRule::LABEL),
            ("Street", "name", TextRule::LABEL),
            ("LocationWire", "name", TextRule::NAME),
            ("LocationWire", "pbx_id", TextRule::ID),
            ("NewSourceWire", "name", TextRule::NAME),
            ("NewSourceWire", "base_uri", TextRule::URL),
            ("SourceWire", "name", TextRule::NAME),
            ("ActionWire", "user_id", TextRule::ID),
            ("NewContent", "body", TextRule::BODY),
            ("TextingContactWire", "first_name", TextRule::NAME),
        ] {
            let found = &schemas[schema]["properties"][property]["maxLength"];
            assert_eq!(found.as_u64(), Some(rule.max_chars as u64), "{schema}.{property}: {}", schemas[schema]["properties"][property]);
        }
    }
}
