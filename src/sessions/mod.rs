//! Server-side sessions: every login creates one, every token names one, and a token whose
//! session is gone (logout, revoke-all, password change, expiry) is rejected.
//!
//! One interface, two stores: Redis (shared by every replica) and in-process (single
//! instance only, when `REDIS_URL` is unset). Redis errors are reported, never hidden:
//! authentication then fails closed with a 503.

mod memory;
mod redis_store;

use crate::kv::{Kv, KvError};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

pub use memory::MemorySessions;
pub use redis_store::RedisSessions;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Session {
    pub user_id: i64,
    /// Unix seconds.
    pub created_at: i64,
    pub last_seen: i64,
    pub user_agent: String,
}

pub enum Sessions {
    Redis(RedisSessions),
    Memory(MemorySessions),
}

impl Sessions {
    pub fn redis(kv: Arc<Kv>, ttl: Duration) -> Self {
        Sessions::Redis(RedisSessions::new(kv, ttl))
    }

    pub fn memory(ttl: Duration) -> Self {
        Sessions::Memory(MemorySessions::new(ttl))
    }

    /// Creates a session and returns its id (256 random bits, hex).
    pub async fn create(&self, user_id: i64, user_agent: &str) -> Result<String, KvError> {
        let id = new_id();
        let now = now();
        let session = Session {
            user_id,
            created_at: now,
            last_seen: now,
            user_agent: user_agent.chars().take(256).collect(),
        };
        match self {
            Sessions::Redis(s) => s.insert(&id, &session).await?,
            Sessions::Memory(s) => s.insert(&id, session),
        }
        Ok(id)
    }

    /// The live session `id`, refreshing its last-seen time.
    pub async fn get(&self, id: &str) -> Result<Option<Session>, KvError> {
        match self {
            Sessions::Redis(s) => s.get(id).await,
            Sessions::Memory(s) => Ok(s.get(id)),
        }
    }

    pub async fn delete(&self, id: &str) -> Result<(), KvError> {
        match self {
            Sessions::Redis(s) => s.delete(id).await,
            Sessions::Memory(s) => {
                s.delete(id);
                Ok(())
            }
        }
    }

    /// Revokes every session of the user.
    pub async fn delete_all(&self, user_id: i64) -> Result<(), KvError> {
        match self {
            Sessions::Redis(s) => s.delete_all(user_id).await,
            Sessions::Memory(s) => {
                s.delete_all(user_id);
                Ok(())
            }
        }
    }
}

pub(crate) fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

pub fn new_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Last-seen is written at most this often, so that reads stay reads.
pub(crate) const TOUCH_INTERVAL_SECS: i64 = 60;
