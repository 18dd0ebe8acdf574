//! The registry core: a store, and the snapshot every read and check is
//! answered from.
//!
//! Writes run under the store's write lock: the command is evaluated against
//! the snapshot at the head revision, the resulting change event is committed,
//! and a new snapshot is published with one atomic pointer swap. Readers load
//! the current snapshot without taking any lock a writer holds.
//!
//! A replica's writers queue on a lock of their own first, held until the
//! new snapshot is published: so one writer per replica at a time holds a
//! store connection (the rest wait without one), and the next finds the
//! snapshot its predecessor wrote. A writer whose snapshot is behind the
//! head (another replica wrote, or a cancelled call committed and did not
//! publish) catches up through its own transaction.

use std::{sync::Arc, time::Duration};

use arc_swap::ArcSwap;
use tokio::sync::watch;

use crate::{
    api::page_token::PageTokens,
    model::{Actor, Change, ChangeEvent, Command, ResourceId, Revision, Slug},
    snapshot::{PastEnds, PlanError, Snapshot},
    store::{Store, StoreError, WriteTx},
};

/// Most stored bytes of events one catch-up read holds (at least one
/// event): a replica that is far behind applies bulk imports a few at a time.
const CATCH_UP_BYTES: usize = 64 << 20;

/// Why a registry operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The command does not fit the registry's state.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The request id was used before by the same member for another request.
    #[error("request_id {} was already used for a different request", crate::model::quote(.0))]
    RequestIdReused(String),
    /// The write asked for an empty registry and the registry is not.
    #[error("the registry is not empty (revision {0})")]
    NotEmpty(Revision),
    /// The registry has not finished loading its first snapshot.
    #[error("the registry is still loading")]
    Loading,
    /// The API key the write came with was revoked (or removed) after the
    /// call was authenticated and before the write could commit (a long
    /// import stream).
    #[error("API key members/{member}/apiKeys/{key} was revoked before the write committed")]
    KeyRevoked {
        /// The key's member.
        member: Slug,
        /// The key.
        key: ResourceId,
    },
    /// The asked revision is beyond every revision the registry has
    /// committed (no replica wrote it): waiting would not bring it.
    #[error(
        "revision {wanted} has not been reached (the registry is at revision {head}): ask for a revision this registry returned"
    )]
    NotReached {
        /// What the caller asked for.
        wanted: Revision,
        /// The registry's latest revision.
        head: Revision,
    },
    /// The snapshot did not reach the asked revision in time.
    #[error(
        "this replica is at revision {current} and did not reach revision {wanted} within {waited:?}"
    )]
    Behind {
        /// What the caller asked for.
        wanted: Revision,
        /// Where the replica is.
        current: Revision,
        /// How long it waited.
        waited: Duration,
    },
}

/// What a caller sent along with a write, for idempotent retries.
#[derive(Debug, Clone, Default)]
pub struct WriteMeta {
    /// The caller's request id, if any.
    pub request_id: Option<String>,
    /// The request's fingerprint as read: SHA-256 over the RPC and the
    /// request parsed into its canonical form, so that a retry written in
    /// another spelling the registry reads alike is the same request.
    /// Stored with the request id ([`ChangeEvent::request_fingerprint_as_read`]).
    pub fingerprint: Option<[u8; 32]>,
    /// The request's fingerprint as sent: SHA-256 over the RPC and the
    /// request's bytes. Stored too ([`ChangeEvent::request_fingerprint`]):
    /// it is all that events written before fingerprints as read hold, and
    /// all that a replica of that version compares, so a retry sent as
    /// first written is answered by either version during a rolling upgrade
    /// or after a rollback.
    pub fingerprint_as_sent: Option<[u8; 32]>,
    /// Write only into an empty registry (revision 0), checked under the
    /// store's write lock: replicas seeding at once seed once.
    pub only_if_empty: bool,
}

/// A committed write (or the replay of one, for a retried request id).
#[derive(Debug, Clone)]
pub struct Committed {
    /// The revision that contains it.
    pub revision: Revision,
    /// What changed.
    pub changes: Vec<Change>,
    /// True when this answers a retry of an earlier write.
    pub replayed: bool,
}

/// What the store answers, as a replica last saw it: the health of the
/// services that need it. A read-only database (a failover's old primary,
/// `default_transaction_read_only`) answers reads, so Watch and audit
/// reads go on while writes are refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreHealth {
    /// Reads and writes.
    Up,
    /// Reads, not writes: a read-only database, or a write that found
    /// the store unavailable since the change feed was last read.
    ReadsOnly,
    /// Nothing: the change feed cannot be read, or the registry was
    /// never loaded.
    Down,
}

impl StoreHealth {
    /// Whether the store takes writes (RegistryService).
    pub fn writes(self) -> bool {
        self == StoreHealth::Up
    }

    /// Whether the store answers reads (WatchService, AuditService).
    pub fn reads(self) -> bool {
        self != StoreHealth::Down
    }
}

/// Sets `marque_store_up` and `marque_store_read_only` to `health`.
fn record_store_health(health: StoreHealth) {
    let gauge = |on: bool| if on { 1.0 } else { 0.0 };
    metrics::gauge!("marque_store_up").set(gauge(health == StoreHealth::Up));
    metrics::gauge!("marque_store_read_only").set(gauge(health == StoreHealth::ReadsOnly));
}

/// The registry: store plus published snapshot.
pub struct Registry {
    /// Where writes go.
    store: Arc<dyn Store>,
    /// The snapshot reads are answered from; swapped atomically.
    current: ArcSwap<Snapshot>,
    /// Announces each published revision, for `min_revision` waits.
    revision_tx: watch::Sender<Revision>,
    /// How long a read waits for a `min_revision` the replica has not reached.
    min_revision_wait: Duration,
    /// Set once the first snapshot is loaded; nothing is answered before.
    loaded: std::sync::atomic::AtomicBool,
    /// What the store answered last: reads and writes, reads only, or
    /// nothing (the health of each service that needs it).
    store_ok: watch::Sender<StoreHealth>,
    /// Held by this replica's writer from before it takes the store's
    /// write lock until its snapshot is published and the store's health
    /// recorded.
    writer: tokio::sync::Mutex<()>,
    /// One catch-up with the store at a time: the follower, and every
    /// Watch stream or read that found this replica behind, would otherwise
    /// each read and apply the same events (up to 64 MiB) at once; those
    /// queued behind find the work done.
    catching_up: tokio::sync::Mutex<()>,
    /// The store's committed head as last read, and when that read began:
    /// one read at a time, shared by every call that arrived before it
    /// began ([`Registry::committed_head`]).
    head_read: tokio::sync::Mutex<Option<HeadRead>>,
    /// The highest head the store has reported: revisions up to it are
    /// committed, with no need to ask again.
    known_head: std::sync::atomic::AtomicU64,
    /// Page tokens sealed under the store's shared secret, read at the
    /// first load ([`Registry::page_tokens`]).
    page_tokens: std::sync::OnceLock<PageTokens>,
    /// A revision this replica applied and when its event was committed
    /// ([`micros`]), as it applied or first read it: the store answering
    /// another time for that revision lost the revisions this replica
    /// applied and made others under their numbers (a restore from a
    /// backup, then writes) ([`Registry::store_parted`]).
    applied: std::sync::Mutex<Option<(Revision, i128)>>,
    /// The catch-ups that calls naming what the snapshot does not know (an
    /// API key, a brand, a platform) ask for, at one pace for all of them
    /// ([`Registry::catch_up_for_unknown_key`],
    /// [`Registry::catch_up_for_unknown_name`]).
    catch_ups: std::sync::Mutex<CatchUps>,
    /// How many such catch-ups have begun ([`Registry::paced_catch_ups`]).
    catch_ups_begun: std::sync::atomic::AtomicU64,
}

