//! Who is calling: the client IP (from the socket, or from `X-Forwarded-For` when the socket
//! peer is a trusted proxy) and the User-Agent.
//!
//! Addresses are canonical (an IPv4-mapped IPv6 address is the IPv4 address), proxies may be
//! given as CIDR ranges, and hops written `ip:port` or `[v6]:port` are understood. An
//! `X-Forwarded-For` from a peer that is not a trusted proxy is ignored, and logged once: it
//! usually means `HALLPASS_TRUSTED_PROXIES` is not set for the proxy in front.
use app::ssr::auth::ClientInfo;
use axum::{
    extract::{ConnectInfo, Request, State},
    middleware::Next,
    response::Response,
};
use http::header::USER_AGENT;
use ipnet::IpNet;
use std::{
    net::{IpAddr, SocketAddr},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
};

/// The proxies whose `X-Forwarded-For` we believe.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(pub Arc<Vec<IpNet>>);

const MAX_USER_AGENT: usize = 512;

/// Parses one `HALLPASS_TRUSTED_PROXIES` entry: an address or a CIDR range.
pub fn parse_proxy_range(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    if text.contains('/') {
        text.parse::<IpNet>()
            .map(|net| net.trunc())
            .map_err(|e| format!("{text:?} is not an address or CIDR range: {e}"))
    } else {
        text.parse::<IpAddr>()
            .map(|ip| IpNet::from(ip.to_canonical()))
            .map_err(|e| format!("{text:?} is not an address or CIDR range: {e}"))
    }
}

/// One `X-Forwarded-For` hop: `ip`, `ip:port`, `[v6]` or `[v6]:port`, canonical.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let ip = hop
        .parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|a| a.ip()))
        .or_else(|_| {
            hop.strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .unwrap_or("")
                .parse::<IpAddr>()
        })
        .ok()?;
    Some(ip.to_canonical())
}

fn is_trusted(ip: IpAddr, trusted: &[IpNet]) -> bool {
    trusted.iter().any(|net| net.contains(&ip))
}

/// Works out the client address given the socket peer and the `X-Forwarded-For` values.
pub fn client_ip(
    peer: Option<IpAddr>,
    forwarded_for: &[&str],
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let peer = peer?.to_canonical();
    if !is_trusted(peer, trusted) {
        if !forwarded_for.is_empty()
            && !UNTRUSTED_FORWARDED_FOR_LOGGED.swap(true, Ordering::Relaxed)
        {
            tracing::warn!(
                %peer,
                "X-Forwarded-For from a peer that is not a trusted proxy is ignored; if a proxy \
                 is in front, set HALLPASS_TRUSTED_PROXIES to its address (logged once)"
            );
        }
        return Some(peer);
    }
    // Walk from the nearest hop outwards; the first address that is not one of our proxies is
    // the client. Anything further left was written by the client and proves nothing.
    let hops = forwarded_for
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for hop in hops.iter().rev() {
        match parse_hop(hop) {
            Some(ip) if is_trusted(ip, trusted) => continue,
            Some(ip) => return Some(ip),
            None => return Some(peer),
        }
    }
    Some(peer)
}

/// Whether the hint about an untrusted `X-Forwarded-For` was logged already.
static UNTRUSTED_FORWARDED_FOR_LOGGED: AtomicBool = AtomicBool::new(false);

/// Middleware that puts a [`ClientInfo`] in the request extensions.
pub async fn identify(
    State(trusted): State<TrustedProxies>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let ip = client_ip(peer, &forwarded, &trusted.0)
        .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    let user_agent = req
        .headers()
        .get(USER_AGENT)
        .map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .chars()
                .take(MAX_USER_AGENT)
                .collect()
        })
        .unwrap_or_default();
    req.extensions_mut().insert(ClientInfo { ip, user_agent });
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let trusted = [parse_proxy_range("10.0.0.1").unwrap()];
        let client: IpAddr = "203.0.113.9".parse().unwrap();
        let spoofed = ["1.2.3.4, 203.0.113.9"];
        assert_eq!(client_ip(Some(client), &spoofed, &[]), Some(client));
        assert_eq!(client_ip(Some(proxy), &spoofed, &trusted), Some(client));
        assert_eq!(
            client_ip(Some(proxy), &["203.0.113.9, 10.0.0.1"], &trusted),
            Some(client)
        );
        assert_eq!(client_ip(Some(proxy), &["garbage"], &trusted), Some(proxy));
        assert_eq!(client_ip(Some(proxy), &[], &trusted), Some(proxy));
    }

    #[test]
    fn proxies_as_ranges_hops_with_ports_and_mapped_addresses() {
        let trusted = [
            parse_proxy_range("10.0.0.0/8").unwrap(),
            parse_proxy_range("2001:db8:ffff::/48").unwrap(),
        ];
        let client: IpAddr = "203.0.113.9".parse().unwrap();
        let v6: IpAddr = "2001:db8:1:2::7".parse().unwrap();
        let proxy: IpAddr = "10.1.2.3".parse().unwrap();
        // Two proxies of the range in a row, the client written with a port.
        assert_eq!(
            client_ip(Some(proxy), &["203.0.113.9:51234, 10.9.9.9"], &trusted),
            Some(client)
        );
        assert_eq!(
            client_ip(Some(proxy), &["[2001:db8:1:2::7]:443"], &trusted),
            Some(v6)
        );
        assert_eq!(
            client_ip(Some(proxy), &["[2001:db8:1:2::7]"], &trusted),
            Some(v6)
        );
        // An IPv4-mapped peer is the IPv4 address, trusted by the IPv4 range.
        let mapped: IpAddr = "::ffff:10.1.2.3".parse().unwrap();
        assert_eq!(
            client_ip(Some(mapped), &["203.0.113.9"], &trusted),
            Some(client)
        );
        assert_eq!(
            client_ip(Some("::ffff:203.0.113.9".parse().unwrap()), &[], &[]),
            Some(client)
        );
        assert!(parse_proxy_range("not an address").is_err());
        assert!(parse_proxy_range("10.0.0.0/99").is_err());
    }
}
