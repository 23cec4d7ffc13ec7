//! Unit tests of store mode within one request: [`load`], the changes a
//! handler makes and [`flush`], on a [`Probe`] over the memory store.
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};

use super::*;
use crate::store::tests::{Account, NOW, Probe, account, block_on, create, row};
use crate::{SessionSecret, peek_key_id};

const SPEC: SessionSpec = Account::SPEC;

fn keyring() -> Keyring {
    Keyring::new(SessionSecret::from_bytes(&[1; 32]).expect("32 bytes"))
}

/// The adapter's side of a flush: the state behind a lock, and how often
/// it was told that the session was written.
struct Access {
    state: Mutex<StoreState>,
    written: AtomicUsize,
}

impl Access {
    fn new(state: StoreState) -> Self {
        Access {
            state: Mutex::new(state),
            written: AtomicUsize::new(0),
        }
    }

    fn written(&self) -> usize {
        self.written.load(Ordering::SeqCst)
    }

    fn state<R>(&self, f: impl FnOnce(&mut StoreState) -> R) -> R {
        f(&mut self.state.lock().expect("not poisoned"))
    }
}

impl FlushAccess for Access {
    fn with_state<R>(&self, f: impl FnOnce(&mut StoreState) -> R) -> R {
        self.state(f)
    }

    fn written(&self) {
        self.written.fetch_add(1, Ordering::SeqCst);
    }
}

fn flush_at(store: &Probe, access: &Access, now: u64) -> Result<(), FlushError> {
    block_on(flush(store, &SPEC, access, now))
}

/// A new session of `value` written at `now`: its cookie and its key.
fn login(store: &Probe, value: &Account, now: u64) -> (IdCookie, StoreKey) {
    let access = Access::new(StoreState::default());
    let cookie = access
        .state(|state| state.insert(&keyring(), value, now))
        .expect("seals");
    flush_at(store, &access, now).expect("written");
    let key = access.state(|state| state.key()).expect("a session");
    (cookie, key)
}

fn load_values(
    store: &Probe,
    keyring: &Keyring,
    cookies: &[&str],
    now: u64,
) -> Result<Loaded<Account>, StoreError> {
    block_on(load::<Account>(
        store,
        keyring,
        cookies.iter().map(|cookie| cookie.as_bytes()),
        now,
    ))
}

/// Loads a session that must be found: its state, value and reissue.
fn found(
    store: &Probe,
    keyring: &Keyring,
    cookies: &[&str],
    now: u64,
) -> (StoreState, Account, Option<IdCookie>) {
    match load_values(store, keyring, cookies, now).expect("store available") {
        Loaded::Found {
            state,
            value,
            reissue,
        } => (*state, value, reissue),
        Loaded::Missing(error) => panic!("no session: {error:?}"),
    }
}

/// Loads where no session must be found: why.
fn missing(store: &Probe, cookies: &[&str], now: u64) -> Option<OpenError> {
    match load_values(store, &keyring(), cookies, now).expect("store available") {
        Loaded::Found { .. } => panic!("found a session"),
        Loaded::Missing(error) => error,
    }
}

/// A genuine cookie of a session id that has no row.
fn cookie_without_row(now: u64) -> String {
    keyring()
        .seal_id_at(&SPEC, &SessionId::generate(), now, now)
        .expect("seals")
}

fn alice(visits: u32) -> Account {
    account(Some("alice"), visits)
}

// ---------------------------------------------------------------- load

#[test]
fn a_login_writes_a_row_that_its_cookie_loads() {
    let store = Probe::new();
    let access = Access::new(StoreState::default());
    let cookie = access
        .state(|state| state.insert(&keyring(), &alice(1), NOW))
        .expect("seals");
    assert_eq!(cookie.expires_at, NOW + 3600);
    assert_eq!(
        format!("{cookie:?}"),
        format!(
            "IdCookie {{ value: \"<redacted>\", expires_at: {} }}",
            NOW + 3600
        )
    );
    access.state(|state| {
        assert!(state.has_work());
        let record = state.record().expect("the new session");
        assert_eq!(record.revision, 0, "not written yet");
        assert_eq!(
            (record.created_at, record.touched_at, record.expires_at),
            (NOW, NOW, NOW + 3600)
        );
        assert_eq!(record.user.as_deref(), Some("alice"));
        assert_eq!(state.decode::<Account>(), Some(alice(1)));
    });
    flush_at(&store, &access, NOW).expect("written");
    assert_eq!(access.written(), 1);
    assert_eq!((store.count("save"), store.count("move_session")), (1, 0));
    let key = access.state(|state| {
        assert!(!state.has_work());
        assert_eq!(state.record().map(|record| record.revision), Some(1));
        state.key().expect("a session")
    });
    assert_eq!(key.route(), StoreKey::user_route("acct", "alice"));
    let stored = store.row(&key, NOW).expect("written");
    assert_eq!(stored.revision, 1);
    assert_eq!(
        Some(&stored),
        access.state(|state| state.record().cloned()).as_ref()
    );

    let (state, value, reissue) = found(&store, &keyring(), &[&cookie.value], NOW + 1);
    assert_eq!(value, alice(1));
    assert!(reissue.is_none(), "a fresh cookie is not sent again");
    assert_eq!(state.key(), Some(key));
    assert_eq!(state.record(), Some(&stored));
    assert!(!state.has_work());
    assert_eq!(store.keys("load"), vec![key]);
}

