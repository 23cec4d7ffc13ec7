//! # session-redis
//!
//! The Redis backend of session-seal's store mode: a
//! [`SessionStore`](session_core::store::SessionStore) on one Redis server
//! (or a primary with replicas) or on a Redis Cluster. Apps usually reach it
//! through the facade, `session_seal::store::RedisStore` with the feature
//! `redis`.
//!
//! ```no_run
//! use std::time::Duration;
//! use session_redis::{RedisStore, RedisStoreConfig};
//!
//! # async fn start() -> Result<(), session_core::StoreError> {
//! // One server:
//! let store = RedisStore::with_config(
//!     "redis://127.0.0.1:6379",
//!     RedisStoreConfig::default().key_prefix("shop"),
//! )?;
//! // A cluster, through any of its nodes (one URL or a list):
//! let cluster = RedisStore::new("redis+cluster://10.0.0.1:7001,10.0.0.2:7002")?;
//! let same = RedisStore::cluster(["redis://10.0.0.1:7001", "redis://10.0.0.2:7002"])?;
//! store.ping().await?; // readiness: is Redis answering?
//! # Ok(()) }
//! ```
//!
//! Construction never connects (an app may start before Redis); the
//! connection opens on first use and re-opens after a failure. An
//! unreachable server, or the cluster node holding a session, makes each
//! operation fail with `StoreError::Unavailable` within the configured
//! timeouts ([`RedisStoreConfig`]), which the layer answers with 503: never
//! a silent logout. In a cluster the other nodes' sessions keep working.
//!
//! # Key layout
//!
//! With the default prefix `session-seal`:
//!
//! | key | type | holds |
//! |---|---|---|
//! | `session-seal:{rrrr}:row:<StoreKey hex>` | hash | `namespace`, `user` (absent for anonymous sessions), `data` (raw bytes), `meta` (`version:revision:created_at:touched_at:expires_at`, decimal), `client` (the login's [`SessionMeta`](session_core::store::SessionMeta): `<address> <user agent>`, either part empty when unknown; absent when neither is recorded) |
//! | `session-seal:{rrrr}:user:<namespace>:<user>` | set | the `StoreKey` hex of each of that user's rows |
//!
//! `rrrr` is a route as four hex digits: a row's is its key's
//! [`route`](session_core::store::StoreKey::route), an index's is
//! [`StoreKey::user_route`](session_core::store::StoreKey::user_route) of its
//! user. Redis Cluster hashes only the part in braces, and a row with a user
//! is always stored on its user's route, so one user's rows and index live
//! in one hash slot: every script below touches one slot, and declares every
//! key it touches in `KEYS`. The prefix may not contain braces.
//!
//! A row expires in Redis (`EXPIRE`) when its session does, and its stored
//! `expires_at` is also compared with the caller's `now`, so a row reads as
//! absent from the second its session ends. An index set lives at least as
//! long as the longest row in it. Keep Redis's default `maxmemory-policy
//! noeviction`: a policy that evicts keys early could drop an index set and
//! let a user's sessions escape "log out everywhere".
//!
//! A row that cannot be decoded (a missing field, a malformed number, a key
//! of another type) reads as absent and is logged as a warning (target
//! `session_seal`) that names its key, never its contents. The `client`
//! field is the exception: a row without it (written with metadata off, or
//! by a version before it existed) reads with no metadata, and a value that
//! does not decode reads as unknown metadata, never as an unreadable row.
//!
//! Memory: a `client` field of a typical login (an IPv4 address and a
//! 111-byte user agent) adds about 160 bytes to a row while the hash stays
//! a listpack. A value over `hash-max-listpack-value` (64 bytes by default)
//! turns the hash into a hashtable: a row whose `data` is over 64 bytes
//! already is one (+224 bytes measured), a row with small `data` becomes
//! one (+408 bytes measured, 328 → 736). Raising `hash-max-listpack-value`
//! to 256 or more keeps such rows compact.
//!
//! # What each operation costs
//!
//! | operation | round trips |
//! |---|---|
//! | `load` (every request with a session) | 1: `HMGET` of the five fields |
//! | `save` | 1 script |
//! | `touch` (at most once per `touch_after`), `delete` | 1 script for an anonymous row, 2 for a row with a user (the first run reports the owner whose index must be updated) |
//! | `move_session` (renewal, login over a session) | 1 script; 2-3 in a cluster when the route changes (below) |
//! | `list_user`, `delete_user` | 2: `SMEMBERS`, then a script with each member's row in `KEYS` (again if the index changed in between) |
//!
//! A read is a plain `HMGET`, not a script: Redis answers it as fast as a
//! `GET`, where an `EVALSHA` costs its server more. The numbers share one
//! field so that the reply has five values for redis-rs to parse, not nine
//! (and the metadata's two parts one more).
//! (Costs: `benches/README.md`.)
//!
//! Scripts whose row's owner they cannot know in advance (`touch`, `delete`)
//! first run assuming an anonymous row; a row with a user answers with its
//! owner and the script runs again with that user's index declared.
//! `list_user` and `delete_user` read the index, then run with each
//! member's row declared; a member added in between makes the script ask
//! for another read. Index entries whose row is gone or changed hands
//! (after a user change, or an expiry) are pruned by `list_user` and
//! `delete_user`; they are never counted or listed.
//!
//! # Moves between routes in a cluster
//!
//! Renewing a session keeps its route, so renewals are one atomic script in
//! a cluster too. A login over an anonymous session, or a change of user,
//! moves a session to another route, which in a cluster is usually another
//! slot on another node: no single script can reach both. On one server the
//! same move is one script. In a cluster it runs in two steps:
//!
//! 1. On the old slot: check the old row (gone → `Gone`, another revision →
//!    `Conflict`, nothing written), then remove it and its index entry,
//!    keeping a `DUMP` of it in the client.
//! 2. On the new slot: create the new row and its index entry, unless a live
//!    row is there (`Conflict`).
//! 3. Only if step 2 failed (a conflict, or the new slot's node is
//!    unreachable): put the old row back (`RESTORE`, with its remaining TTL,
//!    and its index entry) unless its key was taken meanwhile or its user
//!    was logged out everywhere meanwhile; a failed restore is logged.
//!
//! The outcomes are those of the one-script move, with this window between
//! the steps: a request reading the old session sees it absent (revoked),
//! and if the process dies between the steps the session is gone; the user
//! is logged out, which is the safe side. A "log out everywhere" (or an
//! admin's ban) of the old row's user that lands in the window cannot see
//! the row, which is out of its index, so it raises a per-user epoch
//! counter kept in the index's slot (`<prefix>:{<route>}:epoch:<namespace>:<user>`,
//! kept a day after its last raise); step 1 records the counter and step 3
//! restores nothing if it moved, so that logout stands. What remains: an
//! anonymous session has no user to log out everywhere, so only a delete
//! of that same session by its id (its own logout, sent from another tab
//! in the same moment) can be undone by a restore, and only when step 2
//! fails, which needs the new slot's node down or the fresh 192-bit key
//! taken. A timeout in step 2 is reported as `StoreError::Unavailable` even
//! if the new row was written: that row then lives under an id no client
//! holds, indexed under its user (so "log out everywhere" ends it), until
//! its TTL.
//!
//! # Redis Cluster operations
//!
//! The cluster client is redis-rs's own: it learns the slot map from any
//! listed node, routes each command by its first key, follows `MOVED`/`ASK`
//! redirections and refreshes its map after a failover. Scripts are loaded
//! on every primary at their first use (`SCRIPT LOAD` goes to all nodes).
//! With `cluster-require-full-coverage yes` (Redis's default) a cluster that
//! has lost a primary without a replica to promote refuses every command
//! once it marks the node failed; with replicas, or with the setting `no`,
//! only the dead node's sessions get 503 until it is back.
//!
//! # Revocations
//!
//! [`RedisRevocationFeed`] carries revocations of cookie-mode sessions
//! (`#[session(revocable)]`) to every process, in one stream
//! `<prefix>:revocations` next to the store's keys; see its page.
//!
//! `Debug` of a store shows its key prefix and whether it is a cluster,
//! never a URL (which may carry a password).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod config;
mod connection;
mod layout;
mod revocation;
mod row;
mod scripts;
mod store;

pub use config::RedisStoreConfig;
pub use revocation::RedisRevocationFeed;
pub use store::RedisStore;

/// The `tracing` target of every event this crate emits: the same
/// `session_seal` as the rest of session-seal, so one filter directive
/// covers them all.
pub(crate) const TRACING_TARGET: &str = "session_seal";
