//! `[server]`: the HTTP listener, and the limits that keep slow or idle clients from
//! holding it (a slowloris client sends its request a byte at a time, or not at all,
//! to pin a connection and a file descriptor for as long as the server lets it).

use serde::Deserialize;
use std::net::SocketAddr;
use std::time::Duration;

/// `[server]`: the HTTP listener.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address to listen on; `--listen` overrides it.
    pub listen: SocketAddr,
    /// The gateway's public base URL (`https://gw.example.com`), used to build the
    /// delivery-report URLs handed to providers. Without it, providers get no callback URL.
    /// When it names the listener itself (`http://127.0.0.1:8080` with `listen` on that
    /// address), `--listen` moves it along to the address actually bound.
    pub public_url: Option<String>,
    /// Largest accepted request body, in bytes (API bodies and provider callbacks).
    pub max_body_bytes: usize,
    /// How long a client may take to send the request line and headers; a client that
    /// has not finished by then gets `408` and the connection is closed.
    #[serde(with = "humantime_serde")]
    pub header_timeout: Duration,
    /// How long a client may take to send the whole request body once the headers are
    /// in; past it the request is answered `408 request_timeout` and the connection is
    /// closed.
    #[serde(with = "humantime_serde")]
    pub body_timeout: Duration,
    /// How long an idle keep-alive connection is kept open for the next request; `0s`
    /// closes every connection after one request.
    #[serde(with = "humantime_serde")]
    pub keep_alive: Duration,
    /// Most connections open at once, over all workers. Further clients wait in the
    /// listen backlog until one closes. Default: what the process's file-descriptor
    /// limit leaves after a reserve for the store, adapters and logs (the gateway raises
    /// its soft limit to the hard one at start), at most 25,000.
    pub max_connections: Option<usize>,
    /// How long shutdown waits for in-flight requests to finish. It is stretched to the
    /// longest send (every adapter's `timeout` in turn) so a send in flight is never cut.
    #[serde(with = "humantime_serde")]
    pub shutdown_timeout: Duration,
    /// HTTP worker threads; default: one per core.
    pub workers: Option<usize>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            max_body_bytes: 64 * 1024,
            header_timeout: Duration::from_secs(5),
            body_timeout: Duration::from_secs(5),
            keep_alive: Duration::from_secs(5),
            max_connections: None,
            shutdown_timeout: Duration::from_secs(30),
            workers: None,
        }
    }
}

impl ServerConfig {
    /// Points `public_url` at `bound` when it named the configured listener (same port,
    /// and a loopback, unspecified or identical host), so `--listen` and port 0 keep
    /// callbacks coming to this process. A URL naming anything else (a proxy, a public
    /// host) is left alone. Returns the new URL when it changed.
    pub fn follow_listen(&mut self, configured: SocketAddr, bound: SocketAddr) -> Option<String> {
        let url = self.public_url.as_deref()?;
        let (scheme, rest) = url.split_once("://")?;
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let default_port = if scheme == "https" { 443 } else { 80 };
        let (host, port) = match authority.strip_prefix('[') {
            Some(v6) => {
                let (h, after) = v6.split_once(']')?;
                (h, after.strip_prefix(':'))
            }
            None => match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            },
        };
        let port = port.map_or(Ok(default_port), str::parse::<u16>).ok()?;
        let names_listener = port == configured.port()
            && (host == "localhost"
                || host.parse::<std::net::IpAddr>().is_ok_and(|ip| {
                    ip.is_loopback() || ip.is_unspecified() || ip == configured.ip()
                }));
        if !names_listener || configured == bound {
            return None;
        }
        let host = match bound.ip() {
            _ if host == "localhost" => "localhost".to_owned(),
            ip if ip.is_unspecified() => authority
                .strip_suffix(&format!(":{port}"))
                .unwrap_or(authority)
                .to_owned(),
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
            ip => ip.to_string(),
        };
        let new = format!("{scheme}://{host}:{}{path}", bound.port());
        self.public_url = Some(new.clone());
        Some(new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_url(url: &str) -> ServerConfig {
        ServerConfig {
            public_url: Some(url.into()),
            ..ServerConfig::default()
        }
    }

    #[test]
    fn listen_moves_a_public_url_naming_the_listener() {
        let configured: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let bound: SocketAddr = "127.0.0.1:41234".parse().unwrap();
        for (url, want) in [
            ("http://127.0.0.1:8080", "http://127.0.0.1:41234"),
            ("http://localhost:8080/", "http://localhost:41234/"),
            ("http://[::1]:8080", "http://127.0.0.1:41234"),
        ] {
            let mut s = with_url(url);
            assert_eq!(s.follow_listen(configured, bound).as_deref(), Some(want));
            assert_eq!(s.public_url.as_deref(), Some(want));
        }
    }

    #[test]
    fn other_public_urls_stay() {
        let configured: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let bound: SocketAddr = "127.0.0.1:41234".parse().unwrap();
        for url in [
            "https://gw.example.com",
            "http://127.0.0.1:9090",
            "http://10.0.0.5:8080",
        ] {
            let mut s = with_url(url);
            assert_eq!(s.follow_listen(configured, bound), None, "{url}");
            assert_eq!(s.public_url.as_deref(), Some(url));
        }
        let mut none = ServerConfig::default();
        assert_eq!(none.follow_listen(configured, bound), None);
        let mut same = with_url("http://127.0.0.1:8080");
        assert_eq!(same.follow_listen(configured, configured), None);
    }
}
