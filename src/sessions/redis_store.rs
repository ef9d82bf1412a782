use super::{now, Session, TOUCH_INTERVAL_SECS};
use crate::kv::{Kv, KvError};
use std::sync::Arc;
use std::time::Duration;

/// Sessions in Redis: `session:<id>` holds the JSON session with a TTL of the token
/// lifetime; `user-sessions:<user id>` lists a user's session ids for revoke-all.
pub struct RedisSessions {
    kv: Arc<Kv>,
    ttl: Duration,
}

impl RedisSessions {
    pub fn new(kv: Arc<Kv>, ttl: Duration) -> Self {
        Self { kv, ttl }
    }

    pub async fn insert(&self, id: &str, session: &Session) -> Result<(), KvError> {
        let json = serde_json::to_string(session).map_err(|e| {
            KvError::Redis((redis::ErrorKind::TypeError, "session", e.to_string()).into())
        })?;
        let user_key = self
            .kv
            .key(&["user-sessions", &session.user_id.to_string()]);
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("SET")
            .arg(self.kv.key(&["session", id]))
            .arg(json)
            .arg("EX")
            .arg(self.ttl.as_secs())
            .ignore()
            .cmd("SADD")
            .arg(&user_key)
            .arg(id)
            .ignore()
            .cmd("EXPIRE")
            .arg(&user_key)
            .arg(self.ttl.as_secs())
            .ignore();
        self.kv.run::<()>(pipe).await
    }

    pub async fn get(&self, id: &str) -> Result<Option<Session>, KvError> {
        let key = self.kv.key(&["session", id]);
        let raw: Option<String> = self.kv.run(redis::cmd("GET").arg(&key).clone()).await?;
        let Some(mut session) = raw.and_then(|r| serde_json::from_str::<Session>(&r).ok()) else {
            return Ok(None);
        };
        let now = now();
        if now - session.last_seen >= TOUCH_INTERVAL_SECS {
            session.last_seen = now;
            if let Ok(json) = serde_json::to_string(&session) {
                // XX: never resurrect a session revoked in the meantime.
                let _ = self
                    .kv
                    .run::<Option<String>>(
                        redis::cmd("SET")
                            .arg(&key)
                            .arg(json)
                            .arg("XX")
                            .arg("KEEPTTL")
                            .clone(),
                    )
                    .await;
            }
        }
        Ok(Some(session))
    }

    pub async fn delete(&self, id: &str) -> Result<(), KvError> {
        self.kv
            .run::<()>(redis::cmd("DEL").arg(self.kv.key(&["session", id])).clone())
            .await
    }

    pub async fn delete_all(&self, user_id: i64) -> Result<(), KvError> {
        let user_key = self.kv.key(&["user-sessions", &user_id.to_string()]);
        let ids: Vec<String> = self
            .kv
            .run(redis::cmd("SMEMBERS").arg(&user_key).clone())
            .await?;
        let mut pipe = redis::pipe();
        pipe.atomic();
        for id in &ids {
            pipe.cmd("DEL").arg(self.kv.key(&["session", id])).ignore();
        }
        pipe.cmd("DEL").arg(&user_key).ignore();
        self.kv.run::<()>(pipe).await
    }
}
