//! Who calls `/api/v2`, spec §A.2: the `JSESSIONID` cookie of a session, or HTTP Basic (email
//! and password), which signs in and answers a new session's cookie. With CSRF protection on,
//! GETs answer the session's token and every other method must send it back.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;
use subtle::ConstantTimeEq;
use switchboard_api::AppState;
use switchboard_domain::Error;
use switchboard_domain::secret::Secret;
use switchboard_engine::sign_in::SessionActor;

use crate::Gws;
use crate::error::GwsError;

pub(crate) const COOKIE_NAME: &str = "JSESSIONID";
pub(crate) const CSRF_HEADER: &str = "X-CSRF-TOKEN";

/// The caller of a request: its session and the user it acts as.
pub(crate) struct Agent(pub(crate) SessionActor);

/// The value of the `JSESSIONID` cookie, if the request has one.
fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.trim())
}

/// The user name and password of `Authorization: Basic …`.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, Secret)> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_owned(), Secret::new(password.to_owned())))
}

/// The session a request presents, or the one its Basic credentials open; `Some(token)` when a
/// new session was made, whose cookie the answer must set.
pub(crate) async fn resolve(
    state: &AppState,
    headers: &HeaderMap,
    client: Option<SocketAddr>,
) -> Result<(Agent, Option<Secret>), Error> {
    if let Some(token) = session_cookie(headers) {
        match state.engine.session(token).await {
            Ok(agent) => return Ok((Agent(agent), None)),
            Err(Error::Unauthenticated) => {}
            Err(e) => return Err(e),
        }
    }
    let (username, password) = basic_credentials(headers).ok_or(Error::Unauthenticated)?;
    let signed_in = state.engine.sign_in(&username, password, client.map(|a| a.ip())).await?;
    let agent = SessionActor { session: signed_in.session, actor: signed_in.actor };
    Ok((Agent(agent), Some(signed_in.token)))
}

/// The cookie that carries a new session: only for `/api/v2`, out of scripts' reach, and not
/// sent along with other sites' requests.
pub(crate) fn set_cookie(res: &mut Response, token: &Secret) {
    let cookie = format!("{COOKIE_NAME}={}; Path=/api/v2; HttpOnly; SameSite=Lax", token.expose());
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().append(SET_COOKIE, v);
    }
}

/// The cookie that removes the session's from the client.
pub(crate) fn clear_cookie(res: &mut Response) {
    let cookie = format!("{COOKIE_NAME}=; Path=/api/v2; HttpOnly; SameSite=Lax; Max-Age=0");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().append(SET_COOKIE, v);
    }
}

/// Whether the request carries the session's CSRF token (compared in constant time).
pub(crate) fn csrf_ok(headers: &HeaderMap, agent: &Agent) -> bool {
    headers.get(CSRF_HEADER).is_some_and(|v| bool::from(v.as_bytes().ct_eq(agent.0.session.csrf_token.as_bytes())))
}

/// What the [`Agent`] extractor leaves for [`session_headers`] to answer: the token of a session
/// it opened, and the CSRF token to show.
#[derive(Default)]
struct Answered {
    new_token: Option<Secret>,
    csrf_token: Option<String>,
}

#[derive(Clone, Default)]
pub(crate) struct Slot(Arc<Mutex<Answered>>);

impl Slot {
    fn lock(&self) -> std::sync::MutexGuard<'_, Answered> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Around every authenticated route: sets the cookie of a session the request opened (unless
/// the handler ended it), and, with CSRF protection on, shows a GET the session's token.
pub(crate) async fn session_headers(mut req: Request, next: Next) -> Response {
    let slot = Slot::default();
    let is_read = is_read(req.method());
    let csrf = req.extensions().get::<Gws>().is_some_and(|g| g.options.csrf);
    req.extensions_mut().insert(slot.clone());
    let mut res = next.run(req).await;
    let answered = std::mem::take(&mut *slot.lock());
    if let Some(token) = &answered.new_token
        && res.extensions().get::<SessionEnded>().is_none()
    {
        set_cookie(&mut res, token);
    }
    if csrf
        && is_read
        && let Some(token) = answered.csrf_token
        && let Ok(v) = HeaderValue::from_str(&token)
    {
        res.headers_mut().insert("X-CSRF-HEADER", HeaderValue::from_static(CSRF_HEADER));
        res.headers_mut().insert(CSRF_HEADER, v);
    }
    res
}

fn is_read(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The caller of an `/api/v2` request, authenticated by [`resolve`], whose write carried the
/// session's CSRF token when protection is on.
impl FromRequestParts<AppState> for Agent {
    type Rejection = GwsError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, GwsError> {
        let csrf = parts.extensions.get::<Gws>().is_some_and(|g| g.options.csrf);
        let client = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
        let (agent, new_token) = resolve(state, &parts.headers, client).await?;
        tracing::Span::current().record("company", tracing::field::display(&agent.0.actor.company_id));
        if let Some(slot) = parts.extensions.get::<Slot>() {
            let mut answered = slot.lock();
            answered.new_token = new_token;
            answered.csrf_token = Some(agent.0.session.csrf_token.clone());
        }
        if csrf && !is_read(&parts.method) && !csrf_ok(&parts.headers, &agent) {
            return Err(GwsError::csrf());
        }
        Ok(agent)
    }
}

/// Put in a response's extensions by a handler that ended the session: no cookie is set for it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SessionEnded;
