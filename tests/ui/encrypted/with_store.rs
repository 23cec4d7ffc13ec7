// `encrypted` is cookie mode only: a store-mode cookie is a sealed random id.

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "admin", store, encrypted)]
struct Session {
    user_id: u64,
}

fn main() {}
