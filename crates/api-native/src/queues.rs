//! `/v1/queues`: the routing queues (administrators), with their live figures.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use switchboard_domain::routing::{Feed, Overflow, Queue, QueueDetails, Strategy};
use switchboard_domain::{Error, QueueId, Resource, Result, SourceId, UserId};
use switchboard_engine::routing::QueueFigures;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::webhooks::IdWire;
use crate::{JsonObject, NativeError};
use switchboard_api::AppState;
use switchboard_api::json::{from_value, whole_floats_as_integers};
use switchboard_api::problem::Problem;

/// A queue, with its figures now.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct QueueWire {
    id: String,
    #[schema(example = "support")]
    name: String,
    #[schema(value_type = StrategyWire, example = "longest_idle")]
    strategy: &'static str,
    /// The agents (user ids) it offers interactions to.
    members: Vec<String>,
    /// The sources (or source and category) whose new conversations it takes.
    feeds: Vec<FeedWire>,
    /// Seconds an offer waits for an answer before it is revoked and offered to another agent.
    offer_timeout_secs: u32,
    /// Where an interaction goes after waiting `max_wait_secs` here.
    overflow: Option<OverflowWire>,
    figures: FiguresWire,
    created_at: String,
    updated_at: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FeedWire {
    #[schema(pattern = "^[0-9a-f]{24}$")]
    source_id: String,
    /// Only contents of this category of the source.
    #[schema(max_length = 255)]
    category: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OverflowWire {
    #[schema(pattern = "^[0-9a-f]{24}$")]
    queue_id: String,
    #[schema(minimum = 1, maximum = 604800)]
    max_wait_secs: u32,
}

/// A queue's live figures.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FiguresWire {
    /// Interactions queued, not yet offered.
    waiting: u64,
    /// Seconds the longest-waiting one has waited (0 when none waits).
    longest_wait_secs: u64,
    /// Members Ready on some channel.
    agents_ready: u64,
    /// Average seconds from acceptance to completion over the last completed interactions.
    average_handle_secs: Option<f64>,
}

impl From<QueueFigures> for FiguresWire {
    fn from(f: QueueFigures) -> Self {
        FiguresWire {
            waiting: f.waiting,
            longest_wait_secs: f.longest_wait_secs,
            agents_ready: f.agents_ready,
            average_handle_secs: f.average_handle_secs,
        }
    }
}

impl QueueWire {
    fn new(q: &Queue, figures: QueueFigures) -> Self {
        QueueWire {
            id: q.id.to_string(),
            name: q.name.clone(),
            strategy: q.strategy.as_str(),
            members: q.members.iter().map(ToString::to_string).collect(),
            feeds: q
                .feeds
                .iter()
                .map(|f| FeedWire { source_id: f.source_id.to_string(), category: f.category.clone() })
                .collect(),
            offer_timeout_secs: q.offer_timeout_secs,
            overflow: q
                .overflow
                .as_ref()
                .map(|o| OverflowWire { queue_id: o.queue_id.to_string(), max_wait_secs: o.max_wait_secs }),
            figures: figures.into(),
            created_at: q.created_at.to_rfc3339_micros(),
            updated_at: q.updated_at.to_rfc3339_micros(),
        }
    }
}

/// How a queue picks the agent to offer an interaction to.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub(crate) enum StrategyWire {
    LongestIdle,
    RoundRobin,
    LeastBusy,
}

/// A queue as written: created with `POST`, replaced whole with `PUT`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct QueueBody {
    /// Not blank.
    #[schema(
        max_length = 200,
        pattern = r"^[^\x00-\x08\x0a-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x08\x0a-\x1f\x7f-\x9f]*$",
        example = "support"
    )]
    name: String,
    /// Default `longest_idle`.
    #[schema(value_type = Option<StrategyWire>)]
    strategy: Option<String>,
    /// User ids.
    #[serde(default)]
    #[schema(value_type = Vec<IdWire>)]
    members: Vec<String>,
    #[serde(default)]
    feeds: Vec<FeedWire>,
    /// 1 to 86400; default 30.
    #[schema(minimum = 1, maximum = 86400)]
    offer_timeout_secs: Option<u32>,
    overflow: Option<OverflowWire>,
}

