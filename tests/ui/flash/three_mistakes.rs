// Every mistake in one build, each at its attribute.

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "notice", namespace = "notice", flash, max_age = "2h")]
#[session(revocable, partitioned)]
enum Notice {
    Saved,
    Deleted { count: u32 },
}

fn main() {}
