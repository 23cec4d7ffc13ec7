// Both needs of `revocable` reported in one build, at `revocable`; the
// suggested absolute_max_age is at least max_age.

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "admin", max_age = "60d", revocable)]
struct Session {
    account_user: u64,
}

fn main() {}
