//! The built `session-seal` binary, run as a user would: output, exit codes,
//! and what it never prints.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_session-seal");

/// Gives `command` exactly the given session-seal variables.
fn isolate(command: &mut Command, env: &[(&str, &str)]) {
    command
        .env_remove("SESSION_SEAL_SECRET")
        .env_remove("SESSION_SEAL_PREVIOUS_SECRETS")
        .env_remove("SESSION_SEAL_ENV");
    for (name, value) in env {
        command.env(name, value);
    }
}

/// Runs the binary with `args` and exactly the given session-seal variables.
fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(BIN);
    command.args(args);
    isolate(&mut command, env);
    command.output().expect("the binary runs")
}

/// Like [`run`], with `input` on standard input.
fn run_with_input(args: &[&str], env: &[(&str, &str)], input: &[u8]) -> Output {
    use std::io::Write as _;
    use std::process::Stdio;
    let mut command = Command::new(BIN);
    command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    isolate(&mut command, env);
    let mut child = command.spawn().expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write");
    child.wait_with_output().expect("wait")
}

/// A fresh, empty directory for one test (the tests run on threads of one
/// process, so the process id alone does not separate them).
fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("session-seal-cli-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Writes `contents` to `path` with permission bits `mode` (on Unix; the
/// umask plays no part, as `set_permissions` is a chmod).
fn write_with_mode(path: &Path, contents: &str, mode: u32) {
    std::fs::write(path, contents).expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
    #[cfg(not(unix))]
    let _ = mode;
}

/// A path as an argument (the tests' temporary paths are UTF-8).
fn arg(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("utf-8 stdout")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("utf-8 stderr")
}

fn keygen() -> String {
    let output = run(&["keygen"], &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output).trim().to_owned()
}

/// The key id `kid` prints for a keyring of just `secret`.
fn kid_of(secret: &str) -> String {
    let output = run(&["kid"], &[("SESSION_SEAL_SECRET", secret)]);
    assert!(output.status.success(), "{}", stderr(&output));
    let line = stdout(&output);
    line.split_whitespace()
        .nth(1)
        .expect("primary <kid>")
        .to_owned()
}

#[test]
fn keygen_prints_one_fresh_base64url_secret() {
    let (a, b) = (keygen(), keygen());
    assert_ne!(a, b);
    assert_eq!(a.len(), 43, "32 bytes in base64url without padding");
    assert!(
        a.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    );

    let long = run(&["keygen", "--bytes", "64"], &[]);
    assert_eq!(stdout(&long).trim().len(), 86);
    let short = run(&["keygen", "--bytes", "16"], &[]);
    assert_eq!(short.status.code(), Some(2), "usage error");
    assert!(stderr(&short).contains("16"), "{}", stderr(&short));
}

#[test]
fn kid_lists_primary_then_previous() {
    let (primary, old) = (keygen(), keygen());
    let output = run(
        &["kid"],
        &[
            ("SESSION_SEAL_SECRET", &primary),
            ("SESSION_SEAL_PREVIOUS_SECRETS", &old),
        ],
    );
    assert!(output.status.success());
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0], format!("primary   {}", kid_of(&primary)));
    assert_eq!(lines[1], format!("previous  {}", kid_of(&old)));
    assert!(
        !text.contains(&primary) && !text.contains(&old),
        "no secret printed"
    );
}

#[test]
fn secrets_can_come_from_files() {
    let dir = temp_dir("files");
    let (primary, old1, old2) = (keygen(), keygen(), keygen());
    let primary_file: PathBuf = dir.join("secret");
    let previous_file: PathBuf = dir.join("previous");
    write_with_mode(&primary_file, &format!("{primary}\n"), 0o600);
    write_with_mode(&previous_file, &format!("{old1}\n{old2}\n"), 0o400);
    let output = run(
        &[
            "kid",
            "--secret-file",
            arg(&primary_file),
            "--previous-secrets-file",
            arg(&previous_file),
        ],
        &[],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output).lines().count(), 3);
    assert!(stdout(&output).contains(&kid_of(&old2)));
    assert_eq!(stderr(&output), "", "private files: no warning");
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

/// As ssh with a private key: a secret file that group or others can read
/// or write is refused, with the file, its mode and the fix; the flag
/// downgrades the refusal to a warning.
#[cfg(unix)]
#[test]
fn secret_files_open_to_group_or_others_are_refused() {
    let dir = temp_dir("insecure");
    let (primary, old) = (keygen(), keygen());
    let primary_file = dir.join("secret");
    let private_file = dir.join("private");
    let previous_file = dir.join("previous");
    write_with_mode(&primary_file, &format!("{primary}\n"), 0o644);
    write_with_mode(&private_file, &format!("{primary}\n"), 0o600);
    write_with_mode(&previous_file, &format!("{old}\n"), 0o620);

    let output = run(&["kid", "--secret-file", arg(&primary_file)], &[]);
    assert_eq!(output.status.code(), Some(1), "configuration problem");
    let message = stderr(&output);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.contains(arg(&primary_file)),
        "names the file: {message}"
    );
    assert!(message.contains("0644"), "names the mode: {message}");
    assert!(
        message.contains(&format!("chmod 600 {}", arg(&primary_file))),
        "names the fix: {message}"
    );
    assert!(
        message.contains("--allow-insecure-secret-file"),
        "{message}"
    );
    assert!(!message.contains(&primary), "no secret in errors");
    assert_eq!(stdout(&output), "");

    // Every file a secret is read from: the previous secrets too (group-writable).
    let output = run(
        &[
            "kid",
            "--secret-file",
            arg(&private_file),
            "--previous-secrets-file",
            arg(&previous_file),
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("0620"), "{}", stderr(&output));
    assert!(stderr(&output).contains(arg(&previous_file)));

    // With the flag: read, with a warning that names the fix.
    let output = run(
        &[
            "kid",
            "--allow-insecure-secret-file",
            "--secret-file",
            arg(&primary_file),
        ],
        &[],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), format!("primary   {}\n", kid_of(&primary)));
    let warning = stderr(&output);
    assert!(warning.starts_with("session-seal: warning: "), "{warning}");
    assert!(
        warning.contains("0644") && warning.contains("chmod 600"),
        "{warning}"
    );

    // A private file is read without a word.
    let output = run(&["kid", "--secret-file", arg(&private_file)], &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stderr(&output), "");
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

