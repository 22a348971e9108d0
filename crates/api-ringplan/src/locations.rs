use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use switchboard_domain::address::{Building, Street};
use switchboard_domain::email::Email;
use switchboard_domain::location::{Location, LocationDetails, NewLocation};
use switchboard_domain::{CompanyId, Error, LocationId, Resource, Result};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::{JsonObject, Nested, RingPlanError, parse_wire, patched};
use switchboard_api::AppState;
use switchboard_api::problem::Problem;

/// The RingPlan location object. Its `id` is set by the server and ignored in requests.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LocationWire {
    #[schema(example = "61254e7ecbe793d0e26c7996")]
    id: Option<String>,
    #[schema(max_length = 255)]
    address2: Option<String>,
    building: Option<Building>,
    #[schema(max_length = 64)]
    callerid: Option<String>,
    #[schema(max_length = 255, example = "Chula Vista")]
    city: Option<String>,
    /// The company the location belongs to: always the caller's. A request may leave it out or
    /// repeat it; naming another company is forbidden (403).
    company_id: Option<String>,
    #[schema(max_length = 255, example = "United States")]
    country: Option<String>,
    e911_provisioned: Option<bool>,
    #[schema(
        pattern = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^@\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+@[^@.\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+(\.[^@.\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+)+[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$",
        max_length = 254
    )]
    email: Option<String>,
    #[schema(max_length = 64)]
    fax: Option<String>,
    #[schema(minimum = -90, maximum = 90, example = 33.3877219)]
    latitude: Option<f64>,
    #[schema(minimum = -180, maximum = 180, example = -116.7919419)]
    longitude: Option<f64>,
    /// Required when creating a location; not blank, and it cannot be removed.
    #[schema(value_type = String, required = false, max_length = 200, pattern = r"^[^\x00-\x08\x0a-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x08\x0a-\x1f\x7f-\x9f]*$", example = "Main location")]
    name: Option<String>,
    #[schema(max_length = 512)]
    pbx_id: Option<String>,
    #[schema(max_length = 64)]
    phone: Option<String>,
    #[schema(max_length = 255, example = "CA")]
    state: Option<String>,
    street: Option<Street>,
    #[schema(max_length = 255, example = "91901")]
    zip: Option<String>,
}

impl From<&Location> for LocationWire {
    fn from(l: &Location) -> Self {
        let d = &l.details;
        LocationWire {
            id: Some(l.id.to_string()),
            address2: d.address2.clone(),
            building: d.building.clone(),
            callerid: d.callerid.clone(),
            city: d.city.clone(),
            company_id: Some(l.company_id.to_string()),
            country: d.country.clone(),
            e911_provisioned: d.e911_provisioned,
            email: d.email.as_ref().map(Email::to_string),
            fax: d.fax.clone(),
            latitude: d.latitude,
            longitude: d.longitude,
            name: Some(l.name.clone()),
            pbx_id: d.pbx_id.clone(),
            phone: d.phone.clone(),
            state: d.state.clone(),
            street: d.street.clone(),
            zip: d.zip.clone(),
        }
    }
}

impl Nested for LocationWire {
    const OBJECTS: &'static [&'static str] = &["building", "street"];
}

impl LocationWire {
    /// The writable fields, for a location of `company`.
    fn input(self, company: &CompanyId) -> Result<NewLocation> {
        if self.company_id.as_deref().is_some_and(|c| c != company.as_str()) {
            return Err(Error::forbidden("'company_id' must be the id of your own company (or be left out)"));
        }
        Ok(NewLocation {
            name: self.name.ok_or_else(|| Error::invalid_field("name", "is required"))?,
            details: LocationDetails {
                address2: self.address2,
                building: self.building,
                callerid: self.callerid,
                city: self.city,
                country: self.country,
                e911_provisioned: self.e911_provisioned,
                email: self.email.as_deref().map(Email::parse).transpose()?,
                fax: self.fax,
                latitude: self.latitude,
                longitude: self.longitude,
                pbx_id: self.pbx_id,
                phone: self.phone,
                state: self.state,
                street: self.street,
                zip: self.zip,
            },
        })
    }
}