/// Least time between the starts of two catch-ups that calls naming what
/// the snapshot does not know ask for (an API key, a brand, a platform): a
/// flood of made-up names makes at most one read of the store's head every
/// this long, and none of its history unless another replica wrote.
pub const CATCH_UP_EVERY: Duration = Duration::from_millis(200);

/// Longest a call with an unknown API key waits for the catch-up it asked
/// for (or joined) before it is refused: a store that does not answer
/// delays refusals this long at most. The catch-up itself goes on. A call
/// naming an unknown brand or platform waits as long, past the pace
/// ([`Registry::catch_up_for_unknown_name`]).
pub const CATCH_UP_WAIT: Duration = Duration::from_secs(1);

/// How a catch-up ended: not yet (`None`), or with its outcome (a failure
/// as [`HeadRead`] keeps it: whether the store was unavailable, and what it
/// said), which every call that waited for it reads.
type CatchUpEnd = Option<Result<(), (bool, String)>>;

/// The paced catch-ups ([`CATCH_UP_EVERY`]): when the last began, its
/// end while it runs, and the next, waiting for the pace, which calls that
/// must see what was committed before they arrived wait for.
#[derive(Default)]
struct CatchUps {
    /// When the last one began.
    began: Option<tokio::time::Instant>,
    /// The last one's end.
    running: Option<watch::Receiver<CatchUpEnd>>,
    /// The next one, when it is to begin, and its end; until it begins.
    next: Option<(tokio::time::Instant, watch::Receiver<CatchUpEnd>)>,
}

/// Whether the catch-up that ends on `end` has not ended (nor its task
/// gone).
fn still_running(end: &watch::Receiver<CatchUpEnd>) -> bool {
    end.borrow().is_none() && end.has_changed().is_ok()
}

/// How a call that arrives sooner than the pace allows is answered.
#[derive(Clone, Copy, PartialEq, Eq)]
enum WhenEarly {
    /// With no catch-up: it joins one running, or one due now, and
    /// otherwise goes on without (an unknown API key: refused as unknown).
    Skip,
    /// With the next one, which begins after it arrived, at the pace: so
    /// that what was committed before it arrived (a brand just created on
    /// another replica) is found.
    WaitForNext,
}

/// A commit time in whole microseconds since the Unix epoch: as the store
/// keeps it (PostgreSQL's `timestamptz` drops the nanoseconds), so that
/// the time an event was written with compares with the one read back.
fn micros(time: time::OffsetDateTime) -> i128 {
    time.unix_timestamp_nanos().div_euclid(1000)
}

/// A read of the store's committed head ([`Registry::committed_head`]).
struct HeadRead {
    began: tokio::time::Instant,
    /// The head, or the failure (kind and text) to answer the calls that
    /// shared the read.
    head: Result<Revision, (bool, String)>,
}

impl HeadRead {
    fn answer(&self) -> Result<Revision, StoreError> {
        match &self.head {
            Ok(head) => Ok(*head),
            Err((true, text)) => Err(StoreError::Unavailable(text.clone())),
            Err((false, text)) => Err(StoreError::Internal(anyhow::anyhow!("{text}"))),
        }
    }
}

