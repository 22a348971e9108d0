//! Where Switchboard itself makes requests — a connector's base URI, a webhook's target, and the
//! carriers and providers to come — and which addresses such a request must never reach unless
//! the operator allows them: every block of the IANA IPv4 and IPv6 Special-Purpose Address
//! Registries, and multicast and reserved space from the address-space registries.
//!
//! The table is ours, over `ipnet`: std's `is_global` is unstable, and the crates that classify
//! addresses stop short (`ip_network`, untouched since 2021, counts IPv4 multicast and every
//! IPv6 translation prefix — NAT64, 6to4, Teredo, mapped — as global).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv6Net};

use crate::text::TextRule;
use crate::{Error, Result};

/// An http(s) URL that Switchboard calls, with a host and without credentials: connectors and
/// webhook receivers authenticate requests by their signature, and a password in a URL would be
/// stored and shown wherever the URL is.
#[derive(Clone, PartialEq, Eq)]
pub struct OutboundUrl {
    raw: String,
    /// How the HTTP client reads `raw`: the host checked is the host called.
    url: url::Url,
}

impl OutboundUrl {
    /// Parses what a person gave for `field`.
    pub fn parse(field: &str, s: &str) -> Result<Self> {
        let parsed = Self::read(field, s)?;
        if parsed.has_credentials() {
            return Err(Error::invalid_field(
                field,
                "must not carry credentials (user:password@): requests are authenticated by their signature",
            ));
        }
        Ok(parsed)
    }

    /// A URL the store kept. Rows written before credentials were refused may carry them: they
    /// go on being called as they are, and are shown without the password.
    pub fn from_stored(s: &str) -> Result<Self> {
        Self::read("url", s)
    }

    fn read(field: &str, s: &str) -> Result<Self> {
        TextRule::URL.check(field, s)?;
        // The value is not echoed: it may carry credentials.
        let invalid = || Error::invalid_field(field, "must be an absolute http:// or https:// URL with a host");
        // The plain form is required first: the WHATWG parser repairs what a person should be
        // told about (`http:///path` becomes the host `path`).
        let rest = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://"));
        if rest.map(host_of).unwrap_or_default().is_empty() || s.chars().any(char::is_whitespace) {
            return Err(invalid());
        }
        let url = url::Url::parse(s).map_err(|_| invalid())?;
        if url.host().is_none() {
            return Err(invalid());
        }
        Ok(Self { raw: s.to_owned(), url })
    }

    /// The URL as the HTTP client sends it.
    pub fn url(&self) -> &url::Url {
        &self.url
    }

    /// The host as the HTTP client connects to it: a name to resolve, or an address.
    pub fn host(&self) -> url::Host<&str> {
        self.url.host().expect("checked when parsed")
    }

    /// The port connected to, explicit or the scheme's.
    pub fn port(&self) -> u16 {
        self.url.port_or_known_default().expect("http and https have default ports")
    }

    pub fn has_credentials(&self) -> bool {
        !self.url.username().is_empty() || self.url.password().is_some()
    }

    /// The URL as given, with any credentials of an old row: for the store only.
    pub fn expose(&self) -> &str {
        &self.raw
    }
}

/// The URL as given, or without its password when an old row carries one: what the API shows.
impl fmt::Display for OutboundUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.url.password().is_none() {
            return f.write_str(&self.raw);
        }
        let mut shown = self.url.clone();
        let _ = shown.set_password(Some("***"));
        f.write_str(shown.as_str())
    }
}

impl fmt::Debug for OutboundUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OutboundUrl({:?})", self.to_string())
    }
}

fn host_of(rest: &str) -> &str {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next().unwrap_or("");
    }
    authority.split(':').next().unwrap_or("")
}

/// Why an address is not for outbound requests: the registry block it is in, and, for an IPv6
/// address that carries an IPv4 one (mapped, NAT64, 6to4, Teredo), the IPv4 address at fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpecialPurpose {
    pub block: &'static str,
    pub embedded: Option<Ipv4Addr>,
}

impl fmt::Display for SpecialPurpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.embedded {
            Some(v4) => write!(f, "an address carrying {v4}, a special-purpose address ({})", self.block),
            None => write!(f, "a special-purpose address ({})", self.block),
        }
    }
}

