//! Replicas on one PostgreSQL database: convergence, read-your-writes across
//! replicas, surviving terminated backends and a database that goes away,
//! and migrations raced by several replicas. Always runs against PostgreSQL
//! (see `common::pg` for how it is found).

use crate::common;

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU8, Ordering},
    },
    time::Duration,
};

use common::{Keys, Start, TestServer, Who, pg, postgres_store};
use marque::{pb::marque::v1 as pb, server::OperatorKey};
use tokio::{net::TcpListener, sync::Mutex, task::JoinHandle};
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;

/// A replica of the fixture registry on `url`; the first one seeds it.
async fn replica(url: &str, keys: &Keys, seed: bool) -> TestServer {
    replica_on(postgres_store(url), keys, seed).await
}

/// The same on `store`.
async fn replica_on(store: Arc<dyn marque::store::Store>, keys: &Keys, seed: bool) -> TestServer {
    replica_polling(store, keys, seed, None).await
}

/// A replica on `url` that follows the store only when a call makes it
/// (deaf to other replicas' writes, polling once an hour): what it applies
/// is what the test makes it apply, when it does.
async fn quiet_replica(url: &str, keys: &Keys, seed: bool) -> TestServer {
    let store = Arc::new(common::TestStore::deaf(postgres_store(url)));
    replica_polling(store, keys, seed, Some(Duration::from_secs(3600))).await
}

/// A replica on `store`, polling its change feed every `poll` (the
/// fixture's when `None`).
async fn replica_polling(
    store: Arc<dyn marque::store::Store>,
    keys: &Keys,
    seed: bool,
    poll: Option<Duration>,
) -> TestServer {
    let mut start = Start::fixture();
    if let Some(poll) = poll {
        start.options.feed_poll = poll;
    }
    start.keys = keys.clone();
    if seed {
        start.options.seed = Some(
            marque::seed::Seed::parse(&common::fixture_seed(keys), std::path::Path::new("."))
                .expect("seed"),
        );
    } else {
        start.options.seed = None;
    }
    start.options.operator_key = OperatorKey::None;
    start.options.admin_listen = Some("127.0.0.1:0".parse().expect("addr"));
    start.store = Some(store);
    start.start().await
}

