//! Where the registry is kept. A [`Store`] serializes writes, gives each one the
//! next gap-free revision, and keeps the change events that replicas apply to
//! their snapshots.
//!
//! The write protocol ([`Store::begin`] → [`WriteTx::find_request`] →
//! [`WriteTx::commit`]) lets the caller evaluate a command against a snapshot at
//! exactly the head revision while the store holds its write lock, so the same
//! domain logic (in [`crate::snapshot`]) serves every store.

use async_trait::async_trait;

use crate::{
    model::{Actor, ChangeEvent, Revision, Timestamp},
    snapshot::Snapshot,
};

pub mod memory;
pub mod postgres;

pub use memory::MemoryStore;

pub use postgres::{PostgresSettings, PostgresStore};

/// Store failures. Callers answer UNAVAILABLE for [`StoreError::Unavailable`]
/// and INTERNAL (saying nothing more) for the rest; logs carry the cause.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store cannot be reached now; retrying later may work.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The store holds something it cannot read back, or broke an invariant.
    #[error("store failure: {0}")]
    Internal(#[from] anyhow::Error),
}

/// A store that cannot serve until an operator mends it (PostgreSQL: a
/// migration history it cannot read): trying again would not help, so
/// `marque serve` stops with it, as `marque migrate` does, rather than try
/// again for ever. Its text is the whole message.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct NeedsRepair(pub String);

/// Whether `error` is, or was caused by, a store that [`NeedsRepair`].
pub fn needs_repair(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| cause.is::<NeedsRepair>())
}

/// Which events an audit listing wants, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Only events touching one of these brands; `None` for all events.
    pub brands: Option<Vec<String>>,
    /// With `brands`, also events that touch no brand written by this
    /// member (among them its writes that changed nothing, recorded for
    /// their request id, which are its to see).
    pub unbranded_by: Option<String>,
    /// Only events by this actor (`system` or a member id).
    pub actor: Option<String>,
    /// Only events before this revision (the page token).
    pub before: Option<Revision>,
    /// At most this many.
    pub limit: usize,
    /// And no more events than fit in this many bytes of stored size (see
    /// [`Store::events_after`]); always at least one event when one matches.
    pub max_bytes: usize,
}

impl AuditQuery {
    /// Whether `event` matches (for stores that filter in memory).
    pub fn matches(&self, event: &ChangeEvent) -> bool {
        self.before.is_none_or(|before| event.revision < before)
            && self
                .actor
                .as_deref()
                .is_none_or(|actor| event.actor.member_str() == actor)
            && self.brands.as_ref().is_none_or(|brands| {
                fn brand(change: &crate::model::Change) -> Option<&str> {
                    change
                        .after
                        .as_ref()
                        .or(change.before.as_ref())
                        .and_then(|r| r.brand())
                        .map(|b| b.as_str())
                }
                event
                    .changes
                    .iter()
                    .any(|change| brand(change).is_some_and(|b| brands.iter().any(|x| x == b)))
                    || (self.unbranded_by.as_deref() == Some(event.actor.member_str())
                        && event.changes.iter().all(|change| brand(change).is_none()))
            })
    }
}

/// Roughly how many bytes `event` takes encoded in the change log: for
/// stores that keep events as values and bound reads by size without
/// encoding them.
pub fn estimated_size(event: &ChangeEvent) -> usize {
    /// The revision, time, actor and request id, and a margin.
    const HEADER: usize = 256;
    /// One resource state (an authorization encodes to about 300 bytes).
    const STATE: usize = 384;
    HEADER
        + event
            .changes
            .iter()
            .map(|c| STATE * (usize::from(c.before.is_some()) + usize::from(c.after.is_some())))
            .sum::<usize>()
}

/// The leading items of `items` whose sizes add up to at most `max_bytes`,
/// and always the first.
pub(crate) fn take_within<T>(
    items: impl Iterator<Item = T>,
    max_bytes: usize,
    size: impl Fn(&T) -> usize,
) -> Vec<T> {
    let mut total = 0usize;
    let mut taken = Vec::new();
    for item in items {
        total = total.saturating_add(size(&item));
        if !taken.is_empty() && total > max_bytes {
            break;
        }
        taken.push(item);
    }
    taken
}

/// A store operation, as [`Store`] and [`WriteTx`] name their calls: what
/// the database refused ([`Store::refused`]), and what needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    /// [`Store::load`].
    Load,
    /// [`Store::events_after`] and [`WriteTx::events_after`].
    EventsAfter,
    /// [`Store::committed_head`].
    CommittedHead,
    /// [`Store::committed_at`] and [`WriteTx::committed_at`].
    CommittedAt,
    /// [`Store::page_token_secret`].
    PageTokenSecret,
    /// [`Store::audit`].
    Audit,
    /// [`Store::begin`].
    Begin,
    /// [`WriteTx::find_request`].
    FindRequest,
    /// [`WriteTx::commit`].
    Commit,
    /// [`Store::writable`].
    Writable,
}

