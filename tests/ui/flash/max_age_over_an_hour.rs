// A flash is read on the next page: at most an hour.

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "notice", namespace = "notice", flash, max_age = "1h1s")]
struct Notice {
    text: String,
}

fn main() {}
