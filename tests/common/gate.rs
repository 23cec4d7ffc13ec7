//! [`GateStore`]: a store wrapper that holds a move at a gate the test
//! controls, for races staged deterministically (hybrid sessions' two tabs
//! refreshing at once), on any backend.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use session_seal::store::{
    Move, MoveOutcome, Record, SaveOutcome, SessionStore, StoreFuture, StoreKey, UserSession,
};
use tokio::sync::Notify;

/// A store whose next `move_session` can be held at a gate the test opens
/// (to stage a race deterministically), and whose loads can be made to
/// fail.
#[derive(Clone)]
pub struct GateStore {
    inner: Arc<dyn SessionStore>,
    gate: Arc<Gate>,
}

#[derive(Default)]
struct Gate {
    /// Moves still to hold (0 or 1).
    hold: AtomicUsize,
    held: Notify,
    released: Notify,
    failing: AtomicBool,
}

impl GateStore {
    /// `inner`, with the gate open.
    pub fn new(inner: Arc<dyn SessionStore>) -> Self {
        GateStore {
            inner,
            gate: Arc::default(),
        }
    }

    /// Holds the next `move_session` at the gate.
    pub fn hold_next_move(&self) {
        self.gate.hold.store(1, Ordering::SeqCst);
    }

    /// Returns once a move is held at the gate (at most 5 s).
    pub async fn wait_until_held(&self) {
        tokio::time::timeout(Duration::from_secs(5), self.gate.held.notified())
            .await
            .expect("a move reached the gate");
    }

    /// Opens the gate for the held move.
    pub fn release(&self) {
        self.gate.released.notify_one();
    }

    /// Makes every `load` fail (`true`) or work again.
    pub fn fail_loads(&self, on: bool) {
        self.gate.failing.store(on, Ordering::SeqCst);
    }

    /// How many live sessions `user` holds in `namespace` at `now`.
    pub async fn users_rows(&self, namespace: &str, user: &str, now: u64) -> usize {
        self.inner
            .list_user(namespace, user, now)
            .await
            .expect("store available")
            .len()
    }
}

impl SessionStore for GateStore {
    fn load<'a>(&'a self, key: &'a StoreKey, now: u64) -> StoreFuture<'a, Option<Record>> {
        if self.gate.failing.load(Ordering::SeqCst) {
            return Box::pin(async { Err(session_seal::StoreError::unavailable("test outage")) });
        }
        self.inner.load(key, now)
    }
    fn save<'a>(
        &'a self,
        key: &'a StoreKey,
        record: &'a Record,
        expected: Option<u64>,
        now: u64,
    ) -> StoreFuture<'a, SaveOutcome> {
        self.inner.save(key, record, expected, now)
    }
    fn move_session<'a>(&'a self, change: &'a Move) -> StoreFuture<'a, MoveOutcome> {
        Box::pin(async move {
            if self.gate.hold.swap(0, Ordering::SeqCst) == 1 {
                self.gate.held.notify_one();
                tokio::time::timeout(Duration::from_secs(5), self.gate.released.notified())
                    .await
                    .expect("the test opened the gate");
            }
            self.inner.move_session(change).await
        })
    }
    fn delete<'a>(&'a self, key: &'a StoreKey) -> StoreFuture<'a, bool> {
        self.inner.delete(key)
    }
    fn touch<'a>(&'a self, key: &'a StoreKey, expires_at: u64, now: u64) -> StoreFuture<'a, bool> {
        self.inner.touch(key, expires_at, now)
    }
    fn list_user<'a>(
        &'a self,
        namespace: &'a str,
        user: &'a str,
        now: u64,
    ) -> StoreFuture<'a, Vec<UserSession>> {
        self.inner.list_user(namespace, user, now)
    }
    fn delete_user<'a>(
        &'a self,
        namespace: &'a str,
        user: &'a str,
        keep: Option<&'a StoreKey>,
    ) -> StoreFuture<'a, usize> {
        self.inner.delete_user(namespace, user, keep)
    }
}
