//! TLS on the API port, with its files read again while serving.
//!
//! cert-manager renews a certificate into its Secret well before it
//! expires, and the kubelet swaps the mounted files in place. A server that
//! read them only at start would go on presenting the old certificate until
//! clients refuse it. So the server reads the certificate, key and client CA
//! again every `reload_every`; when their bytes changed and they make a
//! valid configuration, new connections get it (open connections keep the
//! one they were made with). A change that does not make one (a key that
//! does not match its certificate, a file caught half-written) is logged
//! once and the previous configuration stays.
//!
//! Handshakes run in their own tasks with a deadline, so a client that
//! opens a connection and says nothing holds neither the accept loop nor a
//! task for long. The deadline covers the TLS handshake and then the
//! start of HTTP/2 inside it ([`crate::preface`]): a client that finishes
//! its handshake and then says nothing is closed at the same deadline.
//!
//! With a client CA (mTLS), a client certificate may name its member: a
//! URI subject alternative name `marque:members/{member}`
//! ([`ClientCertificate`]). Calls on that connection then need no API key
//! ([`crate::auth`]).

use std::{io, sync::Arc, time::Duration};

use anyhow::Context as _;
use arc_swap::ArcSwap;
use rustls::{
    RootCertStore, ServerConfig,
    pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject as _},
    server::WebPkiClientVerifier,
};
use tokio::{
    io::{AsyncRead, AsyncWrite},
    net::TcpStream,
};
use tokio_rustls::{TlsAcceptor, server::TlsStream};
use tokio_stream::wrappers::ReceiverStream;

use crate::{
    connections::{Limited, handshaken},
    preface::{Prefaced, Protocols},
    server::TlsFiles,
};

/// How long a client may take, by default, from its connection's accept to
/// the start of HTTP/2 (`--tls-handshake-timeout`): its TLS handshake, if
/// the port serves TLS, then HTTP/2's client preface.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What starts the URI subject alternative name by which a client
/// certificate names its member: `marque:members/{member}`.
pub const MEMBER_URI_PREFIX: &str = "marque:members/";

/// The member a connection's client certificate names, if it names one
/// (one URI subject alternative name `marque:members/{member}`, the id a
/// valid member id): in every request's extensions (tonic's connect
/// info). A certificate that names none, or several, names no member.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientCertificate {
    pub member: Option<crate::model::Slug>,
}

impl ClientCertificate {
    /// The member `der` (a client's end-entity certificate) names.
    pub fn of(der: &[u8]) -> ClientCertificate {
        use x509_parser::prelude::{FromDer as _, GeneralName, X509Certificate};
        let Ok((_, certificate)) = X509Certificate::from_der(der) else {
            return ClientCertificate::default();
        };
        let Ok(Some(names)) = certificate.subject_alternative_name() else {
            return ClientCertificate::default();
        };
        let mut members = names
            .value
            .general_names
            .iter()
            .filter_map(|name| match name {
                GeneralName::URI(uri) => uri.strip_prefix(MEMBER_URI_PREFIX),
                _ => None,
            });
        let member = match (members.next(), members.next()) {
            (Some(id), None) => crate::model::Slug::parse(id).ok(),
            _ => None,
        };
        ClientCertificate { member }
    }
}

/// A TLS connection, with the member its client certificate names.
pub struct TlsClient {
    /// The connection, holding its place in the port's connection cap.
    stream: TlsStream<Limited<TcpStream>>,
    certificate: ClientCertificate,
}

impl TlsClient {
    fn new(stream: TlsStream<Limited<TcpStream>>) -> TlsClient {
        let certificate = stream
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|chain| chain.first())
            .map(|leaf| ClientCertificate::of(leaf.as_ref()))
            .unwrap_or_default();
        TlsClient {
            stream,
            certificate,
        }
    }
}

impl AsyncRead for TlsClient {
    pass_through_io!(read, stream);
}

impl AsyncWrite for TlsClient {
    pass_through_io!(write, stream);
    pass_through_io!(shutdown, stream);
}

impl tonic::transport::server::Connected for TlsClient {
    type ConnectInfo = ClientCertificate;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.certificate.clone()
    }
}

/// The bytes of the TLS files, as last read.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Material {
    cert: Vec<u8>,
    key: Vec<u8>,
    client_ca: Option<Vec<u8>>,
}

