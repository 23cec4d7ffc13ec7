// Three members use the same cookie name: one error at each of the 2nd and
// the 3rd, each naming the 1st (the first earlier member with that name).

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

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "operator")]
struct OperatorSession;

session_seal::registry! {
    pub struct AppSessions { AdminSession, TenantSession, OperatorSession }
}

fn main() {}