impl Registry {
    /// A registry over `store`, not loaded yet: every read and write answers
    /// [`RegistryError::Loading`] until [`Registry::load`] succeeds.
    pub fn new(store: Arc<dyn Store>, min_revision_wait: Duration) -> Self {
        let (revision_tx, _) = watch::channel(0);
        // Down until the first load: the gauges say so from the start, so
        // that a replica that never reaches its store shows 0, not nothing.
        record_store_health(StoreHealth::Down);
        Self {
            store,
            current: ArcSwap::from_pointee(Snapshot::default()),
            revision_tx,
            min_revision_wait,
            loaded: std::sync::atomic::AtomicBool::new(false),
            store_ok: watch::channel(StoreHealth::Down).0,
            writer: tokio::sync::Mutex::new(()),
            catching_up: tokio::sync::Mutex::new(()),
            head_read: tokio::sync::Mutex::new(None),
            known_head: std::sync::atomic::AtomicU64::new(0),
            page_tokens: std::sync::OnceLock::new(),
            applied: std::sync::Mutex::new(None),
            catch_ups: std::sync::Mutex::default(),
            catch_ups_begun: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Notes that this replica applied `revision`, committed at `time`
    /// (unless it already noted a later one).
    fn note_applied(&self, revision: Revision, time: time::OffsetDateTime) {
        let mut applied = self
            .applied
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if applied.is_none_or(|(noted, _)| noted <= revision) {
            *applied = Some((revision, micros(time)));
        }
    }

    /// When the event at `revision` was committed, as this replica noted
    /// it, if it did.
    fn applied_at(&self, revision: Revision) -> Option<i128> {
        self.applied
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .filter(|(noted, _)| *noted == revision)
            .map(|(_, time)| time)
    }

    /// Why the store has parted from this replica at `revision`, the
    /// published snapshot's, given when the store says the event at it was
    /// committed (`stored`): it has no such event (its head is behind: it
    /// lost committed revisions, a failover to a standby that had not
    /// received them), or one committed at another time than the one this
    /// replica applied (it lost them, and other writes were made under
    /// their numbers since: a restore from a backup). `None` while they
    /// agree; a time not noted yet is noted.
    fn store_parted(
        &self,
        revision: Revision,
        stored: Option<time::OffsetDateTime>,
    ) -> Option<String> {
        let Some(stored) = stored else {
            return Some(format!(
                "the store has no revision {revision}, which this replica applied: its head is \
                 behind"
            ));
        };
        match self.applied_at(revision) {
            Some(applied) if applied != micros(stored) => Some(format!(
                "the store's revision {revision} was committed at {stored}, not when the one \
                 this replica applied was: the revisions up to it were made again"
            )),
            Some(_) => None,
            None => {
                self.note_applied(revision, stored);
                None
            }
        }
    }

    /// The published revision, announced as it moves.
    pub fn revisions(&self) -> watch::Receiver<Revision> {
        self.revision_tx.subscribe()
    }

    /// What the store answers, as last seen; changes are announced.
    pub fn store_health(&self) -> watch::Receiver<StoreHealth> {
        self.store_ok.subscribe()
    }

    fn saw_store(&self, health: StoreHealth) {
        record_store_health(health);
        self.store_ok.send_if_modified(|current| {
            let changed = *current != health;
            *current = health;
            changed
        });
    }

    /// A write the store could not make (UNAVAILABLE): writes are down; a
    /// store that was answering reads is still thought to, until the
    /// change feed's next read tells (a read-only database refuses every
    /// write and answers every read: its readers must not flap with each
    /// refused write).
    fn saw_write_refused(&self) {
        let health = match *self.store_ok.borrow() {
            StoreHealth::Up | StoreHealth::ReadsOnly => StoreHealth::ReadsOnly,
            StoreHealth::Down => StoreHealth::Down,
        };
        self.saw_store(health);
    }

    /// Follows the store's change feed for ever: on each wake-up from the
    /// store (NOTIFY) and at least every `poll`, applies the events other
    /// writers committed and publishes the new snapshot. Store errors mark
    /// the store unhealthy until it answers again; the snapshot keeps
    /// serving meanwhile.
    pub async fn follow(self: Arc<Self>, poll: Duration) {
        let (wake_tx, mut wake_rx) = tokio::sync::mpsc::channel(1);
        self.store.start_feed(wake_tx);
        let mut woken_by_store = true;
        // Whether the last read of the feed failed: the log says when it
        // starts failing and when it is read again, whatever writes saw.
        let mut lost = false;
        // Whether the store, answering reads, refused writes at the last
        // look (a read-only database): logged when it starts and ends.
        let mut refusing = false;
        loop {
            if woken_by_store {
                tokio::select! {
                    woke = wake_rx.recv() => woken_by_store = woke.is_some(),
                    () = tokio::time::sleep(poll) => {}
                }
            } else {
                tokio::time::sleep(poll).await;
            }
            match self.catch_up_latest().await {
                Ok(()) => {
                    if std::mem::take(&mut lost) {
                        tracing::info!(
                            replica_revision = self.snapshot().revision(),
                            "following the change feed again; the store answers"
                        );
                    }
                    // A store that answers reads may still take no writes
                    // (a failover's old primary, now read-only): down for
                    // the registry's health until it takes them, not up
                    // again at the next read after a write found it so.
                    match self.store.writable().await {
                        Ok(()) => {
                            if std::mem::take(&mut refusing) {
                                tracing::info!("the store takes writes again");
                            }
                            self.saw_store(StoreHealth::Up);
                        }
                        Err(e) => {
                            if !std::mem::replace(&mut refusing, true) {
                                tracing::warn!(
                                    error = %e,
                                    "the store answers reads but takes no writes; serving reads \
                                     from the snapshot, writes UNAVAILABLE"
                                );
                            }
                            self.saw_store(StoreHealth::ReadsOnly);
                        }
                    }
                }
                Err(e) => {
                    if !std::mem::replace(&mut lost, true) {
                        tracing::warn!(error = %e, "cannot follow the change feed; serving the last snapshot");
                    }
                    self.saw_store(StoreHealth::Down);
                }
            }
        }
    }

    /// Adopts background work for ever: every `every`, if work a change
    /// started on a thread of its own (a new detection index base, a new
    /// authorization table) has ended, adopts it into the published
    /// snapshot at the same revision. Changes adopt it too; this is for a
    /// registry that goes quiet, which would otherwise keep the old base
    /// and the new one in memory, and answer from an overlay, until its
    /// next change. The adoption runs off the runtime's threads, and is
    /// dropped if a change publishes first (that change adopted it).
    pub async fn adopt_background(self: Arc<Self>, every: Duration) {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let Ok(snapshot) = self.ready_snapshot() else {
                continue;
            };
            if !snapshot.background_finished() {
                continue;
            }
            let adopting = snapshot.clone();
            let adopted = tokio::task::spawn_blocking(move || {
                let mut next = (*adopting).clone();
                next.adopt_finished();
                next
            })
            .await;
            let Ok(next) = adopted else {
                continue;
            };
            let next = Arc::new(next);
            let previous = self.current.compare_and_swap(&snapshot, next.clone());
            if Arc::ptr_eq(&previous, &snapshot) {
                tracing::debug!(revision = next.revision(), "adopted background work");
                report_layers(&next);
            }
        }
    }

    /// Applies every committed event after the published snapshot. A store
    /// that has parted from this replica ([`Registry::store_parted`]: it
    /// lost revisions this replica applied) is loaded again, whole, as it
    /// now is: the replica serves what the store holds, as every replica
    /// that loads it does, instead of its own history.
    async fn catch_up_latest(&self) -> Result<(), StoreError> {
        let _one = self.catching_up.lock().await;
        loop {
            let snapshot = self.ready_snapshot().map_err(|_| {
                StoreError::Internal(anyhow::anyhow!("following before the first load"))
            })?;
            let revision = snapshot.revision();
            if revision > 0 {
                let stored = self.store.committed_at(revision).await?;
                if let Some(why) = self.store_parted(revision, stored) {
                    tracing::error!(
                        replica_revision = revision,
                        "{why}; the store lost committed revisions: this replica loads the \
                         registry again as the store has it (Watch streams past its head resume \
                         from there)"
                    );
                    metrics::counter!("marque_registry_reloads_total").increment(1);
                    *self
                        .applied
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
                    let head = self.load().await?;
                    self.known_head
                        .store(head, std::sync::atomic::Ordering::Relaxed);
                    continue;
                }
            }
            let events = self
                .store
                .events_after(snapshot.revision(), 1024, CATCH_UP_BYTES)
                .await?;
            let Some(first) = events.first() else {
                metrics::gauge!("marque_replication_lag_revisions").set(0.0);
                metrics::gauge!("marque_replication_lag_seconds").set(0.0);
                return Ok(());
            };
            let behind = events.last().map_or(0, |e| e.revision) - snapshot.revision();
            let age = (time::OffsetDateTime::now_utc() - first.time).as_seconds_f64();
            metrics::gauge!("marque_replication_lag_revisions").set(behind as f64);
            metrics::gauge!("marque_replication_lag_seconds").set(age.max(0.0));
            let mut next = (*snapshot).clone();
            let start = events
                .iter()
                .position(|e| e.revision == next.revision() + 1)
                .unwrap_or(events.len());
            next.apply_all(&events[start..]);
            if next.revision() == snapshot.revision() {
                return Err(StoreError::Internal(anyhow::anyhow!(
                    "the change feed skips revision {}",
                    snapshot.revision() + 1
                )));
            }
            if let Some(last) = events.last() {
                self.note_applied(last.revision, last.time);
            }
            self.publish(next);
        }
    }

    /// Loads the whole registry from the store and publishes it. The
    /// first load also records what the store answers ([`StoreHealth`]:
    /// down until then).
    ///
    /// # Errors
    /// When the store cannot be read.
    pub async fn load(&self) -> Result<Revision, StoreError> {
        if self.page_tokens.get().is_none() {
            let secret = self.store.page_token_secret().await?;
            let _ = self.page_tokens.set(PageTokens::new(&secret));
        }
        let snapshot = self.store.load().await?;
        let revision = snapshot.revision();
        report_layers(&snapshot);
        self.current.store(Arc::new(snapshot));
        self.revision_tx.send_replace(revision);
        let reloaded = self.loaded.swap(true, std::sync::atomic::Ordering::AcqRel);
        // The store answered reads; whether it takes writes is asked as the
        // change feed's follower asks it, so that health (and its gauges)
        // is right from the first load, not from the follower's first poll.
        // A reload is the follower's own, which asks next.
        if !reloaded {
            let health = match self.store.writable().await {
                Ok(()) => StoreHealth::Up,
                Err(_) => StoreHealth::ReadsOnly,
            };
            self.saw_store(health);
        }
        Ok(revision)
    }

    /// What seals and opens this registry's page tokens: the same on every
    /// replica of one store, so any replica continues a listing another
    /// began.
    ///
    /// # Errors
    /// [`RegistryError::Loading`] before the first load.
    pub fn page_tokens(&self) -> Result<&PageTokens, RegistryError> {
        self.page_tokens.get().ok_or(RegistryError::Loading)
    }

    /// Whether the first snapshot is loaded.
    pub fn is_loaded(&self) -> bool {
        self.loaded.load(std::sync::atomic::Ordering::Acquire)
    }

    /// The current snapshot, once loaded.
    ///
    /// # Errors
    /// [`RegistryError::Loading`] before the first load.
    pub fn ready_snapshot(&self) -> Result<Arc<Snapshot>, RegistryError> {
        if self.is_loaded() {
            Ok(self.snapshot())
        } else {
            Err(RegistryError::Loading)
        }
    }

    /// The store behind the registry.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The current snapshot. Never blocks.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// A snapshot at `min_revision` or later, waiting a bounded time for this
    /// replica to catch up.
    ///
    /// # Errors
    /// [`RegistryError::NotReached`] at once when no replica has committed
    /// `min_revision`; [`RegistryError::Behind`] when the wait runs out.
    pub async fn snapshot_at_least(
        &self,
        min_revision: Revision,
    ) -> Result<Arc<Snapshot>, RegistryError> {
        let snapshot = self.ready_snapshot()?;
        if snapshot.revision() >= min_revision {
            return Ok(snapshot);
        }
        // A revision from a write's answer is committed: only one no
        // replica has written (a client's mistake, or an older registry
        // restored) is never worth the wait.
        if !self.has_reached(min_revision).await? {
            return Err(RegistryError::NotReached {
                wanted: min_revision,
                head: self.snapshot().revision(),
            });
        }
        let mut rx = self.revision_tx.subscribe();
        let waited = tokio::time::timeout(
            self.min_revision_wait,
            rx.wait_for(|revision| *revision >= min_revision),
        )
        .await;
        let snapshot = self.snapshot();
        match waited {
            Ok(Ok(_)) if snapshot.revision() >= min_revision => Ok(snapshot),
            _ => Err(RegistryError::Behind {
                wanted: min_revision,
                current: snapshot.revision(),
                waited: self.min_revision_wait,
            }),
        }
    }

    /// The snapshot with every event the store has committed: applies at
    /// once those this replica has not seen yet (another replica wrote
    /// them), instead of waiting for the change feed to bring them. For a
    /// caller that must not answer "not found" from a stale snapshot.
    ///
    /// # Errors
    /// [`RegistryError::Loading`] before the first load; store failures.
    pub async fn latest_snapshot(&self) -> Result<Arc<Snapshot>, RegistryError> {
        self.ready_snapshot()?;
        self.catch_up_latest().await?;
        Ok(self.snapshot())
    }

    /// Catches up with the store for a call whose API key the snapshot does
    /// not know: another replica may have created it a moment ago, and the
    /// change feed not brought it yet. Reads the store's head, and applies
    /// what this replica has not (as [`Registry::latest_snapshot`] does)
    /// only when the head is past its snapshot.
    ///
    /// Made-up keys cost no more than a pace allows: at most one such
    /// catch-up runs at a time (a call that arrives while one runs waits
    /// for it), and one starts at most every [`CATCH_UP_EVERY`]; a call
    /// arriving sooner after the last start does not wait for one (its key
    /// is refused as unknown, and the change feed brings a new key within
    /// its poll). A call waits [`CATCH_UP_WAIT`] at most. Errors are
    /// the change feed's to report: here they leave the snapshot as it is.
    /// The pace is shared with [`Registry::catch_up_for_unknown_name`].
    pub async fn catch_up_for_unknown_key(self: &Arc<Self>) {
        if !self.is_loaded() {
            return;
        }
        if let Some(mut end) = self.paced_catch_up(WhenEarly::Skip) {
            let _ = tokio::time::timeout(CATCH_UP_WAIT, end.wait_for(Option::is_some)).await;
        }
    }

    /// The snapshot with what the store had committed when the call
    /// arrived, for a call naming what the snapshot does not have (a brand,
    /// a platform): another replica may have created it a moment ago, and
    /// the change feed not brought it yet; or the name is made up. Paced as
    /// [`Registry::catch_up_for_unknown_key`] is, and at the same pace: one
    /// catch-up at a time, one begun at most every [`CATCH_UP_EVERY`],
    /// and only a read of the head unless another replica wrote. A call
    /// that arrives sooner after the last began waits for the next, which
    /// every call arriving meanwhile shares: made-up names, at whatever
    /// rate, cost the store one catch-up per pace, and a name committed
    /// before the call arrived is found.
    ///
    /// # Errors
    /// [`RegistryError::Loading`] before the first load; the catch-up's
    /// store failure; UNAVAILABLE when it has not ended within
    /// [`CATCH_UP_WAIT`] (a store that does not answer).
    pub async fn catch_up_for_unknown_name(
        self: &Arc<Self>,
    ) -> Result<Arc<Snapshot>, RegistryError> {
        self.ready_snapshot()?;
        let Some(mut end) = self.paced_catch_up(WhenEarly::WaitForNext) else {
            return Ok(self.snapshot());
        };
        let ended = tokio::time::timeout(
            CATCH_UP_EVERY + CATCH_UP_WAIT,
            end.wait_for(Option::is_some),
        )
        .await;
        let outcome = match ended {
            Ok(Ok(ended)) => (*ended).clone(),
            Ok(Err(_)) => Some(Err((false, "the catch-up's task ended early".to_owned()))),
            Err(_) => Some(Err((
                true,
                "catching up with the store took too long".to_owned(),
            ))),
        };
        match outcome {
            Some(Err((true, text))) => Err(StoreError::Unavailable(text).into()),
            Some(Err((false, text))) => Err(StoreError::Internal(anyhow::anyhow!("{text}")).into()),
            _ => Ok(self.snapshot()),
        }
    }

    /// How many catch-ups calls naming what the snapshot does not know
    /// have begun on this replica ([`Registry::catch_up_for_unknown_key`],
    /// [`Registry::catch_up_for_unknown_name`]): at most one every
    /// [`CATCH_UP_EVERY`], whatever the calls. For diagnostics and
    /// tests.
    pub fn paced_catch_ups(&self) -> u64 {
        self.catch_ups_begun
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The end of the paced catch-up a call arriving now takes part in, if
    /// any: one running (for [`WhenEarly::Skip`]), the next (joined, or
    /// scheduled at the pace after the last began and ended), or one begun
    /// now when the pace allows.
    fn paced_catch_up(self: &Arc<Self>, early: WhenEarly) -> Option<watch::Receiver<CatchUpEnd>> {
        let arrived = tokio::time::Instant::now();
        let mut catch_ups = self
            .catch_ups
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((due, next)) = catch_ups
            .next
            .as_ref()
            .filter(|(_, next)| still_running(next))
        {
            return (early == WhenEarly::WaitForNext || *due <= arrived).then(|| next.clone());
        }
        let running = catch_ups.running.clone().filter(still_running);
        let due = catch_ups.began.map(|began| began + CATCH_UP_EVERY);
        match early {
            WhenEarly::Skip => {
                if running.is_some() {
                    return running;
                }
                if due.is_some_and(|due| arrived < due) {
                    return None;
                }
            }
            WhenEarly::WaitForNext => {
                if running.is_some() || due.is_some_and(|due| arrived < due) {
                    let due = due.unwrap_or(arrived);
                    let (end, next) = watch::channel(None);
                    catch_ups.next = Some((due, next.clone()));
                    let registry = self.clone();
                    // A task of its own, as for one begun at once.
                    tokio::spawn(async move {
                        if let Some(mut running) = running {
                            let _ = running.wait_for(Option::is_some).await;
                        }
                        tokio::time::sleep_until(due).await;
                        {
                            let mut catch_ups = registry
                                .catch_ups
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner);
                            let began = tokio::time::Instant::now();
                            catch_ups.began = Some(began);
                            catch_ups.running = catch_ups.next.take().map(|(_, next)| next);
                        }
                        registry.run_catch_up(end).await;
                    });
                    return Some(next);
                }
            }
        }
        let (end, ended) = watch::channel(None);
        catch_ups.began = Some(arrived);
        catch_ups.running = Some(ended.clone());
        let registry = self.clone();
        // A task of its own: it ends even if every call waiting for it
        // gives up, and the next may start.
        tokio::spawn(async move { registry.run_catch_up(end).await });
        Some(ended)
    }

    /// One paced catch-up: reads the store's head, and applies what this
    /// replica has not only when the head is past its snapshot; announces
    /// its outcome on `end`.
    async fn run_catch_up(&self, end: watch::Sender<CatchUpEnd>) {
        self.catch_ups_begun
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        metrics::counter!("marque_catch_ups_total").increment(1);
        let outcome = match self.committed_head().await {
            Ok(head) if head > self.snapshot().revision() => self.catch_up_latest().await,
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        };
        if let Err(e) = &outcome {
            tracing::debug!(error = %e, "catching up for a name this replica does not know");
        }
        end.send_replace(Some(outcome.map_err(|e| match e {
            StoreError::Unavailable(text) => (true, text),
            StoreError::Internal(e) => (false, format!("{e:#}")),
        })));
    }

    /// Whether the registry has reached `revision`: this replica has, or
    /// the store has committed it (another replica wrote it and this one
    /// has not applied it yet).
    ///
    /// # Errors
    /// [`RegistryError::Loading`] before the first load; store failures.
    pub async fn has_reached(&self, revision: Revision) -> Result<bool, RegistryError> {
        let snapshot = self.ready_snapshot()?;
        if revision <= snapshot.revision()
            || revision <= self.known_head.load(std::sync::atomic::Ordering::Relaxed)
        {
            return Ok(true);
        }
        Ok(revision <= self.committed_head().await?)
    }

    /// The store's committed head, as read after this call arrived. Reads
    /// run one at a time, and a read answers every call that arrived
    /// before it began (what they wait for was committed by then): calls
    /// asking for a revision past the head, at whatever rate, hold at most
    /// one of the store's connections, and a failure reaches the calls
    /// sharing it at once instead of each waiting out the store's timeouts.
    async fn committed_head(&self) -> Result<Revision, StoreError> {
        let arrived = tokio::time::Instant::now();
        let mut last = self.head_read.lock().await;
        if let Some(read) = last.as_ref().filter(|read| read.began >= arrived) {
            return read.answer();
        }
        let began = tokio::time::Instant::now();
        let head = self.store.committed_head().await;
        if let Ok(head) = head {
            self.known_head
                .fetch_max(head, std::sync::atomic::Ordering::Relaxed);
        }
        let read = HeadRead {
            began,
            head: head.as_ref().copied().map_err(|e| match e {
                StoreError::Unavailable(text) => (true, text.clone()),
                StoreError::Internal(e) => (false, format!("{e:#}")),
            }),
        };
        *last = Some(read);
        head
    }

    /// Executes `commands` as one write, in one revision.
    ///
    /// With a request id seen before from the same member, returns the first
    /// write's result without writing again (or fails if the request differs).
    ///
    /// # Errors
    /// [`RegistryError::Plan`] when a command does not fit; store failures.
    /// Nothing is written on error.
    pub async fn write(
        &self,
        actor: Actor,
        meta: WriteMeta,
        commands: &[Command],
    ) -> Result<Committed, RegistryError> {
        self.ready_snapshot()?;
        let _writer = match self.writer.try_lock() {
            Ok(writer) => writer,
            Err(_) => {
                let writer = self.writer.lock().await;
                // The write before this one found the store unreachable (a
                // database that does not answer takes the connect timeout
                // each time): the writes queued behind it fail at once,
                // not one timeout after another. A write that finds no
                // queue always tries.
                if !self.store_ok.borrow().writes() {
                    return Err(StoreError::Unavailable(
                        "the write queued before this one found the store unavailable; try again"
                            .into(),
                    )
                    .into());
                }
                writer
            }
        };
        let result = self.write_inner(actor, meta, commands).await;
        match &result {
            Err(RegistryError::Store(StoreError::Unavailable(_))) => self.saw_write_refused(),
            Err(RegistryError::Store(_)) => {}
            _ => self.saw_store(StoreHealth::Up),
        }
        result
    }

    async fn write_inner(
        &self,
        actor: Actor,
        meta: WriteMeta,
        commands: &[Command],
    ) -> Result<Committed, RegistryError> {
        let mut tx = self.store.begin().await?;
        if let Some(request_id) = &meta.request_id
            && let Some(earlier) = tx.find_request(&actor, request_id).await?
        {
            let as_read = earlier
                .request_fingerprint_as_read
                .is_some_and(|stored| meta.fingerprint == Some(stored));
            let as_sent = earlier
                .request_fingerprint
                .is_some_and(|stored| meta.fingerprint_as_sent == Some(stored));
            let neither = earlier.request_fingerprint.is_none()
                && earlier.request_fingerprint_as_read.is_none()
                && meta.fingerprint.is_none()
                && meta.fingerprint_as_sent.is_none();
            let same = as_read || as_sent || neither;
            if !same {
                return Err(RegistryError::RequestIdReused(request_id.clone()));
            }
            return Ok(Committed {
                revision: earlier.revision,
                changes: earlier.changes,
                replayed: true,
            });
        }
        let head = tx.head();
        if meta.only_if_empty && head != 0 {
            return Err(RegistryError::NotEmpty(head));
        }
        let base = self.catch_up(tx.as_mut(), head).await?;
        // Every call with a revoked key fails from the revocation's revision
        // on: a call authenticated before it (an import stream left open)
        // does not commit after it. Writes are serialized here, so no
        // revocation comes between this and the commit.
        if let Actor::Member {
            member,
            key: Some(key),
        } = &actor
            && base
                .api_key(key.as_str())
                .is_none_or(|k| k.revoke_time.is_some())
        {
            return Err(RegistryError::KeyRevoked {
                member: member.clone(),
                key: key.clone(),
            });
        }
        let revision = head + 1;
        let now = time::OffsetDateTime::now_utc();
        // A seed (the server's own write) loads records, an authorization
        // that has ended among them; a member's call writes a change now.
        let past_ends = match actor {
            Actor::System => PastEnds::Recorded,
            Actor::Member { .. } => PastEnds::Refused,
        };
        let mut next = (*base).clone();
        let mut changes = Vec::new();
        for command in commands {
            let widened = widenings(&next, command);
            changes.extend(next.execute_with(command, revision, now, past_ends)?);
            // After the command's own checks (existence, etag, a revoked
            // authorization), which say more about a stale request; against
            // the registry as the write finds it, under the write lock, so
            // that no change committed meanwhile is widened unseen; and
            // after a retry's request id was looked up, which answers the
            // retry of a change made before as it was answered.
            if !widened.is_empty() {
                return Err(PlanError::Invalid(widened).into());
            }
        }
        // A write that changes nothing (an import of rows as they are)
        // writes nothing: no revision without a change to audit or watch.
        // It answers with the revision it was evaluated at. Unless it came
        // with a request id: that id must answer a retry with this answer,
        // not run it again on a registry changed since, so it is recorded
        // in a revision of its own.
        if changes.is_empty() && meta.request_id.is_none() {
            return Ok(Committed {
                revision: head,
                changes,
                replayed: false,
            });
        }
        let event = ChangeEvent {
            revision,
            time: now,
            actor,
            request_id: meta.request_id,
            request_fingerprint: meta.fingerprint_as_sent,
            request_fingerprint_as_read: meta.fingerprint,
            changes: changes.clone(),
        };
        tx.commit(event).await?;
        self.note_applied(revision, now);
        next.set_revision(revision);
        self.publish(next);
        Ok(Committed {
            revision,
            changes,
            replayed: false,
        })
    }

    /// Brings the published snapshot to `head` by applying the events `tx`
    /// reads (another replica may have written them), and returns it.
    async fn catch_up(
        &self,
        tx: &mut dyn WriteTx,
        head: Revision,
    ) -> Result<Arc<Snapshot>, StoreError> {
        let mut snapshot = self.snapshot();
        let revision = snapshot.revision();
        // The store lost revisions this replica applied (a failover to a
        // standby that had not received them, a restore from a backup): a
        // write now would commit on a registry the store no longer holds,
        // and put back what it lost. Refused until the follower has loaded
        // the registry as the store has it (at its next poll).
        let parted = if revision > head {
            Some(format!(
                "the store's head revision {head} is behind this replica's {revision}"
            ))
        } else if revision > 0 && self.applied_at(revision).is_some() {
            let stored = tx.committed_at(revision).await?;
            self.store_parted(revision, stored)
        } else {
            None
        };
        if let Some(why) = parted {
            tracing::error!(
                store_head = head,
                replica_revision = revision,
                "{why}; the store lost committed revisions: the write is refused until this \
                 replica has loaded the registry again as the store has it"
            );
            return Err(StoreError::Unavailable(format!(
                "{why}: the store lost committed revisions; this replica loads the registry \
                 again as the store has it, retry"
            )));
        }
        while snapshot.revision() < head {
            let events = tx
                .events_after(snapshot.revision(), 1024, CATCH_UP_BYTES)
                .await?;
            if events.is_empty() {
                return Err(StoreError::Internal(anyhow::anyhow!(
                    "the store reports head revision {head} but has no events after {}",
                    snapshot.revision()
                )));
            }
            let mut next = (*snapshot).clone();
            next.apply_all(&events);
            if let Some(last) = events.last() {
                self.note_applied(last.revision, last.time);
            }
            self.publish(next);
            snapshot = self.snapshot();
        }
        Ok(snapshot)
    }

    /// Publishes `next` unless a newer snapshot is already published.
    fn publish(&self, next: Snapshot) {
        let revision = next.revision();
        let next = Arc::new(next);
        self.current.rcu(|current| {
            if current.revision() >= revision {
                current.clone()
            } else {
                next.clone()
            }
        });
        let published = self.current.load();
        metrics::gauge!("marque_snapshot_revision").set(published.revision() as f64);
        report_layers(&published);
        self.revision_tx.send_if_modified(|published| {
            if *published < revision {
                *published = revision;
                true
            } else {
                false
            }
        });
    }
}

/// What `command`, an update with update mask `*`, would widen in the
/// resource as `snapshot` has it, without naming the field: classes or
/// regions emptied (every class, everywhere), an end or a date cleared,
/// a common-word flag turned off. Field violations, none for every other
/// command (and for a resource not there: the command says so).
fn widenings(snapshot: &Snapshot, command: &Command) -> Vec<(String, String)> {
    match command {
        Command::UpdateBrand { id, patch, .. } => snapshot
            .brand(id.as_str())
            .map(|brand| patch.widenings(brand)),
        Command::UpdateTrademark {
            brand, id, patch, ..
        } => snapshot
            .trademark(brand, id)
            .map(|trademark| patch.widenings(trademark)),
        Command::UpdateAuthorization {
            brand, id, patch, ..
        } => snapshot
            .authorization(brand, id)
            .map(|authorization| patch.widenings(&authorization)),
        _ => None,
    }
    .unwrap_or_default()
}

/// Reports how far `snapshot` is from its compact structures: brands
/// changed since the detection index's base was built, authorization
/// changes not yet folded into the compact table.
fn report_layers(snapshot: &Snapshot) {
    let changed = snapshot.detection().map_or(0, |d| d.overlay_size().1);
    metrics::gauge!("marque_detection_overlay_brands").set(changed as f64);
    metrics::gauge!("marque_authorization_overlay_changes")
        .set(snapshot.authorization_changes_pending() as f64);
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_trait::async_trait;

    use super::*;
    use crate::model::MemberKind;
    use crate::store::{AuditQuery, MemoryStore};

    fn create_member(id: &str) -> Command {
        Command::CreateMember {
            id: id.parse().expect("slug"),
            display_name: format!("Member {id}"),
            kind: MemberKind::BrandOwner,
        }
    }

    async fn loaded(store: Arc<dyn Store>) -> Registry {
        let registry = Registry::new(store, Duration::from_secs(1));
        registry.load().await.expect("load");
        registry
    }

    async fn write(registry: &Registry, id: &str) -> Result<Committed, RegistryError> {
        registry
            .write(Actor::System, WriteMeta::default(), &[create_member(id)])
            .await
    }

    /// A request id recorded by a version that took fingerprints over the
    /// request as sent only answers a retry sent as first written; one
    /// recorded now holds both fingerprints, so that a retry in another
    /// spelling matches here, and a retry as first written also matches on a
    /// replica of that version (which compares `request_fingerprint` alone)
    /// during a rolling upgrade. Another request under the id is refused.
    #[tokio::test]
    async fn a_request_id_answers_retries_as_sent_and_as_read() {
        let store = Arc::new(MemoryStore::new());
        let registry = loaded(store.clone()).await;
        let meta = |id: &str, read: Option<u8>, sent: u8| WriteMeta {
            request_id: Some(id.into()),
            fingerprint: read.map(|r| [r; 32]),
            fingerprint_as_sent: Some([sent; 32]),
            only_if_empty: false,
        };
        let replayed = |result: Result<Committed, RegistryError>, revision: Revision| {
            let committed = result.expect("a retry");
            assert!(committed.replayed);
            assert_eq!(committed.revision, revision);
        };
        let refused = |result: Result<Committed, RegistryError>| {
            let error = result.expect_err("another request");
            assert!(
                matches!(error, RegistryError::RequestIdReused(_)),
                "{error:?}"
            );
        };
        // As the earlier version recorded it: the fingerprint as sent only.
        let old = registry
            .write(
                Actor::System,
                meta("r-1", None, 1),
                &[create_member("first")],
            )
            .await
            .expect("first write")
            .revision;
        let first = &[create_member("first")];
        replayed(
            registry
                .write(Actor::System, meta("r-1", Some(2), 1), first)
                .await,
            old,
        );
        refused(
            registry
                .write(Actor::System, meta("r-1", Some(2), 3), first)
                .await,
        );
        // As recorded now: both.
        let second = &[create_member("second")];
        let now = registry
            .write(Actor::System, meta("r-2", Some(5), 6), second)
            .await
            .expect("second write")
            .revision;
        replayed(
            registry
                .write(Actor::System, meta("r-2", Some(5), 7), second)
                .await,
            now,
        );
        replayed(
            registry
                .write(Actor::System, meta("r-2", Some(8), 6), second)
                .await,
            now,
        );
        refused(
            registry
                .write(Actor::System, meta("r-2", Some(8), 9), second)
                .await,
        );
        let mut tx = store.begin().await.expect("begin");
        let recorded = tx
            .find_request(&Actor::System, "r-2")
            .await
            .expect("find")
            .expect("recorded");
        assert_eq!(recorded.request_fingerprint, Some([6; 32]));
        assert_eq!(recorded.request_fingerprint_as_read, Some([5; 32]));
        assert_eq!(registry.snapshot().revision(), now);
    }

    /// An event encoded by a version without fingerprints as read decodes,
    /// and one without a fingerprint as read encodes as that version did:
    /// replicas of both versions read each other's events.
    #[test]
    fn events_encode_the_fingerprint_as_read_only_when_taken() {
        let event = ChangeEvent {
            revision: 1,
            time: time::OffsetDateTime::UNIX_EPOCH,
            actor: Actor::System,
            request_id: Some("r-1".into()),
            request_fingerprint: Some([1; 32]),
            request_fingerprint_as_read: None,
            changes: Vec::new(),
        };
        let encoded = serde_json::to_value(&event).expect("encode");
        assert!(
            encoded.get("request_fingerprint_as_read").is_none(),
            "{encoded}"
        );
        let decoded: ChangeEvent = serde_json::from_value(encoded).expect("decode");
        assert_eq!(decoded, event);
        let both = ChangeEvent {
            request_fingerprint_as_read: Some([2; 32]),
            ..event
        };
        let decoded: ChangeEvent =
            serde_json::from_value(serde_json::to_value(&both).expect("encode")).expect("decode");
        assert_eq!(decoded, both);
    }

    #[tokio::test]
    async fn a_writer_behind_the_head_catches_up_through_its_own_transaction() {
        // An event the published snapshot does not have: another replica's,
        // or that of a call cancelled between its commit and its publish.
        let store = Arc::new(MemoryStore::new());
        let registry = loaded(store.clone()).await;
        let mut unpublished = Snapshot::default();
        let now = time::OffsetDateTime::now_utc();
        let changes = unpublished
            .execute(&create_member("elsewhere"), 1, now)
            .expect("plan");
        let tx = store.begin().await.expect("begin");
        tx.commit(ChangeEvent {
            revision: 1,
            time: now,
            actor: Actor::System,
            request_id: None,
            request_fingerprint: None,
            request_fingerprint_as_read: None,
            changes,
        })
        .await
        .expect("commit");
        // The next write reads it under the lock it holds; it had read it
        // through the store, whose lock (in memory) it was holding.
        let committed = tokio::time::timeout(Duration::from_secs(10), write(&registry, "here"))
            .await
            .expect("the write does not wait for its own lock")
            .expect("the write commits");
        assert_eq!(committed.revision, 2);
        let snapshot = registry.snapshot();
        assert_eq!(snapshot.revision(), 2);
        assert!(snapshot.member("elsewhere").is_some() && snapshot.member("here").is_some());
    }

    /// A memory store that counts the writers inside `begin` or holding a
    /// transaction: each holds (or waits for) a database connection in
    /// PostgreSQL. While `down`, its change feed cannot be read.
    #[derive(Default)]
    struct Counting {
        inner: MemoryStore,
        writers: Arc<AtomicUsize>,
        most: Arc<AtomicUsize>,
        down: Arc<std::sync::atomic::AtomicBool>,
        /// Answers reads, refuses writes (a read-only database).
        read_only: Arc<std::sync::atomic::AtomicBool>,
        /// Reads of the committed head, and of the change history.
        heads: Arc<AtomicUsize>,
        histories: Arc<AtomicUsize>,
    }

    struct CountedTx {
        inner: Box<dyn WriteTx>,
        held: Held,
    }

    /// One writer counted, until dropped.
    struct Held(Arc<AtomicUsize>);

    impl Drop for Held {
        fn drop(&mut self) {
            self.0.fetch_sub(1, Ordering::SeqCst);
        }
    }

    #[async_trait]
    impl WriteTx for CountedTx {
        fn head(&self) -> Revision {
            self.inner.head()
        }

        async fn find_request(
            &mut self,
            actor: &Actor,
            request_id: &str,
        ) -> Result<Option<ChangeEvent>, StoreError> {
            self.inner.find_request(actor, request_id).await
        }

        async fn events_after(
            &mut self,
            after: Revision,
            limit: usize,
            max_bytes: usize,
        ) -> Result<Vec<ChangeEvent>, StoreError> {
            self.inner.events_after(after, limit, max_bytes).await
        }

        async fn committed_at(
            &mut self,
            revision: Revision,
        ) -> Result<Option<crate::model::Timestamp>, StoreError> {
            self.inner.committed_at(revision).await
        }

        async fn commit(self: Box<Self>, event: ChangeEvent) -> Result<(), StoreError> {
            let CountedTx { inner, held } = *self;
            let committed = inner.commit(event).await;
            drop(held);
            // The store's lock is free before the registry publishes, as a
            // PostgreSQL commit returns its connection: another writer may
            // take it now.
            tokio::task::yield_now().await;
            committed
        }
    }

    #[async_trait]
    impl Store for Counting {
        fn kind(&self) -> &'static str {
            "counting"
        }
        fn durable(&self) -> bool {
            false
        }
        async fn load(&self) -> Result<Snapshot, StoreError> {
            self.inner.load().await
        }
        async fn events_after(
            &self,
            after: Revision,
            limit: usize,
            max_bytes: usize,
        ) -> Result<Vec<ChangeEvent>, StoreError> {
            if self.down.load(Ordering::SeqCst) {
                return Err(StoreError::Unavailable("the store is down".into()));
            }
            self.histories.fetch_add(1, Ordering::SeqCst);
            self.inner.events_after(after, limit, max_bytes).await
        }
        async fn committed_head(&self) -> Result<Revision, StoreError> {
            self.heads.fetch_add(1, Ordering::SeqCst);
            self.inner.committed_head().await
        }
        async fn committed_at(
            &self,
            revision: Revision,
        ) -> Result<Option<crate::model::Timestamp>, StoreError> {
            if self.down.load(Ordering::SeqCst) {
                return Err(StoreError::Unavailable("the store is down".into()));
            }
            self.inner.committed_at(revision).await
        }
        async fn page_token_secret(&self) -> Result<[u8; 32], StoreError> {
            self.inner.page_token_secret().await
        }
        async fn audit(&self, query: &AuditQuery) -> Result<Vec<ChangeEvent>, StoreError> {
            self.inner.audit(query).await
        }
        async fn writable(&self) -> Result<(), StoreError> {
            if self.read_only.load(Ordering::SeqCst) {
                return Err(StoreError::Unavailable("the store is read-only".into()));
            }
            Ok(())
        }
        async fn begin(&self) -> Result<Box<dyn WriteTx>, StoreError> {
            if self.down.load(Ordering::SeqCst) || self.read_only.load(Ordering::SeqCst) {
                return Err(StoreError::Unavailable("the store takes no writes".into()));
            }
            let now = self.writers.fetch_add(1, Ordering::SeqCst) + 1;
            self.most.fetch_max(now, Ordering::SeqCst);
            let held = Held(self.writers.clone());
            let inner = self.inner.begin().await?;
            Ok(Box::new(CountedTx { inner, held }))
        }
    }

