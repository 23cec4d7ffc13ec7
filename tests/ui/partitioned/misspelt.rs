use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "__Host-embed", namespace = "embed", same_site = "none", partitoned)]
struct Embed {
    visitor: u64,
}

fn main() {}
