//! Unit tests of the store module: the shared helpers (a polling executor
//! and [`Probe`], a store that records and fails calls on demand), the
//! contract types ([`Record::check_route`], [`Move`]), the `Arc` forwarding
//! impl and the per-user operations.
use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use serde::{Deserialize, Serialize};

use super::*;
use crate::{SessionPayload, SessionSpec};

/// Unix seconds the tests run at.
pub(crate) const NOW: u64 = 1_750_000_000;

/// Runs a future whose every step is ready at once (the stores here never
/// wait), polling it with a no-op waker.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    for _ in 0..1_000_000 {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
    panic!("a store future never became ready");
}

/// Which calls of a [`Probe`] fail, and how.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Faults {
    pub(crate) load: bool,
    pub(crate) save: bool,
    pub(crate) move_session: bool,
    pub(crate) delete: bool,
    pub(crate) touch: bool,
    /// `touch` answers `Ok(false)` (the row ended meanwhile) without
    /// touching anything.
    pub(crate) touch_finds_nothing: bool,
    pub(crate) list_user: bool,
}

/// A [`MemoryStore`] that records every call by name (with the key of
/// `load`, `delete` and `touch`) and fails the calls named in its
/// [`Faults`].
#[derive(Default)]
pub(crate) struct Probe {
    pub(crate) inner: MemoryStore,
    pub(crate) faults: Mutex<Faults>,
    pub(crate) calls: Mutex<Vec<(&'static str, Option<StoreKey>)>>,
}

impl Probe {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn fail(&self, change: impl FnOnce(&mut Faults)) {
        change(&mut self.faults.lock().unwrap_or_else(PoisonError::into_inner));
    }

    fn faults(&self) -> Faults {
        *self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn record(&self, name: &'static str, key: Option<StoreKey>) {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((name, key));
    }

    /// How many calls of `name` were made.
    pub(crate) fn count(&self, name: &str) -> usize {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|(called, _)| *called == name)
            .count()
    }

    /// The keys `name` was called with, in order.
    pub(crate) fn keys(&self, name: &str) -> Vec<StoreKey> {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|(called, _)| *called == name)
            .filter_map(|(_, key)| *key)
            .collect()
    }

    /// The names of the calls made, in order.
    pub(crate) fn names(&self) -> Vec<&'static str> {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(name, _)| *name)
            .collect()
    }

    /// Forgets the calls so far.
    pub(crate) fn reset_calls(&self) {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// The row under `key` as the store holds it at `now`.
    pub(crate) fn row(&self, key: &StoreKey, now: u64) -> Option<Record> {
        block_on(self.inner.load(key, now)).expect("memory store")
    }
}

fn refused<T>(what: &str) -> StoreFuture<'static, T> {
    let error = StoreError::unavailable(format!("{what} refused (test)"));
    Box::pin(async move { Err(error) })
}

impl SessionStore for Probe {
    fn load<'a>(&'a self, key: &'a StoreKey, now: u64) -> StoreFuture<'a, Option<Record>> {
        self.record("load", Some(*key));
        if self.faults().load {
            return refused("load");
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
        self.record("save", Some(*key));
        if self.faults().save {
            return refused("save");
        }
        self.inner.save(key, record, expected, now)
    }

    fn move_session<'a>(&'a self, change: &'a Move) -> StoreFuture<'a, MoveOutcome> {
        self.record("move_session", Some(*change.to()));
        if self.faults().move_session {
            return refused("move_session");
        }
        self.inner.move_session(change)
    }

    fn delete<'a>(&'a self, key: &'a StoreKey) -> StoreFuture<'a, bool> {
        self.record("delete", Some(*key));
        if self.faults().delete {
            return refused("delete");
        }
        self.inner.delete(key)
    }

    fn touch<'a>(&'a self, key: &'a StoreKey, expires_at: u64, now: u64) -> StoreFuture<'a, bool> {
        self.record("touch", Some(*key));
        let faults = self.faults();
        if faults.touch {
            return refused("touch");
        }
        if faults.touch_finds_nothing {
            return Box::pin(async { Ok(false) });
        }
        self.inner.touch(key, expires_at, now)
    }

    fn list_user<'a>(
        &'a self,
        namespace: &'a str,
        user: &'a str,
        now: u64,
    ) -> StoreFuture<'a, Vec<UserSession>> {
        self.record("list_user", None);
        if self.faults().list_user {
            return refused("list_user");
        }
        self.inner.list_user(namespace, user, now)
    }

    fn delete_user<'a>(
        &'a self,
        namespace: &'a str,
        user: &'a str,
        keep: Option<&'a StoreKey>,
    ) -> StoreFuture<'a, usize> {
        self.record("delete_user", None);
        self.inner.delete_user(namespace, user, keep)
    }
}

