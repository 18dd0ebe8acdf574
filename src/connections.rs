//! A cap on the client connections a port holds open at once
//! (`--max-connections`).
//!
//! Every connection holds a socket (a file descriptor) and, on the API
//! port, up to `--max-concurrent-streams` calls. Without a cap, a client
//! that opens connection after connection takes every descriptor the
//! process may have (then the server can accept nothing, nor open a
//! database connection) or all its memory.
//!
//! A [`ConnectionLimit`] takes a permit before it accepts each connection,
//! and the connection ([`Limited`]) holds it until it is dropped: after the
//! server has closed it, a handshake that failed or timed out included.
//!
//! A connection is served only once it has shown that it is a client
//! ([`handshaken`]): with TLS, its handshake done, and on every port, its
//! first request begun ([`crate::preface`]), both within the handshake
//! deadline (`--tls-handshake-timeout`). One that has not by then is
//! closed: a client that opens connections and says nothing holds each
//! place in the cap for that long, no longer.
//! At the cap, the port stops accepting. Connections that arrive meanwhile
//! wait in the kernel's listen queue (past its length the kernel drops
//! their SYNs, and clients retry) and are taken in order as others close.
//!
//! Stopping is chosen over accepting and closing at once: a flood then
//! costs the server no descriptor, no task and no log line, where
//! accept-and-close pays an accept, a close and a line per attempt, as fast
//! as the client reconnects, and takes a descriptor for each meanwhile;
//! and a well-behaved client that comes at a busy moment is served a
//! moment later instead of refused. The cost: a client in the queue sees
//! no error, only a wait (until its connect or call deadline). One WARN
//! line says when a port is full, and the `marque_connections` gauge
//! shows how full it is.

use std::{
    future::Future,
    io,
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use futures_util::{Stream, StreamExt as _};
use tokio::{
    io::{AsyncRead, AsyncWrite},
    net::TcpStream,
    sync::{OwnedSemaphorePermit, Semaphore, TryAcquireError, mpsc},
};
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::server::TcpIncoming;

use crate::preface::{Prefaced, Protocols};

/// How long a port waits after a failed accept before it accepts again.
pub const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(20);

/// Connections that have shown they are clients, waiting for the server
/// to take them.
const READY_CONNECTIONS: usize = 64;

/// The connections one port holds open at once, at most.
#[derive(Clone, Debug)]
pub struct ConnectionLimit(Arc<Shared>);

/// What a port's limit and its connections share.
#[derive(Debug)]
struct Shared {
    /// One permit per connection the port may still take. Never closed.
    permits: Arc<Semaphore>,
    /// The cap.
    max: usize,
    /// The connections taken and not yet closed ([`Limited`]). Not the
    /// permits in use: the accept waiting for the next connection holds
    /// one too.
    open: AtomicUsize,
    /// The port's name in the log and the gauge: `api`, `admin`.
    port: &'static str,
    /// Whether the full port has been reported: once, until at most half
    /// the cap is in use again, so a port that stays full, or keeps
    /// touching the cap, writes one line, not one per connection.
    warned: AtomicBool,
}

impl ConnectionLimit {
    /// At most `max` connections at once (at least 1, at most tokio's
    /// largest semaphore) on the port named `port`.
    pub fn new(port: &'static str, max: usize) -> Self {
        let max = max.clamp(1, Semaphore::MAX_PERMITS);
        // The port's series is exported from the start, at 0: it was
        // missing from /metrics until a first client connected, so a
        // dashboard or an alert on it had no series on an idle replica.
        connections_gauge(port).increment(0.0);
        ConnectionLimit(Arc::new(Shared {
            permits: Arc::new(Semaphore::new(max)),
            max,
            open: AtomicUsize::new(0),
            port,
            warned: AtomicBool::new(false),
        }))
    }

    /// The connections open now.
    pub fn open(&self) -> usize {
        self.0.open.load(Ordering::Relaxed)
    }

    /// The connections of `accepted`, each taken only once a permit is free:
    /// at the cap, `accepted` is not polled, so the listener accepts
    /// nothing until a connection closes. An accept error passes on (and
    /// gives its permit back) after [`ACCEPT_ERROR_PAUSE`]: the error of a
    /// process out of descriptors comes back at once on every retry, and
    /// the server retries as soon as it has the error.
    pub fn incoming<S, T>(
        &self,
        accepted: S,
    ) -> impl Stream<Item = io::Result<Limited<T>>> + Send + Unpin + 'static
    where
        S: Stream<Item = io::Result<T>> + Send + Unpin + 'static,
        T: Send + 'static,
    {
        Box::pin(futures_util::stream::unfold(
            (accepted, self.clone()),
            |(mut accepted, limit)| async move {
                let permit = limit.permit().await?;
                let next = accepted.next().await?;
                if let Err(e) = &next {
                    tracing::debug!(error = %e, "accept failed");
                    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                }
                let next = next.map(|io| limit.hold(io, permit));
                Some((next, (accepted, limit)))
            },
        ))
    }

    /// A free permit, waiting for one at the cap (and saying so, once).
    /// None only if the semaphore were closed, which nothing does.
    async fn permit(&self) -> Option<OwnedSemaphorePermit> {
        let shared = &self.0;
        match shared.permits.clone().try_acquire_owned() {
            Ok(permit) => {
                if shared.warned.load(Ordering::Relaxed)
                    && shared.permits.available_permits() >= shared.max / 2
                {
                    shared.warned.store(false, Ordering::Relaxed);
                }
                Some(permit)
            }
            Err(TryAcquireError::NoPermits) => {
                if !shared.warned.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        port = shared.port,
                        max = shared.max,
                        "the port holds its most connections (--max-connections): new ones wait \
                         in the listen queue until one closes"
                    );
                }
                shared.permits.clone().acquire_owned().await.ok()
            }
            Err(TryAcquireError::Closed) => None,
        }
    }

    /// `io`, holding `permit` until it is dropped.
    fn hold<T>(&self, io: T, permit: OwnedSemaphorePermit) -> Limited<T> {
        connections_gauge(self.0.port).increment(1.0);
        self.0.open.fetch_add(1, Ordering::Relaxed);
        Limited {
            inner: io,
            _permit: permit,
            shared: self.0.clone(),
        }
    }
}

