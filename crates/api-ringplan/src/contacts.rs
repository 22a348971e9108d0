use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use switchboard_domain::address::Address;
use switchboard_domain::email::Email;
use switchboard_domain::paging::{Page, Paged};
use switchboard_domain::user::{Phones, User, UserDetails, UserFilter, UserProfile};
use switchboard_domain::{Error, Resource, Result, UserId};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::{JsonObject, Nested, RingPlanError, parse_wire, patched};
use switchboard_api::AppState;
use switchboard_api::problem::Problem;

pub(crate) const DEFAULT_PER_PAGE: u32 = 50;

/// The RingPlan contact object: a user of the company. What the server sets (`id`,
/// `company_id`, `created`, `last_enter`, `updated`) is ignored when a request sends it back.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ContactWire {
    #[schema(example = "611ced1355c44a89f8df7cc3")]
    id: Option<String>,
    /// Whether the user is enabled (default true).
    activated: Option<bool>,
    address: Option<Address>,
    /// A date, `YYYY-MM-DD` (an RFC 3339 date-time is read as its date).
    #[schema(max_length = 255, format = Date, example = "1990-05-17")]
    birthdate: Option<String>,
    #[schema(example = "611ced1255c44a89f8df7cc0")]
    company_id: Option<String>,
    contacts: Option<ContactChannels>,
    #[schema(example = "2021-08-18T11:20:51.510000Z")]
    created: Option<String>,
    #[schema(max_length = 10000)]
    description: Option<String>,
    #[schema(max_length = 64)]
    emergency_contact_number: Option<String>,
    extension: Option<Value>,
    #[schema(max_length = 200, example = "Jane")]
    first_name: Option<String>,
    invitation: Option<Value>,
    last_enter: Option<String>,
    #[schema(max_length = 200, example = "Doe")]
    last_name: Option<String>,
    #[schema(max_length = 512)]
    primary_agent: Option<String>,
    #[schema(max_length = 255, example = "UTC")]
    timezone: Option<String>,
    #[schema(max_length = 255, example = "Ms")]
    title: Option<String>,
    updated: Option<String>,
}

/// Contact numbers and addresses of a contact.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ContactChannels {
    /// Unique in the company (case-insensitive).
    #[schema(
        pattern = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^@\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+@[^@.\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+(\.[^@.\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+)+[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$",
        max_length = 254,
        example = "janedoe@example.com"
    )]
    email: Option<String>,
    #[schema(max_length = 64)]
    fax: Option<String>,
    phones: Option<Phones>,
}

impl From<&User> for ContactWire {
    fn from(u: &User) -> Self {
        let p = &u.profile;
        ContactWire {
            id: Some(u.id.to_string()),
            activated: Some(u.activated),
            address: p.address.clone(),
            birthdate: p.birthdate.clone(),
            company_id: Some(u.company_id.to_string()),
            contacts: Some(ContactChannels {
                email: u.email.as_ref().map(Email::to_string),
                fax: p.fax.clone(),
                phones: p.phones.clone(),
            }),
            created: Some(u.created_at.to_rfc3339_micros()),
            description: p.description.clone(),
            emergency_contact_number: p.emergency_contact_number.clone(),
            extension: p.extension.clone(),
            first_name: u.first_name.clone(),
            invitation: p.invitation.clone(),
            last_enter: u.last_enter.map(|t| t.to_rfc3339_micros()),
            last_name: u.last_name.clone(),
            primary_agent: p.primary_agent.clone(),
            timezone: p.timezone.clone(),
            title: p.title.clone(),
            updated: Some(u.updated_at.to_rfc3339_micros()),
        }
    }
}

impl Nested for ContactWire {
    const OBJECTS: &'static [&'static str] = &["address", "address.street", "contacts", "contacts.phones"];
}

impl Nested for ContactsQuery {}

