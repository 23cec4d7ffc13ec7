use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "admin", asymmetric = true)]
struct Session {
    user_id: u64,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid2", namespace = "admin2", asymmetric = "ed25519")]
struct Other {
    user_id: u64,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid3", namespace = "admin3", asymmetric(ed25519))]
struct Third {
    user_id: u64,
}

fn main() {}