impl QueueBody {
    fn into_details(self) -> Result<QueueDetails> {
        let members = self
            .members
            .iter()
            .enumerate()
            .map(|(k, m)| {
                UserId::parse(m).map_err(|_| Error::invalid_field(format!("members[{k}]"), "is not a user id"))
            })
            .collect::<Result<_>>()?;
        let feeds = self
            .feeds
            .into_iter()
            .enumerate()
            .map(|(k, f)| {
                let source_id = SourceId::parse(&f.source_id)
                    .map_err(|_| Error::invalid_field(format!("feeds[{k}].source_id"), "is not a source id"))?;
                Ok(Feed { source_id, category: f.category })
            })
            .collect::<Result<_>>()?;
        let overflow = self
            .overflow
            .map(|o| {
                let queue_id = QueueId::parse(&o.queue_id)
                    .map_err(|_| Error::invalid_field("overflow.queue_id", "is not a queue id"))?;
                Ok::<_, Error>(Overflow { queue_id, max_wait_secs: o.max_wait_secs })
            })
            .transpose()?;
        Ok(QueueDetails {
            name: self.name,
            strategy: self.strategy.as_deref().map(Strategy::parse).transpose()?.unwrap_or(Strategy::LongestIdle),
            members,
            feeds,
            offer_timeout_secs: self.offer_timeout_secs.unwrap_or(QueueDetails::DEFAULT_OFFER_TIMEOUT_SECS),
            overflow,
        })
    }
}

fn queue_id(id: &str) -> Result<QueueId> {
    QueueId::parse(id).map_err(|_| Error::NotFound(Resource::Queue))
}

fn details(mut body: serde_json::Value) -> Result<QueueDetails, NativeError> {
    whole_floats_as_integers(&mut body);
    let body: QueueBody = from_value(body).map_err(NativeError::bad_request)?;
    Ok(body.into_details()?)
}

async fn wire(s: &AppState, actor: &switchboard_engine::Actor, q: &Queue) -> Result<QueueWire> {
    Ok(QueueWire::new(q, s.engine.queue_figures(actor, q).await?))
}

/// List the company's queues, by name, with their figures.
#[utoipa::path(
    get, path = "/v1/queues", tag = "Native: Routing",
    security(("api_key" = [])),
    responses((status = 200, body = Vec<QueueWire>), (status = 401, body = Problem), (status = 403, body = Problem))
)]
pub(crate) async fn list_queues(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Vec<QueueWire>>, NativeError> {
    let mut out = Vec::new();
    for q in s.engine.list_queues(&actor).await? {
        out.push(wire(&s, &actor, &q).await?);
    }
    Ok(Json(out))
}

/// Add a queue (administrators).
#[utoipa::path(
    post, path = "/v1/queues", tag = "Native: Routing",
    security(("api_key" = [])),
    request_body = QueueBody,
    responses(
        (status = 201, body = QueueWire), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 409, description = "The name is taken.", body = Problem)
    )
)]
pub(crate) async fn create_queue(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<QueueWire>), NativeError> {
    let q = s.engine.create_queue(&actor, details(body)?).await?;
    Ok((StatusCode::CREATED, Json(wire(&s, &actor, &q).await?)))
}

/// Get a queue with its figures now.
#[utoipa::path(
    get, path = "/v1/queues/{queue_id}", tag = "Native: Routing",
    security(("api_key" = [])),
    params(("queue_id" = String, Path, pattern = "^[0-9a-f]{24}$")),
    responses((status = 200, body = QueueWire), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem))
)]
pub(crate) async fn get_queue(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<QueueWire>, NativeError> {
    let q = s.engine.get_queue(&actor, &queue_id(&id)?).await?;
    Ok(Json(wire(&s, &actor, &q).await?))
}

/// Replace a queue's configuration, members included (administrators).
#[utoipa::path(
    put, path = "/v1/queues/{queue_id}", tag = "Native: Routing",
    security(("api_key" = [])),
    params(("queue_id" = String, Path, pattern = "^[0-9a-f]{24}$")),
    request_body = QueueBody,
    responses(
        (status = 200, body = QueueWire), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)
    )
)]
pub(crate) async fn update_queue(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Json<QueueWire>, NativeError> {
    let id = queue_id(&id)?;
    let q = s.engine.update_queue(&actor, &id, details(body)?).await?;
    Ok(Json(wire(&s, &actor, &q).await?))
}

/// Delete a queue that holds no open interaction and is no other queue's overflow.
#[utoipa::path(
    delete, path = "/v1/queues/{queue_id}", tag = "Native: Routing",
    security(("api_key" = [])),
    params(("queue_id" = String, Path, pattern = "^[0-9a-f]{24}$")),
    responses(
        (status = 204, description = "Deleted."), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)
    )
)]
pub(crate) async fn delete_queue(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, NativeError> {
    s.engine.delete_queue(&actor, &queue_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
