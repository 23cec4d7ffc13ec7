// A flash struct: cookie mode, five minutes unless told, next to ordinary
// sessions in a registry; `max_age` up to an hour, `encrypted` allowed.

use serde::{Deserialize, Serialize};
use session_seal::{SessionPayload, Storage};

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "notice", namespace = "notice", flash)]
struct Notice {
    text: String,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "__Host-alert", namespace = "alert", flash, max_age = "1h", encrypted)]
struct Alert {
    text: String,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "app")]
struct AppSession {
    user_id: u64,
}

session_seal::registry! {
    struct AppSessions { Notice, Alert, AppSession }
}

const _: () = assert!(Notice::SPEC.is_flash());
const _: () = assert!(Notice::SPEC.max_age_secs() == 300);
const _: () = assert!(Notice::SPEC.renew_after_secs() == 150);
const _: () = assert!(matches!(Notice::SPEC.storage(), Storage::Cookie));
const _: () = assert!(Alert::SPEC.is_flash());
const _: () = assert!(Alert::SPEC.is_encrypted());
const _: () = assert!(Alert::SPEC.max_age_secs() == 3600);
const _: () = assert!(!AppSession::SPEC.is_flash());
const _: () = assert!(AppSession::SPEC.max_age_secs() == 86_400);

fn main() {}
