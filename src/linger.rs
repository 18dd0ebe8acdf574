//! Connections that close without losing what they sent.
//!
//! When the server closes a connection gracefully (HTTP/2: GOAWAY, then the
//! end once its last stream is done, at shutdown or at the maximum
//! connection age), the client may still be sending: flow-control updates
//! as it reads the last answers, pings. A socket closed with such data
//! unread is reset by the kernel, and a client that had not yet read all
//! that was sent to it loses the rest: the last messages of a Watch stream
//! that ended as the server drained, and the status that says where to
//! resume. So, as HTTP/1 servers do ("lingering close"), a [`Lingering`]
//! connection that the server shuts down sends its end (TCP FIN; with TLS,
//! `close_notify` first), then reads and drops what the client still sends
//! until the client closes its side too, or [`LINGER`] passes; only then
//! may the socket close.

use std::{
    io,
    pin::Pin,
    task::{Context, Poll, ready},
    time::Duration,
};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Longest wait, once the server has sent a connection's end, for the
/// client to close its side: a client reads what it was sent and closes at
/// once; one that does not is not waited for longer.
pub const LINGER: Duration = Duration::from_secs(5);

/// A connection whose shutdown waits, up to [`LINGER`], for the client to
/// close its side, dropping what it still sends (see the module).
pub struct Lingering<T> {
    inner: T,
    /// Once the server has sent its end: when the wait for the client's
    /// ends.
    until: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<T> Lingering<T> {
    /// `inner`, lingering when shut down.
    pub fn new(inner: T) -> Self {
        Self { inner, until: None }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Lingering<T> {
    pass_through_io!(read, inner);
}

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Lingering<T> {
    pass_through_io!(write, inner);

    /// Sends the connection's end, then waits for the client's (reading
    /// and dropping what comes first), up to [`LINGER`]. The connection is
    /// over either way: a read error ends the wait, and is no error of the
    /// shutdown.
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.until.is_none() {
            ready!(Pin::new(&mut this.inner).poll_shutdown(cx))?;
            this.until = Some(Box::pin(tokio::time::sleep(LINGER)));
        }
        let mut dropped = [0u8; 4096];
        loop {
            if let Some(until) = this.until.as_mut()
                && until.as_mut().poll(cx).is_ready()
            {
                return Poll::Ready(Ok(()));
            }
            let mut buf = ReadBuf::new(&mut dropped);
            match ready!(Pin::new(&mut this.inner).poll_read(cx, &mut buf)) {
                Ok(()) if buf.filled().is_empty() => return Poll::Ready(Ok(())),
                Ok(()) => {}
                Err(_) => return Poll::Ready(Ok(())),
            }
        }
    }
}

impl<T: tonic::transport::server::Connected> tonic::transport::server::Connected for Lingering<T> {
    type ConnectInfo = T::ConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.inner.connect_info()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    /// A shut-down connection waits for the peer's end, reading what the
    /// peer still sends, and is done as soon as the peer closes.
    #[tokio::test]
    async fn a_shutdown_waits_for_the_peer_to_close_its_side() {
        let (server, mut client) = tokio::io::duplex(64);
        let mut server = Lingering::new(server);
        server.write_all(b"last words").await.expect("write");
        let shutdown = tokio::spawn(async move { server.shutdown().await });
        let mut heard = Vec::new();
        client
            .read_to_end(&mut heard)
            .await
            .expect("read to the end");
        assert_eq!(heard, b"last words");
        // Still sending after the server's end: a flow-control update.
        client.write_all(&[0; 1000]).await.expect("write");
        assert!(!shutdown.is_finished(), "the server waits for the client");
        drop(client);
        tokio::time::timeout(Duration::from_secs(5), shutdown)
            .await
            .expect("done once the client closes")
            .expect("join")
            .expect("shutdown");
    }

    /// A peer that never closes is waited for [`LINGER`], no longer.
    #[tokio::test(start_paused = true)]
    async fn a_shutdown_waits_for_a_silent_peer_no_longer_than_the_linger() {
        let (server, _client) = tokio::io::duplex(64);
        let mut server = Lingering::new(server);
        let began = tokio::time::Instant::now();
        server.shutdown().await.expect("shutdown");
        assert_eq!(began.elapsed(), LINGER);
    }
}
