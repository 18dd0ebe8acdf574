//! Start-up, health, reflection, TLS and shutdown, through the front door.

use crate::common;

use std::{sync::Arc, time::Duration};

use common::{Start, TestServer, Who, frame_types, read_to_close};
use marque::{
    pb::marque::v1::{self as pb, registry_service_client::RegistryServiceClient},
    server::{Server, ServerOptions},
    store::{MemoryStore, Store},
};
use tokio::sync::Notify;
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint};
use tonic_health::pb::health_check_response::ServingStatus;

const SERVING: i32 = ServingStatus::Serving as i32;
const NOT_SERVING: i32 = ServingStatus::NotServing as i32;

async fn health(channel: tonic::transport::Channel, service: &str) -> i32 {
    tonic_health::pb::health_client::HealthClient::new(channel)
        .check(tonic_health::pb::HealthCheckRequest {
            service: service.into(),
        })
        .await
        .expect("health check")
        .into_inner()
        .status
}

#[tokio::test]
async fn health_watch_says_service_unknown_and_waits_as_the_protocol_asks() {
    // grpc.health.v1: Check on an unknown service is NOT_FOUND; Watch sends
    // SERVICE_UNKNOWN and keeps the stream open (a known one streams its
    // status).
    let server = TestServer::start().await;
    let mut client = tonic_health::pb::health_client::HealthClient::new(server.channel());
    let request = |service: &str| tonic_health::pb::HealthCheckRequest {
        service: service.into(),
    };
    let status = client
        .check(request("no.such.Service"))
        .await
        .expect_err("Check of an unknown service");
    assert_eq!(status.code(), tonic::Code::NotFound);
    for (service, want) in [
        ("no.such.Service", ServingStatus::ServiceUnknown),
        ("marque.v1.CheckService", ServingStatus::Serving),
    ] {
        let mut stream = client
            .watch(request(service))
            .await
            .expect("Watch")
            .into_inner();
        let first = stream
            .message()
            .await
            .expect("a status")
            .expect("the stream is open");
        assert_eq!(first.status, want as i32, "{service}");
        assert!(
            tokio::time::timeout(Duration::from_millis(300), stream.message())
                .await
                .is_err(),
            "{service}: the stream stays open, with nothing more to say"
        );
    }
}

/// The fixture's seed with one more brand, `plain`, whose logo has too
/// little detail for the logo rules (3 bits set).
fn fixture_seed_with_a_plain_logo(keys: &common::Keys) -> marque::seed::Seed {
    let seed = format!(
        "{}\n[[brands]]\nid = \"plain\"\nowner = \"owner-b\"\ndisplay_name = \"Plain\"\n\
         [[brands.logos]]\nperceptual_hash = \"0000000000000007\"\n",
        common::fixture_seed(keys)
    );
    marque::seed::Seed::parse(&seed, std::path::Path::new(".")).expect("the seed parses")
}

/// The registry's rules on content hold a seed when it is loaded: into an
/// empty store, a seed with a logo they refuse stops the start and writes
/// nothing. Once the store has revisions the seed is not loaded, and not
/// held to them: the server starts. Nor does a stored logo the rules
/// refuse now (registered before they tightened) stop it; it is kept.
#[tokio::test]
async fn a_seed_the_logo_rules_refuse_stops_only_the_start_that_would_load_it() {
    let (store, _url) = common::new_store().await;
    let mut start = Start::fixture();
    start.options.seed = Some(fixture_seed_with_a_plain_logo(&start.keys));
    let server = Server::bind(start.options, store.clone())
        .await
        .expect("bind");
    let error = tokio::time::timeout(Duration::from_secs(60), server.run(std::future::pending()))
        .await
        .expect("the start ends")
        .expect_err("an empty registry is not seeded with a logo the rules refuse");
    let error = format!("{error:#}");
    assert!(
        error.contains("brands[2].logos[0].perceptual_hash: the logo has too little detail"),
        "{error}"
    );
    assert_eq!(
        store.committed_head().await.expect("head"),
        0,
        "nothing written"
    );

    // The fixture, and a logo stored before the rules refused it.
    let mut start = Start::fixture();
    let keys = start.keys.clone();
    start.store = Some(store.clone());
    let mut server = start.start().await;
    let stored = common::store_alpha_logo_past_the_rules(&server, 0xff).await;
    server
        .begin_shutdown()
        .await
        .expect("join")
        .expect("stopped");

    let mut start = Start::fixture();
    start.keys = keys.clone();
    start.options.seed = Some(fixture_seed_with_a_plain_logo(&keys));
    start.store = Some(store);
    let server = start.start().await;
    let mut owner_b = server.registry_as(Who::OwnerB);
    let missing = owner_b
        .get_brand(pb::GetBrandRequest {
            name: "brands/plain".into(),
            ..Default::default()
        })
        .await
        .expect_err("the seed is not loaded");
    assert_eq!(missing.code(), tonic::Code::NotFound, "{missing:?}");
    let logos = server
        .registry_as(Who::OwnerA)
        .list_logos(pb::ListLogosRequest {
            parent: "brands/alpha".into(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .logos;
    assert_eq!(
        logos
            .iter()
            .map(|l| (l.name.as_str(), l.perceptual_hash.as_str()))
            .collect::<Vec<_>>(),
        [(
            format!("brands/alpha/logos/{stored}").as_str(),
            "00000000000000ff"
        )],
        "the stored logo is kept"
    );
}

/// A server over a store whose first load waits for `gate`: a channel to
/// it, what stops it, and its task.
async fn serve_gated(
    options: ServerOptions,
    gate: Arc<Notify>,
) -> (
    tonic::transport::Channel,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    let store: Arc<dyn Store> = Arc::new(common::GatedStore::new(gate));
    let server = Server::bind(options, store).await.expect("bind");
    let addr = server.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));
    let channel = Endpoint::from_shared(format!("http://{addr}"))
        .expect("endpoint")
        .connect_lazy();
    (channel, stop, task)
}

#[tokio::test]
async fn a_signal_while_the_registry_loads_stops_the_server_cleanly() {
    // A pod deleted while it loads its snapshot (or waits for the
    // database): the signal's future was polled again once done, a panic.
    let (channel, stop, task) =
        serve_gated(Start::fixture().options, Arc::new(Notify::new())).await;
    assert_eq!(health(channel, "").await, NOT_SERVING, "still loading");
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(30), task)
        .await
        .expect("stops")
        .expect("no panic")
        .expect("a clean stop");
}

