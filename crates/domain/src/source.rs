//! A channel that customer conversations come from. For `sdk` sources, a connector speaking the
//! Channel SDK protocol: Switchboard polls it at its base URI and it pushes to the Send API, each
//! direction signed with the source's access token.

use std::collections::BTreeMap;
use std::fmt;

use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{CompanyId, Error, Result, SourceId, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Sdk,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Sdk => "sdk",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "sdk" => Ok(SourceKind::Sdk),
            other => Err(Error::invalid(format!("unknown source kind '{other}' (supported: sdk)"))),
        }
    }
}

/// The shared secret of a source: it signs requests in both directions. Unlike API keys it must
/// be kept usable, so it is stored as it is; it is never logged (its `Debug` is redacted).
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    /// 64 alphanumeric characters, the form connectors' own validators accept.
    pub fn generate() -> Self {
        let token: String = rand::rng().sample_iter(rand::distr::Alphanumeric).take(64).map(char::from).collect();
        Self(token)
    }

    pub fn from_stored(s: String) -> Self {
        Self(s)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(***)")
    }
}

/// Every option the Channel SDK documents (spec §3.2).
pub const KNOWN_OPTIONS: &[&str] = &[
    "messages.unthreaded",
    "messages.no_title",
    "private_messages.no_title",
    "threads.no_content",
    "messages.text",
    "messages.html",
    "private_messages.text",
    "private_messages.html",
    "threads.text",
    "threads.html",
    "messages.allow_survey",
    "view.messaging",
    "messaging.typing_indicator",
    "messaging.queuing_update",
    "messages.attachments",
    "private_messages.attachments",
    "threads.attachments",
];

/// What a connector declared it implements (`implementation.info`): operations per collection,
/// options, and labels of custom actions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Capabilities {
    pub objects: BTreeMap<String, Vec<String>>,
    pub options: Vec<String>,
    pub locales: Option<Value>,
}

impl Capabilities {
    pub fn has_option(&self, option: &str) -> bool {
        self.options.iter().any(|o| o == option)
    }

    pub fn declares(&self, collection: &str, operation: &str) -> bool {
        self.objects.get(collection).is_some_and(|ops| ops.iter().any(|o| o == operation))
    }

    /// Messages have no threads: conversations are linked by `in_reply_to_id`.
    pub fn unthreaded(&self) -> bool {
        self.has_option("messages.unthreaded")
    }

    /// Threads are structure only: just `id` and `title` are parsed.
    pub fn threads_no_content(&self) -> bool {
        self.has_option("threads.no_content")
    }
}

/// How Switchboard's requests to a connector are written and its answers checked. The official
/// SDKs disagree on canonical JSON and on where signatures go (spec §2, §8), so each source says
/// what its connector expects.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SdkSettings {
    pub json_escaping: JsonEscaping,
    pub signature_in: SignatureIn,
    pub response_signature: ResponseSignature,
}

/// How non-ASCII text is written in request bodies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JsonEscaping {
    /// Raw UTF-8, as JavaScript's `JSON.stringify` writes it (and the real platform sends).
    #[default]
    Utf8,
    /// `\uXXXX` escapes, as Python's `json.dumps` writes it: the Python SDK verifies its own
    /// re-serialisation, so only this form passes there.
    Ascii,
}

/// Where a request's signature travels.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignatureIn {
    #[default]
    Header,
    /// `?signature=` (for proxies that strip headers).
    Query,
    Both,
}

/// What a connector's answer with a wrong or missing signature means.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResponseSignature {
    /// Accepted, logged and counted: some official SDKs sign some answers wrongly.
    #[default]
    Lenient,
    /// A failed attempt.
    Strict,
    Off,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub id: SourceId,
    pub company_id: CompanyId,
    pub name: String,
    pub kind: SourceKind,
    /// Where the connector listens; `None` for a connector that only pushes (Send API).
    pub base_uri: Option<String>,
    pub access_token: AccessToken,
    pub capabilities: Capabilities,
    pub settings: SdkSettings,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Source {
    pub fn validate(&self) -> Result<()> {
        crate::company::validate_name("name", &self.name)?;
        if let Some(uri) = &self.base_uri {
            validate_http_url("base_uri", uri)?;
        }
        Ok(())
    }
}

/// An absolute http(s) URL with a host.
pub fn validate_http_url(field: &str, url: &str) -> Result<()> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(r) if !r.is_empty() && !r.starts_with('/') && !url.chars().any(char::is_whitespace) => Ok(()),
        _ => Err(Error::invalid(format!("'{field}' must be an absolute http:// or https:// URL, got '{url}'"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_tokens_are_64_alphanumeric_characters_and_never_printed() {
        let t = AccessToken::generate();
        assert_eq!(t.expose().len(), 64);
        assert!(t.expose().chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(format!("{t:?}"), "AccessToken(***)");
        assert_ne!(t, AccessToken::generate());
    }

    #[test]
    fn base_uris_must_be_absolute_http_urls() {
        assert!(validate_http_url("base_uri", "http://127.0.0.1:9898/").is_ok());
        assert!(validate_http_url("base_uri", "https://blog.example/?dimelo_smcc_sdk=1").is_ok());
        for bad in ["ftp://x", "http://", "127.0.0.1:80", "http:///path", "http://a b"] {
            assert!(validate_http_url("base_uri", bad).is_err(), "{bad}");
        }
    }
}
