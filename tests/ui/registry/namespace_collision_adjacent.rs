// The 1st and the 2nd member share a namespace.

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "admin_sid", namespace = "app")]
struct AdminSession {
    user_id: u64,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "tenant_sid", namespace = "app")]
struct TenantSession {
    tenant: String,
}

session_seal::registry! {
    pub struct AppSessions { AdminSession, TenantSession }
}

fn main() {}
