//! Queues: their configuration (administrators), and their live figures.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use switchboard_domain::agent::Channel;
use switchboard_domain::job::{JobOutcome, JobPayload};
use switchboard_domain::routing::{InteractionState, Queue, QueueDetails};
use switchboard_domain::{CompanyId, Error, InteractionId, QueueId, Resource, Result, Timestamp};
use switchboard_store::{Conn, Tx, agents, routing, sources, threads, users};

use crate::channels::sdk::export::QueuingUpdate;
use crate::{Actor, Engine};

/// Completed interactions the estimated wait is computed from.
const RECENT_HANDLED: i64 = 20;
/// The handle time assumed before a queue has completed anything, in seconds.
const DEFAULT_HANDLE_SECS: f64 = 120.0;

/// A queue's figures now.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueFigures {
    pub waiting: u64,
    /// Seconds the longest-waiting interaction has waited.
    pub longest_wait_secs: u64,
    /// Members Ready on some channel.
    pub agents_ready: u64,
    /// Seconds from acceptance to completion, on average over the last completed ones.
    pub average_handle_secs: Option<f64>,
}

/// A queued interaction's place in its queue.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    /// 1 for the next one to be offered.
    pub position: u64,
    pub estimated_wait_secs: u64,
}

/// A `routing.queuing_update` job: tell the channels of the company's waiting conversations
/// their new place in line, where it changed (`messaging.queuing_update` on SDK sources that
/// declare it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueuingUpdateJob {
    pub company_id: CompanyId,
}

impl JobPayload for QueuingUpdateJob {
    const KIND: &'static str = "routing.queuing_update";
    const MAX_ATTEMPTS: i32 = 3;
}

impl Engine {
    /// Runs a `routing.queuing_update` job. A connector that does not answer is not asked
    /// again for the same position: the next change tells it the next one.
    pub async fn send_queuing_updates(&self, job: &QueuingUpdateJob) -> Result<JobOutcome> {
        let company = &job.company_id;
        let mut r = self.store.reader().await?;
        let mut told = Vec::new();
        for queue in routing::list_queues(&mut r, company).await? {
            let before: HashMap<_, _> =
                routing::told_positions(&mut r, company, &queue.id).await?.into_iter().collect();
            for (i, place) in positions(&mut r, company, &queue).await? {
                let position = i32::try_from(place.position).unwrap_or(i32::MAX);
                if before.get(&i.id) == Some(&position) {
                    continue;
                }
                let (Some(source), Some(thread)) =
                    (sources::get(&mut r, company, &i.source_id).await?, threads::get(&mut r, &i.thread_id).await?)
                else {
                    continue;
                };
                let update = QueuingUpdate {
                    estimated_wait_time: place.estimated_wait_secs,
                    position: place.position,
                    thread_id: thread.foreign_id.clone(),
                    in_reply_to_id: None,
                };
                self.queuing_update(&source, &update).await;
                told.push((i.id, position));
            }
        }
        drop(r);
        if !told.is_empty() {
            let mut tx = self.store.begin().await?;
            for (id, position) in &told {
                routing::set_told_position(&mut tx, company, id, *position).await?;
            }
            tx.commit().await?;
        }
        Ok(JobOutcome::Done)
    }

    #[tracing::instrument(skip_all, fields(company = %actor.company_id))]
    pub async fn create_queue(&self, actor: &Actor, details: QueueDetails) -> Result<Queue> {
        actor.require_admin("configure queues")?;
        details.validate()?;
        let mut tx = self.store.begin().await?;
        routing::lock(&mut tx, &actor.company_id).await?;
        check_references(&mut tx, &actor.company_id, &details, None).await?;
        let now = Timestamp::now();
        let queue = Queue {
            id: QueueId::new(),
            company_id: actor.company_id.clone(),
            name: details.name,
            strategy: details.strategy,
            members: dedup(details.members),
            feeds: details.feeds,
            offer_timeout_secs: details.offer_timeout_secs,
            overflow: details.overflow,
            created_at: now,
            updated_at: now,
        };
        routing::insert_queue(&mut tx, &queue).await.map_err(name_taken)?;
        tx.commit().await?;
        Ok(queue)
    }

