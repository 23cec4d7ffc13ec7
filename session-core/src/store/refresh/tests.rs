//! Unit tests of the refresh side of hybrid sessions: the successor id, the
//! tombstone key, what a rotation costs in store calls, and the cases the
//! conformance checks cannot stage (a rotation interrupted between its
//! lease and its move, a family past its absolute lifetime, bad cookies).

use super::*;
use crate::store::tests::{NOW, Probe, block_on};
use crate::store::{MemoryStore, Move, MoveOutcome, SaveOutcome, SessionStore, StoreFuture};
use crate::{SessionSecret, SessionSpec};

const SPEC: SessionSpec = Refresh::SPEC;

/// The refresh type of these tests.
#[derive(serde::Serialize, serde::Deserialize)]
struct Refresh {
    user: Option<String>,
}

impl SessionPayload for Refresh {
    const SPEC: SessionSpec = SessionSpec::builder("Refresh", "refresh_sid", "refresh")
        .store()
        .max_age_secs(86_400)
        .absolute_max_age_secs(7 * 86_400)
        .build();

    fn session_user(&self) -> Option<String> {
        self.user.clone()
    }
}

const OTHER: SessionSpec = SessionSpec::builder("Other", "other_sid", "other")
    .store()
    .max_age_secs(86_400)
    .build();

fn keyring() -> Keyring {
    Keyring::new(SessionSecret::from_bytes(&[7; 32]).expect("32 bytes"))
}

fn login(store: &dyn SessionStore, keyring: &Keyring, now: u64) -> RefreshSession {
    let payload = Refresh {
        user: Some("alice".into()),
    };
    block_on(start(store, keyring, &payload, SessionMeta::NONE, now)).expect("available")
}

fn refresh_at(store: &dyn SessionStore, keyring: &Keyring, value: &str, now: u64) -> Refreshed {
    block_on(refresh(
        store,
        keyring,
        &SPEC,
        [value.as_bytes()],
        DEFAULT_LEASE_SECS,
        now,
    ))
    .expect("available")
}

fn rotated(outcome: Refreshed) -> (RefreshSession, bool) {
    match outcome {
        Refreshed::Rotated { session, shared } => (session, shared),
        other => panic!("expected a rotation, got {other:?}"),
    }
}

#[test]
fn the_successor_is_keyed_deterministic_and_keeps_the_route() {
    let keyring = keyring();
    let id = SessionId::generate_for("refresh", Some("alice"));
    let next = keyring
        .refresh_successor(&SPEC, &id)
        .expect("secret keyring");
    assert_eq!(next, keyring.refresh_successor(&SPEC, &id).expect("again"));
    assert_ne!(next, id);
    assert_eq!(next.route(), id.route());
    assert_ne!(next.as_bytes()[2..], id.as_bytes()[2..]);
    // Another binding or another secret gives another successor.
    assert_ne!(next, keyring.refresh_successor(&OTHER, &id).expect("other"));
    let stranger = Keyring::new(SessionSecret::from_bytes(&[8; 32]).expect("32 bytes"));
    assert_ne!(
        next,
        stranger.refresh_successor(&SPEC, &id).expect("stranger")
    );
    // The construction, recomputed from the module docs.
    let hkdf = hkdf::Hkdf::<Sha256>::new(Some(wire::HKDF_SALT), &[7; 32]);
    let mut info = b"session-seal/v1 refresh\0".to_vec();
    info.extend_from_slice(&[7]);
    info.extend_from_slice(b"refresh");
    info.extend_from_slice(&[11]);
    info.extend_from_slice(b"refresh_sid");
    let mut key = [0u8; 32];
    hkdf.expand(&info, &mut key).expect("32 bytes");
    let mut mac = <hmac::Hmac<Sha256> as hmac::Mac>::new_from_slice(&key).expect("any length");
    mac.update(id.as_bytes());
    let tag = mac.finalize().into_bytes();
    assert_eq!(next.as_bytes()[2..], tag[2..24]);
    assert_eq!(next.as_bytes()[..2], id.as_bytes()[..2]);
}

#[test]
fn a_verify_only_keyring_has_no_successor() {
    let public = keyring().public_key();
    let verifier = Keyring::verify_only(crate::VerifyingKeyring::new(public));
    let id = SessionId::generate();
    assert!(matches!(
        verifier.refresh_successor(&SPEC, &id),
        Err(SealError::VerifyOnly)
    ));
}