switchboard_api::request_schema!(
    /// A location to add: a location object with its `name`.
    NewLocationWire = LocationWire, &[&["name"]]
);

fn location_id(id: &str) -> Result<LocationId> {
    LocationId::parse(id).map_err(|_| Error::NotFound(Resource::Location))
}

/// List the company's locations.
#[utoipa::path(
    get, path = "/company/locations", tag = "RingPlan: Locations",
    security(("api_key" = [], "user_id" = [])),
    responses((status = 200, description = "The locations.", body = Vec<LocationWire>), (status = 401, body = Problem))
)]
pub(crate) async fn list_locations(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Vec<LocationWire>>, RingPlanError> {
    Ok(Json(s.engine.list_locations(&actor).await?.iter().map(LocationWire::from).collect()))
}

/// Add a location to the company (owner only).
#[utoipa::path(
    post, path = "/company/locations", tag = "RingPlan: Locations",
    security(("api_key" = [], "user_id" = [])),
    request_body = NewLocationWire,
    responses(
        (status = 201, description = "The new location.", body = LocationWire),
        (status = 400, description = "The location could not be validated.", body = Problem),
        (status = 401, body = Problem),
        (status = 403, description = "The acting user is not the company owner, or `company_id` names another company.", body = Problem)
    )
)]
pub(crate) async fn create_location(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<LocationWire>), RingPlanError> {
    actor.require_primary("add locations")?;
    let new = parse_wire::<LocationWire>(body)?.input(&actor.company_id)?;
    let location = s.engine.create_location(&actor, new).await?;
    Ok((StatusCode::CREATED, Json((&location).into())))
}

/// Partially update a location (owner only).
#[utoipa::path(
    patch, path = "/company/locations/{location_id}", tag = "RingPlan: Locations",
    security(("api_key" = [], "user_id" = [])),
    params(("location_id" = String, Path, pattern = "^[0-9a-f]{24}$", description = "Id of the location to update")),
    request_body = LocationWire,
    responses(
        (status = 200, description = "The updated location.", body = LocationWire),
        (status = 400, description = "Some fields are not valid.", body = Problem),
        (status = 401, body = Problem),
        (status = 403, description = "The acting user may not edit locations, or `company_id` names another company.", body = Problem),
        (status = 404, description = "No such location.", body = Problem)
    )
)]
pub(crate) async fn update_location(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonObject(patch): JsonObject,
) -> Result<Json<LocationWire>, RingPlanError> {
    let id = location_id(&id)?;
    let company = actor.company_id.clone();
    let location =
        s.engine.update_location(&actor, &id, |l| patched(&LocationWire::from(l), patch)?.input(&company)).await?;
    Ok(Json((&location).into()))
}

/// Delete a location (owner only). A company keeps at least one location.
#[utoipa::path(
    delete, path = "/company/locations/{location_id}", tag = "RingPlan: Locations",
    security(("api_key" = [], "user_id" = [])),
    params(("location_id" = String, Path, pattern = "^[0-9a-f]{24}$", description = "Id of the location to delete")),
    responses(
        (status = 200, description = "The location was deleted; the body is what it was.", body = LocationWire),
        (status = 401, body = Problem),
        (status = 403, description = "The acting user is not the company owner.", body = Problem),
        (status = 404, description = "No such location.", body = Problem),
        (status = 409, description = "It is the company's last location.", body = Problem)
    )
)]
pub(crate) async fn delete_location(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<LocationWire>, RingPlanError> {
    actor.require_primary("delete locations")?;
    let location = s.engine.delete_location(&actor, &location_id(&id)?).await?;
    Ok(Json((&location).into()))
}
