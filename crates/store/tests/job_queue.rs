use std::collections::HashSet;
use std::time::Duration;

use serde_json::json;
use switchboard_domain::job::{JobStatus, NewJob};
use switchboard_domain::{JobId, Timestamp};
use switchboard_store::{Store, jobs, store_test};

const LEASE: Duration = Duration::from_secs(60);

async fn enqueue(store: &Store, job: NewJob) -> JobId {
    let mut tx = store.begin().await.unwrap();
    let id = jobs::enqueue(&mut tx, &job).await.unwrap();
    tx.commit().await.unwrap();
    id
}

async fn claim(store: &Store, lease: Duration, limit: i64) -> Vec<jobs::Claimed> {
    let mut tx = store.begin().await.unwrap();
    let claimed = jobs::claim(&mut tx, &["test", "later"], lease, limit).await.unwrap();
    tx.commit().await.unwrap();
    claimed
}

async fn status(store: &Store, id: &JobId) -> (JobStatus, i32, Option<String>) {
    let job = jobs::get(&mut store.reader().await.unwrap(), id).await.unwrap().unwrap();
    (job.status, job.attempts, job.last_error)
}

store_test! {
    async fn a_claimed_job_is_not_claimed_again_while_its_lease_runs(store: Store) {
        let id = enqueue(&store, NewJob::new("test", json!({"n": 1}))).await;
        let first = claim(&store, LEASE, 10).await;
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].job.id, id);
        assert_eq!(first[0].job.attempts, 1);
        assert_eq!(first[0].job.payload, json!({"n": 1}));
        assert!(claim(&store, LEASE, 10).await.is_empty());
    }

    async fn only_jobs_of_the_given_kinds_are_claimed(store: Store) {
        enqueue(&store, NewJob::new("other", json!({}))).await;
        let mine = enqueue(&store, NewJob::new("test", json!({}))).await;
        let mut tx = store.begin().await.unwrap();
        let claimed = jobs::claim(&mut tx, &["test"], LEASE, 10).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(claimed.iter().map(|c| c.job.id.clone()).collect::<Vec<_>>(), vec![mine]);
        let mut tx = store.begin().await.unwrap();
        assert!(jobs::claim(&mut tx, &[], LEASE, 10).await.unwrap().is_empty());
    }

    async fn a_job_is_not_claimed_before_its_run_at(store: Store) {
        enqueue(&store, NewJob::new("later", json!({})).run_at(Timestamp::now().plus(Duration::from_secs(3600)))).await;
        assert!(claim(&store, LEASE, 10).await.is_empty());
    }

    async fn a_completed_job_is_done_and_never_claimed_again(store: Store) {
        let id = enqueue(&store, NewJob::new("test", json!({}))).await;
        let c = claim(&store, LEASE, 1).await.remove(0);
        let mut tx = store.begin().await.unwrap();
        assert!(jobs::complete(&mut tx, &c).await.unwrap());
        tx.commit().await.unwrap();
        assert_eq!(status(&store, &id).await.0, JobStatus::Done);
        assert!(claim(&store, Duration::ZERO, 10).await.is_empty());
    }

    async fn a_failed_job_waits_for_its_retry_time_and_keeps_the_error(store: Store) {
        let id = enqueue(&store, NewJob::new("test", json!({}))).await;
        let c = claim(&store, LEASE, 1).await.remove(0);
        let mut tx = store.begin().await.unwrap();
        let later = Timestamp::now().plus(Duration::from_secs(3600));
        assert_eq!(jobs::fail(&mut tx, &c, "receiver said 500", Some(later)).await.unwrap(), Some(JobStatus::Pending));
        tx.commit().await.unwrap();
        assert!(claim(&store, LEASE, 10).await.is_empty(), "not due yet");
        assert_eq!(status(&store, &id).await, (JobStatus::Pending, 1, Some("receiver said 500".into())));
    }

    async fn a_failed_job_whose_retry_is_due_is_claimed_as_the_next_attempt(store: Store) {
        let id = enqueue(&store, NewJob::new("test", json!({}))).await;
        let c = claim(&store, LEASE, 1).await.remove(0);
        let mut tx = store.begin().await.unwrap();
        jobs::fail(&mut tx, &c, "boom", Some(Timestamp::now().minus(Duration::from_secs(1)))).await.unwrap();
        tx.commit().await.unwrap();
        let again = claim(&store, LEASE, 1).await.remove(0);
        assert_eq!((again.job.id, again.job.attempts), (id, 2));
    }

    async fn a_job_gives_up_after_max_attempts(store: Store) {
        let id = enqueue(&store, NewJob::new("test", json!({})).max_attempts(2)).await;
        for expected in [JobStatus::Pending, JobStatus::Dead] {
            let c = claim(&store, LEASE, 1).await.remove(0);
            let mut tx = store.begin().await.unwrap();
            let past = Timestamp::now().minus(Duration::from_secs(1));
            assert_eq!(jobs::fail(&mut tx, &c, "nope", Some(past)).await.unwrap(), Some(expected));
            tx.commit().await.unwrap();
        }
        assert_eq!(status(&store, &id).await, (JobStatus::Dead, 2, Some("nope".into())));
        assert!(claim(&store, LEASE, 10).await.is_empty());
    }

    async fn a_fatal_failure_kills_the_job_at_once(store: Store) {
        let id = enqueue(&store, NewJob::new("test", json!({})).max_attempts(5)).await;
        let c = claim(&store, LEASE, 1).await.remove(0);
        let mut tx = store.begin().await.unwrap();
        assert_eq!(jobs::fail(&mut tx, &c, "fatal", None).await.unwrap(), Some(JobStatus::Dead));
        tx.commit().await.unwrap();
        assert_eq!(status(&store, &id).await.0, JobStatus::Dead);
    }

    async fn a_job_whose_lease_ran_out_is_claimed_again_and_the_old_holder_cannot_report(store: Store) {
        enqueue(&store, NewJob::new("test", json!({}))).await;
        let stale = claim(&store, Duration::ZERO, 1).await.remove(0);
        let fresh = claim(&store, LEASE, 1).await.remove(0);
        assert_eq!(stale.job.id, fresh.job.id);
        assert_eq!(fresh.job.attempts, 2);
        let mut tx = store.begin().await.unwrap();
        assert!(!jobs::complete(&mut tx, &stale).await.unwrap());
        assert!(jobs::complete(&mut tx, &fresh).await.unwrap());
        tx.commit().await.unwrap();
    }

    async fn a_released_job_is_due_again_without_an_attempt_counted(store: Store) {
        let id = enqueue(&store, NewJob::new("test", json!({}))).await;
        let c = claim(&store, LEASE, 1).await.remove(0);
        let mut tx = store.begin().await.unwrap();
        assert!(jobs::release(&mut tx, &c).await.unwrap());
        tx.commit().await.unwrap();
        assert_eq!(status(&store, &id).await.1, 0);
        assert_eq!(claim(&store, LEASE, 1).await.remove(0).job.attempts, 1);
    }

    async fn two_concurrent_claimers_never_get_the_same_job(store: Store) {
        let mut all = HashSet::new();
        let mut tx = store.begin().await.unwrap();
        for i in 0..300 {
            all.insert(jobs::enqueue(&mut tx, &NewJob::new("test", json!({"i": i}))).await.unwrap());
        }
        tx.commit().await.unwrap();
        let claimers = (0..2).map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let batch = claim(&store, LEASE, 7).await;
                    if batch.is_empty() {
                        return mine;
                    }
                    mine.extend(batch.into_iter().map(|c| c.job.id));
                }
            })
        });
        let results: Vec<Vec<JobId>> = futures::future::join_all(claimers).await.into_iter().map(Result::unwrap).collect();
        let claimed: Vec<&JobId> = results.iter().flatten().collect();
        let distinct: HashSet<JobId> = claimed.iter().map(|id| (*id).clone()).collect();
        assert_eq!(claimed.len(), 300, "every job claimed exactly once");
        assert_eq!(distinct, all);
    }
}