/// A store-mode type with a user and a cap of two sessions per user.
#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
pub(crate) struct Account {
    pub(crate) user: Option<String>,
    pub(crate) visits: u32,
}

impl SessionPayload for Account {
    const SPEC: SessionSpec = SessionSpec::builder("Account", "acct", "acct")
        .store()
        .max_age_secs(3600)
        .touch_after_secs(600)
        .max_per_user(2)
        .build();

    fn session_user(&self) -> Option<String> {
        self.user.clone()
    }
}

/// An [`Account`] of `user` (`None`: anonymous).
pub(crate) fn account(user: Option<&str>, visits: u32) -> Account {
    Account {
        user: user.map(Into::into),
        visits,
    }
}

/// A row of `Account`'s namespace for `user`, started at `created_at`,
/// touched then, living an hour.
pub(crate) fn row(user: Option<&str>, created_at: u64) -> Record {
    Record {
        namespace: "acct".into(),
        user: user.map(Into::into),
        version: 1,
        data: br#"{"user":null,"visits":0}"#.to_vec(),
        revision: 1,
        created_at,
        touched_at: created_at,
        expires_at: created_at + 3600,
        meta: SessionMeta::NONE,
    }
}

/// A fresh key of `Account` for `user`, on the user's route.
pub(crate) fn key_for(user: Option<&str>) -> StoreKey {
    StoreKey::derive("acct", &SessionId::generate_for("acct", user))
}

/// Saves `record` as a new row under `key`, insisting it was written.
pub(crate) fn create(store: &dyn SessionStore, key: &StoreKey, record: &Record) {
    assert_eq!(
        block_on(store.save(key, record, None, NOW)).expect("available"),
        SaveOutcome::Saved
    );
}

// ------------------------------------------------------------ the contract types

#[test]
fn a_row_with_a_user_checks_its_route_and_an_anonymous_one_takes_any_key() {
    let alice = row(Some("alice"), NOW);
    assert!(alice.check_route(&key_for(Some("alice"))).is_ok());
    // A key on another route: the route of "bob" differs from alice's.
    assert_ne!(
        StoreKey::user_route("acct", "alice"),
        StoreKey::user_route("acct", "bob")
    );
    assert!(matches!(
        alice.check_route(&key_for(Some("bob"))),
        Err(StoreError::Misrouted)
    ));
    let anonymous = row(None, NOW);
    assert!(anonymous.check_route(&key_for(Some("bob"))).is_ok());
    assert!(anonymous.check_route(&key_for(None)).is_ok());
}

#[test]
fn a_move_keeps_what_it_was_given_and_refuses_a_misrouted_row() {
    let (from, to) = (key_for(Some("alice")), key_for(Some("alice")));
    let record = row(Some("alice"), NOW);
    let change = Move::new(from, Some(7), to, record.clone(), NOW + 5).expect("on route");
    assert_eq!(change.from(), &from);
    assert_eq!(change.expected(), Some(7));
    assert_eq!(change.to(), &to);
    assert_eq!(change.record(), &record);
    assert_eq!(change.now(), NOW + 5);
    let change = Move::new(from, None, to, record.clone(), NOW).expect("on route");
    assert_eq!(change.expected(), None);
    assert!(matches!(
        Move::new(from, None, key_for(Some("bob")), record, NOW),
        Err(StoreError::Misrouted)
    ));
}

