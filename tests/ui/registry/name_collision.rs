// The 1st and the 2nd member share a cookie name: the error is at the 2nd.

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "admin")]
struct AdminSession {
    user_id: u64,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "tenant")]
struct TenantSession {
    tenant: String,
}

session_seal::registry! {
    pub struct AppSessions { AdminSession, TenantSession }
}

fn main() {}