impl ContactWire {
    /// The writable fields; `activated` keeps `activated_now` when not given.
    fn details(self, activated_now: bool) -> Result<UserDetails> {
        let channels = self.contacts.unwrap_or_default();
        Ok(UserDetails {
            first_name: self.first_name,
            last_name: self.last_name,
            email: channels.email.as_deref().map(|e| Email::parse_field("contacts.email", e)).transpose()?,
            activated: self.activated.unwrap_or(activated_now),
            profile: UserProfile {
                address: self.address,
                birthdate: self.birthdate,
                description: self.description,
                emergency_contact_number: self.emergency_contact_number,
                extension: self.extension,
                fax: channels.fax,
                invitation: self.invitation,
                phones: channels.phones,
                primary_agent: self.primary_agent,
                timezone: self.timezone,
                title: self.title,
            },
        })
    }
}

/// Where RingPlan puts a user's field the core names `field`: the email, fax and phone numbers
/// are under `contacts`.
fn contact_field(field: &str) -> String {
    if field == "email" || field == "fax" || field.starts_with("phones.") {
        format!("contacts.{field}")
    } else {
        field.to_owned()
    }
}

/// Query of the contact list. Numbers are taken as text so that a bad value gets a clear 400.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ContactsQuery {
    /// Only contacts with this first name (case-insensitive).
    #[param(max_length = 200)]
    first_name: Option<String>,
    /// Only the contact with this email (case-insensitive).
    #[param(max_length = 254)]
    work_email: Option<String>,
    /// Contacts per page, 1 to 1000 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    items_per_page: Option<String>,
    /// Page number, from 1 (default 1).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 4294967295_u32)]
    page: Option<String>,
}

fn positive(name: &str, value: Option<&str>, default: u32) -> Result<u32> {
    match value {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<u32>()
            .map_err(|_| Error::invalid_field(name, format!("must be a positive integer, got '{v}'"))),
    }
}

pub(crate) fn pagination_headers<T>(paged: &Paged<T>) -> [(HeaderName, String); 4] {
    [
        (HeaderName::from_static("x-pagination-total-count"), paged.total.to_string()),
        (HeaderName::from_static("x-pagination-page-count"), paged.page_count().to_string()),
        (HeaderName::from_static("x-pagination-current-page"), paged.page.number.to_string()),
        (HeaderName::from_static("x-pagination-per-page"), paged.page.per_page.to_string()),
    ]
}

/// List the users of the company, filtered and paginated.
#[utoipa::path(
    get, path = "/system/company/contacts", tag = "RingPlan: Users",
    security(("api_key" = [], "user_id" = [])),
    params(ContactsQuery),
    responses(
        (status = 200, description = "A page of contacts.", body = Vec<ContactWire>, headers(
            ("X-Pagination-Total-Count" = u64, description = "Number of matching contacts"),
            ("X-Pagination-Page-Count" = u64, description = "Number of pages"),
            ("X-Pagination-Current-Page" = u32, description = "Index of the current page"),
            ("X-Pagination-Per-Page" = u32, description = "Contacts per page"),
        )),
        (status = 204, description = "No contact matches the filters."),
        (status = 400, description = "Invalid parameter.", body = Problem),
        (status = 401, body = Problem)
    )
)]
pub(crate) async fn list_contacts(
    State(s): State<AppState>,
    Caller(actor): Caller,
    query: std::result::Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
) -> std::result::Result<Response, RingPlanError> {
    let Query(raw) = query.map_err(|e| RingPlanError::bad_request(e.body_text()))?;
    let q: ContactsQuery = parse_wire(serde_json::to_value(raw).unwrap_or_default())?;
    let page = Page::new(
        positive("page", q.page.as_deref(), 1)?,
        positive("items_per_page", q.items_per_page.as_deref(), DEFAULT_PER_PAGE)?,
    )?;
    let filter = UserFilter { first_name: q.first_name, email: q.work_email };
    let paged = s
        .engine
        .list_users(&actor, &filter, page)
        .await
        .map_err(|e| e.rename_field(|f| if f == "email" { "work_email".into() } else { f.to_owned() }))?;
    if paged.total == 0 {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let mut headers = HeaderMap::new();
    for (name, value) in pagination_headers(&paged) {
        headers.insert(name, value.parse().expect("digits are a valid header value"));
    }
    let body: Vec<ContactWire> = paged.items.iter().map(ContactWire::from).collect();
    Ok((headers, Json(body)).into_response())
}

/// Add a user to the company (owner only).
#[utoipa::path(
    post, path = "/company/contacts", tag = "RingPlan: Users",
    security(("api_key" = [], "user_id" = [])),
    request_body = ContactWire,
    responses(
        (status = 201, description = "The new contact.", body = ContactWire),
        (status = 400, description = "The contact could not be validated (e.g. a malformed email).", body = Problem),
        (status = 401, body = Problem),
        (status = 403, description = "The acting user is not the company owner.", body = Problem),
        (status = 409, description = "Another contact of the company has this email.", body = Problem)
    )
)]
pub(crate) async fn create_contact(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonObject(body): JsonObject,
) -> std::result::Result<(StatusCode, Json<ContactWire>), RingPlanError> {
    actor.require_primary("add users")?;
    let details = parse_wire::<ContactWire>(body)?.details(true)?;
    let user = s.engine.create_user(&actor, details).await.map_err(|e| e.rename_field(contact_field))?;
    Ok((StatusCode::CREATED, Json((&user).into())))
}

