use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Serialize;
use serde_json::Value;
use switchboard_domain::conversation::Identity;
use switchboard_domain::{Error, IdentityId, Resource};
use utoipa::{IntoParams, ToSchema};

use crate::EngageError;
use crate::auth::Caller;
use crate::error::ErrorBody;
use crate::paging::{self, Paging};
use switchboard_api::AppState;

/// An identity: a customer, or a controlled identity agents may publish as.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IdentityRecord {
    #[schema(example = "642d950e206a4e0007666f31")]
    id: String,
    source_id: String,
    /// The channel's id of the person.
    foreign_id: String,
    #[schema(example = "John Doe")]
    screen_name: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
    avatar_url: Option<String>,
    /// Whether agents and bots may author contents as this identity.
    puppetizable: bool,
    gender: Option<String>,
    home_phone: Option<String>,
    mobile_phone: Option<String>,
    context_data: Option<Value>,
    creation_time: String,
    update_time: String,
}

impl From<&Identity> for IdentityRecord {
    fn from(i: &Identity) -> Self {
        let p = &i.profile;
        IdentityRecord {
            id: i.id.to_string(),
            source_id: i.source_id.to_string(),
            foreign_id: i.foreign_id.clone(),
            screen_name: p.screen_name.clone(),
            first_name: p.first_name.clone(),
            last_name: p.last_name.clone(),
            email: p.email.clone(),
            avatar_url: p.avatar_url.clone(),
            puppetizable: p.puppetizable,
            gender: p.gender.clone(),
            home_phone: p.home_phone.clone(),
            mobile_phone: p.mobile_phone.clone(),
            context_data: p.context_data.clone(),
            creation_time: i.created_at.to_rfc3339_millis(),
            update_time: i.updated_at.to_rfc3339_millis(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct IdentitiesPage {
    records: Vec<IdentityRecord>,
    paging: Paging,
}

/// The list's query, for the OpenAPI document.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code, non_snake_case)]
struct ListParams {
    /// Records per page, 1 to 100 (default 30).
    #[param(minimum = 1, maximum = 100)]
    perPage: Option<u32>,
    /// `nextPageToken` of the previous page.
    pageToken: Option<String>,
}

/// List known identities, newest first.
#[utoipa::path(
    get, path = "/engage/advanced-messaging/v1/identities", tag = "Advanced Messaging",
    security(("api_key" = [])),
    params(ListParams),
    responses((status = 200, body = IdentitiesPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody))
)]
pub(crate) async fn list_identities(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<IdentitiesPage>, EngageError> {
    let per_page = paging::per_page(q.get("perPage").map(String::as_str))?;
    let after = q.get("pageToken").map(|t| paging::decode(t)).transpose()?;
    let page = s.engine.list_identities(&actor, after, per_page).await?;
    Ok(Json(IdentitiesPage {
        records: page.items.iter().map(IdentityRecord::from).collect(),
        paging: Paging::new(per_page, q.get("pageToken").cloned(), page.next.as_ref()),
    }))
}

/// Get an identity, e.g. the `authorIdentityId` of a content.
#[utoipa::path(
    get, path = "/engage/advanced-messaging/v1/identities/{identity_id}", tag = "Advanced Messaging",
    security(("api_key" = [])),
    params(("identity_id" = String, Path, pattern = "^[0-9a-f]{24}$")),
    responses((status = 200, body = IdentityRecord), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub(crate) async fn get_identity(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<IdentityRecord>, EngageError> {
    let id = IdentityId::parse(&id).map_err(|_| Error::NotFound(Resource::Identity))?;
    Ok(Json((&s.engine.identity(&actor, &id).await?).into()))
}
