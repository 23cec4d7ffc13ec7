// `asymmetric` with other cookie-mode attributes, in a registry next to
// signed and encrypted types; the spec says so.

use serde::{Deserialize, Serialize};
use session_seal::{SessionPayload, Storage};

#[derive(Serialize, Deserialize)]
struct AccessV1 {
    user_id: u64,
}

impl From<AccessV1> for AccessSession {
    fn from(old: AccessV1) -> Self {
        AccessSession { user_id: old.user_id, scopes: Vec::new() }
    }
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "__Host-access", namespace = "access", version = 2, max_age = "5m")]
#[session(asymmetric, renew_after = "1m", absolute_max_age = "1h", same_site = "strict")]
#[session(migrate(from = AccessV1, version = 1))]
struct AccessSession {
    user_id: u64,
    scopes: Vec<String>,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "account", namespace = "account", encrypted)]
struct AccountSession {
    email: String,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "tenant", namespace = "tenant")]
struct TenantSession {
    tenant: String,
}

session_seal::registry! {
    struct AppSessions { AccessSession, AccountSession, TenantSession }
}

const _: () = assert!(AccessSession::SPEC.is_asymmetric());
const _: () = assert!(!AccessSession::SPEC.is_encrypted());
const _: () = assert!(!AccountSession::SPEC.is_asymmetric());
const _: () = assert!(!TenantSession::SPEC.is_asymmetric());
const _: () = assert!(matches!(AccessSession::SPEC.storage(), Storage::Cookie));

fn main() {}
