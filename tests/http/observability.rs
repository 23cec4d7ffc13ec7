//! What the layer reports (`session_seal::observability`): the `tracing`
//! events and the `metrics` it records over a run of logins, reads, a
//! tampered cookie, a copied cookie, store-mode writes and logouts, with
//! the stable names it documents, and never a cookie value, a session id,
//! a payload, a user or the secret in any field or label.

use std::sync::{Arc, Mutex, PoisonError};

use metrics::{
    Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit,
    with_local_recorder,
};
use session_seal::store::MemoryStore;
use session_seal::testing::{TestClient, TestClock};
use session_seal::{FingerprintPolicy, Keyring};

use crate::common::fingerprint_app::{self, CHROME, FIREFOX, T0, get_as, login};
use crate::common::logs::capture;
use crate::common::secret;

/// Every metric the layer registered: name and labels, as text.
#[derive(Clone, Default)]
struct Recording(Arc<Mutex<Vec<String>>>);

impl Recording {
    fn note(&self, key: &Key) {
        let labels: Vec<String> = key
            .labels()
            .map(|label| format!("{}={}", label.key(), label.value()))
            .collect();
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(format!("{} {}", key.name(), labels.join(",")));
    }

    fn lines(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Recorder for Recording {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        self.note(key);
        Counter::noop()
    }

    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        self.note(key);
        Gauge::noop()
    }

    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        self.note(key);
        Histogram::noop()
    }
}

const SECRET_BYTE: u8 = 0x6b;

/// Logs in to every mode, reads, sends a tampered and a copied cookie:
/// returns every cookie value the run saw.
async fn exercise(app: &TestClient) -> Vec<String> {
    let mut values = Vec::new();
    for kind in ["signed", "sealed", "stored"] {
        let mut browser = app.device();
        login(&mut browser, kind, &FIREFOX).await;
        let me = format!("/{kind}/me");
        assert_eq!(get_as(&mut browser, &me, &FIREFOX).await.text(), "7");
        let value = browser.cookie(kind).expect("a cookie").to_owned();

        let mut tampered = app.device();
        // One character of the tag (or ciphertext) changed: a genuine
        // shape whose check fails.
        let mut forged = value.clone().into_bytes();
        let at = forged.len() - 10;
        forged[at] = if forged[at] == b'A' { b'B' } else { b'A' };
        let forged = String::from_utf8(forged).expect("base64url");
        tampered.jar_mut().insert(kind, &forged, "/");
        let reply = get_as(&mut tampered, &me, &FIREFOX).await;
        assert!(reply.text().starts_with("nobody"), "{}", reply.text());

        let mut thief = app.device();
        thief.jar_mut().insert(kind, &value, "/");
        let reply = get_as(&mut thief, &me, &CHROME).await;
        assert_eq!(reply.text(), "nobody (fingerprint_mismatch)");
        values.push(value);
        values.push(forged);
    }
    values
}

#[test]
fn events_and_metrics_carry_stable_names_and_no_secret_id_or_payload() {
    let recording = Recording::default();
    let (log, _guard) = capture();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let store = Arc::new(MemoryStore::new());
    let keyring = Keyring::new(secret(SECRET_BYTE));
    let values = with_local_recorder(&recording, || {
        runtime.block_on(async {
            let clock = TestClock::at(T0);
            let (app, _) =
                fingerprint_app::app(keyring, store.clone(), FingerprintPolicy::Enforce, &clock);
            exercise(&app).await
        })
    });
    let log = log.text();
    let metrics = recording.lines();

    // The documented names, with the documented labels.
    for expected in [
        "session_seal_sessions_opened_total session_type=Signed,outcome=valid",
        "session_seal_sessions_opened_total session_type=Sealed,outcome=bad_signature",
        "session_seal_sessions_opened_total session_type=Stored,outcome=bad_signature",
        "session_seal_sessions_opened_total session_type=Stored,outcome=fingerprint_mismatch",
        "session_seal_cookies_written_total session_type=Stored,action=set",
        "session_seal_cookies_written_total session_type=Signed,action=removed",
        "session_seal_store_call_seconds op=load,ok=true",
        "session_seal_store_call_seconds op=flush,ok=true",
    ] {
        assert!(
            metrics.iter().any(|line| line == expected),
            "{expected} in {metrics:#?}"
        );
    }
    for expected in [
        "session opened",
        "session cookie treated as absent",
        "session cookie written",
        "session store call",
        "outcome=\"fingerprint_mismatch\"",
        "op=\"flush\"",
        // Store calls run in their span, named with its fields.
        "session_seal.store{session_type=\"Stored\" op=\"load\"}",
    ] {
        assert!(log.contains(expected), "{expected} in:\n{log}");
    }

    // Nothing a client could replay, nothing of the payload or the user,
    // nothing of the secret.
    let secret_hex: String = format!("{SECRET_BYTE:02x}").repeat(8);
    let reported = format!("{log}\n{}", metrics.join("\n"));
    for value in &values {
        // Any 16-character window of a value would do to replay or link it.
        for window in value.as_bytes().windows(16).step_by(8) {
            let window = String::from_utf8_lossy(window);
            assert!(
                !reported.contains(&*window),
                "part of a cookie value reported: {window}"
            );
        }
    }
    assert!(!reported.contains(&secret_hex));
    assert!(!reported.contains(FIREFOX[0].1), "a user agent reported");
    assert!(
        !metrics.iter().any(|line| line.contains("user")),
        "a user in a label: {metrics:#?}"
    );
}
