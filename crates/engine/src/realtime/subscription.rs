//! One subscriber's stream: the feed's broadcast, with the gaps read from the log.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use switchboard_domain::Result;
use switchboard_domain::event::LoggedEvent;
use switchboard_store::{Store, events};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch};

use super::{BATCH, Membership};

/// A company's events from a seq on: see [`crate::Engine::follow_events`].
pub struct Subscription {
    store: Store,
    membership: Membership,
    live: broadcast::Receiver<Arc<LoggedEvent>>,
    closing: watch::Receiver<bool>,
    /// The seq of the last event handed out.
    delivered: i64,
    /// The log is read up to here before live events are taken again.
    catch_up_to: i64,
    /// Events read from the log, not handed out yet.
    backlog: VecDeque<Arc<LoggedEvent>>,
}

impl Subscription {
    pub(super) fn new(store: Store, membership: Membership, after: i64, closing: watch::Receiver<bool>) -> Self {
        let live = membership.feed.events.subscribe();
        // Loaded after subscribing: every event after it comes through `live`, and the ones
        // from `after` up to it are in the log only.
        let published = membership.feed.published.load(Ordering::SeqCst);
        Self { store, membership, live, closing, delivered: after, catch_up_to: published, backlog: VecDeque::new() }
    }

    /// The seq of the last event handed out, or the one the stream started after: where a client
    /// that stops here resumes.
    pub fn last_seq(&self) -> i64 {
        self.delivered
    }

    /// The next event of the log, or `None` once the stream has ended: the server is shutting
    /// down, or the log cannot be read. Cancel-safe: dropping the future loses no event.
    pub async fn next(&mut self) -> Option<Arc<LoggedEvent>> {
        loop {
            if *self.closing.borrow() {
                return None;
            }
            if let Some(event) = self.backlog.pop_front() {
                self.delivered = event.seq;
                return Some(event);
            }
            if self.delivered < self.catch_up_to {
                if let Err(e) = self.catch_up().await {
                    tracing::warn!(error = %e, company = %self.membership.feed.company, "a realtime subscriber cannot read the event log");
                    return None;
                }
                continue;
            }
            let received = tokio::select! {
                r = self.live.recv() => r,
                _ = self.closing.wait_for(|closing| *closing) => return None,
            };
            match received {
                // Read from the log already.
                Ok(event) if event.seq <= self.delivered => {}
                Ok(event) if event.seq == self.delivered + 1 => {
                    self.delivered = event.seq;
                    return Some(event);
                }
                // The events before this one were dropped from the broadcast while this
                // subscriber lagged: read them, and this one, from the log.
                Ok(event) => self.catch_up_to = event.seq,
                // The next receive is the oldest event the broadcast still holds.
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return None,
            }
        }
    }

    /// Reads a batch of the log after the last event handed out.
    #[tracing::instrument(level = "debug", skip_all, fields(company = %self.membership.feed.company, after = self.delivered))]
    async fn catch_up(&mut self) -> Result<()> {
        let feed = &self.membership.feed;
        feed.catch_up_reads.fetch_add(1, Ordering::Relaxed);
        let batch = events::read_after(&mut self.store.reader().await?, &feed.company, self.delivered, BATCH).await?;
        if (batch.len() as i64) < BATCH {
            // The whole log after `delivered`: nothing further to read, live events follow it.
            self.catch_up_to = batch.last().map_or(self.delivered, |e| e.seq);
        }
        self.backlog.extend(batch.into_iter().map(Arc::new));
        Ok(())
    }
}
