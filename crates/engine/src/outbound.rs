//! The one guard in front of every request Switchboard makes to a URL someone gave it
//! (connectors, webhook receivers): such a URL must not make this server call into its own
//! network. It is checked when it is registered (every address its name has), and again at
//! each connection, where the HTTP client's resolver drops special-purpose addresses so that a
//! name re-pointed inside the network after registration (DNS rebinding) reaches nothing.
//! Address literals never go through a resolver, so each request's host is checked before it
//! is sent. Operators allow their own networks (`outbound.allowed_networks`), nothing wider.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use ipnet::IpNet;
use switchboard_domain::outbound::{OutboundUrl, SpecialPurpose, special_purpose};
use switchboard_domain::{Error, Result};

/// Which special-purpose networks outbound requests may reach anyway.
#[derive(Debug, Clone, Default)]
pub struct OutboundOptions {
    /// Networks an operator runs connectors or receivers on (`10.1.2.0/24`, `127.0.0.1/32`).
    pub allowed_networks: Vec<IpNet>,
}

/// Why a request was not sent: its destination is special-purpose and not allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(String);

/// What an operator changes to allow a refused destination.
const HOW_TO_ALLOW: &str =
    "outbound requests reach only public addresses, unless the server's outbound.allowed_networks includes them";

#[derive(Debug, Clone)]
pub(crate) struct Guard {
    allowed: Arc<[IpNet]>,
}

impl Guard {
    pub(crate) fn new(options: &OutboundOptions) -> Self {
        Self { allowed: options.allowed_networks.clone().into() }
    }

    /// Why `ip` may not be reached, or `None` when it may.
    fn refusal(&self, ip: IpAddr) -> Option<SpecialPurpose> {
        // An IPv4-mapped address is the IPv4 one to the socket: allowing 10.1.2.0/24 allows it.
        let allowed = self.allowed.iter().any(|net| net.contains(&ip) || net.contains(&ip.to_canonical()));
        if allowed { None } else { special_purpose(ip) }
    }

    /// At registration: refuses a URL whose host is, or resolves to any, address that may not
    /// be reached; `field` names it in the error. A name that does not resolve (yet) has nothing
    /// to refuse: what it comes to resolve to is checked at each connection.
    pub(crate) async fn check(&self, field: &str, url: &OutboundUrl) -> Result<()> {
        let host = url.host();
        let addrs: Vec<IpAddr> = match host {
            url::Host::Ipv4(ip) => vec![ip.into()],
            url::Host::Ipv6(ip) => vec![ip.into()],
            url::Host::Domain(name) => match tokio::net::lookup_host((name, url.port())).await {
                Ok(addrs) => addrs.map(|a| a.ip()).collect(),
                Err(_) => Vec::new(),
            },
        };
        for ip in addrs {
            if let Some(why) = self.refusal(ip) {
                let to = match host {
                    url::Host::Domain(name) => format!("{name}, which resolves to {ip},"),
                    _ => format!("{ip},"),
                };
                return Err(Error::invalid_field(field, format!("points to {to} {why}; {HOW_TO_ALLOW}")));
            }
        }
        Ok(())
    }

    /// Before each request: an address literal is not resolved, so it is checked here.
    fn check_literal(&self, url: &url::Url) -> std::result::Result<(), Refused> {
        let ip: IpAddr = match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.into(),
            Some(url::Host::Ipv6(ip)) => ip.into(),
            _ => return Ok(()),
        };
        match self.refusal(ip) {
            Some(why) => Err(Refused(format!("{ip} is {why}; {HOW_TO_ALLOW}"))),
            None => Ok(()),
        }
    }

    /// The HTTP client of one kind of outbound request, set up by `builder` (time-outs, user
    /// agent) and guarded here. Fails when it cannot be built, rather than run unguarded.
    pub(crate) fn client(&self, builder: reqwest::ClientBuilder, purpose: &str) -> Result<Client> {
        let http = builder
            // A redirect would lead the request to a destination nobody checked.
            .redirect(reqwest::redirect::Policy::none())
            // Through a proxy, the proxy would connect to the destination, out of the guard's sight.
            .no_proxy()
            .dns_resolver(Arc::new(Resolver(self.clone())))
            .build()
            .map_err(|e| Error::Internal(format!("cannot build the {purpose} HTTP client: {e}")))?;
        Ok(Client { http, guard: self.clone() })
    }
}

/// An HTTP client whose every request has passed the guard.
#[derive(Debug, Clone)]
pub(crate) struct Client {
    http: reqwest::Client,
    guard: Guard,
}

impl Client {
    pub(crate) fn request(
        &self,
        method: reqwest::Method,
        url: url::Url,
    ) -> std::result::Result<reqwest::RequestBuilder, Refused> {
        self.guard.check_literal(&url)?;
        Ok(self.http.request(method, url))
    }
}

