//! Client fingerprints (`#[session(fingerprint)]`) over HTTP: a cookie
//! copied into another browser reads as absent in signed and encrypted
//! cookie mode and in store mode (the memory store here; every backend in
//! the `store` binary), the report-only policy, rotation of the secret,
//! and what a value carries.

use std::sync::Arc;

use session_seal::store::MemoryStore;
use session_seal::testing::TestClock;
use session_seal::{FingerprintPolicy, Keyring, SessionSecret};

use crate::common::fingerprint_app::{self, CHROME, FIREFOX, Sealed, Signed, T0, get_as, login};
use crate::common::secret;

fn keyring() -> Keyring {
    Keyring::new(secret(0x51))
}

#[tokio::test]
async fn a_copied_signed_cookie_fails_in_another_browser() {
    fingerprint_app::a_copied_cookie_fails_in_another_browser(
        "signed",
        keyring(),
        Arc::new(MemoryStore::new()),
    )
    .await;
}

#[tokio::test]
async fn a_copied_encrypted_cookie_fails_in_another_browser() {
    fingerprint_app::a_copied_cookie_fails_in_another_browser(
        "sealed",
        keyring(),
        Arc::new(MemoryStore::new()),
    )
    .await;
}

#[tokio::test]
async fn a_copied_stored_session_cookie_fails_and_ends_the_session() {
    fingerprint_app::a_copied_cookie_fails_in_another_browser(
        "stored",
        keyring(),
        Arc::new(MemoryStore::new()),
    )
    .await;
}

#[tokio::test]
async fn the_report_policy_serves_the_other_browser_and_reports_it() {
    for kind in ["signed", "sealed", "stored"] {
        fingerprint_app::the_report_policy_serves_and_reports(
            kind,
            keyring(),
            Arc::new(MemoryStore::new()),
        )
        .await;
    }
}

#[tokio::test]
async fn a_session_bound_under_a_previous_secret_still_matches_and_is_rebound() {
    let clock = TestClock::at(T0);
    let old = keyring();
    let (before, _) = fingerprint_app::app(
        old,
        Arc::new(MemoryStore::new()),
        FingerprintPolicy::Enforce,
        &clock,
    );
    let mut browser = before.device();
    login(&mut browser, "signed", &FIREFOX).await;
    let value = browser.cookie("signed").expect("a cookie").to_owned();

    let rotated = Keyring::new(SessionSecret::generate()).with_previous(secret(0x51));
    let (after, seen) = fingerprint_app::app(
        rotated.clone(),
        Arc::new(MemoryStore::new()),
        FingerprintPolicy::Enforce,
        &clock,
    );
    let mut same = after.device();
    same.jar_mut().insert("signed", &value, "/");
    let reply = get_as(&mut same, "/signed/me", &FIREFOX).await;
    assert_eq!(reply.text(), "7");
    assert!(seen.lock().expect("not poisoned").is_empty());
    // Re-issued under the new primary, bound afresh to the same browser.
    let reissued = same.cookie("signed").expect("re-issued").to_owned();
    assert_ne!(reissued, value);
    let opened = rotated
        .open_at::<Signed>(&reissued, T0 + 1)
        .expect("opens under the primary");
    assert!(!opened.previous_key);
    assert_eq!(get_as(&mut same, "/signed/me", &FIREFOX).await.text(), "7");
    assert_eq!(
        get_as(&mut same, "/signed/me", &CHROME).await.text(),
        "nobody (fingerprint_mismatch)"
    );
}

#[tokio::test]
async fn a_value_carries_its_fingerprint_and_cannot_be_sealed_without_one() {
    let keyring = keyring();
    let clock = TestClock::at(T0);
    let (app, _) = fingerprint_app::app(
        keyring.clone(),
        Arc::new(MemoryStore::new()),
        FingerprintPolicy::Enforce,
        &clock,
    );
    let mut browser = app.device();
    login(&mut browser, "sealed", &FIREFOX).await;
    let value = browser.cookie("sealed").expect("a cookie");
    let opened = keyring
        .open_at::<Sealed>(value, T0 + 1)
        .expect("a genuine value");
    let carried = opened
        .fingerprint
        .expect("a bound type's value carries one");
    let signals = session_seal::fingerprint::ClientSignals {
        user_agent: FIREFOX[0].1.as_bytes(),
        accept_language: FIREFOX[1].1.as_bytes(),
    };
    assert!(keyring.fingerprint_matches(
        &<Sealed as session_seal::SessionPayload>::SPEC,
        &carried,
        &signals
    ));
    assert!(matches!(
        keyring.seal(&Signed { user: 7 }),
        Err(session_seal::SealError::MissingFingerprint {
            type_name: "Signed"
        })
    ));
}
