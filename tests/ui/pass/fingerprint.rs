use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "acct", namespace = "acct", fingerprint)]
struct Signed {
    user: u64,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "vault", namespace = "vault", encrypted, absolute_max_age = "7d", fingerprint)]
struct Encrypted {
    user: u64,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "app", store, user = "user", fingerprint)]
struct Stored {
    user: u64,
}

fn main() {
    assert!(Signed::SPEC.binds_fingerprint());
    assert!(Encrypted::SPEC.binds_fingerprint());
    assert!(Stored::SPEC.binds_fingerprint());
}
