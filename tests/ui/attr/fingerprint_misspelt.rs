use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "app", store, fingerprnt)]
struct Account {
    user: u64,
}

fn main() {}
