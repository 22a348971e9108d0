use super::*;

async fn locations(app: &TestApp) -> Vec<Value> {
    let res = app.ringplan(Method::GET, "/company/locations", &app.company.primary()).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn add(app: &TestApp, body: Value) -> Value {
    let res =
        app.ringplan(Method::POST, "/company/locations", &app.company.primary()).json(&body).send().await.unwrap();
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

e2e! {
    async fn a_new_company_has_its_main_location(app: &TestApp) {
        let all = locations(app).await;
        assert_eq!(all.len(), 1);
        assert_eq!(all[0]["name"], "Main location");
        assert_eq!(all[0]["id"], app.company.main_location_id.as_str());
        assert_eq!(all[0]["company_id"], app.company.id.as_str());
    }

    async fn the_owner_adds_a_location_and_it_is_listed(app: &TestApp) {
        let created = add(app, json!({
            "name": "Second Location", "country": "United States", "state": "California",
            "city": "Carlsbad", "zip": "92008", "company_id": app.company.id,
            "latitude": 33.1580933, "longitude": -117.3505966,
            "street": {"name": "Foo Lane", "number": 23, "type": "Avenue"}, "building": {"type": "Suite", "value": "42"}
        })).await;
        assert_eq!(created["city"], "Carlsbad");
        assert_eq!(created["street"]["type"], "Avenue");
        assert_eq!(created["latitude"], 33.1580933);
        let all = locations(app).await;
        assert_eq!(all.len(), 2);
        assert_eq!(all[1], created);
    }

    async fn any_user_of_the_company_may_list_locations(app: &TestApp) {
        let id = app.add_user(&app.company, "Jane", "jane@example.com").await;
        let res = app.ringplan(Method::GET, "/company/locations", &app.company.as_user(&id)).send().await.unwrap();
        assert_eq!(res.status(), 200);
    }

    async fn locations_that_cannot_be_validated_are_400_problems_and_not_added(app: &TestApp) {
        let other = app.create_company("Other", "owner@other.example").await;
        for (body, detail) in [
            (json!({"city": "Nowhere"}), "'name' is required"),
            (json!({"name": ""}), "name"),
            (json!({"name": "X", "latitude": 91.0}), "latitude"),
            (json!({"name": "X", "longitude": "west"}), "'longitude'"),
            (json!({"name": "X", "email": "nope"}), "nope"),
            (json!({"name": "X", "floor": 3}), "floor"),
            (json!({"name": "X", "building": ["floor", "3"]}), "'building' must be an object"),
            (json!({"name": "X", "street": "Main"}), "'street' must be an object"),
        ] {
            let res = app.ringplan(Method::POST, "/company/locations", &app.company.primary()).json(&body).send().await.unwrap();
            assert_problem(res, 400, detail).await;
        }
        // Adding a location to another company is not a malformed request but a forbidden one.
        let body = json!({"name": "X", "company_id": other.id});
        let res = app.ringplan(Method::POST, "/company/locations", &app.company.primary()).json(&body).send().await.unwrap();
        assert_problem(res, 403, "company_id").await;
        assert_eq!(locations(app).await.len(), 1);
    }

    async fn only_the_owner_may_add_edit_or_delete_locations(app: &TestApp) {
        let jane = app.company.as_user(&app.add_user(&app.company, "Jane", "jane@example.com").await);
        let second = add(app, json!({"name": "Second"})).await;
        let path = format!("/company/locations/{}", second["id"].as_str().unwrap());
        assert_problem(app.ringplan(Method::POST, "/company/locations", &jane).json(&json!({"name": "Mine"})).send().await.unwrap(), 403, "owner").await;
        assert_problem(app.ringplan(Method::PATCH, &path, &jane).json(&json!({"name": "Mine"})).send().await.unwrap(), 403, "owner").await;
        assert_problem(app.ringplan(Method::DELETE, &path, &jane).send().await.unwrap(), 403, "owner").await;
        assert_eq!(locations(app).await[1]["name"], "Second");
    }

    async fn patching_a_location_changes_only_the_given_fields(app: &TestApp) {
        let second = add(app, json!({"name": "Second", "city": "Carlsbad", "zip": "92008"})).await;
        let path = format!("/company/locations/{}", second["id"].as_str().unwrap());
        let res = app.ringplan(Method::PATCH, &path, &app.company.primary()).json(&json!({"name": "Old Location", "zip": null})).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["name"], "Old Location");
        assert_eq!(body["city"], "Carlsbad");
        assert_eq!(body["zip"], Value::Null);
        assert_eq!(locations(app).await[1], body);
    }

    async fn bad_location_patches_are_400_and_unknown_ids_404(app: &TestApp) {
        let path = format!("/company/locations/{}", app.company.main_location_id);
        for (body, detail) in [(json!({"name": null}), "name"), (json!({"longitude": 500}), "longitude"), (json!({"e911_provisioned": "yes"}), "'e911_provisioned'")] {
            assert_problem(app.ringplan(Method::PATCH, &path, &app.company.primary()).json(&body).send().await.unwrap(), 400, detail).await;
        }
        assert_eq!(locations(app).await[0]["name"], "Main location");
        for id in ["0123456789abcdef01234567", "main"] {
            let res = app.ringplan(Method::PATCH, &format!("/company/locations/{id}"), &app.company.primary()).json(&json!({"name": "X"})).send().await.unwrap();
            assert_problem(res, 404, "location").await;
        }
    }

    async fn the_owner_deletes_a_location_and_gets_it_back(app: &TestApp) {
        let second = add(app, json!({"name": "Second"})).await;
        let path = format!("/company/locations/{}", second["id"].as_str().unwrap());
        let res = app.ringplan(Method::DELETE, &path, &app.company.primary()).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.unwrap(), second);
        assert_eq!(locations(app).await.len(), 1);
        assert_problem(app.ringplan(Method::DELETE, &path, &app.company.primary()).send().await.unwrap(), 404, "location").await;
    }

    async fn the_last_location_cannot_be_deleted(app: &TestApp) {
        let path = format!("/company/locations/{}", app.company.main_location_id);
        assert_problem(app.ringplan(Method::DELETE, &path, &app.company.primary()).send().await.unwrap(), 409, "at least one location").await;
        assert_eq!(locations(app).await.len(), 1);
    }

    async fn concurrent_deletes_never_remove_the_last_location(app: &TestApp) {
        let second = add(app, json!({"name": "Second"})).await;
        let owner = app.company.primary();
        let paths = [format!("/company/locations/{}", app.company.main_location_id), format!("/company/locations/{}", second["id"].as_str().unwrap())];
        let deletes = paths.iter().map(|p| app.ringplan(Method::DELETE, p, &owner).send());
        let statuses: Vec<u16> = futures::future::join_all(deletes).await.into_iter().map(|r| r.unwrap().status().as_u16()).collect();
        assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
        assert_eq!(locations(app).await.len(), 1);
    }
}
