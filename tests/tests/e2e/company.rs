use super::*;

async fn company(app: &TestApp) -> Value {
    let res = app.ringplan(Method::GET, "/system/company", &app.company.primary()).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

e2e! {
    async fn the_company_is_returned_with_its_id_and_head_count(app: &TestApp) {
        app.add_user(&app.company, "Jane", "jane@example.com").await;
        let c = company(app).await;
        assert_eq!(c["id"], app.company.id.as_str());
        assert_eq!(c["name"], "Default");
        assert_eq!(c["status"], "active");
        assert_eq!(c["employees"], 2);
        assert!(c["created"].as_str().unwrap().ends_with('Z'));
    }

    async fn any_user_of_the_company_may_read_it(app: &TestApp) {
        let id = app.add_user(&app.company, "Jane", "jane@example.com").await;
        let res = app.ringplan(Method::GET, "/system/company", &app.company.as_user(&id)).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.unwrap()["id"], app.company.id.as_str());
    }

    async fn patching_the_company_changes_only_the_given_fields(app: &TestApp) {
        let owner = app.company.primary();
        let res = app.ringplan(Method::PATCH, "/company", &owner)
            .json(&json!({"website": "https://example.com", "address": {"city": "San Diego", "street": {"name": "Foo Lane", "number": 23}}}))
            .send().await.unwrap();
        assert_eq!(res.status(), 200);
        let res = app.ringplan(Method::PATCH, "/company", &owner)
            .json(&json!({"name": "New Company", "email": "new@example.net", "address": {"state": "CA"}}))
            .send().await.unwrap();
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["name"], "New Company");
        assert_eq!(body["email"], "new@example.net");
        assert_eq!(body["website"], "https://example.com");
        assert_eq!(body["address"]["city"], "San Diego", "nested objects merge");
        assert_eq!(body["address"]["state"], "CA");
        assert_eq!(body["address"]["street"]["number"], 23);
        assert_eq!(company(app).await, body, "the update is stored");
    }

    async fn a_null_clears_an_optional_company_field(app: &TestApp) {
        let owner = app.company.primary();
        app.ringplan(Method::PATCH, "/company", &owner).json(&json!({"phone": "15555554321"})).send().await.unwrap();
        let res = app.ringplan(Method::PATCH, "/company", &owner).json(&json!({"phone": null})).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(company(app).await["phone"], Value::Null);
    }

    async fn read_only_company_fields_sent_back_are_ignored(app: &TestApp) {
        let mut whole = company(app).await;
        whole["id"] = json!("0123456789abcdef01234567");
        whole["created"] = json!("2001-01-01T00:00:00.000000Z");
        whole["employees"] = json!(99);
        whole["description"] = json!("sent back whole");
        let res = app.ringplan(Method::PATCH, "/company", &app.company.primary()).json(&whole).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let after = company(app).await;
        assert_eq!(after["id"], app.company.id.as_str());
        assert_eq!(after["employees"], 1);
        assert_ne!(after["created"], "2001-01-01T00:00:00.000000Z");
        assert_eq!(after["description"], "sent back whole");
    }

    async fn only_the_owner_may_patch_the_company(app: &TestApp) {
        let before = company(app).await;
        let id = app.add_user(&app.company, "Jane", "jane@example.com").await;
        let res = app.ringplan(Method::PATCH, "/company", &app.company.as_user(&id)).json(&json!({"name": "Hijacked"})).send().await.unwrap();
        assert_problem(res, 403, "owner").await;
        assert_eq!(company(app).await["name"], before["name"]);
    }

    async fn bad_company_patches_are_400_problems_and_change_nothing(app: &TestApp) {
        let before = company(app).await;
        let owner = app.company.primary();
        let cases: Vec<(&str, &str)> = vec![
            ("{\"name\": ", "not valid JSON"),
            ("[1, 2]", "JSON object"),
            ("", "empty"),
            (r#"{"name": 5}"#, "'name'"),
            (r#"{"revenue": "lots"}"#, "'revenue'"),
            (r#"{"address": {"street": {"number": "twenty"}}}"#, "'address.street.number'"),
            (r#"{"name": ""}"#, "name"),
            (r#"{"name": null}"#, "name"),
            (r#"{"email": "not-an-email"}"#, "not-an-email"),
            (r#"{"colour": "blue"}"#, "colour"),
        ];
        for (body, detail) in cases {
            let res = app.ringplan(Method::PATCH, "/company", &owner).header("Content-Type", "application/json").body(body).send().await.unwrap();
            assert_problem(res, 400, detail).await;
        }
        assert_eq!(company(app).await, before);
    }

    async fn patching_the_company_appends_a_company_updated_event(app: &TestApp) {
        app.ringplan(Method::PATCH, "/company", &app.company.primary()).json(&json!({"name": "Evented"})).send().await.unwrap();
        let events = app.events(&app.company).await;
        let last = events.last().unwrap();
        assert_eq!(last.kind, "company.updated");
        assert_eq!(last.payload["name"], "Evented");
        assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=events.len() as i64).collect::<Vec<_>>());
    }
}