#[test]
fn a_records_debug_hides_its_data_and_metadata() {
    let mut record = row(Some("alice"), NOW);
    record.data = b"secret-payload".to_vec();
    record.meta = SessionMeta::new(
        Some(std::net::IpAddr::from([198, 51, 100, 23])),
        Some("PrivateBrowser/3.1"),
    );
    let shown = format!("{record:?}");
    assert!(!shown.contains("secret-payload"), "{shown}");
    assert!(shown.contains("data_len: 14"), "{shown}");
    assert!(shown.contains("alice"), "{shown}");
    assert!(!shown.contains("198.51.100.23"), "{shown}");
    assert!(!shown.contains("PrivateBrowser"), "{shown}");
    assert!(
        shown.contains(
            "meta: SessionMeta { client_addr: Some(<redacted>), user_agent: Some(<redacted>), fingerprint: None }"
        ),
        "{shown}"
    );
}

#[test]
fn an_arc_forwards_every_call_to_its_store() {
    let probe = Arc::new(Probe::new());
    let store: Arc<Probe> = Arc::clone(&probe);
    let key = key_for(Some("alice"));
    let other = key_for(Some("alice"));
    let record = row(Some("alice"), NOW);
    assert_eq!(
        block_on(store.save(&key, &record, None, NOW)).expect("available"),
        SaveOutcome::Saved
    );
    assert_eq!(
        block_on(store.load(&key, NOW)).expect("available"),
        Some(record.clone())
    );
    assert!(block_on(store.touch(&key, NOW + 7200, NOW + 10)).expect("available"));
    let listed = block_on(store.list_user("acct", "alice", NOW)).expect("available");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].expires_at, NOW + 7200);
    let change = Move::new(key, Some(1), other, record.clone(), NOW).expect("on route");
    assert_eq!(
        block_on(store.move_session(&change)).expect("available"),
        MoveOutcome::Moved
    );
    assert!(block_on(store.delete(&other)).expect("available"));
    create(&store, &key, &record);
    assert_eq!(
        block_on(store.delete_user("acct", "alice", None)).expect("available"),
        1
    );
    assert_eq!(
        [
            "save",
            "load",
            "touch",
            "list_user",
            "move_session",
            "delete",
            "delete_user"
        ]
        .map(|name| probe.count(name)),
        [2, 1, 1, 1, 1, 1, 1]
    );
}

// ------------------------------------------------------------ per-user operations

/// A store-mode type without a cap.
#[derive(Serialize, Deserialize)]
struct Uncapped;

impl SessionPayload for Uncapped {
    const SPEC: SessionSpec = SessionSpec::builder("Uncapped", "acct", "acct")
        .store()
        .max_age_secs(3600)
        .build();
}

/// Saves a session of alice's started at `created_at` and touched at
/// `touched_at`; returns its key.
fn alice_session(store: &dyn SessionStore, created_at: u64, touched_at: u64) -> StoreKey {
    let key = key_for(Some("alice"));
    let record = Record {
        touched_at,
        ..row(Some("alice"), created_at)
    };
    create(store, &key, &record);
    key
}

fn alice_keys(store: &dyn SessionStore) -> Vec<StoreKey> {
    block_on(store.list_sessions::<Account>("alice", NOW))
        .expect("available")
        .into_iter()
        .map(|session| session.key)
        .collect()
}