#[test]
fn no_cookie_is_no_session_and_the_first_unusable_cookie_says_why() {
    let store = Probe::new();
    let (live, _) = login(&store, &alice(1), NOW);
    assert_eq!(missing(&store, &[], NOW), None);
    let not_utf8 = load_values(&store, &keyring(), &[], NOW);
    assert!(matches!(not_utf8, Ok(Loaded::Missing(None))));
    let outcome = block_on(load::<Account>(&store, &keyring(), [&b"\xff"[..]], NOW));
    assert!(matches!(
        outcome,
        Ok(Loaded::Missing(Some(OpenError::Malformed)))
    ));
    let revoked = cookie_without_row(NOW);
    assert_eq!(missing(&store, &[&revoked], NOW), Some(OpenError::Revoked));
    assert_eq!(
        missing(&store, &["garbage", &revoked], NOW),
        Some(OpenError::Malformed),
        "the first error is kept"
    );
    assert_eq!(
        missing(&store, &[&revoked, "garbage"], NOW),
        Some(OpenError::Revoked)
    );
    // Unusable cookies before a usable one are skipped.
    let (_, value, _) = found(&store, &keyring(), &["garbage", &revoked, &live.value], NOW);
    assert_eq!(value, alice(1));
}

#[test]
fn each_distinct_id_is_looked_up_once_and_at_most_four_per_request() {
    let store = Probe::new();
    let (live, key) = login(&store, &alice(1), NOW);
    // One dead cookie sent three times, then the live one: two look-ups.
    let dead = cookie_without_row(NOW);
    store.reset_calls();
    let (_, value, _) = found(&store, &keyring(), &[&dead, &dead, &dead, &live.value], NOW);
    assert_eq!(value, alice(1));
    assert_eq!(store.count("load"), 2);
    // Four distinct dead ids use up the look-ups: the live one is not read.
    let dead: Vec<String> = (0..MAX_STORE_LOOKUPS)
        .map(|_| cookie_without_row(NOW))
        .collect();
    let mut cookies: Vec<&str> = dead.iter().map(String::as_str).collect();
    cookies.push(&live.value);
    store.reset_calls();
    assert_eq!(missing(&store, &cookies, NOW), Some(OpenError::Revoked));
    assert_eq!(store.count("load"), MAX_STORE_LOOKUPS);
    assert!(!store.keys("load").contains(&key));
    // Three distinct dead ids leave the fourth look-up for the live one.
    cookies.remove(0);
    store.reset_calls();
    let (_, value, _) = found(&store, &keyring(), &cookies, NOW);
    assert_eq!(value, alice(1));
    assert_eq!(store.count("load"), MAX_STORE_LOOKUPS);
}

#[test]
fn a_store_error_while_loading_is_an_error_not_a_missing_session() {
    let store = Probe::new();
    let (live, _) = login(&store, &alice(1), NOW);
    store.fail(|faults| faults.load = true);
    assert!(load_values(&store, &keyring(), &[&live.value], NOW).is_err());
}

#[test]
fn a_row_of_another_namespace_or_with_unreadable_data_is_malformed() {
    let store = Probe::new();
    let keyring = keyring();
    let other_id = SessionId::generate();
    let other = keyring
        .seal_id_at(&SPEC, &other_id, NOW, NOW)
        .expect("seals");
    create(
        &store,
        &StoreKey::derive("acct", &other_id),
        &Record {
            namespace: "other".into(),
            ..row(None, NOW)
        },
    );
    let broken_id = SessionId::generate();
    let broken = keyring
        .seal_id_at(&SPEC, &broken_id, NOW, NOW)
        .expect("seals");
    create(
        &store,
        &StoreKey::derive("acct", &broken_id),
        &Record {
            data: b"[1,2".to_vec(),
            ..row(None, NOW)
        },
    );
    assert_eq!(missing(&store, &[&other], NOW), Some(OpenError::Malformed));
    assert_eq!(missing(&store, &[&broken], NOW), Some(OpenError::Malformed));
    // The row as it should be opens, after both.
    let (live, _) = login(&store, &alice(3), NOW);
    let (_, value, _) = found(&store, &keyring, &[&other, &broken, &live.value], NOW);
    assert_eq!(value, alice(3));
}

