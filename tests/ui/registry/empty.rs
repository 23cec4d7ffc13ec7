session_seal::registry! {
    pub struct AppSessions {}
}

fn main() {}
