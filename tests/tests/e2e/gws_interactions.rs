//! The GWS interactions (seeds/004, spec §A.4) end to end: a customer message from a Channel SDK
//! connector is routed to a signed-in agent, who hears the offer on CometD, accepts it, hears
//! the customer's next message, answers with `SendMessage` (exported to the connector as
//! `messages.create`) and completes it; every operation answers the body seeds/004 shows for it.

use super::*;
use switchboard_domain::routing::{Feed, QueueDetails, Strategy};
use switchboard_domain::{SourceId, UserId};
use switchboard_engine::auth::UserRef;
use switchboard_tests::connector::FakeConnector;
use switchboard_tests::gws::GwsSession;
use switchboard_tests::{Tenant, TestSource, message};

const PASSWORD: &str = "correct horse battery";

/// A source whose connector (a real local server) answers exports, in `tenant`.
async fn connected_source(app: &TestApp, tenant: &Tenant) -> (TestSource, FakeConnector) {
    let info = json!({"objects": {"messages": ["create", "list"]}, "options": []});
    let connector = FakeConnector::start("unset", info.clone()).await;
    let source = app.create_source(tenant, json!({"base_uri": connector.base_uri(), "objects": info["objects"]})).await;
    connector.set_token(&source.token);
    (source, connector)
}

/// A queue named `name` fed by `source` (if any), offering to `members` (offers wait 300 s).
async fn queue(app: &TestApp, tenant: &Tenant, name: &str, source: Option<&TestSource>, members: &[&str]) {
    queue_with_timeout(app, tenant, name, source, members, 300).await;
}

async fn queue_with_timeout(
    app: &TestApp,
    tenant: &Tenant,
    name: &str,
    source: Option<&TestSource>,
    members: &[&str],
    offer_timeout_secs: u32,
) {
    let owner = app.engine.authenticate(&tenant.key, &UserRef::Primary).await.unwrap();
    let details = QueueDetails {
        name: name.into(),
        strategy: Strategy::RoundRobin,
        members: members.iter().map(|m| UserId::parse(m).unwrap()).collect(),
        feeds: source
            .map(|s| Feed { source_id: SourceId::parse(&s.id).unwrap(), category: None })
            .into_iter()
            .collect(),
        offer_timeout_secs,
        overflow: None,
    };
    app.engine.create_queue(&owner, details).await.unwrap();
}

fn is_interaction(m: &Value, state: &str) -> bool {
    m["channel"] == "/v2/me/interactions"
        && m["data"]["messageType"] == "InteractionStateMessage"
        && m["data"]["interaction"]["state"] == state
}

/// An agent signed in, subscribed to `/v2/me/*` and Ready on chat; its CometD client's id.
async fn ready_agent(app: &TestApp, email: &str) -> (GwsSession, String) {
    let session = app.sign_in(email, PASSWORD).await;
    let client = app.handshake(&session).await;
    app.subscribe(&session, &client, "/v2/me/*").await;
    app.connect(&session, &client).await;
    let start = json!({"operationName": "StartContactCenterSession", "channels": ["chat"]});
    assert_eq!(app.gws_post("/api/v2/me", &session, start).await.0, 200);
    assert_eq!(app.gws_post("/api/v2/me/channels/chat", &session, json!({"operationName": "Ready"})).await.0, 200);
    (session, client)
}

/// Waits for the `Invited` message of an interaction; its id.
async fn invited(app: &TestApp, session: &GwsSession, client: &str) -> String {
    let messages = app.connect_until(session, client, |m| is_interaction(m, "Invited")).await;
    let m = messages.iter().find(|m| is_interaction(m, "Invited")).unwrap();
    assert_eq!(m["data"]["interaction"]["capabilities"], json!(["Accept", "Reject"]), "{m}");
    m["data"]["interaction"]["id"].as_str().unwrap().to_owned()
}

/// The `messages.create` calls the connector received, once there is one (the export is a job).
async fn exported(connector: &FakeConnector) -> Vec<switchboard_tests::connector::Received> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let created = connector.received("messages.create");
        if !created.is_empty() {
            return created;
        }
        assert!(std::time::Instant::now() < deadline, "the answer was never exported");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn operate(app: &TestApp, session: &GwsSession, id: &str, body: Value) -> (u16, Value) {
    app.gws_post(&format!("/api/v2/me/interactions/{id}"), session, body).await
}

