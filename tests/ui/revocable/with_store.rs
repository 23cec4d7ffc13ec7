// Store mode is revocable already: ending a stored session deletes its row.

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "admin", store, user = "user_id", revocable)]
struct Session {
    user_id: u64,
}

fn main() {}
