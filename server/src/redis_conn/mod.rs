//! How Hallpass reaches Redis: the URL, the trust for `rediss://`, the pool and the subscriber.
//!
//! `redis://host:port` is plain TCP; `rediss://host:port` is TLS (rustls), with the server's
//! certificate checked against the system's authorities, or only against
//! `HALLPASS_REDIS_CA_FILE` when it is set (a private CA). The host name in the URL must be
//! one the certificate names. Anyone who can write to this Redis can mint sessions: see the
//! README's hardening section for how to lock it down.
mod namespace;

pub use namespace::Namespace;

use anyhow::Context as _;
use fred::clients::SubscriberClient;
use fred::prelude::{
    ClientLike, Config, ConnectionConfig, PerformanceConfig, Pool, ReconnectPolicy, TlsConfig,
    TlsConnector,
};
use std::{path::PathBuf, time::Duration};

/// How long one Redis command may take before the request fails closed.
pub const REDIS_COMMAND_TIMEOUT: Duration = Duration::from_millis(1000);

/// Redis connections per instance unless configured (`HALLPASS_REDIS_CONNECTIONS`).
pub const DEFAULT_REDIS_CONNECTIONS: usize = 2;

/// A Redis server to reach.
#[derive(Clone, Debug)]
pub struct RedisTarget {
    url: String,
    ca_file: Option<PathBuf>,
}

impl RedisTarget {
    /// `url` (`redis://` or `rediss://`), trusting `ca_file`'s authorities for TLS when given.
    pub fn new(url: impl Into<String>, ca_file: Option<PathBuf>) -> Self {
        Self {
            url: url.into(),
            ca_file,
        }
    }

    /// The client configuration: the URL's, with the trust above for `rediss://`.
    pub fn config(&self) -> anyhow::Result<Config> {
        let mut config = Config::from_url(&self.url)?;
        if let (Some(tls), Some(ca_file)) = (config.tls.as_mut(), &self.ca_file) {
            *tls = TlsConfig::from(TlsConnector::from(client_trusting(ca_file)?));
        } else if config.tls.is_none() && self.ca_file.is_some() {
            anyhow::bail!("HALLPASS_REDIS_CA_FILE is set but the Redis URL is not rediss://");
        }
        Ok(config)
    }

    /// A pool of `connections`; fred keeps reconnecting in the background after an outage.
    ///
    /// Commands are pipelined on each connection, so a few connections carry a lot: on 2
    /// cores, 1 or 2 connections served 30 % more requests per second than 4 or 8 (fewer
    /// writes and wake-ups per command). See [`DEFAULT_REDIS_CONNECTIONS`].
    pub async fn pool(&self, connections: usize) -> anyhow::Result<Pool> {
        // Fail fast while Redis is away: a request answers 503 within a second instead of
        // waiting for a reconnect (fred keeps reconnecting every 200 ms in the background).
        let perf = PerformanceConfig {
            default_command_timeout: REDIS_COMMAND_TIMEOUT,
            ..Default::default()
        };
        let connection = ConnectionConfig {
            connection_timeout: REDIS_COMMAND_TIMEOUT,
            max_command_attempts: 1,
            ..Default::default()
        };
        let pool = Pool::new(
            self.config()?,
            Some(perf),
            Some(connection),
            Some(ReconnectPolicy::new_constant(0, 200)),
            connections,
        )?;
        pool.init().await?;
        Ok(pool)
    }

    /// A client for subscribing (not yet connected), reconnecting like the pool.
    pub fn subscriber(&self) -> anyhow::Result<SubscriberClient> {
        Ok(SubscriberClient::new(
            self.config()?,
            None,
            None,
            Some(ReconnectPolicy::new_constant(0, 200)),
        ))
    }
}

/// A rustls client configuration trusting only the authorities in `ca_file`.
fn client_trusting(ca_file: &std::path::Path) -> anyhow::Result<rustls::ClientConfig> {
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca_file)
        .with_context(|| format!("reading {}", ca_file.display()))?
    {
        roots
            .add(cert.with_context(|| format!("reading {}", ca_file.display()))?)
            .with_context(|| format!("a certificate in {}", ca_file.display()))?;
    }
    anyhow::ensure!(
        !roots.is_empty(),
        "{} holds no certificate (PEM expected)",
        ca_file.display()
    );
    Ok(
        rustls::ClientConfig::builder_with_provider(crate::tls::provider())
            .with_safe_default_protocol_versions()
            .expect("ring supports the default TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}
