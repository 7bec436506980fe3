//! The client behind a load balancer: when a connection comes from one of
//! the configured `trusted_proxies`, the client's address is the right-most
//! `X-Forwarded-For` entry that is not itself a trusted proxy (each proxy
//! appends the address it saw, so entries left of it are whatever the client
//! claimed). Every later layer — rate limits, throttles, the audit trail,
//! the loopback-only system routes — sees that address in place of the
//! proxy's; a request from a proxy that names no client gets the
//! unspecified address, never the proxy's own (a balancer on the same
//! machine must not make every visitor "local").
//!
//! Owns no policy beyond that: which proxies to trust is configuration, and
//! a header from any other peer is ignored.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, Request};
use axum::http::HeaderMap;
use ipnet::IpNet;

/// The addresses whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

/// A `trusted_proxies` entry that is neither an address nor a network.
#[derive(Debug, thiserror::Error)]
#[error("{0:?} is neither an IP address nor a network (10.0.0.0/8)")]
pub struct BadProxy(pub String);

impl TrustedProxies {
    /// Parses addresses (`10.0.0.5`) and networks (`10.0.0.0/24`).
    pub fn parse(entries: &[String]) -> Result<Self, BadProxy> {
        entries
            .iter()
            .map(|e| {
                let e = e.trim();
                e.parse::<IpNet>()
                    .or_else(|_| e.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| BadProxy(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    /// Whether `ip` is a trusted proxy.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// Whether no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The client's address for a connection from `peer` carrying `headers`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.contains(peer) {
            return peer;
        }
        let mut entries = Vec::new();
        for value in headers.get_all("x-forwarded-for") {
            let Ok(text) = value.to_str() else {
                return unspecified();
            };
            entries.extend(text.split(','));
        }
        // Right to left, past the trusted hops. What a client wrote left of
        // the first untrusted entry is never read; an entry that does not
        // parse before it ends the walk. A chain of trusted hops only (a
        // client on a proxy's own network) ends at its first entry.
        let mut last_trusted = None;
        for entry in entries.iter().rev() {
            match parse_entry(entry).map(canonical) {
                Some(ip) if self.contains(ip) => last_trusted = Some(ip),
                Some(ip) => return ip,
                None => return unspecified(),
            }
        }
        last_trusted.unwrap_or_else(unspecified)
    }
}

/// One `X-Forwarded-For` entry: an address, maybe with a port, maybe in
/// brackets (`[2001:db8::1]:443`).
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let e = entry.trim();
    if let Ok(ip) = e.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(sa) = e.parse::<SocketAddr>() {
        return Some(sa.ip());
    }
    e.strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .and_then(|r| r.parse().ok())
}

/// IPv4-mapped IPv6 addresses as IPv4 (one client, one key).
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

fn unspecified() -> IpAddr {
    IpAddr::V4(Ipv4Addr::UNSPECIFIED)
}

/// Replaces the connection's peer address with the client's when the peer
/// is a trusted proxy (the first step of the perimeter).
pub fn with_real_client(state: &crate::AppState, mut req: Request) -> Request {
    let proxies = state.trusted_proxies();
    if !proxies.is_empty()
        && let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied()
        && proxies.contains(peer.ip())
    {
        let client = proxies.client(peer.ip(), req.headers());
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(client, 0)));
    }
    req
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .unwrap_or_default()
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(
                "x-forwarded-for",
                HeaderValue::from_str(v).unwrap_or(HeaderValue::from_static("")),
            );
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::V4(Ipv4Addr::BROADCAST))
    }

    #[test]
    fn parses_addresses_and_networks_and_refuses_the_rest() {
        let p = proxies(&["10.0.0.5", "192.168.1.0/24", "2001:db8::/32"]);
        assert!(p.contains(ip("10.0.0.5")));
        assert!(!p.contains(ip("10.0.0.6")));
        assert!(p.contains(ip("192.168.1.200")));
        assert!(p.contains(ip("::ffff:192.168.1.7")), "mapped IPv4");
        assert!(p.contains(ip("2001:db8::9")));
        assert!(TrustedProxies::parse(&["10.0.0.0/33".into()]).is_err());
        assert!(TrustedProxies::parse(&["proxy.example".into()]).is_err());
    }

    #[test]
    fn a_header_from_an_untrusted_peer_is_ignored() {
        let p = proxies(&["10.0.0.5"]);
        assert_eq!(
            p.client(ip("198.51.100.1"), &xff(&["127.0.0.1"])),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn the_right_most_untrusted_entry_is_the_client() {
        let p = proxies(&["10.0.0.0/24"]);
        // the client claimed 127.0.0.1; the balancer appended what it saw
        let h = xff(&["127.0.0.1, 203.0.113.9"]);
        assert_eq!(p.client(ip("10.0.0.5"), &h), ip("203.0.113.9"));
        // two trusted hops, across two header lines, one with a port
        let h = xff(&["1.2.3.4", "[2001:db8::7]:5555, 10.0.0.7"]);
        assert_eq!(p.client(ip("10.0.0.5"), &h), ip("2001:db8::7"));
        // only trusted hops: the first one
        let h = xff(&["10.0.0.9, 10.0.0.8"]);
        assert_eq!(p.client(ip("10.0.0.5"), &h), ip("10.0.0.9"));
    }

    #[test]
    fn a_proxy_naming_no_client_or_garbage_is_nobody_local() {
        let p = proxies(&["127.0.0.1"]);
        assert_eq!(p.client(ip("127.0.0.1"), &HeaderMap::new()), unspecified());
        assert_eq!(
            p.client(ip("127.0.0.1"), &xff(&["not-an-address"])),
            unspecified()
        );
        assert_eq!(
            p.client(ip("127.0.0.1"), &xff(&["203.0.113.1, unknown"])),
            unspecified()
        );
        // what the client wrote left of the real entry does not matter
        assert_eq!(
            p.client(ip("127.0.0.1"), &xff(&["unknown, 203.0.113.1"])),
            ip("203.0.113.1")
        );
        assert!(!unspecified().is_loopback());
    }
}
