//! The outbound half of the Channel SDK: signed requests to a connector's Base URI, and the
//! checks its answers must pass.
//!
//! A request body is compact JSON with its keys in the order `action, params, time`, signed over
//! exactly those bytes. Connectors built on the official SDKs verify a re-serialisation of what
//! they parsed rather than the bytes received, so the source's [`SdkSettings`] choose the
//! escaping their language produces.

use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use serde::Serialize;
use serde_json::Value;
use switchboard_domain::outbound::OutboundUrl;
use switchboard_domain::source::Source;
use switchboard_domain::source::sdk::{JsonEscaping, ResponseSignature, SdkSettings, SignatureIn};

use super::signing;

pub const SIGNATURE_HEADER: &str = "X-SMCCSDK-SIGNATURE";

/// Timing of outbound calls.
#[derive(Debug, Clone)]
pub struct SdkOptions {
    /// Longest wait for a connector's answer; a request still unanswered then is a failed
    /// attempt (the protocol sets no limit; 30 s is the spec's recommendation).
    pub request_timeout: Duration,
    /// Delay before an export or action is tried again.
    pub retry_delay: Duration,
    /// Time between scheduled syncs of a source that implements `list`.
    pub sync_interval: Duration,
}

impl Default for SdkOptions {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(30),
            retry_delay: Duration::from_secs(10),
            sync_interval: Duration::from_secs(60),
        }
    }
}

/// Why a call failed. Each is one failed attempt; only `Resource { fatal: true }` forbids
/// another.
#[derive(Debug, Clone, PartialEq)]
pub enum CallError {
    /// No answer: refused connection, time-out, reset.
    Transport(String),
    /// Not sent: the outbound guard refused the connector's address.
    Refused(String),
    /// A non-2xx status, with the start of its body.
    Status(u16, String),
    /// A strict source's answer whose signature did not verify.
    Signature,
    /// A 2xx answer that is not JSON.
    Unparsable(String),
    /// `{"error": {"fatal", "message"}}`: the connector refused this item.
    Resource { fatal: bool, message: String },
}

impl CallError {
    pub fn is_fatal(&self) -> bool {
        matches!(self, CallError::Resource { fatal: true, .. })
    }
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Transport(e) => write!(f, "no answer from the connector: {e}"),
            CallError::Refused(why) => write!(f, "the connector was not called: {why}"),
            CallError::Status(s, body) if body.is_empty() => write!(f, "the connector answered HTTP {s}"),
            CallError::Status(s, body) => write!(f, "the connector answered HTTP {s}: {body}"),
            CallError::Signature => f.write_str("the connector's answer is not signed with the source's access token"),
            CallError::Unparsable(e) => write!(f, "the connector's answer is not JSON: {e}"),
            CallError::Resource { fatal: true, message } => {
                write!(f, "the connector refused the item for good: {message}")
            }
            CallError::Resource { fatal: false, message } => write!(f, "the connector refused the item: {message}"),
        }
    }
}

/// A 2xx answer. An empty body is `Value::Null`.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub body: Value,
    /// The signature did not verify and the source is lenient about it.
    pub signature_mismatch: bool,
}

#[derive(Serialize)]
struct Envelope<'a> {
    action: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    params: Option<&'a Value>,
    time: &'a str,
}

/// The exact request body: compact, keys `action, params, time`.
pub fn encode(action: &str, params: Option<&Value>, time: &str, escaping: JsonEscaping) -> Vec<u8> {
    let json = serde_json::to_string(&Envelope { action, params, time }).expect("a JSON value always serialises");
    match escaping {
        JsonEscaping::Utf8 => json.into_bytes(),
        JsonEscaping::Ascii => ascii_escape(&json).into_bytes(),
    }
}

