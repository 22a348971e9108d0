//! `/api/v2/me`: the signed-in user (spec §A.9, §A.11) and their contact-centre session
//! (spec §A.2).

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};
use switchboard_api::AppState;
use switchboard_domain::user::{Role, User};

use switchboard_domain::agent::StateChange;

use crate::channels::{channel_wire, parse_channel, session_channels, state_change};
use crate::error::{Code, GwsError};
use crate::session::{Agent, SessionEnded, clear_cookie};
use crate::{Gws, JsonObject};

#[derive(Debug, Deserialize)]
pub(crate) struct MeQuery {
    subresources: Option<String>,
}

/// GWS's role names: each role has the rights of the ones below it.
fn roles(role: Role) -> Vec<&'static str> {
    match role {
        Role::Primary | Role::Admin => vec!["ROLE_ADMIN", "ROLE_SUPERVISOR", "ROLE_AGENT"],
        Role::Supervisor => vec!["ROLE_SUPERVISOR", "ROLE_AGENT"],
        Role::Agent => vec!["ROLE_AGENT"],
    }
}

/// `http://<host>/api/v2`, from the request's `Host`, for the absolute `uri` GWS resources carry.
pub(crate) fn base_uri(headers: &HeaderMap) -> String {
    let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    format!("http://{host}/api/v2")
}

fn user_wire(user: &User, base: &str) -> Value {
    let path = format!("/users/{}", user.id);
    json!({
        "id": user.id,
        "userName": user.email.as_ref().map(|e| e.as_str()),
        "emailAddress": user.email.as_ref().map(|e| e.as_str()),
        "firstName": user.first_name,
        "lastName": user.last_name,
        "roles": roles(user.role),
        "enabled": user.activated,
        "path": path,
        "uri": format!("{base}{path}"),
    })
}

/// `GET /api/v2/me`: the user; with `subresources=*`, also their channels and their states,
/// devices, skills and settings.
pub(crate) async fn get_me(
    State(state): State<AppState>,
    Agent(agent): Agent,
    Query(query): Query<MeQuery>,
    headers: HeaderMap,
) -> Result<Json<Value>, GwsError> {
    let mut user = user_wire(&agent.actor.user, &base_uri(&headers));
    if query.subresources.as_deref() == Some("*") {
        let states = state.engine.agent_states(&agent.actor, &agent.actor.user.id).await?;
        user["channels"] = states
            .iter()
            .map(|c| {
                let mut wire = channel_wire(c.channel, c.state, c.reason.as_deref());
                wire["capacity"] = c.capacity.into();
                wire
            })
            .collect();
        user["devices"] = json!([]);
        user["skills"] = json!([]);
        user["settings"] = json!({});
    }
    Ok(Json(json!({ "statusCode": 0, "user": user })))
}

/// The `operationName` of a body, or the error GWS answers without one.
pub(crate) fn operation_name(body: &Value) -> Result<&str, GwsError> {
    match body.get("operationName") {
        None | Some(Value::Null) => Err(GwsError::missing("operationName")),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(GwsError::new(Code::OutOfRange, "'operationName' must be a string")),
    }
}

/// `POST /api/v2/me`: `StartContactCenterSession` (`channels`), `EndContactCenterSession`,
/// `Ready` and `NotReady` (every channel, with an optional `reason`).
pub(crate) async fn post_me(
    State(state): State<AppState>,
    Extension(gws): Extension<Gws>,
    Agent(agent): Agent,
    JsonObject(body): JsonObject,
) -> Result<Response, GwsError> {
    let ok = || Json(json!({ "statusCode": 0 })).into_response();
    let (engine, actor) = (&state.engine, &agent.actor);
    match operation_name(&body)? {
        "StartContactCenterSession" => {
            let (channels, unknown) = session_channels(&body)?;
            for channel in channels {
                engine.set_agent_state(actor, &actor.user.id, Some(channel), StateChange::not_ready(None)).await?;
            }
            if unknown.is_empty() {
                Ok(ok())
            } else {
                let message = format!("Not started on channels Switchboard does not route: {}", unknown.join(", "));
                Ok(Json(json!({ "statusCode": 7, "statusMessage": message })).into_response())
            }
        }
        "EndContactCenterSession" => {
            engine.end_agent_session(actor, &actor.user.id).await?;
            state.engine.end_session(&agent.session).await?;
            gws.clients.remove_session(&agent.session.id);
            let mut res = ok();
            clear_cookie(&mut res);
            res.extensions_mut().insert(SessionEnded);
            Ok(res)
        }
        op @ ("Ready" | "NotReady") => {
            let change = state_change(op == "Ready", &body)?;
            engine.set_agent_state(actor, &actor.user.id, None, change).await?;
            Ok(ok())
        }
        other => Err(GwsError::invalid(format!("Unknown operationName '{other}' for /me"))),
    }
}

/// `POST /api/v2/me/channels/{channel}`: `Ready` or `NotReady` (with an optional `reason`) on
/// one channel.
pub(crate) async fn post_channel(
    State(state): State<AppState>,
    Agent(agent): Agent,
    axum::extract::Path(channel): axum::extract::Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, GwsError> {
    let channel = parse_channel(&channel)?;
    match operation_name(&body)? {
        op @ ("Ready" | "NotReady") => {
            let change = state_change(op == "Ready", &body)?;
            state.engine.set_agent_state(&agent.actor, &agent.actor.user.id, Some(channel), change).await?;
            Ok(Json(json!({ "statusCode": 0 })))
        }
        other => Err(GwsError::invalid(format!("Unknown operationName '{other}' for a channel"))),
    }
}
