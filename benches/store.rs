//! Store benchmarks on PostgreSQL, through the real gRPC API where a user
//! would go through it:
//!
//! 1. single writes per second (`AuthorizeSeller`, one client, then 8);
//! 2. authorizations per second through `ImportAuthorizations`;
//! 3. write-to-visible lag on a second replica (p50, p99);
//! 4. start-up load time and resident memory of a snapshot with many
//!    authorizations (default 1,000,000; `MARQUE_BENCH_AUTHORIZATIONS`).
//!
//! Run: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench store`
//! (each run creates its own database). Under `cargo test` it runs a small
//! smoke version, so it cannot rot.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use marque::{
    auth,
    pb::marque::v1::{self as pb, registry_service_client::RegistryServiceClient},
    seed::Seed,
    server::{OperatorKey, Server, ServerOptions},
    store::{PostgresSettings, PostgresStore, Store},
};
use tokio_postgres::NoTls;
use tonic::{metadata::MetadataValue, transport::Endpoint};

struct Sizes {
    writes: usize,
    lag_samples: usize,
    import_rows: usize,
    load_authorizations: usize,
}

fn sizes() -> Sizes {
    let bench = std::env::args().any(|a| a == "--bench");
    if bench {
        Sizes {
            writes: 2_000,
            lag_samples: 1_000,
            import_rows: 100_000,
            load_authorizations: std::env::var("MARQUE_BENCH_AUTHORIZATIONS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(1_000_000),
        }
    } else {
        Sizes {
            writes: 20,
            lag_samples: 20,
            import_rows: 500,
            load_authorizations: 1_000,
        }
    }
}

async fn fresh_database() -> String {
    let admin = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let (client, connection) = tokio::time::timeout(
        Duration::from_secs(10),
        admin
            .parse::<tokio_postgres::Config>()
            .expect("DATABASE_URL")
            .connect(NoTls),
    )
    .await
    .expect("PostgreSQL answers within 10 s")
    .unwrap_or_else(|e| panic!("no PostgreSQL at {admin}: {e}; set DATABASE_URL"));
    tokio::spawn(connection);
    let name = format!("marque_bench_{}", uuid::Uuid::new_v4().simple());
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create database");
    let mut config: tokio_postgres::Config = admin.parse().expect("url");
    config.dbname(&name);
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        _ => "127.0.0.1".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("postgres").to_string();
    format!("host={host} port={port} user={user} dbname={name}")
}

fn store(url: &str) -> Arc<dyn Store> {
    Arc::new(PostgresStore::new(PostgresSettings::new(url)).expect("store"))
}

async fn replica(
    url: &str,
    seed: Option<Seed>,
) -> (std::net::SocketAddr, Arc<marque::registry::Registry>) {
    let mut options = ServerOptions::new("127.0.0.1:0".parse().expect("addr"));
    options.seed = seed;
    options.operator_key = OperatorKey::None;
    options.feed_poll = Duration::from_millis(500);
    let server = Server::bind(options, store(url)).await.expect("bind");
    let addr = server.local_addr().expect("addr");
    let registry = server.registry();
    tokio::spawn(server.run(std::future::pending::<()>()));
    while !registry.is_loaded() || registry.snapshot().revision() == 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (addr, registry)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let sizes = sizes();
    let url = fresh_database().await;
    let owner_key = auth::generate_key().secret;
    let seed = Seed::parse(
        &format!(
            r#"
[[members]]
id = "owner"
display_name = "Owner"
kind = "brand_owner"
api_keys = [{{ secret = "{owner_key}" }}]

[[members]]
id = "shop"
display_name = "Shop"
kind = "platform"

[[brands]]
id = "bench"
owner = "owner"
display_name = "Bench"
"#
        ),
        std::path::Path::new("."),
    )
    .expect("seed");
    let (a, _registry_a) = replica(&url, Some(seed)).await;
    let (_b, registry_b) = replica(&url, None).await;
    let channel = Endpoint::from_shared(format!("http://{a}"))
        .expect("endpoint")
        .connect()
        .await
        .expect("connect");
    let bearer: MetadataValue<_> = format!("Bearer {owner_key}").parse().expect("metadata");
    let client =
        RegistryServiceClient::with_interceptor(channel, move |mut r: tonic::Request<()>| {
            r.metadata_mut().insert("authorization", bearer.clone());
            Ok(r)
        });
    let authorize = |seller: String| pb::AuthorizeSellerRequest {
        parent: "brands/bench".into(),
        authorization: Some(pb::Authorization {
            platform: "members/shop".into(),
            seller_account: seller,
            ..Default::default()
        }),
        request_id: String::new(),
    };

    // 1. Single writes, one client then eight.
    let started = Instant::now();
    let mut c = client.clone();
    for i in 0..sizes.writes {
        c.authorize_seller(authorize(format!("single-{i}")))
            .await
            .expect("write");
    }
    let one = sizes.writes as f64 / started.elapsed().as_secs_f64();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..8 {
        let mut c = client.clone();
        let n = sizes.writes / 8;
        tasks.push(tokio::spawn(async move {
            for i in 0..n {
                c.authorize_seller(pb::AuthorizeSellerRequest {
                    parent: "brands/bench".into(),
                    authorization: Some(pb::Authorization {
                        platform: "members/shop".into(),
                        seller_account: format!("conc-{t}-{i}"),
                        ..Default::default()
                    }),
                    request_id: String::new(),
                })
                .await
                .expect("write");
            }
        }));
    }
    for t in tasks {
        t.await.expect("join");
    }
    let eight = (sizes.writes / 8 * 8) as f64 / started.elapsed().as_secs_f64();
    println!(
        "single writes (AuthorizeSeller over gRPC, PostgreSQL): {one:.0}/s with 1 client, {eight:.0}/s with 8 clients"
    );

    // 2. Imports.
    let rows = |prefix: String, n: usize| {
        (0..n)
            .collect::<Vec<_>>()
            .chunks(1000)
            .enumerate()
            .map(|(chunk, ids)| pb::ImportAuthorizationsRequest {
                parent: if chunk == 0 {
                    "brands/bench".into()
                } else {
                    String::new()
                },
                rows: ids
                    .iter()
                    .map(|i| pb::Authorization {
                        platform: "members/shop".into(),
                        seller_account: format!("{prefix}-{i}"),
                        nice_classes: vec![14, 18],
                        regions: vec!["CN".into(), "FR".into()],
                        ..Default::default()
                    })
                    .collect(),
                request_id: String::new(),
                widen: None,
            })
            .collect::<Vec<_>>()
    };
    let started = Instant::now();
    let done = client
        .clone()
        .import_authorizations(tokio_stream::iter(rows("import".into(), sizes.import_rows)))
        .await
        .expect("import")
        .into_inner();
    let rate = sizes.import_rows as f64 / started.elapsed().as_secs_f64();
    println!(
        "ImportAuthorizations: {} rows in one revision, {rate:.0} authorizations/s",
        done.created
    );

    // 3. Write-to-visible lag on replica B.
    let mut lags = Vec::with_capacity(sizes.lag_samples);
    let mut revisions = registry_b.revisions();
    let mut c = client.clone();
    for i in 0..sizes.lag_samples {
        let written = c
            .authorize_seller(authorize(format!("lag-{i}")))
            .await
            .expect("write")
            .into_inner();
        let committed = Instant::now();
        revisions
            .wait_for(|r| *r >= written.revision)
            .await
            .expect("replica b follows");
        lags.push(committed.elapsed());
    }
    lags.sort();
    println!(
        "write-to-visible lag on a second replica: p50 {:?}, p99 {:?}, max {:?} ({} writes)",
        percentile(&lags, 0.5),
        percentile(&lags, 0.99),
        lags.last().copied().unwrap_or_default(),
        lags.len()
    );

    // 4. Load time and memory for many authorizations.
    let extra = sizes.load_authorizations.saturating_sub(sizes.import_rows);
    let mut added = 0;
    while added < extra {
        let n = (extra - added).min(100_000);
        client
            .clone()
            .import_authorizations(tokio_stream::iter(rows(format!("bulk{added}"), n)))
            .await
            .expect("bulk import");
        added += n;
    }
    let loader = store(&url);
    let before = rss_bytes();
    let started = Instant::now();
    let snapshot = loader.load().await.expect("load");
    let load = started.elapsed();
    let after = rss_bytes();
    let total = snapshot.authorization_count();
    println!(
        "start-up load of {total} authorizations (revision {}): {load:?}; resident memory +{} MiB, {:.0} bytes per authorization; compact table {:.0} bytes per authorization",
        snapshot.revision(),
        (after.saturating_sub(before)) / (1024 * 1024),
        after.saturating_sub(before) as f64 / total as f64,
        snapshot.authorization_table_bytes() as f64 / total as f64
    );
    // What a write pays once every n/8 authorization changes: folding the
    // overlay into a new table (here: rebuilding the whole table).
    let mut snapshot = snapshot;
    let started = Instant::now();
    snapshot.compact_authorizations();
    println!(
        "rebuilding the compact table of {total} authorizations: {:?}",
        started.elapsed()
    );
    drop(snapshot);
}