/// The API port's TLS configuration, replaced when its files change.
pub struct ReloadingTls {
    files: TlsFiles,
    config: ArcSwap<ServerConfig>,
    /// What the files held at the last look (valid or not), so that a
    /// broken change is reported once, not at every look.
    seen: std::sync::Mutex<Material>,
    /// Looks in a row that could not read the files.
    unreadable: std::sync::atomic::AtomicU32,
}

/// Looks in a row that find the files unreadable before it is a warning,
/// not a moment of a swap.
const UNREADABLE_WARN_AFTER: u32 = 3;

impl std::fmt::Debug for ReloadingTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReloadingTls")
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}

impl ReloadingTls {
    /// Reads the files and builds the first configuration.
    ///
    /// # Errors
    /// When a file cannot be read, or they do not make a valid
    /// configuration.
    pub async fn load(files: TlsFiles) -> anyhow::Result<Self> {
        let material = read(&files).await?;
        let config = build(&material, &files)?;
        report_validity(&material, &files);
        Ok(Self {
            files,
            config: ArcSwap::from_pointee(config),
            seen: std::sync::Mutex::new(material),
            unreadable: std::sync::atomic::AtomicU32::new(0),
        })
    }

    /// Reads the files again, and adopts them when they changed and make a
    /// valid configuration. Returns whether it adopted a new one.
    pub async fn reload(&self) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        let material = match read(&self.files).await {
            Ok(material) => {
                self.unreadable.store(0, Relaxed);
                material
            }
            Err(e) => {
                // Mid-swap, a file can be missing for a moment: the next
                // look sees the whole new set. Several looks in a row are
                // something else (a Secret removed, a mount gone).
                let looks = self.unreadable.fetch_add(1, Relaxed) + 1;
                if looks == UNREADABLE_WARN_AFTER {
                    tracing::warn!(
                        error = format!("{e:#}"),
                        looks,
                        "TLS files unreadable: still serving the previous certificate"
                    );
                } else {
                    tracing::debug!(error = format!("{e:#}"), "TLS files not readable now");
                }
                return false;
            }
        };
        {
            let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            if *seen == material {
                return false;
            }
            seen.clone_from(&material);
        }
        match build(&material, &self.files) {
            Ok(config) => {
                self.config.store(Arc::new(config));
                report_validity(&material, &self.files);
                tracing::info!(cert = %self.files.cert.display(), "TLS files changed: new connections use them");
                true
            }
            Err(e) => {
                tracing::warn!(
                    error = format!("{e:#}"),
                    "TLS files changed but do not make a valid configuration: still serving the previous one"
                );
                false
            }
        }
    }

    /// Looks at the files every `every`, for ever.
    pub async fn watch(self: Arc<Self>, every: Duration) {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            self.reload().await;
        }
    }

    /// The connections of `tcp`, each handshaken with the configuration
    /// current when it was accepted, and served once HTTP/2 has begun in
    /// it, all within `handshake_timeout` ([`handshaken`]). Accepting stops
    /// when the stream is dropped. A connection holds its place in the
    /// port's cap ([`crate::connections`]) from its accept, through its
    /// handshake, until it is dropped.
    pub fn incoming(
        self: Arc<Self>,
        tcp: impl futures_util::Stream<Item = io::Result<Limited<TcpStream>>> + Send + Unpin + 'static,
        handshake_timeout: Duration,
    ) -> ReceiverStream<io::Result<Prefaced<TlsClient>>> {
        handshaken(tcp, handshake_timeout, move |stream| {
            let acceptor = TlsAcceptor::from(self.config.load_full());
            async move {
                let tls = acceptor.accept(stream).await?;
                Prefaced::read(TlsClient::new(tls), Protocols::Http2).await
            }
        })
    }
}

/// The validity of the certificate served (the chain's first), in Unix
/// seconds: (not before, not after); none when it cannot be parsed (rustls
/// took it, so it is DER, but x509-parser may be stricter).
fn validity(material: &Material) -> Option<(i64, i64)> {
    use x509_parser::prelude::{FromDer as _, X509Certificate};
    let leaf = CertificateDer::pem_slice_iter(&material.cert)
        .next()?
        .ok()?;
    let (_, certificate) = X509Certificate::from_der(leaf.as_ref()).ok()?;
    let validity = certificate.validity();
    Some((
        validity.not_before.timestamp(),
        validity.not_after.timestamp(),
    ))
}

