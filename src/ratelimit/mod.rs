//! Fixed-window rate limits: login per IP and per account, registration per IP, writes per
//! user. In Redis (one atomic script per check, shared by every replica) or in-process;
//! when Redis fails, the in-process limiter takes over so limits still hold per instance.

use crate::kv::Kv;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use crate::config::{Rule, Rules};

/// Over the limit: retry after this many seconds.
#[derive(Debug)]
pub struct Limited(pub u64);

pub struct RateLimiter {
    redis: Option<Arc<Kv>>,
    local: LocalLimiter,
}

const SCRIPT: &str = r"
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}
";

impl RateLimiter {
    pub fn new(redis: Option<Arc<Kv>>) -> Self {
        Self {
            redis,
            local: LocalLimiter::default(),
        }
    }

    /// Counts one hit on `bucket`/`key` and says whether it is within `rule`.
    pub async fn hit(&self, bucket: &str, key: &str, rule: Rule) -> Result<(), Limited> {
        if let Some(kv) = &self.redis {
            let script = redis::Script::new(SCRIPT);
            let redis_key = kv.key(&["ratelimit", bucket, key]);
            let mut invocation = script.key(redis_key);
            invocation.arg(rule.window.as_secs());
            match kv.run::<(u64, i64)>(invocation).await {
                Ok((count, ttl)) => {
                    return if count > rule.limit {
                        Err(Limited(ttl.max(1) as u64))
                    } else {
                        Ok(())
                    };
                }
                Err(e) => tracing::warn!(error = %e, "rate limiting falls back to this instance"),
            }
        }
        let result = self.local.hit(&format!("{bucket}:{key}"), rule);
        if result.is_err() {
            crate::metrics::ratelimit_rejected();
        }
        result
    }
}

#[derive(Default)]
struct LocalLimiter {
    windows: Mutex<HashMap<String, (Instant, u64)>>,
}

impl LocalLimiter {
    fn hit(&self, key: &str, rule: Rule) -> Result<(), Limited> {
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if windows.len() > 100_000 {
            windows
                .retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(86_400));
        }
        let entry = windows.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= rule.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
        if entry.1 > rule.limit {
            let left = rule.window.saturating_sub(now.duration_since(entry.0));
            Err(Limited(left.as_secs().max(1)))
        } else {
            Ok(())
        }
    }
}

/// Keys never hold personal data in the clear: accounts are hashed.
pub fn account_key(email: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(email.trim().to_lowercase().as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse() {
        assert_eq!(
            "20/60".parse::<Rule>().unwrap(),
            Rule {
                limit: 20,
                window: Duration::from_secs(60)
            }
        );
        for bad in ["20", "0/60", "x/60", "5/0", "5/100000"] {
            assert!(bad.parse::<Rule>().is_err(), "{bad}");
        }
    }

    #[test]
    fn local_windows_limit_and_reset() {
        let l = LocalLimiter::default();
        let rule = Rule {
            limit: 2,
            window: Duration::from_millis(200),
        };
        assert!(l.hit("k", rule).is_ok() && l.hit("k", rule).is_ok());
        assert!(l.hit("k", rule).is_err());
        assert!(l.hit("other", rule).is_ok());
        std::thread::sleep(Duration::from_millis(250));
        assert!(l.hit("k", rule).is_ok());
        assert_ne!(account_key("Jake@x.io"), "jake@x.io");
        assert_eq!(account_key("Jake@x.io "), account_key("jake@x.io"));
    }
}
