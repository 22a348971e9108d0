//! RingPlan texting (seeds/003 "Texting - Conversations", "- Messages", "- Contacts",
//! "- Numbers", and the v2 forms of RingPlan's "Send a text message via API" guide) over the
//! engine's texting use cases. The wire objects are the seeds' (`TextConversation`,
//! `TextMessage`, `TextContact` in the domain, which the `texting.*` events carry as they are).

pub(crate) mod contacts;
pub(crate) mod conversations;
pub(crate) mod messages;
pub(crate) mod numbers;

use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::http::{HeaderMap, StatusCode};
use switchboard_domain::paging::{Page, Paged};
use switchboard_domain::{ContentId, Error, IdentityId, Resource, ThreadId};

use crate::RingPlanError;
use crate::contacts::pagination_headers;

/// Conversations and messages per page when the caller does not say.
const DEFAULT_PER_PAGE: u32 = 50;

/// A query string as its pairs, repeated names kept (`ids=a&ids=b`).
pub(crate) struct Pairs(Vec<(String, String)>);

impl Pairs {
    pub(crate) fn of(query: Result<Query<Vec<(String, String)>>, QueryRejection>) -> Result<Self, RingPlanError> {
        let Query(pairs) = query.map_err(|e| RingPlanError::bad_request(e.body_text()))?;
        Ok(Self(pairs))
    }

    /// The value of `name`; a name given twice is a 400, since only one value can be meant.
    pub(crate) fn one(&self, name: &str) -> Result<Option<&str>, RingPlanError> {
        let mut found = self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str());
        let first = found.next();
        if found.next().is_some() {
            return Err(RingPlanError::bad_request(format!("'{name}' must be given once")));
        }
        Ok(first)
    }

    /// Every value of `name`, each also split at commas (`ids=a,b`).
    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name || k == &format!("{name}[]"))
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// `page` and `per_page`, told in the texting API's own parameter names.
    pub(crate) fn page(&self) -> Result<Page, RingPlanError> {
        let number = |name: &str, default: u32| -> Result<u32, RingPlanError> {
            match self.one(name)? {
                None => Ok(default),
                // The document states both as `int32`, so a value past `i32::MAX` is refused too.
                Some(v) => v.trim().parse::<i32>().ok().and_then(|n| u32::try_from(n).ok()).ok_or_else(|| {
                    RingPlanError::bad_request(format!("'{name}' must be a positive integer, got '{v}'"))
                }),
            }
        };
        Page::new(number("page", 1)?, number("per_page", DEFAULT_PER_PAGE)?)
            .map_err(|e| RingPlanError::bad_request(e.to_string()))
    }
}

/// The four `X-Pagination-*` headers of a page.
pub(crate) fn paging<T>(paged: &Paged<T>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in pagination_headers(paged) {
        headers.insert(name, value.parse().expect("digits are a valid header value"));
    }
    headers
}

/// A conversation id from a path: one that cannot be an id names no conversation.
pub(crate) fn conversation_id(id: &str) -> Result<ThreadId, Error> {
    ThreadId::parse(id).map_err(|_| Error::NotFound(Resource::Thread))
}

pub(crate) fn contact_id(id: &str) -> Result<IdentityId, Error> {
    IdentityId::parse(id).map_err(|_| Error::NotFound(Resource::Identity))
}

/// Message ids given by the caller (`ids`, `messagesIds`): a value that is not an id is a 400
/// that names it, not a 404, since no message could ever have it.
pub(crate) fn message_ids<'a>(field: &str, ids: impl IntoIterator<Item = &'a str>) -> Result<Vec<ContentId>, Error> {
    ids.into_iter()
        .map(|id| {
            ContentId::parse(id).map_err(|_| {
                Error::invalid_field(field, format!("must hold message ids (24 hexadecimal digits), got '{id}'"))
            })
        })
        .collect()
}

/// `201 Created` for something new, `200 OK` for what already existed.
pub(crate) fn created_or_found(created: bool) -> StatusCode {
    if created { StatusCode::CREATED } else { StatusCode::OK }
}