#[test]
fn the_cap_ends_the_least_recently_used_sessions_never_keep() {
    let store = Probe::new();
    // Least recently used first: b (touched earliest), then a and c, tied
    // on their touch and ordered by their start (a started first).
    let a = alice_session(&store, NOW - 300, NOW - 100);
    let b = alice_session(&store, NOW - 200, NOW - 200);
    let c = alice_session(&store, NOW - 250, NOW - 100);
    let d = alice_session(&store, NOW - 50, NOW - 50);
    // Four sessions, cap two: two end, the least recently used, b then a.
    let ended = block_on(store.enforce_max_per_user::<Account>("alice", d, NOW));
    assert_eq!(ended.expect("available"), 2);
    let mut left = alice_keys(&store);
    left.sort();
    let mut expected = vec![c, d];
    expected.sort();
    assert_eq!(left, expected);
    assert_eq!((store.row(&a, NOW), store.row(&b, NOW)), (None, None));
    // At the cap: nothing to do, and no delete is tried.
    store.reset_calls();
    let ended = block_on(store.enforce_max_per_user::<Account>("alice", d, NOW));
    assert_eq!(ended.expect("available"), 0);
    assert_eq!(store.count("delete"), 0);
    // `keep` is never ended, even when it is the least recently used.
    let e = alice_session(&store, NOW - 10, NOW - 10);
    let ended = block_on(store.enforce_max_per_user::<Account>("alice", c, NOW));
    assert_eq!(ended.expect("available"), 1);
    let mut left = alice_keys(&store);
    left.sort();
    let mut expected = vec![c, e];
    expected.sort();
    assert_eq!(left, expected, "d, the least recently used but c, ended");
}

#[test]
fn the_cap_counts_only_rows_it_deleted() {
    // A session listed but gone by the time it is deleted is not counted:
    // a store whose delete finds nothing.
    struct Vanishing(Probe);
    impl SessionStore for Vanishing {
        fn load<'a>(&'a self, key: &'a StoreKey, now: u64) -> StoreFuture<'a, Option<Record>> {
            self.0.load(key, now)
        }
        fn save<'a>(
            &'a self,
            key: &'a StoreKey,
            record: &'a Record,
            expected: Option<u64>,
            now: u64,
        ) -> StoreFuture<'a, SaveOutcome> {
            self.0.save(key, record, expected, now)
        }
        fn move_session<'a>(&'a self, change: &'a Move) -> StoreFuture<'a, MoveOutcome> {
            self.0.move_session(change)
        }
        fn delete<'a>(&'a self, _: &'a StoreKey) -> StoreFuture<'a, bool> {
            Box::pin(async { Ok(false) })
        }
        fn touch<'a>(&'a self, key: &'a StoreKey, at: u64, now: u64) -> StoreFuture<'a, bool> {
            self.0.touch(key, at, now)
        }
        fn list_user<'a>(
            &'a self,
            namespace: &'a str,
            user: &'a str,
            now: u64,
        ) -> StoreFuture<'a, Vec<UserSession>> {
            self.0.list_user(namespace, user, now)
        }
        fn delete_user<'a>(
            &'a self,
            namespace: &'a str,
            user: &'a str,
            keep: Option<&'a StoreKey>,
        ) -> StoreFuture<'a, usize> {
            self.0.delete_user(namespace, user, keep)
        }
    }
    let store = Vanishing(Probe::new());
    let keep = alice_session(&store, NOW - 30, NOW - 30);
    alice_session(&store, NOW - 20, NOW - 20);
    alice_session(&store, NOW - 10, NOW - 10);
    let ended = block_on(store.enforce_max_per_user::<Account>("alice", keep, NOW));
    assert_eq!(ended.expect("available"), 0);
}

#[test]
fn without_a_cap_nothing_is_listed_or_ended() {
    let store = Probe::new();
    let keep = alice_session(&store, NOW - 30, NOW - 30);
    for _ in 0..3 {
        alice_session(&store, NOW - 20, NOW - 20);
    }
    store.reset_calls();
    let ended = block_on(store.enforce_max_per_user::<Uncapped>("alice", keep, NOW));
    assert_eq!(ended.expect("available"), 0);
    assert_eq!(store.count("list_user"), 0);
    assert_eq!(alice_keys(&store).len(), 4);
}

