//! The native routing API: queues with their live figures, agents' states, capacities and
//! loads, and interactions with their routing decisions; tenancy on every endpoint.

use std::time::Duration;

use super::*;
use switchboard_tests::{Tenant, full_capabilities, message};

/// A request as one of the company's users.
fn as_user(app: &TestApp, method: Method, path: &str, tenant: &Tenant, user: &str) -> reqwest::RequestBuilder {
    app.native(method, path, tenant).header("X-User-Id", user)
}

async fn json_of(res: reqwest::Response, status: u16) -> Value {
    let code = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    assert_eq!(code, status, "{body}");
    body
}

/// The company's interactions once `done` holds for them; fails after a generous bound.
async fn interactions_when(app: &TestApp, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    for _ in 0..300 {
        let list = json_of(app.native(Method::GET, "/v1/interactions", &app.company).send().await.unwrap(), 200).await;
        let list = list.as_array().unwrap().clone();
        if done(&list) {
            return list;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never: {what}");
}

e2e! {
    async fn an_inbound_message_is_offered_to_the_ready_member_and_the_decision_names_who_was_skipped(app: &TestApp) {
        let source = app.create_source(&app.company, full_capabilities()).await;
        let a = app.add_user(&app.company, "Ann", "ann@example.com").await;
        let b = app.add_user(&app.company, "Bob", "bob@example.com").await;
        let body = json!({"name": "support", "strategy": "round_robin", "members": [a, b], "feeds": [{"source_id": source.id}], "offer_timeout_secs": 60});
        let queue = json_of(app.native(Method::POST, "/v1/queues", &app.company).json(&body).send().await.unwrap(), 201).await;
        let queue_id = queue["id"].as_str().unwrap().to_owned();
        assert_eq!((queue["strategy"].as_str(), queue["figures"]["waiting"].as_u64()), (Some("round_robin"), Some(0)));

        // Ann goes Ready on chat herself; the owner gives her room for one chat only.
        let ready = json!({"state": "ready"});
        let agent = json_of(as_user(app, Method::PATCH, &format!("/v1/agents/{a}/channels/chat"), &app.company, &a).json(&ready).send().await.unwrap(), 200).await;
        assert_eq!(agent["channels"][0]["state"], "ready");
        let agent = json_of(app.native(Method::PATCH, &format!("/v1/agents/{a}/channels/chat"), &app.company).json(&json!({"capacity": 1})).send().await.unwrap(), 200).await;
        assert_eq!(agent["channels"][0]["capacity"], 1);

        let (status, body) = app.push(&source, "messages.create", message("m1", "t1", "help")).await;
        assert_eq!(status, 200, "{body}");
        let list = interactions_when(app, "the message's interaction is offered", |l| l.len() == 1 && l[0]["state"] == "offered").await;
        let first = &list[0];
        assert_eq!((first["agent_id"].as_str(), first["queue_name"].as_str()), (Some(a.as_str()), Some("support")));
        assert!(first["offer_deadline"].is_string());
        let decision = first["history"].as_array().unwrap().iter().find(|h| h["kind"] == "decision").unwrap();
        assert!(decision["reason"].as_str().unwrap().starts_with("round_robin"), "{decision}");
        assert_eq!(decision["skipped"], json!([{"user_id": b, "reason": "not_ready"}]));

        // A second conversation waits: Ann is at capacity, Bob not ready.
        let (status, _) = app.push(&source, "messages.create", message("m2", "t2", "hello?")).await;
        assert_eq!(status, 200);
        let list = interactions_when(app, "the second interaction waits", |l| l.len() == 2).await;
        let waiting = list.iter().find(|i| i["state"] == "queued").unwrap();
        assert_eq!((waiting["position"].as_u64(), waiting["agent_id"].as_str()), (Some(1), None));
        assert!(waiting["estimated_wait_secs"].as_u64().unwrap() > 0);
        let figures = json_of(app.native(Method::GET, &format!("/v1/queues/{queue_id}"), &app.company).send().await.unwrap(), 200).await["figures"].clone();
        assert_eq!((figures["waiting"].as_u64(), figures["agents_ready"].as_u64()), (Some(1), Some(1)));
        let agents = json_of(app.native(Method::GET, "/v1/agents", &app.company).send().await.unwrap(), 200).await;
        let ann = agents.as_array().unwrap().iter().find(|x| x["user_id"] == a.as_str()).unwrap();
        assert_eq!((ann["channels"][0]["load"].as_u64(), ann["channels"][0]["capacity"].as_u64()), (Some(1), Some(1)));

        // Bob goes Ready: the waiting one is his.
        json_of(as_user(app, Method::PATCH, &format!("/v1/agents/{b}/channels/chat"), &app.company, &b).json(&ready).send().await.unwrap(), 200).await;
        let id = waiting["id"].as_str().unwrap();
        let mine = json_of(as_user(app, Method::GET, &format!("/v1/interactions/{id}"), &app.company, &b).send().await.unwrap(), 200).await;
        assert_eq!((mine["state"].as_str(), mine["agent_id"].as_str(), mine["position"].as_u64()), (Some("offered"), Some(b.as_str()), None));
        let only_bob = json_of(app.native(Method::GET, &format!("/v1/interactions?agent_id={b}&state=offered"), &app.company).send().await.unwrap(), 200).await;
        assert_eq!(only_bob.as_array().unwrap().len(), 1);
        // Ann does not see Bob's interaction, nor may she list the company's.
        assert_problem(as_user(app, Method::GET, &format!("/v1/interactions/{id}"), &app.company, &a).send().await.unwrap(), 404, "interaction").await;
        assert_problem(as_user(app, Method::GET, "/v1/interactions", &app.company, &a).send().await.unwrap(), 403, "").await;

        // A queue with open interactions stays.
        assert_problem(app.native(Method::DELETE, &format!("/v1/queues/{queue_id}"), &app.company).send().await.unwrap(), 409, "open interactions").await;
    }

    async fn interaction_and_agent_events_reach_a_webhook_in_order(app: &TestApp) {
        let receiver = switchboard_tests::receiver::Receiver::start().await;
        let hook = json!({"url": receiver.url(), "format": "native", "events": ["interaction.*", "agent.*"]});
        json_of(app.native(Method::POST, "/v1/webhooks", &app.company).json(&hook).send().await.unwrap(), 201).await;
        let source = app.create_source(&app.company, full_capabilities()).await;
        let a = app.add_user(&app.company, "Ann", "ann@example.com").await;
        let body = json!({"name": "support", "members": [a], "feeds": [{"source_id": source.id}]});
        json_of(app.native(Method::POST, "/v1/queues", &app.company).json(&body).send().await.unwrap(), 201).await;
        json_of(as_user(app, Method::PATCH, &format!("/v1/agents/{a}/channels/chat"), &app.company, &a).json(&json!({"state": "ready"})).send().await.unwrap(), 200).await;
        let (status, _) = app.push(&source, "messages.create", message("m1", "t1", "help")).await;
        assert_eq!(status, 200);
        let got = receiver.wait_for("three deliveries", |r| r.iter().filter(|x| x.answered == 200).count() >= 3).await;
        let kinds: Vec<String> = got.iter().map(|r| r.json()["type"].as_str().unwrap().to_owned()).collect();
        assert!(kinds.contains(&"agent.state_changed".to_owned()), "{kinds:?}");
        // Deliveries are ordered per thread: the interaction's, not the agent's, keep their order.
        let of_thread: Vec<&String> = kinds.iter().filter(|k| k.starts_with("interaction.")).collect();
        assert_eq!(of_thread, vec!["interaction.created", "interaction.offered"]);
        let offered = &got.iter().find(|r| r.json()["type"] == "interaction.offered").unwrap().json()["data"];
        assert_eq!((offered["agent_id"].as_str(), offered["state"].as_str()), (Some(a.as_str()), Some("offered")));
        assert_eq!(offered["capabilities"], json!(["Accept", "Reject"]));
        assert_eq!(offered["queue_name"], "support");
    }

    async fn bad_queue_and_agent_changes_are_refused_and_change_nothing(app: &TestApp) {
        let source = app.create_source(&app.company, full_capabilities()).await;
        let a = app.add_user(&app.company, "Ann", "ann@example.com").await;
        let good = json!({"name": "support", "members": [a], "feeds": [{"source_id": source.id}]});
        let queue = json_of(app.native(Method::POST, "/v1/queues", &app.company).json(&good).send().await.unwrap(), 201).await;
        assert_eq!((queue["strategy"].as_str(), queue["offer_timeout_secs"].as_u64()), (Some("longest_idle"), Some(30)));
        for (body, detail) in [
            (json!({"name": "x", "strategy": "fastest"}), "strategy"),
            (json!({"name": "x", "members": ["nope"]}), "members[0]"),
            (json!({"name": "x", "members": ["0123456789abcdef01234567"]}), "members[0]"),
            (json!({"name": "x", "feeds": [{"source_id": "0123456789abcdef01234567"}]}), "feeds[0].source_id"),
            (json!({"name": "x", "offer_timeout_secs": 0}), "offer_timeout_secs"),
            (json!({"name": "x", "colour": "red"}), "colour"),
            (json!({"name": ""}), "name"),
        ] {
            assert_problem(app.native(Method::POST, "/v1/queues", &app.company).json(&body).send().await.unwrap(), 400, detail).await;
        }
        assert_problem(app.native(Method::POST, "/v1/queues", &app.company).json(&good).send().await.unwrap(), 409, "name").await;
        // Agents configure no queues and set no capacities.
        assert_problem(as_user(app, Method::POST, "/v1/queues", &app.company, &a).json(&json!({"name": "mine"})).send().await.unwrap(), 403, "").await;
        let path = format!("/v1/agents/{a}/channels/chat");
        assert_problem(as_user(app, Method::PATCH, &path, &app.company, &a).json(&json!({"capacity": 50, "state": "ready"})).send().await.unwrap(), 403, "").await;
        for (body, detail) in [(json!({"state": "busy"}), "state"), (json!({"reason": "lunch"}), "reason"), (json!({"capacity": 5000}), "capacity")] {
            assert_problem(app.native(Method::PATCH, &path, &app.company).json(&body).send().await.unwrap(), 400, detail).await;
        }
        assert_problem(app.native(Method::PATCH, &format!("/v1/agents/{a}/channels/fax"), &app.company).json(&json!({"state": "ready"})).send().await.unwrap(), 400, "").await;
        let list = json_of(app.native(Method::GET, "/v1/queues", &app.company).send().await.unwrap(), 200).await;
        assert_eq!(list.as_array().unwrap().len(), 1, "nothing refused was created");
        let agent = json_of(app.native(Method::GET, &format!("/v1/agents/{a}"), &app.company).send().await.unwrap(), 200).await;
        assert_eq!((agent["channels"][0]["state"].as_str(), agent["channels"][0]["capacity"].as_u64()), (Some("not_ready"), Some(3)));
        assert_problem(app.native(Method::GET, "/v1/interactions?state=lost", &app.company).send().await.unwrap(), 400, "state").await;

        // PUT replaces the queue; DELETE removes it.
        let id = queue["id"].as_str().unwrap();
        let renamed = json_of(app.native(Method::PUT, &format!("/v1/queues/{id}"), &app.company).json(&json!({"name": "help", "strategy": "least_busy"})).send().await.unwrap(), 200).await;
        assert_eq!((renamed["name"].as_str(), renamed["members"].as_array().map(Vec::len)), (Some("help"), Some(0)));
        let res = app.native(Method::DELETE, &format!("/v1/queues/{id}"), &app.company).send().await.unwrap();
        assert_eq!(res.status(), 204);
        assert_problem(app.native(Method::GET, &format!("/v1/queues/{id}"), &app.company).send().await.unwrap(), 404, "queue").await;
    }

    async fn another_company_reaches_none_of_the_queues_agents_and_interactions(app: &TestApp) {
        let source = app.create_source(&app.company, full_capabilities()).await;
        let a = app.add_user(&app.company, "Ann", "ann@example.com").await;
        let body = json!({"name": "support", "members": [a], "feeds": [{"source_id": source.id}]});
        let queue = json_of(app.native(Method::POST, "/v1/queues", &app.company).json(&body).send().await.unwrap(), 201).await;
        let queue_id = queue["id"].as_str().unwrap();
        let (status, _) = app.push(&source, "messages.create", message("m1", "t1", "help")).await;
        assert_eq!(status, 200);
        let list = interactions_when(app, "an interaction is created", |l| l.len() == 1).await;
        let id = list[0]["id"].as_str().unwrap();

        let other = app.create_company("Other", "other@example.com").await;
        let other_user = app.add_user(&other, "Olga", "olga@example.com").await;
        for path in [format!("/v1/queues/{queue_id}"), format!("/v1/interactions/{id}"), format!("/v1/agents/{a}")] {
            assert_problem(app.native(Method::GET, &path, &other).send().await.unwrap(), 404, "").await;
        }
        let put = json!({"name": "stolen"});
        assert_problem(app.native(Method::PUT, &format!("/v1/queues/{queue_id}"), &other).json(&put).send().await.unwrap(), 404, "queue").await;
        assert_problem(app.native(Method::DELETE, &format!("/v1/queues/{queue_id}"), &other).send().await.unwrap(), 404, "queue").await;
        assert_problem(app.native(Method::PATCH, &format!("/v1/agents/{a}/channels/chat"), &other).json(&json!({"state": "ready"})).send().await.unwrap(), 404, "user").await;
        // Nor may its queues name this company's users, sources or queues.
        let borrowed = json!({"name": "q", "members": [a], "feeds": [{"source_id": source.id}], "overflow": {"queue_id": queue_id, "max_wait_secs": 60}});
        assert_problem(app.native(Method::POST, "/v1/queues", &other).json(&borrowed).send().await.unwrap(), 400, "members[0]").await;
        for path in ["/v1/queues", "/v1/interactions"] {
            let list = json_of(app.native(Method::GET, path, &other).send().await.unwrap(), 200).await;
            assert_eq!(list, json!([]), "{path}");
        }
        let agents = json_of(app.native(Method::GET, "/v1/agents", &other).send().await.unwrap(), 200).await;
        let ids: Vec<&str> = agents.as_array().unwrap().iter().map(|x| x["user_id"].as_str().unwrap()).collect();
        assert!(ids.contains(&other_user.as_str()) && !ids.contains(&a.as_str()), "{ids:?}");
        // And this company's queue is unchanged.
        let same = json_of(app.native(Method::GET, &format!("/v1/queues/{queue_id}"), &app.company).send().await.unwrap(), 200).await;
        assert_eq!((same["name"].as_str(), same["figures"]["waiting"].as_u64()), (Some("support"), Some(1)));
    }
}

e2e! {
    jobs: drained;

    async fn a_waiting_customer_s_connector_is_told_a_falling_queue_position_with_an_estimated_wait(app: &TestApp) {
        use switchboard_tests::connector::FakeConnector;
        let info = json!({"objects": {"messages": ["create"]}, "options": ["messaging.queuing_update"]});
        let connector = FakeConnector::start("unset", info.clone()).await;
        let fields = json!({"base_uri": connector.base_uri(), "objects": info["objects"], "options": info["options"]});
        let source = app.create_source(&app.company, fields).await;
        connector.set_token(&source.token);
        let a = app.add_user(&app.company, "Ann", "ann@example.com").await;
        let body = json!({"name": "support", "members": [a], "feeds": [{"source_id": source.id}]});
        json_of(app.native(Method::POST, "/v1/queues", &app.company).json(&body).send().await.unwrap(), 201).await;
        let path = format!("/v1/agents/{a}/channels/chat");
        json_of(app.native(Method::PATCH, &path, &app.company).json(&json!({"state": "ready", "capacity": 1})).send().await.unwrap(), 200).await;

        for (m, t) in [("m1", "t1"), ("m2", "t2"), ("m3", "t3")] {
            let (status, body) = app.push(&source, "messages.create", message(m, t, "help")).await;
            assert_eq!(status, 200, "{body}");
        }
        interactions_when(app, "three interactions", |l| l.len() == 3).await;
        let mut r = app.engine.store().reader().await.unwrap();
        let updates = switchboard_store::jobs::list_pending(&mut r, "routing.queuing_update").await.unwrap();
        drop(r);
        assert_eq!(updates.len(), 1, "one waiting job covers every routing pass before it runs");
        app.drain_jobs().await;
        let told = |thread: &str| -> Vec<(u64, u64)> {
            connector
                .received("messaging.queuing_update")
                .iter()
                .filter(|r| r.params["thread_id"] == thread)
                .map(|r| (r.params["position"].as_u64().unwrap(), r.params["estimated_wait_time"].as_u64().unwrap()))
                .collect()
        };
        assert!(told("t1").is_empty(), "t1 was offered at once");
        let (t2, t3) = (told("t2"), told("t3"));
        assert_eq!((t2.len(), t2[0].0, t3.len(), t3[0].0), (1, 1, 1, 2), "{t2:?} {t3:?}");
        assert!(t3[0].1 > t2[0].1 && t2[0].1 > 0, "a later place waits longer: {t2:?} {t3:?}");

        // Ann finishes the first: t2 is offered to her and t3 moves up to first place.
        let key = app.company.key.clone();
        let user = switchboard_domain::UserId::parse(&a).unwrap();
        let ann = app.engine.authenticate(&key, &switchboard_engine::auth::UserRef::Id(user)).await.unwrap();
        let first = app.engine.my_interactions(&ann).await.unwrap().remove(0);
        app.engine.accept_interaction(&ann, &first.id).await.unwrap();
        app.engine.complete_interaction(&ann, &first.id).await.unwrap();
        app.drain_jobs().await;
        assert_eq!(told("t2").len(), 1, "t2 is no longer waiting");
        assert_eq!(told("t3").iter().map(|p| p.0).collect::<Vec<_>>(), vec![2, 1], "t3's place falls");
        let list = interactions_when(app, "t3 is first in line", |l| l.iter().any(|i| i["position"] == 1)).await;
        let waiting = list.iter().find(|i| i["state"] == "queued").unwrap();
        assert_eq!(waiting["estimated_wait_secs"].as_u64(), Some(told("t3")[1].1), "the native API shows what the connector was told");
    }
}
