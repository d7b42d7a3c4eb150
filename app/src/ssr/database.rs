//! The SQL database every instance shares (SQLite by default, PostgreSQL when the URL says
//! so): users, policy, audit trail, remember-me tokens, passkeys, and with the embedded store
//! the sessions too. Opened once at start-up; the migrations run on every open.
use sqlx::{any::AnyPoolOptions, AnyPool};

/// How long a request waits for a database connection before failing with 503 (while the
/// database is away, requests fail this fast; the pool reconnects by itself afterwards).
pub const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// Opens the database at `url` (SQLite files and their folder are created when missing) and
/// applies the migrations.
pub async fn open(url: &str) -> Result<AnyPool, sqlx::Error> {
    sqlx::any::install_default_drivers();
    if let Some(path) = sqlite_file(url) {
        if let Some(dir) = std::path::Path::new(path).parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
            }
        }
    }
    let pool = AnyPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect(url)
        .await?;
    if sqlite_file(url).is_some() {
        // Write-ahead logging: readers and the writer no longer block each other, so
        // concurrent requests do not fail with "database is locked" (in the default rollback
        // journal, a reader that wants to write while another connection writes gets
        // SQLITE_BUSY at once, whatever the busy timeout). The mode is kept in the file.
        sqlx::query("PRAGMA journal_mode = WAL")
            .execute(&pool)
            .await?;
    }
    sqlx::migrate!("./migrations").run(&pool).await?;
    Ok(pool)
}

/// The file path of a `sqlite:` URL, if it names a file.
fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then_some(path)
}
