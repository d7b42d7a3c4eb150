//! Server-only domain code used by the server functions and the server's middleware: users,
//! passwords, the authenticated state kept in a session, policy, audit, remember-me tokens,
//! the session registry and how a server function reaches the request.
pub mod access;
pub mod accounts;
pub mod activity;
pub mod admission;
pub mod attempts;
pub mod audit;
pub mod auth;
pub mod clock;
pub mod context;
pub mod cookies;
pub mod database;
pub mod devices;
pub mod ending;
pub mod events;
pub mod lifecycle;
pub mod listing;
pub mod metrics;
pub mod passkeys;
pub mod password;
pub mod policy_store;
pub mod posture;
pub mod registry;
pub mod remember;
pub mod self_audit;
pub mod session;
pub mod store_error;
pub mod throttle;
pub mod users;
