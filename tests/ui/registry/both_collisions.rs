// Both kinds of collision in one registry. The 3rd member shares both its
// cookie name and its namespace with the 1st: one error at the 3rd with both
// collisions in its message. The 4th shares only its namespace, with the
// 2nd: a second error, at the 4th.

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "admin")]
struct AdminSession {
    user_id: u64,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "tenant_sid", namespace = "tenant")]
struct TenantSession {
    tenant: String,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "admin")]
struct OperatorSession;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "audit_sid", namespace = "tenant")]
struct AuditSession;

session_seal::registry! {
    pub struct AppSessions { AdminSession, TenantSession, OperatorSession, AuditSession }
}

fn main() {}
