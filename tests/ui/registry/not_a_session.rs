use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "admin_sid", namespace = "admin")]
struct AdminSession {
    user_id: u64,
}

#[derive(Serialize, Deserialize)]
struct Preferences {
    theme: String,
}

session_seal::registry! {
    pub struct AppSessions { AdminSession, Preferences }
}

fn main() {}
