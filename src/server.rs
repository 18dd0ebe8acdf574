//! Assembles the gRPC server: TLS, the auth layer, the Marque services,
//! health and reflection, and graceful shutdown.
//!
//! `main` and every integration test start Marque the same way:
//! [`Server::bind`] binds the listener (port 0 in tests) and reports the
//! address, then [`Server::run`] loads the registry, serves until the
//! shutdown future resolves, and drains.
//!
//! Health is honest: every status is NOT_SERVING until the first snapshot is
//! loaded (tonic-health starts `""` as SERVING; it is overridden before the
//! first connection is accepted), and again from the moment shutdown begins.

use std::{future::Future, net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use anyhow::Context as _;
use axum::response::IntoResponse as _;
use tokio::net::TcpListener;
use tonic_health::{ServingStatus, server::HealthReporter};

use crate::{
    api::{AuditApi, CheckApi, RegistryApi, WatchApi},
    auth::{self, AuthLayer},
    connections::{ConnectionLimit, LimitedListener, handshaken},
    linger::Lingering,
    logo::LogoError,
    model::{Actor, BrandStatus, Command, Logo, Member, MemberKind, Revision, Slug},
    pb::marque::v1::{
        audit_service_server::AuditServiceServer, check_service_server::CheckServiceServer,
        registry_service_server::RegistryServiceServer, watch_service_server::WatchServiceServer,
    },
    preface::{Prefaced, Protocols},
    reflection::{Descriptors, ReflectionV1, ReflectionV1Alpha},
    registry::{Registry, RegistryError, WriteMeta},
    seed::Seed,
    snapshot::Snapshot,
    store::{Need, Store},
    tls::ReloadingTls,
};

/// The encoded descriptor set reflection serves on the API port: the
/// Marque protos, and google.rpc's error details (so reflection clients can
/// decode field violations) and the health protocol, each file under its
/// canonical name (`google/rpc/status.proto`, as `marque/v1/check.proto`
/// imports it), so that every symbol has one file.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/marque_descriptor.bin"));

/// The encoded descriptor set of the health protocol alone
/// (`grpc/health/v1/health.proto`), served by the admin port's reflection.
pub const HEALTH_FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/health_descriptor.bin"));

/// The services whose health is reported, besides the overall `""`.
pub const SERVICES: [&str; 4] = [
    "marque.v1.RegistryService",
    "marque.v1.CheckService",
    "marque.v1.WatchService",
    "marque.v1.AuditService",
];

/// A health name that is SERVING whenever the process is up, draining
/// included: for liveness probes, which must not depend on PostgreSQL or
/// restart a pod that is shutting down cleanly.
pub const LIVENESS: &str = "liveness";

/// The services that need the store to take writes: NOT_SERVING while it
/// is unreachable or read-only (a failover's old primary).
pub const STORE_WRITE_SERVICES: [&str; 1] = ["marque.v1.RegistryService"];

/// The services that need the store to answer reads: NOT_SERVING while it
/// is unreachable, SERVING while it is read-only (their reads still
/// work). CheckService answers from the snapshot and is neither.
pub const STORE_READ_SERVICES: [&str; 2] = ["marque.v1.WatchService", "marque.v1.AuditService"];

/// Largest request a registry call may send (a 4 MiB logo plus headroom).
pub const MAX_REGISTRY_MESSAGE_BYTES: usize = 6 * 1024 * 1024;
/// Largest request a check may send.
pub const MAX_CHECK_MESSAGE_BYTES: usize = 1024 * 1024;

/// How long cut calls get to send their UNAVAILABLE after the drain timeout.
const CUT_GRACE: Duration = Duration::from_secs(1);

/// How often the server looks for background work (a new detection index
/// base, a new authorization table) to adopt while no change comes.
const ADOPT_BACKGROUND_EVERY: Duration = Duration::from_millis(200);

/// Certificate and key files for TLS.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    /// PEM certificate chain of the server.
    pub cert: PathBuf,
    /// PEM private key of the server.
    pub key: PathBuf,
    /// PEM CA bundle that client certificates must chain to (mTLS); none
    /// means clients present no certificate.
    pub client_ca: Option<PathBuf>,
}

/// How the first operator key comes to be.
#[derive(Clone)]
pub enum OperatorKey {
    /// Use this secret (from `--operator-key` / `MARQUE_OPERATOR_KEY`),
    /// registering it if the registry does not know it yet.
    Given(String),
    /// Create one if the registry has no usable operator key, and print it
    /// once on standard output (`marque serve` on a terminal).
    CreateIfMissing,
    /// Only warn, in the log, if the registry has no usable operator key:
    /// `marque serve` whose standard output is not a terminal (a container,
    /// where it is collected with the logs) prints no secret there.
    WarnIfMissing,
    /// Do nothing (tests that seed their own keys).
    None,
}

/// Never shows a given key's secret (options are logged and printed in
/// tests).
impl std::fmt::Debug for OperatorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OperatorKey::Given(_) => f.write_str("Given(<secret>)"),
            OperatorKey::CreateIfMissing => f.write_str("CreateIfMissing"),
            OperatorKey::WarnIfMissing => f.write_str("WarnIfMissing"),
            OperatorKey::None => f.write_str("None"),
        }
    }
}

/// Streams a client may make the server reset on one connection (frames
/// the server must refuse) before the connection is closed: hyper's
/// default, which tonic would otherwise lift.
const MAX_LOCAL_ERROR_RESETS: usize = 1024;
/// Streams a client may open and reset before the server accepts them, on
/// one connection, before it is closed: h2's default.
const MAX_PENDING_ACCEPT_RESETS: usize = 20;

/// Everything [`Server`] needs to run.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// TLS material; none serves plaintext.
    pub tls: Option<TlsFiles>,
    /// Allow plaintext on a non-loopback address.
    pub allow_plaintext: bool,
    /// Registry to load when the store is empty.
    pub seed: Option<Seed>,
    /// The first operator key.
    pub operator_key: OperatorKey,
    /// Member id of the operator created for a bootstrap key.
    pub operator_member: String,
    /// How long health reports NOT_SERVING before the listener stops
    /// accepting, so load balancers and probes notice.
    pub shutdown_grace: Duration,
    /// How long in-flight calls may take to finish after that.
    pub drain_timeout: Duration,
    /// How long a read waits for a `min_revision` not yet reached.
    pub min_revision_wait: Duration,
    /// How often the change feed is polled besides NOTIFY wake-ups.
    pub feed_poll: Duration,
    /// Apply the store's migrations at start (else only verify them).
    pub migrate: bool,
    /// Longest silence on an idle Watch stream before a checkpoint.
    pub watch_checkpoint: Duration,
    /// Plaintext admin address for the pod network: `grpc.health.v1` (the
    /// same state) and Prometheus `/metrics` on one port.
    pub admin_listen: Option<SocketAddr>,
    /// Close client connections (gracefully, with GOAWAY) after this long,
    /// on the API and admin ports, so long-lived HTTP/2 connections
    /// rebalance across replicas, and none holds an admin port's place for
    /// ever.
    pub max_connection_age: Option<Duration>,
    /// How long a connection asked to close at its age may keep the calls
    /// open on it, on the API port, before it is closed and they are cut
    /// (a `Watch`, which its client resumes from its last revision; an
    /// import, which applies nothing and is sent again); none waits for
    /// them to end, so a connection holding a `Watch` never rebalances.
    /// Only with [`ServerOptions::max_connection_age`]. (The admin port's
    /// grace is `keepalive_timeout`: see `AdminTimeouts`.)
    pub max_connection_age_grace: Option<Duration>,
    /// Send an HTTP/2 PING on every connection this often, on the API and
    /// admin ports (and set both ports' TCP keepalive to it), so
    /// connections to peers that are gone (a crashed client, a NAT that
    /// forgot the flow) are closed instead of held for ever; none sends no
    /// pings.
    pub keepalive_interval: Option<Duration>,
    /// How long a PING may go unanswered before the connection is closed.
    pub keepalive_timeout: Duration,
    /// How often the TLS files are read again (a renewed certificate is
    /// served to new connections from the next look); zero reads them only
    /// at start.
    pub tls_reload_every: Duration,
    /// How long a client may take, from its connection's accept, to show
    /// that it is a client before its connection is closed: to finish its
    /// TLS handshake, if the port serves TLS, and to begin its first request
    /// (HTTP/2's client preface; on the admin port, or an HTTP/1 request
    /// head), on every port, plaintext or TLS ([`crate::preface`]). On the
    /// admin port, also how long a kept-alive HTTP/1 connection may wait
    /// to send its next request head.
    pub tls_handshake_timeout: Duration,
    /// Longest wait for an import's next message: an import silent for
    /// longer ends with ABORTED and applies nothing.
    pub import_idle_timeout: Duration,
    /// Longest an import may stay open: one still open after it ends with
    /// ABORTED and applies nothing.
    pub import_max_duration: Duration,
    /// Most calls open at once on one HTTP/2 connection (the
    /// SETTINGS_MAX_CONCURRENT_STREAMS the server announces).
    pub max_concurrent_streams: u32,
    /// Longest a call may take to answer (its whole answer for a unary
    /// call, its first for a stream; not an ImportAuthorizations stream,
    /// which has limits of its own): past it, DEADLINE_EXCEEDED. A client
    /// that opens calls and never sends their request holds nothing longer.
    pub call_timeout: Duration,
    /// Most client connections open at once on the API port, and, apart,
    /// on the admin port ([`crate::connections`]): past it, a port accepts
    /// no more until one closes.
    pub max_connections: usize,
}

