//! The event stream (`GET /v1/events`, Server-Sent Events): the company's log, live, and
//! resumed after a disconnection with nothing missed.

use super::*;
use switchboard_tests::sse::SseClient;
use switchboard_tests::{full_capabilities, message};

async fn open(app: &TestApp, tenant: &switchboard_tests::Tenant, last_event_id: Option<i64>) -> SseClient {
    let mut req = app.native(Method::GET, "/v1/events", tenant);
    if let Some(id) = last_event_id {
        req = req.header("Last-Event-ID", id.to_string());
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    SseClient::new(res)
}

e2e! {
    async fn the_stream_carries_new_events_with_seq_type_and_payload(app: &TestApp) {
        let mut stream = open(app, &app.company, None).await;
        let source = app.create_source(&app.company, full_capabilities()).await;
        let first = stream.next().await;
        assert_eq!(first.event, "source.created");
        assert_eq!(first.data["id"], source.id.as_str());
        let log = app.events(&app.company).await;
        assert_eq!(first.id, log.last().unwrap().seq, "id is the event's seq in the log");

        let (status, _) = app.push(&source, "messages.create", message("m1", "t1", "hello")).await;
        assert_eq!(status, 200);
        let frames = stream.take(3).await;
        let types: Vec<&str> = frames.iter().map(|f| f.event.as_str()).collect();
        assert_eq!(types, ["identity.created", "thread.created", "content.imported"]);
        assert_eq!(frames.iter().map(|f| f.id).collect::<Vec<_>>(), [first.id + 1, first.id + 2, first.id + 3]);
        assert_eq!(frames[2].data["body"], "hello");
    }

    async fn reconnecting_with_last_event_id_gets_exactly_the_missed_events(app: &TestApp) {
        let source = app.create_source(&app.company, full_capabilities()).await;
        let mut stream = open(app, &app.company, None).await;
        app.push(&source, "messages.create", message("m1", "t1", "one")).await;
        let seen = stream.take(3).await;
        let last_seen = seen.last().unwrap().id;
        drop(stream);

        for i in 2..5 {
            let (status, _) = app.push(&source, "messages.create", message(&format!("m{i}"), "t1", "more")).await;
            assert_eq!(status, 200);
        }
        let missed: Vec<i64> = app.events(&app.company).await.iter().map(|e| e.seq).filter(|s| *s > last_seen).collect();
        assert_eq!(missed.len(), 3, "three content.imported events were missed");

        let mut resumed = open(app, &app.company, Some(last_seen)).await;
        let frames = resumed.take(3).await;
        assert_eq!(frames.iter().map(|f| f.id).collect::<Vec<_>>(), missed);
        assert!(frames.iter().all(|f| f.event == "content.imported"));
        assert_eq!(frames[0].data["foreign_id"], "m2");

        // `?after=` resumes the same way.
        let res = app.native(Method::GET, &format!("/v1/events?after={last_seen}"), &app.company).send().await.unwrap();
        let frames = SseClient::new(res).take(3).await;
        assert_eq!(frames.iter().map(|f| f.id).collect::<Vec<_>>(), missed);
    }

    async fn a_company_streams_only_its_own_events(app: &TestApp) {
        let other = app.create_company("Other Corp", "owner@other.example").await;
        let mut theirs = open(app, &other, Some(0)).await;
        app.create_source(&app.company, full_capabilities()).await;
        let their_source = app.create_source(&other, full_capabilities()).await;
        // Their stream starts at their own log's beginning and never shows ours.
        loop {
            let f = theirs.next().await;
            assert_ne!(f.data["id"], app.company.id.as_str());
            if f.event == "source.created" {
                assert_eq!(f.data["id"], their_source.id.as_str());
                break;
            }
        }
        let res = app.request(Method::GET, "/v1/events").send().await.unwrap();
        assert_problem(res, 401, "credentials").await;
        let res = app.native(Method::GET, "/v1/events", &other).header("Last-Event-ID", "yesterday").send().await.unwrap();
        assert_problem(res, 400, "seq").await;
    }

    async fn an_open_stream_does_not_hold_the_server_up_at_shutdown(app: &TestApp) {
        let mut stream = open(app, &app.company, Some(0)).await;
        stream.next().await;
        // Kept open past the end of the test: stopping the server (which fails after a minute)
        // must end it rather than wait for the client.
        tokio::spawn(async move {
            let _open = stream;
            std::future::pending::<()>().await
        });
    }
}
