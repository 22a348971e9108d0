//! Intake tails every routed company's event log: an inbound content on a thread without an
//! open interaction opens one in the first queue (by name) its source (and category) feeds;
//! later contents of the thread follow that interaction to its agent. Its cursor moves in the
//! transaction that creates the interactions and routes them, so a crash loses nothing and
//! repeats nothing, and several nodes take turns per company.

use std::collections::BTreeMap;

use switchboard_domain::agent::Channel;
use switchboard_domain::conversation::Direction;
use switchboard_domain::event::{Event, InteractionSnapshot};
use switchboard_domain::routing::{HistoryEntry, HistoryKind, Interaction, InteractionState};
use switchboard_domain::{CompanyId, InteractionId, Result, Timestamp};
use switchboard_store::{events, routing};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use super::pass::{route, schedule_overflow};
use crate::Engine;

/// Events read per transaction.
const BATCH: i64 = 500;
/// Companies looked at per pass.
const COMPANIES: i64 = 1000;

/// The running intake; [`Intake::stop`] ends it between transactions.
pub struct Intake {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Intake {
    pub fn start(engine: Engine) -> Self {
        let (stop, mut stopped) = watch::channel(false);
        let mut committed = engine.store.subscribe_committed();
        let mut woken = engine.wakeups();
        let poll = engine.routing.poll;
        let task = tokio::spawn(async move {
            while !*stopped.borrow() {
                if let Err(e) = engine.take_in().await {
                    tracing::warn!(error = %e, "routing intake failed; retrying");
                }
                tokio::select! {
                    r = committed.recv() => if let Err(broadcast::error::RecvError::Closed) = r { break },
                    r = woken.recv() => if let Err(broadcast::error::RecvError::Closed) = r { break },
                    () = tokio::time::sleep(poll) => {}
                    _ = stopped.changed() => {}
                }
                // One pass covers every commit so far.
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

impl Engine {
    /// Brings every routed company's interactions up to its log.
    pub async fn take_in(&self) -> Result<()> {
        let behind = routing::companies_behind(&mut self.store.reader().await?, COMPANIES).await?;
        for company in behind {
            // One company's failure is retried at the next pass; it holds up no other company.
            while match self.take_in_batch(&company).await {
                Ok(more) => more,
                Err(e) => {
                    tracing::warn!(company = %company, error = %e, "routing intake of a company failed; retrying");
                    false
                }
            } {}
        }
        Ok(())
    }

    /// One transaction: up to [`BATCH`] events after the cursor open interactions, which are
    /// routed, and the cursor moves past them. True if there may be more.
    async fn take_in_batch(&self, company: &CompanyId) -> Result<bool> {
        let mut tx = self.store.begin().await?;
        let cursor = routing::lock(&mut tx, company).await?;
        let batch = events::read_after(&mut tx, company, cursor, BATCH).await?;
        let Some(last) = batch.last().map(|e| e.seq) else {
            tx.commit().await?;
            return Ok(false);
        };
        let queues = routing::list_queues(&mut tx, company).await?;
        let mut opened = 0;
        for logged in &batch {
            let Event::ContentImported(c) = &logged.event else { continue };
            if c.direction != Direction::Inbound
                || routing::open_for_thread(&mut tx, company, &c.thread_id).await?.is_some()
            {
                continue;
            }
            let Some(queue) = queues.iter().find(|q| q.is_fed_by(&c.source_id, &c.foreign_categories)) else {
                continue;
            };
            let now = Timestamp::now();
            let i = Interaction {
                id: InteractionId::new(),
                company_id: company.clone(),
                thread_id: c.thread_id.clone(),
                source_id: c.source_id.clone(),
                channel: Channel::of_source(c.source_type),
                queue_id: Some(queue.id.clone()),
                state: InteractionState::Queued,
                agent_id: None,
                offer_deadline: None,
                offers: 0,
                declined_by: vec![],
                workbin: None,
                user_data: BTreeMap::new(),
                queued_at: now,
                accepted_at: None,
                completed_at: None,
                created_at: now,
                updated_at: now,
            };
            routing::insert_interaction(&mut tx, &i).await?;
            let entry = HistoryEntry {
                interaction_id: i.id.clone(),
                at: now,
                kind: HistoryKind::State,
                state: InteractionState::Queued,
                agent_id: None,
                queue_id: Some(queue.id.clone()),
                reason: format!("created by content {} in queue {}", c.id, queue.name),
                skipped: vec![],
            };
            routing::record(&mut tx, company, &entry).await?;
            schedule_overflow(&mut tx, &i, queue).await?;
            events::append(
                &mut tx,
                company,
                vec![Event::InteractionCreated(InteractionSnapshot::new(&i, Some(&queue.name), None))],
            );
            opened += 1;
        }
        if opened > 0 {
            route(&mut tx, company).await?;
        }
        routing::advance(&mut tx, company, last).await?;
        tx.commit().await?;
        Ok(batch.len() as i64 == BATCH)
    }
}
