use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "admin_sid", namespace = "app")]
struct AdminSession {
    user_id: u64,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "tenant_sid", namespace = "tenant")]
struct TenantSession {
    tenant: String,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "operator_sid", namespace = "app")]
struct OperatorSession;

session_seal::registry! {
    pub struct AppSessions { AdminSession, TenantSession, OperatorSession }
}

fn main() {}
