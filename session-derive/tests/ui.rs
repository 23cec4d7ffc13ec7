//! Compile-time errors of `#[derive(SessionPayload)]` and `registry!`: one file
//! per mistake under `tests/ui/<area>/`, each with the expected `.stderr`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    for area in [
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
    ] {
        t.compile_fail(format!("tests/ui/{area}/*.rs"));
    }
    t.pass("tests/ui/pass/*.rs");
}
