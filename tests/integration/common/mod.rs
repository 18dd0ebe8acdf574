//! Test harness: starts the real server (the same `Server` that `main`
//! uses) on port 0 over a store, with a fixture registry, and hands out
//! generated gRPC clients that present a member's API key.
//!
//! Set `TEST_LOG=1` to see the server's logs.

pub mod pg;

use std::{net::SocketAddr, path::Path, sync::Arc, time::Duration};

use marque::{
    auth,
    pb::marque::v1::{
        self as pb, check_service_client::CheckServiceClient,
        registry_service_client::RegistryServiceClient,
    },
    seed::Seed,
    server::{OperatorKey, Server, ServerOptions},
    store::{MemoryStore, Store},
};
use tokio::{sync::oneshot, task::JoinHandle};
use tonic::{
    Request, Status,
    metadata::{Ascii, MetadataValue},
    service::{Interceptor, interceptor::InterceptedService},
    transport::{Channel, Endpoint},
};

/// Adds `authorization: Bearer <key>` to every call.
#[derive(Clone)]
pub struct Bearer(Option<MetadataValue<Ascii>>);

impl Bearer {
    /// Presents `key` (for clients over channels the fixture did not make).
    pub fn key(key: &str) -> Bearer {
        Bearer(Some(
            format!("Bearer {key}").parse().expect("ascii metadata"),
        ))
    }
}

impl Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(value) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        Ok(request)
    }
}

/// A registry client presenting one member's key.
pub type Registry = RegistryServiceClient<InterceptedService<Channel, Bearer>>;
/// A check client presenting one member's key.
pub type Check = CheckServiceClient<InterceptedService<Channel, Bearer>>;

/// The fixture's members, each with one key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    /// `operator`, the alliance operator.
    Operator,
    /// `owner-a`, owner of brand `alpha`.
    OwnerA,
    /// `owner-b`, owner of brand `beta`.
    OwnerB,
    /// `platform-p`.
    PlatformP,
    /// `platform-q`.
    PlatformQ,
    /// No key at all.
    Anonymous,
}

impl Who {
    pub const ALL: [Who; 6] = [
        Who::Operator,
        Who::OwnerA,
        Who::OwnerB,
        Who::PlatformP,
        Who::PlatformQ,
        Who::Anonymous,
    ];
}

/// The fixture registry: two owners with one brand each, two platforms,
/// one authorization of `alpha` on each platform.
pub fn fixture_seed(keys: &Keys) -> String {
    format!(
        r#"
[[members]]
id = "operator"
display_name = "Operator"
kind = "operator"
api_keys = [{{ secret = "{op}" }}]

[[members]]
id = "owner-a"
display_name = "Owner A"
kind = "brand_owner"
api_keys = [{{ secret = "{a}" }}]

[[members]]
id = "owner-b"
display_name = "Owner B"
kind = "brand_owner"
api_keys = [{{ secret = "{b}" }}]

[[members]]
id = "platform-p"
display_name = "Platform P"
kind = "platform"
api_keys = [{{ secret = "{p}" }}]

[[members]]
id = "platform-q"
display_name = "Platform Q"
kind = "platform"
api_keys = [{{ secret = "{q}" }}]

[[brands]]
id = "alpha"
owner = "owner-a"
display_name = "Alpha"
aliases = ["阿尔法"]

[[brands.trademarks]]
office = "CN"
registration_number = "TEST-1"
mark_text = "ALPHA"
kind = "word"
nice_classes = [14, 18]
status = "registered"

[[brands.authorizations]]
platform = "platform-p"
seller_account = "seller-p1"
nice_classes = [14]
regions = ["CN", "FR"]

[[brands.authorizations]]
platform = "platform-q"
seller_account = "seller-q1"

[[brands]]
id = "beta"
owner = "owner-b"
display_name = "Beta"
"#,
        op = keys.operator,
        a = keys.owner_a,
        b = keys.owner_b,
        p = keys.platform_p,
        q = keys.platform_q,
    )
}

