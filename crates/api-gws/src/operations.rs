//! `POST /api/v2/me/interactions/{id}`: every operation of seeds/004, plus `SendMessage`. Each
//! answers the body seeds/004 shows for it (the table is in `docs/gws.md`): `{"status":"ok"}`
//! or `{"status":"error","errorDescription"}` for most, `{"status":0}` for `Cancel`,
//! `{"statusCode":0}` for `Complete`, `Transfer` and `SendMessage`; the others fail with
//! `{"statusCode":N,"statusMessage"}`.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};
use switchboard_api::AppState;
use switchboard_domain::UserId;
use switchboard_domain::routing::Workbin;
use switchboard_domain::{Error, QueueId, Resource};
use switchboard_engine::routing::{TransferTarget, UserDataChange};

use crate::error::{Code, GwsError, Style};
use crate::interactions::interaction_id;
use crate::me::{base_uri, operation_name};
use crate::session::Agent;
use crate::{Gws, JsonObject, messages};

/// How an operation answers success, and in which style it fails.
#[derive(Clone, Copy)]
enum Answer {
    /// `{"status":"ok"}`; fails `{"status":"error","errorDescription"}`.
    Ok,
    /// `{"status":0}`; fails `{"statusCode":N,"statusMessage"}`.
    Zero,
    /// `{"statusCode":0}`; fails `{"statusCode":N,"statusMessage"}`.
    CodeZero,
}

impl Answer {
    fn of(operation: &str) -> Option<Self> {
        Some(match operation {
            "Accept" | "Reject" | "PlaceInQueue" | "UpdateUserData" | "AttachUserData" | "DeleteUserData"
            | "PlaceInWorkbin" | "GetWorkbinContent" => Answer::Ok,
            "Cancel" => Answer::Zero,
            "Complete" | "Transfer" | "SendMessage" => Answer::CodeZero,
            _ => return None,
        })
    }

    fn body(self) -> Value {
        match self {
            Answer::Ok => json!({ "status": "ok" }),
            Answer::Zero => json!({ "status": 0 }),
            Answer::CodeZero => json!({ "statusCode": 0 }),
        }
    }

    fn style(self) -> Style {
        match self {
            Answer::Ok => Style::StatusText,
            Answer::Zero | Answer::CodeZero => Style::StatusCode,
        }
    }
}

/// A string parameter of the body.
fn string<'a>(body: &'a Value, name: &str) -> Result<Option<&'a str>, GwsError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(GwsError::new(Code::OutOfRange, format!("'{name}' must be a string"))),
    }
}

fn required<'a>(body: &'a Value, name: &str) -> Result<&'a str, GwsError> {
    string(body, name)?.ok_or_else(|| GwsError::missing(name))
}

/// The `userData` object of a body.
pub(crate) fn user_data(body: &Value) -> Result<BTreeMap<String, Value>, GwsError> {
    match body.get("userData") {
        None | Some(Value::Null) => Err(GwsError::missing("userData")),
        Some(Value::Object(map)) => Ok(map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
        Some(_) => Err(GwsError::new(Code::OutOfRange, "'userData' must be an object")),
    }
}

/// The keys `DeleteUserData` removes: `keys`, or the keys of `userData` as seeds/004 writes it.
fn keys_to_delete(body: &Value) -> Result<Vec<String>, GwsError> {
    match body.get("keys") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|k| {
                k.as_str().map(str::to_owned).ok_or_else(|| GwsError::new(Code::OutOfRange, "'keys' must be strings"))
            })
            .collect(),
        Some(Value::Null) | None => {
            user_data(body).map(|d| d.into_keys().collect()).map_err(|_| GwsError::missing("keys"))
        }
        Some(_) => Err(GwsError::new(Code::OutOfRange, "'keys' must be an array of strings")),
    }
}

