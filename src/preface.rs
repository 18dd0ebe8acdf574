//! The first bytes a connection must send before the server serves it.
//!
//! The server's defences against a client that holds a connection and
//! says nothing (HTTP/2 keepalive PINGs, the call timeout) start only once
//! HTTP/2 has begun. Before that, hyper waits for the client's first bytes
//! for ever: a client that opened connections and sent nothing would hold
//! each one, and its place in the port's cap ([`crate::connections`]), for
//! ever, and with `--max-connections` of them every new client would wait
//! without end. So a connection must show that it is a client within the
//! handshake deadline (`--tls-handshake-timeout`), as a TLS handshake must:
//! [`Prefaced::read`] waits for its first request to begin, and a
//! connection that has not begun it by the deadline is closed
//! ([`crate::connections::handshaken`]).
//!
//! A request begins with HTTP/2's client preface
//! ([`PREFACE`], 24 bytes, which every gRPC client sends at once), whole;
//! on a port that also speaks HTTP/1 (the admin port's `GET /metrics`),
//! with a whole HTTP/1 request head. Bytes that begin neither are passed on
//! at once, for the server to refuse as it always did. The bytes read are
//! not lost: a [`Prefaced`] connection gives them back to the server first.

use std::{
    io,
    pin::Pin,
    task::{Context, Poll},
};

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, ReadBuf};

/// HTTP/2's client connection preface (RFC 9113, section 3.4).
pub const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// The most of an HTTP/1 request head read before the connection is passed
/// on anyway: a client that sent this much is sending a request (the
/// server's own limits judge it), and what is held per connection meanwhile
/// stays small.
pub const MAX_HTTP1_HEAD: usize = 16 * 1024;

/// What a port's connections may begin with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocols {
    /// HTTP/2 only (the API port: gRPC).
    Http2,
    /// HTTP/2, or HTTP/1 (the admin port: gRPC health and `GET /metrics`).
    Http2OrHttp1,
}

/// How far the bytes read so far go.
#[derive(Debug, PartialEq, Eq)]
enum Begun {
    /// Not far enough to tell: more must come.
    Not,
    /// The start of a request (or of something no server here would take,
    /// which the server refuses itself).
    Yes,
}

/// How far `head`, a connection's first bytes, goes for `protocols`.
fn begun(head: &[u8], protocols: Protocols) -> Begun {
    if head.len() >= PREFACE.len() {
        if head.starts_with(PREFACE) || protocols == Protocols::Http2 {
            return Begun::Yes;
        }
    } else if PREFACE.starts_with(head) {
        return Begun::Not;
    } else if protocols == Protocols::Http2 {
        return Begun::Yes;
    }
    // HTTP/1 (or garbage): its head ends with an empty line (httparse, as
    // hyper uses it, takes a bare LF for CRLF).
    let ended = head.windows(2).any(|w| w == b"\n\n") || head.windows(3).any(|w| w == b"\n\r\n");
    if ended || head.len() >= MAX_HTTP1_HEAD {
        Begun::Yes
    } else {
        Begun::Not
    }
}

/// A connection whose first bytes were read to see that it is a client,
/// giving them back before anything else it reads.
#[derive(Debug)]
pub struct Prefaced<T> {
    /// The connection.
    inner: T,
    /// The bytes read from it first; emptied once given back.
    head: Vec<u8>,
    /// How many of them were given back.
    given: usize,
}

impl<T: AsyncRead + Unpin> Prefaced<T> {
    /// Reads `io`'s first bytes until its first request has begun (see the
    /// module), and no further.
    ///
    /// # Errors
    /// When `io` fails, or ends before its first request has begun.
    pub async fn read(mut io: T, protocols: Protocols) -> io::Result<Prefaced<T>> {
        let mut head = Vec::with_capacity(PREFACE.len());
        while begun(&head, protocols) == Begun::Not {
            // Up to the preface, only what it lacks: nothing that follows
            // is read here.
            let lacks = if head.len() < PREFACE.len() && PREFACE.starts_with(&head) {
                PREFACE.len() - head.len()
            } else {
                MAX_HTTP1_HEAD - head.len()
            };
            let read = (&mut io).take(lacks as u64).read_buf(&mut head).await?;
            if read == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the connection ended before its first request began",
                ));
            }
        }
        Ok(Prefaced {
            inner: io,
            head,
            given: 0,
        })
    }
}

