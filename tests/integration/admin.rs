//! The admin port: what a Kubernetes probe (a standard, plaintext gRPC health
//! client without a client certificate) sees while the API port requires
//! TLS and client certificates; and the Prometheus metrics next to it.

use crate::common;

use std::{collections::HashMap, sync::Arc, time::Duration};

use common::Start;
use marque::server::{Server, TlsFiles};

const ALL: [&str; 4] = [
    "",
    "marque.v1.CheckService",
    "marque.v1.RegistryService",
    "liveness",
];

/// A CA, a server certificate for localhost and a client certificate, all
/// signed by the CA. Returns the server's TLS files (requiring client
/// certificates from the CA) and the client's (CA, cert, key) PEMs.
fn pki(dir: &std::path::Path) -> (TlsFiles, (String, String, String)) {
    let ca_key = rcgen::KeyPair::generate().expect("ca key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).expect("ca");
    let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);
    let server_key = rcgen::KeyPair::generate().expect("server key");
    let server = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .expect("server params")
        .signed_by(&server_key, &issuer)
        .expect("server cert");
    let client_key = rcgen::KeyPair::generate().expect("client key");
    let client = rcgen::CertificateParams::new(vec!["platform-p".to_string()])
        .expect("client params")
        .signed_by(&client_key, &issuer)
        .expect("client cert");
    std::fs::write(dir.join("ca.crt"), ca.pem()).expect("write");
    std::fs::write(dir.join("tls.crt"), server.pem()).expect("write");
    std::fs::write(dir.join("tls.key"), server_key.serialize_pem()).expect("write");
    (
        TlsFiles {
            cert: dir.join("tls.crt"),
            key: dir.join("tls.key"),
            client_ca: Some(dir.join("ca.crt")),
        },
        (ca.pem(), client.pem(), client_key.serialize_pem()),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn probes_read_honest_health_on_the_admin_port_while_the_api_port_needs_mtls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut start = Start::fixture();
    let (tls, (ca, client_cert, client_key)) = pki(dir.path());
    start.options.tls = Some(tls);
    start.options.admin_listen = Some("127.0.0.1:0".parse().expect("addr"));
    start.options.shutdown_grace = Duration::from_millis(1500);
    // The store's first load waits for the test, to observe start-up.
    let gate = Arc::new(tokio::sync::Notify::new());
    let store: Arc<dyn marque::store::Store> = Arc::new(common::GatedStore::new(gate.clone()));
    let keys = start.keys.clone();
    let server = Server::bind(start.options, store).await.expect("bind");
    let api = server.local_addr().expect("api addr");
    let admin = server
        .admin_addr()
        .expect("admin addr")
        .expect("admin configured");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));

    // Start-up: nothing is SERVING but liveness.
    let seen = common::health_probe(admin, &ALL).await;
    assert_eq!(seen[""], "NOT_SERVING", "{seen:?}");
    assert_eq!(seen["marque.v1.CheckService"], "NOT_SERVING", "{seen:?}");
    assert_eq!(seen["marque.v1.RegistryService"], "NOT_SERVING", "{seen:?}");
    assert_eq!(seen["liveness"], "SERVING", "{seen:?}");

    gate.notify_one();
    let mut steady = HashMap::new();
    for _ in 0..100 {
        steady = common::health_probe(admin, &ALL).await;
        if steady.values().all(|s| s == "SERVING") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        steady.values().all(|s| s == "SERVING"),
        "steady state: {steady:?}"
    );

    // The API port refuses a plaintext probe and a TLS client without a certificate.
    let plain = tonic::transport::Endpoint::from_shared(format!("http://{api}"))
        .expect("endpoint")
        .connect_lazy();
    assert!(
        tonic_health::pb::health_client::HealthClient::new(plain)
            .check(tonic_health::pb::HealthCheckRequest::default())
            .await
            .is_err()
    );

    // Metrics next to it: the series are there, and they move.
    let scrape = || common::scrape_metrics(admin);
    let before = scrape().await;
    assert!(before.starts_with("HTTP/1.1 200"), "{before}");
    for series in [
        "marque_build_info",
        "marque_snapshot_revision",
        "marque_store_up",
        "marque_replication_lag_revisions",
        "marque_detection_overlay_brands",
        "marque_authorization_overlay_changes",
        // Counters without labels, at 0 before their first event.
        "marque_change_feed_reconnects_total",
        "marque_registry_reloads_total",
        "marque_catch_ups_total",
        "marque_db_pool_wait_timeouts_total",
        "marque_db_unanswered_total",
    ] {
        assert!(before.contains(series), "{series} missing from:\n{before}");
    }
    let count = common::metric_sum;
    let requests_before = count(&before, "marque_grpc_requests_total{");
    let listing_verdicts = "marque_check_verdicts_total{check=\"CheckListing\"";
    let listings_before = count(&before, listing_verdicts);

    // Calls over mTLS move the request counters and latency histograms.
    let mtls = tonic::transport::Endpoint::from_shared(format!("https://localhost:{}", api.port()))
        .expect("endpoint")
        .tls_config(
            tonic::transport::ClientTlsConfig::new()
                .ca_certificate(tonic::transport::Certificate::from_pem(&ca))
                .identity(tonic::transport::Identity::from_pem(
                    &client_cert,
                    &client_key,
                ))
                .domain_name("localhost"),
        )
        .expect("tls")
        .connect_lazy();
    // A call to a method that does not exist is counted under "unknown",
    // so invented paths cannot invent metric series.
    let mut raw = tonic::client::Grpc::new(mtls.clone());
    raw.ready().await.expect("ready");
    let invented = raw
        .unary(
            tonic::Request::new(marque::pb::marque::v1::CheckSellerRequest::default()),
            http::uri::PathAndQuery::from_static("/marque.v1.CheckService/InventedMethod"),
            tonic_prost::ProstCodec::<
                marque::pb::marque::v1::CheckSellerRequest,
                marque::pb::marque::v1::CheckSellerResponse,
            >::default(),
        )
        .await
        .expect_err("no such method");
    assert_eq!(
        invented.code(),
        tonic::Code::Unauthenticated,
        "{invented:?}"
    );
    let mut client =
        marque::pb::marque::v1::check_service_client::CheckServiceClient::with_interceptor(
            mtls.clone(),
            common::Bearer::key(&keys.platform_p),
        );
    for _ in 0..5 {
        let request = tonic::Request::new(marque::pb::marque::v1::CheckSellerRequest {
            brand: "brands/alpha".into(),
            seller_account: "seller-p1".into(),
            nice_class: 14,
            region: "CN".into(),
            ..Default::default()
        });
        let answer = client
            .check_seller(request)
            .await
            .expect("check over mTLS")
            .into_inner();
        assert!(answer.authorized);
    }
    // A key this replica does not know makes it catch up with the store
    // before refusing the call; the catch-up is counted.
    let catch_ups_before = count(&before, "marque_catch_ups_total");
    let mut unknown =
        marque::pb::marque::v1::check_service_client::CheckServiceClient::with_interceptor(
            mtls,
            common::Bearer::key(&format!("mq_{}_{}", "k".repeat(12), "0".repeat(64))),
        );
    let refused = unknown
        .check_seller(marque::pb::marque::v1::CheckSellerRequest::default())
        .await
        .expect_err("a key no one was given");
    assert_eq!(refused.code(), tonic::Code::Unauthenticated, "{refused:?}");
    // Each listing check counts its verdict (handles kept per thread).
    for _ in 0..3 {
        let request = tonic::Request::new(marque::pb::marque::v1::CheckListingRequest {
            listing: Some(marque::pb::marque::v1::Listing {
                listing_id: "L-1".into(),
                seller_account: "seller-p1".into(),
                title: "Alpha watch, steel".into(),
                ..Default::default()
            }),
            min_revision: 0,
        });
        let answer = client
            .check_listing(request)
            .await
            .expect("listing check over mTLS")
            .into_inner();
        assert_ne!(answer.verdict, 0, "{answer:?}");
    }
    let after = scrape().await;
    let requests_after = count(&after, "marque_grpc_requests_total{");
    assert!(
        requests_after >= requests_before + 5.0,
        "requests {requests_before} -> {requests_after}\n{after}"
    );
    assert!(after.contains("marque_grpc_request_duration_seconds_bucket{rpc=\"marque.v1.CheckService/CheckSeller\",le=\"0.00005\"}"), "{after}");
    assert!(
        after.contains("marque_grpc_requests_total{rpc=\"unknown\",code=\"Unauthenticated\"}"),
        "{after}"
    );
    assert!(!after.contains("InventedMethod"), "{after}");
    assert!(after.contains("marque_check_verdicts_total{check=\"CheckSeller\",verdict=\"SELLER_CHECK_REASON_AUTHORIZED\"}"), "{after}");
    assert!(
        count(&after, "marque_catch_ups_total") > catch_ups_before,
        "catch-ups {catch_ups_before}\n{after}"
    );
    let listings_after = count(&after, listing_verdicts);
    assert!(
        listings_after >= listings_before + 3.0,
        "listing verdicts {listings_before} -> {listings_after}\n{after}"
    );

    // Draining: every status NOT_SERVING but liveness, until the process ends.
    let _ = stop.send(());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let draining = common::health_probe(admin, &ALL).await;
    assert_eq!(draining[""], "NOT_SERVING", "{draining:?}");
    assert_eq!(
        draining["marque.v1.CheckService"], "NOT_SERVING",
        "{draining:?}"
    );
    assert_eq!(
        draining["marque.v1.RegistryService"], "NOT_SERVING",
        "{draining:?}"
    );
    assert_eq!(draining["liveness"], "SERVING", "{draining:?}");
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("stops")
        .expect("join")
        .expect("clean exit");
}

