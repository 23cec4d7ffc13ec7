use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "admin", max_age = "8h", touch_after = "10m")]
struct Session {
    user_id: u64,
}

fn main() {}