/// `marque_connections{port}`.
fn connections_gauge(port: &'static str) -> metrics::Gauge {
    metrics::gauge!("marque_connections", "port" => port)
}

/// A connection holding its port's permit ([`ConnectionLimit`]) until it
/// is dropped.
#[derive(Debug)]
pub struct Limited<T> {
    /// The connection.
    inner: T,
    /// Its place in the port's cap, given back when it is dropped.
    _permit: OwnedSemaphorePermit,
    /// The port's count and name (for the gauge).
    shared: Arc<Shared>,
}

impl<T> Limited<T> {
    /// The connection.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }
}

impl<T> Drop for Limited<T> {
    fn drop(&mut self) {
        connections_gauge(self.shared.port).decrement(1.0);
        self.shared.open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Limited<T> {
    pass_through_io!(read, inner);
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Limited<T> {
    pass_through_io!(write, inner);
    pass_through_io!(shutdown, inner);
}

impl<T: tonic::transport::server::Connected> tonic::transport::server::Connected for Limited<T> {
    type ConnectInfo = T::ConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.inner.connect_info()
    }
}

/// The connections of `accepted` that show, each within `deadline` of its
/// accept, that they are clients: `handshake` (a TLS handshake, the wait
/// for a first request) runs on each in a task of its own, so a client that
/// says nothing holds neither the accept loop nor, past the deadline, its
/// connection, its task or its place in the port's cap. A connection whose
/// handshake fails or does not end in time is dropped (closed). The others
/// come out in the order their handshakes end. Accepting stops when the
/// stream returned is dropped.
///
/// A failed accept is skipped: it comes already logged and after a pause,
/// from the port's cap ([`ConnectionLimit::incoming`]).
pub fn handshaken<S, I, H, F, T>(
    mut accepted: S,
    deadline: Duration,
    mut handshake: H,
) -> ReceiverStream<io::Result<T>>
where
    S: Stream<Item = io::Result<I>> + Send + Unpin + 'static,
    H: FnMut(I) -> F + Send + 'static,
    F: Future<Output = io::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let (ready, taken) = mpsc::channel(READY_CONNECTIONS);
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                () = ready.closed() => break,
                accepted = accepted.next() => accepted,
            };
            let io = match accepted {
                None => break,
                Some(Ok(io)) => io,
                Some(Err(_)) => continue,
            };
            // Started now, so that it sees what is current at the accept
            // (the TLS configuration).
            let handshake = handshake(io);
            let ready = ready.clone();
            tokio::spawn(async move {
                match tokio::time::timeout(deadline, handshake).await {
                    Ok(Ok(client)) => {
                        let _ = ready.send(Ok(client)).await;
                    }
                    Ok(Err(e)) => {
                        tracing::debug!(error = %e, "handshake failed: connection closed")
                    }
                    Err(_) => tracing::debug!(
                        ?deadline,
                        "handshake not done by the deadline (--tls-handshake-timeout): connection closed"
                    ),
                }
            });
        }
    });
    ReceiverStream::new(taken)
}

