//! Prometheus metrics, through the `metrics` facade. The recorder is
//! installed once per process; the admin port renders it at `/metrics`.
//!
//! | metric | type | labels | meaning |
//! | --- | --- | --- | --- |
//! | `marque_grpc_requests_total` | counter | `rpc`, `code` | calls answered, by RPC and gRPC code |
//! | `marque_grpc_request_duration_seconds` | histogram | `rpc` | call latency (buckets from 50 µs) |
//! | `marque_check_verdicts_total` | counter | `check`, `verdict` | check outcomes (`CheckSeller` reasons) |
//! | `marque_snapshot_revision` | gauge | | revision of the published snapshot |
//! | `marque_replication_lag_revisions` | gauge | | store head minus snapshot revision, as last seen by the follower |
//! | `marque_replication_lag_seconds` | gauge | | age of the oldest committed event not yet applied (0 when caught up) |
//! | `marque_detection_overlay_brands` | gauge | | brands changed since the detection index's base was built (answered from its overlay) |
//! | `marque_authorization_overlay_changes` | gauge | | authorization changes not yet folded into the compact table |
//! | `marque_change_feed_reconnects_total` | counter | | LISTEN connections re-opened |
//! | `marque_registry_reloads_total` | counter | | registry loaded again because the store lost committed revisions this replica had applied |
//! | `marque_catch_ups_total` | counter | | catch-ups with the store begun for calls naming an API key or a name this replica does not know (at most one every 200 ms) |
//! | `marque_change_feed_listening` | gauge | | PostgreSQL: 1 while the LISTEN connection is open, 0 while other replicas' writes arrive only with the polls (read at each scrape) |
//! | `marque_store_up` | gauge | | 1 when the store takes writes and answers reads (RegistryService SERVING); 0 until the first load |
//! | `marque_store_read_only` | gauge | | 1 when the store answers reads but refuses writes (a read-only database, or a write's statements refused: Watch and audit go on) |
//! | `marque_db_pool_connections` | gauge | `state` (`size`, `available`, `waiting`) | PostgreSQL pool, read at each scrape |
//! | `marque_db_pool_wait_timeouts_total` | counter | | calls refused because no connection came free in time |
//! | `marque_db_unanswered_total` | counter | | round trips to PostgreSQL given up unanswered (their connections closed) |
//! | `marque_db_connections_refused_total` | counter | `sqlstate` | new connections to PostgreSQL (the pool's, the change feed's) refused with a SQLSTATE no retry mends (28P01, 28000, 42501, 3D000) |
//! | `marque_db_queries_refused_total` | counter | `sqlstate` | statements PostgreSQL refused on connections it let in, with a SQLSTATE no retry mends (42501 a privilege revoked, 42P01 a table gone, 42703 a column gone); each such call is UNAVAILABLE |
//! | `marque_db_operations_refused` | gauge | `operation` (`begin`, `find_request`, `commit`, `writable`, `audit`, `events_after`, `committed_head`, `committed_at`, `load`, `page_token_secret`) | PostgreSQL, read at each scrape: 1 while the database refuses the store operation's statements with such a SQLSTATE, until the operation is answered again (its own call, or the try each change feed poll makes of it); the services that need it are NOT_SERVING meanwhile |
//! | `marque_connections` | gauge | `port` (`api`, `admin`) | client connections open (at most `--max-connections` a port) |
//! | `marque_tls_certificate_expiry_timestamp_seconds` | gauge | | with TLS: when the certificate served expires (Unix seconds), set at start and at each renewal adopted |
//! | `marque_build_info` | gauge | `version` | always 1 |

use std::{cell::RefCell, sync::OnceLock, time::Duration};

use hashbrown::HashMap;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Latency buckets, in seconds: from 50 µs, since checks answer in
/// microseconds, up to 10 s for bulk imports.
const LATENCY_BUCKETS: &[f64] = &[
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
    2.5, 5.0, 10.0,
];

