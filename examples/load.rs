//! gRPC load generator: `CheckListing` (and `CheckSeller`) requests per
//! second and latency at several concurrency levels, in the same run as the
//! server's own `grpc.health.v1.Health/Check` (the no-op floor); the last
//! column is CheckListing's rate over the floor's.
//!
//! It starts the real server in-process on the embedded store with the demo
//! registry (`demo/seed.toml`), unless `--addr` names a running one, then
//! drives it over loopback with tonic clients (one HTTP/2 connection per 16
//! concurrent calls).
//!
//! ```sh
//! cargo run --release --example load -- --seconds 5 --concurrency 1,16,64,256
//! ```
//!
//! Each level's `--seconds` per RPC are split into `--rounds` (default 4)
//! that alternate Health, CheckSeller and CheckListing, so that a change in
//! the machine's speed during the run (other tenants of a shared host) falls
//! on all three alike rather than on whichever ran last; rates and latency
//! percentiles are over all rounds.

use std::{
    path::Path,
    sync::Arc,
    time::{Duration, Instant},
};

use marque::{
    pb::marque::v1::{self as pb, check_service_client::CheckServiceClient},
    seed::Seed,
    server::{OperatorKey, Server, ServerOptions},
    store::MemoryStore,
};
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

/// The demo registry's platform key (see README).
const SHOPWISE_KEY: &str =
    "mq_demo-shopwise_5fcc4e88f3572d40f9c603850a802ccb95af40e01c3d1b12ef0cc3bbb2f30492";

const TITLES: &[&str] = &[
    "Aurelle gold watch 40mm automatic, sapphire crystal, leather strap",
    "Genuine A.u.r.e.l.l.e bracelet, rose gold, gift box included, free shipping",
    "Vintage steel chronograph watch, 42mm, water resistant, no brand, unisex",
    "奥瑞尔 手表 女士 正品 专柜 礼盒 包邮",
    "Leather strap for Aurelle watches, 20mm, quick release, brown calfskin",
    "Vellano tote bag, black leather, gold hardware, dust bag included, new",
];

struct Args {
    addr: Option<String>,
    seconds: u64,
    rounds: u32,
    levels: Vec<usize>,
}

fn args() -> Args {
    let mut args = Args {
        addr: None,
        seconds: 5,
        rounds: 4,
        levels: vec![1, 16, 64, 256],
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--addr" => args.addr = it.next(),
            "--seconds" => args.seconds = it.next().and_then(|s| s.parse().ok()).unwrap_or(5),
            "--rounds" => args.rounds = it.next().and_then(|s| s.parse().ok()).unwrap_or(4).max(1),
            "--concurrency" => {
                args.levels = it
                    .next()
                    .map(|s| s.split(',').filter_map(|n| n.parse().ok()).collect())
                    .unwrap_or_default()
            }
            "--bench" => {}
            other => {
                eprintln!("unknown argument {other}; see the doc comment of examples/load.rs");
                std::process::exit(2);
            }
        }
    }
    args
}

#[derive(Clone, Copy)]
enum Call {
    Health,
    CheckSeller,
    CheckListing,
}

struct Run {
    calls: usize,
    errors: usize,
    p50: Duration,
    p99: Duration,
}