    /// Replaces the queue's configuration and routes what its new members can take.
    #[tracing::instrument(skip_all, fields(company = %actor.company_id, queue = %id))]
    pub async fn update_queue(&self, actor: &Actor, id: &QueueId, details: QueueDetails) -> Result<Queue> {
        actor.require_admin("configure queues")?;
        details.validate()?;
        let mut tx = self.store.begin().await?;
        routing::lock(&mut tx, &actor.company_id).await?;
        let current =
            routing::get_queue(&mut tx, &actor.company_id, id).await?.ok_or(Error::NotFound(Resource::Queue))?;
        check_references(&mut tx, &actor.company_id, &details, Some(id)).await?;
        let queue = Queue {
            name: details.name,
            strategy: details.strategy,
            members: dedup(details.members),
            feeds: details.feeds,
            offer_timeout_secs: details.offer_timeout_secs,
            overflow: details.overflow,
            updated_at: Timestamp::now(),
            ..current
        };
        routing::update_queue(&mut tx, &queue).await.map_err(name_taken)?;
        super::pass::route(&mut tx, &actor.company_id).await?;
        tx.commit().await?;
        Ok(queue)
    }

    /// Deletes a queue that holds no open interaction.
    #[tracing::instrument(skip_all, fields(company = %actor.company_id, queue = %id))]
    pub async fn delete_queue(&self, actor: &Actor, id: &QueueId) -> Result<Queue> {
        actor.require_admin("configure queues")?;
        let mut tx = self.store.begin().await?;
        routing::lock(&mut tx, &actor.company_id).await?;
        let queue =
            routing::get_queue(&mut tx, &actor.company_id, id).await?.ok_or(Error::NotFound(Resource::Queue))?;
        let f = routing::InteractionFilter { queue_id: Some(id), active: true, ..Default::default() };
        if !routing::list_interactions(&mut tx, &actor.company_id, &f, 1).await?.is_empty() {
            return Err(Error::Conflict("the queue has open interactions; complete or move them first".into()));
        }
        let others = routing::list_queues(&mut tx, &actor.company_id).await?;
        if let Some(q) = others.iter().find(|q| q.overflow.as_ref().is_some_and(|o| &o.queue_id == id)) {
            return Err(Error::Conflict(format!("queue '{}' overflows into this queue", q.name)));
        }
        routing::delete_queue(&mut tx, &actor.company_id, id).await?;
        tx.commit().await?;
        Ok(queue)
    }

    pub async fn list_queues(&self, actor: &Actor) -> Result<Vec<Queue>> {
        routing::list_queues(&mut self.store.reader().await?, &actor.company_id).await
    }

    pub async fn get_queue(&self, actor: &Actor, id: &QueueId) -> Result<Queue> {
        routing::get_queue(&mut self.store.reader().await?, &actor.company_id, id)
            .await?
            .ok_or(Error::NotFound(Resource::Queue))
    }

    /// Every queued interaction's place in its queue and estimated wait.
    pub async fn waiting_positions(&self, actor: &Actor) -> Result<HashMap<InteractionId, Position>> {
        let mut r = self.store.reader().await?;
        let mut out = HashMap::new();
        for queue in routing::list_queues(&mut r, &actor.company_id).await? {
            out.extend(positions(&mut r, &actor.company_id, &queue).await?.into_iter().map(|(i, p)| (i.id, p)));
        }
        Ok(out)
    }

    /// The queue's live figures.
    pub async fn queue_figures(&self, actor: &Actor, queue: &Queue) -> Result<QueueFigures> {
        let mut r = self.store.reader().await?;
        figures(&mut r, &actor.company_id, queue).await
    }
}

