//! Serving HTTPS without a proxy: the certificate, kept fresh, and the plain-HTTP redirect.
//!
//! With `HALLPASS_TLS_CERT` and `HALLPASS_TLS_KEY` (PEM files: the chain, leaf first, and its
//! private key) Hallpass terminates TLS itself (rustls, TLS 1.2 and 1.3 only, ALPN
//! `http/1.1`). The files are read again every [`RELOAD_EVERY`]; when their contents change
//! and the new pair is valid (it parses, and the key belongs to the certificate), new
//! handshakes present it; connections already open keep theirs. A pair that does not load
//! (half-written by a renewal, mismatched) is logged and the previous one stays in service, so
//! a renewal can never take the site down.
//!
//! `HALLPASS_HTTP_REDIRECT_ADDR` adds a plain-HTTP listener that only redirects to https
//! ([`redirect_router`]): every method and path gets `308` to the same path on https, and
//! nothing else is served there, so no cookie or page ever crosses plain HTTP.
use axum::{
    extract::Request,
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Router,
};
use rustls::{
    crypto::CryptoProvider,
    pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer},
    server::{ClientHello, ResolvesServerCert},
    sign::CertifiedKey,
    ServerConfig,
};
use std::{
    path::{Path, PathBuf},
    sync::{Arc, RwLock},
    time::Duration,
};

/// How often the certificate files are read again to see whether they were renewed.
pub const RELOAD_EVERY: Duration = Duration::from_secs(2);

/// Why a certificate pair could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A file is not PEM of the expected kind.
    #[error("{path} holds no usable {what} (PEM expected)")]
    Pem {
        /// The file.
        path: PathBuf,
        /// "certificate" or "private key".
        what: &'static str,
    },
    /// The certificate is not valid now (expired, or not yet valid): serving it would take the
    /// site down for every browser.
    #[error("the certificate in {path} is not valid now (valid from {not_before} to {not_after})")]
    NotValidNow {
        /// The certificate file.
        path: PathBuf,
        /// Its validity period.
        not_before: String,
        /// Its validity period.
        not_after: String,
    },
    /// rustls refused the pair (an unsupported key type, or a key of another certificate).
    #[error("the key in {key} does not serve the certificate in {cert}: {source}")]
    Pair {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// What rustls said.
        source: rustls::Error,
    },
}

/// The crypto Hallpass's TLS uses, on both sides (serving browsers, reaching the stores).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Makes ring the process-wide default, for the clients that ask rustls for one (the Redis
/// and PostgreSQL drivers). Idempotent.
pub fn install_default_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The certificate and key files, and the pair currently in service.
#[derive(Debug)]
pub struct Certificate {
    cert: PathBuf,
    key: PathBuf,
    current: RwLock<Loaded>,
}

#[derive(Debug)]
struct Loaded {
    pair: Arc<CertifiedKey>,
    /// The files' contents the pair was made from (a change in either means "reload").
    source: (Vec<u8>, Vec<u8>),
}

impl Certificate {
    /// Loads the pair; an error here stops the server from starting.
    pub fn load(cert: &Path, key: &Path) -> Result<Arc<Self>, TlsError> {
        let source = (read(cert)?, read(key)?);
        let pair = certified(cert, key, &source)?;
        Ok(Arc::new(Self {
            cert: cert.to_owned(),
            key: key.to_owned(),
            current: RwLock::new(Loaded { pair, source }),
        }))
    }

    /// Reads the files again; when they changed, puts the new pair in service.
    /// `Ok(true)`: a new pair is in service; `Ok(false)`: nothing changed; `Err`: the files
    /// changed but do not load (the previous pair stays).
    pub fn reload(&self) -> Result<bool, TlsError> {
        let source = (read(&self.cert)?, read(&self.key)?);
        if self.current.read().expect("not poisoned").source == source {
            return Ok(false);
        }
        let pair = certified(&self.cert, &self.key, &source)?;
        *self.current.write().expect("not poisoned") = Loaded { pair, source };
        Ok(true)
    }

    /// Checks the files every [`RELOAD_EVERY`] for as long as the server runs.
    pub fn watch(self: &Arc<Self>) {
        let this = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(RELOAD_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(this) = this.upgrade() else { return };
                // Reading two small files: cheap enough not to need the blocking pool.
                match this.reload() {
                    Ok(true) => {
                        tracing::info!(cert = %this.cert.display(), "TLS certificate reloaded")
                    }
                    Ok(false) => {}
                    Err(err) => {
                        tracing::warn!(%err, "TLS certificate files changed but do not load; the previous certificate stays in service")
                    }
                }
            }
        });
    }

    /// The rustls configuration serving this certificate (HTTP/1.1 only: the header read
    /// timeout in [`crate::transport`] is HTTP/1's).
    pub fn server_config(self: &Arc<Self>) -> Arc<ServerConfig> {
        let mut config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("ring supports the default TLS versions")
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Arc::new(config)
    }
}

impl ResolvesServerCert for Certificate {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.read().expect("not poisoned").pair.clone())
    }
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_owned(),
        source,
    })
}