/// A listener for axum (the admin port) that holds at most its limit's
/// connections, and hands axum a connection only once its first request
/// has begun, HTTP/2 or HTTP/1 ([`handshaken`]).
pub struct LimitedListener {
    /// The connections ready to serve, with their peers' addresses.
    ready: ReceiverStream<io::Result<(Prefaced<Limited<TcpStream>>, SocketAddr)>>,
    /// The listener's own address (or why it has none).
    local: Result<SocketAddr, io::ErrorKind>,
}

impl LimitedListener {
    /// `listener`'s connections (with the socket options it sets), holding
    /// at most `limit`'s, each of which must begin its first request within
    /// `deadline`. Accepting starts now, in a task of its own, and stops
    /// when this is dropped.
    pub fn new(listener: TcpIncoming, limit: ConnectionLimit, deadline: Duration) -> Self {
        let local = listener.local_addr().map_err(|e| e.kind());
        let accepted = limit.incoming(listener);
        let ready = handshaken(accepted, deadline, |io: Limited<TcpStream>| async move {
            let peer = io.get_ref().peer_addr()?;
            Ok((Prefaced::read(io, Protocols::Http2OrHttp1).await?, peer))
        });
        Self { ready, local }
    }
}

impl axum::serve::Listener for LimitedListener {
    type Io = Prefaced<Limited<TcpStream>>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.ready.next().await {
                Some(Ok(ready)) => return ready,
                Some(Err(_)) => continue,
                // The accepting task ended (it never does by itself):
                // accept nothing more.
                None => return std::future::pending().await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.local.map_err(io::Error::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{preface::PREFACE, telemetry::Captured};
    use tokio::net::TcpListener;

    /// A listener on a free loopback port, and its address.
    async fn listener() -> (TcpListener, SocketAddr) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        (listener, address)
    }

    /// At the cap, nothing more is accepted until a connection is dropped;
    /// the full port is reported once, however many wait.
    #[tokio::test]
    async fn at_the_cap_the_next_connection_waits_until_one_closes() {
        let log = Captured::start();
        let (listener, address) = listener().await;
        let limit = ConnectionLimit::new("test", 2);
        let mut incoming = limit.incoming(tokio_stream::wrappers::TcpListenerStream::new(listener));
        let mut clients = Vec::new();
        for _ in 0..4 {
            clients.push(TcpStream::connect(address).await.expect("connect"));
        }
        let first = incoming.next().await.expect("a first").expect("accepted");
        let _second = incoming.next().await.expect("a second").expect("accepted");
        assert_eq!(limit.open(), 2);
        let third = tokio::time::timeout(Duration::from_millis(300), incoming.next()).await;
        assert!(third.is_err(), "a third is not taken while two are open");
        // Its place goes straight to the accept waiting for one.
        drop(first);
        let _third = tokio::time::timeout(Duration::from_secs(5), incoming.next())
            .await
            .expect("taken once one closed")
            .expect("a third")
            .expect("accepted");
        let fourth = tokio::time::timeout(Duration::from_millis(100), incoming.next()).await;
        assert!(fourth.is_err(), "full again");
        let warnings = full_port_warnings(&log);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("WARN"), "{}", warnings[0]);
        assert!(warnings[0].contains("port=\"test\""), "{}", warnings[0]);
    }

    /// The lines of the warning that a port is full.
    fn full_port_warnings(log: &Captured) -> Vec<String> {
        log.lines()
            .into_iter()
            .filter(|line| line.contains("--max-connections"))
            .collect()
    }

    /// The admin port's listener holds its connections to the cap too.
    #[tokio::test]
    async fn the_admin_listener_accepts_no_more_than_its_cap() {
        use axum::serve::Listener as _;
        // Every test that reaches a cap captures the warning: a callsite
        // first reached where no subscriber is set would be cached as off
        // for the other tests too.
        let log = Captured::start();
        let (listener, address) = listener().await;
        let limit = ConnectionLimit::new("test-admin", 1);
        let mut limited =
            LimitedListener::new(listener.into(), limit.clone(), Duration::from_secs(30));
        let _a = client(address, PREFACE).await;
        let _b = client(address, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").await;
        let (first, _) = limited.accept().await;
        assert_eq!(limit.open(), 1);
        let second = tokio::time::timeout(Duration::from_millis(300), limited.accept()).await;
        assert!(second.is_err(), "nothing more while one is open");
        drop(first);
        tokio::time::timeout(Duration::from_secs(5), limited.accept())
            .await
            .expect("taken once the first closed");
        let warnings = full_port_warnings(&log);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains("port=\"test-admin\""),
            "{}",
            warnings[0]
        );
    }

