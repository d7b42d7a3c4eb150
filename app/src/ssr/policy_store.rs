//! The policy record: stored in the database, cached in memory, reloaded when any instance
//! changes it.
use crate::policy::Policy;
use sqlx::{AnyPool, Row};
use std::sync::{Arc, RwLock};

/// Reads and writes the one `policy` row and keeps the current value in memory.
#[derive(Clone, Debug)]
pub struct PolicyStore {
    pool: AnyPool,
    current: Arc<RwLock<Policy>>,
}

impl PolicyStore {
    /// Loads the stored policy (the defaults when none was saved yet).
    pub async fn load(pool: AnyPool) -> Result<Self, sqlx::Error> {
        let store = Self {
            pool,
            current: Arc::default(),
        };
        store.reload().await?;
        Ok(store)
    }

    /// The policy in force.
    pub fn current(&self) -> Policy {
        self.current.read().expect("policy lock poisoned").clone()
    }

    /// Re-reads the stored policy into the cache.
    pub async fn reload(&self) -> Result<Policy, sqlx::Error> {
        let row = sqlx::query("SELECT body FROM policy WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?;
        let policy = match row {
            Some(row) => {
                serde_json::from_str(&row.try_get::<String, _>("body")?).unwrap_or_else(|err| {
                    tracing::error!(%err, "stored policy unreadable: keeping the defaults");
                    Policy::default()
                })
            }
            None => Policy::default(),
        };
        *self.current.write().expect("policy lock poisoned") = policy.clone();
        Ok(policy)
    }

    /// Validates and stores a new policy, and puts it in force here at once (other instances
    /// reload it when the change event reaches them).
    pub async fn save(&self, policy: &Policy, by: &str, now: i64) -> Result<(), sqlx::Error> {
        let body = serde_json::to_string(policy).expect("a policy serialises");
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM policy WHERE id = 1")
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO policy (id, body, updated_at, updated_by) VALUES (1, $1, $2, $3)")
            .bind(body)
            .bind(now)
            .bind(by)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        *self.current.write().expect("policy lock poisoned") = policy.clone();
        Ok(())
    }
}
