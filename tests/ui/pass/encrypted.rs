// `encrypted` with every other cookie-mode attribute, in a registry next to
// signed types; the spec says so.

use serde::{Deserialize, Serialize};
use session_seal::{SessionPayload, Storage};

#[derive(Serialize, Deserialize)]
struct AdminV1 {
    user_id: u64,
}

impl From<AdminV1> for AdminSession {
    fn from(old: AdminV1) -> Self {
        AdminSession { user_id: old.user_id, email: String::new() }
    }
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "__Host-admin", namespace = "admin", version = 2, max_age = "8h")]
#[session(encrypted, renew_after = "1h", absolute_max_age = "1d", same_site = "strict")]
#[session(migrate(from = AdminV1, version = 1))]
struct AdminSession {
    user_id: u64,
    email: String,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "tenant", namespace = "tenant")]
struct TenantSession {
    tenant: String,
}

session_seal::registry! {
    struct AppSessions { AdminSession, TenantSession }
}

const _: () = assert!(AdminSession::SPEC.is_encrypted());
const _: () = assert!(!TenantSession::SPEC.is_encrypted());
const _: () = assert!(matches!(AdminSession::SPEC.storage(), Storage::Cookie));

fn main() {}
