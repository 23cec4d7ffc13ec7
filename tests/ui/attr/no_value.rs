use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie, namespace = "admin")]
struct Session {
    user_id: u64,
}

fn main() {}
