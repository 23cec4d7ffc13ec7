// A flash is read once and soon gone: nothing to revoke. One message, not
// also "revocable needs user" and "needs absolute_max_age".

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "notice", namespace = "notice", flash, revocable)]
struct Notice {
    text: String,
}

fn main() {}
