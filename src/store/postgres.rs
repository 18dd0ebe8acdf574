//! The durable store: PostgreSQL through `tokio-postgres` and a bounded
//! `deadpool-postgres` pool.
//!
//! - A write is one transaction: `SELECT … FROM registry_head FOR UPDATE`
//!   serializes writers and yields the head revision; the change event, the
//!   changed resources and the new head are written; `NOTIFY marque_changes`
//!   fires at commit.
//! - A replica loads everything at one revision inside a REPEATABLE READ
//!   transaction, then follows `change_events` by revision. NOTIFY only wakes
//!   it up, on a dedicated connection driven by `poll_message` (pooled
//!   connections drop notifications); the registry also polls, the safety
//!   net for lost notifications and reconnects.
//! - Migrations are embedded (`migrations/`, applied with refinery) and run
//!   under an advisory lock, so replicas that start together migrate once.
//! - Every round trip is given up when unanswered for
//!   [`PostgresSettings::answer_limit`] (`answered`). A pooled connection
//!   goes back to the pool after the database's answer, its error included,
//!   and is closed when an answer may still be due on it, when it broke, or
//!   inside a transaction that did not end (`Conn`, `PostgresTx`).

use std::{
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use anyhow::Context as _;
use async_trait::async_trait;
use deadpool_postgres::{
    Hook, Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod, Runtime,
};
use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio_postgres::{
    AsyncMessage, NoTls,
    config::{Host, SslMode},
    error::{Severity, SqlState},
};

use super::{Need, NeedsRepair, Operation, Store, StoreError, WriteTx};
use crate::{
    model::{Actor, ChangeEvent, Resource, Revision, Timestamp},
    snapshot::{Snapshot, SnapshotBuilder},
};

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// The channel writes notify on.
pub const CHANNEL: &str = "marque_changes";
/// Advisory lock key held while migrating ("marque" + 1).
const MIGRATION_LOCK: i64 = 0x6d61_7271_7565_0001;

/// How to reach PostgreSQL. Its `Debug` shows the URL without its
/// passwords ([`redacted_url`]).
#[derive(Clone)]
pub struct PostgresSettings {
    /// `postgres://…` URL or key=value connection string. `sslmode=require`
    /// turns TLS on (rustls, verified against the system roots or `ca_file`).
    pub url: String,
    /// PEM CA bundle to verify the server with, instead of the system roots.
    pub ca_file: Option<PathBuf>,
    /// Most connections in the pool.
    pub pool_size: usize,
    /// How long a call waits for a free connection before UNAVAILABLE.
    pub pool_wait: Duration,
    /// How long opening a connection may take.
    pub connect_timeout: Duration,
    /// Server-side limit for each statement.
    pub statement_timeout: Duration,
}

impl std::fmt::Debug for PostgresSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresSettings")
            .field("url", &redacted_url(&self.url))
            .field("ca_file", &self.ca_file)
            .field("pool_size", &self.pool_size)
            .field("pool_wait", &self.pool_wait)
            .field("connect_timeout", &self.connect_timeout)
            .field("statement_timeout", &self.statement_timeout)
            .finish()
    }
}

/// What stands for a hidden secret in [`redacted_url`].
const REDACTED: &str = "<redacted>";

/// The URL parameters whose values [`redacted_url`] shows: libpq's that
/// hold no secret. Any other (`password`, a misspelt or percent-encoded
/// name) is hidden.
const SHOWN_PARAMETERS: &[&str] = &[
    "application_name",
    "channel_binding",
    "connect_timeout",
    "dbname",
    "host",
    "hostaddr",
    "keepalives",
    "keepalives_count",
    "keepalives_idle",
    "keepalives_interval",
    "load_balance_hosts",
    "options",
    "port",
    "sslmode",
    "sslnegotiation",
    "sslrootcert",
    "target_session_attrs",
    "tcp_user_timeout",
    "user",
];

/// A database URL fit to show (in a `Debug`, a log line): a `postgres://`
/// or `postgresql://` URL with its password and the value of every
/// parameter that may hold a secret (`SHOWN_PARAMETERS`) replaced by
/// `<redacted>`; a key=value connection string, whose quoting makes a
/// partial redaction easy to get wrong, replaced whole.
///
/// The password is hidden generously: all from the first `:` of what comes
/// before the last `@` to that `@`. tokio-postgres, like libpq, ends the
/// user info at the first `@`, so that a password with an `@` or `/` that
/// was not percent-encoded is cut short and refused; what it was cut from
/// is a password all the same.
pub fn redacted_url(url: &str) -> String {
    let Some((scheme, rest)) = ["postgres://", "postgresql://"]
        .into_iter()
        .find_map(|scheme| Some((scheme, url.strip_prefix(scheme)?)))
    else {
        return REDACTED.to_owned();
    };
    let mut shown = String::with_capacity(url.len());
    shown.push_str(scheme);
    let rest = match rest.rsplit_once('@') {
        Some((user_info, after)) => {
            match user_info.split_once(':') {
                Some((user, _)) => {
                    shown.push_str(user);
                    shown.push(':');
                    shown.push_str(REDACTED);
                }
                None => shown.push_str(user_info),
            }
            shown.push('@');
            after
        }
        None => rest,
    };
    let Some((place, parameters)) = rest.split_once('?') else {
        shown.push_str(rest);
        return shown;
    };
    shown.push_str(place);
    shown.push('?');
    for (i, parameter) in parameters.split('&').enumerate() {
        if i > 0 {
            shown.push('&');
        }
        match parameter.split_once('=') {
            Some((key, _)) if !SHOWN_PARAMETERS.contains(&key) => {
                shown.push_str(key);
                shown.push('=');
                shown.push_str(REDACTED);
            }
            _ => shown.push_str(parameter),
        }
    }
    shown
}

/// TCP keepalives on every connection, both ends: first probe after this
/// long idle, then every [`KEEPALIVE_INTERVAL`], [`KEEPALIVE_RETRIES`]
/// unanswered probes closing it.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(30);
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);
const KEEPALIVE_RETRIES: u32 = 3;

impl PostgresSettings {
    /// Settings for `url` with the defaults of `marque serve`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            ca_file: None,
            pool_size: 16,
            pool_wait: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(30),
        }
    }

    /// Where these settings connect, for messages and log lines: each host
    /// and port, and the database (`db.example.internal:5432 (database
    /// marque)`); never the user's password, nor the URL, which may hold
    /// one.
    pub fn place(&self) -> String {
        match self.pg_config() {
            Ok(config) => place_of(&config),
            Err(_) => "an invalid database URL".to_owned(),
        }
    }

    /// How long one round trip to the database may go unanswered before
    /// its call gives up on it and closes the connection ([`answered`]):
    /// the statement timeout, which the database enforces, plus the
    /// connect timeout for the answer to travel.
    pub fn answer_limit(&self) -> Duration {
        self.statement_timeout.saturating_add(self.connect_timeout)
    }

    /// Checks the URL (and what it asks of TLS) without connecting.
    ///
    /// # Errors
    /// The URL does not parse, names no host, names a remote host with no
    /// sslmode, or gives `sslrootcert=system` an sslmode other than
    /// verify-full (libpq's rule).
    pub fn check(&self) -> anyhow::Result<()> {
        self.pg_config().map(drop)
    }

    fn pg_config(&self) -> anyhow::Result<tokio_postgres::Config> {
        Ok(self.parsed()?.config)
    }

    /// The URL read: tokio-postgres's configuration, and what the URL asks
    /// of TLS that tokio-postgres does not read (libpq's `verify-ca` and
    /// `verify-full` modes, its `sslrootcert`), taken out of the URL before
    /// it reads the rest.
    fn parsed(&self) -> anyhow::Result<Parsed> {
        let (url, root_cert) = take_parameter(&self.url, "sslrootcert");
        // `require` verifies the server's certificate and its name, as
        // libpq's `verify-full` does; `verify-ca` verifies the certificate
        // only ([`ChainOnly`]).
        let (without_mode, mode) = take_parameter(&url, "sslmode");
        let (url, verify) = match mode.as_deref() {
            Some("verify-full") => (without_mode, Some(Verify::Full)),
            Some("verify-ca") => (without_mode, Some(Verify::ChainOnly)),
            _ => (url, None),
        };
        let mut config: tokio_postgres::Config = url.parse().context("invalid database URL")?;
        let root_cert = root_cert.map(|value| match value.as_str() {
            "system" => RootCert::System,
            _ => RootCert::File(PathBuf::from(value)),
        });
        if root_cert == Some(RootCert::System) {
            // libpq's rule (PostgreSQL 16, fe-connect.c): sslrootcert=system
            // makes sslmode default to verify-full, and any other mode
            // written down is refused ("weak sslmode ... may not be used
            // with sslrootcert=system"): any public CA signs a certificate
            // for any name its requester holds, so only the host name makes
            // the system's roots mean something. `require` verifies it here,
            // but in libpq it verifies nothing, so the URL says two things
            // at once (and means another with any other client): refused
            // as libpq refuses it. `mode` was read by the parse above (or
            // is verify-*), so it holds no secret.
            if let Some(weak) = mode.as_deref().filter(|mode| *mode != "verify-full") {
                anyhow::bail!(
                    "the database URL's sslmode={weak} may not be used with sslrootcert=system \
                     (the system's CA roots): any public CA signs certificates for names it was \
                     shown to hold, so those roots mean something only with the host name \
                     verified, and libpq refuses the pair (\"weak sslmode\"); write \
                     sslmode=verify-full, or leave sslmode out (with sslrootcert=system it \
                     defaults to verify-full), or name the database's own CA with \
                     sslrootcert=/path/ca.pem or --database-ca / MARQUE_DATABASE_CA"
                );
            }
            config.ssl_mode(SslMode::Require);
        }
        if verify.is_some() {
            config.ssl_mode(SslMode::Require);
        }
        // libpq without a host tries its own Unix socket directory;
        // tokio-postgres has none, and refuses every connection: the
        // server would try again for ever, saying only what the driver
        // said.
        anyhow::ensure!(
            !config.get_hosts().is_empty() || !config.get_hostaddrs().is_empty(),
            "the database URL names no host: give the database's host \
             (postgres://user@db.example.internal/marque) or the directory of its Unix socket \
             (postgres://user@%2Frun%2Fpostgresql/marque, or host=/run/postgresql); there is \
             no default socket"
        );
        // libpq's default, `prefer`, tries TLS and falls back to plaintext
        // unverified; tokio-postgres here would go plaintext at once. Beyond
        // this machine the choice is the operator's to write down.
        if config.get_ssl_mode() == SslMode::Prefer
            && let Some(remote) = config.get_hosts().iter().find_map(|host| match host {
                tokio_postgres::config::Host::Tcp(name) if !is_loopback(name) => Some(name),
                _ => None,
            })
        {
            anyhow::bail!(
                "the database URL for {remote} sets no sslmode (or `prefer`): add sslmode=require \
                 (TLS, the certificate verified against the system roots or --database-ca) or \
                 sslmode=disable (plaintext)"
            );
        }
        config.connect_timeout(self.connect_timeout);
        // A peer gone without a word (a node lost, a failover's old
        // primary) is noticed within about a minute, not the system's two
        // hours: keepalives for idle connections, and a limit on data sent
        // and never acknowledged for those in the middle of a call. A URL
        // that sets its own (`keepalives_idle=…`, `tcp_user_timeout=…`)
        // keeps them.
        if !url.contains("keepalives") {
            config
                .keepalives(true)
                .keepalives_idle(KEEPALIVE_IDLE)
                .keepalives_interval(KEEPALIVE_INTERVAL)
                .keepalives_retries(KEEPALIVE_RETRIES);
        }
        if !url.contains("tcp_user_timeout") {
            config.tcp_user_timeout(KEEPALIVE_IDLE + KEEPALIVE_INTERVAL * KEEPALIVE_RETRIES);
        }
        if config.get_application_name().is_none() {
            config.application_name("marque");
        }
        // After the URL's own `options` (`-c search_path=…`), which stay.
        // A transaction left idle (its replica frozen or cut off between
        // two statements) is ended by the server after the statement
        // timeout: it would otherwise hold the registry's write lock, and
        // stop every replica's writes, until the server's keepalives gave
        // up on its client, which they also do within about a minute.
        let ms = self.statement_timeout.as_millis();
        let session = format!(
            "-c statement_timeout={ms} -c idle_in_transaction_session_timeout={ms} \
             -c tcp_keepalives_idle={} -c tcp_keepalives_interval={} -c tcp_keepalives_count={}",
            KEEPALIVE_IDLE.as_secs(),
            KEEPALIVE_INTERVAL.as_secs(),
            KEEPALIVE_RETRIES,
        );
        let options = match config.get_options() {
            Some(own) if !own.trim().is_empty() => format!("{own} {session}"),
            _ => session,
        };
        config.options(options);
        Ok(Parsed {
            config,
            verify: verify.unwrap_or(Verify::Full),
            root_cert,
        })
    }

    /// The TLS connector, when the URL asks for TLS ([`Self::tls_config`]).
    fn tls(&self) -> anyhow::Result<Option<tokio_postgres_rustls::MakeRustlsConnect>> {
        Ok(self
            .tls_config()?
            .map(tokio_postgres_rustls::MakeRustlsConnect::new))
    }

    /// The TLS configuration, when the URL asks for TLS: PostgreSQL's
    /// certificate verified against the CA file (`--database-ca`, or the
    /// URL's `sslrootcert=`), or the system roots (neither, or
    /// `sslrootcert=system`); its host name too, except with
    /// `sslmode=verify-ca` ([`ChainOnly`]).
    ///
    /// # Errors
    /// A CA file that cannot be read, holds invalid PEM or no certificate,
    /// no system root at all, a CA given for a URL that asks for no TLS, or
    /// two different CAs (`--database-ca` and `sslrootcert=`). Each would
    /// otherwise pass the start and fail every connection
    /// (`UnknownIssuer`), tried again for ever as a database out of reach,
    /// or leave the connections unencrypted, or verified against another
    /// CA, while the operator believes otherwise.
    fn tls_config(&self) -> anyhow::Result<Option<rustls::ClientConfig>> {
        let parsed = self.parsed()?;
        let flag = self.ca_file.clone().map(RootCert::File);
        let root_cert = match (flag, parsed.root_cert) {
            (Some(flag), Some(url)) if flag != url => anyhow::bail!(
                "two database CAs are given: {} (--database-ca / MARQUE_DATABASE_CA) and {} (the \
                 database URL's sslrootcert=): give one",
                flag.shown(),
                url.shown()
            ),
            (Some(flag), _) => Some((flag, CA_FLAG)),
            (None, url) => url.map(|url| (url, CA_PARAMETER)),
        };
        if parsed.config.get_ssl_mode() != SslMode::Require {
            if let Some((root_cert, from)) = &root_cert {
                anyhow::bail!(
                    "a database CA is given ({from}: {}), but the database URL does not ask for \
                     TLS: add sslmode=require (or verify-full, or verify-ca) to it, or leave the \
                     CA out",
                    root_cert.shown()
                );
            }
            return Ok(None);
        }
        let mut roots = rustls::RootCertStore::empty();
        match &root_cert {
            Some((RootCert::File(path), from)) => {
                let pem = std::fs::read(path).with_context(|| {
                    format!("cannot read database CA {} ({from})", path.display())
                })?;
                use rustls_pki_types::pem::PemObject as _;
                for cert in rustls_pki_types::CertificateDer::pem_slice_iter(&pem) {
                    roots
                        .add(cert.with_context(|| {
                            format!("invalid PEM in the database CA {} ({from})", path.display())
                        })?)
                        .with_context(|| {
                            format!(
                                "unusable certificate in the database CA {} ({from})",
                                path.display()
                            )
                        })?;
                }
                anyhow::ensure!(
                    !roots.is_empty(),
                    "no certificate in the database CA {} ({from}): PostgreSQL's certificate \
                     could never be verified, and every connection would be refused; give the \
                     PEM bundle of the CA that signed it",
                    path.display()
                );
            }
            Some((RootCert::System, _)) | None => {
                for cert in rustls_native_certs::load_native_certs().certs {
                    let _ = roots.add(cert);
                }
                anyhow::ensure!(
                    !roots.is_empty(),
                    "no system root certificate to verify PostgreSQL's certificate with \
                     (sslmode=require): give the CA that signed it with --database-ca / \
                     MARQUE_DATABASE_CA (or sslrootcert= in the database URL), or install the \
                     system's CA certificates"
                );
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .context("TLS protocol versions")?;
        let tls = match parsed.verify {
            Verify::Full => builder.with_root_certificates(roots),
            Verify::ChainOnly => {
                let chain = rustls::client::WebPkiServerVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider,
                )
                .build()
                .context("the database certificate verifier")?;
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(ChainOnly(chain)))
            }
        }
        .with_no_client_auth();
        Ok(Some(tls))
    }

    /// Opens one connection outside the pool (migrations, LISTEN), driving
    /// it on a task; notifications go to `notifications` when given.
    async fn connect(
        &self,
        notifications: Option<mpsc::Sender<()>>,
    ) -> anyhow::Result<(tokio_postgres::Client, tokio::task::JoinHandle<()>)> {
        let config = self.pg_config()?;
        let place = place_of(&config);
        macro_rules! drive {
            ($connection:expr) => {{
                let mut connection = $connection;
                tokio::spawn(async move {
                    let mut messages =
                        futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                    while let Some(message) = messages.next().await {
                        match message {
                            Ok(AsyncMessage::Notification(_)) => {
                                if let Some(tx) = &notifications {
                                    let _ = tx.try_send(());
                                }
                            }
                            Ok(_) => {}
                            Err(e) => {
                                tracing::warn!(error = described(&e), "database connection closed");
                                break;
                            }
                        }
                    }
                })
            }};
        }
        // `connect_timeout` bounds the TCP connect only: a server that
        // takes the connection and never answers its start-up (a stopped
        // postmaster's backlog, a proxy whose database is down) would hold
        // the whole connect, and the server's start, for ever.
        let limit = 2 * self.connect_timeout;
        // Whatever stops the connection, the database may be there later:
        // the error is `Unreachable`, and `marque migrate` tries again.
        let late = || {
            anyhow::Error::new(Unreachable {
                text: format!(
                    "cannot connect to PostgreSQL at {place}: no answer to the connection's \
                     start-up within {limit:?}"
                ),
                sqlstate: None,
            })
        };
        let refused = |error: tokio_postgres::Error| {
            let described = described(&error);
            // A socket directory that does not exist is no database down:
            // said as such, and `marque migrate` stops at once.
            if error.as_db_error().is_none()
                && let Some(missing) = NoSocketDirectory::of(config.get_hosts(), &place, &described)
            {
                return anyhow::Error::new(missing);
            }
            anyhow::Error::new(Unreachable {
                text: format!("cannot connect to PostgreSQL at {place}: {described}"),
                sqlstate: error.code().cloned(),
            })
        };
        match self.tls()? {
            Some(tls) => {
                let (client, connection) = tokio::time::timeout(limit, config.connect(tls))
                    .await
                    .map_err(|_| late())?
                    .map_err(refused)?;
                Ok((client, drive!(connection)))
            }
            None => {
                let (client, connection) = tokio::time::timeout(limit, config.connect(NoTls))
                    .await
                    .map_err(|_| late())?
                    .map_err(refused)?;
                Ok((client, drive!(connection)))
            }
        }
    }
}

/// Where the CA to verify PostgreSQL with was named, for messages.
const CA_FLAG: &str = "--database-ca / MARQUE_DATABASE_CA";
const CA_PARAMETER: &str = "the database URL's sslrootcert=";

/// The database URL as read ([`PostgresSettings::parsed`]).
struct Parsed {
    /// What tokio-postgres reads of it (`sslmode=verify-*` read as
    /// `require`).
    config: tokio_postgres::Config,
    /// How much of PostgreSQL's certificate is verified.
    verify: Verify,
    /// The URL's `sslrootcert=`, if any.
    root_cert: Option<RootCert>,
}

/// How much of PostgreSQL's certificate is verified, with TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verify {
    /// Its chain to a trusted CA, its dates and its host name: `require`
    /// and `verify-full`.
    Full,
    /// Its chain and its dates, not its name: libpq's `verify-ca`.
    ChainOnly,
}

/// The CA roots PostgreSQL's certificate is verified against.
#[derive(Debug, Clone, PartialEq, Eq)]
enum RootCert {
    /// A PEM bundle.
    File(PathBuf),
    /// The system's (libpq's `sslrootcert=system`).
    System,
}