/// One fresh key per fixture member.
#[derive(Clone)]
pub struct Keys {
    pub operator: String,
    pub owner_a: String,
    pub owner_b: String,
    pub platform_p: String,
    pub platform_q: String,
}

impl Keys {
    pub fn generate() -> Self {
        Self {
            operator: auth::generate_key().secret,
            owner_a: auth::generate_key().secret,
            owner_b: auth::generate_key().secret,
            platform_p: auth::generate_key().secret,
            platform_q: auth::generate_key().secret,
        }
    }

    pub fn of(&self, who: Who) -> Option<&str> {
        match who {
            Who::Operator => Some(&self.operator),
            Who::OwnerA => Some(&self.owner_a),
            Who::OwnerB => Some(&self.owner_b),
            Who::PlatformP => Some(&self.platform_p),
            Who::PlatformQ => Some(&self.platform_q),
            Who::Anonymous => None,
        }
    }
}

/// Installs a test log subscriber once, when `TEST_LOG` is set.
pub fn init_logs() {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("info")
            .with_test_writer()
            .try_init();
    }
}

/// A running server.
pub struct TestServer {
    pub addr: SocketAddr,
    /// The admin port, when the options asked for one.
    pub admin: Option<SocketAddr>,
    pub keys: Keys,
    pub registry: Arc<marque::registry::Registry>,
    stop: Option<oneshot::Sender<()>>,
    pub task: Option<JoinHandle<anyhow::Result<()>>>,
    channel: Channel,
}

/// Which store the suite runs against: `MARQUE_TEST_STORE=postgres` runs
/// every integration test on PostgreSQL (each with its own database); the
/// default is the embedded store. `scripts/test.sh` runs both.
pub fn store_under_test() -> &'static str {
    match std::env::var("MARQUE_TEST_STORE").as_deref() {
        Ok("postgres") => "postgres",
        Ok("memory") | Err(_) => "memory",
        Ok(other) => panic!("MARQUE_TEST_STORE must be memory or postgres, not {other:?}"),
    }
}

/// A store of the kind under test: a fresh PostgreSQL database, or memory.
pub async fn new_store() -> (Arc<dyn Store>, Option<String>) {
    if store_under_test() == "postgres" {
        let url = pg::fresh_database().await;
        (postgres_store(&url), Some(url))
    } else {
        (Arc::new(MemoryStore::new()), None)
    }
}

/// A PostgreSQL store on `url`, with short timeouts for tests.
pub fn postgres_store(url: &str) -> Arc<dyn Store> {
    let mut settings = marque::store::PostgresSettings::new(url);
    settings.pool_wait = Duration::from_secs(2);
    settings.connect_timeout = Duration::from_secs(2);
    settings.pool_size = 8;
    Arc::new(marque::store::PostgresStore::new(settings).expect("postgres store"))
}

/// How to start a test server.
pub struct Start {
    pub options: ServerOptions,
    /// The store; `None` means a new one of the kind under test.
    pub store: Option<Arc<dyn Store>>,
    pub keys: Keys,
}

impl Start {
    /// Loopback, port 0, the fixture seed, the embedded store.
    pub fn fixture() -> Self {
        let keys = Keys::generate();
        let mut options = ServerOptions::new("127.0.0.1:0".parse().expect("address"));
        options.seed =
            Some(Seed::parse(&fixture_seed(&keys), Path::new(".")).expect("fixture seed"));
        options.operator_key = OperatorKey::None;
        options.shutdown_grace = Duration::from_millis(200);
        options.drain_timeout = Duration::from_secs(5);
        options.min_revision_wait = Duration::from_millis(300);
        options.feed_poll = Duration::from_millis(200);
        Self {
            options,
            store: None,
            keys,
        }
    }

