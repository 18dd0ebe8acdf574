//! Work a snapshot hands to a thread of its own (a new detection index
//! base, a new authorization table), for a later change to adopt.
//!
//! The thread runs at low priority (nice 10 on Linux, inherited by the
//! threads it starts), so checks keep the CPU while it builds.
//!
//! Work that panics ends all the same, with no result: whoever waits for it
//! wakes, and does what it does when no new structure could be built
//! (keeps its overlay, starts the work again later or does it itself).

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    sync::{Arc, Condvar, Mutex, PoisonError},
};

/// The outcome of work running on a thread of its own.
#[derive(Debug)]
pub(super) struct Background<T> {
    /// `None` while running; then the result, or `None` if it failed.
    done: Mutex<Option<Option<T>>>,
    ready: Condvar,
}

impl<T: Clone + Send + 'static> Background<T> {
    /// Runs `work` on a new thread named `name`; `None` if no thread could
    /// be started. Work that panics ends with no result (the panic is
    /// logged), as work that returns `None` does.
    pub(super) fn spawn(
        name: &str,
        work: impl FnOnce() -> Option<T> + Send + 'static,
    ) -> Option<Arc<Background<T>>> {
        let shared = Arc::new(Background {
            done: Mutex::new(None),
            ready: Condvar::new(),
        });
        let outcome = shared.clone();
        #[cfg(test)]
        let before = tests::BEFORE_NEXT_JOB.take();
        let spawned = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                lower_priority();
                // The work only reads what it was handed and builds something
                // new: nothing it leaves half-done is seen after a panic.
                let result = catch_unwind(AssertUnwindSafe(|| {
                    #[cfg(test)]
                    if let Some(before) = before {
                        before();
                    }
                    work()
                }))
                .unwrap_or_else(|panic| {
                    tracing::error!(
                        panic = panic_message(panic.as_ref()),
                        thread = std::thread::current().name().unwrap_or_default(),
                        "background work panicked; the structure it was building is built again later"
                    );
                    None
                });
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

/// The message a panic was raised with, if it has one.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// Makes this thread (and the threads it starts) yield to checks: nice 10,
/// so background work gets what the checks leave of the CPU.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::process::setpriority_process(Some(rustix::thread::gettid()), 10) {
        tracing::debug!(error = %e, "cannot lower the priority of a background thread");
    }
}

#[cfg(test)]
pub(super) mod tests {
    use std::{cell::RefCell, sync::mpsc, time::Duration};

    use super::*;

    thread_local! {
        /// Run on the thread of the next work this thread starts, before
        /// the work (tests: work that waits for a signal, or panics).
        pub(in crate::snapshot) static BEFORE_NEXT_JOB: RefCell<Option<Box<dyn FnOnce() + Send>>> =
            const { RefCell::new(None) };
    }

    /// The next work this thread starts first waits for a message on the
    /// returned channel, then panics.
    pub(in crate::snapshot) fn next_job_panics_when_told() -> mpsc::Sender<()> {
        let (tell, told) = mpsc::channel::<()>();
        BEFORE_NEXT_JOB.set(Some(Box::new(move || {
            let _ = told.recv();
            panic!("background work that panics (test)");
        })));
        tell
    }

    /// Runs `f` on a thread of its own; its result, or `None` if it has
    /// not returned within ten seconds (it is then left blocked).
    pub(in crate::snapshot) fn within_ten_seconds<R: Send + 'static>(
        f: impl FnOnce() -> R + Send + 'static,
    ) -> Option<R> {
        let (send, receive) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = send.send(f());
        });
        receive.recv_timeout(Duration::from_secs(10)).ok()
    }

    #[test]
    fn work_that_panics_ends_with_no_result_and_wakes_its_waiter() {
        let tell = next_job_panics_when_told();
        let job = Background::spawn("marque-test", || Some(1)).expect("a thread");
        assert!(!job.is_done());
        let waiting = job.clone();
        let waiter = std::thread::spawn(move || waiting.wait());
        tell.send(()).expect("the work waits");
        let waited = within_ten_seconds(move || waiter.join().expect("the waiter"));
        assert_eq!(waited, Some(None), "the waiter wakes, with no result");
        assert!(job.is_done());
        assert_eq!(job.outcome(), Some(None));
        assert_eq!(job.wait(), None);
    }
}
