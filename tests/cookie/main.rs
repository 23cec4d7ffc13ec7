//! The envelope and the derive, without HTTP or stores: what a sealed value
//! is byte for byte, what opens and what never does, and what
//! `#[derive(SessionPayload)]` declares. One test binary, so these link once
//! (and link nothing of axum's server side, Redis or SQL).
//!
//! - `wire_format`: format 1 (signed), recomputed from its specification;
//! - `encrypted`: format 2 (`#[session(encrypted)]`), likewise;
//! - `adversarial_envelope`: one security claim per test (tampering,
//!   malleability, cross-type replay, rotation, oversize input, secrets in
//!   messages);
//! - `proptest_roundtrip`: the same claims over generated payloads and inputs;
//! - `derive_spec`: what the derive and `registry!` produce.
//!
//! Run one module with `cargo test --test cookie <module>::`.

mod adversarial_envelope;
mod derive_spec;
mod encrypted;
mod proptest_roundtrip;
mod wire_format;
