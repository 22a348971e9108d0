//! `http.public_url`: the base URL this server is reached at from outside, where a proxy makes
//! it differ from the listen address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use url::Url;

use super::HttpConfig;

/// `http.public_url`: an `http(s)` URL without credentials, query or fragment, or nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PublicUrl(Option<Url>);

impl TryFrom<String> for PublicUrl {
    type Error = anyhow::Error;

    fn try_from(raw: String) -> anyhow::Result<Self> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(Self(None));
        }
        let url = Url::parse(raw).with_context(|| format!("http.public_url '{raw}' is not a URL"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            bail!("http.public_url '{raw}' must be an http:// or https:// URL with a host");
        }
        if !url.username().is_empty() || url.password().is_some() || url.query().is_some() || url.fragment().is_some() {
            bail!("http.public_url '{raw}' must have no credentials, query or fragment");
        }
        Ok(Self(Some(url)))
    }
}

impl From<PublicUrl> for String {
    fn from(url: PublicUrl) -> String {
        url.0.map(String::from).unwrap_or_default()
    }
}

impl HttpConfig {
    /// The public base URL: the configured one, else `http://` and the address the server
    /// listens on (`bound`; loopback when it listens on every address).
    pub fn public_url(&self, bound: SocketAddr) -> Url {
        if let Some(url) = &self.public_url.0 {
            return url.clone();
        }
        let ip = match bound.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        Url::parse(&format!("http://{}", SocketAddr::new(ip, bound.port()))).expect("an address makes a URL")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::env;
    use crate::config::{Config, Overrides};

    #[test]
    fn the_public_url_is_the_configured_one_else_the_listen_address_with_loopback_for_every_address() {
        let http = HttpConfig::default();
        assert_eq!(http.public_url("127.0.0.1:8080".parse().unwrap()).as_str(), "http://127.0.0.1:8080/");
        assert_eq!(http.public_url("0.0.0.0:80".parse().unwrap()).as_str(), "http://127.0.0.1/");
        assert_eq!(http.public_url("[::]:9000".parse().unwrap()).as_str(), "http://[::1]:9000/");
        let vars = [("SWITCHBOARD_HTTP__PUBLIC_URL", "https://sb.example.com/switchboard")];
        let config = Config::load(&Overrides::default(), env(&vars)).unwrap().config;
        let url = config.http.public_url("127.0.0.1:8080".parse().unwrap());
        assert_eq!(url.as_str(), "https://sb.example.com/switchboard");
        assert_eq!(config.engine_options().public_url.url(), &url);
    }

    #[test]
    fn a_public_url_that_is_not_a_plain_http_url_is_refused_at_load() {
        for bad in
            ["sb.example.com", "ftp://sb.example.com", "https://u:p@sb.example.com", "https://sb.example.com/?a=1"]
        {
            let err = Config::load(&Overrides::default(), env(&[("SWITCHBOARD_HTTP__PUBLIC_URL", bad)])).unwrap_err();
            assert!(format!("{err:#}").contains("http.public_url"), "{bad}: {err:#}");
        }
    }
}
