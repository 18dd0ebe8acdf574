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
//!
//! `--client h2load` drives the same calls with `h2load` (Debian package
//! `nghttp2-client`) instead: a C client whose per-call cost is a fraction
//! of a tonic client's, so that more of the shared cores' time goes to the
//! server. Each call is one pre-encoded request (the first title, seller
//! `seller-0`), sent with the same `authorization` header over the same
//! number of connections and streams (`-c` connections of at most 16
//! streams, `-m`). `h2load` counts a gRPC error (HTTP 200 with an error
//! status in the trailers) as a success, so every round checks the
//! response bytes: a good answer's DATA is the answer got once over tonic
//! beforehand, an error has none. Latency percentiles come from `h2load
//! --log-file`.
//!
//! ```sh
//! apt-get install nghttp2-client
//! cargo run --release --example load -- --client h2load --seconds 8 --concurrency 1,16,64,256
//! ```
//!
//! `--server-pid PID` (with `--addr`, Linux) also reads the server
//! process's CPU time (`/proc/PID/stat`) around every round and prints, in a
//! second table, the server's CPU time per call of each RPC and their
//! ratios: what a call costs the server alone, whatever the client costs.
//! Give the server and the clients a core each, so that neither slows the
//! other:
//!
//! ```sh
//! taskset -c 0 target/release/marque serve --seed demo/seed.toml --listen 127.0.0.1:50051 &
//! taskset -c 1 cargo run --release --example load -- --addr 127.0.0.1:50051 \
//!     --server-pid $(pgrep -f 'marque serve') --client h2load --seconds 4
//! ```
//!
//! `--log FILTER` logs as `marque serve --log-format json --log FILTER`
//! does, to standard error (redirect it to a file), so that the figures
//! include what the server's logging costs at that level. Without it the
//! in-process server logs nothing.

use prost::Message;
use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, Instant},
};

use marque::{
    pb::marque::v1::{self as pb, check_service_client::CheckServiceClient},
    seed::Seed,
    server::{OperatorKey, Server, ServerOptions},
    store::MemoryStore,
};
use tonic::metadata::{Ascii, MetadataValue};
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
    h2load: bool,
    seconds: u64,
    rounds: u32,
    levels: Vec<usize>,
    log: Option<String>,
    server_pid: Option<u32>,
}

fn args() -> Args {
    let mut args = Args {
        addr: None,
        h2load: false,
        seconds: 5,
        rounds: 4,
        levels: vec![1, 16, 64, 256],
        log: None,
        server_pid: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--addr" => args.addr = it.next(),
            "--log" => args.log = it.next(),
            "--server-pid" => match it.next().and_then(|s| s.parse().ok()) {
                Some(pid) => args.server_pid = Some(pid),
                None => {
                    eprintln!("--server-pid takes the process id of the server at --addr");
                    std::process::exit(2);
                }
            },
            "--seconds" => args.seconds = it.next().and_then(|s| s.parse().ok()).unwrap_or(5),
            "--rounds" => args.rounds = it.next().and_then(|s| s.parse().ok()).unwrap_or(4).max(1),
            "--concurrency" => {
                args.levels = it
                    .next()
                    .map(|s| s.split(',').filter_map(|n| n.parse().ok()).collect())
                    .unwrap_or_default()
            }
            "--client" => match it.next().as_deref() {
                Some("tonic") => args.h2load = false,
                Some("h2load") => args.h2load = true,
                other => {
                    eprintln!("--client takes tonic or h2load, not {other:?}");
                    std::process::exit(2);
                }
            },
            "--bench" => {}
            other => {
                eprintln!("unknown argument {other}; see the doc comment of examples/load.rs");
                std::process::exit(2);
            }
        }
    }
    if args.server_pid.is_some() && args.addr.is_none() {
        eprintln!(
            "--server-pid needs --addr: the in-process server shares this process's CPU \
             with the clients"
        );
        std::process::exit(2);
    }
    args
}

/// CPU time `pid` has used so far, all its threads (those that have ended
/// too), user and system: fields 14 and 15 of `/proc/PID/stat`, in clock
/// ticks.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_else(|e| {
        eprintln!("cannot read /proc/{pid}/stat ({e}): --server-pid needs a running process");
        std::process::exit(1);
    });
    // The command name (field 2) is in parentheses and may hold spaces:
    // count from after its closing one, where field 3 begins.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: u64 = after_name
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|field| field.parse::<u64>().ok())
        .sum();
    let per_second = rustix::param::clock_ticks_per_second();
    Duration::from_secs_f64(ticks as f64 / per_second as f64)
}

#[derive(Clone, Copy)]
enum Call {
    Health,
    CheckSeller,
    CheckListing,
}

/// The demo platform's `authorization` header value, as text.
fn bearer_text() -> String {
    format!("Bearer {SHOPWISE_KEY}")
}

/// The demo platform's `authorization` header value.
fn bearer() -> MetadataValue<Ascii> {
    bearer_text().parse().expect("metadata")
}

