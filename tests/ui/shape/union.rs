use session_seal::SessionPayload;

#[derive(SessionPayload)]
#[session(cookie = "sid", namespace = "admin")]
union Session {
    user_id: u64,
    raw: [u8; 8],
}

fn main() {}