#[tokio::test]
async fn health_is_not_serving_until_the_registry_is_loaded() {
    let gate = Arc::new(Notify::new());
    let start = Start::fixture();
    let (channel, stop, task) = serve_gated(start.options, gate.clone()).await;
    for service in ["", "marque.v1.RegistryService", "marque.v1.CheckService"] {
        assert_eq!(
            health(channel.clone(), service).await,
            NOT_SERVING,
            "{service:?}"
        );
    }
    // Calls during loading are refused as unavailable, not unauthenticated.
    let key = start.keys.owner_a.clone();
    let mut client =
        marque::pb::marque::v1::registry_service_client::RegistryServiceClient::with_interceptor(
            channel.clone(),
            common::Bearer::key(&key),
        );
    let status = client
        .get_caller(pb::GetCallerRequest::default())
        .await
        .expect_err("still loading");
    assert_eq!(status.code(), tonic::Code::Unavailable);

    gate.notify_one();
    let mut serving = false;
    for _ in 0..100 {
        if health(channel.clone(), "").await == SERVING {
            serving = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(serving, "SERVING once loaded");
    for service in ["marque.v1.RegistryService", "marque.v1.CheckService"] {
        assert_eq!(health(channel.clone(), service).await, SERVING);
    }
    let _ = stop.send(());
    task.await.expect("join").expect("clean stop");
}

#[tokio::test]
async fn shutdown_turns_health_not_serving_then_drains_and_stops() {
    let mut start = Start::fixture();
    start.options.shutdown_grace = Duration::from_millis(600);
    let mut server = start.start().await;
    let channel = server.channel();
    assert_eq!(health(channel.clone(), "").await, SERVING);
    let task = server.begin_shutdown();
    tokio::time::sleep(Duration::from_millis(150)).await;
    // During the grace period the server still answers, with NOT_SERVING.
    for service in ["", "marque.v1.RegistryService", "marque.v1.CheckService"] {
        assert_eq!(
            health(channel.clone(), service).await,
            NOT_SERVING,
            "{service:?}"
        );
    }
    let result = tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("the server stops within the drain timeout")
        .expect("join");
    result.expect("clean exit");
}

/// Health `Watch` streams (a client doing gRPC client-side health
/// checking keeps one open for ever) see NOT_SERVING during the grace
/// period, then end with UNAVAILABLE when the server stops accepting: they
/// do not hold the drain to its timeout.
#[tokio::test]
async fn open_health_watch_streams_see_not_serving_then_end_without_holding_the_drain() {
    let mut start = Start::fixture();
    start.options.shutdown_grace = Duration::from_millis(300);
    start.options.drain_timeout = Duration::from_secs(30);
    let mut server = start.start().await;
    let mut watches = Vec::new();
    for service in ["", "marque.v1.CheckService", "no.such.Service"] {
        let stream = tonic_health::pb::health_client::HealthClient::new(server.channel())
            .watch(tonic_health::pb::HealthCheckRequest {
                service: service.into(),
            })
            .await
            .expect("health watch")
            .into_inner();
        watches.push((service, stream));
    }
    let began = std::time::Instant::now();
    let task = server.begin_shutdown();
    let result = tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("the server stops")
        .expect("join");
    result.expect("clean exit");
    assert!(
        began.elapsed() < Duration::from_secs(5),
        "the drain waited for the health streams: {:?}",
        began.elapsed()
    );
    for (service, mut stream) in watches {
        let mut statuses = Vec::new();
        let ended = loop {
            match stream.message().await {
                Ok(Some(answer)) => statuses.push(answer.status),
                Ok(None) => panic!("{service:?}: ended without a status"),
                Err(status) => break status,
            }
        };
        assert_eq!(
            ended.code(),
            tonic::Code::Unavailable,
            "{service:?}: {ended:?}"
        );
        if service == "no.such.Service" {
            assert_eq!(statuses, [ServingStatus::ServiceUnknown as i32]);
        } else {
            assert_eq!(statuses, [SERVING, NOT_SERVING], "{service:?}");
        }
    }
}

async fn reflected_services(channel: tonic::transport::Channel, v1: bool) -> Vec<String> {
    use tokio_stream::StreamExt;
    if v1 {
        use tonic_reflection::pb::v1::{
            ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
            server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
        };
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let mut responses = ServerReflectionClient::new(channel)
            .server_reflection_info(tokio_stream::iter([request]))
            .await
            .expect("reflection v1")
            .into_inner();
        match responses
            .next()
            .await
            .expect("an answer")
            .expect("ok")
            .message_response
        {
            Some(MessageResponse::ListServicesResponse(list)) => {
                list.service.into_iter().map(|s| s.name).collect()
            }
            other => panic!("unexpected reflection answer {other:?}"),
        }
    } else {
        use tonic_reflection::pb::v1alpha::{
            ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
            server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
        };
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let mut responses = ServerReflectionClient::new(channel)
            .server_reflection_info(tokio_stream::iter([request]))
            .await
            .expect("reflection v1alpha")
            .into_inner();
        match responses
            .next()
            .await
            .expect("an answer")
            .expect("ok")
            .message_response
        {
            Some(MessageResponse::ListServicesResponse(list)) => {
                list.service.into_iter().map(|s| s.name).collect()
            }
            other => panic!("unexpected reflection answer {other:?}"),
        }
    }
}

#[tokio::test]
async fn reflection_lists_every_service_without_a_key() {
    let server = TestServer::start().await;
    for v1 in [true, false] {
        let services = reflected_services(server.channel(), v1).await;
        for expected in [
            "marque.v1.RegistryService",
            "marque.v1.CheckService",
            "grpc.health.v1.Health",
        ] {
            assert!(
                services.iter().any(|s| s == expected),
                "reflection (v1: {v1}) lacks {expected}: {services:?}"
            );
        }
    }
}

/// A lookup reflection cannot answer is answered with an error response on
/// a stream that stays open, as the protocol says: the lookups after it on
/// the same stream are answered too.
#[tokio::test]
async fn a_reflection_miss_leaves_its_stream_open() {
    use prost::Message;
    use tokio_stream::StreamExt;
    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let server = TestServer::start().await;
    let ask = |request| ServerReflectionRequest {
        host: String::new(),
        message_request: Some(request),
    };
    let requests = [
        ask(MessageRequest::FileContainingSymbol(
            "marque.v1.Nope".into(),
        )),
        ask(MessageRequest::FileByFilename("nope.proto".into())),
        ask(MessageRequest::FileContainingSymbol(
            "marque.v1.CheckService".into(),
        )),
        ask(MessageRequest::FileByFilename(
            "google/rpc/error_details.proto".into(),
        )),
        ask(MessageRequest::ListServices(String::new())),
    ];
    let answers: Vec<MessageResponse> = ServerReflectionClient::new(server.channel())
        .server_reflection_info(tokio_stream::iter(requests))
        .await
        .expect("reflection v1")
        .into_inner()
        .map(|answer| answer.expect("ok").message_response.expect("an answer"))
        .collect()
        .await;
    assert_eq!(answers.len(), 5, "{answers:?}");
    for miss in &answers[..2] {
        match miss {
            MessageResponse::ErrorResponse(e) => {
                assert_eq!(e.error_code, tonic::Code::NotFound as i32, "{e:?}")
            }
            other => panic!("not an error response: {other:?}"),
        }
    }
    for (answer, file) in answers[2..4]
        .iter()
        .zip(["marque/v1/check.proto", "google/rpc/error_details.proto"])
    {
        let MessageResponse::FileDescriptorResponse(found) = answer else {
            panic!("not a file: {answer:?}");
        };
        let found = prost_types::FileDescriptorProto::decode(&found.file_descriptor_proto[0][..])
            .expect("a file");
        assert_eq!(found.name(), file);
    }
    assert!(matches!(
        answers[4],
        MessageResponse::ListServicesResponse(_)
    ));
}

#[tokio::test]
async fn the_contract_documents_every_element() {
    // Brand owners read comments through reflection: every service, method,
    // message, field, enum and value of marque.v1 has one.
    use prost::Message;
    let fds = prost_types::FileDescriptorSet::decode(marque::server::FILE_DESCRIPTOR_SET)
        .expect("descriptor set");
    let mut undocumented = Vec::new();
    for file in fds.file.iter().filter(|f| f.package() == "marque.v1") {
        let info = file.source_code_info.as_ref().expect("source info");
        let documented: std::collections::HashSet<Vec<i32>> = info
            .location
            .iter()
            .filter(|l| !l.leading_comments().trim().is_empty())
            .map(|l| l.path.clone())
            .collect();
        let mut check = |path: Vec<i32>, what: String| {
            if !documented.contains(&path) {
                undocumented.push(what);
            }
        };
        for (s, service) in file.service.iter().enumerate() {
            check(vec![6, s as i32], service.name().to_string());
            for (m, method) in service.method.iter().enumerate() {
                check(
                    vec![6, s as i32, 2, m as i32],
                    format!("{}.{}", service.name(), method.name()),
                );
            }
        }
        for (m, message) in file.message_type.iter().enumerate() {
            check(vec![4, m as i32], message.name().to_string());
            for (f, field) in message.field.iter().enumerate() {
                check(
                    vec![4, m as i32, 2, f as i32],
                    format!("{}.{}", message.name(), field.name()),
                );
            }
        }
        for (e, enumeration) in file.enum_type.iter().enumerate() {
            check(vec![5, e as i32], enumeration.name().to_string());
            for (v, value) in enumeration.value.iter().enumerate() {
                check(vec![5, e as i32, 2, v as i32], value.name().to_string());
            }
        }
    }
    assert!(undocumented.is_empty(), "undocumented: {undocumented:?}");
}

/// A TLS channel to `port` that trusts only `ca` (a new connection each).
fn tls_channel(port: u16, ca: &str) -> tonic::transport::Channel {
    Endpoint::from_shared(format!("https://localhost:{port}"))
        .expect("endpoint")
        .tls_config(
            ClientTlsConfig::new()
                .ca_certificate(Certificate::from_pem(ca))
                .domain_name("localhost"),
        )
        .expect("tls config")
        .connect_lazy()
}

async fn health_over_tls(channel: tonic::transport::Channel) -> bool {
    tonic_health::pb::health_client::HealthClient::new(channel)
        .check(tonic_health::pb::HealthCheckRequest::default())
        .await
        .is_ok_and(|s| s.into_inner().status == SERVING)
}

/// Writes `name` in `dir` as the kubelet updates a Secret volume: the new
/// content appears at once, never half-written.
fn replace(dir: &std::path::Path, name: &str, content: &str) {
    let staged = dir.join(format!(".{name}.new"));
    std::fs::write(&staged, content).expect("write");
    std::fs::rename(&staged, dir.join(name)).expect("rename");
}

/// A server of the fixture registry serving TLS from `dir`'s `tls.crt`
/// and `tls.key` (and requiring client certificates of `client-ca.crt`
/// when `client_ca`), its options changed by `configure`.
struct TlsServer {
    port: u16,
    keys: common::Keys,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl TlsServer {
    async fn start(
        dir: &std::path::Path,
        client_ca: bool,
        configure: impl FnOnce(&mut ServerOptions),
    ) -> Self {
        let mut start = Start::fixture();
        start.options.tls = Some(marque::server::TlsFiles {
            cert: dir.join("tls.crt"),
            key: dir.join("tls.key"),
            client_ca: client_ca.then(|| dir.join("client-ca.crt")),
        });
        configure(&mut start.options);
        let keys = start.keys.clone();
        let server = Server::bind(start.options, common::new_store().await.0)
            .await
            .expect("bind");
        let port = server.local_addr().expect("addr").port();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        Self {
            port,
            keys,
            stop,
            task,
        }
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.expect("join").expect("clean stop");
    }
}

/// Whether `check` holds within `tries` tries, `pause` apart.
async fn eventually(tries: usize, pause: Duration, mut check: impl AsyncFnMut() -> bool) -> bool {
    for _ in 0..tries {
        if check().await {
            return true;
        }
        tokio::time::sleep(pause).await;
    }
    false
}

#[tokio::test]
async fn a_renewed_certificate_is_served_to_new_connections_and_a_broken_one_is_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (old_cert, old_key) = self_signed();
    replace(dir.path(), "tls.crt", &old_cert);
    replace(dir.path(), "tls.key", &old_key);
    let server = TlsServer::start(dir.path(), false, |options| {
        options.tls_reload_every = Duration::from_millis(50);
    })
    .await;
    let port = server.port;
    let open = tls_channel(port, &old_cert);
    let serving = eventually(600, Duration::from_millis(50), async || {
        health_over_tls(open.clone()).await
    })
    .await;
    assert!(serving, "health over TLS with the first certificate");

    // Renewed: new connections get the new certificate.
    let (new_cert, new_key) = self_signed();
    replace(dir.path(), "tls.key", &new_key);
    replace(dir.path(), "tls.crt", &new_cert);
    let renewed = eventually(400, Duration::from_millis(25), async || {
        health_over_tls(tls_channel(port, &new_cert)).await
    })
    .await;
    assert!(
        renewed,
        "a new connection is served the renewed certificate"
    );
    assert!(
        !health_over_tls(tls_channel(port, &old_cert)).await,
        "a new connection no longer gets the old certificate"
    );
    // The connection made before keeps working.
    assert!(health_over_tls(open).await, "the open connection survives");

    // A key that does not go with the certificate is not adopted: the
    // renewed pair stays.
    let (_, stray_key) = self_signed();
    replace(dir.path(), "tls.key", &stray_key);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        health_over_tls(tls_channel(port, &new_cert)).await,
        "a broken change leaves the previous certificate in place"
    );

    server.stop().await;
}

/// A CA for client certificates, and a client certificate it signed:
/// (CA, certificate, key) PEMs.
fn client_ca_and_certificate() -> (String, String, String) {
    let ca_key = rcgen::KeyPair::generate().expect("ca key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).expect("ca");
    let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);
    let client_key = rcgen::KeyPair::generate().expect("client key");
    let mut client_params =
        rcgen::CertificateParams::new(vec!["platform-p".to_string()]).expect("client params");
    client_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let client = client_params
        .signed_by(&client_key, &issuer)
        .expect("client cert");
    (ca.pem(), client.pem(), client_key.serialize_pem())
}

/// A TLS channel to `port` that trusts only `ca` and presents the client
/// certificate `cert` with `key` (a new connection each).
fn mtls_channel(port: u16, ca: &str, cert: &str, key: &str) -> tonic::transport::Channel {
    Endpoint::from_shared(format!("https://localhost:{port}"))
        .expect("endpoint")
        .tls_config(
            ClientTlsConfig::new()
                .ca_certificate(Certificate::from_pem(ca))
                .identity(tonic::transport::Identity::from_pem(cert, key))
                .domain_name("localhost"),
        )
        .expect("tls config")
        .connect_lazy()
}

#[tokio::test]
async fn a_replaced_client_ca_admits_its_clients_on_new_connections_and_no_longer_the_old_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, key) = self_signed();
    replace(dir.path(), "tls.crt", &cert);
    replace(dir.path(), "tls.key", &key);
    let (old_ca, old_client, old_client_key) = client_ca_and_certificate();
    let (new_ca, new_client, new_client_key) = client_ca_and_certificate();
    replace(dir.path(), "client-ca.crt", &old_ca);
    let server = TlsServer::start(dir.path(), true, |options| {
        options.tls_reload_every = Duration::from_millis(50);
    })
    .await;
    let port = server.port;
    let old_client_channel = || mtls_channel(port, &cert, &old_client, &old_client_key);
    let new_client_channel = || mtls_channel(port, &cert, &new_client, &new_client_key);
    let open = old_client_channel();
    let serving = eventually(600, Duration::from_millis(50), async || {
        health_over_tls(open.clone()).await
    })
    .await;
    assert!(
        serving,
        "health over mTLS with a certificate of the first CA"
    );
    assert!(
        !health_over_tls(new_client_channel()).await,
        "a certificate of a CA the server does not know yet is refused"
    );
    assert!(
        !health_over_tls(tls_channel(port, &cert)).await,
        "a client without a certificate is refused"
    );

    // The client CA is replaced: new connections need a certificate of
    // the new CA.
    replace(dir.path(), "client-ca.crt", &new_ca);
    let admitted = eventually(400, Duration::from_millis(25), async || {
        health_over_tls(new_client_channel()).await
    })
    .await;
    assert!(
        admitted,
        "a certificate of the new CA is accepted on a new connection"
    );
    assert!(
        !health_over_tls(old_client_channel()).await,
        "a certificate of the old CA only is refused on a new connection"
    );
    // The connection made before keeps working.
    assert!(health_over_tls(open).await, "the open connection survives");

    server.stop().await;
}

