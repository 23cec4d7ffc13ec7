use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "admin", store, max_per_user = 5)]
struct Session {
    account_user: u64,
    roles: Vec<String>,
}

fn main() {}