/// Exports when the certificate now served expires
/// (`marque_tls_certificate_expiry_timestamp_seconds`), and warns when it
/// is not valid now: rustls serves an expired certificate as any other,
/// and every client refuses it. A renewal that never came (cert-manager
/// failing to issue) showed nowhere until clients failed.
fn report_validity(material: &Material, files: &TlsFiles) {
    let Some((not_before, not_after)) = validity(material) else {
        // rustls took it, but its dates cannot be read: the gauge would
        // keep the certificate served before, and an alert on it be wrong.
        tracing::warn!(
            cert = %files.cert.display(),
            "cannot read when the TLS certificate served expires: \
             marque_tls_certificate_expiry_timestamp_seconds still gives the one served before"
        );
        return;
    };
    metrics::gauge!("marque_tls_certificate_expiry_timestamp_seconds").set(not_after as f64);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs() as i64);
    let at = |seconds: i64| {
        time::OffsetDateTime::from_unix_timestamp(seconds)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_else(|| seconds.to_string())
    };
    if not_after <= now {
        tracing::warn!(
            cert = %files.cert.display(),
            not_after = at(not_after),
            "the TLS certificate served has expired: clients refuse it; renew it (with \
             cert-manager, see why it was not: kubectl describe certificate)"
        );
    } else if not_before > now {
        tracing::warn!(
            cert = %files.cert.display(),
            not_before = at(not_before),
            "the TLS certificate served is not valid yet: clients refuse it until then (is the \
             clock right?)"
        );
    }
}

async fn read(files: &TlsFiles) -> anyhow::Result<Material> {
    let cert = tokio::fs::read(&files.cert)
        .await
        .with_context(|| format!("cannot read TLS certificate {}", files.cert.display()))?;
    let key = tokio::fs::read(&files.key)
        .await
        .with_context(|| format!("cannot read TLS key {}", files.key.display()))?;
    let client_ca = match &files.client_ca {
        Some(path) => Some(
            tokio::fs::read(path)
                .await
                .with_context(|| format!("cannot read client CA {}", path.display()))?,
        ),
        None => None,
    };
    Ok(Material {
        cert,
        key,
        client_ca,
    })
}

