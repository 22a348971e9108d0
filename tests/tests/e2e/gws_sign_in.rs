//! Agents signing in to the GWS facade (`/api/v2`, spec §A.2, §A.3): Basic → a `JSESSIONID`
//! session kept in the database, its expiry and end, CSRF, slowed guessing, and tenancy.

use super::*;
use switchboard_tests::gws::{basic, session_cookie};

const PASSWORD: &str = "correct horse battery";

async fn get_me(app: &TestApp, auth: Option<&str>, cookie: Option<&str>) -> reqwest::Response {
    let mut req = app.request(Method::GET, "/api/v2/me");
    if let Some(a) = auth {
        req = req.header("Authorization", a);
    }
    if let Some(c) = cookie {
        req = req.header("Cookie", format!("JSESSIONID={c}"));
    }
    req.send().await.unwrap()
}

async fn assert_not_authenticated(res: reqwest::Response) {
    assert_eq!(res.status(), 401);
    assert!(res.headers()["www-authenticate"].to_str().unwrap().starts_with("Basic"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["statusCode"], 20, "{body}");
    assert!(body["statusMessage"].as_str().unwrap().contains("Basic"), "{body}");
    assert_eq!(body.as_object().unwrap().len(), 2, "an error has no other attributes: {body}");
}

e2e! {
    async fn basic_credentials_open_a_session_that_its_cookie_then_carries(app: &TestApp) {
        let id = app.add_agent(&app.company, "Amy", "amy@example.com", PASSWORD).await;
        let res = get_me(app, Some(&basic("Amy@Example.com", PASSWORD)), None).await;
        assert_eq!(res.status(), 200);
        let set_cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
        for attribute in ["HttpOnly", "SameSite=Lax", "Path=/api/v2"] {
            assert!(set_cookie.contains(attribute), "{set_cookie}");
        }
        let cookie = session_cookie(&res).unwrap();
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["statusCode"], 0);
        assert_eq!(body["user"]["id"], id);
        assert_eq!(body["user"]["userName"], "amy@example.com");
        assert_eq!(body["user"]["firstName"], "Amy");
        assert_eq!(body["user"]["roles"], json!(["ROLE_AGENT"]));
        assert!(body["user"]["uri"].as_str().unwrap().ends_with(&format!("/api/v2/users/{id}")));

        // The cookie alone is enough, and opens no new session.
        let res = get_me(app, None, Some(&cookie)).await;
        assert_eq!(res.status(), 200);
        assert!(res.headers().get("set-cookie").is_none());
        let again: Value = res.json().await.unwrap();
        assert_eq!(again["user"]["id"], id);

        // The token is stored hashed: the table holds no cookie value.
        let stored: Vec<String> = sessions_ids(app).await;
        assert_eq!(stored.len(), 1);
        assert_ne!(stored[0], cookie);
    }

    async fn wrong_passwords_unknown_emails_and_bad_cookies_are_401_with_status_code_20(app: &TestApp) {
        app.add_agent(&app.company, "Amy", "amy@example.com", PASSWORD).await;
        app.add_user(&app.company, "Nopass", "nopass@example.com").await;
        assert_not_authenticated(get_me(app, None, None).await).await;
        assert_not_authenticated(get_me(app, Some(&basic("amy@example.com", "wrong password")), None).await).await;
        assert_not_authenticated(get_me(app, Some(&basic("nobody@example.com", PASSWORD)), None).await).await;
        assert_not_authenticated(get_me(app, Some(&basic("nopass@example.com", "")), None).await).await;
        assert_not_authenticated(get_me(app, Some(&basic("not an email", PASSWORD)), None).await).await;
        assert_not_authenticated(get_me(app, Some("Basic !!!"), None).await).await;
        assert_not_authenticated(get_me(app, None, Some("0123456789abcdef")).await).await;
        assert!(sessions_ids(app).await.is_empty(), "no session was made");
    }

    async fn the_subresources_view_lists_channels_devices_skills_and_settings(app: &TestApp) {
        app.add_agent(&app.company, "Amy", "amy@example.com", PASSWORD).await;
        let session = app.sign_in("amy@example.com", PASSWORD).await;
        let body: Value =
            app.gws(Method::GET, "/api/v2/me?subresources=*", &session).send().await.unwrap().json().await.unwrap();
        assert_eq!(body["statusCode"], 0);
        for key in ["channels", "devices", "skills"] {
            assert!(body["user"][key].is_array(), "{key}: {body}");
        }
        assert!(body["user"]["settings"].is_object(), "{body}");
        assert!(session.user.get("channels").is_none(), "only with subresources");
    }

    async fn roles_map_to_gws_role_names(app: &TestApp) {
        let id = app.add_agent(&app.company, "Sue", "sue@example.com", PASSWORD).await;
        let res = app
            .native(Method::PUT, &format!("/v1/users/{id}/role"), &app.company)
            .json(&json!({"role": "supervisor"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let session = app.sign_in("sue@example.com", PASSWORD).await;
        assert_eq!(session.user["roles"], json!(["ROLE_SUPERVISOR", "ROLE_AGENT"]));

        let res = app
            .native(Method::PUT, &format!("/v1/users/{}/role", app.company.primary_user_id), &app.company)
            .json(&json!({"role": "agent"}))
            .send()
            .await
            .unwrap();
        assert_problem(res, 409, "primary").await;
        let res = app
            .native(Method::PUT, &format!("/v1/users/{id}/role"), &app.company)
            .json(&json!({"role": "primary"}))
            .send()
            .await
            .unwrap();
        assert_problem(res, 400, "role").await;
    }

    async fn only_the_user_or_the_owner_sets_a_password_and_it_ends_the_users_sessions(app: &TestApp) {
        let amy = app.add_agent(&app.company, "Amy", "amy@example.com", PASSWORD).await;
        let bob = app.add_agent(&app.company, "Bob", "bob@example.com", PASSWORD).await;
        let res = app
            .ringplan(Method::PUT, &format!("/v1/users/{bob}/password"), &app.company.as_user(&amy))
            .json(&json!({"password": "amy sets bob's"}))
            .send()
            .await
            .unwrap();
        assert_problem(res, 403, "themself").await;
        let res = app
            .native(Method::PUT, &format!("/v1/users/{amy}/password"), &app.company)
            .json(&json!({"password": "short"}))
            .send()
            .await
            .unwrap();
        assert_problem(res, 400, "password").await;

        let session = app.sign_in("amy@example.com", PASSWORD).await;
        app.set_password(&app.company, &amy, "a brand new secret").await;
        assert_not_authenticated(get_me(app, None, Some(&session.cookie)).await).await;
        assert_not_authenticated(get_me(app, Some(&basic("amy@example.com", PASSWORD)), None).await).await;
        app.sign_in("amy@example.com", "a brand new secret").await;
    }

    async fn ending_the_contact_center_session_ends_the_http_session(app: &TestApp) {
        app.add_agent(&app.company, "Amy", "amy@example.com", PASSWORD).await;
        let session = app.sign_in("amy@example.com", PASSWORD).await;
        let res = app
            .gws(Method::POST, "/api/v2/me", &session)
            .json(&json!({"operationName": "EndContactCenterSession"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let cleared = res.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(cleared.contains("Max-Age=0"), "{cleared}");
        assert_eq!(res.json::<Value>().await.unwrap(), json!({"statusCode": 0}));
        assert_not_authenticated(get_me(app, None, Some(&session.cookie)).await).await;
        assert!(sessions_ids(app).await.is_empty());
    }

    async fn operations_are_checked_and_unknown_ones_change_nothing(app: &TestApp) {
        app.add_agent(&app.company, "Amy", "amy@example.com", PASSWORD).await;
        let session = app.sign_in("amy@example.com", PASSWORD).await;
        let (status, body) = app.gws_post("/api/v2/me", &session, json!({})).await;
        assert_eq!((status, body["statusCode"].as_i64()), (400, Some(1)), "{body}");
        assert!(body["statusMessage"].as_str().unwrap().contains("operationName"));
        let (status, body) = app.gws_post("/api/v2/me", &session, json!({"operationName": "Dance"})).await;
        assert_eq!((status, body["statusCode"].as_i64()), (400, Some(2)), "{body}");
        let (status, body) = app.gws_post("/api/v2/me", &session, json!({"operationName": 7})).await;
        assert_eq!((status, body["statusCode"].as_i64()), (400, Some(10)), "{body}");
        let res = app.gws(Method::POST, "/api/v2/me", &session).body("not json").send().await.unwrap();
        assert_eq!(res.status(), 400);
        assert_eq!(res.json::<Value>().await.unwrap()["statusCode"], 10);
        let res = app.gws(Method::GET, "/api/v2/nothing/here", &session).send().await.unwrap();
        assert_eq!(res.status(), 404);
        assert_eq!(res.json::<Value>().await.unwrap()["statusCode"], 6);
    }

    async fn a_user_of_another_company_signs_in_to_their_own_company_only(app: &TestApp) {
        let other = app.create_company("Other Corp", "owner@other.example").await;
        let ours = app.add_agent(&app.company, "Amy", "amy@example.com", PASSWORD).await;
        let theirs = app.add_agent(&other, "Amy B", "amy@example.com", "their own password").await;

        let session = app.sign_in("amy@example.com", PASSWORD).await;
        assert_eq!(session.user["id"], ours);
        let session = app.sign_in("amy@example.com", "their own password").await;
        assert_eq!(session.user["id"], theirs);
        let me: Value = app.gws(Method::GET, "/api/v2/me", &session).send().await.unwrap().json().await.unwrap();
        assert_eq!(me["user"]["id"], theirs, "the session is the other company's");

        // One email and one password in two companies: the company names the account.
        app.set_password(&other, &theirs, PASSWORD).await;
        assert_not_authenticated(get_me(app, Some(&basic("amy@example.com", PASSWORD)), None).await).await;
        let res = get_me(app, Some(&basic(&format!("{}/amy@example.com", other.id), PASSWORD)), None).await;
        assert_eq!(res.json::<Value>().await.unwrap()["user"]["id"], theirs);
        let res = get_me(app, Some(&basic(&format!("{}/amy@example.com", app.company.id), PASSWORD)), None).await;
        assert_eq!(res.json::<Value>().await.unwrap()["user"]["id"], ours);

        // The other company's owner cannot set our users' passwords.
        let res = app
            .native(Method::PUT, &format!("/v1/users/{ours}/password"), &other)
            .json(&json!({"password": "taken over!"}))
            .send()
            .await
            .unwrap();
        assert_problem(res, 404, "user").await;
    }
}

e2e! {
    @with |config| config.gws.session_idle_secs = 0;

    async fn an_idle_session_expires(app: &TestApp) {
        app.add_agent(&app.company, "Amy", "amy@example.com", PASSWORD).await;
        let session = app.sign_in("amy@example.com", PASSWORD).await;
        assert_not_authenticated(get_me(app, None, Some(&session.cookie)).await).await;
        assert!(sessions_ids(app).await.is_empty(), "the expired session is removed");
    }
}

e2e! {
    @with |config| config.gws.session_absolute_secs = 0;

    async fn a_session_expires_after_its_absolute_time_however_busy(app: &TestApp) {
        app.add_agent(&app.company, "Amy", "amy@example.com", PASSWORD).await;
        let session = app.sign_in("amy@example.com", PASSWORD).await;
        assert_not_authenticated(get_me(app, None, Some(&session.cookie)).await).await;
    }
}

e2e! {
    @with |config| config.gws.csrf = true;

    async fn with_csrf_on_gets_answer_the_token_and_writes_without_it_are_403(app: &TestApp) {
        app.add_agent(&app.company, "Amy", "amy@example.com", PASSWORD).await;
        let res = get_me(app, Some(&basic("amy@example.com", PASSWORD)), None).await;
        assert_eq!(res.headers()["x-csrf-header"], "X-CSRF-TOKEN");
        let token = res.headers()["x-csrf-token"].to_str().unwrap().to_owned();
        assert_eq!(token.len(), 36, "a UUID: {token}");
        let cookie = session_cookie(&res).unwrap();
        let again = get_me(app, None, Some(&cookie)).await;
        assert_eq!(again.headers()["x-csrf-token"], token.as_str(), "bound to the session");

        let end = json!({"operationName": "EndContactCenterSession"});
        for header in [None, Some("00000000-0000-4000-8000-000000000000")] {
            let mut req = app.request(Method::POST, "/api/v2/me").header("Cookie", format!("JSESSIONID={cookie}"));
            if let Some(h) = header {
                req = req.header("X-CSRF-TOKEN", h);
            }
            let res = req.json(&end).send().await.unwrap();
            assert_eq!(res.status(), 403);
            let body: Value = res.json().await.unwrap();
            assert_eq!(body, json!({"statusCode": 3, "statusMessage": "Missing or invalid Csrf token"}));
        }
        assert_eq!(get_me(app, None, Some(&cookie)).await.status(), 200, "the refused write changed nothing");

        let res = app
            .request(Method::POST, "/api/v2/me")
            .header("Cookie", format!("JSESSIONID={cookie}"))
            .header("X-CSRF-TOKEN", &token)
            .json(&end)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
}

e2e! {
    async fn with_csrf_off_no_token_is_sent_or_needed(app: &TestApp) {
        app.add_agent(&app.company, "Amy", "amy@example.com", PASSWORD).await;
        let res = get_me(app, Some(&basic("amy@example.com", PASSWORD)), None).await;
        assert!(res.headers().get("x-csrf-token").is_none());
        let cookie = session_cookie(&res).unwrap();
        let res = app
            .request(Method::POST, "/api/v2/me")
            .header("Cookie", format!("JSESSIONID={cookie}"))
            .json(&json!({"operationName": "EndContactCenterSession"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
}

e2e! {
    @with |config| {
        config.gws.sign_in_free_failures = 2;
        config.gws.sign_in_backoff_ms = 3_600_000;
        config.gws.sign_in_backoff_max_secs = 7200;
    };

    async fn an_account_past_its_free_failures_must_wait_even_with_the_right_password(app: &TestApp) {
        app.add_agent(&app.company, "Amy", "amy@example.com", PASSWORD).await;
        app.add_agent(&app.company, "Bob", "bob@example.com", PASSWORD).await;
        for _ in 0..2 {
            assert_not_authenticated(get_me(app, Some(&basic("amy@example.com", "guess")), None).await).await;
        }
        let res = get_me(app, Some(&basic("amy@example.com", PASSWORD)), None).await;
        assert_eq!(res.status(), 429);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["statusCode"], 3);
        assert!(body["statusMessage"].as_str().unwrap().contains("try again in"), "{body}");
        // Another account is not held up by Amy's.
        app.sign_in("bob@example.com", PASSWORD).await;
    }
}

e2e! {
    @with |config| {
        config.gws.sign_in_free_failures_per_address = 3;
        config.gws.sign_in_backoff_ms = 3_600_000;
        config.gws.sign_in_backoff_max_secs = 7200;
    };

    async fn a_client_address_past_its_free_failures_must_wait(app: &TestApp) {
        app.add_agent(&app.company, "Amy", "amy@example.com", PASSWORD).await;
        for who in ["x@example.com", "y@example.com", "z@example.com"] {
            assert_not_authenticated(get_me(app, Some(&basic(who, "guess")), None).await).await;
        }
        assert_eq!(get_me(app, Some(&basic("amy@example.com", PASSWORD)), None).await.status(), 429);
    }
}

/// The ids of the stored sessions (the hashes of their tokens).
async fn sessions_ids(app: &TestApp) -> Vec<String> {
    let company = switchboard_domain::CompanyId::parse(&app.company.id).unwrap();
    let mut r = app.engine.store().reader().await.unwrap();
    switchboard_store::sessions::for_company(&mut r, &company).await.unwrap().into_iter().map(|s| s.id).collect()
}
