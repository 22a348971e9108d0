//! The payloads of the events this crate raises: a neutral snapshot of the resource, free of
//! secrets, that every transport (socket.io, SSE, webhooks) can forward as it is.

use serde_json::{Value, json};
use switchboard_domain::company::Company;
use switchboard_domain::location::Location;
use switchboard_domain::user::User;

pub(crate) fn company(c: &Company) -> Value {
    json!({
        "id": c.id,
        "name": c.name,
        "status": c.status,
        "updated_at": c.updated_at.to_rfc3339_micros(),
    })
}

pub(crate) fn user(u: &User) -> Value {
    json!({
        "id": u.id,
        "company_id": u.company_id,
        "role": u.role.as_str(),
        "first_name": u.first_name,
        "last_name": u.last_name,
        "email": u.email,
        "activated": u.activated,
        "updated_at": u.updated_at.to_rfc3339_micros(),
    })
}

pub(crate) fn location(l: &Location) -> Value {
    json!({
        "id": l.id,
        "company_id": l.company_id,
        "name": l.name,
        "updated_at": l.updated_at.to_rfc3339_micros(),
    })
}
