//! One routing pass, inside the transaction of the change that calls for it (an arrival, an
//! agent going Ready, a rejection, a completion, an offer running out): every queued
//! interaction, longest waiting first, is offered to a member of its queue chosen by
//! [`choose`], while anyone has room. The caller holds the company's routing lock
//! ([`routing::lock`]), so decisions of one company are made one after the other, on any node.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use switchboard_domain::agent::Channel;
use switchboard_domain::event::{Event, InteractionSnapshot};
use switchboard_domain::job::{JobPayload, NewJob};
use switchboard_domain::routing::{HistoryEntry, HistoryKind, Interaction, InteractionState, Queue, Skipped};
use switchboard_domain::{CompanyId, InteractionId, QueueId, Result, Timestamp, UserId};
use switchboard_store::{Tx, agents, events, jobs, routing};

use super::queues::QueuingUpdateJob;
use super::route::{Seats, choose};

/// Queued interactions looked at per pass: the longest waiting, which are offered first anyway.
const QUEUED_PER_PASS: i64 = 1000;

/// A `routing.offer_timeout` job: the offer numbered `offer` of the interaction has run out
/// unless it was answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfferTimeoutJob {
    pub company_id: CompanyId,
    pub interaction_id: InteractionId,
    pub offer: u32,
}

impl JobPayload for OfferTimeoutJob {
    const KIND: &'static str = "routing.offer_timeout";
}

/// A `routing.route` job: a routing pass of the company, due when an interaction will have
/// waited its queue's maximum (and overflows).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteJob {
    pub company_id: CompanyId,
}

impl JobPayload for RouteJob {
    const KIND: &'static str = "routing.route";
}

/// Queues the pass that will move `i` to its queue's overflow queue, if it has one.
pub(crate) async fn schedule_overflow(tx: &mut Tx<'_>, i: &Interaction, queue: &Queue) -> Result<()> {
    if let Some(o) = &queue.overflow {
        let at = i.queued_at.plus(Duration::from_secs(u64::from(o.max_wait_secs)));
        let job = RouteJob { company_id: i.company_id.clone() };
        jobs::enqueue(tx, &NewJob::of(&job).for_company(i.company_id.clone()).run_at(at)).await?;
    }
    Ok(())
}

/// A state change of an interaction: stored, recorded in its history and announced.
pub(crate) async fn changed(
    tx: &mut Tx<'_>,
    i: &Interaction,
    queue_name: Option<&str>,
    event: fn(InteractionSnapshot) -> Event,
    reason: Option<&str>,
    agent: Option<&UserId>,
) -> Result<()> {
    routing::update_interaction(tx, i).await?;
    let entry = HistoryEntry {
        interaction_id: i.id.clone(),
        at: i.updated_at,
        kind: HistoryKind::State,
        state: i.state,
        agent_id: agent.or(i.agent_id.as_ref()).cloned(),
        queue_id: i.queue_id.clone(),
        reason: reason.unwrap_or(i.state.as_str()).to_owned(),
        skipped: vec![],
    };
    routing::record(tx, &i.company_id, &entry).await?;
    let mut snapshot = InteractionSnapshot::new(i, queue_name, reason);
    if let Some(a) = agent {
        snapshot = snapshot.with_agent(a);
    }
    events::append(tx, &i.company_id, vec![event(snapshot)]);
    Ok(())
}

