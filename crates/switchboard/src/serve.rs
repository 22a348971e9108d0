//! The accept loop: HTTP/1.1 connections (and the websockets they upgrade to) under a cap, each
//! with a deadline for its request heads and bodies, and closed when the client stops taking
//! what is sent to it, so that clients sending or reading slowly cannot hold the server's
//! sockets; and a graceful shutdown that lets requests in flight finish.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use switchboard_api::ops::metrics::Metrics;
use switchboard_api::problem::Problem;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Sleep;

use crate::config::HttpConfig;

/// Serves `app` on `listener` until `shutdown` resolves; then stops accepting, lets the
/// requests in flight finish, and returns once every connection has closed.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &HttpConfig,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()>,
) {
    let header_read_timeout = Duration::from_millis(limits.header_read_timeout_ms.max(1));
    let write_stall = Duration::from_millis(limits.write_stall_timeout_ms.max(1));
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    // Each connection task holds a receiver: the sender sees them all gone once every
    // connection has finished.
    let (stopping, stop) = watch::channel(false);
    let mut shutdown = pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => (stream, peer),
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            refuse(&stream, &metrics);
            continue;
        };
        metrics.connections.accepted.fetch_add(1, Ordering::Relaxed);
        let io = Tracked::new(stream, slot, metrics.clone(), write_stall);
        let idle = io.idle.clone();
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_read_timeout)
            .serve_connection(TokioIo::new(io), TowerToHyperService::new(with_peer(app.clone(), peer)))
            .with_upgrades();
        let (metrics, mut stop) = (metrics.clone(), stop.clone());
        tokio::spawn(async move {
            let mut connection = pin!(connection);
            let stopping = async move {
                let _ = stop.wait_for(|stop| *stop).await;
            };
            let served = tokio::select! {
                served = connection.as_mut() => served,
                () = stopping => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = served
                && e.is_timeout()
            {
                let counter = if idle.load(Ordering::Relaxed) {
                    &metrics.connections.idle_closed
                } else {
                    &metrics.connections.header_timeouts
                };
                counter.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    drop(listener);
    drop(stop);
    stopping.send_replace(true);
    stopping.closed().await;
}

type Incoming = hyper::Request<hyper::body::Incoming>;

/// The app for one connection: its requests carry the client's address (`ConnectInfo`), which
/// the sign-ins of a client are counted by.
fn with_peer(app: Router, peer: SocketAddr) -> tower::util::MapRequest<Router, impl Fn(Incoming) -> Incoming + Clone> {
    tower::util::MapRequest::new(app, move |mut req: Incoming| {
        req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
        req
    })
}

/// The errors of `accept` that concern one connection are passed over; the others (out of file
/// descriptors, mostly) would repeat at once, so the loop waits before it accepts again.
async fn accept_failed(e: io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if !matches!(e.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset) {
        tracing::error!(error = %e, "cannot accept connections; retrying in a second");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Answers a connection over the cap 503 and closes it, without waiting for it: a client that
/// cannot take the answer at once is only closed.
fn refuse(stream: &TcpStream, metrics: &Metrics) {
    metrics.connections.refused.fetch_add(1, Ordering::Relaxed);
    let problem = Problem::new(StatusCode::SERVICE_UNAVAILABLE, "The server has too many connections open; try again.");
    let body = serde_json::to_string(&problem).unwrap_or_default();
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json\r\ncontent-length: {}\r\n\
         retry-after: 1\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.try_write(answer.as_bytes());
}

/// A connection's socket, which holds its place under the cap (given back when the socket is
/// dropped, after a websocket it was upgraded to is done too), tells whether the connection
/// sits between requests (its last answer written and nothing read since), and fails a write
/// that the client takes nothing of for `write_stall`: a client that stopped reading (an event
/// stream, a websocket, a large answer) would otherwise hold the connection for ever.
struct Tracked {
    stream: TcpStream,
    idle: Arc<AtomicBool>,
    metrics: Arc<Metrics>,
    write_stall: Duration,
    /// Running while a write waits for the client.
    stalled: Option<Pin<Box<Sleep>>>,
    _slot: OwnedSemaphorePermit,
}

impl Tracked {
    fn new(stream: TcpStream, slot: OwnedSemaphorePermit, metrics: Arc<Metrics>, write_stall: Duration) -> Self {
        Self { stream, idle: Arc::new(AtomicBool::new(false)), metrics, write_stall, stalled: None, _slot: slot }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.metrics.connections.closed.fetch_add(1, Ordering::Relaxed);
    }
}

impl AsyncRead for Tracked {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let read = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.idle.store(false, Ordering::Relaxed);
        }
        read
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.wrote(cx, written)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.wrote(cx, written)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

impl Tracked {
    fn wrote(&mut self, cx: &mut Context<'_>, written: Poll<io::Result<usize>>) -> Poll<io::Result<usize>> {
        if written.is_pending() {
            let limit = self.write_stall;
            let stalled = self.stalled.get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
            if stalled.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.stalled = None;
            self.metrics.connections.write_stalls.fetch_add(1, Ordering::Relaxed);
            return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "the client stopped taking what is sent")));
        }
        self.stalled = None;
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            self.idle.store(true, Ordering::Relaxed);
        }
        written
    }
}

/// Middleware: a request whose body has not arrived `limit` after its head is answered 408 and
/// its connection closed. Only reading the request is limited: answers may stream for as long
/// as they last (SSE, socket.io).
pub(crate) async fn body_deadline(
    State((limit, metrics)): State<(Duration, Arc<Metrics>)>,
    req: Request,
    next: Next,
) -> Response {
    if req.body().is_end_stream() {
        return next.run(req).await;
    }
    let expired = Arc::new(AtomicBool::new(false));
    let deadline = tokio::time::sleep(limit);
    let req = req.map(|body| Body::new(Deadline { body, deadline: Box::pin(deadline), expired: expired.clone() }));
    let response = next.run(req).await;
    if !expired.load(Ordering::Relaxed) {
        return response;
    }
    metrics.connections.body_timeouts.fetch_add(1, Ordering::Relaxed);
    let mut response =
        Problem::new(StatusCode::REQUEST_TIMEOUT, "The request body did not arrive in time.").into_response();
    // What is left of the body is not read: the connection cannot carry another request.
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// A request body that fails when its deadline passes while the client still owes bytes; what
/// has arrived by then is read whatever the time.
struct Deadline {
    body: Body,
    deadline: Pin<Box<Sleep>>,
    expired: Arc<AtomicBool>,
}

impl HttpBody for Deadline {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.body).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        if self.deadline.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        self.expired.store(true, Ordering::Relaxed);
        let timed_out = io::Error::new(io::ErrorKind::TimedOut, "the request body did not arrive in time");
        Poll::Ready(Some(Err(axum::Error::new(timed_out))))
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
