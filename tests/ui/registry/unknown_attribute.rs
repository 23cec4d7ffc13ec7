use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "admin_sid", namespace = "admin")]
struct AdminSession {
    user_id: u64,
}

session_seal::registry! {
    #[session(crat = "session_seal")]
    pub struct AppSessions { AdminSession }
}

fn main() {}