/// Reads one HTTP/1 answer whose body has a `content-length` from
/// `stream`: its status line.
async fn read_answer(stream: &mut tokio::net::TcpStream) -> String {
    next_answer(stream).await.expect("an answer, not the end")
}

/// Reads one HTTP/1 answer whose body has a `content-length` from
/// `stream`: its status line, or none if the server closed the connection
/// before it began one. Closing part-way through one fails.
async fn next_answer(stream: &mut tokio::net::TcpStream) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut heard = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(n) => n,
            // Reset: the request came after the server closed.
            Err(e) if heard.is_empty() && e.kind() == std::io::ErrorKind::ConnectionReset => 0,
            Err(e) => panic!("read: {e}"),
        };
        if n == 0 && heard.is_empty() {
            return None;
        }
        assert!(
            n > 0,
            "closed mid-answer: {}",
            String::from_utf8_lossy(&heard)
        );
        heard.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&heard);
        let Some((head, body)) = text.split_once("\r\n\r\n") else {
            continue;
        };
        let length: usize = head
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().expect("a length"))
            })
            .expect("a content-length");
        if body.len() >= length {
            return Some(head.lines().next().expect("a status line").to_owned());
        }
    }
}

/// Connections to the admin port do not sit idle for ever, each holding one
/// of its `--max-connections` places: an HTTP/1 connection kept alive
/// after its requests (a Prometheus scrape) is closed, without a word, once
/// it has sent no request head for `--tls-handshake-timeout`; an HTTP/2
/// connection is pinged as on the API port and closed when the pings go
/// unanswered. Before, both were held for as long as the client liked.
#[tokio::test]
async fn idle_admin_connections_are_closed_after_their_bound() {
    use tokio::io::AsyncWriteExt;
    const SCRAPE: &[u8] = b"GET /metrics HTTP/1.1\r\nHost: admin\r\n\r\n";
    const PING: u8 = 6;
    let idle = Duration::from_secs(1);
    let mut start = Start::fixture();
    start.options.admin_listen = Some("127.0.0.1:0".parse().expect("addr"));
    start.options.tls_handshake_timeout = idle;
    start.options.keepalive_interval = Some(Duration::from_millis(200));
    start.options.keepalive_timeout = Duration::from_millis(300);
    let server = start.start().await;
    let admin = server.admin.expect("an admin port");

    let mut http1 = tokio::net::TcpStream::connect(admin)
        .await
        .expect("connect");
    http1.write_all(SCRAPE).await.expect("a scrape");
    assert_eq!(read_answer(&mut http1).await, "HTTP/1.1 200 OK");
    // Kept alive: a next request within the bound is answered.
    tokio::time::sleep(idle / 2).await;
    http1.write_all(SCRAPE).await.expect("a second scrape");
    assert_eq!(read_answer(&mut http1).await, "HTTP/1.1 200 OK");
    let answered = std::time::Instant::now();

    // An HTTP/2 client that falls silent after its preface: no SETTINGS
    // or PING acknowledgement.
    let mut http2 = tokio::net::TcpStream::connect(admin)
        .await
        .expect("connect");
    http2
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
        .await
        .expect("preface");

    let said = tokio::time::timeout(Duration::from_secs(10), common::read_to_close(&mut http1))
        .await
        .expect("the idle HTTP/1 connection is closed");
    let closed = answered.elapsed();
    assert!(said.is_empty(), "{}", String::from_utf8_lossy(&said));
    assert!(closed >= idle * 9 / 10, "not before the bound: {closed:?}");
    assert!(closed < idle * 5, "at the bound: {closed:?}");
    let sent = tokio::time::timeout(Duration::from_secs(10), common::read_to_close(&mut http2))
        .await
        .expect("the HTTP/2 connection that answers no ping is closed");
    let types = common::frame_types(&sent);
    assert!(types.contains(&PING), "pinged first: frame types {types:?}");
}

