//! The job runner: workers that claim due jobs from the store's queue, run them, and record the
//! outcome. Several nodes can run it on one PostgreSQL: a job is claimed by one worker at a time
//! (with a lease), a crashed worker's job is claimed again when its lease runs out, and a job
//! whose lease was taken over cannot be reported by its old holder.
//!
//! Each kind of job has a typed payload ([`JobPayload`]); a handler is registered for the type
//! and is given the payload decoded. A payload that does not decode is never retried: the job is
//! dead at once, with the reason as its last error.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use switchboard_domain::job::{Job, JobOutcome, JobPayload, JobStatus};
use switchboard_domain::{Result, Timestamp};
use switchboard_store::{Store, jobs};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::channels::sdk::export::{ActionJob, ExportJob};
use crate::channels::sdk::sync::SyncJob;
use crate::channels::sms::SendJob;
use crate::routing::{OfferTimeoutJob, QueuingUpdateJob, RouteJob};
use crate::webhooks::DeliverJob;

/// Runs one job; what it returns is recorded on the job.
pub type Handler = Arc<dyn Fn(Job) -> BoxedOutcome + Send + Sync>;

/// What running a job comes to, later.
pub type BoxedOutcome = Pin<Box<dyn Future<Output = JobOutcome> + Send>>;

/// The handler of each job kind a node runs.
#[derive(Clone, Default)]
pub struct Handlers {
    by_kind: HashMap<&'static str, Handler>,
}

impl Handlers {
    /// Runs jobs of `P`'s kind with `run`, given their payload decoded.
    pub fn on<P, F, Fut>(&mut self, run: F) -> &mut Self
    where
        P: JobPayload,
        F: Fn(Job, P) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = JobOutcome> + Send + 'static,
    {
        let run = Arc::new(run);
        let handler: Handler = Arc::new(move |job: Job| {
            let run = run.clone();
            Box::pin(async move {
                match serde_json::from_value::<P>(job.payload.clone()) {
                    Ok(payload) => run(job, payload).await,
                    Err(e) => {
                        JobOutcome::Fatal { error: format!("the payload of this {} job cannot be read: {e}", P::KIND) }
                    }
                }
            })
        });
        self.by_kind.insert(P::KIND, handler);
        self
    }

    fn kinds(&self) -> Vec<&'static str> {
        self.by_kind.keys().copied().collect()
    }
}

