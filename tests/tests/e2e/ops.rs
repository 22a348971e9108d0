use super::*;

e2e! {
    async fn healthz_answers_ok(app: &TestApp) {
        let res = app.request(Method::GET, "/healthz").send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.unwrap()["status"], "ok");
    }

    async fn every_answer_carries_a_request_id_and_the_callers_own_is_kept(app: &TestApp) {
        let res = app.request(Method::GET, "/healthz").header("X-Request-Id", "trace-me-42").send().await.unwrap();
        assert_eq!(res.headers()["x-request-id"], "trace-me-42");
        let res = app.ringplan(Method::GET, "/system/company", &app.company.primary()).send().await.unwrap();
        assert!(!res.headers()["x-request-id"].is_empty());
        let res = app.request(Method::GET, "/nowhere").send().await.unwrap();
        assert_eq!(res.status(), 404);
        assert!(res.headers().contains_key("x-request-id"), "errors carry one too");
    }

    async fn readyz_answers_ready_when_the_database_answers(app: &TestApp) {
        let res = app.request(Method::GET, "/readyz").send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.unwrap()["status"], "ready");
    }

    async fn metrics_count_requests_by_route_template_and_status(app: &TestApp) {
        let owner = app.company.primary();
        for _ in 0..2 {
            app.ringplan(Method::GET, "/system/company", &owner).send().await.unwrap();
        }
        app.request(Method::GET, "/system/company").send().await.unwrap();
        app.ringplan(Method::DELETE, &format!("/company/contacts/{}", "0".repeat(24)), &owner).send().await.unwrap();
        let res = app.request(Method::GET, "/metrics").send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
        let text = res.text().await.unwrap();
        assert!(text.contains(r#"http_requests_total{method="GET",route="/system/company",status="200"} 2"#), "{text}");
        assert!(text.contains(r#"http_requests_total{method="GET",route="/system/company",status="401"} 1"#), "{text}");
        assert!(text.contains(r#"http_requests_total{method="DELETE",route="/company/contacts/{contact_id}",status="404"} 1"#), "{text}");
        assert!(text.contains(r#"http_request_duration_seconds_count{method="GET",route="/system/company"} 3"#), "{text}");
    }

    async fn openapi_describes_every_implemented_route(app: &TestApp) {
        let res = app.request(Method::GET, "/openapi.json").send().await.unwrap();
        assert_eq!(res.status(), 200);
        let doc: Value = res.json().await.unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
        let expected = [
            ("/healthz", "get"),
            ("/readyz", "get"),
            ("/metrics", "get"),
            ("/system/company", "get"),
            ("/company", "patch"),
            ("/system/company/contacts", "get"),
            ("/company/contacts", "post"),
            ("/company/contacts/{contact_id}", "patch"),
            ("/company/contacts/{contact_id}", "delete"),
            ("/company/locations", "get"),
            ("/company/locations", "post"),
            ("/company/locations/{location_id}", "patch"),
            ("/company/locations/{location_id}", "delete"),
            ("/realtime/sdk/{source_id}", "post"),
            ("/engage/advanced-messaging/v1/contents", "get"),
            ("/engage/advanced-messaging/v1/contents", "post"),
            ("/engage/advanced-messaging/v1/identities", "get"),
            ("/engage/advanced-messaging/v1/identities/{identity_id}", "get"),
            ("/v1/sources", "get"),
            ("/v1/sources", "post"),
            ("/v1/sources/{source_id}", "get"),
            ("/v1/sources/{source_id}", "patch"),
            ("/v1/sources/{source_id}", "delete"),
            ("/v1/sources/{source_id}/rotate-token", "post"),
        ];
        for (path, method) in expected {
            assert!(doc["paths"][path][method].is_object(), "{method} {path} is not documented");
        }
        assert!(doc["components"]["schemas"]["Problem"].is_object());
        assert!(doc["components"]["securitySchemes"]["api_key"].is_object());
    }

    async fn docs_are_served_with_every_asset_local(app: &TestApp) {
        let res = app.request(Method::GET, "/docs/").send().await.unwrap();
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        assert!(html.contains("swagger-ui"), "{html}");
        for attr in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {
            assert!(!html.contains(attr), "the docs page loads an external asset ({attr})");
        }
        for asset in ["/docs/swagger-ui.css", "/docs/swagger-ui-bundle.js", "/docs/swagger-initializer.js"] {
            let res = app.request(Method::GET, asset).send().await.unwrap();
            assert_eq!(res.status(), 200, "{asset}");
        }
        let init = app.request(Method::GET, "/docs/swagger-initializer.js").send().await.unwrap().text().await.unwrap();
        assert!(init.contains("/openapi.json"), "{init}");
    }

    async fn unknown_paths_get_a_404_problem(app: &TestApp) {
        let res = app.request(Method::GET, "/no/such/thing").send().await.unwrap();
        assert_problem(res, 404, "not found").await;
    }

    async fn a_wrong_method_gets_a_405_problem(app: &TestApp) {
        let res = app.ringplan(Method::PUT, "/system/company", &app.company.primary()).send().await.unwrap();
        assert_problem(res, 405, "not allowed").await;
    }
}
