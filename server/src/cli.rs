//! The `hallpass` command line.
use crate::config::Config;
use app::model::Role;
use clap::{Parser, Subcommand};

/// Hallpass: session management you can see.
#[derive(Parser, Debug)]
#[command(name = "hallpass", version, about)]
pub struct Cli {
    /// Server and database settings.
    #[command(flatten)]
    pub config: Config,
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Top-level commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the web server (the default).
    Serve,
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
}

/// `hallpass user …`
#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a user; the password is read from the first line of standard input.
    Add {
        /// The email to sign in with.
        #[arg(long)]
        email: String,
        /// admin or user.
        #[arg(long, default_value = "user", value_parser = parse_role)]
        role: Role,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
}
