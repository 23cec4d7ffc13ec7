use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

// Shorter than the default max_age of one day.
#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "admin", absolute_max_age = "12h")]
struct Session {
    user_id: u64,
}

fn main() {}