impl ServerOptions {
    /// Options for `listen` with the defaults of `marque serve`.
    pub fn new(listen: SocketAddr) -> Self {
        Self {
            listen,
            tls: None,
            allow_plaintext: false,
            seed: None,
            operator_key: OperatorKey::CreateIfMissing,
            operator_member: "operator".into(),
            shutdown_grace: Duration::from_secs(5),
            drain_timeout: Duration::from_secs(30),
            min_revision_wait: Duration::from_secs(2),
            feed_poll: Duration::from_secs(1),
            migrate: true,
            watch_checkpoint: Duration::from_secs(15),
            admin_listen: None,
            max_connection_age: None,
            max_connection_age_grace: None,
            keepalive_interval: Some(Duration::from_secs(60)),
            keepalive_timeout: Duration::from_secs(20),
            tls_reload_every: Duration::from_secs(30),
            tls_handshake_timeout: crate::tls::HANDSHAKE_TIMEOUT,
            import_idle_timeout: crate::api::registry::IMPORT_IDLE,
            import_max_duration: crate::api::registry::IMPORT_LONGEST,
            max_concurrent_streams: 256,
            call_timeout: Duration::from_secs(60),
            max_connections: 10_000,
        }
    }
}

/// A bound, not yet serving, Marque server.
pub struct Server {
    /// The bound listener.
    listener: TcpListener,
    /// The bound admin listener, if any.
    admin: Option<TcpListener>,
    /// The TLS configuration, read and checked before anything was bound;
    /// none serves plaintext.
    tls: Option<Arc<ReloadingTls>>,
    /// The registry the services answer from.
    registry: Arc<Registry>,
    /// The health state shared by every health endpoint.
    health: HealthReporter,
    /// Options.
    options: ServerOptions,
}

impl Server {
    /// Reads the TLS files, then binds the listener. Refuses plaintext on a
    /// non-loopback address unless allowed. Once it returns, the server
    /// has all it needs to accept connections: a configuration that cannot
    /// serve fails here, before anything (a log line) says it listens.
    ///
    /// # Errors
    /// When the TLS files cannot be read or do not make a valid
    /// configuration, the address cannot be bound, or plaintext is refused.
    pub async fn bind(options: ServerOptions, store: Arc<dyn Store>) -> anyhow::Result<Self> {
        if options.tls.is_none() && !options.listen.ip().is_loopback() && !options.allow_plaintext {
            anyhow::bail!(
                "refusing to serve plaintext on {}: give --tls-cert and --tls-key, or --plaintext to accept it",
                options.listen
            );
        }
        // Before the TLS files are read: their certificate's expiry is a
        // metric.
        crate::metrics::install();
        let tls = match &options.tls {
            Some(files) => Some(Arc::new(
                ReloadingTls::load(files.clone())
                    .await
                    .context("invalid TLS configuration")?,
            )),
            None => None,
        };
        let listener = TcpListener::bind(options.listen)
            .await
            .with_context(|| format!("cannot listen on {}", options.listen))?;
        let admin = match options.admin_listen {
            Some(address) => Some(
                TcpListener::bind(address)
                    .await
                    .with_context(|| format!("cannot listen on the admin address {address}"))?,
            ),
            None => None,
        };
        let (health, _) = tonic_health::server::health_reporter();
        // Overridden before any connection is accepted: nothing is served yet.
        health
            .set_service_status("", ServingStatus::NotServing)
            .await;
        for service in SERVICES {
            health
                .set_service_status(service, ServingStatus::NotServing)
                .await;
        }
        health
            .set_service_status(LIVENESS, ServingStatus::Serving)
            .await;
        let registry = Arc::new(Registry::new(store, options.min_revision_wait));
        Ok(Self {
            listener,
            admin,
            tls,
            registry,
            health,
            options,
        })
    }

    /// The address the server listens on.
    ///
    /// # Errors
    /// When the socket cannot tell.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The admin address (health and `/metrics`), when configured.
    ///
    /// # Errors
    /// When the socket cannot tell.
    pub fn admin_addr(&self) -> std::io::Result<Option<SocketAddr>> {
        self.admin.as_ref().map(TcpListener::local_addr).transpose()
    }

    /// The registry the server answers from.
    pub fn registry(&self) -> Arc<Registry> {
        self.registry.clone()
    }

    /// The health state, shared by every health endpoint.
    pub fn health(&self) -> HealthReporter {
        self.health.clone()
    }