    /// Starts the server and waits until it answers health SERVING.
    pub async fn start(self) -> TestServer {
        init_logs();
        let store = match self.store {
            Some(store) => store,
            None => new_store().await.0,
        };
        let server = Server::bind(self.options, store).await.expect("bind");
        let addr = server.local_addr().expect("address");
        let admin = server.admin_addr().expect("admin address");
        let registry = server.registry();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        let channel = Endpoint::from_shared(format!("http://{addr}"))
            .expect("endpoint")
            .connect_lazy();
        let server = TestServer {
            addr,
            admin,
            keys: self.keys,
            registry,
            stop: Some(stop),
            task: Some(task),
            channel,
        };
        server.wait_serving("").await;
        server
    }
}

impl TestServer {
    /// The fixture on the embedded store.
    pub async fn start() -> TestServer {
        Start::fixture().start().await
    }

    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    pub fn bearer(&self, who: Who) -> Bearer {
        Bearer(
            self.keys
                .of(who)
                .map(|key| format!("Bearer {key}").parse().expect("ascii metadata")),
        )
    }

    /// A page token sealed by this server, as it seals the tokens it
    /// issues, for `list` (the list and its request fields, as the service
    /// names them) read by `reader`, continuing after `after`: for tests of
    /// keys no listing reaches (a revision past the end, a malformed id).
    pub fn page_token(&self, list: &str, reader: Option<&str>, after: &str) -> String {
        self.registry
            .page_tokens()
            .expect("a serving registry has its page token secret")
            .issue(list, reader, Some(after.into()))
    }

    /// A registry client presenting `who`'s key.
    pub fn registry_as(&self, who: Who) -> Registry {
        RegistryServiceClient::with_interceptor(self.channel(), self.bearer(who))
    }

    /// A registry client presenting an arbitrary key.
    pub fn registry_with_key(&self, key: &str) -> Registry {
        RegistryServiceClient::with_interceptor(self.channel(), Bearer::key(key))
    }

    /// Archives `brand` (`brands/{id}`) as `who`, its owner.
    pub async fn archive(&self, who: Who, brand: &str) {
        self.registry_as(who)
            .archive_brand(pb::ArchiveBrandRequest {
                name: brand.into(),
                etag: String::new(),
                request_id: String::new(),
            })
            .await
            .unwrap_or_else(|status| panic!("archive {brand}: {status:?}"));
    }

    /// A check client presenting `who`'s key.
    pub fn check_as(&self, who: Who) -> Check {
        CheckServiceClient::with_interceptor(self.channel(), self.bearer(who))
    }

    /// The health status of `service`.
    pub async fn health(&self, service: &str) -> Result<i32, Status> {
        let mut client = tonic_health::pb::health_client::HealthClient::new(self.channel());
        client
            .check(tonic_health::pb::HealthCheckRequest {
                service: service.to_string(),
            })
            .await
            .map(|r| r.into_inner().status)
    }

