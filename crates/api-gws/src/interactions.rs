//! Interactions as GWS writes them (seeds/004, spec §A.4): `GET /interactions`,
//! `GET /me/interactions` (`uris`, or the objects with `fields=*`), `GET` and `PUT
//! /interactions/{id}`. The object is the one `InteractionStateMessage` carries on CometD.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{Value, json};
use switchboard_api::AppState;
use switchboard_domain::event::InteractionSnapshot;
use switchboard_domain::routing::{Interaction, InteractionState, Workbin};
use switchboard_domain::{Error, InteractionId, Resource};
use switchboard_engine::routing::UserDataChange;

use crate::error::GwsError;
use crate::me::base_uri;
use crate::session::Agent;
use crate::{JsonObject, operations};

#[derive(Debug, Deserialize)]
pub(crate) struct ListQuery {
    fields: Option<String>,
}

/// GWS's name of a state.
fn state_name(state: InteractionState) -> &'static str {
    match state {
        InteractionState::Queued => "Queued",
        InteractionState::Offered => "Invited",
        InteractionState::Accepted => "Accepted",
        InteractionState::InWorkbin => "InWorkbin",
        InteractionState::Completed => "Completed",
    }
}

/// A workbin's identifier on the wire: `agent.<user id>` or `queue.<queue id>`.
pub(crate) fn workbin_id(w: &Workbin) -> String {
    match w {
        Workbin::Agent { user_id } => format!("agent.{user_id}"),
        Workbin::Queue { queue_id } => format!("queue.{queue_id}"),
    }
}

/// The interaction object, `state` given as GWS names it (an event may name it otherwise:
/// `Revoked`).
pub(crate) fn wire(i: &InteractionSnapshot, state: &str, capabilities: &[String], base: &str) -> Value {
    let path = format!("/interactions/{}", i.id);
    let channel = i.channel.as_str();
    let mut kind = channel.to_owned();
    kind[..1].make_ascii_uppercase();
    json!({
        "id": i.id,
        "uri": format!("{base}{path}"),
        "path": path,
        "channel": channel,
        "interactionType": kind,
        "interactionSubType": "InboundNew",
        "state": state,
        "capabilities": capabilities,
        "userData": i.user_data,
        "currentQueue": i.queue_name,
        "assignedTo": i.agent_id,
        "workbin": i.workbin.as_ref().map(workbin_id),
        "threadId": i.thread_id,
        "offerDeadline": i.offer_deadline.map(|t| t.to_rfc3339_millis()),
    })
}

/// An interaction as it now is.
pub(crate) fn current(i: &Interaction, queue_name: Option<&str>, base: &str) -> Value {
    let snapshot = InteractionSnapshot::new(i, queue_name, None);
    wire(&snapshot, state_name(i.state), &snapshot.capabilities, base)
}

/// The wire of a state as an event reports it.
pub(crate) fn from_event(i: &InteractionSnapshot, kind: &str, base: &str) -> Value {
    match kind {
        "interaction.revoked" => wire(i, "Revoked", &[], base),
        "interaction.rejected" => wire(i, "Rejected", &[], base),
        _ => wire(i, state_name(i.state), &i.capabilities, base),
    }
}

/// A list: the interactions' `uris`, or the objects themselves with `fields=*`.
fn list(items: Vec<(Interaction, Option<String>)>, query: &ListQuery, base: &str) -> Value {
    if query.fields.as_deref() == Some("*") {
        let objects: Vec<Value> = items.iter().map(|(i, q)| current(i, q.as_deref(), base)).collect();
        json!({ "statusCode": 0, "interactions": objects })
    } else {
        let uris: Vec<String> = items.iter().map(|(i, _)| format!("{base}/interactions/{}", i.id)).collect();
        json!({ "statusCode": 0, "uris": uris })
    }
}

/// An interaction id in a path: one that cannot be an id is not found.
pub(crate) fn interaction_id(s: &str) -> Result<InteractionId, GwsError> {
    InteractionId::parse(s).map_err(|_| Error::NotFound(Resource::Interaction).into())
}

/// `GET /api/v2/interactions`: every active interaction of the contact centre, for the owner,
/// administrators and supervisors.
pub(crate) async fn list_all(
    State(state): State<AppState>,
    Agent(agent): Agent,
    Query(query): Query<ListQuery>,
    headers: HeaderMap,
) -> Result<Json<Value>, GwsError> {
    let items = state.engine.active_interactions(&agent.actor).await?;
    let items = items.into_iter().map(|d| (d.interaction, d.queue_name)).collect();
    Ok(Json(list(items, &query, &base_uri(&headers))))
}

/// `GET /api/v2/me/interactions`: the interactions offered to or accepted by the agent.
pub(crate) async fn list_mine(
    State(state): State<AppState>,
    Agent(agent): Agent,
    Query(query): Query<ListQuery>,
    headers: HeaderMap,
) -> Result<Json<Value>, GwsError> {
    let mine = state.engine.my_interactions(&agent.actor).await?;
    let mut items = Vec::with_capacity(mine.len());
    for i in mine {
        let name = match &i.queue_id {
            Some(q) => state.engine.get_queue(&agent.actor, q).await.ok().map(|q| q.name),
            None => None,
        };
        items.push((i, name));
    }
    Ok(Json(list(items, &query, &base_uri(&headers))))
}

/// `GET /api/v2/interactions/{id}`: one the agent holds (any, for supervisors).
pub(crate) async fn get_one(
    State(state): State<AppState>,
    Agent(agent): Agent,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, GwsError> {
    let d = state.engine.get_interaction(&agent.actor, &interaction_id(&id)?).await?;
    let object = current(&d.interaction, d.queue_name.as_deref(), &base_uri(&headers));
    Ok(Json(json!({ "statusCode": 0, "interaction": object })))
}

/// `PUT /api/v2/interactions/{id}` `{"userData": {...}}`: sets the given keys.
pub(crate) async fn put_one(
    State(state): State<AppState>,
    Agent(agent): Agent,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, GwsError> {
    let id = interaction_id(&id)?;
    let data = operations::user_data(&body)?;
    state.engine.change_user_data(&agent.actor, &id, UserDataChange::Update(data)).await?;
    Ok(Json(json!({ "statusCode": 0 })))
}