/// A CA for client certificates, and one certificate it signed for each
/// list of URI subject alternative names: (CA, [(certificate, key)]) PEMs.
fn client_ca_and_certificates_naming(uris: &[&[&str]]) -> (String, Vec<(String, String)>) {
    let ca_key = rcgen::KeyPair::generate().expect("ca key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).expect("ca");
    let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);
    let clients = uris
        .iter()
        .map(|uris| {
            let key = rcgen::KeyPair::generate().expect("client key");
            let mut params =
                rcgen::CertificateParams::new(vec!["client".to_string()]).expect("client params");
            params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
            for uri in *uris {
                params.subject_alt_names.push(rcgen::SanType::URI(
                    rcgen::string::Ia5String::try_from(*uri).expect("an ASCII URI"),
                ));
            }
            let cert = params.signed_by(&key, &issuer).expect("client cert");
            (cert.pem(), key.serialize_pem())
        })
        .collect();
    (ca.pem(), clients)
}

/// A client certificate with the URI subject alternative name
/// `marque:members/{member}` names its member: calls on its connections
/// need no API key and are that member's (its kind's rights, no key in
/// GetCaller); a key of another member on the same call is refused, as is a
/// certificate naming no member, several, or one that does not exist.
#[tokio::test]
async fn a_client_certificate_may_name_the_member_that_calls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, key) = self_signed();
    replace(dir.path(), "tls.crt", &cert);
    replace(dir.path(), "tls.key", &key);
    let (ca, clients) = client_ca_and_certificates_naming(&[
        &["marque:members/platform-p"],
        &[],
        &["marque:members/nobody"],
        &["marque:members/platform-p", "marque:members/owner-a"],
        &["https://example.com/members/platform-p"],
    ]);
    replace(dir.path(), "client-ca.crt", &ca);
    let server = TlsServer::start(dir.path(), true, |_| {}).await;
    let channel = |i: usize| mtls_channel(server.port, &cert, &clients[i].0, &clients[i].1);
    let serving = eventually(600, Duration::from_millis(50), async || {
        health_over_tls(channel(0)).await
    })
    .await;
    assert!(serving, "health over mTLS");

    // Named by its certificate alone: platform-p, with a platform's rights.
    let mut platform = RegistryServiceClient::new(channel(0));
    let me = platform
        .get_caller(pb::GetCallerRequest::default())
        .await
        .expect("the certificate names the caller")
        .into_inner();
    assert_eq!(me.member.expect("member").name, "members/platform-p");
    assert_eq!(me.api_key, "", "no key was used");
    let checked = pb::check_service_client::CheckServiceClient::new(channel(0))
        .check_listing(pb::CheckListingRequest {
            listing: Some(pb::Listing {
                seller_account: "stranger".into(),
                title: "Alpha watch".into(),
                nice_class: 14,
                region: "CN".into(),
                ..Default::default()
            }),
            min_revision: 0,
        })
        .await
        .expect("a platform checks listings")
        .into_inner();
    assert_eq!(checked.verdict, pb::Verdict::Block as i32);
    let status = platform
        .create_brand(common::brand_named("by-certificate", "By Certificate"))
        .await
        .expect_err("a platform creates no brand");
    assert_eq!(status.code(), tonic::Code::PermissionDenied, "{status:?}");

    // With its own key too: the key's member is the certificate's.
    let with_key = |i: usize, who: Who| {
        RegistryServiceClient::with_interceptor(
            channel(i),
            common::Bearer::key(server.keys.of(who).expect("a key")),
        )
    };
    let me = with_key(0, Who::PlatformP)
        .get_caller(pb::GetCallerRequest::default())
        .await
        .expect("the same member's key")
        .into_inner();
    assert!(
        me.api_key.starts_with("members/platform-p/apiKeys/"),
        "{me:?}"
    );
    let status = with_key(0, Who::OwnerA)
        .get_caller(pb::GetCallerRequest::default())
        .await
        .expect_err("another member's key");
    assert_eq!(status.code(), tonic::Code::Unauthenticated, "{status:?}");
    // A certificate that names no member needs a key, as before.
    let me = with_key(1, Who::OwnerA)
        .get_caller(pb::GetCallerRequest::default())
        .await
        .expect("a key on a certificate naming no member")
        .into_inner();
    assert_eq!(me.member.expect("member").name, "members/owner-a");
    for (i, why) in [
        (1, "names no member"),
        (2, "names a member that does not exist"),
        (3, "names two members"),
        (4, "names a member in another form"),
    ] {
        let status = RegistryServiceClient::new(channel(i))
            .get_caller(pb::GetCallerRequest::default())
            .await
            .expect_err(why);
        assert_eq!(
            status.code(),
            tonic::Code::Unauthenticated,
            "{why}: {status:?}"
        );
    }
    server.stop().await;
}

fn self_signed() -> (String, String) {
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("certificate");
    (cert.cert.pem(), cert.signing_key.serialize_pem())
}

#[tokio::test]
async fn tls_serves_with_a_certificate_and_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, key) = self_signed();
    std::fs::write(dir.path().join("tls.crt"), &cert).expect("write cert");
    std::fs::write(dir.path().join("tls.key"), &key).expect("write key");
    let mut start = Start::fixture();
    start.options.tls = Some(marque::server::TlsFiles {
        cert: dir.path().join("tls.crt"),
        key: dir.path().join("tls.key"),
        client_ca: None,
    });
    let keys = start.keys.clone();
    let server = Server::bind(start.options, common::new_store().await.0)
        .await
        .expect("bind");
    let addr = server.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));
    let channel = Endpoint::from_shared(format!("https://localhost:{}", addr.port()))
        .expect("endpoint")
        .tls_config(
            ClientTlsConfig::new()
                .ca_certificate(Certificate::from_pem(&cert))
                .domain_name("localhost"),
        )
        .expect("tls config")
        .connect_lazy();
    let mut serving = false;
    for _ in 0..100 {
        let status = tonic_health::pb::health_client::HealthClient::new(channel.clone())
            .check(tonic_health::pb::HealthCheckRequest::default())
            .await;
        if status.is_ok_and(|s| s.into_inner().status == SERVING) {
            serving = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(serving, "health over TLS");
    let mut client =
        marque::pb::marque::v1::registry_service_client::RegistryServiceClient::with_interceptor(
            channel,
            common::Bearer::key(&keys.platform_p),
        );
    let me = client
        .get_caller(pb::GetCallerRequest::default())
        .await
        .expect("call over TLS")
        .into_inner();
    assert_eq!(me.member.expect("member").name, "members/platform-p");

    // A plaintext client cannot talk to it.
    let plain = Endpoint::from_shared(format!("http://{addr}"))
        .expect("endpoint")
        .connect_lazy();
    assert!(
        tonic_health::pb::health_client::HealthClient::new(plain)
            .check(tonic_health::pb::HealthCheckRequest::default())
            .await
            .is_err()
    );
    let _ = stop.send(());
    task.await.expect("join").expect("clean stop");
}

/// A client that opens a connection to the TLS port and never finishes its
/// handshake (says nothing, or stops halfway through its ClientHello) has
/// the connection closed once the handshake deadline passes; other clients
/// are served meanwhile.
#[tokio::test]
async fn a_handshake_that_never_finishes_is_closed_at_the_deadline() {
    use tokio::io::AsyncWriteExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, key) = self_signed();
    replace(dir.path(), "tls.crt", &cert);
    replace(dir.path(), "tls.key", &key);
    let server = TlsServer::start(dir.path(), false, |options| {
        // Short, so the test is quick; long enough for a real handshake on
        // a busy machine; well under the 10 s default, so the test tells
        // the option from the default.
        options.tls_handshake_timeout = Duration::from_secs(2);
    })
    .await;
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], server.port));
    let keys = server.keys.clone();
    let serving = eventually(600, Duration::from_millis(50), async || {
        health_over_tls(tls_channel(addr.port(), &cert)).await
    })
    .await;
    assert!(serving, "health over TLS");

    // Silent connections, and one that sends the start of a ClientHello
    // (a record of 512 bytes announced, a few given) and no more.
    let opened = std::time::Instant::now();
    let mut stalled = Vec::new();
    for _ in 0..3 {
        stalled.push(tokio::net::TcpStream::connect(addr).await.expect("connect"));
    }
    let mut partial = tokio::net::TcpStream::connect(addr).await.expect("connect");
    partial
        .write_all(&[
            0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
        ])
        .await
        .expect("part of a ClientHello");
    stalled.push(partial);

    // A client that handshakes is served while they hang.
    let call_over_tls = async || {
        RegistryServiceClient::with_interceptor(
            tls_channel(addr.port(), &cert),
            common::Bearer::key(&keys.platform_p),
        )
        .get_caller(pb::GetCallerRequest::default())
        .await
        .expect("a call over TLS")
        .into_inner()
        .member
        .expect("member")
        .name
    };
    assert_eq!(call_over_tls().await, "members/platform-p");

    // The server closes every stalled connection, having sent nothing.
    for (i, stream) in stalled.iter_mut().enumerate() {
        let said = tokio::time::timeout(Duration::from_secs(30), read_to_close(stream))
            .await
            .unwrap_or_else(|_| panic!("stalled connection {i} is still open after 30 s"));
        assert!(said.is_empty(), "connection {i}: {said:?}");
    }
    assert!(
        opened.elapsed() < Duration::from_secs(8),
        "closed at the configured deadline, not the default: {:?}",
        opened.elapsed()
    );
    assert_eq!(call_over_tls().await, "members/platform-p");

    server.stop().await;
}

