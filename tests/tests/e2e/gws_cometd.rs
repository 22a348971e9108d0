//! CometD at `/api/v2/notifications` (spec §A.10), with a plain HTTP Bayeux client: handshake,
//! subscribe, connect, unsubscribe and disconnect on the suffixed and bare URLs, batches,
//! wildcards, `402::Unknown client`, the session cookie as the only credential, messages from
//! the event log for the signed-in agent only, and a new client of a session resuming where the
//! last one's delivered messages end. A connect with nothing to send is held 300 ms here.

use super::*;
use switchboard_tests::gws::{GwsSession, is_channel_state};

const PASSWORD: &str = "correct horse battery";

async fn agent(app: &TestApp, email: &str) -> GwsSession {
    app.add_agent(&app.company, "Agent", email, PASSWORD).await;
    app.sign_in(email, PASSWORD).await
}

async fn set_state(app: &TestApp, session: &GwsSession, channel: &str, operation: &str) {
    let body = json!({"operationName": operation});
    let (status, answer) = app.gws_post(&format!("/api/v2/me/channels/{channel}"), session, body).await;
    assert_eq!(status, 200, "{answer}");
}

/// A handshaken client subscribed to `subscription`, its first connect made.
async fn client(app: &TestApp, session: &GwsSession, subscription: &str) -> String {
    let id = app.handshake(session).await;
    app.subscribe(session, &id, subscription).await;
    app.connect(session, &id).await;
    id
}

fn connect_message(client: &str) -> Value {
    json!({"channel": "/meta/connect", "clientId": client, "connectionType": "long-polling"})
}

