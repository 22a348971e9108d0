//! The configuration of a Channel SDK source: the connector's base URI (where Switchboard polls
//! it; none for a connector that only pushes), the access token that signs requests both ways,
//! what the connector declared it implements, and how requests to it are written. What the
//! protocol's collections and options mean is the SDK channel's business (`engine::channels::sdk`).

use std::collections::BTreeMap;
use std::fmt;

use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Result;
use crate::outbound::OutboundUrl;
use crate::text::{TextRule, check_json};

#[derive(Debug, Clone, PartialEq)]
pub struct SdkConfig {
    /// Where the connector listens; `None` for a connector that only pushes (Send API).
    pub base_uri: Option<OutboundUrl>,
    pub access_token: AccessToken,
    pub capabilities: Capabilities,
    pub settings: SdkSettings,
}

impl SdkConfig {
    /// A new source's configuration: `setup` and a fresh access token.
    pub fn new(setup: SdkSetup) -> Self {
        let SdkSetup { base_uri, capabilities, settings } = setup;
        Self { base_uri, access_token: AccessToken::generate(), capabilities, settings }
    }

    /// This configuration with `setup` written over it; the access token stays.
    pub fn with(&self, setup: SdkSetup) -> Self {
        let SdkSetup { base_uri, capabilities, settings } = setup;
        Self { base_uri, access_token: self.access_token.clone(), capabilities, settings }
    }

    pub fn setup(&self) -> SdkSetup {
        SdkSetup { base_uri: self.base_uri.clone(), capabilities: self.capabilities.clone(), settings: self.settings }
    }
}

/// What an administrator sets of an SDK source (all of it but the access token).
#[derive(Debug, Clone, PartialEq)]
pub struct SdkSetup {
    pub base_uri: Option<OutboundUrl>,
    pub capabilities: Capabilities,
    pub settings: SdkSettings,
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

    /// Collections, operations and options are labels, and labels of custom actions hold no
    /// U+0000; what they mean is checked by the channel.
    pub fn validate(&self) -> Result<()> {
        for (collection, operations) in &self.objects {
            TextRule::LABEL.check("objects", collection)?;
            TextRule::LABEL.check_all(&format!("objects.{collection}"), operations)?;
        }
        TextRule::LABEL.check_all("options", &self.options)?;
        self.locales.as_ref().map_or(Ok(()), |l| check_json("locales", l))
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
}
