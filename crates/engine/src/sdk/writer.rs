//! Group commit for pushed items. Each Send API call must be committed before it is answered;
//! committing each alone would make throughput one fsync per message. Calls are queued to a
//! writer that applies everything waiting into one transaction (a savepoint per call, so a bad
//! call undoes only itself), commits once, and only then answers every caller.

use std::sync::Arc;

use switchboard_domain::source::Source;
use switchboard_domain::{Error, Result};
use switchboard_store::Store;
use tokio::sync::{mpsc, oneshot};

use super::ingest::{self, Origin, Outcome};
use super::objects::Command;

/// Most calls applied in one transaction.
const MAX_BATCH: usize = 256;
/// Calls waiting beyond this make callers wait for room (backpressure).
const QUEUE: usize = 4096;

struct Request {
    source: Arc<Source>,
    command: Command,
    reply: oneshot::Sender<Result<Outcome>>,
}

#[derive(Clone)]
pub(crate) struct IngestQueue {
    tx: mpsc::Sender<Request>,
}

impl IngestQueue {
    /// Starts the writer task; it stops when every handle is dropped, after the queue drains.
    pub(crate) fn start(store: Store) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(store, rx));
        Self { tx }
    }

    /// Applies `command` and returns once it is committed (or refused).
    pub(crate) async fn submit(&self, source: Arc<Source>, command: Command) -> Result<Outcome> {
        let (reply, answer) = oneshot::channel();
        self.tx.send(Request { source, command, reply }).await.map_err(|_| Error::Unavailable("the ingest writer has stopped".into()))?;
        answer.await.map_err(|_| Error::Unavailable("the ingest writer stopped before answering".into()))?
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<Request>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let answers = apply_batch(&store, std::mem::take(&mut batch)).await;
        for (reply, answer) in answers {
            let _ = reply.send(answer);
        }
    }
}

type Answer = (oneshot::Sender<Result<Outcome>>, Result<Outcome>);

async fn apply_batch(store: &Store, batch: Vec<Request>) -> Vec<Answer> {
    let mut tx = match store.begin().await {
        Ok(tx) => tx,
        Err(e) => return batch.into_iter().map(|r| (r.reply, Err(e.clone()))).collect(),
    };
    let mut answers = Vec::with_capacity(batch.len());
    for r in batch {
        let result: Result<Result<Outcome>> = async {
            let sp = tx.savepoint().await?;
            match ingest::apply(&mut tx, &r.source, r.command, Origin::SendApi).await {
                Ok(outcome) => {
                    tx.release(sp).await?;
                    Ok(Ok(outcome))
                }
                Err(e) => {
                    tx.rollback_to(sp).await?;
                    Ok(Err(e))
                }
            }
        }
        .await;
        match result {
            Ok(answer) => answers.push((r.reply, answer)),
            // The transaction itself failed: nothing of this batch will be committed.
            Err(e) => {
                answers.push((r.reply, Err(e.clone())));
                return fail_all(answers, e);
            }
        }
    }
    match tx.commit().await {
        Ok(()) => answers,
        Err(e) => fail_all(answers, e),
    }
}

/// Nothing was committed: every call of the batch fails, whatever it would have answered.
fn fail_all(answers: Vec<Answer>, e: Error) -> Vec<Answer> {
    answers.into_iter().map(|(reply, _)| (reply, Err(e.clone()))).collect()
}
