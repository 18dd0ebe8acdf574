//! Work a snapshot hands to a thread of its own (a new detection index
//! base, a new authorization table), for a later change to adopt.
//!
//! The thread runs at low priority (nice 10 on Linux, inherited by the
//! threads it starts), so checks keep the CPU while it builds.
//!
//! Work that panics ends all the same, with no result: whoever waits for it
//! wakes, and does what it does when no new structure could be built
//! (keeps its overlay, starts the work again later or does it itself).
//! "Later" backs off: after each failure in a row, the work starts again
//! only once twice as many changes have gathered, so that work that always
//! fails (a bug) is not started again at every change.
//!
//! Waiting for such work, and the builds a change does itself when it
//! cannot wait (a burst, a load), can hold a thread for seconds; they run
//! through [`blocking`], so that on a tokio worker (a write, the change
//! feed, a load) the runtime's other tasks move to another thread
//! meanwhile.

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    sync::{Arc, Condvar, Mutex, PoisonError},
};

/// The number of changes at which work on a thread of its own starts:
/// `due` at first, doubled for each such work in a row that failed (at most
/// 2^16 times), so that work that always fails is not started again at
/// every change.
pub(super) fn backed_off(due: usize, failures: u32) -> usize {
    due.saturating_mul(1 << failures.min(16))
}

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

    /// Waits for the work to end (through [`blocking`], unless it has).
    pub(super) fn wait(&self) -> Option<T> {
        if let Some(outcome) = self.outcome() {
            return outcome;
        }
        blocking(|| {
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
        })
    }
}

/// Runs `work`, which may hold this thread for a while (a wait for work on
/// a thread of its own, a build of seconds), without starving the tokio
/// runtime it may be called on.
///
/// Snapshots are changed inside async calls (a write, also while it holds
/// the store's write transaction; the change feed's follower; a load): on
/// a worker of a multi-threaded runtime, `work` runs in
/// [`tokio::task::block_in_place`], which hands the worker's other tasks
/// to another thread until it returns. Anywhere else it runs as it is: on
/// a thread of its own or of `spawn_blocking` nothing waits behind it, and
/// on a current-thread runtime (tests) `block_in_place` would panic, and
/// there is no other thread to hand the tasks to.
pub(super) fn blocking<R>(work: impl FnOnce() -> R) -> R {
    let work = || {
        #[cfg(test)]
        if let Some(meanwhile) = tests::WHILE_BLOCKING.take() {
            meanwhile();
        }
        work()
    };
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) if runtime.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
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
        /// Run by the next [`blocking`] call on this thread, inside it,
        /// before its work (tests: blocking work that waits for a signal).
        pub(in crate::snapshot) static WHILE_BLOCKING: RefCell<Option<Box<dyn FnOnce()>>> =
            const { RefCell::new(None) };
    }

    /// The next work this thread starts first waits for a message on the
    /// returned channel.
    pub(in crate::snapshot) fn next_job_waits_until_told() -> mpsc::Sender<()> {
        let (tell, told) = mpsc::channel::<()>();
        BEFORE_NEXT_JOB.set(Some(Box::new(move || {
            let _ = told.recv();
        })));
        tell
    }

    /// The next [`blocking`] call on this thread first waits for a message
    /// on `told`.
    pub(in crate::snapshot) fn next_blocking_waits_until(told: mpsc::Receiver<()>) {
        WHILE_BLOCKING.set(Some(Box::new(move || {
            let _ = told.recv();
        })));
    }

    /// Whether the [`blocking`] call [`next_blocking_waits_until`] set up
    /// has run.
    pub(in crate::snapshot) fn blocking_ran() -> bool {
        WHILE_BLOCKING.with_borrow(Option::is_none)
    }

    /// Runs `work` in a task of a multi-threaded runtime with one worker,
    /// right after spawning a task that sends on `release`: if `work`
    /// blocks until that message arrives, it returns only if it let the
    /// runtime run that task meanwhile. Its result, or `None` if it has not
    /// returned within ten seconds (it is then left blocked).
    pub(in crate::snapshot) fn on_a_single_worker<R: Send + 'static>(
        release: mpsc::Sender<()>,
        work: impl FnOnce() -> R + Send + 'static,
    ) -> Option<R> {
        within_ten_seconds(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .build()
                .expect("a runtime");
            let task = runtime.spawn(async move {
                // Queued on this worker, behind the task running `work`.
                tokio::spawn(async move {
                    let _ = release.send(());
                });
                work()
            });
            runtime.block_on(task).expect("the task")
        })
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

    #[test]
    fn blocking_work_on_a_worker_lets_the_runtime_run_its_other_tasks() {
        let (release, released) = mpsc::channel();
        let waited = on_a_single_worker(release, move || blocking(|| released.recv().is_ok()));
        assert_eq!(waited, Some(true), "the task queued behind it ran");
    }

    #[tokio::test]
    async fn blocking_work_on_a_current_thread_runtime_runs_as_it_is() {
        assert_eq!(blocking(|| 7), 7);
    }

    #[test]
    fn waiting_for_work_on_a_worker_lets_the_runtime_run_its_other_tasks() {
        let release = next_job_waits_until_told();
        let job = Background::spawn("marque-test", || Some(1)).expect("a thread");
        let waited = on_a_single_worker(release, move || job.wait());
        assert_eq!(waited, Some(Some(1)), "the task queued behind the wait ran");
    }
}
