//! Group commit for pushed items. Each Send API call must be committed before it is answered;
//! committing each alone would make throughput one fsync per message. Calls are queued to a
//! writer that applies everything waiting in one transaction, commits once, and only then
//! answers every caller.
//!
//! A refused call writes nothing (see `ingest`), so it only gets its refusal. A storage failure
//! may leave the transaction half-written: the batch is then abandoned and tried again whole in
//! a new transaction (PostgreSQL may abort one of two concurrent writers to break a deadlock).
//! When the database refuses a value instead ([`Error::Unstorable`]: NUL in text, an index row
//! too big), trying again cannot help, and the batch holds other companies' calls: it is split
//! in halves, applied in order, until the call whose value is refused is alone and refused by
//! itself. One such call among `n` costs about `log2(n)` more commits and as many rolled-back
//! transactions, not `n` commits, so a connector that keeps sending one cannot slow the others
//! much, while a failure of the storage itself is still answered to every call (to retry).
//!
//! While calls keep coming, a writer keeps its database connection from one batch to the next,
//! for at most [`HOLD`], so that it does not wait on the pool between batches; other writers
//! get the connection as soon as the queue is empty or the hold ends.

use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard_domain::event::Origin;
use switchboard_domain::source::Source;
use switchboard_domain::{Error, Result};
use switchboard_store::{Backend, HeldWriter, Store};
use tokio::sync::{Mutex, mpsc, oneshot};

use super::ingest::{Batch, Outcome};
use super::objects::Command;

/// Most calls applied in one transaction.
const MAX_BATCH: usize = 256;
/// Calls waiting beyond this make callers wait for room (backpressure).
const QUEUE: usize = 4096;
/// Tries of a batch whose transaction failed.
const TRIES: usize = 3;
/// Concurrent writers on PostgreSQL, which runs transactions in parallel; SQLite has one.
const POSTGRES_WRITERS: usize = 2;
/// Longest a writer keeps its connection across batches.
const HOLD: Duration = Duration::from_millis(20);

/// A call to apply.
struct Call {
    source: Arc<Source>,
    command: Command,
}

struct Request {
    call: Call,
    reply: oneshot::Sender<Result<Outcome>>,
}

#[derive(Clone)]
pub(crate) struct IngestQueue {
    tx: mpsc::Sender<Request>,
}

impl IngestQueue {
    /// Starts the writer tasks; they stop when every handle is dropped, after the queue drains.
    pub(crate) fn start(store: Store) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        let rx = Arc::new(Mutex::new(rx));
        let writers = match store.backend() {
            Backend::Sqlite => 1,
            Backend::Postgres => POSTGRES_WRITERS,
        };
        for _ in 0..writers {
            tokio::spawn(run(store.clone(), rx.clone()));
        }
        Self { tx }
    }

    /// Applies `command` and returns once it is committed (or refused).
    pub(crate) async fn submit(&self, source: Arc<Source>, command: Command) -> Result<Outcome> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Request { call: Call { source, command }, reply })
            .await
            .map_err(|_| Error::Unavailable("the ingest writer has stopped".into()))?;
        answer.await.map_err(|_| Error::Unavailable("the ingest writer stopped before answering".into()))?
    }
}

async fn run(store: Store, rx: Arc<Mutex<mpsc::Receiver<Request>>>) {
    let mut held: Option<(HeldWriter, Instant)> = None;
    loop {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        if rx.lock().await.recv_many(&mut batch, MAX_BATCH).await == 0 {
            return;
        }
        let (calls, replies): (Vec<Call>, Vec<_>) = batch.into_iter().map(|r| (r.call, r.reply)).unzip();
        let answers = apply_isolating(&store, &mut held, &calls).await;
        for (reply, answer) in replies.into_iter().zip(answers) {
            let _ = reply.send(answer);
        }
        // Keep the connection only for more work already waiting. Never wait for the queue
        // while holding it: another writer may be waiting on the queue for new calls, and the
        // connection would be held until one came (blocking, among others, shutdown).
        let more_waiting = rx.try_lock().is_ok_and(|rx| !rx.is_empty());
        if !more_waiting || held.as_ref().is_some_and(|(_, since)| since.elapsed() >= HOLD) {
            held = None;
        }
    }
}

/// Applies `calls` in order and answers each: together in one transaction, or, when the
/// database refuses a value, in halves until the call it belongs to is alone (see the module's
/// documentation).
async fn apply_isolating(
    store: &Store,
    held: &mut Option<(HeldWriter, Instant)>,
    calls: &[Call],
) -> Vec<Result<Outcome>> {
    let mut answers = Vec::with_capacity(calls.len());
    // The parts still to apply, the next one on top, so that calls are applied in their order
    // and a call sees what the calls before it committed.
    let mut parts = vec![calls];
    while let Some(part) = parts.pop() {
        match apply_with_retries(store, held, part).await {
            Ok(done) => answers.extend(done),
            // A conflict that outlived the retries may be one call's too: no call fails another.
            Err(Error::Unstorable(_) | Error::Conflict(_)) if part.len() > 1 => {
                let (first, second) = part.split_at(part.len() / 2);
                parts.extend([second, first]);
            }
            Err(e) => answers.extend(part.iter().map(|_| Err(e.clone()))),
        }
    }
    answers
}

/// Applies `calls` in one transaction, tried again on a failure of the storage; a value the
/// database refuses fails at once, as it would again.
async fn apply_with_retries(
    store: &Store,
    held: &mut Option<(HeldWriter, Instant)>,
    calls: &[Call],
) -> Result<Vec<Result<Outcome>>> {
    let mut attempt = 1;
    loop {
        let result = match held {
            Some((writer, _)) => apply_batch(writer, calls).await,
            None => match store.hold_writer().await {
                Ok(writer) => apply_batch(&mut held.insert((writer, Instant::now())).0, calls).await,
                Err(e) => Err(e),
            },
        };
        match result {
            Ok(answers) => return Ok(answers),
            Err(e @ Error::Unstorable(_)) => return Err(e),
            Err(e) => {
                tracing::warn!(error = %e, attempt, size = calls.len(), "ingest batch failed");
                // The connection may be what failed: take a fresh one for the next try.
                *held = None;
                if attempt == TRIES {
                    return Err(e);
                }
                attempt += 1;
            }
        }
    }
}

/// Whether `e` says something about the call alone (nothing was written), rather than about
/// the transaction.
pub(crate) fn refuses_only_the_call(e: &Error) -> bool {
    matches!(
        e,
        Error::Invalid { .. }
            | Error::RateLimited(_)
            | Error::NotFound(_)
            | Error::Forbidden(_)
            | Error::Unauthenticated
    )
}

async fn apply_batch(writer: &mut HeldWriter, calls: &[Call]) -> Result<Vec<Result<Outcome>>> {
    let mut tx = writer.begin().await?;
    let commands: Vec<(&Source, &Command)> = calls.iter().map(|c| (c.source.as_ref(), &c.command)).collect();
    let mut session = Batch::begin(&mut tx, &commands).await?;
    let mut answers = Vec::with_capacity(calls.len());
    for c in calls {
        match session.apply(&c.source, c.command.clone(), Origin::SendApi).await {
            Err(e) if !refuses_only_the_call(&e) => return Err(e),
            answer => answers.push(answer),
        }
    }
    session.finish().await?;
    tx.commit().await?;
    Ok(answers)
}

#[cfg(test)]
mod tests;
