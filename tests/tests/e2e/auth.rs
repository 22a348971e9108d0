use super::*;

e2e! {
    async fn a_request_without_credentials_is_unauthorized(app: &TestApp) {
        let res = app.request(Method::GET, "/system/company").send().await.unwrap();
        assert_problem(res, 401, "API key").await;
    }

    async fn a_wrong_api_key_is_unauthorized(app: &TestApp) {
        let res = app.request(Method::GET, "/system/company").bearer_auth("sbk_wrong").header("X-User-Id", "primary").send().await.unwrap();
        assert_problem(res, 401, "API key").await;
    }

    async fn a_key_that_is_not_a_bearer_token_is_unauthorized(app: &TestApp) {
        for value in [format!("Basic {}", app.company.key), app.company.key.clone(), "Bearer".into(), "Bearer ".into()] {
            let res = app.request(Method::GET, "/system/company").header("Authorization", value).header("X-User-Id", "primary").send().await.unwrap();
            assert_eq!(res.status(), 401);
        }
    }

    async fn a_missing_user_header_is_unauthorized(app: &TestApp) {
        let res = app.request(Method::GET, "/system/company").bearer_auth(&app.company.key).send().await.unwrap();
        assert_problem(res, 401, "X-User-Id").await;
    }

    async fn an_unknown_or_malformed_user_id_is_unauthorized(app: &TestApp) {
        for user in ["0123456789abcdef01234567", "not-an-id", ""] {
            let res = app.request(Method::GET, "/system/company").bearer_auth(&app.company.key).header("X-User-Id", user).send().await.unwrap();
            assert_eq!(res.status(), 401, "X-User-Id {user:?}");
        }
    }

    async fn a_user_of_another_company_is_unauthorized(app: &TestApp) {
        let other = app.create_company("Other", "owner@other.example").await;
        let res = app.ringplan(Method::GET, "/system/company", &app.company.as_user(&other.primary_user_id)).send().await.unwrap();
        assert_problem(res, 401, "X-User-Id").await;
    }

    async fn the_primary_keyword_and_the_owners_id_act_as_the_same_user(app: &TestApp) {
        let by_keyword = app.ringplan(Method::GET, "/system/company", &app.company.primary()).send().await.unwrap();
        let by_id = app.ringplan(Method::GET, "/system/company", &app.company.as_user(&app.company.primary_user_id)).send().await.unwrap();
        assert_eq!(by_keyword.status(), 200);
        assert_eq!(by_id.status(), 200);
        let patch = app.ringplan(Method::PATCH, "/company", &app.company.as_user(&app.company.primary_user_id)).json(&json!({"name": "Renamed"})).send().await.unwrap();
        assert_eq!(patch.status(), 200);
    }

    async fn a_deleted_user_can_no_longer_authenticate(app: &TestApp) {
        let id = app.add_user(&app.company, "Temp", "temp@example.com").await;
        assert_eq!(app.ringplan(Method::GET, "/system/company", &app.company.as_user(&id)).send().await.unwrap().status(), 200);
        let res = app.ringplan(Method::DELETE, &format!("/company/contacts/{id}"), &app.company.primary()).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(app.ringplan(Method::GET, "/system/company", &app.company.as_user(&id)).send().await.unwrap().status(), 401);
    }

    async fn a_deactivated_user_cannot_authenticate(app: &TestApp) {
        let id = app.add_user(&app.company, "Temp", "temp@example.com").await;
        let res = app.ringplan(Method::PATCH, &format!("/company/contacts/{id}"), &app.company.primary()).json(&json!({"activated": false})).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(app.ringplan(Method::GET, "/system/company", &app.company.as_user(&id)).send().await.unwrap().status(), 401);
    }
}
