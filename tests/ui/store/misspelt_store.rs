use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

// A misspelt `store` is one error: the store-mode keys after it are not also
// reported as needing `store`.
#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "admin", stroe, touch_after = "10m", user = "user_id")]
struct Session {
    user_id: u64,
}

fn main() {}
