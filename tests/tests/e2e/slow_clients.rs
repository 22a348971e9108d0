//! Clients that send slowly, or hold connections, cannot hold the server's sockets: a request
//! head or body that does not arrive in time is cut off, connections over the cap are refused,
//! and each is counted in `/metrics`.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::*;

/// Reads what the server sends until it closes the connection; fails the test if it never does.
async fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut received)).await;
    let read = read.expect("the server closes the connection");
    // A reset counts as closed as well as an orderly end.
    if let Err(e) = read {
        assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}");
    }
    String::from_utf8_lossy(&received).into_owned()
}

/// `/metrics`, over a connection of its own (an idle pooled one may be closing).
async fn metrics(app: &TestApp) -> String {
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let res = client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

fn sample(metrics: &str, series: &str) -> u64 {
    let line = metrics.lines().find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '));
    let line = line.unwrap_or_else(|| panic!("no {series} in\n{metrics}"));
    line[series.len()..].trim().parse().unwrap()
}

const HEADER_TIMEOUTS: &str = "http_request_timeouts_total{phase=\"headers\"}";
const BODY_TIMEOUTS: &str = "http_request_timeouts_total{phase=\"body\"}";

e2e! {
    @with |c| { c.http.header_read_timeout_ms = 200; c.http.body_read_timeout_ms = 300; };

    async fn a_client_that_stops_sending_its_headers_or_sends_nothing_is_cut_off_and_counted(app: &TestApp) {
        let mut partial = TcpStream::connect(app.addr).await.unwrap();
        partial.write_all(b"GET /healthz HTTP/1.1\r\nHost: switchboard\r\nX-Slow: ").await.unwrap();
        let mut silent = TcpStream::connect(app.addr).await.unwrap();

        assert_eq!(read_until_closed(&mut partial).await, "", "closed without an answer");
        assert_eq!(read_until_closed(&mut silent).await, "");
        assert_eq!(sample(&metrics(app).await, HEADER_TIMEOUTS), 2);
    }

    async fn a_body_that_stops_arriving_is_answered_408_changes_nothing_and_is_counted(app: &TestApp) {
        let mut slow = TcpStream::connect(app.addr).await.unwrap();
        let head = format!(
            "POST /v1/sources HTTP/1.1\r\nHost: switchboard\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nContent-Length: 100\r\n\r\n",
            app.company.key
        );
        slow.write_all(head.as_bytes()).await.unwrap();
        slow.write_all(br#"{"name": "Never finished", "kind": "sdk""#).await.unwrap();

        let answer = read_until_closed(&mut slow).await;
        assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
        assert!(answer.contains("application/problem+json"), "{answer}");
        assert!(answer.contains("did not arrive in time"), "{answer}");
        assert_eq!(sample(&metrics(app).await, BODY_TIMEOUTS), 1);
        let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
        let sources: Value = client.get(app.url("/v1/sources")).bearer_auth(&app.company.key).send().await.unwrap().json().await.unwrap();
        assert_eq!(sources, json!([]), "nothing was created");
    }
}

e2e! {
    @with |c| { c.http.header_read_timeout_ms = 250; c.http.body_read_timeout_ms = 30_000; };

    async fn a_body_sent_slowly_but_within_its_deadline_is_served(app: &TestApp) {
        // The body comes in pieces over longer than the header time-out, which does not apply
        // to it, and within the body time-out.
        let body = br#"{"name": "Slow but steady", "kind": "sdk"}"#;
        let mut stream = TcpStream::connect(app.addr).await.unwrap();
        let head = format!(
            "POST /v1/sources HTTP/1.1\r\nHost: switchboard\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            app.company.key,
            body.len()
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        for piece in body.chunks(body.len() / 3 + 1) {
            tokio::time::sleep(Duration::from_millis(150)).await;
            stream.write_all(piece).await.unwrap();
        }
        let answer = read_until_closed(&mut stream).await;
        assert!(answer.starts_with("HTTP/1.1 201 "), "{answer}");
        assert!(answer.contains("Slow but steady"), "{answer}");
        assert_eq!(sample(&metrics(app).await, BODY_TIMEOUTS), 0);
    }
}

e2e! {
    @with |c| c.http.max_connections = 2;

    async fn connections_over_the_cap_are_answered_503_closed_and_counted(app: &TestApp) {
        // Two connections hold the two places, their requests not finished yet.
        let mut first = TcpStream::connect(app.addr).await.unwrap();
        first.write_all(b"GET /metrics HTTP/1.1\r\nHost: switchboard\r\n").await.unwrap();
        let mut second = TcpStream::connect(app.addr).await.unwrap();
        second.write_all(b"GET /healthz HTTP/1.1\r\nHost: switchboard\r\n").await.unwrap();

        let mut third = TcpStream::connect(app.addr).await.unwrap();
        let refused = read_until_closed(&mut third).await;
        assert!(refused.starts_with("HTTP/1.1 503 "), "{refused}");
        assert!(refused.contains("too many connections"), "{refused}");

        first.write_all(b"Connection: close\r\n\r\n").await.unwrap();
        let answer = read_until_closed(&mut first).await;
        assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
        assert_eq!(sample(&answer, "http_connections_refused_total"), 1);
        assert_eq!(sample(&answer, "http_connections_open"), 2);
        assert_eq!(sample(&answer, "http_connections_accepted_total"), 2);
        second.write_all(b"\r\n").await.unwrap();
    }
}

e2e! {
    @with |c| c.http.write_stall_timeout_ms = 200;

    async fn a_client_that_stops_reading_is_disconnected_and_counted(app: &TestApp) {
        // A small receive buffer, never read: the answers (1.5 MB each, twenty asked for at
        // once) fill it and the server's send buffer, and the server's writes wait.
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(16 * 1024).unwrap();
        let mut stalled = socket.connect(app.addr).await.unwrap();
        let asked = "GET /docs/swagger-ui-bundle.js HTTP/1.1\r\nHost: switchboard\r\n\r\n".repeat(20);
        stalled.write_all(asked.as_bytes()).await.unwrap();

        let counted = async {
            while sample(&metrics(app).await, "http_write_stalls_total") == 0 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(60), counted).await.expect("the stalled connection is counted");
        let received = read_until_closed(&mut stalled).await;
        assert!(received.starts_with("HTTP/1.1 200 "), "{}", &received[..received.len().min(200)]);
        assert!(received.matches("HTTP/1.1 200 ").count() < 20, "closed before every answer was sent");
        assert_eq!(sample(&metrics(app).await, "http_write_stalls_total"), 1);
    }
}