impl Operation {
    /// Every operation.
    pub const ALL: [Operation; 10] = [
        Operation::Load,
        Operation::EventsAfter,
        Operation::CommittedHead,
        Operation::CommittedAt,
        Operation::PageTokenSecret,
        Operation::Audit,
        Operation::Begin,
        Operation::FindRequest,
        Operation::Commit,
        Operation::Writable,
    ];

    /// Its name in logs and metrics (`commit`, `events_after`, …).
    pub fn name(self) -> &'static str {
        match self {
            Operation::Load => "load",
            Operation::EventsAfter => "events_after",
            Operation::CommittedHead => "committed_head",
            Operation::CommittedAt => "committed_at",
            Operation::PageTokenSecret => "page_token_secret",
            Operation::Audit => "audit",
            Operation::Begin => "begin",
            Operation::FindRequest => "find_request",
            Operation::Commit => "commit",
            Operation::Writable => "writable",
        }
    }

    /// What needs it: writes (RegistryService), audit listings
    /// (AuditService), or the reads every service that answers from the
    /// store makes (the change history, the committed head, the registry
    /// loaded again).
    pub fn need(self) -> Need {
        match self {
            Operation::Begin | Operation::FindRequest | Operation::Commit | Operation::Writable => {
                Need::Writes
            }
            Operation::Audit => Need::Audit,
            Operation::Load
            | Operation::EventsAfter
            | Operation::CommittedHead
            | Operation::CommittedAt
            | Operation::PageTokenSecret => Need::Reads,
        }
    }
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a store [`Operation`] serves, for health.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Need {
    /// Writes: RegistryService.
    Writes,
    /// Audit listings: AuditService.
    Audit,
    /// Reads of the store's history and head: WatchService, AuditService
    /// and RegistryService (a `min_revision`, a write catching up).
    Reads,
}

/// A registry store.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// A short name for logs and health (`memory`, `postgres`).
    fn kind(&self) -> &'static str;

    /// Whether the store keeps the registry across restarts.
    fn durable(&self) -> bool;

    /// Sets the store's own gauges (a connection pool's) to what they are
    /// now; called before the metrics are rendered.
    fn record_gauges(&self) {}

    /// Loads the whole registry at one consistent revision.
    ///
    /// # Errors
    /// When the store cannot be read.
    async fn load(&self) -> Result<Snapshot, StoreError>;

    /// The change events after revision `after`, in revision order, at most
    /// `limit` of them, and no more than fit in `max_bytes` of stored size:
    /// the store stops before the event that would take the total past it,
    /// but always returns the first event. One event can be large (a bulk
    /// import writes up to 100,000 changes in one revision), so readers bound
    /// what one read holds by size as well as by count. The stored size is
    /// the event's encoded length in PostgreSQL, and an estimate of it
    /// ([`estimated_size`]) in stores that keep events as values.
    ///
    /// # Errors
    /// When the store cannot be read.
    async fn events_after(
        &self,
        after: Revision,
        limit: usize,
        max_bytes: usize,
    ) -> Result<Vec<ChangeEvent>, StoreError>;

    /// The latest committed revision (0 for an empty registry): one small
    /// read, for a caller that only asks whether a revision exists.
    ///
    /// # Errors
    /// When the store cannot be read.
    async fn committed_head(&self) -> Result<Revision, StoreError>;

    /// When the event at `revision` was committed, to the microsecond;
    /// `None` when the store has none (a revision past its head). A
    /// replica compares it with the event it applied there, to tell that
    /// the store lost committed revisions and made others under their
    /// numbers (a restore from a backup, then writes).
    ///
    /// # Errors
    /// When the store cannot be read.
    async fn committed_at(&self, revision: Revision) -> Result<Option<Timestamp>, StoreError>;

    /// Change events for an audit listing, newest first.
    ///
    /// # Errors
    /// When the store cannot be read.
    async fn audit(&self, query: &AuditQuery) -> Result<Vec<ChangeEvent>, StoreError>;

    /// Starts a write: holds the store's write lock (so writes are
    /// serialized and revisions gap-free) until the transaction is committed
    /// or dropped.
    ///
    /// # Errors
    /// When the store cannot be reached.
    async fn begin(&self) -> Result<Box<dyn WriteTx>, StoreError>;

    /// The secret that page tokens are sealed under
    /// ([`crate::api::page_token`]): drawn at random the first time it is
    /// asked for and kept by the store, so every replica of one registry
    /// seals and opens tokens alike, across restarts.
    ///
    /// # Errors
    /// When the store cannot be read or written.
    async fn page_token_secret(&self) -> Result<[u8; 32], StoreError>;

    /// Makes the store ready to serve: applies (`migrate`) or verifies the
    /// schema. The default has nothing to do.
    ///
    /// # Errors
    /// When the store cannot be reached or its schema is not this binary's.
    async fn prepare(&self, migrate: bool) -> anyhow::Result<()> {
        let _ = migrate;
        Ok(())
    }

    /// Whether the store takes writes: a read-only store (PostgreSQL: a
    /// failover's old primary or a standby, `default_transaction_read_only`,
    /// seen by a write refused with `25006 read_only_sql_transaction` or
    /// asked) still answers reads, so the change feed's follower asks this
    /// after each read it makes, and reports the store as taking reads only
    /// while it says no (RegistryService NOT_SERVING; WatchService and
    /// AuditService, which only read, SERVING). PostgreSQL asks one pooled
    /// session, or, once the store was found read-only, a connection of its
    /// own. The default (a store never read-only) says yes.
    ///
    /// It is also where refused operations are tried again
    /// ([`Store::refused`]): a store whose statements the database refused
    /// tries each of them again here, without writing anything, so that the
    /// follower's poll learns they are answered again with no call needing
    /// them, and says no while a write's operation is still refused.
    ///
    /// # Errors
    /// UNAVAILABLE while the store is read-only, refuses a write's
    /// statements, or cannot be asked.
    async fn writable(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// The record of what the store's outage has said at ERROR (a refusal
    /// no retry mends, [`postgres::Outage`]), which the server's start
    /// says its own refusals in, so that one refusal met by the start and
    /// by the store's connections or statements is said once. The default
    /// (a store that is never refused) is a record of its own.
    fn outage(&self) -> postgres::Outage {
        postgres::Outage::default()
    }

    /// The operations whose statements the database refuses now, with a
    /// SQLSTATE no retry mends (a privilege revoked while the server
    /// serves, a table or column dropped: [`postgres::operator_needed`]),
    /// announced as they change: an operation is refused from the first
    /// refusal until one of its statements' next tries is answered (its
    /// own call, or [`Store::writable`]'s re-try of it), never because
    /// another operation was. Health keeps the services that need one
    /// NOT_SERVING meanwhile ([`Operation::need`]). The default (a store
    /// that is never refused) announces none, ever.
    fn refused(&self) -> tokio::sync::watch::Receiver<Vec<Operation>> {
        tokio::sync::watch::channel(Vec::new()).1
    }

    /// Starts sending a wake-up on `wake` whenever another writer may have
    /// committed (PostgreSQL: LISTEN/NOTIFY on a dedicated connection). The
    /// registry also polls, so a lost wake-up only delays. The default does
    /// nothing: an embedded store has no other writers.
    fn start_feed(&self, wake: tokio::sync::mpsc::Sender<()>) {
        drop(wake);
    }
}

