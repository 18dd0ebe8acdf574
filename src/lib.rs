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

/// Resolves on SIGTERM or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received"),
        () = term => tracing::info!("SIGTERM received"),
    }
}