const fn v4(a: u8, b: u8, c: u8, d: u8, len: u8) -> Ipv4Net {
    Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), len)
}

#[allow(clippy::too_many_arguments)]
const fn v6(a: u16, b: u16, c: u16, d: u16, e: u16, f: u16, g: u16, h: u16, len: u8) -> Ipv6Net {
    Ipv6Net::new_assert(Ipv6Addr::new(a, b, c, d, e, f, g, h), len)
}

/// The IPv4 Special-Purpose Address Registry, with multicast and the limited broadcast address;
/// a narrower block before the one that holds it, so that it names the address.
const IPV4: &[(Ipv4Net, &str)] = &[
    (v4(0, 0, 0, 0, 8), "\"this network\", 0.0.0.0/8"),
    (v4(10, 0, 0, 0, 8), "private-use, 10.0.0.0/8"),
    (v4(100, 64, 0, 0, 10), "shared address space (CGNAT), 100.64.0.0/10"),
    (v4(127, 0, 0, 0, 8), "loopback, 127.0.0.0/8"),
    (v4(169, 254, 0, 0, 16), "link-local, 169.254.0.0/16"),
    (v4(172, 16, 0, 0, 12), "private-use, 172.16.0.0/12"),
    (v4(192, 0, 0, 0, 24), "IETF protocol assignments, 192.0.0.0/24"),
    (v4(192, 0, 2, 0, 24), "documentation (TEST-NET-1), 192.0.2.0/24"),
    (v4(192, 31, 196, 0, 24), "AS112-v4, 192.31.196.0/24"),
    (v4(192, 52, 193, 0, 24), "AMT, 192.52.193.0/24"),
    (v4(192, 88, 99, 0, 24), "6to4 relay anycast, 192.88.99.0/24"),
    (v4(192, 168, 0, 0, 16), "private-use, 192.168.0.0/16"),
    (v4(192, 175, 48, 0, 24), "direct delegation AS112, 192.175.48.0/24"),
    (v4(198, 18, 0, 0, 15), "benchmarking, 198.18.0.0/15"),
    (v4(198, 51, 100, 0, 24), "documentation (TEST-NET-2), 198.51.100.0/24"),
    (v4(203, 0, 113, 0, 24), "documentation (TEST-NET-3), 203.0.113.0/24"),
    (v4(224, 0, 0, 0, 4), "multicast, 224.0.0.0/4"),
    (v4(255, 255, 255, 255, 32), "limited broadcast, 255.255.255.255/32"),
    (v4(240, 0, 0, 0, 4), "reserved, 240.0.0.0/4"),
];

/// The IPv6 Special-Purpose Address Registry, with site-local and multicast space. The blocks
/// that carry an IPv4 address are [`embedded_ipv4`]'s, checked before these.
const IPV6: &[(Ipv6Net, &str)] = &[
    (v6(0, 0, 0, 0, 0, 0, 0, 0, 128), "unspecified, ::/128"),
    (v6(0, 0, 0, 0, 0, 0, 0, 1, 128), "loopback, ::1/128"),
    (v6(0, 0, 0, 0, 0, 0, 0, 0, 96), "IPv4-compatible (deprecated), ::/96"),
    (v6(0x64, 0xff9b, 1, 0, 0, 0, 0, 0, 48), "local-use IPv4/IPv6 translation, 64:ff9b:1::/48"),
    (v6(0x100, 0, 0, 0, 0, 0, 0, 0, 64), "discard-only, 100::/64"),
    (v6(0x100, 0, 0, 1, 0, 0, 0, 0, 64), "dummy prefix, 100:0:0:1::/64"),
    (v6(0x2001, 2, 0, 0, 0, 0, 0, 0, 48), "benchmarking, 2001:2::/48"),
    (v6(0x2001, 3, 0, 0, 0, 0, 0, 0, 32), "AMT, 2001:3::/32"),
    (v6(0x2001, 4, 0x112, 0, 0, 0, 0, 0, 48), "AS112-v6, 2001:4:112::/48"),
    (v6(0x2001, 0x10, 0, 0, 0, 0, 0, 0, 28), "ORCHID (deprecated), 2001:10::/28"),
    (v6(0x2001, 0x20, 0, 0, 0, 0, 0, 0, 28), "ORCHIDv2, 2001:20::/28"),
    (v6(0x2001, 0x30, 0, 0, 0, 0, 0, 0, 28), "drone remote ID (DET), 2001:30::/28"),
    (v6(0x2001, 0, 0, 0, 0, 0, 0, 0, 23), "IETF protocol assignments, 2001::/23"),
    (v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0, 32), "documentation, 2001:db8::/32"),
    (v6(0x2620, 0x4f, 0x8000, 0, 0, 0, 0, 0, 48), "direct delegation AS112, 2620:4f:8000::/48"),
    (v6(0x3fff, 0, 0, 0, 0, 0, 0, 0, 20), "documentation, 3fff::/20"),
    (v6(0x5f00, 0, 0, 0, 0, 0, 0, 0, 16), "segment routing SIDs, 5f00::/16"),
    (v6(0xfc00, 0, 0, 0, 0, 0, 0, 0, 7), "unique local, fc00::/7"),
    (v6(0xfe80, 0, 0, 0, 0, 0, 0, 0, 10), "link-local, fe80::/10"),
    (v6(0xfec0, 0, 0, 0, 0, 0, 0, 0, 10), "site-local (deprecated), fec0::/10"),
    (v6(0xff00, 0, 0, 0, 0, 0, 0, 0, 8), "multicast, ff00::/8"),
];

