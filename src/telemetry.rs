//! Logging set-up: `tracing` to standard error, as text or JSON lines.
//!
//! With JSON lines, a panic is one of them too: Rust's
//! own panic hook writes plain text, which a log pipeline that reads JSON
//! would drop or mangle.

use std::{any::Any, ffi::OsStr, io::IsTerminal, panic::Location};

use tracing::{Level, Metadata, Subscriber};
use tracing_subscriber::{
    EnvFilter,
    filter::FilterFn,
    fmt,
    fmt::format::{Format, Json, JsonFields},
    prelude::*,
    registry::LookupSpan,
};

use crate::config::LogFormat;

/// Libraries whose lines below INFO carry what must never be logged,
/// whatever `--log` asks for: tokio-postgres writes every statement's
/// parameters at DEBUG (`executing statement … with parameters`), among
/// them API keys' hashes, the page-token secret and request bodies.
const SECRET_BELOW_INFO: &[&str] = &["tokio_postgres", "postgres_protocol"];

/// Whether a line may be written at all ([`SECRET_BELOW_INFO`]).
fn may_log(meta: &Metadata<'_>) -> bool {
    *meta.level() <= Level::INFO
        || !SECRET_BELOW_INFO.iter().any(|library| {
            meta.target()
                .strip_prefix(library)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
        })
}

/// Libraries whose WARN lines say again, once per connection, what
/// Marque's own say once: deadpool-postgres warns for each pooled
/// connection that breaks (`Connection error: …`) or that it finds closed
/// (`Connection could not be recycled`), a line per connection at each
/// outage, while the calls that needed one, the change feed and health
/// say it, and a connection that broke idle is replaced unseen. Each is
/// set to its level here (library, directive) unless `--log` names the
/// library, whose directive then rules.
const REPEATS_OURS: &[(&str, &str)] = &[("deadpool", "deadpool.postgres=error")];

/// `--log`'s filter, with [`REPEATS_OURS`] quietened unless it names them.
///
/// # Errors
/// A filter that does not parse, an empty one, or one with a word that is
/// neither a level nor Marque's own target, which EnvFilter would read as
/// a target to log alone ([`silences_marque`]).
fn log_filter(spec: &str) -> anyhow::Result<EnvFilter> {
    if let Some(why) = silences_marque(spec) {
        anyhow::bail!("invalid log filter {spec:?} (--log / MARQUE_LOG): {why}");
    }
    let mut filter = EnvFilter::try_new(spec)
        .map_err(|e| anyhow::anyhow!("invalid log filter {spec:?}: {e}"))?;
    for (library, directive) in REPEATS_OURS {
        if !spec.contains(library) {
            filter = filter.add_directive(directive.parse()?);
        }
    }
    Ok(filter)
}

/// Why `spec` would leave the log silent though it parses, if it would.
///
/// EnvFilter reads a directive without `=` that is no level as a target
/// (a module) to log at every level, and logs nothing that no directive
/// names: `warning` (the usual spelling elsewhere), `inf`, or a level
/// with a space around it logs no line at all, its errors included,
/// and so does an empty filter. `off` says so on purpose and stays
/// allowed; a target is written `target=level` (`marque=trace`), or alone
/// when it is Marque's own (`marque`, `marque::auth`: all of its lines).
fn silences_marque(spec: &str) -> Option<String> {
    let directives: Vec<&str> = spec.split(',').filter(|d| !d.is_empty()).collect();
    if directives.is_empty() {
        return Some(
            "it is empty, and would write no line at all: give a level (info), or off for no log"
                .to_owned(),
        );
    }
    directives
        .into_iter()
        .find(|d| {
            !d.contains(['=', '['])
                && !d.starts_with("marque")
                && d.parse::<tracing::level_filters::LevelFilter>().is_err()
        })
        .map(|word| {
            format!(
                "{word:?} is no level (off, error, warn, info, debug, trace): a word without \
                 `=` would name a target to log alone, and every other line, errors included, \
                 would be left out; write a level, or target=level (marque=debug)"
            )
        })
}

