// `asymmetric` and `fingerprint` exclude each other: services verifying
// with the public key hold no secret to check a fingerprint with.

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "admin", fingerprint)]
#[session(max_age = "5m", asymmetric)]
struct Session {
    user_id: u64,
}

fn main() {}
