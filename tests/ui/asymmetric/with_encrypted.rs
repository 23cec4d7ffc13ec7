// `asymmetric` and `encrypted` exclude each other: services verifying with
// the public key must read the payload.

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "admin", encrypted)]
#[session(max_age = "5m", asymmetric)]
struct Session {
    user_id: u64,
}

fn main() {}
