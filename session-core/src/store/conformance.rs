//! The [`SessionStore`] contract as executable checks: a conformance
//! harness any backend can run with one call (feature `testing`).
//!
//! ```
//! # async fn demo() {
//! use session_core::store::{MemoryStore, conformance};
//!
//! // In a `#[tokio::test]` (or any async runtime's test):
//! conformance::run(|| async { MemoryStore::new() }).await;
//! # }
//! ```
//!
//! [`run`] gives every check a fresh store from the factory and panics with
//! the check's name on the first failure. To report each behaviour as its
//! own test, iterate [`CHECKS`] instead.
//!
//! What a backend must do to pass is written in the
//! [module docs of `store`](super). The checks pass the caller's clock
//! explicitly (`NOW`, a fixed instant in 2025): a backend must compare expiry
//! with the `now` it is given, never with its own clock; it may still let
//! its server drop rows by TTL, as all of these rows expire at least an hour
//! after the real time the suite runs.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a test harness reports failures by panicking"
)]

use std::future::{Future, poll_fn};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::pin::{Pin, pin};
use std::task::Poll;

use serde::{Deserialize, Serialize};

use super::{
    Move, MoveOutcome, Record, SaveOutcome, SessionId, SessionMeta, SessionStore,
    SessionStoreExt as _, StoreError, StoreKey, UserSession, refresh,
};
use crate::fingerprint::{FINGERPRINT_LEN, Fingerprint};
use crate::{SessionPayload, SessionSpec};

/// The future a [`Check`] returns.
pub type CheckFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// One check of the contract.
#[derive(Clone, Copy)]
pub struct Check {
    /// What it checks, as a test name (`snake_case`).
    pub name: &'static str,
    /// Runs it on `store`, panicking on a breach of the contract.
    pub run: for<'a> fn(&'a dyn SessionStore) -> CheckFuture<'a>,
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Check").field("name", &self.name).finish()
    }
}

/// Runs every check in [`CHECKS`], each on a fresh store made by `fresh`.
///
/// Panics on the first failure, naming the check. Stores that share state
/// between instances (one server) pass if each instance is isolated (a
/// fresh key prefix or table, say).
/// Checks: run.
pub async fn run<S, F, Fut>(mut fresh: F)
where
    S: SessionStore,
    F: FnMut() -> Fut,
    Fut: Future<Output = S>,
{
    for check in CHECKS {
        let store = fresh().await;
        eprintln!("session-seal conformance: {}", check.name);
        (check.run)(&store).await;
    }
}

macro_rules! checks {
    ($($name:ident),* $(,)?) => {
        /// Every check, in the order [`run`] runs them.
        pub const CHECKS: &[Check] = &[
            $(Check { name: stringify!($name), run: |store| Box::pin($name(store)) },)*
        ];
    };
}

checks!(
    load_of_a_missing_key_is_none,
    create_then_load_returns_the_identical_record,
    create_over_a_live_row_conflicts,
    update_with_the_right_revision_saves_and_a_stale_one_conflicts,
    revisions_compare_exactly_near_u64_max,
    an_expired_row_reads_none_and_can_be_recreated,
    delete_returns_true_then_false,
    touch_moves_the_expiry_but_not_the_revision_or_data,
    list_user_returns_only_that_users_live_rows_oldest_first,
    delete_user_ends_all_or_all_but_one,
    a_user_change_moves_the_index_entry,
    a_row_off_its_users_route_is_refused,
    enforce_max_per_user_evicts_the_least_recently_used_never_keep,
    typed_operations_stay_in_their_namespace,
    move_session_replaces_the_row_and_its_index_entry,
    move_session_of_a_gone_row_is_gone_and_writes_nothing,
    move_session_at_a_stale_revision_conflicts_and_writes_nothing,
    move_session_without_expected_replaces_whatever_is_there,
    move_session_onto_a_live_key_conflicts,
    move_session_can_change_the_user,
    move_session_racing_delete_user_never_leaves_a_live_row,
    move_session_racing_save_lets_exactly_one_win,
    metadata_round_trips_through_save_update_and_list_user,
    metadata_moves_with_the_session,
    a_row_without_metadata_reads_back_without_it,
    racing_creates_of_one_key_let_exactly_one_win,
    refresh_racing_refresh_shares_one_rotation,
    refresh_replayed_after_its_lease_ends_the_family,
    replaying_the_first_refresh_id_after_rotations_ends_the_family,
    ending_one_family_leaves_the_users_other_logins,
);

const NOW: u64 = 1_750_000_000;
const HOUR: u64 = 3600;
const ADMIN: &str = "admin";
const TENANT: &str = "tenant";

/// A store-mode type with a cap of two sessions per user, written by hand
/// (not derived) so this suite depends on the core API alone.
#[derive(Serialize, Deserialize)]
struct DeviceSession {
    user: String,
}

impl SessionPayload for DeviceSession {
    const SPEC: SessionSpec = SessionSpec::builder("DeviceSession", "device_sid", "device")
        .store()
        .max_per_user(2)
        .build();
}

/// A fresh key for a session of `user` in `namespace`, on the user's route
/// (as the contract requires of every row with a user).
fn key_of(namespace: &str, user: &str) -> StoreKey {
    StoreKey::derive(namespace, &SessionId::generate_for(namespace, Some(user)))
}

/// A fresh key for one of alice's sessions in `namespace`.
fn key_in(namespace: &str) -> StoreKey {
    key_of(namespace, "alice")
}

/// A fresh key for one of alice's admin sessions (most checks use her).
fn new_key() -> StoreKey {
    key_in(ADMIN)
}

/// A fresh admin row for `user` that started at `created_at` and lives an hour.
fn record(user: Option<&str>, created_at: u64) -> Record {
    record_in(ADMIN, user, created_at)
}

fn record_in(namespace: &str, user: Option<&str>, created_at: u64) -> Record {
    Record {
        namespace: namespace.into(),
        user: user.map(Into::into),
        version: 1,
        data: br#"{"user_id":42,"roles":["admin"]}"#.to_vec(),
        revision: 1,
        created_at,
        touched_at: created_at,
        expires_at: created_at + HOUR,
        meta: SessionMeta::NONE,
    }
}

async fn save(
    store: &dyn SessionStore,
    key: &StoreKey,
    record: &Record,
    expected: Option<u64>,
    now: u64,
) -> SaveOutcome {
    store
        .save(key, record, expected, now)
        .await
        .expect("store available")
}

