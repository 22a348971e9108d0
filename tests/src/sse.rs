//! A minimal Server-Sent Events reader over a streaming HTTP response.

use std::time::Duration;

use serde_json::Value;

/// An event of the stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub id: i64,
    pub event: String,
    pub data: Value,
}

pub struct SseClient {
    res: reqwest::Response,
    buffer: Vec<u8>,
    /// Comment lines seen (heartbeats).
    pub comments: usize,
}

impl SseClient {
    pub fn new(res: reqwest::Response) -> Self {
        Self { res, buffer: Vec::new(), comments: 0 }
    }

    /// The next event; fails the test if none comes within a generous bound.
    pub async fn next(&mut self) -> Frame {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|w| w == b"\n\n") {
                // Decoded per whole block: a character split across two chunks stays intact.
                let bytes: Vec<u8> = self.buffer.drain(..end + 2).collect();
                let block = String::from_utf8(bytes).expect("UTF-8 event block");
                let (mut id, mut event, mut data) = (None, String::new(), String::new());
                for line in block.lines() {
                    if line.starts_with(':') {
                        self.comments += 1;
                    } else if let Some((k, v)) = line.split_once(':') {
                        let v = v.strip_prefix(' ').unwrap_or(v);
                        match k {
                            "id" => id = v.parse().ok(),
                            "event" => event = v.to_owned(),
                            "data" => data.push_str(v),
                            _ => {}
                        }
                    }
                }
                if let Some(id) = id {
                    return Frame { id, event, data: serde_json::from_str(&data).expect("JSON data") };
                }
                continue;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(60), self.res.chunk())
                .await
                .expect("an event within a minute")
                .expect("the stream reads");
            let chunk = chunk.expect("the stream stays open");
            self.buffer.extend_from_slice(&chunk);
        }
    }

    /// The next `n` events.
    pub async fn take(&mut self, n: usize) -> Vec<Frame> {
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(self.next().await);
        }
        out
    }
}
