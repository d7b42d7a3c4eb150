//! Hallpass: the Leptos pages, components and server functions shared by the server (`ssr`)
//! and the browser (`hydrate`).
#![recursion_limit = "256"]

pub mod api;
pub mod components;
pub mod error;
pub mod model;
pub mod pages;
pub mod policy;
mod shell;
#[cfg(feature = "ssr")]
pub mod ssr;

pub use shell::{shell, App};