impl RootCert {
    /// As a message names it.
    fn shown(&self) -> String {
        match self {
            RootCert::File(path) => path.display().to_string(),
            RootCert::System => "system (the system's CA roots)".to_owned(),
        }
    }
}

/// libpq's `sslmode=verify-ca`: the server's certificate chains to a
/// trusted CA and is valid now (rustls's WebPKI verifier, which checks the
/// name last), whatever name it is for. Only a name that does not match is
/// forgiven; every other failure stands.
#[derive(Debug)]
struct ChainOnly(Arc<rustls::client::WebPkiServerVerifier>);

impl rustls::client::danger::ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &rustls_pki_types::CertificateDer<'_>,
        intermediates: &[rustls_pki_types::CertificateDer<'_>],
        server_name: &rustls_pki_types::ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls_pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        use rustls::CertificateError::{NotValidForName, NotValidForNameContext};
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                NotValidForName | NotValidForNameContext { .. },
            )) => Ok(rustls::client::danger::ServerCertVerified::assertion()),
            verified => verified,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls_pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls_pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// `url` without its parameter `name` (each time it is given), and the
/// value it was last given (the one libpq and tokio-postgres read), in
/// either form of URL: `postgres://…?name=value&…`, the value
/// percent-decoded, or key=value pairs, the value unquoted. A URL whose
/// pairs cannot be read is left as it is, for tokio-postgres to refuse.
fn take_parameter(url: &str, name: &str) -> (String, Option<String>) {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let Some((place, query)) = url.split_once('?') else {
            return (url.to_owned(), None);
        };
        let mut value = None;
        let kept: Vec<&str> = query
            .split('&')
            .filter(|pair| match pair.split_once('=') {
                Some((key, given)) if key == name => {
                    value = Some(percent_decoded(given));
                    false
                }
                _ => true,
            })
            .collect();
        let url = if kept.is_empty() {
            place.to_owned()
        } else {
            format!("{place}?{}", kept.join("&"))
        };
        return (url, value);
    }
    let mut kept = String::with_capacity(url.len());
    let mut value = None;
    let mut rest = url;
    while let Some((key, given, after)) = next_pair(rest) {
        if key == name {
            value = Some(given);
        } else {
            kept.push_str(&rest[..rest.len() - after.len()]);
        }
        rest = after;
    }
    if !rest.trim().is_empty() {
        // Not pairs: left whole for tokio-postgres to refuse.
        return (url.to_owned(), None);
    }
    kept.push_str(rest);
    (kept, value)
}

/// The first `key=value` pair of libpq key=value pairs `text`, as libpq
/// reads it (whitespace around `=`; a value in single quotes, or up to the
/// next whitespace; `\` escapes the next character): its key, its value
/// and what follows it. `None` when `text` holds no pair there.
fn next_pair(text: &str) -> Option<(&str, String, &str)> {
    let start = text.len() - text.trim_start().len();
    let after_space = &text[start..];
    let key_end = after_space.find(|c: char| c == '=' || c.is_whitespace())?;
    let key = &after_space[..key_end];
    let rest = after_space[key_end..].trim_start();
    let rest = rest.strip_prefix('=')?.trim_start();
    let mut value = String::new();
    let mut chars = rest.char_indices();
    let quoted = rest.starts_with('\'');
    if quoted {
        chars.next();
    }
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' => value.extend(chars.next().map(|(_, c)| c)),
            '\'' if quoted => return Some((key, value, &rest[at + 1..])),
            c if c.is_whitespace() && !quoted => return Some((key, value, &rest[at..])),
            c => value.push(c),
        }
    }
    // An unterminated quote is not a pair.
    (!quoted).then_some((key, value, ""))
}

/// `text` with its `%XX` escapes decoded (a URL's parameter value).
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                decoded.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                decoded.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// Where the database is (`host:port (database name)`, [`place_of`]), for
/// messages; never a password.
fn place_of(config: &tokio_postgres::Config) -> String {
    let ports = config.get_ports();
    // One port for every host, or one each; none is PostgreSQL's own.
    let port = |i: usize| ports.get(i).or(ports.first()).copied().unwrap_or(5432);
    let mut hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| match host {
            Host::Tcp(name) if name.contains(':') => format!("[{name}]:{}", port(i)),
            Host::Tcp(name) => format!("{name}:{}", port(i)),
            Host::Unix(path) => format!("{}:{}", path.display(), port(i)),
        })
        .collect();
    if hosts.is_empty() {
        hosts = config
            .get_hostaddrs()
            .iter()
            .enumerate()
            .map(|(i, address)| std::net::SocketAddr::new(*address, port(i)).to_string())
            .collect();
    }
    // Without a database name, PostgreSQL takes the user's.
    let database = config.get_dbname().or(config.get_user()).unwrap_or("?");
    format!("{} (database {database})", hosts.join(","))
}

/// A database that could not be reached, refused or dropped the
/// connection, or took no write for being read-only: trying again later
/// may work (`marque migrate --wait` does). Its text is the whole message.
#[derive(Debug, thiserror::Error)]
#[error("{text}")]
pub struct Unreachable {
    /// The whole message.
    text: String,
    /// The SQLSTATE the database answered with, if it answered.
    sqlstate: Option<SqlState>,
}

/// An error the database answered that is no database out of reach (a
/// privilege missing, a statement it refused). Its text is the whole
/// message.
#[derive(Debug, thiserror::Error)]
#[error("{text}")]
pub struct Answered {
    /// The whole message.
    text: String,
    /// The SQLSTATE the database answered with.
    sqlstate: SqlState,
}

/// The SQLSTATE of the database's answer that `error` is, or was caused
/// by, if the database answered.
pub fn sqlstate_of(error: &anyhow::Error) -> Option<&SqlState> {
    error.chain().find_map(|cause| {
        cause
            .downcast_ref::<Answered>()
            .map(|answered| &answered.sqlstate)
            .or_else(|| cause.downcast_ref::<Unreachable>()?.sqlstate.as_ref())
    })
}

/// The SQLSTATE of the database answer `error` is, or was caused by, and
/// what an operator is to do about it, when it is one no retry mends by
/// itself ([`operator_needed`]).
pub fn needs_operator(error: &anyhow::Error) -> Option<(&SqlState, &'static str)> {
    let sqlstate = sqlstate_of(error)?;
    Some((sqlstate, operator_needed(sqlstate)?))
}

/// `error` with what an operator is to do about it in front, when it is a
/// database answer no retry mends by itself ([`needs_operator`]).
fn with_remedy(error: anyhow::Error) -> anyhow::Error {
    match needs_operator(&error) {
        Some((sqlstate, what)) => {
            let remedy = format!(
                "the database answered SQLSTATE {} ({what})",
                sqlstate.code()
            );
            error.context(remedy)
        }
        None => error,
    }
}

/// What an operator is to do about a database that answers with
/// `sqlstate`, when that answer is one the database gives until someone
/// changes it (a grant, a password, a role, a database), rather than one
/// that passes by itself (a server starting, a failover): `None` for the
/// others. `marque serve` keeps trying (any of these may be mended while
/// it waits, by a job or an operator that creates the database, the role
/// or the grants after the pods start), but says it at ERROR, once.
pub fn operator_needed(sqlstate: &SqlState) -> Option<&'static str> {
    Some(match sqlstate.code() {
        "42501" => {
            "insufficient_privilege: the database role lacks a privilege Marque needs; grant \
             it: the role that migrates needs CREATE on the schema (since PostgreSQL 15 only \
             the owner of `public` has it), a role that serves with --no-migrate USAGE on the \
             schema and SELECT, INSERT, UPDATE and DELETE on Marque's tables"
        }
        "28P01" => {
            "invalid_password: the database refuses the password; correct it in the database \
             URL (its Secret) or set the role's password to it"
        }
        "28000" => {
            "invalid_authorization_specification: the database refuses the role (it does not \
             exist, or pg_hba.conf lets it not connect from here, or asks for TLS); create the \
             role, or allow it in pg_hba.conf, or correct the URL's user"
        }
        "3D000" => {
            "invalid_catalog_name: the database named in the URL does not exist; create it, or \
             correct the URL's database name"
        }
        "42P01" => {
            "undefined_table: a table Marque needs is gone (dropped, renamed, or out of the \
             role's search_path); restore it from a backup, or correct the role's search_path \
             (`marque migrate` makes no table its history says it made)"
        }
        "42703" => {
            "undefined_column: a column Marque needs is gone from its table (dropped or renamed \
             by hand); restore it from a backup"
        }
        _ => return None,
    })
}

/// Whether `error` is, or was caused by, an [`Unreachable`] database.
pub fn is_unreachable(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| cause.is::<Unreachable>())
}

/// A connection through a Unix socket (the URL's `host=/run/postgresql`)
/// whose directory does not exist: no database is there to be down. It is
/// a volume not mounted, a path misspelt, or a sidecar (a database proxy
/// such as the Cloud SQL Auth Proxy, which makes the socket) that has not
/// made it yet. `marque serve` keeps trying, saying it at ERROR once;
/// `marque migrate` stops at once. Its text is the whole message.
#[derive(Debug, thiserror::Error)]
#[error("{text}")]
pub struct NoSocketDirectory {
    /// The whole message.
    text: String,
    /// The socket directories the URL names that do not exist.
    directories: Vec<PathBuf>,
}

impl NoSocketDirectory {
    /// The Unix socket directories among `hosts` that do not exist now.
    fn missing(hosts: &[Host]) -> Vec<PathBuf> {
        hosts
            .iter()
            .filter_map(|host| match host {
                Host::Unix(directory) if !directory.is_dir() => Some(directory.clone()),
                _ => None,
            })
            .collect()
    }

    /// The error for a connection to `hosts` (at `place`) that failed
    /// with `driver` (the driver's error, [`described`]), when a socket
    /// directory among them does not exist.
    fn of(hosts: &[Host], place: &str, driver: &str) -> Option<Self> {
        let directories = Self::missing(hosts);
        if directories.is_empty() {
            return None;
        }
        Some(Self {
            text: format!(
                "cannot connect to PostgreSQL at {place}: the directory of its Unix socket, \
                 {}, does not exist (the database URL's host): mount it (a volume shared with \
                 the database, or with a proxy beside the server that makes the socket in it), \
                 or correct the URL's host ({driver})",
                directories_shown(&directories)
            ),
            directories,
        })
    }
}

/// Why the database lets Marque in on no attempt until someone changes
/// something (a grant, a password, a role, a database, a mount), rather
/// than a database that is down or starting, which passes by itself:
/// said at ERROR, once an outage ([`Outage`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocked {
    /// The database answered with a SQLSTATE no retry mends
    /// ([`operator_needed`]): what to do about it.
    Refused {
        /// The SQLSTATE.
        sqlstate: SqlState,
        /// What an operator is to do.
        what: &'static str,
    },
    /// The directories of the Unix sockets the URL names do not exist
    /// ([`NoSocketDirectory`]).
    NoSocketDirectory {
        /// Those directories.
        directories: Vec<PathBuf>,
    },
    /// The database lets Marque in, but refuses its statements with a
    /// SQLSTATE no retry mends ([`operator_needed`]: a privilege revoked,
    /// a table dropped): an ERROR answered to a statement, not a refused
    /// connection, and mended only when the statements it refused are
    /// answered again, not when a new connection gets in.
    QueryRefused {
        /// The SQLSTATE.
        sqlstate: SqlState,
        /// What an operator is to do.
        what: &'static str,
    },
}

impl Blocked {
    /// What blocks `error`'s connection, if it is blocked.
    pub fn of(error: &anyhow::Error) -> Option<Blocked> {
        if let Some(missing) = error
            .chain()
            .find_map(|cause| cause.downcast_ref::<NoSocketDirectory>())
        {
            return Some(Blocked::NoSocketDirectory {
                directories: missing.directories.clone(),
            });
        }
        let (sqlstate, what) = needs_operator(error)?;
        let sqlstate = sqlstate.clone();
        // A statement's ERROR is an `Answered`; a connection refused (its
        // start-up's FATAL) or lost is `Unreachable`.
        if error.chain().any(|cause| cause.is::<Answered>()) {
            return Some(Blocked::QueryRefused { sqlstate, what });
        }
        Some(Blocked::Refused { sqlstate, what })
    }

    /// Whether only a statement answered again mends it, not a new
    /// connection let in.
    fn is_query(&self) -> bool {
        matches!(self, Blocked::QueryRefused { .. })
    }
}

/// Directories as logs and messages list them: `/cloudsql, /run/db`.
pub fn directories_shown(directories: &[PathBuf]) -> String {
    directories
        .iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

impl std::fmt::Display for Blocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Blocked::Refused { sqlstate, .. } => write!(f, "SQLSTATE {}", sqlstate.code()),
            Blocked::QueryRefused { sqlstate, .. } => {
                write!(f, "SQLSTATE {} on queries", sqlstate.code())
            }
            Blocked::NoSocketDirectory { directories } => {
                write!(f, "no socket directory {}", directories_shown(directories))
            }
        }
    }
}

/// What an outage (attempts that fail, until one gets in) has said at
/// ERROR: each [`Blocked`] once, whatever other failures come between
/// (the database restarting, a connection dropped, another refusal),
/// so that a refusal the database keeps giving is one ERROR line, not one
/// each time a failure of another kind comes between; each attempt is
/// still a WARN line with its error. Said again only in the next outage,
/// after the database has let Marque in ([`Outage::over`]).
///
/// A clone is the same record: a store's connections, its statements and
/// the server's start ([`crate::store::Store::outage`]) keep one, so that
/// a refusal is said once, by whichever meets it first, not once by each.
#[derive(Debug, Default, Clone)]
pub struct Outage {
    said: Arc<std::sync::Mutex<Vec<Blocked>>>,
}

impl Outage {
    /// What blocks `error`'s connection, when this outage has not said it
    /// yet: to be said at ERROR now (it is noted as said).
    pub fn first(&self, error: &anyhow::Error) -> Option<Blocked> {
        self.said_first(Blocked::of(error)?)
    }

    /// `blocked`, when this outage has not said it yet: to be said now
    /// (it is noted as said).
    fn said_first(&self, blocked: Blocked) -> Option<Blocked> {
        let mut said = self.said();
        if said.contains(&blocked) {
            return None;
        }
        said.push(blocked.clone());
        Some(blocked)
    }

    /// The database let Marque in and answered it: the outage is over.
    /// What it said, to be said mended; the next outage says its own
    /// again.
    pub fn over(&self) -> Vec<Blocked> {
        std::mem::take(&mut *self.said())
    }

    /// What was said of the kind `mended` picks, taken out as mended (a
    /// new connection let in mends the refused connections, not the
    /// refused statements).
    fn over_for(&self, mended: impl Fn(&Blocked) -> bool) -> Vec<Blocked> {
        let mut said = self.said();
        let (over, kept) = said.drain(..).partition(|blocked| mended(blocked));
        *said = kept;
        over
    }

    fn said(&self) -> std::sync::MutexGuard<'_, Vec<Blocked>> {
        self.said
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// What the store and the connections and transactions it hands out share.
struct Shared {
    /// Where the store connects ([`place_of`]), for messages.
    place: String,
    /// The hosts it connects to, to name a Unix socket directory that
    /// does not exist ([`NoSocketDirectory`]).
    hosts: Vec<Host>,
    /// Set when a statement found the database read-only (25006), until a
    /// connection of its own finds it takes writes again
    /// ([`Store::writable`]).
    read_only: AtomicBool,
    /// Whether the change feed's LISTEN connection is open and listening
    /// (`marque_change_feed_listening`): while it is not, other replicas'
    /// writes arrive only with the registry's polls.
    listening: AtomicBool,
    /// What the refusals of new connections (the pool's, the change
    /// feed's) have said at ERROR since a new connection last got in
    /// ([`Shared::refused`], [`Shared::let_in`]), and those of statements
    /// since the statements they refused were answered again
    /// ([`Shared::queried`]); the server's start says its own in it too
    /// ([`crate::store::Store::outage`]).
    outage: Outage,
    /// The operations ([`Shared::queried`]) whose statements the database
    /// refused with a SQLSTATE no retry mends, since each was last
    /// answered: the refusal is mended once none is left.
    refused_queries: std::sync::Mutex<Vec<Operation>>,
    /// Whether `refused_queries` holds any: an answered call looks at it
    /// alone, never taking the lock while all is well.
    queries_refused: AtomicBool,
    /// `refused_queries` as announced to health ([`Store::refused`]): set
    /// under its lock, at each change.
    refusals: tokio::sync::watch::Sender<Vec<Operation>>,
}

impl Shared {
    /// Shared by a store that connects to `place`, at `hosts`.
    fn new(place: String, hosts: Vec<Host>) -> Self {
        Self {
            place,
            hosts,
            read_only: AtomicBool::new(false),
            listening: AtomicBool::new(false),
            outage: Outage::default(),
            refused_queries: std::sync::Mutex::default(),
            queries_refused: AtomicBool::new(false),
            refusals: tokio::sync::watch::channel(Vec::new()).0,
        }
    }

    /// A new connection (the pool's, the change feed's) failed with
    /// `error`: what blocks it (a password rotated, a grant or the role
    /// revoked, the database dropped, the socket directory gone) is said at
    /// ERROR, with what to do, once an outage ([`Outage`]), however many
    /// calls fail on it and whatever other failures come between. Each
    /// call still fails UNAVAILABLE with the error, on its own `rpc
    /// failed` line; the store keeps trying, for it may be mended.
    fn refused(&self, error: &anyhow::Error) {
        let Some(blocked) = Blocked::of(error) else {
            return;
        };
        if let Blocked::Refused { sqlstate, .. } = &blocked {
            metrics::counter!(
                "marque_db_connections_refused_total",
                "sqlstate" => sqlstate.code().to_owned()
            )
            .increment(1);
        }
        match self.outage.said_first(blocked) {
            None => {}
            Some(
                Blocked::Refused { sqlstate, what } | Blocked::QueryRefused { sqlstate, what },
            ) => {
                tracing::error!(
                    sqlstate = sqlstate.code(),
                    error = format!("{error:#}"),
                    "the database refuses the server's new connections ({what}); calls that \
                     need one are UNAVAILABLE, and the change feed waits, until it is mended \
                     (said once until then)"
                );
            }
            Some(Blocked::NoSocketDirectory { directories }) => {
                tracing::error!(
                    directory = directories_shown(&directories),
                    error = format!("{error:#}"),
                    "the directory of the database's Unix socket does not exist (the database \
                     URL's host): calls that need a new connection are UNAVAILABLE until it \
                     does; mount it, or correct the host (a proxy beside the server may make \
                     it again) (said once until then)"
                );
            }
        }
    }

    /// A new connection got in: the refusals said are mended, said at
    /// INFO; the next outage says its own again.
    fn let_in(&self) {
        // A statement refused (a grant revoked on a table) is not mended
        // by a connection let in: only by that statement answered.
        let said = self.outage.over_for(|blocked| !blocked.is_query());
        if !said.is_empty() {
            let said: Vec<String> = said.iter().map(ToString::to_string).collect();
            tracing::info!(
                mended = said.join("; "),
                "the database lets the server in now"
            );
        }
    }

