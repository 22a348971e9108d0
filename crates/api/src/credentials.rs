//! Reading credentials from requests, shared by the facades that use company API keys.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use switchboard_domain::{Error, Result};
use switchboard_engine::auth::UserRef;
use switchboard_engine::{Actor, Engine};

/// Whether a facade requires `X-User-Id` or acts as the owner without it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserHeader {
    Required,
    DefaultPrimary,
}

/// The API key of `Authorization: Bearer <key>` (scheme case-insensitive) and the user named by
/// `X-User-Id`. Anything missing or malformed is `Unauthenticated`.
fn key_and_user(headers: &HeaderMap, user_header: UserHeader) -> Result<(&str, UserRef)> {
    let value = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).ok_or(Error::Unauthenticated)?;
    let (scheme, key) = value.split_once(' ').ok_or(Error::Unauthenticated)?;
    let key = key.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || key.is_empty() {
        return Err(Error::Unauthenticated);
    }
    let user = match (headers.get("x-user-id"), user_header) {
        (Some(v), _) => UserRef::parse(v.to_str().map_err(|_| Error::Unauthenticated)?.trim())?,
        (None, UserHeader::DefaultPrimary) => UserRef::Primary,
        (None, UserHeader::Required) => return Err(Error::Unauthenticated),
    };
    Ok((key, user))
}

/// The caller of a request, by its API key and user; the caller's company is then named on the
/// request's span, so that every log line of the request carries it.
pub async fn authenticate(engine: &Engine, headers: &HeaderMap, user_header: UserHeader) -> Result<Actor> {
    let (key, user) = key_and_user(headers, user_header)?;
    let actor = engine.authenticate(key, &user).await?;
    tracing::Span::current().record("company", tracing::field::display(&actor.company_id));
    Ok(actor)
}
