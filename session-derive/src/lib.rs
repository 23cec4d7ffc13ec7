//! The `SessionPayload` derive and `registry!` (arriving with the derive issue).
#![forbid(unsafe_code)]