    /// A client connected to `address` that has sent `first`.
    async fn client(address: SocketAddr, first: &[u8]) -> TcpStream {
        use tokio::io::AsyncWriteExt as _;
        let mut stream = TcpStream::connect(address).await.expect("connect");
        stream.write_all(first).await.expect("write");
        stream
    }

    /// A connection that has not begun a request by the deadline is closed,
    /// and gives its place back, without holding the accept of the next;
    /// one that sent part of a request is no different. The server is
    /// handed only connections that began one.
    #[tokio::test]
    async fn a_connection_that_says_nothing_is_closed_at_the_deadline() {
        use axum::serve::Listener as _;
        use tokio::io::AsyncReadExt as _;
        let log = Captured::start();
        let (listener, address) = listener().await;
        let limit = ConnectionLimit::new("test-silent", 2);
        let deadline = Duration::from_millis(500);
        let mut limited = LimitedListener::new(listener.into(), limit.clone(), deadline);
        let opened = std::time::Instant::now();
        let mut silent = TcpStream::connect(address).await.expect("connect");
        let mut partial = client(address, &PREFACE[..10]).await;
        let mut served = client(address, PREFACE).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(limit.open(), 2, "the silent two hold their places");
        for (name, stream) in [("silent", &mut silent), ("partial", &mut partial)] {
            let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut [0; 16]))
                .await
                .unwrap_or_else(|_| panic!("the {name} connection is still open"));
            assert!(matches!(read, Ok(0) | Err(_)), "{name}: {read:?}");
        }
        assert!(opened.elapsed() >= deadline, "{:?}", opened.elapsed());
        let (mut io, peer) = tokio::time::timeout(Duration::from_secs(10), limited.accept())
            .await
            .expect("the client that began a request is served");
        assert_eq!(peer, served.local_addr().expect("address"));
        // Both places came back: one to the client served, one free.
        let _next = client(address, PREFACE).await;
        let _second = tokio::time::timeout(Duration::from_secs(5), limited.accept())
            .await
            .expect("a place is free");
        let _full = client(address, PREFACE).await;
        let refused = tokio::time::timeout(Duration::from_millis(300), limited.accept()).await;
        assert!(refused.is_err(), "the cap is full again");
        // The server reads the preface and what follows, as sent.
        use tokio::io::AsyncWriteExt as _;
        served.write_all(b"more").await.expect("write");
        let mut heard = [0; 28];
        io.read_exact(&mut heard).await.expect("read");
        assert_eq!(&heard[..24], PREFACE);
        assert_eq!(&heard[24..], b"more");
        let warnings = full_port_warnings(&log);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
    }

    /// A failed accept (out of descriptors, say) is passed on only after a
    /// pause, so the server does not retry it in a busy loop; its permit is
    /// given back.
    #[tokio::test(start_paused = true)]
    async fn a_failed_accept_is_passed_on_after_a_pause() {
        let limit = ConnectionLimit::new("test", 1);
        let accepted =
            futures_util::stream::iter([Err(io::Error::other("too many open files")), Ok(())]);
        let mut incoming = limit.incoming(accepted);
        let started = tokio::time::Instant::now();
        let failed = incoming.next().await.expect("an item");
        assert!(failed.is_err());
        assert!(
            started.elapsed() >= ACCEPT_ERROR_PAUSE,
            "{:?}",
            started.elapsed()
        );
        assert_eq!(limit.open(), 0, "the failed accept holds no place");
        let _next = incoming.next().await.expect("an item").expect("accepted");
        assert_eq!(limit.open(), 1);
    }

    /// `open` counts the connections taken, not the place the accept
    /// waiting for the next one holds.
    #[tokio::test(start_paused = true)]
    async fn a_waiting_accept_is_not_an_open_connection() {
        let limit = ConnectionLimit::new("test", 2);
        let accepted = futures_util::stream::iter([Ok::<_, io::Error>(())])
            .chain(futures_util::stream::pending());
        let mut incoming = limit.incoming(accepted);
        let first = incoming.next().await.expect("an item").expect("accepted");
        assert_eq!(limit.open(), 1);
        let waiting = tokio::time::timeout(Duration::from_secs(1), incoming.next()).await;
        assert!(waiting.is_err(), "nothing more to accept");
        assert_eq!(
            limit.0.permits.available_permits(),
            0,
            "the accept holds a place"
        );
        assert_eq!(limit.open(), 1);
        drop(first);
        assert_eq!(limit.open(), 0);
    }

    #[test]
    fn a_cap_of_zero_is_one() {
        assert_eq!(ConnectionLimit::new("test", 0).0.max, 1);
    }
}
