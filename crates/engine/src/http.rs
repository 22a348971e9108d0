//! What the engine's outbound HTTP calls (connectors, webhooks) share; the guard they all pass
//! is [`crate::outbound`].

/// A transport error for a person, without the URL: it may carry credentials or a signature
/// in its query string, and this text is stored and shown on runs, contents and deliveries.
pub(crate) fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    if let Some(refused) = crate::outbound::refusal_in(&e) {
        format!("not sent: {refused}")
    } else if e.is_timeout() {
        "the request timed out".into()
    } else if e.is_connect() {
        "connection failed".into()
    } else {
        e.to_string()
    }
}