/// Rewrites compact JSON as Python's `json.dumps` (`ensure_ascii`) writes it: every character
/// outside printable ASCII as lowercase `\uXXXX`, UTF-16 surrogate pairs above the BMP. Such
/// characters can only sit inside strings, so this is safe on the serialised text.
fn ascii_escape(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for ch in json.chars() {
        if ch.is_ascii() && ch != '\u{7f}' {
            out.push(ch);
        } else {
            let mut units = [0u16; 2];
            for unit in ch.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// The Base URI with `signature=` appended to its own query, when the source wants it there.
fn target_url(base: &OutboundUrl, signature: &str, settings: &SdkSettings) -> reqwest::Url {
    let mut url = base.url().clone();
    if matches!(settings.signature_in, SignatureIn::Query | SignatureIn::Both) {
        url.query_pairs_mut().append_pair("signature", signature);
    }
    url
}

/// Calls connectors. Cheap to clone.
#[derive(Clone)]
pub struct Connector {
    http: crate::outbound::Client,
    pub options: SdkOptions,
    /// Answers accepted although their signature did not verify (lenient sources), since
    /// start: exported as a metric, so that a connector signing wrongly gets noticed.
    pub signature_mismatches: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Connector {
    /// Fails when no HTTP client can be built (no TLS roots): at start-up, not at the first call.
    pub(crate) fn new(options: SdkOptions, guard: &crate::outbound::Guard) -> switchboard_domain::Result<Self> {
        // Connectors answer at once or not at all: the guard's client follows no redirect,
        // which is not part of the protocol anyway.
        let http = guard.client(reqwest::Client::builder().timeout(options.request_timeout), "connector")?;
        Ok(Self { http, options, signature_mismatches: Default::default() })
    }

    /// Sends `action` to the source's connector and checks the answer.
    pub async fn call(&self, source: &Source, action: &str, params: Option<&Value>) -> Result<Reply, CallError> {
        let config = super::config(source).map_err(|e| CallError::Transport(e.to_string()))?;
        let base = config.base_uri.as_ref().ok_or_else(|| CallError::Transport("the source has no base URI".into()))?;
        let time = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
        let settings = config.settings;
        let body = encode(action, params, &time, settings.json_escaping);
        let token = config.access_token.expose();
        let signature = signing::sign(token, &body);
        let mut req = self
            .http
            .request(reqwest::Method::POST, target_url(base, &signature, &settings))
            .map_err(|refused| CallError::Refused(refused.to_string()))?
            .header("Content-Type", "application/json")
            .header("Accept", "application/json");
        if matches!(settings.signature_in, SignatureIn::Header | SignatureIn::Both) {
            req = req.header(SIGNATURE_HEADER, &signature);
        }
        let res = req.body(body).send().await.map_err(|e| match crate::outbound::refusal_in(&e) {
            Some(refused) => CallError::Refused(refused.to_string()),
            None => CallError::Transport(crate::http::describe(e)),
        })?;
        let status = res.status().as_u16();
        let given = res.headers().get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let bytes = res.bytes().await.map_err(|e| CallError::Transport(crate::http::describe(e)))?;
        let parsed = parse_body(&bytes);
        if !(200..300).contains(&status) {
            if let Ok(v) = &parsed
                && let Some(e) = resource_error(v)
            {
                return Err(e);
            }
            return Err(CallError::Status(status, snippet(&bytes)));
        }
        let verified = given.as_deref().is_some_and(|sig| signing::verify(token, &bytes, sig));
        let signature_mismatch = match settings.response_signature {
            ResponseSignature::Off => false,
            ResponseSignature::Strict if !verified => return Err(CallError::Signature),
            _ => !verified,
        };
        if signature_mismatch {
            self.signature_mismatches.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tracing::warn!(source = %source.id, action, "a connector's answer has a wrong or missing signature; accepted (lenient source)");
        }
        let body = parsed?;
        if let Some(e) = resource_error(&body) {
            return Err(e);
        }
        Ok(Reply { body, signature_mismatch })
    }
}

fn parse_body(bytes: &[u8]) -> Result<Value, CallError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(bytes).map_err(|e| CallError::Unparsable(e.to_string()))
}

/// `{"error": …}` in an answer: a per-item refusal. Retried unless `fatal` is true.
fn resource_error(v: &Value) -> Option<CallError> {
    let e = v.as_object()?.get("error")?;
    let (fatal, message) = match e {
        Value::Object(o) => (
            o.get("fatal").and_then(Value::as_bool).unwrap_or(false),
            o.get("message").and_then(Value::as_str).unwrap_or("no message").to_owned(),
        ),
        Value::String(s) => (false, s.clone()),
        other => (false, other.to_string()),
    };
    Some(CallError::Resource { fatal, message })
}

/// The start of an error body, for the record (connectors explain errors in plain text).
fn snippet(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim().chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bodies_are_compact_with_keys_in_protocol_order() {
        let body = encode("implementation.info", None, "2012-10-01T17:18:40Z", JsonEscaping::Utf8);
        assert_eq!(body, br#"{"action":"implementation.info","time":"2012-10-01T17:18:40Z"}"#);
        let body = encode("messages.list", Some(&json!({"since_id": "1"})), "t", JsonEscaping::Utf8);
        assert_eq!(body, br#"{"action":"messages.list","params":{"since_id":"1"},"time":"t"}"#);
    }

    #[test]
    fn ascii_escaping_matches_python_json_dumps() {
        let params = json!({"body": "é \u{7f} 😀 a/b \n"});
        let utf8 = String::from_utf8(encode("messages.create", Some(&params), "t", JsonEscaping::Utf8)).unwrap();
        assert!(utf8.contains("\"é \u{7f} 😀 a/b \\n\""), "{utf8}");
        let ascii = String::from_utf8(encode("messages.create", Some(&params), "t", JsonEscaping::Ascii)).unwrap();
        // json.dumps({"body": "é \x7f 😀 a/b \n"}, separators=(",", ":"))
        assert!(ascii.contains(r#""body":"\u00e9 \u007f \ud83d\ude00 a/b \n""#), "{ascii}");
    }

    #[test]
    fn a_query_signature_keeps_the_base_uris_own_query() {
        let s = |signature_in| SdkSettings { signature_in, ..SdkSettings::default() };
        let url = |s| OutboundUrl::parse("base_uri", s).unwrap();
        assert_eq!(
            target_url(&url("http://h/?dimelo_smcc_sdk=1"), "ab", &s(SignatureIn::Both)).as_str(),
            "http://h/?dimelo_smcc_sdk=1&signature=ab"
        );
        assert_eq!(target_url(&url("http://h/x"), "ab", &s(SignatureIn::Query)).as_str(), "http://h/x?signature=ab");
        assert_eq!(target_url(&url("http://h/?a=1"), "ab", &s(SignatureIn::Header)).as_str(), "http://h/?a=1");
    }

    #[test]
    fn resource_errors_are_fatal_only_when_they_say_so() {
        assert_eq!(
            resource_error(&json!({"error": {"fatal": true, "message": "no"}})),
            Some(CallError::Resource { fatal: true, message: "no".into() })
        );
        assert_eq!(
            resource_error(&json!({"error": {"message": "later"}})),
            Some(CallError::Resource { fatal: false, message: "later".into() })
        );
        assert_eq!(resource_error(&json!({"id": "1"})), None);
        assert_eq!(resource_error(&json!([])), None);
    }
}