e2e! {
    @with |config| config.gws.cometd_timeout_ms = 300;

    async fn an_agent_is_offered_a_customer_message_accepts_answers_and_completes_it(app: &TestApp) {
        let (source, connector) = connected_source(app, &app.company).await;
        let amy_id = app.add_agent(&app.company, "Amy", "amy@example.com", PASSWORD).await;
        queue(app, &app.company, "support", Some(&source), &[&amy_id]).await;
        let (amy, client) = ready_agent(app, "amy@example.com").await;

        assert_eq!(app.push(&source, "messages.create", message("m1", "t1", "Hello, my order is late")).await.0, 200);
        let id = invited(app, &amy, &client).await;

        let res = app.gws(Method::GET, "/api/v2/me/interactions", &amy).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let mine: Value = res.json().await.unwrap();
        assert!(mine["uris"][0].as_str().unwrap().ends_with(&format!("/api/v2/interactions/{id}")), "{mine}");

        assert_eq!(operate(app, &amy, &id, json!({"operationName": "Accept"})).await, (200, json!({"status": "ok"})));
        app.connect_until(&amy, &client, |m| is_interaction(m, "Accepted")).await;

        // The customer writes again: the agent who holds the interaction hears it.
        app.push(&source, "messages.create", message("m2", "t1", "Any news?")).await;
        let log = app.connect_until(&amy, &client, |m| m["data"]["messageType"] == "MessageLogUpdated").await;
        let update = log.iter().find(|m| m["data"]["messageType"] == "MessageLogUpdated").unwrap();
        assert_eq!(update["data"]["interactionId"], id.as_str());
        assert_eq!(update["data"]["messages"][0]["text"], "Any news?");

        let send = json!({"operationName": "SendMessage", "text": "It ships today."});
        assert_eq!(operate(app, &amy, &id, send).await, (200, json!({"statusCode": 0})));
        let created = exported(&connector).await;
        assert_eq!(created.len(), 1, "the answer is exported through the content's own source");
        assert_eq!(created[0].params["body"], "It ships today.");
        assert!(created[0].signature_valid);

        let full: Value = app.gws(Method::GET, "/api/v2/me/interactions?fields=*", &amy).send().await.unwrap().json().await.unwrap();
        assert_eq!(full["interactions"][0]["state"], "Accepted", "{full}");
        assert_eq!(full["interactions"][0]["currentQueue"], "support");

        assert_eq!(operate(app, &amy, &id, json!({"operationName": "Complete"})).await, (200, json!({"statusCode": 0})));
        app.connect_until(&amy, &client, |m| is_interaction(m, "Completed")).await;
        let mine: Value = app.gws(Method::GET, "/api/v2/me/interactions", &amy).send().await.unwrap().json().await.unwrap();
        assert_eq!(mine, json!({"statusCode": 0, "uris": []}));
    }

    async fn each_operation_answers_the_seeds_body_and_fails_in_its_own_shape(app: &TestApp) {
        let (source, _connector) = connected_source(app, &app.company).await;
        let amy_id = app.add_agent(&app.company, "Amy", "amy@example.com", PASSWORD).await;
        queue(app, &app.company, "support", Some(&source), &[&amy_id]).await;
        let (amy, client) = ready_agent(app, "amy@example.com").await;
        app.push(&source, "messages.create", message("m1", "t1", "Hi")).await;
        let id = invited(app, &amy, &client).await;

        // Wrong state: Complete before Accept; Cancel and SendMessage too.
        let (status, body) = operate(app, &amy, &id, json!({"operationName": "Complete"})).await;
        assert_eq!((status, body["statusCode"].as_i64()), (400, Some(2)), "{body}");
        assert_eq!(body.as_object().unwrap().len(), 2, "{body}");
        let (status, body) = operate(app, &amy, &id, json!({"operationName": "SendMessage", "text": "hi"})).await;
        assert_eq!((status, body["statusCode"].as_i64()), (400, Some(2)), "{body}");
        assert_eq!(operate(app, &amy, &id, json!({"operationName": "Cancel"})).await.1["statusCode"], 2);

        assert_eq!(operate(app, &amy, &id, json!({"operationName": "Accept"})).await.1, json!({"status": "ok"}));
        let (status, body) = operate(app, &amy, &id, json!({"operationName": "Accept"})).await;
        assert_eq!(status, 400);
        assert_eq!(body["status"], "error", "{body}");
        assert!(body["errorDescription"].is_string(), "{body}");

        // User data: attach, update, delete by keys or by userData's keys; PUT sets keys too.
        let attach = json!({"operationName": "AttachUserData", "userData": {"order": "A1", "tier": {"level": 2}}});
        assert_eq!(operate(app, &amy, &id, attach).await.1, json!({"status": "ok"}));
        let update = json!({"operationName": "UpdateUserData", "userData": {"order": "B2"}});
        assert_eq!(operate(app, &amy, &id, update).await.1, json!({"status": "ok"}));
        let res = app.gws(Method::PUT, &format!("/api/v2/interactions/{id}"), &amy).json(&json!({"userData": {"note": "vip"}})).send().await.unwrap();
        assert_eq!(res.json::<Value>().await.unwrap(), json!({"statusCode": 0}));
        let delete = json!({"operationName": "DeleteUserData", "keys": ["tier"]});
        assert_eq!(operate(app, &amy, &id, delete).await.1, json!({"status": "ok"}));
        let one: Value = app.gws(Method::GET, &format!("/api/v2/interactions/{id}"), &amy).send().await.unwrap().json().await.unwrap();
        assert_eq!(one["interaction"]["userData"], json!({"order": "B2", "note": "vip"}), "{one}");
        let missing = operate(app, &amy, &id, json!({"operationName": "UpdateUserData"})).await;
        assert_eq!(missing, (400, json!({"status": "error", "errorDescription": "Required parameter 'userData' is missing"})));

        // The workbin: in, its content on CometD, and Complete from there.
        let place = json!({"operationName": "PlaceInWorkbin", "workbin": format!("agent.{amy_id}")});
        assert_eq!(operate(app, &amy, &id, place).await.1, json!({"status": "ok"}));
        app.connect_until(&amy, &client, |m| m["data"]["messageType"] == "WorkbinStateChangeMessage").await;
        let content = json!({"operationName": "GetWorkbinContent", "workbin": "me"});
        assert_eq!(operate(app, &amy, &id, content).await.1, json!({"status": "ok"}));
        let items = app.connect_until(&amy, &client, |m| m["data"]["notificationType"] == "WorkbinContent").await;
        let item = items.iter().find(|m| m["data"]["notificationType"] == "WorkbinContent").unwrap();
        assert_eq!(item["data"]["interaction"]["id"], id.as_str());
        let nowhere = json!({"operationName": "PlaceInWorkbin", "workbin": "shelf"});
        assert_eq!(operate(app, &amy, &id, nowhere).await.0, 404);

        // Unknown and missing operations, unknown interactions.
        let (status, body) = operate(app, &amy, &id, json!({"operationName": "Dance"})).await;
        assert_eq!((status, body["statusCode"].as_i64()), (400, Some(2)));
        assert_eq!(operate(app, &amy, &id, json!({})).await.1["statusCode"], 1);
        let (status, body) = operate(app, &amy, "0123456789abcdef01234567", json!({"operationName": "Complete"})).await;
        assert_eq!((status, body["statusCode"].as_i64()), (404, Some(6)), "{body}");
        let (status, body) = operate(app, &amy, "nope", json!({"operationName": "Accept"})).await;
        assert_eq!((status, &body["status"]), (404, &json!("error")), "{body}");
    }

    async fn transfer_and_place_in_queue_hand_the_interaction_on(app: &TestApp) {
        let (source, _connector) = connected_source(app, &app.company).await;
        let amy_id = app.add_agent(&app.company, "Amy", "amy@example.com", PASSWORD).await;
        let bob_id = app.add_agent(&app.company, "Bob", "bob@example.com", PASSWORD).await;
        queue(app, &app.company, "support", Some(&source), &[&amy_id]).await;
        queue(app, &app.company, "billing", None, &[&bob_id]).await;
        let (amy, amy_client) = ready_agent(app, "amy@example.com").await;
        let (bob, bob_client) = ready_agent(app, "bob@example.com").await;
        app.push(&source, "messages.create", message("m1", "t1", "Hi")).await;
        let id = invited(app, &amy, &amy_client).await;
        operate(app, &amy, &id, json!({"operationName": "Accept"})).await;

        let no_target = operate(app, &amy, &id, json!({"operationName": "Transfer"})).await;
        assert_eq!((no_target.0, &no_target.1["statusCode"]), (400, &json!(1)), "{no_target:?}");
        let to_bob = json!({"operationName": "Transfer", "userUri": format!("http://host/api/v2/users/{bob_id}")});
        assert_eq!(operate(app, &amy, &id, to_bob).await, (200, json!({"statusCode": 0})));
        assert_eq!(invited(app, &bob, &bob_client).await, id);
        operate(app, &bob, &id, json!({"operationName": "Accept"})).await;

        let place = json!({"operationName": "PlaceInQueue", "queueName": "support"});
        assert_eq!(operate(app, &bob, &id, place).await, (200, json!({"status": "ok"})));
        assert_eq!(invited(app, &amy, &amy_client).await, id, "support offers it to Amy again");
        let nowhere = json!({"operationName": "PlaceInQueue", "queueName": "nowhere"});
        let (status, body) = operate(app, &amy, &id, nowhere).await;
        assert_eq!(body["status"], "error", "{body}");
        assert!(status >= 400);
    }

    async fn workbins_list_show_take_and_give_back_interactions(app: &TestApp) {
        let (source, _connector) = connected_source(app, &app.company).await;
        let amy_id = app.add_agent(&app.company, "Amy", "amy@example.com", PASSWORD).await;
        let bob_id = app.add_agent(&app.company, "Bob", "bob@example.com", PASSWORD).await;
        queue(app, &app.company, "support", Some(&source), &[&amy_id, &bob_id]).await;
        let (amy, client) = ready_agent(app, "amy@example.com").await;
        app.push(&source, "messages.create", message("m1", "t1", "Hi")).await;
        let id = invited(app, &amy, &client).await;
        operate(app, &amy, &id, json!({"operationName": "Accept"})).await;

        let list: Value = app.gws(Method::GET, "/api/v2/me/workbins", &amy).send().await.unwrap().json().await.unwrap();
        let workbins = list["workbins"].as_array().unwrap();
        assert_eq!(workbins.len(), 2, "her own and her queue's: {list}");
        assert_eq!(workbins[0]["id"], format!("agent.{amy_id}"));
        assert_eq!(workbins[1]["type"], "AgentGroup");
        assert_eq!(workbins[1]["name"], "support");
        let shared = workbins[1]["id"].as_str().unwrap().to_owned();

        let add = json!({"operationName": "AddInteraction", "id": id});
        let res = app.gws(Method::POST, &format!("/api/v2/me/workbins/{shared}"), &amy).json(&add).send().await.unwrap();
        assert_eq!(res.json::<Value>().await.unwrap(), json!({"statusCode": 0}));
        let bob = app.sign_in("bob@example.com", PASSWORD).await;
        let content: Value =
            app.gws(Method::GET, &format!("/api/v2/me/workbins/{shared}"), &bob).send().await.unwrap().json().await.unwrap();
        assert_eq!(content["interactions"][0]["id"], id.as_str(), "{content}");
        assert_eq!(content["interactions"][0]["state"], "InWorkbin");

        // Bob pulls it from the queue's workbin, not from his own (where it is not).
        let pull = json!({"operationName": "PullInteraction", "id": id});
        let res = app.gws(Method::POST, "/api/v2/me/workbins/me", &bob).json(&pull).send().await.unwrap();
        assert_eq!(res.status(), 400);
        let res = app.gws(Method::POST, &format!("/api/v2/me/workbins/{shared}"), &bob).json(&pull).send().await.unwrap();
        assert_eq!(res.json::<Value>().await.unwrap(), json!({"statusCode": 0}));
        let mine: Value = app.gws(Method::GET, "/api/v2/me/interactions?fields=*", &bob).send().await.unwrap().json().await.unwrap();
        assert_eq!(mine["interactions"][0]["state"], "Accepted", "{mine}");

        let res = app.gws(Method::POST, &format!("/api/v2/me/workbins/{shared}"), &bob).json(&json!({"operationName": "Pull"})).send().await.unwrap();
        assert_eq!(res.json::<Value>().await.unwrap()["statusCode"], 1, "no id");
        let res = app.gws(Method::GET, "/api/v2/me/workbins/shelf", &bob).send().await.unwrap();
        assert_eq!(res.status(), 404);
    }

    async fn an_unanswered_offer_is_revoked_on_cometd_and_offered_to_the_next_agent(app: &TestApp) {
        let (source, _connector) = connected_source(app, &app.company).await;
        let amy_id = app.add_agent(&app.company, "Amy", "amy@example.com", PASSWORD).await;
        let bob_id = app.add_agent(&app.company, "Bob", "bob@example.com", PASSWORD).await;
        queue_with_timeout(app, &app.company, "support", Some(&source), &[&amy_id, &bob_id], 1).await;
        let (amy, amy_client) = ready_agent(app, "amy@example.com").await;
        app.push(&source, "messages.create", message("m1", "t1", "Hi")).await;
        let id = invited(app, &amy, &amy_client).await;

        let (bob, bob_client) = ready_agent(app, "bob@example.com").await;
        let revoked = app.connect_until(&amy, &amy_client, |m| is_interaction(m, "Revoked")).await;
        let revoked = revoked.iter().find(|m| is_interaction(m, "Revoked")).unwrap();
        assert_eq!(revoked["data"]["interaction"]["id"], id.as_str());
        assert_eq!(revoked["data"]["interaction"]["capabilities"], json!([]));
        assert_eq!(invited(app, &bob, &bob_client).await, id, "offered to the next agent");
    }

    async fn a_client_that_reconnects_within_its_session_is_offered_the_same_interaction_again(app: &TestApp) {
        let (source, _connector) = connected_source(app, &app.company).await;
        let amy_id = app.add_agent(&app.company, "Amy", "amy@example.com", PASSWORD).await;
        queue(app, &app.company, "support", Some(&source), &[&amy_id]).await;
        let (amy, lost) = ready_agent(app, "amy@example.com").await;
        app.push(&source, "messages.create", message("m1", "t1", "Hi")).await;
        let id = invited(app, &amy, &lost).await;

        // The connection is lost before the client asks again: a new client hears the offer,
        // with its deadline.
        let again = app.handshake(&amy).await;
        app.subscribe(&amy, &again, "/v2/me/interactions").await;
        let messages = app.connect_until(&amy, &again, |m| is_interaction(m, "Invited")).await;
        let offer = &messages.iter().find(|m| is_interaction(m, "Invited")).unwrap()["data"]["interaction"];
        assert_eq!(offer["id"], id.as_str());
        assert!(offer["offerDeadline"].is_string(), "{offer}");
        assert_eq!(operate(app, &amy, &id, json!({"operationName": "Accept"})).await.1, json!({"status": "ok"}));
    }

    async fn supervisors_see_every_interaction_and_agents_only_their_own_company_and_theirs(app: &TestApp) {
        let other = app.create_company("Other Corp", "owner@other.example").await;
        let (source, _connector) = connected_source(app, &app.company).await;
        let amy_id = app.add_agent(&app.company, "Amy", "amy@example.com", PASSWORD).await;
        let sue_id = app.add_agent(&app.company, "Sue", "sue@example.com", PASSWORD).await;
        app.add_agent(&app.company, "Bob", "bob@example.com", PASSWORD).await;
        app.add_agent(&other, "Eve", "eve@other.example", PASSWORD).await;
        app.native(Method::PUT, &format!("/v1/users/{sue_id}/role"), &app.company).json(&json!({"role": "supervisor"})).send().await.unwrap();
        queue(app, &app.company, "support", Some(&source), &[&amy_id]).await;
        let (amy, client) = ready_agent(app, "amy@example.com").await;
        app.push(&source, "messages.create", message("m1", "t1", "Hi")).await;
        let id = invited(app, &amy, &client).await;

        let sue = app.sign_in("sue@example.com", PASSWORD).await;
        let all: Value = app.gws(Method::GET, "/api/v2/interactions?fields=*", &sue).send().await.unwrap().json().await.unwrap();
        assert_eq!(all["interactions"][0]["id"], id.as_str(), "{all}");
        let res = app.gws(Method::GET, &format!("/api/v2/interactions/{id}"), &sue).send().await.unwrap();
        assert_eq!(res.status(), 200);

        let bob = app.sign_in("bob@example.com", PASSWORD).await;
        let res = app.gws(Method::GET, "/api/v2/interactions", &bob).send().await.unwrap();
        assert_eq!(res.status(), 403);
        assert_eq!(res.json::<Value>().await.unwrap()["statusCode"], 3);
        let res = app.gws(Method::GET, &format!("/api/v2/interactions/{id}"), &bob).send().await.unwrap();
        assert_eq!(res.status(), 404, "not Bob's");
        let (status, body) = operate(app, &bob, &id, json!({"operationName": "Accept"})).await;
        assert_eq!((status, &body["status"]), (403, &json!("error")), "{body}");

        let eve = app.sign_in("eve@other.example", PASSWORD).await;
        let res = app.gws(Method::GET, &format!("/api/v2/interactions/{id}"), &eve).send().await.unwrap();
        assert_eq!(res.status(), 404, "another company's");
        let (status, _) = operate(app, &eve, &id, json!({"operationName": "Accept"})).await;
        assert_eq!(status, 404);
        let mine: Value = app.gws(Method::GET, "/api/v2/me/interactions", &eve).send().await.unwrap().json().await.unwrap();
        assert_eq!(mine["uris"], json!([]));
        let res = app.gws(Method::PUT, &format!("/api/v2/interactions/{id}"), &eve).json(&json!({"userData": {"x": 1}})).send().await.unwrap();
        assert_eq!(res.status(), 404);
        app.set_password(&other, &other.primary_user_id, PASSWORD).await;
        let their_owner = app.sign_in("owner@other.example", PASSWORD).await;
        let all: Value = app.gws(Method::GET, "/api/v2/interactions", &their_owner).send().await.unwrap().json().await.unwrap();
        assert_eq!(all, json!({"statusCode": 0, "uris": []}), "the other company's owner sees theirs only");
        let ours: Value = app.gws(Method::GET, "/api/v2/me/workbins", &amy).send().await.unwrap().json().await.unwrap();
        let shared = ours["workbins"][1]["id"].as_str().unwrap();
        let theirs: Value = app.gws(Method::GET, "/api/v2/me/workbins", &eve).send().await.unwrap().json().await.unwrap();
        assert_eq!(theirs["workbins"].as_array().unwrap().len(), 1, "no queue of ours: {theirs}");
        let res = app.gws(Method::GET, &format!("/api/v2/me/workbins/{shared}"), &eve).send().await.unwrap();
        assert_eq!(res.status(), 404);
        let add = json!({"operationName": "AddInteraction", "id": id});
        let res = app.gws(Method::POST, &format!("/api/v2/me/workbins/{shared}"), &eve).json(&add).send().await.unwrap();
        assert_eq!(res.status(), 404);
        // Amy's offer was untouched by all of it.
        assert_eq!(operate(app, &amy, &id, json!({"operationName": "Accept"})).await.1, json!({"status": "ok"}));
    }
}

