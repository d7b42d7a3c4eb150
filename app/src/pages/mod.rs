//! One module per page.
pub mod admin;
pub mod devices;
pub mod home;
pub mod login;
pub mod not_found;
pub mod policy;
pub mod security;
pub mod set_password;
pub mod split;
pub mod timeline;
pub mod users;
