//! The realtime hub: a subscriber follows one company's event log from a seq and gets exactly
//! the log, in order, with nothing missed or repeated across reconnections.
//!
//! Hundreds of long-lived subscribers per node must not each query the log at every commit of
//! every company. So per node, each company with subscribers has one feed: a task that reads the
//! company's new events when a commit of that company is noticed, and broadcasts each event once,
//! in memory, to the company's subscribers. One router per node hands each commit notice to the
//! feed of the company it names. A subscriber reads the log itself only to catch up: when it
//! resumes from an older seq, or when it has fallen further behind than the broadcast holds.

mod feed;
mod subscription;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use switchboard_domain::{CompanyId, Result};
use switchboard_store::{Committed, Store, events};
use tokio::sync::broadcast::{self, error::TryRecvError};
use tracing::Instrument;

use crate::Engine;
use feed::Feed;
pub use subscription::Subscription;

/// Events read per query.
const BATCH: i64 = 200;

#[derive(Debug, Clone)]
pub struct RealtimeOptions {
    /// Events a feed keeps for its slowest subscriber; one further behind reads the gap from the
    /// log.
    pub buffer: usize,
    /// How often a feed looks at the log without being woken, in case a notice was lost (a
    /// NOTIFY during a reconnection of the listener).
    pub idle_poll: Duration,
}

impl Default for RealtimeOptions {
    fn default() -> Self {
        Self { buffer: 1024, idle_poll: Duration::from_secs(5) }
    }
}

/// What the hub of this node is doing, for tests and operators.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RealtimeStats {
    /// Feed tasks running; a feed whose last subscriber left counts until its task has exited.
    pub feeds: usize,
    /// Each company that has subscribers on this node.
    pub companies: HashMap<CompanyId, FeedStats>,
}

/// One company's feed, counted since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedStats {
    pub subscribers: usize,
    /// The seq the feed has broadcast up to.
    pub published: i64,
    /// Commit notices (or lost ones) that woke the feed.
    pub wakes: u64,
    /// Log reads by the feed.
    pub feed_reads: u64,
    /// Log reads by its subscribers, catching up.
    pub catch_up_reads: u64,
}

/// This node's feeds. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Hub {
    feeds: Arc<Feeds>,
    options: RealtimeOptions,
}

impl Hub {
    /// Starts the router, which wakes a feed on the commits of its company, made here (`local`)
    /// or by other nodes (`remote`).
    pub(crate) fn start(
        local: broadcast::Receiver<Committed>,
        remote: broadcast::Receiver<Committed>,
        options: RealtimeOptions,
    ) -> Self {
        let feeds = Arc::new(Feeds { by_company: Mutex::default(), running: AtomicUsize::new(0) });
        tokio::spawn(feed::route(feeds.clone(), local, remote).instrument(tracing::info_span!("realtime_router")));
        Self { feeds, options }
    }
}

type ByCompany = HashMap<CompanyId, Arc<Feed>>;

/// The feeds by company, and how many feed tasks run.
struct Feeds {
    by_company: Mutex<ByCompany>,
    running: AtomicUsize,
}

impl Feeds {
    fn lock(&self) -> MutexGuard<'_, ByCompany> {
        // The map is consistent after any panic of a holder: no holder leaves it half changed.
        self.by_company.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Joins the company's feed if it has one.
    fn join(self: &Arc<Self>, company: &CompanyId) -> Option<Membership> {
        let by_company = self.lock();
        let feed = by_company.get(company)?.clone();
        Some(self.enrol(&by_company, feed))
    }

    /// Joins the company's feed, starting it at `head` (its log's newest seq) if it has none.
    fn join_or_start(
        self: &Arc<Self>,
        company: &CompanyId,
        head: i64,
        store: &Store,
        options: &RealtimeOptions,
    ) -> Membership {
        let mut by_company = self.lock();
        if let Some(feed) = by_company.get(company) {
            return self.enrol(&by_company, feed.clone());
        }
        let feed = Arc::new(Feed::new(company.clone(), head, options.buffer));
        by_company.insert(company.clone(), feed.clone());
        let membership = self.enrol(&by_company, feed.clone());
        self.running.fetch_add(1, Ordering::Relaxed);
        let span = tracing::info_span!("realtime_feed", company = %company);
        tokio::spawn(feed::run(feed, store.clone(), self.clone(), options.idle_poll).instrument(span));
        membership
    }

    /// Counts one more subscriber. The count changes only under the map's lock, so that it
    /// reaches zero exactly once, as the feed leaves the map: a subscriber joining at that
    /// moment finds no feed and starts a new one rather than joining one that is ending.
    fn enrol(self: &Arc<Self>, _locked: &MutexGuard<'_, ByCompany>, feed: Arc<Feed>) -> Membership {
        feed.subscribers.fetch_add(1, Ordering::Relaxed);
        Membership { feeds: self.clone(), feed }
    }

    fn leave(&self, feed: &Feed) {
        let mut by_company = self.lock();
        if feed.subscribers.fetch_sub(1, Ordering::Relaxed) == 1 {
            by_company.remove(&feed.company);
            feed.stop();
        }
    }
}

/// A subscriber's place in its company's feed; the feed ends when the last one is dropped.
pub(crate) struct Membership {
    feeds: Arc<Feeds>,
    feed: Arc<Feed>,
}

impl Drop for Membership {
    fn drop(&mut self) {
        self.feeds.leave(&self.feed);
    }
}

impl Engine {
    /// The company's events after `after`, as they are committed; from the log's head as it is
    /// now when `None`. The stream ends when the server shuts down, or when the log cannot be
    /// read while the subscriber catches up (a client then resumes from its last seq); a feed
    /// that cannot read the log tries again, and its streams wait. Dropping it unsubscribes.
    #[tracing::instrument(skip_all, fields(company = %company, ?after))]
    pub async fn follow_events(&self, company: &CompanyId, after: Option<i64>) -> Result<Subscription> {
        let after = match after {
            Some(seq) => seq,
            None => events::last_seq(&mut self.store.reader().await?, company).await?,
        };
        let membership = match self.realtime.feeds.join(company) {
            Some(m) => m,
            None => self.start_feed(company).await?,
        };
        Ok(Subscription::new(self.store.clone(), membership, after, self.closing.subscribe()))
    }

    /// Joins a new feed of the company, or one another subscriber started meanwhile.
    async fn start_feed(&self, company: &CompanyId) -> Result<Membership> {
        // The router drops notices of a company without a feed, so the ones sent while the head
        // is read are kept here, to wake the feed if they are newer than its head.
        let mut notices = [self.store.subscribe_committed(), self.wakeups()];
        let head = events::last_seq(&mut self.store.reader().await?, company).await?;
        let membership = self.realtime.feeds.join_or_start(company, head, &self.store, &self.realtime.options);
        for rx in &mut notices {
            loop {
                match rx.try_recv() {
                    Ok(notice) if notice.company_id == *company => membership.feed.wake_if_behind(notice.last_seq),
                    Ok(_) => {}
                    Err(TryRecvError::Lagged(_)) => membership.feed.wake(),
                    Err(TryRecvError::Empty | TryRecvError::Closed) => break,
                }
            }
        }
        Ok(membership)
    }

    /// The feeds and subscribers of this node, with their counters.
    pub fn realtime_stats(&self) -> RealtimeStats {
        let by_company = self.realtime.feeds.lock();
        RealtimeStats {
            feeds: self.realtime.feeds.running.load(Ordering::Relaxed),
            companies: by_company.iter().map(|(company, feed)| (company.clone(), feed.stats())).collect(),
        }
    }
}
