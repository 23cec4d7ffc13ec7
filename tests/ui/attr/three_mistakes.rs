use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "admin sid", namespace = "admin", versoin = 2, max_age = "8x")]
struct Session {
    user_id: u64,
}

fn main() {}
