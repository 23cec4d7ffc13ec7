//! Compile-time errors of `#[derive(SessionPayload)]` and `registry!`: one file
//! per mistake under the workspace's `tests/ui/<area>/`, each with the
//! expected `.stderr`, and the shapes that must compile under
//! `tests/ui/pass/`.
//!
//! It runs from this package rather than the facade because trybuild builds
//! the cases in a project with all of the running package's dev-dependencies:
//! here those are only trybuild, serde and the facade without its default
//! features, so the suite does not build the facade's test dependencies
//! (the store backends, proptest, …) a second time.
//!
//! `tests/ui` here is a symbolic link to the workspace's `tests/ui`. Through
//! it the cases sit inside this package, so trybuild names them
//! `tests/ui/<area>/<case>.rs` with their line numbers, as the `.stderr`
//! files have them; reached as `../tests/ui`, they would be outside it, and
//! trybuild would blank the line numbers of every diagnostic.

use std::path::Path;

const AREAS: [&str; 16] = [
    "attr",
    "cookie",
    "namespace",
    "version",
    "duration",
    "same_site",
    "migrate",
    "registry",
    "shape",
    "store",
    "encrypted",
    "asymmetric",
    "revocable",
    "flash",
    "partitioned",
    "refresh",
];

#[test]
fn ui() {
    // A checkout without symbolic links (Windows without developer mode)
    // has a one-line file here: fail, rather than find no cases and pass.
    for area in AREAS.iter().chain(&["pass"]) {
        let dir = Path::new("tests/ui").join(area);
        assert!(
            dir.is_dir(),
            "{} is not a directory: session-derive/tests/ui must be a \
             symbolic link to the workspace's tests/ui",
            dir.display()
        );
    }
    let t = trybuild::TestCases::new();
    for area in AREAS {
        t.compile_fail(format!("tests/ui/{area}/*.rs"));
    }
    t.pass("tests/ui/pass/*.rs");
}
