use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "admin_sid", namespace = "admin")]
struct AdminSession {
    user_id: u64,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "tenant_sid", namespace = "tenant")]
struct TenantSession {
    tenant: String,
}

session_seal::registry! {
    pub struct AppSessions { AdminSession, TenantSession, AdminSession }
}

fn main() {}
