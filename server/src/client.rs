//! Who is calling: the client IP (from the socket, or from `X-Forwarded-For` when the socket
//! peer is a trusted proxy) and the User-Agent.
use app::ssr::auth::ClientInfo;
use axum::{
    extract::{ConnectInfo, Request, State},
    middleware::Next,
    response::Response,
};
use http::header::USER_AGENT;
use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

/// The proxies whose `X-Forwarded-For` we believe.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(pub Arc<Vec<IpAddr>>);

const MAX_USER_AGENT: usize = 512;

/// Works out the client address given the socket peer and the `X-Forwarded-For` values.
pub fn client_ip(
    peer: Option<IpAddr>,
    forwarded_for: &[&str],
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
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
        match hop.parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => continue,
            Ok(ip) => return Some(ip),
            Err(_) => return Some(peer),
        }
    }
    Some(peer)
}

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
        let client: IpAddr = "203.0.113.9".parse().unwrap();
        let spoofed = ["1.2.3.4, 203.0.113.9"];
        assert_eq!(client_ip(Some(client), &spoofed, &[]), Some(client));
        assert_eq!(client_ip(Some(proxy), &spoofed, &[proxy]), Some(client));
        assert_eq!(
            client_ip(Some(proxy), &["203.0.113.9, 10.0.0.1"], &[proxy]),
            Some(client)
        );
        assert_eq!(client_ip(Some(proxy), &["garbage"], &[proxy]), Some(proxy));
        assert_eq!(client_ip(Some(proxy), &[], &[proxy]), Some(proxy));
    }
}