/// All of IPv6 that is allocated for global unicast; the rest is reserved by the IETF.
const GLOBAL_UNICAST: Ipv6Net = v6(0x2000, 0, 0, 0, 0, 0, 0, 0, 3);
const IPV4_MAPPED: Ipv6Net = v6(0, 0, 0, 0, 0, 0xffff, 0, 0, 96);
const NAT64: Ipv6Net = v6(0x64, 0xff9b, 0, 0, 0, 0, 0, 0, 96);
const SIX_TO_FOUR: Ipv6Net = v6(0x2002, 0, 0, 0, 0, 0, 0, 0, 16);
const TEREDO: Ipv6Net = v6(0x2001, 0, 0, 0, 0, 0, 0, 0, 32);

/// The IPv4 addresses an IPv6 address leads to: an IPv4-mapped address and the NAT64 well-known
/// prefix (RFC 6052) carry it in their last 32 bits, 6to4 after its prefix (RFC 3056), Teredo
/// its server's after its prefix and its client's, inverted, at the end (RFC 4380). `None`: no
/// IPv4 address in it.
fn embedded_ipv4(ip: Ipv6Addr) -> Option<Vec<Ipv4Addr>> {
    let bits = ip.to_bits();
    let at = |shift: u32| Ipv4Addr::from_bits((bits >> shift) as u32);
    if IPV4_MAPPED.contains(&ip) || NAT64.contains(&ip) {
        Some(vec![at(0)])
    } else if SIX_TO_FOUR.contains(&ip) {
        Some(vec![at(80)])
    } else if TEREDO.contains(&ip) {
        Some(vec![at(64), Ipv4Addr::from_bits(!(bits as u32))])
    } else {
        None
    }
}

/// What makes `ip` unfit for an outbound request, or `None` for an address that is globally
/// reachable. An IPv6 address that carries an IPv4 one is judged by that IPv4 address.
pub fn special_purpose(ip: IpAddr) -> Option<SpecialPurpose> {
    match ip {
        IpAddr::V4(ip) => special_v4(ip).map(|block| SpecialPurpose { block, embedded: None }),
        IpAddr::V6(ip) => match embedded_ipv4(ip) {
            Some(v4s) => {
                v4s.into_iter().find_map(|v4| special_v4(v4).map(|block| SpecialPurpose { block, embedded: Some(v4) }))
            }
            None => IPV6
                .iter()
                .find(|(net, _)| net.contains(&ip))
                .map(|(_, block)| *block)
                .or_else(|| (!GLOBAL_UNICAST.contains(&ip)).then_some("reserved by the IETF, outside 2000::/3"))
                .map(|block| SpecialPurpose { block, embedded: None }),
        },
    }
}