#[derive(Debug, Clone)]
pub struct RunnerOptions {
    /// Jobs run at once by this node; 0 runs none in the background (tests that
    /// [`drain`] the queue themselves).
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
        for _ in 0..options.workers {
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
    let kinds = handlers.kinds();
    while !*stopped.borrow() {
        let queued = store.jobs_queued();
        tokio::pin!(queued);
        queued.as_mut().enable();
        match run_one(&store, &handlers, &kinds, &options).await {
            Ok(true) => {}
            Ok(false) => {
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

/// Runs every job that is due, one after another in this task, until none is: what a test calls
/// instead of waiting for background workers. Jobs that the ones run queue, due at once, are
/// run too; jobs due later are left. Returns how many ran.
pub async fn drain(store: &Store, handlers: &Handlers, lease: Duration) -> Result<usize> {
    let kinds = handlers.kinds();
    let options = RunnerOptions { lease, ..RunnerOptions::default() };
    let mut ran = 0;
    while run_one(store, handlers, &kinds, &options).await? {
        ran += 1;
    }
    Ok(ran)
}

/// Claims one due job and runs it; false when none was due.
async fn run_one(store: &Store, handlers: &Handlers, kinds: &[&str], options: &RunnerOptions) -> Result<bool> {
    let mut tx = store.begin().await?;
    let claimed = jobs::claim(&mut tx, kinds, options.lease, 1).await?.pop();
    tx.commit().await?;
    let Some(claimed) = claimed else { return Ok(false) };
    let job = &claimed.job;
    let span = tracing::info_span!("job", id = %job.id, kind = %job.kind, company = ?job.company_id);
    let outcome = match handlers.by_kind.get(job.kind.as_str()) {
        Some(handler) => handler(job.clone()).instrument(span.clone()).await,
        None => {
            JobOutcome::Failed { error: format!("no handler for jobs of kind '{}'", job.kind), retry_in: options.poll }
        }
    };
    if let Err(e) = record(store, &claimed, outcome).instrument(span).await {
        // The lease will run out and the job will run again: at least once.
        tracing::error!(job = %job.id, kind = %job.kind, error = %e, "cannot record a job's outcome");
    }
    Ok(true)
}

async fn record(store: &Store, claimed: &jobs::Claimed, outcome: JobOutcome) -> Result<()> {
    let mut tx = store.begin().await?;
    let job = &claimed.job;
    let kept = match &outcome {
        JobOutcome::Done => jobs::complete(&mut tx, claimed).await?,
        JobOutcome::Failed { error, retry_in } => {
            let status = jobs::fail(&mut tx, claimed, error, Some(Timestamp::now().plus(*retry_in))).await?;
            if status == Some(JobStatus::Dead) {
                tracing::warn!(attempts = job.attempts, error = %error, "job gave up");
            }
            status.is_some()
        }
        JobOutcome::Fatal { error } => {
            tracing::warn!(error = %error, "job failed for good");
            jobs::fail(&mut tx, claimed, error, None).await?.is_some()
        }
    };
    tx.commit().await?;
    if !kept {
        tracing::warn!("a job's lease ran out before it finished; its outcome was dropped");
    }
    Ok(())
}

impl crate::Engine {
    /// The kinds of jobs this engine runs, and how.
    pub fn job_handlers(&self) -> Handlers {
        let mut handlers = Handlers::default();
        let sdk_retry = self.sdk.connector.options.retry_delay;
        let webhook_retry = self.webhooks.options.retry_base;
        let routing_retry = self.routing.poll;
        handlers
            .on(self.handler(sdk_retry, |e, job, p: SyncJob| async move {
                e.sync_job(&job, p).await.map(|()| JobOutcome::Done)
            }))
            .on(self.handler(sdk_retry, |e, job, p: ExportJob| async move { e.export(&job, p).await }))
            .on(self.handler(sdk_retry, |e, job, p: ActionJob| async move { e.perform_action(&job, p).await }))
            .on(self.handler(webhook_retry, |e, job, p: DeliverJob| async move { e.try_delivery(&job, p).await }))
            .on(self.handler(routing_retry, |e, _, p: OfferTimeoutJob| async move { e.expire_offer(&p).await }))
            .on(self.handler(routing_retry, |e, _, p: RouteJob| async move { e.route_company(&p).await }))
            .on(self
                .handler(routing_retry, |e, _, p: QueuingUpdateJob| async move { e.send_queuing_updates(&p).await }))
            .on(self.handler(sdk_retry, |e, job, p: SendJob| async move { e.send_sms(&job, p).await }));
        handlers
    }

    /// Runs every due job now, in this task (see [`drain`]). For tests, on a server whose
    /// runner has no workers.
    pub async fn drain_jobs(&self) -> Result<usize> {
        drain(&self.store, &self.job_handlers(), RunnerOptions::default().lease).await
    }

    /// A job handler running `run` with its own handle on this engine. An error is the store
    /// (or the engine) failing rather than the job: the attempt is tried again after `retry_in`.
    fn handler<P, F, Fut>(&self, retry_in: Duration, run: F) -> impl Fn(Job, P) -> BoxedOutcome + Send + Sync + 'static
    where
        P: JobPayload,
        F: Fn(crate::Engine, Job, P) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<JobOutcome>> + Send + 'static,
    {
        let engine = self.clone();
        let run = Arc::new(run);
        move |job, payload| {
            let (engine, run) = (engine.clone(), run.clone());
            Box::pin(async move {
                run(engine, job, payload)
                    .await
                    .unwrap_or_else(|e| JobOutcome::Failed { error: e.to_string(), retry_in })
            })
        }
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
