use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "admin", encrypted = true)]
struct Session {
    user_id: u64,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid2", namespace = "admin2", encrypted(xchacha))]
struct Other {
    user_id: u64,
}

fn main() {}
