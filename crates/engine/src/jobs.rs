//! The job runner: workers that claim due jobs from the store's queue, run them, and record the
//! outcome. Several nodes can run it on one PostgreSQL: a job is claimed by one worker at a time
//! (with a lease), a crashed worker's job is claimed again when its lease runs out, and a job
//! whose lease was taken over cannot be reported by its old holder.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use switchboard_domain::Timestamp;
use switchboard_domain::job::{Job, JobOutcome, JobStatus};
use switchboard_store::{Store, jobs};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Runs one job; what it returns is recorded on the job.
pub type Handler = Arc<dyn Fn(Job) -> Pin<Box<dyn Future<Output = JobOutcome> + Send>> + Send + Sync>;

/// The handler of each job kind a node runs.
pub type Handlers = HashMap<&'static str, Handler>;

#[derive(Debug, Clone)]
pub struct RunnerOptions {
    /// Jobs run at once by this node.
    pub workers: usize,
    /// How long a claimed job is held: longer than any job may take, since a job still running
    /// when its lease ends may be run a second time elsewhere.
    pub lease: Duration,
    /// How often an idle worker looks for jobs queued by other nodes (jobs queued here wake it
    /// at once).
    pub poll: Duration,
}

impl Default for RunnerOptions {
    fn default() -> Self {
        Self { workers: 4, lease: Duration::from_secs(120), poll: Duration::from_secs(1) }
    }
}

/// Running workers. [`Runner::stop`] lets jobs under way finish, and claims no more.
pub struct Runner {
    stop: watch::Sender<bool>,
    workers: JoinSet<()>,
}

impl Runner {
    /// Starts workers that claim and run the kinds of jobs `handlers` knows.
    pub fn start(store: Store, handlers: Handlers, options: RunnerOptions) -> Self {
        let (stop, stopped) = watch::channel(false);
        let handlers = Arc::new(handlers);
        let mut workers = JoinSet::new();
        for _ in 0..options.workers.max(1) {
            workers.spawn(work(store.clone(), handlers.clone(), options.clone(), stopped.clone()));
        }
        Self { stop, workers }
    }

    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        while self.workers.join_next().await.is_some() {}
    }
}

async fn work(store: Store, handlers: Arc<Handlers>, options: RunnerOptions, mut stopped: watch::Receiver<bool>) {
    let kinds: Vec<&str> = handlers.keys().copied().collect();
    while !*stopped.borrow() {
        let queued = store.jobs_queued();
        tokio::pin!(queued);
        queued.as_mut().enable();
        match claim_one(&store, &kinds, options.lease).await {
            Ok(Some(claimed)) => {
                let outcome = match handlers.get(claimed.job.kind.as_str()) {
                    Some(handler) => handler(claimed.job.clone()).await,
                    None => JobOutcome::Failed {
                        error: format!("no handler for jobs of kind '{}'", claimed.job.kind),
                        retry_in: options.poll,
                    },
                };
                if let Err(e) = record(&store, &claimed, outcome).await {
                    // The lease will run out and the job will run again: at least once.
                    tracing::error!(job = %claimed.job.id, kind = %claimed.job.kind, error = %e, "cannot record a job's outcome");
                }
            }
            Ok(None) => {
                tokio::select! {
                    () = &mut queued => {}
                    () = tokio::time::sleep(options.poll) => {}
                    _ = stopped.changed() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot claim jobs");
                tokio::select! {
                    () = tokio::time::sleep(options.poll) => {}
                    _ = stopped.changed() => {}
                }
            }
        }
    }
}

async fn claim_one(
    store: &Store,
    kinds: &[&str],
    lease: Duration,
) -> switchboard_domain::Result<Option<jobs::Claimed>> {
    let mut tx = store.begin().await?;
    let claimed = jobs::claim(&mut tx, kinds, lease, 1).await?.pop();
    tx.commit().await?;
    Ok(claimed)
}

async fn record(store: &Store, claimed: &jobs::Claimed, outcome: JobOutcome) -> switchboard_domain::Result<()> {
    let mut tx = store.begin().await?;
    let job = &claimed.job;
    let kept = match &outcome {
        JobOutcome::Done => jobs::complete(&mut tx, claimed).await?,
        JobOutcome::Failed { error, retry_in } => {
            let status = jobs::fail(&mut tx, claimed, error, Some(Timestamp::now().plus(*retry_in))).await?;
            if status == Some(JobStatus::Dead) {
                tracing::warn!(job = %job.id, kind = %job.kind, attempts = job.attempts, error = %error, "job gave up");
            }
            status.is_some()
        }
        JobOutcome::Fatal { error } => {
            tracing::warn!(job = %job.id, kind = %job.kind, error = %error, "job failed for good");
            jobs::fail(&mut tx, claimed, error, None).await?.is_some()
        }
    };
    tx.commit().await?;
    if !kept {
        tracing::warn!(job = %job.id, kind = %job.kind, "a job's lease ran out before it finished; its outcome was dropped");
    }
    Ok(())
}

impl crate::Engine {
    /// The kinds of jobs this engine runs, and how.
    pub fn job_handlers(&self) -> Handlers {
        let mut handlers = Handlers::new();
        let sdk_retry = self.connector.options.retry_delay;
        handlers.insert(
            crate::sync::SYNC_JOB,
            self.handler(sdk_retry, |e, job| async move { e.sync_job(&job).await.map(|()| JobOutcome::Done) }),
        );
        handlers.insert(
            crate::conversations::EXPORT_JOB,
            self.handler(sdk_retry, |e, job| async move { e.export(&job).await }),
        );
        handlers.insert(
            crate::export::ACTION_JOB,
            self.handler(sdk_retry, |e, job| async move { e.perform_action(&job).await }),
        );
        let webhook_retry = self.webhooks.options.retry_base;
        handlers.insert(
            crate::webhooks::DELIVER_JOB,
            self.handler(webhook_retry, |e, job| async move { e.try_delivery(&job).await }),
        );
        handlers
    }

    /// A handler running `run` with its own handle on this engine. An error is the store (or
    /// the engine) failing rather than the job: the attempt is tried again after `retry_in`.
    fn handler<F, Fut>(&self, retry_in: Duration, run: F) -> Handler
    where
        F: Fn(crate::Engine, Job) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = switchboard_domain::Result<JobOutcome>> + Send + 'static,
    {
        let engine = self.clone();
        let run = Arc::new(run);
        Arc::new(move |job| {
            let (engine, run) = (engine.clone(), run.clone());
            Box::pin(async move {
                run(engine, job).await.unwrap_or_else(|e| JobOutcome::Failed { error: e.to_string(), retry_in })
            })
        })
    }
}

/// Exponential backoff: `base` doubled per attempt already made, capped at `max`.
pub fn backoff(attempts: i32, base: Duration, max: Duration) -> Duration {
    let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    base.saturating_mul(2u32.saturating_pow(exp)).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_per_attempt_up_to_the_cap() {
        let b = |n| backoff(n, Duration::from_secs(30), Duration::from_secs(3600));
        assert_eq!([b(1), b(2), b(3), b(4)], [30, 60, 120, 240].map(Duration::from_secs));
        assert_eq!(b(20), Duration::from_secs(3600));
        assert_eq!(b(0), Duration::from_secs(30));
    }
}