    /// `result`, of the store's `operation` (`load`, `commit`, …), as the
    /// call that made it is to see it. A statement the database refused
    /// with a SQLSTATE no retry mends (a privilege revoked while the
    /// server serves, 42501; a table dropped, 42P01: [`operator_needed`])
    /// is UNAVAILABLE, not INTERNAL: nothing in the server or the request
    /// is wrong, the store cannot serve it until an operator mends the
    /// database (as a refused connection is), and then the same call
    /// succeeds, so the caller is to retry with backoff; health follows
    /// (writes refused take RegistryService out of readiness). It is
    /// counted (`marque_db_queries_refused_total`) and said at ERROR, with
    /// what to do, once an outage ([`Outage`], the record the refused
    /// connections and the server's start keep too); each later one at
    /// DEBUG. It is mended, said at INFO, once every operation it refused
    /// has been answered again: a query answered on another table does not
    /// mend one still refused.
    fn queried<T>(
        &self,
        operation: Operation,
        result: Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let error = match result {
            Ok(answered) => {
                if self.queries_refused.load(Ordering::Relaxed) {
                    self.answered_again(operation);
                }
                return Ok(answered);
            }
            Err(StoreError::Internal(error)) => error,
            Err(other) => return Err(other),
        };
        let Some(Blocked::QueryRefused { sqlstate, what }) = Blocked::of(&error) else {
            return Err(StoreError::Internal(error));
        };
        metrics::counter!(
            "marque_db_queries_refused_total",
            "sqlstate" => sqlstate.code().to_owned()
        )
        .increment(1);
        // Noted and said under the lock `answered_again` mends under, so
        // that a refusal is never noted after the mend it came before.
        let mut refused = self
            .refused_queries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !refused.contains(&operation) {
            refused.push(operation);
            self.refusals.send_replace(refused.clone());
        }
        self.queries_refused.store(true, Ordering::Relaxed);
        let blocked = Blocked::QueryRefused {
            sqlstate: sqlstate.clone(),
            what,
        };
        let first = self.outage.said_first(blocked).is_some();
        drop(refused);
        if first {
            tracing::error!(
                sqlstate = sqlstate.code(),
                operation = operation.name(),
                error = format!("{error:#}"),
                "the database refuses the server's statements ({what}); calls that need them \
                 are UNAVAILABLE until it is mended (said once until then)"
            );
        } else {
            tracing::debug!(
                sqlstate = sqlstate.code(),
                operation = operation.name(),
                error = format!("{error:#}"),
                "the database still refuses the server's statements"
            );
        }
        Err(StoreError::Unavailable(format!(
            "PostgreSQL at {} refused the server's {operation}: {error:#}",
            self.place
        )))
    }

    /// `operation`, refused before ([`Shared::queried`]), was answered:
    /// once every operation refused has been, the refusals said are
    /// mended, said at INFO.
    fn answered_again(&self, operation: Operation) {
        let mut refused = self
            .refused_queries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let before = refused.len();
        refused.retain(|refused| *refused != operation);
        if refused.len() != before {
            self.refusals.send_replace(refused.clone());
        }
        if !refused.is_empty() {
            return;
        }
        self.queries_refused.store(false, Ordering::Relaxed);
        let said = self.outage.over_for(Blocked::is_query);
        drop(refused);
        if !said.is_empty() {
            let said: Vec<String> = said.iter().map(ToString::to_string).collect();
            tracing::info!(
                mended = said.join("; "),
                operation = operation.name(),
                "the database answers the server's statements again"
            );
        }
    }

    /// Notes what `error` says of the database (that it is read-only);
    /// true when the connection that carried it is to be closed rather
    /// than go back to the pool.
    fn note(&self, error: &tokio_postgres::Error) -> bool {
        let read_only = is_read_only(error);
        if read_only {
            self.read_only.store(true, Ordering::Relaxed);
        }
        read_only
    }
}

/// Whether `error` is the database refusing a write because it is
/// read-only (`25006 read_only_sql_transaction`): a failover's old
/// primary, a standby, or `default_transaction_read_only` set.
fn is_read_only(error: &tokio_postgres::Error) -> bool {
    error.code() == Some(&SqlState::READ_ONLY_SQL_TRANSACTION)
}

/// The statements the store's operations run, one text each, so that an
/// operation and its re-try ([`statements`]) cannot drift apart.
mod sql {
    /// The committed head ([`super::Operation::Load`],
    /// [`super::Operation::CommittedHead`]).
    pub(super) const HEAD: &str = "SELECT revision FROM registry_head";
    /// Every resource ([`super::Operation::Load`]).
    pub(super) const RESOURCES: &str = "SELECT body FROM resources";
    /// The change events after `$1`, at most `$2` of them and `$3` bytes
    /// ([`super::Operation::EventsAfter`]). `ahead` is the size of the
    /// events before each one; the running sum streams, so the LIMIT still
    /// ends the scan. `octet_length` reads the stored length without
    /// detoasting the event.
    pub(super) const EVENTS_AFTER: &str = "SELECT event FROM ( \
           SELECT revision, event, \
             sum(octet_length(event)) OVER (ORDER BY revision) - octet_length(event) AS ahead \
           FROM change_events WHERE revision > $1 ORDER BY revision LIMIT $2 \
         ) e WHERE ahead = 0 OR ahead + octet_length(event) <= $3 ORDER BY revision";
    /// When revision `$1` was committed ([`super::Operation::CommittedAt`]).
    pub(super) const COMMITTED_AT: &str =
        "SELECT committed_at FROM change_events WHERE revision = $1";
    /// Stores a drawn page token secret unless one is
    /// ([`super::Operation::PageTokenSecret`]).
    pub(super) const STORE_SECRET: &str = "INSERT INTO service_secrets (name, secret) \
         VALUES ('page_tokens', $1) ON CONFLICT (name) DO NOTHING";
    /// The stored page token secret ([`super::Operation::PageTokenSecret`]).
    pub(super) const READ_SECRET: &str =
        "SELECT secret FROM service_secrets WHERE name = 'page_tokens'";
    /// An audit listing's events, newest first ([`super::Operation::Audit`]).
    pub(super) const AUDIT: &str = "SELECT event FROM ( \
           SELECT revision, event, \
             sum(octet_length(event)) OVER (ORDER BY revision DESC) - octet_length(event) AS ahead \
           FROM change_events \
           WHERE ($1::text[] IS NULL OR brands && $1 \
                  OR (brands = '{}' AND actor_member = $6)) \
             AND ($2::text IS NULL OR actor_member = $2) \
             AND ($3::bigint IS NULL OR revision < $3) \
           ORDER BY revision DESC LIMIT $4 \
         ) e WHERE ahead = 0 OR ahead + octet_length(event) <= $5 ORDER BY revision DESC";
    /// The write lock, and the head under it ([`super::Operation::Begin`]).
    pub(super) const LOCK_HEAD: &str =
        "SELECT revision FROM registry_head WHERE singleton FOR UPDATE";
    /// An earlier write's event by its request id
    /// ([`super::Operation::FindRequest`]).
    pub(super) const FIND_REQUEST: &str =
        "SELECT event FROM change_events WHERE actor_member = $1 AND request_id = $2";
    /// A write's event ([`super::Operation::Commit`]).
    pub(super) const INSERT_EVENT: &str = "INSERT INTO change_events \
         (revision, committed_at, actor_member, actor_key, request_id, brands, event) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)";
    /// The resources a write removes ([`super::Operation::Commit`]).
    pub(super) const DELETE_RESOURCES: &str = "DELETE FROM resources WHERE key = ANY($1)";
    /// The resources a write leaves ([`super::Operation::Commit`]).
    pub(super) const UPSERT_RESOURCES: &str = "INSERT INTO resources \
         (key, kind, brand, update_revision, body) \
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[], $5::bytea[]) \
         ON CONFLICT (key) DO UPDATE SET kind = EXCLUDED.kind, brand = EXCLUDED.brand, \
         update_revision = EXCLUDED.update_revision, body = EXCLUDED.body";
    /// The new head ([`super::Operation::Commit`]).
    pub(super) const SET_HEAD: &str = "UPDATE registry_head SET revision = $1 WHERE singleton";
    /// Whether the session is read-only ([`super::Operation::Writable`]).
    pub(super) const READ_ONLY: &str = "SELECT current_setting('transaction_read_only')";
}

/// The statements `operation` runs that the database checks privileges,
/// tables and columns of: all of them but the transaction's own (`BEGIN`,
/// `SET LOCAL`, `COMMIT`) and a commit's `NOTIFY`, which need none.
fn statements(operation: Operation) -> &'static [&'static str] {
    match operation {
        Operation::Load => &[sql::HEAD, sql::RESOURCES],
        Operation::EventsAfter => &[sql::EVENTS_AFTER],
        Operation::CommittedHead => &[sql::HEAD],
        Operation::CommittedAt => &[sql::COMMITTED_AT],
        Operation::PageTokenSecret => &[sql::STORE_SECRET, sql::READ_SECRET],
        Operation::Audit => &[sql::AUDIT],
        Operation::Begin => &[sql::LOCK_HEAD],
        Operation::FindRequest => &[sql::FIND_REQUEST],
        Operation::Commit => &[
            sql::INSERT_EVENT,
            sql::DELETE_RESOURCES,
            sql::UPSERT_RESOURCES,
            sql::SET_HEAD,
        ],
        Operation::Writable => &[sql::READ_ONLY],
    }
}

/// A parameter of any type, NULL: what [`explained`] binds.
#[derive(Debug)]
struct Null;

impl tokio_postgres::types::ToSql for Null {
    fn to_sql(
        &self,
        _: &tokio_postgres::types::Type,
        _: &mut bytes::BytesMut,
    ) -> Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        Ok(tokio_postgres::types::IsNull::Yes)
    }

    fn accepts(_: &tokio_postgres::types::Type) -> bool {
        true
    }

    tokio_postgres::types::to_sql_checked!();
}

/// Each of `statements` `EXPLAIN`ed, its parameters NULL: PostgreSQL
/// parses and plans it, and checks its privileges, tables and columns, as
/// it does the statement run (a revoked privilege is refused with 42501
/// even where the plan reads nothing), but runs nothing: it writes
/// nothing, takes no row lock, and is answered at once on a read-only
/// database.
async fn explained(
    client: &tokio_postgres::Client,
    statements: &[&str],
) -> Result<(), tokio_postgres::Error> {
    for statement in statements {
        let explain = client.prepare(&format!("EXPLAIN {statement}")).await?;
        let nulls: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
            explain.params().iter().map(|_| &Null as _).collect();
        client.execute(&explain, &nulls).await?;
    }
    Ok(())
}

/// The PostgreSQL store.
pub struct PostgresStore {
    /// Connections for reads and writes.
    pool: Pool,
    /// How to open the dedicated LISTEN connection.
    settings: PostgresSettings,
    /// [`PostgresSettings::answer_limit`].
    answer: Duration,
    /// What its connections tell it.
    shared: Arc<Shared>,
}

impl PostgresStore {
    /// A store over a pool for `settings`. Connects lazily: the database may
    /// be down when this returns.
    ///
    /// # Errors
    /// When the URL or TLS material is invalid.
    pub fn new(settings: PostgresSettings) -> anyhow::Result<Self> {
        let config = settings.pg_config()?;
        let shared = Arc::new(Shared::new(settings.place(), config.get_hosts().to_vec()));
        let manager_config = ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = match settings.tls()? {
            Some(tls) => Manager::from_config(config, tls, manager_config),
            None => Manager::from_config(config, NoTls, manager_config),
        };
        // Each connection the pool opens is one the database let in: a
        // refusal said before is mended. (A connection taken again from
        // the pool says nothing: one opened before a password was rotated
        // keeps working while every new one is refused.)
        let opened = shared.clone();
        let pool = Pool::builder(manager)
            .max_size(settings.pool_size)
            .wait_timeout(Some(settings.pool_wait))
            .create_timeout(Some(settings.connect_timeout))
            .recycle_timeout(Some(settings.connect_timeout))
            .runtime(Runtime::Tokio1)
            .post_create(Hook::sync_fn(move |_, _| {
                opened.let_in();
                Ok(())
            }))
            .build()
            .context("cannot build the database pool")?;
        let answer = settings.answer_limit();
        Ok(Self {
            pool,
            settings,
            answer,
            shared,
        })
    }

    /// [`PostgresStore::migrate`], tried again with backoff (as `marque
    /// serve` tries its start) while the database cannot be reached
    /// ([`Unreachable`]: it refuses connections, does not answer, is
    /// starting, does not exist yet, refuses the role, or is read-only),
    /// for `wait` at most; each failure logged at WARN. Any other failure
    /// (a migration's SQL failed) ends it at once. `wait` of zero tries
    /// once.
    ///
    /// # Errors
    /// A failure that is not the database being out of reach, or one that
    /// still is after `wait`.
    pub async fn migrate_within(&self, wait: Duration) -> anyhow::Result<usize> {
        let started = tokio::time::Instant::now();
        let mut backoff = super::Backoff::new();
        // What was said at ERROR: each once, whatever comes between.
        let outage = Outage::default();
        loop {
            let error = match self.migrate().await {
                Ok(applied) => return Ok(applied),
                Err(error) if is_unreachable(&error) => error,
                // A socket directory that does not exist, among others:
                // the Job or init container fails at once, saying so.
                Err(error) => return Err(with_remedy(error)),
            };
            let left = wait.saturating_sub(started.elapsed());
            if left.is_zero() {
                return Err(with_remedy(error).context(format!(
                    "the database was still out of reach after {:.0?} (the --wait / \
                     MARQUE_MIGRATE_WAIT of {wait:?}): nothing was migrated",
                    started.elapsed()
                )));
            }
            let pause = backoff.next_wait().min(left);
            match outage.first(&error) {
                Some(Blocked::Refused { sqlstate, what }) => {
                    tracing::error!(
                        sqlstate = sqlstate.code(),
                        error = format!("{error:#}"),
                        retry_in = ?pause,
                        "the database refuses the migration ({what}); trying again until it is \
                         mended or the wait is over"
                    );
                }
                // Not unreachable: returned above.
                Some(Blocked::NoSocketDirectory { .. } | Blocked::QueryRefused { .. }) | None => {
                    tracing::warn!(
                        error = format!("{error:#}"),
                        retry_in = ?pause,
                        "database not ready; migrating when it is"
                    );
                }
            }
            tokio::time::sleep(pause).await;
        }
    }

    /// Applies the embedded migrations, under an advisory lock so that
    /// replicas starting together migrate once. Returns how many it applied.
    /// A database a newer version migrated further is left as it is
    /// (migrations keep the schema usable by the version before them, so a
    /// rollback serves on it). Neither the wait for the lock nor a migration
    /// is cut by `--database-statement-timeout`, which is for calls.
    ///
    /// # Errors
    /// When the database cannot be reached or a migration fails.
    pub async fn migrate(&self) -> anyhow::Result<usize> {
        let (mut client, driver) = self.settings.connect(None).await?;
        client
            .batch_execute("SET statement_timeout = 0; SET lock_timeout = 0")
            .await
            .map_err(failed("cannot lift the statement timeout for migrating"))?;
        client
            .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(failed("cannot take the migration lock"))?;
        let mut runner = embedded::migrations::runner().set_abort_missing(false);
        runner.set_migration_table_name(HISTORY);
        // A schema a newer version migrated further (a rollback) has
        // nothing to apply: said so, rather than refinery's ERROR that its
        // migrations are "missing from the filesystem".
        let latest = latest_migration(&runner);
        // Refinery reads every row of the history before it migrates.
        let every_row = true;
        let limit = self.settings.answer_limit();
        let report = match applied_migration(&runner, &mut client, every_row, limit).await {
            Err(e) => Err(e),
            Ok(applied) if applied > latest => {
                warn_schema_ahead(applied, latest);
                Ok(None)
            }
            Ok(_) => runner
                .run_async(&mut client)
                .await
                .map(Some)
                .map_err(|e| migration_error(e).context("migration failed")),
        };
        let _ = client
            .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
            .await;
        drop(client);
        driver.abort();
        Ok(report?.map_or(0, |report| report.applied_migrations().len()))
    }

    /// Checks that every embedded migration is applied (for replicas that
    /// must not migrate themselves). A database migrated further by a newer
    /// version is accepted, with a warning: migrations keep the schema
    /// usable by the version before them, so a rollback serves on it.
    ///
    /// # Errors
    /// When the database is behind the binary, or cannot be reached.
    pub async fn verify_migrations(&self) -> anyhow::Result<()> {
        let (mut client, driver) = self.settings.connect(None).await?;
        let mut runner = embedded::migrations::runner();
        runner.set_migration_table_name(HISTORY);
        let latest = latest_migration(&runner);
        // Only the last row: all refinery reads to verify.
        let every_row = false;
        let limit = self.settings.answer_limit();
        let applied = applied_migration(&runner, &mut client, every_row, limit).await;
        drop(client);
        driver.abort();
        let applied = applied?;
        anyhow::ensure!(
            applied.is_some(),
            "the database has no Marque schema (it was never migrated: no table \
             marque_schema_history): run `marque migrate` (the chart's migration Job or init \
             container), or serve without --no-migrate / MARQUE_NO_MIGRATE"
        );
        anyhow::ensure!(
            applied >= latest,
            "the database schema is at migration {applied:?}, this binary needs {latest:?}: run `marque migrate`"
        );
        if applied > latest {
            warn_schema_ahead(applied, latest);
        }
        Ok(())
    }

    async fn client(&self) -> Result<Conn, StoreError> {
        let client = self
            .pool
            .get()
            .await
            .map(|object| Conn::new(object, self.shared.clone()));
        client.map_err(|e| {
            if matches!(e, PoolError::Timeout(_)) {
                metrics::counter!("marque_db_pool_wait_timeouts_total").increment(1);
            }
            from_pool(e, &self.shared)
        })
    }

    /// Whether the change feed's LISTEN connection is open and answers
    /// (`marque_change_feed_listening`).
    pub fn change_feed_listening(&self) -> bool {
        self.shared.listening.load(Ordering::Relaxed)
    }

    /// Pool statistics: (size, available, waiting).
    pub fn pool_status(&self) -> (usize, usize, usize) {
        let status = self.pool.status();
        (status.size, status.available, status.waiting)
    }
}

/// The last embedded migration's version.
fn latest_migration(runner: &refinery::Runner) -> Option<refinery::SchemaVersion> {
    runner.get_migrations().iter().map(|m| m.version()).max()
}

/// The last migration applied to the database at `client`; none when it
/// was never migrated (it has no history table, which refinery would
/// answer with an error), each read answered within `limit`. The rows of
/// the history refinery reads next (`every_row`, or the last one) are
/// checked first ([`check_history`]).
async fn applied_migration(
    runner: &refinery::Runner,
    client: &mut tokio_postgres::Client,
    every_row: bool,
    limit: Duration,
) -> anyhow::Result<Option<refinery::SchemaVersion>> {
    let migrated: bool = within(
        limit,
        client.query_one(&format!("SELECT to_regclass('{HISTORY}') IS NOT NULL"), &[]),
    )
    .await?
    .context("cannot tell whether the database was migrated")?
    .get(0);
    if !migrated {
        return Ok(None);
    }
    check_history(client, every_row, limit).await?;
    Ok(
        within(limit, runner.get_last_applied_migration_async(client))
            .await
            .and_then(|read| read.map_err(migration_error))
            .context("cannot read the applied migrations")?
            .map(|m| m.version()),
    )
}

/// `read`'s answer, or an error when the database gives none within
/// `limit`.
async fn within<T>(limit: Duration, read: impl Future<Output = T>) -> anyhow::Result<T> {
    tokio::time::timeout(limit, read)
        .await
        .map_err(|_| anyhow::anyhow!("the database did not answer within {limit:?}"))
}

/// The table refinery keeps the applied migrations in.
const HISTORY: &str = "marque_schema_history";

/// Reads the rows of the migration history that refinery reads next
/// (every row, or only the last version's) as refinery reads them, and
/// says which it could not: refinery 0.10 reads them with `unwrap` and
/// `expect`, and panics, with no error to give instead, on a NULL, a
/// checksum that is no number or an `applied_on` that is no RFC 3339
/// time. Such a row, or a table without the columns refinery made it with
/// ([`check_history_columns`]), is for the operator to mend
/// ([`NeedsRepair`]).
async fn check_history(
    client: &tokio_postgres::Client,
    every_row: bool,
    limit: Duration,
) -> anyhow::Result<()> {
    check_history_columns(client, limit).await?;
    let rows = within(
        limit,
        client.query(
            &format!(
                "SELECT version, name, applied_on, checksum FROM {HISTORY} \
                 WHERE $1 OR version = (SELECT max(version) FROM {HISTORY}) ORDER BY version"
            ),
            &[&every_row],
        ),
    )
    .await?
    .map_err(failed("cannot read the migration history"))?;
    if let Some(fault) = rows.iter().find_map(history_fault) {
        return Err(NeedsRepair(format!(
            "the migration history is unreadable (table {HISTORY}: {fault}): mend that row, \
             whose name and checksum are the same in any database this version migrated, or \
             restore the database from a backup; nothing was migrated or served"
        ))
        .into());
    }
    Ok(())
}

