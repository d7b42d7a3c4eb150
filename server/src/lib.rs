//! The Hallpass server: configuration, session stores, request middleware and the router.
//!
//! Connections are served by [`transport::serve`] (header read timeout), over TLS from
//! [`tls`] when Hallpass serves HTTPS itself. A request passes
//! one stack of layers around the router, outermost first: tracing, [`headers`] (the fixed
//! security headers), [`metrics`] (latency), the CSP with its nonce, [`client`] (who is
//! calling), [`csrf`] (state changes only from our origin), [`transport::read_body`] (the
//! whole body, bounded in size and time, before any session is looked at), [`session`]
//! (cookie ↔ session record), [`guard`] (is the session signed in; protected pages),
//! [`api_errors`] (typed errors → HTTP status), then the Leptos pages and server functions.
pub mod api_errors;
pub mod assets;
pub mod bootstrap;
pub mod cleanup;
pub mod cli;
pub mod client;
pub mod config;
pub mod csrf;
pub mod events;
pub mod export;
pub mod guard;
pub mod headers;
pub mod live;
pub mod metrics;
pub mod pages;
pub mod redis_conn;
pub mod registry;
pub mod reply;
pub mod scan;
pub mod session;
pub mod store;
pub mod throttle;
pub mod tls;
pub mod transport;

mod hallpass;
pub use hallpass::Hallpass;
