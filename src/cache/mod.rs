//! Read-through cache of anonymous reads: tags, single articles and article lists.
//!
//! Only the anonymous representation is cached, so per-user fields (`favorited`,
//! `following`) are never served from someone else's entry. Entries are keyed by a content
//! generation that every write bumps *before it responds*: a client never reads its own
//! write stale, and a reader that loaded old data stores it under an old generation that
//! nobody reads again. TTLs are bounded; when Redis fails, reads go to PostgreSQL.

use crate::kv::Kv;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Cache {
    store: Store,
    ttl: Duration,
    enabled: bool,
}

enum Store {
    Redis(Arc<Kv>),
    Memory(Memory),
}

#[derive(Default)]
struct Memory {
    generation: AtomicU64,
    entries: Mutex<HashMap<String, (Instant, Arc<str>)>>,
}

/// Reads the generation and the entry in one round trip.
const GET_SCRIPT: &str = r"
local gen = redis.call('GET', KEYS[1]) or '0'
return {gen, redis.call('GET', KEYS[2] .. gen .. ':' .. ARGV[1])}
";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    Hit,
    Miss,
    Bypass,
}

impl Cache {
    pub fn new(redis: Option<Arc<Kv>>, ttl: Duration, enabled: bool) -> Self {
        let store = match redis {
            Some(kv) => Store::Redis(kv),
            None => Store::Memory(Memory::default()),
        };
        Self {
            store,
            ttl,
            enabled,
        }
    }

    /// The cached JSON for `key` in `cache` (a fixed name for metrics: `articles`, `tags`),
    /// or what `load` produces, which is then stored. Says whether it was a hit.
    pub async fn get_or_load<F, Fut, E>(
        &self,
        cache: &'static str,
        key: &str,
        load: F,
    ) -> Result<(Arc<str>, Lookup), E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<String, E>>,
    {
        let key = format!("{cache}:{key}");
        let result = self.lookup(&key, load).await;
        if let Ok((_, lookup)) = &result {
            crate::metrics::cache_lookup(cache, *lookup == Lookup::Hit);
        }
        result
    }

    async fn lookup<F, Fut, E>(&self, key: &str, load: F) -> Result<(Arc<str>, Lookup), E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<String, E>>,
    {
        if !self.enabled {
            return Ok((load().await?.into(), Lookup::Bypass));
        }
        match &self.store {
            Store::Memory(m) => {
                let generation = m.generation.load(Ordering::Acquire);
                let full = format!("{generation}:{key}");
                if let Some((at, v)) = m
                    .entries
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get(&full)
                {
                    if at.elapsed() < self.ttl {
                        return Ok((v.clone(), Lookup::Hit));
                    }
                }
                let value: Arc<str> = load().await?.into();
                let mut entries = m.entries.lock().unwrap_or_else(|p| p.into_inner());
                if entries.len() > 10_000 {
                    entries.clear();
                }
                entries.insert(full, (Instant::now(), value.clone()));
                Ok((value, Lookup::Miss))
            }
            Store::Redis(kv) => {
                let script = redis::Script::new(GET_SCRIPT);
                let mut invocation = script.key(kv.key(&["cache-generation"]));
                invocation.key(kv.key(&["cache", ""])).arg(key);
                match kv.run::<(String, Option<String>)>(invocation).await {
                    Ok((_, Some(hit))) => Ok((hit.into(), Lookup::Hit)),
                    Ok((generation, None)) => {
                        let value = load().await?;
                        let full = kv.key(&["cache", &generation, key]);
                        let set = redis::cmd("SET")
                            .arg(full)
                            .arg(&value)
                            .arg("EX")
                            .arg(self.ttl.as_secs())
                            .clone();
                        if let Err(e) = kv.run::<()>(set).await {
                            tracing::warn!(error = %e, "cache write failed");
                        }
                        Ok((value.into(), Lookup::Miss))
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "cache bypassed: redis unavailable");
                        Ok((load().await?.into(), Lookup::Bypass))
                    }
                }
            }
        }
    }

    /// Makes every cached entry unreachable. Called by every write that changes what an
    /// anonymous reader sees (articles, tags, favourites, authors' profiles).
    pub async fn invalidate(&self) {
        match &self.store {
            Store::Memory(m) => {
                m.generation.fetch_add(1, Ordering::AcqRel);
                m.entries.lock().unwrap_or_else(|p| p.into_inner()).clear();
            }
            Store::Redis(kv) => {
                if let Err(e) = kv
                    .run::<i64>(
                        redis::cmd("INCR")
                            .arg(kv.key(&["cache-generation"]))
                            .clone(),
                    )
                    .await
                {
                    // Entries then live at most one TTL; say so loudly.
                    tracing::error!(error = %e, "cache invalidation failed: entries may be stale until their TTL");
                }
            }
        }
    }
}