/// How often the upkeep thread folds recorded latencies into their
/// buckets.
pub const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// The name of the thread that runs the recorder's upkeep.
pub const UPKEEP_THREAD: &str = "metrics-upkeep";

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide recorder (once) and returns the handle that
/// renders it; `None` if another recorder was installed first.
///
/// The recorder keeps each latency sample until it is folded into the
/// histogram's buckets, which only a render or the recorder's upkeep does.
/// A thread of its own runs that upkeep every [`UPKEEP_INTERVAL`], so the
/// samples of a server nobody scrapes do not pile up (at 100k calls a
/// second they would grow by 800 KB a second). It is a plain thread, not a
/// task, so that it outlives whichever runtime installed the recorder.
pub fn install() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("marque_grpc_request_duration_seconds".into()),
                    LATENCY_BUCKETS,
                )
                .ok()?
                .install_recorder()
                .ok()?;
            let upkeep = recorder.clone();
            let spawned = std::thread::Builder::new()
                .name(UPKEEP_THREAD.into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(UPKEEP_INTERVAL);
                        upkeep.run_upkeep();
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start the metrics upkeep thread");
            }
            describe();
            metrics::gauge!("marque_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
            // Counters without labels are exported from the start, at 0, so
            // that rates and alerts on them work before their first event.
            for counter in [
                "marque_change_feed_reconnects_total",
                "marque_registry_reloads_total",
                "marque_catch_ups_total",
                "marque_db_pool_wait_timeouts_total",
                "marque_db_unanswered_total",
            ] {
                metrics::counter!(counter).increment(0);
            }
            Some(recorder)
        })
        .clone()
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "marque_grpc_requests_total",
        "gRPC calls answered, by RPC and code"
    );
    describe_histogram!(
        "marque_grpc_request_duration_seconds",
        Unit::Seconds,
        "gRPC call latency by RPC"
    );
    describe_counter!(
        "marque_check_verdicts_total",
        "check outcomes by check and verdict"
    );
    describe_gauge!(
        "marque_snapshot_revision",
        "revision of the published snapshot"
    );
    describe_gauge!(
        "marque_replication_lag_revisions",
        "store head minus the snapshot revision"
    );
    describe_gauge!(
        "marque_replication_lag_seconds",
        Unit::Seconds,
        "age of the oldest committed event not yet applied"
    );
    describe_gauge!(
        "marque_detection_overlay_brands",
        "brands changed since the detection index base was built"
    );
    describe_gauge!(
        "marque_authorization_overlay_changes",
        "authorization changes not yet folded into the compact table"
    );
    describe_counter!(
        "marque_change_feed_reconnects_total",
        "change feed connections re-opened"
    );
    describe_counter!(
        "marque_registry_reloads_total",
        "registry loads again because the store lost committed revisions this replica had applied"
    );
    describe_counter!(
        "marque_catch_ups_total",
        "catch-ups with the store begun for calls naming an API key or a name this replica does not know (at most one every 200 ms)"
    );
    describe_gauge!(
        "marque_change_feed_listening",
        "1 while the change feed's LISTEN connection to PostgreSQL is open (0: other replicas' writes arrive only with the polls)"
    );
    describe_gauge!(
        "marque_store_up",
        "1 when the store takes writes and answers reads"
    );
    describe_gauge!(
        "marque_store_read_only",
        "1 when the store answers reads but refuses writes (a read-only database, or a write's statements refused)"
    );
    describe_gauge!(
        "marque_db_pool_connections",
        "PostgreSQL pool connections by state"
    );
    describe_counter!(
        "marque_db_pool_wait_timeouts_total",
        "calls refused because no pooled connection came free in time"
    );
    describe_counter!(
        "marque_db_unanswered_total",
        "round trips to PostgreSQL given up without an answer"
    );
    describe_counter!(
        "marque_db_connections_refused_total",
        "new connections to PostgreSQL refused with a SQLSTATE no retry mends, by SQLSTATE"
    );
    describe_counter!(
        "marque_db_queries_refused_total",
        "statements PostgreSQL refused with a SQLSTATE no retry mends (a privilege revoked, a table or column gone), by SQLSTATE"
    );
    describe_gauge!(
        "marque_db_operations_refused",
        "1 while the database refuses the store operation's statements with a SQLSTATE no retry mends, by operation"
    );
    describe_gauge!(
        "marque_connections",
        "client connections open, by port (at most --max-connections a port)"
    );
    describe_gauge!(
        "marque_tls_certificate_expiry_timestamp_seconds",
        Unit::Seconds,
        "when the TLS certificate served expires, in Unix seconds"
    );
    describe_gauge!("marque_build_info", "build information");
}

