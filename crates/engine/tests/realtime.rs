//! The realtime hub: one log reader per company with subscribers, fanning out in memory, and
//! subscribers that read the log only to catch up. Every subscriber gets exactly the log.

use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use switchboard_domain::company::NewCompany;
use switchboard_domain::event::{Event, LoggedEvent, WebhookDisabled};
use switchboard_domain::{CompanyId, WebhookEndpointId};
use switchboard_engine::realtime::{FeedStats, RealtimeOptions, RealtimeStats, Subscription};
use switchboard_engine::{Engine, EngineOptions};
use switchboard_store::{Store, events, store_test};

/// Feeds that read only when a commit wakes them, so that their read counts are exact.
fn woken_only(buffer: usize) -> EngineOptions {
    EngineOptions { realtime: RealtimeOptions { buffer, idle_poll: Duration::from_secs(3600) }, ..Default::default() }
}

async fn company(engine: &Engine) -> CompanyId {
    let new = NewCompany { name: "Acme".into(), email: None, first_name: None, last_name: None };
    engine.create_company(new).await.unwrap().company.id
}

/// An event carrying a test's label (in a real event type's free-text field).
fn note(label: &str) -> Event {
    Event::WebhookDisabled(WebhookDisabled { id: WebhookEndpointId::new(), reason: label.to_owned() })
}

fn label(e: &LoggedEvent) -> &str {
    match &e.event {
        Event::WebhookDisabled(d) => &d.reason,
        other => panic!("not a test note: {other:?}"),
    }
}

async fn head(store: &Store, company: &CompanyId) -> i64 {
    events::last_seq(&mut store.reader().await.unwrap(), company).await.unwrap()
}

/// Commits the labelled events in one transaction; their seqs.
async fn commit(store: &Store, company: &CompanyId, labels: &[String]) -> Vec<i64> {
    let mut tx = store.begin().await.unwrap();
    events::append(&mut tx, company, labels.iter().map(|l| note(l)).collect());
    tx.commit().await.unwrap();
    let last = head(store, company).await;
    (last - labels.len() as i64 + 1..=last).collect()
}

async fn commit_one(store: &Store, company: &CompanyId, label: &str) -> i64 {
    commit(store, company, &[label.to_owned()]).await[0]
}

