//! # Marque
//!
//! The brand registry of an anti-counterfeiting alliance, served over gRPC.
//! Brand owners register their brands, trademarks, logos and authorized
//! sellers; e-commerce platforms ask, while a seller creates a listing,
//! whether that seller may use a brand, and get the evidence and the reason.
//!
//! ## Layout
//! Writes go to the [`store`] and append a change event with the next
//! registry revision; the [`registry`] applies each event to an immutable
//! [`snapshot`] that reads and checks are answered from, never from the
//! store.
//!
//! | module | what it holds |
//! | --- | --- |
//! | [`pb`] | code generated from `proto/marque/v1` |
//! | [`config`] | command line and `MARQUE_*` settings |
//! | [`server`] | assembles tonic: TLS, auth layer, health, reflection, shutdown |
//! | [`connections`] | the cap on the connections a port holds open at once |
//! | [`descriptors`] | the open-file limit, raised at start-up to what the caps need |
//! | [`preface`] | the first bytes a connection must send, within the handshake deadline, to be served |
//! | [`linger`] | connections that close without losing what they sent |
//! | [`codec`] | the generated services' codec: a request that does not decode is INVALID_ARGUMENT |
//! | [`api`] | one file per gRPC service: validation, proto ⇄ model, error mapping |
//! | [`auth`] | identities, API keys, and every permission rule |
//! | [`model`] | domain types and validation, no I/O |
//! | [`logo`] | the documented perceptual hash of logo images |
//! | [`detect`] | normalization, the brand automaton, fuzzy and logo matching: pure |
//! | [`listing`] | listing checks: scope, authorization, verdict |
//! | [`snapshot`] | the registry at one revision; commands → changes; checks; the compact authorization table |
//! | [`registry`] | store + published snapshot; serialized writes; `min_revision` |
//! | [`store`] | the `Store` trait and the embedded in-memory store |
//! | [`seed`] | declarative seed files |
//! | [`metrics`] | Prometheus metrics |
//!
//! Imports point down: `api` → `auth`, `registry`, `snapshot`, `model`;
//! `snapshot` → `model`; `store` → `model`.

#![forbid(unsafe_code)]

/// The allocator of every binary built on this crate (the server, its
/// tests, benchmarks and examples alike): mimalloc's per-thread heaps free
/// and reuse the small objects of each call without the lock contention and
/// consolidation passes of the system allocator. A binary that needs its
/// own allocator (a counting one, say) builds the crate without the
/// default feature `mimalloc`.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The methods of a connection wrapper that pass its bytes through to its
/// field `$field` unchanged: `read`, all of `AsyncRead`; `write`, all of
/// `AsyncWrite` but `poll_shutdown`; `shutdown`, that one. The wrappers
/// ([`connections::Limited`], [`linger::Lingering`], the TLS server's
/// connections) change what a connection holds or how it ends, never how
/// its bytes move.
macro_rules! pass_through_io {
    (read, $field:ident) => {
        fn poll_read(
            self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
            buf: &mut tokio::io::ReadBuf<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::pin::Pin::new(&mut self.get_mut().$field).poll_read(cx, buf)
        }
    };
    (write, $field:ident) => {
        fn poll_write(
            self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
            buf: &[u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            std::pin::Pin::new(&mut self.get_mut().$field).poll_write(cx, buf)
        }

        fn poll_write_vectored(
            self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
            bufs: &[std::io::IoSlice<'_>],
        ) -> std::task::Poll<std::io::Result<usize>> {
            std::pin::Pin::new(&mut self.get_mut().$field).poll_write_vectored(cx, bufs)
        }

        fn is_write_vectored(&self) -> bool {
            self.$field.is_write_vectored()
        }

        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::pin::Pin::new(&mut self.get_mut().$field).poll_flush(cx)
        }
    };
    (shutdown, $field:ident) => {
        fn poll_shutdown(
            self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::pin::Pin::new(&mut self.get_mut().$field).poll_shutdown(cx)
        }
    };
}

pub mod api;
pub mod auth;
pub mod codec;
pub mod config;
pub mod connections;
pub mod descriptors;
pub mod detect;
pub mod linger;
pub mod listing;
pub mod logo;
pub mod metrics;
pub mod model;
pub mod preface;
pub mod reflection;
pub mod registry;
pub mod seed;
pub mod server;
pub mod snapshot;
pub mod store;
pub mod telemetry;
pub mod tls;

/// Code generated from the protos.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod pb {
    /// `marque.v1`.
    pub mod marque {
        /// The Marque API, version 1.
        pub mod v1 {
            tonic::include_proto!("marque.v1");
        }
    }
    /// Google common types.
    pub mod google {
        /// `google.type`.
        pub mod r#type {
            tonic::include_proto!("google.r#type");
        }
    }
}

