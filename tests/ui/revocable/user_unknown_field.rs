// In cookie mode too, `user` must name a field of the struct.

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "admin", absolute_max_age = "30d")]
#[session(revocable, user = "usr_id")]
struct Session {
    user_id: u64,
}

fn main() {}