fn labels(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

/// The deadlines here only keep a failure from hanging.
const DEADLINE: Duration = Duration::from_secs(60);

async fn next(subscription: &mut Subscription) -> Option<Arc<LoggedEvent>> {
    tokio::time::timeout(DEADLINE, subscription.next()).await.expect("no event came, and the stream did not end")
}

async fn take(subscription: &mut Subscription, n: usize) -> Vec<(i64, String)> {
    let mut got = Vec::new();
    for _ in 0..n {
        let e = next(subscription).await.expect("the stream goes on");
        got.push((e.seq, label(&e).to_owned()));
    }
    got
}

fn feed(engine: &Engine, company: &CompanyId) -> FeedStats {
    engine.realtime_stats().companies[company]
}

/// Waits for the hub to reach a state.
async fn until(engine: &Engine, what: &str, reached: impl Fn(&RealtimeStats) -> bool) {
    let wait = async {
        while !reached(&engine.realtime_stats()) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    };
    tokio::time::timeout(DEADLINE, wait).await.unwrap_or_else(|_| panic!("never reached: {what}"));
}

store_test! {
    async fn an_event_wakes_only_its_companys_subscribers_and_reaches_a_thousand_of_them_with_one_read(store: Store) {
        let engine = Engine::new(store.clone(), woken_only(1024)).unwrap();
        let (a, b) = (company(&engine).await, company(&engine).await);
        let mut of_a = Vec::new();
        for _ in 0..1000 {
            of_a.push(engine.follow_events(&a, None).await.unwrap());
        }
        let mut of_b = engine.follow_events(&b, None).await.unwrap();
        let before = feed(&engine, &a);
        assert_eq!(before.subscribers, 1000);
        assert_eq!(engine.realtime_stats().feeds, 2, "one feed per company");

        let for_b = commit_one(&store, &b, "for B").await;
        let got = next(&mut of_b).await.unwrap();
        assert_eq!((got.seq, label(&got)), (for_b, "for B"));
        assert_eq!(feed(&engine, &b).feed_reads, 1);
        assert_eq!(feed(&engine, &a), before, "B's event neither woke A's feed nor made it read");
        for s in &mut of_a {
            assert!(tokio::task::unconstrained(s.next()).now_or_never().is_none(), "a subscriber of A got something");
        }

        let for_a = commit_one(&store, &a, "for A").await;
        for s in &mut of_a {
            let got = next(s).await.unwrap();
            assert_eq!((got.seq, label(&got)), (for_a, "for A"), "A's event is the first thing A's subscribers get");
        }
        let after = feed(&engine, &a);
        assert_eq!(after.wakes, before.wakes + 1);
        assert_eq!(after.feed_reads, before.feed_reads + 1, "one read for all of A's subscribers");
        assert_eq!(after.catch_up_reads, 0, "live subscribers never read the log");
    }

    async fn a_subscriber_resuming_from_an_older_seq_gets_the_missed_events_then_live_ones_each_once(store: Store) {
        let engine = Engine::new(store.clone(), woken_only(1024)).unwrap();
        let a = company(&engine).await;
        // Someone is following already, so the resumed subscriber joins a feed ahead of it.
        let mut live = engine.follow_events(&a, None).await.unwrap();
        let start = head(&store, &a).await;
        let mut missed = Vec::new();
        for l in labels("missed ", 3) {
            missed.push(commit_one(&store, &a, &l).await);
        }
        assert_eq!(take(&mut live, 3).await.iter().map(|(seq, _)| *seq).collect::<Vec<_>>(), missed);

        let mut resumed = engine.follow_events(&a, Some(start)).await.unwrap();
        let got = take(&mut resumed, 3).await;
        assert_eq!(got, missed.iter().copied().zip(labels("missed ", 3)).collect::<Vec<_>>());
        assert!(feed(&engine, &a).catch_up_reads > 0, "the missed events come from the log");

        let mut new = Vec::new();
        for l in labels("new ", 2) {
            new.push(commit_one(&store, &a, &l).await);
        }
        assert_eq!(take(&mut resumed, 2).await, new.iter().copied().zip(labels("new ", 2)).collect::<Vec<_>>());
        let last = commit_one(&store, &a, "last").await;
        assert_eq!(take(&mut resumed, 1).await, [(last, "last".to_owned())], "nothing came twice in between");
    }

    async fn a_first_subscriber_resuming_from_zero_gets_the_whole_log_then_live_events(store: Store) {
        let engine = Engine::new(store.clone(), woken_only(1024)).unwrap();
        let a = company(&engine).await;
        let logged = commit(&store, &a, &labels("before ", 5)).await;
        let whole = events::read_after(&mut store.reader().await.unwrap(), &a, 0, 1000).await.unwrap();
        assert_eq!(whole.last().unwrap().seq, *logged.last().unwrap());

        let mut resumed = engine.follow_events(&a, Some(0)).await.unwrap();
        for expected in &whole {
            assert_eq!(next(&mut resumed).await.unwrap().as_ref(), expected);
        }
        let live = commit_one(&store, &a, "live").await;
        assert_eq!(take(&mut resumed, 1).await, [(live, "live".to_owned())]);
    }

    async fn a_subscriber_that_lags_behind_the_broadcast_still_gets_every_event_once_in_order(store: Store) {
        let engine = Engine::new(store.clone(), woken_only(4)).unwrap();
        let a = company(&engine).await;
        let mut slow = engine.follow_events(&a, None).await.unwrap();
        // More than the broadcast holds, and than one read of the log returns.
        let burst = labels("burst ", 450);
        let seqs = commit(&store, &a, &burst).await;
        let last = *seqs.last().unwrap();
        until(&engine, "the feed has broadcast the burst", |s| s.companies[&a].published == last).await;
        assert_eq!(feed(&engine, &a).catch_up_reads, 0);

        let got = take(&mut slow, burst.len()).await;
        assert_eq!(got, seqs.into_iter().zip(burst).collect::<Vec<_>>());
        assert!(feed(&engine, &a).catch_up_reads > 0, "the dropped events came from the log");
        let next = commit_one(&store, &a, "after the burst").await;
        assert_eq!(take(&mut slow, 1).await, [(next, "after the burst".to_owned())], "nothing came twice");
    }

    async fn subscribers_joining_while_events_are_committed_get_each_event_once_in_order(store: Store) {
        let engine = Engine::new(store.clone(), woken_only(8)).unwrap();
        let a = company(&engine).await;
        let start = head(&store, &a).await;
        let writer = {
            let (store, a) = (store.clone(), a.clone());
            tokio::spawn(async move {
                for l in labels("e", 200) {
                    commit_one(&store, &a, &l).await;
                }
            })
        };
        let readers: Vec<_> = (0..8)
            .map(|_| {
                let (engine, a) = (engine.clone(), a.clone());
                tokio::spawn(async move {
                    let mut s = engine.follow_events(&a, Some(start)).await.unwrap();
                    take(&mut s, 200).await
                })
            })
            .collect();
        writer.await.unwrap();
        let expected: Vec<(i64, String)> = (start + 1..).zip(labels("e", 200)).collect();
        for r in readers {
            assert_eq!(r.await.unwrap(), expected);
        }
    }

    async fn when_the_last_subscriber_leaves_the_feed_ends_and_a_new_subscriber_starts_another(store: Store) {
        let engine = Engine::new(store.clone(), woken_only(1024)).unwrap();
        let a = company(&engine).await;
        let first = engine.follow_events(&a, None).await.unwrap();
        let second = engine.follow_events(&a, None).await.unwrap();
        assert_eq!((engine.realtime_stats().feeds, feed(&engine, &a).subscribers), (1, 2));
        drop(first);
        assert_eq!((engine.realtime_stats().feeds, feed(&engine, &a).subscribers), (1, 1));
        drop(second);
        assert!(engine.realtime_stats().companies.is_empty());
        until(&engine, "the feed's task has exited", |s| s.feeds == 0).await;

        let mut again = engine.follow_events(&a, None).await.unwrap();
        assert_eq!((engine.realtime_stats().feeds, feed(&engine, &a).subscribers), (1, 1));
        let seq = commit_one(&store, &a, "again").await;
        assert_eq!(take(&mut again, 1).await, [(seq, "again".to_owned())]);
    }

    async fn subscribers_coming_and_going_at_once_leave_no_feed_behind_and_the_next_one_works(store: Store) {
        let engine = Engine::new(store.clone(), woken_only(1024)).unwrap();
        let a = company(&engine).await;
        let churn: Vec<_> = (0..8)
            .map(|_| {
                let (engine, a) = (engine.clone(), a.clone());
                tokio::spawn(async move {
                    for _ in 0..50 {
                        drop(engine.follow_events(&a, None).await.unwrap());
                    }
                })
            })
            .collect();
        for c in churn {
            c.await.unwrap();
        }
        assert!(engine.realtime_stats().companies.is_empty());
        until(&engine, "every feed's task has exited", |s| s.feeds == 0).await;

        let mut last = engine.follow_events(&a, None).await.unwrap();
        let seq = commit_one(&store, &a, "after the churn").await;
        assert_eq!(take(&mut last, 1).await, [(seq, "after the churn".to_owned())]);
    }

    async fn closing_the_streams_ends_every_subscription(store: Store) {
        let engine = Engine::new(store.clone(), woken_only(1024)).unwrap();
        let a = company(&engine).await;
        let mut waiting = engine.follow_events(&a, None).await.unwrap();
        let mut behind = engine.follow_events(&a, Some(0)).await.unwrap();
        engine.close_streams();
        assert!(next(&mut waiting).await.is_none());
        assert!(next(&mut behind).await.is_none());
    }
}
