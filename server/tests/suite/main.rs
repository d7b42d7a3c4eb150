//! Hallpass's integration tests, as one binary (one link instead of one per file): each module
//! is a subject, against real SQLite, Redis and PostgreSQL, and the real binary where a test
//! needs its process. `common` holds the test server, throwaway stores, certificates and the
//! store macros.
#[macro_use]
mod common;

mod accounts;
mod audit;
mod cli;
mod edges;
mod ending;
mod fuzz_http;
mod instances;
mod lifecycle;
mod metrics;
mod outage;
mod passkeys;
mod processes;
mod registry;
mod remember;
mod revocation;
mod scan;
mod sign_in;
mod storage;
mod throttle;
mod tls;
mod transport;