/// Partially update a user (the user themself or the owner).
#[utoipa::path(
    patch, path = "/company/contacts/{contact_id}", tag = "RingPlan: Users",
    security(("api_key" = [], "user_id" = [])),
    params(("contact_id" = String, Path, pattern = "^[0-9a-f]{24}$", description = "Id of the contact to update")),
    request_body = ContactWire,
    responses(
        (status = 200, description = "The updated contact.", body = ContactWire),
        (status = 400, description = "Invalid fields in the payload.", body = Problem),
        (status = 401, body = Problem),
        (status = 403, description = "The acting user is neither the one updated nor the owner.", body = Problem),
        (status = 404, description = "No such contact.", body = Problem),
        (status = 409, description = "Another contact of the company has this email, or the primary user would be deactivated.", body = Problem)
    )
)]
pub(crate) async fn update_contact(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonObject(patch): JsonObject,
) -> std::result::Result<Json<ContactWire>, RingPlanError> {
    let id = UserId::parse(&id).map_err(|_| Error::NotFound(Resource::User))?;
    let user = s
        .engine
        .update_user(&actor, &id, |u| {
            let wire: ContactWire = patched(&ContactWire::from(u), patch)?;
            wire.details(u.activated)
        })
        .await
        .map_err(|e| e.rename_field(contact_field))?;
    Ok(Json((&user).into()))
}

/// Delete a user (owner only). The primary user cannot be deleted.
#[utoipa::path(
    delete, path = "/company/contacts/{contact_id}", tag = "RingPlan: Users",
    security(("api_key" = [], "user_id" = [])),
    params(("contact_id" = String, Path, pattern = "^[0-9a-f]{24}$", description = "Id of the contact to delete")),
    responses(
        (status = 200, description = "The contact was deleted; the body is what it was.", body = ContactWire),
        (status = 401, body = Problem),
        (status = 403, description = "The acting user is not the company owner.", body = Problem),
        (status = 404, description = "No such contact.", body = Problem),
        (status = 409, description = "The primary user cannot be deleted.", body = Problem)
    )
)]
pub(crate) async fn delete_contact(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> std::result::Result<Json<ContactWire>, RingPlanError> {
    actor.require_primary("delete users")?;
    let id = UserId::parse(&id).map_err(|_| Error::NotFound(Resource::User))?;
    let user = s.engine.delete_user(&actor, &id).await?;
    Ok(Json((&user).into()))
}