    /// Two replicas over one store that counts its reads: `registry`, the
    /// one whose catch-ups are measured, and `other`, which writes what it
    /// should find.
    struct CatchingUp {
        /// The replica whose catch-ups are counted.
        registry: Arc<Registry>,
        /// Another replica, writing to the same store.
        other: Registry,
        /// The store both replicas share.
        store: Arc<Counting>,
    }

    impl CatchingUp {
        async fn new() -> Self {
            let store = Arc::new(Counting::default());
            Self {
                registry: Arc::new(loaded(store.clone()).await),
                other: loaded(store.clone()).await,
                store,
            }
        }
    }

    impl Counting {
        /// The store's reads so far: of the committed head, and of the
        /// change history.
        fn reads(&self) -> (usize, usize) {
            (
                self.heads.load(Ordering::SeqCst),
                self.histories.load(Ordering::SeqCst),
            )
        }
    }

    /// Calls with an API key the snapshot does not know catch up with the
    /// store, at a pace: a flood at once makes one read of the head, which
    /// all of them wait for, and no read of the history when no other
    /// replica wrote; a call sooner than the pace after it makes none; once
    /// the pace has passed, a call reads the head again, and applies what
    /// another replica wrote.
    #[tokio::test(start_paused = true)]
    async fn unknown_keys_catch_up_one_at_a_time_and_at_a_pace() {
        let CatchingUp {
            registry,
            other,
            store,
        } = CatchingUp::new().await;
        let before = store.reads();
        futures_util::future::join_all((0..100).map(|_| registry.catch_up_for_unknown_key())).await;
        assert_eq!(
            store.reads(),
            (before.0 + 1, before.1),
            "one head read, no history"
        );
        registry.catch_up_for_unknown_key().await;
        assert_eq!(
            store.reads(),
            (before.0 + 1, before.1),
            "none sooner than the pace"
        );

        write(&other, "member-elsewhere")
            .await
            .expect("written elsewhere");
        assert!(registry.snapshot().revision() < other.snapshot().revision());
        tokio::time::advance(CATCH_UP_EVERY).await;
        let before = store.reads();
        registry.catch_up_for_unknown_key().await;
        let after = store.reads();
        assert_eq!(after.0, before.0 + 1, "one head read");
        assert!(after.1 > before.1, "the history read");
        assert_eq!(registry.snapshot().revision(), other.snapshot().revision());
        assert!(registry.snapshot().member("member-elsewhere").is_some());
    }

