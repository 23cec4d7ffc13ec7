// `user` names whose sessions to end; a flash message has none to end.

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "notice", namespace = "notice", flash, user = "user_id")]
struct Notice {
    user_id: u64,
    text: String,
}

fn main() {}
