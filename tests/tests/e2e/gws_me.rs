//! `/api/v2/me` and `/api/v2/me/channels/{channel}` (seeds/004, spec §A.2, §A.9): the agent's
//! contact-centre session and their Ready / NotReady state per channel, on the engine's agent
//! state; errors in GWS's `{statusCode, statusMessage}` shape that change nothing.

use super::*;
use switchboard_tests::gws::GwsSession;

const PASSWORD: &str = "correct horse battery";

/// The agent's channels as `GET /me?subresources=*` shows them: `(channel, state, reason)`.
async fn channels(app: &TestApp, session: &GwsSession) -> Vec<(String, String, Option<String>)> {
    let res = app.gws(Method::GET, "/api/v2/me?subresources=*", session).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["user"]["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let state = &c["userState"];
            (
                c["channel"].as_str().unwrap().to_owned(),
                state["state"].as_str().unwrap().to_owned(),
                state["reason"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn all(state: &str, reason: Option<&str>) -> Vec<(String, String, Option<String>)> {
    ["chat", "sms", "email"].iter().map(|c| (c.to_string(), state.to_owned(), reason.map(str::to_owned))).collect()
}

/// Checks an error body: the HTTP status, the `statusCode`, and nothing but the two attributes.
fn assert_gws_error((status, body): (u16, Value), http: u16, code: i64) {
    assert_eq!(status, http, "{body}");
    assert_eq!(body["statusCode"], code, "{body}");
    assert!(body["statusMessage"].is_string(), "{body}");
    assert_eq!(body.as_object().unwrap().len(), 2, "an error has no other attributes: {body}");
}

e2e! {
    async fn an_agent_starts_a_session_goes_ready_everywhere_and_not_ready_on_one_channel(app: &TestApp) {
        app.add_agent(&app.company, "Amy", "amy@example.com", PASSWORD).await;
        let session = app.sign_in("amy@example.com", PASSWORD).await;
        assert_eq!(channels(app, &session).await, all("NotReady", None), "a new agent is NotReady");

        let start = json!({"operationName": "StartContactCenterSession", "channels": ["chat", "email"]});
        assert_eq!(app.gws_post("/api/v2/me", &session, start).await, (200, json!({"statusCode": 0})));
        assert_eq!(app.gws_post("/api/v2/me", &session, json!({"operationName": "Ready"})).await.0, 200);
        assert_eq!(channels(app, &session).await, all("Ready", None));

        let lunch = json!({"operationName": "NotReady", "reason": "Lunch"});
        assert_eq!(app.gws_post("/api/v2/me/channels/sms", &session, lunch).await, (200, json!({"statusCode": 0})));
        let now = channels(app, &session).await;
        assert_eq!(now[1], ("sms".into(), "NotReady".into(), Some("Lunch".into())));
        assert_eq!((now[0].1.as_str(), now[2].1.as_str()), ("Ready", "Ready"), "the other channels stay Ready");

        let res = app.gws(Method::GET, "/api/v2/me?subresources=*", &session).send().await.unwrap();
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["user"]["channels"][1]["userState"]["displayName"], "Not Ready");
        assert_eq!(body["user"]["channels"][0]["capacity"], 3, "chat's default capacity");
    }

    async fn starting_on_channels_switchboard_does_not_route_is_a_partial_success(app: &TestApp) {
        app.add_agent(&app.company, "Amy", "amy@example.com", PASSWORD).await;
        let session = app.sign_in("amy@example.com", PASSWORD).await;
        let start = json!({"operationName": "StartContactCenterSession", "channels": ["voice", "chat"]});
        let (status, body) = app.gws_post("/api/v2/me", &session, start).await;
        assert_eq!((status, &body["statusCode"]), (200, &json!(7)), "{body}");
        assert!(body["statusMessage"].as_str().unwrap().contains("voice"), "{body}");

        let only_voice = json!({"operationName": "StartContactCenterSession", "channels": ["voice"]});
        assert_gws_error(app.gws_post("/api/v2/me", &session, only_voice).await, 400, 10);
        let not_a_list = json!({"operationName": "StartContactCenterSession", "channels": "chat"});
        assert_gws_error(app.gws_post("/api/v2/me", &session, not_a_list).await, 400, 10);
    }

    async fn ending_the_contact_center_session_makes_every_channel_not_ready(app: &TestApp) {
        app.add_agent(&app.company, "Amy", "amy@example.com", PASSWORD).await;
        let session = app.sign_in("amy@example.com", PASSWORD).await;
        app.gws_post("/api/v2/me", &session, json!({"operationName": "Ready"})).await;
        let end = json!({"operationName": "EndContactCenterSession"});
        assert_eq!(app.gws_post("/api/v2/me", &session, end).await, (200, json!({"statusCode": 0})));

        let again = app.sign_in("amy@example.com", PASSWORD).await;
        let now = channels(app, &again).await;
        assert!(now.iter().all(|(_, state, reason)| state == "NotReady" && reason.is_some()), "{now:?}");
    }

    async fn wrong_channels_operations_and_reasons_are_gws_errors_that_change_nothing(app: &TestApp) {
        app.add_agent(&app.company, "Amy", "amy@example.com", PASSWORD).await;
        let session = app.sign_in("amy@example.com", PASSWORD).await;
        let ready = json!({"operationName": "Ready"});
        assert_gws_error(app.gws_post("/api/v2/me/channels/fax", &session, ready.clone()).await, 404, 6);
        let dance = json!({"operationName": "Dance"});
        assert_gws_error(app.gws_post("/api/v2/me/channels/chat", &session, dance).await, 400, 2);
        assert_gws_error(app.gws_post("/api/v2/me/channels/chat", &session, json!({})).await, 400, 1);
        let ready_why = json!({"operationName": "Ready", "reason": "why not"});
        assert_gws_error(app.gws_post("/api/v2/me/channels/chat", &session, ready_why).await, 400, 2);
        let bad_reason = json!({"operationName": "NotReady", "reason": 42});
        assert_gws_error(app.gws_post("/api/v2/me", &session, bad_reason).await, 400, 10);
        let long_reason = json!({"operationName": "NotReady", "reason": "x".repeat(10_000)});
        assert_gws_error(app.gws_post("/api/v2/me", &session, long_reason).await, 400, 10);
        assert_eq!(channels(app, &session).await, all("NotReady", None), "nothing changed");

        let res = app.request(Method::POST, "/api/v2/me/channels/chat").json(&ready).send().await.unwrap();
        assert_eq!(res.status(), 401, "no session, no change");
    }

    async fn an_agent_changes_only_their_own_state_in_their_own_company(app: &TestApp) {
        let other = app.create_company("Other Corp", "owner@other.example").await;
        app.add_agent(&app.company, "Amy", "amy@example.com", PASSWORD).await;
        app.add_agent(&app.company, "Bob", "bob@example.com", PASSWORD).await;
        app.add_agent(&other, "Amy B", "amy@other.example", PASSWORD).await;
        let amy = app.sign_in("amy@example.com", PASSWORD).await;
        let bob = app.sign_in("bob@example.com", PASSWORD).await;
        let theirs = app.sign_in("amy@other.example", PASSWORD).await;

        app.gws_post("/api/v2/me", &theirs, json!({"operationName": "Ready"})).await;
        app.gws_post("/api/v2/me/channels/chat", &bob, json!({"operationName": "Ready"})).await;
        assert_eq!(channels(app, &amy).await, all("NotReady", None));
        assert_eq!(channels(app, &theirs).await, all("Ready", None));
        assert_eq!(channels(app, &bob).await[0].1, "Ready");

        // The other company's log holds its agent's changes; ours holds Bob's only.
        let types = |tenant: &switchboard_tests::Tenant| {
            let company = switchboard_domain::CompanyId::parse(&tenant.id).unwrap();
            let engine = app.engine.clone();
            async move {
                let mut r = engine.store().reader().await.unwrap();
                switchboard_store::events::read_after(&mut r, &company, 0, 1000)
                    .await
                    .unwrap()
                    .into_iter()
                    .filter(|e| e.event.kind() == "agent.state_changed")
                    .count()
            }
        };
        assert_eq!(types(&other).await, 3);
        assert_eq!(types(&app.company).await, 1);
    }
}
