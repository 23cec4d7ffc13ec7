// Secure by its __Host- name, but a partitioned cookie serves embedded
// (cross-site) contexts, where only SameSite=None cookies are sent.

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "__Host-embed", namespace = "embed", partitioned)]
struct Embed {
    visitor: u64,
}

fn main() {}
