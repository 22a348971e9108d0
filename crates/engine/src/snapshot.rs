//! The payloads of the events this crate raises: a neutral snapshot of the resource, free of
//! secrets, that every transport (socket.io, SSE, webhooks) can forward as it is.

use serde_json::{Value, json};
use switchboard_domain::company::Company;
use switchboard_domain::conversation::{Content, ContentKind, Identity, Thread};
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

pub(crate) fn identity(i: &Identity) -> Value {
    json!({
        "id": i.id,
        "source_id": i.source_id,
        "foreign_id": i.foreign_id,
        "screen_name": i.profile.screen_name,
        "first_name": i.profile.first_name,
        "last_name": i.profile.last_name,
        "email": i.profile.email,
        "puppetizable": i.profile.puppetizable,
        "updated_at": i.updated_at.to_rfc3339_micros(),
    })
}

pub(crate) fn thread(t: &Thread) -> Value {
    json!({
        "id": t.id,
        "source_id": t.source_id,
        "foreign_id": t.foreign_id,
        "title": t.title,
        "updated_at": t.updated_at.to_rfc3339_micros(),
    })
}

/// The fields of Engage Digital's `content.*` webhook metadata that apply here, under the same
/// names, so that integrations written for it find what they expect.
pub(crate) fn content(c: &Content, created_from: &str, first_in_thread: bool) -> Value {
    json!({
        "id": c.id,
        "source_id": c.source_id,
        "source_type": "sdk",
        "thread_id": c.thread_id,
        "foreign_id": c.foreign_id,
        "type": c.kind.as_str(),
        "private": c.kind == ContentKind::PrivateMessage,
        "direction": c.direction.as_str(),
        "author_id": c.author_identity_id,
        "recipient_id": c.recipient_identity_id,
        "in_reply_to_id": c.in_reply_to_id,
        "body": c.body,
        "body_input_format": c.format.as_str(),
        "has_attachment": !c.attachments.is_empty(),
        "foreign_categories": c.details.categories,
        "language": c.details.language,
        "structured_content": c.structured_content,
        "date": c.created_at.to_rfc3339_millis(),
        "created_from": created_from,
        "creator_id": c.details.author_user_id,
        "first_in_thread": first_in_thread,
        "status": c.export.as_ref().map_or("imported", |e| e.status.as_str()),
    })
}