#[test]
fn a_row_is_touched_once_touch_after_has_passed_and_its_cookie_resent() {
    let store = Probe::new();
    let (cookie, key) = login(&store, &alice(1), NOW);
    // 599 s after the last touch: no touch, nothing to resend.
    let (state, _, reissue) = found(&store, &keyring(), &[&cookie.value], NOW + 599);
    assert_eq!(store.count("touch"), 0);
    assert!(reissue.is_none());
    assert_eq!(
        state.record().map(|record| record.expires_at),
        Some(NOW + 3600)
    );
    // At 600 s: touched to `now + max_age`, and the cookie (which would die
    // first) is sealed again to match.
    let (state, _, reissue) = found(&store, &keyring(), &[&cookie.value], NOW + 600);
    assert_eq!(store.keys("touch"), vec![key]);
    let record = state.record().expect("loaded");
    assert_eq!(
        (record.touched_at, record.expires_at),
        (NOW + 600, NOW + 4200)
    );
    let stored = store.row(&key, NOW + 600).expect("live");
    assert_eq!(
        (stored.touched_at, stored.expires_at),
        (NOW + 600, NOW + 4200)
    );
    assert!(!state.has_work(), "a touch is not a change to write");
    let reissue = reissue.expect("resent");
    assert_eq!(reissue.expires_at, NOW + 4200);
    let reopened = keyring()
        .open_id_at(&SPEC, &reissue.value, NOW + 4199)
        .expect("opens until the row's expiry");
    assert_eq!(reopened.started_at, NOW, "the session keeps its start");
    assert_eq!(StoreKey::derive("acct", &reopened.payload), key);
}

#[test]
fn a_cookie_that_would_die_before_its_row_is_resealed_whatever_touch_after_says() {
    let store = Probe::new();
    let (cookie, key) = login(&store, &alice(1), NOW);
    // A touch whose response was lost: the row lives longer than the cookie.
    assert!(block_on(store.inner.touch(&key, NOW + 100 + 3600, NOW + 100)).expect("memory"));
    store.reset_calls();
    let (state, _, reissue) = found(&store, &keyring(), &[&cookie.value], NOW + 101);
    assert_eq!(
        store.count("touch"),
        1,
        "touched though touch_after has not passed"
    );
    assert_eq!(
        state.record().map(|record| record.expires_at),
        Some(NOW + 101 + 3600)
    );
    assert_eq!(
        reissue.map(|cookie| cookie.expires_at),
        Some(NOW + 101 + 3600)
    );
}

#[test]
fn a_cookie_under_a_previous_key_is_resealed_under_the_primary() {
    let store = Probe::new();
    let (cookie, key) = login(&store, &alice(1), NOW);
    let old = keyring();
    let rotated = Keyring::new(SessionSecret::from_bytes(&[2; 32]).expect("32 bytes"))
        .with_previous(SessionSecret::from_bytes(&[1; 32]).expect("32 bytes"));
    // Only a second later: neither touch_after nor a lagging cookie asks for it.
    let (state, _, reissue) = found(&store, &rotated, &[&cookie.value], NOW + 1);
    assert_eq!(store.count("touch"), 1, "touched to match the new cookie");
    assert_eq!(
        state.record().map(|record| record.expires_at),
        Some(NOW + 3601)
    );
    let reissue = reissue.expect("resealed");
    assert_eq!(reissue.expires_at, NOW + 3601);
    assert_eq!(peek_key_id(&reissue.value), Some(rotated.primary_key_id()));
    assert_ne!(rotated.primary_key_id(), old.primary_key_id());
    let reopened = rotated
        .open_id_at(&SPEC, &reissue.value, NOW + 2)
        .expect("opens");
    assert!(!reopened.previous_key);
    assert_eq!(StoreKey::derive("acct", &reopened.payload), key);
}

/// `Account` with an absolute lifetime 400 s past its idle one.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Capped {
    visits: u32,
}

impl SessionPayload for Capped {
    const SPEC: SessionSpec = SessionSpec::builder("Capped", "capped", "capped")
        .store()
        .max_age_secs(3600)
        .touch_after_secs(600)
        .absolute_max_age_secs(4000)
        .build();
}

#[test]
fn at_the_absolute_cap_a_row_is_no_longer_touched() {
    let store = Probe::new();
    let keyring = keyring();
    let access = Access::new(StoreState::default());
    let cookie = access
        .state(|state| state.insert(&keyring, &Capped { visits: 1 }, NOW))
        .expect("seals");
    block_on(flush(&store, &Capped::SPEC, &access, NOW)).expect("written");
    let load_capped = |now: u64| match block_on(load::<Capped>(
        &store,
        &keyring,
        [cookie.value.as_bytes()],
        now,
    )) {
        Ok(Loaded::Found { state, reissue, .. }) => (state, reissue),
        _ => panic!("no session"),
    };
    // 700 s in: touched up to the cap (NOW + 4000), not to now + max_age.
    let (state, reissue) = load_capped(NOW + 700);
    assert_eq!(store.count("touch"), 1);
    assert_eq!(
        state.record().map(|record| record.expires_at),
        Some(NOW + 4000)
    );
    assert_eq!(reissue.map(|cookie| cookie.expires_at), Some(NOW + 4000));
    // 1400 s in: due again, and the first cookie lags, but the row is at
    // the cap already: no touch, and the resent cookie stops at the cap.
    let (state, reissue) = load_capped(NOW + 1400);
    assert_eq!(store.count("touch"), 1, "nothing to extend");
    assert_eq!(
        state.record().map(|record| record.expires_at),
        Some(NOW + 4000)
    );
    assert_eq!(reissue.map(|cookie| cookie.expires_at), Some(NOW + 4000));
}

