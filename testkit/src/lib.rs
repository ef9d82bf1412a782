//! Throwaway infrastructure for tests, benchmarks and local development.
//!
//! [`Postgres`] runs `initdb` + `postgres` and [`Redis`] runs `redis-server`, each on a free
//! loopback port in a temp dir (or a given dir), and stop them when dropped. When the process
//! dies without dropping them (a panicking test binary), the kernel ends them too
//! (`PR_SET_PDEATHSIG`), so nothing outlives the test run.
//!
//! [`shared_postgres`] and [`shared_redis`] honour `DATABASE_URL` / `REDIS_URL`: when set (CI
//! or `cargo xtask test` start one server for all test processes), those are used instead.

mod net;
mod postgres;
mod process;
mod redis;

pub use net::{ensure_port_free, free_port, listening_pids, port_holder, port_is_free};
pub use postgres::{shared_postgres, Postgres, ServerOptions, TestDatabase};
pub use redis::{shared_redis, Redis};
