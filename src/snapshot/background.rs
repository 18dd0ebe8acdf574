//! Work a snapshot hands to a thread of its own (a new detection index
//! base, a new authorization table), for a later change to adopt.
//!
//! The thread runs at low priority (nice 10 on Linux, inherited by the
//! threads it starts), so checks keep the CPU while it builds.

use std::sync::{Arc, Condvar, Mutex, PoisonError};

/// The outcome of work running on a thread of its own.
#[derive(Debug)]
pub(super) struct Background<T> {
    /// `None` while running; then the result, or `None` if it failed.
    done: Mutex<Option<Option<T>>>,
    ready: Condvar,
}

impl<T: Clone + Send + 'static> Background<T> {
    /// Runs `work` on a new thread named `name`; `None` if no thread could
    /// be started.
    pub(super) fn spawn(
        name: &str,
        work: impl FnOnce() -> Option<T> + Send + 'static,
    ) -> Option<Arc<Background<T>>> {
        let shared = Arc::new(Background {
            done: Mutex::new(None),
            ready: Condvar::new(),
        });
        let outcome = shared.clone();
        let spawned = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                lower_priority();
                let result = work();
                *outcome.done.lock().unwrap_or_else(PoisonError::into_inner) = Some(result);
                outcome.ready.notify_all();
            });
        match spawned {
            Ok(_) => Some(shared),
            Err(e) => {
                crate::auth::current_call_event!(
                    tracing::Level::WARN,
                    error = %e,
                    thread = name,
                    "cannot start a background thread"
                );
                None
            }
        }
    }

    /// The outcome, if the work has ended.
    pub(super) fn outcome(&self) -> Option<Option<T>> {
        self.done
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Whether the work has ended.
    pub(super) fn is_done(&self) -> bool {
        self.done
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }

    /// Waits for the work to end.
    pub(super) fn wait(&self) -> Option<T> {
        let mut done = self.done.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(outcome) = done.as_ref() {
                return outcome.clone();
            }
            done = self
                .ready
                .wait(done)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// Makes this thread (and the threads it starts) yield to checks: nice 10,
/// so background work gets what the checks leave of the CPU.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::process::setpriority_process(Some(rustix::thread::gettid()), 10) {
        tracing::debug!(error = %e, "cannot lower the priority of a background thread");
    }
}