/// Saves a new row and insists it was written.
async fn create(store: &dyn SessionStore, key: &StoreKey, record: &Record) {
    assert_eq!(
        save(store, key, record, None, NOW).await,
        SaveOutcome::Saved,
        "creating {key:?}"
    );
}

async fn load(store: &dyn SessionStore, key: &StoreKey, now: u64) -> Option<Record> {
    store.load(key, now).await.expect("store available")
}

async fn listed(store: &dyn SessionStore, namespace: &str, user: &str, now: u64) -> Vec<StoreKey> {
    store
        .list_user(namespace, user, now)
        .await
        .expect("store available")
        .into_iter()
        .map(|session| session.key)
        .collect()
}

// ------------------------------------------------------- the checks

/// Checks: load of a missing key is none.
pub async fn load_of_a_missing_key_is_none(store: &dyn SessionStore) {
    assert_eq!(load(store, &new_key(), NOW).await, None);
}

/// Checks: create then load returns the identical record.
pub async fn create_then_load_returns_the_identical_record(store: &dyn SessionStore) {
    let key = new_key();
    let mut with_user = record(Some("alice"), NOW);
    with_user.version = 7;
    // Data is raw bytes to a store: NUL, invalid UTF-8 and CRLF survive.
    with_user.data = vec![b'{', 0, 0xff, 0xc3, 0x28, b'\r', b'\n', b'}'];
    create(store, &key, &with_user).await;
    assert_eq!(load(store, &key, NOW).await, Some(with_user));

    let anonymous_key = new_key();
    let mut anonymous = record(None, NOW - 5);
    anonymous.data = Vec::new();
    create(store, &anonymous_key, &anonymous).await;
    assert_eq!(load(store, &anonymous_key, NOW).await, Some(anonymous));
}

/// Checks: create over a live row conflicts.
pub async fn create_over_a_live_row_conflicts(store: &dyn SessionStore) {
    let key = new_key();
    let first = record(Some("alice"), NOW);
    create(store, &key, &first).await;
    let mut second = record(Some("alice"), NOW + 1);
    second.data = b"{}".to_vec();
    assert_eq!(
        save(store, &key, &second, None, NOW + 1).await,
        SaveOutcome::Conflict
    );
    assert_eq!(load(store, &key, NOW + 1).await, Some(first));
    assert_eq!(listed(store, ADMIN, "alice", NOW + 1).await, vec![key]);
}

/// Checks: update with the right revision saves and a stale one conflicts.
pub async fn update_with_the_right_revision_saves_and_a_stale_one_conflicts(
    store: &dyn SessionStore,
) {
    let key = new_key();
    create(store, &key, &record(Some("alice"), NOW)).await;

    let mut second = record(Some("alice"), NOW);
    second.revision = 2;
    second.data = br#"{"user_id":42,"visits":1}"#.to_vec();
    assert_eq!(
        save(store, &key, &second, Some(1), NOW + 1).await,
        SaveOutcome::Saved
    );
    assert_eq!(load(store, &key, NOW + 1).await, Some(second.clone()));

    // A writer that read revision 1 lost the race: nothing changes.
    let mut stale = record(Some("alice"), NOW);
    stale.revision = 2;
    stale.data = br#"{"user_id":42,"visits":99}"#.to_vec();
    assert_eq!(
        save(store, &key, &stale, Some(1), NOW + 2).await,
        SaveOutcome::Conflict
    );
    assert_eq!(load(store, &key, NOW + 2).await, Some(second));

    // An update of a row that does not exist is a conflict, not a create.
    let missing = new_key();
    assert_eq!(
        save(store, &missing, &stale, Some(1), NOW).await,
        SaveOutcome::Conflict
    );
    assert_eq!(load(store, &missing, NOW).await, None);
}

/// Checks: revisions compare exactly near u64 max.
pub async fn revisions_compare_exactly_near_u64_max(store: &dyn SessionStore) {
    // Neighbours this large are the same number as a double (2^64 has
    // a 4096-wide ulp): a backend comparing them as floats would accept a
    // stale write.
    let key = new_key();
    let mut row = record(Some("alice"), NOW);
    row.revision = u64::MAX - 1;
    create(store, &key, &row).await;
    let mut next = row.clone();
    next.revision = u64::MAX;
    assert_eq!(
        save(store, &key, &next, Some(u64::MAX - 2), NOW).await,
        SaveOutcome::Conflict
    );
    assert_eq!(
        save(store, &key, &next, Some(u64::MAX - 1), NOW).await,
        SaveOutcome::Saved
    );
    assert_eq!(load(store, &key, NOW).await, Some(next));
}

/// Checks: an expired row reads none and can be recreated.
pub async fn an_expired_row_reads_none_and_can_be_recreated(store: &dyn SessionStore) {
    let key = new_key();
    let mut short = record(Some("alice"), NOW);
    short.expires_at = NOW + 10;
    create(store, &key, &short).await;
    assert_eq!(load(store, &key, NOW + 9).await, Some(short.clone()));
    assert_eq!(
        load(store, &key, NOW + 10).await,
        None,
        "expired at expires_at"
    );
    assert_eq!(load(store, &key, NOW + 11).await, None);
    assert_eq!(listed(store, ADMIN, "alice", NOW + 10).await, vec![]);

    // Updating what was read before it expired is a conflict: it is gone.
    let mut late = short.clone();
    late.revision = 2;
    assert_eq!(
        save(store, &key, &late, Some(1), NOW + 10).await,
        SaveOutcome::Conflict
    );
    // A new session under the same key counts the expired row as absent.
    let mut fresh = record(Some("alice"), NOW + 10);
    fresh.data = br#"{"fresh":true}"#.to_vec();
    assert_eq!(
        save(store, &key, &fresh, None, NOW + 10).await,
        SaveOutcome::Saved
    );
    assert_eq!(load(store, &key, NOW + 10).await, Some(fresh));
    assert_eq!(listed(store, ADMIN, "alice", NOW + 10).await, vec![key]);
}

/// Checks: delete returns true then false.
pub async fn delete_returns_true_then_false(store: &dyn SessionStore) {
    let key = new_key();
    create(store, &key, &record(Some("alice"), NOW)).await;
    assert!(store.delete(&key).await.expect("store available"));
    assert_eq!(load(store, &key, NOW).await, None);
    assert_eq!(listed(store, ADMIN, "alice", NOW).await, vec![]);
    assert!(!store.delete(&key).await.expect("store available"));
    assert!(!store.delete(&new_key()).await.expect("store available"));
}