#[test]
fn a_touch_that_fails_or_finds_nothing_leaves_the_row_as_loaded() {
    for fault in [
        (|faults: &mut crate::store::tests::Faults| faults.touch = true) as fn(&mut _),
        |faults| faults.touch_finds_nothing = true,
    ] {
        let store = Probe::new();
        let (cookie, key) = login(&store, &alice(1), NOW);
        store.fail(fault);
        let (state, value, reissue) = found(&store, &keyring(), &[&cookie.value], NOW + 600);
        assert_eq!(value, alice(1), "the session is still valid");
        assert_eq!(store.keys("touch"), vec![key]);
        let record = state.record().expect("loaded");
        assert_eq!((record.touched_at, record.expires_at), (NOW, NOW + 3600));
        assert!(reissue.is_none(), "the cookie still matches the row");
    }
}

// ---------------------------------------------------------------- flush

#[test]
fn an_update_saves_under_the_same_id_at_the_next_revision() {
    let store = Probe::new();
    let (cookie, key) = login(&store, &alice(1), NOW);
    let (state, _, _) = found(&store, &keyring(), &[&cookie.value], NOW + 5);
    let access = Access::new(state);
    let updated = access
        .state(|state| state.update(&keyring(), &alice(2), NOW + 10))
        .expect("seals");
    assert_eq!(updated.expires_at, NOW + 10 + 3600);
    let reopened = keyring()
        .open_id_at(&SPEC, &updated.value, NOW + 10)
        .expect("opens");
    assert_eq!(StoreKey::derive("acct", &reopened.payload), key, "same id");
    assert_eq!(reopened.started_at, NOW, "the session keeps its start");
    assert!(access.state(|state| state.has_work()));
    store.reset_calls();
    flush_at(&store, &access, NOW + 10).expect("written");
    assert_eq!(access.written(), 1);
    assert_eq!(store.keys("save"), vec![key]);
    assert_eq!(store.count("move_session"), 0);
    assert_eq!(store.count("list_user"), 0, "not a new row: no cap");
    let stored = store.row(&key, NOW + 10).expect("live");
    assert_eq!(stored.revision, 2);
    assert_eq!(
        (stored.created_at, stored.touched_at, stored.expires_at),
        (NOW, NOW + 10, NOW + 3610)
    );
    assert_eq!(
        serde_json::from_slice::<Account>(&stored.data).expect("json"),
        alice(2)
    );
    access.state(|state| {
        assert!(!state.has_work());
        assert_eq!(state.record(), Some(&stored));
    });
    // A second change in the same request saves at the revision written.
    access
        .state(|state| state.update(&keyring(), &alice(3), NOW + 11))
        .expect("seals");
    flush_at(&store, &access, NOW + 11).expect("written");
    assert_eq!(store.row(&key, NOW + 11).map(|row| row.revision), Some(3));
    assert_eq!(access.written(), 2);
}

#[test]
fn an_update_after_another_writer_conflicts_and_stays_pending() {
    let store = Probe::new();
    let (cookie, key) = login(&store, &alice(1), NOW);
    let (first, _, _) = found(&store, &keyring(), &[&cookie.value], NOW);
    let (second, _, _) = found(&store, &keyring(), &[&cookie.value], NOW);
    let (first, second) = (Access::new(first), Access::new(second));
    first
        .state(|state| state.update(&keyring(), &alice(2), NOW))
        .expect("seals");
    flush_at(&store, &first, NOW).expect("written");
    second
        .state(|state| state.update(&keyring(), &alice(3), NOW))
        .expect("seals");
    assert!(matches!(
        flush_at(&store, &second, NOW),
        Err(FlushError::Conflict)
    ));
    assert_eq!(second.written(), 0);
    assert!(second.state(|state| state.has_work()), "still pending");
    let stored = store.row(&key, NOW).expect("live");
    assert_eq!(
        serde_json::from_slice::<Account>(&stored.data).expect("json"),
        alice(2),
        "the first writer's change stands"
    );
}

#[test]
fn a_change_of_user_moves_the_session_to_the_new_users_route() {
    let store = Probe::new();
    let (cookie, old_key) = login(&store, &alice(1), NOW);
    let (state, _, _) = found(&store, &keyring(), &[&cookie.value], NOW);
    let access = Access::new(state);
    // The same user, or none, stays where it is.
    access
        .state(|state| state.update(&keyring(), &alice(2), NOW))
        .expect("seals");
    assert_eq!(access.state(|state| state.key()), Some(old_key));
    access
        .state(|state| state.update(&keyring(), &account(None, 2), NOW))
        .expect("seals");
    assert_eq!(access.state(|state| state.key()), Some(old_key));
    // Another user moves it to a fresh id on that user's route.
    let moved = access
        .state(|state| state.update(&keyring(), &account(Some("bob"), 3), NOW + 1))
        .expect("seals");
    let new_key = access.state(|state| state.key()).expect("a session");
    assert_ne!(new_key, old_key);
    assert_eq!(new_key.route(), StoreKey::user_route("acct", "bob"));
    let reopened = keyring()
        .open_id_at(&SPEC, &moved.value, NOW + 1)
        .expect("opens");
    assert_eq!(StoreKey::derive("acct", &reopened.payload), new_key);
    store.reset_calls();
    flush_at(&store, &access, NOW + 1).expect("written");
    assert_eq!(store.keys("move_session"), vec![new_key]);
    assert_eq!(store.count("save"), 0);
    assert_eq!(store.count("list_user"), 1, "a new row: the cap applies");
    assert_eq!(store.row(&old_key, NOW + 1), None);
    let stored = store.row(&new_key, NOW + 1).expect("moved");
    assert_eq!(stored.revision, 2, "the same session, one revision on");
    assert_eq!(stored.user.as_deref(), Some("bob"));
    assert_eq!(stored.created_at, NOW);
    assert_eq!(access.written(), 1);
    // Written: the next change saves in place at the next revision.
    access
        .state(|state| state.update(&keyring(), &account(Some("bob"), 4), NOW + 2))
        .expect("seals");
    store.reset_calls();
    flush_at(&store, &access, NOW + 2).expect("written");
    assert_eq!(store.keys("save"), vec![new_key]);
    assert_eq!(
        store.row(&new_key, NOW + 2).map(|row| row.revision),
        Some(3)
    );
}

