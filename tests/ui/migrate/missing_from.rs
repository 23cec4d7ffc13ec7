use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "admin", namespace = "admin", version = 2, migrate(version = 1))]
struct AdminSession {
    user_id: u64,
}

fn main() {}
