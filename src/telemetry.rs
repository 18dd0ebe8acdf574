//! Logging set-up: `tracing` to standard error, as text or JSON lines.

use std::{ffi::OsStr, io::IsTerminal};

use tracing::{Level, Metadata};
use tracing_subscriber::{EnvFilter, filter::FilterFn, fmt, prelude::*};

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

/// Installs the global subscriber.
///
/// # Errors
/// When the filter does not parse, or a subscriber is already installed.
pub fn init(format: LogFormat, filter: &str) -> anyhow::Result<()> {
    let filter = EnvFilter::try_new(filter)
        .map_err(|e| anyhow::anyhow!("invalid log filter {filter:?}: {e}"))?;
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
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_writer(std::io::stderr),
            )
            .try_init()?,
    }
    let _ = INSTALLED.set(());
    Ok(())
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
#[cfg(test)]
pub(crate) struct Captured {
    lines: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

#[cfg(test)]
impl Captured {
    /// Captures this thread's log lines, at every level, from now.
    pub(crate) fn start() -> Self {
        #[derive(Clone)]
        struct Buffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl std::io::Write for Buffer {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let lines = std::sync::Arc::default();
        let buffer = Buffer(std::sync::Arc::clone(&lines));
        let subscriber = fmt()
            .with_writer(move || buffer.clone())
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .finish();
        Captured {
            lines,
            _guard: tracing::subscriber::set_default(subscriber),
        }
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
mod tests {
    use super::*;

    #[test]
    fn database_statements_are_not_logged_below_info_whatever_the_filter() {
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let writer = {
            let lines = std::sync::Arc::clone(&lines);
            move || Buffer(std::sync::Arc::clone(&lines))
        };
        let subscriber = tracing_subscriber::registry()
            .with(EnvFilter::new("trace,tokio_postgres=trace"))
            .with(never_secrets())
            .with(fmt::layer().with_writer(writer).with_ansi(false));
        tracing::subscriber::with_default(subscriber, || {
            tracing::debug!(target: "tokio_postgres::query", "executing statement s1 with parameters: [secret]");
            tracing::trace!(target: "tokio_postgres", "trace secret");
            tracing::debug!(target: "postgres_protocol::message", "protocol secret");
            tracing::info!(target: "tokio_postgres::connection", "a notice");
            tracing::debug!(target: "tokio_postgres_extra", "another library");
            tracing::debug!(target: "marque::store", "our own");
        });
        let text = String::from_utf8(lines.lock().expect("lines").clone()).expect("UTF-8");
        assert!(!text.contains("secret"), "{text}");
        for kept in ["a notice", "another library", "our own"] {
            assert!(text.contains(kept), "{kept}: {text}");
        }
    }

    #[derive(Clone)]
    struct Buffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lines").extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_text_log_is_coloured_only_on_a_terminal_without_no_color() {
        assert!(colour(true, None));
        assert!(colour(true, Some(OsStr::new(""))));
        assert!(!colour(true, Some(OsStr::new("1"))));
        assert!(!colour(false, None));
    }
}