/// Runs the binary under umask 000, where a file created with the default
/// mode (0666) would be readable and writable by everyone.
#[cfg(unix)]
fn run_with_open_umask(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg("umask 000 && exec \"$0\" \"$@\"")
        .arg(BIN)
        .args(args);
    isolate(&mut command, env);
    command.output().expect("sh runs the binary")
}

/// The permission bits of `path`.
#[cfg(unix)]
fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o7777
}

#[cfg(unix)]
#[test]
fn keygen_and_rotate_create_their_output_file_with_mode_0600() {
    let dir = temp_dir("output");
    let key_file = dir.join("secret.key");
    let output = run_with_open_umask(&["keygen", "--output", arg(&key_file)], &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "", "the secret goes to the file only");
    assert_eq!(mode_of(&key_file), 0o600, "whatever the umask");
    let secret = std::fs::read_to_string(&key_file).expect("read");
    assert_eq!(secret.trim().len(), 43, "{secret:?}");
    // The file it wrote is one the CLI reads without complaint.
    let output = run(&["kid", "--secret-file", arg(&key_file)], &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stderr(&output), "");

    let env_file = dir.join("rotated.env");
    let env = [("SESSION_SEAL_SECRET", secret.trim())];
    let output = run_with_open_umask(&["rotate", "-o", arg(&env_file)], &env);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "");
    assert!(
        stderr(&output).contains("(was primary)"),
        "key ids still on stderr"
    );
    assert_eq!(mode_of(&env_file), 0o600);
    let rotated = std::fs::read_to_string(&env_file).expect("read");
    assert!(rotated.starts_with("SESSION_SEAL_SECRET="), "{rotated}");
    assert!(
        rotated.contains(&format!(
            "SESSION_SEAL_PREVIOUS_SECRETS={}\n",
            secret.trim()
        )),
        "{rotated}"
    );

    // An existing file is never overwritten (it may hold the live secret).
    let output = run(&["keygen", "--output", arg(&key_file)], &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("already exists"),
        "{}",
        stderr(&output)
    );
    assert_eq!(std::fs::read_to_string(&key_file).expect("read"), secret);
    // A rotation that fails leaves no file behind.
    let failed_file = dir.join("failed.env");
    let output = run(&["rotate", "--output", arg(&failed_file)], &[]);
    assert_eq!(output.status.code(), Some(1), "no secret configured");
    assert!(!failed_file.exists(), "no empty file to deploy");
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn missing_or_bad_secrets_are_one_line_errors_with_exit_1() {
    let output = run(&["kid"], &[]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(message.contains("SESSION_SEAL_SECRET"), "{message}");
    assert!(message.contains("keygen"), "names the fix: {message}");

    let output = run(&["kid"], &[("SESSION_SEAL_SECRET", "c2hvcnQ")]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("primary secret"),
        "{}",
        stderr(&output)
    );

    let primary = keygen();
    let output = run(
        &["rotate"],
        &[
            ("SESSION_SEAL_SECRET", &primary),
            ("SESSION_SEAL_PREVIOUS_SECRETS", "not base64!"),
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("previous secret #1"), "{message}");
    assert!(!message.contains(&primary), "no secret in errors");
}

/// Runs `rotate --keep keep` with `primary` and `previous`, and returns the
/// new primary and the new previous list.
fn rotate(primary: &str, previous: &[String], keep: usize) -> (String, Vec<String>, String) {
    let previous = previous.join(",");
    let keep = keep.to_string();
    let mut env = vec![("SESSION_SEAL_SECRET", primary)];
    if !previous.is_empty() {
        env.push(("SESSION_SEAL_PREVIOUS_SECRETS", &previous));
    }
    let output = run(&["rotate", "--keep", &keep], &env);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "exactly the two lines: {text}");
    let new = lines[0]
        .strip_prefix("SESSION_SEAL_SECRET=")
        .expect("primary line")
        .to_owned();
    let list = lines[1]
        .strip_prefix("SESSION_SEAL_PREVIOUS_SECRETS=")
        .expect("previous line");
    let list = list
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    (new, list, stderr(&output))
}

#[test]
fn rotate_with_zero_one_and_three_previous_secrets() {
    let primary = keygen();

    let (new, list, ids) = rotate(&primary, &[], 2);
    assert_ne!(new, primary);
    assert_eq!(list, vec![primary.clone()], "the old primary comes first");
    assert!(
        ids.contains(&format!("primary   {}  (new)", kid_of(&new))),
        "{ids}"
    );
    assert!(ids.contains(&format!("previous  {}  (was primary)", kid_of(&primary))));

    let old = keygen();
    let (_, list, _) = rotate(&primary, std::slice::from_ref(&old), 2);
    assert_eq!(list, vec![primary.clone(), old.clone()]);

    let olds: Vec<String> = (0..3).map(|_| keygen()).collect();
    let (_, list, ids) = rotate(&primary, &olds, 2);
    assert_eq!(
        list,
        vec![primary.clone(), olds[0].clone()],
        "at most --keep"
    );
    assert!(
        ids.contains(&format!("dropped   {}", kid_of(&olds[1]))),
        "{ids}"
    );
    assert!(
        ids.contains(&format!("dropped   {}", kid_of(&olds[2]))),
        "{ids}"
    );
    assert!(!ids.contains(&primary), "key ids, not secrets, on stderr");

    let (_, list, _) = rotate(&primary, &olds, 0);
    assert!(list.is_empty(), "--keep 0 keeps none");
}

/// An admin session sealed by the library, for the inspect/verify tests.
#[derive(serde::Serialize, serde::Deserialize)]
struct AdminSession {
    user_id: u64,
    roles: Vec<String>,
}

impl session_core::SessionPayload for AdminSession {
    const SPEC: session_core::SessionSpec =
        session_core::SessionSpec::builder("AdminSession", "admin_sid", "admin")
            .version(2)
            .max_age_secs(8 * 3600)
            .build();
}

const SEALED_AT: u64 = 1_796_000_000;

fn keyring_of(secret: &str) -> session_core::Keyring {
    session_core::Keyring::new(session_core::SessionSecret::from_base64(secret).expect("base64"))
}

fn admin_cookie(secret: &str) -> String {
    keyring_of(secret)
        .seal_at(
            &AdminSession {
                user_id: 42,
                roles: vec!["admin".into()],
            },
            SEALED_AT,
        )
        .expect("sealed")
}

fn verify(value: &str, cookie: &str, namespace: &str, env: &[(&str, &str)], now: u64) -> Output {
    let now = now.to_string();
    run(
        &[
            "verify",
            value,
            "--cookie",
            cookie,
            "--namespace",
            namespace,
            "--now",
            &now,
        ],
        env,
    )
}

#[test]
fn keygen_seal_inspect_verify_round_trip() {
    let secret = keygen();
    let value = admin_cookie(&secret);

    // inspect needs no secret, and says its payload is unverified.
    let output = run(&["inspect", &value], &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("format   signed"), "{text}");
    assert!(
        text.contains(&format!("kid      {}\n", kid_of(&secret))),
        "{text}"
    );
    assert!(text.contains("version  2"), "{text}");
    assert!(text.contains("issued   2026-11-30T00:53:20Z"), "{text}");
    assert!(text.contains("expires  2026-11-30T08:53:20Z"), "{text}");
    assert!(text.contains("started  2026-11-30T00:53:20Z"), "{text}");
    assert!(text.contains("UNVERIFIED"), "{text}");
    assert!(text.contains("\"user_id\": 42"), "pretty JSON: {text}");
    // With the secret configured, the key id is matched.
    let output = run(&["inspect", &value], &[("SESSION_SEAL_SECRET", &secret)]);
    assert!(stdout(&output).contains("(the primary secret)"));
    // From standard input, pasted as a cookie pair.
    let piped = run_with_input(
        &["inspect", "-"],
        &[],
        format!("admin_sid={value}\n").as_bytes(),
    );
    assert!(piped.status.success(), "{}", stderr(&piped));
    assert!(stdout(&piped).contains("format   signed"));

    // verify opens it for real.
    let env = [("SESSION_SEAL_SECRET", secret.as_str())];
    let output = verify(&value, "admin_sid", "admin", &env, SEALED_AT + 60);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with("valid\n"), "{text}");
    assert!(text.contains("payload  verified:"), "{text}");
    assert!(text.contains("\"admin\""), "{text}");
    assert!(!text.contains(&secret) && !stderr(&output).contains(&secret));
}