/// Drives `call` at `concurrency` for `duration`: every call's latency, and
/// how many failed.
async fn run(
    channels: &[Channel],
    call: Call,
    concurrency: usize,
    duration: Duration,
) -> (Vec<Duration>, usize) {
    let deadline = Instant::now() + duration;
    let key: tonic::metadata::MetadataValue<_> =
        format!("Bearer {SHOPWISE_KEY}").parse().expect("metadata");
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let channel = channels[worker % channels.len()].clone();
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0;
            let mut health = HealthClient::new(channel.clone());
            let mut check = CheckServiceClient::new(channel);
            let mut i = worker;
            while Instant::now() < deadline {
                let started = Instant::now();
                let ok = match call {
                    Call::Health => health
                        .check(HealthCheckRequest {
                            service: "marque.v1.CheckService".into(),
                        })
                        .await
                        .is_ok_and(|r| r.into_inner().status == 1),
                    Call::CheckSeller => {
                        let mut request = tonic::Request::new(pb::CheckSellerRequest {
                            brand: "brands/aurelle".into(),
                            seller_account: format!("seller-{}", i % 1000),
                            nice_class: 14,
                            region: "FR".into(),
                            ..Default::default()
                        });
                        request.metadata_mut().insert("authorization", key.clone());
                        check.check_seller(request).await.is_ok()
                    }
                    Call::CheckListing => {
                        let mut request = tonic::Request::new(pb::CheckListingRequest {
                            listing: Some(pb::Listing {
                                listing_id: i.to_string(),
                                seller_account: format!("seller-{}", i % 1000),
                                title: TITLES[i % TITLES.len()].to_string(),
                                nice_class: 14,
                                region: "FR".into(),
                                ..Default::default()
                            }),
                            min_revision: 0,
                        });
                        request.metadata_mut().insert("authorization", key.clone());
                        check
                            .check_listing(request)
                            .await
                            .is_ok_and(|r| r.into_inner().verdict != 0)
                    }
                };
                latencies.push(started.elapsed());
                if !ok {
                    errors += 1;
                }
                i += concurrency;
            }
            (latencies, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (latencies, e) = task.await.expect("worker");
        all.extend(latencies);
        errors += e;
    }
    (all, errors)
}

/// The figures of all rounds of one call.
fn summarize(mut all: Vec<Duration>, errors: usize) -> Run {
    all.sort();
    let pick = |p: f64| {
        all.get(((all.len().max(1) - 1) as f64 * p) as usize)
            .copied()
            .unwrap_or_default()
    };
    Run {
        calls: all.len(),
        errors,
        p50: pick(0.5),
        p99: pick(0.99),
    }
}

#[tokio::main]
async fn main() {
    let args = args();
    let addr = match &args.addr {
        Some(addr) => addr.clone(),
        None => {
            let mut options = ServerOptions::new("127.0.0.1:0".parse().expect("addr"));
            options.seed = Some(
                Seed::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/seed.toml"))
                    .expect("demo seed"),
            );
            options.operator_key = OperatorKey::None;
            let server = Server::bind(options, Arc::new(MemoryStore::new()))
                .await
                .expect("bind");
            let addr = server.local_addr().expect("addr");
            let registry = server.registry();
            tokio::spawn(server.run(std::future::pending::<()>()));
            while registry.snapshot().revision() == 0 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            addr.to_string()
        }
    };
    let max = args.levels.iter().copied().max().unwrap_or(1);
    let mut channels = Vec::new();
    for _ in 0..max.div_ceil(16) {
        channels.push(
            Endpoint::from_shared(format!("http://{addr}"))
                .expect("endpoint")
                .connect()
                .await
                .expect("connect"),
        );
    }
    println!(
        "| concurrency | Health/Check req/s | p50 | p99 | CheckSeller req/s | p50 | p99 | CheckListing req/s | p50 | p99 | errors | CheckListing / Health |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let round = Duration::from_secs(args.seconds) / args.rounds;
    for level in &args.levels {
        let mut samples: [(Vec<Duration>, usize); 3] = Default::default();
        for _ in 0..args.rounds {
            for (i, call) in [Call::Health, Call::CheckSeller, Call::CheckListing]
                .into_iter()
                .enumerate()
            {
                let (latencies, errors) = run(&channels, call, *level, round).await;
                samples[i].0.extend(latencies);
                samples[i].1 += errors;
            }
        }
        let [health, seller, check] = samples.map(|(l, e)| summarize(l, e));
        let rate = |r: &Run| r.calls as f64 / args.seconds as f64;
        println!(
            "| {level} | {:.0} | {:.1?} | {:.1?} | {:.0} | {:.1?} | {:.1?} | {:.0} | {:.1?} | {:.1?} | {} | {:.2} |",
            rate(&health),
            health.p50,
            health.p99,
            rate(&seller),
            seller.p50,
            seller.p99,
            rate(&check),
            check.p50,
            check.p99,
            health.errors + seller.errors + check.errors,
            rate(&check) / rate(&health)
        );
    }
}