/// Waits until both replicas are at the same revision, at least `min`.
async fn converge(a: &TestServer, b: &TestServer, min: u64) -> u64 {
    for _ in 0..300 {
        let (ra, rb) = (
            a.registry.snapshot().revision(),
            b.registry.snapshot().revision(),
        );
        if ra == rb && ra >= min {
            return ra;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!(
        "replicas did not converge: {} vs {} (want ≥ {min})",
        a.registry.snapshot().revision(),
        b.registry.snapshot().revision()
    );
}

fn brand(id: &str) -> pb::CreateBrandRequest {
    pb::CreateBrandRequest {
        brand_id: id.into(),
        brand: Some(pb::Brand {
            display_name: id.into(),
            ..Default::default()
        }),
        request_id: format!("create-{id}"),
    }
}

/// The change feed in the database is gap-free from 1 to the head.
async fn assert_feed_is_gap_free(url: &str) -> u64 {
    let client = pg::session(url).await;
    let revisions: Vec<i64> = client
        .query("SELECT revision FROM change_events ORDER BY revision", &[])
        .await
        .expect("events")
        .iter()
        .map(|row| row.get(0))
        .collect();
    let head: i64 = client
        .query_one("SELECT revision FROM registry_head", &[])
        .await
        .expect("head")
        .get(0);
    assert_eq!(revisions, (1..=head).collect::<Vec<_>>(), "gap-free feed");
    head as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_converge_to_the_same_snapshot_after_concurrent_writes() {
    let url = pg::fresh_database().await;
    let keys = Keys::generate();
    let a = replica(&url, &keys, true).await;
    let b = replica(&url, &keys, false).await;
    let (mut on_a, mut on_b) = (a.registry_as(Who::OwnerA), b.registry_as(Who::OwnerB));
    let writes_a = async {
        for i in 0..25 {
            on_a.create_brand(brand(&format!("from-a-{i}")))
                .await
                .expect("write on a");
        }
    };
    let writes_b = async {
        for i in 0..25 {
            on_b.create_brand(brand(&format!("from-b-{i}")))
                .await
                .expect("write on b");
        }
    };
    tokio::join!(writes_a, writes_b);
    let head = assert_feed_is_gap_free(&url).await;
    let revision = converge(&a, &b, head).await;
    assert_eq!(revision, head);
    let (da, db) = (
        a.registry.snapshot().digest(),
        b.registry.snapshot().digest(),
    );
    assert_eq!(da, db, "identical snapshots");
    let fresh = postgres_store(&url).load().await.expect("load");
    assert_eq!(fresh.revision(), head);
    assert_eq!(fresh.digest(), da, "a fresh load agrees with the followers");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_write_on_one_replica_is_readable_on_another_with_min_revision() {
    let url = pg::fresh_database().await;
    let keys = Keys::generate();
    let a = replica(&url, &keys, true).await;
    let b = replica(&url, &keys, false).await;
    for i in 0..10 {
        let written = a
            .registry_as(Who::OwnerA)
            .create_brand(brand(&format!("ryw-{i}")))
            .await
            .expect("write")
            .into_inner();
        let read = b
            .registry_as(Who::PlatformP)
            .get_brand(pb::GetBrandRequest {
                name: format!("brands/ryw-{i}"),
                min_revision: written.revision,
            })
            .await
            .expect("read your write on the other replica")
            .into_inner();
        assert!(read.revision >= written.revision);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn terminated_backends_lose_no_check_and_no_event() {
    let url = pg::fresh_database().await;
    let keys = Keys::generate();
    let a = replica(&url, &keys, true).await;
    let b = replica(&url, &keys, false).await;
    let stop = Arc::new(AtomicBool::new(false));

    // Checks on B, all along: none may fail.
    let checker = {
        let mut check = b.check_as(Who::PlatformP);
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut done = 0u32;
            while !stop.load(Ordering::Relaxed) {
                let answer = check
                    .check_seller(pb::CheckSellerRequest {
                        brand: "brands/alpha".into(),
                        seller_account: "seller-p1".into(),
                        nice_class: 14,
                        region: "CN".into(),
                        ..Default::default()
                    })
                    .await
                    .expect("a check never fails while the database is disturbed")
                    .into_inner();
                assert!(answer.authorized);
                done += 1;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            done
        })
    };
    // The database's backends are terminated again and again.
    let killer = {
        let url = url.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut killed = 0;
            while !stop.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(150)).await;
                killed += pg::terminate_backends(&url).await;
            }
            killed
        })
    };
    // Writes on A, each retried with its request id until it lands.
    let mut owner = a.registry_as(Who::OwnerA);
    let mut unavailable = 0;
    for i in 0..30 {
        let request = pb::AuthorizeSellerRequest {
            parent: "brands/alpha".into(),
            authorization: Some(pb::Authorization {
                platform: "members/platform-p".into(),
                seller_account: format!("churn-{i}"),
                ..Default::default()
            }),
            request_id: format!("churn-{i}"),
        };
        let mut attempts = 0;
        loop {
            attempts += 1;
            match owner.authorize_seller(request.clone()).await {
                Ok(_) => break,
                Err(status) if status.code() == Code::Unavailable && attempts < 50 => {
                    unavailable += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(status) => panic!("write {i} failed: {status:?}"),
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    let checks = checker.await.expect("checker");
    let killed = killer.await.expect("killer");
    assert!(
        checks > 0 && killed > 0,
        "checks {checks}, backends killed {killed}"
    );
    eprintln!("{checks} checks, {killed} backends terminated, {unavailable} writes retried");

    let head = assert_feed_is_gap_free(&url).await;
    converge(&a, &b, head).await;
    assert_eq!(
        a.registry.snapshot().digest(),
        b.registry.snapshot().digest()
    );
    // Every write landed exactly once.
    let listed = b
        .registry_as(Who::OwnerA)
        .list_authorizations(pb::ListAuthorizationsRequest {
            parent: "brands/alpha".into(),
            page_size: 1000,
            min_revision: head,
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner();
    for i in 0..30 {
        let n = listed
            .authorizations
            .iter()
            .filter(|a| a.seller_account == format!("churn-{i}"))
            .count();
        assert_eq!(n, 1, "churn-{i} written exactly once");
    }
}

/// A TCP proxy in front of PostgreSQL that the test can cut, stall and
/// restore.
struct Proxy {
    port: u16,
    /// [`OPEN`], [`REFUSED`] or [`STALLED`].
    mode: Arc<AtomicU8>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    /// A proxy in front of the database of `url`, and the URL through it.
    async fn in_front_of(url: &str) -> (Proxy, String) {
        let config: tokio_postgres::Config = url.parse().expect("url");
        let host = match config.get_hosts().first() {
            Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
            _ => "127.0.0.1".into(),
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let proxy = Proxy::start(format!("{host}:{port}")).await;
        let proxied = pg::with_address(url, "127.0.0.1", proxy.port);
        (proxy, proxied)
    }

    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let mode = Arc::new(AtomicU8::new(OPEN));
        let connections: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (m, conns) = (mode.clone(), connections.clone());
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let task = match m.load(Ordering::SeqCst) {
                    REFUSED => continue, // dropped at once
                    STALLED | FROZEN => tokio::spawn(async move {
                        // Held open, never answered.
                        let _held = inbound;
                        std::future::pending::<()>().await;
                    }),
                    _ => {
                        let (upstream, mode) = (upstream.clone(), m.clone());
                        tokio::spawn(async move {
                            if let Ok(outbound) = tokio::net::TcpStream::connect(upstream).await {
                                relay(inbound, outbound, mode).await;
                            }
                        })
                    }
                };
                conns.lock().await.push(task);
            }
        });
        Proxy {
            port,
            mode,
            connections,
        }
    }

    /// Open connections drop, new ones are treated as `mode` says.
    async fn set(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
        for task in self.connections.lock().await.drain(..) {
            task.abort();
        }
    }

    /// The database goes away: open connections drop, new ones are refused.
    async fn cut(&self) {
        self.set(REFUSED).await;
    }

    /// The database hangs: new connections are taken and never answered.
    async fn stall(&self) {
        self.set(STALLED).await;
    }

    /// The database stops answering: open connections stay open and carry
    /// nothing either way, new ones are taken and never answered.
    fn freeze(&self) {
        self.mode.store(FROZEN, Ordering::SeqCst);
    }

    async fn restore(&self) {
        self.set(OPEN).await;
    }
}

/// [`Proxy`] modes.
const OPEN: u8 = 0;
const REFUSED: u8 = 1;
const STALLED: u8 = 2;
/// Open connections, new and already open, are relayed until one sends
/// `COMMIT`: that reaches the database, its answer never reaches the
/// client, that connection drops, and the proxy is [`OPEN`] again.
const CUT_AT_COMMIT: u8 = 3;
/// Open connections are held and carry nothing; new ones as [`STALLED`].
const FROZEN: u8 = 4;

/// Waits while the proxy is [`FROZEN`].
async fn while_frozen(mode: &AtomicU8) {
    while mode.load(Ordering::SeqCst) == FROZEN {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Relays `client` and `server` while the proxy is open; the first `COMMIT`
/// a client sends while it is [`CUT_AT_COMMIT`] ends the relay.
async fn relay(client: tokio::net::TcpStream, server: tokio::net::TcpStream, mode: Arc<AtomicU8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (mut client_rx, mut client_tx) = client.into_split();
    let (mut server_rx, mut server_tx) = server.into_split();
    let committing = Arc::new(AtomicBool::new(false));
    let answers = {
        let (committing, mode) = (committing.clone(), mode.clone());
        tokio::spawn(async move {
            let mut buffer = vec![0u8; 64 * 1024];
            while let Ok(n) = server_rx.read(&mut buffer).await {
                while_frozen(&mode).await;
                if n == 0 || committing.load(Ordering::SeqCst) {
                    return;
                }
                if client_tx.write_all(&buffer[..n]).await.is_err() {
                    return;
                }
            }
        })
    };
    let mut buffer = vec![0u8; 64 * 1024];
    while let Ok(n) = client_rx.read(&mut buffer).await {
        while_frozen(&mode).await;
        if n == 0 {
            break;
        }
        let commit = mode.load(Ordering::SeqCst) == CUT_AT_COMMIT
            && buffer[..n].windows(7).any(|w| w == b"COMMIT\0")
            && mode
                .compare_exchange(CUT_AT_COMMIT, OPEN, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok();
        if commit {
            committing.store(true, Ordering::SeqCst);
        }
        if server_tx.write_all(&buffer[..n]).await.is_err() {
            break;
        }
        if commit {
            // Time for the database to commit, then both ends go.
            tokio::time::sleep(Duration::from_millis(300)).await;
            break;
        }
    }
    answers.abort();
}

async fn status(server: &TestServer, service: &str) -> i32 {
    server.health(service).await.expect("health answers")
}

async fn wait_status(server: &TestServer, service: &str, want: ServingStatus) {
    for _ in 0..400 {
        if status(server, service).await == want as i32 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{service} did not become {want:?}");
}

/// Once RegistryService is SERVING, a brand `name` written: its revision.
async fn serving_write(server: &TestServer, name: &str) -> u64 {
    wait_status(server, "marque.v1.RegistryService", ServingStatus::Serving).await;
    server
        .registry_as(Who::OwnerA)
        .create_brand(brand(name))
        .await
        .expect("a write")
        .into_inner()
        .revision
}

/// RegistryService SERVING again by itself, and a brand `name` written
/// right after `before`, the last write before the failures: those wrote
/// nothing.
async fn writes_resumed(server: &TestServer, name: &str, before: u64) {
    wait_status(server, "marque.v1.RegistryService", ServingStatus::Serving).await;
    let written = server
        .registry_as(Who::OwnerA)
        .create_brand(brand(name))
        .await
        .expect("writes resume by themselves")
        .into_inner();
    assert_eq!(
        written.revision,
        before + 1,
        "the failed writes wrote nothing"
    );
}

/// The database is back (`proxy` open again): the registry's health turns
/// SERVING by itself, and the write of brand `name` that failed while it
/// was away now commits as the revision after `before` (the failed one
/// wrote nothing), with the change feed gap-free.
async fn writes_resume(proxy: &Proxy, server: &TestServer, url: &str, name: &str, before: u64) {
    proxy.restore().await;
    writes_resumed(server, name, before).await;
    assert_feed_is_gap_free(url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn when_the_database_goes_away_checks_go_on_and_writes_wait_for_it() {
    let url = pg::fresh_database().await;
    let (proxy, proxied) = Proxy::in_front_of(&url).await;

    let keys = Keys::generate();
    let server = replica(&proxied, &keys, true).await;
    wait_status(&server, "marque.v1.RegistryService", ServingStatus::Serving).await;

    proxy.cut().await;
    wait_status(
        &server,
        "marque.v1.RegistryService",
        ServingStatus::NotServing,
    )
    .await;
    assert_eq!(
        status(&server, "marque.v1.CheckService").await,
        ServingStatus::Serving as i32
    );
    // What a Kubernetes probe sees on the admin port: readiness (CheckService)
    // and liveness stay up; the registry's writes are down.
    let probed = common::health_probe(
        server.admin.expect("admin port"),
        &[
            "marque.v1.CheckService",
            "marque.v1.RegistryService",
            "liveness",
        ],
    )
    .await;
    assert_eq!(probed["marque.v1.CheckService"], "SERVING", "{probed:?}");
    assert_eq!(probed["liveness"], "SERVING", "{probed:?}");
    assert_eq!(
        probed["marque.v1.RegistryService"], "NOT_SERVING",
        "{probed:?}"
    );
    let check = server
        .check_as(Who::PlatformP)
        .check_seller(pb::CheckSellerRequest {
            brand: "brands/alpha".into(),
            seller_account: "seller-p1".into(),
            nice_class: 14,
            region: "CN".into(),
            ..Default::default()
        })
        .await
        .expect("checks answer from the snapshot")
        .into_inner();
    assert!(check.authorized);
    let before = check.revision;
    let started = std::time::Instant::now();
    let write = server
        .registry_as(Who::OwnerA)
        .create_brand(brand("while-away"))
        .await
        .expect_err("no database, no write");
    assert_eq!(write.code(), Code::Unavailable, "{write:?}");
    // The client hears that the store is away, never the driver's error
    // (the database's address, the connection refused): that is logged.
    // And when to try again.
    assert_eq!(write.message(), marque::api::STORE_UNAVAILABLE, "{write:?}");
    assert_eq!(common::retry_delay(&write), Some(marque::api::RETRY_AFTER));
    assert!(
        !write.message().contains(&proxy.port.to_string()),
        "{write:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "bounded, not queued for ever"
    );
    // A database that takes connections and never answers: each write
    // waits up to the connect timeout (2 s here). Writes at once fail
    // together, not one after another: a write queued in the replica
    // behind one that failed on the store fails at once.
    proxy.stall().await;
    let started = std::time::Instant::now();
    let writes: Vec<_> = (0..8)
        .map(|i| {
            let mut owner = server.registry_as(Who::OwnerA);
            tokio::spawn(async move { owner.create_brand(brand(&format!("while-away-{i}"))).await })
        })
        .collect();
    for write in writes {
        let write = write
            .await
            .expect("the call's task")
            .expect_err("no database, no write");
        assert_eq!(write.code(), Code::Unavailable, "{write:?}");
        assert_eq!(write.message(), marque::api::STORE_UNAVAILABLE, "{write:?}");
    }
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "not one connect timeout after another: {:?}",
        started.elapsed()
    );

    writes_resume(&proxy, &server, &url, "while-away", before).await;
}

/// A database that holds its connections open and answers nothing (a
/// stalled server, a proxy in front of one that is down; TCP keepalives are
/// answered all the same): each round trip gives up after the statement
/// timeout and the connect timeout, so a write answers UNAVAILABLE instead
/// of waiting for its deadline, the change feed's reader notices and the
/// registry's health turns NOT_SERVING while checks go on; all resumes by
/// itself when the database answers again. The change feed's connection
/// notices it too, and reads not listening until it answers again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_database_that_stops_answering_is_noticed_in_time() {
    let url = pg::fresh_database().await;
    let (proxy, proxied) = Proxy::in_front_of(&url).await;
    let mut settings = marque::store::PostgresSettings::new(proxied);
    settings.pool_size = 8;
    settings.connect_timeout = Duration::from_secs(1);
    settings.statement_timeout = Duration::from_secs(1);
    let store = Arc::new(marque::store::PostgresStore::new(settings).expect("store"));
    let keys = Keys::generate();
    let server = replica_on(store.clone(), &keys, true).await;
    wait_status(&server, "marque.v1.RegistryService", ServingStatus::Serving).await;
    let before = server
        .registry_as(Who::OwnerA)
        .create_brand(brand("before-the-freeze"))
        .await
        .expect("a write")
        .into_inner()
        .revision;
    wait_listening(&store, true).await;

    proxy.freeze();
    // The change feed's connection carries nothing after its LISTEN: it
    // read as listening all the while (keepalives are answered). Now a
    // round trip every 5 s, answered within the connect timeout (1 s).
    let frozen = std::time::Instant::now();
    wait_listening(&store, false).await;
    assert!(
        frozen.elapsed() < Duration::from_secs(20),
        "{:?}",
        frozen.elapsed()
    );
    let started = std::time::Instant::now();
    let write = server
        .registry_as(Who::OwnerA)
        .create_brand(brand("while-frozen"))
        .await
        .expect_err("no answer, no write");
    assert_eq!(write.code(), Code::Unavailable, "{write:?}");
    assert_eq!(write.message(), marque::api::STORE_UNAVAILABLE, "{write:?}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "within the answer limit (2 s here), not the call's deadline: {:?}",
        started.elapsed()
    );
    wait_status(
        &server,
        "marque.v1.RegistryService",
        ServingStatus::NotServing,
    )
    .await;
    assert_eq!(
        status(&server, "marque.v1.CheckService").await,
        ServingStatus::Serving as i32
    );

    writes_resume(&proxy, &server, &url, "while-frozen", before).await;
    wait_listening(&store, true).await;
}

/// Waits (30 s at most, or the test fails) until `store`'s change feed
/// reads `listening`.
async fn wait_listening(store: &marque::store::PostgresStore, listening: bool) {
    for _ in 0..600 {
        if store.change_feed_listening() == listening {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the change feed never read listening = {listening}");
}

/// A write the replica could not make: UNAVAILABLE, with the generic
/// message and `RetryInfo`, never INTERNAL.
async fn assert_write_unavailable(server: &TestServer, name: &str) {
    let write = server
        .registry_as(Who::OwnerA)
        .create_brand(brand(name))
        .await
        .expect_err("no write");
    assert_eq!(write.code(), Code::Unavailable, "{write:?}");
    assert_eq!(write.message(), marque::api::STORE_UNAVAILABLE, "{write:?}");
    assert_eq!(common::retry_delay(&write), Some(marque::api::RETRY_AFTER));
}

/// Runs `checks` while the database of `url` is changed, then `restore`s
/// it, whether the checks passed or not: a test database left accepting no
/// connections could not be dropped.
async fn while_altered(url: &str, restore: &str, checks: impl std::future::Future<Output = ()>) {
    use futures_util::FutureExt as _;
    let outcome = std::panic::AssertUnwindSafe(checks).catch_unwind().await;
    pg::alter_database(url, restore).await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// A database that turns read-only under a replica, as a failover's old
/// primary does (here `default_transaction_read_only`, its sessions
/// terminated): writes are UNAVAILABLE with RetryInfo, not INTERNAL, and
/// RegistryService is NOT_SERVING for as long as it lasts, though the
/// change feed is read all the while (CheckService stays SERVING). Watch
/// and audit reads still work, so WatchService and AuditService stay
/// SERVING, refused writes notwithstanding, and answer. The connection
/// that found it read-only is not pooled again: once the database takes
/// writes again, no session terminated, health turns SERVING by itself
/// and the next write commits.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_database_turned_read_only_is_unavailable_and_down_until_it_takes_writes() {
    let url = pg::fresh_database().await;
    let mut settings = marque::store::PostgresSettings::new(&url);
    // Few connections: a session of the read-only database kept in the
    // pool would soon answer the write after it takes writes again.
    settings.pool_size = 2;
    settings.connect_timeout = Duration::from_secs(2);
    let store = Arc::new(marque::store::PostgresStore::new(settings).expect("store"));
    let keys = Keys::generate();
    let server = replica_on(store, &keys, true).await;
    // A replica that writes nothing finds it read-only all the same, at
    // its next poll: its health says so before a write of its own fails.
    let idle = replica(&url, &keys, false).await;
    out_of_service(
        &server,
        &url,
        (
            "SET default_transaction_read_only = on",
            "RESET default_transaction_read_only",
        ),
        "read-only",
        ServingStatus::Serving,
        async {
            wait_status(
                &idle,
                "marque.v1.RegistryService",
                ServingStatus::NotServing,
            )
            .await;
            // Its sessions were ended: a read of its change feed may have
            // failed meanwhile (down), the next one answers.
            wait_status(&idle, "marque.v1.WatchService", ServingStatus::Serving).await;
            // The change feed is read every 200 ms, and answers: the store
            // stays down for writes all the same, and up for reads, a
            // refused write or not.
            for i in 0..8 {
                tokio::time::sleep(Duration::from_millis(150)).await;
                assert_eq!(
                    status(&server, "marque.v1.RegistryService").await,
                    ServingStatus::NotServing as i32,
                    "down while the database takes no writes"
                );
                for reader in ["marque.v1.WatchService", "marque.v1.AuditService"] {
                    assert_eq!(
                        status(&server, reader).await,
                        ServingStatus::Serving as i32,
                        "{reader} reads a read-only database"
                    );
                }
                if i == 4 {
                    assert_write_unavailable(&server, "read-only-again").await;
                }
            }
            // And they answer.
            let mut audit = pb::audit_service_client::AuditServiceClient::with_interceptor(
                server.channel(),
                server.bearer(Who::OwnerA),
            );
            let events = audit
                .list_audit_events(pb::ListAuditEventsRequest::default())
                .await
                .expect("audit reads a read-only database")
                .into_inner()
                .events;
            assert!(
                events.iter().any(|e| e.revision > 0),
                "the owner's events: {events:?}"
            );
            let mut watch = pb::watch_service_client::WatchServiceClient::with_interceptor(
                server.channel(),
                server.bearer(Who::OwnerA),
            );
            let mut stream = watch
                .watch(pb::WatchRequest {
                    from_revision: 0,
                    ..Default::default()
                })
                .await
                .expect("Watch reads a read-only database")
                .into_inner();
            let first = tokio::time::timeout(Duration::from_secs(10), stream.message())
                .await
                .expect("the stream answers")
                .expect("stream ok")
                .expect("stream open");
            assert!(first.kind.is_some(), "{first:?}");
        },
    )
    .await;
    wait_status(&idle, "marque.v1.RegistryService", ServingStatus::Serving).await;
    assert_feed_is_gap_free(&url).await;
}

/// Writes on `server` while its database (`url`) is changed by `alter`
/// and until `restore` changes it back, its sessions terminated: a write
/// before commits; those while it lasts are UNAVAILABLE with RetryInfo
/// (the first may meet a pooled connection not yet seen closed),
/// RegistryService turns NOT_SERVING while CheckService stays SERVING,
/// WatchService and AuditService turn `readers` (they need reads only), and
/// `while_down` runs; once restored, health turns SERVING by itself and
/// the next write commits right after the first one (the refused ones
/// wrote nothing). Writes are brands named after `what`.
async fn out_of_service(
    server: &TestServer,
    url: &str,
    (alter, restore): (&str, &str),
    what: &str,
    readers: ServingStatus,
    while_down: impl std::future::Future<Output = ()>,
) {
    let before = serving_write(server, &format!("before-{what}")).await;

    pg::alter_database(url, alter).await;
    pg::terminate_backends(url).await;
    while_altered(url, restore, async {
        for i in 0..3 {
            assert_write_unavailable(server, &format!("{what}-{i}")).await;
        }
        wait_status(
            server,
            "marque.v1.RegistryService",
            ServingStatus::NotServing,
        )
        .await;
        assert_eq!(
            status(server, "marque.v1.CheckService").await,
            ServingStatus::Serving as i32
        );
        for reader in ["marque.v1.WatchService", "marque.v1.AuditService"] {
            wait_status(server, reader, readers).await;
        }
        while_down.await;
    })
    .await;

    for service in ["marque.v1.WatchService", "marque.v1.AuditService"] {
        wait_status(server, service, ServingStatus::Serving).await;
    }
    writes_resumed(server, &format!("after-{what}"), before).await;
}

/// A database that accepts no connections (`ALLOW_CONNECTIONS false`, its
/// sessions terminated: each new connection is refused with `FATAL 55000`)
/// is the store out of reach: writes are UNAVAILABLE with RetryInfo, not
/// INTERNAL, RegistryService NOT_SERVING, and all resumes by itself when
/// it accepts them again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_database_that_accepts_no_connections_is_unavailable() {
    let url = pg::fresh_database().await;
    let keys = Keys::generate();
    let server = replica(&url, &keys, true).await;
    out_of_service(
        &server,
        &url,
        ("ALLOW_CONNECTIONS false", "ALLOW_CONNECTIONS true"),
        "closed",
        ServingStatus::NotServing,
        async {},
    )
    .await;
}

/// How a database refuses a replica serving as its own role
/// ([`role_of_its_own`]) in [`refused_as_its_own_role`].
struct Refusal<'a> {
    /// Run by a superuser's session of the database (`{role}` is the role):
    /// makes the database refuse the replica, then lets it in again.
    alter: &'a str,
    restore: &'a str,
    /// Whether the role's open sessions are ended after `alter` (a refused
    /// login reaches only new connections).
    terminate: bool,
    /// The admin port's counter of the refusals, and how much it rises at
    /// least while three writes are refused.
    series: &'a str,
    least: f64,
    /// Whether RegistryService turns NOT_SERVING while refused.
    not_serving: bool,
    /// Names the writes' brands.
    what: &'a str,
}

/// A replica serving as the database's own role while `refusal` makes the
/// database refuse it: three writes are UNAVAILABLE with RetryInfo and the
/// counter rises; once restored, RegistryService turns SERVING by itself,
/// the next write commits right after the first one (the refused ones
/// wrote nothing), and the change feed has no gap. The role is dropped
/// whatever happens.
async fn refused_as_its_own_role(refusal: Refusal<'_>) {
    let url = pg::fresh_database().await;
    let (role, role_url) = role_of_its_own(&url).await;
    let alter = refusal.alter.replace("{role}", &role);
    let restore = refusal.restore.replace("{role}", &role);
    let what = refusal.what;
    use futures_util::FutureExt as _;
    let outcome = std::panic::AssertUnwindSafe(async {
        let keys = Keys::generate();
        let server = replica(&role_url, &keys, true).await;
        let before = serving_write(&server, &format!("before-{what}")).await;
        let metrics = server.admin.expect("an admin port");
        let refused_before =
            common::metric_sum(&common::scrape_metrics(metrics).await, refusal.series);

        // A session of its own each time: `terminate` ends the others.
        pg::session(&url)
            .await
            .batch_execute(&alter)
            .await
            .expect(&alter);
        if refusal.terminate {
            pg::terminate_backends(&url).await;
        }
        let checks = std::panic::AssertUnwindSafe(async {
            for i in 0..3 {
                assert_write_unavailable(&server, &format!("{what}-{i}")).await;
            }
            if refusal.not_serving {
                wait_status(
                    &server,
                    "marque.v1.RegistryService",
                    ServingStatus::NotServing,
                )
                .await;
            }
            let refused =
                common::metric_sum(&common::scrape_metrics(metrics).await, refusal.series);
            assert!(
                refused >= refused_before + refusal.least,
                "{refused_before} then {refused}: {}",
                refusal.series
            );
        })
        .catch_unwind()
        .await;
        pg::session(&url)
            .await
            .batch_execute(&restore)
            .await
            .expect(&restore);
        if let Err(panic) = checks {
            std::panic::resume_unwind(panic);
        }

        writes_resumed(&server, &format!("after-{what}"), before).await;
        assert_feed_is_gap_free(&url).await;
    })
    .catch_unwind()
    .await;
    drop_role_of_its_own(&url, &role).await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// A role the database stops letting in while a replica serves (`ALTER
/// ROLE … NOLOGIN`, its sessions terminated: each new connection is
/// refused with `FATAL 28000`, as a rotated password is with 28P01): the
/// writes are UNAVAILABLE with RetryInfo, the refused connections are
/// counted under their SQLSTATE in `marque_db_connections_refused_total`
/// (they were counted nowhere, and said only in each call's error; the
/// ERROR line said once an outage is the store's unit tests'), and all
/// resumes by itself once the role may log in again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_role_refused_while_serving_is_counted_by_its_sqlstate_and_resumes() {
    refused_as_its_own_role(Refusal {
        alter: "ALTER ROLE {role} NOLOGIN",
        restore: "ALTER ROLE {role} LOGIN",
        terminate: true,
        series: "marque_db_connections_refused_total{sqlstate=\"28000\"}",
        least: 1.0,
        not_serving: true,
        what: "nologin",
    })
    .await;
}

/// A role of the database at `url`'s own, which owns it (and so migrates
/// it, and owns its tables), and the URL that connects as it.
async fn role_of_its_own(url: &str) -> (String, String) {
    let mut config: tokio_postgres::Config = url.parse().expect("url");
    let dbname = config.get_dbname().expect("dbname").to_owned();
    let role = format!("{dbname}_role");
    pg::session(&pg::admin_url())
        .await
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN; ALTER DATABASE {dbname} OWNER TO {role}"
        ))
        .await
        .expect("the test's role");
    config.user(&role);
    (role, pg::to_url(&config))
}

/// Drops the [`role_of_its_own`] of the database at `url`, whatever became
/// of it: what it owns is handed back first.
async fn drop_role_of_its_own(url: &str, role: &str) {
    let config: tokio_postgres::Config = url.parse().expect("url");
    let dbname = config.get_dbname().expect("dbname");
    pg::session(url)
        .await
        .batch_execute(&format!("REASSIGN OWNED BY {role} TO CURRENT_USER"))
        .await
        .expect("hand back what the role owns");
    pg::terminate_backends(url).await;
    pg::session(&pg::admin_url())
        .await
        .batch_execute(&format!(
            "ALTER DATABASE {dbname} OWNER TO CURRENT_USER; DROP ROLE {role}"
        ))
        .await
        .expect("drop the test's role");
}

/// A privilege revoked while a replica serves (`REVOKE SELECT ON
/// resources`: the connections already open stay, and each write's
/// statement on the table is refused with `ERROR 42501`): the writes are
/// UNAVAILABLE with RetryInfo and the store's generic message, not
/// INTERNAL, the refused statements are counted under their SQLSTATE in
/// `marque_db_queries_refused_total` (they were counted nowhere, and an
/// ERROR line a call; the ERROR line said once an outage is the store's
/// unit tests'), and writes resume by themselves once it is granted again.
/// RegistryService is NOT_SERVING while it lasts
/// ([`a_privilege_revoked_keeps_registry_not_serving_until_granted`]
/// asserts it stays so).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_privilege_revoked_while_serving_is_unavailable_counted_and_resumes() {
    refused_as_its_own_role(Refusal {
        alter: "REVOKE SELECT ON resources FROM {role}",
        restore: "GRANT SELECT ON resources TO {role}",
        terminate: false,
        series: "marque_db_queries_refused_total{sqlstate=\"42501\"}",
        least: 3.0,
        not_serving: true,
        what: "revoked",
    })
    .await;
}

/// A store that counts the change feed follower's looks at whether it
/// takes writes ([`marque::store::Store::writable`], asked after each read
/// of the feed that the store answered), and is otherwise `inner`.
struct Looked {
    inner: Arc<dyn marque::store::Store>,
    looks: std::sync::atomic::AtomicUsize,
}

impl Looked {
    fn looks(&self) -> usize {
        self.looks.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl marque::store::Store for Looked {
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }
    fn durable(&self) -> bool {
        self.inner.durable()
    }
    fn record_gauges(&self) {
        self.inner.record_gauges();
    }
    async fn load(&self) -> Result<marque::snapshot::Snapshot, marque::store::StoreError> {
        self.inner.load().await
    }
    async fn events_after(
        &self,
        after: marque::model::Revision,
        limit: usize,
        max_bytes: usize,
    ) -> Result<Vec<marque::model::ChangeEvent>, marque::store::StoreError> {
        self.inner.events_after(after, limit, max_bytes).await
    }
    async fn committed_head(&self) -> Result<marque::model::Revision, marque::store::StoreError> {
        self.inner.committed_head().await
    }
    async fn committed_at(
        &self,
        revision: marque::model::Revision,
    ) -> Result<Option<marque::model::Timestamp>, marque::store::StoreError> {
        self.inner.committed_at(revision).await
    }
    async fn audit(
        &self,
        query: &marque::store::AuditQuery,
    ) -> Result<Vec<marque::model::ChangeEvent>, marque::store::StoreError> {
        self.inner.audit(query).await
    }
    async fn begin(&self) -> Result<Box<dyn marque::store::WriteTx>, marque::store::StoreError> {
        self.inner.begin().await
    }
    async fn page_token_secret(&self) -> Result<[u8; 32], marque::store::StoreError> {
        self.inner.page_token_secret().await
    }
    async fn prepare(&self, migrate: bool) -> anyhow::Result<()> {
        self.inner.prepare(migrate).await
    }
    async fn writable(&self) -> Result<(), marque::store::StoreError> {
        let answer = self.inner.writable().await;
        self.looks.fetch_add(1, Ordering::SeqCst);
        answer
    }
    fn outage(&self) -> marque::store::postgres::Outage {
        self.inner.outage()
    }
    fn refused(&self) -> tokio::sync::watch::Receiver<Vec<marque::store::Operation>> {
        self.inner.refused()
    }
    fn start_feed(&self, wake: tokio::sync::mpsc::Sender<()>) {
        self.inner.start_feed(wake);
    }
}

/// A privilege revoked that only the writes' statements need (`REVOKE
/// SELECT ON resources`, the connections open kept): RegistryService turns
/// NOT_SERVING at the first write refused and stays so, as Kubernetes'
/// probe watching it sees, over many of the change feed's polls, each of
/// which the database answers (they read other tables): it used to turn
/// SERVING again at the next poll, and flap with each refused write.
/// CheckService, WatchService and AuditService, which need none of the
/// refused statements, stay SERVING. Once granted again, RegistryService
/// turns SERVING by itself, with no call made (the follower tries the
/// refused statements again at each poll), and the next write commits.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_privilege_revoked_keeps_registry_not_serving_until_granted() {
    use futures_util::FutureExt as _;
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    const REGISTRY: &str = "marque.v1.RegistryService";
    let url = pg::fresh_database().await;
    let (role, role_url) = role_of_its_own(&url).await;
    let outcome = std::panic::AssertUnwindSafe(async {
        let keys = Keys::generate();
        let store = Arc::new(Looked {
            inner: postgres_store(&role_url),
            looks: Default::default(),
        });
        let server = replica_on(store.clone(), &keys, true).await;
        let before = serving_write(&server, "before-revoke").await;
        // Every status RegistryService reports from now on, as a probe
        // watching it hears them.
        let mut watch = HealthClient::new(server.channel())
            .watch(HealthCheckRequest {
                service: REGISTRY.into(),
            })
            .await
            .expect("health watch")
            .into_inner();
        let heard = Arc::new(std::sync::Mutex::new(Vec::new()));
        let hearing = heard.clone();
        let watching = tokio::spawn(async move {
            while let Ok(Some(answer)) = watch.message().await {
                let mut heard = hearing.lock().expect("heard");
                if heard.last() != Some(&answer.status) {
                    heard.push(answer.status);
                }
            }
        });

        let session = pg::session(&url).await;
        session
            .batch_execute(&format!("REVOKE SELECT ON resources FROM {role}"))
            .await
            .expect("revoke");
        let checks = std::panic::AssertUnwindSafe(async {
            for round in 0..2 {
                assert_write_unavailable(&server, &format!("revoked-{round}")).await;
                wait_status(&server, REGISTRY, ServingStatus::NotServing).await;
                // Five looks of the follower after the refusal, each after
                // a read of the feed the database answered.
                let looked = store.looks();
                while store.looks() < looked + 5 {
                    assert_eq!(
                        status(&server, REGISTRY).await,
                        ServingStatus::NotServing as i32,
                        "after {} looks",
                        store.looks() - looked
                    );
                    for other in [
                        "marque.v1.CheckService",
                        "marque.v1.WatchService",
                        "marque.v1.AuditService",
                    ] {
                        assert_eq!(
                            status(&server, other).await,
                            ServingStatus::Serving as i32,
                            "{other}"
                        );
                    }
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
            }
        })
        .catch_unwind()
        .await;
        session
            .batch_execute(&format!("GRANT SELECT ON resources TO {role}"))
            .await
            .expect("grant");
        if let Err(panic) = checks {
            std::panic::resume_unwind(panic);
        }
        // No call but health's: the follower finds the refused statements
        // answered again.
        wait_status(&server, REGISTRY, ServingStatus::Serving).await;
        for _ in 0..400 {
            if heard.lock().expect("heard").last() == Some(&(ServingStatus::Serving as i32))
                && heard.lock().expect("heard").len() > 1
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        watching.abort();
        let heard = heard.lock().expect("heard").clone();
        assert_eq!(
            heard,
            [
                ServingStatus::Serving as i32,
                ServingStatus::NotServing as i32,
                ServingStatus::Serving as i32
            ],
            "RegistryService as a watching probe heard it"
        );
        writes_resumed(&server, "after-revoke", before).await;
        assert_feed_is_gap_free(&url).await;
    })
    .catch_unwind()
    .await;
    drop_role_of_its_own(&url, &role).await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// `marque migrate` on `url`, waiting `wait` for the database; its exit
/// status and its JSON log.
async fn migrate_binary(url: &str, wait: &str) -> (std::process::ExitStatus, String) {
    let output = tokio::time::timeout(
        Duration::from_secs(120),
        tokio::process::Command::new(env!("CARGO_BIN_EXE_marque"))
            .args(["migrate", "--log-format", "json", "--wait", wait])
            .args(["--database-url", url])
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("marque migrate ends")
    .expect("run marque migrate");
    (
        output.status,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `marque migrate` started before its database takes connections waits
/// for it, saying so at WARN, and migrates once it does; one that gives up
/// after `--wait` exits non-zero saying so and where the database is. A
/// failure that waiting cannot mend (a migration the database refuses)
/// ends it at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn migrate_waits_a_bounded_time_for_the_database() {
    let url = pg::fresh_database().await;
    let dbname = url
        .split(' ')
        .find_map(|part| part.strip_prefix("dbname="))
        .expect("dbname")
        .to_owned();
    let (proxy, proxied) = Proxy::in_front_of(&url).await;
    proxy.cut().await;

    let started = std::time::Instant::now();
    let (status, log) = migrate_binary(&proxied, "1s").await;
    let took = started.elapsed();
    assert!(!status.success(), "{log}");
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(30),
        "{took:?}"
    );
    assert!(
        log.contains("the database was still out of reach after"),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "cannot connect to PostgreSQL at 127.0.0.1:{} (database {dbname})",
            proxy.port
        )),
        "{log}"
    );

    let waiting = tokio::spawn({
        let proxied = proxied.clone();
        async move { migrate_binary(&proxied, "60s").await }
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    proxy.restore().await;
    let (status, log) = waiting.await.expect("the migration's task");
    assert!(status.success(), "{log}");
    let lines: Vec<serde_json::Value> = log
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    assert!(
        lines.iter().any(|line| line["level"] == "WARN"
            && line["fields"]["message"] == "database not ready; migrating when it is"),
        "{log}"
    );
    assert!(
        lines
            .iter()
            .any(|line| line["fields"]["message"] == "migrations applied"
                && line["fields"]["applied"].as_u64() > Some(0)),
        "{log}"
    );
    let (admin, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    admin
        .query_one("SELECT revision FROM registry_head", &[])
        .await
        .expect("migrated");

    // A table in the way of the first migration: no wait mends that.
    let blocked = pg::fresh_database().await;
    let (admin, connection) = tokio_postgres::connect(&blocked, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    admin
        .batch_execute("CREATE TABLE registry_head (other text)")
        .await
        .expect("a table in the way");
    let started = std::time::Instant::now();
    let (status, log) = migrate_binary(&blocked, "60s").await;
    assert!(!status.success(), "{log}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "at once, not after the wait: {:?}",
        started.elapsed()
    );
    assert!(log.contains("42P07"), "{log}");
    assert!(!log.contains("database not ready"), "{log}");
}

/// The backends of `admin`'s database that a store opened, but the change
/// feed's LISTEN: the pool's connections.
async fn pooled_backends(admin: &tokio_postgres::Client) -> Vec<i32> {
    admin
        .query(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
             AND application_name = 'marque' AND query NOT LIKE 'LISTEN%' ORDER BY pid",
            &[],
        )
        .await
        .expect("pg_stat_activity")
        .iter()
        .map(|row| row.get(0))
        .collect()
}

/// The backend of `admin`'s database whose audit read waits for a lock.
async fn audit_read_waiting(admin: &tokio_postgres::Client) -> i32 {
    for _ in 0..500 {
        let waiting = admin
            .query_opt(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
                 AND application_name = 'marque' AND wait_event_type = 'Lock' \
                 AND query LIKE '%brands &&%'",
                &[],
            )
            .await
            .expect("pg_stat_activity");
        if let Some(row) = waiting {
            return row.get(0);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no audit read waited for the lock");
}

/// An error the database answers (here its statement timeout, cutting an
/// audit read that waits for a lock) is no reason to reconnect: the
/// connection goes back to the pool, and its backend answers the next
/// call. A call cancelled while its read waits closes its connection
/// instead, an answer being still due on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_answered_error_keeps_its_connection_and_a_cancelled_call_closes_it() {
    let url = pg::fresh_database().await;
    let mut settings = marque::store::PostgresSettings::new(&url);
    // One pooled connection: the call after the error can only be answered
    // by that connection or by a new one.
    settings.pool_size = 1;
    settings.statement_timeout = Duration::from_secs(1);
    let store = Arc::new(marque::store::PostgresStore::new(settings).expect("store"));
    let keys = Keys::generate();
    let server = replica_on(store, &keys, true).await;
    wait_status(&server, "marque.v1.RegistryService", ServingStatus::Serving).await;
    let connect = || async {
        let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .expect("connect");
        tokio::spawn(connection);
        client
    };
    let (admin, locker) = (connect().await, connect().await);
    let lock = "BEGIN; LOCK TABLE change_events IN ACCESS EXCLUSIVE MODE";
    let mut audit = pb::audit_service_client::AuditServiceClient::with_interceptor(
        server.channel(),
        server.bearer(Who::OwnerA),
    );
    let list = pb::ListAuditEventsRequest::default();

    locker.batch_execute(lock).await.expect("lock");
    let call = {
        let mut audit = audit.clone();
        let list = list.clone();
        tokio::spawn(async move { audit.list_audit_events(list).await })
    };
    let answered_with_an_error = audit_read_waiting(&admin).await;
    let failed = call
        .await
        .expect("the call's task")
        .expect_err("the statement timeout cuts the read");
    assert_eq!(failed.code(), Code::Unavailable, "{failed:?}");
    locker.batch_execute("COMMIT").await.expect("unlock");
    audit
        .list_audit_events(list.clone())
        .await
        .expect("the next call is answered");
    assert_eq!(
        pooled_backends(&admin).await,
        [answered_with_an_error],
        "the connection that carried the error answered the next call"
    );

    locker.batch_execute(lock).await.expect("lock");
    let call = {
        let mut audit = audit.clone();
        let list = list.clone();
        tokio::spawn(async move { audit.list_audit_events(list).await })
    };
    let cancelled = audit_read_waiting(&admin).await;
    assert_eq!(cancelled, answered_with_an_error);
    call.abort();
    let _ = call.await;
    // Answered now, to a connection closed once it has the answer.
    locker.batch_execute("COMMIT").await.expect("unlock");
    let mut pooled = pooled_backends(&admin).await;
    for _ in 0..250 {
        if !pooled.contains(&cancelled) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        pooled = pooled_backends(&admin).await;
    }
    assert!(
        !pooled.contains(&cancelled),
        "the cancelled call's connection is closed: {pooled:?}"
    );
    audit
        .list_audit_events(list)
        .await
        .expect("a new connection answers");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_racing_to_migrate_migrate_once() {
    let url = pg::fresh_database().await;
    let stores: Vec<marque::store::PostgresStore> = (0..4)
        .map(|_| {
            marque::store::PostgresStore::new(marque::store::PostgresSettings::new(&url))
                .expect("store")
        })
        .collect();
    let results = futures_util::future::join_all(stores.iter().map(|s| s.migrate())).await;
    let applied: Vec<usize> = results.into_iter().map(|r| r.expect("migrate")).collect();
    let embedded = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .expect("migrations/")
        .filter(|entry| {
            entry
                .as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "sql"))
        })
        .count();
    assert!(embedded >= 2);
    assert_eq!(
        applied.iter().sum::<usize>(),
        embedded,
        "the migrations were applied once, all by one replica: {applied:?}"
    );
    assert_eq!(
        applied.iter().filter(|&&n| n > 0).count(),
        1,
        "one replica applied them: {applied:?}"
    );
    for store in &stores {
        store.verify_migrations().await.expect("verified");
    }
    // And replicas started together on the empty database seed it once.
    let keys = Keys::generate();
    let (a, b) = tokio::join!(replica(&url, &keys, true), replica(&url, &keys, true));
    let head = converge(&a, &b, 1).await;
    assert_eq!(head, 1, "one seed revision");
}

#[tokio::test]
async fn a_schema_a_newer_version_migrated_further_still_serves_and_migrating_outwaits_the_statement_timeout()
 {
    const MIGRATION_LOCK: i64 = 0x6d61_7271_7565_0001; // src/store/postgres.rs
    let url = pg::fresh_database().await;
    let mut settings = marque::store::PostgresSettings::new(&url);
    settings.statement_timeout = Duration::from_millis(200);
    let store = marque::store::PostgresStore::new(settings).expect("store");
    store.migrate().await.expect("migrate");
    let (admin, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    // Another replica migrating holds the lock past the statement timeout,
    // which is for calls: it must not cut the wait.
    admin
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await
        .expect("lock");
    let (migrated, ()) = tokio::join!(store.migrate(), async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        admin
            .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
            .await
            .expect("unlock");
    });
    assert_eq!(migrated.expect("waited for the lock"), 0);
    // A migration a newer version applied, which this binary does not have:
    // a rollback serves on it.
    admin
        .execute(
            "INSERT INTO marque_schema_history (version, name, applied_on, checksum) \
             VALUES (9999, 'from_a_newer_version', '2026-12-02T00:00:00Z', '0')",
            &[],
        )
        .await
        .expect("a newer migration");
    store
        .verify_migrations()
        .await
        .expect("a schema ahead of the binary serves");
    assert_eq!(store.migrate().await.expect("nothing to apply"), 0);
    // `marque migrate` of a rollback says the schema is ahead, at WARN,
    // and succeeds: no ERROR that its migrations are missing.
    let (status, log) = migrate_binary(&url, "5s").await;
    assert!(status.success(), "{status:?}: {log}");
    assert!(
        log.contains("\"level\":\"WARN\"") && log.contains("ahead of this binary"),
        "{log}"
    );
    assert!(!log.contains("\"level\":\"ERROR\""), "{log}");
}

/// A replica that only verifies the schema (`--no-migrate`, as the chart's
/// pods do) on a database never migrated says so and what to run, not
/// that a table it never named is missing.
#[tokio::test]
async fn a_database_never_migrated_is_named_so_with_what_to_run() {
    let url = pg::fresh_database().await;
    let store = marque::store::PostgresStore::new(marque::store::PostgresSettings::new(&url))
        .expect("store");
    let error = store
        .verify_migrations()
        .await
        .expect_err("no schema to serve on");
    let text = format!("{error:#}");
    assert!(text.contains("never migrated"), "{text}");
    assert!(text.contains("run `marque migrate`"), "{text}");
    assert!(!text.contains("does not exist"), "{text}");
    store.migrate().await.expect("migrate");
    store.verify_migrations().await.expect("migrated");
}

/// A store that lost revisions a replica applied (a failover to a standby
/// that had not received them, a restore from a backup) gets no write from
/// that replica: it would commit another revision under a number the
/// replica already has, and the replicas would part for good.
/// Makes the store lose revision `lost`, the last (a failover to a standby
/// that had not received it): its event, the resources it made, and the
/// head's move to it.
async fn lose_the_last_revision(admin: &tokio_postgres::Client, lost: u64) {
    admin
        .batch_execute(&format!(
            "SET session_replication_role = replica; \
             DELETE FROM change_events WHERE revision = {lost}; \
             DELETE FROM resources WHERE update_revision = {lost}; \
             UPDATE registry_head SET revision = {}; \
             SET session_replication_role = origin",
            lost - 1
        ))
        .await
        .expect("the store loses the last revision");
}

async fn store_head(admin: &tokio_postgres::Client) -> u64 {
    let head: i64 = admin
        .query_one("SELECT revision FROM registry_head", &[])
        .await
        .expect("head")
        .get(0);
    head as u64
}

/// A replica whose store lost the revisions it applied (its head is
/// behind) refuses writes, UNAVAILABLE with a delay to retry after, rather
/// than commit on a registry the store no longer holds; once it has caught
/// up with the store it has loaded the registry again as the store has it,
/// and the retried write is made there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_ahead_of_its_store_refuses_writes_until_it_loads_it_again() {
    let url = pg::fresh_database().await;
    let keys = Keys::generate();
    let server = quiet_replica(&url, &keys, true).await;
    let mut owner = server.registry_as(Who::OwnerA);
    let lost = owner
        .create_brand(brand("lost-in-failover"))
        .await
        .expect("a write the store will lose")
        .into_inner()
        .revision;
    let admin = pg::session(&url).await;
    lose_the_last_revision(&admin, lost).await;
    let refused = owner
        .create_brand(brand("after-failover"))
        .await
        .expect_err("no write on a store behind the replica");
    assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");
    assert!(common::retry_delay(&refused).is_some(), "{refused:?}");
    assert_eq!(store_head(&admin).await, lost - 1, "nothing was written");

    let reloaded = server.registry.latest_snapshot().await.expect("caught up");
    assert_eq!(reloaded.revision(), lost - 1);
    assert!(reloaded.brand("lost-in-failover").is_none());
    let made = owner
        .create_brand(brand("after-failover"))
        .await
        .expect("the retry, on the registry as the store has it")
        .into_inner()
        .revision;
    assert_eq!(made, lost);
    let gone = owner
        .get_brand(pb::GetBrandRequest {
            name: "brands/lost-in-failover".into(),
            min_revision: made,
        })
        .await
        .expect_err("the lost brand");
    assert_eq!(gone.code(), Code::NotFound);
    assert_feed_is_gap_free(&url).await;
}

/// A replica whose store lost revisions it applied and then took other
/// writes under their numbers (restored from a backup, then written through
/// another replica) tells by when the event at its revision was committed:
/// it refuses writes (which would put back what the store lost), and once it
/// has caught up it serves the registry as the store has it, not its own
/// history.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_whose_store_was_restored_and_written_again_loads_it_again() {
    let url = pg::fresh_database().await;
    let keys = Keys::generate();
    let first = quiet_replica(&url, &keys, true).await;
    let mut first_owner = first.registry_as(Who::OwnerA);
    let lost = first_owner
        .create_brand(brand("lost-in-restore"))
        .await
        .expect("a write the restore will lose")
        .into_inner()
        .revision;
    let admin = pg::session(&url).await;
    lose_the_last_revision(&admin, lost).await;
    let second = replica(&url, &keys, false).await;
    let made = second
        .registry_as(Who::OwnerA)
        .create_brand(brand("made-again"))
        .await
        .expect("a write after the restore")
        .into_inner()
        .revision;
    assert_eq!(made, lost, "the same revision, made again");

    let refused = first_owner
        .update_brand(pb::UpdateBrandRequest {
            brand: Some(pb::Brand {
                name: "brands/lost-in-restore".into(),
                display_name: "Put back".into(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["display_name".into()],
            }),
            ..Default::default()
        })
        .await
        .expect_err("no write that would put back what the store lost");
    assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");
    assert_eq!(store_head(&admin).await, made, "nothing was written");

    let reloaded = first.registry.latest_snapshot().await.expect("caught up");
    assert_eq!(reloaded.revision(), made);
    assert!(reloaded.brand("made-again").is_some());
    assert!(reloaded.brand("lost-in-restore").is_none());
    let next = first_owner
        .create_brand(brand("after-restore"))
        .await
        .expect("a write on the registry as the store has it")
        .into_inner()
        .revision;
    assert_eq!(converge(&first, &second, next).await, next);
    assert_feed_is_gap_free(&url).await;
}

/// A write whose COMMIT reached the database but whose answer was lost (the
/// connection broke) is found committed on another connection, and
/// answered as written: not UNAVAILABLE, which tells a client that nothing
/// was written and that a retry is safe.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_commit_whose_answer_is_lost_is_found_committed() {
    let url = pg::fresh_database().await;
    let (proxy, proxied) = Proxy::in_front_of(&url).await;
    let keys = Keys::generate();
    let server = replica(&proxied, &keys, true).await;
    let mut owner = server.registry_as(Who::OwnerA);
    // The connections stay: the write commits on one the pool holds.
    proxy.mode.store(CUT_AT_COMMIT, Ordering::SeqCst);
    let mut request = brand("committed-unheard");
    request.request_id = String::new();
    let created = owner
        .create_brand(request)
        .await
        .expect("the write is answered as committed")
        .into_inner();
    assert_eq!(proxy.mode.load(Ordering::SeqCst), OPEN, "a COMMIT was cut");
    let fresh = postgres_store(&url).load().await.expect("load");
    assert_eq!(fresh.revision(), created.revision);
    assert!(fresh.brand("committed-unheard").is_some());
    assert_eq!(server.registry.snapshot().revision(), created.revision);
}

/// A replica's load streams the whole registry for as long as that takes:
/// the statement timeout, which is for calls, does not cut it (here the
/// load waits for a lock; at a few million authorizations it is the
/// stream itself that outlasts the timeout).
#[tokio::test]
async fn a_load_outwaits_the_statement_timeout() {
    let url = pg::fresh_database().await;
    let mut settings = marque::store::PostgresSettings::new(&url);
    settings.statement_timeout = Duration::from_millis(200);
    let store = marque::store::PostgresStore::new(settings).expect("store");
    store.migrate().await.expect("migrate");
    let (mut admin, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    let lock = admin.transaction().await.expect("begin");
    lock.batch_execute("LOCK TABLE resources IN ACCESS EXCLUSIVE MODE")
        .await
        .expect("lock");
    let (loaded, ()) = tokio::join!(marque::store::Store::load(&store), async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        lock.commit().await.expect("unlock");
    });
    assert_eq!(loaded.expect("the load waited for the lock").revision(), 0);
}

/// A write transaction left idle (its replica frozen or cut off between two
/// statements) is ended by the database after the statement timeout, and
/// with it its hold on the registry's write lock: the next write, here or
/// on any replica, goes through.
#[tokio::test]
async fn an_idle_write_transaction_gives_up_the_write_lock() {
    let url = pg::fresh_database().await;
    let mut settings = marque::store::PostgresSettings::new(&url);
    settings.statement_timeout = Duration::from_millis(300);
    let store = marque::store::PostgresStore::new(settings).expect("store");
    store.migrate().await.expect("migrate");
    use marque::store::Store as _;
    let stuck = store.begin().await.expect("the write lock");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let next = store
        .begin()
        .await
        .expect("the write lock, once the idle transaction is ended");
    assert_eq!(next.head(), 0);
    drop((stuck, next));
}

/// A database that takes connections and never answers their start-up (a
/// stopped server's backlog, a proxy whose database is down) fails a
/// connection within twice the connect timeout, with an error that says
/// so, rather than holding `marque migrate` or a server's start for ever.
#[tokio::test]
async fn a_database_that_never_answers_fails_the_connection_in_time() {
    let url = pg::fresh_database().await;
    let (proxy, proxied) = Proxy::in_front_of(&url).await;
    proxy.stall().await;
    let mut settings = marque::store::PostgresSettings::new(proxied);
    settings.connect_timeout = Duration::from_millis(300);
    let store = marque::store::PostgresStore::new(settings).expect("store");
    let failed = tokio::time::timeout(Duration::from_secs(20), store.migrate())
        .await
        .expect("the connection fails, it does not hang")
        .expect_err("no answer, no migration");
    assert!(
        format!("{failed:#}").contains("no answer to the connection's start-up within 600ms"),
        "{failed:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_brand_created_on_one_replica_takes_children_on_another_at_once() {
    let url = pg::fresh_database().await;
    let keys = Keys::generate();
    let a = replica(&url, &keys, true).await;
    let b = replica(&url, &keys, false).await;
    let (mut on_a, mut on_b) = (a.registry_as(Who::OwnerA), b.registry_as(Who::OwnerA));
    for i in 0..50 {
        let id = format!("fresh-{i}");
        on_a.create_brand(brand(&id)).await.expect("create on a");
        // No min_revision and no wait: the write on B must find the brand
        // even when B has not applied A's write yet.
        on_b.add_trademark(pb::AddTrademarkRequest {
            parent: format!("brands/{id}"),
            trademark: Some(pb::Trademark {
                office: "CN".into(),
                registration_number: format!("FRESH-{i}"),
                mark_text: id.to_uppercase(),
                kind: pb::TrademarkKind::Word as i32,
                nice_classes: vec![25],
                status: pb::TrademarkStatus::Registered as i32,
                ..Default::default()
            }),
            request_id: format!("trademark-{id}"),
        })
        .await
        .unwrap_or_else(|status| panic!("add a trademark to {id} on b: {status:?}"));
    }
    // And a brand that exists nowhere is still not found.
    let missing = on_b
        .authorize_seller(pb::AuthorizeSellerRequest {
            parent: "brands/nowhere".into(),
            authorization: Some(pb::Authorization {
                platform: "members/platform-p".into(),
                seller_account: "s".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("no such brand");
    assert_eq!(missing.code(), Code::NotFound, "{missing:?}");
}

/// A registration number registered again after its brand was archived is
/// the new brand's on every replica: one that loads the registry from the
/// database refuses it to a third brand, whichever of the two trademarks
/// holding it the load reads last (it reads the table in no particular
/// order).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_number_registered_again_stays_taken_on_replicas_that_load_it() {
    let url = pg::fresh_database().await;
    let keys = Keys::generate();
    let writer = replica(&url, &keys, true).await;
    let add = async |server: &TestServer, who: Who, brand: &str| {
        server
            .registry_as(who)
            .add_trademark(pb::AddTrademarkRequest {
                parent: format!("brands/{brand}"),
                trademark: Some(pb::Trademark {
                    office: "US".into(),
                    registration_number: "7770002".into(),
                    mark_text: "ALPHA".into(),
                    kind: pb::TrademarkKind::Word as i32,
                    nice_classes: vec![14],
                    status: pb::TrademarkStatus::Registered as i32,
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
    };
    add(&writer, Who::OwnerA, "alpha")
        .await
        .expect("alpha's mark");
    writer.archive(Who::OwnerA, "brands/alpha").await;
    add(&writer, Who::OwnerB, "beta")
        .await
        .expect("the mark of an archived brand, registered again");
    writer
        .registry_as(Who::OwnerA)
        .create_brand(brand("gamma"))
        .await
        .expect("a third brand");
    let (admin, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    // A row updated in place moves after the others in a sequential scan:
    // each brand's trademarks in turn are read last.
    for last in ["alpha", "beta"] {
        admin
            .execute(
                "UPDATE resources SET body = body WHERE kind = 'trademark' AND brand = $1",
                &[&last],
            )
            .await
            .expect("move the rows");
        let loaded = replica(&url, &keys, false).await;
        let status = add(&loaded, Who::OwnerA, "gamma")
            .await
            .expect_err("a mark an active brand holds");
        assert_eq!(
            status.code(),
            Code::AlreadyExists,
            "{last} read last: {status:?}"
        );
        assert!(
            status.message().contains("brands/beta/trademarks/"),
            "{last} read last: {status:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn watch_resumes_on_a_replica_that_has_not_applied_the_revision_yet() {
    let url = pg::fresh_database().await;
    let keys = Keys::generate();
    let a = replica(&url, &keys, true).await;
    let b = replica(&url, &keys, false).await;
    let mut on_a = a.registry_as(Who::OwnerA);
    let mut watch_b = pb::watch_service_client::WatchServiceClient::with_interceptor(
        b.channel(),
        b.bearer(Who::OwnerA),
    );
    for i in 0..20 {
        let written = on_a
            .create_brand(brand(&format!("resume-{i}")))
            .await
            .expect("write on a")
            .into_inner()
            .revision;
        // A client that got `written` from A resumes from it on B at once.
        let mut stream = watch_b
            .watch(pb::WatchRequest {
                from_revision: written,
                ..Default::default()
            })
            .await
            .unwrap_or_else(|status| panic!("resume from {written} on b: {status:?}"))
            .into_inner();
        let next = on_a
            .create_brand(brand(&format!("resume-{i}-next")))
            .await
            .expect("next write on a")
            .into_inner()
            .revision;
        let event = loop {
            let message = tokio::time::timeout(Duration::from_secs(10), stream.message())
                .await
                .expect("the stream answers")
                .expect("stream ok")
                .expect("stream open");
            if let Some(pb::watch_response::Kind::Event(event)) = message.kind {
                break event;
            }
        };
        assert_eq!(event.revision, next, "the next event, nothing before it");
    }
}

/// An import larger than one statement's batch, then the same import with
/// one row changed: a fresh load of the database agrees with the replica
/// that wrote them, row for row.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_large_import_is_stored_as_the_replica_holds_it() {
    let url = pg::fresh_database().await;
    let keys = Keys::generate();
    let a = replica(&url, &keys, true).await;
    let row = |i: usize| pb::Authorization {
        platform: "members/platform-p".into(),
        seller_account: format!("bulk-{i}"),
        nice_classes: vec![14],
        ..Default::default()
    };
    let messages: Vec<pb::ImportAuthorizationsRequest> = (0..12_000)
        .collect::<Vec<_>>()
        .chunks(1_000)
        .enumerate()
        .map(|(n, chunk)| pb::ImportAuthorizationsRequest {
            parent: if n == 0 {
                "brands/alpha".into()
            } else {
                String::new()
            },
            rows: chunk.iter().map(|&i| row(i)).collect(),
            request_id: String::new(),
            widen: None,
        })
        .collect();
    let mut owner = a.registry_as(Who::OwnerA);
    let imported = owner
        .import_authorizations(tokio_stream::iter(messages.clone()))
        .await
        .expect("import")
        .into_inner();
    // The same import again changes nothing; one with a row changed
    // rewrites that row.
    let mut changed = messages;
    changed[3].rows[7].nice_classes = vec![14, 18];
    let again = owner
        .import_authorizations(tokio_stream::iter(changed))
        .await
        .expect("import again")
        .into_inner();
    assert!(again.revision > imported.revision);
    let fresh = postgres_store(&url).load().await.expect("load");
    let snapshot = a.registry.snapshot();
    assert_eq!(fresh.revision(), snapshot.revision());
    assert_eq!(fresh.digest(), snapshot.digest(), "a fresh load agrees");
    // A filtered listing reads at most 10,000 others a page: follow the
    // tokens.
    let found = common::every_authorization(
        &mut owner,
        pb::ListAuthorizationsRequest {
            parent: "brands/alpha".into(),
            seller_account: "bulk-3007".into(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].nice_classes, [14, 18]);
}

/// The binary on `url` with `seed`, its JSON log read up to the line that
/// says it serves (`Ok`, with every line), or to its exit (`Err`, with its
/// status and standard error).
async fn serve_binary_with_seed(
    url: &str,
    seed: &std::path::Path,
) -> Result<Vec<serde_json::Value>, (std::process::ExitStatus, String)> {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_marque"))
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
        .arg("--database-url")
        .arg(url)
        .arg("--seed")
        .arg(seed)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn marque");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut lines = Vec::new();
    let mut text = String::new();
    let serving = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = stderr.next_line().await.expect("read stderr") {
            text.push_str(&line);
            text.push('\n');
            if let Ok(json) = serde_json::from_str::<serde_json::Value>(&line) {
                let serving = json["fields"]["message"] == "serving";
                lines.push(json);
                if serving {
                    return true;
                }
            }
        }
        false
    })
    .await
    .expect("the binary serves or exits in time");
    if serving {
        return Ok(lines);
    }
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("the binary exits")
        .expect("wait");
    Err((status, text))
}

/// What an operator sees when the logo rules refuse what a start meets:
/// the binary refuses to load a seed with such a logo into an empty
/// database, and says which; restarted on a database that has revisions,
/// it serves, with a warning naming the seed's entry and one naming each
/// stored logo the rules refuse now (brand and logo id).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn logos_the_rules_refuse_are_named_at_start_and_stop_only_a_seed_being_loaded() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let seed = dir.path().join("seed.toml");
    std::fs::write(
        &seed,
        "[[members]]\nid = \"maison\"\ndisplay_name = \"Maison\"\nkind = \"brand_owner\"\n\
         [[brands]]\nid = \"plain\"\nowner = \"maison\"\ndisplay_name = \"Plain\"\n\
         [[brands.logos]]\nperceptual_hash = \"0000000000000007\"\n",
    )
    .expect("write the seed");
    let url = pg::fresh_database().await;

    let (status, stderr) = serve_binary_with_seed(&url, &seed)
        .await
        .expect_err("an empty database is not seeded with a logo the rules refuse");
    assert!(!status.success(), "{status:?}");
    assert!(
        stderr.contains("brands[0].logos[0].perceptual_hash: the logo has too little detail"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was written"), "{stderr}");

    // The fixture, and a logo stored before the rules refused it.
    let keys = Keys::generate();
    let mut server = replica(&url, &keys, true).await;
    let stored = common::store_alpha_logo_past_the_rules(&server, u64::MAX << 2).await;
    server
        .begin_shutdown()
        .await
        .expect("join")
        .expect("stopped");
    let head = assert_feed_is_gap_free(&url).await;

    let lines = serve_binary_with_seed(&url, &seed)
        .await
        .unwrap_or_else(|(status, stderr)| panic!("{status:?}\n{stderr}"));
    let warnings: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|line| line["level"] == "WARN")
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
    let refusal = warnings
        .iter()
        .find_map(|line| line["fields"]["refusal"].as_str())
        .unwrap_or_else(|| panic!("no warning names the seed's entry: {warnings:#?}"));
    assert!(
        refusal.starts_with("brands[0].logos[0].perceptual_hash: the logo has too little detail"),
        "{refusal}"
    );
    let logo = warnings
        .iter()
        .find(|line| line["fields"]["logo"].is_string())
        .unwrap_or_else(|| panic!("no warning names the stored logo: {warnings:#?}"));
    assert_eq!(logo["fields"]["brand"], "alpha", "{logo}");
    assert_eq!(logo["fields"]["logo"], stored.to_string(), "{logo}");
    assert_eq!(logo["fields"]["hash"], "fffffffffffffffc", "{logo}");
    assert_eq!(
        assert_feed_is_gap_free(&url).await,
        head,
        "the seed is not loaded"
    );
}

/// A Madrid mark's designation of the EU is stored as `EM` and loads back
/// as such: a replica that loads the registry from the database reads it
/// as written and gives it the EU's territorial scope (not
/// Saint-Pierre-et-Miquelon). A row stored before `EM` was kept (the 27
/// member states in its place) still loads, as 27 national designations.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stored_designation_of_the_eu_loads_as_written_and_old_rows_still_load() {
    let url = pg::fresh_database().await;
    let keys = Keys::generate();
    let a = replica(&url, &keys, true).await;
    let written = a
        .registry_as(Who::OwnerA)
        .add_trademark(common::madrid_alpha(&["JP", "EM"]))
        .await
        .expect("a Madrid mark designating the EU")
        .into_inner();
    let name = written.trademark.expect("trademark").name;
    // What a replica that loads the registry now reads: the designations,
    // and the verdict in Saint-Pierre-et-Miquelon.
    let loaded = async || {
        let b = replica(&url, &keys, false).await;
        let marks = b
            .registry_as(Who::PlatformP)
            .list_trademarks(pb::ListTrademarksRequest {
                parent: "brands/alpha".into(),
                min_revision: written.revision,
                ..Default::default()
            })
            .await
            .expect("list")
            .into_inner()
            .trademarks;
        let mark = marks
            .into_iter()
            .find(|t| t.name == name)
            .expect("the mark");
        let answer = b
            .check_as(Who::PlatformP)
            .check_listing(pb::CheckListingRequest {
                listing: Some(pb::Listing {
                    seller_account: "stranger".into(),
                    title: "Alpha steel watch".into(),
                    nice_class: 14,
                    region: "PM".into(),
                    ..Default::default()
                }),
                min_revision: written.revision,
            })
            .await
            .expect("check")
            .into_inner();
        (mark.designated_countries, answer.verdict)
    };
    assert_eq!(
        loaded().await,
        (
            vec!["EM".to_string(), "JP".to_string()],
            pb::Verdict::Allow as i32
        )
    );
    // The row as it was stored before: the EU's member states in its place.
    let (admin, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    let members: Vec<String> = marque::model::codes::EU_MEMBER_STATES
        .iter()
        .map(|r| format!("\"{r}\""))
        .collect();
    let rewritten = admin
        .execute(
            "UPDATE resources SET body = convert_to(replace(convert_from(body, 'UTF8'), \
             '\"designated_countries\":[\"EM\",\"JP\"]', $1), 'UTF8') \
             WHERE kind = 'trademark' AND convert_from(body, 'UTF8') LIKE '%7700001%'",
            &[&format!(
                "\"designated_countries\":[{},\"JP\"]",
                members.join(",")
            )],
        )
        .await
        .expect("store the row as it was");
    assert_eq!(rewritten, 1);
    let (designated, verdict) = loaded().await;
    assert_eq!(designated.len(), 28, "{designated:?}");
    assert!(!designated.iter().any(|d| d == "EM"), "{designated:?}");
    assert_eq!(verdict, pb::Verdict::Block as i32);
}

/// The binary serving on `url` with a JSON log, the first operator key
/// printed (`--print-operator-key`) and `args`: once it serves.
struct Served {
    child: tokio::process::Child,
    /// The operator key it printed.
    key: String,
    /// Where it listens.
    address: String,
    /// Its log, every line, read as it comes (at TRACE a full pipe would
    /// stall the server) until it exits.
    log: tokio::task::JoinHandle<Vec<String>>,
}

impl Served {
    async fn start(url: &str, args: &[&str]) -> Served {
        use tokio::io::{AsyncBufReadExt, BufReader};
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_marque"))
            .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
            .args(["--print-operator-key", "--shutdown-grace", "100ms"])
            .args(["--database-url", url])
            .args(args)
            .env_remove("MARQUE_OPERATOR_KEY")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn marque");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let (serving_tx, serving) = tokio::sync::oneshot::channel();
        let log = tokio::spawn(async move {
            let (mut lines, mut all) = (stderr.lines(), Vec::new());
            let (mut address, mut serving_tx) = (None, Some(serving_tx));
            while let Ok(Some(line)) = lines.next_line().await {
                if let Ok(json) = serde_json::from_str::<serde_json::Value>(&line) {
                    if let Some(listening) = json["fields"]["address"].as_str() {
                        address.get_or_insert_with(|| listening.to_owned());
                    }
                    if json["fields"]["message"] == "serving"
                        && let (Some(tx), Some(address)) = (serving_tx.take(), address.clone())
                    {
                        let _ = tx.send(address);
                    }
                }
                all.push(line);
            }
            all
        });
        let key = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = stdout.next_line().await.expect("read stdout") {
                if line.trim().starts_with("mq_") {
                    return line.trim().to_owned();
                }
            }
            panic!("no key printed");
        })
        .await
        .expect("the key is printed at start-up");
        let address = tokio::time::timeout(Duration::from_secs(60), serving)
            .await
            .expect("serves in time")
            .expect("the log says where it serves");
        Served {
            child,
            key,
            address,
            log,
        }
    }

    /// Stops it with SIGTERM: a clean exit, and its whole log.
    async fn stop(mut self) -> Vec<String> {
        let pid = self.child.id().expect("pid").to_string();
        assert!(
            std::process::Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .expect("kill")
                .success()
        );
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("exits after SIGTERM")
            .expect("wait");
        assert!(status.success(), "{status:?}");
        self.log.await.expect("the log reader")
    }
}

/// At `--log trace` on PostgreSQL, the database library's lines below INFO
/// are not written: they carry every statement's parameters, among them
/// the first operator key's hash and the page-token secret written at
/// start (README, "Logs": secrets never reach a log line).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn statement_parameters_never_reach_the_log_at_trace() {
    let url = pg::fresh_database().await;
    let served = Served::start(&url, &["--log", "trace"]).await;
    let key = served.key.clone();
    let lines = served.stop().await;
    let json: Vec<serde_json::Value> = lines
        .iter()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    assert!(
        json.iter().any(|line| line["level"] == "TRACE"),
        "the log is at TRACE"
    );
    let below_info = |line: &&serde_json::Value| {
        line["target"]
            .as_str()
            .is_some_and(|t| t.starts_with("tokio_postgres") || t.starts_with("postgres_protocol"))
            && matches!(line["level"].as_str(), Some("DEBUG" | "TRACE"))
    };
    let written: Vec<_> = json.iter().filter(below_info).collect();
    assert!(written.is_empty(), "{written:?}");
    let all = lines.join("\n");
    let hash = marque::auth::hash_secret(&key);
    for shown in [
        hex::encode(hash),
        format!("{hash:?}"),
        format!("{hash:?}").replace(' ', ""),
    ] {
        assert!(!all.contains(&shown), "the key's hash is in the log");
    }
    assert!(!all.contains("executing statement"));
}

/// A seed file that holds nothing (empty, or another file mounted where
/// the seed was meant to be) is named at start with a warning, not reported
/// as loaded.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_empty_seed_is_named_at_start() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let seed = dir.path().join("seed.toml");
    std::fs::write(&seed, "# nothing yet\n").expect("write the seed");
    let url = pg::fresh_database().await;
    let lines = serve_binary_with_seed(&url, &seed)
        .await
        .expect("an empty seed does not stop the start");
    let warned = lines.iter().any(|line| {
        line["level"] == "WARN"
            && line["fields"]["message"] == "the seed holds nothing to load"
            && line["fields"]["seed"]
                .as_str()
                .is_some_and(|path| path.ends_with("seed.toml"))
    });
    assert!(warned, "{lines:#?}");
    assert!(
        !lines
            .iter()
            .any(|line| line["fields"]["message"] == "seed loaded"),
        "{lines:#?}"
    );
}

/// An error the database answers a write with is logged with its SQLSTATE,
/// its message and the names it gives, never its DETAIL or HINT: those
/// carry row values (`Failing row contains (…)`, `Key (…)=(…) already
/// exists`), which may be a key's secret or an event's body (README,
/// "Logs": secrets never reach a log line). The client hears the generic
/// answer: INTERNAL for a fault, UNAVAILABLE for a transient error.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_database_error_is_logged_without_its_detail_or_hint() {
    const DETAIL: &str = "row-value-marker-7f3a";
    const HINT: &str = "hint-marker-c21d";
    let url = pg::fresh_database().await;
    let served = Served::start(&url, &[]).await;
    let (key, address) = (served.key.clone(), served.address.clone());

    // From now on, the database refuses every change event with `code`,
    // naming the table and a constraint as its own checks do.
    let (admin, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    let refuse = |code: &str| {
        format!(
            "CREATE OR REPLACE FUNCTION refuse_writes() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN RAISE EXCEPTION 'writes refused here' \
             USING DETAIL = '{DETAIL}', HINT = '{HINT}', ERRCODE = '{code}', \
             TABLE = TG_TABLE_NAME, CONSTRAINT = 'refuse_writes'; END $$"
        )
    };
    admin
        .batch_execute(&format!(
            "{}; CREATE TRIGGER refuse_writes BEFORE INSERT ON change_events \
             FOR EACH ROW EXECUTE FUNCTION refuse_writes()",
            refuse("P0001")
        ))
        .await
        .expect("the trigger");
    let mut operator = pb::registry_service_client::RegistryServiceClient::with_interceptor(
        tonic::transport::Endpoint::from_shared(format!("http://{address}"))
            .expect("endpoint")
            .connect_lazy(),
        common::Bearer::key(&key),
    );
    let member = |id: &str| pb::CreateMemberRequest {
        member_id: id.into(),
        member: Some(pb::Member {
            display_name: "Refused".into(),
            kind: pb::MemberKind::Platform as i32,
            ..Default::default()
        }),
        request_id: String::new(),
    };
    let fault = operator
        .create_member(member("refused-fault"))
        .await
        .expect_err("the database refuses the write");
    assert_eq!(fault.code(), Code::Internal, "{fault:?}");
    assert_eq!(fault.message(), "internal error", "{fault:?}");
    // A serialization failure is worth retrying.
    admin
        .batch_execute(&refuse("40001"))
        .await
        .expect("the trigger, transient");
    let transient = operator
        .create_member(member("refused-transient"))
        .await
        .expect_err("the database refuses the write");
    assert_eq!(transient.code(), Code::Unavailable, "{transient:?}");
    assert_eq!(
        transient.message(),
        marque::api::STORE_UNAVAILABLE,
        "{transient:?}"
    );

    let lines = served.stop().await;
    let all = lines.join("\n");
    assert!(!all.contains(DETAIL), "the DETAIL is logged:\n{all}");
    assert!(!all.contains(HINT), "the HINT is logged:\n{all}");
    let logged = |level: &str, message: &str| {
        lines
            .iter()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .find(|line| line["level"] == level && line["fields"]["message"] == message)
            .and_then(|line| line["fields"]["error"].as_str().map(str::to_owned))
            .unwrap_or_else(|| panic!("no {level} line {message:?}:\n{all}"))
    };
    for (error, code) in [
        (logged("ERROR", "internal error"), "P0001"),
        // One line for the call, its outcome's, with the cause.
        (logged("WARN", "rpc failed"), "40001"),
    ] {
        assert!(
            error.contains(&format!("ERROR {code} writes refused here")),
            "{error}"
        );
        assert!(
            error.contains("table change_events, constraint refuse_writes"),
            "{error}"
        );
    }
}

/// `marque_db_pool_connections` is read from the pool when `/metrics` is
/// scraped: an idle server whose one connection was used and given back
/// reads it available (it read 0 available, as the pool was when that
/// connection was last taken).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_idle_pool_reads_its_released_connection_available_at_the_scrape() {
    let url = pg::fresh_database().await;
    let keys = Keys::generate();
    let mut settings = marque::store::PostgresSettings::new(url.as_str());
    settings.pool_wait = Duration::from_secs(2);
    settings.connect_timeout = Duration::from_secs(2);
    settings.pool_size = 1;
    let store = Arc::new(marque::store::PostgresStore::new(settings).expect("postgres store"));
    let server = replica_on(store, &keys, true).await;
    server
        .registry_as(Who::OwnerA)
        .create_brand(brand("pooled"))
        .await
        .expect("write");
    let admin = server.admin.expect("admin port");
    let gauge = |text: &str, state: &str| {
        common::metric_sum(
            text,
            &format!("marque_db_pool_connections{{state=\"{state}\"}}"),
        )
    };
    // The replica's own polls take the connection now and then: a scrape
    // during one reads it in use.
    let mut text = String::new();
    for _ in 0..50 {
        text = common::scrape_metrics(admin).await;
        if gauge(&text, "available") >= 1.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(gauge(&text, "available"), 1.0, "{text}");
    assert_eq!(gauge(&text, "size"), 1.0, "{text}");
    assert_eq!(gauge(&text, "waiting"), 0.0, "{text}");
}
