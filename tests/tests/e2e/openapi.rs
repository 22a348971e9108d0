//! The OpenAPI document tells the truth about what the server sends and accepts. The whole
//! contract is checked by schemathesis (`conformance/test_openapi.py`); these pin down what it
//! first found wrong.

use crate::*;

async fn document(app: &TestApp) -> Value {
    app.request(Method::GET, "/openapi.json").send().await.unwrap().json().await.unwrap()
}

fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            out.push((path.clone(), method.clone(), op.clone()));
        }
    }
    out
}

fn parameter<'a>(doc: &'a Value, path: &str, method: &str, name: &str) -> &'a Value {
    let params = doc["paths"][path][method]["parameters"].as_array().unwrap();
    &params.iter().find(|p| p["name"] == name).unwrap_or_else(|| panic!("{method} {path} has no {name}"))["schema"]
}

e2e! {
    async fn problems_are_documented_as_application_problem_json_as_they_are_sent(app: &TestApp) {
        let doc = document(app).await;
        let mut problems = 0;
        for (path, method, op) in operations(&doc) {
            for (status, response) in op["responses"].as_object().unwrap() {
                for (media, content) in response["content"].as_object().into_iter().flatten() {
                    if content["schema"]["$ref"] == "#/components/schemas/Problem" {
                        assert_eq!(media, "application/problem+json", "{method} {path} {status}");
                        problems += 1;
                    }
                }
            }
        }
        assert!(problems > 100, "{problems} problem responses documented");
        let res = app.native(Method::GET, "/v1/sources/0123456789abcdef01234567", &app.company).send().await.unwrap();
        assert_eq!(res.headers()["content-type"], "application/problem+json");
    }

    async fn paging_parameters_are_documented_with_the_limits_the_server_enforces(app: &TestApp) {
        let doc = document(app).await;
        for path in ["/engage/advanced-messaging/v1/contents", "/engage/advanced-messaging/v1/identities"] {
            let per_page = parameter(&doc, path, "get", "perPage");
            assert_eq!((per_page["minimum"].as_u64(), per_page["maximum"].as_u64()), (Some(1), Some(100)), "{path}");
        }
        let contacts = "/system/company/contacts";
        let per_page = parameter(&doc, contacts, "get", "items_per_page");
        assert_eq!((per_page["minimum"].as_u64(), per_page["maximum"].as_u64()), (Some(1), Some(1000)));
        assert_eq!(parameter(&doc, contacts, "get", "page")["minimum"].as_u64(), Some(1));
        let limit = parameter(&doc, "/v1/webhooks/{webhook_id}/deliveries", "get", "limit");
        assert_eq!((limit["minimum"].as_u64(), limit["maximum"].as_u64()), (Some(1), Some(500)));
        assert_eq!(parameter(&doc, "/v1/events", "get", "after")["minimum"].as_u64(), Some(0));

        let owner = app.company.primary();
        for (query, status) in [("?items_per_page=1000", 200), ("?items_per_page=1001", 400), ("?page=0", 400)] {
            let res = app.ringplan(Method::GET, &format!("{contacts}{query}"), &owner).send().await.unwrap();
            assert_eq!(res.status(), status, "{query}");
        }
        for (query, status) in [("?perPage=100", 200), ("?perPage=101", 400), ("?perPage=0", 400)] {
            let res = app.engage(Method::GET, &format!("/contents{query}"), &app.company).send().await.unwrap();
            assert_eq!(res.status(), status, "{query}");
        }
    }

    async fn every_id_in_a_path_is_documented_as_24_lowercase_hex_characters(app: &TestApp) {
        let doc = document(app).await;
        let mut ids = 0;
        for (path, method, op) in operations(&doc) {
            for p in op["parameters"].as_array().into_iter().flatten().filter(|p| p["in"] == "path") {
                if p["name"].as_str().unwrap().ends_with("_id") {
                    assert_eq!(p["schema"]["pattern"], "^[0-9a-f]{24}$", "{method} {path} {}", p["name"]);
                    ids += 1;
                }
            }
        }
        assert!(ids >= 20, "{ids}");
    }

    async fn a_location_made_of_the_documents_own_examples_is_added(app: &TestApp) {
        let doc = document(app).await;
        let properties = doc["components"]["schemas"]["LocationWire"]["properties"].as_object().unwrap();
        let body: serde_json::Map<String, Value> = properties
            .iter()
            .filter(|(name, _)| name.as_str() != "id")
            .filter_map(|(name, schema)| Some((name.clone(), schema.get("example")?.clone())))
            .collect();
        assert!(body.contains_key("name") && body.contains_key("city"), "{body:?}");
        let res = app.ringplan(Method::POST, "/company/locations", &app.company.primary()).json(&body).send().await.unwrap();
        assert_eq!(res.status(), 201, "{body:?}: {}", res.text().await.unwrap());
    }

    async fn a_whole_float_is_an_integer_as_json_schema_counts_it(app: &TestApp) {
        let res = app.ringplan(Method::PATCH, "/company", &app.company.primary()).json(&json!({"revenue": -1315295.0})).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.unwrap()["revenue"], -1315295);
        let res = app.ringplan(Method::PATCH, "/company", &app.company.primary()).json(&json!({"revenue": 2.5})).send().await.unwrap();
        assert_problem(res, 400, "'revenue'").await;
    }

    async fn a_resume_point_in_the_query_is_checked_even_when_the_header_gives_one(app: &TestApp) {
        let res = app.native(Method::GET, "/v1/events?after=-1", &app.company).header("Last-Event-ID", "0").send().await.unwrap();
        assert_problem(res, 400, "resume point").await;
    }

    async fn an_event_pattern_is_at_most_100_characters_with_its_wildcard(app: &TestApp) {
        let pattern = format!("{}.*", "a".repeat(99));
        let res = app.native(Method::POST, "/v1/webhooks", &app.company).json(&json!({"url": "http://127.0.0.1:9/", "events": [pattern]})).send().await.unwrap();
        assert_problem(res, 400, "is not an event type or pattern").await;
    }
}
