// absolute_max_age bounds how long a revocation must be remembered.

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "admin", max_age = "8h", user = "user_id", revocable)]
struct Session {
    user_id: u64,
}

fn main() {}