/// Checks: touch moves the expiry but not the revision or data.
pub async fn touch_moves_the_expiry_but_not_the_revision_or_data(store: &dyn SessionStore) {
    let key = new_key();
    let original = record(Some("alice"), NOW);
    create(store, &key, &original).await;

    let later = NOW + 600;
    assert!(
        store
            .touch(&key, later + HOUR, later)
            .await
            .expect("store available")
    );
    let touched = load(store, &key, later).await.expect("still there");
    assert_eq!(
        touched,
        Record {
            touched_at: later,
            expires_at: later + HOUR,
            ..original.clone()
        }
    );
    // Alive past its original expiry, and the index shows the new times.
    assert!(load(store, &key, original.expires_at + 1).await.is_some());
    assert_eq!(
        store
            .list_user(ADMIN, "alice", later)
            .await
            .expect("store available"),
        vec![UserSession {
            key,
            created_at: NOW,
            touched_at: later,
            expires_at: later + HOUR,
            meta: SessionMeta::NONE,
        }]
    );
    // A touch is no write: the revision the caller holds still matches.
    let mut update = touched.clone();
    update.revision = 2;
    assert_eq!(
        save(store, &key, &update, Some(1), later).await,
        SaveOutcome::Saved
    );

    assert!(
        !store
            .touch(&new_key(), later + HOUR, later)
            .await
            .expect("store available"),
        "touching a missing row"
    );
    let dead = later + HOUR;
    assert!(
        !store
            .touch(&key, dead + HOUR, dead)
            .await
            .expect("store available"),
        "touching an expired row"
    );
    assert_eq!(
        load(store, &key, dead).await,
        None,
        "not revived by a touch"
    );
}

/// Checks: list user returns only that users live rows oldest first.
pub async fn list_user_returns_only_that_users_live_rows_oldest_first(store: &dyn SessionStore) {
    let (k30, k10, k20) = (new_key(), new_key(), new_key());
    create(store, &k30, &record(Some("alice"), NOW + 30)).await;
    create(store, &k10, &record(Some("alice"), NOW + 10)).await;
    create(store, &k20, &record(Some("alice"), NOW + 20)).await;
    let expiring = new_key();
    let mut short = record(Some("alice"), NOW);
    short.expires_at = NOW + 5;
    create(store, &expiring, &short).await;
    let bob = key_of(ADMIN, "bob");
    create(store, &bob, &record(Some("bob"), NOW)).await;
    let tenant = key_in(TENANT);
    create(store, &tenant, &record_in(TENANT, Some("alice"), NOW)).await;
    create(store, &new_key(), &record(None, NOW)).await;

    let sessions = store
        .list_user(ADMIN, "alice", NOW + 5)
        .await
        .expect("store available");
    let expected: Vec<UserSession> = [(k10, 10), (k20, 20), (k30, 30)]
        .into_iter()
        .map(|(key, offset)| UserSession {
            key,
            created_at: NOW + offset,
            touched_at: NOW + offset,
            expires_at: NOW + offset + HOUR,
            meta: SessionMeta::NONE,
        })
        .collect();
    assert_eq!(sessions, expected);
    assert_eq!(
        listed(store, ADMIN, "alice", NOW + 4).await,
        vec![expiring, k10, k20, k30],
        "still live one second earlier"
    );
    assert_eq!(listed(store, TENANT, "alice", NOW).await, vec![tenant]);
    assert_eq!(listed(store, ADMIN, "bob", NOW).await, vec![bob]);
    assert_eq!(listed(store, ADMIN, "carol", NOW).await, vec![]);
}

/// Checks: delete user ends all or all but one.
pub async fn delete_user_ends_all_or_all_but_one(store: &dyn SessionStore) {
    let (a1, a2, a3) = (new_key(), new_key(), new_key());
    for (offset, key) in [a1, a2, a3].iter().enumerate() {
        create(store, key, &record(Some("alice"), NOW + offset as u64)).await;
    }
    let bob = key_of(ADMIN, "bob");
    create(store, &bob, &record(Some("bob"), NOW)).await;
    let tenant = key_in(TENANT);
    create(store, &tenant, &record_in(TENANT, Some("alice"), NOW)).await;

    let ended = store
        .delete_user(ADMIN, "alice", Some(&a2))
        .await
        .expect("store available");
    assert_eq!(ended, 2);
    assert_eq!(load(store, &a1, NOW).await, None);
    assert!(load(store, &a2, NOW).await.is_some(), "kept");
    assert_eq!(load(store, &a3, NOW).await, None);
    assert_eq!(listed(store, ADMIN, "alice", NOW).await, vec![a2]);

    let ended = store
        .delete_user(ADMIN, "alice", None)
        .await
        .expect("store available");
    assert_eq!(ended, 1);
    assert_eq!(load(store, &a2, NOW).await, None);
    assert_eq!(listed(store, ADMIN, "alice", NOW).await, vec![]);
    assert_eq!(
        store
            .delete_user(ADMIN, "alice", None)
            .await
            .expect("store available"),
        0
    );
    // Other users and other namespaces are untouched.
    assert!(load(store, &bob, NOW).await.is_some());
    assert!(load(store, &tenant, NOW).await.is_some());
}

/// Checks: a user change (a move to a key on the new user's route) moves the
/// index entry, and a session that becomes anonymous leaves the index.
pub async fn a_user_change_moves_the_index_entry(store: &dyn SessionStore) {
    let key = new_key();
    create(store, &key, &record(Some("alice"), NOW)).await;
    let bobs = key_of(ADMIN, "bob");
    let mut to_bob = record(Some("bob"), NOW);
    to_bob.revision = 2;
    assert_eq!(
        move_session(store, &key, Some(1), &bobs, &to_bob, NOW).await,
        MoveOutcome::Moved
    );
    assert_eq!(listed(store, ADMIN, "alice", NOW).await, vec![]);
    assert_eq!(listed(store, ADMIN, "bob", NOW).await, vec![bobs]);
    assert_eq!(
        store
            .delete_user(ADMIN, "alice", None)
            .await
            .expect("store available"),
        0,
        "alice's logout-everywhere no longer reaches bob's session"
    );

    // Anonymous rows may live on any route: this one stays where it is.
    let mut anonymous = record(None, NOW);
    anonymous.revision = 3;
    assert_eq!(
        save(store, &bobs, &anonymous, Some(2), NOW).await,
        SaveOutcome::Saved
    );
    assert_eq!(listed(store, ADMIN, "bob", NOW).await, vec![]);
    assert_eq!(
        store
            .delete_user(ADMIN, "bob", None)
            .await
            .expect("store available"),
        0
    );
    assert_eq!(load(store, &bobs, NOW).await, Some(anonymous));
}