e2e! {
    @with |config| {
        config.gws.csrf = true;
        config.gws.cometd_timeout_ms = 300;
    };

    async fn with_csrf_on_an_operation_without_the_token_is_403_and_changes_nothing(app: &TestApp) {
        let (source, _connector) = connected_source(app, &app.company).await;
        let amy_id = app.add_agent(&app.company, "Amy", "amy@example.com", PASSWORD).await;
        queue(app, &app.company, "support", Some(&source), &[&amy_id]).await;
        let (amy, client) = ready_agent(app, "amy@example.com").await;
        app.push(&source, "messages.create", message("m1", "t1", "Hi")).await;
        let id = invited(app, &amy, &client).await;
        let without = GwsSession { csrf: None, ..amy.clone() };
        let (status, body) = operate(app, &without, &id, json!({"operationName": "Accept"})).await;
        assert_eq!(status, 403);
        assert_eq!(body["statusCode"], 3, "the session check comes before the operation: {body}");
        let full: Value = app.gws(Method::GET, "/api/v2/me/interactions?fields=*", &amy).send().await.unwrap().json().await.unwrap();
        assert_eq!(full["interactions"][0]["state"], "Invited");
        assert_eq!(operate(app, &amy, &id, json!({"operationName": "Accept"})).await.1, json!({"status": "ok"}));
    }
}
