//! The SQL stores for the store-mode tests: a `PostgresStore` on a fresh
//! table of the shared test database, a `SqliteStore` in a fresh temporary
//! file, and a throwaway PostgreSQL server for outage tests.
//!
//! Without a reachable PostgreSQL the Postgres tests skip with a message;
//! with `SESSION_SEAL_REQUIRE_POSTGRES=1` (as in CI) they fail instead.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use session_sql::{PostgresStore, SqlStoreConfig, SqliteStore};

/// The shared test database: `SESSION_SEAL_POSTGRES_URL`, default
/// `postgres://session_seal:session_seal@127.0.0.1:5432/session_seal_test`
/// (what `.ci/run` creates).
pub fn postgres_url() -> String {
    std::env::var("SESSION_SEAL_POSTGRES_URL").unwrap_or_else(|_| {
        "postgres://session_seal:session_seal@127.0.0.1:5432/session_seal_test".into()
    })
}

/// Whether a missing server fails the test instead of skipping it.
pub fn postgres_required() -> bool {
    std::env::var("SESSION_SEAL_REQUIRE_POSTGRES").is_ok_and(|value| value == "1")
}

/// Skips `test` (returns `None`) or, under `SESSION_SEAL_REQUIRE_POSTGRES=1`, fails it.
pub fn skip<T>(test: &str, reason: &str) -> Option<T> {
    if postgres_required() {
        panic!("{test}: {reason}, and SESSION_SEAL_REQUIRE_POSTGRES=1 requires PostgreSQL");
    }
    eprintln!(
        "skipping {test}: {reason}. To run it, start PostgreSQL (`bash .ci/run` sets one \
         up) or point SESSION_SEAL_POSTGRES_URL at one; set \
         SESSION_SEAL_REQUIRE_POSTGRES=1 to make this a failure"
    );
    None
}

/// A table name no other call (in this or another test process) uses.
pub fn unique_table(test: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.subsec_nanos());
    let stem: String = test
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(32)
        .collect();
    format!("t_{stem}_{}_{nanos}_{n}", std::process::id())
}

/// Short timeouts: tests want a fast answer when the server is gone.
pub fn test_config(table: &str) -> SqlStoreConfig {
    SqlStoreConfig::default()
        .table(table)
        .acquire_timeout(Duration::from_secs(2))
        .operation_timeout(Duration::from_secs(5))
        .max_connections(4)
}

/// A migrated store on a fresh table of the shared test database, or
/// `None` (after a skip message) when no server answers.
pub async fn postgres_store(test: &str) -> Option<PostgresStore> {
    postgres_store_with(test, test_config(&unique_table(test))).await
}

/// [`postgres_store`] with `config` (whose table should be fresh).
pub async fn postgres_store_with(test: &str, config: SqlStoreConfig) -> Option<PostgresStore> {
    let url = postgres_url();
    let store = PostgresStore::with_config(&url, config).expect("valid PostgreSQL URL and config");
    match tokio::time::timeout(Duration::from_secs(10), store.migrate()).await {
        Ok(Ok(())) => Some(store),
        Ok(Err(error)) => skip(test, &format!("no PostgreSQL at {}: {error}", redact(&url))),
        Err(_) => skip(
            test,
            &format!("PostgreSQL at {} did not answer within 10 s", redact(&url)),
        ),
    }
}

/// Drops `store`'s table (tests tidy up after themselves; a failed test's
/// table stays in the throwaway database).
pub async fn drop_table(store: &PostgresStore, table: &str) {
    let _ = sqlx_drop(store, table).await;
}

async fn sqlx_drop(store: &PostgresStore, table: &str) -> Result<(), session_sql::sqlx::Error> {
    // `table` comes from `unique_table`: a plain identifier.
    session_sql::sqlx::query(&format!("DROP TABLE IF EXISTS \"{table}\""))
        .execute(store.pool())
        .await
        .map(|_| ())
}

