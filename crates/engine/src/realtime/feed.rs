//! A company's feed, and the router that wakes it.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use switchboard_domain::CompanyId;
use switchboard_domain::event::LoggedEvent;
use switchboard_store::{Committed, Store, events};
use tokio::sync::{Notify, broadcast};

use super::{BATCH, FeedStats, Feeds};

pub(super) struct Feed {
    pub(super) company: CompanyId,
    pub(super) events: broadcast::Sender<Arc<LoggedEvent>>,
    /// The seq broadcast up to. Stored before each send: a subscriber that loads it after
    /// subscribing to `events` is sure to receive every later event there.
    pub(super) published: AtomicI64,
    /// See [`Feeds::enrol`].
    pub(super) subscribers: AtomicUsize,
    wake: Notify,
    wakes: AtomicU64,
    reads: AtomicU64,
    pub(super) catch_up_reads: AtomicU64,
}

impl Feed {
    pub(super) fn new(company: CompanyId, head: i64, buffer: usize) -> Self {
        Self {
            company,
            events: broadcast::channel(buffer.max(1)).0,
            published: AtomicI64::new(head),
            subscribers: AtomicUsize::new(0),
            wake: Notify::new(),
            wakes: AtomicU64::new(0),
            reads: AtomicU64::new(0),
            catch_up_reads: AtomicU64::new(0),
        }
    }

    pub(super) fn wake(&self) {
        self.wakes.fetch_add(1, Ordering::Relaxed);
        self.wake.notify_one();
    }

    /// Wakes the feed for a commit up to `last_seq`, unless it has broadcast that far already
    /// (a notice handled late, or one of its own reads that ran ahead of it).
    pub(super) fn wake_if_behind(&self, last_seq: i64) {
        if last_seq > self.published.load(Ordering::SeqCst) {
            self.wake();
        }
    }

    /// Ends the task once its last subscriber has left.
    pub(super) fn stop(&self) {
        self.wake.notify_one();
    }

    pub(super) fn stats(&self) -> FeedStats {
        FeedStats {
            subscribers: self.subscribers.load(Ordering::Relaxed),
            published: self.published.load(Ordering::Relaxed),
            wakes: self.wakes.load(Ordering::Relaxed),
            feed_reads: self.reads.load(Ordering::Relaxed),
            catch_up_reads: self.catch_up_reads.load(Ordering::Relaxed),
        }
    }
}

/// The feed's task: when woken (or every `idle_poll`), reads the log after what it has
/// broadcast and broadcasts it. A failed read is retried at the next wake or poll, so that a
/// database outage stalls the company's streams rather than making all of their clients
/// reconnect at once.
pub(super) async fn run(feed: Arc<Feed>, store: Store, feeds: Arc<Feeds>, idle_poll: Duration) {
    let _running = Running(feeds);
    let mut cursor = feed.published.load(Ordering::SeqCst);
    loop {
        let _ = tokio::time::timeout(idle_poll, feed.wake.notified()).await;
        if feed.subscribers.load(Ordering::Relaxed) == 0 {
            return;
        }
        loop {
            feed.reads.fetch_add(1, Ordering::Relaxed);
            let batch = match store.reader().await {
                Ok(mut r) => events::read_after(&mut r, &feed.company, cursor, BATCH).await,
                Err(e) => Err(e),
            };
            let batch = match batch {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(error = %e, "a realtime feed cannot read the event log; it will retry");
                    break;
                }
            };
            let full = batch.len() as i64 == BATCH;
            for event in batch {
                cursor = event.seq;
                feed.published.store(cursor, Ordering::SeqCst);
                // Nobody listening is no error: the subscribers may all be catching up.
                let _ = feed.events.send(Arc::new(event));
            }
            if !full {
                break;
            }
        }
    }
}

/// Counts a running feed task, until it exits.
struct Running(Arc<Feeds>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The router: hands this node's commit notices (`local`) and other nodes' (`remote`) to the
/// feed of the company named, until the engine is gone.
pub(super) async fn route(
    feeds: Arc<Feeds>,
    mut local: broadcast::Receiver<Committed>,
    mut remote: broadcast::Receiver<Committed>,
) {
    loop {
        let notice = tokio::select! {
            r = local.recv() => r,
            r = remote.recv() => r,
        };
        if feeds.route(notice).is_break() {
            return;
        }
    }
}

impl Feeds {
    /// Wakes the feed a notice is for, if any. A receiver that lagged missed notices of unknown
    /// companies, so every feed reads.
    fn route(&self, notice: Result<Committed, broadcast::error::RecvError>) -> ControlFlow<()> {
        match notice {
            Ok(c) => {
                if let Some(feed) = self.lock().get(&c.company_id) {
                    feed.wake_if_behind(c.last_seq);
                }
            }
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::debug!(missed, "commit notices were missed; every feed reads");
                self.lock().values().for_each(|feed| feed.wake());
            }
            Err(broadcast::error::RecvError::Closed) => return ControlFlow::Break(()),
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    fn feeds(companies: &[(&CompanyId, i64)]) -> Feeds {
        let by_company =
            companies.iter().map(|(c, head)| ((*c).clone(), Arc::new(Feed::new((*c).clone(), *head, 4)))).collect();
        Feeds { by_company: Mutex::new(by_company), running: AtomicUsize::new(0) }
    }

    fn wakes(feeds: &Feeds, company: &CompanyId) -> u64 {
        feeds.lock()[company].stats().wakes
    }

    #[test]
    fn a_notice_wakes_only_the_feed_of_its_company_and_only_when_it_is_behind() {
        let (a, b, other) = (CompanyId::new(), CompanyId::new(), CompanyId::new());
        let feeds = feeds(&[(&a, 10), (&b, 10)]);
        let notice = |company: &CompanyId, last_seq| Ok(Committed { company_id: company.clone(), last_seq });

        assert!(feeds.route(notice(&b, 11)).is_continue());
        assert_eq!((wakes(&feeds, &a), wakes(&feeds, &b)), (0, 1));
        assert!(feeds.route(notice(&a, 10)).is_continue(), "already broadcast");
        assert!(feeds.route(notice(&other, 99)).is_continue(), "no feed here");
        assert_eq!((wakes(&feeds, &a), wakes(&feeds, &b)), (0, 1));
    }

    #[test]
    fn missed_notices_wake_every_feed_and_a_closed_channel_ends_the_router() {
        let (a, b) = (CompanyId::new(), CompanyId::new());
        let feeds = feeds(&[(&a, 10), (&b, 3)]);

        assert!(feeds.route(Err(broadcast::error::RecvError::Lagged(7))).is_continue());
        assert_eq!((wakes(&feeds, &a), wakes(&feeds, &b)), (1, 1));
        assert!(feeds.route(Err(broadcast::error::RecvError::Closed)).is_break());
    }
}
