//! `/v1/agents`: every user of the company as an agent: state, capacity and load per channel.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use switchboard_domain::agent::{AgentChannel, AgentState, Channel, StateChange};
use switchboard_domain::text::TextRule;
use switchboard_domain::{Error, Resource, Result, UserId};
use switchboard_engine::routing::AgentLoad;
use utoipa::openapi::schema::{
    AdditionalProperties, AllOfBuilder, AnyOfBuilder, KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat,
    SchemaType, Type,
};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use crate::auth::Caller;
use crate::{JsonObject, NativeError};
use switchboard_api::AppState;
use switchboard_api::json::{from_value, whole_floats_as_integers};
use switchboard_api::problem::Problem;

/// An agent and their channels.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AgentWire {
    user_id: String,
    channels: Vec<AgentChannelWire>,
}

/// An agent on one channel.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AgentChannelWire {
    #[schema(value_type = ChannelWire, example = "chat")]
    channel: &'static str,
    #[schema(value_type = AgentStateWire, example = "ready")]
    state: &'static str,
    /// Why NotReady (`session_ended` when the agent's session ended).
    reason: Option<String>,
    /// Interactions of this channel the agent handles at once.
    capacity: u32,
    /// Interactions of this channel offered to or accepted by the agent now.
    load: u32,
    updated_at: String,
}

fn channel_wire(a: &AgentChannel, load: u32) -> AgentChannelWire {
    AgentChannelWire {
        channel: a.channel.as_str(),
        state: a.state.as_str(),
        reason: a.reason.clone(),
        capacity: a.capacity,
        load,
        updated_at: a.updated_at.to_rfc3339_micros(),
    }
}

impl From<&AgentLoad> for AgentWire {
    fn from(l: &AgentLoad) -> Self {
        AgentWire {
            user_id: l.user_id.to_string(),
            channels: l.channels.iter().map(|(a, n)| channel_wire(a, *n)).collect(),
        }
    }
}

/// A change of an agent on one channel: its state (with a reason when `not_ready`), its
/// capacity (administrators), or both.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AgentChannelPatch {
    state: Option<String>,
    reason: Option<String>,
    capacity: Option<u32>,
}

/// The document of [`AgentChannelPatch`], written by hand because a `reason` goes with a
/// `state`: a schema that says so is a `properties` object and an `anyOf`, which the derive
/// cannot write.
impl PartialSchema for AgentChannelPatch {
    fn schema() -> RefOr<Schema> {
        let state = || Ref::from_schema_name("AgentStateWire");
        let fields = ObjectBuilder::new()
            .property("state", OneOfBuilder::new().item(state()).item(ObjectBuilder::new().schema_type(Type::Null)))
            .property(
                "reason",
                ObjectBuilder::new()
                    .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
                    .max_length(Some(TextRule::LABEL.max_chars))
                    .description(Some("Why `not_ready`; only with `state` `not_ready`.")),
            )
            .property(
                "capacity",
                ObjectBuilder::new()
                    .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
                    .minimum(Some(0))
                    .maximum(Some(1000)),
            )
            .additional_properties(Some(AdditionalProperties::FreeForm(false)));
        let not_ready = ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["not_ready"]));
        let reason_needs_state = AnyOfBuilder::new()
            .item(ObjectBuilder::new().property("reason", ObjectBuilder::new().schema_type(Type::Null)))
            .item(ObjectBuilder::new().property("state", not_ready).required("state"));
        AllOfBuilder::new()
            .description(Some(
                "A change of an agent on one channel: its state (with a reason when `not_ready`), its \
                 capacity (administrators), or both.",
            ))
            .item(fields)
            .item(reason_needs_state)
            .into()
    }
}

impl ToSchema for AgentChannelPatch {}

/// The channels an agent takes interactions on.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub(crate) enum ChannelWire {
    Chat,
    Sms,
    Email,
}

/// Whether an agent takes new interactions on a channel.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub(crate) enum AgentStateWire {
    Ready,
    NotReady,
}

fn user_id(id: &str) -> Result<UserId> {
    UserId::parse(id).map_err(|_| Error::NotFound(Resource::User))
}

async fn agent(s: &AppState, actor: &switchboard_engine::Actor, user: &UserId) -> Result<AgentWire> {
    s.engine
        .list_agents(actor)
        .await?
        .iter()
        .find(|l| &l.user_id == user)
        .map(AgentWire::from)
        .ok_or(Error::NotFound(Resource::User))
}

/// List the company's users as agents: state, capacity and load on every channel.
#[utoipa::path(
    get, path = "/v1/agents", tag = "Native: Routing",
    security(("api_key" = [])),
    responses((status = 200, body = Vec<AgentWire>), (status = 401, body = Problem), (status = 403, body = Problem))
)]
pub(crate) async fn list_agents(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Vec<AgentWire>>, NativeError> {
    Ok(Json(s.engine.list_agents(&actor).await?.iter().map(AgentWire::from).collect()))
}

/// Get one agent.
#[utoipa::path(
    get, path = "/v1/agents/{user_id}", tag = "Native: Routing",
    security(("api_key" = [])),
    params(("user_id" = String, Path, pattern = "^[0-9a-f]{24}$")),
    responses((status = 200, body = AgentWire), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem))
)]
pub(crate) async fn get_agent(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<AgentWire>, NativeError> {
    Ok(Json(agent(&s, &actor, &user_id(&id)?).await?))
}

/// Change an agent's state or capacity on one channel. Agents set their own state; the owner and
/// administrators anyone's, and capacities. Going `not_ready` revokes the agent's pending
/// offers there, which are offered to others.
#[utoipa::path(
    patch, path = "/v1/agents/{user_id}/channels/{channel}", tag = "Native: Routing",
    security(("api_key" = [])),
    params(("user_id" = String, Path, pattern = "^[0-9a-f]{24}$"), ("channel" = ChannelWire, Path)),
    request_body = AgentChannelPatch,
    responses(
        (status = 200, body = AgentWire), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem)
    )
)]
pub(crate) async fn update_agent_channel(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path((id, channel)): Path<(String, String)>,
    JsonObject(mut body): JsonObject,
) -> Result<Json<AgentWire>, NativeError> {
    whole_floats_as_integers(&mut body);
    let user = user_id(&id)?;
    let channel = Channel::parse(&channel)?;
    let patch: AgentChannelPatch = from_value(body).map_err(NativeError::bad_request)?;
    let state = patch.state.as_deref().map(AgentState::parse).transpose()?;
    if state.is_none() && patch.reason.is_some() {
        return Err(Error::invalid_field("reason", "goes with 'state'").into());
    }
    // Both checked before either is written: a refused half changes nothing.
    let change = state.map(|state| StateChange { state, reason: patch.reason });
    if let Some(c) = &change {
        c.validate()?;
    }
    if let Some(capacity) = patch.capacity {
        s.engine.set_agent_capacity(&actor, &user, channel, capacity).await?;
    }
    if let Some(c) = change {
        s.engine.set_agent_state(&actor, &user, Some(channel), c).await?;
    }
    Ok(Json(agent(&s, &actor, &user).await?))
}
