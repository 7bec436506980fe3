//! Open connections per client address: the acceptor under TLS takes a
//! [`concurrency::Slot`] for the peer's address before the handshake and
//! closes the connection at once when the address already holds
//! `limits.connections_per_client`; the slot travels with the stream and is
//! given back when the connection closes. It also sets `TCP_NODELAY`
//! (answers are written whole; Nagle's delay only adds latency).

use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpSocket, TcpStream};

use crate::concurrency::{Counter, Slot};

/// Connections the kernel holds for the server before it accepts them. The
/// standard library's 128 is too few under a burst (or a slowloris attack):
/// once the queue is full, the kernel drops the handshake's last ACK, and a
/// client that never sends a byte keeps a connection the server never saw
/// and so cannot time out. The kernel caps it at `net.core.somaxconn`.
pub const LISTEN_BACKLOG: u32 = 4096;

/// A listening socket on `addr` with [`LISTEN_BACKLOG`] (address reuse on,
/// as the standard library does), for the servers to take over. Must be
/// called inside the Tokio runtime.
pub fn listen(addr: std::net::SocketAddr) -> io::Result<std::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)?.into_std()
}

/// The acceptor (inside the TLS acceptor).
#[derive(Debug, Clone)]
pub struct CountingAcceptor {
    /// `None`: no limit (limits disabled)
    counter: Option<Arc<Counter<IpAddr>>>,
    /// load balancers: they carry many clients' connections
    exempt: crate::proxies::TrustedProxies,
}

impl CountingAcceptor {
    /// At most `max` connections per client address (`None`: unlimited).
    pub fn new(max: Option<u32>) -> Self {
        CountingAcceptor {
            counter: max.map(Counter::new),
            exempt: crate::proxies::TrustedProxies::default(),
        }
    }

    /// Leaves connections from `proxies` uncounted (each client behind
    /// them is limited by its requests instead).
    pub fn exempt(mut self, proxies: crate::proxies::TrustedProxies) -> Self {
        self.exempt = proxies;
        self
    }
}

/// A connection holding its place.
#[derive(Debug)]
pub struct Counted {
    stream: TcpStream,
    _slot: Option<Slot<IpAddr>>,
}

impl<S> axum_server::accept::Accept<TcpStream, S> for CountingAcceptor {
    type Stream = Counted;
    type Service = S;
    type Future = std::future::Ready<io::Result<(Counted, S)>>;

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        let _ = stream.set_nodelay(true);
        let slot = match (&self.counter, stream.peer_addr()) {
            (Some(c), Ok(peer)) if !self.exempt.contains(peer.ip()) => {
                match c.try_acquire(peer.ip()) {
                    Some(s) => Some(s),
                    None => {
                        tracing::debug!(peer = %peer.ip(), max = c.max(), "connection refused: too many from this address");
                        return std::future::ready(Err(io::Error::other(
                            "too many connections from this address",
                        )));
                    }
                }
            }
            _ => None,
        };
        std::future::ready(Ok((
            Counted {
                stream,
                _slot: slot,
            },
            service,
        )))
    }
}

/// Counts TLS handshakes, finished or failed (timeouts and refused
/// connections included), around the TLS acceptor.
#[derive(Debug, Clone)]
pub struct HandshakeCounting<A>(pub A);

impl<I, S, A> axum_server::accept::Accept<I, S> for HandshakeCounting<A>
where
    A: axum_server::accept::Accept<I, S>,
    A::Future: Send + 'static,
{
    type Stream = A::Stream;
    type Service = A::Service;
    type Future =
        Pin<Box<dyn std::future::Future<Output = io::Result<(A::Stream, A::Service)>> + Send>>;

    fn accept(&self, stream: I, service: S) -> Self::Future {
        let handshake = self.0.accept(stream, service);
        Box::pin(async move {
            let done = handshake.await;
            crate::metrics::get().tls_handshake(done.is_ok());
            done
        })
    }
}

impl AsyncRead for Counted {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
