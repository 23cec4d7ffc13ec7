// Non-adjacent members share a cookie name (the 1st and the 3rd of 4, the
// 3rd named by a path): the error is at the 3rd and names the 1st.

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

mod ops {
    use serde::{Deserialize, Serialize};
    use session_seal::SessionPayload;

    #[derive(Serialize, Deserialize, SessionPayload)]
    #[session(cookie = "sid", namespace = "operator")]
    pub struct OperatorSession;
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "audit_sid", namespace = "audit")]
struct AuditSession;

session_seal::registry! {
    pub struct AppSessions { AdminSession, TenantSession, ops::OperatorSession, AuditSession }
}

fn main() {}