    /// Serves until `shutdown` resolves, then drains: every health status
    /// turns NOT_SERVING, the server keeps answering for the grace period,
    /// stops accepting, and waits up to the drain timeout for in-flight
    /// calls. The snapshot follows the store's change feed until the drain
    /// is over: the calls answered meanwhile see other replicas' writes.
    ///
    /// # Errors
    /// When the registry cannot be loaded, seeded or bootstrapped, or the
    /// transport fails.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
        self.run_until_cut(shutdown, std::future::pending())
            .await
            .map(drop)
    }

    /// [`Server::run`], where `cut`, once `shutdown` has resolved, ends the
    /// shutdown at once (an operator's second signal): whatever is left of
    /// the grace period and the drain is skipped, and the calls and
    /// connections still open are cut. Says how the server stopped.
    ///
    /// # Errors
    /// As [`Server::run`].
    pub async fn run_until_cut(
        self,
        shutdown: impl Future<Output = ()> + Send,
        cut: impl Future<Output = ()> + Send,
    ) -> anyhow::Result<Stopped> {
        let Server {
            listener,
            admin,
            tls,
            registry,
            health,
            options,
        } = self;
        // Watch streams (Marque's and health's) never end by themselves:
        // they end when this turns true.
        let (draining_tx, draining_rx) = tokio::sync::watch::channel(false);
        let health_service = Health::server(health.clone(), draining_rx.clone());

        // Serves until run() returns, so probes see NOT_SERVING while draining.
        let _admin = admin.map(|listener| {
            AbortOnDrop(tokio::spawn(serve_admin(
                admin_listener(listener, &options),
                AdminTimeouts::of(&options),
                health.clone(),
                draining_rx.clone(),
                registry.clone(),
            )))
        });
        // tonic's defaults lift hyper's limits: no cap on streams a
        // connection may open, nor on the streams a client makes the server
        // reset (CVE-2025-8671, "MadeYouReset"). Both are set here.
        let mut builder = tonic::transport::Server::builder()
            .http2_keepalive_interval(options.keepalive_interval)
            .http2_keepalive_timeout(Some(options.keepalive_timeout))
            .max_concurrent_streams(options.max_concurrent_streams)
            .http2_max_local_error_reset_streams(Some(MAX_LOCAL_ERROR_RESETS))
            .http2_max_pending_accept_reset_streams(Some(MAX_PENDING_ACCEPT_RESETS));
        if let Some(age) = options.max_connection_age {
            builder = builder.max_connection_age(age);
        }
        if let Some(grace) = options.max_connection_age_grace {
            builder = builder.max_connection_age_grace(grace);
        }
        let _tls_watch = tls
            .clone()
            .filter(|_| !options.tls_reload_every.is_zero())
            .map(|tls| AbortOnDrop(tokio::spawn(tls.watch(options.tls_reload_every))));
        let descriptors = Arc::new(
            Descriptors::new(&[FILE_DESCRIPTOR_SET]).context("cannot index the descriptor set")?,
        );
        let reflection_v1 = ReflectionV1::server(descriptors.clone());
        let reflection_v1alpha = ReflectionV1Alpha::server(descriptors);
        let (cut_tx, cut_rx) = tokio::sync::watch::channel(false);
        // Requests may come gzip-compressed (a large batch or import), each
        // bounded by its service's limit once decompressed. Answers are
        // compressed only where they are pages of records, and only for
        // clients that accept gzip: a check's answer is a few hundred bytes
        // whose compression would cost more than it saves.
        use tonic::codec::CompressionEncoding::Gzip;
        let router = builder
            .layer(AuthLayer::new(registry.clone()).with_call_timeout(options.call_timeout))
            .add_service(health_service)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .add_service(
                RegistryServiceServer::new(RegistryApi::new(
                    registry.clone(),
                    (options.import_idle_timeout, options.import_max_duration),
                    cut_rx,
                ))
                .max_decoding_message_size(MAX_REGISTRY_MESSAGE_BYTES)
                .accept_compressed(Gzip)
                .send_compressed(Gzip),
            )
            .add_service(
                CheckServiceServer::new(CheckApi::new(registry.clone()))
                    .max_decoding_message_size(MAX_CHECK_MESSAGE_BYTES)
                    .accept_compressed(Gzip),
            )
            .add_service(
                WatchServiceServer::new(WatchApi::new(
                    registry.clone(),
                    options.watch_checkpoint,
                    draining_rx,
                ))
                .max_decoding_message_size(MAX_CHECK_MESSAGE_BYTES)
                .accept_compressed(Gzip),
            )
            .add_service(
                AuditServiceServer::new(AuditApi::new(registry.clone()))
                    .max_decoding_message_size(MAX_CHECK_MESSAGE_BYTES)
                    .accept_compressed(Gzip)
                    .send_compressed(Gzip),
            );

        // The tasks that keep the snapshot moving (following the store's
        // change feed, adopting background work): they run until the
        // server has drained, so that calls answered meanwhile see what
        // other replicas write (a revocation, a `min_revision`).
        let mut followers: Vec<AbortOnDrop> = Vec::new();
        // Mirrors the store's reachability into health: stopped as soon as
        // shutdown begins, so that it cannot turn a service SERVING again.
        let mut store_health: Option<AbortOnDrop> = None;
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        // At most `max_connections` are open at once: past it, none is
        // accepted until one closes.
        let incoming = ConnectionLimit::new("api", options.max_connections)
            .incoming(accepting(listener, &options));
        let stopped = async {
            let _ = stop_rx.await;
        };
        // A connection is served once it has shown that it is a client: its
        // TLS handshake done, if any, and HTTP/2's preface sent, within the
        // handshake deadline; until then it holds its place in the cap, and
        // past the deadline it is closed ([`crate::preface`]). Every
        // connection waits, when the server closes it, for the client to
        // close its side: else the client may lose the last answers sent to
        // it (a Watch stream's end as the server drains).
        use tokio_stream::StreamExt as _;
        let mut serving = match tls {
            Some(tls) => tokio::spawn(
                router.serve_with_incoming_shutdown(
                    tls.incoming(incoming, options.tls_handshake_timeout)
                        .map(|io| io.map(Lingering::new)),
                    stopped,
                ),
            ),
            None => tokio::spawn(
                router.serve_with_incoming_shutdown(
                    handshaken(incoming, options.tls_handshake_timeout, |io| {
                        Prefaced::read(io, Protocols::Http2)
                    })
                    .map(|io| io.map(Lingering::new)),
                    stopped,
                ),
            ),
        };

        let started = async {
            let revision = load_with_retries(&registry, options.migrate).await?;
            tracing::info!(revision, store = registry.store().kind(), "registry loaded");
            warn_of_stored_logos_refused_now(&registry.snapshot());
            if !registry.store().durable() {
                tracing::warn!(
                    "using the embedded in-memory store: the registry is lost when the server stops (configure a database URL to keep it)"
                );
            }
            bootstrap(&registry, &options).await?;
            for service in [""].into_iter().chain(SERVICES) {
                health
                    .set_service_status(service, ServingStatus::Serving)
                    .await;
            }
            followers.push(AbortOnDrop(tokio::spawn(
                registry.clone().follow(options.feed_poll),
            )));
            followers.push(AbortOnDrop(tokio::spawn(
                registry.clone().adopt_background(ADOPT_BACKGROUND_EVERY),
            )));
            store_health = Some(AbortOnDrop(tokio::spawn(report_store_health(
                registry.clone(),
                health.clone(),
            ))));
            tracing::info!(revision = registry.snapshot().revision(), "serving");
            anyhow::Ok(())
        };
        tokio::pin!(shutdown);
        // A signal while starting (loading the registry, waiting for the
        // database) goes straight to the shutdown below: the signal's
        // future is done and must not be polled again.
        let signalled = tokio::select! {
            result = started => {
                result?;
                false
            }
            result = &mut serving => {
                result.context("server task failed")?.context("transport failed")?;
                anyhow::bail!("the server stopped before it was ready");
            }
            () = &mut shutdown => true,
        };
        if !signalled {
            tokio::select! {
                () = &mut shutdown => {}
                result = &mut serving => {
                    result.context("server task failed")?.context("transport failed")?;
                    return Ok(Stopped::Drained);
                }
            }
        }

        tracing::info!(grace = ?options.shutdown_grace, "shutting down: health NOT_SERVING");
        let drain = async {
            if let Some(reporter) = store_health {
                reporter.stop().await;
            }
            for service in [""].into_iter().chain(SERVICES) {
                health
                    .set_service_status(service, ServingStatus::NotServing)
                    .await;
            }
            tokio::time::sleep(options.shutdown_grace).await;
            // Watch streams never end by themselves: end them (they resume).
            let _ = draining_tx.send(true);
            let _ = stop_tx.send(());
            match tokio::time::timeout(options.drain_timeout, &mut serving).await {
                Ok(result) => {
                    result
                        .context("server task failed")?
                        .context("transport failed")?;
                    tracing::info!("drained; stopped");
                }
                Err(_) => {
                    tracing::warn!(timeout = ?options.drain_timeout, "calls still in flight after the drain timeout; cutting them");
                    // Open client streams end with UNAVAILABLE; give them a
                    // moment to say so, then stop regardless.
                    let _ = cut_tx.send(true);
                    if tokio::time::timeout(CUT_GRACE, &mut serving).await.is_err() {
                        serving.abort();
                        tracing::warn!("stopped with calls still open");
                    }
                }
            }
            anyhow::Ok(())
        };
        let stopped = tokio::select! {
            result = drain => {
                result?;
                Stopped::Drained
            }
            () = cut => {
                // Streams that were to end with UNAVAILABLE are told to, but
                // not waited for. The connections' sockets close as the
                // process ends next (tonic serves each connection in a task
                // of its own, which this abort does not reach).
                let _ = draining_tx.send(true);
                let _ = cut_tx.send(true);
                serving.abort();
                tracing::warn!("shutdown cut short: stopped with the calls and connections still open");
                Stopped::Cut
            }
        };
        // Only now, with no call left to answer, does the snapshot stop.
        drop(followers);
        Ok(stopped)
    }
}

/// How [`Server::run_until_cut`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// The drain ran its course: every call ended, or was cut at the drain
    /// timeout (or the server stopped by itself).
    Drained,
    /// The shutdown was cut short: the calls and connections still open
    /// were cut at once.
    Cut,
}