#[test]
fn a_login_over_a_session_replaces_its_row_whatever_its_revision() {
    let store = Probe::new();
    let (cookie, old_key) = login(&store, &alice(1), NOW);
    let (state, _, _) = found(&store, &keyring(), &[&cookie.value], NOW);
    // Another request changes the row meanwhile.
    let mut changed = store.row(&old_key, NOW).expect("live");
    changed.revision = 2;
    assert_eq!(
        block_on(store.save(&old_key, &changed, Some(1), NOW)).expect("available"),
        SaveOutcome::Saved
    );
    let access = Access::new(state);
    let cookie = access
        .state(|state| state.insert(&keyring(), &alice(9), NOW + 1))
        .expect("seals");
    let new_key = access.state(|state| state.key()).expect("a session");
    assert_ne!(new_key, old_key);
    flush_at(&store, &access, NOW + 1).expect("written");
    assert_eq!(store.keys("move_session"), vec![new_key]);
    assert_eq!(store.row(&old_key, NOW + 1), None);
    let stored = store.row(&new_key, NOW + 1).expect("written");
    assert_eq!((stored.revision, stored.created_at), (1, NOW + 1));
    let (_, value, _) = found(&store, &keyring(), &[&cookie.value], NOW + 2);
    assert_eq!(value, alice(9));
}

#[test]
fn a_renewal_moves_the_row_to_a_fresh_id_on_its_route() {
    let store = Probe::new();
    let (cookie, old_key) = login(&store, &alice(1), NOW);
    let (state, _, _) = found(&store, &keyring(), &[&cookie.value], NOW + 10);
    let access = Access::new(state);
    let renewed = access
        .state(|state| state.renew(&keyring(), &SPEC, NOW + 20))
        .expect("seals")
        .expect("a session to renew");
    assert_eq!(renewed.expires_at, NOW + 20 + 3600);
    let new_key = access.state(|state| state.key()).expect("a session");
    assert_ne!(new_key, old_key);
    assert_eq!(new_key.route(), old_key.route());
    access.state(|state| {
        let record = state.record().expect("a session");
        assert_eq!(
            (record.touched_at, record.expires_at),
            (NOW + 20, NOW + 3620)
        );
    });
    flush_at(&store, &access, NOW + 20).expect("written");
    assert_eq!(
        store.row(&old_key, NOW + 20),
        None,
        "the old cookie stops working"
    );
    let stored = store.row(&new_key, NOW + 20).expect("moved");
    assert_eq!(stored.revision, 2);
    assert_eq!(
        (stored.created_at, stored.touched_at, stored.expires_at),
        (NOW, NOW + 20, NOW + 3620)
    );
    assert_eq!(
        missing(&store, &[&cookie.value], NOW + 21),
        Some(OpenError::Revoked)
    );
    let (_, value, _) = found(&store, &keyring(), &[&renewed.value], NOW + 21);
    assert_eq!(value, alice(1));
    // Renewed and written: a further renewal moves from the new row.
    access
        .state(|state| state.renew(&keyring(), &SPEC, NOW + 30))
        .expect("seals")
        .expect("a session");
    flush_at(&store, &access, NOW + 30).expect("written");
    assert_eq!(store.row(&new_key, NOW + 30), None);
    let newest = access.state(|state| state.key()).expect("a session");
    assert_eq!(
        store.row(&newest, NOW + 30).map(|row| row.revision),
        Some(3)
    );
    // Nothing to renew without a session.
    let mut empty = StoreState::default();
    assert!(matches!(empty.renew(&keyring(), &SPEC, NOW), Ok(None)));
}

#[test]
fn a_renewal_past_the_absolute_lifetime_fails_and_changes_nothing() {
    let store = Probe::new();
    let keyring = keyring();
    let access = Access::new(StoreState::default());
    access
        .state(|state| state.insert(&keyring, &Capped { visits: 1 }, NOW))
        .expect("seals");
    block_on(flush(&store, &Capped::SPEC, &access, NOW)).expect("written");
    let key = access.state(|state| state.key());
    let renewed = access.state(|state| state.renew(&keyring, &Capped::SPEC, NOW + 4000));
    assert!(
        matches!(renewed, Err(SealError::Expired { .. })),
        "{renewed:?}"
    );
    access.state(|state| {
        assert_eq!(state.key(), key);
        assert!(!state.has_work());
    });
}

