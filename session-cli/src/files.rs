//! Files that hold secrets: read only when private to their owner (as ssh
//! treats private keys), and created private from the first byte.

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Write as _};
use std::path::Path;

use zeroize::Zeroizing;

use crate::Failure;

/// The most a file of secrets may hold: thousands of secrets.
const MAX_SECRET_FILE: usize = 1 << 20;

/// The flag that downgrades the refusal of a non-private secret file.
#[cfg_attr(not(unix), allow(dead_code))]
pub const ALLOW_INSECURE_FLAG: &str = "--allow-insecure-secret-file";

/// Reads a file holding secrets. On Unix, a file that group or others can
/// read or write (mode & 0o077) is refused, or only warned about when
/// `allow_insecure` (the operator passed [`ALLOW_INSECURE_FLAG`]).
pub fn read_secret_file(path: &Path, allow_insecure: bool) -> Result<Zeroizing<String>, Failure> {
    let cannot_read =
        |error: std::io::Error| Failure::config(format!("cannot read {}: {error}", path.display()));
    let mut file = File::open(path).map_err(cannot_read)?;
    // The mode of the file actually opened (fstat), not of whatever the path
    // names a moment later.
    let metadata = file.metadata().map_err(cannot_read)?;
    check_private(path, &metadata, allow_insecure)?;
    // Sized up front, so the secret is not left behind in buffers a growing
    // Vec reallocates away from (only the final one is zeroized).
    let expected = usize::try_from(metadata.len()).unwrap_or(MAX_SECRET_FILE);
    let mut bytes = Zeroizing::new(Vec::with_capacity(expected.min(MAX_SECRET_FILE) + 1));
    // Bounded: a device or a pipe named by mistake could be endless.
    (&mut file)
        .take(MAX_SECRET_FILE as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot_read)?;
    if bytes.len() > MAX_SECRET_FILE {
        return Err(Failure::config(format!(
            "{} is over {MAX_SECRET_FILE} bytes: not a file of secrets",
            path.display()
        )));
    }
    match String::from_utf8(std::mem::take(&mut *bytes)) {
        Ok(text) => Ok(Zeroizing::new(text)),
        Err(error) => {
            // Zeroized on drop like the rest.
            drop(Zeroizing::new(error.into_bytes()));
            Err(Failure::config(format!(
                "{} is not valid UTF-8 text",
                path.display()
            )))
        }
    }
}

/// Refuses (or warns about) a secret file that group or others can access.
#[cfg(unix)]
fn check_private(
    path: &Path,
    metadata: &std::fs::Metadata,
    allow_insecure: bool,
) -> Result<(), Failure> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = metadata.permissions().mode() & 0o7777;
    if mode & 0o077 == 0 {
        return Ok(());
    }
    let problem = format!(
        "{} holds a secret but is accessible by group or others (mode {mode:04o})",
        path.display()
    );
    let fix = format!("chmod 600 {}", shell_word(path));
    if allow_insecure {
        crate::warn(&format!(
            "{problem}; reading it anyway ({ALLOW_INSECURE_FLAG}); fix: {fix}"
        ));
        Ok(())
    } else {
        Err(Failure::config(format!(
            "{problem}; refusing to read it. Fix: {fix} (or pass {ALLOW_INSECURE_FLAG})"
        )))
    }
}

/// No permission bits to check on this platform.
#[cfg(not(unix))]
fn check_private(
    _path: &Path,
    _metadata: &std::fs::Metadata,
    _allow_insecure: bool,
) -> Result<(), Failure> {
    Ok(())
}

/// `path` as one shell word, so the suggested fix can be pasted: as is when
/// it has only characters no shell treats specially, else single-quoted.
// Only the Unix permission check suggests a command.
#[cfg_attr(not(unix), allow(dead_code))]
fn shell_word(path: &Path) -> String {
    let text = path.display().to_string();
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+,:@%=".contains(c));
    if plain {
        text
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// Writes what `render` produces (secrets) to a new file at `path`,
/// readable and writable by its owner only.
///
/// The file is created with mode 0600 (on Unix) rather than chmod-ed after
/// the fact, so it is never readable by others, not even for a moment. It
/// must not exist yet: an existing file may be the only copy of a live
/// secret, and reusing one would keep its (possibly open) mode. It is
/// created before `render` runs, so a taken path fails before anything is
/// generated; if `render` or the write fails, the file is removed, so no
/// empty or partial file is left to be deployed.
pub fn write_new_private_file(
    path: &Path,
    render: impl FnOnce(&mut Vec<u8>) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let failed = |error: std::io::Error| {
        Failure::config(format!("cannot write {}: {error}", path.display()))
    };
    let mut file = private_options().open(path).map_err(|error| {
        if error.kind() == std::io::ErrorKind::AlreadyExists {
            Failure::config(format!(
                "{} already exists; it is never overwritten (it may hold a live secret): \
                 choose a new path, or move it away first",
                path.display()
            ))
        } else {
            failed(error)
        }
    })?;
    // Room for a rotation's two lines, so the buffer holding the secrets is
    // not reallocated (leaving copies behind) while they are written in.
    let mut contents = Zeroizing::new(Vec::with_capacity(4096));
    let result = render(&mut contents).and_then(|()| {
        // Durable before success is reported: the operator deploys this
        // file and may then discard the old secrets.
        file.write_all(&contents)
            .and_then(|()| file.sync_all())
            .map_err(failed)
    });
    if result.is_err() {
        drop(file);
        let _ = std::fs::remove_file(path);
    }
    result
}

/// Create-only, write-only options, with mode 0600 on Unix.
fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(
            shell_word(Path::new("/etc/app/secret.key")),
            "/etc/app/secret.key"
        );
        assert_eq!(shell_word(Path::new("my secret")), "'my secret'");
        assert_eq!(shell_word(Path::new("it's")), r"'it'\''s'");
        assert_eq!(shell_word(Path::new("$HOME")), "'$HOME'");
    }
}
