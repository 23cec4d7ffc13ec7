// A flash message lives in its cookie: store mode has no place for it.

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "notice", namespace = "notice", store, flash)]
struct Notice {
    text: String,
}

fn main() {}