/// `message` with the demo platform's key.
fn authenticated<T>(message: T, key: &MetadataValue<Ascii>) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("authorization", key.clone());
    request
}

/// The health check every round asks.
fn health_request() -> HealthCheckRequest {
    HealthCheckRequest {
        service: "marque.v1.CheckService".into(),
    }
}

/// The `i`-th CheckSeller request: one of 1,000 sellers, at a fixed
/// instant (its answer echoes the instant, and `h2load`'s check needs every
/// good answer to be the same size).
fn seller_request(i: usize) -> pb::CheckSellerRequest {
    pb::CheckSellerRequest {
        brand: "brands/aurelle".into(),
        seller_account: format!("seller-{}", i % 1000),
        nice_class: 14,
        region: "FR".into(),
        at_time: Some(prost_types::Timestamp {
            seconds: 1_796_083_200, // 2026-12-01T00:00:00Z
            nanos: 0,
        }),
        ..Default::default()
    }
}

/// The `i`-th CheckListing request: one of the titles, one of 1,000
/// sellers.
fn listing_request(i: usize) -> pb::CheckListingRequest {
    pb::CheckListingRequest {
        listing: Some(pb::Listing {
            listing_id: i.to_string(),
            seller_account: format!("seller-{}", i % 1000),
            title: TITLES[i % TITLES.len()].to_string(),
            nice_class: 14,
            region: "FR".into(),
            ..Default::default()
        }),
        min_revision: 0,
    }
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
    let key = bearer();
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
                        .check(health_request())
                        .await
                        .is_ok_and(|r| r.into_inner().status == 1),
                    Call::CheckSeller => check
                        .check_seller(authenticated(seller_request(i), &key))
                        .await
                        .is_ok(),
                    Call::CheckListing => check
                        .check_listing(authenticated(listing_request(i), &key))
                        .await
                        .is_ok_and(|r| r.into_inner().verdict != 0),
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

/// One call as `h2load` sends it.
#[derive(Clone)]
struct H2Call {
    /// The gRPC method's path.
    path: &'static str,
    /// Its framed request, in a file for `h2load -d`.
    body: PathBuf,
    /// DATA bytes of a good answer (framed); an error answer has none.
    answer: u64,
    /// Whether it carries the platform's key.
    authenticated: bool,
}

/// A message as gRPC frames it (uncompressed): flag, length, message.
fn framed(message: &impl Message) -> Vec<u8> {
    let len = u32::try_from(message.encoded_len()).expect("a small message");
    let mut out = Vec::with_capacity(5 + len as usize);
    out.push(0);
    out.extend_from_slice(&len.to_be_bytes());
    message.encode(&mut out).expect("a Vec grows");
    out
}

/// The three calls for `h2load`, their requests written to `dir`, and the
/// size of each one's good answer, asked once over tonic.
async fn h2load_calls(channel: &Channel, dir: &Path) -> [H2Call; 3] {
    std::fs::create_dir_all(dir).expect("a directory for the request bodies");
    let key = bearer();
    let write = |name: &str, body: Vec<u8>| {
        let path = dir.join(name);
        std::fs::write(&path, body).expect("write a request body");
        path
    };
    let health = HealthClient::new(channel.clone())
        .check(health_request())
        .await
        .expect("Health/Check")
        .into_inner();
    let mut check = CheckServiceClient::new(channel.clone());
    let seller = check
        .check_seller(authenticated(seller_request(0), &key))
        .await
        .expect("CheckSeller")
        .into_inner();
    let listing = check
        .check_listing(authenticated(listing_request(0), &key))
        .await
        .expect("CheckListing")
        .into_inner();
    let answer = |len: usize| 5 + len as u64;
    [
        H2Call {
            path: "/grpc.health.v1.Health/Check",
            body: write("health.bin", framed(&health_request())),
            answer: answer(health.encoded_len()),
            authenticated: false,
        },
        H2Call {
            path: "/marque.v1.CheckService/CheckSeller",
            body: write("seller.bin", framed(&seller_request(0))),
            answer: answer(seller.encoded_len()),
            authenticated: true,
        },
        H2Call {
            path: "/marque.v1.CheckService/CheckListing",
            body: write("listing.bin", framed(&listing_request(0))),
            answer: answer(listing.encoded_len()),
            authenticated: true,
        },
    ]
}

/// Drives `call` with `h2load` at `concurrency` for `duration`: every
/// call's latency, and how many failed (a non-200 status, or an answer
/// without the good answer's bytes).
fn run_h2load(
    addr: &str,
    call: &H2Call,
    concurrency: usize,
    duration: Duration,
    log: &Path,
) -> (Vec<Duration>, usize) {
    let connections = concurrency.div_ceil(16).max(1);
    let streams = concurrency.div_ceil(connections);
    let mut command = std::process::Command::new("h2load");
    command
        .args(["-t", "1", "-c", &connections.to_string()])
        .args(["-m", &streams.to_string()])
        .args(["-D", &format!("{}ms", duration.as_millis().max(1))])
        .args(["-H", "content-type: application/grpc", "-H", "te: trailers"])
        .arg("-d")
        .arg(&call.body)
        .arg("--log-file")
        .arg(log);
    if call.authenticated {
        command.args(["-H", &format!("authorization: {}", bearer_text())]);
    }
    command.arg(format!("http://{addr}{}", call.path));
    // h2load appends to an existing log.
    let _ = std::fs::remove_file(log);
    let output = match command.output() {
        Ok(output) => output,
        Err(e) => {
            eprintln!("cannot run h2load ({e}): apt-get install nghttp2-client");
            std::process::exit(1);
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        eprintln!(
            "h2load failed ({}):\n{stdout}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        std::process::exit(1);
    }
    // `traffic: 1.2MB (1234567) total, ... headers (...), 45KB (45678) data`
    let data = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("traffic:"))
        .and_then(|l| l.rsplit_once(") data"))
        .and_then(|(before, _)| before.rsplit_once('(')?.1.parse::<u64>().ok())
        .unwrap_or_else(|| {
            eprintln!("no traffic line in h2load's output:\n{stdout}");
            std::process::exit(1);
        });
    // Tab-separated: start (µs since the epoch), HTTP status, µs to the
    // end of the answer.
    let log = std::fs::read_to_string(log).expect("h2load's log file");
    let mut latencies = Vec::new();
    let mut bad_status = 0;
    for line in log.lines() {
        let mut columns = line.split('\t');
        let status = columns.nth(1);
        let micros = columns.next().and_then(|c| c.trim().parse::<u64>().ok());
        if status != Some("200") {
            bad_status += 1;
        }
        latencies.push(Duration::from_micros(micros.unwrap_or_default()));
    }
    // Good answers carry exactly `answer` bytes of DATA, error answers
    // (trailers only) none.
    let good = usize::try_from(data / call.answer).unwrap_or(usize::MAX);
    let errors = latencies.len().saturating_sub(good).max(bad_status);
    if data % call.answer != 0 {
        eprintln!(
            "{}: {data} bytes of answers are not a whole number of {}-byte good answers",
            call.path, call.answer
        );
    }
    (latencies, errors)
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
    if let Some(filter) = &args.log {
        marque::telemetry::init(marque::config::LogFormat::Json, filter).expect("log filter");
    }
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
    let dir = std::env::temp_dir().join(format!("marque-load-{}", std::process::id()));
    let h2calls = if args.h2load {
        Some(h2load_calls(&channels[0], &dir).await)
    } else {
        None
    };
    // Per level: the server's CPU time and calls, per RPC (--server-pid).
    let mut server_cpu: Vec<(usize, [(Duration, usize); 3])> = Vec::new();
    for level in &args.levels {
        let mut samples: [(Vec<Duration>, usize); 3] = Default::default();
        let mut cpu = [(Duration::ZERO, 0usize); 3];
        for _ in 0..args.rounds {
            for (i, call) in [Call::Health, Call::CheckSeller, Call::CheckListing]
                .into_iter()
                .enumerate()
            {
                let before = args.server_pid.map(cpu_time);
                let (latencies, errors) = match &h2calls {
                    Some(calls) => {
                        let (addr, level, log) = (addr.clone(), *level, dir.join("log.tsv"));
                        let call = calls[i].clone();
                        // The server runs on this process's runtime: wait
                        // for h2load off its workers.
                        tokio::task::spawn_blocking(move || {
                            run_h2load(&addr, &call, level, round, &log)
                        })
                        .await
                        .expect("h2load runner")
                    }
                    None => run(&channels, call, *level, round).await,
                };
                if let (Some(pid), Some(before)) = (args.server_pid, before) {
                    cpu[i].0 += cpu_time(pid).saturating_sub(before);
                    cpu[i].1 += latencies.len();
                }
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
        server_cpu.push((*level, cpu));
    }
    if args.server_pid.is_some() {
        // What each call cost the server alone, whatever the client costs:
        // the ratio the server's cores would give if the clients ran
        // elsewhere.
        println!();
        println!(
            "| concurrency | server CPU per Health/Check | per CheckSeller | per CheckListing | Health / CheckSeller | Health / CheckListing |"
        );
        println!("| --- | --- | --- | --- | --- | --- |");
        for (level, cpu) in server_cpu {
            let [health, seller, check] =
                cpu.map(|(time, calls)| time.as_secs_f64() / calls.max(1) as f64);
            println!(
                "| {level} | {:.1} µs | {:.1} µs | {:.1} µs | {:.2} | {:.2} |",
                health * 1e6,
                seller * 1e6,
                check * 1e6,
                health / seller,
                health / check
            );
        }
    }
    if h2calls.is_some() {
        // Best effort: the bodies and the last log are a few kilobytes.
        let _ = std::fs::remove_dir_all(&dir);
    }
}
