//! What the layer reports: `tracing` events under the target
//! `session_seal` with stable field names, and, with the `metrics`
//! feature, counters and histograms through the `metrics` facade (the app
//! installs the recorder, e.g. a Prometheus exporter).
//!
//! | event (message) | level | fields |
//! |---|---|---|
//! | `session opened` | debug | `session_type`, `namespace`, `outcome` (`absent` or `valid`) |
//! | `session cookie treated as absent` | info; debug when it expired | `session_type`, `namespace`, `cookie` (its name), `outcome` (why: `expired`, `bad_signature`, `malformed`, `revoked`, `fingerprint_mismatch`, …) |
//! | `session cookie written` | debug | `session_type`, `action` (`set` or `removed`) |
//! | `session store call` | debug; warn when it failed | `session_type`, `op` (`load`, `flush`; hybrid sessions: `refresh`, `login`, `logout`), `ok`, `elapsed_us` |
//! | `rejecting request` and the other rejection events | debug to error | `reason` |
//!
//! Each store call runs inside a span `session_seal.store` (level debug,
//! fields `session_type` and `op`, as above), so whatever the store and
//! session-core log during the call (a failed touch, a reused refresh id)
//! is attributed to it.
//!
//! | metric | kind | labels |
//! |---|---|---|
//! | `session_seal_sessions_opened_total` | counter | `session_type`, `outcome` |
//! | `session_seal_cookies_written_total` | counter | `session_type`, `action` |
//! | `session_seal_store_call_seconds` | histogram | `op`, `ok` |
//! | `session_seal_rejections_total` | counter | `reason` |
//! | `session_seal_revocation_feed_silent_seconds` | gauge | none: seconds since the revocation feed was last heard, set at each revocable read |
//!
//! Labels and fields are type names, namespaces and fixed words only:
//! never a cookie value, a session id or its at-rest key, a payload, a
//! user or a header (a test captures every event and metric and checks).

use std::future::Future;
use std::time::{Duration, Instant};

use session_core::{OpenError, SessionSpec};

use tracing::Instrument as _;

use crate::TRACING_TARGET;
use crate::status::SessionStatus;

/// The first look at `spec`'s cookies in a request found `status`.
pub(crate) fn opened(spec: &SessionSpec, status: &SessionStatus) {
    let outcome = status.label();
    let (session_type, namespace, cookie) = (spec.type_name(), spec.namespace(), spec.cookie());
    // One event, at the level the outcome deserves.
    macro_rules! treated_as_absent {
        ($level:ident) => {
            tracing::$level!(
                target: TRACING_TARGET,
                session_type,
                namespace,
                cookie,
                outcome,
                "session cookie treated as absent"
            )
        };
    }
    match status {
        // Browsers send expired cookies all the time: not worth an info.
        SessionStatus::Invalid(OpenError::Expired { .. }) => treated_as_absent!(debug),
        SessionStatus::Invalid(_) => treated_as_absent!(info),
        _ => tracing::debug!(
            target: TRACING_TARGET,
            session_type,
            namespace,
            outcome,
            "session opened"
        ),
    }
    #[cfg(feature = "metrics")]
    metrics::counter!(
        "session_seal_sessions_opened_total",
        "session_type" => spec.type_name(),
        "outcome" => outcome
    )
    .increment(1);
}

/// A `Set-Cookie` for `spec` went out: `set` (a new or re-issued value) or
/// `removed`.
pub(crate) fn cookie_written(spec: &SessionSpec, action: &'static str) {
    tracing::debug!(
        target: TRACING_TARGET,
        session_type = spec.type_name(),
        action,
        "session cookie written"
    );
    #[cfg(feature = "metrics")]
    metrics::counter!(
        "session_seal_cookies_written_total",
        "session_type" => spec.type_name(),
        "action" => action
    )
    .increment(1);
}

/// Runs the store call `call` of `spec`'s type (`op`, as in the module
/// docs) inside its `session_seal.store` span, and reports it
/// ([`store_call`]).
pub(crate) async fn store_span<T, E>(
    spec: &SessionSpec,
    op: &'static str,
    call: impl Future<Output = Result<T, E>>,
) -> Result<T, E> {
    let span = tracing::debug_span!(
        target: TRACING_TARGET,
        "session_seal.store",
        session_type = spec.type_name(),
        op
    );
    async {
        let began = Instant::now();
        let result = call.await;
        store_call(spec, op, began.elapsed(), result.is_ok());
        result
    }
    .instrument(span)
    .await
}

/// A store operation for `spec` (`op`, as in the module docs) took `elapsed`.
pub(crate) fn store_call(spec: &SessionSpec, op: &'static str, elapsed: Duration, ok: bool) {
    let elapsed_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
    let session_type = spec.type_name();
    macro_rules! store_call {
        ($level:ident) => {
            tracing::$level!(
                target: TRACING_TARGET,
                session_type,
                op,
                ok,
                elapsed_us,
                "session store call"
            )
        };
    }
    if ok {
        store_call!(debug);
    } else {
        store_call!(warn);
    }
    #[cfg(feature = "metrics")]
    metrics::histogram!(
        "session_seal_store_call_seconds",
        "op" => op,
        "ok" => if ok { "true" } else { "false" }
    )
    .record(elapsed.as_secs_f64());
}

/// A request was refused for `reason` (a rejection's stable label).
pub(crate) fn rejected(reason: &'static str) {
    #[cfg(feature = "metrics")]
    metrics::counter!("session_seal_rejections_total", "reason" => reason).increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = reason;
}

/// How long ago `revocations`' feed was last heard (infinite: never), at a
/// revocable read. Without the `metrics` feature this reads no clock.
pub(crate) fn revocation_feed_silent(revocations: &session_core::revocation::Revocations) {
    #[cfg(feature = "metrics")]
    metrics::gauge!("session_seal_revocation_feed_silent_seconds").set(
        revocations
            .table()
            .silent_for()
            .map_or(f64::INFINITY, |silent| silent.as_secs_f64()),
    );
    #[cfg(not(feature = "metrics"))]
    let _ = revocations;
}