/// `--max-connection-age` holds on the admin port as on the API port. An
/// HTTP/2 client that answers every keepalive PING is never idle, so
/// nothing else closes its connection: once the connection reaches the age,
/// the server sends GOAWAY and closes it. One that keeps a `Health.Watch`
/// open (a stream that never ends by itself) is closed too, once the grace
/// after the age (`--keepalive-timeout`) is over. An HTTP/1 scraper that
/// is never idle for long is closed at the age too, between two answers.
/// A connection opened then is served. Before, all three were held for as
/// long as the client liked, each in one of the port's `--max-connections`
/// places.
#[tokio::test]
async fn admin_connections_are_closed_at_the_max_connection_age() {
    let age = Duration::from_secs(1);
    let grace = Duration::from_millis(600);
    let mut start = Start::fixture();
    start.options.admin_listen = Some("127.0.0.1:0".parse().expect("addr"));
    start.options.max_connection_age = Some(age);
    start.options.keepalive_interval = Some(Duration::from_millis(200));
    start.options.keepalive_timeout = grace;
    let server = start.start().await;
    let admin = server.admin.expect("an admin port");

    // Before the connections: their age counts from their accept.
    let opened = std::time::Instant::now();
    let (checked, checked_open) = h2_connect(admin).await;
    let (watching, watching_open) = h2_connect(admin).await;
    let scraper = tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        let mut stream = tokio::net::TcpStream::connect(admin)
            .await
            .expect("connect");
        let mut answers = 0;
        loop {
            let asked = stream
                .write_all(b"GET /metrics HTTP/1.1\r\nHost: admin\r\n\r\n")
                .await;
            if asked.is_err() {
                return answers;
            }
            match next_answer(&mut stream).await {
                Some(status) => assert_eq!(status, "HTTP/1.1 200 OK"),
                None => return answers,
            }
            answers += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let mut answer = health_call(&checked, admin, "Check").await;
    assert_eq!(next_status(&mut answer).await, SERVING);
    let mut watch = health_call(&watching, admin, "Watch").await;
    assert_eq!(next_status(&mut watch).await, SERVING);

    tokio::time::timeout(Duration::from_secs(10), checked_open)
        .await
        .expect("the connection is closed once it reaches the age")
        .expect("join")
        .expect("closed cleanly");
    let closed = opened.elapsed();
    assert!(closed >= age * 9 / 10, "not before the age: {closed:?}");
    let goaway = checked.ready().await.expect_err("no new call on it");
    assert!(goaway.is_go_away() && goaway.is_remote(), "{goaway:?}");
    assert_eq!(goaway.reason(), Some(h2::Reason::NO_ERROR), "{goaway:?}");

    let _ = tokio::time::timeout(Duration::from_secs(10), watching_open)
        .await
        .expect("the connection with a Watch open is closed after the grace")
        .expect("join");
    let cut = opened.elapsed();
    assert!(cut >= age + grace * 9 / 10, "not before the grace: {cut:?}");
    let goaway = watching.ready().await.expect_err("no new call on it");
    assert!(goaway.is_go_away() && goaway.is_remote(), "{goaway:?}");
    let ended = tokio::time::timeout(Duration::from_secs(5), watch.data())
        .await
        .expect("the Watch ends with its connection");
    assert!(matches!(ended, None | Some(Err(_))), "{ended:?}");

    let answers = tokio::time::timeout(Duration::from_secs(10), scraper)
        .await
        .expect("the scraper's connection is closed once it reaches the age")
        .expect("every answer whole");
    assert!(answers >= 2, "served until the age: {answers} answers");

    let (fresh, _fresh_open) = h2_connect(admin).await;
    let mut answer = health_call(&fresh, admin, "Check").await;
    assert_eq!(next_status(&mut answer).await, SERVING);
}

/// `grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING`.
const SERVING: i32 = tonic_health::pb::health_check_response::ServingStatus::Serving as i32;

/// An HTTP/2 connection to `admin`, and the task that drives it (answering
/// the server's PINGs, as any HTTP/2 client does) until it closes.
async fn h2_connect(
    admin: std::net::SocketAddr,
) -> (
    h2::client::SendRequest<bytes::Bytes>,
    tokio::task::JoinHandle<Result<(), h2::Error>>,
) {
    let tcp = tokio::net::TcpStream::connect(admin)
        .await
        .expect("connect");
    let (client, connection) = h2::client::handshake(tcp).await.expect("HTTP/2");
    (client, tokio::spawn(connection))
}

/// Calls `grpc.health.v1.Health/{method}` for the server as a whole over
/// `client`: the answer's body.
async fn health_call(
    client: &h2::client::SendRequest<bytes::Bytes>,
    admin: std::net::SocketAddr,
    method: &str,
) -> h2::RecvStream {
    let mut client = client.clone().ready().await.expect("ready");
    let request = http::Request::post(format!("http://{admin}/grpc.health.v1.Health/{method}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(())
        .expect("request");
    let (answer, mut request) = client.send_request(request, false).expect("send");
    // An empty HealthCheckRequest (service ""), framed: not compressed,
    // length zero.
    request
        .send_data(bytes::Bytes::from_static(&[0; 5]), true)
        .expect("the request");
    let answer = tokio::time::timeout(Duration::from_secs(10), answer)
        .await
        .expect("answered")
        .expect("an answer");
    assert_eq!(answer.status(), http::StatusCode::OK);
    answer.into_body()
}

/// The status in the next message of a health answer's `body`.
async fn next_status(body: &mut h2::RecvStream) -> i32 {
    use prost::Message as _;
    let data = tokio::time::timeout(Duration::from_secs(10), body.data())
        .await
        .expect("a message")
        .expect("a message, not the end")
        .expect("data");
    let _ = body.flow_control().release_capacity(data.len());
    assert!(
        data.len() >= 5 && data[0] == 0,
        "one whole message: {data:?}"
    );
    tonic_health::pb::HealthCheckResponse::decode(&data[5..])
        .expect("a HealthCheckResponse")
        .status
}
