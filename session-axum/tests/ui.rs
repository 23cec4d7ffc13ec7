//! Compile-time errors of the extractors: a handler that extracts a session
//! type no `registry!` lists does not compile (`Registered`), one file per
//! case under the workspace's `tests/ui/extractor/`, each with its expected
//! `.stderr`.
//!
//! Apart from session-derive's suite (`session-derive/tests/ui.rs`, the
//! derive and `registry!`) because these cases need the axum integration,
//! and trybuild builds every case of a suite against all of its package's
//! dev-dependencies: here the facade with its `axum` feature, there the
//! facade without it, so the many declaration cases do not pay for axum.
//!
//! `tests/ui` here is a symbolic link to the workspace's `tests/ui`, for
//! the reason given in session-derive's suite: trybuild then keeps the line
//! numbers of the diagnostics.

use std::path::Path;

#[test]
fn ui() {
    // A checkout without symbolic links has a one-line file here: fail,
    // rather than find no cases and pass.
    let dir = Path::new("tests/ui/extractor");
    assert!(
        dir.is_dir(),
        "{} is not a directory: session-axum/tests/ui must be a symbolic \
         link to the workspace's tests/ui",
        dir.display()
    );
    trybuild::TestCases::new().compile_fail("tests/ui/extractor/*.rs");
}
