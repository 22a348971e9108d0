//! `/v1/interactions`: the company's interactions (administrators), each with its history of
//! states and routing decisions: who was chosen and why, who was skipped and why.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Serialize;
use serde_json::Value;
use switchboard_domain::routing::{HistoryEntry, HistoryKind, InteractionState, Workbin};
use switchboard_domain::{Error, InteractionId, QueueId, Resource, Result, UserId};
use switchboard_engine::routing::{InteractionDetails, InteractionQuery, Position};
use utoipa::ToSchema;

use crate::NativeError;
use crate::agents::ChannelWire;
use crate::auth::Caller;
use switchboard_api::AppState;
use switchboard_api::problem::Problem;

/// An interaction: one customer conversation routed to agents.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct InteractionWire {
    id: String,
    thread_id: String,
    source_id: String,
    #[schema(value_type = ChannelWire)]
    channel: &'static str,
    queue_id: Option<String>,
    queue_name: Option<String>,
    #[schema(value_type = InteractionStateWire)]
    state: &'static str,
    /// The agent it is offered to or accepted by.
    agent_id: Option<String>,
    /// When the pending offer is revoked unless answered.
    offer_deadline: Option<String>,
    /// Offers made so far.
    offers: u32,
    /// `{"type":"agent","user_id"}` or `{"type":"queue","queue_id"}` while in a workbin.
    #[schema(value_type = Option<Object>)]
    workbin: Option<Workbin>,
    #[schema(value_type = Object)]
    user_data: Value,
    /// While queued: 1 for the next one offered.
    position: Option<u64>,
    /// While queued: seconds until an offer, from recent handle times.
    estimated_wait_secs: Option<u64>,
    queued_at: String,
    accepted_at: Option<String>,
    completed_at: Option<String>,
    created_at: String,
    updated_at: String,
    /// Oldest first.
    history: Vec<HistoryWire>,
}

/// Where an interaction is in its life.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub(crate) enum InteractionStateWire {
    Queued,
    Offered,
    Accepted,
    InWorkbin,
    Completed,
}

/// A state change, or a routing decision with the agents it passed over.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct HistoryWire {
    at: String,
    /// `state` or `decision`.
    kind: &'static str,
    #[schema(value_type = InteractionStateWire)]
    state: &'static str,
    /// For a decision, the agent chosen.
    agent_id: Option<String>,
    queue_id: Option<String>,
    /// Why: `round_robin: next in turn`, `offer_timeout`, `rejected`, …
    reason: String,
    skipped: Vec<SkippedWire>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SkippedWire {
    user_id: String,
    /// `not_ready`, `at_capacity` or `rejected_before`.
    reason: String,
}

fn history(h: &HistoryEntry) -> HistoryWire {
    HistoryWire {
        at: h.at.to_rfc3339_micros(),
        kind: match h.kind {
            HistoryKind::State => "state",
            HistoryKind::Decision => "decision",
        },
        state: h.state.as_str(),
        agent_id: h.agent_id.as_ref().map(ToString::to_string),
        queue_id: h.queue_id.as_ref().map(ToString::to_string),
        reason: h.reason.clone(),
        skipped: h
            .skipped
            .iter()
            .map(|s| SkippedWire { user_id: s.user_id.to_string(), reason: s.reason.clone() })
            .collect(),
    }
}

fn wire(d: &InteractionDetails, place: Option<&Position>) -> InteractionWire {
    let i = &d.interaction;
    InteractionWire {
        id: i.id.to_string(),
        thread_id: i.thread_id.to_string(),
        source_id: i.source_id.to_string(),
        channel: i.channel.as_str(),
        queue_id: i.queue_id.as_ref().map(ToString::to_string),
        queue_name: d.queue_name.clone(),
        state: i.state.as_str(),
        agent_id: i.agent_id.as_ref().map(ToString::to_string),
        offer_deadline: i.offer_deadline.map(|t| t.to_rfc3339_micros()),
        offers: i.offers,
        workbin: i.workbin.clone(),
        user_data: Value::Object(i.user_data.clone().into_iter().collect()),
        position: place.map(|p| p.position),
        estimated_wait_secs: place.map(|p| p.estimated_wait_secs),
        queued_at: i.queued_at.to_rfc3339_micros(),
        accepted_at: i.accepted_at.map(|t| t.to_rfc3339_micros()),
        completed_at: i.completed_at.map(|t| t.to_rfc3339_micros()),
        created_at: i.created_at.to_rfc3339_micros(),
        updated_at: i.updated_at.to_rfc3339_micros(),
        history: d.history.iter().map(history).collect(),
    }
}

fn query(q: &HashMap<String, String>) -> Result<InteractionQuery> {
    let id_of = |field: &str| q.get(field).map(|v| v.as_str());
    Ok(InteractionQuery {
        state: id_of("state").map(InteractionState::parse).transpose()?,
        agent_id: id_of("agent_id")
            .map(|v| UserId::parse(v).map_err(|_| Error::invalid_field("agent_id", "is not a user id")))
            .transpose()?,
        queue_id: id_of("queue_id")
            .map(|v| QueueId::parse(v).map_err(|_| Error::invalid_field("queue_id", "is not a queue id")))
            .transpose()?,
        active: match id_of("active") {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => return Err(Error::invalid_field("active", "must be true or false")),
        },
    })
}

/// List the company's interactions, oldest first (at most 1000), with their histories
/// (administrators). Filters: `state`, `agent_id`, `queue_id`, `active=true` (not completed).
#[utoipa::path(
    get, path = "/v1/interactions", tag = "Native: Routing",
    security(("api_key" = [])),
    params(
        ("state" = Option<InteractionStateWire>, Query),
        ("agent_id" = Option<String>, Query, pattern = "^[0-9a-f]{24}$"),
        ("queue_id" = Option<String>, Query, pattern = "^[0-9a-f]{24}$"),
        ("active" = Option<bool>, Query, description = "Only those not completed.")
    ),
    responses((status = 200, body = Vec<InteractionWire>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem))
)]
pub(crate) async fn list_interactions(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Vec<InteractionWire>>, NativeError> {
    let list = s.engine.list_interactions(&actor, &query(&q)?).await?;
    let places = s.engine.waiting_positions(&actor).await?;
    Ok(Json(list.iter().map(|d| wire(d, places.get(&d.interaction.id))).collect()))
}

/// Get an interaction with its history. Agents see the ones they hold; administrators any.
#[utoipa::path(
    get, path = "/v1/interactions/{interaction_id}", tag = "Native: Routing",
    security(("api_key" = [])),
    params(("interaction_id" = String, Path, pattern = "^[0-9a-f]{24}$")),
    responses((status = 200, body = InteractionWire), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem))
)]
pub(crate) async fn get_interaction(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<InteractionWire>, NativeError> {
    let id = InteractionId::parse(&id).map_err(|_| Error::NotFound(Resource::Interaction))?;
    let d = s.engine.get_interaction(&actor, &id).await?;
    let places = s.engine.waiting_positions(&actor).await?;
    Ok(Json(wire(&d, places.get(&id))))
}
