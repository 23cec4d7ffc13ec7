//! [`MemoryStore`]: the in-process default backend.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::{
    Move, MoveOutcome, Record, SaveOutcome, SessionStore, StoreFuture, StoreKey, UserSession,
};

/// Sweep for expired rows at most this often (in the store's own time, the
/// `now` its callers pass).
const SWEEP_INTERVAL_SECS: u64 = 60;

/// Sessions in this process's memory: the default store.
///
/// Fast and dependency-free, but sessions end with the process and are not
/// shared between server instances; use a shared backend for that (Redis:
/// the `session-redis` crate, or the facade's feature `redis`). Cloning is
/// cheap and shares the rows.
///
/// Expired rows read as absent at once and are removed by a sweep that runs
/// with a write at most once a minute, or by [`purge_expired`](Self::purge_expired).
#[derive(Clone, Default)]
pub struct MemoryStore {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Default)]
struct Inner {
    rows: HashMap<StoreKey, Record>,
    /// `(namespace, user)` → keys of that user's rows.
    users: HashMap<(String, String), BTreeSet<StoreKey>>,
    last_sweep: u64,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Removes every row that expired at or before `now`. Returns how many.
    pub fn purge_expired(&self, now: u64) -> usize {
        self.lock().purge_expired(now)
    }

    /// Rows held, expired ones not yet purged included.
    pub fn len(&self) -> usize {
        self.lock().rows.len()
    }

    /// Whether the store holds no rows at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every operation below leaves the maps consistent before it can
        // panic (none of them calls user code), so a poisoned lock is usable.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("rows", &self.len())
            .finish()
    }
}

impl Inner {
    fn live(&self, key: &StoreKey, now: u64) -> Option<&Record> {
        self.rows.get(key).filter(|record| record.expires_at > now)
    }

    fn remove(&mut self, key: &StoreKey) -> Option<Record> {
        let record = self.rows.remove(key)?;
        if let Some(user) = &record.user {
            let index = (record.namespace.clone(), user.clone());
            if let Some(keys) = self.users.get_mut(&index) {
                keys.remove(key);
                if keys.is_empty() {
                    self.users.remove(&index);
                }
            }
        }
        Some(record)
    }

    fn purge_expired(&mut self, now: u64) -> usize {
        self.last_sweep = now;
        let expired: Vec<StoreKey> = self
            .rows
            .iter()
            .filter(|(_, record)| record.expires_at <= now)
            .map(|(key, _)| *key)
            .collect();
        for key in &expired {
            self.remove(key);
        }
        expired.len()
    }

    fn sweep_if_due(&mut self, now: u64) {
        if now.saturating_sub(self.last_sweep) >= SWEEP_INTERVAL_SECS {
            self.purge_expired(now);
        }
    }

    fn save(
        &mut self,
        key: &StoreKey,
        record: &Record,
        expected: Option<u64>,
        now: u64,
    ) -> SaveOutcome {
        self.sweep_if_due(now);
        let current = self.live(key, now).map(|row| row.revision);
        if current != expected {
            return SaveOutcome::Conflict;
        }
        self.remove(key);
        if let Some(user) = &record.user {
            self.users
                .entry((record.namespace.clone(), user.clone()))
                .or_default()
                .insert(*key);
        }
        self.rows.insert(*key, record.clone());
        SaveOutcome::Saved
    }

    fn move_session(&mut self, change: &Move) -> MoveOutcome {
        let now = change.now();
        self.sweep_if_due(now);
        if self.live(change.to(), now).is_some() {
            return MoveOutcome::Conflict;
        }
        if let Some(expected) = change.expected() {
            match self.live(change.from(), now) {
                None => return MoveOutcome::Gone,
                Some(old) if old.revision != expected => return MoveOutcome::Conflict,
                Some(_) => {}
            }
        }
        self.remove(change.from());
        // `to` holds no live row; an expired one is replaced.
        let outcome = self.save(change.to(), change.record(), None, now);
        debug_assert_eq!(outcome, SaveOutcome::Saved);
        MoveOutcome::Moved
    }

    fn user_keys(&self, namespace: &str, user: &str) -> Vec<StoreKey> {
        self.users
            .get(&(namespace.to_owned(), user.to_owned()))
            .map(|keys| keys.iter().copied().collect())
            .unwrap_or_default()
    }
}

impl SessionStore for MemoryStore {
    fn load<'a>(&'a self, key: &'a StoreKey, now: u64) -> StoreFuture<'a, Option<Record>> {
        let record = self.lock().live(key, now).cloned();
        Box::pin(async move { Ok(record) })
    }

    fn save<'a>(
        &'a self,
        key: &'a StoreKey,
        record: &'a Record,
        expected: Option<u64>,
        now: u64,
    ) -> StoreFuture<'a, SaveOutcome> {
        let outcome = record
            .check_route(key)
            .map(|()| self.lock().save(key, record, expected, now));
        Box::pin(async move { outcome })
    }

    fn move_session<'a>(&'a self, change: &'a Move) -> StoreFuture<'a, MoveOutcome> {
        let outcome = self.lock().move_session(change);
        Box::pin(async move { Ok(outcome) })
    }

    fn delete<'a>(&'a self, key: &'a StoreKey) -> StoreFuture<'a, bool> {
        let removed = self.lock().remove(key).is_some();
        Box::pin(async move { Ok(removed) })
    }

    fn touch<'a>(&'a self, key: &'a StoreKey, expires_at: u64, now: u64) -> StoreFuture<'a, bool> {
        let mut inner = self.lock();
        let touched = match inner.rows.get_mut(key) {
            Some(record) if record.expires_at > now => {
                record.touched_at = now;
                record.expires_at = expires_at;
                true
            }
            _ => false,
        };
        drop(inner);
        Box::pin(async move { Ok(touched) })
    }

    fn list_user<'a>(
        &'a self,
        namespace: &'a str,
        user: &'a str,
        now: u64,
    ) -> StoreFuture<'a, Vec<UserSession>> {
        let inner = self.lock();
        let mut sessions: Vec<UserSession> = inner
            .user_keys(namespace, user)
            .iter()
            .filter_map(|key| {
                inner.live(key, now).map(|record| UserSession {
                    key: *key,
                    created_at: record.created_at,
                    touched_at: record.touched_at,
                    expires_at: record.expires_at,
                    meta: record.meta.clone(),
                })
            })
            .collect();
        drop(inner);
        sessions.sort_by_key(|session| session.created_at);
        Box::pin(async move { Ok(sessions) })
    }

    fn delete_user<'a>(
        &'a self,
        namespace: &'a str,
        user: &'a str,
        keep: Option<&'a StoreKey>,
    ) -> StoreFuture<'a, usize> {
        let mut inner = self.lock();
        let mut removed = 0;
        for key in inner.user_keys(namespace, user) {
            if Some(&key) != keep && inner.remove(&key).is_some() {
                removed += 1;
            }
        }
        drop(inner);
        Box::pin(async move { Ok(removed) })
    }
}

#[cfg(test)]
mod tests;
