use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "admin", store, user = "usr_id")]
struct Session {
    user_id: u64,
    roles: Vec<String>,
}

fn main() {}