/// Checks: a row with a user under a key off that user's route is refused
/// (`StoreError::Misrouted`) by `save` (and by `Move::new`, so no move can
/// carry one), and nothing is written.
pub async fn a_row_off_its_users_route_is_refused(store: &dyn SessionStore) {
    let alices = new_key();
    let bob = record(Some("bob"), NOW);
    assert!(matches!(
        store.save(&alices, &bob, None, NOW).await,
        Err(StoreError::Misrouted)
    ));
    let old = new_key();
    create(store, &old, &record(Some("alice"), NOW)).await;
    assert!(matches!(
        Move::new(old, Some(1), alices, bob, NOW),
        Err(StoreError::Misrouted)
    ));
    assert_eq!(load(store, &alices, NOW).await, None);
    assert!(load(store, &old, NOW).await.is_some());
    assert_eq!(listed(store, ADMIN, "bob", NOW).await, vec![]);
}

/// Checks: enforce max per user evicts the least recently used never keep.
pub async fn enforce_max_per_user_evicts_the_least_recently_used_never_keep(
    store: &dyn SessionStore,
) {
    let namespace = DeviceSession::SPEC.namespace();
    let device = |touched_at: u64| Record {
        touched_at,
        ..record_in(namespace, Some("alice"), NOW)
    };
    let (a, b, c, keep) = (
        key_in(namespace),
        key_in(namespace),
        key_in(namespace),
        key_in(namespace),
    );
    create(store, &a, &device(NOW + 10)).await;
    create(store, &b, &device(NOW + 40)).await;
    create(store, &c, &device(NOW + 20)).await;
    // The session just created is the least recently touched of all, and
    // still survives: it is the one the user is logging in with.
    create(store, &keep, &device(NOW + 5)).await;

    let ended = store
        .enforce_max_per_user::<DeviceSession>("alice", keep, NOW + 50)
        .await
        .expect("store available");
    assert_eq!(ended, 2);
    let mut survivors = listed(store, namespace, "alice", NOW + 50).await;
    survivors.sort();
    let mut expected = vec![b, keep];
    expected.sort();
    assert_eq!(survivors, expected);
    assert_eq!(load(store, &a, NOW + 50).await, None);
    assert_eq!(load(store, &c, NOW + 50).await, None);
    assert_eq!(
        store
            .enforce_max_per_user::<DeviceSession>("alice", keep, NOW + 50)
            .await
            .expect("store available"),
        0,
        "within the cap"
    );
}

/// Checks: typed operations stay in their namespace.
pub async fn typed_operations_stay_in_their_namespace(store: &dyn SessionStore) {
    let namespace = DeviceSession::SPEC.namespace();
    let (phone, laptop) = (key_in(namespace), key_in(namespace));
    create(store, &phone, &record_in(namespace, Some("alice"), NOW)).await;
    create(
        store,
        &laptop,
        &record_in(namespace, Some("alice"), NOW + 1),
    )
    .await;
    let admin = new_key();
    create(store, &admin, &record(Some("alice"), NOW)).await;

    let sessions = store
        .list_sessions::<DeviceSession>("alice", NOW)
        .await
        .expect("store available");
    let keys: Vec<StoreKey> = sessions.iter().map(|session| session.key).collect();
    assert_eq!(keys, vec![phone, laptop]);
    assert_eq!(
        store
            .logout_others::<DeviceSession>("alice", laptop)
            .await
            .expect("store available"),
        1
    );
    assert_eq!(listed(store, namespace, "alice", NOW).await, vec![laptop]);
    assert_eq!(
        store
            .logout_all::<DeviceSession>("alice")
            .await
            .expect("store available"),
        1
    );
    assert_eq!(listed(store, namespace, "alice", NOW).await, vec![]);
    assert!(
        load(store, &admin, NOW).await.is_some(),
        "another type's session"
    );
}

// ------------------------------------------------------------- move_session

async fn move_session(
    store: &dyn SessionStore,
    from: &StoreKey,
    expected: Option<u64>,
    to: &StoreKey,
    record: &Record,
    now: u64,
) -> MoveOutcome {
    let change = Move::new(*from, expected, *to, record.clone(), now).expect("on its route");
    store.move_session(&change).await.expect("store available")
}