    /// Calls naming what the snapshot does not know (a brand, a platform)
    /// catch up at the pace unknown keys do, and at the same pace: a flood
    /// at once makes one catch-up and shares the next, which begins after
    /// they arrived and so finds what another replica wrote just before;
    /// a key's catch-up counts toward the pace too. Without the pace, each
    /// call would read the store's history.
    #[tokio::test(start_paused = true)]
    async fn unknown_names_catch_up_at_the_pace_and_find_what_was_just_written() {
        let CatchingUp {
            registry,
            other,
            store,
        } = CatchingUp::new().await;
        let (before, begun) = (store.reads(), registry.paced_catch_ups());
        let answers =
            futures_util::future::join_all((0..100).map(|_| registry.catch_up_for_unknown_name()))
                .await;
        assert!(answers.iter().all(Result::is_ok));
        assert_eq!(
            (registry.paced_catch_ups() - begun, store.reads()),
            (2, (before.0 + 2, before.1)),
            "one begun by the first call, one shared by the 99 others; no history"
        );

        // Written elsewhere just before the call: found, by the next
        // catch-up at the pace, whatever began just before.
        write(&other, "member-elsewhere")
            .await
            .expect("written elsewhere");
        let snapshot = registry
            .catch_up_for_unknown_name()
            .await
            .expect("caught up");
        assert!(snapshot.member("member-elsewhere").is_some());
        assert!(store.reads().1 > before.1, "the history read");
        assert_eq!(registry.paced_catch_ups() - begun, 3);

        // Keys and names share the pace: a key's catch-up just begun, a
        // name's call waits for the next, which begins at the pace.
        tokio::time::advance(CATCH_UP_EVERY).await;
        let began = registry.paced_catch_ups();
        let (_, name) = tokio::join!(
            registry.catch_up_for_unknown_key(),
            registry.catch_up_for_unknown_name()
        );
        name.expect("caught up");
        registry.catch_up_for_unknown_key().await;
        assert_eq!(
            registry.paced_catch_ups() - began,
            2,
            "one for the key, one for the name; none for the key sooner than the pace"
        );
    }