    /// Waits (bounded) until `service` reports SERVING.
    pub async fn wait_serving(&self, service: &str) {
        // Generous: a replica migrating and loading on a busy machine.
        for _ in 0..1200 {
            if let Ok(status) = self.health(service).await
                && status == tonic_health::pb::health_check_response::ServingStatus::Serving as i32
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("{service:?} did not become SERVING within 30 s");
    }

    /// Starts the shutdown and returns the server task.
    pub fn begin_shutdown(&mut self) -> JoinHandle<anyhow::Result<()>> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.take().expect("server task")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Stores a logo of `hash` for the fixture's `alpha` through the registry
/// itself, past the API's logo rules, as a logo registered before a rule
/// was tightened would be; its id.
pub async fn store_alpha_logo_past_the_rules(
    server: &TestServer,
    hash: u64,
) -> marque::model::ResourceId {
    let stored = marque::model::ResourceId::generate();
    server
        .registry
        .write(
            marque::model::Actor::System,
            marque::registry::WriteMeta::default(),
            &[marque::model::Command::AddLogo {
                brand: marque::model::Slug::parse("alpha").expect("slug"),
                id: stored.clone(),
                description: "stored before the rules".into(),
                source: marque::model::LogoSource {
                    hash: marque::logo::LogoHash(hash),
                    image_sha256: None,
                },
            }],
        )
        .await
        .expect("a write takes any hash");
    stored
}

/// The retry delay a status asks for (`google.rpc.RetryInfo`), if any.
pub fn retry_delay(status: &Status) -> Option<Duration> {
    use tonic_types::StatusExt;
    status.get_details_retry_info()?.retry_delay
}

/// The field violations of an INVALID_ARGUMENT status, as (field, description).
pub fn field_violations(status: &Status) -> Vec<(String, String)> {
    use tonic_types::StatusExt;
    status
        .get_details_bad_request()
        .map(|bad| {
            bad.field_violations
                .into_iter()
                .map(|v| (v.field, v.description))
                .collect()
        })
        .unwrap_or_default()
}

/// Asserts that `status` is INVALID_ARGUMENT with a violation of each field.
pub fn assert_violations(status: &Status, fields: &[&str]) {
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    let got = field_violations(status);
    for field in fields {
        assert!(
            got.iter().any(|(f, _)| f == field),
            "expected a violation of {field:?}, got {got:?}"
        );
    }
}

/// A memory store whose first load waits until the test opens the gate.
pub struct GatedStore {
    inner: MemoryStore,
    gate: Arc<tokio::sync::Notify>,
}

impl GatedStore {
    pub fn new(gate: Arc<tokio::sync::Notify>) -> Self {
        Self {
            inner: MemoryStore::new(),
            gate,
        }
    }
}

#[async_trait::async_trait]
impl Store for GatedStore {
    fn kind(&self) -> &'static str {
        "gated"
    }
    fn durable(&self) -> bool {
        false
    }
    async fn load(&self) -> Result<marque::snapshot::Snapshot, marque::store::StoreError> {
        self.gate.notified().await;
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
    async fn page_token_secret(&self) -> Result<[u8; 32], marque::store::StoreError> {
        self.inner.page_token_secret().await
    }
    async fn begin(&self) -> Result<Box<dyn marque::store::WriteTx>, marque::store::StoreError> {
        self.inner.begin().await
    }
    async fn audit(
        &self,
        query: &marque::store::AuditQuery,
    ) -> Result<Vec<marque::model::ChangeEvent>, marque::store::StoreError> {
        self.inner.audit(query).await
    }
}

/// A store as a test needs it: it counts the reads of its change history
/// ([`Store::events_after`]), and may be deaf: never saying another replica
/// wrote (no NOTIFY wake-ups), so that, with a long `feed_poll`, the replica
/// over it applies only what it writes itself or reads on demand, as one
/// lagging behind another would.
pub struct TestStore {
    pub inner: Arc<dyn Store>,
    pub deaf: bool,
    pub history_reads: std::sync::atomic::AtomicUsize,
    /// Reads of the committed head, and how long each takes.
    pub head_reads: std::sync::atomic::AtomicUsize,
    pub head_delay: Duration,
    /// When set, each audit read waits until it is true: a long read,
    /// holding its connection meanwhile.
    pub audit_gate: Option<tokio::sync::watch::Receiver<bool>>,
    /// Audit reads under way, and the most there ever were at once.
    pub audits_in_flight: std::sync::atomic::AtomicUsize,
    pub most_audits_in_flight: std::sync::atomic::AtomicUsize,
}

impl TestStore {
    /// `inner`, counting its history reads.
    pub fn counting(inner: Arc<dyn Store>) -> Self {
        Self {
            inner,
            deaf: false,
            history_reads: Default::default(),
            head_reads: Default::default(),
            head_delay: Duration::ZERO,
            audit_gate: None,
            audits_in_flight: Default::default(),
            most_audits_in_flight: Default::default(),
        }
    }

    /// `inner`, deaf to other replicas' writes.
    pub fn deaf(inner: Arc<dyn Store>) -> Self {
        Self {
            deaf: true,
            ..Self::counting(inner)
        }
    }
}

#[async_trait::async_trait]
impl Store for TestStore {
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }
    fn durable(&self) -> bool {
        self.inner.durable()
    }
    async fn load(&self) -> Result<marque::snapshot::Snapshot, marque::store::StoreError> {
        self.inner.load().await
    }
    async fn page_token_secret(&self) -> Result<[u8; 32], marque::store::StoreError> {
        self.inner.page_token_secret().await
    }
    async fn prepare(&self, migrate: bool) -> anyhow::Result<()> {
        self.inner.prepare(migrate).await
    }
    async fn writable(&self) -> Result<(), marque::store::StoreError> {
        self.inner.writable().await
    }

    fn start_feed(&self, wake: tokio::sync::mpsc::Sender<()>) {
        if !self.deaf {
            self.inner.start_feed(wake);
        }
    }
    async fn events_after(
        &self,
        after: marque::model::Revision,
        limit: usize,
        max_bytes: usize,
    ) -> Result<Vec<marque::model::ChangeEvent>, marque::store::StoreError> {
        self.history_reads
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.events_after(after, limit, max_bytes).await
    }
    async fn committed_head(&self) -> Result<marque::model::Revision, marque::store::StoreError> {
        self.head_reads
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        tokio::time::sleep(self.head_delay).await;
        self.inner.committed_head().await
    }
    async fn committed_at(
        &self,
        revision: marque::model::Revision,
    ) -> Result<Option<marque::model::Timestamp>, marque::store::StoreError> {
        self.inner.committed_at(revision).await
    }
    async fn begin(&self) -> Result<Box<dyn marque::store::WriteTx>, marque::store::StoreError> {
        self.inner.begin().await
    }
    async fn audit(
        &self,
        query: &marque::store::AuditQuery,
    ) -> Result<Vec<marque::model::ChangeEvent>, marque::store::StoreError> {
        use std::sync::atomic::Ordering::SeqCst;
        let now = self.audits_in_flight.fetch_add(1, SeqCst) + 1;
        self.most_audits_in_flight.fetch_max(now, SeqCst);
        if let Some(mut gate) = self.audit_gate.clone() {
            let _ = gate.wait_for(|open| *open).await;
        }
        let events = self.inner.audit(query).await;
        self.audits_in_flight.fetch_sub(1, SeqCst);
        events
    }
}

fn python() -> std::path::PathBuf {
    std::env::var_os("MARQUE_TEST_PYTHON")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from("python3"))
}

