//! A channel that customer conversations come from, with the configuration of its kind: for
//! `sdk` sources, a connector speaking the Channel SDK protocol ([`sdk`]); for `sms` sources, a
//! phone number and its carrier ([`sms`]).

pub mod sdk;
pub mod sms;

use serde::{Deserialize, Serialize};

use crate::outbound::OutboundUrl;
use crate::{CompanyId, Error, Result, SourceId, Timestamp};

pub use sdk::{SdkConfig, SdkSetup};
pub use sms::{SmsConfig, SmsSetup};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Sdk,
    Sms,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Sdk => "sdk",
            SourceKind::Sms => "sms",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "sdk" => Ok(SourceKind::Sdk),
            "sms" => Ok(SourceKind::Sms),
            other => {
                Err(Error::invalid_field("kind", format!("is an unknown source kind '{other}' (supported: sdk, sms)")))
            }
        }
    }
}

/// What a source of each kind needs to reach its channel.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceConfig {
    Sdk(SdkConfig),
    Sms(SmsConfig),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub id: SourceId,
    pub company_id: CompanyId,
    pub name: String,
    pub config: SourceConfig,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Source {
    pub fn kind(&self) -> SourceKind {
        match self.config {
            SourceConfig::Sdk(_) => SourceKind::Sdk,
            SourceConfig::Sms(_) => SourceKind::Sms,
        }
    }

    /// Where Switchboard calls the channel, when it does.
    pub fn base_uri(&self) -> Option<&OutboundUrl> {
        match &self.config {
            SourceConfig::Sdk(c) => c.base_uri.as_ref(),
            SourceConfig::Sms(_) => None,
        }
    }

    /// Every URL Switchboard calls for this source, with the field that sets it: what the
    /// outbound guard checks when the source is saved.
    pub fn outbound_urls(&self) -> Vec<(&'static str, &OutboundUrl)> {
        match &self.config {
            SourceConfig::Sdk(c) => c.base_uri.iter().map(|u| ("base_uri", u)).collect(),
            SourceConfig::Sms(_) => Vec::new(),
        }
    }

    pub fn validate(&self) -> Result<()> {
        crate::company::validate_name("name", &self.name)?;
        match &self.config {
            SourceConfig::Sdk(c) => c.capabilities.validate(),
            SourceConfig::Sms(c) => c.validate(),
        }
    }
}

/// What an administrator writes of a source, to add it or change it: everything but its
/// identity, its secrets and its times.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceDetails {
    pub name: String,
    pub setup: SourceSetup,
}

/// The writable part of each kind's configuration.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceSetup {
    Sdk(SdkSetup),
    Sms(SmsSetup),
}

impl SourceSetup {
    pub fn kind(&self) -> SourceKind {
        match self {
            SourceSetup::Sdk(_) => SourceKind::Sdk,
            SourceSetup::Sms(_) => SourceKind::Sms,
        }
    }
}

impl SourceConfig {
    /// What an administrator may change of this configuration, as it is now.
    pub fn setup(&self) -> SourceSetup {
        match self {
            SourceConfig::Sdk(c) => SourceSetup::Sdk(c.setup()),
            SourceConfig::Sms(c) => SourceSetup::Sms(c.setup()),
        }
    }
}

/// An absolute http(s) URL with a host, as a content may link to (Switchboard does not call it).
pub fn validate_http_url(field: &str, url: &str) -> Result<()> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(r) if !r.is_empty() && !r.starts_with('/') && !url.chars().any(char::is_whitespace) => Ok(()),
        _ => Err(Error::invalid_field(field, format!("must be an absolute http:// or https:// URL, got '{url}'"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linked_urls_must_be_absolute_http_urls() {
        assert!(validate_http_url("url", "http://127.0.0.1:9898/").is_ok());
        assert!(validate_http_url("url", "https://blog.example/?dimelo_smcc_sdk=1").is_ok());
        for bad in ["ftp://x", "http://", "127.0.0.1:80", "http:///path", "http://a b"] {
            assert!(validate_http_url("url", bad).is_err(), "{bad}");
        }
    }
}