/// `url` without its `user:password@` part, for messages.
fn redact(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((_, host)) => format!("{scheme}://<redacted>@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// A temporary SQLite file (and its WAL and shared-memory files), removed
/// on drop.
pub struct TempDb {
    path: PathBuf,
}

impl TempDb {
    /// A path in the system's temporary directory that no file has yet.
    pub fn new(test: &str) -> Self {
        let name = format!("session-seal-{}.db", unique_table(test));
        TempDb {
            path: std::env::temp_dir().join(name),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut path = self.path.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A migrated store in a fresh temporary file (kept until the `TempDb`
/// drops).
pub async fn sqlite_store(test: &str) -> (SqliteStore, TempDb) {
    sqlite_store_with(test, SqlStoreConfig::default().max_connections(4)).await
}

/// [`sqlite_store`] with `config`.
pub async fn sqlite_store_with(test: &str, config: SqlStoreConfig) -> (SqliteStore, TempDb) {
    let file = TempDb::new(test);
    let store = SqliteStore::open(file.path(), config).expect("valid SQLite config");
    store.migrate().await.expect("migrate a fresh SQLite file");
    (store, file)
}

// ------------------------------------------------- a throwaway PostgreSQL

/// A PostgreSQL server of this test's own: a fresh cluster (`initdb`, trust
/// authentication, loopback only) on a free port, run as the `postgres`
/// user when the tests run as root (PostgreSQL refuses to run as root).
/// Stopped and removed on drop.
pub struct PgProcess {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
}

/// The newest installed PostgreSQL's `bin` directory (Debian's layout),
/// or `SESSION_SEAL_PG_BIN`.
fn pg_bin() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("SESSION_SEAL_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("pg_ctl").exists().then_some((version, bin))
        })
        .collect();
    dirs.sort();
    dirs.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.starts_with(b"0\n"))
}

impl PgProcess {
    /// Starts one, waiting at most about 30 s. `None` (after a skip
    /// message) when PostgreSQL is not installed, unless required.
    pub fn spawn(test: &str) -> Option<Self> {
        let Some(bin) = pg_bin() else {
            return skip(
                test,
                "no PostgreSQL server binaries under /usr/lib/postgresql",
            );
        };
        let data = std::env::temp_dir().join(format!("session-seal-{}", unique_table(test)));
        let process = PgProcess {
            bin,
            data,
            port: super::store::free_port(),
        };
        let data = process.data.to_str().expect("utf-8 temp path").to_owned();
        process.run(
            "initdb",
            &["-D", &data, "--auth=trust", "-U", "postgres", "--no-sync"],
        );
        process.start();
        Some(process)
    }

    /// `postgres://postgres@127.0.0.1:<port>/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the server (again), waiting until it accepts connections.
    pub fn start(&self) {
        let data = self.data.to_str().expect("utf-8 temp path");
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {data} -c fsync=off",
            self.port
        );
        let log = format!("{data}/log");
        self.run(
            "pg_ctl",
            &[
                "-D", data, "-l", &log, "-w", "-t", "30", "-o", &options, "start",
            ],
        );
    }

    /// Stops the server at once (`-m immediate`: connections are cut, as in
    /// a crash); the data stays for [`start`](Self::start).
    pub fn stop(&self) {
        let data = self.data.to_str().expect("utf-8 temp path");
        self.run(
            "pg_ctl",
            &["-D", data, "-m", "immediate", "-w", "-t", "30", "stop"],
        );
    }

    fn run(&self, program: &str, args: &[&str]) {
        let program = self.bin.join(program);
        let mut command = if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&program);
            command
        } else {
            Command::new(&program)
        };
        let output = command
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|error| panic!("running {}: {error}", program.display()));
        assert!(
            output.status.success(),
            "{} {args:?} failed: {}{}",
            program.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for PgProcess {
    fn drop(&mut self) {
        let data = self.data.to_str().unwrap_or_default().to_owned();
        let program = self.bin.join("pg_ctl");
        let mut command = if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&program);
            command
        } else {
            Command::new(&program)
        };
        let _ = command
            .args(["-D", &data, "-m", "immediate", "-w", "-t", "30", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}
