//! The dispatcher tails every company's event log and turns each event into one delivery per
//! matching endpoint. Its cursor is a row, advanced in the transaction that creates the
//! deliveries: a crash loses nothing and repeats nothing, several nodes take turns per company,
//! and writers of events do no webhook work at all.

use switchboard_domain::event::LoggedEvent;
use switchboard_domain::webhook::{DeliveryStatus, WebhookDelivery, WebhookEndpoint};
use switchboard_domain::{CompanyId, Result, Timestamp, WebhookDeliveryId};
use switchboard_store::{events, jobs, webhooks};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use super::deliver;
use crate::Engine;

/// Events read per transaction.
const BATCH: i64 = 500;
/// Companies looked at per pass.
const COMPANIES: i64 = 1000;

/// The running dispatcher; [`Dispatcher::stop`] ends it between transactions.
pub struct Dispatcher {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Dispatcher {
    pub fn start(engine: Engine) -> Self {
        let (stop, mut stopped) = watch::channel(false);
        let mut committed = engine.store.subscribe_committed();
        let mut woken = engine.wakeups();
        let task = tokio::spawn(async move {
            while !*stopped.borrow() {
                if let Err(e) = engine.dispatch_webhooks().await {
                    tracing::warn!(error = %e, "webhook dispatch failed; retrying");
                }
                tokio::select! {
                    r = committed.recv() => if let Err(broadcast::error::RecvError::Closed) = r { break },
                    r = woken.recv() => if let Err(broadcast::error::RecvError::Closed) = r { break },
                    () = tokio::time::sleep(engine.webhooks.options.poll) => {}
                    _ = stopped.changed() => {}
                }
                // One pass covers every commit so far: under load the dispatcher runs once per
                // burst of commits, not once per commit (on SQLite it shares the one writer).
                while committed.try_recv().is_ok() || woken.try_recv().is_ok() {}
            }
        });
        Self { stop, task }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// What the delivery of an event is ordered by: its thread, when it has one.
fn ordering_key(e: &LoggedEvent) -> Option<String> {
    e.event.thread_id().map(|t| format!("thread:{t}"))
}

impl Engine {
    /// Brings every company's deliveries up to its log.
    pub async fn dispatch_webhooks(&self) -> Result<()> {
        let behind = webhooks::companies_behind(&mut self.store.reader().await?, COMPANIES).await?;
        for company in behind {
            // One company's failure is retried at the next pass; it holds up no other company.
            if let Err(e) = self.dispatch_company(&company).await {
                tracing::warn!(company = %company, error = %e, "webhook dispatch of a company failed; retrying");
            }
        }
        Ok(())
    }

    async fn dispatch_company(&self, company: &CompanyId) -> Result<()> {
        while self.dispatch_batch(company).await? {}
        Ok(())
    }

    /// One transaction: up to [`BATCH`] events after the cursor become deliveries and jobs, and
    /// the cursor moves past them. True if there may be more.
    async fn dispatch_batch(&self, company: &CompanyId) -> Result<bool> {
        let mut tx = self.store.begin().await?;
        let cursor = webhooks::lock_cursor(&mut tx, company).await?;
        let batch = events::read_after(&mut tx, company, cursor, BATCH).await?;
        let Some(last) = batch.last().map(|e| e.seq) else {
            tx.commit().await?;
            return Ok(false);
        };
        let endpoints: Vec<WebhookEndpoint> = webhooks::list_endpoints(&mut tx, company).await?;
        let now = Timestamp::now();
        for event in &batch {
            for endpoint in endpoints.iter().filter(|ep| event.seq > ep.start_seq && ep.wants(&event.event)) {
                let delivery = WebhookDelivery {
                    id: WebhookDeliveryId::new(),
                    company_id: company.clone(),
                    endpoint_id: endpoint.id.clone(),
                    event_seq: event.seq,
                    event_type: event.kind().to_owned(),
                    ordering_key: ordering_key(event),
                    status: DeliveryStatus::Pending,
                    attempts: 0,
                    last_error: None,
                    response_code: None,
                    retry_from: now,
                    created_at: now,
                    updated_at: now,
                    delivered_at: None,
                };
                webhooks::insert_delivery(&mut tx, &delivery).await?;
                jobs::enqueue(&mut tx, &deliver::job(&delivery)).await?;
            }
        }
        webhooks::advance_cursor(&mut tx, company, last).await?;
        tx.commit().await?;
        Ok(batch.len() as i64 == BATCH)
    }
}
