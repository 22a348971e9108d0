use super::*;

async fn list(app: &TestApp, query: &str) -> reqwest::Response {
    app.ringplan(Method::GET, &format!("/system/company/contacts{query}"), &app.company.primary()).send().await.unwrap()
}

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()[name].to_str().unwrap().to_owned()
}

async fn names(res: reqwest::Response) -> Vec<String> {
    let body: Vec<Value> = res.json().await.unwrap();
    body.iter().map(|c| c["first_name"].as_str().unwrap_or_default().to_owned()).collect()
}

e2e! {
    async fn the_contact_list_shows_the_company_users_with_pagination_headers(app: &TestApp) {
        app.add_user(&app.company, "Jane", "jane@example.com").await;
        let res = list(app, "").await;
        assert_eq!(res.status(), 200);
        assert_eq!(header(&res, "x-pagination-total-count"), "2");
        assert_eq!(header(&res, "x-pagination-page-count"), "1");
        assert_eq!(header(&res, "x-pagination-current-page"), "1");
        assert_eq!(header(&res, "x-pagination-per-page"), "50");
        let body: Vec<Value> = res.json().await.unwrap();
        assert_eq!(body.len(), 2);
        assert_eq!(body[1]["first_name"], "Jane");
        assert_eq!(body[1]["contacts"]["email"], "jane@example.com");
        assert_eq!(body[1]["company_id"], app.company.id.as_str());
        assert_eq!(body[1]["activated"], true);
    }

    async fn the_contact_list_pages_in_creation_order(app: &TestApp) {
        for i in 1..=5 {
            app.add_user(&app.company, &format!("U{i}"), &format!("u{i}@example.com")).await;
        }
        let res = list(app, "?items_per_page=2&page=2").await;
        assert_eq!(res.status(), 200);
        assert_eq!(header(&res, "x-pagination-total-count"), "6");
        assert_eq!(header(&res, "x-pagination-page-count"), "3");
        assert_eq!(header(&res, "x-pagination-current-page"), "2");
        assert_eq!(header(&res, "x-pagination-per-page"), "2");
        assert_eq!(names(res).await, vec!["U2", "U3"]);
        assert_eq!(names(list(app, "?items_per_page=2&page=3").await).await, vec!["U4", "U5"]);
        let beyond = list(app, "?items_per_page=2&page=9").await;
        assert_eq!(beyond.status(), 200);
        assert!(names(beyond).await.is_empty());
    }

    async fn the_contact_list_filters_by_first_name_and_work_email_ignoring_case(app: &TestApp) {
        app.add_user(&app.company, "Jane", "jane@example.com").await;
        app.add_user(&app.company, "Jane", "jane.two@example.com").await;
        app.add_user(&app.company, "Bob", "sales@example.com").await;
        let res = list(app, "?first_name=jane").await;
        assert_eq!(header(&res, "x-pagination-total-count"), "2");
        assert_eq!(names(res).await, vec!["Jane", "Jane"]);
        assert_eq!(names(list(app, "?work_email=SALES@example.com").await).await, vec!["Bob"]);
        assert_eq!(names(list(app, "?first_name=Jane&work_email=jane.two@example.com").await).await, vec!["Jane"]);
    }

    async fn the_contact_list_is_204_when_nothing_matches(app: &TestApp) {
        let res = list(app, "?work_email=nobody@example.com").await;
        assert_eq!(res.status(), 204);
        assert!(res.bytes().await.unwrap().is_empty());
    }

    async fn invalid_contact_list_parameters_are_400_problems(app: &TestApp) {
        for (query, detail) in [
            ("?page=0", "page"),
            ("?page=abc", "page"),
            ("?page=-1", "page"),
            ("?items_per_page=0", "items_per_page"),
            ("?items_per_page=5000", "items_per_page"),
            ("?items_per_page=x", "items_per_page"),
        ] {
            assert_problem(list(app, query).await, 400, detail).await;
        }
    }

    async fn the_owner_adds_a_user_and_gets_it_back_with_201(app: &TestApp) {
        let res = app.ringplan(Method::POST, "/company/contacts", &app.company.primary())
            .json(&json!({
                "first_name": "Jane", "last_name": "Doe", "title": "Ms", "timezone": "UTC",
                "contacts": {"email": "janedoe@example.com", "phones": {"mobile": "15555550000"}},
                "address": {"city": "San Diego", "country": "United States"}
            }))
            .send().await.unwrap();
        assert_eq!(res.status(), 201);
        let c: Value = res.json().await.unwrap();
        assert_eq!(c["first_name"], "Jane");
        assert_eq!(c["contacts"]["phones"]["mobile"], "15555550000");
        assert_eq!(c["address"]["city"], "San Diego");
        assert_eq!(c["company_id"], app.company.id.as_str());
        assert_eq!(c["id"].as_str().unwrap().len(), 24);
        let listed: Vec<Value> = list(app, "?work_email=janedoe@example.com").await.json().await.unwrap();
        assert_eq!(listed, vec![c]);
    }

    async fn only_the_owner_may_add_users(app: &TestApp) {
        let id = app.add_user(&app.company, "Jane", "jane@example.com").await;
        let res = app.ringplan(Method::POST, "/company/contacts", &app.company.as_user(&id)).json(&json!({"first_name": "Eve", "contacts": {"email": "eve@example.com"}})).send().await.unwrap();
        assert_problem(res, 403, "owner").await;
        assert_eq!(list(app, "?first_name=Eve").await.status(), 204);
    }

    async fn users_that_cannot_be_validated_are_400_problems_and_not_added(app: &TestApp) {
        app.add_user(&app.company, "Jane", "jane@example.com").await;
        let owner = app.company.primary();
        for (body, detail) in [
            (json!({"first_name": "X", "contacts": {"email": "not-an-email"}}), "not-an-email"),
            (json!({"first_name": 7}), "'first_name'"),
            (json!({"first_name": "X", "address": [null, "Main"]}), "'address' must be an object"),
            (json!({"first_name": "X", "contacts": {"phones": ["555"]}}), "'contacts.phones' must be an object"),
            (json!({"first_name": "X", "contacts": {"phones": {"mobile": 5}}}), "'contacts.phones.mobile'"),
            (json!({"first_name": "X", "favourite_colour": "blue"}), "favourite_colour"),
            (json!({"first_name": "X", "birthdate": "yesterday"}), "birthdate"),
        ] {
            let res = app.ringplan(Method::POST, "/company/contacts", &owner).json(&body).send().await.unwrap();
            assert_problem(res, 400, detail).await;
        }
        let res = app.ringplan(Method::POST, "/company/contacts", &owner).header("Content-Type", "application/json").body("{oops").send().await.unwrap();
        assert_problem(res, 400, "not valid JSON").await;
        assert_eq!(header(&list(app, "").await, "x-pagination-total-count"), "2");
    }

    async fn another_users_email_is_a_409_conflict_when_adding_and_when_updating(app: &TestApp) {
        let jane = app.add_user(&app.company, "Jane", "jane@example.com").await;
        app.add_user(&app.company, "Bob", "bob@example.com").await;
        let owner = app.company.primary();
        let res = app.ringplan(Method::POST, "/company/contacts", &owner).json(&json!({"first_name": "X", "contacts": {"email": "JANE@example.com"}})).send().await.unwrap();
        assert_problem(res, 409, "already exists").await;
        let res = app.ringplan(Method::PATCH, &format!("/company/contacts/{jane}"), &owner).json(&json!({"contacts": {"email": "BOB@example.com"}})).send().await.unwrap();
        assert_problem(res, 409, "already exists").await;
        assert_eq!(header(&list(app, "").await, "x-pagination-total-count"), "3");
        let listed: Vec<Value> = list(app, "?first_name=jane").await.json().await.unwrap();
        assert_eq!(listed[0]["contacts"]["email"], "jane@example.com");
    }

    async fn a_user_may_update_themself(app: &TestApp) {
        let id = app.add_user(&app.company, "Jane", "jane@example.com").await;
        let res = app.ringplan(Method::PATCH, &format!("/company/contacts/{id}"), &app.company.as_user(&id))
            .json(&json!({"emergency_contact_number": "15554441234", "last_name": "Smith"}))
            .send().await.unwrap();
        assert_eq!(res.status(), 200);
        let c: Value = res.json().await.unwrap();
        assert_eq!(c["last_name"], "Smith");
        assert_eq!(c["emergency_contact_number"], "15554441234");
        assert_eq!(c["first_name"], "Jane", "untouched fields stay");
        assert_eq!(c["contacts"]["email"], "jane@example.com");
    }

    async fn the_owner_may_update_any_user_but_other_users_may_not(app: &TestApp) {
        let jane = app.add_user(&app.company, "Jane", "jane@example.com").await;
        let bob = app.add_user(&app.company, "Bob", "bob@example.com").await;
        let res = app.ringplan(Method::PATCH, &format!("/company/contacts/{jane}"), &app.company.as_user(&bob)).json(&json!({"last_name": "Bobbed"})).send().await.unwrap();
        assert_problem(res, 403, "owner").await;
        let res = app.ringplan(Method::PATCH, &format!("/company/contacts/{jane}"), &app.company.primary()).json(&json!({"last_name": "Owned"})).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.unwrap()["last_name"], "Owned");
    }

    async fn updating_an_unknown_or_malformed_contact_id_is_404(app: &TestApp) {
        for id in ["0123456789abcdef01234567", "nope"] {
            let res = app.ringplan(Method::PATCH, &format!("/company/contacts/{id}"), &app.company.primary()).json(&json!({"last_name": "X"})).send().await.unwrap();
            assert_problem(res, 404, "contact").await;
        }
    }

    async fn bad_user_updates_are_400_problems_and_change_nothing(app: &TestApp) {
        let jane = app.add_user(&app.company, "Jane", "jane@example.com").await;
        app.add_user(&app.company, "Bob", "bob@example.com").await;
        let path = format!("/company/contacts/{jane}");
        for (body, detail) in [
            (json!({"contacts": {"email": "@@"}}), "email"),
            (json!({"last_name": ["a"]}), "'last_name'"),
            (json!({"shoe_size": 9}), "shoe_size"),
        ] {
            let res = app.ringplan(Method::PATCH, &path, &app.company.primary()).json(&body).send().await.unwrap();
            assert_problem(res, 400, detail).await;
        }
        let listed: Vec<Value> = list(app, "?first_name=jane").await.json().await.unwrap();
        assert_eq!(listed[0]["contacts"]["email"], "jane@example.com");
        assert_eq!(listed[0]["last_name"], Value::Null);
    }

    async fn a_user_can_keep_their_own_email_in_a_full_update(app: &TestApp) {
        let jane = app.add_user(&app.company, "Jane", "jane@example.com").await;
        let path = format!("/company/contacts/{jane}");
        let mut whole: Value = list(app, "?first_name=jane").await.json::<Vec<Value>>().await.unwrap().remove(0);
        whole["title"] = json!("Dr");
        let res = app.ringplan(Method::PATCH, &path, &app.company.primary()).json(&whole).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.unwrap()["title"], "Dr");
    }

    async fn the_primary_user_cannot_be_deactivated(app: &TestApp) {
        let path = format!("/company/contacts/{}", app.company.primary_user_id);
        let res = app.ringplan(Method::PATCH, &path, &app.company.primary()).json(&json!({"activated": false})).send().await.unwrap();
        assert_problem(res, 409, "primary user").await;
    }

    async fn the_owner_deletes_a_user_and_gets_it_back(app: &TestApp) {
        let jane = app.add_user(&app.company, "Jane", "jane@example.com").await;
        let path = format!("/company/contacts/{jane}");
        let res = app.ringplan(Method::DELETE, &path, &app.company.primary()).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.unwrap()["id"], jane.as_str());
        assert_eq!(list(app, "?first_name=Jane").await.status(), 204);
        let again = app.ringplan(Method::DELETE, &path, &app.company.primary()).send().await.unwrap();
        assert_problem(again, 404, "contact").await;
    }

    async fn only_the_owner_may_delete_users(app: &TestApp) {
        let jane = app.add_user(&app.company, "Jane", "jane@example.com").await;
        let bob = app.add_user(&app.company, "Bob", "bob@example.com").await;
        let res = app.ringplan(Method::DELETE, &format!("/company/contacts/{jane}"), &app.company.as_user(&bob)).send().await.unwrap();
        assert_problem(res, 403, "owner").await;
        let res = app.ringplan(Method::DELETE, &format!("/company/contacts/{jane}"), &app.company.as_user(&jane)).send().await.unwrap();
        assert_problem(res, 403, "owner").await;
        assert_eq!(list(app, "?first_name=Jane").await.status(), 200);
    }

    async fn the_primary_user_cannot_be_deleted(app: &TestApp) {
        let res = app.ringplan(Method::DELETE, &format!("/company/contacts/{}", app.company.primary_user_id), &app.company.primary()).send().await.unwrap();
        assert_problem(res, 409, "primary user cannot be deleted").await;
        assert_eq!(header(&list(app, "").await, "x-pagination-total-count"), "1");
    }

    async fn deleting_an_unknown_contact_is_404(app: &TestApp) {
        let res = app.ringplan(Method::DELETE, "/company/contacts/0123456789abcdef01234567", &app.company.primary()).send().await.unwrap();
        assert_problem(res, 404, "contact").await;
    }

    async fn concurrent_adds_with_the_same_email_create_one_user(app: &TestApp) {
        let owner = app.company.primary();
        let attempts = (0..6).map(|_| {
            app.ringplan(Method::POST, "/company/contacts", &owner).json(&json!({"first_name": "Twin", "contacts": {"email": "twin@example.com"}})).send()
        });
        let statuses: Vec<u16> = futures::future::join_all(attempts).await.into_iter().map(|r| r.unwrap().status().as_u16()).collect();
        assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
        assert!(statuses.iter().all(|s| *s == 201 || *s == 409), "{statuses:?}");
        assert_eq!(header(&list(app, "?first_name=Twin").await, "x-pagination-total-count"), "1");
    }
}