e2e! {
    @with |config| config.gws.cometd_timeout_ms = 300;

    async fn a_client_hears_its_agent_go_ready_on_v2_me_channels(app: &TestApp) {
        let amy = agent(app, "amy@example.com").await;
        let replies = app
            .bayeux(&amy, "/handshake", json!([{"channel": "/meta/handshake", "version": "1.0", "id": "1",
                "supportedConnectionTypes": ["long-polling"]}]))
            .await;
        let handshake = &replies[0];
        assert_eq!(handshake["successful"], true, "{handshake}");
        assert_eq!(handshake["id"], "1", "the message id is echoed");
        assert_eq!(handshake["version"], "1.0");
        assert_eq!(handshake["supportedConnectionTypes"], json!(["long-polling"]));
        assert_eq!(handshake["advice"], json!({"reconnect": "retry", "interval": 0, "timeout": 300}));
        let id = handshake["clientId"].as_str().unwrap().to_owned();
        app.subscribe(&amy, &id, "/v2/me/*").await;
        assert!(app.connect(&amy, &id).await.is_empty(), "the first connect is answered at once");

        set_state(app, &amy, "chat", "Ready").await;
        let messages = app.connect_until(&amy, &id, |m| is_channel_state(m, "chat", "Ready")).await;
        let message = messages.iter().find(|m| is_channel_state(m, "chat", "Ready")).unwrap();
        assert_eq!(message["data"]["notificationType"], "StatusChange");
        assert_eq!(message["data"]["channels"], json!([{"channel": "chat", "userState": {"state": "Ready", "displayName": "Ready"}}]));

        let replies = app.bayeux(&amy, "/disconnect", json!([{"channel": "/meta/disconnect", "clientId": id}])).await;
        assert_eq!(replies[0]["successful"], true, "{replies:?}");
    }

    async fn one_batch_on_the_bare_url_handshakes_subscribes_and_connects(app: &TestApp) {
        let amy = agent(app, "amy@example.com").await;
        // One message, not in an array, is a batch of one.
        let replies = app
            .bayeux(&amy, "", json!({"channel": "/meta/handshake", "version": "1.0", "supportedConnectionTypes": ["long-polling"]}))
            .await;
        let id = replies[0]["clientId"].as_str().unwrap().to_owned();
        let replies = app
            .bayeux(&amy, "", json!([
                connect_message(&id),
                {"channel": "/meta/subscribe", "clientId": id, "subscription": ["/v2/me/channels", "/v2/me/interactions"], "id": "7"},
            ]))
            .await;
        assert_eq!(replies.len(), 2, "{replies:?}");
        assert_eq!(replies[0]["channel"], "/meta/subscribe", "the connect is answered last: {replies:?}");
        assert_eq!(replies[0]["subscription"], json!(["/v2/me/channels", "/v2/me/interactions"]));
        assert_eq!(replies[0]["id"], "7");
        assert_eq!(replies[1]["channel"], "/meta/connect");
        assert_eq!(replies[1]["successful"], true);

        set_state(app, &amy, "sms", "Ready").await;
        app.connect_until(&amy, &id, |m| is_channel_state(m, "sms", "Ready")).await;
    }

    async fn an_unknown_or_disconnected_client_is_told_to_handshake_again(app: &TestApp) {
        let amy = agent(app, "amy@example.com").await;
        let (status, replies) = app.bayeux_raw(&amy, "/connect", json!([connect_message("not-a-client")])).await;
        assert_eq!(status, 200);
        assert_eq!(replies[0]["successful"], false);
        assert_eq!(replies[0]["error"], "402::Unknown client");
        assert_eq!(replies[0]["advice"]["reconnect"], "handshake");

        let id = client(app, &amy, "/v2/me/*").await;
        app.bayeux(&amy, "/disconnect", json!([{"channel": "/meta/disconnect", "clientId": id}])).await;
        let (_, replies) = app.bayeux_raw(&amy, "/connect", json!([connect_message(&id)])).await;
        assert_eq!(replies[0]["error"], "402::Unknown client", "{replies:?}");
    }

    async fn malformed_bodies_bad_channels_and_publishing_are_refused(app: &TestApp) {
        let amy = agent(app, "amy@example.com").await;
        let id = client(app, &amy, "/v2/me/*").await;
        for body in [json!([]), json!("handshake"), json!([1])] {
            let (status, replies) = app.bayeux_raw(&amy, "", body).await;
            assert_eq!(status, 400);
            assert!(replies[0]["error"].as_str().unwrap().starts_with("400::"), "{replies:?}");
        }
        let res = app.gws(Method::POST, "/api/v2/notifications", &amy).body("{not json").send().await.unwrap();
        assert_eq!(res.status(), 400);

        let subscribe = |subscription: &str| json!([{"channel": "/meta/subscribe", "clientId": id, "subscription": subscription}]);
        let (_, replies) = app.bayeux_raw(&amy, "/", subscribe("/v2/me*")).await;
        assert_eq!(replies[0]["error"], "405::Invalid channel");
        let (_, replies) = app.bayeux_raw(&amy, "/", subscribe("/meta/connect")).await;
        assert_eq!(replies[0]["successful"], false);
        let (_, replies) = app.bayeux_raw(&amy, "/", json!([{"channel": "/v2/me/channels", "clientId": id, "data": {}}])).await;
        assert_eq!(replies[0]["error"], "403::Publish denied");
        let (_, replies) = app.bayeux_raw(&amy, "/", json!([{"channel": "/meta/dance", "clientId": id}])).await;
        assert_eq!(replies[0]["successful"], false);
        let (_, replies) = app
            .bayeux_raw(&amy, "/handshake", json!([{"channel": "/meta/handshake", "version": "1.0", "supportedConnectionTypes": ["websocket"]}]))
            .await;
        assert_eq!(replies[0]["successful"], false);
        assert_eq!(replies[0]["supportedConnectionTypes"], json!(["long-polling"]));
    }

    async fn one_star_covers_one_segment_and_two_stars_any_depth(app: &TestApp) {
        let amy = agent(app, "amy@example.com").await;
        let shallow = client(app, &amy, "/v2/*").await;
        let deep = client(app, &amy, "/v2/**").await;
        set_state(app, &amy, "chat", "Ready").await;
        app.connect_until(&amy, &deep, |m| is_channel_state(m, "chat", "Ready")).await;
        assert!(app.connect(&amy, &shallow).await.is_empty(), "/v2/* does not cover /v2/me/channels");
    }

    async fn an_unsubscribed_client_is_not_sent_what_happens_meanwhile(app: &TestApp) {
        let amy = agent(app, "amy@example.com").await;
        let id = client(app, &amy, "/v2/me/channels").await;
        let unsubscribe = json!([{"channel": "/meta/unsubscribe", "clientId": id, "subscription": "/v2/me/channels"}]);
        assert_eq!(app.bayeux(&amy, "/", unsubscribe).await[0]["successful"], true);
        set_state(app, &amy, "chat", "Ready").await;
        assert!(app.connect(&amy, &id).await.is_empty());

        app.subscribe(&amy, &id, "/v2/me/channels").await;
        set_state(app, &amy, "sms", "Ready").await;
        let messages = app.connect_until(&amy, &id, |m| is_channel_state(m, "sms", "Ready")).await;
        assert!(!messages.iter().any(|m| is_channel_state(m, "chat", "Ready")), "{messages:?}");
    }

    async fn a_new_client_of_the_session_resumes_after_what_the_last_one_confirmed(app: &TestApp) {
        let amy = agent(app, "amy@example.com").await;
        let first = client(app, &amy, "/v2/me/*").await;
        set_state(app, &amy, "chat", "Ready").await;
        app.connect_until(&amy, &first, |m| is_channel_state(m, "chat", "Ready")).await;
        // Asking again confirms that answer; this one carries the sms change.
        set_state(app, &amy, "sms", "Ready").await;
        app.connect_until(&amy, &first, |m| is_channel_state(m, "sms", "Ready")).await;

        // The client is gone (its tab closed) without confirming sms; email changes meanwhile.
        set_state(app, &amy, "email", "Ready").await;
        let second = app.handshake(&amy).await;
        app.subscribe(&amy, &second, "/v2/me/*").await;
        let messages = app.connect_until(&amy, &second, |m| is_channel_state(m, "email", "Ready")).await;
        assert!(messages.iter().any(|m| is_channel_state(m, "sms", "Ready")), "unconfirmed: sent again: {messages:?}");
        assert!(!messages.iter().any(|m| is_channel_state(m, "chat", "Ready")), "confirmed: not again: {messages:?}");
    }

    async fn a_client_hears_its_own_agent_only_never_a_colleague_or_another_company(app: &TestApp) {
        let other = app.create_company("Other Corp", "owner@other.example").await;
        let amy = agent(app, "amy@example.com").await;
        let bob = agent(app, "bob@example.com").await;
        app.add_agent(&other, "Eve", "eve@other.example", PASSWORD).await;
        let eve = app.sign_in("eve@other.example", PASSWORD).await;
        let id = client(app, &amy, "/v2/**").await;

        set_state(app, &bob, "chat", "Ready").await;
        set_state(app, &eve, "sms", "Ready").await;
        set_state(app, &amy, "email", "Ready").await;
        let messages = app.connect_until(&amy, &id, |m| is_channel_state(m, "email", "Ready")).await;
        assert_eq!(messages.len(), 1, "Bob's and Eve's changes are not Amy's: {messages:?}");

        // Amy's client cannot be driven with Bob's session, nor Bob's messages read through it.
        let (_, replies) = app.bayeux_raw(&bob, "/connect", json!([connect_message(&id)])).await;
        assert_eq!(replies[0]["error"], "402::Unknown client", "{replies:?}");
    }

    async fn without_a_session_there_is_no_handshake_and_an_ended_session_ends_its_clients(app: &TestApp) {
        let amy = agent(app, "amy@example.com").await;
        let res = app
            .request(Method::POST, "/api/v2/notifications/handshake")
            .json(&json!([{"channel": "/meta/handshake", "version": "1.0", "supportedConnectionTypes": ["long-polling"]}]))
            .send()
            .await
            .unwrap();
        let replies: Vec<Value> = res.json().await.unwrap();
        assert_eq!(replies[0]["successful"], false);
        assert!(replies[0]["error"].as_str().unwrap().starts_with("401::"), "{replies:?}");

        let id = client(app, &amy, "/v2/me/*").await;
        app.gws_post("/api/v2/me", &amy, json!({"operationName": "EndContactCenterSession"})).await;
        let (_, replies) = app.bayeux_raw(&amy, "/connect", json!([connect_message(&id)])).await;
        assert_eq!(replies[0]["successful"], false, "{replies:?}");
    }
}

e2e! {
    @with |config| {
        config.gws.csrf = true;
        config.gws.cometd_timeout_ms = 300;
    };

    async fn with_csrf_on_cometd_posts_need_the_sessions_token(app: &TestApp) {
        let amy = agent(app, "amy@example.com").await;
        assert!(amy.csrf.is_some());
        let without = GwsSession { csrf: None, ..amy.clone() };
        let handshake = json!([{"channel": "/meta/handshake", "version": "1.0", "supportedConnectionTypes": ["long-polling"]}]);
        let (_, replies) = app.bayeux_raw(&without, "/handshake", handshake).await;
        assert_eq!(replies[0]["error"], "403::Missing or invalid Csrf token", "{replies:?}");

        let id = client(app, &amy, "/v2/me/*").await;
        set_state(app, &amy, "chat", "Ready").await;
        app.connect_until(&amy, &id, |m| is_channel_state(m, "chat", "Ready")).await;
    }
}