#[test]
fn verify_has_one_exit_code_per_reason() {
    let secret = keygen();
    let value = admin_cookie(&secret);
    let env = [("SESSION_SEAL_SECRET", secret.as_str())];
    let at = SEALED_AT + 60;
    let code = |output: &Output| output.status.code();

    // 3: malformed.
    let output = verify("not-a-cookie", "admin_sid", "admin", &env, at);
    assert_eq!(code(&output), Some(3), "{}", stderr(&output));
    assert!(stderr(&output).starts_with("session-seal: invalid: malformed"));
    // 4: too large.
    let big = "A".repeat(5000);
    assert_eq!(code(&verify(&big, "admin_sid", "admin", &env, at)), Some(4));
    // 5: bad signature: another cookie name, another namespace, another key,
    // or a tampered value.
    assert_eq!(
        code(&verify(&value, "tenant_sid", "admin", &env, at)),
        Some(5)
    );
    assert_eq!(
        code(&verify(&value, "admin_sid", "tenant", &env, at)),
        Some(5)
    );
    let other = keygen();
    let other_env = [("SESSION_SEAL_SECRET", other.as_str())];
    let output = verify(&value, "admin_sid", "admin", &other_env, at);
    assert_eq!(code(&output), Some(5));
    assert!(
        stderr(&output).contains("bad_signature"),
        "{}",
        stderr(&output)
    );
    // 6: expired (8 h after sealing).
    let output = verify(&value, "admin_sid", "admin", &env, SEALED_AT + 8 * 3600);
    assert_eq!(code(&output), Some(6), "{}", stderr(&output));
    assert!(stderr(&output).contains("expired"));
    // A previous secret still verifies.
    let rotated = [
        ("SESSION_SEAL_SECRET", other.as_str()),
        ("SESSION_SEAL_PREVIOUS_SECRETS", secret.as_str()),
    ];
    let output = verify(&value, "admin_sid", "admin", &rotated, at);
    assert_eq!(code(&output), Some(0));
    assert!(stdout(&output).contains("(a previous secret)"));
    // 1: no secret; 2: a cookie name no session type could have.
    assert_eq!(
        code(&verify(&value, "admin_sid", "admin", &[], at)),
        Some(1)
    );
    let output = verify(&value, "bad name", "admin", &env, at);
    assert_eq!(code(&output), Some(2));
    assert!(stderr(&output).contains("--cookie"), "{}", stderr(&output));
    // inspect uses the same codes for what it cannot read.
    assert_eq!(code(&run(&["inspect", "garbage"], &[])), Some(3));
    assert_eq!(code(&run(&["inspect", &big], &[])), Some(4));
}