#[test]
fn a_renewal_whose_row_ended_meanwhile_is_revoked() {
    let store = Probe::new();
    let (cookie, key) = login(&store, &alice(1), NOW);
    let (state, _, _) = found(&store, &keyring(), &[&cookie.value], NOW);
    let access = Access::new(state);
    access
        .state(|state| state.renew(&keyring(), &SPEC, NOW + 1))
        .expect("seals");
    assert!(
        block_on(store.delete(&key)).expect("available"),
        "a logout lands"
    );
    assert!(matches!(
        flush_at(&store, &access, NOW + 1),
        Err(FlushError::Revoked)
    ));
    assert_eq!(access.written(), 0);
    access.state(|state| {
        assert!(state.record().is_none(), "no session any more");
        assert!(!state.has_work());
    });
    assert!(
        block_on(store.list_user("acct", "alice", NOW + 1))
            .expect("available")
            .is_empty()
    );
}

#[test]
fn a_renewal_racing_an_update_conflicts() {
    let store = Probe::new();
    let (cookie, key) = login(&store, &alice(1), NOW);
    let (updater, _, _) = found(&store, &keyring(), &[&cookie.value], NOW);
    let (renewer, _, _) = found(&store, &keyring(), &[&cookie.value], NOW);
    let (updater, renewer) = (Access::new(updater), Access::new(renewer));
    updater
        .state(|state| state.update(&keyring(), &alice(2), NOW))
        .expect("seals");
    flush_at(&store, &updater, NOW).expect("written");
    renewer
        .state(|state| state.renew(&keyring(), &SPEC, NOW))
        .expect("seals");
    assert!(matches!(
        flush_at(&store, &renewer, NOW),
        Err(FlushError::Conflict)
    ));
    assert!(renewer.state(|state| state.has_work()));
    assert_eq!(store.row(&key, NOW).map(|row| row.revision), Some(2));
}

#[test]
fn remove_deletes_the_row_at_the_flush_and_a_failed_delete_stays_pending() {
    let store = Probe::new();
    let (cookie, key) = login(&store, &alice(1), NOW);
    let (state, _, _) = found(&store, &keyring(), &[&cookie.value], NOW);
    let access = Access::new(state);
    access.state(|state| {
        state.remove();
        assert!(state.record().is_none());
        assert!(state.key().is_none());
        assert!(state.has_work());
        assert_eq!(state.deletes, vec![key]);
    });
    store.fail(|faults| faults.delete = true);
    assert!(matches!(
        flush_at(&store, &access, NOW),
        Err(FlushError::Store(_))
    ));
    assert!(
        access.state(|state| state.has_work()),
        "the delete is pending"
    );
    assert!(store.row(&key, NOW).is_some());
    store.fail(|faults| faults.delete = false);
    flush_at(&store, &access, NOW).expect("deleted");
    assert_eq!(store.row(&key, NOW), None);
    assert!(!access.state(|state| state.has_work()));
    assert_eq!(access.written(), 0, "no session to send");
}

#[test]
fn removing_a_session_never_written_deletes_only_the_row_it_replaced() {
    let store = Probe::new();
    let (cookie, key) = login(&store, &alice(1), NOW);
    // A login never written: nothing in the store to delete.
    let mut fresh = StoreState::default();
    fresh.insert(&keyring(), &alice(2), NOW).expect("seals");
    fresh.remove();
    assert!(!fresh.has_work());
    // A renewal not yet written, then a logout: the old row goes.
    let (mut state, _, _) = found(&store, &keyring(), &[&cookie.value], NOW);
    state.renew(&keyring(), &SPEC, NOW).expect("seals");
    state.remove();
    assert_eq!(state.deletes, vec![key]);
}

#[test]
fn forget_drops_the_session_without_deleting_its_row() {
    let store = Probe::new();
    let (cookie, key) = login(&store, &alice(1), NOW);
    let (mut state, _, _) = found(&store, &keyring(), &[&cookie.value], NOW);
    state.update(&keyring(), &alice(2), NOW).expect("seals");
    state.forget();
    assert!(state.record().is_none());
    assert!(!state.has_work());
    let access = Access::new(state);
    store.reset_calls();
    flush_at(&store, &access, NOW).expect("nothing to do");
    assert!(store.calls.lock().expect("not poisoned").is_empty());
    assert_eq!(access.written(), 0);
    assert!(store.row(&key, NOW).is_some());
}

#[test]
fn a_flush_with_nothing_to_write_calls_nothing() {
    let store = Probe::new();
    let (cookie, _) = login(&store, &alice(1), NOW);
    let (state, _, _) = found(&store, &keyring(), &[&cookie.value], NOW);
    let access = Access::new(state);
    store.reset_calls();
    flush_at(&store, &access, NOW).expect("nothing to do");
    assert!(store.calls.lock().expect("not poisoned").is_empty());
    assert_eq!(access.written(), 0);
}