/// On plaintext, as with TLS, a connection must show within the handshake
/// deadline that it is a client: one that sends nothing, or part of HTTP/2's
/// client preface, is closed at the deadline, having been sent nothing, on
/// the API port and on the admin port (where a request head that never ends
/// counts as nothing too). Real clients are served meanwhile, and a
/// connection that sent the preface is not closed by the deadline: it is
/// HTTP/2's to keep. Before, such connections were held for ever.
#[tokio::test]
async fn a_plaintext_connection_that_never_begins_a_request_is_closed_at_the_deadline() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    const SETTINGS: [u8; 9] = [0, 0, 0, 4, 0, 0, 0, 0, 0];
    const PING: u8 = 6;
    const ACK: u8 = 1;
    // Short, so the test is quick; well under the 10 s default, so the test
    // tells the option from the default.
    let deadline = Duration::from_secs(2);
    let mut start = Start::fixture();
    start.options.tls_handshake_timeout = deadline;
    start.options.admin_listen = Some("127.0.0.1:0".parse().expect("address"));
    let server = start.start().await;
    let admin = server.admin.expect("an admin port");

    let opened = std::time::Instant::now();
    let connect = async |address, first: &[u8]| {
        let mut stream = tokio::net::TcpStream::connect(address)
            .await
            .expect("connect");
        stream.write_all(first).await.expect("write");
        stream
    };
    let mut stalled = Vec::new();
    for (port, address) in [("api", server.addr), ("admin", admin)] {
        stalled.push((port, "silent", connect(address, b"").await));
        stalled.push((
            port,
            "part of the preface",
            connect(address, &PREFACE[..12]).await,
        ));
    }
    stalled.push((
        "admin",
        "a request head that never ends",
        connect(admin, b"GET /metrics HTTP/1.1\r\nHost: admin\r\n").await,
    ));
    // The preface and SETTINGS, then nothing (as a client between calls).
    let mut prefaced = connect(server.addr, &[PREFACE, &SETTINGS].concat()).await;

    // Real clients are served while they hang: gRPC on both ports, and
    // Prometheus's HTTP/1 scrape.
    let me = server
        .registry_as(Who::OwnerA)
        .get_caller(pb::GetCallerRequest::default())
        .await
        .expect("a call")
        .into_inner();
    assert_eq!(me.member.expect("member").name, "members/owner-a");
    let admin_channel = Endpoint::from_shared(format!("http://{admin}"))
        .expect("endpoint")
        .connect_lazy();
    assert_eq!(
        tonic_health::pb::health_client::HealthClient::new(admin_channel)
            .check(tonic_health::pb::HealthCheckRequest::default())
            .await
            .expect("health on the admin port")
            .into_inner()
            .status,
        SERVING
    );
    let scraped = common::scrape_metrics(admin).await;
    assert!(scraped.starts_with("HTTP/1.1 200"), "{scraped}");

    // The server closes every stalled connection, having sent nothing.
    for (port, what, stream) in &mut stalled {
        let said = tokio::time::timeout(Duration::from_secs(30), read_to_close(stream))
            .await
            .unwrap_or_else(|_| panic!("{port}: {what}: still open after 30 s"));
        assert!(said.is_empty(), "{port}: {what}: {said:?}");
    }
    let closed = opened.elapsed();
    assert!(closed >= deadline, "not before the deadline: {closed:?}");
    assert!(
        closed < Duration::from_secs(8),
        "at the configured deadline, not the default: {closed:?}"
    );

    // The connection that sent the preface outlives the deadline: it
    // answers a PING.
    tokio::time::sleep((deadline + Duration::from_millis(500)).saturating_sub(opened.elapsed()))
        .await;
    let mut ping = vec![0, 0, 8, PING, 0, 0, 0, 0, 0];
    ping.extend_from_slice(b"marque!!");
    prefaced.write_all(&ping).await.expect("a PING");
    let acked = tokio::time::timeout(Duration::from_secs(10), async {
        let mut heard = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = prefaced.read(&mut buf).await.expect("read");
            assert!(n > 0, "closed: {heard:?}");
            heard.extend_from_slice(&buf[..n]);
            if frames(&heard).iter().any(|&(kind, flags, payload)| {
                kind == PING && flags & ACK != 0 && payload == b"marque!!"
            }) {
                return;
            }
        }
    })
    .await;
    assert!(acked.is_ok(), "the PING is answered after the deadline");
}

/// HTTP/2 frames in `bytes`, read from the start: type, flags, payload.
fn frames(bytes: &[u8]) -> Vec<(u8, u8, &[u8])> {
    let mut frames = Vec::new();
    let mut at = 0;
    while at + 9 <= bytes.len() {
        let len = usize::from(bytes[at]) << 16
            | usize::from(bytes[at + 1]) << 8
            | usize::from(bytes[at + 2]);
        let Some(payload) = bytes.get(at + 9..at + 9 + len) else {
            break;
        };
        frames.push((bytes[at + 3], bytes[at + 4], payload));
        at += 9 + len;
    }
    frames
}

#[tokio::test]
async fn plaintext_is_refused_off_loopback_unless_asked_for() {
    let options = ServerOptions::new("0.0.0.0:0".parse().expect("addr"));
    let refused = Server::bind(options.clone(), Arc::new(MemoryStore::new())).await;
    let message = refused.err().expect("refused").to_string();
    assert!(message.contains("plaintext"), "{message}");
    let mut allowed = options;
    allowed.allow_plaintext = true;
    assert!(
        Server::bind(allowed, Arc::new(MemoryStore::new()))
            .await
            .is_ok()
    );
}

/// A client that opens an HTTP/2 connection and then falls silent (a
/// crashed process, a NAT that dropped the flow) is pinged, and closed when
/// it does not answer, instead of being held for ever; with keepalive off
/// it is held.
#[tokio::test]
async fn a_connection_whose_peer_never_answers_a_ping_is_closed() {
    use tokio::io::AsyncWriteExt;
    const PING: u8 = 6;
    const GOAWAY: u8 = 7;
    // The client preface and an empty SETTINGS frame, then nothing: no
    // SETTINGS or PING acknowledgement.
    let mut preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    preface.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);

    let mut start = Start::fixture();
    start.options.keepalive_interval = Some(Duration::from_millis(200));
    start.options.keepalive_timeout = Duration::from_millis(300);
    let server = start.start().await;
    let mut silent = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    silent.write_all(&preface).await.expect("preface");
    let sent = tokio::time::timeout(Duration::from_secs(10), read_to_close(&mut silent))
        .await
        .expect("the server closes the silent connection");
    let types = frame_types(&sent);
    assert!(types.contains(&PING), "pinged first: frame types {types:?}");
    assert!(
        types.contains(&GOAWAY),
        "then told why: frame types {types:?}"
    );
    // A client that answers the pings keeps working across them.
    let mut client = server.registry_as(Who::OwnerA);
    for _ in 0..2 {
        client
            .get_caller(pb::GetCallerRequest::default())
            .await
            .expect("a client that answers pings keeps its connection");
        tokio::time::sleep(Duration::from_millis(800)).await;
    }

    let mut start = Start::fixture();
    start.options.keepalive_interval = None;
    let server = start.start().await;
    let mut silent = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    silent.write_all(&preface).await.expect("preface");
    let held = tokio::time::timeout(Duration::from_millis(1500), read_to_close(&mut silent)).await;
    assert!(held.is_err(), "without keepalive the connection is held");
}

