use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "admin", store, max_age = "8h", renew_after = "4h")]
struct Session {
    user_id: u64,
}

fn main() {}