#[test]
fn a_tombstone_never_shares_a_key_with_a_session() {
    let id = SessionId::generate_for("refresh", Some("alice"));
    let tombstone = StoreKey::tombstone("refresh", &id);
    assert_ne!(tombstone, StoreKey::derive("refresh", &id));
    assert_ne!(tombstone, StoreKey::tombstone("other", &id));
    assert_eq!(tombstone.route(), id.route());
}

#[test]
fn a_rotation_costs_one_store_call_more_than_a_renewal() {
    let store = Probe::new();
    let keyring = keyring();
    let first = login(&store, &keyring, NOW);
    store.reset_calls();
    let (next, shared) = rotated(refresh_at(&store, &keyring, &first.cookie.value, NOW + 60));
    assert!(!shared);
    // A store-mode renewal is a load and a move; a rotation adds the lease.
    assert_eq!(store.names(), ["load", "save", "move_session"]);
    assert_eq!(next.family, first.family);
    assert_eq!(next.payload(), br#"{"user":"alice"}"#);
    assert_eq!(next.user(), "alice");
    assert_eq!(next.record.created_at, NOW);
    assert_eq!(next.record.touched_at, NOW + 60);
    assert_eq!(next.record.expires_at, NOW + 60 + 86_400);
    assert_eq!(next.cookie.expires_at, NOW + 60 + 86_400);
    // The old row is a tombstone now, outside the user's index.
    let old_id = keyring
        .open_id_at(&SPEC, &first.cookie.value, NOW + 60)
        .expect("opens")
        .payload;
    let tombstone = block_on(
        store
            .inner
            .load(&StoreKey::tombstone("refresh", &old_id), NOW + 60),
    )
    .expect("available")
    .expect("a tombstone");
    assert_eq!(tombstone.version, TOMBSTONE_VERSION);
    assert_eq!(tombstone.user, None);
    assert_eq!(tombstone.touched_at, NOW + 60);
    assert_eq!(tombstone.expires_at, first.cookie.expires_at);
    assert_eq!(
        read_tombstone(&tombstone),
        Some((first.family, "alice".to_owned()))
    );
    assert_eq!(
        block_on(store.inner.load(&first.key, NOW + 60)).expect("available"),
        None
    );
}

/// A request presents `first`'s cookie at `now`, takes the lease, then its
/// move fails (it is held up, or its process dies): the row is still under
/// the old id, with a tombstone.
fn lease_taken_but_not_moved(store: &Probe, keyring: &Keyring, first: &RefreshSession, now: u64) {
    store.fail(|faults| faults.move_session = true);
    let outcome = block_on(refresh(
        store,
        keyring,
        &SPEC,
        [first.cookie.value.as_bytes()],
        DEFAULT_LEASE_SECS,
        now,
    ));
    assert!(outcome.is_err());
    store.fail(|faults| faults.move_session = false);
}

#[test]
fn a_request_arriving_between_lease_and_move_shares_the_rotation() {
    let store = Probe::new();
    let keyring = keyring();
    let first = login(&store, &keyring, NOW);
    lease_taken_but_not_moved(&store, &keyring, &first, NOW + 60);
    // A second request within the lease shares it and makes the move.
    let (second, shared) = rotated(refresh_at(&store, &keyring, &first.cookie.value, NOW + 61));
    assert!(shared);
    // The first request's retry gets the same new id.
    let (again, shared) = rotated(refresh_at(&store, &keyring, &first.cookie.value, NOW + 62));
    assert!(shared);
    assert_eq!(again.key, second.key);
}

#[test]
fn an_interrupted_rotation_is_finished_after_the_lease_not_taken_for_a_theft() {
    let store = Probe::new();
    let keyring = keyring();
    let first = login(&store, &keyring, NOW);
    lease_taken_but_not_moved(&store, &keyring, &first, NOW + 60);
    let later = NOW + 60 + DEFAULT_LEASE_SECS + 100;
    let (next, shared) = rotated(refresh_at(&store, &keyring, &first.cookie.value, later));
    assert!(!shared, "the lease was taken over");
    // Taken over by a compare-and-set: the tombstone's next revision.
    let old_id = keyring
        .open_id_at(&SPEC, &first.cookie.value, later)
        .expect("opens")
        .payload;
    let tombstone = block_on(
        store
            .inner
            .load(&StoreKey::tombstone("refresh", &old_id), later),
    )
    .expect("available")
    .expect("a tombstone");
    assert_eq!(tombstone.revision, 2);
    assert_eq!(tombstone.touched_at, later);
    assert_eq!(next.family, first.family);
    // And the rotation counts from now: a replay within the new lease shares.
    let (again, shared) = rotated(refresh_at(&store, &keyring, &first.cookie.value, later + 1));
    assert!(shared);
    assert_eq!(again.key, next.key);
}

#[test]
fn a_family_past_its_absolute_lifetime_ends_at_its_next_refresh() {
    let store = MemoryStore::new();
    let keyring = keyring();
    let mut session = login(&store, &keyring, NOW);
    // Refreshed every 20 hours, it slides for a week and no longer.
    let mut now = NOW;
    loop {
        now += 20 * 3600;
        match refresh_at(&store, &keyring, &session.cookie.value, now) {
            Refreshed::Rotated { session: next, .. } => {
                assert!(now < NOW + 7 * 86_400);
                assert!(next.cookie.expires_at <= NOW + 7 * 86_400);
                session = next;
            }
            Refreshed::Missing(Some(OpenError::Expired { .. })) => break,
            other => panic!("at {now}: {other:?}"),
        }
    }
    assert!(now >= NOW + 7 * 86_400 - 20 * 3600);
    assert!(
        block_on(store.list_user("refresh", "alice", now))
            .expect("available")
            .is_empty()
    );
}

#[test]
fn bad_cookies_cost_no_store_call() {
    let store = Probe::new();
    let keyring = keyring();
    let first = login(&store, &keyring, NOW);
    store.reset_calls();
    let mut tampered = first.cookie.value.clone().into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let outcome = block_on(refresh(
        &store,
        &keyring,
        &SPEC,
        [tampered.as_slice(), b"\xff\xfe".as_slice(), b"".as_slice()],
        DEFAULT_LEASE_SECS,
        NOW + 60,
    ))
    .expect("available");
    assert!(matches!(outcome, Refreshed::Missing(Some(_))));
    assert!(store.names().is_empty());
    // No cookie at all: nothing to say.
    let none: [&[u8]; 0] = [];
    let outcome = block_on(refresh(
        &store,
        &keyring,
        &SPEC,
        none,
        DEFAULT_LEASE_SECS,
        NOW,
    ))
    .expect("available");
    assert!(matches!(outcome, Refreshed::Missing(None)));
}

#[test]
fn a_store_error_is_an_error_never_a_missing_session() {
    let store = Probe::new();
    let keyring = keyring();
    let first = login(&store, &keyring, NOW);
    store.fail(|faults| faults.load = true);
    assert!(
        block_on(refresh(
            &store,
            &keyring,
            &SPEC,
            [first.cookie.value.as_bytes()],
            DEFAULT_LEASE_SECS,
            NOW + 60
        ))
        .is_err()
    );
}

#[test]
fn row_data_carries_the_family_before_the_payload() {
    let family = FamilyId::generate();
    let data = row_data(&family, b"{}");
    assert_eq!(split_row(&data), Some((family, b"{}".as_slice())));
    assert_eq!(split_row(&data[..FAMILY_ID_LEN - 1]), None);
    assert_ne!(family, FamilyId::generate());
    let shown = format!("{family:?}");
    assert_eq!(shown, format!("FamilyId({})", family.correlation()));
    assert_eq!(family.correlation().len(), 16);
}

#[test]
fn ending_the_current_login_deletes_its_row_only() {
    let store = MemoryStore::new();
    let keyring = keyring();
    let laptop = login(&store, &keyring, NOW);
    let phone = login(&store, &keyring, NOW);
    let user = block_on(end_current(
        &store,
        &keyring,
        &SPEC,
        [b"junk".as_slice(), laptop.cookie.value.as_bytes()],
        NOW + 1,
    ))
    .expect("available");
    assert_eq!(user.as_deref(), Some("alice"));
    let left: Vec<StoreKey> = block_on(store.list_user("refresh", "alice", NOW + 1))
        .expect("available")
        .into_iter()
        .map(|session| session.key)
        .collect();
    assert_eq!(left, vec![phone.key]);
    let again = block_on(end_current(
        &store,
        &keyring,
        &SPEC,
        [laptop.cookie.value.as_bytes()],
        NOW + 2,
    ))
    .expect("available");
    assert_eq!(again, None);
}

#[test]
fn a_login_must_name_its_user() {
    let store = MemoryStore::new();
    let anonymous = Refresh { user: None };
    let started = block_on(start(
        &store,
        &keyring(),
        &anonymous,
        SessionMeta::NONE,
        NOW,
    ));
    assert!(matches!(started, Err(StartError::MissingUser)));
}

#[test]
fn only_an_anonymous_row_of_version_zero_reads_as_a_tombstone() {
    let family = FamilyId::generate();
    let tombstone = Record {
        namespace: "refresh".into(),
        user: None,
        version: TOMBSTONE_VERSION,
        data: row_data(&family, b"alice"),
        revision: 1,
        created_at: NOW,
        touched_at: NOW,
        expires_at: NOW + 60,
        meta: SessionMeta::NONE,
    };
    assert_eq!(
        read_tombstone(&tombstone),
        Some((family, "alice".to_owned()))
    );
    let with_user = Record {
        user: Some("alice".into()),
        ..tombstone.clone()
    };
    assert_eq!(read_tombstone(&with_user), None);
    let a_session = Record {
        version: 1,
        ..tombstone.clone()
    };
    assert_eq!(read_tombstone(&a_session), None);
    let too_short = Record {
        data: vec![0; FAMILY_ID_LEN - 1],
        ..tombstone.clone()
    };
    assert_eq!(read_tombstone(&too_short), None);
    let not_utf8 = Record {
        data: row_data(&family, b"\xff"),
        ..tombstone
    };
    assert_eq!(read_tombstone(&not_utf8), None);
}

#[test]
fn within_the_lease_only_a_successor_of_the_same_family_is_shared() {
    let store = MemoryStore::new();
    let keyring = keyring();
    let first = login(&store, &keyring, NOW);
    let (next, _) = rotated(refresh_at(&store, &keyring, &first.cookie.value, NOW + 60));
    // The successor's row now holds another family (it cannot happen
    // unless a store is tampered with): the old id is not served it.
    let mut other = next.record.clone();
    other.data = row_data(&FamilyId::generate(), next.payload());
    other.revision += 1;
    let saved = block_on(store.save(&next.key, &other, Some(next.record.revision), NOW + 60));
    assert_eq!(saved.expect("available"), SaveOutcome::Saved);
    assert!(matches!(
        refresh_at(&store, &keyring, &first.cookie.value, NOW + 61),
        Refreshed::Missing(Some(OpenError::Revoked))
    ));
}

/// A [`MemoryStore`] that, when `from` is first loaded, moves its row to
/// `to` before answering: a rotation landing between a listing and a read.
struct Racing {
    inner: MemoryStore,
    pending: std::sync::Mutex<Option<Move>>,
}

impl SessionStore for Racing {
    fn load<'a>(&'a self, key: &'a StoreKey, now: u64) -> StoreFuture<'a, Option<Record>> {
        let change = self
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take_if(|change| change.from() == key);
        Box::pin(async move {
            if let Some(change) = change {
                assert_eq!(self.inner.move_session(&change).await?, MoveOutcome::Moved);
            }
            self.inner.load(key, now).await
        })
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
        self.inner.move_session(change)
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
    ) -> StoreFuture<'a, Vec<crate::store::UserSession>> {
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

#[test]
fn ending_a_family_finds_a_row_a_racing_rotation_moved() {
    let store = Racing {
        inner: MemoryStore::new(),
        pending: std::sync::Mutex::new(None),
    };
    let keyring = keyring();
    let first = login(&store, &keyring, NOW);
    let to = StoreKey::derive(
        "refresh",
        &SessionId::generate_for("refresh", Some("alice")),
    );
    let change = Move::new(first.key, Some(1), to, first.record.clone(), NOW).expect("routed");
    *store.pending.lock().expect("unpoisoned") = Some(change);
    let ended = block_on(end_family(&store, &SPEC, "alice", first.family, NOW + 1));
    assert_eq!(ended.expect("available"), 1);
    assert!(
        block_on(store.list_user("refresh", "alice", NOW + 1))
            .expect("available")
            .is_empty()
    );
}