    /// A registry never loaded has a store that answers nothing, as far
    /// as health and its gauges go (it read Up, and the gauges were not
    /// set, until a load and the follower's first poll); its first load
    /// records whether the store takes writes, with no follower.
    #[tokio::test]
    async fn the_store_is_down_until_the_first_load_says_what_it_answers() {
        for (read_only, want) in [(false, StoreHealth::Up), (true, StoreHealth::ReadsOnly)] {
            let store = Arc::new(Counting::default());
            store.read_only.store(read_only, Ordering::SeqCst);
            let registry = Registry::new(store, Duration::from_secs(1));
            assert_eq!(*registry.store_health().borrow(), StoreHealth::Down);
            registry.load().await.expect("load");
            assert_eq!(
                *registry.store_health().borrow(),
                want,
                "read-only: {read_only}"
            );
        }
    }

    /// The change feed's reader says when it cannot follow the store, and
    /// when it follows it again.
    #[tokio::test]
    async fn the_log_says_when_the_store_goes_and_when_it_answers_again() {
        let log = crate::telemetry::Captured::start();
        let store = Arc::new(Counting::default());
        let down = store.down.clone();
        let registry = Arc::new(loaded(store).await);
        let mut health = registry.store_health();
        let follower = tokio::spawn(registry.clone().follow(Duration::from_millis(10)));
        for (going, want) in [(true, StoreHealth::Down), (false, StoreHealth::Up)] {
            down.store(going, Ordering::SeqCst);
            tokio::time::timeout(Duration::from_secs(10), health.wait_for(|now| *now == want))
                .await
                .expect("the follower sees it")
                .expect("health");
        }
        follower.abort();
        let lines = log.lines();
        let at = |text: &str| lines.iter().position(|line| line.contains(text));
        let (gone, back) = (
            at("cannot follow the change feed; serving the last snapshot"),
            at("following the change feed again; the store answers"),
        );
        assert!(gone.is_some() && back > gone, "{lines:#?}");
    }

