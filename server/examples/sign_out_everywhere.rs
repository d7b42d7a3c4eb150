//! Benchmark: sign-out-everywhere among 100,000 stored sessions, and Redis memory per session.
//!
//! `cargo run --release -p hallpass --example sign_out_everywhere -- REDIS_URL [SESSIONS] [PER_USER]`
//! Stores SESSIONS signed-in sessions (PER_USER per user) through the same store stack the
//! server uses (hashed ids over the per-user index over Redis), then times ending all sessions
//! of one user. Run it against a throwaway Redis: it measures `used_memory` before and after.
use app::{
    model::{EndReason, Role},
    ssr::{
        auth::{AuthState, AUTH_KEY},
        clock::Clock,
        events::LocalBus,
        registry::SessionRegistry,
    },
};
use fred::prelude::ClientLike;
use futures::{stream, StreamExt};
use hallpass::{
    redis_conn::Namespace,
    registry::Registry,
    store::{Backend, EndedSessions, HashedIds, Indexed, SessionIndex},
};
use std::{collections::HashMap, sync::Arc, time::Instant};
use tower_sessions::{
    session::{Id, Record},
    SessionStore,
};

fn record(user: usize, now: i64) -> Record {
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
    Record {
        id: Id::default(),
        data: HashMap::from([(AUTH_KEY.to_owned(), serde_json::to_value(auth).unwrap())]),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    }
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

    let pool = hallpass::redis_conn::RedisTarget::new(url.as_str(), None)
        .pool(2)
        .await?;
    let _: () = pool.next().flushall(false).await?;
    let namespace = Namespace("bench".into());
    let events = Arc::new(LocalBus::default());
    let indexed = Indexed::new(
        Backend::redis(pool.clone(), namespace.clone()),
        SessionIndex::Redis(pool.clone(), namespace.clone()),
        events.clone(),
    );
    let store = Arc::new(HashedIds::new(indexed.clone()));
    let registry = Registry::new(
        indexed,
        EndedSessions::Redis(pool.clone(), namespace),
        events,
        Clock::default(),
        3600,
    );

    let before = used_memory(&pool).await;
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
    let after = used_memory(&pool).await;
    println!(
        "seeded sessions={sessions} users={} in {:.1}s; redis bytes/session (record + indexes) = {}",
        sessions.div_ceil(per_user),
        seeded.as_secs_f64(),
        (after - before) / sessions as i64
    );

    // The admin views among them: the dashboard's list (the 500 most recent) and the policy
    // dry run's read of every live session.
    let mut list = Vec::new();
    let mut all = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        assert_eq!(registry.list_all(500).await?.len(), 500.min(sessions));
        list.push(started.elapsed().as_secs_f64() * 1000.0);
        let started = Instant::now();
        assert_eq!(registry.list_all(sessions).await?.len(), sessions);
        all.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    list.sort_by(f64::total_cmp);
    all.sort_by(f64::total_cmp);
    println!(
        "admin views among {sessions} stored sessions: the 500 most recent in {:.1} ms, all of them in {:.0} ms (medians of 3)",
        list[1], all[1]
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
    let _: () = pool.next().flushall(false).await?;
    Ok(())
}
