use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use switchboard_domain::secret::Secret;
use switchboard_domain::user::Role;
use switchboard_domain::{Error, Resource, UserId};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::{JsonObject, NativeError};
use switchboard_api::AppState;
use switchboard_api::json::from_value;
use switchboard_api::problem::Problem;

fn user_id(s: &str) -> Result<UserId, NativeError> {
    UserId::parse(s).map_err(|_| Error::NotFound(Resource::User).into())
}

/// A user's new password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordWire {
    /// 8 to 256 characters, no control characters.
    #[schema(
        min_length = 8,
        max_length = 256,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*$",
        example = "correct horse battery staple"
    )]
    password: String,
}

/// Set the password a user signs in to the GWS API (`/api/v2`) with, as the user themself or
/// the company owner. The user's signed-in sessions end.
#[utoipa::path(
    put, path = "/v1/users/{user_id}/password", tag = "Native: Users",
    security(("api_key" = [])),
    params(("user_id" = String, Path, pattern = "^[0-9a-f]{24}$")),
    request_body = PasswordWire,
    responses(
        (status = 204, description = "The password is set."), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)
    )
)]
pub(crate) async fn set_password(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<StatusCode, NativeError> {
    let id = user_id(&id)?;
    let wire: PasswordWire = from_value(body).map_err(NativeError::bad_request)?;
    s.engine.set_password(&actor, &id, Secret::new(wire.password)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A user's role in the contact centre.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RoleWire {
    /// `admin`, `supervisor` or `agent`; the owner's `primary` role is not given or taken.
    #[schema(example = "supervisor", pattern = "^(admin|supervisor|agent)$")]
    role: String,
}

/// Change a user's role, as the company owner.
#[utoipa::path(
    put, path = "/v1/users/{user_id}/role", tag = "Native: Users",
    security(("api_key" = [])),
    params(("user_id" = String, Path, pattern = "^[0-9a-f]{24}$")),
    request_body = RoleWire,
    responses(
        (status = 200, body = RoleWire), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)
    )
)]
pub(crate) async fn set_role(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Json<RoleWire>, NativeError> {
    let id = user_id(&id)?;
    let wire: RoleWire = from_value(body).map_err(NativeError::bad_request)?;
    let role = match wire.role.as_str() {
        "admin" => Role::Admin,
        "supervisor" => Role::Supervisor,
        "agent" => Role::Agent,
        _ => return Err(Error::invalid_field("role", "must be 'admin', 'supervisor' or 'agent'").into()),
    };
    let user = s.engine.set_user_role(&actor, &id, role).await?;
    Ok(Json(RoleWire { role: user.role.as_str().to_owned() }))
}