/// Polls both futures to completion, interleaved on one task, so their
/// store calls are in flight together.
async fn both<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut first, mut second) = (None, None);
    poll_fn(|cx| {
        if first.is_none()
            && let Poll::Ready(value) = a.as_mut().poll(cx)
        {
            first = Some(value);
        }
        if second.is_none()
            && let Poll::Ready(value) = b.as_mut().poll(cx)
        {
            second = Some(value);
        }
        if first.is_some() && second.is_some() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    (
        first.expect("polled to completion"),
        second.expect("polled to completion"),
    )
}

/// The row `old` continued under a new key: revision + 1, new times.
fn renewed(old: &Record, now: u64) -> Record {
    Record {
        revision: old.revision + 1,
        touched_at: now,
        expires_at: now + HOUR,
        ..old.clone()
    }
}

/// Checks: move session replaces the row and its index entry.
pub async fn move_session_replaces_the_row_and_its_index_entry(store: &dyn SessionStore) {
    let (old_key, new_key_) = (new_key(), new_key());
    let mut old = record(Some("alice"), NOW);
    old.revision = 3;
    create(store, &old_key, &old).await;
    let other = new_key();
    create(store, &other, &record(Some("alice"), NOW + 1)).await;

    let new = renewed(&old, NOW + 60);
    assert_eq!(
        move_session(store, &old_key, Some(3), &new_key_, &new, NOW + 60).await,
        MoveOutcome::Moved
    );
    assert_eq!(
        load(store, &old_key, NOW + 60).await,
        None,
        "old row removed"
    );
    assert_eq!(load(store, &new_key_, NOW + 60).await, Some(new.clone()));
    let mut keys = listed(store, ADMIN, "alice", NOW + 60).await;
    keys.sort();
    let mut expected = vec![new_key_, other];
    expected.sort();
    assert_eq!(keys, expected, "the index follows the move");
    // The moved row is an ordinary row: revision-checked saves work on it.
    let mut update = new.clone();
    update.revision = 5;
    assert_eq!(
        save(store, &new_key_, &update, Some(4), NOW + 61).await,
        SaveOutcome::Saved
    );
    assert_eq!(
        store
            .delete_user(ADMIN, "alice", None)
            .await
            .expect("store available"),
        2,
        "logout-everywhere reaches the moved row"
    );
}

/// Checks: move session of a gone row is gone and writes nothing.
pub async fn move_session_of_a_gone_row_is_gone_and_writes_nothing(store: &dyn SessionStore) {
    // Never existed.
    let (missing, to) = (new_key(), new_key());
    let new = record(Some("alice"), NOW);
    assert_eq!(
        move_session(store, &missing, Some(1), &to, &new, NOW).await,
        MoveOutcome::Gone
    );
    assert_eq!(load(store, &to, NOW).await, None);
    assert_eq!(listed(store, ADMIN, "alice", NOW).await, vec![]);

    // Ended by a logout before the move.
    let old_key = new_key();
    let old = record(Some("alice"), NOW);
    create(store, &old_key, &old).await;
    assert_eq!(
        store
            .delete_user(ADMIN, "alice", None)
            .await
            .expect("store available"),
        1
    );
    assert_eq!(
        move_session(store, &old_key, Some(1), &to, &renewed(&old, NOW), NOW).await,
        MoveOutcome::Gone
    );
    assert_eq!(load(store, &to, NOW).await, None);

    // Expired at `now`.
    let short_key = new_key();
    let mut short = record(Some("alice"), NOW);
    short.expires_at = NOW + 10;
    create(store, &short_key, &short).await;
    assert_eq!(
        move_session(
            store,
            &short_key,
            Some(1),
            &to,
            &renewed(&short, NOW + 10),
            NOW + 10
        )
        .await,
        MoveOutcome::Gone
    );
    assert_eq!(load(store, &to, NOW + 10).await, None);
    assert_eq!(listed(store, ADMIN, "alice", NOW + 10).await, vec![]);
}

/// Checks: move session at a stale revision conflicts and writes nothing.
pub async fn move_session_at_a_stale_revision_conflicts_and_writes_nothing(
    store: &dyn SessionStore,
) {
    let (old_key, to) = (new_key(), new_key());
    let old = record(Some("alice"), NOW);
    create(store, &old_key, &old).await;
    // Another request updated the session after this one read revision 1.
    let mut updated = old.clone();
    updated.revision = 2;
    updated.data = br#"{"visits":1}"#.to_vec();
    assert_eq!(
        save(store, &old_key, &updated, Some(1), NOW).await,
        SaveOutcome::Saved
    );

    assert_eq!(
        move_session(store, &old_key, Some(1), &to, &renewed(&old, NOW), NOW).await,
        MoveOutcome::Conflict
    );
    assert_eq!(
        load(store, &old_key, NOW).await,
        Some(updated),
        "the update survives"
    );
    assert_eq!(load(store, &to, NOW).await, None);
    assert_eq!(listed(store, ADMIN, "alice", NOW).await, vec![old_key]);
}

/// Checks: move session without expected replaces whatever is there.
pub async fn move_session_without_expected_replaces_whatever_is_there(store: &dyn SessionStore) {
    // A new login over an old session: the old row goes whatever its revision.
    let (old_key, to) = (new_key(), new_key());
    let mut old = record(Some("alice"), NOW);
    old.revision = 9;
    create(store, &old_key, &old).await;
    let login = record(Some("alice"), NOW + 5);
    assert_eq!(
        move_session(store, &old_key, None, &to, &login, NOW + 5).await,
        MoveOutcome::Moved
    );
    assert_eq!(load(store, &old_key, NOW + 5).await, None);
    assert_eq!(load(store, &to, NOW + 5).await, Some(login.clone()));
    assert_eq!(listed(store, ADMIN, "alice", NOW + 5).await, vec![to]);

    // And over an old session that is already gone: a plain create.
    let (gone, again) = (new_key(), new_key());
    assert_eq!(
        move_session(store, &gone, None, &again, &login, NOW + 6).await,
        MoveOutcome::Moved
    );
    assert_eq!(load(store, &again, NOW + 6).await, Some(login));
}

/// Checks: move session onto a live key conflicts.
pub async fn move_session_onto_a_live_key_conflicts(store: &dyn SessionStore) {
    let (old_key, taken) = (new_key(), new_key());
    let old = record(Some("alice"), NOW);
    create(store, &old_key, &old).await;
    let mut occupant = record(Some("alice"), NOW);
    occupant.data = br#"{"occupant":true}"#.to_vec();
    create(store, &taken, &occupant).await;
    for expected in [Some(1), None] {
        assert_eq!(
            move_session(store, &old_key, expected, &taken, &renewed(&old, NOW), NOW).await,
            MoveOutcome::Conflict,
            "expected {expected:?}"
        );
    }
    assert_eq!(load(store, &old_key, NOW).await, Some(old));
    assert_eq!(load(store, &taken, NOW).await, Some(occupant));
    let mut keys = listed(store, ADMIN, "alice", NOW).await;
    keys.sort();
    let mut expected = vec![old_key, taken];
    expected.sort();
    assert_eq!(keys, expected);
}

/// Checks: move session can change the user.
pub async fn move_session_can_change_the_user(store: &dyn SessionStore) {
    let (old_key, to) = (new_key(), key_of(ADMIN, "bob"));
    create(store, &old_key, &record(Some("alice"), NOW)).await;
    let bob = record(Some("bob"), NOW);
    assert_eq!(
        move_session(store, &old_key, None, &to, &bob, NOW).await,
        MoveOutcome::Moved
    );
    assert_eq!(listed(store, ADMIN, "alice", NOW).await, vec![]);
    assert_eq!(listed(store, ADMIN, "bob", NOW).await, vec![to]);
}

/// Rounds of each race: enough for a networked backend to interleave its
/// calls in both orders, small enough to take well under a second.
const RACE_ROUNDS: usize = 25;

/// Checks: move session racing delete user never leaves a live row.
pub async fn move_session_racing_delete_user_never_leaves_a_live_row(store: &dyn SessionStore) {
    let (mut moved, mut gone) = (0, 0);
    for round in 0..RACE_ROUNDS {
        let (old_key, to) = (new_key(), new_key());
        let old = record(Some("alice"), NOW);
        create(store, &old_key, &old).await;
        let new = renewed(&old, NOW + 1);
        let (outcome, ended) = both(
            move_session(store, &old_key, Some(1), &to, &new, NOW + 1),
            async {
                store
                    .delete_user(ADMIN, "alice", None)
                    .await
                    .expect("store available")
            },
        )
        .await;
        match outcome {
            MoveOutcome::Moved => moved += 1,
            MoveOutcome::Gone => gone += 1,
            MoveOutcome::Conflict => panic!("round {round}: a move racing a logout conflicted"),
        }
        assert_eq!(
            ended, 1,
            "round {round}: the logout ended the session, old or new"
        );
        assert_eq!(
            load(store, &old_key, NOW + 1).await,
            None,
            "round {round}: old row"
        );
        assert_eq!(
            load(store, &to, NOW + 1).await,
            None,
            "round {round}: the logout was undone"
        );
        assert_eq!(listed(store, ADMIN, "alice", NOW + 1).await, vec![]);
    }
    assert_eq!(moved + gone, RACE_ROUNDS);
}

/// Checks: move session racing save lets exactly one win.
pub async fn move_session_racing_save_lets_exactly_one_win(store: &dyn SessionStore) {
    for round in 0..RACE_ROUNDS {
        let (old_key, to) = (new_key(), new_key());
        let old = record(Some("alice"), NOW);
        create(store, &old_key, &old).await;
        let mut update = old.clone();
        update.revision = 2;
        update.data = br#"{"visits":1}"#.to_vec();
        let new = renewed(&old, NOW + 1);
        let (saved, outcome) = both(
            save(store, &old_key, &update, Some(1), NOW + 1),
            move_session(store, &old_key, Some(1), &to, &new, NOW + 1),
        )
        .await;
        match (saved, outcome) {
            (SaveOutcome::Saved, MoveOutcome::Conflict) => {
                assert_eq!(
                    load(store, &old_key, NOW + 1).await,
                    Some(update),
                    "round {round}"
                );
                assert_eq!(load(store, &to, NOW + 1).await, None, "round {round}");
            }
            (SaveOutcome::Conflict, MoveOutcome::Moved) => {
                assert_eq!(load(store, &old_key, NOW + 1).await, None, "round {round}");
                assert_eq!(load(store, &to, NOW + 1).await, Some(new), "round {round}");
            }
            other => panic!("round {round}: both or neither won: {other:?}"),
        }
    }
}

// ---------------------------------------------------------------- metadata

/// A browser's user agent, as long as most are (about 110 bytes).
const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0 (session-seal conformance)";

/// The metadata of a login from `addr` with a user agent.
fn meta_from(addr: IpAddr, user_agent: &str) -> SessionMeta {
    SessionMeta::new(Some(addr), Some(user_agent))
}

/// What `list_user` says of the row under `key`, which must be listed.
async fn listed_meta(
    store: &dyn SessionStore,
    user: &str,
    key: &StoreKey,
    now: u64,
) -> SessionMeta {
    store
        .list_user(ADMIN, user, now)
        .await
        .expect("store available")
        .into_iter()
        .find(|session| session.key == *key)
        .unwrap_or_else(|| panic!("{key:?} is listed"))
        .meta
}

/// Checks: metadata round trips through save, update and list user: both
/// parts, either part alone, IPv6, the longest user agent, non-ASCII text
/// and a client fingerprint (with metadata and alone) read back as written, from `load` and from `list_user`; an update
/// and a touch keep what the row holds.
pub async fn metadata_round_trips_through_save_update_and_list_user(store: &dyn SessionStore) {
    let longest = format!("{}é", "x".repeat(SessionMeta::MAX_USER_AGENT_LEN - 2));
    let cases = [
        meta_from(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9)), FIREFOX),
        SessionMeta::new(
            Some(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1))),
            None,
        ),
        SessionMeta::new(None, Some("curl/8.5.0")),
        SessionMeta::new(None, Some(&longest)),
        SessionMeta::new(
            Some(IpAddr::V6(Ipv6Addr::new(
                0xfe80, 0, 0, 0, 0x1, 0x2, 0x3, 0x4,
            ))),
            Some("Navigateur/1.0 (français; 日本語) ✓ \"quoted\" 'single' back\\slash"),
        ),
        meta_from(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), FIREFOX)
            .with_fingerprint(Some(Fingerprint::from_bytes([0x5a; FINGERPRINT_LEN]))),
        SessionMeta::NONE.with_fingerprint(Some(Fingerprint::from_bytes([0; FINGERPRINT_LEN]))),
    ];
    assert_eq!(
        cases[3].user_agent().map(str::len),
        Some(SessionMeta::MAX_USER_AGENT_LEN)
    );
    for (n, meta) in cases.into_iter().enumerate() {
        let key = new_key();
        let mut row = record(Some("alice"), NOW + n as u64);
        row.meta = meta.clone();
        create(store, &key, &row).await;
        assert_eq!(
            load(store, &key, NOW + 5).await,
            Some(row.clone()),
            "case {n}"
        );
        assert_eq!(
            listed_meta(store, "alice", &key, NOW + 5).await,
            meta,
            "case {n}"
        );

        // An update writes the row as given (the state machine gives the
        // metadata it loaded); a touch leaves it alone.
        let mut update = row.clone();
        update.revision = 2;
        update.data = br#"{"visits":1}"#.to_vec();
        assert_eq!(
            save(store, &key, &update, Some(1), NOW + 6).await,
            SaveOutcome::Saved
        );
        assert!(
            store
                .touch(&key, NOW + 10 + HOUR, NOW + 10)
                .await
                .expect("store available")
        );
        let read = load(store, &key, NOW + 10).await.expect("live");
        assert_eq!(read.meta, meta, "case {n} after an update and a touch");
        assert_eq!(
            listed_meta(store, "alice", &key, NOW + 10).await,
            meta,
            "case {n}"
        );
    }
}