pub(crate) async fn figures(c: &mut impl Conn, company: &CompanyId, queue: &Queue) -> Result<QueueFigures> {
    let (waiting, oldest) = routing::waiting(c, company, &queue.id).await?;
    let now = Timestamp::now();
    let longest = oldest.map_or(0, |t| (now.as_micros() - t.as_micros()).max(0) / 1_000_000);
    let ready: HashSet<_> = agents::list(c, company)
        .await?
        .into_iter()
        .filter(|a| a.is_ready() && queue.members.contains(&a.user_id))
        .map(|a| a.user_id)
        .collect();
    Ok(QueueFigures {
        waiting,
        longest_wait_secs: longest as u64,
        agents_ready: ready.len() as u64,
        average_handle_secs: routing::recent_handle_secs(c, company, &queue.id, RECENT_HANDLED).await?,
    })
}

/// The place of each queued interaction of the queue, in order, with its estimated wait: the
/// recent average handle time for each interaction ahead, shared among the members Ready on
/// the channel (at least one).
pub(crate) async fn positions(
    c: &mut impl Conn,
    company: &CompanyId,
    queue: &Queue,
) -> Result<Vec<(switchboard_domain::routing::Interaction, Position)>> {
    let f = routing::InteractionFilter {
        queue_id: Some(&queue.id),
        state: Some(InteractionState::Queued),
        ..Default::default()
    };
    let mut waiting = routing::list_interactions(c, company, &f, i64::MAX).await?;
    waiting.sort_by(|a, b| a.queued_at.cmp(&b.queued_at).then(a.id.cmp(&b.id)));
    let handle =
        routing::recent_handle_secs(c, company, &queue.id, RECENT_HANDLED).await?.unwrap_or(DEFAULT_HANDLE_SECS);
    let agents = agents::list(c, company).await?;
    let ready_on = |ch: Channel| {
        agents.iter().filter(|a| a.channel == ch && a.is_ready() && queue.members.contains(&a.user_id)).count().max(1)
    };
    Ok(waiting
        .into_iter()
        .enumerate()
        .map(|(k, i)| {
            let ahead = k as f64 + 1.0;
            let wait = (ahead * handle / ready_on(i.channel) as f64).round() as u64;
            (i, Position { position: k as u64 + 1, estimated_wait_secs: wait })
        })
        .collect())
}

fn dedup(members: Vec<switchboard_domain::UserId>) -> Vec<switchboard_domain::UserId> {
    let mut seen = HashSet::new();
    members.into_iter().filter(|m| seen.insert(m.clone())).collect()
}

/// Members are users of the company, feeds its sources, the overflow queue another of its queues.
async fn check_references(
    tx: &mut Tx<'_>,
    company: &CompanyId,
    d: &QueueDetails,
    this: Option<&QueueId>,
) -> Result<()> {
    for (k, m) in d.members.iter().enumerate() {
        if users::get(tx, company, m).await?.is_none() {
            return Err(Error::invalid_field(format!("members[{k}]"), format!("no user '{m}' in this company")));
        }
    }
    for (k, f) in d.feeds.iter().enumerate() {
        if sources::get(tx, company, &f.source_id).await?.is_none() {
            return Err(Error::invalid_field(
                format!("feeds[{k}].source_id"),
                format!("no source '{}' in this company", f.source_id),
            ));
        }
    }
    if let Some(o) = &d.overflow {
        if Some(&o.queue_id) == this {
            return Err(Error::invalid_field("overflow.queue_id", "a queue cannot overflow into itself"));
        }
        if routing::get_queue(tx, company, &o.queue_id).await?.is_none() {
            return Err(Error::invalid_field(
                "overflow.queue_id",
                format!("no queue '{}' in this company", o.queue_id),
            ));
        }
    }
    Ok(())
}

/// A concurrent create can win the race for a name; the unique key says so.
fn name_taken(e: Error) -> Error {
    match e {
        Error::Conflict(_) => Error::Conflict("a queue with this name already exists".into()),
        other => other,
    }
}
