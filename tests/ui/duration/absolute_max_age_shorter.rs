use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "admin", max_age = "8h", absolute_max_age = "1h")]
struct Session {
    user_id: u64,
}

fn main() {}
