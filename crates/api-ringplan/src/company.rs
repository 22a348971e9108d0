use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use switchboard_domain::address::Address;
use switchboard_domain::company::{Company, CompanyDetails, CompanyProfile};
use switchboard_domain::email::Email;
use switchboard_domain::{Error, Result};
use switchboard_engine::companies::CompanyView;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::{JsonObject, Nested, RingPlanError, patched};
use switchboard_api::AppState;
use switchboard_api::problem::Problem;

/// The RingPlan company object. What the server sets (`id`, `created`, `employees`, `status`,
/// `updated`) is ignored when a request sends it back.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CompanyWire {
    #[schema(example = "611ced1255c44a89f8df7cc0")]
    id: Option<String>,
    address: Option<Address>,
    affiliate: Option<bool>,
    #[schema(
        pattern = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^@\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+@[^@.\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+(\.[^@.\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+)+[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$",
        max_length = 254
    )]
    billing_email: Option<String>,
    #[schema(example = "2021-08-18T14:20:50.837000Z")]
    created: Option<String>,
    #[schema(max_length = 10000)]
    description: Option<String>,
    #[schema(
        pattern = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^@\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+@[^@.\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+(\.[^@.\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+)+[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$",
        max_length = 254
    )]
    email: Option<String>,
    #[schema(max_length = 64)]
    emergency_contact_number: Option<String>,
    /// Number of users.
    employees: Option<i64>,
    #[schema(max_length = 64)]
    fax: Option<String>,
    /// Not blank; it cannot be removed.
    #[schema(value_type = String, required = false, max_length = 200, pattern = r"^[^\x00-\x08\x0a-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x08\x0a-\x1f\x7f-\x9f]*$", example = "Example Corp")]
    name: Option<String>,
    onboarding: Option<bool>,
    #[schema(max_length = 512)]
    partner_id: Option<String>,
    #[schema(max_length = 64)]
    phone: Option<String>,
    revenue: Option<i64>,
    #[schema(example = "active")]
    status: Option<String>,
    updated: Option<String>,
    #[schema(max_length = 2048)]
    website: Option<String>,
}

impl From<&CompanyView> for CompanyWire {
    fn from(v: &CompanyView) -> Self {
        CompanyWire::new(&v.company, Some(v.employees))
    }
}

impl Nested for CompanyWire {
    const OBJECTS: &'static [&'static str] = &["address", "address.street"];
}

impl CompanyWire {
    fn new(c: &Company, employees: Option<i64>) -> Self {
        let p = &c.profile;
        CompanyWire {
            id: Some(c.id.to_string()),
            address: p.address.clone(),
            affiliate: p.affiliate,
            billing_email: p.billing_email.as_ref().map(Email::to_string),
            created: Some(c.created_at.to_rfc3339_micros()),
            description: p.description.clone(),
            email: p.email.as_ref().map(Email::to_string),
            emergency_contact_number: p.emergency_contact_number.clone(),
            employees,
            fax: p.fax.clone(),
            name: Some(c.name.clone()),
            onboarding: p.onboarding,
            partner_id: p.partner_id.clone(),
            phone: p.phone.clone(),
            revenue: p.revenue,
            status: Some(c.status.clone()),
            updated: Some(c.updated_at.to_rfc3339_micros()),
            website: p.website.clone(),
        }
    }

    /// The writable fields; the others are read-only and ignored.
    fn details(self) -> Result<CompanyDetails> {
        Ok(CompanyDetails {
            name: self.name.ok_or_else(|| Error::invalid_field("name", "must not be empty"))?,
            profile: CompanyProfile {
                address: self.address,
                affiliate: self.affiliate,
                billing_email: self
                    .billing_email
                    .as_deref()
                    .map(|e| Email::parse_field("billing_email", e))
                    .transpose()?,
                description: self.description,
                email: self.email.as_deref().map(Email::parse).transpose()?,
                emergency_contact_number: self.emergency_contact_number,
                fax: self.fax,
                onboarding: self.onboarding,
                partner_id: self.partner_id,
                phone: self.phone,
                revenue: self.revenue,
                website: self.website,
            },
        })
    }
}

/// Get the company of the acting user.
#[utoipa::path(
    get, path = "/system/company", tag = "RingPlan: Company",
    security(("api_key" = [], "user_id" = [])),
    responses((status = 200, description = "The company.", body = CompanyWire), (status = 401, body = Problem))
)]
pub(crate) async fn get_company(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<CompanyWire>, RingPlanError> {
    Ok(Json((&s.engine.company(&actor).await?).into()))
}

/// Partially update the company (owner only).
#[utoipa::path(
    patch, path = "/company", tag = "RingPlan: Company",
    security(("api_key" = [], "user_id" = [])),
    request_body = CompanyWire,
    responses(
        (status = 200, description = "The updated company.", body = CompanyWire),
        (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, description = "The acting user is not the company owner.", body = Problem)
    )
)]
pub(crate) async fn update_company(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonObject(patch): JsonObject,
) -> Result<Json<CompanyWire>, RingPlanError> {
    let view = s.engine.update_company(&actor, |c| patched(&CompanyWire::new(c, None), patch)?.details()).await?;
    Ok(Json((&view).into()))
}
