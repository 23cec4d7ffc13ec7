// Without max_age a flash lives five minutes, which renew_after is checked against.

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "notice", namespace = "notice", flash, renew_after = "10m")]
struct Notice {
    text: String,
}

fn main() {}
