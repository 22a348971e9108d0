//! The job runner on the store's queue, on both backends.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;
use switchboard_domain::job::{JobOutcome, JobPayload, JobStatus, NewJob};
use switchboard_domain::{JobId, Timestamp};
use switchboard_engine::jobs::{Handler, Handlers, Runner, RunnerOptions, drain};
use switchboard_store::{Store, StoreOptions, jobs, store_test};

/// The payload of the jobs these tests queue.
#[derive(Debug, Serialize, Deserialize)]
struct TestJob {
    i: usize,
}

impl JobPayload for TestJob {
    const KIND: &'static str = "test";
}

fn options() -> RunnerOptions {
    RunnerOptions { workers: 3, lease: Duration::from_secs(60), poll: Duration::from_millis(50) }
}

async fn enqueue(store: &Store, n: usize, max_attempts: i32) -> Vec<JobId> {
    let mut tx = store.begin().await.unwrap();
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(
            jobs::enqueue(&mut tx, &NewJob::new("test", json!({"i": i})).max_attempts(max_attempts)).await.unwrap(),
        );
    }
    tx.commit().await.unwrap();
    ids
}

async fn status(store: &Store, id: &JobId) -> (JobStatus, i32) {
    let job = jobs::get(&mut store.reader().await.unwrap(), id).await.unwrap().unwrap();
    (job.status, job.attempts)
}

/// Whether every job is done.
async fn all_done(store: &Store, ids: &[JobId]) -> bool {
    for id in ids {
        if status(store, id).await.0 != JobStatus::Done {
            return false;
        }
    }
    true
}

/// Waits for `done` to hold. The deadline only stops a broken run from hanging the suite.
async fn until<F: AsyncFn() -> bool>(what: &str, done: F) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !done().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn counting(counts: Arc<Mutex<HashMap<JobId, usize>>>, outcome: JobOutcome) -> Handlers {
    only(Arc::new(move |job| {
        let (counts, outcome) = (counts.clone(), outcome.clone());
        Box::pin(async move {
            *counts.lock().unwrap().entry(job.id).or_default() += 1;
            outcome
        })
    }))
}

/// `handler` for the jobs these tests queue.
fn only(handler: Handler) -> Handlers {
    let mut handlers = Handlers::default();
    handlers.on(move |job, _: TestJob| handler(job));
    handlers
}

