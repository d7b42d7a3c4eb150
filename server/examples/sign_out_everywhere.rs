//! Benchmark: the admin views and sign-out-everywhere among 100,000 stored sessions, and
//! Redis memory per session.
//!
//! `cargo run --release -p hallpass --example sign_out_everywhere -- STORE_URL [SESSIONS] [PER_USER]`
//! Stores SESSIONS signed-in sessions (PER_USER per user) through the same store stack the
//! server uses (hashed ids over the per-user index over Redis or SQL), then times the admin
//! list's first and a deep page, a filtered list, the policy dry run's read of every session,
//! and ending all sessions of one user. STORE_URL is a throwaway Redis (`redis://…`: it is
//! flushed, and `used_memory` is measured before and after) or a `sqlite:` file (deleted
//! first).
use app::{
    model::{EndReason, Role},
    ssr::{
        auth::AuthState, clock::Clock, events::LocalBus, registry::SessionRegistry,
        session::SessionRecord,
    },
};
use fred::prelude::ClientLike;
use futures::{stream, StreamExt};
use hallpass::{
    redis_conn::Namespace,
    registry::Registry,
    store::{Backend, EndedSessions, HashedIds, Indexed, SessionIndex, SessionStore},
};
use std::{sync::Arc, time::Instant};

/// The server's allocator, so the timings are the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn record(user: usize, now: i64) -> SessionRecord {
    let auth = AuthState {
        user_id: format!("user-{user}"),
        email: format!("user-{user}@example.test"),
        role: Role::User,
        authenticated_at: now,
        created_at: now,
        last_seen: now,
        ip: "203.0.113.7".into(),
        user_agent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36".into(),
        fingerprint: "0123456789abcdef0123456789abcdef".into(),
        remembered: false,
        last_seen_ms: now * 1000,
        gen: 0,
        remember: None,
        method: app::model::AuthMethod::Password,
    };
    let mut record = SessionRecord::new(time::OffsetDateTime::now_utc() + time::Duration::hours(1));
    record.data.auth = Some(auth);
    record
}

async fn used_memory(pool: &fred::prelude::Pool) -> i64 {
    let info: String = pool
        .next()
        .info(Some(fred::types::InfoKind::Memory))
        .await
        .unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| "redis://127.0.0.1:6390".into());
    let sessions: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(100_000);
    let per_user: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(10);

    let namespace = Namespace("bench".into());
    let events = Arc::new(LocalBus::default());
    // Redis (flushed first: use a throwaway one), or a fresh SQLite file for `sqlite:` URLs.
    let (indexed, ended, pool) = if url.starts_with("sqlite:") {
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or(url.strip_prefix("sqlite:"))
        {
            let path = path.split('?').next().unwrap_or_default();
            for suffix in ["", "-wal", "-shm"] {
                std::fs::remove_file(format!("{path}{suffix}")).ok();
            }
        }
        let db = app::ssr::database::open(&url).await?;
        let indexed = Indexed::new(
            Backend::sql(db.clone()),
            SessionIndex::Sql(db.clone()),
            events.clone(),
        );
        (indexed, EndedSessions::Sql(db), None)
    } else {
        let pool = hallpass::redis_conn::RedisTarget::new(url.as_str(), None)
            .pool(2)
            .await?;
        let _: () = pool.next().flushall(false).await?;
        let indexed = Indexed::new(
            Backend::redis(pool.clone(), namespace.clone()),
            SessionIndex::Redis(pool.clone(), namespace.clone()),
            events.clone(),
        );
        (
            indexed,
            EndedSessions::Redis(pool.clone(), namespace),
            Some(pool),
        )
    };
    let store = Arc::new(HashedIds::new(indexed.clone()));
    let registry = Registry::new(indexed, ended, events, Clock::default(), 3600);

    let before = match &pool {
        Some(pool) => used_memory(pool).await,
        None => 0,
    };
    let now = Clock::default().now();
    let started = Instant::now();
    stream::iter(0..sessions)
        .for_each_concurrent(256, |i| {
            let store = store.clone();
            async move {
                store
                    .create(&mut record(i / per_user, now))
                    .await
                    .expect("stored");
            }
        })
        .await;
    let seeded = started.elapsed();
    let store_name = if pool.is_some() { "redis" } else { "sqlite" };
    println!(
        "{store_name}: seeded sessions={sessions} users={} in {:.1}s",
        sessions.div_ceil(per_user),
        seeded.as_secs_f64(),
    );
    if let Some(pool) = &pool {
        let after = used_memory(pool).await;
        println!(
            "redis bytes/session (record + indexes) = {}",
            (after - before) / sessions as i64
        );
    }

    // The admin views among them, as the server builds them: a page of the list (the index's
    // size, one page of keys, their records, the rows), a deep page, a filtered list (the
    // sessions of 200 accounts), and the policy dry run (every session against a policy).
    let policy = app::policy::Policy::default();
    let rows = |page: Vec<(app::model::SessionKey, AuthState)>| {
        page.iter()
            .map(|(key, auth)| app::ssr::listing::session_info(key, auth, &policy, None))
            .count()
    };
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (mut first, mut deep, mut filtered, mut dry) = (vec![], vec![], vec![], vec![]);
    for _ in 0..3 {
        let started = Instant::now();
        assert_eq!(registry.count_all().await?, sessions);
        assert_eq!(rows(registry.list_recent(0, 100).await?), 100.min(sessions));
        first.push(started.elapsed().as_secs_f64() * 1000.0);
        let started = Instant::now();
        rows(registry.list_recent(sessions / 2, 100).await?);
        deep.push(started.elapsed().as_secs_f64() * 1000.0);
        let started = Instant::now();
        let users: Vec<String> = (0..200.min(sessions / per_user))
            .map(|user| format!("user-{user}"))
            .collect();
        assert_eq!(
            rows(registry.list_users(&users).await?),
            users.len() * per_user
        );
        filtered.push(started.elapsed().as_secs_f64() * 1000.0);
        let started = Instant::now();
        let all = registry.list_recent(0, sessions).await?;
        assert_eq!(all.len(), sessions);
        let ending = all
            .iter()
            .filter(|(_, a)| a.timed_out(&policy, now * 1000 + 3_600_000).is_some())
            .count();
        assert_eq!(
            ending, sessions,
            "an hour on, the default idle timeout ended them all"
        );
        dry.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "admin views among {sessions} stored sessions (medians of 3): the list's first page of 100 in {:.1} ms, page {} in {:.1} ms, the sessions of 200 accounts (a filter) in {:.1} ms, the full policy dry run in {:.0} ms",
        median(first),
        sessions / 200,
        median(deep),
        median(filtered),
        median(dry)
    );

    let mut timings = Vec::new();
    for user in [0, sessions / per_user / 2, sessions / per_user - 1] {
        let user_id = format!("user-{user}");
        let started = Instant::now();
        let ended = registry.end_all(&user_id, None, EndReason::Revoked).await?;
        let took = started.elapsed();
        assert_eq!(ended, per_user.min(sessions));
        assert!(registry.list_user(&user_id).await?.is_empty());
        timings.push(took.as_secs_f64() * 1000.0);
    }
    timings.sort_by(f64::total_cmp);
    println!(
        "sign-out-everywhere among {sessions} stored sessions: ended {per_user} sessions of one user in {:.2} ms (median of 3; min {:.2}, max {:.2})",
        timings[1], timings[0], timings[2]
    );
    if let Some(pool) = &pool {
        let _: () = pool.next().flushall(false).await?;
    }
    Ok(())
}