/// Aborts a task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl AbortOnDrop {
    /// Aborts the task and waits until it has stopped: one running on
    /// another thread stops only at its next await.
    async fn stop(mut self) {
        self.0.abort();
        let _ = (&mut self.0).await;
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// `listener`'s connections, each socket set as both ports set theirs.
/// Nagle's algorithm off, as tonic's own listener does: an answer goes out
/// in several small writes (headers, message, trailers; a probe's health
/// answer is a few dozen bytes) that must not wait for the client's
/// delayed ACK, some 40 ms. TCP keepalive after `--keepalive-interval` of
/// silence (none without one), so that the kernel finds out a peer that
/// vanished even where no HTTP/2 PING is sent: on an HTTP/1 connection,
/// or before a connection's first request. Its probes then go unanswered
/// for `--keepalive-timeout` at most, as a PING may ([`KEEPALIVE_PROBES`]
/// of them, evenly spaced), not for the system's default of some eleven
/// minutes.
fn accepting(
    listener: TcpListener,
    options: &ServerOptions,
) -> tonic::transport::server::TcpIncoming {
    let probe_every = options
        .keepalive_interval
        .map(|_| keepalive_probe_interval(options.keepalive_timeout));
    tonic::transport::server::TcpIncoming::from(listener)
        .with_nodelay(Some(true))
        .with_keepalive(options.keepalive_interval)
        .with_keepalive_interval(probe_every)
        .with_keepalive_retries(options.keepalive_interval.map(|_| KEEPALIVE_PROBES))
}

/// Unanswered TCP keepalive probes after which a connection is closed
/// ([`accepting`]).
const KEEPALIVE_PROBES: u32 = 3;

/// The time between TCP keepalive probes, so that [`KEEPALIVE_PROBES`] of
/// them take `timeout` at most: whole seconds (the kernel's unit), one at
/// least.
fn keepalive_probe_interval(timeout: Duration) -> Duration {
    Duration::from_secs((timeout.as_secs() / u64::from(KEEPALIVE_PROBES)).max(1))
}

/// The admin port's listener: its connections capped apart from the API
/// port's, each served once its first request has begun, their sockets set
/// as the API port's ([`accepting`]).
fn admin_listener(listener: TcpListener, options: &ServerOptions) -> LimitedListener {
    LimitedListener::new(
        accepting(listener, options),
        ConnectionLimit::new("admin", options.max_connections),
        options.tls_handshake_timeout,
    )
}

/// How long an admin connection may sit idle, and live. Each holds one of
/// the port's `--max-connections` places: one that says nothing must not
/// hold it for ever, after its first request as before it
/// ([`LimitedListener`]), nor one that answers every PING.
#[derive(Clone, Copy, Debug)]
struct AdminTimeouts {
    /// HTTP/1 (a Prometheus scrape): how long the server waits for the
    /// next request head of a kept-alive connection, from the end of its
    /// last answer, and for a head to be whole; `--tls-handshake-timeout`,
    /// the time a connection has to begin its first request.
    request_head: Duration,
    /// HTTP/2 (a probe, grpcurl): a PING this often, as on the API port
    /// (`--keepalive-interval`); none sends no pings.
    keepalive_interval: Option<Duration>,
    /// How long such a PING may go unanswered (`--keepalive-timeout`).
    keepalive_timeout: Duration,
    /// `--max-connection-age`, as on the API port: a connection served for
    /// this long is asked to close (HTTP/2: GOAWAY, and its open streams
    /// may finish; HTTP/1: closed after the answer in flight, at once if
    /// none is); none, never.
    max_age: Option<Duration>,
    /// How long a connection asked to close at its age has to do so before
    /// it is dropped: `--keepalive-timeout`. The API port's is
    /// `--max-connection-age-grace`, none by default: a call open there, a
    /// Watch, keeps its aged connection until it ends. Here every answer is
    /// immediate (a health check, a metrics page, reflection of one file),
    /// so a closing connection waits only for its client's round trip (the
    /// PING hyper sends after its GOAWAY, the last answer read): the wait
    /// `--keepalive-timeout` already bounds for a PING. Only a
    /// `Health.Watch` stays open longer, and would hold its place for ever:
    /// it is cut, and its client reconnects, as the GOAWAY asked.
    age_grace: Duration,
}

impl AdminTimeouts {
    fn of(options: &ServerOptions) -> Self {
        Self {
            request_head: options.tls_handshake_timeout,
            keepalive_interval: options.keepalive_interval,
            keepalive_timeout: options.keepalive_timeout,
            max_age: options.max_connection_age,
            age_grace: options.keepalive_timeout,
        }
    }

    /// Resolves once a connection served from now reaches its age; never
    /// without `--max-connection-age`.
    async fn aged(self) {
        match self.max_age {
            Some(age) => tokio::time::sleep(age).await,
            None => std::future::pending().await,
        }
    }

    /// hyper's connection builder for the admin port: HTTP/1 or HTTP/2,
    /// whichever the client speaks, each with its idle bound. (axum's own
    /// `serve` sets no timer, so hyper bounds neither.)
    fn builder(self) -> hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor> {
        use hyper_util::rt::{TokioExecutor, TokioTimer};
        let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(self.request_head);
        builder
            .http2()
            .timer(TokioTimer::new())
            .keep_alive_interval(self.keepalive_interval)
            .keep_alive_timeout(self.keepalive_timeout);
        builder
    }
}

/// The admin port: `grpc.health.v1` over plaintext HTTP/2 (h2c, as the
/// kubelet's gRPC probe speaks it), with server reflection of it, and
/// Prometheus `GET /metrics` over HTTP/1.1, on one listener, with the same
/// health state as the API port. Its connections are capped apart from the
/// API port's, so that a full API port does not fail the probes, and, as
/// there, served once their first request has begun ([`LimitedListener`]);
/// an idle one is closed, and one that reaches `--max-connection-age`
/// ([`AdminTimeouts`]). They are closed, too, when this stops (the server
/// has stopped).
async fn serve_admin(
    mut listener: LimitedListener,
    timeouts: AdminTimeouts,
    health: HealthReporter,
    draining: tokio::sync::watch::Receiver<bool>,
    registry: Arc<Registry>,
) {
    let metrics = crate::metrics::install();
    let health_service = Health::server(health, draining);
    let app = axum::Router::new()
        .route(
            "/metrics",
            axum::routing::get(move || {
                let metrics = metrics.clone();
                let registry = registry.clone();
                async move {
                    match metrics {
                        Some(handle) => (
                            [(http::header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                            crate::metrics::render(&handle, || registry.store().record_gauges()),
                        )
                            .into_response(),
                        None => (
                            http::StatusCode::SERVICE_UNAVAILABLE,
                            "metrics recorder unavailable",
                        )
                            .into_response(),
                    }
                }
            }),
        )
        .route_service("/grpc.health.v1.Health/{*method}", health_service);
    // Reflection of the health service alone, so that grpcurl and buf curl
    // can ask it by name here too.
    let app = match Descriptors::new(&[HEALTH_FILE_DESCRIPTOR_SET]) {
        Ok(descriptors) => {
            let descriptors = Arc::new(descriptors);
            app.route_service(
                "/grpc.reflection.v1.ServerReflection/{*method}",
                ReflectionV1::server(descriptors.clone()),
            )
            .route_service(
                "/grpc.reflection.v1alpha.ServerReflection/{*method}",
                ReflectionV1Alpha::server(descriptors),
            )
        }
        Err(e) => {
            tracing::warn!(error = %e, "no reflection on the admin port");
            app
        }
    };
    use axum::serve::Listener as _;
    let builder = Arc::new(timeouts.builder());
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            (io, peer) = listener.accept() => {
                let builder = builder.clone();
                let service = hyper_util::service::TowerToHyperService::new(app.clone());
                connections.spawn(async move {
                    let io = hyper_util::rt::TokioIo::new(io);
                    let mut connection = std::pin::pin!(builder.serve_connection(io, service));
                    let served = tokio::select! {
                        served = connection.as_mut() => served,
                        () = timeouts.aged() => {
                            connection.as_mut().graceful_shutdown();
                            let grace = timeouts.age_grace;
                            match tokio::time::timeout(grace, connection).await {
                                Ok(served) => served,
                                Err(_) => {
                                    tracing::debug!(
                                        %peer,
                                        ?grace,
                                        "admin connection still open after its age and grace: closed"
                                    );
                                    return;
                                }
                            }
                        }
                    };
                    if let Err(e) = served {
                        tracing::debug!(%peer, error = %e, "admin connection closed");
                    }
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Prepares the store and loads the first snapshot, retrying with backoff
/// while the store is unreachable (health stays NOT_SERVING meanwhile).
/// What no retry mends by itself (a privilege missing, a password or role
/// refused, no such database: [`crate::store::postgres::operator_needed`];
/// a Unix socket directory that does not exist) is tried again too, for it
/// may be mended while the server waits (a job that grants, a sidecar that
/// makes the socket), but said at ERROR, with what to do, once in the
/// outage ([`crate::store::postgres::Outage`]): failures of another kind
/// between its attempts (the database restarting, a connection dropped)
/// do not make it said again. The outage's record is the store's own
/// ([`crate::store::Store::outage`]): a refusal its pool or its statements
/// said while loading is not said again here, nor one said here by them.
/// Each other attempt is a WARN line with its error; once the server gets
/// in, an INFO line says what was mended.
///
/// # Errors
/// A store that [`crate::store::NeedsRepair`]: no retry would mend it.
async fn load_with_retries(registry: &Registry, migrate: bool) -> anyhow::Result<Revision> {
    use crate::store::postgres::{Blocked, directories_shown};
    let mut backoff = crate::store::Backoff::new();
    let outage = registry.store().outage();
    loop {
        let attempt = async {
            registry.store().prepare(migrate).await?;
            registry
                .load()
                .await
                .context("cannot load the registry from the store")
        };
        match attempt.await {
            Ok(revision) => {
                let said = outage.over();
                if !said.is_empty() {
                    let said: Vec<String> = said.iter().map(ToString::to_string).collect();
                    tracing::info!(
                        mended = said.join("; "),
                        "the database lets the server in now"
                    );
                }
                return Ok(revision);
            }
            Err(e) if crate::store::needs_repair(&e) => return Err(e),
            Err(e) => {
                let wait = backoff.next_wait();
                match outage.first(&e) {
                    // An answer the database gives until someone changes
                    // something (a grant, a password, a role, a database):
                    // at ERROR, once, with what to do; tried again all the
                    // same, for a job or an operator may mend it while the
                    // pod waits.
                    Some(
                        Blocked::Refused { sqlstate, what }
                        | Blocked::QueryRefused { sqlstate, what },
                    ) => {
                        tracing::error!(
                            sqlstate = sqlstate.code(),
                            error = format!("{e:#}"),
                            retry_in = ?wait,
                            "the database refuses the server ({what}); trying again until it is \
                             mended"
                        );
                    }
                    // A sidecar (a database proxy) may make it yet.
                    Some(Blocked::NoSocketDirectory { directories }) => {
                        tracing::error!(
                            directory = directories_shown(&directories),
                            error = format!("{e:#}"),
                            retry_in = ?wait,
                            "the directory of the database's Unix socket does not exist (the \
                             database URL's host): mount it, or correct the host; trying again \
                             until it exists (a proxy beside the server may make it)"
                        );
                    }
                    None => {
                        tracing::warn!(error = format!("{e:#}"), retry_in = ?wait, "store not ready");
                    }
                }
                tokio::time::sleep(wait).await;
            }
        }
    }
}

/// Mirrors what the store answers into the health of the services that
/// need it: RegistryService needs writes, WatchService and AuditService
/// only reads (a read-only database still answers them); checks need
/// neither (they answer from the snapshot), so CheckService stays SERVING.
/// A store operation the database refuses ([`crate::store::Store::refused`]:
/// a privilege revoked, a table dropped) keeps each service that needs it
/// ([`store_needs`]) NOT_SERVING until that operation is answered again:
/// not when another one, on another table, is (the change feed's next read
/// used to turn RegistryService SERVING between refused writes).
async fn report_store_health(registry: Arc<Registry>, health: HealthReporter) {
    let mut store = registry.store_health();
    let mut refused = registry.store().refused();
    // A store that is never refused announces nothing, ever: then only
    // what the registry sees is followed.
    let mut refusals_announced = true;
    loop {
        let now = *store.borrow_and_update();
        let refused_now = refused.borrow_and_update().clone();
        let answered = |service: &str| {
            store_needs(service).iter().all(|need| {
                refused_now
                    .iter()
                    .all(|operation| operation.need() != *need)
            })
        };
        let status = |ok: bool| {
            if ok {
                ServingStatus::Serving
            } else {
                ServingStatus::NotServing
            }
        };
        for service in STORE_WRITE_SERVICES {
            health
                .set_service_status(service, status(now.writes() && answered(service)))
                .await;
        }
        for service in STORE_READ_SERVICES {
            health
                .set_service_status(service, status(now.reads() && answered(service)))
                .await;
        }
        tokio::select! {
            changed = store.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            changed = refused.changed(), if refusals_announced => {
                refusals_announced = changed.is_ok();
            }
        }
    }
}

/// What `service` needs of the store's operations ([`Need`]): while the
/// database refuses one of them, it is NOT_SERVING. RegistryService writes,
/// and reads the store's head and history (a `min_revision`, a write
/// catching up); WatchService reads its history; AuditService reads it and
/// lists audit events. CheckService needs none: checks answer from the
/// snapshot, which keeps serving what it holds.
fn store_needs(service: &str) -> &'static [Need] {
    match service {
        "marque.v1.RegistryService" => &[Need::Writes, Need::Reads],
        "marque.v1.WatchService" => &[Need::Reads],
        "marque.v1.AuditService" => &[Need::Reads, Need::Audit],
        _ => &[],
    }
}

/// The logos of active brands that the registry holds and that its logo
/// rules refuse now ([`crate::logo::LogoHash::registrable`]): registered
/// before a rule was tightened. An archived brand's logos are left out:
/// they take part in no detection, and an archived brand is read-only.
fn stored_logos_refused_now(snapshot: &Snapshot) -> Vec<(std::sync::Arc<Logo>, LogoError)> {
    let (brands, _) = snapshot.list_brands(None, None, usize::MAX);
    brands
        .iter()
        .filter(|brand| brand.status == BrandStatus::Active)
        .flat_map(|brand| snapshot.list_logos(&brand.id, None, usize::MAX).0)
        .filter_map(|logo| logo.hash.registrable().err().map(|e| (logo, e)))
        .collect()
}

/// Stored logos the logo rules refuse now named one by one at start, at
/// most; past that, a line counts them all.
const MAX_LOGO_WARNINGS: usize = 20;

/// One warning per stored logo the logo rules refuse now: it stays (the
/// server starts and detects with it), and its owner may remove it and
/// register one the rules take.
fn warn_of_stored_logos_refused_now(snapshot: &Snapshot) {
    let refused = stored_logos_refused_now(snapshot);
    if refused.len() > MAX_LOGO_WARNINGS {
        tracing::warn!(
            logos = refused.len(),
            "stored logos break the current logo rules; the first {MAX_LOGO_WARNINGS} follow"
        );
    }
    for (logo, refused) in refused.into_iter().take(MAX_LOGO_WARNINGS) {
        tracing::warn!(
            brand = %logo.brand,
            logo = %logo.id,
            hash = %logo.hash,
            error = %refused,
            "a stored logo breaks the current logo rules; it is kept and detected with, until \
             its owner removes it"
        );
    }
}

/// Loads the seed into an empty registry. The registry's rules on content
/// hold a seed only when it is loaded: a seed the registry skips (it has
/// revisions) starts the server with a warning for each entry the rules
/// refuse, while a seed they refuse is never written.
async fn load_seed(registry: &Registry, seed: &Seed) -> anyhow::Result<()> {
    if !seed.refusals().is_empty() {
        let revision = registry
            .latest_snapshot()
            .await
            .context("cannot tell whether the registry is empty, to load the seed")?
            .revision();
        if revision != 0 {
            let file = seed.source().map(|path| path.display().to_string());
            for refusal in seed.refusals() {
                tracing::warn!(
                    revision,
                    seed = file.as_deref(),
                    refusal = %refusal,
                    "the seed is not loaded (the registry is not empty); were it, the \
                     registry's rules would refuse this entry"
                );
            }
            tracing::info!(revision, "the registry is not empty: seed not loaded");
            return Ok(());
        }
    }
    let commands = seed
        .commands()
        .context("cannot load the seed into the empty registry; nothing was written")?;
    if commands.is_empty() {
        // An empty file, or one mounted where the seed was meant to be:
        // worth a warning where it was to fill an empty registry.
        let revision = registry
            .latest_snapshot()
            .await
            .context("cannot tell whether the registry is empty, to load the seed")?
            .revision();
        if revision == 0 {
            tracing::warn!(
                seed = seed.source().map(|path| path.display().to_string()),
                "the seed holds nothing to load"
            );
        } else {
            tracing::info!(revision, "the registry is not empty: seed not loaded");
        }
        return Ok(());
    }
    let meta = WriteMeta {
        only_if_empty: true,
        ..WriteMeta::default()
    };
    match registry.write(Actor::System, meta, commands).await {
        Ok(committed) => tracing::info!(
            revision = committed.revision,
            changes = committed.changes.len(),
            "seed loaded"
        ),
        Err(RegistryError::NotEmpty(revision)) => {
            tracing::info!(revision, "the registry is not empty: seed not loaded")
        }
        Err(e) => return Err(anyhow::Error::new(e).context("cannot load the seed")),
    }
    Ok(())
}

/// Loads the seed into an empty registry, and makes sure an operator can get
/// in.
async fn bootstrap(registry: &Registry, options: &ServerOptions) -> anyhow::Result<()> {
    if let Some(seed) = &options.seed {
        load_seed(registry, seed).await?;
    }
    match &options.operator_key {
        OperatorKey::None => {}
        OperatorKey::Given(secret) => {
            let id = auth::key_id_of(secret).context(
                "the operator key is malformed: expected mq_{id}_{64 hex digits} (see `marque keygen`)",
            )?;
            let snapshot = registry.snapshot();
            if let Some(existing) = snapshot.api_key(id.as_str()) {
                // Known, it should be an operator's, with this very secret.
                // Serving does not need it, though: a key revoked through
                // the API, one of another member, or a copy of a key that is
                // not the key (a truncated or stale value, another
                // registry's key under the same id), still in every pod's
                // Secret, must not stop every pod from starting. Loudly
                // ignored instead, by its id (never the key), and never
                // registered: the registry's key under that id stays as it
                // is.
                let member = &existing.member;
                let operator = snapshot
                    .member(member.as_str())
                    .is_some_and(|m| m.kind == MemberKind::Operator);
                let has_operator_key = snapshot.has_operator_key();
                if existing.secret_sha256 != auth::hash_secret(secret) {
                    tracing::warn!(
                        key = %id,
                        member = %member,
                        has_operator_key,
                        "IGNORED: the operator key given (--operator-key / MARQUE_OPERATOR_KEY) \
                         has the id of a key the registry holds, but not its secret: it is not \
                         that key, calls made with it are refused (UNAUTHENTICATED), and it is \
                         not registered; serving without it. Put the key's exact value in its \
                         place (update the Secret it is read from: a truncated or stale copy, \
                         another registry's key?), or a new one from `marque keygen`, which the \
                         next start registers"
                    );
                } else if !operator {
                    tracing::warn!(
                        key = %id,
                        member = %member,
                        has_operator_key,
                        "IGNORED: the operator key given (--operator-key / MARQUE_OPERATOR_KEY) \
                         is a key of a member that is no operator; serving without it. Put an \
                         operator's key in its place (update the Secret it is read from), or \
                         remove it to keep the registry's"
                    );
                } else if existing.revoke_time.is_some() {
                    tracing::warn!(
                        key = %id,
                        member = %member,
                        has_operator_key,
                        "IGNORED: the operator key given (--operator-key / MARQUE_OPERATOR_KEY) \
                         was revoked; serving without it. Put an operator key that is not \
                         revoked in its place (update the Secret it is read from), or a new one \
                         from `marque keygen`, which the next start registers"
                    );
                }
                return Ok(());
            }
            let commands =
                operator_commands(registry, options, id.clone(), auth::hash_secret(secret))?;
            if let Err(e) = registry
                .write(Actor::System, WriteMeta::default(), &commands)
                .await
            {
                // Another replica may have registered it meanwhile.
                let registered = registry
                    .snapshot()
                    .api_key(id.as_str())
                    .is_some_and(|k| k.secret_sha256 == auth::hash_secret(secret));
                if !registered {
                    return Err(anyhow::Error::new(e).context("cannot register the operator key"));
                }
            }
            tracing::info!("operator key registered");
        }
        OperatorKey::WarnIfMissing => {
            // As the store has it now: replicas starting together load
            // before one of them writes the seed (with its operator key),
            // and the others would warn of a registry without one.
            let latest = match registry.latest_snapshot().await {
                Ok(latest) => latest,
                Err(_) => registry.snapshot(),
            };
            if !latest.has_operator_key() {
                tracing::warn!(
                    "the registry has no operator key, and none was given: members and keys \
                     cannot be managed. Restart with --operator-key / MARQUE_OPERATOR_KEY (make \
                     one with `marque keygen`); a key is created and printed only when standard \
                     output is a terminal, never where it may be collected with the logs"
                );
            }
        }
        OperatorKey::CreateIfMissing => {
            if registry.snapshot().has_operator_key() {
                return Ok(());
            }
            let key = auth::generate_key();
            let commands = operator_commands(registry, options, key.id.clone(), key.sha256)?;
            if let Err(e) = registry
                .write(Actor::System, WriteMeta::default(), &commands)
                .await
            {
                // Replicas starting together on an empty registry: another
                // may have created the first key meanwhile, and shown it.
                let created_elsewhere = registry
                    .latest_snapshot()
                    .await
                    .is_ok_and(|snapshot| snapshot.has_operator_key());
                if created_elsewhere {
                    tracing::info!("another replica created the first operator key");
                    return Ok(());
                }
                return Err(anyhow::Error::new(e).context("cannot create the first operator key"));
            }
            // Shown once, on standard output, never in the logs.
            println!(
                "\nmarque: created the first operator key for members/{}; it is shown only now:\n\n    {}\n",
                options.operator_member, key.secret
            );
        }
    }
    Ok(())
}

fn operator_commands(
    registry: &Registry,
    options: &ServerOptions,
    id: crate::model::ResourceId,
    secret_sha256: [u8; 32],
) -> anyhow::Result<Vec<Command>> {
    let member = Slug::parse(&options.operator_member)
        .and_then(|member| Member::check_id(&member).map(|()| member))
        .map_err(|e| anyhow::anyhow!("invalid operator member id: {e}"))?;
    let mut commands = Vec::new();
    match registry.snapshot().member(member.as_str()) {
        Some(m) if m.kind != MemberKind::Operator => {
            anyhow::bail!("members/{member} exists and is not an operator")
        }
        Some(_) => {}
        None => commands.push(Command::CreateMember {
            id: member.clone(),
            display_name: "Alliance operator".into(),
            kind: MemberKind::Operator,
        }),
    }
    commands.push(Command::CreateApiKey {
        member,
        id,
        description: "bootstrap operator key".into(),
        secret_sha256,
    });
    Ok(commands)
}

/// `grpc.health.v1.Health` as the gRPC health checking protocol has it:
/// tonic-health's service, except that `Watch` on a service the server does
/// not know sends `SERVICE_UNKNOWN` and keeps the stream open (tonic-health
/// ends it with NOT_FOUND, as `Check` rightly does), so a watching client
/// keeps waiting rather than treating it as a failed call and retrying.
pub struct Health {
    inner: tonic_health::server::HealthService,
    /// Turns true when the server stops accepting: `Watch` streams, which
    /// never end by themselves, end then with UNAVAILABLE (as Marque's own
    /// Watch streams do), so they do not hold the drain to its timeout.
    draining: tokio::sync::watch::Receiver<bool>,
}

impl Health {
    fn server(
        reporter: HealthReporter,
        draining: tokio::sync::watch::Receiver<bool>,
    ) -> tonic_health::pb::health_server::HealthServer<Self> {
        tonic_health::pb::health_server::HealthServer::new(Self {
            inner: tonic_health::server::HealthService::from_health_reporter(reporter),
            draining,
        })
    }

    /// `stream`, ended with UNAVAILABLE once the server drains.
    fn until_drained(
        &self,
        stream: impl futures_util::Stream<
            Item = Result<tonic_health::pb::HealthCheckResponse, tonic::Status>,
        > + Send
        + 'static,
    ) -> <Self as tonic_health::pb::health_server::Health>::WatchStream {
        let mut draining = self.draining.clone();
        let drained = async move {
            let _ = draining.wait_for(|draining| *draining).await;
        };
        use futures_util::StreamExt as _;
        Box::pin(
            stream
                .take_until(drained)
                .chain(futures_util::stream::once(async {
                    Err(tonic::Status::unavailable(
                        "the server is shutting down; watch another replica",
                    ))
                })),
        )
    }
}

#[tonic::async_trait]
impl tonic_health::pb::health_server::Health for Health {
    async fn check(
        &self,
        request: tonic::Request<tonic_health::pb::HealthCheckRequest>,
    ) -> Result<tonic::Response<tonic_health::pb::HealthCheckResponse>, tonic::Status> {
        self.inner.check(request).await
    }

    type WatchStream = std::pin::Pin<
        Box<
            dyn futures_util::Stream<
                    Item = Result<tonic_health::pb::HealthCheckResponse, tonic::Status>,
                > + Send,
        >,
    >;

    async fn watch(
        &self,
        request: tonic::Request<tonic_health::pb::HealthCheckRequest>,
    ) -> Result<tonic::Response<Self::WatchStream>, tonic::Status> {
        match self.inner.watch(request).await {
            Ok(stream) => Ok(stream.map(|s| self.until_drained(s))),
            Err(status) if status.code() == tonic::Code::NotFound => {
                let unknown = tonic_health::pb::HealthCheckResponse {
                    status: tonic_health::pb::health_check_response::ServingStatus::ServiceUnknown
                        as i32,
                };
                Ok(tonic::Response::new(self.until_drained(
                    futures_util::StreamExt::chain(
                        futures_util::stream::iter([Ok(unknown)]),
                        futures_util::stream::pending(),
                    ),
                )))
            }
            Err(status) => Err(status),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        logo::LogoHash,
        model::{LogoSource, ResourceId},
        store::MemoryStore,
        telemetry::Captured,
    };

    /// An owner with brands `alpha` and `gamma`.
    const REGISTRY: &str = "[[members]]\nid = \"maison\"\ndisplay_name = \"M\"\nkind = \"brand_owner\"\n\
        [[brands]]\nid = \"alpha\"\nowner = \"maison\"\ndisplay_name = \"Alpha\"\n\
        [[brands]]\nid = \"gamma\"\nowner = \"maison\"\ndisplay_name = \"Gamma\"\n";

    fn seed(text: &str) -> Seed {
        Seed::parse(text, std::path::Path::new(".")).expect("seed")
    }

    async fn empty_registry() -> Registry {
        let registry = Registry::new(Arc::new(MemoryStore::new()), Duration::ZERO);
        registry.load().await.expect("load");
        registry
    }

    /// A replica that loaded the registry before another wrote the seed
    /// (replicas starting together) does not warn of a registry without an
    /// operator key that the seed gave it.
    #[tokio::test]
    async fn a_replica_that_loaded_before_the_seed_does_not_warn_of_no_operator_key() {
        let store: Arc<dyn crate::store::Store> = Arc::new(MemoryStore::new());
        let a = Registry::new(store.clone(), Duration::ZERO);
        let b = Registry::new(store, Duration::ZERO);
        a.load().await.expect("load a");
        b.load().await.expect("load b");
        let text = format!(
            "{REGISTRY}[[members]]\nid = \"alliance\"\ndisplay_name = \"A\"\n\
             kind = \"operator\"\napi_keys = [{{ secret = \"{}\" }}]\n",
            auth::generate_key().secret
        );
        load_seed(&a, &seed(&text)).await.expect("a seeds");
        assert!(!b.snapshot().has_operator_key(), "b has not seen it yet");
        let mut options = ServerOptions::new(([127, 0, 0, 1], 0).into());
        options.operator_key = OperatorKey::WarnIfMissing;
        let log = Captured::start();
        bootstrap(&b, &options).await.expect("b starts");
        let lines = log.lines();
        assert!(
            !lines.iter().any(|l| l.contains("has no operator key")),
            "{lines:#?}"
        );
        // And a registry that has none is still warned of.
        let log = Captured::start();
        bootstrap(&empty_registry().await, &options)
            .await
            .expect("starts");
        let lines = log.lines();
        assert!(
            lines
                .iter()
                .any(|l| l.contains("WARN") && l.contains("has no operator key")),
            "{lines:#?}"
        );
    }

    /// Replicas starting together on an empty registry each find no
    /// operator key and set out to create one: the replica that finds
    /// another made it first starts all the same, with no key of its own.
    #[tokio::test]
    async fn a_replica_that_finds_the_first_operator_key_made_meanwhile_starts() {
        let store: Arc<dyn crate::store::Store> = Arc::new(MemoryStore::new());
        let a = Registry::new(store.clone(), Duration::ZERO);
        let b = Registry::new(store, Duration::ZERO);
        a.load().await.expect("load a");
        b.load().await.expect("load b");
        let options = ServerOptions::new(([127, 0, 0, 1], 0).into());
        assert!(matches!(options.operator_key, OperatorKey::CreateIfMissing));
        bootstrap(&a, &options)
            .await
            .expect("a creates the first key");
        assert!(!b.snapshot().has_operator_key(), "b has not seen it yet");
        bootstrap(&b, &options).await.expect("b starts");
        let latest = b.latest_snapshot().await.expect("latest");
        assert!(latest.has_operator_key());
        assert_eq!(latest.revision(), 1, "one write: a's");
    }

    /// A key given as the operator's that the registry knows as another
    /// member's, as revoked, or under its id with another secret, is
    /// ignored with a warning naming its id (never the key) and what to
    /// do: the server starts all the same, and registers nothing.
    #[tokio::test]
    async fn a_known_operator_key_that_is_no_operators_or_revoked_is_ignored_with_a_warning() {
        const KEY: &str =
            "mq_maison-key_00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        let registry = empty_registry().await;
        let text = REGISTRY.replacen(
            "kind = \"brand_owner\"\n",
            &format!("kind = \"brand_owner\"\napi_keys = [{{ secret = \"{KEY}\" }}]\n"),
            1,
        );
        load_seed(&registry, &seed(&text)).await.expect("seeded");
        let mut options = ServerOptions::new(([127, 0, 0, 1], 0).into());
        options.operator_key = OperatorKey::Given(KEY.into());
        async fn ignored(
            registry: &Registry,
            options: &ServerOptions,
        ) -> (anyhow::Result<()>, Vec<String>) {
            let log = Captured::start();
            let revision = registry.snapshot().revision();
            let started = bootstrap(registry, options).await;
            assert_eq!(registry.snapshot().revision(), revision, "nothing written");
            (started, log.lines())
        }
        let (started, lines) = ignored(&registry, &options).await;
        started.expect("a brand owner's key does not stop the start");
        let [line] = lines.as_slice() else {
            panic!("one line: {lines:?}");
        };
        assert!(line.contains("WARN"), "{line}");
        assert!(line.contains("key=maison-key"), "{line}");
        assert!(line.contains("member=maison"), "{line}");
        assert!(line.contains("has_operator_key=false"), "{line}");
        assert!(line.contains("no operator; serving without it"), "{line}");
        assert!(line.contains("update the Secret"), "{line}");
        assert!(!line.contains(KEY), "the key itself: {line}");
        assert!(!line.contains(&KEY[KEY.len() - 64..]), "its secret: {line}");

        // An operator's key, revoked (the operator keeps another).
        let registry = empty_registry().await;
        let text = format!(
            "{REGISTRY}[[members]]\nid = \"alliance\"\ndisplay_name = \"A\"\n\
             kind = \"operator\"\napi_keys = [{{ secret = \"{}\" }}, {{ secret = \"{}\" }}]\n",
            KEY.replace("maison-key", "alliance-key"),
            KEY.replace("maison-key", "alliance-other"),
        );
        load_seed(&registry, &seed(&text)).await.expect("seeded");
        options.operator_key = OperatorKey::Given(KEY.replace("maison-key", "alliance-key"));
        bootstrap(&registry, &options)
            .await
            .expect("an operator's key");
        write(
            &registry,
            &[Command::RevokeApiKey {
                member: Slug::parse("alliance").expect("slug"),
                id: ResourceId::parse("alliance-key").expect("id"),
            }],
        )
        .await;
        let (started, lines) = ignored(&registry, &options).await;
        started.expect("a revoked key does not stop the start");
        let [line] = lines.as_slice() else {
            panic!("one line: {lines:?}");
        };
        assert!(line.contains("WARN"), "{line}");
        assert!(line.contains("key=alliance-key"), "{line}");
        assert!(line.contains("has_operator_key=true"), "{line}");
        assert!(line.contains("was revoked; serving without it"), "{line}");
        assert!(line.contains("update the Secret"), "{line}");
        assert!(!line.contains(&KEY[KEY.len() - 64..]), "its secret: {line}");
        // An operator's key the registry does not know is still
        // registered, as the bootstrap of an empty registry needs.
        let fresh = auth::generate_key();
        options.operator_key = OperatorKey::Given(fresh.secret.clone());
        bootstrap(&registry, &options).await.expect("registered");
        assert!(
            registry
                .snapshot()
                .api_key(fresh.id.as_str())
                .is_some_and(|k| k.revoke_time.is_none())
        );
        // And one whose id the registry has for another secret (a stale
        // or mangled copy in the Secret) is ignored the same way: every
        // pod still starts, the registry's key stays as it is, and the
        // line says what is wrong without the secret of either.
        let other = KEY
            .replace("maison-key", "alliance-other")
            .replace("00112233", "ffeeddcc");
        options.operator_key = OperatorKey::Given(other.clone());
        let (started, lines) = ignored(&registry, &options).await;
        started.expect("a key whose secret differs does not stop the start");
        let [line] = lines.as_slice() else {
            panic!("one line: {lines:?}");
        };
        assert!(line.contains("WARN"), "{line}");
        assert!(line.contains("key=alliance-other"), "{line}");
        assert!(line.contains("member=alliance"), "{line}");
        assert!(line.contains("has_operator_key=true"), "{line}");
        assert!(
            line.contains("IGNORED: the operator key given") && line.contains("not its secret"),
            "{line}"
        );
        assert!(line.contains("update the Secret"), "{line}");
        assert!(
            !line.contains(&other[other.len() - 64..]),
            "its secret: {line}"
        );
        assert!(
            !line.contains(&KEY[KEY.len() - 64..]),
            "the stored one's: {line}"
        );
        let kept = registry
            .snapshot()
            .api_key("alliance-other")
            .expect("still there")
            .clone();
        assert_eq!(
            kept.secret_sha256,
            auth::hash_secret(&KEY.replace("maison-key", "alliance-other"))
        );
        assert!(kept.revoke_time.is_none());
    }

    fn add_logo(brand: &str, hash: u64) -> (ResourceId, Command) {
        let id = ResourceId::generate();
        let command = Command::AddLogo {
            brand: Slug::parse(brand).expect("slug"),
            id: id.clone(),
            description: String::new(),
            source: LogoSource {
                hash: LogoHash(hash),
                image_sha256: None,
            },
        };
        (id, command)
    }

    async fn write(registry: &Registry, commands: &[Command]) {
        registry
            .write(Actor::System, WriteMeta::default(), commands)
            .await
            .expect("write");
    }

    /// Logos stored before the logo rules refused them (a write does not
    /// check a hash's detail: the API and seeds do) are each named in a
    /// warning at load; an archived brand's are not, nor logos the rules
    /// take.
    #[tokio::test]
    async fn stored_logos_the_rules_refuse_now_are_each_named_in_a_warning() {
        let registry = empty_registry().await;
        load_seed(&registry, &seed(REGISTRY)).await.expect("seeded");
        let (blank, blank_logo) = add_logo("alpha", 0x7);
        let (shaded, shaded_logo) = add_logo("alpha", u64::MAX << 3);
        let (_, detailed) = add_logo("alpha", 0xf0f0_e1e1_c3c3_8787);
        let (archived, archived_logo) = add_logo("gamma", 0x3);
        write(
            &registry,
            &[blank_logo, shaded_logo, detailed, archived_logo],
        )
        .await;
        write(
            &registry,
            &[Command::ArchiveBrand {
                id: Slug::parse("gamma").expect("slug"),
                etag: None,
            }],
        )
        .await;

        let mut refused: Vec<(String, String)> = stored_logos_refused_now(&registry.snapshot())
            .into_iter()
            .map(|(logo, e)| {
                assert!(matches!(e, LogoError::TooLittleDetail { .. }), "{e:?}");
                (logo.brand.to_string(), logo.id.to_string())
            })
            .collect();
        refused.sort();
        let mut expected = vec![
            ("alpha".to_owned(), blank.to_string()),
            ("alpha".to_owned(), shaded.to_string()),
        ];
        expected.sort();
        assert_eq!(refused, expected);

        let log = Captured::start();
        warn_of_stored_logos_refused_now(&registry.snapshot());
        let lines = log.lines();
        assert_eq!(lines.len(), 2, "{lines:?}");
        for id in [&blank, &shaded] {
            let line = lines
                .iter()
                .find(|line| line.contains(&format!("logo={id}")))
                .unwrap_or_else(|| panic!("no warning names logo {id}: {lines:?}"));
            assert!(line.contains("WARN"), "{line}");
            assert!(line.contains("brand=alpha"), "{line}");
            assert!(line.contains("too little detail"), "{line}");
        }
        assert!(
            !lines
                .iter()
                .any(|line| line.contains(&archived.to_string())),
            "{lines:?}"
        );
    }

    /// Past [`MAX_LOGO_WARNINGS`] such logos, a line counts them and only
    /// the first are named.
    #[tokio::test]
    async fn many_stored_logos_the_rules_refuse_are_counted_and_the_first_named() {
        let registry = empty_registry().await;
        load_seed(&registry, &seed(REGISTRY)).await.expect("seeded");
        let logos: Vec<Command> = (0..MAX_LOGO_WARNINGS as u64 + 5)
            .map(|i| add_logo("alpha", 1 << (i % 60)).1)
            .collect();
        write(&registry, &logos).await;
        let log = Captured::start();
        warn_of_stored_logos_refused_now(&registry.snapshot());
        let lines = log.lines();
        assert_eq!(lines.len(), MAX_LOGO_WARNINGS + 1, "{lines:?}");
        assert!(lines[0].contains("logos=25"), "{}", lines[0]);
        assert_eq!(
            lines.iter().filter(|l| l.contains("logo=")).count(),
            MAX_LOGO_WARNINGS
        );
    }

    /// A seed with a logo the rules refuse: refused, and nothing written,
    /// when it would be loaded (an empty registry); skipped with a warning
    /// naming the logo when the registry has revisions.
    #[tokio::test]
    async fn the_logo_rules_hold_a_seed_only_when_it_is_loaded() {
        let refused = seed(&format!(
            "{REGISTRY}[[brands]]\nid = \"plain\"\nowner = \"maison\"\ndisplay_name = \"Plain\"\n\
             [[brands.logos]]\nperceptual_hash = \"0000000000000007\"\n"
        ));
        let registry = empty_registry().await;
        let error = load_seed(&registry, &refused)
            .await
            .expect_err("an empty registry is not seeded with a logo the rules refuse");
        let error = format!("{error:#}");
        assert!(
            error.contains("brands[2].logos[0].perceptual_hash: the logo has too little detail"),
            "{error}"
        );
        assert_eq!(registry.store().committed_head().await.expect("head"), 0);

        load_seed(&registry, &seed(REGISTRY)).await.expect("seeded");
        let seeded = registry.snapshot().revision();
        let log = Captured::start();
        load_seed(&registry, &refused)
            .await
            .expect("a seed that is not loaded is not held to the rules");
        assert_eq!(
            registry.store().committed_head().await.expect("head"),
            seeded
        );
        assert!(registry.snapshot().brand("plain").is_none());
        let lines = log.lines();
        let warnings: Vec<&String> = lines.iter().filter(|l| l.contains("WARN")).collect();
        assert_eq!(warnings.len(), 1, "{lines:?}");
        assert!(
            warnings[0].contains("brands[2].logos[0].perceptual_hash: the logo has too little"),
            "{}",
            warnings[0]
        );
        assert!(
            lines.iter().any(|l| l.contains("seed not loaded")),
            "{lines:?}"
        );
    }

    /// Three probes fit in the timeout, in whole seconds, one at least.
    #[test]
    fn keepalive_probes_fit_in_the_timeout() {
        assert_eq!(
            keepalive_probe_interval(Duration::from_secs(20)),
            Duration::from_secs(6)
        );
        assert_eq!(
            keepalive_probe_interval(Duration::from_secs(30)),
            Duration::from_secs(10)
        );
        assert_eq!(
            keepalive_probe_interval(Duration::from_millis(500)),
            Duration::from_secs(1)
        );
    }

    /// The admin port's sockets are set as the API port's: Nagle's
    /// algorithm off, so that a probe's small answer is not held back
    /// waiting for an ACK, and TCP keepalive after `--keepalive-interval`
    /// of silence, so that a peer that vanished does not hold its place
    /// (HTTP/1 has no PING to find it out).
    #[tokio::test]
    async fn admin_sockets_have_nodelay_and_tcp_keepalive() {
        use axum::serve::Listener as _;
        use tokio::io::AsyncWriteExt as _;
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let mut options = ServerOptions::new(address);
        let idle = Duration::from_secs(42);
        options.keepalive_interval = Some(idle);
        let mut admin = admin_listener(listener, &options);
        let mut client = tokio::net::TcpStream::connect(address)
            .await
            .expect("connect");
        client
            .write_all(b"GET /metrics HTTP/1.1\r\nHost: admin\r\n\r\n")
            .await
            .expect("a request");
        let (io, _) = tokio::time::timeout(Duration::from_secs(10), admin.accept())
            .await
            .expect("accepted");
        let socket = io.get_ref().get_ref();
        assert!(socket.nodelay().expect("TCP_NODELAY"), "Nagle is off");
        let socket = socket2::SockRef::from(socket);
        assert!(socket.keepalive().expect("SO_KEEPALIVE"), "keepalive is on");
        #[cfg(target_os = "linux")]
        {
            assert_eq!(socket.tcp_keepalive_time().expect("TCP_KEEPIDLE"), idle);
            // Probes for `--keepalive-timeout` at most, not the system's
            // default of 75 s times 9.
            assert_eq!(options.keepalive_timeout, Duration::from_secs(20));
            assert_eq!(
                socket.tcp_keepalive_interval().expect("TCP_KEEPINTVL"),
                Duration::from_secs(6)
            );
            assert_eq!(
                socket.tcp_keepalive_retries().expect("TCP_KEEPCNT"),
                KEEPALIVE_PROBES
            );
        }
    }

    /// The server's start says a refusal at ERROR once in an outage,
    /// however the database fails between two of them: it said it again
    /// after a connection dropped, or after another refusal, a line each
    /// time the database restarted. Each other try is a WARN line.
    #[tokio::test]
    async fn a_refusal_is_said_at_error_once_whatever_comes_between() {
        use crate::store::postgres::testing::{
            Answer::{HangUp, Refuse},
            scripted,
        };
        let log = Captured::start();
        let privilege = Refuse("42501", "permission denied for table resources");
        let role = Refuse("28000", "role \"marque\" does not exist");
        let (url, done) =
            scripted(vec![privilege, HangUp, privilege, role, HangUp, privilege]).await;
        let store = crate::store::PostgresStore::new(crate::store::PostgresSettings::new(url))
            .expect("store");
        let registry = Registry::new(Arc::new(store), Duration::ZERO);
        tokio::select! {
            loaded = load_with_retries(&registry, true) => panic!("loaded: {loaded:?}"),
            _ = done => {}
        }
        let lines = log.lines();
        let errors: Vec<&String> = lines.iter().filter(|l| l.contains(" ERROR ")).collect();
        assert_eq!(errors.len(), 2, "{lines:#?}");
        assert!(
            errors[0].contains("sqlstate=\"42501\"")
                && errors[0].contains("insufficient_privilege"),
            "{lines:#?}"
        );
        assert!(errors[1].contains("sqlstate=\"28000\""), "{lines:#?}");
        let warned = lines
            .iter()
            .filter(|l| l.contains(" WARN ") && l.contains("store not ready"))
            .count();
        assert_eq!(warned, 4, "{lines:#?}");
    }

    /// One refusal that the server's start and the store's own
    /// connections or statements both meet is said at ERROR once, by
    /// whichever meets it first: each kept a record of its own, and the
    /// same refusal was said twice at start.
    #[tokio::test]
    async fn a_refusal_met_by_the_start_and_by_the_store_is_said_once() {
        use crate::store::postgres::testing::{Answer::Refuse, Refusing, scripted};
        use crate::store::{PostgresSettings, PostgresStore, Store as _, StoreError};
        let errors = |log: &Captured| -> Vec<String> {
            log.lines()
                .into_iter()
                .filter(|l| l.split_whitespace().nth(1) == Some("ERROR"))
                .collect()
        };
        // A connection refused: the pool meets it first, then the start.
        {
            let log = Captured::start();
            let password = Refuse(
                "28P01",
                "password authentication failed for user \"marque\"",
            );
            let (url, done) = scripted(vec![password, password, password]).await;
            let store = Arc::new(PostgresStore::new(PostgresSettings::new(url)).expect("store"));
            assert!(matches!(
                store.committed_head().await,
                Err(StoreError::Unavailable(_))
            ));
            assert_eq!(errors(&log).len(), 1, "{:#?}", log.lines());
            let registry = Registry::new(store, Duration::ZERO);
            tokio::select! {
                loaded = load_with_retries(&registry, true) => panic!("loaded: {loaded:?}"),
                _ = done => {}
            }
            let said = errors(&log);
            assert_eq!(said.len(), 1, "{:#?}", log.lines());
            assert!(said[0].contains("sqlstate=\"28P01\""), "{said:#?}");
        }
        // A statement refused: the start meets it first, then the store.
        {
            let log = Captured::start();
            let database = Refusing::start().await;
            database.refuse("42501", "permission denied for schema public");
            let store = Arc::new(
                PostgresStore::new(PostgresSettings::new(database.url.clone())).expect("store"),
            );
            let registry = Registry::new(store.clone(), Duration::ZERO);
            let then = async {
                while errors(&log).is_empty() {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                store.committed_head().await
            };
            let refused = tokio::select! {
                loaded = load_with_retries(&registry, true) => panic!("loaded: {loaded:?}"),
                refused = then => refused,
            };
            assert!(
                matches!(refused, Err(StoreError::Unavailable(_))),
                "{refused:?}"
            );
            let said = errors(&log);
            assert_eq!(said.len(), 1, "{:#?}", log.lines());
            assert!(
                said[0].contains("sqlstate=\"42501\"") && said[0].contains("refuses the server"),
                "{said:#?}"
            );
            assert!(
                log.lines()
                    .iter()
                    .any(|l| l.split_whitespace().nth(1) == Some("DEBUG")
                        && l.contains("still refuses")),
                "{:#?}",
                log.lines()
            );
        }
    }

    /// A database URL whose Unix socket directory does not exist is said at
    /// ERROR once, naming the directory (it was a WARN line a try, the
    /// driver's `No such file or directory`), and tried again: once the
    /// directory and its socket are there (a proxy beside the server made
    /// them), the server connects.
    #[tokio::test]
    async fn a_socket_directory_that_does_not_exist_is_said_once_and_waited_for() {
        let log = Captured::start();
        let dir = tempfile::tempdir().expect("tempdir");
        let socket_dir = dir.path().join("cloudsql");
        let url = format!("host={} user=marque dbname=marque", socket_dir.display());
        let store = crate::store::PostgresStore::new(crate::store::PostgresSettings::new(url))
            .expect("store");
        let registry = Registry::new(Arc::new(store), Duration::ZERO);
        let tries = async {
            // An ERROR, then tries again.
            loop {
                let lines = log.lines();
                if lines.iter().any(|l| l.contains("store not ready")) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            std::fs::create_dir(&socket_dir).expect("mkdir");
            let listener = tokio::net::UnixListener::bind(socket_dir.join(".s.PGSQL.5432"))
                .expect("bind the socket");
            listener.accept().await.expect("accept")
        };
        tokio::select! {
            loaded = load_with_retries(&registry, true) => panic!("loaded: {loaded:?}"),
            _ = tries => {}
        }
        let lines = log.lines();
        let errors: Vec<&String> = lines.iter().filter(|l| l.contains(" ERROR ")).collect();
        assert_eq!(errors.len(), 1, "{lines:#?}");
        let shown = socket_dir.display().to_string();
        assert!(
            errors[0].contains(&format!("directory=\"{shown}\""))
                && errors[0].contains("Unix socket does not exist"),
            "{lines:#?}"
        );
        assert!(
            lines
                .iter()
                .filter(|l| l.contains("store not ready"))
                .all(|l| l.contains(&shown) && l.contains("does not exist")),
            "{lines:#?}"
        );
    }
}