/// The waits between attempts to reach a store that is not there yet
/// (`marque serve` loading the registry, `marque migrate`): 200 ms at
/// first, doubling up to 10 s.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: std::time::Duration,
}

impl Backoff {
    /// The longest wait between two attempts.
    pub const MAX: std::time::Duration = std::time::Duration::from_secs(10);

    /// Waits starting at 200 ms.
    pub fn new() -> Self {
        Self {
            next: std::time::Duration::from_millis(200),
        }
    }

    /// The wait before the next attempt.
    pub fn next_wait(&mut self) -> std::time::Duration {
        let wait = self.next;
        self.next = (self.next * 2).min(Self::MAX);
        wait
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new()
    }
}

/// A write in progress, holding the store's write lock.
#[async_trait]
pub trait WriteTx: Send {
    /// The latest committed revision; the write will commit `head() + 1`.
    fn head(&self) -> Revision;

    /// The event an earlier write by the same member with this request id
    /// produced, if there was one.
    ///
    /// # Errors
    /// When the store cannot be read.
    async fn find_request(
        &mut self,
        actor: &Actor,
        request_id: &str,
    ) -> Result<Option<ChangeEvent>, StoreError>;

    /// The committed events after revision `after`, oldest first, as
    /// [`Store::events_after`] reads them, through this transaction: the
    /// writer that holds the lock catches up without a second connection
    /// (or, in memory, without taking the lock it holds).
    ///
    /// # Errors
    /// When the store cannot be read.
    async fn events_after(
        &mut self,
        after: Revision,
        limit: usize,
        max_bytes: usize,
    ) -> Result<Vec<ChangeEvent>, StoreError>;

    /// [`Store::committed_at`], through this transaction.
    ///
    /// # Errors
    /// When the store cannot be read.
    async fn committed_at(&mut self, revision: Revision) -> Result<Option<Timestamp>, StoreError>;

    /// Appends `event` (whose revision must be `head() + 1`), applies it, and
    /// releases the lock. Nothing is written if this fails.
    ///
    /// # Errors
    /// When the store cannot be written; the write then did not happen.
    async fn commit(self: Box<Self>, event: ChangeEvent) -> Result<(), StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_up_to_its_most() {
        let mut backoff = Backoff::new();
        let waits: Vec<u64> = (0..9)
            .map(|_| backoff.next_wait().as_millis() as u64)
            .collect();
        assert_eq!(
            waits,
            [200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000]
        );
    }

    #[test]
    fn a_bounded_read_stops_before_the_bound_and_holds_at_least_one() {
        let sizes = [5, 3, 4, 1];
        let within = |max| take_within(sizes.iter().copied(), max, |s| *s);
        assert_eq!(within(0), [5], "the first, however large");
        assert_eq!(within(7), [5]);
        assert_eq!(within(8), [5, 3]);
        assert_eq!(within(12), [5, 3, 4]);
        assert_eq!(within(usize::MAX), sizes);
    }
}