/// Checks: metadata moves with the session: a renewal (`move_session`
/// with the expected revision), a re-login (without), a change of user, and
/// a row whose metadata the move replaces.
pub async fn metadata_moves_with_the_session(store: &dyn SessionStore) {
    let laptop = meta_from(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7)), FIREFOX)
        .with_fingerprint(Some(Fingerprint::from_bytes([0xc3; FINGERPRINT_LEN])));
    let (old_key, renewed_key) = (new_key(), new_key());
    let mut old = record(Some("alice"), NOW);
    old.meta = laptop.clone();
    create(store, &old_key, &old).await;

    // Renewal: the same session (and metadata) under a new key.
    let new = renewed(&old, NOW + 60);
    assert_eq!(
        move_session(store, &old_key, Some(1), &renewed_key, &new, NOW + 60).await,
        MoveOutcome::Moved
    );
    assert_eq!(load(store, &renewed_key, NOW + 60).await, Some(new.clone()));
    assert_eq!(
        listed_meta(store, "alice", &renewed_key, NOW + 60).await,
        laptop
    );

    // A new login over it carries the new request's metadata (or none).
    let phone = meta_from(
        IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 3, 4, 5, 6)),
        "Phone/2.0",
    );
    let relogin_key = new_key();
    let mut login = record(Some("alice"), NOW + 70);
    login.meta = phone.clone();
    assert_eq!(
        move_session(store, &renewed_key, None, &relogin_key, &login, NOW + 70).await,
        MoveOutcome::Moved
    );
    assert_eq!(
        load(store, &relogin_key, NOW + 70).await,
        Some(login.clone())
    );
    assert_eq!(
        listed_meta(store, "alice", &relogin_key, NOW + 70).await,
        phone
    );
    let anonymous_key = new_key();
    let mut without = record(Some("alice"), NOW + 80);
    without.meta = SessionMeta::NONE;
    assert_eq!(
        move_session(
            store,
            &relogin_key,
            None,
            &anonymous_key,
            &without,
            NOW + 80
        )
        .await,
        MoveOutcome::Moved
    );
    assert_eq!(
        listed_meta(store, "alice", &anonymous_key, NOW + 80).await,
        SessionMeta::NONE,
        "a move to a row without metadata drops the old row's"
    );

    // A change of user: the row (and its metadata) on bob's route.
    let (alices, bobs) = (new_key(), key_of(ADMIN, "bob"));
    let mut alice = record(Some("alice"), NOW);
    alice.meta = laptop.clone();
    create(store, &alices, &alice).await;
    let mut to_bob = renewed(&alice, NOW + 90);
    to_bob.user = Some("bob".into());
    assert_eq!(
        move_session(store, &alices, Some(1), &bobs, &to_bob, NOW + 90).await,
        MoveOutcome::Moved
    );
    assert_eq!(
        load(store, &bobs, NOW + 90).await.map(|row| row.meta),
        Some(laptop.clone())
    );
    assert_eq!(listed_meta(store, "bob", &bobs, NOW + 90).await, laptop);
}