store_test! {
    async fn queued_jobs_are_run_once_and_marked_done(store: Store) {
        let counts = Arc::new(Mutex::new(HashMap::new()));
        let runner = Runner::start(store.clone(), counting(counts.clone(), JobOutcome::Done), options());
        let ids = enqueue(&store, 20, 3).await;
        until("all jobs are done", async || all_done(&store, &ids).await).await;
        runner.stop().await;
        let counts = counts.lock().unwrap();
        assert!(ids.iter().all(|id| counts[id] == 1), "{counts:?}");
    }

    async fn a_failing_job_is_retried_until_its_attempts_are_used_up(store: Store) {
        let counts = Arc::new(Mutex::new(HashMap::new()));
        let failing = JobOutcome::Failed { error: "receiver down".into(), retry_in: Duration::ZERO };
        let runner = Runner::start(store.clone(), counting(counts.clone(), failing), options());
        let id = enqueue(&store, 1, 3).await.remove(0);
        until("the job is dead", async || status(&store, &id).await.0 == JobStatus::Dead).await;
        runner.stop().await;
        assert_eq!(status(&store, &id).await, (JobStatus::Dead, 3));
        assert_eq!(counts.lock().unwrap()[&id], 3);
        let job = jobs::get(&mut store.reader().await.unwrap(), &id).await.unwrap().unwrap();
        assert_eq!(job.last_error.as_deref(), Some("receiver down"));
    }

    async fn a_fatal_outcome_stops_the_job_at_once(store: Store) {
        let counts = Arc::new(Mutex::new(HashMap::new()));
        let runner = Runner::start(store.clone(), counting(counts.clone(), JobOutcome::Fatal { error: "refused".into() }), options());
        let id = enqueue(&store, 1, 5).await.remove(0);
        until("the job is dead", async || status(&store, &id).await.0 == JobStatus::Dead).await;
        runner.stop().await;
        assert_eq!(status(&store, &id).await, (JobStatus::Dead, 1));
    }

    async fn two_nodes_on_one_database_never_run_the_same_job(store: Store) {
        let other = Store::connect(store.url(), &StoreOptions::default()).await.unwrap();
        let counts = Arc::new(Mutex::new(HashMap::new()));
        let slow = |counts: Arc<Mutex<HashMap<JobId, usize>>>| -> Handler {
            Arc::new(move |job| {
                let counts = counts.clone();
                Box::pin(async move {
                    *counts.lock().unwrap().entry(job.id).or_default() += 1;
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    JobOutcome::Done
                })
            })
        };
        let a = Runner::start(store.clone(), only(slow(counts.clone())), options());
        let b = Runner::start(other.clone(), only(slow(counts.clone())), options());
        let ids = enqueue(&store, 120, 3).await;
        until("all jobs are done", async || all_done(&store, &ids).await).await;
        a.stop().await;
        b.stop().await;
        let counts = counts.lock().unwrap();
        assert_eq!(counts.len(), 120);
        assert!(counts.values().all(|n| *n == 1), "a job ran twice: {counts:?}");
    }

    async fn stopping_lets_the_job_under_way_finish(store: Store) {
        let (started_tx, started) = tokio::sync::oneshot::channel::<()>();
        let started_tx = Arc::new(Mutex::new(Some(started_tx)));
        let (release, released) = tokio::sync::watch::channel(false);
        let handler: Handler = Arc::new(move |_job| {
            let (started_tx, mut released) = (started_tx.clone(), released.clone());
            Box::pin(async move {
                if let Some(tx) = started_tx.lock().unwrap().take() {
                    let _ = tx.send(());
                }
                let _ = released.wait_for(|r| *r).await;
                JobOutcome::Done
            })
        });
        let runner = Runner::start(store.clone(), only(handler), RunnerOptions { workers: 1, ..options() });
        let id = enqueue(&store, 1, 3).await.remove(0);
        started.await.unwrap();
        let stopping = tokio::spawn(runner.stop());
        release.send(true).unwrap();
        stopping.await.unwrap();
        assert_eq!(status(&store, &id).await, (JobStatus::Done, 1));
    }

    async fn a_job_whose_payload_cannot_be_read_is_dead_at_once_with_the_reason(store: Store) {
        let mut tx = store.begin().await.unwrap();
        let id = jobs::enqueue(&mut tx, &NewJob::new("test", json!({"i": "seven"})).max_attempts(5)).await.unwrap();
        tx.commit().await.unwrap();
        let counts = Arc::new(Mutex::new(HashMap::new()));
        assert_eq!(drain(&store, &counting(counts.clone(), JobOutcome::Done), Duration::from_secs(60)).await.unwrap(), 1);
        let job = jobs::get(&mut store.reader().await.unwrap(), &id).await.unwrap().unwrap();
        assert_eq!((job.status, job.attempts), (JobStatus::Dead, 1));
        let error = job.last_error.unwrap();
        assert!(error.contains("payload of this test job cannot be read"), "{error}");
        assert!(counts.lock().unwrap().is_empty(), "the handler never saw it");
    }

    async fn draining_runs_every_due_job_and_those_they_queue_and_leaves_later_ones(store: Store) {
        let due = enqueue(&store, 4, 3).await;
        let mut tx = store.begin().await.unwrap();
        let later = NewJob::new("test", json!({"i": 99})).run_at(Timestamp::now().plus(Duration::from_secs(3600)));
        let later = jobs::enqueue(&mut tx, &later).await.unwrap();
        tx.commit().await.unwrap();
        let queuing: Handler = {
            let store = store.clone();
            Arc::new(move |job| {
                let store = store.clone();
                Box::pin(async move {
                    // The first job queues one more, due at once.
                    if job.payload["i"] == 0 {
                        let mut tx = store.begin().await.unwrap();
                        jobs::enqueue(&mut tx, &NewJob::new("test", json!({"i": 100}))).await.unwrap();
                        tx.commit().await.unwrap();
                    }
                    JobOutcome::Done
                })
            })
        };
        let ran = drain(&store, &only(queuing), Duration::from_secs(60)).await.unwrap();
        assert_eq!(ran, 5, "the four due jobs and the one the first queued");
        assert!(all_done(&store, &due).await);
        assert_eq!(status(&store, &later).await, (JobStatus::Pending, 0));
        assert_eq!(drain(&store, &only(Arc::new(|_| Box::pin(async { JobOutcome::Done }))), Duration::from_secs(60)).await.unwrap(), 0);
    }

    async fn a_job_left_by_a_crashed_worker_runs_again_when_its_lease_ends(store: Store) {
        let id = enqueue(&store, 1, 3).await.remove(0);
        let mut tx = store.begin().await.unwrap();
        let crashed = jobs::claim(&mut tx, &["test"], Duration::ZERO, 1).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(crashed.len(), 1, "a worker claimed it, then died");
        let counts = Arc::new(Mutex::new(HashMap::new()));
        let runner = Runner::start(store.clone(), counting(counts.clone(), JobOutcome::Done), options());
        until("the job is done", async || status(&store, &id).await.0 == JobStatus::Done).await;
        runner.stop().await;
        assert_eq!(status(&store, &id).await, (JobStatus::Done, 2));
    }
}