/// A workbin named by its identifier (`agent.<user id>`, `queue.<queue id>`, or `me`).
pub(crate) fn parse_workbin(s: &str, me: &UserId) -> Result<Workbin, GwsError> {
    let not_found = || GwsError::new(Code::NotFound, format!("Unknown workbin '{s}'"));
    if s == "me" {
        return Ok(Workbin::Agent { user_id: me.clone() });
    }
    match s.split_once('.') {
        Some(("agent", id)) => UserId::parse(id).map(|user_id| Workbin::Agent { user_id }).map_err(|_| not_found()),
        Some(("queue", id)) => QueueId::parse(id).map(|queue_id| Workbin::Queue { queue_id }).map_err(|_| not_found()),
        _ => Err(not_found()),
    }
}

/// The agent a `Transfer` names: `userId`, or the last segment of `userUri`.
fn transfer_target(body: &Value) -> Result<TransferTarget, GwsError> {
    let user = match (string(body, "userId")?, string(body, "userUri")?) {
        (Some(id), _) => Some(id),
        (None, Some(uri)) => Some(uri.trim_end_matches('/').rsplit('/').next().unwrap_or_default()),
        (None, None) => None,
    };
    match (user, string(body, "queueName")?) {
        (Some(id), _) => {
            UserId::parse(id).map(TransferTarget::User).map_err(|_| Error::NotFound(Resource::User).into())
        }
        (None, Some(queue)) => Ok(TransferTarget::Queue(queue.to_owned())),
        (None, None) => Err(GwsError::missing("userId")),
    }
}

/// `POST /api/v2/me/interactions/{id}`.
pub(crate) async fn post(
    State(state): State<AppState>,
    axum::Extension(gws): axum::Extension<Gws>,
    Agent(agent): Agent,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, GwsError> {
    let operation = operation_name(&body)?;
    let Some(answer) = Answer::of(operation) else {
        return Err(GwsError::invalid(format!("Unknown operationName '{operation}' for an interaction")));
    };
    let (engine, actor) = (&state.engine, &agent.actor);
    let run = async {
        let id = interaction_id(&id)?;
        match operation {
            "Accept" => engine.accept_interaction(actor, &id).await.map(drop)?,
            "Reject" => engine.reject_interaction(actor, &id).await.map(drop)?,
            "Cancel" => engine.cancel_interaction(actor, &id).await.map(drop)?,
            "Complete" => engine.complete_interaction(actor, &id).await.map(drop)?,
            "PlaceInQueue" => {
                let queue = required(&body, "queueName")?;
                engine.place_in_queue(actor, &id, queue).await.map(drop)?
            }
            "UpdateUserData" => {
                engine.change_user_data(actor, &id, UserDataChange::Update(user_data(&body)?)).await.map(drop)?
            }
            "AttachUserData" => {
                engine.change_user_data(actor, &id, UserDataChange::Attach(user_data(&body)?)).await.map(drop)?
            }
            "DeleteUserData" => {
                engine.change_user_data(actor, &id, UserDataChange::Delete(keys_to_delete(&body)?)).await.map(drop)?
            }
            "PlaceInWorkbin" => {
                let workbin = parse_workbin(required(&body, "workbin")?, &actor.user.id)?;
                engine.place_in_workbin(actor, &id, workbin).await.map(drop)?
            }
            "GetWorkbinContent" => {
                let workbin = parse_workbin(required(&body, "workbin")?, &actor.user.id)?;
                let content = engine.workbin_content(actor, &workbin).await?;
                let base = base_uri(&headers);
                let messages = content.iter().map(|i| messages::workbin_item(i, &workbin, &base)).collect();
                gws.clients.push(&agent.session.id, messages);
            }
            "Transfer" => engine.transfer_interaction(actor, &id, transfer_target(&body)?).await.map(drop)?,
            "SendMessage" => {
                let text = required(&body, "text")?.to_owned();
                engine.send_interaction_message(actor, &id, text).await.map(drop)?
            }
            other => return Err(GwsError::invalid(format!("Unknown operationName '{other}' for an interaction"))),
        }
        Ok::<(), GwsError>(())
    };
    run.await.map_err(|e| e.styled(answer.style()))?;
    Ok(Json(answer.body()))
}
