// The user field of a revocable session is read through `UserKey`; a type
// without it is one error, at `user = "..."`.

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize)]
struct Account {
    id: u64,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "admin", absolute_max_age = "30d")]
#[session(revocable, user = "account")]
struct Session {
    account: Account,
}

fn main() {}
