//! Read-through cache of anonymous reads: tags, single articles and article lists.
//!
//! Only the anonymous representation is cached, so per-user fields (`favorited`,
//! `following`) are never served from someone else's entry. Entries carry the content
//! generation they were loaded under, and every write bumps the generation *before it
//! responds*: a client never reads its own write stale, and a reader that loaded old data
//! stores it under an old generation that no lookup accepts. TTLs are bounded; when Redis
//! fails, reads go to PostgreSQL. Values are shared bytes, handed to the response uncopied.

use crate::kv::Kv;
use bytes::Bytes;
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
    entries: Mutex<HashMap<String, (Instant, Bytes)>>,
}

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
    ) -> Result<(Bytes, Lookup), E>
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

    async fn lookup<F, Fut, E>(&self, key: &str, load: F) -> Result<(Bytes, Lookup), E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<String, E>>,
    {
        if !self.enabled {
            return Ok((Bytes::from(load().await?), Lookup::Bypass));
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
                let value = Bytes::from(load().await?);
                let mut entries = m.entries.lock().unwrap_or_else(|p| p.into_inner());
                if entries.len() > 10_000 {
                    entries.clear();
                }
                entries.insert(full, (Instant::now(), value.clone()));
                Ok((value, Lookup::Miss))
            }
            Store::Redis(kv) => {
                // The generation and the entry (`GENERATION:JSON`) in one round trip.
                let entry_key = kv.key(&["cache", key]);
                let mut get = redis::cmd("MGET");
                get.arg(kv.key(&["cache-generation"])).arg(&entry_key);
                match kv.run::<(Option<String>, Option<Vec<u8>>)>(get).await {
                    Ok((generation, entry)) => {
                        let generation = generation.unwrap_or_else(|| "0".into());
                        if let Some(json) = entry.and_then(|e| current(e, &generation)) {
                            return Ok((json, Lookup::Hit));
                        }
                        let value = load().await?;
                        let mut set = redis::cmd("SET");
                        set.arg(entry_key)
                            .arg(format!("{generation}:{value}"))
                            .arg("EX")
                            .arg(self.ttl.as_secs());
                        if let Err(e) = kv.run::<()>(set).await {
                            tracing::warn!(error = %e, "cache write failed");
                        }
                        Ok((Bytes::from(value), Lookup::Miss))
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "cache bypassed: redis unavailable");
                        Ok((Bytes::from(load().await?), Lookup::Bypass))
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

/// The JSON of a stored `GENERATION:JSON` entry if it was loaded under `generation`, without
/// copying it.
fn current(entry: Vec<u8>, generation: &str) -> Option<Bytes> {
    let json = entry
        .strip_prefix(generation.as_bytes())?
        .strip_prefix(b":")?;
    let start = entry.len() - json.len();
    Some(Bytes::from(entry).slice(start..))
}

#[cfg(test)]
mod tests {
    use super::current;

    #[test]
    fn an_entry_counts_only_under_its_own_generation() {
        let entry = |s: &str| s.as_bytes().to_vec();
        assert_eq!(
            current(entry("7:{\"tags\":[]}"), "7").as_deref(),
            Some(&b"{\"tags\":[]}"[..])
        );
        assert_eq!(current(entry("71:{}"), "7"), None);
        assert_eq!(current(entry("7:{}"), "71"), None);
        assert_eq!(current(entry("6:{}"), "7"), None);
        assert_eq!(current(entry("7"), "7"), None);
    }
}
