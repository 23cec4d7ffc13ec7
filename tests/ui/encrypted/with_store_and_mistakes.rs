// Each mistake once: `encrypted` with `store`, and a store key on its own.

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "admin", encrypted, renew_after = "1h")]
#[session(store)]
struct Session {
    user_id: u64,
}

fn main() {}
