use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "admin", store, user = "user_id", max_per_user = "5")]
struct Session {
    user_id: u64,
}

fn main() {}