/// The filter every subscriber of the binary has beside `--log`'s.
fn never_secrets() -> FilterFn<fn(&Metadata<'_>) -> bool> {
    FilterFn::new(may_log)
}

/// Set once [`init`] has installed the subscriber.
static INSTALLED: std::sync::OnceLock<()> = std::sync::OnceLock::new();

/// Whether [`init`] has installed the subscriber: lines are written.
pub fn installed() -> bool {
    INSTALLED.get().is_some()
}

/// Installs the global subscriber, and, for JSON lines, the panic hook
/// that writes a panic as one of them.
///
/// # Errors
/// When the filter does not parse, or a subscriber is already installed.
pub fn init(format: LogFormat, filter: &str) -> anyhow::Result<()> {
    let filter = log_filter(filter)?;
    let registry = tracing_subscriber::registry()
        .with(filter)
        .with(never_secrets());
    match format {
        LogFormat::Text => registry
            .with(
                fmt::layer()
                    .with_ansi(colour(
                        std::io::stderr().is_terminal(),
                        std::env::var_os("NO_COLOR").as_deref(),
                    ))
                    .with_writer(std::io::stderr),
            )
            .try_init()?,
        LogFormat::Json => {
            registry.with(json_layer(std::io::stderr)).try_init()?;
            let default = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| log_panic(info, &*default)));
        }
    }
    let _ = INSTALLED.set(());
    Ok(())
}

/// The layer that writes JSON lines to `writer`: one object per event, with
/// the span it happened in (a call's request id and member), and no build
/// paths ([`WithoutSourcePaths`]).
fn json_layer<S, W>(writer: W) -> fmt::Layer<S, JsonFields, WithoutSourcePaths<Format<Json>>, W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> fmt::MakeWriter<'w> + 'static,
{
    fmt::layer()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .map_event_format(WithoutSourcePaths)
        .with_writer(writer)
}

/// The fields a line of the `log` crate carries once made a `tracing`
/// event (by tracing-log, which the subscriber installs): where the line
/// was written in its library's source (`log.file`, a path on the machine
/// that built the binary, `/home/…/.cargo/registry/src/…/refinery-core-…/
/// src/traits/async.rs`), `log.line`, `log.module_path`, and `log.target`
/// (the line's `target` already). The text format leaves them out; the JSON
/// format wrote them among the line's fields.
const LOG_SOURCE_FIELDS: [&str; 4] = ["log.file", "log.line", "log.module_path", "log.target"];

/// A JSON event format that writes the lines of libraries that log with
/// the `log` crate (refinery, tokio-postgres) without [`LOG_SOURCE_FIELDS`]:
/// a log line says what happened, and which library said it (`target`),
/// not where the build machine kept that library's source. Every other
/// line is written as the inner format writes it.
struct WithoutSourcePaths<F>(F);

impl<S, N, F> fmt::FormatEvent<S, N> for WithoutSourcePaths<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'w> fmt::FormatFields<'w> + 'static,
    F: fmt::FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &fmt::FmtContext<'_, S, N>,
        mut writer: fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let fields = event.metadata().fields();
        if !LOG_SOURCE_FIELDS
            .iter()
            .any(|name| fields.field(name).is_some())
        {
            return self.0.format_event(ctx, writer, event);
        }
        let mut line = String::new();
        self.0
            .format_event(ctx, fmt::format::Writer::new(&mut line), event)?;
        let Ok(mut object) = serde_json::from_str::<serde_json::Value>(&line) else {
            return writer.write_str(&line);
        };
        if let Some(fields) = object
            .get_mut("fields")
            .and_then(serde_json::Value::as_object_mut)
        {
            fields.retain(|name, _| !LOG_SOURCE_FIELDS.contains(&name.as_str()));
        }
        writeln!(writer, "{object}")
    }
}

