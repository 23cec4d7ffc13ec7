// Two members with mistakes of their own: each mistake is reported once, and
// neither the registry nor code using the types adds errors (the derive's
// fallback gives each a placeholder spec with a distinct name).

use serde::{Deserialize, Serialize};
use session_seal::{Registry, SessionPayload};

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "admin sid", namespace = "admin")]
struct AdminSession {
    user_id: u64,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "tenant", namespace = "Tenant")]
struct TenantSession {
    tenant: String,
}

session_seal::registry! {
    pub struct AppSessions { AdminSession, TenantSession }
}

fn main() {
    let _ = AdminSession::SPEC.cookie();
    let _ = AppSessions::SPECS;
}