/// Checks that the migration history has the columns refinery made it
/// with and reads (`version`, `name`, `applied_on`, `checksum`), each of a
/// type it reads: without one, refinery's every read fails with the
/// database's `column … does not exist`, which no retry mends
/// ([`NeedsRepair`]). A read that fails otherwise (the database out of
/// reach, no answer) is said as such, to be tried again.
async fn check_history_columns(
    client: &tokio_postgres::Client,
    limit: Duration,
) -> anyhow::Result<()> {
    use tokio_postgres::types::{FromSql, Type};
    let rows = within(
        limit,
        client.query(
            &format!(
                "SELECT attname::text, atttypid, format_type(atttypid, atttypmod) \
                 FROM pg_attribute \
                 WHERE attrelid = to_regclass('{HISTORY}') AND attnum > 0 AND NOT attisdropped"
            ),
            &[],
        ),
    )
    .await?
    .map_err(failed("cannot read the migration history's columns"))?;
    /// Whether refinery reads a column of this type.
    type Reads = fn(&Type) -> bool;
    let reads: [(&str, Reads); 4] = [
        ("version", <refinery::SchemaVersion as FromSql<'_>>::accepts),
        ("name", <String as FromSql<'_>>::accepts),
        ("applied_on", <String as FromSql<'_>>::accepts),
        ("checksum", <String as FromSql<'_>>::accepts),
    ];
    let faults: Vec<String> = reads
        .into_iter()
        .filter_map(|(column, accepts)| {
            let Some(row) = rows.iter().find(|row| row.get::<_, String>(0) == column) else {
                return Some(format!("column {column} is missing"));
            };
            let read = Type::from_oid(row.get(1)).is_some_and(|ty| accepts(&ty));
            (!read).then(|| {
                format!(
                    "column {column} is of type {}, which refinery does not read",
                    row.get::<_, String>(2)
                )
            })
        })
        .collect();
    if !faults.is_empty() {
        return Err(NeedsRepair(format!(
            "the migration history is unreadable (table {HISTORY}: {}): give it back the \
             columns `marque migrate` made it with (version integer, name, applied_on and \
             checksum varchar(255)) with their values (a version's name and checksum are the \
             same in any database this version migrated), or restore the database from a \
             backup; nothing was migrated or served",
            faults.join("; ")
        ))
        .into());
    }
    Ok(())
}

/// What refinery could not read in `row` of the migration history
/// (version, name, applied_on, checksum); `None` when it could.
fn history_fault(row: &tokio_postgres::Row) -> Option<String> {
    let version = match row.try_get::<_, Option<refinery::SchemaVersion>>(0) {
        Ok(Some(version)) => version,
        Ok(None) => return Some("a row's version is NULL".to_owned()),
        Err(e) => return Some(format!("a row's version cannot be read: {e}")),
    };
    let text = |column: usize, name: &str| match row.try_get::<_, Option<String>>(column) {
        Ok(Some(text)) => Ok(text),
        Ok(None) => Err(format!("version {version}'s {name} is NULL")),
        Err(e) => Err(format!(
            "version {version}'s {name} cannot be read as text: {e}"
        )),
    };
    let read = || -> Result<(), String> {
        text(1, "name")?;
        let applied_on = text(2, "applied_on")?;
        time::OffsetDateTime::parse(&applied_on, &time::format_description::well_known::Rfc3339)
            .map_err(|_| format!("version {version}'s applied_on is not an RFC 3339 time"))?;
        text(3, "checksum")?
            .parse::<u64>()
            .map_err(|_| format!("version {version}'s checksum is not a number"))?;
        Ok(())
    };
    read().err()
}

/// A database migrated further than this binary knows: served on (the
/// migrations keep the schema usable by the version before them), said
/// once.
fn warn_schema_ahead(
    applied: Option<refinery::SchemaVersion>,
    latest: Option<refinery::SchemaVersion>,
) {
    tracing::warn!(
        applied = ?applied,
        latest = ?latest,
        "the database schema is ahead of this binary (a newer version migrated it, as before a \
         rollback); nothing to migrate, serving on it"
    );
}

/// Why the pool handed out no connection, from the store `shared` is of:
/// UNAVAILABLE whatever it was. A connection the pool could not open is
/// the database out of reach, whatever the database answered (a database
/// that accepts no connections, 55000, or does not exist, 3D000; a role
/// refused, 28xxx; a server starting or shutting down, 57P0x): a call
/// cannot tell it from a database that is down, and it may pass (a
/// failover, a database being restored). The driver's error is
/// [`described`]: the pool's own `Display` for it says only `db error`. A
/// Unix socket directory that does not exist is named
/// ([`NoSocketDirectory`]). What no retry mends (a password rotated, a
/// grant revoked: [`operator_needed`]; that directory) is said at ERROR
/// too, once an outage ([`Shared::refused`]).
fn from_pool(error: PoolError, shared: &Shared) -> StoreError {
    let place = &shared.place;
    match error {
        PoolError::Timeout(kind) => StoreError::Unavailable(format!(
            "no connection to PostgreSQL at {place} within the pool wait ({kind:?})"
        )),
        PoolError::Backend(e) => {
            let described = described(&e);
            let failed = match NoSocketDirectory::of(&shared.hosts, place, &described) {
                Some(missing) if e.as_db_error().is_none() => anyhow::Error::new(missing),
                _ => coded(
                    format!("cannot connect to PostgreSQL at {place}: {described}"),
                    &e,
                ),
            };
            // A refusal no retry mends: said once an outage, not per call.
            shared.refused(&failed);
            StoreError::Unavailable(failed.to_string())
        }
        other => StoreError::Unavailable(other.to_string()),
    }
}

/// Whether `error` says the database is out of reach for now, rather than
/// that the request or the data was wrong: no answer the database gave
/// (the connection failed, closed, or said what could not be read); an
/// error class that passes (08 connection exception, 53 insufficient
/// resources, 57 operator intervention, 40 transaction rollback, 55P03
/// lock not available); an error the server ended the session with
/// (FATAL, PANIC: among them, while connecting, a database that accepts
/// no connections, does not exist, or refuses the role); or a write
/// refused because the database is read-only (25006: a failover's old
/// primary, a standby).
fn transient(error: &tokio_postgres::Error) -> bool {
    let Some(db) = error.as_db_error() else {
        return true;
    };
    let code = db.code();
    matches!(&code.code()[..2], "08" | "53" | "57" | "40")
        || *code == SqlState::LOCK_NOT_AVAILABLE
        || *code == SqlState::READ_ONLY_SQL_TRANSACTION
        || matches!(
            db.parsed_severity(),
            Some(Severity::Fatal | Severity::Panic)
        )
}

/// Transient problems ([`transient`]) are UNAVAILABLE (retry later); the
/// rest are faults. Either way the error is kept as [`described`] says it,
/// never as the driver's error itself: its source chain, which `{:#}`
/// prints, holds the database's DETAIL and HINT.
fn classify(error: tokio_postgres::Error) -> StoreError {
    if transient(&error) {
        StoreError::Unavailable(described(&error))
    } else {
        let text = described(&error);
        StoreError::Internal(match error.code() {
            Some(sqlstate) => anyhow::Error::new(Answered {
                text,
                sqlstate: sqlstate.clone(),
            }),
            None => anyhow::Error::msg(text),
        })
    }
}

/// `error` as logs and messages say it, without the row values a database
/// error carries.
///
/// An error the database answered (a [`DbError`]) gives its severity,
/// SQLSTATE and message, and the names of the schema, table, column, data
/// type and constraint it concerns, which are identifiers and never
/// values: `database error: ERROR 23505 duplicate key value violates unique
/// constraint "change_events_request_id" (schema public, table
/// change_events, constraint change_events_request_id)`. Its DETAIL and
/// HINT, which the driver's `Display` for it appends, are never given:
/// they quote rows (`Failing row contains (…)`, `Key (…)=(…) already
/// exists`), which may hold a key's secret or an event's body, and secrets
/// never reach a log line. Nor is its CONTEXT, which may quote a statement.
/// The message is given, for the operator needs it, though a few quote a
/// value of their own (`invalid input syntax for type integer: "abc"`).
///
/// Any other error is the driver's message with its causes (`error
/// connecting to server: Connection refused (os error 111)`), whose own
/// says only what failed; those name addresses and I/O failures, no row.
///
/// [`DbError`]: tokio_postgres::error::DbError
fn described(error: &tokio_postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        let severity = db
            .parsed_severity()
            .map_or_else(|| db.severity().to_owned(), |s| s.to_string());
        let mut text = format!(
            "database error: {severity} {} {}",
            db.code().code(),
            db.message()
        );
        let names = [
            ("schema", db.schema()),
            ("table", db.table()),
            ("column", db.column()),
            ("data type", db.datatype()),
            ("constraint", db.constraint()),
        ];
        let mut names = names
            .into_iter()
            .filter_map(|(what, name)| Some(format!("{what} {}", name?)))
            .peekable();
        if names.peek().is_some() {
            text.push_str(" (");
            text.push_str(&names.collect::<Vec<_>>().join(", "));
            text.push(')');
        }
        return text;
    }
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(error);
    while let Some(inner) = cause {
        let inner_text = inner.to_string();
        if !text.contains(&inner_text) {
            text.push_str(": ");
            text.push_str(&inner_text);
        }
        cause = inner.source();
    }
    text
}

/// The driver's `error` as why `what` failed, [`described`]; an
/// [`Unreachable`] database when the error is [`transient`].
fn failed(what: &'static str) -> impl FnOnce(tokio_postgres::Error) -> anyhow::Error {
    move |error| coded(format!("{what}: {}", described(&error)), &error)
}

/// The error said `text`, of the driver's `error`: [`Unreachable`] when
/// it is [`transient`], else [`Answered`] when the database answered it;
/// each with its SQLSTATE.
fn coded(text: String, error: &tokio_postgres::Error) -> anyhow::Error {
    match error.code() {
        _ if transient(error) => anyhow::Error::new(Unreachable {
            text,
            sqlstate: error.code().cloned(),
        }),
        Some(sqlstate) => anyhow::Error::new(Answered {
            text,
            sqlstate: sqlstate.clone(),
        }),
        None => anyhow::Error::msg(text),
    }
}

/// A migration's `error`, with the driver's error in it [`described`]:
/// refinery's own `Display` names it only as `db error`, and its source
/// chain, which `{:#}` prints, holds the whole database error.
fn migration_error(error: refinery::Error) -> anyhow::Error {
    if let refinery::error::Kind::Connection(what, source) = error.kind()
        && let Some(driver) = source.downcast_ref::<tokio_postgres::Error>()
    {
        // A migration the database could not run for being away (the
        // connection lost, the server shutting down) ran in a transaction
        // of its own, rolled back: it may be tried again.
        return coded(format!("{what}: {}", described(driver)), driver);
    }
    anyhow::Error::new(error)
}

/// `request`, one round trip to the database, answered within `limit`;
/// no answer by then is UNAVAILABLE, as a broken connection is. The
/// database's statement timeout cannot end the wait for a database that
/// holds the connection and says nothing (a stalled server, a proxy in
/// front of one that is down), and TCP keepalives are answered by its
/// host all the same: without this, a call would wait for its deadline and
/// the change feed's reader for ever, while health said all was well.
async fn answered<T>(
    limit: Duration,
    request: impl Future<Output = Result<T, tokio_postgres::Error>>,
) -> Result<T, StoreError> {
    match tokio::time::timeout(limit, request).await {
        Ok(answer) => answer.map_err(classify),
        Err(_) => Err(no_answer(limit)),
    }
}

fn no_answer(limit: Duration) -> StoreError {
    metrics::counter!("marque_db_unanswered_total").increment(1);
    StoreError::Unavailable(format!("the database did not answer within {limit:?}"))
}

/// A pooled connection that goes back to the pool when dropped idle, and
/// is closed otherwise. Idle: the last request sent on it, through
/// [`Conn::answered`], was answered by the database, with its result or
/// with an error of its own that ended the statement and left the session
/// as it was (a statement timeout, a unique violation, a serialization
/// failure). An error answered is no reason to reconnect: closing on it
/// would churn connections under ordinary errors. Closed: one dropped with
/// a request still unanswered (no answer within the limit, its call
/// cancelled mid-flight, the connection broken), or after any other use
/// of its client (a transaction not yet committed, rows not read to their
/// end), so that no later call's request waits behind an answer still
/// due on it, or runs inside a transaction it did not begin.
struct Conn {
    /// The connection, until dropped or handed to a transaction.
    object: Option<Object>,
    /// Whether it is idle, as above: set by [`Conn::answered`] once the
    /// database answers, and cleared by every use of the client
    /// (`Deref`), which may send a request nothing waits for the answer
    /// to.
    idle: AtomicBool,
    /// The store's, told what errors say of the database.
    shared: Arc<Shared>,
}

impl Conn {
    /// `object` as the pool hands it out: idle.
    fn new(object: Object, shared: Arc<Shared>) -> Self {
        Self {
            object: Some(object),
            idle: AtomicBool::new(true),
            shared,
        }
    }

    /// `request`, one round trip on this connection outside a transaction
    /// (or the COMMIT that ends one), answered within `limit`
    /// ([`answered`]). The database's answer, its own error included,
    /// leaves the connection idle, to go back to the pool; anything else
    /// leaves it to be closed: no answer in time, the call cancelled
    /// before the answer (this future dropped), a broken connection, an
    /// error after which the server ends the session, or a write the
    /// database refused for being read-only (its session stays so: a
    /// failover's old primary; a new connection may reach the new one).
    async fn answered<T>(
        &self,
        limit: Duration,
        request: impl Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> Result<T, StoreError> {
        // Not idle until the answer: should this future be dropped first,
        // or the limit pass, the answer is still due.
        self.idle.store(false, Ordering::Relaxed);
        answered(limit, async {
            let answer = request.await;
            let idle = answer
                .as_ref()
                .err()
                .is_none_or(|e| !self.shared.note(e) && ends_only_the_statement(e))
                && self
                    .object
                    .as_ref()
                    .is_some_and(|object| !object.is_closed());
            self.idle.store(idle, Ordering::Relaxed);
            answer
        })
        .await
    }

    /// The connection itself, for a transaction that owns it.
    fn into_object(mut self) -> Option<Object> {
        self.object.take()
    }
}

/// Whether `error` is the database's answer ending one statement and no
/// more: an ERROR, not a FATAL or PANIC (after which the server closes the
/// connection), nor a failure of the connection itself (closed, I/O, an
/// answer that could not be read), after which an answer may still be due.
fn ends_only_the_statement(error: &tokio_postgres::Error) -> bool {
    error
        .as_db_error()
        .is_some_and(|db| db.parsed_severity() == Some(Severity::Error))
}

impl std::ops::Deref for Conn {
    type Target = Object;

    fn deref(&self) -> &Object {
        // The client may send a request through this borrow whose answer
        // only `answered` sees: idle again once it does.
        self.idle.store(false, Ordering::Relaxed);
        self.object.as_ref().expect("a connection until dropped")
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        if let Some(object) = self.object.take() {
            if *self.idle.get_mut() {
                // Back to the pool.
                drop(object);
            } else {
                drop(Object::take(object));
            }
        }
    }
}

fn decode_event(bytes: &[u8]) -> Result<ChangeEvent, StoreError> {
    serde_json::from_slice(bytes)
        .map_err(|e| StoreError::Internal(anyhow::anyhow!("undecodable change event: {e}")))
}

/// The events of rows whose first column is an event.
fn decode_events(rows: &[tokio_postgres::Row]) -> Result<Vec<ChangeEvent>, StoreError> {
    rows.iter().map(|row| decode_event(row.get(0))).collect()
}

fn kind(resource: &Resource) -> &'static str {
    match resource {
        Resource::Member(_) => "member",
        Resource::ApiKey(_) => "api_key",
        Resource::Brand(_) => "brand",
        Resource::Trademark(_) => "trademark",
        Resource::Logo(_) => "logo",
        Resource::Authorization(_) => "authorization",
    }
}

fn update_revision(resource: &Resource) -> Revision {
    match resource {
        Resource::Member(r) => r.update_revision,
        Resource::ApiKey(r) => r.update_revision,
        Resource::Brand(r) => r.update_revision,
        Resource::Trademark(r) => r.update_revision,
        Resource::Logo(r) => r.update_revision,
        Resource::Authorization(r) => r.update_revision,
    }
}

fn to_i64(revision: Revision) -> Result<i64, StoreError> {
    i64::try_from(revision)
        .map_err(|_| StoreError::Internal(anyhow::anyhow!("revision {revision} out of range")))
}

/// A size bound as a query parameter (beyond `i64::MAX` is no bound).
fn bytes_i64(bytes: usize) -> i64 {
    i64::try_from(bytes).unwrap_or(i64::MAX)
}

#[async_trait]
impl Store for PostgresStore {
    fn kind(&self) -> &'static str {
        "postgres"
    }

    fn durable(&self) -> bool {
        true
    }

    /// The pool's connections as they are at the scrape, not as they were
    /// when one was last taken (which read none available on an idle
    /// server).
    fn record_gauges(&self) {
        let (size, available, waiting) = self.pool_status();
        metrics::gauge!("marque_db_pool_connections", "state" => "size").set(size as f64);
        metrics::gauge!("marque_db_pool_connections", "state" => "available").set(available as f64);
        metrics::gauge!("marque_db_pool_connections", "state" => "waiting").set(waiting as f64);
        let listening = self.shared.listening.load(Ordering::Relaxed);
        metrics::gauge!("marque_change_feed_listening").set(if listening { 1.0 } else { 0.0 });
        let refused = self.shared.refusals.borrow().clone();
        for operation in Operation::ALL {
            metrics::gauge!("marque_db_operations_refused", "operation" => operation.name()).set(
                if refused.contains(&operation) {
                    1.0
                } else {
                    0.0
                },
            );
        }
    }

    async fn load(&self) -> Result<Snapshot, StoreError> {
        let loaded = async {
            // The transaction in statements of its own, not the driver's
            // `Transaction`: its COMMIT, answered, is what makes the connection
            // idle again (`Conn::answered`). A load that fails before leaves it
            // in the transaction, and it is closed.
            let conn = self.client().await?;
            answered(
                self.answer,
                conn.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"),
            )
            .await?;
            // The load streams every resource, and the server waits on this
            // replica while it decodes them: under the statement timeout of
            // calls, a registry of a few million authorizations could never be
            // loaded. The pool's create timeout and keepalives still guard the
            // connection, and the limit on an answer its first round trips.
            answered(
                self.answer,
                conn.batch_execute("SET LOCAL statement_timeout = 0"),
            )
            .await?;
            let head: i64 = answered(self.answer, conn.query_one(sql::HEAD, &[]))
                .await?
                .get(0);
            let rows = answered(
                self.answer,
                conn.query_raw(sql::RESOURCES, std::iter::empty::<i64>()),
            )
            .await?;
            futures_util::pin_mut!(rows);
            // Each row goes straight into the snapshot (authorizations into
            // their compact table): the decoded rows are never all held at once.
            let mut builder = SnapshotBuilder::default();
            while let Some(row) = rows.next().await {
                let row = row.map_err(classify)?;
                let body: &[u8] = row.get(0);
                let resource: Resource = serde_json::from_slice(body).map_err(|e| {
                    StoreError::Internal(anyhow::anyhow!("undecodable resource: {e}"))
                })?;
                builder.push(resource);
            }
            conn.answered(self.answer, conn.batch_execute("COMMIT"))
                .await?;
            Ok::<_, StoreError>(builder.finish(head as Revision))
        };
        self.shared.queried(Operation::Load, loaded.await)
    }

    async fn events_after(
        &self,
        after: Revision,
        limit: usize,
        max_bytes: usize,
    ) -> Result<Vec<ChangeEvent>, StoreError> {
        let after = to_i64(after)?;
        let read = async {
            let conn = self.client().await?;
            conn.answered(self.answer, events_after(&conn, after, limit, max_bytes))
                .await
        };
        decode_events(&self.shared.queried(Operation::EventsAfter, read.await)?)
    }

    async fn committed_head(&self) -> Result<Revision, StoreError> {
        let read = async {
            let conn = self.client().await?;
            conn.answered(self.answer, conn.query_one(sql::HEAD, &[]))
                .await
        };
        let head: i64 = self
            .shared
            .queried(Operation::CommittedHead, read.await)?
            .get(0);
        Ok(head as Revision)
    }

    async fn committed_at(&self, revision: Revision) -> Result<Option<Timestamp>, StoreError> {
        let revision = to_i64(revision)?;
        let read = async {
            let conn = self.client().await?;
            conn.answered(self.answer, committed_at(&conn, revision))
                .await
        };
        self.shared.queried(Operation::CommittedAt, read.await)
    }

    async fn page_token_secret(&self) -> Result<[u8; 32], StoreError> {
        use rand::RngCore as _;
        let mut drawn = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut drawn);
        let stored = async {
            let conn = self.client().await?;
            // The first replica to ask stores its draw; every other keeps that
            // one (an insert that meets a concurrent one waits for it, then
            // does nothing).
            conn.answered(
                self.answer,
                conn.execute(sql::STORE_SECRET, &[&drawn.as_slice()]),
            )
            .await?;
            let stored: Vec<u8> = conn
                .answered(self.answer, conn.query_one(sql::READ_SECRET, &[]))
                .await?
                .get(0);
            Ok::<_, StoreError>(stored)
        };
        let stored = self
            .shared
            .queried(Operation::PageTokenSecret, stored.await)?;
        <[u8; 32]>::try_from(stored.as_slice()).map_err(|_| {
            StoreError::Internal(anyhow::anyhow!(
                "the stored page token secret is {} bytes, not 32",
                stored.len()
            ))
        })
    }

    async fn audit(&self, query: &super::AuditQuery) -> Result<Vec<ChangeEvent>, StoreError> {
        let before = query.before.map(to_i64).transpose()?;
        let read = async {
            let conn = self.client().await?;
            conn.answered(
                self.answer,
                conn.query(
                    sql::AUDIT,
                    &[
                        &query.brands,
                        &query.actor,
                        &before,
                        &(query.limit as i64),
                        &bytes_i64(query.max_bytes),
                        &query.unbranded_by,
                    ],
                ),
            )
            .await
        };
        decode_events(&self.shared.queried(Operation::Audit, read.await)?)
    }

    async fn begin(&self) -> Result<Box<dyn WriteTx>, StoreError> {
        let begun = async {
            // The transaction owns the connection before BEGIN is sent: a call
            // cancelled during it rolls back (or discards) the connection,
            // rather than returning it to the pool inside a transaction.
            let mut tx = PostgresTx {
                client: self.client().await?.into_object(),
                pool: self.pool.clone(),
                head: 0,
                answer: self.answer,
                shared: self.shared.clone(),
                discard: AtomicBool::new(false),
            };
            tx.answered(
                tx.client()?
                    .batch_execute("BEGIN ISOLATION LEVEL READ COMMITTED"),
            )
            .await?;
            // A read-only database (a failover's old primary) refuses this
            // lock (25006): the transaction closes its connection when dropped.
            let head: i64 = tx
                .answered(tx.client()?.query_one(sql::LOCK_HEAD, &[]))
                .await?
                .get(0);
            tx.head = head as Revision;
            Ok::<_, StoreError>(Box::new(tx) as Box<dyn WriteTx>)
        };
        self.shared.queried(Operation::Begin, begun.await)
    }

    async fn writable(&self) -> Result<(), StoreError> {
        let asked = self.ask_writable().await;
        self.shared.queried(Operation::Writable, asked)?;
        self.retry_refused().await;
        let refused = self.shared.refusals.borrow().clone();
        match refused
            .iter()
            .find(|operation| operation.need() == Need::Writes)
        {
            None => Ok(()),
            Some(operation) => Err(StoreError::Unavailable(format!(
                "PostgreSQL at {} still refuses the server's {operation} (refused: {}): it \
                 takes no writes until it is mended",
                self.shared.place,
                refused
                    .iter()
                    .map(|operation| operation.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    fn refused(&self) -> tokio::sync::watch::Receiver<Vec<Operation>> {
        self.shared.refusals.subscribe()
    }

    async fn prepare(&self, migrate: bool) -> anyhow::Result<()> {
        if migrate {
            let applied = self.migrate().await?;
            tracing::info!(applied, "database migrations applied");
            Ok(())
        } else {
            self.verify_migrations().await
        }
    }

    fn start_feed(&self, wake: mpsc::Sender<()>) {
        let settings = self.settings.clone();
        tokio::spawn(listen(settings, self.shared.clone(), wake, FEED_HEARTBEAT));
    }

    fn outage(&self) -> Outage {
        self.shared.outage.clone()
    }
}

impl PostgresStore {
    /// Tries again each operation whose statements the database refused
    /// ([`Shared::queried`]), on a pooled connection, its statements
    /// [`explained`]: checked as they are run, but nothing run. One whose
    /// every statement is answered is mended ([`Shared::answered_again`]),
    /// as if its own call had been; one still refused stays so, said at
    /// DEBUG and not counted again (`marque_db_queries_refused_total`
    /// counts the calls refused, not these tries). Called by
    /// [`Store::writable`], which the change feed's follower asks after
    /// each read of the feed: a refused operation no call makes (a read
    /// only one request made, a write no client retries) is found answered
    /// again at the next poll after it is mended.
    async fn retry_refused(&self) {
        if !self.shared.queries_refused.load(Ordering::Relaxed) {
            return;
        }
        let refused = self.shared.refusals.borrow().clone();
        let Ok(conn) = self.client().await else {
            // The store is out of reach: the follower's next read says so.
            return;
        };
        for operation in refused {
            let tried = conn
                .answered(self.answer, explained(&conn, statements(operation)))
                .await;
            match tried {
                Ok(()) => self.shared.answered_again(operation),
                Err(e) => {
                    tracing::debug!(
                        operation = operation.name(),
                        error = %e,
                        "tried again: the database still refuses the server's statements"
                    );
                }
            }
        }
    }

    /// [`Store::writable`], before [`Shared::queried`] sees its answer.
    async fn ask_writable(&self) -> Result<(), StoreError> {
        if !self.shared.read_only.load(Ordering::Relaxed) {
            // No write of this replica found it read-only: asked all the
            // same, on a pooled session, so that every replica's health
            // says so at its next poll (a failover's old primary, now a
            // standby; a database set read-only whose sessions ended), not
            // only one whose own write was refused.
            let conn = self.client().await?;
            let setting: String = conn
                .answered(self.answer, conn.query_one(sql::READ_ONLY, &[]))
                .await?
                .get(0);
            if setting != "on" {
                return Ok(());
            }
            // Asked again below, on a connection of its own, from the next
            // poll on.
            self.shared.read_only.store(true, Ordering::Relaxed);
            return Err(StoreError::Unavailable(format!(
                "PostgreSQL at {} is read-only (transaction_read_only is on: a standby, or a \
                 failover's old primary): it takes no writes",
                self.shared.place
            )));
        }
        // Asked on a connection of its own: one from the pool may be a
        // session opened while the database was read-only, which stays so.
        let (client, driver) = self.settings.connect(None).await.map_err(|e| {
            self.shared.refused(&e);
            StoreError::Unavailable(format!("{e:#}"))
        })?;
        self.shared.let_in();
        let asked = answered(self.answer, client.query_one(sql::READ_ONLY, &[])).await;
        drop(client);
        driver.abort();
        let read_only: String = asked?.get(0);
        if read_only == "on" {
            return Err(StoreError::Unavailable(format!(
                "PostgreSQL at {} is read-only (transaction_read_only is on: a standby, or a \
                 failover's old primary): it takes no writes",
                self.shared.place
            )));
        }
        // Writable again: the idle connections opened meanwhile are
        // sessions of the read-only database, and go.
        self.pool.retain(|_, _| false);
        self.shared.read_only.store(false, Ordering::Relaxed);
        Ok(())
    }
}

/// How often the change feed's LISTEN connection is asked for a round trip
/// (`LISTEN` again, which changes nothing): it is given up when no answer
/// comes within `--database-connect-timeout`. After its LISTEN the
/// connection carries nothing but notifications, so nothing else notices a
/// database that holds it and answers nothing (a stopped or hung server, a
/// proxy in front of one that is down): TCP keepalives and the TCP user
/// timeout (about a minute) notice only a host that is gone, never one whose
/// kernel still answers for a stopped server, and `marque_change_feed_listening`
/// said 1 all the while. With it, the gauge reads 0 within this plus the
/// connect timeout (10 s by default: the chart's readiness probe's two
/// failures 5 s apart).
pub const FEED_HEARTBEAT: Duration = Duration::from_secs(5);

/// The most failures of the change feed an outage says at WARN
/// ([`listen`]): any further one is said at DEBUG.
const FEED_FAILURES_SAID: usize = 8;

/// Keeps a LISTEN connection open (reconnecting with backoff) and turns each
/// notification into a wake-up, noting in `shared` whether it listens.
/// Stops when nobody listens any more. The connection is asked for a round
/// trip every `heartbeat` ([`FEED_HEARTBEAT`]), and given up when none is
/// answered within the connect timeout.
///
/// A failure to open or LISTEN is logged at WARN the first time the
/// outage (the tries until one listens) meets it, whatever other failures
/// come between: a database that alternates between two (down, then
/// refusing connections, 53300; starting up, then hanging up) is two
/// lines, not one every few seconds, and the gauge says how long it lasts.
/// A refusal no retry mends is said at ERROR too, once, as the pool's are
/// ([`Shared::refused`]).
async fn listen(
    settings: PostgresSettings,
    shared: Arc<Shared>,
    wake: mpsc::Sender<()>,
    heartbeat: Duration,
) {
    let mut backoff = Duration::from_millis(100);
    // The failures this outage has said at WARN.
    let mut said: Vec<String> = Vec::new();
    while !wake.is_closed() {
        let failure = match settings.connect(Some(wake.clone())).await {
            Ok((client, driver)) => {
                shared.let_in();
                let listen = format!("LISTEN {CHANNEL}");
                match answered(settings.answer_limit(), client.batch_execute(&listen)).await {
                    Ok(()) => {
                        shared.listening.store(true, Ordering::Relaxed);
                        tracing::info!("following the change feed");
                        said.clear();
                        backoff = Duration::from_millis(100);
                        // Anything committed while we were away.
                        let _ = wake.try_send(());
                        let lost = while_answering(
                            &client,
                            driver,
                            &listen,
                            (heartbeat, settings.connect_timeout),
                            &wake,
                        )
                        .await;
                        drop(client);
                        shared.listening.store(false, Ordering::Relaxed);
                        let Some(lost) = lost else {
                            // Nobody follows the feed any more (the server
                            // stopped): the connection goes, unmourned.
                            break;
                        };
                        tracing::warn!(
                            why = %lost,
                            "change feed connection lost; reconnecting (other replicas' writes \
                             arrive with the polls meanwhile)"
                        );
                        metrics::counter!("marque_change_feed_reconnects_total").increment(1);
                        None
                    }
                    Err(e) => Some(format!("cannot LISTEN: {e}")),
                }
            }
            Err(e) => {
                shared.refused(&e);
                Some(format!("cannot open the change feed connection: {e:#}"))
            }
        };
        if let Some(failure) = failure {
            // A failure whose text changes with each try (none is known)
            // would be said each time but one: a bound on what is kept.
            if !said.contains(&failure) && said.len() < FEED_FAILURES_SAID {
                tracing::warn!(
                    error = %failure,
                    "the change feed is not listening; other replicas' writes arrive with the \
                     polls until it is (each reason said once until then)"
                );
                said.push(failure);
            } else {
                tracing::debug!(error = %failure, "the change feed is still not listening");
            }
        }
        let _ = wake.try_send(());
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
    shared.listening.store(false, Ordering::Relaxed);
}

/// Holds the change feed's connection (`client`, driven by `driver`) while
/// it answers and someone follows the feed (`wake` is open): `statement`
/// (its LISTEN) is sent again every `every` and must be answered within
/// `limit`. Returns why the connection is lost, or `None` when nobody
/// follows the feed any more; the driver is stopped either way.
async fn while_answering(
    client: &tokio_postgres::Client,
    mut driver: tokio::task::JoinHandle<()>,
    statement: &str,
    (every, limit): (Duration, Duration),
    wake: &mpsc::Sender<()>,
) -> Option<String> {
    let lost = loop {
        tokio::select! {
            _ = &mut driver => return Some("the connection closed".to_owned()),
            () = wake.closed() => break None,
            () = tokio::time::sleep(every) => {}
        }
        match tokio::time::timeout(limit, client.batch_execute(statement)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => break Some(described(&e)),
            Err(_) => {
                metrics::counter!("marque_db_unanswered_total").increment(1);
                break Some(format!("the database did not answer within {limit:?}"));
            }
        }
    };
    driver.abort();
    lost
}

/// [`Store::events_after`]'s rows on `client` (the pool's, or a write
/// transaction's), for [`decode_events`].
/// When the event at `revision` was committed (`committed_at`, to the
/// microsecond), if there is one.
async fn committed_at(
    client: &tokio_postgres::Client,
    revision: i64,
) -> Result<Option<Timestamp>, tokio_postgres::Error> {
    let row = client.query_opt(sql::COMMITTED_AT, &[&revision]).await?;
    Ok(row.map(|row| Timestamp::from(row.get::<_, std::time::SystemTime>(0))))
}

async fn events_after(
    client: &tokio_postgres::Client,
    after: i64,
    limit: usize,
    max_bytes: usize,
) -> Result<Vec<tokio_postgres::Row>, tokio_postgres::Error> {
    // `ahead` is the size of the events before each one; the running sum
    // streams, so the LIMIT still ends the scan. `octet_length` reads the
    // stored length without detoasting the event.
    client
        .query(
            sql::EVENTS_AFTER,
            &[&after, &(limit.min(100_000) as i64), &bytes_i64(max_bytes)],
        )
        .await
}

/// Whether a database host name is this machine (plaintext to it needs no
/// `sslmode=disable`).
fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Resources written (or deleted) per statement of a commit.
const RESOURCE_BATCH: usize = 5_000;

/// A write transaction holding the `registry_head` row lock.
struct PostgresTx {
    /// The connection, in a transaction; rolled back if dropped uncommitted.
    client: Option<Object>,
    /// The pool, to learn on another connection whether a COMMIT whose
    /// answer was lost took effect.
    pool: Pool,
    /// The head revision under the lock.
    head: Revision,
    /// [`PostgresSettings::answer_limit`].
    answer: Duration,
    /// The store's, told what errors say of the database.
    shared: Arc<Shared>,
    /// Set when the connection is to be closed rather than go back to the
    /// pool: it found the database read-only.
    discard: AtomicBool,
}

impl PostgresTx {
    fn client(&self) -> Result<&Object, StoreError> {
        self.client
            .as_ref()
            .ok_or_else(|| StoreError::Internal(anyhow::anyhow!("transaction already finished")))
    }

    /// `request` [`answered`] within the answer limit; an error that says
    /// the database is read-only marks the connection to be closed.
    async fn answered<T>(
        &self,
        request: impl Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> Result<T, StoreError> {
        answered(self.answer, async {
            let answer = request.await;
            if let Err(e) = &answer
                && self.shared.note(e)
            {
                self.discard.store(true, Ordering::Relaxed);
            }
            answer
        })
        .await
    }
}

impl Drop for PostgresTx {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            if *self.discard.get_mut() {
                // A session of a read-only database: never again.
                drop(Object::take(client));
                return;
            }
            // Not committed: roll back before the connection returns to the
            // pool (a failed or unanswered rollback discards the connection
            // instead: a request before it may still be unanswered).
            let answer = self.answer;
            tokio::spawn(async move {
                if answered(answer, client.batch_execute("ROLLBACK"))
                    .await
                    .is_err()
                {
                    drop(Object::take(client));
                }
            });
        }
    }
}

#[async_trait]
impl WriteTx for PostgresTx {
    fn head(&self) -> Revision {
        self.head
    }

    async fn events_after(
        &mut self,
        after: Revision,
        limit: usize,
        max_bytes: usize,
    ) -> Result<Vec<ChangeEvent>, StoreError> {
        // Under the row lock, READ COMMITTED reads every event committed
        // before it was taken.
        let read = async {
            self.answered(events_after(
                self.client()?,
                to_i64(after)?,
                limit,
                max_bytes,
            ))
            .await
        };
        decode_events(&self.shared.queried(Operation::EventsAfter, read.await)?)
    }

    async fn committed_at(&mut self, revision: Revision) -> Result<Option<Timestamp>, StoreError> {
        let revision = to_i64(revision)?;
        let read = answered(self.answer, committed_at(self.client()?, revision)).await;
        self.shared.queried(Operation::CommittedAt, read)
    }

    async fn find_request(
        &mut self,
        actor: &Actor,
        request_id: &str,
    ) -> Result<Option<ChangeEvent>, StoreError> {
        let read = async {
            self.answered(
                self.client()?
                    .query_opt(sql::FIND_REQUEST, &[&actor.member_str(), &request_id]),
            )
            .await
        };
        let row = self.shared.queried(Operation::FindRequest, read.await)?;
        row.map(|row| decode_event(row.get(0))).transpose()
    }

    async fn commit(self: Box<Self>, event: ChangeEvent) -> Result<(), StoreError> {
        let shared = self.shared.clone();
        shared.queried(Operation::Commit, self.commit_event(event).await)
    }
}

impl PostgresTx {
    /// [`WriteTx::commit`], before [`Shared::queried`] sees its answer.
    async fn commit_event(mut self: Box<Self>, event: ChangeEvent) -> Result<(), StoreError> {
        if event.revision != self.head + 1 {
            return Err(StoreError::Internal(anyhow::anyhow!(
                "event revision {} is not the next revision {}",
                event.revision,
                self.head + 1
            )));
        }
        let revision = to_i64(event.revision)?;
        let body = serde_json::to_vec(&event)
            .map_err(|e| StoreError::Internal(anyhow::anyhow!("cannot encode event: {e}")))?;
        let mut brands: Vec<String> = event
            .changes
            .iter()
            .filter_map(|c| c.after.as_ref().or(c.before.as_ref()))
            .filter_map(|r| r.brand().map(|b| b.as_str().to_string()))
            .collect();
        brands.sort();
        brands.dedup();
        let actor_key = match &event.actor {
            Actor::System => None,
            Actor::Member { key, .. } => key.as_ref().map(|key| key.as_str().to_string()),
        };
        let answer = self.answer;
        let client = self.client()?;
        let insert_event = self
            .answered(client.prepare_cached(sql::INSERT_EVENT))
            .await?;
        let committed_at = std::time::SystemTime::from(event.time);
        self.answered(client.execute(
            &insert_event,
            &[
                &revision,
                &committed_at,
                &event.actor.member_str(),
                &actor_key,
                &event.request_id,
                &brands,
                &body,
            ],
        ))
        .await?;
        // The resources as this revision leaves them, in a few statements
        // of up to RESOURCE_BATCH rows each: the row lock on registry_head
        // is held for a few round trips, not one per row (an import
        // writes up to 100,000). A key changed twice in one event takes its
        // last state.
        let mut last: std::collections::HashMap<String, Option<&Resource>> =
            std::collections::HashMap::with_capacity(event.changes.len());
        for change in &event.changes {
            match (&change.before, &change.after) {
                (_, Some(after)) => {
                    last.insert(after.key().to_string(), Some(after));
                }
                (Some(before), None) => {
                    last.insert(before.key().to_string(), None);
                }
                (None, None) => {}
            }
        }
        let mut deleted: Vec<String> = Vec::new();
        let mut written: Vec<(String, &Resource)> = Vec::new();
        for (key, after) in last {
            match after {
                Some(after) => written.push((key, after)),
                None => deleted.push(key),
            }
        }
        if !deleted.is_empty() {
            let delete = self
                .answered(client.prepare_cached(sql::DELETE_RESOURCES))
                .await?;
            for keys in deleted.chunks(RESOURCE_BATCH) {
                self.answered(client.execute(&delete, &[&keys])).await?;
            }
        }
        if !written.is_empty() {
            let upsert = self
                .answered(client.prepare_cached(sql::UPSERT_RESOURCES))
                .await?;
            for rows in written.chunks(RESOURCE_BATCH) {
                let mut keys = Vec::with_capacity(rows.len());
                let mut kinds = Vec::with_capacity(rows.len());
                let mut brands = Vec::with_capacity(rows.len());
                let mut revisions = Vec::with_capacity(rows.len());
                let mut bodies = Vec::with_capacity(rows.len());
                for (key, after) in rows {
                    keys.push(key.as_str());
                    kinds.push(kind(after));
                    brands.push(after.brand().map(|b| b.as_str()));
                    revisions.push(to_i64(update_revision(after))?);
                    bodies.push(serde_json::to_vec(after).map_err(|e| {
                        StoreError::Internal(anyhow::anyhow!("cannot encode resource: {e}"))
                    })?);
                }
                self.answered(
                    client.execute(&upsert, &[&keys, &kinds, &brands, &revisions, &bodies]),
                )
                .await?;
            }
        }
        self.answered(client.execute(sql::SET_HEAD, &[&revision]))
            .await?;
        self.answered(client.execute(&format!("NOTIFY {CHANNEL}, '{revision}'"), &[]))
            .await?;
        let lost = match tokio::time::timeout(answer, client.batch_execute("COMMIT")).await {
            Ok(Ok(())) => None,
            // The database's own answer: nothing was written.
            Ok(Err(e)) if e.code().is_some() => {
                if self.shared.note(&e) {
                    self.discard.store(true, Ordering::Relaxed);
                }
                return Err(classify(e));
            }
            Ok(Err(e)) => Some((described(&e), classify(e))),
            Err(_) => Some((format!("none within {answer:?}"), no_answer(answer))),
        };
        if let Some((lost, error)) = lost {
            // No answer (the connection broke, or said nothing): the
            // database may have committed all the same. Telling the client
            // "nothing written" then would be wrong, and a retry without a
            // request id would write it twice.
            let Some(client) = self.client.take() else {
                return Err(error);
            };
            drop(Object::take(client));
            return self
                .committed_after_all(revision, &body, &lost, error)
                .await;
        }
        // Committed: the connection goes back to the pool as it is.
        self.client.take();
        Ok(())
    }

    /// The stored event of `revision`, read once the row lock is free.
    async fn stored_event(&self, revision: i64) -> Result<Option<tokio_postgres::Row>, String> {
        let conn = Conn::new(
            self.pool
                .get()
                .await
                .map_err(|e| from_pool(e, &self.shared).to_string())?,
            self.shared.clone(),
        );
        conn.answered(self.answer, conn.query_one(sql::LOCK_HEAD, &[]))
            .await
            .map_err(|e| e.to_string())?;
        conn.answered(
            self.answer,
            conn.query_opt(
                "SELECT event FROM change_events WHERE revision = $1",
                &[&revision],
            ),
        )
        .await
        .map_err(|e| e.to_string())
    }

    /// Whether the event of `revision`, whose COMMIT got no answer, was
    /// committed, asked on another connection once the transaction has
    /// ended: the row lock it held is taken (and let go) first, so the
    /// answer is not read while that COMMIT may still be running. Ok when
    /// the store has the event as sent; the COMMIT's error when it has not
    /// (nothing was written); UNAVAILABLE saying the outcome is unknown
    /// when the store cannot tell.
    async fn committed_after_all(
        &self,
        revision: i64,
        body: &[u8],
        lost: &str,
        error: StoreError,
    ) -> Result<(), StoreError> {
        let unknown = |why: String| {
            StoreError::Unavailable(format!(
                "the write's COMMIT got no answer ({lost}) and whether it took effect is unknown \
                 ({why}); retry it with its request id"
            ))
        };
        // Twice: the pool may hand out a connection that broke with the
        // first one and that it has not seen closed yet. Both within one
        // answer limit, so that the write's call, which waited that long
        // for the COMMIT, is answered within about twice it.
        let lookup = async {
            let mut stored = Err(String::new());
            for _ in 0..2 {
                stored = self.stored_event(revision).await;
                if stored.is_ok() {
                    break;
                }
            }
            stored
        };
        let stored = tokio::time::timeout(self.answer, lookup)
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {:?}", self.answer)));
        match stored.map_err(unknown)? {
            Some(row) if row.get::<_, &[u8]>(0) == body => {
                tracing::warn!(
                    revision,
                    error = %lost,
                    "a write's COMMIT got no answer, and the store has it: committed"
                );
                Ok(())
            }
            _ => Err(error),
        }
    }
}

/// Databases that answer as a test needs, for the tests of the store and
/// of the server's start.
#[cfg(test)]
pub(crate) mod testing {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    /// AuthenticationOk, then ReadyForQuery (idle): a start-up let in.
    const LET_IN: [u8; 15] = [b'R', 0, 0, 0, 8, 0, 0, 0, 0, b'Z', 0, 0, 0, 5, b'I'];

    /// Reads a client's start-up message (its length, then the rest);
    /// `None` once the client is gone.
    pub(crate) async fn read_startup(socket: &mut tokio::net::TcpStream) -> Option<Vec<u8>> {
        let length = socket.read_i32().await.ok()?;
        let mut startup = vec![0; (length as usize).checked_sub(4)?];
        socket.read_exact(&mut startup).await.ok()?;
        Some(startup)
    }

    /// Reads a client's next message: its kind and body; `None` once the
    /// client is gone.
    async fn read_message(socket: &mut tokio::net::TcpStream) -> Option<(u8, Vec<u8>)> {
        let kind = socket.read_u8().await.ok()?;
        let length = socket.read_i32().await.ok()?;
        let mut body = vec![0; (length as usize).checked_sub(4)?];
        socket.read_exact(&mut body).await.ok()?;
        Some((kind, body))
    }

    /// What the scripted database does with one connection.
    #[derive(Clone, Copy, Debug)]
    pub(crate) enum Answer {
        /// Refuses its start-up as PostgreSQL does: FATAL, this SQLSTATE
        /// and message.
        Refuse(&'static str, &'static str),
        /// Reads its start-up and closes it without a word.
        HangUp,
        /// Lets it in (AuthenticationOk, ReadyForQuery) and holds it
        /// open, answering nothing more.
        Admit,
    }

    /// The URL of a database that answers the connections made to it, in
    /// turn, as `script` says, and a receiver that is told when the
    /// connection after the script's last has come (every answer of the
    /// script was read by then: the client tried again).
    pub(crate) async fn scripted(
        script: Vec<Answer>,
    ) -> (String, tokio::sync::oneshot::Receiver<()>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("address").port();
        let (done, done_rx) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            let mut admitted = Vec::new();
            for answer in script {
                let (mut socket, _) = listener.accept().await.expect("accept");
                read_startup(&mut socket).await.expect("start-up");
                match answer {
                    Answer::Refuse(code, message) => socket
                        .write_all(&error_response(&[
                            (b'S', "FATAL"),
                            (b'V', "FATAL"),
                            (b'C', code),
                            (b'M', message),
                        ]))
                        .await
                        .expect("answer"),
                    Answer::HangUp => {}
                    Answer::Admit => {
                        socket.write_all(&LET_IN).await.expect("answer");
                        admitted.push(socket);
                    }
                }
            }
            // Held unanswered: that try says nothing before the test
            // reads the log.
            let held = listener.accept().await;
            let _ = done.send(());
            std::future::pending::<()>().await;
            drop((held, admitted));
        });
        (
            format!("postgres://marque@127.0.0.1:{port}/marque?sslmode=disable"),
            done_rx,
        )
    }

    /// A database that lets every connection in and answers every simple
    /// query (as `LISTEN` is answered), until it is frozen: from then on
    /// it holds its connections, old and new, and answers nothing, as a
    /// stopped server (SIGSTOP) whose kernel still takes the bytes.
    pub(crate) struct Freezable {
        /// Its URL.
        pub(crate) url: String,
        /// Set to freeze it.
        pub(crate) frozen: std::sync::Arc<std::sync::atomic::AtomicBool>,
        /// Queries answered so far.
        pub(crate) answered: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    }

    impl Freezable {
        pub(crate) async fn start() -> Freezable {
            use std::sync::atomic::Ordering::SeqCst;
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let port = listener.local_addr().expect("address").port();
            let frozen = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let answered = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let (is_frozen, count) = (frozen.clone(), answered.clone());
            tokio::spawn(async move {
                loop {
                    let Ok((mut socket, _)) = listener.accept().await else {
                        return;
                    };
                    let (frozen, answered) = (is_frozen.clone(), count.clone());
                    tokio::spawn(async move {
                        while_frozen(&frozen).await;
                        if read_startup(&mut socket).await.is_none()
                            || socket.write_all(&LET_IN).await.is_err()
                        {
                            return;
                        }
                        loop {
                            let Some((kind, _)) = read_message(&mut socket).await else {
                                return;
                            };
                            if kind != b'Q' {
                                return;
                            }
                            if frozen.load(SeqCst) {
                                // Held, unanswered, while it lasts.
                                while_frozen(&frozen).await;
                                return;
                            }
                            // CommandComplete "LISTEN", ReadyForQuery.
                            let mut answer = vec![b'C', 0, 0, 0, 11];
                            answer.extend_from_slice(b"LISTEN\0");
                            answer.extend_from_slice(&[b'Z', 0, 0, 0, 5, b'I']);
                            if socket.write_all(&answer).await.is_err() {
                                return;
                            }
                            answered.fetch_add(1, SeqCst);
                        }
                    });
                }
            });
            Freezable {
                url: format!("postgres://marque@127.0.0.1:{port}/marque?sslmode=disable"),
                frozen,
                answered,
            }
        }
    }

    /// A database that lets every connection in and answers each
    /// statement with one row holding the number 7 (a `bigint` column, as
    /// `SELECT revision FROM registry_head` is answered; `off`, as text,
    /// for one that asks `current_setting`), in the simple
    /// protocol and the extended one the driver prepares statements with,
    /// until told to refuse them: from then on it answers each with an
    /// ERROR of the SQLSTATE and message it is given, as PostgreSQL answers
    /// a statement on a table whose privilege was revoked (42501) or that
    /// was dropped (42P01), on connections already open and new ones.
    pub(crate) struct Refusing {
        /// Its URL.
        pub(crate) url: String,
        /// The SQLSTATE and message to refuse statements with, and the
        /// text a statement refused holds (empty: every statement);
        /// `None` answers them.
        pub(crate) refusal: std::sync::Arc<std::sync::Mutex<Option<(String, String, String)>>>,
    }

    impl Refusing {
        pub(crate) async fn start() -> Refusing {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let port = listener.local_addr().expect("address").port();
            let refusal = std::sync::Arc::new(std::sync::Mutex::new(None));
            let shared = refusal.clone();
            tokio::spawn(async move {
                loop {
                    let Ok((socket, _)) = listener.accept().await else {
                        return;
                    };
                    tokio::spawn(Self::serve(socket, shared.clone()));
                }
            });
            Refusing {
                url: format!("postgres://marque@127.0.0.1:{port}/marque?sslmode=disable"),
                refusal,
            }
        }

        /// Refuses every statement from now with `sqlstate` and `message`.
        pub(crate) fn refuse(&self, sqlstate: &str, message: &str) {
            self.refuse_holding(sqlstate, message, "");
        }

        /// Refuses the statements that hold `text` from now with
        /// `sqlstate` and `message`, as a privilege revoked on one table
        /// refuses only the statements on it; answers the others.
        pub(crate) fn refuse_holding(&self, sqlstate: &str, message: &str, text: &str) {
            *self.refusal.lock().expect("refusal") =
                Some((sqlstate.into(), message.into(), text.into()));
        }

        /// Answers every statement from now.
        pub(crate) fn answer(&self) {
            *self.refusal.lock().expect("refusal") = None;
        }

        async fn serve(
            mut socket: tokio::net::TcpStream,
            refusal: std::sync::Arc<std::sync::Mutex<Option<(String, String, String)>>>,
        ) {
            /// A backend message of `kind` holding `body`.
            fn message(kind: u8, body: &[u8]) -> Vec<u8> {
                let mut message = vec![kind];
                message.extend_from_slice(&(body.len() as i32 + 4).to_be_bytes());
                message.extend_from_slice(body);
                message
            }
            if read_startup(&mut socket).await.is_none() || socket.write_all(&LET_IN).await.is_err()
            {
                return;
            }
            // One column, of type `oid`, holding `value` in binary: a row
            // description and a data row.
            fn one_column(oid: i32, value: &[u8]) -> (Vec<u8>, Vec<u8>) {
                let mut columns = 1i16.to_be_bytes().to_vec();
                columns.extend_from_slice(b"answer\0");
                columns.extend_from_slice(&0i32.to_be_bytes());
                columns.extend_from_slice(&0i16.to_be_bytes());
                columns.extend_from_slice(&oid.to_be_bytes());
                columns.extend_from_slice(&(-1i16).to_be_bytes());
                columns.extend_from_slice(&(-1i32).to_be_bytes());
                columns.extend_from_slice(&0i16.to_be_bytes());
                let mut row = 1i16.to_be_bytes().to_vec();
                row.extend_from_slice(&(value.len() as i32).to_be_bytes());
                row.extend_from_slice(value);
                (columns, row)
            }
            let bigint = one_column(20, &7i64.to_be_bytes());
            let (mut columns, mut row) = bigint.clone();
            // Whether the messages up to the next Sync are skipped, after
            // an error, as PostgreSQL skips them.
            let mut failed = false;
            loop {
                let Some((kind, body)) = read_message(&mut socket).await else {
                    return;
                };
                let refused = refusal
                    .lock()
                    .expect("refusal")
                    .clone()
                    .filter(|(_, _, holding)| {
                        body.windows(holding.len().max(1))
                            .any(|w| holding.is_empty() || w == holding.as_bytes())
                    })
                    .map(|(code, text, _)| {
                        error_response(&[
                            (b'S', "ERROR"),
                            (b'V', "ERROR"),
                            (b'C', &code),
                            (b'M', &text),
                        ])
                    });
                let mut answer = Vec::new();
                match kind {
                    b'X' => return,
                    b'S' => {
                        failed = false;
                        answer.extend(message(b'Z', b"I"));
                    }
                    _ if failed => {}
                    b'Q' => {
                        match refused {
                            Some(error) => answer.extend(error),
                            None => {
                                answer.extend(message(b'T', &columns));
                                answer.extend(message(b'D', &row));
                                answer.extend(message(b'C', b"SELECT 1\0"));
                            }
                        }
                        answer.extend(message(b'Z', b"I"));
                    }
                    b'P' => match refused {
                        Some(error) => {
                            failed = true;
                            answer.extend(error);
                        }
                        None => {
                            let asks_setting = body
                                .windows(b"current_setting".len())
                                .any(|w| w == b"current_setting");
                            (columns, row) = if asks_setting {
                                one_column(25, b"off")
                            } else {
                                bigint.clone()
                            };
                            answer.extend(message(b'1', &[]));
                        }
                    },
                    // A statement's: no parameters, the one column.
                    b'D' if body.first() == Some(&b'S') => {
                        answer.extend(message(b't', &0i16.to_be_bytes()));
                        answer.extend(message(b'T', &columns));
                    }
                    b'D' => answer.extend(message(b'n', &[])),
                    b'B' => answer.extend(message(b'2', &[])),
                    b'E' => {
                        answer.extend(message(b'D', &row));
                        answer.extend(message(b'C', b"SELECT 1\0"));
                    }
                    b'C' => answer.extend(message(b'3', &[])),
                    _ => {}
                }
                if socket.write_all(&answer).await.is_err() {
                    return;
                }
            }
        }
    }

    /// Waits while `frozen` is set.
    async fn while_frozen(frozen: &std::sync::atomic::AtomicBool) {
        while frozen.load(std::sync::atomic::Ordering::SeqCst) {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// An ErrorResponse message of `fields` ((type byte, value) pairs).
    pub(crate) fn error_response(fields: &[(u8, &str)]) -> Vec<u8> {
        let mut body = Vec::new();
        for (field, value) in fields {
            body.push(*field);
            body.extend_from_slice(value.as_bytes());
            body.push(0);
        }
        body.push(0);
        let mut message = vec![b'E'];
        message.extend_from_slice(&(body.len() as i32 + 4).to_be_bytes());
        message.extend_from_slice(&body);
        message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A URL's passwords, in its user info or its parameters, are never
    /// shown; what holds no secret is.
    #[test]
    fn a_shown_url_hides_its_passwords() {
        for (url, shown) in [
            (
                "postgres://marque:hunter2@db.example.internal:5432/marque?sslmode=require",
                "postgres://marque:<redacted>@db.example.internal:5432/marque?sslmode=require",
            ),
            (
                "postgresql://marque@db/marque?password=hunter2&application_name=m",
                "postgresql://marque@db/marque?password=<redacted>&application_name=m",
            ),
            (
                "postgres://m:hun@ter/2@db/m?pass%77ord=hunter2",
                "postgres://m:<redacted>@db/m?pass%77ord=<redacted>",
            ),
            (
                "postgres://db/m?sslpassword=hunter2&sslmode=require",
                "postgres://db/m?sslpassword=<redacted>&sslmode=require",
            ),
            (
                "postgres://postgres@127.0.0.1:5432/postgres",
                "postgres://postgres@127.0.0.1:5432/postgres",
            ),
            ("postgres://[::1]:5432/m", "postgres://[::1]:5432/m"),
            ("host=db user=marque password=hunter2", "<redacted>"),
            ("", "<redacted>"),
        ] {
            assert_eq!(redacted_url(url), shown, "{url}");
        }
        let settings = PostgresSettings::new("postgres://marque:hunter2@db/marque");
        let debug = format!("{settings:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("marque:<redacted>@db"), "{debug}");
    }

    /// The URL of a server that answers a connection's start-up with
    /// `fields`, an ErrorResponse's (type byte, value) pairs, as PostgreSQL
    /// does when it refuses one: the driver's error holds a [`DbError`] as
    /// the database would send it, DETAIL and HINT included.
    ///
    /// [`DbError`]: tokio_postgres::error::DbError
    async fn refusing(fields: &[(u8, &str)]) -> String {
        use tokio::io::AsyncWriteExt as _;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("address").port();
        let message = testing::error_response(fields);
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.expect("accept");
            testing::read_startup(&mut socket).await.expect("start-up");
            socket.write_all(&message).await.expect("answer");
        });
        format!("postgres://marque@127.0.0.1:{port}/marque?sslmode=disable")
    }

    /// The driver's error for a connection [`refusing`] with `fields`.
    async fn answered_with(fields: &[(u8, &str)]) -> tokio_postgres::Error {
        tokio_postgres::connect(&refusing(fields).await, NoTls)
            .await
            .err()
            .expect("the start-up is refused")
    }

    /// A database error is described by its severity, SQLSTATE, message and
    /// the names it gives, never its DETAIL or HINT, which quote rows: not
    /// in the description, nor anywhere in the store error made of it.
    #[tokio::test]
    async fn a_database_error_is_described_without_its_detail_or_hint() {
        let error = answered_with(&[
            (b'S', "ERROR"),
            (b'V', "ERROR"),
            (b'C', "23505"),
            (
                b'M',
                "duplicate key value violates unique constraint \"service_secrets_pkey\"",
            ),
            (b'D', "Key (name)=(row-value-marker) already exists."),
            (b'H', "hint-marker"),
            (b'W', "SQL statement \"INSERT … context-marker\""),
            (b's', "public"),
            (b't', "service_secrets"),
            (b'c', "name"),
            (b'd', "text"),
            (b'n', "service_secrets_pkey"),
        ])
        .await;
        let db = error.as_db_error().expect("the database's error");
        assert_eq!(
            db.detail(),
            Some("Key (name)=(row-value-marker) already exists.")
        );
        assert_eq!(db.hint(), Some("hint-marker"));
        assert_eq!(
            described(&error),
            "database error: ERROR 23505 duplicate key value violates unique constraint \
             \"service_secrets_pkey\" (schema public, table service_secrets, column name, \
             data type text, constraint service_secrets_pkey)"
        );
        let StoreError::Internal(cause) = classify(error) else {
            panic!("a unique violation is a fault");
        };
        for shown in [format!("{cause:#}"), format!("{cause:?}")] {
            for marker in ["row-value-marker", "hint-marker", "context-marker"] {
                assert!(!shown.contains(marker), "{shown}");
            }
        }
        // Without names, none are given; a transient class is UNAVAILABLE.
        let error = answered_with(&[
            (b'S', "FATAL"),
            (b'V', "FATAL"),
            (b'C', "57P03"),
            (b'M', "the database system is starting up"),
            (b'D', "row-value-marker"),
        ])
        .await;
        let StoreError::Unavailable(why) = classify(error) else {
            panic!("a database starting up is transient");
        };
        assert_eq!(
            why,
            "database error: FATAL 57P03 the database system is starting up"
        );
    }

    /// The store's errors made of a database error (a connection refused
    /// at start-up, a migration that failed) say it as [`described`] does,
    /// also in their source chain, which `{:#}` and `{:?}` print.
    #[tokio::test]
    async fn errors_made_of_a_database_error_describe_it() {
        const REFUSAL: &[(u8, &str)] = &[
            (b'S', "FATAL"),
            (b'V', "FATAL"),
            (b'C', "28000"),
            (b'M', "role \"marque\" is not permitted to log in"),
            (b'D', "row-value-marker"),
            (b'H', "hint-marker"),
        ];
        let described = "database error: FATAL 28000 role \"marque\" is not permitted to log in";
        let settings = PostgresSettings::new(refusing(REFUSAL).await);
        let place = settings.place();
        let refused = settings.connect(None).await.expect_err("refused");
        assert_eq!(
            format!("{refused:#}"),
            format!("cannot connect to PostgreSQL at {place}: {described}")
        );
        assert!(is_unreachable(&refused), "a refused connection may pass");

        use refinery::error::WrapMigrationError as _;
        let migration = Err::<(), _>(answered_with(REFUSAL).await)
            .migration_err("error applying migrations", None)
            .expect_err("a driver's error");
        let migration = migration_error(migration);
        assert_eq!(
            format!("{migration:#}"),
            format!("error applying migrations: {described}")
        );
        for shown in [format!("{refused:?}"), format!("{migration:?}")] {
            for marker in ["row-value-marker", "hint-marker"] {
                assert!(!shown.contains(marker), "{shown}");
            }
        }
    }

    /// Any other driver error is its message with its causes: the driver's
    /// own says only what failed.
    #[tokio::test]
    async fn a_driver_error_is_described_with_its_causes() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        drop(listener);
        let url = format!("postgres://marque@127.0.0.1:{port}/marque?sslmode=disable");
        let error = tokio_postgres::connect(&url, NoTls)
            .await
            .err()
            .expect("nothing listens");
        assert!(error.as_db_error().is_none(), "{error:?}");
        let why = described(&error);
        assert!(
            why.starts_with("error connecting to server: ") && why.contains("refused"),
            "{why}"
        );
        assert!(
            matches!(classify(error), StoreError::Unavailable(text) if text == why),
            "a connection refused is transient"
        );
        let invalid = "host=127.0.0.1 port=none"
            .parse::<tokio_postgres::Config>()
            .expect_err("no port");
        assert_eq!(
            described(&invalid),
            "invalid connection string: invalid value for option `port`"
        );
    }

    /// Whatever the database answers a connection's start-up with (it
    /// accepts no connections, does not exist, refuses the role, is
    /// starting), a call that needs one is UNAVAILABLE, with where the
    /// database is: a call cannot tell it from a database that is down.
    #[tokio::test]
    async fn a_connection_the_database_refuses_is_unavailable() {
        for (code, message) in [
            (
                "55000",
                "database \"marque\" is not currently accepting connections",
            ),
            ("3D000", "database \"marque\" does not exist"),
            (
                "28P01",
                "password authentication failed for user \"marque\"",
            ),
            ("28000", "no pg_hba.conf entry for host \"10.0.0.1\""),
            ("57P03", "the database system is starting up"),
        ] {
            let url = refusing(&[
                (b'S', "FATAL"),
                (b'V', "FATAL"),
                (b'C', code),
                (b'M', message),
            ])
            .await;
            let port = url
                .split(['@', ':', '/'])
                .find_map(|part| part.parse::<u16>().ok())
                .expect("port");
            let store = PostgresStore::new(PostgresSettings::new(url)).expect("store");
            match store.committed_head().await {
                Err(StoreError::Unavailable(why)) => assert_eq!(
                    why,
                    format!(
                        "cannot connect to PostgreSQL at 127.0.0.1:{port} (database marque): \
                         database error: FATAL {code} {message}"
                    )
                ),
                other => panic!("{code}: {other:?}"),
            }
        }
    }

    /// A write the database refuses for being read-only is UNAVAILABLE, and
    /// the store notes it: the connection is closed, not pooled again.
    #[tokio::test]
    async fn a_write_refused_by_a_read_only_database_is_unavailable_and_noted() {
        let error = answered_with(&[
            (b'S', "ERROR"),
            (b'V', "ERROR"),
            (b'C', "25006"),
            (
                b'M',
                "cannot execute SELECT FOR UPDATE in a read-only transaction",
            ),
        ])
        .await;
        let shared = Shared::new(String::new(), Vec::new());
        assert!(shared.note(&error), "the connection is to be closed");
        assert!(shared.read_only.load(Ordering::Relaxed));
        assert!(matches!(
            classify(error),
            StoreError::Unavailable(why)
                if why == "database error: ERROR 25006 cannot execute SELECT FOR UPDATE in a \
                           read-only transaction"
        ));
        // Any other error answered leaves the store as it was.
        let other = answered_with(&[
            (b'S', "ERROR"),
            (b'V', "ERROR"),
            (b'C', "23505"),
            (b'M', "duplicate key value"),
        ])
        .await;
        let shared = Shared::new(String::new(), Vec::new());
        assert!(!shared.note(&other));
        assert!(!shared.read_only.load(Ordering::Relaxed));
    }

    /// Where a URL connects, as messages name it: hosts and ports, and the
    /// database (the user's when none is named); never a password.
    #[test]
    fn a_place_names_the_hosts_ports_and_database_and_no_password() {
        let place = |url: &str| PostgresSettings::new(url).place();
        assert_eq!(
            place("postgres://marque:hunter2@db.example.internal:6432/registry?sslmode=require"),
            "db.example.internal:6432 (database registry)"
        );
        assert_eq!(
            place("postgres://marque:hunter2@127.0.0.1"),
            "127.0.0.1:5432 (database marque)"
        );
        assert_eq!(
            place(
                "host=a.internal,b.internal port=5433,5434 user=marque password=hunter2 dbname=x sslmode=require"
            ),
            "a.internal:5433,b.internal:5434 (database x)"
        );
        assert_eq!(
            place("postgres://marque@[::1]:5433/x"),
            "[::1]:5433 (database x)"
        );
        assert_eq!(
            place("postgres:///x?host=/run/postgresql"),
            "/run/postgresql:5432 (database x)"
        );
        assert_eq!(place("not a url"), "an invalid database URL");
    }

    /// `marque migrate` tries a database it cannot reach again, with
    /// backoff, for the wait it is given, then says it gave up, and where
    /// the database is.
    #[tokio::test]
    async fn migrating_waits_for_the_database_a_bounded_time() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        drop(listener);
        let store = PostgresStore::new(PostgresSettings::new(format!(
            "postgres://marque:hunter2@127.0.0.1:{port}/registry?sslmode=disable"
        )))
        .expect("store");
        let started = std::time::Instant::now();
        let failed = store
            .migrate_within(Duration::from_millis(900))
            .await
            .expect_err("nothing listens");
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(900) && took < Duration::from_secs(5),
            "{took:?}"
        );
        let text = format!("{failed:#}");
        assert!(
            text.starts_with("the database was still out of reach after"),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "cannot connect to PostgreSQL at 127.0.0.1:{port} (database registry): error \
                 connecting to server"
            )),
            "{text}"
        );
        assert!(!text.contains("hunter2"), "{text}");
        // No wait: one try.
        let started = std::time::Instant::now();
        let failed = store
            .migrate_within(Duration::ZERO)
            .await
            .expect_err("nothing listens");
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(is_unreachable(&failed), "{failed:#}");
    }

    fn refused_with(code: &str) -> anyhow::Error {
        anyhow::Error::new(Unreachable {
            text: format!("cannot connect: database error: FATAL {code} refused"),
            sqlstate: Some(SqlState::from_code(code)),
        })
    }

    /// An outage says each thing that blocks the database once, whatever
    /// failures come between (it said a refusal again after any other
    /// error), and again only once it is over.
    #[test]
    fn an_outage_says_each_refusal_once_until_it_is_over() {
        let outage = Outage::default();
        let down = anyhow::Error::new(Unreachable {
            text: "error connecting to server: Connection refused".into(),
            sqlstate: None,
        });
        let starting = refused_with("57P03");
        let said: Vec<Option<String>> = [
            refused_with("28P01"),
            down,
            refused_with("28P01"),
            starting,
            refused_with("3D000"),
            refused_with("28P01"),
            refused_with("3D000"),
        ]
        .iter()
        .map(|error| outage.first(error).map(|blocked| blocked.to_string()))
        .collect();
        assert_eq!(
            said,
            [
                Some("SQLSTATE 28P01".to_owned()),
                None,
                None,
                None,
                Some("SQLSTATE 3D000".to_owned()),
                None,
                None
            ]
        );
        let mended: Vec<String> = outage.over().iter().map(ToString::to_string).collect();
        assert_eq!(mended, ["SQLSTATE 28P01", "SQLSTATE 3D000"]);
        // The next outage says it again.
        assert!(outage.first(&refused_with("28P01")).is_some());
        assert!(outage.first(&refused_with("28P01")).is_none());
    }

    /// The rendered metrics' value of `series`, 0 when absent.
    fn metric(series: &str) -> f64 {
        let handle = crate::metrics::install().expect("the recorder");
        handle
            .render()
            .lines()
            .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
            .unwrap_or(0.0)
    }

    /// A statement the database refuses with a SQLSTATE no retry mends,
    /// on a connection already open (a privilege revoked while the server
    /// serves): UNAVAILABLE, said at ERROR with its SQLSTATE and what to
    /// do once, at DEBUG after, counted, and said mended at INFO once the
    /// operation it refused is answered again. It was INTERNAL, an ERROR
    /// line per call, counted nowhere.
    #[tokio::test]
    async fn a_statement_refused_for_a_privilege_is_unavailable_and_said_once() {
        let log = crate::telemetry::Captured::start();
        let database = testing::Refusing::start().await;
        let store = PostgresStore::new(PostgresSettings::new(database.url.clone())).expect("store");
        // A connection opened while all was well, kept in the pool.
        assert_eq!(store.committed_head().await.expect("answered"), 7);
        let series = "marque_db_queries_refused_total{sqlstate=\"42501\"}";
        let before = metric(series);
        database.refuse("42501", "permission denied for table registry_head");
        for _ in 0..3 {
            match store.committed_head().await {
                Err(StoreError::Unavailable(why)) => assert!(
                    why.contains("42501 permission denied for table registry_head"),
                    "{why}"
                ),
                other => panic!("not UNAVAILABLE: {other:?}"),
            }
        }
        assert!(metric(series) >= before + 3.0, "{}", metric(series));
        let lines = log.lines();
        let errors: Vec<&String> = lines
            .iter()
            .filter(|l| l.split_whitespace().nth(1) == Some("ERROR"))
            .collect();
        assert_eq!(errors.len(), 1, "{lines:#?}");
        assert!(
            errors[0].contains("sqlstate=\"42501\"")
                && errors[0].contains("insufficient_privilege")
                && errors[0].contains("grant it")
                && errors[0].contains("operation=\"committed_head\""),
            "{lines:#?}"
        );
        let later = lines
            .iter()
            .filter(|l| l.split_whitespace().nth(1) == Some("DEBUG") && l.contains("still refuses"))
            .count();
        assert_eq!(later, 2, "{lines:#?}");
        // Another operation answered mends nothing it did not refuse (the
        // follower's look, without its re-try of what was refused).
        database.answer();
        store
            .shared
            .queried(Operation::Writable, store.ask_writable().await)
            .expect("answered");
        let mended = |lines: &[String]| {
            lines
                .iter()
                .filter(|l| {
                    l.split_whitespace().nth(1) == Some("INFO")
                        && l.contains("answers the server's statements")
                })
                .count()
        };
        assert_eq!(mended(&log.lines()), 0, "{:#?}", log.lines());
        assert_eq!(store.committed_head().await.expect("answered"), 7);
        store.committed_head().await.expect("answered");
        let lines = log.lines();
        assert_eq!(mended(&lines), 1, "{lines:#?}");
        assert!(
            lines
                .iter()
                .any(|l| l.contains("mended=\"SQLSTATE 42501 on queries\"")),
            "{lines:#?}"
        );
        // The next outage says its own again.
        database.refuse("42P01", "relation \"registry_head\" does not exist");
        assert!(matches!(
            store.committed_head().await,
            Err(StoreError::Unavailable(_))
        ));
        let lines = log.lines();
        let errors: Vec<&String> = lines
            .iter()
            .filter(|l| l.split_whitespace().nth(1) == Some("ERROR"))
            .collect();
        assert_eq!(errors.len(), 2, "{lines:#?}");
        assert!(errors[1].contains("undefined_table"), "{lines:#?}");
    }

    /// A write's statement refused (a privilege revoked): the write's
    /// operation is announced refused, and the store says it takes no
    /// writes at each of the follower's looks, however often the database
    /// answers those looks' own statements, until the refused statements,
    /// tried again by the looks without any write, are answered: then it
    /// takes writes again, and nothing is announced refused. A read's
    /// refusal is tried again too, and mended without its read made again:
    /// it never kept the store from taking writes. The tries are not
    /// counted as refused calls.
    #[tokio::test]
    async fn a_refused_operation_is_tried_again_by_each_look_until_answered() {
        let log = crate::telemetry::Captured::start();
        let database = testing::Refusing::start().await;
        let store = PostgresStore::new(PostgresSettings::new(database.url.clone())).expect("store");
        let refused = store.refused();
        store.writable().await.expect("writable");
        assert!(refused.borrow().is_empty());
        // No other test refuses with this SQLSTATE: its count is this one's.
        let series = "marque_db_queries_refused_total{sqlstate=\"42703\"}";
        let counted = metric(series);

        // The write lock's statement refused; the looks' own answered.
        database.refuse_holding("42703", "column \"singleton\" does not exist", "FOR UPDATE");
        assert!(matches!(
            store.begin().await,
            Err(StoreError::Unavailable(_))
        ));
        assert_eq!(*refused.borrow(), [Operation::Begin]);
        for _ in 0..3 {
            match store.writable().await {
                Err(StoreError::Unavailable(why)) => assert!(why.contains("begin"), "{why}"),
                other => panic!("not UNAVAILABLE: {other:?}"),
            }
            assert_eq!(*refused.borrow(), [Operation::Begin]);
        }
        assert_eq!(
            metric(series),
            counted + 1.0,
            "the call counted, not the tries"
        );
        // Mended: the next look finds the statement answered, with no
        // write made.
        database.answer();
        store.writable().await.expect("writable again");
        assert!(refused.borrow().is_empty());
        assert!(
            log.lines()
                .iter()
                .any(|l| l.contains("answers the server's statements again")
                    && l.contains("operation=\"begin\"")),
            "{:#?}",
            log.lines()
        );

        // A read's statement refused: the store still takes writes, and the
        // looks try the read again until it is answered.
        database.refuse_holding(
            "42703",
            "column \"revision\" does not exist",
            "SELECT revision FROM registry_head",
        );
        assert!(matches!(
            store.committed_head().await,
            Err(StoreError::Unavailable(_))
        ));
        assert_eq!(*refused.borrow(), [Operation::CommittedHead]);
        store
            .writable()
            .await
            .expect("a read refused takes no writes away");
        assert_eq!(*refused.borrow(), [Operation::CommittedHead]);
        database.answer();
        store.writable().await.expect("writable");
        assert!(refused.borrow().is_empty());
        assert_eq!(metric(series), counted + 2.0);
    }

    /// A statement refused with a SQLSTATE a retry may mend, or none the
    /// operator is needed for, stays what it was: a fault is INTERNAL.
    #[tokio::test]
    async fn a_statement_refused_otherwise_is_no_refusal() {
        let database = testing::Refusing::start().await;
        let store = PostgresStore::new(PostgresSettings::new(database.url.clone())).expect("store");
        database.refuse("22P02", "invalid input syntax for type bigint");
        assert!(matches!(
            store.committed_head().await,
            Err(StoreError::Internal(_))
        ));
        database.refuse("40001", "could not serialize access");
        assert!(matches!(
            store.committed_head().await,
            Err(StoreError::Unavailable(_))
        ));
    }

    /// `marque migrate` says a refusal at ERROR once in its wait, however
    /// the database fails between two of them (it said it again after a
    /// connection dropped, or after another refusal): each other try is a
    /// WARN line.
    #[tokio::test]
    async fn migrating_says_each_refusal_at_error_once_whatever_comes_between() {
        use testing::Answer::{HangUp, Refuse};
        let log = crate::telemetry::Captured::start();
        let password = Refuse(
            "28P01",
            "password authentication failed for user \"marque\"",
        );
        let database = Refuse("3D000", "database \"marque\" does not exist");
        let (url, done) =
            testing::scripted(vec![password, HangUp, password, database, password]).await;
        let store = PostgresStore::new(PostgresSettings::new(url)).expect("store");
        tokio::select! {
            failed = store.migrate_within(Duration::from_secs(60)) => {
                panic!("gave up before its wait: {failed:?}")
            }
            _ = done => {}
        }
        let lines = log.lines();
        let errors: Vec<&String> = lines.iter().filter(|l| l.contains(" ERROR ")).collect();
        assert_eq!(errors.len(), 2, "{lines:#?}");
        assert!(
            errors[0].contains("sqlstate=\"28P01\"") && errors[0].contains("invalid_password"),
            "{lines:#?}"
        );
        assert!(errors[1].contains("sqlstate=\"3D000\""), "{lines:#?}");
        let warned = lines
            .iter()
            .filter(|l| l.contains(" WARN ") && l.contains("database not ready"))
            .count();
        assert_eq!(warned, 3, "{lines:#?}");
    }

    /// A refusal of the pool's new connections while serving (a password
    /// rotated, a grant or the role revoked, the database dropped) is said
    /// at ERROR, with its SQLSTATE and what to do, once an outage, however
    /// many calls fail on it and whatever failures come between (it was
    /// said nowhere but in each call's own error); a connection that gets
    /// in says it mended, at INFO, and the next outage says it again. Each
    /// call that needed a connection is UNAVAILABLE with the refusal.
    #[tokio::test]
    async fn serving_says_a_refusal_of_new_connections_at_error_once_an_outage() {
        use testing::Answer::{Admit, HangUp, Refuse};
        let log = crate::telemetry::Captured::start();
        let password = Refuse(
            "28P01",
            "password authentication failed for user \"marque\"",
        );
        let database = Refuse("3D000", "database \"marque\" does not exist");
        let (url, _held) = testing::scripted(vec![
            password, password, HangUp, password, database, database, Admit, password,
        ])
        .await;
        let store = PostgresStore::new(PostgresSettings::new(url)).expect("store");
        let mut refused = Vec::new();
        for _ in 0..6 {
            match store.client().await.err() {
                Some(StoreError::Unavailable(why)) => refused.push(why),
                other => panic!("{other:?}"),
            }
        }
        assert!(
            refused[0].ends_with("FATAL 28P01 password authentication failed for user \"marque\""),
            "{refused:?}"
        );
        assert!(refused[4].contains("FATAL 3D000"), "{refused:?}");
        // Held, so that the next call opens a connection of its own.
        let admitted = store.client().await.expect("let in");
        assert!(matches!(
            store.client().await.err(),
            Some(StoreError::Unavailable(why)) if why.contains("FATAL 28P01")
        ));
        drop(admitted);
        let lines = log.lines();
        let said: Vec<&String> = lines
            .iter()
            .filter(|l| l.contains(" ERROR ") || l.contains(" INFO "))
            .collect();
        assert_eq!(said.len(), 4, "{lines:#?}");
        assert!(
            said[0].contains(" ERROR ")
                && said[0].contains("sqlstate=\"28P01\"")
                && said[0].contains("invalid_password")
                && said[0].contains("refuses the server's new connections"),
            "{lines:#?}"
        );
        assert!(
            said[1].contains(" ERROR ") && said[1].contains("sqlstate=\"3D000\""),
            "{lines:#?}"
        );
        assert!(
            said[2].contains(" INFO ")
                && said[2].contains("the database lets the server in now")
                && said[2].contains("SQLSTATE 28P01; SQLSTATE 3D000"),
            "{lines:#?}"
        );
        assert!(
            said[3].contains(" ERROR ") && said[3].contains("sqlstate=\"28P01\""),
            "{lines:#?}"
        );
    }

    /// The change feed says each reason it cannot listen at WARN once an
    /// outage, whatever comes between (it said one again whenever the
    /// reason before was another: a database starting up that hangs up
    /// between, a line every few seconds), and a refusal no retry mends at
    /// ERROR once, as the pool's are.
    #[tokio::test]
    async fn a_change_feed_says_each_reason_once_an_outage() {
        use testing::Answer::{HangUp, Refuse};
        let log = crate::telemetry::Captured::start();
        let starting = Refuse("57P03", "the database system is starting up");
        let password = Refuse(
            "28P01",
            "password authentication failed for user \"marque\"",
        );
        let (url, done) =
            testing::scripted(vec![starting, HangUp, password, starting, password]).await;
        let settings = PostgresSettings::new(url);
        let store = PostgresStore::new(settings.clone()).expect("store");
        let (wake, _woken) = mpsc::channel(1);
        let feed = tokio::spawn(listen(settings, store.shared.clone(), wake, FEED_HEARTBEAT));
        done.await.expect("every answer read");
        feed.abort();
        let lines = log.lines();
        let warned: Vec<&String> = lines
            .iter()
            .filter(|l| l.contains(" WARN ") && l.contains("the change feed is not listening"))
            .collect();
        assert_eq!(warned.len(), 3, "{lines:#?}");
        assert!(warned[0].contains("FATAL 57P03"), "{lines:#?}");
        assert!(warned[2].contains("FATAL 28P01"), "{lines:#?}");
        let errors: Vec<&String> = lines.iter().filter(|l| l.contains(" ERROR ")).collect();
        assert_eq!(errors.len(), 1, "{lines:#?}");
        assert!(errors[0].contains("sqlstate=\"28P01\""), "{lines:#?}");
    }

    /// A Unix socket directory that does not exist (a volume not mounted,
    /// a proxy that has not made it yet) is named, apart from a database
    /// that is down: `marque migrate` stops at once saying so, and a call
    /// that needs a connection is UNAVAILABLE saying so. A directory that
    /// exists without a socket in it is a database down, as before.
    #[tokio::test]
    async fn a_socket_directory_that_does_not_exist_is_named_and_stops_migrating() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("cloudsql");
        let url = format!(
            "postgres://marque:hunter2@%2F{}/marque",
            missing
                .display()
                .to_string()
                .trim_start_matches('/')
                .replace('/', "%2F")
        );
        let store = PostgresStore::new(PostgresSettings::new(&url)).expect("store");
        let started = std::time::Instant::now();
        let failed = store
            .migrate_within(Duration::from_secs(300))
            .await
            .expect_err("no socket");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        let text = format!("{failed:#}");
        let shown = missing.display().to_string();
        assert!(
            text.contains(&format!(
                "the directory of its Unix socket, {shown}, does not exist"
            )),
            "{text}"
        );
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!is_unreachable(&failed), "{text}");
        assert_eq!(
            Blocked::of(&failed),
            Some(Blocked::NoSocketDirectory {
                directories: vec![missing.clone()]
            })
        );
        match store.committed_head().await {
            Err(StoreError::Unavailable(why)) => {
                assert!(why.contains(&format!("{shown}, does not exist")), "{why}")
            }
            other => panic!("{other:?}"),
        }
        // The directory made, with no socket in it: a database down.
        std::fs::create_dir(&missing).expect("mkdir");
        let failed = store
            .migrate_within(Duration::ZERO)
            .await
            .expect_err("no socket");
        assert!(is_unreachable(&failed), "{failed:#}");
        assert_eq!(Blocked::of(&failed), None, "{failed:#}");
    }

    /// A database that holds the change feed's connection and answers
    /// nothing (a stopped server, SIGSTOP: its kernel still acknowledges
    /// the bytes and the keepalives) is noticed: the connection is asked
    /// for a round trip every heartbeat and given up when none comes
    /// within the connect timeout. `listening` said 1 all the while: after
    /// its LISTEN the connection carried nothing to notice it with.
    /// Answered round trips keep it listening.
    #[tokio::test]
    async fn a_change_feed_whose_database_stops_answering_stops_listening() {
        use std::sync::atomic::Ordering::SeqCst;
        let database = testing::Freezable::start().await;
        let mut settings = PostgresSettings::new(&database.url);
        settings.connect_timeout = Duration::from_millis(300);
        let store = PostgresStore::new(settings.clone()).expect("store");
        let (wake, mut woken) = mpsc::channel(1);
        let heartbeat = Duration::from_millis(100);
        let feed = tokio::spawn(listen(settings, store.shared.clone(), wake, heartbeat));
        let until = |listening: bool| {
            let store = &store;
            async move {
                tokio::time::timeout(Duration::from_secs(20), async {
                    while store.change_feed_listening() != listening {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                })
                .await
                .unwrap_or_else(|_| panic!("listening never read {listening}"));
            }
        };
        until(true).await;
        // Its LISTEN and a few round trips answered: still listening.
        while database.answered.load(SeqCst) < 4 {
            tokio::time::sleep(Duration::from_millis(10)).await;
            assert!(store.change_feed_listening());
            let _ = woken.try_recv();
        }
        database.frozen.store(true, SeqCst);
        until(false).await;
        // It answers again: listening again, on a new connection.
        database.frozen.store(false, SeqCst);
        until(true).await;
        feed.abort();
    }

    fn ssl_mode(url: &str) -> anyhow::Result<SslMode> {
        Ok(PostgresSettings::new(url).pg_config()?.get_ssl_mode())
    }

    #[test]
    fn a_remote_database_needs_an_sslmode_written_down() {
        let refused = ssl_mode("postgres://marque@db.example.internal/marque")
            .expect_err("no sslmode for a remote host");
        assert!(
            refused
                .to_string()
                .contains("db.example.internal sets no sslmode"),
            "{refused}"
        );
        assert!(ssl_mode("host=db.example.internal user=marque sslmode=prefer").is_err());
        for local in [
            "postgres://postgres@127.0.0.1:5432/postgres",
            "postgres://postgres@localhost/postgres",
            "postgres://postgres@[::1]:5432/postgres",
            "host=/var/run/postgresql user=postgres",
        ] {
            assert_eq!(ssl_mode(local).expect(local), SslMode::Prefer, "{local}");
        }
        assert_eq!(
            ssl_mode("postgres://m@db.example.internal/m?sslmode=disable")
                .expect("plaintext, said"),
            SslMode::Disable
        );
        // The URL's own options stay, before the statement timeout.
        let options =
            PostgresSettings::new("postgres://m@127.0.0.1/m?options=-c%20search_path%3Dbrands")
                .pg_config()
                .expect("config");
        assert_eq!(
            options.get_options(),
            Some(
                "-c search_path=brands -c statement_timeout=30000 \
                 -c idle_in_transaction_session_timeout=30000 -c tcp_keepalives_idle=30 \
                 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=3"
            )
        );
        assert_eq!(options.get_keepalives_idle(), KEEPALIVE_IDLE);
        assert_eq!(
            options.get_tcp_user_timeout(),
            Some(&Duration::from_secs(60))
        );
        // A URL's own keepalives and user timeout stay.
        let own = PostgresSettings::new(
            "postgres://m@127.0.0.1/m?keepalives_idle=600&tcp_user_timeout=5",
        )
        .pg_config()
        .expect("config");
        assert_eq!(own.get_keepalives_idle(), Duration::from_secs(600));
        assert_eq!(own.get_tcp_user_timeout(), Some(&Duration::from_secs(5)));
        // libpq's verifying modes are `require` here, which verifies.
        for mode in ["verify-full", "verify-ca", "require"] {
            let url = format!("postgres://m@db.example.internal/m?sslmode={mode}");
            assert_eq!(ssl_mode(&url).expect(mode), SslMode::Require, "{mode}");
        }
    }

    /// A database CA that holds no certificate (an empty file, a key, the
    /// wrong key of a Secret) is refused when the store is made, naming
    /// the file, as is a CA given for a URL that asks for no TLS; a CA
    /// that holds one is taken.
    #[test]
    fn a_database_ca_without_a_certificate_or_without_tls_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let certified = rcgen::generate_simple_self_signed(vec!["db.example.internal".into()])
            .expect("certificate");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "").expect("write");
        let key_only = dir.path().join("key.pem");
        std::fs::write(&key_only, certified.signing_key.serialize_pem()).expect("write");
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, certified.cert.pem()).expect("write");
        let store = |url: &str, file: &std::path::Path| {
            let mut settings = PostgresSettings::new(url);
            settings.ca_file = Some(file.to_path_buf());
            PostgresStore::new(settings).map(drop)
        };
        let require = "postgres://m@db.example.internal/m?sslmode=verify-full";
        for file in [&empty, &key_only] {
            let message = format!("{:#}", store(require, file).expect_err("no certificate"));
            assert!(
                message.contains("no certificate in the database CA")
                    && message.contains(&file.display().to_string())
                    && message.contains("MARQUE_DATABASE_CA"),
                "{message}"
            );
        }
        store(require, &ca).expect("a CA with a certificate");
        for plain in [
            "postgres://m@db.example.internal/m?sslmode=disable",
            "postgres://m@127.0.0.1/m",
        ] {
            let message = format!("{:#}", store(plain, &ca).expect_err("no TLS"));
            assert!(
                message.contains("does not ask for TLS"),
                "{plain}: {message}"
            );
        }
    }

    /// A CA, a certificate it signed for `names`, valid from `not_before`
    /// to `not_after` (years), and its key: (CA PEM, certificate DER, key
    /// DER).
    fn signed_for(
        names: &[&str],
        years: (i32, i32),
    ) -> (
        String,
        rustls_pki_types::CertificateDer<'static>,
        rustls_pki_types::PrivateKeyDer<'static>,
    ) {
        let ca_key = rcgen::KeyPair::generate().expect("ca key");
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("ca");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).expect("ca");
        let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);
        let key = rcgen::KeyPair::generate().expect("key");
        let names: Vec<String> = names.iter().map(|name| name.to_string()).collect();
        let mut params = rcgen::CertificateParams::new(names).expect("params");
        params.not_before = rcgen::date_time_ymd(years.0, 1, 1);
        params.not_after = rcgen::date_time_ymd(years.1, 1, 1);
        let cert = params.signed_by(&key, &issuer).expect("certificate");
        let key = rustls_pki_types::PrivatePkcs8KeyDer::from(key.serialize_der()).into();
        (ca.pem(), cert.der().clone(), key)
    }

    /// A TLS handshake in memory between `client` and a server presenting
    /// `cert`, the client asking for `name`: the client's verdict.
    fn handshake(
        client: rustls::ClientConfig,
        cert: &rustls_pki_types::CertificateDer<'static>,
        key: &rustls_pki_types::PrivateKeyDer<'static>,
        name: &str,
    ) -> Result<(), rustls::Error> {
        let server = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key.clone_key())
        .expect("server config");
        let name = rustls_pki_types::ServerName::try_from(name.to_owned()).expect("name");
        let mut client = rustls::Connection::from(
            rustls::ClientConnection::new(Arc::new(client), name).expect("client"),
        );
        let mut server = rustls::Connection::from(
            rustls::ServerConnection::new(Arc::new(server)).expect("server"),
        );
        fn pass(
            from: &mut rustls::Connection,
            to: &mut rustls::Connection,
        ) -> Result<(), rustls::Error> {
            let mut bytes = Vec::new();
            while from.wants_write() {
                from.write_tls(&mut bytes).expect("write");
            }
            let mut read = &bytes[..];
            while !read.is_empty() {
                to.read_tls(&mut read).expect("read");
                to.process_new_packets()?;
            }
            Ok(())
        }
        for _ in 0..8 {
            pass(&mut client, &mut server)?;
            pass(&mut server, &mut client)?;
            if !client.is_handshaking() && !server.is_handshaking() {
                return Ok(());
            }
        }
        panic!("the handshake did not end");
    }

    fn tls_config(url: &str, ca_file: Option<&std::path::Path>) -> rustls::ClientConfig {
        let mut settings = PostgresSettings::new(url);
        settings.ca_file = ca_file.map(std::path::Path::to_path_buf);
        settings.tls_config().expect(url).expect("TLS")
    }

    fn name_mismatch(verdict: Result<(), rustls::Error>) -> bool {
        matches!(
            verdict,
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                    | rustls::CertificateError::NotValidForNameContext { .. }
            ))
        )
    }

    /// libpq's `verify-ca` verifies the chain (and dates), not the name;
    /// `verify-full` and `require` verify the name too. `verify-ca`
    /// verified the name as `verify-full` does.
    #[test]
    fn verify_ca_checks_the_chain_and_verify_full_the_name_too() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (ca, cert, key) = signed_for(&["db.example.internal"], (2020, 2200));
        let ca_path = dir.path().join("ca.pem");
        std::fs::write(&ca_path, ca).expect("write");
        let ca_file = Some(ca_path.as_path());
        let url = |mode: &str| format!("postgres://m@db.example.internal/m?sslmode={mode}");
        for mode in ["verify-ca", "verify-full", "require"] {
            let config = || tls_config(&url(mode), ca_file);
            handshake(config(), &cert, &key, "db.example.internal").expect(mode);
            let other = handshake(config(), &cert, &key, "other.example.internal");
            if mode == "verify-ca" {
                other.expect("verify-ca: any name");
            } else {
                assert!(name_mismatch(other.clone()), "{mode}: {other:?}");
            }
        }
        // Only the name is forgiven: a certificate of another CA, or one
        // expired, is refused all the same.
        let (_, foreign, foreign_key) = signed_for(&["db.example.internal"], (2020, 2200));
        let verdict = handshake(
            tls_config(&url("verify-ca"), ca_file),
            &foreign,
            &foreign_key,
            "db.example.internal",
        );
        // (Its CA has the trusted one's name: a bad signature.)
        assert!(
            matches!(
                verdict,
                Err(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::UnknownIssuer
                        | rustls::CertificateError::BadSignature
                ))
            ),
            "{verdict:?}"
        );
        let (old_ca, old, old_key) = signed_for(&["db.example.internal"], (2000, 2001));
        let old_path = dir.path().join("old-ca.pem");
        std::fs::write(&old_path, old_ca).expect("write");
        let verdict = handshake(
            tls_config(&url("verify-ca"), Some(&old_path)),
            &old,
            &old_key,
            "other.example.internal",
        );
        assert!(
            matches!(
                verdict,
                Err(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::Expired
                        | rustls::CertificateError::ExpiredContext { .. }
                ))
            ),
            "{verdict:?}"
        );
    }

    /// libpq's `sslrootcert=` in the URL names the CA, as `--database-ca`
    /// does (it was refused as an unknown option): in either form of URL,
    /// checked as the flag's file is, and refused beside a flag that names
    /// another.
    #[test]
    fn the_urls_sslrootcert_names_the_database_ca() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (ca, cert, key) = signed_for(&["db.example.internal"], (2020, 2200));
        let ca_path = dir.path().join("root ca.pem");
        std::fs::write(&ca_path, ca).expect("write");
        let shown = ca_path.display().to_string();
        let encoded = shown
            .replace('%', "%25")
            .replace(' ', "%20")
            .replace('/', "%2F");
        for url in [
            format!("postgres://m@db.example.internal/m?sslmode=verify-full&sslrootcert={encoded}"),
            format!("postgres://m@db.example.internal/m?sslrootcert={encoded}&sslmode=verify-ca"),
            format!("host=db.example.internal user=m sslrootcert = '{shown}' sslmode=verify-full"),
            format!("sslrootcert='{shown}' sslmode=require host=db.example.internal"),
        ] {
            let config = tls_config(&url, None);
            handshake(config, &cert, &key, "db.example.internal").expect(&url);
            // The same file in the flag: the one CA.
            let config = tls_config(&url, Some(&ca_path));
            handshake(config, &cert, &key, "db.example.internal").expect(&url);
            // It is shown in the URL's Debug and place: a path, no secret.
            if url.starts_with("postgres://") {
                assert!(redacted_url(&url).contains(&encoded), "{url}");
            }
        }
        let refused = |url: &str, flag: Option<&std::path::Path>| {
            let mut settings = PostgresSettings::new(url);
            settings.ca_file = flag.map(std::path::Path::to_path_buf);
            format!(
                "{:#}",
                PostgresStore::new(settings).map(drop).expect_err(url)
            )
        };
        let url =
            format!("postgres://m@db.example.internal/m?sslmode=verify-ca&sslrootcert={encoded}");
        let other = dir.path().join("other.pem");
        std::fs::write(&other, "").expect("write");
        let message = refused(&url, Some(&other));
        assert!(
            message.contains("two database CAs are given")
                && message.contains(&shown)
                && message.contains(&other.display().to_string()),
            "{message}"
        );
        // A file without a certificate is refused naming it and where it
        // was named.
        let message = refused(
            "postgres://m@db.example.internal/m?sslmode=verify-ca&sslrootcert=/nonexistent/ca.pem",
            None,
        );
        assert!(
            message.contains(
                "cannot read database CA /nonexistent/ca.pem (the database URL's sslrootcert=)"
            ),
            "{message}"
        );
        let empty = format!(
            "postgres://m@db.example.internal/m?sslmode=verify-full&sslrootcert={}",
            other.display()
        );
        let message = refused(&empty, None);
        assert!(
            message.contains(&format!(
                "no certificate in the database CA {}",
                other.display()
            )) && message.contains("sslrootcert="),
            "{message}"
        );
        // A CA for a URL that asks for no TLS.
        let plain =
            format!("postgres://m@db.example.internal/m?sslmode=disable&sslrootcert={encoded}");
        assert!(refused(&plain, None).contains("does not ask for TLS"));
        // The system's roots: the name verified, as libpq has it.
        let system = "postgres://m@db.example.internal/m?sslrootcert=system";
        assert_eq!(ssl_mode(system).expect("system"), SslMode::Require);
        let message = format!(
            "{:#}",
            ssl_mode(&format!("{system}&sslmode=verify-ca")).expect_err("verify-ca")
        );
        assert!(message.contains("sslmode=verify-full"), "{message}");
        let message = refused(&format!("{system}&sslmode=verify-full"), Some(&ca_path));
        assert!(message.contains("two database CAs are given"), "{message}");
    }

    /// libpq's rule for `sslrootcert=system` (PostgreSQL 16): sslmode
    /// defaults to verify-full, and any other mode written down is refused
    /// (`weak sslmode "require" may not be used with sslrootcert=system`).
    /// `require` was taken: it verifies the name here, but in libpq it
    /// verifies nothing, so the URL contradicted itself. Refused in either
    /// form of URL, naming both settings and what to write.
    #[test]
    fn sslrootcert_system_takes_verify_full_only_as_libpq_does() {
        for mode in ["require", "verify-ca", "prefer", "disable"] {
            for url in [
                format!(
                    "postgres://m:hunter2@db.example.internal/m?sslrootcert=system&sslmode={mode}"
                ),
                format!("postgres://m@db.example.internal/m?sslmode={mode}&sslrootcert=system"),
                format!(
                    "host=db.example.internal user=m password=hunter2 sslmode={mode} sslrootcert=system"
                ),
            ] {
                let message = format!("{:#}", ssl_mode(&url).expect_err(&url));
                assert!(
                    message.contains(&format!(
                        "sslmode={mode} may not be used with sslrootcert=system"
                    )) && message.contains("write sslmode=verify-full"),
                    "{url}: {message}"
                );
                assert!(!message.contains("hunter2"), "{message}");
                let message = format!(
                    "{:#}",
                    PostgresStore::new(PostgresSettings::new(&url))
                        .map(drop)
                        .expect_err(&url)
                );
                assert!(
                    message.contains("may not be used with sslrootcert=system"),
                    "{message}"
                );
            }
        }
        // verify-full, written or not (its default there): TLS, the name
        // verified.
        for url in [
            "postgres://m@db.example.internal/m?sslrootcert=system&sslmode=verify-full",
            "postgres://m@db.example.internal/m?sslrootcert=system",
            "host=db.example.internal user=m sslrootcert=system",
        ] {
            assert_eq!(ssl_mode(url).expect(url), SslMode::Require, "{url}");
            let parsed = PostgresSettings::new(url).parsed().expect(url);
            assert_eq!(parsed.verify, Verify::Full, "{url}");
            assert_eq!(parsed.root_cert, Some(RootCert::System), "{url}");
        }
        // Another CA file with `require` is as before: verified against it.
        assert_eq!(
            ssl_mode("postgres://m@db.example.internal/m?sslrootcert=/ca.pem&sslmode=require")
                .expect("a file"),
            SslMode::Require
        );
    }

    #[test]
    fn a_parameter_is_taken_from_either_form_of_url() {
        for (url, rest, value) in [
            (
                "postgres://h/d?a=1&x=%2Fp%20q&b=2",
                "postgres://h/d?a=1&b=2",
                Some("/p q"),
            ),
            ("postgres://h/d?x=1&x=2", "postgres://h/d", Some("2")),
            ("postgres://h/d?a=1", "postgres://h/d?a=1", None),
            ("postgres://h/d", "postgres://h/d", None),
            ("host=h x=1 user=u", "host=h user=u", Some("1")),
            ("x = 'a \\' b' host=h", " host=h", Some("a ' b")),
            ("host=h x='unterminated", "host=h x='unterminated", None),
            ("host=h xx=1", "host=h xx=1", None),
        ] {
            assert_eq!(
                take_parameter(url, "x"),
                (rest.to_owned(), value.map(str::to_owned)),
                "{url}"
            );
        }
    }
}