/// Offers what can be offered now. Returns the queues whose waiting lines changed.
pub(crate) async fn route(tx: &mut Tx<'_>, company: &CompanyId) -> Result<Vec<QueueId>> {
    let now = Timestamp::now();
    let queues: HashMap<QueueId, Queue> =
        routing::list_queues(tx, company).await?.into_iter().map(|q| (q.id.clone(), q)).collect();
    let mut seats = Seats::new(agents::list(tx, company).await?);
    for (agent, channel, n) in routing::loads(tx, company).await? {
        seats.hold(&agent, channel, n);
    }
    // With no seat free and nothing that can overflow, no decision is possible: the waiting
    // line is not even read (most passes of a busy contact centre).
    let mut free: HashMap<Channel, u32> = Channel::ALL.into_iter().map(|c| (c, seats.free(c))).collect();
    let overflows = queues.values().any(|q| q.overflow.is_some());
    if free.values().all(|n| *n == 0) && !overflows {
        // Someone may just have joined, or left, the line: their channels are told.
        if !routing::queued(tx, company, 1).await?.is_empty() {
            tell_positions(tx, company).await?;
        }
        return Ok(Vec::new());
    }
    for (agent, channel, at) in routing::last_offers(tx, company).await? {
        seats.last_offer(&agent, channel, at);
    }
    let queued = routing::queued(tx, company, QUEUED_PER_PASS).await?;
    // Whoever waits may have moved up, or just arrived: their channels are told.
    let waiting = !queued.is_empty();
    let mut moved = Vec::new();
    // Within a pass seats only fill: a queue whose members had no room for one interaction of
    // a channel has none for the next, and the member offered last is known once read.
    let mut full: HashSet<(QueueId, Channel)> = HashSet::new();
    let mut last_offered: HashMap<QueueId, Option<UserId>> = HashMap::new();
    for mut i in queued {
        if free.values().all(|n| *n == 0) && !overflows {
            break;
        }
        overflow(tx, &mut i, &queues, now, &mut moved).await?;
        if free.get(&i.channel).is_none_or(|n| *n == 0) {
            continue;
        }
        let Some(queue) = i.queue_id.as_ref().and_then(|q| queues.get(q)) else { continue };
        if full.contains(&(queue.id.clone(), i.channel)) {
            continue;
        }
        let last = match last_offered.get(&queue.id) {
            Some(last) => last.clone(),
            None => {
                let last = routing::last_offered(tx, company, &queue.id).await?;
                last_offered.insert(queue.id.clone(), last.clone());
                last
            }
        };
        let decision = choose(queue.strategy, &queue.members, i.channel, &seats, &i.declined_by, last.as_ref());
        let Some(agent) = decision.chosen else {
            full.insert((queue.id.clone(), i.channel));
            continue;
        };
        // Everyone who could declined it once: a new round starts, in the strategy's order.
        if queue.members.iter().all(|m| i.declined_by.contains(m)) {
            i.declined_by.clear();
        }
        offer(tx, &mut i, &agent, queue.offer_timeout_secs, decision.reason, decision.skipped).await?;
        routing::set_last_offered(tx, company, &queue.id, &agent).await?;
        last_offered.insert(queue.id.clone(), Some(agent.clone()));
        seats.offered(&agent, i.channel, now);
        if let Some(n) = free.get_mut(&i.channel) {
            *n = n.saturating_sub(1);
        }
        let name = queue.name.clone();
        moved.push(queue.id.clone());
        changed(tx, &i, Some(&name), Event::InteractionOffered, None, None).await?;
    }
    if waiting {
        tell_positions(tx, company).await?;
    }
    moved.sort();
    moved.dedup();
    Ok(moved)
}

/// Queues the job that tells waiting customers' channels their place in line, unless one is
/// already waiting to run: it reads the positions when it runs, so it covers this change too
/// (one job per company at a time, not one per routing pass).
async fn tell_positions(tx: &mut Tx<'_>, company: &CompanyId) -> Result<()> {
    if jobs::is_waiting(tx, company, QueuingUpdateJob::KIND).await? {
        return Ok(());
    }
    let job = QueuingUpdateJob { company_id: company.clone() };
    jobs::enqueue(tx, &NewJob::of(&job).for_company(company.clone())).await.map(drop)
}

/// Offers `i` to `agent` until `timeout_secs` from now, recording the decision and queueing
/// the offer's time-out.
pub(crate) async fn offer(
    tx: &mut Tx<'_>,
    i: &mut Interaction,
    agent: &UserId,
    timeout_secs: u32,
    reason: String,
    skipped: Vec<Skipped>,
) -> Result<()> {
    let now = Timestamp::now();
    let deadline = now.plus(Duration::from_secs(u64::from(timeout_secs)));
    i.state = InteractionState::Offered;
    i.agent_id = Some(agent.clone());
    i.offer_deadline = Some(deadline);
    i.offers += 1;
    i.updated_at = now;
    let entry = HistoryEntry {
        interaction_id: i.id.clone(),
        at: now,
        kind: HistoryKind::Decision,
        state: InteractionState::Offered,
        agent_id: Some(agent.clone()),
        queue_id: i.queue_id.clone(),
        reason,
        skipped,
    };
    routing::record(tx, &i.company_id, &entry).await?;
    routing::set_last_offer(tx, &i.company_id, agent, i.channel, now).await?;
    let job = OfferTimeoutJob { company_id: i.company_id.clone(), interaction_id: i.id.clone(), offer: i.offers };
    jobs::enqueue(tx, &NewJob::of(&job).for_company(i.company_id.clone()).run_at(deadline)).await.map(drop)
}

/// Moves an interaction that has waited its queue's maximum to the overflow queue.
async fn overflow(
    tx: &mut Tx<'_>,
    i: &mut Interaction,
    queues: &HashMap<QueueId, Queue>,
    now: Timestamp,
    moved: &mut Vec<QueueId>,
) -> Result<()> {
    let Some(queue) = i.queue_id.as_ref().and_then(|q| queues.get(q)) else { return Ok(()) };
    let Some(o) = &queue.overflow else { return Ok(()) };
    let Some(target) = queues.get(&o.queue_id) else { return Ok(()) };
    if now < i.queued_at.plus(Duration::from_secs(u64::from(o.max_wait_secs))) {
        return Ok(());
    }
    moved.push(queue.id.clone());
    moved.push(target.id.clone());
    i.queue_id = Some(target.id.clone());
    i.queued_at = now;
    i.declined_by.clear();
    i.updated_at = now;
    schedule_overflow(tx, i, target).await?;
    changed(tx, i, Some(&target.name), Event::InteractionQueued, Some("overflow"), None).await
}
