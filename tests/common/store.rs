//! Redis for the store-mode tests: a `RedisStore` on a fresh key prefix of
//! the shared test server or the shared test cluster, a throwaway
//! `redis-server` for outage tests, and a minimal raw client to inspect or
//! corrupt what the store wrote.
//!
//! Without a reachable server (or cluster) the Redis tests skip with a
//! message; with `SESSION_SEAL_REQUIRE_REDIS=1` (as in CI) they fail instead.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use session_redis::{RedisStore, RedisStoreConfig};

/// The shared test server's URL: `SESSION_SEAL_REDIS_URL`, default
/// `redis://127.0.0.1:6379`.
pub fn redis_url() -> String {
    std::env::var("SESSION_SEAL_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// Whether a missing server fails the test instead of skipping it.
pub fn redis_required() -> bool {
    std::env::var("SESSION_SEAL_REQUIRE_REDIS").is_ok_and(|value| value == "1")
}

/// Skips `test` (returns `None`) or, under `SESSION_SEAL_REQUIRE_REDIS=1`, fails it.
fn skip<T>(test: &str, reason: &str, how_to_run: &str) -> Option<T> {
    if redis_required() {
        panic!("{test}: {reason}, and SESSION_SEAL_REQUIRE_REDIS=1 requires Redis");
    }
    eprintln!(
        "skipping {test}: {reason}. To run it, {how_to_run}; \
         set SESSION_SEAL_REQUIRE_REDIS=1 to make this a failure"
    );
    None
}

const START_SERVER: &str =
    "start `redis-server` on 127.0.0.1:6379 (or point SESSION_SEAL_REDIS_URL at one)";

/// The running test's name: libtest names each test's thread after it.
fn current_test() -> String {
    std::thread::current()
        .name()
        .filter(|name| *name != "main")
        .unwrap_or("a test using spawn_redis_server")
        .to_owned()
}

/// A key prefix no other call (in this or another test process) uses, so
/// tests can share one server without seeing each other's rows.
pub fn unique_prefix(test: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let test: String = test
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("ss-test:{test}:{}-{nanos}-{n}", std::process::id())
}

/// Short timeouts: tests want a fast answer when the server is gone.
fn test_config(prefix: String) -> RedisStoreConfig {
    RedisStoreConfig::default()
        .key_prefix(prefix)
        .connection_timeout(Duration::from_secs(1))
        .response_timeout(Duration::from_secs(2))
}

/// A store on the shared test server under a fresh key prefix, or `None`
/// (after a skip message) when no server answers.
pub async fn redis_store(test: &str) -> Option<RedisStore> {
    let url = redis_url();
    let store = RedisStore::with_config(&url, test_config(unique_prefix(test)))
        .expect("SESSION_SEAL_REDIS_URL is a valid Redis URL");
    match tokio::time::timeout(Duration::from_secs(5), store.ping()).await {
        Ok(Ok(())) => Some(store),
        Ok(Err(error)) => skip(
            test,
            &format!("no Redis at {}: {error}", redact(&url)),
            START_SERVER,
        ),
        Err(_) => skip(
            test,
            &format!("Redis at {} did not answer within 5 s", redact(&url)),
            START_SERVER,
        ),
    }
}

/// The shared test cluster's node URLs: `SESSION_SEAL_REDIS_CLUSTER_URLS`
/// (comma-separated), default the three primaries `.ci/run` starts on
/// 127.0.0.1:7001-7003.
pub fn redis_cluster_urls() -> Vec<String> {
    std::env::var("SESSION_SEAL_REDIS_CLUSTER_URLS")
        .unwrap_or_else(|_| {
            "redis://127.0.0.1:7001,redis://127.0.0.1:7002,redis://127.0.0.1:7003".into()
        })
        .split(',')
        .map(str::to_owned)
        .collect()
}

const START_CLUSTER: &str = "run `.ci/run` (it starts a three-primary cluster on 127.0.0.1:7001-7003) \
     or point SESSION_SEAL_REDIS_CLUSTER_URLS at one";

/// A store on the shared test cluster under a fresh key prefix, or `None`
/// (after a skip message) when the cluster does not answer.
pub async fn redis_cluster_store(test: &str) -> Option<RedisStore> {
    let store =
        RedisStore::cluster_with_config(redis_cluster_urls(), test_config(unique_prefix(test)))
            .expect("SESSION_SEAL_REDIS_CLUSTER_URLS are valid Redis URLs");
    match tokio::time::timeout(Duration::from_secs(5), store.ping()).await {
        Ok(Ok(())) => Some(store),
        Ok(Err(error)) => skip(test, &format!("no Redis Cluster: {error}"), START_CLUSTER),
        Err(_) => skip(
            test,
            "the Redis Cluster did not answer within 5 s",
            START_CLUSTER,
        ),
    }
}

/// Removes every key under `store`'s prefix from each cluster node.
pub fn remove_cluster_keys(store: &RedisStore) {
    for url in redis_cluster_urls() {
        remove_keys(&url, store);
    }
}

/// A store on `url` under a fresh prefix, without checking the server.
pub fn redis_store_at(url: &str, test: &str) -> RedisStore {
    RedisStore::with_config(url, test_config(unique_prefix(test))).expect("valid Redis URL")
}

/// Removes every key under `store`'s prefix (tests tidy up after
/// themselves; rows left by a failed test expire by their TTL).
pub fn remove_keys(url: &str, store: &RedisStore) {
    let Ok(mut raw) = RawRedis::connect(url) else {
        return;
    };
    for key in raw.keys(&format!("{}:*", store.key_prefix())) {
        raw.cmd(&[b"DEL", &key]);
    }
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

/// A `redis-server` of this test's own on a free loopback port, without
/// persistence. Killed and reaped on [`kill`](Self::kill) or drop.
pub struct RedisProcess {
    child: Option<Child>,
    port: u16,
}

impl RedisProcess {
    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server (SIGKILL, as a crash would) and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts a fresh (empty) server on the same port after [`kill`](Self::kill),
    /// as a restarted Redis would come back. Panics if it does not answer.
    pub fn restart(&mut self) {
        self.kill();
        let child = start_server(self.port, &[]).expect("redis-server restarts on its port");
        self.child = Some(child);
    }
}

impl Drop for RedisProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Starts a throwaway `redis-server` on a free loopback port and waits (at
/// most about 5 s) until it answers. `None` (after a skip message) when the
/// binary is missing, unless `SESSION_SEAL_REQUIRE_REDIS=1`.
pub fn spawn_redis_server() -> Option<RedisProcess> {
    let mut last_error = String::new();
    // Another process may take the port between our probe and the server's
    // bind; a few attempts make that race harmless.
    for _ in 0..3 {
        let port = free_port();
        match start_server(port, &[]) {
            Ok(child) => {
                return Some(RedisProcess {
                    child: Some(child),
                    port,
                });
            }
            Err(StartError::Missing) => {
                return skip(
                    &current_test(),
                    "the `redis-server` binary is not on PATH",
                    "install it (Debian: `apt-get install redis-server`)",
                );
            }
            Err(StartError::Failed(error)) => last_error = error,
        }
    }
    panic!("could not start a throwaway redis-server: {last_error}");
}

enum StartError {
    Missing,
    Failed(String),
}

impl std::fmt::Debug for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Missing => f.write_str("redis-server is not installed"),
            StartError::Failed(error) => f.write_str(error),
        }
    }
}

/// Starts `redis-server` on `port` with `extra` arguments and waits (at most
/// 5 s) until it answers.
fn start_server(port: u16, extra: &[&str]) -> Result<Child, StartError> {
    let spawned = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Err(StartError::Missing),
        Err(error) => {
            return Err(StartError::Failed(format!(
                "spawning redis-server: {error}"
            )));
        }
    };
    let url = format!("redis://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(StartError::Failed(format!(
                "redis-server on port {port} exited with {status}"
            )));
        }
        if RawRedis::connect(&url)
            .is_ok_and(|mut raw| raw.cmd(&[b"PING"]) == Resp::Simple("PONG".into()))
        {
            return Ok(child);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(StartError::Failed(format!(
                "redis-server on port {port} did not answer within 5 s"
            )));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A throwaway Redis Cluster of three primaries on free loopback ports,
/// without persistence, its node files in a fresh temporary directory.
/// Nodes are killed and reaped on [`kill_node`](Self::kill_node) or drop.
///
/// `cluster-require-full-coverage no`: when a primary dies, the others keep
/// serving their slots (as a cluster with replicas does after a failover);
/// `cluster-node-timeout` is 1 s so a test also sees the state after the
/// cluster has marked the node as failed.
pub struct RedisCluster {
    nodes: Vec<(u16, Option<Child>)>,
    dir: std::path::PathBuf,
}

impl RedisCluster {
    /// `redis://127.0.0.1:<port>` of each node.
    pub fn urls(&self) -> Vec<String> {
        self.nodes
            .iter()
            .map(|(port, _)| format!("redis://127.0.0.1:{port}"))
            .collect()
    }

    /// Kills node `index` (SIGKILL, as a crash would) and reaps it.
    pub fn kill_node(&mut self, index: usize) {
        if let Some(mut child) = self
            .nodes
            .get_mut(index)
            .and_then(|(_, child)| child.take())
        {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Whether every live node reports `cluster_state:ok`.
    fn is_ok(&self) -> bool {
        self.urls().iter().all(|url| {
            RawRedis::connect(url).is_ok_and(|mut raw| {
                matches!(raw.cmd(&[b"CLUSTER", b"INFO"]),
                    Resp::Bulk(Some(info)) if String::from_utf8_lossy(&info).contains("cluster_state:ok"))
            })
        })
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for index in 0..self.nodes.len() {
            self.kill_node(index);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A port whose cluster bus port (+10000) is free too.
fn free_cluster_port() -> u16 {
    loop {
        let port = free_port();
        if port <= u16::MAX - 10_000
            && std::net::TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok()
        {
            return port;
        }
    }
}

/// Starts a [`RedisCluster`] and waits (at most about 15 s) until it
/// reports `cluster_state:ok`. `None` (after a skip message) when
/// `redis-server` is missing, unless `SESSION_SEAL_REQUIRE_REDIS=1`.
pub fn spawn_redis_cluster() -> Option<RedisCluster> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    let dir = std::env::temp_dir().join(format!(
        "session-seal-test-cluster-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("temporary directory for the cluster");
    let mut cluster = RedisCluster {
        nodes: Vec::new(),
        dir,
    };
    for _ in 0..3 {
        let port = free_cluster_port();
        let conf = cluster.dir.join(format!("nodes-{port}.conf"));
        let dir = cluster.dir.to_string_lossy().into_owned();
        let conf = conf.to_string_lossy().into_owned();
        let extra = [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            &conf,
            "--cluster-node-timeout",
            "1000",
            "--cluster-require-full-coverage",
            "no",
            "--dir",
            &dir,
        ];
        match start_server(port, &extra) {
            Ok(child) => cluster.nodes.push((port, Some(child))),
            Err(StartError::Missing) => {
                return skip(
                    &current_test(),
                    "the `redis-server` binary is not on PATH",
                    "install it (Debian: `apt-get install redis-server`)",
                );
            }
            Err(StartError::Failed(error)) => panic!("could not start a cluster node: {error}"),
        }
    }
    let addresses: Vec<String> = cluster
        .nodes
        .iter()
        .map(|(port, _)| format!("127.0.0.1:{port}"))
        .collect();
    let status = Command::new("redis-cli")
        .arg("--cluster")
        .arg("create")
        .args(&addresses)
        .args(["--cluster-replicas", "0", "--cluster-yes"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("redis-cli runs");
    assert!(
        status.success(),
        "redis-cli --cluster create failed: {status}"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cluster.is_ok() {
        assert!(
            Instant::now() < deadline,
            "the throwaway cluster did not reach cluster_state:ok within 10 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(cluster)
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

/// A reply in the Redis protocol (RESP2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resp {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Resp>>),
}

/// A blocking Redis client that speaks just enough RESP2 to inspect and
/// corrupt what a store wrote (the tests do not depend on redis-rs directly).
/// Panics on protocol errors: they are test failures.
pub struct RawRedis {
    stream: BufReader<TcpStream>,
}

impl RawRedis {
    /// Connects to `redis://[user:password@]host[:port][/db]`.
    pub fn connect(url: &str) -> io::Result<Self> {
        let rest = url
            .strip_prefix("redis://")
            .ok_or_else(|| io::Error::other("the raw test client speaks only redis:// URLs"))?;
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
        let stream = TcpStream::connect(&address)?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        stream.set_write_timeout(Some(Duration::from_secs(5)))?;
        let mut raw = RawRedis {
            stream: BufReader::new(stream),
        };
        if let Some(auth) = auth {
            let reply = match auth.split_once(':') {
                Some(("", password)) => raw.try_cmd(&[b"AUTH", password.as_bytes()])?,
                Some((user, password)) => {
                    raw.try_cmd(&[b"AUTH", user.as_bytes(), password.as_bytes()])?
                }
                None => raw.try_cmd(&[b"AUTH", auth.as_bytes()])?,
            };
            if reply != Resp::Simple("OK".into()) {
                return Err(io::Error::other("AUTH failed"));
            }
        }
        if let Some(db) = db {
            raw.try_cmd(&[b"SELECT", db.as_bytes()])?;
        }
        Ok(raw)
    }

    /// Sends one command and reads its reply.
    pub fn cmd(&mut self, args: &[&[u8]]) -> Resp {
        self.try_cmd(args).expect("raw Redis command")
    }

    fn try_cmd(&mut self, args: &[&[u8]]) -> io::Result<Resp> {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for arg in args {
            out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            out.extend_from_slice(arg);
            out.extend_from_slice(b"\r\n");
        }
        self.stream.get_mut().write_all(&out)?;
        self.read_reply()
    }

    fn read_reply(&mut self) -> io::Result<Resp> {
        let mut line = String::new();
        self.stream.read_line(&mut line)?;
        let line = line
            .strip_suffix("\r\n")
            .ok_or_else(|| io::Error::other("connection closed mid-reply"))?;
        let (kind, rest) = line
            .split_at_checked(1)
            .ok_or_else(|| io::Error::other("empty or non-ASCII reply line"))?;
        let number = || {
            rest.parse::<i64>()
                .map_err(|_| io::Error::other("bad length in reply"))
        };
        Ok(match kind {
            "+" => Resp::Simple(rest.to_owned()),
            "-" => Resp::Error(rest.to_owned()),
            ":" => Resp::Int(number()?),
            "$" => match usize::try_from(number()?) {
                Err(_) => Resp::Bulk(None),
                Ok(len) => {
                    let mut bytes = vec![0; len + 2];
                    self.stream.read_exact(&mut bytes)?;
                    bytes.truncate(len);
                    Resp::Bulk(Some(bytes))
                }
            },
            "*" => match usize::try_from(number()?) {
                Err(_) => Resp::Array(None),
                Ok(len) => Resp::Array(Some(
                    (0..len)
                        .map(|_| self.read_reply())
                        .collect::<io::Result<_>>()?,
                )),
            },
            _ => return Err(io::Error::other("unknown reply type")),
        })
    }

    /// Every key matching `pattern` (`KEYS`: fine on a test server).
    pub fn keys(&mut self, pattern: &str) -> Vec<Vec<u8>> {
        match self.cmd(&[b"KEYS", pattern.as_bytes()]) {
            Resp::Array(Some(items)) => items
                .into_iter()
                .map(|item| match item {
                    Resp::Bulk(Some(key)) => key,
                    other => panic!("KEYS returned {other:?}"),
                })
                .collect(),
            other => panic!("KEYS returned {other:?}"),
        }
    }

    /// An integer reply (`TTL`, `EXISTS`, …).
    pub fn int(&mut self, args: &[&[u8]]) -> i64 {
        match self.cmd(args) {
            Resp::Int(n) => n,
            other => panic!("expected an integer reply, got {other:?}"),
        }
    }
}
