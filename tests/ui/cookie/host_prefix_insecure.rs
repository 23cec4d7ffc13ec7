use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "__host-admin", namespace = "admin", secure = false)]
struct Session {
    user_id: u64,
}

fn main() {}