#[test]
fn a_failed_write_is_an_error_with_the_change_pending() {
    let store = Probe::new();
    let (cookie, key) = login(&store, &alice(1), NOW);
    let (state, _, _) = found(&store, &keyring(), &[&cookie.value], NOW);
    let access = Access::new(state);
    access
        .state(|state| state.update(&keyring(), &alice(2), NOW))
        .expect("seals");
    store.fail(|faults| faults.save = true);
    assert!(matches!(
        flush_at(&store, &access, NOW),
        Err(FlushError::Store(_))
    ));
    assert_eq!(access.written(), 0);
    assert!(access.state(|state| state.has_work()));
    store.fail(|faults| faults.save = false);
    flush_at(&store, &access, NOW).expect("written");
    assert_eq!(store.row(&key, NOW).map(|row| row.revision), Some(2));
    // A move that fails likewise.
    access
        .state(|state| state.renew(&keyring(), &SPEC, NOW))
        .expect("seals");
    store.fail(|faults| faults.move_session = true);
    assert!(matches!(
        flush_at(&store, &access, NOW),
        Err(FlushError::Store(_))
    ));
    assert!(access.state(|state| state.has_work()));
    assert_eq!(access.written(), 1);
}

#[test]
fn a_login_applies_the_cap_once_written_and_a_failing_cap_is_only_logged() {
    let store = Probe::new();
    let (first, first_key) = login(&store, &alice(1), NOW - 20);
    let (_, second_key) = login(&store, &alice(2), NOW - 10);
    // A third login: the least recently used (the first) ends.
    let (third_cookie, third_key) = login(&store, &alice(3), NOW);
    let mut left: Vec<StoreKey> = block_on(store.list_user("acct", "alice", NOW))
        .expect("available")
        .into_iter()
        .map(|session| session.key)
        .collect();
    left.sort();
    let mut expected = vec![second_key, third_key];
    expected.sort();
    assert_eq!(left, expected);
    assert_eq!(
        missing(&store, &[&first.value], NOW),
        Some(OpenError::Revoked)
    );
    assert_eq!(store.row(&first_key, NOW), None);
    // A renewal at the cap moves a session and ends no other device: the
    // cap is applied once the row it replaces is gone.
    let (third, _, _) = found(&store, &keyring(), &[&third_cookie.value], NOW + 1);
    let access = Access::new(third);
    access
        .state(|state| state.renew(&keyring(), &SPEC, NOW + 1))
        .expect("seals");
    flush_at(&store, &access, NOW + 1).expect("written");
    let renewed_key = access.state(|state| state.key()).expect("a session");
    let mut left: Vec<StoreKey> = block_on(store.list_user("acct", "alice", NOW + 1))
        .expect("available")
        .into_iter()
        .map(|session| session.key)
        .collect();
    left.sort();
    let mut expected = vec![second_key, renewed_key];
    expected.sort();
    assert_eq!(left, expected);
    // A login whose cap fails stands, and its cookie is to be sent.
    let access = Access::new(StoreState::default());
    access
        .state(|state| state.insert(&keyring(), &alice(4), NOW + 2))
        .expect("seals");
    store.fail(|faults| faults.list_user = true);
    flush_at(&store, &access, NOW + 2).expect("the cap is best effort");
    assert_eq!(access.written(), 1);
    assert!(!access.state(|state| state.has_work()));
    store.fail(|faults| faults.list_user = false);
    assert_eq!(
        block_on(store.list_user("acct", "alice", NOW + 2))
            .expect("available")
            .len(),
        3,
        "over the cap until the next login"
    );
    // An anonymous login has no user to cap.
    store.reset_calls();
    login(&store, &account(None, 1), NOW + 3);
    assert_eq!(store.count("list_user"), 0);
}

#[test]
fn a_login_after_an_unwritten_renewal_replaces_the_row_whatever_its_revision() {
    let store = Probe::new();
    let (cookie, old_key) = login(&store, &alice(1), NOW);
    let (state, _, _) = found(&store, &keyring(), &[&cookie.value], NOW);
    let access = Access::new(state);
    access
        .state(|state| state.renew(&keyring(), &SPEC, NOW + 1))
        .expect("seals");
    // Another request changes the row before this one writes.
    let mut changed = store.row(&old_key, NOW).expect("live");
    changed.revision = 2;
    assert_eq!(
        block_on(store.save(&old_key, &changed, Some(1), NOW)).expect("available"),
        SaveOutcome::Saved
    );
    // A login now replaces the session the renewal was moving, as a login
    // over it would have: its revision is not checked.
    access
        .state(|state| state.insert(&keyring(), &alice(5), NOW + 2))
        .expect("seals");
    flush_at(&store, &access, NOW + 2).expect("written");
    assert_eq!(store.row(&old_key, NOW + 2), None);
    let new_key = access.state(|state| state.key()).expect("a session");
    assert_eq!(
        store.row(&new_key, NOW + 2).map(|row| row.revision),
        Some(1)
    );
}

// ------------------------------------------------------------ metadata

/// The metadata of a login from a laptop.
fn laptop_meta() -> SessionMeta {
    SessionMeta::new(
        Some(std::net::IpAddr::from([203, 0, 113, 9])),
        Some("Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"),
    )
}

