//! Workbins (spec §A.8): `GET /api/v2/me/workbins` (the agent's own and those of the queues
//! they are a member of), `GET /api/v2/me/workbins/{id}` (its interactions), and `POST
//! /api/v2/me/workbins/{id}` `AddInteraction` / `PullInteraction` with the interaction's `id`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};
use switchboard_api::AppState;
use switchboard_domain::routing::Workbin;

use crate::JsonObject;
use crate::error::{Code, GwsError};
use crate::interactions::{current, interaction_id, workbin_id};
use crate::me::{base_uri, operation_name};
use crate::operations::parse_workbin;
use crate::session::Agent;

fn workbin_wire(w: &Workbin, name: &str, kind: &str, base: &str) -> Value {
    let id = workbin_id(w);
    json!({
        "id": id,
        "name": name,
        "displayName": name,
        "type": kind,
        "uri": format!("{base}/me/workbins/{id}"),
    })
}

/// `GET /api/v2/me/workbins`.
pub(crate) async fn list(
    State(state): State<AppState>,
    Agent(agent): Agent,
    headers: HeaderMap,
) -> Result<Json<Value>, GwsError> {
    let base = base_uri(&headers);
    let me = &agent.actor.user.id;
    let mut workbins = vec![workbin_wire(&Workbin::Agent { user_id: me.clone() }, "My Workbin", "Agent", &base)];
    for queue in state.engine.list_queues(&agent.actor).await? {
        if queue.members.contains(me) {
            workbins.push(workbin_wire(&Workbin::Queue { queue_id: queue.id }, &queue.name, "AgentGroup", &base));
        }
    }
    Ok(Json(json!({ "statusCode": 0, "workbins": workbins })))
}

/// `GET /api/v2/me/workbins/{id}`: the interactions in it.
pub(crate) async fn content(
    State(state): State<AppState>,
    Agent(agent): Agent,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, GwsError> {
    let workbin = parse_workbin(&id, &agent.actor.user.id)?;
    let base = base_uri(&headers);
    let items = state.engine.workbin_content(&agent.actor, &workbin).await?;
    let interactions: Vec<Value> = items.iter().map(|i| current(i, None, &base)).collect();
    Ok(Json(json!({ "statusCode": 0, "interactions": interactions })))
}

/// `POST /api/v2/me/workbins/{id}`: `AddInteraction` puts the interaction `id` in the workbin,
/// `PullInteraction` takes it out to the caller (accepted).
pub(crate) async fn post(
    State(state): State<AppState>,
    Agent(agent): Agent,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, GwsError> {
    let workbin = parse_workbin(&id, &agent.actor.user.id)?;
    let operation = operation_name(&body)?;
    let interaction = match body.get("id") {
        Some(Value::String(s)) => interaction_id(s)?,
        None | Some(Value::Null) => return Err(GwsError::missing("id")),
        Some(_) => return Err(GwsError::new(Code::OutOfRange, "'id' must be a string")),
    };
    match operation {
        "AddInteraction" | "AddChat" | "AddEmail" | "AddWorkitem" => {
            state.engine.place_in_workbin(&agent.actor, &interaction, workbin).await?;
        }
        "PullInteraction" | "PullChat" | "PullEmail" | "PullWorkitem" => {
            let items = state.engine.workbin_content(&agent.actor, &workbin).await?;
            if !items.iter().any(|i| i.id == interaction) {
                return Err(GwsError::invalid("The interaction is not in this workbin"));
            }
            state.engine.pull_from_workbin(&agent.actor, &interaction).await?;
        }
        other => return Err(GwsError::invalid(format!("Unknown operationName '{other}' for a workbin"))),
    }
    Ok(Json(json!({ "statusCode": 0 })))
}