/// The panic hook of the JSON log: the panic as an ERROR line
/// ([`PanicReport`]), in the span it happened in. Where the log writes no
/// ERROR line (`--log off`), `default`, Rust's own hook, writes it as text:
/// a panic is never silent.
fn log_panic(
    info: &std::panic::PanicHookInfo<'_>,
    default: &(dyn Fn(&std::panic::PanicHookInfo<'_>) + Send + Sync),
) {
    if tracing::enabled!(Level::ERROR) {
        PanicReport::new(
            info.payload(),
            info.location(),
            std::thread::current().name(),
        )
        .log();
    } else {
        default(info);
    }
}

/// What a panic says, as Rust's own hook says it: its message, where it
/// happened, on which thread.
#[derive(Debug, PartialEq, Eq)]
struct PanicReport {
    /// `panic!`'s text; `Box<dyn Any>` for a payload that is no string.
    message: String,
    /// `file:line:column`, when known.
    location: Option<String>,
    /// The thread's name (`tokio-runtime-worker`, `main`), or `<unnamed>`.
    thread: String,
}

impl PanicReport {
    fn new(
        payload: &(dyn Any + Send),
        location: Option<&Location<'_>>,
        thread: Option<&str>,
    ) -> Self {
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("Box<dyn Any>");
        PanicReport {
            message: message.to_owned(),
            location: location.map(ToString::to_string),
            thread: thread.unwrap_or("<unnamed>").to_owned(),
        }
    }

    /// Writes the panic as an ERROR line, message `panicked`, with its
    /// backtrace when `RUST_BACKTRACE` (or `RUST_LIB_BACKTRACE`) asks for
    /// one.
    fn log(&self) {
        let backtrace = std::backtrace::Backtrace::capture();
        let full = std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v == "full");
        let backtrace = (backtrace.status() == std::backtrace::BacktraceStatus::Captured)
            .then(|| backtrace.to_string())
            .map(|text| if full { text } else { short_backtrace(&text) });
        tracing::error!(
            panic = %self.message,
            location = self.location.as_deref(),
            thread = %self.thread,
            backtrace = backtrace.as_deref(),
            "panicked"
        );
    }
}

/// `backtrace`, the text of a backtrace taken in the panic hook, cut as
/// Rust's own hook cuts it (unless `RUST_BACKTRACE=full`): without the
/// frames of the panic's machinery and of this hook, down to and with
/// `__rust_end_short_backtrace`, nor those of the thread's start, from
/// `__rust_begin_short_backtrace` on. A text without those markers (no
/// symbols) is kept whole.
fn short_backtrace(backtrace: &str) -> String {
    // A frame is its numbered line (`  12: name`) and the `at` lines after.
    let mut frames: Vec<(usize, usize)> = Vec::new();
    let mut offset = 0;
    for line in backtrace.split_inclusive('\n') {
        let numbered = line
            .trim_start()
            .split_once(':')
            .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        match frames.last_mut() {
            Some((_, end)) if !numbered => *end = offset + line.len(),
            _ => frames.push((offset, offset + line.len())),
        }
        offset += line.len();
    }
    let header =
        |&(start, end): &(usize, usize)| backtrace[start..end].lines().next().unwrap_or_default();
    let first = frames
        .iter()
        .rposition(|f| header(f).contains("__rust_end_short_backtrace"))
        .map_or(0, |i| i + 1);
    let last = frames[first..]
        .iter()
        .position(|f| header(f).contains("__rust_begin_short_backtrace"))
        .map_or(frames.len(), |i| first + i);
    match (
        frames.get(first),
        last.checked_sub(1).and_then(|l| frames.get(l)),
    ) {
        (Some(&(start, _)), Some(&(_, end))) if first < last => backtrace[start..end].to_owned(),
        _ => backtrace.to_owned(),
    }
}

/// Whether the text log is coloured: only on a terminal, and not when
/// `NO_COLOR` is set to anything but the empty string (no-color.org). A log
/// collected from a file or a pipe (Kubernetes, systemd) gets no escape codes
/// between its fields.
fn colour(stderr_is_terminal: bool, no_color: Option<&OsStr>) -> bool {
    stderr_is_terminal && no_color.is_none_or(OsStr::is_empty)
}

/// The log lines written on this thread while a [`Captured`] lives, as
/// plain text (for tests of what a line says).
///
/// One subscriber, set once as the test binary's global default, writes
/// each thread's lines to that thread's capture. A subscriber set as a
/// thread's default instead (`set_default`) loses lines when tests run
/// side by side: while it is the only one registered, tracing asks only
/// the registering thread's subscriber whether a log statement first
/// reached on another thread is wanted, that thread has none, and the
/// statement is then skipped everywhere until some subscriber is next
/// registered.
#[cfg(test)]
pub(crate) struct Captured {
    lines: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
}

#[cfg(test)]
thread_local! {
    /// The captures open on this thread, the newest last: it gets the lines.
    static CAPTURES: std::cell::RefCell<Vec<std::sync::Arc<std::sync::Mutex<Vec<u8>>>>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

#[cfg(test)]
impl Captured {
    /// Captures this thread's log lines, at every level, from now.
    pub(crate) fn start() -> Self {
        /// Writes to the newest capture open on the writing thread.
        struct ThisThread;
        impl std::io::Write for ThisThread {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                CAPTURES.with_borrow(|captures| {
                    if let Some(lines) = captures.last() {
                        lines
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .extend_from_slice(bytes);
                    }
                });
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        /// Wants a line only on a thread with a capture open: asked each
        /// time, never cached for a log statement.
        struct Capturing;
        impl<S: Subscriber> tracing_subscriber::Layer<S> for Capturing {
            fn register_callsite(
                &self,
                _: &'static Metadata<'static>,
            ) -> tracing::subscriber::Interest {
                tracing::subscriber::Interest::sometimes()
            }
            fn enabled(
                &self,
                _: &Metadata<'_>,
                _: tracing_subscriber::layer::Context<'_, S>,
            ) -> bool {
                CAPTURES.with_borrow(|captures| !captures.is_empty())
            }
        }
        static GLOBAL: std::sync::Once = std::sync::Once::new();
        GLOBAL.call_once(|| {
            let subscriber = tracing_subscriber::registry()
                .with(Capturing)
                .with(fmt::layer().with_writer(|| ThisThread).with_ansi(false));
            tracing::subscriber::set_global_default(subscriber)
                .expect("no other global subscriber in the test binary");
        });
        let lines = std::sync::Arc::default();
        CAPTURES.with_borrow_mut(|captures| captures.push(std::sync::Arc::clone(&lines)));
        Captured { lines }
    }

    /// The lines written so far.
    pub(crate) fn lines(&self) -> Vec<String> {
        let bytes = self
            .lines
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        String::from_utf8_lossy(&bytes)
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

#[cfg(test)]
impl Drop for Captured {
    fn drop(&mut self) {
        // A thread that is ending has no captures to take from.
        let _ = CAPTURES.try_with(|captures| {
            captures
                .borrow_mut()
                .retain(|lines| !std::sync::Arc::ptr_eq(lines, &self.lines));
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A capture gets a line whose log statement another thread reached
    /// first, with no subscriber of its own, while the capture was open.
    /// (With a capture that was its thread's default subscriber, tracing
    /// then skipped that statement everywhere: a test counting lines lost
    /// some when tests ran side by side.)
    #[test]
    fn a_capture_gets_a_line_first_reached_on_a_thread_without_one() {
        fn say(what: &str) {
            tracing::warn!(what, "said once on each thread");
        }
        let log = Captured::start();
        std::thread::spawn(|| say("elsewhere"))
            .join()
            .expect("the other thread");
        say("here");
        let lines = log.lines();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].contains("said once on each thread") && lines[0].contains("here"));
        drop(log);
        let after = Captured::start();
        say("captured again");
        assert_eq!(after.lines().len(), 1);
    }

    /// The panic hook is the process's: one test at a time sets it.
    static HOOK: std::sync::Mutex<()> = std::sync::Mutex::new(());

    #[test]
    fn database_statements_are_not_logged_below_info_whatever_the_filter() {
        let lines = Buffer::default();
        let subscriber = tracing_subscriber::registry()
            .with(EnvFilter::new("trace,tokio_postgres=trace"))
            .with(never_secrets())
            .with(fmt::layer().with_writer(lines.clone()).with_ansi(false));
        tracing::subscriber::with_default(subscriber, || {
            tracing::debug!(target: "tokio_postgres::query", "executing statement s1 with parameters: [secret]");
            tracing::trace!(target: "tokio_postgres", "trace secret");
            tracing::debug!(target: "postgres_protocol::message", "protocol secret");
            tracing::info!(target: "tokio_postgres::connection", "a notice");
            tracing::debug!(target: "tokio_postgres_extra", "another library");
            tracing::debug!(target: "marque::store", "our own");
        });
        let text = lines.text();
        assert!(!text.contains("secret"), "{text}");
        for kept in ["a notice", "another library", "our own"] {
            assert!(text.contains(kept), "{kept}: {text}");
        }
    }

    /// deadpool-postgres's WARN for each pooled connection that breaks
    /// is not written by default (Marque's own lines say it once), nor
    /// under any `--log` that does not name it; one that does rules.
    #[test]
    fn the_pools_per_connection_warnings_are_quiet_unless_asked_for() {
        let written = |spec: &str| {
            let lines = Buffer::default();
            let subscriber = tracing_subscriber::registry()
                .with(log_filter(spec).expect("filter"))
                .with(fmt::layer().with_writer(lines.clone()).with_ansi(false));
            tracing::subscriber::with_default(subscriber, || {
                tracing::warn!(target: "deadpool.postgres", "Connection error: db error");
                tracing::error!(target: "deadpool.postgres", "a pool error");
                tracing::warn!(target: "marque::registry", "cannot follow the change feed");
            });
            lines.text()
        };
        for spec in ["info", "warn", "debug", "marque=debug,info"] {
            let text = written(spec);
            assert!(!text.contains("Connection error"), "{spec}: {text}");
            assert!(text.contains("a pool error"), "{spec}: {text}");
            assert!(
                text.contains("cannot follow the change feed"),
                "{spec}: {text}"
            );
        }
        for spec in ["info,deadpool=warn", "info,deadpool.postgres=debug"] {
            assert!(written(spec).contains("Connection error"), "{spec}");
        }
    }

    /// A filter that parses but would log nothing of Marque's (a level
    /// misspelt, read as a target; an empty one) is refused, naming the
    /// word; levels in any case, `target=level` and `off` are taken.
    #[test]
    fn a_filter_that_would_silence_the_log_is_refused() {
        for spec in [
            "warning",
            "inf",
            "",
            ",",
            " info",
            "info ",
            "error,warnings",
        ] {
            let error = log_filter(spec).expect_err(spec);
            let message = format!("{error:#}");
            assert!(
                message.contains("--log / MARQUE_LOG"),
                "{spec:?}: {message}"
            );
        }
        let message = format!("{:#}", log_filter("info,warning").expect_err("warning"));
        assert!(message.contains("\"warning\" is no level"), "{message}");
        for spec in [
            "info",
            "WARN",
            "off",
            "3",
            "marque=debug",
            "error,marque=debug",
            "info,deadpool=warn",
            "marque::auth=debug,,info",
            "marque",
            "marque::auth,warn",
            "[call]=debug",
        ] {
            log_filter(spec).unwrap_or_else(|e| panic!("{spec:?}: {e:#}"));
        }
    }

    /// What a test's own subscriber writes, each writer made from it
    /// adding to the same text.
    #[derive(Clone, Default)]
    struct Buffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl Buffer {
        /// Everything written so far.
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().expect("lines").clone()).expect("UTF-8")
        }
    }

    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lines").extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl fmt::MakeWriter<'_> for Buffer {
        type Writer = Buffer;
        fn make_writer(&self) -> Buffer {
            self.clone()
        }
    }

    #[test]
    fn the_text_log_is_coloured_only_on_a_terminal_without_no_color() {
        assert!(colour(true, None));
        assert!(colour(true, Some(OsStr::new(""))));
        assert!(!colour(true, Some(OsStr::new("1"))));
        assert!(!colour(false, None));
    }

    /// A panic's backtrace, taken in the hook, begins where the code
    /// panicked and ends where the thread began, as Rust's own hook
    /// prints it: the frames of the panic's machinery and of the hook are
    /// not the reader's.
    #[test]
    fn a_panics_backtrace_begins_where_it_panicked() {
        let _hook = HOOK
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let taken = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let previous = std::panic::take_hook();
        {
            let taken = std::sync::Arc::clone(&taken);
            std::panic::set_hook(Box::new(move |_| {
                *taken.lock().expect("taken") =
                    std::backtrace::Backtrace::force_capture().to_string();
            }));
        }
        let caught = std::panic::catch_unwind(|| panic!("boom"));
        let _ = std::panic::take_hook();
        std::panic::set_hook(previous);
        assert!(caught.is_err());
        let full = taken.lock().expect("taken").clone();
        assert!(full.contains("__rust_end_short_backtrace"), "{full}");
        let short = short_backtrace(&full);
        // Rust's own hook begins at the panic's entry (`rust_begin_unwind`,
        // `panic_fmt`), then the code that panicked.
        let first = short.lines().next().unwrap_or_default();
        assert!(
            ["rust_begin_unwind", "panic_fmt", "begin_panic"]
                .iter()
                .any(|entry| first.contains(entry)),
            "{short}"
        );
        // The two markers are never inlined; the hook's own frames are in
        // a debug build's backtrace, and inlined into others in a release
        // build's: the short one holds none of them either way.
        for marker in ["__rust_end_short_backtrace", "__rust_begin_short_backtrace"] {
            assert!(full.contains(marker), "{marker} in {full}");
        }
        for gone in [
            "PanicHookInfo",
            "panic_with_hook",
            "__rust_end_short_backtrace",
            "__rust_begin_short_backtrace",
        ] {
            assert!(!short.contains(gone), "{gone} in {short}");
        }
        assert!(
            short.contains("a_panics_backtrace_begins_where_it_panicked"),
            "{short}"
        );
        assert!(full.contains(&short), "a part of the backtrace, as taken");
    }

    /// A backtrace without the markers (no symbols) is kept whole.
    #[test]
    fn a_backtrace_without_symbols_is_kept_whole() {
        let text = "   0: <unknown>\n   1: <unknown>\n";
        assert_eq!(short_backtrace(text), text);
        assert_eq!(short_backtrace(""), "");
    }

    #[test]
    fn a_panic_is_reported_as_rusts_own_hook_reports_it() {
        let here = Location::caller();
        let report = PanicReport::new(&"boom", Some(here), Some("worker"));
        assert_eq!(
            report,
            PanicReport {
                message: "boom".into(),
                location: Some(format!("{}:{}:{}", here.file(), here.line(), here.column())),
                thread: "worker".into(),
            }
        );
        let formatted = PanicReport::new(&format!("boom {}", 42), None, None);
        assert_eq!(formatted.message, "boom 42");
        assert_eq!(formatted.location, None);
        assert_eq!(formatted.thread, "<unnamed>");
        assert_eq!(PanicReport::new(&42_u8, None, None).message, "Box<dyn Any>");
    }

    /// A line of a library that logs with the `log` crate (refinery's
    /// `applying migration`) is written in JSON without the source file,
    /// a path on the build machine, nor its line and module: tracing-log
    /// gives them as `log.*` fields, which the JSON format wrote. Lines
    /// without them are written as before, their own fields kept.
    #[test]
    fn json_lines_of_log_crate_libraries_carry_no_build_paths() {
        let lines = Buffer::default();
        let subscriber = tracing_subscriber::registry()
            .with(EnvFilter::new("info"))
            .with(json_layer(lines.clone()));
        let source = "/home/builder/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/\
                      refinery-core-0.10.1/src/traits/async.rs";
        tracing::subscriber::with_default(subscriber, || {
            // As tracing-log makes a `log` record an event.
            tracing::info!(
                log.file = source,
                log.line = 46_u32,
                log.module_path = "refinery_core::traits::r#async",
                log.target = "refinery_core::traits::r#async",
                "applying migration: V1__registry"
            );
            tracing::info!(file = "kept.toml", "our own");
        });
        let text = lines.text();
        assert!(
            !text.contains(".cargo") && !text.contains("async.rs"),
            "{text}"
        );
        let written: Vec<serde_json::Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).expect(line))
            .collect();
        assert_eq!(written.len(), 2, "{text}");
        assert_eq!(written[0]["level"], "INFO");
        assert_eq!(
            written[0]["fields"],
            serde_json::json!({"message": "applying migration: V1__registry"})
        );
        assert_eq!(written[1]["fields"]["file"], "kept.toml", "{text}");
        assert_eq!(written[1]["fields"]["message"], "our own", "{text}");
    }

    /// A panic under the JSON log is one JSON line at ERROR, from the hook
    /// [`init`] installs; where the log writes no ERROR line, Rust's own
    /// hook writes it. (The hook is the process's: other tests' panics
    /// meanwhile go to their threads' logs, or to the default hook.)
    #[test]
    fn a_panic_under_the_json_log_is_one_json_error_line() {
        let _hook = HOOK
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let lines = Buffer::default();
        let subscriber = tracing_subscriber::registry()
            .with(EnvFilter::new("info"))
            .with(json_layer(lines.clone()));
        let defaults = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let previous = std::panic::take_hook();
        {
            let defaults = std::sync::Arc::clone(&defaults);
            std::panic::set_hook(Box::new(move |info| {
                log_panic(info, &|_: &std::panic::PanicHookInfo<'_>| {
                    defaults.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                })
            }));
        }
        let line = line!() + 3;
        let caught = tracing::subscriber::with_default(subscriber, || {
            std::panic::catch_unwind(|| {
                tracing::info_span!("call", request_id = "r-1").in_scope(|| panic!("boom {}", 42))
            })
        });
        let unlogged = std::panic::catch_unwind(|| panic!("no log here"));
        let _ = std::panic::take_hook();
        std::panic::set_hook(previous);
        assert!(caught.is_err() && unlogged.is_err());
        assert_eq!(
            defaults.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "the panic outside any log went to the default hook"
        );

        let text = lines.text();
        let written: Vec<&str> = text.lines().collect();
        assert_eq!(written.len(), 1, "{text}");
        let json: serde_json::Value = serde_json::from_str(written[0]).expect("a JSON line");
        assert_eq!(json["level"], "ERROR", "{json}");
        let fields = &json["fields"];
        assert_eq!(fields["message"], "panicked", "{json}");
        assert_eq!(fields["panic"], "boom 42", "{json}");
        let location = fields["location"].as_str().expect("a location");
        assert!(
            location.starts_with(&format!("{}:{line}:", file!())),
            "{location}"
        );
        let thread = std::thread::current();
        assert_eq!(
            fields["thread"],
            thread.name().unwrap_or("<unnamed>"),
            "{json}"
        );
        assert_eq!(json["span"]["request_id"], "r-1", "{json}");
    }
}
