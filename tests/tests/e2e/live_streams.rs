//! Live event streams are never silently dropped: a socket.io client that stops taking events is
//! told where its stream stopped and disconnected, and resumes from there with every event once;
//! an SSE stream that falls behind its company's feed catches up from the log; and sockets that
//! leave leave nothing behind.

use std::time::Duration;

use switchboard_engine::realtime::RealtimeStats;
use switchboard_tests::socketio::{Packet, SocketIoClient, events};
use switchboard_tests::sse::SseClient;
use switchboard_tests::{full_capabilities, message};

use super::*;

/// Waits for the realtime hub to reach a state; fails the test if it never does.
async fn until(app: &TestApp, what: &str, reached: impl Fn(&RealtimeStats) -> bool) {
    let wait = async {
        while !reached(&app.engine.realtime_stats()) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(60), wait).await.unwrap_or_else(|_| panic!("never reached: {what}"));
}

async fn head(app: &TestApp) -> i64 {
    app.events(&app.company).await.last().map_or(0, |e| e.seq)
}

fn seqs(events: &[(String, Value)]) -> Vec<i64> {
    events.iter().map(|(_, data)| data["seq"].as_i64().expect("a seq")).collect()
}

/// Connects, and takes the namespace's acceptance and `authenticated`; events that came with
/// them stay for the next take.
async fn authenticated(app: &TestApp, auth: Value) -> (SocketIoClient, Value) {
    let socket = SocketIoClient::connect(&app.url(""), &auth).await;
    assert_eq!(socket.next().await, Packet::Connected);
    match socket.next().await {
        Packet::Event(name, data) if name == "authenticated" => (socket, data),
        other => panic!("expected authenticated, got {other:?}"),
    }
}

e2e! {
    @with |c| { c.realtime.socket_buffer = 4; c.realtime.socket_stall_timeout_ms = 200; };

    async fn a_socket_that_stops_taking_events_is_told_where_it_stopped_disconnected_and_resumes_with_every_event_once(app: &TestApp) {
        let (socket, greeting) = authenticated(app, json!({"token": app.company.key})).await;
        let start = greeting["last_seq"].as_i64().expect("authenticated tells the seq the stream starts after");
        assert_eq!(start, head(app).await);

        // The client stops polling while more events come than its send buffer holds.
        for i in 0..12 {
            app.add_user(&app.company, &format!("U{i}"), &format!("u{i}@example.com")).await;
        }
        until(app, "the stalled socket's stream has left the company's feed", |s| s.companies.is_empty()).await;

        // What was queued for it, then why it stopped and where, then the disconnection.
        let queued = events(&socket.until_disconnected().await);
        let ((notice_name, notice), given) = queued.split_last().expect("a notice");
        assert_eq!(notice_name, "stream_ended");
        assert_eq!(notice["reason"], "too_slow");
        let stopped_at = notice["last_seq"].as_i64().unwrap();
        assert!(given.len() < 12, "the socket fell behind: {given:?}");
        assert_eq!(seqs(given), (start + 1..=stopped_at).collect::<Vec<_>>(), "no gap before the notice");

        // Resuming after the seq it was given brings the rest, each once, in order. A client this
        // slow may be stopped again on the way (the buffer holds four events); it resumes again.
        let end = head(app).await;
        let mut at = stopped_at;
        while at < end {
            let (again, greeting) = authenticated(app, json!({"token": app.company.key, "last_seq": at})).await;
            assert_eq!(greeting["last_seq"], at);
            for (name, data) in events(&again.take_events((end - at) as usize).await) {
                if name == "stream_ended" {
                    assert_eq!(data["last_seq"], at, "stopped after the last event given");
                    continue;
                }
                assert_eq!(name, "user.created");
                assert_eq!(data["seq"], at + 1, "each event once, in order");
                at += 1;
            }
            again.close().await;
        }
    }

    async fn sockets_that_leave_leave_no_subscriber_or_feed_behind(app: &TestApp) {
        let company = switchboard_domain::CompanyId::parse(&app.company.id).unwrap();
        let mut sockets = Vec::new();
        for _ in 0..20 {
            sockets.push(authenticated(app, json!({"token": app.company.key})).await.0);
        }
        until(app, "twenty subscribers", |s| s.companies.get(&company).is_some_and(|f| f.subscribers == 20)).await;
        for socket in sockets {
            socket.close().await;
        }
        until(app, "no feed and no subscriber", |s| s.feeds == 0 && s.companies.is_empty()).await;
    }
}

e2e! {
    @with |c| c.realtime.feed_buffer = 1;

    async fn an_event_stream_behind_its_feeds_buffer_catches_up_from_the_log_with_every_event_once(app: &TestApp) {
        let source = app.create_source(&app.company, full_capabilities()).await;
        let from = head(app).await;
        let res = app.native(Method::GET, "/v1/events", &app.company).header("Last-Event-ID", from.to_string()).send().await.unwrap();
        let mut stream = SseClient::new(res);
        // Each first message of a thread commits three events at once, more than the feed keeps.
        for i in 0..5 {
            let (status, _) = app.push(&source, "messages.create", message(&format!("m{i}"), &format!("t{i}"), "hi")).await;
            assert_eq!(status, 200);
        }
        let end = head(app).await;
        let frames = stream.take((end - from) as usize).await;
        assert_eq!(frames.iter().map(|f| f.id).collect::<Vec<_>>(), (from + 1..=end).collect::<Vec<_>>());
    }
}
