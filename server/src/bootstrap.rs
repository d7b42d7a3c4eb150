//! The first admin, so a new installation can be signed in to.
use crate::config::Config;
use app::{model::Role, ssr::users::Users};
use rand::{distributions::Alphanumeric, Rng};

/// When there are no users, creates the first admin from `HALLPASS_ADMIN_EMAIL` /
/// `HALLPASS_ADMIN_PASSWORD`, or with a random password that is printed once to stdout.
pub async fn first_admin(users: &Users, config: &Config) -> anyhow::Result<()> {
    if users.count().await? > 0 {
        return Ok(());
    }
    let email = config
        .admin_email
        .clone()
        .unwrap_or_else(|| "admin@hallpass.local".into());
    let (password, generated) = match &config.admin_password {
        Some(p) => (p.clone(), false),
        None => (
            rand::thread_rng()
                .sample_iter(&Alphanumeric)
                .take(20)
                .map(char::from)
                .collect(),
            true,
        ),
    };
    users.create(&email, &password, Role::Admin).await?;
    tracing::warn!(%email, "no users existed: created the first admin");
    if generated {
        println!("\nFirst admin created.\n  email:    {email}\n  password: {password}\nThis password is shown only once.\n");
    }
    Ok(())
}
