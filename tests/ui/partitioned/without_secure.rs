// Browsers keep a Partitioned cookie only when it is Secure. One message,
// at `partitioned` (not also the same_site = "none" rule).

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "embed", namespace = "embed", same_site = "none", partitioned)]
struct Embed {
    visitor: u64,
}

fn main() {}
