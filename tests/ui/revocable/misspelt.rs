// A misspelt `revocable` is one error with a suggestion; `user` is not also
// reported as needing `store` or `revocable`.

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "admin", user = "user_id", absolute_max_age = "30d")]
#[session(revokable)]
struct Session {
    user_id: u64,
}

fn main() {}
