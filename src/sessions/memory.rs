use super::{now, Session, TOUCH_INTERVAL_SECS};
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

/// Sessions in this process only: for a single instance without Redis.
pub struct MemorySessions {
    ttl: i64,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    sessions: HashMap<String, Session>,
    by_user: HashMap<i64, HashSet<String>>,
}

impl MemorySessions {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl: ttl.as_secs() as i64,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn insert(&self, id: &str, session: Session) {
        let mut inner = self.lock();
        let now = now();
        let ttl = self.ttl;
        // Drop expired sessions as we go, so memory stays bounded by live sessions.
        inner.sessions.retain(|_, s| now - s.created_at < ttl);
        inner
            .by_user
            .entry(session.user_id)
            .or_default()
            .insert(id.to_string());
        inner.sessions.insert(id.to_string(), session);
    }

    pub fn get(&self, id: &str) -> Option<Session> {
        let mut inner = self.lock();
        let now = now();
        let session = inner.sessions.get_mut(id)?;
        if now - session.created_at >= self.ttl {
            inner.sessions.remove(id);
            return None;
        }
        if now - session.last_seen >= TOUCH_INTERVAL_SECS {
            session.last_seen = now;
        }
        Some(session.clone())
    }

    pub fn delete(&self, id: &str) {
        let mut inner = self.lock();
        if let Some(s) = inner.sessions.remove(id) {
            if let Some(ids) = inner.by_user.get_mut(&s.user_id) {
                ids.remove(id);
            }
        }
    }

    pub fn delete_all(&self, user_id: i64) {
        let mut inner = self.lock();
        for id in inner.by_user.remove(&user_id).unwrap_or_default() {
            inner.sessions.remove(&id);
        }
    }
}