#[tokio::test]
async fn the_binary_prints_a_first_operator_key_and_exits_cleanly_on_sigterm() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_marque"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            // Its standard output is a pipe, not a terminal.
            "--print-operator-key",
            "--shutdown-grace",
            "100ms",
            "--log-format",
            "json",
            // Every library's lines too (h2, hyper, tonic): none may carry
            // a key.
            "--log",
            "trace",
        ])
        .env_remove("MARQUE_OPERATOR_KEY")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn marque");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let key = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(line) = stdout.next_line().await.expect("read stdout") {
            if let Some(key) = line.trim().strip_prefix("mq_") {
                return format!("mq_{key}");
            }
        }
        panic!("no key printed");
    })
    .await
    .expect("the key is printed at start-up");
    let mut logs = Vec::new();
    let addr = listening_address(&mut stderr, &mut logs).await;
    // Read the rest as it comes: at TRACE a full pipe would stall the server.
    let rest = tokio::spawn(async move {
        let mut rest = Vec::new();
        while let Ok(Some(line)) = stderr.next_line().await {
            rest.push(line);
        }
        rest
    });
    let channel = Endpoint::from_shared(format!("http://{addr}"))
        .expect("endpoint")
        .connect_lazy();
    let mut client =
        marque::pb::marque::v1::registry_service_client::RegistryServiceClient::with_interceptor(
            channel,
            common::Bearer::key(&key),
        );
    let mut ok = false;
    for _ in 0..100 {
        if let Ok(me) = client.get_caller(pb::GetCallerRequest::default()).await {
            assert_eq!(
                me.into_inner().member.expect("member").kind,
                pb::MemberKind::Operator as i32
            );
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(ok, "the printed key is an operator key");
    // The same key id with another secret is refused, and that secret is
    // not logged either.
    let (id, secret) = key.rsplit_once('_').expect("mq_{id}_{secret}");
    let wrong = format!("{id}_{}", secret.chars().rev().collect::<String>());
    let mut refused =
        marque::pb::marque::v1::registry_service_client::RegistryServiceClient::with_interceptor(
            Endpoint::from_shared(format!("http://{addr}"))
                .expect("endpoint")
                .connect_lazy(),
            common::Bearer::key(&wrong),
        );
    let status = refused
        .get_caller(pb::GetCallerRequest::default())
        .await
        .expect_err("a wrong secret");
    assert_eq!(status.code(), tonic::Code::Unauthenticated);

    let pid = child.id().expect("pid").to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("exits after SIGTERM")
        .expect("wait");
    assert!(status.success(), "exit status {status:?}");
    logs.extend(rest.await.expect("the log reader"));
    let all = logs.join("\n");
    for secret in [secret, &wrong[wrong.len() - 64..]] {
        assert!(
            !all.contains(secret),
            "a key's secret reached the logs, even at TRACE"
        );
    }
    // The refused key is named by its public id, with the reason.
    let key_id = id.strip_prefix("mq_").expect("mq_{id}");
    assert!(
        logs.iter().any(|l| l.contains("API key refused")
            && l.contains(&format!("\"key_id\":\"{key_id}\""))
            && l.contains("wrong secret")),
        "the refusal names the key id and why"
    );
    assert!(all.contains("\"level\":\"TRACE\""), "the libraries' lines");
    assert!(all.contains("\"level\":\"INFO\""), "structured JSON logs");
    let _ = Who::Operator;
}

#[tokio::test]
async fn a_call_that_never_ends_does_not_hold_shutdown_past_the_drain_timeout() {
    let mut start = Start::fixture();
    start.options.shutdown_grace = Duration::from_millis(50);
    start.options.drain_timeout = Duration::from_millis(500);
    let mut server = start.start().await;
    // An import whose stream never ends: an in-flight call.
    let (tx, rx) = tokio::sync::mpsc::channel::<pb::ImportAuthorizationsRequest>(1);
    tx.send(pb::ImportAuthorizationsRequest {
        parent: "brands/alpha".into(),
        rows: vec![],
        request_id: String::new(),
        widen: None,
    })
    .await
    .expect("send");
    let mut client = server.registry_as(Who::OwnerA);
    let call = tokio::spawn(async move {
        client
            .import_authorizations(tokio_stream::wrappers::ReceiverStream::new(rx))
            .await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    let task = server.begin_shutdown();
    let result = tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("shutdown is bounded")
        .expect("join");
    result.expect("exit is clean even when calls are cut");
    assert!(started.elapsed() < Duration::from_secs(5));
    let cut = call.await.expect("join").expect_err("the cut call fails");
    assert_eq!(cut.code(), tonic::Code::Unavailable, "{cut:?}");
    drop(tx);
}

/// A replica shutting down goes on following the change feed until it has
/// drained: through the grace period and the drain, the calls it answers
/// see what other replicas write (a revocation, a `min_revision` another
/// replica answered with), not a snapshot that stopped at the signal.
#[tokio::test]
async fn a_replica_shutting_down_follows_other_replicas_until_it_has_drained() {
    let (store, url) = common::new_store().await;
    let mut first = Start::fixture();
    first.store = Some(store.clone());
    let keys = first.keys.clone();
    let a = first.start().await;
    let mut second = Start::fixture();
    second.keys = keys;
    second.options.seed = None;
    second.options.shutdown_grace = Duration::from_secs(2);
    second.options.drain_timeout = Duration::from_secs(30);
    second.options.min_revision_wait = Duration::from_secs(5);
    second.store = Some(match &url {
        Some(url) => common::postgres_store(url),
        None => store,
    });
    let mut b = second.start().await;

    // An import left open on B: a call in flight, which holds its drain.
    let (rows, open_rows) = tokio::sync::mpsc::channel::<pb::ImportAuthorizationsRequest>(1);
    rows.send(pb::ImportAuthorizationsRequest {
        parent: "brands/alpha".into(),
        rows: vec![],
        request_id: String::new(),
        widen: None,
    })
    .await
    .expect("send");
    let mut importer = b.registry_as(Who::OwnerA);
    let import = tokio::spawn(async move {
        importer
            .import_authorizations(tokio_stream::wrappers::ReceiverStream::new(open_rows))
            .await
    });
    // B's health, watched: NOT_SERVING once shutdown begins, and the end of
    // the stream once B stops accepting.
    let mut b_health = tonic_health::pb::health_client::HealthClient::new(b.channel())
        .watch(tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("health watch")
        .into_inner();
    let status = b_health.message().await.expect("a status").expect("open");
    assert_eq!(status.status, SERVING);
    let authorization = a
        .registry_as(Who::OwnerA)
        .list_authorizations(pb::ListAuthorizationsRequest {
            parent: "brands/alpha".into(),
            seller_account: "seller-p1".into(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .authorizations
        .remove(0);

    let task = b.begin_shutdown();
    let status = b_health.message().await.expect("a status").expect("open");
    assert_eq!(status.status, NOT_SERVING, "B's grace period");
    // A revokes the seller; B, in its grace period, checks at A's revision.
    let revoked = a
        .registry_as(Who::OwnerA)
        .revoke_authorization(pb::RevokeAuthorizationRequest {
            name: authorization.name,
            request_id: String::new(),
        })
        .await
        .expect("revoke on A")
        .into_inner()
        .revision;
    let check = b
        .check_as(Who::PlatformP)
        .check_seller(pb::CheckSellerRequest {
            brand: "brands/alpha".into(),
            seller_account: "seller-p1".into(),
            nice_class: 14,
            region: "CN".into(),
            min_revision: revoked,
            ..Default::default()
        })
        .await
        .expect("B reaches A's revision in its grace period")
        .into_inner();
    assert!(check.revision >= revoked);
    assert!(!check.authorized, "B sees the revocation made on A");

    // B stops accepting and drains; A writes again, and B's snapshot
    // follows while the import holds the drain.
    let ended = b_health
        .message()
        .await
        .expect_err("the health watch ends when B drains");
    assert_eq!(ended.code(), tonic::Code::Unavailable, "{ended:?}");
    let created = a
        .registry_as(Who::OwnerB)
        .create_brand(common::brand_named(
            "written-while-b-drains",
            "Written while B drains",
        ))
        .await
        .expect("write on A")
        .into_inner()
        .revision;
    let mut revisions = b.registry.revisions();
    tokio::time::timeout(
        Duration::from_secs(10),
        revisions.wait_for(|revision| *revision >= created),
    )
    .await
    .expect("B follows the change feed while it drains")
    .expect("B's registry is alive");
    assert!(!task.is_finished(), "the import still holds the drain");

    drop(rows);
    let result = tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("B stops once the import ends")
        .expect("join");
    result.expect("clean exit");
    let _ = import.await.expect("join");
}

/// A second signal while the binary shuts down (an operator at a terminal
/// who will not wait for the drain; Kubernetes sends one SIGTERM, then
/// SIGKILL) cuts the shutdown short: a WARN line says so, the connections
/// still open are closed, and the process exits at once with 128 plus the
/// second signal's number, as a shell reports a process the signal killed.
/// Before, a second signal did nothing: the grace period and the drain ran
/// their course.
#[tokio::test]
async fn a_second_signal_cuts_the_shutdown_short() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_marque"))
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
        // Far longer than the test waits.
        .args(["--shutdown-grace", "60s", "--drain-timeout", "60s"])
        .env_remove("MARQUE_ADMIN_LISTEN")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn marque");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut logs = Vec::new();
    let addr = listening_address(&mut stderr, &mut logs).await;
    let saying = async |stderr: &mut tokio::io::Lines<_>, logs: &mut Vec<String>, message| {
        tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = stderr.next_line().await.expect("read stderr") {
                logs.push(line.clone());
                let json: serde_json::Value = serde_json::from_str(&line).expect("JSON log line");
                if json["fields"]["message"] == message {
                    return;
                }
            }
            panic!("no {message:?} line: {logs:#?}");
        })
        .await
        .unwrap_or_else(|_| panic!("no {message:?} line in time: {logs:#?}"))
    };
    saying(&mut stderr, &mut logs, "serving").await;
    // A client connection, open when the shutdown begins.
    let mut open = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    open.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
        .await
        .expect("preface");
    let pid = child.id().expect("pid").to_string();
    let signal = |name: &str| {
        let sent = std::process::Command::new("kill")
            .args([&format!("-{name}"), &pid])
            .status()
            .expect("kill");
        assert!(sent.success(), "kill -{name}");
    };

    signal("INT");
    saying(&mut stderr, &mut logs, "shutting down: health NOT_SERVING").await;
    let cut = std::time::Instant::now();
    signal("TERM");
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exits at once after a second signal")
        .expect("wait");
    assert_eq!(status.code(), Some(128 + 15), "{status:?}");
    assert!(cut.elapsed() < Duration::from_secs(10));
    tokio::time::timeout(Duration::from_secs(5), common::read_to_close(&mut open))
        .await
        .expect("the open connection is closed");
    while let Ok(Some(line)) = stderr.next_line().await {
        logs.push(line);
    }
    let lines: Vec<serde_json::Value> = logs
        .iter()
        .map(|line| serde_json::from_str(line).expect("JSON log line"))
        .collect();
    let said = |level: &str, says: &str| {
        lines.iter().any(|line| {
            line["level"] == level
                && line["fields"]["message"]
                    .as_str()
                    .is_some_and(|message| message.contains(says))
        })
    };
    assert!(said("INFO", "SIGINT received"), "{logs:#?}");
    assert!(
        said("WARN", "SIGTERM received while shutting down"),
        "{logs:#?}"
    );
    assert!(said("WARN", "shutdown cut short"), "{logs:#?}");
    assert!(!said("INFO", "drained; stopped"), "{logs:#?}");
}

/// Starts the binary on the corpus registry with `extra` arguments; its
/// address once it listens, and the child (killed on drop).
async fn spawn_on_corpus(extra: &[&str]) -> (tokio::process::Child, String) {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let seed = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/corpus-registry.toml"
    );
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_marque"))
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
        .args(["--seed", seed])
        .args(extra)
        .env_remove("MARQUE_ORDINARY_WORDS")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn marque");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let addr = listening_address(&mut stderr, &mut Vec::new()).await;
    (child, addr)
}

/// Reads the binary's JSON log lines (kept in `logs`) up to the one that
/// says where it listens: that address.
async fn listening_address(
    stderr: &mut tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStderr>>,
    logs: &mut Vec<String>,
) -> String {
    tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = stderr.next_line().await.expect("read stderr") {
            logs.push(line.clone());
            let json: serde_json::Value = serde_json::from_str(&line).expect("JSON log line");
            if let Some(address) = json["fields"]["address"].as_str() {
                return address.to_string();
            }
        }
        panic!("no listening line");
    })
    .await
    .expect("listening")
}

/// `--ordinary-words` adds words that are never taken for misspelt names:
/// `martello` (Italian: hammer) is one letter from the corpus brand
/// Marvello, whose mark covers class 21 in Italy, so a meat hammer's
/// listing goes to REVIEW unless the Italian word is listed.
#[tokio::test]
async fn ordinary_words_from_a_list_are_not_misspelt_names() {
    let listing = pb::Listing {
        listing_id: "it-1".into(),
        seller_account: "acme-trading".into(),
        title: "Martello batticarne in acciaio inox".into(),
        nice_class: 21,
        region: "IT".into(),
        ..Default::default()
    };
    let dir = std::env::temp_dir().join(format!("marque-words-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("it.txt"), "martello\nbatticarne\nacciaio\n").expect("word list");
    std::fs::write(dir.join(".hidden"), [0xff, 0xfe]).expect("hidden file, not UTF-8");
    let dir_arg = dir.to_string_lossy().into_owned();

    let mut verdicts = Vec::new();
    for extra in [&[][..], &["--ordinary-words", dir_arg.as_str()][..]] {
        let (_child, addr) = spawn_on_corpus(extra).await;
        let channel = Endpoint::from_shared(format!("http://{addr}"))
            .expect("endpoint")
            .connect_lazy();
        let mut client = pb::check_service_client::CheckServiceClient::with_interceptor(
            channel,
            common::Bearer::key(
                "mq_corpus-shopwise_a04a6ed28ecb321812c999da1af4d3e01f38e8eced5d3d10cb0da36066437ba3",
            ),
        );
        let mut answer = None;
        for _ in 0..100 {
            let request = pb::CheckListingRequest {
                listing: Some(listing.clone()),
                min_revision: 0,
            };
            match client.check_listing(request).await {
                Ok(ok) => {
                    answer = Some(ok.into_inner());
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
        let answer = answer.expect("CheckListing answers");
        let brands: Vec<_> = answer.matches.iter().map(|m| m.brand.clone()).collect();
        verdicts.push((answer.verdict, brands));
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        verdicts,
        [
            (
                pb::Verdict::Review as i32,
                vec!["brands/marvello".to_owned()]
            ),
            (pb::Verdict::Allow as i32, vec![]),
        ]
    );
}

#[tokio::test]
async fn unreadable_ordinary_words_stop_the_start() {
    let missing = std::env::temp_dir().join("marque-no-such-word-list.txt");
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_marque"))
        .args(["serve", "--listen", "127.0.0.1:0", "--ordinary-words"])
        .arg(&missing)
        .output()
        .await
        .expect("run marque");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--ordinary-words") && stderr.contains("marque-no-such-word-list.txt"),
        "{stderr}"
    );
}

/// A database URL that does not parse, from the flag or the environment,
/// stops `serve` and `migrate` with exit code 1 and an error naming both
/// (it said only "invalid database URL"), without the password.
#[tokio::test]
async fn an_invalid_database_url_is_named_by_its_flag_and_variable() {
    let url = "postgres://marque:hunter2@db.example.internal:hunter2/marque";
    for (command, from_env) in [("serve", true), ("serve", false), ("migrate", true)] {
        let mut run = tokio::process::Command::new(env!("CARGO_BIN_EXE_marque"));
        run.arg(command).env_remove("MARQUE_DATABASE_URL");
        if command == "serve" {
            run.args(["--listen", "127.0.0.1:0"]);
        }
        if from_env {
            run.env("MARQUE_DATABASE_URL", url);
        } else {
            run.args(["--database-url", url]);
        }
        let output = run.output().await.expect("run marque");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{command}: {stderr}");
        assert!(
            stderr.contains("--database-url") && stderr.contains("MARQUE_DATABASE_URL"),
            "{command}: {stderr}"
        );
        assert!(
            stderr.contains("invalid value for option `port`"),
            "{stderr}"
        );
        assert!(!stderr.contains("hunter2"), "{stderr}");
    }
}

/// A database flag out of range stops the start on the embedded store too,
/// not only once a database URL is added.
#[tokio::test]
async fn a_database_flag_out_of_range_stops_the_start_without_a_database() {
    for (flag, value) in [
        ("--database-pool-size", "0"),
        ("--database-statement-timeout", "500us"),
    ] {
        let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_marque"))
            .args(["serve", "--listen", "127.0.0.1:0", flag, value])
            .env_remove("MARQUE_DATABASE_URL")
            .kill_on_drop(true)
            .output();
        let output = tokio::time::timeout(Duration::from_secs(30), run)
            .await
            .unwrap_or_else(|_| panic!("{flag} {value}: still serving"))
            .expect("run marque");
        assert!(!output.status.success(), "{flag} {value}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(flag), "{stderr}");
    }
}

/// An operator key read from a Secret made from a file ends with the
/// file's newline: the server takes the key without it, and it is the
/// operator's (before, every start stopped once the registry was loaded,
/// "the operator key is malformed").
#[tokio::test]
async fn an_operator_key_with_a_trailing_newline_is_the_key() {
    let key = marque::auth::generate_key().secret;
    let (mut child, addr) = spawn_with_env(&[("MARQUE_OPERATOR_KEY", &format!("{key}\n"))]).await;
    let mut client =
        marque::pb::marque::v1::registry_service_client::RegistryServiceClient::with_interceptor(
            Endpoint::from_shared(format!("http://{addr}"))
                .expect("endpoint")
                .connect_lazy(),
            common::Bearer::key(&key),
        );
    let mut caller = None;
    for _ in 0..200 {
        if let Ok(me) = client.get_caller(pb::GetCallerRequest::default()).await {
            caller = Some(me.into_inner());
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the server stopped: {status:?}");
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let caller = caller.expect("the key, without its newline, is the operator's");
    assert_eq!(
        caller.member.expect("member").kind,
        pb::MemberKind::Operator as i32
    );
}

/// A malformed operator key stops the start at once, named by its flag and
/// variable and never shown, even while the database cannot be reached
/// (before, the server waited for the database for ever, and found the key
/// malformed only once the registry was loaded).
#[tokio::test]
async fn a_malformed_operator_key_stops_the_start_before_the_database_is_reached() {
    let key = marque::auth::generate_key().secret;
    let truncated = &key[..key.len() - 1];
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_marque"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        // Nothing listens on port 1: the database is out of reach.
        .args(["--database-url", "postgres://m@127.0.0.1:1/m"])
        .env("MARQUE_OPERATOR_KEY", truncated)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("stopped at once, not waiting for the database")
        .expect("run marque");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("--operator-key / MARQUE_OPERATOR_KEY is malformed"),
        "{stderr}"
    );
    assert!(
        !stderr.contains(&truncated[truncated.len() - 40..]),
        "{stderr}"
    );
    assert!(!stderr.contains("listening"), "{stderr}");
}

/// Starts the binary on the embedded store with `env` set; the child
/// (killed on drop) and its address once it listens.
async fn spawn_with_env(env: &[(&str, &str)]) -> (tokio::process::Child, String) {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_marque"))
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
        .env_remove("MARQUE_DATABASE_URL")
        .env_remove("MARQUE_OPERATOR_KEY")
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn marque");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let addr = listening_address(&mut stderr, &mut Vec::new()).await;
    // Read the rest as it comes: a full pipe would stall the server.
    tokio::spawn(async move { while let Ok(Some(_)) = stderr.next_line().await {} });
    (child, addr)
}

/// A database CA that holds no certificate (an empty Secret key, a key
/// file) stops `serve` and `migrate` at once, naming the file: before,
/// every connection failed its TLS handshake (UnknownIssuer) and was tried
/// again as a database out of reach, for ever.
#[tokio::test]
async fn a_database_ca_without_a_certificate_stops_the_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("ca.crt");
    std::fs::write(&ca, "").expect("write");
    let ca = ca.display().to_string();
    for command in ["serve", "migrate"] {
        let mut run = tokio::process::Command::new(env!("CARGO_BIN_EXE_marque"));
        run.arg(command)
            .args([
                "--database-url",
                "postgres://m@127.0.0.1:1/m?sslmode=verify-full",
            ])
            .env("MARQUE_DATABASE_CA", &ca)
            .kill_on_drop(true);
        if command == "serve" {
            run.args(["--listen", "127.0.0.1:0"]);
        } else {
            run.args(["--wait", "60s"]);
        }
        let output = tokio::time::timeout(Duration::from_secs(30), run.output())
            .await
            .unwrap_or_else(|_| panic!("{command}: still waiting for the database"))
            .expect("run marque");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{command}: {stderr}");
        assert!(
            stderr.contains("no certificate in the database CA") && stderr.contains(&ca),
            "{command}: {stderr}"
        );
    }
}

/// When the certificate served expires is on `/metrics`
/// (`marque_tls_certificate_expiry_timestamp_seconds`), so that an alert
/// can fire before clients refuse it; one served already expired gets a
/// WARN at start. Before, neither: rustls serves an expired certificate as
/// any other, and a renewal that never came showed only as failing clients.
#[tokio::test]
async fn the_certificates_expiry_is_exported_and_an_expired_one_is_warned_of() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let dir = tempfile::tempdir().expect("tempdir");
    for (year, expired) in [(2020, true), (2099, false)] {
        let key = rcgen::KeyPair::generate().expect("key");
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("params");
        params.not_before = rcgen::date_time_ymd(2019, 1, 1);
        params.not_after = rcgen::date_time_ymd(year, 1, 1);
        let not_after = params.not_after.unix_timestamp();
        let cert = params.self_signed(&key).expect("certificate");
        let (cert_path, key_path) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
        std::fs::write(&cert_path, cert.pem()).expect("write");
        std::fs::write(&key_path, key.serialize_pem()).expect("write");
        let admin = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port");
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_marque"))
            .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
            .args(["--admin-listen", &admin.to_string()])
            .arg("--tls-cert")
            .arg(&cert_path)
            .arg("--tls-key")
            .arg(&key_path)
            .env_remove("MARQUE_DATABASE_URL")
            .env_remove("MARQUE_OPERATOR_KEY")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn marque");
        let mut stderr = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let mut logs = Vec::new();
        listening_address(&mut stderr, &mut logs).await;
        tokio::spawn(async move { while let Ok(Some(_)) = stderr.next_line().await {} });
        let warned = logs.iter().any(|line| {
            line.contains("\"level\":\"WARN\"")
                && line.contains("the TLS certificate served has expired")
                && line.contains("2020-01-01T00:00:00Z")
        });
        assert_eq!(warned, expired, "{year}: {logs:#?}");
        let want = format!("\nmarque_tls_certificate_expiry_timestamp_seconds {not_after}\n");
        let mut text = String::new();
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(admin).await.is_ok() {
                text = common::scrape_metrics(admin).await;
                if text.contains(&want) {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(text.contains(&want), "{year}: want {want:?} in:\n{text}");
        child.kill().await.expect("stop marque");
    }
}

/// A log filter that would write nothing (a level misspelt, which
/// EnvFilter reads as a target to log alone; an empty one) stops `serve`
/// and `migrate` at once, naming the word, rather than running without a
/// log line, errors included.
#[tokio::test]
async fn a_log_filter_that_would_silence_the_log_stops_the_start() {
    for (command, filter) in [("serve", "warning"), ("serve", ""), ("migrate", "inf")] {
        let mut run = tokio::process::Command::new(env!("CARGO_BIN_EXE_marque"));
        run.arg(command)
            .env("MARQUE_LOG", filter)
            .env_remove("MARQUE_DATABASE_URL")
            .kill_on_drop(true);
        if command == "serve" {
            run.args(["--listen", "127.0.0.1:0"]);
        } else {
            run.args([
                "--database-url",
                "postgres://m@127.0.0.1:1/m",
                "--wait",
                "0s",
            ]);
        }
        let output = tokio::time::timeout(Duration::from_secs(30), run.output())
            .await
            .unwrap_or_else(|_| panic!("{command} with MARQUE_LOG={filter:?}: still running"))
            .expect("run marque");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{filter:?}: {stderr}");
        assert!(
            stderr.contains("invalid log filter") && stderr.contains("MARQUE_LOG"),
            "{filter:?}: {stderr}"
        );
        if !filter.is_empty() {
            assert!(
                stderr.contains(&format!("\"{filter}\" is no level")),
                "{stderr}"
            );
        }
    }
}

/// With a JSON log, what stops the start is a JSON line too (a log
/// pipeline that reads JSON would drop a line of plain text); with the text
/// log, a line of text.
#[tokio::test]
async fn an_error_that_stops_the_start_is_written_in_the_logs_format() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port to hold");
    let address = taken.local_addr().expect("address").to_string();
    for format in ["json", "text"] {
        let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_marque"))
            .args(["serve", "--listen", &address, "--log-format", format])
            .env_remove("RUST_BACKTRACE")
            .env_remove("RUST_LIB_BACKTRACE")
            .output()
            .await
            .expect("run marque");
        assert!(!output.status.success(), "{format}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().last().expect("a line");
        let json = serde_json::from_str::<serde_json::Value>(last);
        if format == "json" {
            let line = json.expect("the last line is JSON");
            assert_eq!(line["level"], "ERROR", "{line}");
            assert_eq!(line["fields"]["message"], "stopped", "{line}");
            let error = line["fields"]["error"].as_str().expect("the error");
            assert!(
                error.contains(&address) && error.contains("in use"),
                "{line}"
            );
            assert!(
                stderr
                    .lines()
                    .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()),
                "{stderr}"
            );
        } else {
            assert!(json.is_err(), "{last}");
            assert!(
                stderr.contains(&format!("Error: cannot listen on {address}")),
                "{stderr}"
            );
        }
    }
}

/// TLS files that cannot serve stop the start before the log says the
/// server listens: a certificate that cannot be read, or holds none, is
/// named in the error that stops the process, and no `listening` line
/// came first (before, one did: it read the files only once it served).
#[tokio::test]
async fn tls_files_that_cannot_serve_stop_the_start_before_it_says_it_listens() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing.crt");
    let empty = dir.path().join("empty.crt");
    let key = dir.path().join("tls.key");
    std::fs::write(&empty, "no certificate here\n").expect("write");
    std::fs::write(&key, "no key here\n").expect("write");
    for (cert, says) in [
        (&missing, "cannot read TLS certificate"),
        (&empty, "no certificate in"),
    ] {
        let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_marque"))
            .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
            .arg("--tls-cert")
            .arg(cert)
            .arg("--tls-key")
            .arg(&key)
            .env_remove("MARQUE_ADMIN_LISTEN")
            .env_remove("MARQUE_TLS_CLIENT_CA")
            .output()
            .await
            .expect("run marque");
        assert!(!output.status.success(), "{}", cert.display());
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<serde_json::Value> = stderr
            .lines()
            .map(|line| serde_json::from_str(line).expect("a JSON line"))
            .collect();
        assert!(
            !lines
                .iter()
                .any(|line| line["fields"]["message"] == "listening"),
            "{stderr}"
        );
        let last = lines.last().expect("a line");
        assert_eq!(last["level"], "ERROR", "{last}");
        assert_eq!(last["fields"]["message"], "stopped", "{last}");
        let error = last["fields"]["error"].as_str().expect("the error");
        assert!(
            error.contains(says) && error.contains(&cert.display().to_string()),
            "{last}"
        );
    }
}

/// The binary raises a low soft open-file limit to the hard limit at
/// start-up, saying so at INFO, and warns once when even the hard limit is
/// below what `--max-connections` needs; a limit that covers the caps is
/// left alone, without a line.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn the_binary_raises_its_open_file_limit_and_warns_when_the_hard_limit_is_short() {
    use marque::descriptors::MARGIN;
    let own = rustix::process::getrlimit(rustix::process::Resource::Nofile);
    let hard = own.maximum.unwrap_or(u64::MAX).min(4_096);
    if hard < 1_024 {
        eprintln!("skipped: a hard open-file limit of {hard} leaves no room to raise a soft one");
        return;
    }
    let soft = hard / 2;
    // The memory store and no admin port: the API port's cap plus MARGIN.
    let short = hard;
    let covered_by_hard = hard - MARGIN;
    let covered_by_soft = soft - MARGIN;

    let lines = limit_lines(soft, hard, short).await;
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert_eq!(lines[0]["level"], "INFO", "{}", lines[0]);
    assert_eq!(lines[0]["fields"]["previous"], soft, "{}", lines[0]);
    assert_eq!(lines[0]["fields"]["limit"], hard, "{}", lines[0]);
    assert_eq!(lines[1]["level"], "WARN", "{}", lines[1]);
    assert_eq!(lines[1]["fields"]["limit"], hard, "{}", lines[1]);
    assert_eq!(lines[1]["fields"]["needed"], short + MARGIN, "{}", lines[1]);
    assert_eq!(lines[1]["fields"]["max_connections"], short, "{}", lines[1]);
    let message = lines[1]["fields"]["message"].as_str().expect("a message");
    assert!(message.contains("too many open files"), "{message}");

    let lines = limit_lines(soft, hard, covered_by_hard).await;
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert_eq!(lines[0]["level"], "INFO", "{}", lines[0]);
    assert_eq!(lines[0]["fields"]["limit"], hard, "{}", lines[0]);

    let lines = limit_lines(soft, hard, covered_by_soft).await;
    assert!(lines.is_empty(), "{lines:#?}");
}

/// The log lines about the open-file limit of the binary started under the
/// limits `soft` and `hard` with `--max-connections max_connections`, up to
/// the line that says where it listens.
#[cfg(target_os = "linux")]
async fn limit_lines(soft: u64, hard: u64, max_connections: u64) -> Vec<serde_json::Value> {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut child = tokio::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "ulimit -Sn {soft} && ulimit -Hn {hard} && exec \"$0\" \"$@\""
        ))
        .arg(env!("CARGO_BIN_EXE_marque"))
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
        .args(["--max-connections", &max_connections.to_string()])
        .env_remove("MARQUE_DATABASE_URL")
        .env_remove("MARQUE_ADMIN_LISTEN")
        .env_remove("MARQUE_MAX_CONNECTIONS")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn marque under bash");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut logs = Vec::new();
    listening_address(&mut stderr, &mut logs).await;
    logs.iter()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("JSON log line"))
        .filter(|line| line["target"] == "marque::descriptors")
        .collect()
}

/// The binary serving on a free port with a plain text log at `--log
/// level`, its log read line by line, once it serves.
struct LoggingServer {
    _child: tokio::process::Child,
    lines: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStderr>>,
    addr: String,
    /// The operator key it was started with.
    key: String,
}

impl LoggingServer {
    async fn start(level: &str) -> Self {
        use tokio::io::AsyncBufReadExt;
        let key = marque::auth::generate_key().secret;
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_marque"))
            .args(["serve", "--listen", "127.0.0.1:0", "--log", level])
            .args(["--log-format", "text", "--operator-key", &key])
            // Plain text: no colour codes between a field's name and its value.
            .env("NO_COLOR", "1")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn marque");
        let stderr = child.stderr.take().expect("stderr");
        let mut server = LoggingServer {
            _child: child,
            lines: tokio::io::BufReader::new(stderr).lines(),
            addr: String::new(),
            key,
        };
        loop {
            let line = server.next_line().await;
            if let Some((_, address)) = line.split_once("listening address=") {
                server.addr = address.trim().to_string();
            }
            if line.contains(" serving revision=") {
                break;
            }
        }
        assert!(
            !server.addr.is_empty(),
            "a listening line before the serving one"
        );
        server
    }

    async fn next_line(&mut self) -> String {
        tokio::time::timeout(Duration::from_secs(30), self.lines.next_line())
            .await
            .expect("a log line in time")
            .expect("read stderr")
            .expect("the server is still running")
    }
}

/// The caller's `x-request-id` goes into every log line of its call: the
/// binary's text log takes only a plain token, and replaces anything that
/// could forge a field of a line (`evil" member="operator`) with a generated
/// id, as when none is given.
#[tokio::test]
async fn a_request_id_that_would_forge_log_fields_is_not_logged() {
    let mut server = LoggingServer::start("marque=debug").await;
    let (key, addr) = (server.key.clone(), server.addr.clone());
    let mut client =
        marque::pb::marque::v1::registry_service_client::RegistryServiceClient::with_interceptor(
            Endpoint::from_shared(format!("http://{addr}"))
                .expect("endpoint")
                .connect_lazy(),
            common::Bearer::key(&key),
        );
    for id in ["plain-id-42", "evil\" member=\"operator"] {
        let mut request = tonic::Request::new(pb::GetCallerRequest::default());
        request
            .metadata_mut()
            .insert("x-request-id", id.parse().expect("ascii"));
        client.get_caller(request).await.expect("answered");
    }
    let mut calls = Vec::new();
    while calls.len() < 2 {
        let line = server.next_line().await;
        assert!(!line.contains("evil"), "{line}");
        if line.contains("GetCaller") && line.contains("rpc done") {
            calls.push(line);
        }
    }
    assert!(calls[0].contains("request_id=plain-id-42 "), "{}", calls[0]);
    let generated = calls[1]
        .split("request_id=")
        .nth(1)
        .and_then(|rest| rest.split([' ', '}']).next())
        .expect("a request id");
    assert!(uuid::Uuid::parse_str(generated).is_ok(), "{}", calls[1]);
    assert_eq!(calls[1].matches("member=").count(), 1, "{}", calls[1]);
}

/// At the default level (INFO) a call runs in no span, which would cost a
/// tenth of a check's throughput: the lines it writes there (a refused key,
/// a caller's mistake) name its RPC, request id and member themselves, and
/// an answered call writes none, so no request id is made for it.
#[tokio::test]
async fn lines_at_info_name_their_call_without_a_span() {
    let mut server = LoggingServer::start("info").await;
    let key = server.key.clone();
    let channel = Endpoint::from_shared(format!("http://{}", server.addr))
        .expect("endpoint")
        .connect_lazy();
    fn with_id<M>(id: &str, message: M) -> tonic::Request<M> {
        let mut request = tonic::Request::new(message);
        request
            .metadata_mut()
            .insert("x-request-id", id.parse().expect("ascii"));
        request
    }
    let mut operator =
        marque::pb::marque::v1::registry_service_client::RegistryServiceClient::with_interceptor(
            channel.clone(),
            common::Bearer::key(&key),
        );
    operator
        .get_caller(with_id("req-answered", pb::GetCallerRequest::default()))
        .await
        .expect("answered");
    let refused = operator
        .get_brand(with_id(
            "req-mistaken",
            pb::GetBrandRequest {
                name: "not a brand name".into(),
                ..Default::default()
            },
        ))
        .await
        .expect_err("a malformed name");
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    let wrong_key = marque::auth::generate_key().secret;
    let mut stranger =
        marque::pb::marque::v1::registry_service_client::RegistryServiceClient::with_interceptor(
            channel,
            common::Bearer::key(&wrong_key),
        );
    let refused = stranger
        .get_caller(with_id("req-stranger", pb::GetCallerRequest::default()))
        .await
        .expect_err("an unknown key");
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);
    // Without an id of its own: one is made, the same on both its lines.
    let refused = stranger
        .get_brand(pb::GetBrandRequest {
            name: "brands/anonymous".into(),
            ..Default::default()
        })
        .await
        .expect_err("an unknown key");
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);

    let mut lines = Vec::new();
    while !lines
        .iter()
        .any(|l: &String| l.contains("rpc failed") && l.contains("GetBrand") && !l.contains("req-"))
    {
        lines.push(server.next_line().await);
    }
    let generated: Vec<&str> = lines
        .iter()
        .filter(|l| l.contains("rpc=/marque.v1.RegistryService/GetBrand ") && !l.contains("req-"))
        .filter_map(|l| l.split("request_id=").nth(1)?.split(' ').next())
        .collect();
    assert_eq!(
        generated.len(),
        2,
        "API key refused, rpc failed: {lines:#?}"
    );
    assert!(uuid::Uuid::parse_str(generated[0]).is_ok(), "{generated:?}");
    assert_eq!(generated[0], generated[1], "one id for the call's lines");
    let text = lines.join("\n");
    assert!(
        !text.contains("req-answered"),
        "an answered call, at INFO: {text}"
    );
    assert!(!text.contains("rpc{"), "no span at INFO: {text}");
    let line = |needle: &str| {
        lines
            .iter()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle:?} in {text}"))
    };
    let mistaken = line("request_id=req-mistaken");
    for field in [
        "rpc failed",
        "code=InvalidArgument",
        "rpc=/marque.v1.RegistryService/GetBrand ",
        "member=operator",
    ] {
        assert!(mistaken.contains(field), "{field:?} in {mistaken}");
    }
    let key_id = marque::auth::key_id_of(&wrong_key).expect("a key id");
    let refusal = line("API key refused");
    for field in [
        format!("key_id=\"{key_id}\""),
        "reason=\"unknown key id\"".to_owned(),
        "rpc=/marque.v1.RegistryService/GetCaller ".to_owned(),
        "request_id=req-stranger".to_owned(),
    ] {
        assert!(refusal.contains(&field), "{field:?} in {refusal}");
    }
    let stranger = line("code=Unauthenticated");
    assert!(stranger.contains("request_id=req-stranger"), "{stranger}");
    assert!(
        !stranger.contains("member="),
        "not authenticated: {stranger}"
    );
}