/// The admin session, encrypted (format 2).
#[derive(serde::Serialize, serde::Deserialize)]
struct SecretAdmin {
    user_id: u64,
}

impl session_core::SessionPayload for SecretAdmin {
    const SPEC: session_core::SessionSpec =
        session_core::SessionSpec::builder("SecretAdmin", "admin_sid", "admin")
            .encrypted()
            .build();
}

#[test]
fn encrypted_values_are_inspected_without_payload_and_verified_with_it() {
    let secret = keygen();
    let value = keyring_of(&secret)
        .seal_at(&SecretAdmin { user_id: 4242 }, SEALED_AT)
        .expect("sealed");
    let output = run(&["inspect", &value], &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("format   encrypted"), "{text}");
    assert!(text.contains("payload  encrypted"), "{text}");
    assert!(
        !text.contains("4242"),
        "nothing of the payload without a key: {text}"
    );

    let env = [("SESSION_SEAL_SECRET", secret.as_str())];
    let output = verify(&value, "admin_sid", "admin", &env, SEALED_AT + 60);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("\"user_id\": 4242"),
        "{}",
        stdout(&output)
    );
    // Under another binding it does not open.
    let output = verify(&value, "admin_sid", "tenant", &env, SEALED_AT + 60);
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
}

/// An asymmetric (format 3) session: signed with the secret's Ed25519 key,
/// opened with its public key alone.
#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct AccessSession {
    user_id: u64,
}

impl session_core::SessionPayload for AccessSession {
    const SPEC: session_core::SessionSpec =
        session_core::SessionSpec::builder("AccessSession", "access", "access")
            .max_age_secs(300)
            .asymmetric()
            .build();
}

/// Runs `pubkey` with `args` and the given secrets; its stdout lines.
fn pubkey(args: &[&str], env: &[(&str, &str)]) -> Vec<String> {
    let mut all = vec!["pubkey"];
    all.extend_from_slice(args);
    let output = run(&all, env);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stderr(&output), "", "nothing on stderr");
    stdout(&output).lines().map(str::to_owned).collect()
}

#[test]
fn pubkey_prints_the_public_keys_of_the_primary_then_the_previous_secrets() {
    let (primary, old) = (keygen(), keygen());
    let env = [
        ("SESSION_SEAL_SECRET", primary.as_str()),
        ("SESSION_SEAL_PREVIOUS_SECRETS", old.as_str()),
    ];
    let lines = pubkey(&[], &env);
    let expected = |secret: &str| keyring_of(secret).public_key().to_base64();
    assert_eq!(lines, vec![expected(&primary), expected(&old)]);
    for line in &lines {
        assert_eq!(line.len(), 43, "32 bytes in base64url without padding");
        assert!(
            line.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert!(!line.contains(&primary) && !line.contains(&old));
    }
    assert_eq!(pubkey(&["--primary-only"], &env), vec![expected(&primary)]);
    assert_eq!(
        pubkey(&["--env"], &env),
        vec![format!(
            "SESSION_SEAL_PUBLIC_KEYS={},{}",
            expected(&primary),
            expected(&old)
        )]
    );
    // A previous secret equal to the primary is listed once.
    let same = [
        ("SESSION_SEAL_SECRET", primary.as_str()),
        ("SESSION_SEAL_PREVIOUS_SECRETS", primary.as_str()),
    ];
    assert_eq!(pubkey(&[], &same), vec![expected(&primary)]);
}

#[test]
fn pubkey_output_is_what_a_verifying_keyring_reads() {
    let (primary, old) = (keygen(), keygen());
    let env = [
        ("SESSION_SEAL_SECRET", primary.as_str()),
        ("SESSION_SEAL_PREVIOUS_SECRETS", old.as_str()),
    ];
    let lines = pubkey(&[], &env).join("\n");
    let env_line = pubkey(&["--env"], &env).join("");
    let (name, list) = env_line.split_once('=').expect("NAME=VALUE");
    assert_eq!(name, session_core::PUBLIC_KEYS_VAR);
    let now = session_core::unix_now();
    let fresh = keyring_of(&primary)
        .seal_at(&AccessSession { user_id: 7 }, now)
        .expect("sealed");
    let older = keyring_of(&old)
        .seal_at(&AccessSession { user_id: 8 }, now)
        .expect("sealed");
    for value in [lines.as_str(), list] {
        let value = std::ffi::OsString::from(value);
        let keys = session_core::VerifyingKeyring::from_lookup(|var| {
            (var == session_core::PUBLIC_KEYS_VAR).then(|| value.clone())
        })
        .expect("reads the keys");
        let opened = keys.open::<AccessSession>(&fresh).expect("primary");
        assert_eq!(opened.payload, AccessSession { user_id: 7 });
        assert!(!opened.previous_key);
        let opened = keys.open::<AccessSession>(&older).expect("previous");
        assert_eq!(opened.payload, AccessSession { user_id: 8 });
        assert!(opened.previous_key, "flagged for re-issue");
    }
}

#[test]
fn pubkey_without_a_secret_is_a_one_line_error_with_exit_1() {
    let output = run(&["pubkey"], &[]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(message.contains("SESSION_SEAL_SECRET"), "{message}");
    assert_eq!(stdout(&output), "");
    let output = run(
        &["pubkey", "--bogus"],
        &[("SESSION_SEAL_SECRET", &keygen())],
    );
    assert_eq!(output.status.code(), Some(2), "usage error");
}

#[test]
fn asymmetric_values_are_inspected_and_verified() {
    let secret = keygen();
    let value = keyring_of(&secret)
        .seal_at(&AccessSession { user_id: 4242 }, SEALED_AT)
        .expect("sealed");
    let output = run(&["inspect", &value], &[("SESSION_SEAL_SECRET", &secret)]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("format   asymmetric"), "{text}");
    assert!(text.contains("(the primary secret)"), "{text}");
    assert!(text.contains("UNVERIFIED"), "{text}");
    assert!(text.contains("\"user_id\": 4242"), "{text}");

    let env = [("SESSION_SEAL_SECRET", secret.as_str())];
    let output = verify(&value, "access", "access", &env, SEALED_AT + 60);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("\"user_id\": 4242"));
    // Under another binding, or another secret, it does not open.
    let output = verify(&value, "access", "other", &env, SEALED_AT + 60);
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    let other = keygen();
    let output = verify(
        &value,
        "access",
        "access",
        &[("SESSION_SEAL_SECRET", &other)],
        SEALED_AT + 60,
    );
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
}

/// A session whose payload carries text an attacker chose.
#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct NoteSession {
    note: String,
    tags: std::collections::BTreeMap<String, String>,
}