/// A rustls configuration (ring, HTTP/2 by ALPN) from the files' bytes.
fn build(material: &Material, files: &TlsFiles) -> anyhow::Result<ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?;
    let builder = match &material.client_ca {
        None => builder.with_no_client_auth(),
        Some(pem) => {
            let name = files
                .client_ca
                .as_deref()
                .map(|path| path.display().to_string())
                .unwrap_or_default();
            let mut roots = RootCertStore::empty();
            let certs = CertificateDer::pem_slice_iter(pem)
                .collect::<Result<Vec<_>, _>>()
                .with_context(|| format!("cannot parse client CA {name}"))?;
            let (added, _) = roots.add_parsable_certificates(certs);
            anyhow::ensure!(added > 0, "no usable certificate in client CA {name}");
            let verifier = WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                .build()
                .with_context(|| format!("client CA {name}"))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let chain = CertificateDer::pem_slice_iter(&material.cert)
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("cannot parse TLS certificate {}", files.cert.display()))?;
    anyhow::ensure!(
        !chain.is_empty(),
        "no certificate in {}",
        files.cert.display()
    );
    let key = PrivateKeyDer::from_pem_slice(&material.key)
        .with_context(|| format!("cannot parse TLS key {}", files.key.display()))?;
    let mut config = builder.with_single_cert(chain, key).with_context(|| {
        format!(
            "TLS key {} does not go with certificate {}",
            files.key.display(),
            files.cert.display()
        )
    })?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt as _;

    fn pair() -> (String, String) {
        let cert =
            rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("certificate");
        (cert.cert.pem(), cert.signing_key.serialize_pem())
    }

    fn files(dir: &std::path::Path) -> TlsFiles {
        TlsFiles {
            cert: dir.join("tls.crt"),
            key: dir.join("tls.key"),
            client_ca: None,
        }
    }

    fn write(dir: &std::path::Path, cert: &str, key: &str) {
        std::fs::write(dir.join("tls.crt"), cert).expect("write");
        std::fs::write(dir.join("tls.key"), key).expect("write");
    }

    #[tokio::test]
    async fn a_valid_change_is_adopted_and_a_broken_one_is_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (cert, key) = pair();
        write(dir.path(), &cert, &key);
        let tls = ReloadingTls::load(files(dir.path())).await.expect("load");
        let first = tls.config.load_full();
        assert_eq!(first.alpn_protocols, vec![b"h2".to_vec()]);
        assert!(!tls.reload().await, "nothing changed");

        // A key from another pair does not go with the certificate.
        let (other_cert, other_key) = pair();
        write(dir.path(), &cert, &other_key);
        assert!(!tls.reload().await);
        assert!(Arc::ptr_eq(&first, &tls.config.load_full()));
        // Garbage neither.
        write(dir.path(), "not a certificate", &key);
        assert!(!tls.reload().await);
        assert!(Arc::ptr_eq(&first, &tls.config.load_full()));
        // A missing file is a moment of a swap.
        std::fs::remove_file(dir.path().join("tls.key")).expect("remove");
        assert!(!tls.reload().await);

        write(dir.path(), &other_cert, &other_key);
        assert!(tls.reload().await);
        assert!(!Arc::ptr_eq(&first, &tls.config.load_full()));
        assert!(!tls.reload().await, "adopted once");
    }

    /// A TLS client of `address` (whose certificate is `cert`), handshaken,
    /// that has sent `first` over TLS.
    fn handshake(
        address: std::net::SocketAddr,
        cert: &str,
        first: &'static [u8],
    ) -> impl Future<Output = io::Result<tokio_rustls::client::TlsStream<TcpStream>>> + use<> {
        use tokio::io::AsyncWriteExt as _;
        let mut roots = RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(cert.as_bytes()).expect("certificate"))
            .expect("a root");
        let client = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
        async move {
            let tcp = TcpStream::connect(address).await?;
            let name = rustls::pki_types::ServerName::try_from("localhost")
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
            let mut tls = connector.connect(name, tcp).await?;
            tls.write_all(first).await?;
            tls.flush().await?;
            Ok(tls)
        }
    }

    /// The deadline covers the start of HTTP/2 too: a client that finishes
    /// its TLS handshake and then says nothing (or sends half the preface)
    /// is closed at it, and never handed to the server; one that sends the
    /// preface is.
    #[tokio::test]
    async fn a_client_that_handshakes_then_says_nothing_is_closed_at_the_deadline() {
        use crate::{connections::ConnectionLimit, preface::PREFACE};
        use tokio::io::AsyncReadExt as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let (cert, key) = pair();
        write(dir.path(), &cert, &key);
        let tls = Arc::new(ReloadingTls::load(files(dir.path())).await.expect("load"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let limit = ConnectionLimit::new("test-tls-silent", 3);
        let deadline = Duration::from_secs(1);
        let mut incoming = tls.incoming(
            limit.incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
            deadline,
        );
        let opened = std::time::Instant::now();
        let mut silent = handshake(address, &cert, b"").await.expect("handshake");
        let mut partial = handshake(address, &cert, &PREFACE[..10])
            .await
            .expect("handshake");
        let _client = handshake(address, &cert, PREFACE).await.expect("handshake");
        let served = tokio::time::timeout(Duration::from_secs(10), incoming.next())
            .await
            .expect("served")
            .expect("a connection")
            .expect("handshaken");
        assert!(opened.elapsed() < deadline, "{:?}", opened.elapsed());
        for (name, stream) in [("silent", &mut silent), ("partial", &mut partial)] {
            let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut [0; 16]))
                .await
                .unwrap_or_else(|_| panic!("the {name} connection is still open"));
            assert!(matches!(read, Ok(0) | Err(_)), "{name}: {read:?}");
        }
        assert!(opened.elapsed() >= deadline, "{:?}", opened.elapsed());
        let nothing_more = tokio::time::timeout(Duration::from_millis(200), incoming.next()).await;
        assert!(nothing_more.is_err(), "the silent ones are not served");
        // Their places came back: with the one served, the cap's 3 clients.
        let _more = (
            handshake(address, &cert, PREFACE).await.expect("handshake"),
            handshake(address, &cert, PREFACE).await.expect("handshake"),
        );
        let mut also_served = Vec::new();
        for _ in 0..2 {
            also_served.push(
                tokio::time::timeout(Duration::from_secs(10), incoming.next())
                    .await
                    .expect("served")
                    .expect("a connection")
                    .expect("handshaken"),
            );
        }
        drop(served);
    }

    /// A connection holds its place in the port's cap from its accept,
    /// through its handshake: while a client that connected says nothing,
    /// the next client's handshake waits, and goes through once it leaves.
    #[tokio::test]
    async fn a_handshake_holds_its_place_in_the_connection_cap() {
        use crate::connections::ConnectionLimit;
        // The full port's warning is captured (and checked), so that its
        // callsite, first reached here, is not cached as off for other
        // tests.
        let log = crate::telemetry::Captured::start();
        let dir = tempfile::tempdir().expect("tempdir");
        let (cert, key) = pair();
        write(dir.path(), &cert, &key);
        let tls = Arc::new(ReloadingTls::load(files(dir.path())).await.expect("load"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let limit = ConnectionLimit::new("test-tls", 1);
        let mut incoming = tls.incoming(
            limit.incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
            Duration::from_secs(30),
        );

        let silent = TcpStream::connect(address).await.expect("connect");
        let handshake = tokio::spawn(handshake(address, &cert, crate::preface::PREFACE));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            !handshake.is_finished(),
            "no handshake while the silent client holds the only place"
        );
        assert_eq!(limit.open(), 1);

        drop(silent);
        let _client = tokio::time::timeout(Duration::from_secs(10), handshake)
            .await
            .expect("the handshake goes through once the silent client left")
            .expect("join")
            .expect("handshake");
        let _served = tokio::time::timeout(Duration::from_secs(10), incoming.next())
            .await
            .expect("served")
            .expect("a connection")
            .expect("handshaken");
        assert_eq!(limit.open(), 1);
        assert!(
            log.lines()
                .iter()
                .any(|line| line.contains("WARN") && line.contains("port=\"test-tls\"")),
            "{:?}",
            log.lines()
        );
    }

    #[tokio::test]
    async fn files_that_make_no_configuration_fail_the_first_load() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (cert, _) = pair();
        let (_, key) = pair();
        write(dir.path(), &cert, &key);
        let e = ReloadingTls::load(files(dir.path()))
            .await
            .expect_err("mismatched key");
        assert!(format!("{e:#}").contains("does not go with"), "{e:#}");
        std::fs::write(dir.path().join("tls.crt"), "").expect("write");
        let e = ReloadingTls::load(files(dir.path()))
            .await
            .expect_err("empty certificate");
        assert!(format!("{e:#}").contains("no certificate"), "{e:#}");
        let mut with_ca = files(dir.path());
        with_ca.client_ca = Some(dir.path().join("missing-ca.crt"));
        let e = ReloadingTls::load(with_ca).await.expect_err("missing CA");
        assert!(format!("{e:#}").contains("cannot read client CA"), "{e:#}");
    }

    /// A certificate served outside its dates (expired, or not valid yet:
    /// rustls serves it all the same, and clients refuse it) is warned of,
    /// naming the file and the date; one valid now is not.
    #[test]
    fn a_certificate_outside_its_dates_is_warned_of() {
        let dir = tempfile::tempdir().expect("tempdir");
        let files = files(dir.path());
        let shown = files.cert.display().to_string();
        for (years, warned) in [
            (
                (2000, 2001),
                Some(("has expired", "not_after=\"2001-01-01T00:00:00Z\"")),
            ),
            (
                (2990, 2999),
                Some(("is not valid yet", "not_before=\"2990-01-01T00:00:00Z\"")),
            ),
            ((2020, 2990), None),
        ] {
            let key = rcgen::KeyPair::generate().expect("key");
            let mut params =
                rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("params");
            params.not_before = rcgen::date_time_ymd(years.0, 1, 1);
            params.not_after = rcgen::date_time_ymd(years.1, 1, 1);
            let cert = params.self_signed(&key).expect("certificate");
            let material = Material {
                cert: cert.pem().into_bytes(),
                key: key.serialize_pem().into_bytes(),
                client_ca: None,
            };
            assert_eq!(
                validity(&material).map(|(_, not_after)| not_after),
                Some(rcgen::date_time_ymd(years.1, 1, 1).unix_timestamp()),
                "{years:?}"
            );
            let log = crate::telemetry::Captured::start();
            report_validity(&material, &files);
            let lines = log.lines();
            match warned {
                Some((says, date)) => {
                    assert_eq!(lines.len(), 1, "{years:?}: {lines:#?}");
                    let line = &lines[0];
                    assert!(
                        line.contains("WARN")
                            && line.contains(says)
                            && line.contains(date)
                            && line.contains(&shown),
                        "{years:?}: {line}"
                    );
                }
                None => assert!(lines.is_empty(), "{years:?}: {lines:#?}"),
            }
        }
    }
}