/// A write's `request_id` (its idempotency key, the id a client retries
/// with) is a field of its own on the call's lines, `write_request_id`,
/// beside the request id (the caller's `x-request-id`, or a generated one),
/// at INFO and at DEBUG alike; one that could forge a field of a line is
/// not logged.
#[tokio::test]
async fn a_writes_request_id_is_on_its_log_lines() {
    for level in ["info", "marque=debug"] {
        let mut server = LoggingServer::start(level).await;
        let mut operator =
            marque::pb::marque::v1::registry_service_client::RegistryServiceClient::with_interceptor(
                Endpoint::from_shared(format!("http://{}", server.addr))
                    .expect("endpoint")
                    .connect_lazy(),
                common::Bearer::key(&server.key),
            );
        // Each a mistaken write (a member id that is not a slug), so each
        // writes a line at INFO.
        let mistaken = |request_id: &str| pb::CreateMemberRequest {
            member_id: "Not A Slug".into(),
            member: Some(pb::Member {
                display_name: "Mistaken".into(),
                kind: pb::MemberKind::BrandOwner.into(),
                ..Default::default()
            }),
            request_id: request_id.into(),
        };
        let refused = operator
            .create_member(mistaken("retry-key-77"))
            .await
            .expect_err("not a slug");
        assert_eq!(refused.code(), tonic::Code::InvalidArgument);
        let mut with_header = tonic::Request::new(mistaken("retry-key-78"));
        with_header
            .metadata_mut()
            .insert("x-request-id", "trace-78".parse().expect("ascii"));
        operator
            .create_member(with_header)
            .await
            .expect_err("not a slug");
        operator
            .create_member(mistaken("forged\" member=\"x"))
            .await
            .expect_err("not a slug");

        let mut failed = Vec::new();
        while failed.len() < 3 {
            let line = server.next_line().await;
            assert!(!line.contains("forged"), "{level}: {line}");
            if line.contains("CreateMember") && line.contains("rpc failed") {
                failed.push(line);
            }
        }
        // `request_id=` after a space, whether in the span or the line.
        let request_id = |line: &str| {
            line.split(" request_id=")
                .nth(1)
                .and_then(|rest| rest.split([' ', '}']).next())
                .map(str::to_owned)
                .unwrap_or_default()
        };
        assert!(
            failed[0].contains("write_request_id=retry-key-77"),
            "{level}: {}",
            failed[0]
        );
        assert!(
            uuid::Uuid::parse_str(&request_id(&failed[0])).is_ok(),
            "{level}: {}",
            failed[0]
        );
        assert!(
            failed[1].contains("request_id=trace-78"),
            "{level}: {}",
            failed[1]
        );
        assert!(
            failed[1].contains("write_request_id=retry-key-78"),
            "{level}: {}",
            failed[1]
        );
        assert!(
            !failed[2].contains("write_request_id"),
            "{level}: {}",
            failed[2]
        );
    }
}
