//! Session records in the SQL database (SQLite by default, or PostgreSQL): the `sessions`
//! table, beside `session_generations`. Loading checks the record against its user's
//! generation in the same query, like the Redis store's script; saving an existing record is
//! an `UPDATE`, never an upsert, so a session ended while a request was in flight stays ended.
use super::{failed, listed, SessionGone, SessionRecord, SessionStore, StoreError, StoreResult};
use async_trait::async_trait;
use sqlx::AnyPool;
use tower_sessions::session::{Id, Record};

/// How many records one batched load asks for at once. Not more: SQLite finds each `$N`
/// parameter's name by a linear walk (`sqlite3_bind_parameter_name`, which sqlx calls for
/// every parameter), so binding costs grow with the square of the batch. Measured on 100,000
/// sessions, 1,000 per query was no faster than 200 and spent 5.5 % of the dry run there.
const BATCH: usize = 200;

/// The `user_id` and `gen` columns of a record (no user for a record without one).
fn owner(record: &SessionRecord) -> (Option<String>, i64) {
    record
        .owner()
        .map_or((None, 0), |(user, gen)| (Some(user.to_owned()), gen))
}

/// Session records in SQL.
#[derive(Clone, Debug)]
pub struct SqlSessions {
    pool: AnyPool,
}

pub(super) fn encode(record: &SessionRecord) -> StoreResult<String> {
    serde_json::to_string(record).map_err(StoreError::record)
}

impl SqlSessions {
    /// Records in `pool`'s database (migrated with the rest of the schema).
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Deletes a record; whether it was there.
    pub async fn take(&self, id: &Id) -> StoreResult<bool> {
        let removed = sqlx::query("DELETE FROM sessions WHERE skey = $1")
            .bind(id.to_string())
            .execute(&self.pool)
            .await
            .map_err(failed)?
            .rows_affected();
        Ok(removed > 0)
    }

    /// Loads many records, one query per [`BATCH`] ids, each checked against its user's
    /// generation like [`SessionStore::load`]; `None` where gone.
    pub async fn load_many(&self, ids: &[Id]) -> StoreResult<Vec<Option<SessionRecord>>> {
        use sqlx::Row;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let keys: Vec<String> = ids.iter().map(Id::to_string).collect();
        let position: std::collections::HashMap<&str, usize> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| (k.as_str(), i))
            .collect();
        let mut found: Vec<Option<SessionRecord>> = vec![None; ids.len()];
        for chunk in keys.chunks(BATCH) {
            let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT s.skey, s.record FROM sessions s LEFT JOIN session_generations g ON g.user_id = s.user_id \
                 WHERE s.expires_at > $1 AND s.gen >= COALESCE(g.gen, 0) AND s.skey IN ({})",
                marks.join(", ")
            );
            let mut query = sqlx::query(&sql).bind(now);
            for key in chunk {
                query = query.bind(key.as_str());
            }
            for row in query.fetch_all(&self.pool).await.map_err(failed)? {
                let key: &str = row.try_get(0).map_err(failed)?;
                let data: &str = row.try_get(1).map_err(failed)?;
                let Some(&at) = position.get(key) else {
                    continue;
                };
                found[at] = listed(serde_json::from_str(data), || {
                    serde_json::from_str::<Record>(data)
                });
            }
        }
        Ok(found)
    }

    /// Deletes records whose time has passed; how many.
    pub async fn delete_expired(&self, now: i64) -> StoreResult<u64> {
        Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(failed)?
            .rows_affected())
    }
}

#[async_trait]
impl SessionStore for SqlSessions {
    async fn create(&self, record: &mut SessionRecord) -> StoreResult<()> {
        let (user, gen) = owner(record);
        let data = encode(record)?;
        loop {
            let inserted = sqlx::query(
                "INSERT INTO sessions (skey, user_id, gen, record, expires_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (skey) DO NOTHING",
            )
            .bind(record.id.to_string())
            .bind(user.clone())
            .bind(gen)
            .bind(&data)
            .bind(record.expiry_date.unix_timestamp())
            .execute(&self.pool)
            .await
            .map_err(failed)?
            .rows_affected();
            if inserted == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    /// Update-only: a record that is gone (ended while this request was in flight) stays gone.
    async fn save(&self, record: &SessionRecord) -> StoreResult<()> {
        let (user, gen) = owner(record);
        let updated = sqlx::query(
            "UPDATE sessions SET record = $1, expires_at = $2, user_id = $3, gen = $4 WHERE skey = $5",
        )
        .bind(encode(record)?)
        .bind(record.expiry_date.unix_timestamp())
        .bind(user)
        .bind(gen)
        .bind(record.id.to_string())
        .execute(&self.pool)
        .await
        .map_err(failed)?
        .rows_affected();
        if updated == 1 {
            Ok(())
        } else {
            Err(SessionGone.into())
        }
    }

    async fn load(&self, id: &Id) -> StoreResult<Option<SessionRecord>> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let data: Option<String> = sqlx::query_scalar(
            "SELECT s.record FROM sessions s LEFT JOIN session_generations g ON g.user_id = s.user_id \
             WHERE s.skey = $1 AND s.expires_at > $2 AND s.gen >= COALESCE(g.gen, 0)",
        )
        .bind(id.to_string())
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(failed)?;
        data.map(|d| serde_json::from_str(&d).map_err(StoreError::record))
            .transpose()
    }

    async fn delete(&self, id: &Id) -> StoreResult<()> {
        self.take(id).await.map(|_| ())
    }
}