/// Asks the standard Python health client (grpcio-health-checking) for each
/// service's status on `admin`.
pub async fn health_probe(
    admin: SocketAddr,
    services: &[&str],
) -> std::collections::HashMap<String, String> {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/health_probe.py");
    let output = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::process::Command::new(python())
            .arg(script)
            .arg(admin.to_string())
            .args(services)
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the probe answers")
    .expect("run python: install grpcio-health-checking (scripts/test.sh does)");
    assert!(
        output.status.success(),
        "probe failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("probe JSON")
}

/// A request creating brand `id` named `display_name`, nothing else set.
pub fn brand_named(id: &str, display_name: &str) -> pb::CreateBrandRequest {
    pb::CreateBrandRequest {
        brand_id: id.into(),
        brand: Some(pb::Brand {
            display_name: display_name.into(),
            ..Default::default()
        }),
        request_id: String::new(),
    }
}

/// A page token of the unsealed form earlier versions issued (hex of
/// `after:{after}`), which anyone can write: refused, whatever it names.
pub fn unsealed_page_token(after: &str) -> String {
    hex::encode(format!("after:{after}"))
}

/// Every authorization `request` lists, page after page, following its
/// tokens: a filtered page may end early, after reading past 10,000 others.
pub async fn every_authorization(
    client: &mut Registry,
    request: pb::ListAuthorizationsRequest,
) -> Vec<pb::Authorization> {
    let mut all = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_authorizations(pb::ListAuthorizationsRequest {
                page_token,
                ..request.clone()
            })
            .await
            .unwrap_or_else(|e| panic!("list authorizations ({request:?}): {e}"))
            .into_inner();
        all.extend(page.authorizations);
        if page.next_page_token.is_empty() {
            return all;
        }
        page_token = page.next_page_token;
    }
}