#[test]
fn a_login_records_the_requests_metadata_and_every_later_change_keeps_it() {
    let store = Probe::new();
    let mut state = StoreState::default();
    assert_eq!(
        state.request_meta(),
        &SessionMeta::NONE,
        "nothing by default"
    );
    state.set_request_meta(laptop_meta());
    assert_eq!(state.request_meta(), &laptop_meta());
    let access = Access::new(state);
    let cookie = access
        .state(|state| state.insert(&keyring(), &alice(1), NOW))
        .expect("seals");
    flush_at(&store, &access, NOW).expect("written");
    let key = access.state(|state| state.key()).expect("a session");
    assert_eq!(
        store.row(&key, NOW).map(|row| row.meta),
        Some(laptop_meta())
    );

    // Later requests set their own metadata (another address, say); only a
    // new row would record it. An update, a change of user and a renewal
    // keep the login's.
    let elsewhere = SessionMeta::new(Some(std::net::IpAddr::from([192, 0, 2, 1])), Some("X"));
    let (mut state, _, _) = found(&store, &keyring(), &[&cookie.value], NOW + 1);
    assert_eq!(state.record().map(|row| &row.meta), Some(&laptop_meta()));
    state.set_request_meta(elsewhere.clone());
    let access = Access::new(state);
    access
        .state(|state| state.update(&keyring(), &alice(2), NOW + 1))
        .expect("seals");
    flush_at(&store, &access, NOW + 1).expect("written");
    assert_eq!(
        store.row(&key, NOW + 1).map(|row| row.meta),
        Some(laptop_meta())
    );
    access
        .state(|state| state.update(&keyring(), &account(Some("bob"), 3), NOW + 2))
        .expect("seals");
    flush_at(&store, &access, NOW + 2).expect("written");
    let bobs = access.state(|state| state.key()).expect("a session");
    assert_eq!(
        store.row(&bobs, NOW + 2).map(|row| row.meta),
        Some(laptop_meta())
    );
    access
        .state(|state| state.renew(&keyring(), &SPEC, NOW + 3))
        .expect("seals")
        .expect("a session");
    flush_at(&store, &access, NOW + 3).expect("written");
    let renewed = access.state(|state| state.key()).expect("a session");
    assert_ne!(renewed, bobs);
    assert_eq!(
        store.row(&renewed, NOW + 3).map(|row| row.meta),
        Some(laptop_meta())
    );

    // A new login in that request records the request's own.
    access
        .state(|state| state.insert(&keyring(), &alice(9), NOW + 4))
        .expect("seals");
    flush_at(&store, &access, NOW + 4).expect("written");
    let relogin = access.state(|state| state.key()).expect("a session");
    assert_eq!(
        store.row(&relogin, NOW + 4).map(|row| row.meta),
        Some(elsewhere)
    );
}

#[test]
fn an_update_without_a_session_is_a_login_and_records_the_metadata() {
    let store = Probe::new();
    let mut state = StoreState::default();
    state.set_request_meta(laptop_meta());
    let access = Access::new(state);
    access
        .state(|state| state.update(&keyring(), &alice(1), NOW))
        .expect("seals");
    flush_at(&store, &access, NOW).expect("written");
    let key = access.state(|state| state.key()).expect("a session");
    assert_eq!(
        store.row(&key, NOW).map(|row| row.meta),
        Some(laptop_meta())
    );
    // Without metadata set, a login records none.
    let (_, bare) = login(&store, &alice(2), NOW);
    assert_eq!(
        store.row(&bare, NOW).map(|row| row.meta),
        Some(SessionMeta::NONE)
    );
}

// ---------------------------------------------------------------- fingerprint

#[test]
fn a_row_bound_to_another_browser_differs_and_one_bound_to_none_does_not() {
    // `Account`'s binding, declared `fingerprint`.
    const BOUND: SessionSpec = SessionSpec::builder("Account", SPEC.cookie(), SPEC.namespace())
        .store()
        .fingerprint()
        .build();
    let firefox = ClientSignals {
        user_agent: b"Firefox/140.0",
        accept_language: b"en",
    };
    let chrome = ClientSignals {
        user_agent: b"Chrome/140.0",
        ..firefox
    };
    let store = Probe::new();
    let keys = keyring();
    let access = Access::new(StoreState::default());
    let bound = SessionMeta::NONE.with_fingerprint(Some(keys.fingerprint(&BOUND, &firefox)));
    access.state(|state| state.set_request_meta(bound.clone()));
    let cookie = access
        .state(|state| state.insert(&keys, &alice(1), NOW))
        .expect("seals");
    flush_at(&store, &access, NOW).expect("written");

    let (state, _, _) = found(&store, &keys, &[&cookie.value], NOW + 1);
    assert_eq!(state.record().map(|record| &record.meta), Some(&bound));
    assert!(!state.fingerprint_differs(&keys, &BOUND, &firefox));
    assert!(state.fingerprint_differs(&keys, &BOUND, &chrome));
    // A type that binds none is never checked.
    assert!(!state.fingerprint_differs(&keys, &SPEC, &chrome));
    // A row written before its type bound one (it records none) passes.
    let (plain, _) = login(&store, &alice(2), NOW);
    let (state, _, _) = found(&store, &keys, &[&plain.value], NOW + 1);
    assert!(!state.fingerprint_differs(&keys, &BOUND, &chrome));
    // Without a session nothing differs.
    assert!(!StoreState::default().fingerprint_differs(&keys, &BOUND, &chrome));
}
