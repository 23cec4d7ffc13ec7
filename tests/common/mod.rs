//! Helpers shared by the `http` and `store` test binaries (each declares
//! `mod common` once, in its `main.rs`). HTTP is driven by the shipped kit
//! (`session_seal::testing`); what is here is what the kit has no place for:
//!
//! - [`store`] (Redis) and [`sql`] (SQLite, PostgreSQL): a fresh store per
//!   test on the shared servers, throwaway servers for outage tests, and
//!   raw clients to inspect or corrupt what a store wrote;
//! - [`logs`]: capturing what `tracing` logs during one test;
//! - [`proxy`]: a loopback TCP proxy a test cuts and restores, for outages
//!   between a client and a real server;
//! - [`fingerprint_app`]: the app of the fingerprint tests and its
//!   scenarios, run in every mode and on every backend;
//! - [`revocation_app`]: the app of the revocation tests and its
//!   two-process scenarios, run over every feed;
//! - [`with_every_check!`]: the conformance checks, listed once;
//! - fixed test secrets, and a time limit for requests that may hang.

#![allow(dead_code)] // each test binary uses a different part of the helpers

pub mod fingerprint_app;
pub mod gate;
pub mod logs;
pub mod proxy;
pub mod revocation_app;
pub mod sql;
pub mod store;

/// Calls `$m!` with the name of every check of the store conformance
/// harness (`session_seal::store::conformance::CHECKS`, in its order), so
/// the test modules that run them on each backend list them once.
/// `store_conformance` asserts the list matches `CHECKS`.
#[allow(unused_macros)] // each test file uses a different part of the harness
macro_rules! with_every_check {
    ($m:ident) => {
        $m!(
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
    };
}
#[allow(unused_imports)] // each test file uses a different part of the harness
pub(crate) use with_every_check;

use std::future::Future;
use std::time::Duration;

use session_seal::{Keyring, SessionSecret, Tier};

/// A 32-byte secret of one repeated byte: fixed, so a test can rebuild the
/// keyring of a rotation's previous key.
pub fn secret(byte: u8) -> SessionSecret {
    SessionSecret::from_bytes(&[byte; 32]).expect("32 bytes")
}

/// The development-tier keyring over `secret(1)` (no `Secure` by default).
pub fn dev_keyring() -> Keyring {
    Keyring::new(secret(1)).with_tier(Tier::Development)
}

/// `future`'s output, or a test failure naming `what` if it takes over
/// 10 s: a request to a store that is down must fail, never hang.
pub async fn within_10s<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), future)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within 10 s"))
}