/// An ImportAuthorizations stream of `rows` for `parent`, `per_message`
/// rows a message; the first message names the brand and carries
/// `request_id`.
pub fn import_messages(
    parent: &str,
    rows: &[pb::Authorization],
    per_message: usize,
    request_id: &str,
) -> Vec<pb::ImportAuthorizationsRequest> {
    rows.chunks(per_message)
        .enumerate()
        .map(|(i, chunk)| {
            let first = |s: &str| if i == 0 { s.to_string() } else { String::new() };
            pb::ImportAuthorizationsRequest {
                parent: first(parent),
                rows: chunk.to_vec(),
                request_id: first(request_id),
                widen: None,
            }
        })
        .collect()
}

/// The sum of the samples in the metrics text `text` whose line starts with
/// `series` (a name, and labels up to where they narrow it).
pub fn metric_sum(text: &str, series: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(series))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// The number of calls of `rpc` (`marque.v1.CheckService/CheckListing`)
/// the admin port's metrics count with `code` (`Cancelled`).
pub async fn calls_counted(admin: SocketAddr, rpc: &str, code: &str) -> f64 {
    metric_sum(
        &scrape_metrics(admin).await,
        &format!("marque_grpc_requests_total{{rpc=\"{rpc}\",code=\"{code}\"}}"),
    )
}

/// Reads `stream` until the peer closes it; what it sent.
pub async fn read_to_close(stream: &mut tokio::net::TcpStream) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return all,
            Ok(n) => all.extend_from_slice(&buf[..n]),
        }
    }
}

/// HTTP/2 frame types in `bytes`, read frame by frame from the start.
pub fn frame_types(bytes: &[u8]) -> Vec<u8> {
    let mut types = Vec::new();
    let mut at = 0;
    while at + 9 <= bytes.len() {
        let len = usize::from(bytes[at]) << 16
            | usize::from(bytes[at + 1]) << 8
            | usize::from(bytes[at + 2]);
        types.push(bytes[at + 3]);
        at += 9 + len;
    }
    types
}

/// The admin port's `GET /metrics` answer, status line and headers first.
pub async fn scrape_metrics(admin: SocketAddr) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(admin)
        .await
        .expect("connect admin");
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n")
        .await
        .expect("request");
    let mut body = String::new();
    stream.read_to_string(&mut body).await.expect("response");
    body
}

/// A logo of `brands/alpha`, its monogram, by its perceptual hash
/// `a5a5a5a5f0f0f0f0`.
pub fn monogram_alpha() -> pb::AddLogoRequest {
    pb::AddLogoRequest {
        parent: "brands/alpha".into(),
        description: "monogram".into(),
        source: Some(pb::add_logo_request::Source::PerceptualHash(
            "a5a5a5a5f0f0f0f0".into(),
        )),
        request_id: String::new(),
    }
}

/// A Madrid (`WO`) word mark of `brands/alpha`, class 14, registered,
/// designating `countries` (`EM` for the EU).
pub fn madrid_alpha(countries: &[&str]) -> pb::AddTrademarkRequest {
    pb::AddTrademarkRequest {
        parent: "brands/alpha".into(),
        trademark: Some(pb::Trademark {
            office: "WO".into(),
            registration_number: "7700001".into(),
            mark_text: "Alpha".into(),
            kind: pb::TrademarkKind::Word as i32,
            nice_classes: vec![14],
            status: pb::TrademarkStatus::Registered as i32,
            designated_countries: countries.iter().map(|c| c.to_string()).collect(),
            ..Default::default()
        }),
        request_id: String::new(),
    }
}
