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
//! | `marque_store_up` | gauge | | 1 when the store answered its last request |
//! | `marque_db_pool_connections` | gauge | `state` (`size`, `available`, `waiting`) | PostgreSQL pool |
//! | `marque_db_pool_wait_timeouts_total` | counter | | calls refused because no connection came free in time |
//! | `marque_build_info` | gauge | `version` | always 1 |

use std::{cell::RefCell, sync::OnceLock};

use hashbrown::HashMap;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Latency buckets, in seconds: from 50 µs, since checks answer in
/// microseconds, up to 10 s for bulk imports.
const LATENCY_BUCKETS: &[f64] = &[
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
    2.5, 5.0, 10.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide recorder (once) and returns the handle that
/// renders it; `None` if another recorder was installed first.
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
            describe();
            metrics::gauge!("marque_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
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
    describe_gauge!(
        "marque_store_up",
        "1 when the store answered its last request"
    );
    describe_gauge!(
        "marque_db_pool_connections",
        "PostgreSQL pool connections by state"
    );
    describe_counter!(
        "marque_db_pool_wait_timeouts_total",
        "calls refused because no pooled connection came free in time"
    );
    describe_gauge!("marque_build_info", "build information");
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
