// A path of fields whose inner field does not exist: the compiler reports
// it at `user = "..."`. An empty segment is the derive's own error.

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize)]
struct Account {
    id: u64,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "store", store, user = "account.idd")]
struct Stored {
    account: Account,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid2", namespace = "store2", store, user = "account..id")]
struct Doubled {
    account: Account,
}

fn main() {}