/// The metrics as Prometheus text, after `refresh` has set the gauges
/// that are read at the scrape (a store's pool). Scrapes are rendered one
/// at a time, so that another server's refresh in the same process (tests)
/// does not come between this one's and its render.
pub fn render(handle: &PrometheusHandle, refresh: impl FnOnce()) -> String {
    static SCRAPE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = SCRAPE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    refresh();
    handle.render()
}

/// Records one answered call.
///
/// Once the recorder is installed, each thread keeps the handles of the
/// (RPC, code) pairs it has recorded, so that a call costs two atomic
/// updates instead of building its labels and looking them up.
pub fn record_call(rpc: &str, code: tonic::Code, seconds: f64) {
    type Handles = (metrics::Counter, metrics::Histogram);
    thread_local! {
        static HANDLES: RefCell<HashMap<Box<str>, [Option<Handles>; 17]>> =
            RefCell::default();
    }
    let register = || -> Handles {
        let code = format!("{code:?}");
        (
            metrics::counter!("marque_grpc_requests_total", "rpc" => rpc.to_string(), "code" => code),
            metrics::histogram!("marque_grpc_request_duration_seconds", "rpc" => rpc.to_string()),
        )
    };
    let slot = code as usize;
    // Handles are kept only once the recorder is installed (before, they
    // would be no-ops), and never while the thread is being torn down.
    let kept = installed()
        && slot < 17
        && HANDLES
            .try_with(|handles| {
                let mut handles = handles.borrow_mut();
                let by_code = handles.entry_ref(rpc).or_default();
                let (calls, latency) = by_code[slot].get_or_insert_with(register);
                calls.increment(1);
                latency.record(seconds);
            })
            .is_ok();
    if !kept {
        let (calls, latency) = register();
        calls.increment(1);
        latency.record(seconds);
    }
}

/// Whether this module's recorder is installed (handles kept before it
/// would be no-ops forever).
fn installed() -> bool {
    matches!(HANDLE.get(), Some(Some(_)))
}

/// Counts one check outcome (`marque_check_verdicts_total`), through this
/// thread's handles once the recorder is installed.
pub fn count_verdict(check: &'static str, verdict: &'static str) {
    thread_local! {
        static VERDICTS: RefCell<HashMap<(&'static str, &'static str), metrics::Counter>> =
            RefCell::default();
    }
    let register =
        || metrics::counter!("marque_check_verdicts_total", "check" => check, "verdict" => verdict);
    let kept = installed()
        && VERDICTS
            .try_with(|verdicts| {
                verdicts
                    .borrow_mut()
                    .entry((check, verdict))
                    .or_insert_with(register)
                    .increment(1);
            })
            .is_ok();
    if !kept {
        register().increment(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names of this process's threads.
    fn thread_names() -> Vec<String> {
        std::fs::read_dir("/proc/self/task")
            .expect("/proc/self/task")
            .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
            .map(|name| name.trim_end().to_string())
            .collect()
    }

    #[test]
    fn installing_starts_one_upkeep_thread_and_recording_folds_into_the_render() {
        let handle = install().expect("the recorder installs");
        let again = install().expect("installing twice returns the same recorder");
        record_call("test/Upkeep", tonic::Code::Ok, 0.00004);
        // What the upkeep thread does every interval; the render must
        // still count the folded sample.
        again.run_upkeep();
        let rendered = handle.render();
        assert!(
            rendered.contains(
                "marque_grpc_request_duration_seconds_bucket{rpc=\"test/Upkeep\",le=\"0.00005\"} 1"
            ),
            "{rendered}"
        );
        // A new thread names itself once it runs, so wait for it to.
        let upkeep = || {
            thread_names()
                .iter()
                .filter(|name| name.as_str() == UPKEEP_THREAD)
                .count()
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while upkeep() == 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(upkeep(), 1, "threads: {:?}", thread_names());
    }
}