impl session_core::SessionPayload for NoteSession {
    const SPEC: session_core::SessionSpec =
        session_core::SessionSpec::builder("NoteSession", "note_sid", "notes").build();
}

/// The JSON after the `payload` line of `inspect`/`verify` output.
fn printed_payload(text: &str) -> &str {
    let start = text.find("\npayload ").expect("a payload line") + 1;
    let after = &text[start..];
    &after[after.find('\n').expect("payload follows") + 1..]
}

#[test]
fn inspect_and_verify_escape_terminal_controls_and_bidi_in_payloads() {
    let secret = keygen();
    let session = NoteSession {
        // An 8-bit CSI (SGR red), a right-to-left override, an OSC title.
        note: "\u{9b}31mALERT \u{202e}txt.exe \u{1b}]0;pwned\u{7}".into(),
        tags: [(
            "\u{2066}owner\u{2069}".to_owned(),
            "a\u{200b}dmin\u{2028}".to_owned(),
        )]
        .into(),
    };
    let value = keyring_of(&secret)
        .seal_at(&session, SEALED_AT)
        .expect("sealed");
    let raw = [
        '\u{9b}', '\u{202e}', '\u{1b}', '\u{7}', '\u{2066}', '\u{2069}', '\u{200b}', '\u{2028}',
    ];

    let output = run(&["inspect", &value], &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for c in raw {
        assert!(!text.contains(c), "raw {c:?} printed: {text:?}");
    }
    assert!(text.contains("\\u009b31mALERT \\u202etxt.exe"), "{text}");
    assert!(text.contains("\\u2066owner\\u2069"), "keys too: {text}");
    // Escaped as JSON escapes: what is printed is the same payload, still JSON.
    let printed: NoteSession = serde_json::from_str(printed_payload(&text)).expect("JSON");
    assert_eq!(printed, session);

    let env = [("SESSION_SEAL_SECRET", secret.as_str())];
    let output = verify(&value, "note_sid", "notes", &env, SEALED_AT + 60);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    for c in raw {
        assert!(!text.contains(c), "raw {c:?} printed: {text:?}");
    }
    assert!(
        text.contains("\\u009b31m") && text.contains("\\u202e"),
        "{text}"
    );
    let printed: NoteSession = serde_json::from_str(printed_payload(&text)).expect("JSON");
    assert_eq!(printed, session);
}

/// A value that is not UTF-8 is malformed (exit code 3), whether it comes
/// from standard input or an argument; it is not a configuration problem.
#[test]
fn values_that_are_not_utf8_are_malformed() {
    let secret = keygen();
    let env = [("SESSION_SEAL_SECRET", secret.as_str())];
    let not_utf8 = b"admin_sid=\xff\xfeAZb0\n";
    let verify_args = [
        "verify",
        "-",
        "--cookie",
        "admin_sid",
        "--namespace",
        "admin",
    ];
    let output = run_with_input(&verify_args, &env, not_utf8);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        stderr(&output).starts_with("session-seal: invalid: malformed"),
        "{}",
        stderr(&output)
    );
    let output = run_with_input(&["inspect", "-"], &[], not_utf8);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));

    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt as _;
        let value = std::ffi::OsStr::from_bytes(b"\xffAZb0");
        for args in [
            vec![
                "verify".as_ref(),
                value,
                "--cookie".as_ref(),
                "sid".as_ref(),
                "--namespace".as_ref(),
                "app".as_ref(),
            ],
            vec!["inspect".as_ref(), value],
        ] {
            let mut command = Command::new(BIN);
            command.args(&args);
            isolate(&mut command, &env);
            let output = command.output().expect("runs");
            assert_eq!(
                output.status.code(),
                Some(3),
                "{args:?}: {}",
                stderr(&output)
            );
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

    /// Whatever is pasted, the commands answer with a reason and an exit
    /// code; they never panic (a panic exits with 101).
    #[test]
    fn garbage_never_panics(value in "\\PC{0,200}") {
        let secret = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        for args in [
            vec!["inspect", value.as_str()],
            vec!["verify", value.as_str(), "--cookie", "sid", "--namespace", "app"],
        ] {
            let output = run(&args, &[("SESSION_SEAL_SECRET", secret)]);
            let code = output.status.code();
            proptest::prop_assert!(matches!(code, Some(0..=7)), "{args:?}: {code:?}");
            proptest::prop_assert!(!stderr(&output).contains("panicked"));
        }
    }
}

