use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "embed", namespace = "embed", same_site = "lax", partitioned)]
struct Embed {
    visitor: u64,
}

fn main() {}
