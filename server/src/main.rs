//! The `hallpass` binary.
use clap::Parser;
use hallpass::{
    cli::{Cli, Command, UserCommand},
    Hallpass,
};
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

/// mimalloc: a request allocates a few hundred small blocks (boxed futures, headers, the
/// session record); glibc's allocator was about a third of the instructions per request.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn,fred=warn".into()),
        )
        .init();
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cli.config).await,
        Command::User(UserCommand::Add { email, role }) => add_user(cli.config, email, role).await,
        Command::User(UserCommand::ResetPasskeys { email }) => {
            hallpass::cli::reset_passkeys(&cli.config, &email).await
        }
        Command::Audit(args) => return hallpass::scan::command::audit(*args).await,
        Command::AuditLog { since, user, .. } => {
            hallpass::cli::audit_log(&cli.config, since, user.as_deref()).await
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: hallpass::config::Config) -> anyhow::Result<()> {
    let hallpass = Hallpass::start(&config).await?;
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    hallpass.serve(listener).await
}

async fn add_user(
    config: hallpass::config::Config,
    email: String,
    role: app::model::Role,
) -> anyhow::Result<()> {
    let users = app::ssr::users::Users::new(app::ssr::database::open(&config.database_url).await?);
    let mut password = String::new();
    std::io::stdin().read_line(&mut password)?;
    let password = password.trim_end_matches(['\r', '\n']);
    let user = users.create(&email, password, role).await?;
    println!("added {} ({})", user.email, user.role.as_str());
    Ok(())
}
