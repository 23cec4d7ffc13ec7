//! A loopback TCP proxy that a test cuts and restores, to put a network
//! outage between a client and a real server at a moment of its choosing.
//!
//! [`Proxy::start`] binds `127.0.0.1:0` and forwards every connection to
//! the upstream address. [`Proxy::cut`] drops every open connection (both
//! ends close) and, until [`Proxy::restore`], closes each new one as soon
//! as it is accepted, so a client sees its connection end and every
//! reconnection fail at once. Both take effect before they return: no
//! sleeping, no timing. Everything stops when the proxy drops.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A cuttable forwarder from a loopback port to one upstream address.
pub struct Proxy {
    address: SocketAddr,
    state: Arc<Mutex<State>>,
    accept: JoinHandle<()>,
}

struct State {
    cut: bool,
    /// One forwarding task per open connection.
    connections: Vec<JoinHandle<()>>,
}

impl Proxy {
    /// A proxy to `upstream` (`host:port`), listening on a free loopback
    /// port.
    pub async fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port for the proxy");
        let address = listener.local_addr().expect("the proxy's address");
        let state = Arc::new(Mutex::new(State {
            cut: false,
            connections: Vec::new(),
        }));
        let accepting = Arc::clone(&state);
        let upstream = upstream.to_owned();
        let accept = tokio::spawn(async move {
            loop {
                let Ok((inbound, _)) = listener.accept().await else {
                    continue;
                };
                // Under the lock, so `cut` never misses a connection
                // accepted while it runs.
                let mut state = accepting.lock().unwrap_or_else(PoisonError::into_inner);
                if state.cut {
                    drop(inbound);
                    continue;
                }
                state.connections.retain(|task| !task.is_finished());
                state
                    .connections
                    .push(tokio::spawn(forward(inbound, upstream.clone())));
            }
        });
        Proxy {
            address,
            state,
            accept,
        }
    }

    /// The port clients connect to.
    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// Drops every open connection and refuses new ones (each is closed as
    /// soon as accepted) until [`restore`](Self::restore). When it returns,
    /// every connection's sockets are closed.
    pub async fn cut(&self) {
        let connections = {
            let mut state = self.lock();
            state.cut = true;
            std::mem::take(&mut state.connections)
        };
        for connection in &connections {
            connection.abort();
        }
        for connection in connections {
            // Aborted (or already finished): its sockets are dropped.
            let _ = connection.await;
        }
    }

    /// Forwards new connections again.
    pub fn restore(&self) {
        self.lock().cut = false;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        for connection in &self.lock().connections {
            connection.abort();
        }
    }
}

/// Connects to `upstream` and copies bytes both ways until either side
/// ends; then both sockets close.
async fn forward(inbound: TcpStream, upstream: String) {
    let Ok(outbound) = TcpStream::connect(&upstream).await else {
        return;
    };
    let _ = inbound.set_nodelay(true);
    let _ = outbound.set_nodelay(true);
    tokio::select! {
        _ = pump(&inbound, &outbound) => {}
        _ = pump(&outbound, &inbound) => {}
    }
}

/// Copies what `from` sends to `to` until `from` ends or either fails.
async fn pump(from: &TcpStream, to: &TcpStream) -> io::Result<()> {
    let mut buffer = vec![0; 16 * 1024];
    loop {
        from.readable().await?;
        let read = match from.try_read(&mut buffer) {
            Ok(0) => return Ok(()),
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => continue,
            Err(error) => return Err(error),
        };
        let mut sent = 0;
        while let Some(rest) = buffer.get(sent..read).filter(|rest| !rest.is_empty()) {
            to.writable().await?;
            match to.try_write(rest) {
                Ok(written) => sent += written,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                Err(error) => return Err(error),
            }
        }
    }
}

/// The `host:port` of a `scheme://[user[:password]@]host[:port][/…]` URL,
/// with `default_port` when it names none.
pub fn address_of(url: &str, default_port: u16) -> String {
    let (_, host, _) = split_url(url);
    if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:{default_port}")
    }
}

/// `url` with its host and port replaced by the proxy's.
pub fn url_through(url: &str, proxy: &Proxy) -> String {
    let (before, _, after) = split_url(url);
    format!("{before}127.0.0.1:{}{after}", proxy.port())
}

/// `(scheme and credentials, host[:port], path and query)` of `url`.
fn split_url(url: &str) -> (&str, &str, &str) {
    let start = url.find("://").map_or(0, |at| at + 3);
    let authority_end = url[start..]
        .find(['/', '?'])
        .map_or(url.len(), |at| start + at);
    let host_start = url[start..authority_end]
        .rfind('@')
        .map_or(start, |at| start + at + 1);
    (
        &url[..host_start],
        &url[host_start..authority_end],
        &url[authority_end..],
    )
}