/// A signal that asks the process to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// SIGTERM: what Kubernetes, systemd and `kill` send.
    Terminate,
    /// SIGINT: Ctrl-C at a terminal.
    Interrupt,
}

impl Signal {
    /// `SIGTERM`, `SIGINT`.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Terminate => "SIGTERM",
            Signal::Interrupt => "SIGINT",
        }
    }

    /// The exit status of a process this signal stopped before its drain
    /// was done: 128 plus the signal's number (143, 130), as a shell
    /// reports a process the signal killed.
    pub fn exit_status(self) -> u8 {
        match self {
            Signal::Terminate => 128 + 15,
            Signal::Interrupt => 128 + 2,
        }
    }
}

/// The signals that stop the server, listened for from this call on:
/// `first` resolves on the first SIGTERM or SIGINT (Ctrl-C), which begins
/// the graceful shutdown; `second` on the next one, with it, which ends the
/// drain at once (an operator at a terminal who will not wait; Kubernetes
/// sends one SIGTERM, then SIGKILL). Each is logged: the first at INFO, the
/// second at WARN.
///
/// # Panics
/// Outside a tokio runtime.
pub fn shutdown_signals() -> (
    impl Future<Output = ()> + Send + 'static,
    impl Future<Output = Signal> + Send + 'static,
) {
    let mut signals = StopSignals::listen();
    let (first_tx, first_rx) = tokio::sync::oneshot::channel::<()>();
    let (second_tx, second_rx) = tokio::sync::oneshot::channel::<Signal>();
    tokio::spawn(async move {
        let first = signals.recv().await;
        tracing::info!("{} received", first.name());
        let _ = first_tx.send(());
        let second = signals.recv().await;
        tracing::warn!(
            "{} received while shutting down: the drain ends now, open calls are cut",
            second.name()
        );
        let _ = second_tx.send(second);
    });
    // A sender dropped without a signal (the runtime ending) is no signal.
    let first = async {
        if first_rx.await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let second = async {
        match second_rx.await {
            Ok(signal) => signal,
            Err(_) => std::future::pending().await,
        }
    };
    (first, second)
}

/// SIGTERM and SIGINT, each as often as it comes, from [`StopSignals::listen`]
/// on (a signal between two waits is not lost).
struct StopSignals {
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    /// Listens for both; one that cannot be listened for is logged at
    /// ERROR, and never comes.
    fn listen() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let listen = |kind, name: &str| match signal(kind) {
                Ok(signal) => Some(signal),
                Err(e) => {
                    tracing::error!(error = %e, "cannot listen for {name}");
                    None
                }
            };
            StopSignals {
                terminate: listen(SignalKind::terminate(), "SIGTERM"),
                interrupt: listen(SignalKind::interrupt(), "SIGINT"),
            }
        }
        #[cfg(not(unix))]
        StopSignals {}
    }

    /// The next signal.
    async fn recv(&mut self) -> Signal {
        #[cfg(unix)]
        {
            async fn next(signal: &mut Option<tokio::signal::unix::Signal>) {
                let received = match signal {
                    Some(signal) => signal.recv().await.is_some(),
                    None => false,
                };
                if !received {
                    std::future::pending::<()>().await;
                }
            }
            tokio::select! {
                () = next(&mut self.interrupt) => Signal::Interrupt,
                () = next(&mut self.terminate) => Signal::Terminate,
            }
        }
        #[cfg(not(unix))]
        {
            if let Err(e) = tokio::signal::ctrl_c().await {
                tracing::error!(error = %e, "cannot listen for Ctrl-C");
                std::future::pending::<()>().await;
            }
            Signal::Interrupt
        }
    }
}