impl<T> Prefaced<T> {
    /// The connection.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Prefaced<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.given < this.head.len() {
            let rest = &this.head[this.given..];
            let n = rest.len().min(buf.remaining());
            buf.put_slice(&rest[..n]);
            this.given += n;
            if this.given == this.head.len() {
                this.head = Vec::new();
                this.given = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Prefaced<T> {
    pass_through_io!(write, inner);
    pass_through_io!(shutdown, inner);
}

impl<T: tonic::transport::server::Connected> tonic::transport::server::Connected for Prefaced<T> {
    type ConnectInfo = T::ConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.inner.connect_info()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::io::AsyncWriteExt as _;

    #[test]
    fn what_begins_a_request() {
        use Protocols::{Http2, Http2OrHttp1};
        for protocols in [Http2, Http2OrHttp1] {
            assert_eq!(begun(b"", protocols), Begun::Not);
            assert_eq!(begun(&PREFACE[..1], protocols), Begun::Not);
            assert_eq!(begun(&PREFACE[..23], protocols), Begun::Not);
            assert_eq!(begun(PREFACE, protocols), Begun::Yes);
        }
        // A preface that goes wrong on its last byte is no preface.
        assert_eq!(begun(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r!", Http2), Begun::Yes);
        // Anything else on an HTTP/2 port: passed on at its first odd byte,
        // for the server to refuse.
        assert_eq!(begun(b"G", Http2), Begun::Yes);
        assert_eq!(begun(b"\x16\x03\x01", Http2), Begun::Yes);
        // HTTP/1: once its head is whole.
        assert_eq!(begun(b"G", Http2OrHttp1), Begun::Not);
        assert_eq!(
            begun(b"GET /metrics HTTP/1.1\r\nHost: x\r\n", Http2OrHttp1),
            Begun::Not
        );
        assert_eq!(
            begun(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", Http2OrHttp1),
            Begun::Yes
        );
        assert_eq!(begun(b"GET / HTTP/1.0\n\n", Http2OrHttp1), Begun::Yes);
        assert_eq!(begun(&vec![b'a'; MAX_HTTP1_HEAD], Http2OrHttp1), Begun::Yes);
    }

    /// The preface is read, and no byte past it; the server then reads
    /// every byte the client sent, in order.
    #[tokio::test]
    async fn the_bytes_read_first_are_given_back() {
        let (server, mut client) = tokio::io::duplex(1024);
        let mut sent = PREFACE.to_vec();
        sent.extend_from_slice(b"\0\0\0\x04\0\0\0\0\0");
        // In pieces, as a slow network may bring them.
        client.write_all(&sent[..5]).await.expect("write");
        let reading = tokio::spawn(Prefaced::read(server, Protocols::Http2));
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!reading.is_finished(), "5 bytes of the preface are not it");
        client.write_all(&sent[5..]).await.expect("write");
        let mut prefaced = reading.await.expect("join").expect("a preface");
        assert_eq!(prefaced.head, PREFACE, "nothing past the preface");
        let mut heard = vec![0; sent.len()];
        prefaced.read_exact(&mut heard).await.expect("read");
        assert_eq!(heard, sent);
        assert!(prefaced.head.is_empty(), "given back, then let go");
    }

    #[tokio::test]
    async fn an_http1_head_is_read_whole_where_http1_is_spoken() {
        let (server, mut client) = tokio::io::duplex(1024);
        let request = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
        client.write_all(&request[..20]).await.expect("write");
        let reading = tokio::spawn(Prefaced::read(server, Protocols::Http2OrHttp1));
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!reading.is_finished(), "half a request line");
        client.write_all(&request[20..]).await.expect("write");
        let mut prefaced = reading.await.expect("join").expect("a request head");
        let mut heard = vec![0; request.len()];
        prefaced.read_exact(&mut heard).await.expect("read");
        assert_eq!(heard, request);
    }

    #[tokio::test]
    async fn a_connection_that_ends_before_its_preface_is_an_error() {
        let (server, mut client) = tokio::io::duplex(1024);
        client.write_all(&PREFACE[..10]).await.expect("write");
        drop(client);
        let e = Prefaced::read(server, Protocols::Http2)
            .await
            .expect_err("no preface");
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    }
}