/// Resolves a name to the addresses the guard lets through; a name with none fails to connect.
struct Resolver(Guard);

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let guard = self.0.clone();
        Box::pin(async move {
            let (allowed, refused): (Vec<SocketAddr>, Vec<SocketAddr>) =
                tokio::net::lookup_host((name.as_str(), 0)).await?.partition(|a| guard.refusal(a.ip()).is_none());
            if allowed.is_empty() {
                let name = name.as_str();
                let why = match refused.first().and_then(|a| guard.refusal(a.ip()).map(|why| (a.ip(), why))) {
                    Some((ip, why)) => {
                        format!("{name} resolves only to addresses it may not reach, such as {ip}, {why}")
                    }
                    None => format!("{name} resolves to no address"),
                };
                return Err(Box::new(Refused(format!("{why}; {HOW_TO_ALLOW}"))) as _);
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The guard's reason when it stopped `e`'s request at connection.
pub(crate) fn refusal_in<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a Refused> {
    let mut source = Some(e);
    while let Some(e) = source {
        if let Some(refused) = e.downcast_ref::<Refused>() {
            return Some(refused);
        }
        source = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use reqwest::dns::Resolve;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    fn guard(allowed: &[&str]) -> Guard {
        Guard::new(&OutboundOptions { allowed_networks: allowed.iter().map(|n| n.parse().unwrap()).collect() })
    }

    fn client(guard: &Guard) -> Client {
        guard.client(reqwest::Client::builder(), "test").unwrap()
    }

    fn url(s: &str) -> url::Url {
        url::Url::parse(s).unwrap()
    }

    #[tokio::test]
    async fn the_resolver_finds_nothing_for_a_name_that_resolves_only_inside() {
        let err = Resolver(guard(&[])).resolve("localhost".parse().unwrap()).await.err().expect("refused");
        let refused = refusal_in(err.as_ref()).expect("the guard's reason").to_string();
        assert!(refused.starts_with("localhost resolves only to addresses it may not reach"), "{refused}");
        assert!(refused.contains("(loopback, "), "{refused}");
        let allowed = Resolver(guard(&["127.0.0.0/8", "::1/128"])).resolve("localhost".parse().unwrap()).await;
        assert!(allowed.unwrap().all(|a| a.ip().is_loopback()));
    }

    #[tokio::test]
    async fn a_client_does_not_connect_to_a_name_that_resolves_inside_unless_its_network_is_allowed() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let target = format!("http://localhost:{}/", listener.local_addr().unwrap().port());
        let err = client(&guard(&[])).request(reqwest::Method::GET, url(&target)).unwrap().send().await.unwrap_err();
        let refused = refusal_in(&err).expect("refused by the resolver").to_string();
        assert!(refused.contains("such as 127.0.0.1, a special-purpose address (loopback"), "{refused}");
        // The same request through a guard that allows loopback reaches the listener: the
        // refusal above was the guard's.
        let lax = client(&guard(&["127.0.0.0/8", "::1/128"]));
        tokio::spawn(async move { lax.request(reqwest::Method::GET, url(&target)).unwrap().send().await });
        assert!(listener.accept().await.is_ok());
    }

    #[test]
    fn an_address_literal_is_refused_before_anything_is_sent() {
        let strict = client(&guard(&[]));
        for inside in ["http://127.0.0.1:1/", "http://[::1]/", "http://[64:ff9b::7f00:1]/", "http://2130706433/"] {
            let refused = strict.request(reqwest::Method::POST, url(inside)).unwrap_err().to_string();
            assert!(refused.contains("a special-purpose address (loopback, "), "{inside}: {refused}");
            assert!(refused.contains("outbound.allowed_networks"), "{refused}");
        }
        assert!(strict.request(reqwest::Method::POST, url("http://8.8.8.8/")).is_ok());
        let own = client(&guard(&["10.1.2.0/24"]));
        assert!(own.request(reqwest::Method::POST, url("http://10.1.2.3/")).is_ok());
        assert!(own.request(reqwest::Method::POST, url("http://[::ffff:10.1.2.3]/")).is_ok());
        assert!(own.request(reqwest::Method::POST, url("http://10.1.3.1/")).is_err());
        assert!(own.request(reqwest::Method::POST, url("http://127.0.0.1/")).is_err());
    }

    #[tokio::test]
    async fn registration_refuses_a_url_any_of_whose_addresses_is_inside() {
        let strict = guard(&[]);
        let check = |s: &str| {
            let url = OutboundUrl::parse("base_uri", s).unwrap();
            let strict = strict.clone();
            async move { strict.check("base_uri", &url).await.map_err(|e| e.to_string()) }
        };
        let err = check("http://localhost:9/").await.unwrap_err();
        assert!(err.starts_with("'base_uri' points to localhost, which resolves to "), "{err}");
        let err = check("http://[2002:7f00:1::]/").await.unwrap_err();
        assert!(err.contains("2002:7f00:1::, an address carrying 127.0.0.1"), "{err}");
        let err = check("http://169.254.169.254/latest/").await.unwrap_err();
        assert!(err.contains("(link-local, 169.254.0.0/16)"), "{err}");
        assert!(check("https://8.8.8.8/").await.is_ok());
        // Nothing to refuse yet: it is checked at each connection.
        assert!(check("http://connector.invalid/").await.is_ok());
        let own = guard(&["127.0.0.0/8", "::1/128"]);
        let url = OutboundUrl::parse("base_uri", "http://localhost:9/").unwrap();
        assert!(own.check("base_uri", &url).await.is_ok());
    }

    #[tokio::test]
    async fn a_redirect_is_answered_not_followed() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let target = format!("http://127.0.0.1:{}/", listener.local_addr().unwrap().port());
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.ends_with(b"\r\n\r\n") {
                let n = socket.read(&mut buf).await.unwrap();
                request.extend_from_slice(&buf[..n]);
            }
            let answer = "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://169.254.169.254/latest/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            socket.write_all(answer.as_bytes()).await.unwrap();
        });
        let own = client(&guard(&["127.0.0.0/8"]));
        let res = own.request(reqwest::Method::GET, url(&target)).unwrap().send().await.unwrap();
        assert_eq!(res.status(), 307);
    }
}
