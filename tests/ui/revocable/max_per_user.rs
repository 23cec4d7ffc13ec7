// `user` is accepted on a revocable cookie-mode session; `max_per_user` is
// still store mode only (nothing counts cookie-mode sessions).

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "admin", absolute_max_age = "30d")]
#[session(revocable, user = "user_id", max_per_user = 3)]
struct Session {
    user_id: u64,
}

fn main() {}
