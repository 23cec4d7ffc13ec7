// A revocable session is revoked by user: it names the field that says whose it is.

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "admin", absolute_max_age = "30d", revocable)]
struct Session {
    user_id: u64,
}

fn main() {}