#[test]
fn the_cap_passes_on_a_store_error() {
    let store = Probe::new();
    let keep = alice_session(&store, NOW - 30, NOW - 30);
    alice_session(&store, NOW - 20, NOW - 20);
    alice_session(&store, NOW - 10, NOW - 10);
    store.fail(|faults| faults.list_user = true);
    assert!(block_on(store.enforce_max_per_user::<Account>("alice", keep, NOW)).is_err());
    store.fail(|faults| {
        faults.list_user = false;
        faults.delete = true;
    });
    assert!(block_on(store.enforce_max_per_user::<Account>("alice", keep, NOW)).is_err());
}

#[test]
fn logout_all_and_logout_others_end_the_users_sessions_of_the_type() {
    let store = Probe::new();
    let keep = alice_session(&store, NOW - 30, NOW - 30);
    alice_session(&store, NOW - 20, NOW - 20);
    alice_session(&store, NOW - 10, NOW - 10);
    // Another namespace's session of the same user is not the type's.
    let elsewhere = StoreKey::derive("other", &SessionId::generate_for("other", Some("alice")));
    create(
        &store,
        &elsewhere,
        &Record {
            namespace: "other".into(),
            ..row(Some("alice"), NOW)
        },
    );
    let ended = block_on(store.logout_others::<Account>("alice", keep));
    assert_eq!(ended.expect("available"), 2);
    assert_eq!(alice_keys(&store), vec![keep]);
    let ended = block_on(store.logout_all::<Account>("alice"));
    assert_eq!(ended.expect("available"), 1);
    assert!(alice_keys(&store).is_empty());
    assert!(store.row(&elsewhere, NOW).is_some());
}

#[test]
fn logout_session_ends_one_session_of_the_user_and_type_only() {
    let store = Probe::new();
    let mine = alice_session(&store, NOW - 30, NOW - 30);
    let other = alice_session(&store, NOW - 20, NOW - 20);
    // The same user's session of another namespace, under a key of that
    // namespace: not the type's, so not ended.
    let elsewhere = StoreKey::derive("other", &SessionId::generate_for("other", Some("alice")));
    create(
        &store,
        &elsewhere,
        &Record {
            namespace: "other".into(),
            ..row(Some("alice"), NOW)
        },
    );
    // Bob cannot end Alice's session, nor can an anonymous caller's name.
    assert!(!block_on(store.logout_session::<Account>("bob", other, NOW)).expect("available"));
    assert!(!block_on(store.logout_session::<Account>("", other, NOW)).expect("available"));
    assert!(
        !block_on(store.logout_session::<Account>("alice", elsewhere, NOW)).expect("available")
    );
    assert!(store.row(&elsewhere, NOW).is_some());
    assert_eq!(alice_keys(&store).len(), 2);
    // Alice ends her other device; ending it again finds nothing.
    assert!(block_on(store.logout_session::<Account>("alice", other, NOW)).expect("available"));
    assert_eq!(alice_keys(&store), vec![mine]);
    assert!(!block_on(store.logout_session::<Account>("alice", other, NOW)).expect("available"));
}

#[test]
fn list_sessions_lists_the_users_sessions_of_the_type_oldest_first() {
    let store = Probe::new();
    let second = alice_session(&store, NOW - 20, NOW - 5);
    let first = alice_session(&store, NOW - 30, NOW - 1);
    let listed = block_on(store.list_sessions::<Account>("alice", NOW)).expect("available");
    assert_eq!(
        listed,
        vec![
            UserSession {
                key: first,
                created_at: NOW - 30,
                touched_at: NOW - 1,
                expires_at: NOW - 30 + 3600,
                meta: SessionMeta::NONE,
            },
            UserSession {
                key: second,
                created_at: NOW - 20,
                touched_at: NOW - 5,
                expires_at: NOW - 20 + 3600,
                meta: SessionMeta::NONE,
            },
        ]
    );
    assert!(
        block_on(store.list_sessions::<Account>("bob", NOW))
            .expect("available")
            .is_empty()
    );
}

/// The whole conformance suite, on the memory store.
#[cfg(feature = "testing")]
#[test]
fn the_memory_store_passes_the_conformance_checks() {
    for check in conformance::CHECKS {
        let store = MemoryStore::new();
        block_on((check.run)(&store));
    }
}