fn special_v4(ip: Ipv4Addr) -> Option<&'static str> {
    IPV4.iter().find(|(net, _)| net.contains(&ip)).map(|(_, block)| *block)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_of(ip: &str) -> Option<&'static str> {
        special_purpose(ip.parse().unwrap()).map(|s| s.block)
    }

    #[test]
    fn every_special_purpose_ipv4_block_is_refused_by_name() {
        for (ip, block) in [
            ("0.0.0.0", "\"this network\""),
            ("0.255.255.255", "\"this network\""),
            ("10.0.0.1", "private-use, 10."),
            ("10.255.255.255", "private-use, 10."),
            ("100.64.0.1", "shared address space"),
            ("100.127.255.255", "shared address space"),
            ("127.0.0.1", "loopback"),
            ("127.255.255.254", "loopback"),
            ("169.254.169.254", "link-local"),
            ("172.16.0.1", "private-use, 172.16."),
            ("172.31.255.255", "private-use, 172.16."),
            ("192.0.0.1", "IETF protocol assignments"),
            ("192.0.0.9", "IETF protocol assignments"),
            ("192.0.0.170", "IETF protocol assignments"),
            ("192.0.2.1", "TEST-NET-1"),
            ("192.31.196.1", "AS112-v4"),
            ("192.52.193.1", "AMT"),
            ("192.88.99.1", "6to4 relay anycast"),
            ("192.168.0.1", "private-use, 192.168."),
            ("192.175.48.1", "direct delegation AS112"),
            ("198.18.0.1", "benchmarking"),
            ("198.19.255.255", "benchmarking"),
            ("198.51.100.1", "TEST-NET-2"),
            ("203.0.113.1", "TEST-NET-3"),
            ("224.0.0.1", "multicast"),
            ("239.255.255.250", "multicast"),
            ("240.0.0.1", "reserved"),
            ("255.255.255.254", "reserved"),
            ("255.255.255.255", "limited broadcast"),
        ] {
            let found = block_of(ip).unwrap_or_else(|| panic!("{ip} passed"));
            assert!(found.starts_with(block) || found.contains(block), "{ip}: {found}, expected {block}");
        }
    }

    #[test]
    fn every_special_purpose_ipv6_block_is_refused_by_name() {
        for (ip, block) in [
            ("::", "unspecified"),
            ("::1", "loopback"),
            ("::7f00:1", "IPv4-compatible"),
            ("::808:808", "IPv4-compatible"),
            ("64:ff9b:1::1", "local-use IPv4/IPv6 translation"),
            ("100::1", "discard-only"),
            ("100:0:0:1::1", "dummy prefix"),
            ("2001:1::1", "IETF protocol assignments"),
            ("2001:1::3", "IETF protocol assignments"),
            ("2001:2::1", "benchmarking"),
            ("2001:3::1", "AMT"),
            ("2001:4:112::1", "AS112-v6"),
            ("2001:10::1", "ORCHID (deprecated)"),
            ("2001:20::1", "ORCHIDv2"),
            ("2001:30::1", "drone remote ID"),
            ("2001:1ff::1", "IETF protocol assignments"),
            ("2001:db8::1", "documentation, 2001:db8"),
            ("2620:4f:8000::1", "direct delegation AS112"),
            ("3fff::1", "documentation, 3fff"),
            ("5f00::1", "segment routing"),
            ("fc00::1", "unique local"),
            ("fd12:3456::1", "unique local"),
            ("fe80::1", "link-local"),
            ("febf::1", "link-local"),
            ("fec0::1", "site-local"),
            ("ff02::1", "multicast"),
            ("ff0e::1", "multicast"),
            ("4000::1", "reserved by the IETF"),
            ("e000::1", "reserved by the IETF"),
        ] {
            let found = block_of(ip).unwrap_or_else(|| panic!("{ip} passed"));
            assert!(found.starts_with(block), "{ip}: {found}, expected {block}");
        }
    }

    #[test]
    fn an_ipv6_address_carrying_an_ipv4_one_is_judged_by_that_ipv4_address() {
        for (ip, v4, block) in [
            ("::ffff:127.0.0.1", "127.0.0.1", "loopback"),
            ("::ffff:10.0.0.1", "10.0.0.1", "private-use"),
            ("::ffff:169.254.169.254", "169.254.169.254", "link-local"),
            ("64:ff9b::7f00:1", "127.0.0.1", "loopback"),
            ("64:ff9b::a9fe:a9fe", "169.254.169.254", "link-local"),
            ("64:ff9b::c612:1", "198.18.0.1", "benchmarking"),
            ("2002:7f00:1::", "127.0.0.1", "loopback"),
            ("2002:a00:1::1", "10.0.0.1", "private-use"),
            ("2002:e000:1::", "224.0.0.1", "multicast"),
            // Teredo: server 127.0.0.1; client 8.8.8.8 inverted.
            ("2001:0:7f00:1::f7f7:f7f7", "127.0.0.1", "loopback"),
            // Teredo: server 8.8.8.8; client 10.0.0.1 inverted.
            ("2001:0:808:808::f5ff:fffe", "10.0.0.1", "private-use"),
        ] {
            let found = special_purpose(ip.parse().unwrap()).unwrap_or_else(|| panic!("{ip} passed"));
            assert_eq!(found.embedded, Some(v4.parse().unwrap()), "{ip}");
            assert!(found.block.starts_with(block), "{ip}: {}", found.block);
        }
    }

    #[test]
    fn public_addresses_pass_in_every_form() {
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "93.184.216.34",
            "9.255.255.255",
            "11.0.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "126.255.255.255",
            "128.0.0.0",
            "169.253.255.255",
            "172.15.255.255",
            "172.32.0.0",
            "192.0.1.1",
            "192.167.255.255",
            "192.169.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
            "2606:4700:4700::1111",
            "2001:4860:4860::8888",
            "2001:200::1",
            "2a00:1450:4007:80f::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "2001:0:808:808::f7f7:f7f7",
        ] {
            assert_eq!(special_purpose(ip.parse().unwrap()), None, "{ip}");
        }
    }

    #[test]
    fn outbound_urls_are_absolute_http_urls_and_their_host_is_the_one_called() {
        let host = |s| OutboundUrl::parse("url", s).unwrap().host().to_string();
        assert_eq!(host("https://example.com:8443/hook?x=1"), "example.com");
        assert_eq!(host("http://[::1]:80/"), "[::1]");
        assert_eq!(host("http://127.0.0.1\\@example.com/"), "127.0.0.1");
        assert_eq!(host("http://0x7f.1/"), "127.0.0.1");
        assert_eq!(host("http://2130706433/"), "127.0.0.1");
        assert_eq!(OutboundUrl::parse("url", "https://example.com/").unwrap().port(), 443);
        for bad in ["ftp://example.com/", "http:///path", "example.com", "http://", "http://a b/", "http://[::1/"] {
            let err = OutboundUrl::parse("base_uri", bad).unwrap_err().to_string();
            assert!(err.starts_with("'base_uri' must be an absolute http:// or https:// URL"), "{bad}: {err}");
        }
        let long = format!("https://example.com/{}", "a".repeat(TextRule::URL.max_chars));
        assert!(OutboundUrl::parse("url", &long).unwrap_err().to_string().contains("at most 2048"));
    }

    #[test]
    fn credentials_in_a_url_are_refused_and_an_old_rows_password_is_never_shown() {
        for with_credentials in ["http://u:p@example.com/", "http://u@example.com/", "http://:p@example.com/"] {
            let err = OutboundUrl::parse("base_uri", with_credentials).unwrap_err().to_string();
            assert!(err.starts_with("'base_uri' must not carry credentials"), "{err}");
            assert!(!err.contains("p@"), "{err}");
        }
        let old = OutboundUrl::from_stored("https://hook:hunter2@example.com/in").unwrap();
        assert_eq!(old.expose(), "https://hook:hunter2@example.com/in");
        assert_eq!(old.to_string(), "https://hook:***@example.com/in");
        assert!(!format!("{old:?}").contains("hunter2"));
        let plain = OutboundUrl::parse("url", "https://example.com/in?a=1").unwrap();
        assert_eq!(plain.to_string(), "https://example.com/in?a=1");
    }
}
