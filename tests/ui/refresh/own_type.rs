// A type cannot be refreshed from its own sessions.

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "admin", namespace = "admin", max_age = "5m", user = "user_id")]
#[session(refresh = AdminAccess)]
struct AdminAccess {
    user_id: u64,
}

fn main() {}