fn certified(
    cert: &Path,
    key: &Path,
    (cert_pem, key_pem): &(Vec<u8>, Vec<u8>),
) -> Result<Arc<CertifiedKey>, TlsError> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<_, _>>()
        .ok()
        .filter(|chain: &Vec<_>| !chain.is_empty())
        .ok_or_else(|| TlsError::Pem {
            path: cert.to_owned(),
            what: "certificate",
        })?;
    // The leaf must be valid now: a renewal that wrote an expired or future certificate is
    // refused like a broken one, and the last good pair stays in service.
    let (_, leaf) = x509_parser::parse_x509_certificate(&chain[0]).map_err(|_| TlsError::Pem {
        path: cert.to_owned(),
        what: "certificate",
    })?;
    if !leaf.validity().is_valid() {
        return Err(TlsError::NotValidNow {
            path: cert.to_owned(),
            not_before: leaf.validity().not_before.to_string(),
            not_after: leaf.validity().not_after.to_string(),
        });
    }
    let private = PrivateKeyDer::from_pem_slice(key_pem).map_err(|_| TlsError::Pem {
        path: key.to_owned(),
        what: "private key",
    })?;
    CertifiedKey::from_der(chain, private, &provider())
        .map(Arc::new)
        .map_err(|source| TlsError::Pair {
            cert: cert.to_owned(),
            key: key.to_owned(),
            source,
        })
}

/// The plain-HTTP listener's only answer: `308` to the same path and query on https.
///
/// The host is the configured public origin's when one is https (so a forged `Host` cannot
/// send anyone elsewhere), otherwise the request's own host name with `https_port` (left out
/// when it is 443). A request without a usable host gets 400.
pub fn redirect_router(public_origins: Vec<String>, https_port: u16) -> Router {
    let origins: Arc<Vec<String>> = Arc::new(
        public_origins
            .into_iter()
            .filter(|o| {
                o.get(..8)
                    .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
            })
            .map(|o| format!("https://{}", o[8..].trim_end_matches('/')))
            .collect(),
    );
    Router::new().fallback(move |req: Request| {
        let origins = origins.clone();
        async move { redirect(&origins, https_port, &req) }
    })
}

fn redirect(origins: &[String], https_port: u16, req: &Request) -> Response {
    // The path as the router would see it (always starting with `/`; `*` and absolute forms
    // become `/`), and the query.
    let uri = req.uri();
    let mut path = match uri.path() {
        p if p.starts_with('/') => p.to_owned(),
        _ => "/".to_owned(),
    };
    if let Some(query) = uri.query() {
        path.push('?');
        path.push_str(query);
    }
    let requested = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(host_name);
    let origin =
        match (origins.first(), requested) {
            // The configured origin whose host was asked for, else the first one.
            (Some(first), requested) => requested
                .and_then(|host| {
                    origins.iter().find(|o| {
                        o.strip_prefix("https://")
                            .and_then(host_name)
                            .is_some_and(|h| h.eq_ignore_ascii_case(host))
                    })
                })
                .unwrap_or(first)
                .clone(),
            (None, Some(host)) if https_port == 443 => format!("https://{host}"),
            (None, Some(host)) => format!("https://{host}:{https_port}"),
            (None, None) => return (
                StatusCode::BAD_REQUEST,
                "This address serves only a redirect to https, and the request named no host.\n",
            )
                .into_response(),
        };
    match HeaderValue::try_from(format!("{origin}{path}")) {
        Ok(location) => (
            StatusCode::PERMANENT_REDIRECT,
            [(header::LOCATION, location)],
        )
            .into_response(),
        Err(_) => (
            StatusCode::BAD_REQUEST,
            "The request's path cannot be redirected.\n",
        )
            .into_response(),
    }
}

/// The host name of a `Host` value (`name`, `name:port`, `[v6]`, `[v6]:port`), when it is
/// made of characters a host name may have.
fn host_name(host: &str) -> Option<&str> {
    let (name, valid) = if let Some(rest) = host.strip_prefix('[') {
        let end = rest.find(']')?;
        let inner = &rest[..end];
        (
            &host[..end + 2],
            !inner.is_empty()
                && inner
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.'),
        )
    } else {
        let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
        (
            name,
            !name.is_empty()
                && name.len() <= 253
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'),
        )
    };
    valid.then_some(name)
}

#[cfg(test)]
mod tests {
    use super::host_name;

    #[test]
    fn host_names_are_taken_from_host_headers_and_nothing_else() {
        assert_eq!(host_name("example.test"), Some("example.test"));
        assert_eq!(host_name("example.test:8080"), Some("example.test"));
        assert_eq!(host_name("[::1]:8080"), Some("[::1]"));
        assert_eq!(host_name("[::1]"), Some("[::1]"));
        assert_eq!(host_name("evil.test/path"), None);
        assert_eq!(host_name("a@b"), None);
        assert_eq!(host_name(""), None);
        assert_eq!(host_name(":80"), None);
        assert_eq!(host_name("[::1"), None);
        assert_eq!(host_name("[evil.test]"), None);
        assert_eq!(host_name("a]b:1"), None);
    }
}