#[test]
fn every_command_has_help_with_an_example() {
    for command in [
        "keygen", "rotate", "kid", "pubkey", "inspect", "verify", "revoke",
    ] {
        let output = run(&[command, "--help"], &[]);
        assert!(output.status.success(), "{command}");
        assert!(
            stdout(&output).contains("Example"),
            "{command}: {}",
            stdout(&output)
        );
    }
    let output = run(&["frobnicate"], &[]);
    assert_eq!(output.status.code(), Some(2));
}

// `revoke`: argument errors, then a revocation published by the binary and
// read back by a follower of the same feed, as an application's
// `Revocations` would read it.

/// Unix seconds now.
fn unix_now() -> u64 {
    session_core::unix_now()
}

/// A name no other test (in this or another process) uses.
fn unique(test: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.subsec_nanos());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{test}_{}_{nanos}_{n}", std::process::id())
}

/// A runtime for the tests' own feeds (the SQL ones need its context even
/// to be built: `let _context = runtime.enter();`).
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Follows `feed` into a fresh table (retention 400 days) until `done`
/// holds for it, or fails after ten seconds.
fn follow_until(
    runtime: &tokio::runtime::Runtime,
    feed: &impl session_core::revocation::RevocationFeed,
    done: impl Fn(&session_core::revocation::RevocationTable) -> bool,
) -> session_core::revocation::RevocationTable {
    use session_core::revocation::RevocationTable;
    use std::time::Duration;
    let table = RevocationTable::new(Duration::from_secs(400 * 86_400));
    runtime.block_on(async {
        let arrived = async {
            while !done(&table) {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        tokio::select! {
            result = feed.follow(&table) => panic!("the feed stopped: {result:?}"),
            outcome = tokio::time::timeout(Duration::from_secs(10), arrived) => {
                outcome.expect("the revocations arrive within 10 s");
            }
        }
    });
    table
}

/// Runs `revoke` with `args` (no secrets in the environment: it needs none).
fn revoke(args: &[&str]) -> Output {
    let mut all = vec!["revoke"];
    all.extend_from_slice(args);
    run(&all, &[])
}

#[test]
fn revoke_refuses_bad_arguments_with_exit_2_and_touches_nothing() {
    let dir = temp_dir("revoke-args");
    let db = dir.join("revocations.db");
    let db = arg(&db);
    let cases: &[(&[&str], &str)] = &[
        (&["--namespace", "admin", "--sqlite", db], "--user"),
        (
            &[
                "--namespace",
                "admin",
                "--user",
                "42",
                "--all",
                "--sqlite",
                db,
            ],
            "--all",
        ),
        (&["--namespace", "admin", "--user", "42"], "--sqlite"),
        (
            &[
                "--namespace",
                "admin",
                "--all",
                "--sqlite",
                db,
                "--redis",
                "redis://x",
            ],
            "--redis",
        ),
        (
            &["--namespace", "Admin", "--all", "--sqlite", db],
            "--namespace \"Admin\"",
        ),
        (&["--namespace", "", "--all", "--sqlite", db], "--namespace"),
        (
            &["--namespace", "admin", "--user", "", "--sqlite", db],
            "--user",
        ),
        (
            &[
                "--namespace",
                "admin",
                "--all",
                "--sqlite",
                db,
                "--key-prefix",
                "p",
            ],
            "--key-prefix",
        ),
        (
            &[
                "--namespace",
                "admin",
                "--all",
                "--redis",
                "redis://x",
                "--table",
                "t",
            ],
            "--table",
        ),
        (
            &[
                "--namespace",
                "admin",
                "--all",
                "--sqlite",
                db,
                "--table",
                "no;such",
            ],
            "--sqlite",
        ),
        (
            &[
                "--namespace",
                "admin",
                "--all",
                "--sqlite",
                db,
                "--retention",
                "30",
            ],
            "unit",
        ),
        (
            &[
                "--namespace",
                "admin",
                "--all",
                "--sqlite",
                db,
                "--retention",
                "1d",
                "--at",
                "5",
            ],
            "--retention",
        ),
        (
            &["--namespace", "admin", "--all", "--redis", "ftp://nowhere"],
            "--redis",
        ),
        (
            &[
                "--namespace",
                "admin",
                "--all",
                "--at",
                "soon",
                "--sqlite",
                db,
            ],
            "--at",
        ),
    ];
    for (args, mentions) in cases {
        let output = revoke(args);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {message}");
        assert!(
            message.contains(mentions),
            "{args:?} names {mentions}: {message}"
        );
        assert_eq!(stdout(&output), "", "{args:?}");
    }
    let long_user = "u".repeat(1025);
    let output = revoke(&["--namespace", "admin", "--user", &long_user, "--sqlite", db]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        !Path::new(db).exists(),
        "no argument error creates the database"
    );
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn revoke_into_sqlite_reaches_a_follower() {
    use session_sql::{SqlStoreConfig, SqliteRevocationFeed};
    let dir = temp_dir("revoke-sqlite");
    let db = dir.join("revocations.db");
    let at = unix_now();
    let at_text = at.to_string();

    let output = revoke(&[
        "--namespace",
        "admin",
        "--user",
        "42",
        "--at",
        &at_text,
        "--sqlite",
        arg(&db),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        format!("revoked user \"42\" in namespace \"admin\" at {at}\n")
    );
    assert_eq!(stderr(&output), "");
    // Every user, a second later; and a user key that would drive the
    // terminal is printed escaped.
    let later = (at + 1).to_string();
    let output = revoke(&[
        "--namespace",
        "admin",
        "--all",
        "--at",
        &later,
        "--sqlite",
        arg(&db),
        "--retention",
        "30d",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        format!("revoked all users in namespace \"admin\" at {}\n", at + 1)
    );
    let output = revoke(&[
        "--namespace",
        "shop",
        "--user",
        "eve\u{9b}2J\u{202e}",
        "--sqlite",
        arg(&db),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let line = stdout(&output);
    assert!(
        line.starts_with("revoked user \"eve\\u009b2J\\u202e\" in namespace \"shop\" at "),
        "{line}"
    );
    // A revocation in the future works, with a warning: it ends new
    // sessions too until then.
    let ahead = (at + 3_600).to_string();
    let output = revoke(&[
        "--namespace",
        "later",
        "--all",
        "--at",
        &ahead,
        "--sqlite",
        arg(&db),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).starts_with("session-seal: warning: --at ")
            && stderr(&output).contains("in the future"),
        "{}",
        stderr(&output)
    );

    let runtime = runtime();
    let _context = runtime.enter();
    let feed = SqliteRevocationFeed::open(&db, SqlStoreConfig::default()).expect("open");
    let table = follow_until(&runtime, &feed, |table| {
        table.covering("admin", Some("42")) == Some(at + 1)
            && table
                .covering("shop", Some("eve\u{9b}2J\u{202e}"))
                .is_some()
    });
    assert_eq!(
        table.covering("admin", Some("7")),
        Some(at + 1),
        "every user"
    );
    assert_eq!(
        table.covering("shop", Some("42")),
        None,
        "another namespace"
    );
    assert_eq!(table.covering("later", Some("1")), Some(at + 3_600));
    assert_eq!(table.len(), 4);
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

/// The same table, named by `--table`, in a file the application shares.
#[test]
fn revoke_into_sqlite_honours_the_table_name() {
    use session_sql::{SqlStoreConfig, SqliteRevocationFeed};
    let dir = temp_dir("revoke-sqlite-table");
    let db = dir.join("app.db");
    let at = unix_now().to_string();
    let output = revoke(&[
        "--namespace",
        "admin",
        "--user",
        "42",
        "--at",
        &at,
        "--sqlite",
        arg(&db),
        "--table",
        "app_sessions",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let runtime = runtime();
    let _context = runtime.enter();
    let config = SqlStoreConfig::default().table("app_sessions");
    let feed = SqliteRevocationFeed::open(&db, config).expect("open");
    follow_until(&runtime, &feed, |table| {
        table.covering("admin", Some("42")).is_some()
    });
    let other = SqliteRevocationFeed::open(&db, SqlStoreConfig::default()).expect("open");
    runtime.block_on(other.migrate()).expect("migrate");
    let table = follow_until(&runtime, &other, |table| table.is_current());
    assert!(table.is_empty(), "the default table holds nothing");
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn revoke_with_no_server_is_exit_8_and_never_prints_the_url() {
    for backend in [
        ["--redis", "redis://:hunter2secret@127.0.0.1:1"],
        [
            "--redis-cluster",
            "redis://:hunter2secret@127.0.0.1:1,redis://:hunter2secret@127.0.0.1:2",
        ],
        ["--postgres", "postgres://app:hunter2secret@127.0.0.1:1/app"],
    ] {
        let mut args = vec!["--namespace", "admin", "--user", "42"];
        args.extend_from_slice(&backend);
        let output = revoke(&args);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(8), "{backend:?}: {message}");
        assert_eq!(message.lines().count(), 1, "{message}");
        assert!(!message.contains("hunter2secret"), "{message}");
        assert!(!message.contains("127.0.0.1"), "{message}");
        assert_eq!(stdout(&output), "");
    }
}

/// Deletes `key` on the Redis server at `url` (`redis://[user:password@]
/// host[:port][/db]`), best effort: tests tidy up after themselves. On a
/// cluster node that does not own the key, the reply is a `MOVED` error
/// and nothing happens, so deleting on every node deletes it once.
fn redis_delete(url: &str, key: &str) {
    use std::io::{BufRead as _, BufReader, Write as _};
    use std::net::TcpStream;
    fn command(args: &[&[u8]]) -> Vec<u8> {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for arg in args {
            out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            out.extend_from_slice(arg);
            out.extend_from_slice(b"\r\n");
        }
        out
    }
    let Some(rest) = url.strip_prefix("redis://") else {
        return;
    };
    let (auth, rest) = match rest.rsplit_once('@') {
        Some((auth, rest)) => (Some(auth), rest),
        None => (None, rest),
    };
    let (address, db) = match rest.split_once('/') {
        Some((address, db)) => (address, Some(db).filter(|db| !db.is_empty())),
        None => (rest, None),
    };
    let address = if address.contains(':') {
        address.to_owned()
    } else {
        format!("{address}:6379")
    };
    let Ok(stream) = TcpStream::connect(&address) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(5)));
    let mut stream = BufReader::new(stream);
    let mut commands = Vec::new();
    match auth.map(|auth| auth.split_once(':').unwrap_or(("", auth))) {
        Some(("", password)) => commands.push(command(&[b"AUTH", password.as_bytes()])),
        Some((user, password)) => {
            commands.push(command(&[b"AUTH", user.as_bytes(), password.as_bytes()]))
        }
        None => {}
    }
    if let Some(db) = db {
        commands.push(command(&[b"SELECT", db.as_bytes()]));
    }
    commands.push(command(&[b"DEL", key.as_bytes()]));
    for command in commands {
        // Every reply here is one line: +OK, :1, or an error.
        let mut reply = String::new();
        if stream.get_mut().write_all(&command).is_err() || stream.read_line(&mut reply).is_err() {
            return;
        }
    }
}

/// Skips the test (`true`) or, when `require_var` is `1`, fails it.
fn skip_unless_required(test: &str, require_var: &str, why: &str) -> bool {
    if std::env::var(require_var).is_ok_and(|value| value == "1") {
        panic!("{test}: {why}, and {require_var}=1 requires it");
    }
    eprintln!("skipping {test}: {why}; set {require_var}=1 to make this a failure");
    true
}

#[test]
fn revoke_into_redis_reaches_a_follower() {
    use session_redis::{RedisRevocationFeed, RedisStoreConfig};
    let url =
        std::env::var("SESSION_SEAL_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let prefix = unique("ss-test:cli-revoke");
    let at = unix_now();
    let at_text = at.to_string();
    let output = revoke(&[
        "--namespace",
        "admin",
        "--user",
        "42",
        "--at",
        &at_text,
        "--redis",
        &url,
        "--key-prefix",
        &prefix,
        "--retention",
        "1d",
    ]);
    if output.status.code() == Some(8)
        && skip_unless_required(
            "revoke_into_redis_reaches_a_follower",
            "SESSION_SEAL_REQUIRE_REDIS",
            &format!("no Redis server: {}", stderr(&output).trim()),
        )
    {
        return;
    }
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        format!("revoked user \"42\" in namespace \"admin\" at {at}\n")
    );
    let runtime = runtime();
    let _context = runtime.enter();
    let config = RedisStoreConfig::default().key_prefix(prefix.as_str());
    let feed = RedisRevocationFeed::with_config(&url, config).expect("valid URL");
    follow_until(&runtime, &feed, |table| {
        table.covering("admin", Some("42")) == Some(at)
    });
    let elsewhere = RedisRevocationFeed::with_config(
        &url,
        RedisStoreConfig::default().key_prefix(unique("ss-test:cli-revoke-other")),
    )
    .expect("valid URL");
    let table = follow_until(&runtime, &elsewhere, |table| table.is_current());
    assert!(table.is_empty(), "another key prefix is another stream");
    redis_delete(&url, feed.stream_key());
}

#[test]
fn revoke_into_a_redis_cluster_reaches_a_follower() {
    use session_redis::{RedisRevocationFeed, RedisStore, RedisStoreConfig};
    let nodes = std::env::var("SESSION_SEAL_REDIS_CLUSTER_URLS").unwrap_or_else(|_| {
        "redis://127.0.0.1:7001,redis://127.0.0.1:7002,redis://127.0.0.1:7003".into()
    });
    let prefix = unique("ss-test:cli-revoke-cluster");
    let at = unix_now();
    let at_text = at.to_string();
    let output = revoke(&[
        "--namespace",
        "admin",
        "--all",
        "--at",
        &at_text,
        "--redis-cluster",
        &nodes,
        "--key-prefix",
        &prefix,
    ]);
    if output.status.code() == Some(8)
        && skip_unless_required(
            "revoke_into_a_redis_cluster_reaches_a_follower",
            "SESSION_SEAL_REQUIRE_REDIS",
            &format!("no Redis Cluster: {}", stderr(&output).trim()),
        )
    {
        return;
    }
    assert!(output.status.success(), "{}", stderr(&output));
    let runtime = runtime();
    let _context = runtime.enter();
    let config = RedisStoreConfig::default().key_prefix(prefix.as_str());
    let feed = RedisRevocationFeed::on(
        RedisStore::cluster_with_config(nodes.split(','), config).expect("valid URLs"),
    );
    follow_until(&runtime, &feed, |table| {
        table.covering("admin", None) == Some(at)
    });
    for node in nodes.split(',') {
        redis_delete(node, feed.stream_key());
    }
}

#[test]
fn revoke_into_postgres_reaches_a_follower() {
    use session_sql::{PostgresRevocationFeed, SqlStoreConfig};
    let url = std::env::var("SESSION_SEAL_POSTGRES_URL").unwrap_or_else(|_| {
        "postgres://session_seal:session_seal@127.0.0.1:5432/session_seal_test".into()
    });
    let table_name = unique("t_cli_revoke");
    let at = unix_now();
    let at_text = at.to_string();
    let output = revoke(&[
        "--namespace",
        "admin",
        "--user",
        "42",
        "--at",
        &at_text,
        "--postgres",
        &url,
        "--table",
        &table_name,
    ]);
    if output.status.code() == Some(8)
        && skip_unless_required(
            "revoke_into_postgres_reaches_a_follower",
            "SESSION_SEAL_REQUIRE_POSTGRES",
            &format!("no PostgreSQL: {}", stderr(&output).trim()),
        )
    {
        return;
    }
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        format!("revoked user \"42\" in namespace \"admin\" at {at}\n")
    );
    let runtime = runtime();
    let _context = runtime.enter();
    let feed =
        PostgresRevocationFeed::with_config(&url, SqlStoreConfig::default().table(&table_name))
            .expect("valid URL");
    follow_until(&runtime, &feed, |table| {
        table.covering("admin", Some("42")) == Some(at)
    });
    // Tidy up (a failed test's table stays in the throwaway database).
    let drop = format!("DROP TABLE IF EXISTS \"{}\"", feed.table_name());
    let _ = runtime.block_on(session_sql::sqlx::query(&drop).execute(feed.pool()));
}