    /// A store that answers reads but refuses writes (a read-only
    /// database) is down for writes only: its readers (Watch, audit) stay
    /// up, a refused write does not take them down with it, and a store
    /// that answers nothing is down for both, a refused write leaving it
    /// so; all comes back when the store does.
    #[tokio::test]
    async fn a_store_that_refuses_writes_is_still_up_for_reads() {
        // Its follower logs at the callsites the test above reads: with a
        // subscriber of its own here, a callsite first reached on this
        // thread is not cached as of interest to no one while the other
        // test's subscriber is being registered (tracing caches a
        // callsite's interest across threads).
        let _log = crate::telemetry::Captured::start();
        let store = Arc::new(Counting::default());
        let (down, read_only) = (store.down.clone(), store.read_only.clone());
        let registry = Arc::new(loaded(store).await);
        let follower = tokio::spawn(registry.clone().follow(Duration::from_millis(10)));
        let becomes = async |want: StoreHealth| {
            let mut health = registry.store_health();
            tokio::time::timeout(Duration::from_secs(10), health.wait_for(|now| *now == want))
                .await
                .expect("the follower sees it")
                .expect("health");
        };

        read_only.store(true, Ordering::SeqCst);
        becomes(StoreHealth::ReadsOnly).await;
        assert!(!StoreHealth::ReadsOnly.writes() && StoreHealth::ReadsOnly.reads());
        assert!(matches!(
            write(&registry, "refused").await,
            Err(RegistryError::Store(StoreError::Unavailable(_)))
        ));
        assert_eq!(*registry.store_health().borrow(), StoreHealth::ReadsOnly);

        down.store(true, Ordering::SeqCst);
        becomes(StoreHealth::Down).await;
        assert!(write(&registry, "refused-too").await.is_err());
        assert_eq!(
            *registry.store_health().borrow(),
            StoreHealth::Down,
            "a refused write does not bring the readers up"
        );

        down.store(false, Ordering::SeqCst);
        becomes(StoreHealth::ReadsOnly).await;
        read_only.store(false, Ordering::SeqCst);
        becomes(StoreHealth::Up).await;
        follower.abort();
        assert_eq!(
            write(&registry, "taken")
                .await
                .expect("writes resume")
                .revision,
            1,
            "the refused writes wrote nothing"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_replicas_writers_queue_before_the_store_one_at_a_time() {
        let store = Arc::new(Counting::default());
        let most = store.most.clone();
        let registry = Arc::new(loaded(store).await);
        let writes: Vec<_> = (0..32)
            .map(|i| {
                let registry = registry.clone();
                tokio::spawn(async move { write(&registry, &format!("member-{i}")).await })
            })
            .collect();
        let mut revisions = Vec::new();
        for w in writes {
            let written = tokio::time::timeout(Duration::from_secs(10), w)
                .await
                .expect("no write hangs");
            revisions.push(written.expect("task").expect("write").revision);
        }
        revisions.sort_unstable();
        assert_eq!(revisions, (1..=32).collect::<Vec<_>>());
        assert_eq!(registry.snapshot().revision(), 32);
        assert_eq!(
            most.load(Ordering::SeqCst),
            1,
            "one writer at a time asks the store for its lock"
        );
    }
}