/// Checks: a row without metadata reads back without it, from `load` and
/// from `list_user`, beside rows that have it, and a row saved with
/// metadata then updated without it loses it.
pub async fn a_row_without_metadata_reads_back_without_it(store: &dyn SessionStore) {
    let (bare, full) = (new_key(), new_key());
    let without = record(Some("alice"), NOW);
    create(store, &bare, &without).await;
    let mut with = record(Some("alice"), NOW + 1);
    with.meta = meta_from(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), FIREFOX);
    create(store, &full, &with).await;

    let read = load(store, &bare, NOW).await.expect("live");
    assert_eq!(read.meta, SessionMeta::NONE);
    assert!(read.meta.client_addr().is_none() && read.meta.user_agent().is_none());
    let listed = store
        .list_user(ADMIN, "alice", NOW + 1)
        .await
        .expect("store available");
    let metas: Vec<(StoreKey, SessionMeta)> = listed
        .into_iter()
        .map(|session| (session.key, session.meta))
        .collect();
    assert_eq!(
        metas,
        vec![(bare, SessionMeta::NONE), (full, with.meta.clone())]
    );

    // The row holds what the last write gave: the metadata can be cleared.
    let mut cleared = with.clone();
    cleared.revision = 2;
    cleared.meta = SessionMeta::NONE;
    assert_eq!(
        save(store, &full, &cleared, Some(1), NOW + 2).await,
        SaveOutcome::Saved
    );
    assert_eq!(load(store, &full, NOW + 2).await, Some(cleared));
    assert_eq!(
        listed_meta(store, "alice", &full, NOW + 2).await,
        SessionMeta::NONE
    );

    // Anonymous rows keep metadata too (no index, so `load` only).
    let anonymous_key = new_key();
    let mut anonymous = record(None, NOW);
    anonymous.meta = SessionMeta::new(None, Some(FIREFOX));
    create(store, &anonymous_key, &anonymous).await;
    assert_eq!(load(store, &anonymous_key, NOW).await, Some(anonymous));
}

// ------------------------------------------------- hybrid sessions' refresh

/// The refresh type of the refresh checks: store mode, a user, a day's
/// sliding lifetime within a week.
#[derive(Serialize, Deserialize)]
struct RefreshSessionOf {
    user: String,
}

impl SessionPayload for RefreshSessionOf {
    const SPEC: SessionSpec = SessionSpec::builder("RefreshSessionOf", "refresh_sid", "refresh")
        .store()
        .max_age_secs(24 * HOUR)
        .absolute_max_age_secs(7 * 24 * HOUR)
        .build();

    fn session_user(&self) -> Option<String> {
        Some(self.user.clone())
    }
}

/// The lease window of the refresh checks.
const LEASE: u64 = refresh::DEFAULT_LEASE_SECS;

/// A keyring for the refresh checks (its secret matters to no backend).
fn refresh_keyring() -> crate::Keyring {
    crate::Keyring::new(crate::SessionSecret::generate())
}

/// Starts a family for `user` at `now`.
async fn login(
    store: &dyn SessionStore,
    keyring: &crate::Keyring,
    user: &str,
    now: u64,
) -> refresh::RefreshSession {
    let payload = RefreshSessionOf {
        user: user.to_owned(),
    };
    refresh::start(store, keyring, &payload, SessionMeta::NONE, now)
        .await
        .expect("store available")
}

/// Refreshes with the cookie `value` at `now`.
async fn refresh_with(
    store: &dyn SessionStore,
    keyring: &crate::Keyring,
    value: &str,
    now: u64,
) -> refresh::Refreshed {
    refresh::refresh(
        store,
        keyring,
        &RefreshSessionOf::SPEC,
        [value.as_bytes()],
        LEASE,
        now,
    )
    .await
    .expect("store available")
}

/// The rotated session of `outcome`, which must be a rotation.
fn rotated(outcome: refresh::Refreshed) -> (refresh::RefreshSession, bool) {
    match outcome {
        refresh::Refreshed::Rotated { session, shared } => (session, shared),
        other => panic!("expected a rotation, got {other:?}"),
    }
}

