// Non-adjacent members share a namespace (the 1st and the 3rd of 4): the
// error is at the 3rd and names the 1st.

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

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "audit_sid", namespace = "audit")]
struct AuditSession;

session_seal::registry! {
    pub struct AppSessions { AdminSession, TenantSession, OperatorSession, AuditSession }
}

fn main() {}
