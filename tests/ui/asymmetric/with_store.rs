// `asymmetric` is cookie mode only: a store-mode cookie is a sealed random
// id, which a service holding only the public key could not look up.

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "admin", store, asymmetric)]
struct Session {
    user_id: u64,
}

fn main() {}