/// Checks: racing creates of one key let exactly one win (the lease of a
/// refresh rotation is a create-if-absent save).
pub async fn racing_creates_of_one_key_let_exactly_one_win(store: &dyn SessionStore) {
    for round in 0..RACE_ROUNDS {
        let key = new_key();
        let mut first = record(None, NOW);
        first.data = br#"{"writer":1}"#.to_vec();
        let mut second = record(None, NOW);
        second.data = br#"{"writer":2}"#.to_vec();
        let outcomes = both(
            save(store, &key, &first, None, NOW),
            save(store, &key, &second, None, NOW),
        )
        .await;
        let stored = load(store, &key, NOW).await;
        match outcomes {
            (SaveOutcome::Saved, SaveOutcome::Conflict) => {
                assert_eq!(stored, Some(first), "round {round}");
            }
            (SaveOutcome::Conflict, SaveOutcome::Saved) => {
                assert_eq!(stored, Some(second), "round {round}");
            }
            other => panic!("round {round}: both or neither created the row: {other:?}"),
        }
    }
}

/// Checks: refresh racing refresh shares one rotation: two requests
/// presenting one refresh id at once both get the same new id, one row
/// exists for the login afterwards, and no family is ended.
pub async fn refresh_racing_refresh_shares_one_rotation(store: &dyn SessionStore) {
    let keyring = refresh_keyring();
    for round in 0..RACE_ROUNDS / 5 {
        let user = format!("racer{round}");
        let login = login(store, &keyring, &user, NOW).await;
        let (a, b) = both(
            refresh_with(store, &keyring, &login.cookie.value, NOW + 60),
            refresh_with(store, &keyring, &login.cookie.value, NOW + 60),
        )
        .await;
        let ((a, a_shared), (b, b_shared)) = (rotated(a), rotated(b));
        assert_eq!(a.key, b.key, "round {round}: one rotation");
        assert_ne!(a.key, login.key, "round {round}: a new id");
        assert!(a_shared || b_shared, "round {round}: one of them shared");
        assert_eq!(a.family, login.family, "round {round}: the same family");
        assert_eq!(a.record.created_at, NOW, "round {round}: started_at kept");
        let listed = listed(store, "refresh", &user, NOW + 60).await;
        assert_eq!(
            listed,
            vec![a.key],
            "round {round}: one row, no tombstone listed"
        );
        // Within the lease, a third request with the old id still shares.
        let (c, shared) =
            rotated(refresh_with(store, &keyring, &login.cookie.value, NOW + 61).await);
        assert!(shared, "round {round}");
        assert_eq!(c.key, a.key, "round {round}");
    }
}

/// Checks: refresh replayed after its lease ends the family: the new id
/// stops working too, and the user has no refresh row left.
pub async fn refresh_replayed_after_its_lease_ends_the_family(store: &dyn SessionStore) {
    let keyring = refresh_keyring();
    let login = login(store, &keyring, "alice", NOW).await;
    let (next, shared) =
        rotated(refresh_with(store, &keyring, &login.cookie.value, NOW + 60).await);
    assert!(!shared);
    let replay = refresh_with(store, &keyring, &login.cookie.value, NOW + 60 + LEASE).await;
    match replay {
        refresh::Refreshed::Reused {
            family,
            user,
            ended,
            presented,
        } => {
            assert_eq!(family, login.family);
            assert_eq!(user, "alice");
            assert_eq!(ended, 1);
            assert_eq!(presented.len(), 16);
            assert!(!presented.contains(&login.key.to_hex()));
        }
        other => panic!("expected a reuse, got {other:?}"),
    }
    assert_eq!(load(store, &next.key, NOW + 61 + LEASE).await, None);
    assert!(matches!(
        refresh_with(store, &keyring, &next.cookie.value, NOW + 61 + LEASE).await,
        refresh::Refreshed::Missing(Some(crate::OpenError::Revoked))
    ));
    assert_eq!(
        listed(store, "refresh", "alice", NOW + 61 + LEASE).await,
        vec![]
    );
}

/// Checks: replaying the first refresh id after rotations ends the family.
pub async fn replaying_the_first_refresh_id_after_rotations_ends_the_family(
    store: &dyn SessionStore,
) {
    let keyring = refresh_keyring();
    let first = login(store, &keyring, "alice", NOW).await;
    let mut cookie = first.cookie.value.clone();
    let mut now = NOW;
    for _ in 0..4 {
        now += 15 * 60;
        let (next, shared) = rotated(refresh_with(store, &keyring, &cookie, now).await);
        assert!(!shared);
        assert_eq!(next.family, first.family);
        cookie = next.cookie.value;
    }
    now += 60;
    assert!(matches!(
        refresh_with(store, &keyring, &first.cookie.value, now).await,
        refresh::Refreshed::Reused { ended: 1, .. }
    ));
    assert!(matches!(
        refresh_with(store, &keyring, &cookie, now).await,
        refresh::Refreshed::Missing(Some(crate::OpenError::Revoked))
    ));
}

/// Checks: ending one family leaves the user's other logins, by logout
/// and by reuse.
pub async fn ending_one_family_leaves_the_users_other_logins(store: &dyn SessionStore) {
    let keyring = refresh_keyring();
    let laptop = login(store, &keyring, "alice", NOW).await;
    let phone = login(store, &keyring, "alice", NOW + 1).await;
    let tablet = login(store, &keyring, "alice", NOW + 2).await;
    assert_ne!(laptop.family, phone.family);
    // The phone logs out.
    let ended = refresh::end_current(
        store,
        &keyring,
        &RefreshSessionOf::SPEC,
        [phone.cookie.value.as_bytes()],
        NOW + 10,
    )
    .await
    .expect("store available");
    assert_eq!(ended.as_deref(), Some("alice"));
    // The laptop's family is rotated, then its old id replayed: it ends.
    let (_, _) = rotated(refresh_with(store, &keyring, &laptop.cookie.value, NOW + 20).await);
    assert!(matches!(
        refresh_with(store, &keyring, &laptop.cookie.value, NOW + 20 + LEASE).await,
        refresh::Refreshed::Reused { ended: 1, .. }
    ));
    // The tablet's login stands.
    assert_eq!(
        listed(store, "refresh", "alice", NOW + 30 + LEASE).await,
        vec![tablet.key]
    );
    let (still, shared) =
        rotated(refresh_with(store, &keyring, &tablet.cookie.value, NOW + 40 + LEASE).await);
    assert!(!shared);
    assert_eq!(still.family, tablet.family);
}
