//! `marque.v1.WatchService` and `marque.v1.AuditService`: the change feed and
//! the audit trail, each caller seeing only what [`crate::auth`] lets it see.

use std::{collections::HashSet, sync::Arc, time::Duration};

use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use super::{
    ApiError, ApiResult, MemberSlots, caller, convert, page_size, parse_brand_name,
    parse_member_name, validate::Violations,
};
use crate::{
    auth::{self, AuditScope, Caller},
    model::{Actor, ChangeEvent, MAX_REVISION, Resource, Revision, Slug},
    pb::marque::v1::{
        self as pb, audit_service_server::AuditService, watch_service_server::WatchService,
    },
    registry::Registry,
    snapshot::Snapshot,
    store::AuditQuery,
};

/// Most events read from the store per round trip of a Watch stream.
const WATCH_BATCH: usize = 256;
/// Messages queued for one Watch stream before its reader waits for the
/// client: with parts of about 1 MiB, what a slow client costs the server.
const WATCH_QUEUE: usize = 4;
/// Watch streams one member may have open at once (RESOURCE_EXHAUSTED
/// beyond): each holds a read of the history and a queue of parts, and one
/// member's streams must not take the server's memory or the store's
/// connections from the others.
pub const MAX_WATCH_STREAMS_PER_MEMBER: usize = 8;
/// Reads of the change history Watch streams make at once, all streams
/// together: the others wait, so that replays from an old revision never
/// hold the store connections writes and other reads need.
const WATCH_CONCURRENT_READS: usize = 4;
/// Most stored bytes of events one read of a Watch stream holds (always at
/// least one event): 256 bulk imports would be gigabytes.
const WATCH_READ_BYTES: usize = 8 << 20;
/// Most encoded bytes of one ListAuditEvents page (at least one part): under
/// the 4 MiB default receive limit of gRPC clients, with room for a few
/// parts of [`convert::MAX_PART_BYTES`].
const AUDIT_PAGE_BYTES: usize = 3 << 20;
/// Most stored bytes of events one store read of ListAuditEvents holds
/// (always at least one event).
const AUDIT_READ_BYTES: usize = 8 << 20;
/// Store reads ListAuditEvents makes at once, all calls together: the
/// others wait their turn, so that audit listings over a long history never
/// hold the store connections that writes and the change feed need (as
/// `WATCH_CONCURRENT_READS` does for Watch streams).
pub const AUDIT_CONCURRENT_READS: usize = 4;
/// Longest wait of a ListAuditEvents call for its turn to read the store:
/// a unary call, unlike a Watch stream, is answered RESOURCE_EXHAUSTED with
/// a retry delay then, rather than queued for as long as others read.
pub const AUDIT_READ_WAIT: Duration = Duration::from_secs(2);

/// The watch service.
pub struct WatchApi {
    /// Where events come from.
    registry: Arc<Registry>,
    /// Longest silence on an idle stream before a checkpoint.
    checkpoint_every: Duration,
    /// Turns true when the server starts draining: streams end, resumable.
    draining: watch::Receiver<bool>,
    /// Open streams per member ([`MAX_WATCH_STREAMS_PER_MEMBER`]).
    open: MemberSlots,
    /// Reads of the history, shared by the streams at one revision.
    reads: Arc<WatchReads>,
}

/// Reads of the change history for Watch streams: at most
/// [`WATCH_CONCURRENT_READS`] under way, and one read shared by every
/// stream that asks for the events after the same revision while it is
/// fresh. Streams at the head all wake at each write: without this, each
/// would read (and decode) the same events from the store, a query per
/// stream per write.
struct WatchReads {
    permits: tokio::sync::Semaphore,
    /// The latest reads, newest last ([`SHARED_WATCH_READS`]).
    recent: std::sync::Mutex<std::collections::VecDeque<SharedRead>>,
}

/// Reads of the history [`WatchReads`] keeps for streams to share.
const SHARED_WATCH_READS: usize = 4;
/// How long a read is shared: the streams a write wakes ask within
/// milliseconds of each other. A stream that asks later reads afresh, and
/// so sees what other replicas wrote that this one has not applied yet.
const SHARED_WATCH_READ_FOR: Duration = Duration::from_millis(500);

/// What one shared read gives every stream that shares it: the events, or
/// the store's failure (each stream reports it at once, none retries it in
/// turn).
type SharedEvents = Result<Arc<[ChangeEvent]>, Arc<crate::store::StoreError>>;

/// One read of the events after `after`, begun at `at` when the registry's
/// head was `head`: it holds every event up to `head` (at least as many as
/// a batch takes), so a stream that knows of no later revision may use it.
struct SharedRead {
    after: Revision,
    head: Revision,
    at: std::time::Instant,
    events: Arc<tokio::sync::OnceCell<SharedEvents>>,
}

impl WatchReads {
    fn new() -> Self {
        Self {
            permits: tokio::sync::Semaphore::new(WATCH_CONCURRENT_READS),
            recent: std::sync::Mutex::new(std::collections::VecDeque::new()),
        }
    }

    /// The events after `after` (a batch of them), for a stream that knows
    /// of revisions up to `head`: a read another stream made or is making
    /// of them, begun when the head was at least `head`, or a new one. A
    /// stream whose cursor is past the head this replica knows (a replica
    /// behind the store) always reads afresh. A read that fails is shared
    /// with the streams waiting on it, then forgotten.
    async fn events_after(
        &self,
        registry: &Registry,
        after: Revision,
        head: Revision,
    ) -> SharedEvents {
        let cell = {
            let mut recent = self.recent();
            // Reads past sharing are dropped here, at the next read: at
            // most [`SHARED_WATCH_READS`] are ever held.
            let now = std::time::Instant::now();
            recent.retain(|read| now.duration_since(read.at) < SHARED_WATCH_READ_FOR);
            let shared = recent
                .iter()
                .rev()
                .find(|read| head >= after && read.after == after && read.head >= head);
            match shared {
                Some(read) => read.events.clone(),
                None => {
                    if recent.len() == SHARED_WATCH_READS {
                        recent.pop_front();
                    }
                    let events = Arc::new(tokio::sync::OnceCell::new());
                    recent.push_back(SharedRead {
                        after,
                        head,
                        at: now,
                        events: events.clone(),
                    });
                    events
                }
            }
        };
        let read = cell
            .get_or_init(|| async {
                // Never fails: the semaphore is never closed.
                let _permit = self.permits.acquire().await;
                registry
                    .store()
                    .events_after(after, WATCH_BATCH, WATCH_READ_BYTES)
                    .await
                    .map(Arc::from)
                    .map_err(Arc::new)
            })
            .await
            .clone();
        if read.is_err() {
            self.recent()
                .retain(|shared| !Arc::ptr_eq(&shared.events, &cell));
        }
        read
    }

    fn recent(&self) -> std::sync::MutexGuard<'_, std::collections::VecDeque<SharedRead>> {
        self.recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl WatchApi {
    /// A watch service over `registry`.
    pub fn new(
        registry: Arc<Registry>,
        checkpoint_every: Duration,
        draining: watch::Receiver<bool>,
    ) -> Self {
        Self {
            registry,
            checkpoint_every,
            draining,
            open: MemberSlots::new(MAX_WATCH_STREAMS_PER_MEMBER),
            reads: Arc::new(WatchReads::new()),
        }
    }
}

/// How many resource kinds there are (`ResourceKind` without UNSPECIFIED):
/// the most entries a Watch `kinds` filter may have.
const RESOURCE_KINDS: usize = 6;
/// Most brands a Watch `brands` filter may name.
const MAX_WATCH_BRANDS: usize = 1000;

/// A set of resource kinds, one bit per kind (bit `n` for the kind
/// numbered `n`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct KindSet(u8);

impl KindSet {
    /// Adds `kind`; false if it was in the set already.
    fn insert(&mut self, kind: pb::ResourceKind) -> bool {
        let bit = 1u8 << (kind as u8);
        let new = self.0 & bit == 0;
        self.0 |= bit;
        new
    }

    /// Whether `kind` is in the set.
    fn contains(self, kind: pb::ResourceKind) -> bool {
        self.0 & (1u8 << (kind as u8)) != 0
    }

    fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// What one Watch stream asked to see.
struct WatchFilter {
    /// Who watches: what it may see.
    caller: Caller,
    /// Only these brands' resources; empty for all.
    brands: HashSet<Slug>,
    /// Only these kinds; empty for all.
    kinds: KindSet,
}

impl WatchFilter {
    /// Whether `event` revokes (or deletes) the API key the stream was
    /// opened with: the stream ends there, before the event, as every
    /// call with that key fails from the revocation's revision on.
    fn revokes_key(&self, event: &ChangeEvent) -> bool {
        event
            .changes
            .iter()
            .any(|change| match (&change.before, &change.after) {
                (Some(Resource::ApiKey(key)), after)
                    if Some(&key.id) == self.caller.key.as_ref() =>
                {
                    match after {
                        Some(Resource::ApiKey(after)) => after.revoke_time.is_some(),
                        _ => true,
                    }
                }
                _ => false,
            })
    }

    /// Whether the stream's key is revoked (or gone) in `snapshot`: the
    /// stream may have been opened on a replica that had not applied the
    /// revocation yet, from a revision after it.
    fn key_revoked_in(&self, snapshot: &Snapshot) -> bool {
        self.caller.key.as_ref().is_some_and(|key| {
            snapshot
                .api_key(key.as_str())
                .is_none_or(|key| key.revoke_time.is_some())
        })
    }

    fn keeps(&self, snapshot: &Snapshot, resource: &Resource) -> bool {
        auth::may_watch(&self.caller, resource, |brand| {
            snapshot.brand(brand.as_str()).map(|b| b.owner.clone())
        }) && (self.brands.is_empty() || resource.brand().is_some_and(|b| self.brands.contains(b)))
            && (self.kinds.is_empty() || self.kinds.contains(convert::resource_kind(resource)))
    }

    /// The part of `event` from `event.changes[from]` on, and where the
    /// next part starts (see [`convert::change_event_part`]).
    fn part(
        &self,
        snapshot: &Snapshot,
        event: &ChangeEvent,
        from: usize,
    ) -> Option<(pb::ChangeEvent, Option<usize>)> {
        // A revision that changed nothing (a write's request id recorded)
        // is the writer's and the operator's to see, on a stream that
        // filters nothing.
        let unchanged = self.brands.is_empty()
            && self.kinds.is_empty()
            && auth::may_see_how_written(&self.caller, &event.actor);
        let part = convert::change_event_part(
            event,
            from,
            convert::MAX_PART_BYTES,
            |resource| self.keeps(snapshot, resource),
            unchanged,
        );
        part.map(|(part, next)| (how_written(&self.caller, event, part), next))
    }
}

/// `part` of `event` as `caller` may see it: without the API key and the
/// request id of another member's write ([`auth::may_see_how_written`]).
fn how_written(caller: &Caller, event: &ChangeEvent, mut part: pb::ChangeEvent) -> pb::ChangeEvent {
    if !auth::may_see_how_written(caller, &event.actor) {
        part.api_key.clear();
        part.request_id.clear();
    }
    part
}

type Sender = mpsc::Sender<Result<pb::WatchResponse, Status>>;

/// Resolves once the server starts draining (at once if it has); never if
/// it no longer can.
async fn drained(draining: &mut watch::Receiver<bool>) {
    if draining.wait_for(|draining| *draining).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// What `future` gives, or `None` if the server starts draining first (at
/// once if it has): a Watch stream neither replays nor waits for a client
/// once the server drains.
async fn unless_draining<T>(
    draining: &mut watch::Receiver<bool>,
    future: impl std::future::Future<Output = T>,
) -> Option<T> {
    tokio::select! {
        biased;
        () = drained(draining) => None,
        output = future => Some(output),
    }
}

/// Why a Watch stream stopped sending.
enum Halt {
    /// The client went away.
    Gone,
    /// The server started draining.
    Draining,
}

impl Halt {
    /// The stream's last word, for a stream whose client may resume from
    /// `cursor`: none for a client that went away.
    fn last_word(self, cursor: Revision) -> Option<Status> {
        match self {
            Halt::Gone => None,
            Halt::Draining => Some(shutting_down(cursor)),
        }
    }
}

/// Sends `kind` to the client, waiting for room in its queue (a client that
/// reads slowly, or not at all), unless the server starts draining first.
async fn send(
    tx: &Sender,
    draining: &mut watch::Receiver<bool>,
    kind: pb::watch_response::Kind,
) -> Result<(), Halt> {
    let sent = unless_draining(
        draining,
        tx.send(Ok(pb::WatchResponse { kind: Some(kind) })),
    );
    match sent.await {
        Some(Ok(())) => Ok(()),
        Some(Err(_)) => Err(Halt::Gone),
        None => Err(Halt::Draining),
    }
}

/// The error that ends a Watch stream whose key was revoked at `revision`.
fn key_revoked(revision: Revision) -> Status {
    Status::unauthenticated(format!(
        "the API key of this stream was revoked at revision {revision}"
    ))
}

/// The error that ends a Watch stream when the server drains (the call
/// notes it: its line is no outage's).
fn shutting_down(cursor: Revision) -> Status {
    if let Some(call) = crate::auth::CallLog::current() {
        call.note_drained();
    }
    Status::unavailable(format!(
        "the server is shutting down; resume from revision {cursor}"
    ))
}

/// The error that ends a Watch stream the store failed, with where to
/// resume; the store's error goes to the log.
fn store_unavailable(error: &(dyn std::fmt::Display + Sync), cursor: Revision) -> Status {
    crate::auth::current_call_event!(
        tracing::Level::WARN,
        error = %error,
        "watch stream cut: store unavailable"
    );
    super::retry_later(
        tonic::Code::Unavailable,
        format!("the change feed is unavailable; resume from revision {cursor}"),
    )
}

/// Feeds one Watch stream until the client goes away, the store fails, the
/// server drains, or the stream's API key is revoked; returns the stream's
/// last word (none when the client went away). Draining ends it wherever
/// it is: waiting for the next change, replaying history, or waiting for
/// room in the queue of a client that reads slowly or not at all.
async fn feed(
    registry: Arc<Registry>,
    filter: WatchFilter,
    from: Revision,
    checkpoint_every: Duration,
    mut draining: watch::Receiver<bool>,
    reads: Arc<WatchReads>,
    tx: Sender,
) -> Option<Status> {
    let mut revisions = registry.revisions();
    // The last revision sent whole (every part of it): where the client
    // may resume.
    let mut cursor = from;
    let mut reported = from;
    // Whether the stream has said anything yet: one that starts where the
    // registry is, or whose events are all filtered out, says where it is
    // at once, so its client knows it is live (not after the first
    // `checkpoint_every`).
    let mut spoke = false;
    loop {
        // The head as this stream knows it: a shared read begun at it or
        // later holds everything up to it.
        let head = *revisions.borrow_and_update();
        let read = reads.events_after(&registry, cursor, head);
        let events = match unless_draining(&mut draining, read).await {
            Some(Ok(events)) => events,
            Some(Err(e)) => return Some(store_unavailable(&e, cursor)),
            None => return Some(shutting_down(cursor)),
        };
        // Who owns a brand is read from the snapshot: one at least as new
        // as the events, else an event about a brand this replica has not
        // applied yet (another replica wrote it) would be dropped for its
        // owner, and the cursor moved past it.
        // The same for the key: a stream opened on a replica that had not
        // applied its key's revocation, from a revision after it, would
        // never read the revocation's event.
        let mut snapshot = registry.snapshot();
        if events.last().map_or(cursor, |last| last.revision) > snapshot.revision() {
            snapshot = match unless_draining(&mut draining, registry.latest_snapshot()).await {
                Some(Ok(snapshot)) => snapshot,
                Some(Err(e)) => return Some(store_unavailable(&e, cursor)),
                None => return Some(shutting_down(cursor)),
            };
        }
        if filter.key_revoked_in(&snapshot) {
            return Some(Status::unauthenticated(
                "the API key of this stream is revoked",
            ));
        }
        for event in events.iter() {
            if filter.revokes_key(event) {
                return Some(key_revoked(event.revision));
            }
            // A large revision goes out as parts, built one at a time.
            let mut from = Some(0);
            while let Some((part, next)) = from.and_then(|from| filter.part(&snapshot, event, from))
            {
                let part = pb::watch_response::Kind::Event(part);
                if let Err(halt) = send(&tx, &mut draining, part).await {
                    return halt.last_word(cursor);
                }
                (reported, spoke) = (event.revision, true);
                from = next;
            }
            cursor = event.revision;
        }
        // A read cut short by size is not the end of the feed.
        if events.len() == WATCH_BATCH || (!events.is_empty() && *revisions.borrow() > cursor) {
            continue;
        }
        if cursor > reported || !spoke {
            let checkpoint = pb::Checkpoint { revision: cursor };
            let checkpoint = pb::watch_response::Kind::Checkpoint(checkpoint);
            if let Err(halt) = send(&tx, &mut draining, checkpoint).await {
                return halt.last_word(cursor);
            }
            (reported, spoke) = (cursor, true);
        }
        let moved = async {
            revisions
                .wait_for(|revision| *revision > cursor)
                .await
                .is_ok()
        };
        tokio::select! {
            _ = moved => {}
            () = tokio::time::sleep(checkpoint_every) => {
                let checkpoint = pb::Checkpoint { revision: cursor };
                let checkpoint = pb::watch_response::Kind::Checkpoint(checkpoint);
                if let Err(halt) = send(&tx, &mut draining, checkpoint).await {
                    return halt.last_word(cursor);
                }
            }
            () = drained(&mut draining) => return Some(shutting_down(cursor)),
            () = tx.closed() => return None,
        }
    }
}

/// What a Watch stream yields.
type WatchStream = ReceiverStream<Result<pb::WatchResponse, Status>>;

impl WatchApi {
    async fn start(&self, request: Request<pb::WatchRequest>) -> ApiResult<WatchStream> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        if req.from_revision > MAX_REVISION {
            v.add(
                "from_revision",
                format!(
                    "{} is not a revision (revisions go up to {MAX_REVISION})",
                    req.from_revision
                ),
            );
        }
        let mut brands = HashSet::new();
        if req.brands.len() > MAX_WATCH_BRANDS {
            v.add("brands", format!("at most {MAX_WATCH_BRANDS} brands"));
        } else {
            for (i, name) in req.brands.iter().enumerate() {
                let field = format!("brands[{i}]");
                if let Some(brand) = parse_brand_name(name, &field, &mut v)
                    && !brands.insert(brand)
                {
                    // Each once, as the kinds.
                    v.add(field, format!("{name} is listed twice"));
                }
            }
        }
        let mut kinds = KindSet::default();
        if req.kinds.len() > RESOURCE_KINDS {
            v.add(
                "kinds",
                format!(
                    "at most {RESOURCE_KINDS} kinds, each once; got {}",
                    req.kinds.len()
                ),
            );
        } else {
            for (i, kind) in req.kinds.iter().enumerate() {
                // Named as the caller wrote it: by its name when it has
                // one (grpcurl's JSON takes names), by its number otherwise.
                match pb::ResourceKind::try_from(*kind) {
                    Ok(pb::ResourceKind::Unspecified) | Err(_) => v.add(
                        format!("kinds[{i}]"),
                        format!(
                            "{} is not a resource kind to watch",
                            convert::as_written(
                                pb::ResourceKind::try_from(*kind).ok(),
                                *kind,
                                pb::ResourceKind::as_str_name
                            )
                        ),
                    ),
                    Ok(kind) => {
                        if !kinds.insert(kind) {
                            v.add(
                                format!("kinds[{i}]"),
                                format!("{} is listed twice", kind.as_str_name()),
                            );
                        }
                    }
                }
            }
        }
        v.finish()?;
        // Resuming after a revision the registry has not reached would
        // report checkpoints for revisions that do not exist yet: refused.
        // (A revision another replica committed and this one has not applied
        // is reached: the stream reads events from the store.)
        if !self.registry.has_reached(req.from_revision).await? {
            let current = self.registry.snapshot().revision();
            let mut v = Violations::new();
            v.add(
                "from_revision",
                format!(
                    "revision {} has not been reached (this server is at revision {current}): \
                     resume from a revision this registry sent",
                    req.from_revision
                ),
            );
            v.finish()?;
        }
        // A brand the registry does not have is NOT_FOUND, as for a trail
        // (ListAuditEvents) and GetBrand: a misspelt name would otherwise
        // watch nothing, for ever, in silence. Brands are never removed, so
        // one that existed at `from_revision` still does; one this replica
        // does not know yet may have just been created on another: it
        // catches up before refusing, at the pace every call naming an
        // unknown name shares (made-up names cannot make each call read
        // the store).
        let unknown = |snapshot: &crate::snapshot::Snapshot| {
            // In request order: every name parsed as `brands/{brand}`.
            req.brands
                .iter()
                .find(|name| {
                    name.strip_prefix("brands/")
                        .is_some_and(|id| snapshot.brand(id).is_none())
                })
                .cloned()
        };
        if !brands.is_empty() && unknown(&*self.registry.ready_snapshot()?).is_some() {
            let snapshot = self.registry.catch_up_for_unknown_name().await?;
            if let Some(name) = unknown(&snapshot) {
                return Err(ApiError::NotFound(name));
            }
        }
        let slot = self.open.take(&caller.member).ok_or_else(|| {
            ApiError::Busy(format!(
                "members/{} has {MAX_WATCH_STREAMS_PER_MEMBER} Watch streams open, the most a \
                 member may: close one (one stream with filters can follow many brands)",
                caller.member
            ))
        })?;
        // One more place than the queue holds, kept for the stream's last
        // word (the status that ends it), which so never waits for room: a
        // stream that ends when the server drains, its queue full of what
        // a slow client has not read yet, does not wait for that client.
        let (tx, rx) = mpsc::channel(WATCH_QUEUE + 1);
        let last_word = tx
            .clone()
            .try_reserve_owned()
            .map_err(|_| ApiError::Internal(anyhow::anyhow!("a new Watch queue has no room")))?;
        let filter = WatchFilter {
            caller,
            brands,
            kinds,
        };
        let feed = feed(
            self.registry.clone(),
            filter,
            req.from_revision,
            self.checkpoint_every,
            self.draining.clone(),
            self.reads.clone(),
            tx,
        );
        // The feed runs on a task of its own: its lines still name the call.
        tokio::spawn(crate::auth::CallLog::carry(async move {
            match feed.await {
                Some(status) => drop(last_word.send(Err(status))),
                None => drop(last_word),
            }
            drop(slot);
        }));
        Ok(ReceiverStream::new(rx))
    }
}

#[tonic::async_trait]
impl WatchService for WatchApi {
    type WatchStream = WatchStream;

    async fn watch(
        &self,
        request: Request<pb::WatchRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        self.start(request)
            .await
            .map(Response::new)
            .map_err(Status::from)
    }
}

/// The audit service.
pub struct AuditApi {
    /// Where events come from.
    registry: Arc<Registry>,
    /// Turns to read the store ([`AUDIT_CONCURRENT_READS`]).
    reads: tokio::sync::Semaphore,
}

impl AuditApi {
    /// An audit service over `registry`.
    pub fn new(registry: Arc<Registry>) -> Self {
        Self {
            registry,
            reads: tokio::sync::Semaphore::new(AUDIT_CONCURRENT_READS),
        }
    }

    /// The events of `query`, read from the store in turn with the other
    /// listings ([`AUDIT_CONCURRENT_READS`]); RESOURCE_EXHAUSTED, to retry,
    /// when no turn comes within [`AUDIT_READ_WAIT`].
    async fn audit(&self, query: &AuditQuery) -> ApiResult<Vec<ChangeEvent>> {
        let _turn = tokio::time::timeout(AUDIT_READ_WAIT, self.reads.acquire())
            .await
            .map_err(|_| {
                ApiError::Busy(format!(
                    "this server has {AUDIT_CONCURRENT_READS} audit listings reading the store, \
                     the most it runs at once: retry with backoff"
                ))
            })?
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("audit read turns closed: {e}")))?;
        Ok(self
            .registry
            .store()
            .audit(query)
            .await
            .map_err(crate::registry::RegistryError::from)?)
    }

    async fn list(
        &self,
        request: Request<pb::ListAuditEventsRequest>,
    ) -> ApiResult<pb::ListAuditEventsResponse> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let brand = if req.brand.is_empty() {
            None
        } else {
            parse_brand_name(&req.brand, "brand", &mut v)
        };
        let actor_member = match req.actor.as_str() {
            "" | Actor::SYSTEM => None,
            // A reserved id names no member: the server's writes are
            // `system`, which the caller should write as such.
            name if name.strip_prefix("members/") == Some(Actor::SYSTEM) => {
                v.add(
                    "actor",
                    format!(
                        "members/{0} names no member ({0} is reserved); the server's own \
                         writes are `{0}`",
                        Actor::SYSTEM
                    ),
                );
                None
            }
            name => parse_member_name(name, "actor", &mut v),
        };
        let actor = if req.actor == Actor::SYSTEM {
            Some(Actor::SYSTEM.to_string())
        } else {
            actor_member.as_ref().map(|m| m.as_str().to_string())
        };
        let limit = page_size(req.page_size, "page_size", &mut v);
        let list = format!("ListAuditEvents {}\n{}", req.brand, req.actor);
        // The items depend on who reads: another member's token is another
        // list's.
        let reader = Some(caller.member.as_str());
        let tokens = self.registry.page_tokens()?;
        let start = tokens
            .read(&req.page_token, &list, reader, "page_token", &mut v)
            .and_then(|token| {
                let start = AuditStart::parse(&token);
                if start.is_none() {
                    v.add("page_token", super::NOT_ISSUED);
                }
                start
            });
        v.finish()?;
        let mut snapshot = self.registry.snapshot_at_least(req.min_revision).await?;
        // An actor no member is (a misspelt name) would list nothing, as a
        // member with no events does: refused as ListBrands refuses such an
        // owner, as far as the caller may know who is a member.
        if let Some(member) = &actor_member {
            super::named_member(&caller, &snapshot, member, "actor")?;
        }
        // A brand this replica does not know may have just been created on
        // another: looked for in the store, at the pace of such catch-ups,
        // before NOT_FOUND ([`super::known_brand`]).
        let requested = match &brand {
            Some(id) => {
                let (latest, brand) = super::known_brand(&self.registry, snapshot, id).await?;
                snapshot = latest;
                Some(brand)
            }
            None => None,
        };
        let scope = auth::audit_scope(&caller, requested.as_deref(), || {
            snapshot
                .list_brands(Some(&caller.member), None, usize::MAX)
                .0
                .iter()
                .map(|b| b.id.clone())
                .collect()
        })?;
        let brands = match &scope {
            AuditScope::All => None,
            AuditScope::Brands(brands) => {
                Some(brands.iter().map(|b| b.as_str().to_string()).collect())
            }
        };
        // The caller's own writes that touched no brand, for those of them
        // that changed nothing: in its trail when no brand filters it.
        let unbranded_by = (brands.is_some() && brand.is_none()).then(|| caller.member.to_string());
        let (mut before, mut inside) = match start {
            // A first page: up to the snapshot's revision, whose brands
            // decided what the caller may see.
            None => (Some(snapshot.revision() + 1), None),
            Some(AuditStart::Before(revision)) => (Some(revision), None),
            Some(AuditStart::Inside { revision, from }) => {
                (Some(revision + 1), Some((revision, from)))
            }
        };
        // Parts of events, newest first, until the page is full by count or
        // by size; then the token names where the next part starts. Events
        // are read a few at a time: the read is bounded by size too.
        let mut parts: Vec<pb::ChangeEvent> = Vec::new();
        let mut bytes = 0;
        let mut next = None;
        'page: loop {
            let query = AuditQuery {
                brands: brands.clone(),
                unbranded_by: unbranded_by.clone(),
                actor: actor.clone(),
                before,
                limit: limit - parts.len() + 1,
                max_bytes: AUDIT_READ_BYTES,
            };
            let events = self.audit(&query).await?;
            if events.is_empty() {
                break;
            }
            for event in &events {
                let mut from = 0;
                if let Some((revision, at)) = inside.take() {
                    // Otherwise the revision no longer matches (the caller's
                    // brands changed): the page goes on with older events.
                    if event.revision == revision {
                        if at >= event.changes.len() {
                            return Err(ApiError::Invalid(vec![(
                                "page_token".into(),
                                super::NOT_ISSUED.into(),
                            )]));
                        }
                        from = at;
                    }
                }
                // A revision that changed nothing (a write's request id
                // recorded) is in the whole trail, the operator's, and in
                // the writer's trail without a brand filter, as on a Watch.
                let unchanged = brands.is_none()
                    || (unbranded_by.is_some() && auth::may_see_how_written(&caller, &event.actor));
                while let Some((part, after)) = convert::change_event_part(
                    event,
                    from,
                    convert::MAX_PART_BYTES,
                    |r| scope.covers(r),
                    unchanged,
                ) {
                    let part = how_written(&caller, event, part);
                    // As field 1 of the page: its key, its length, the part.
                    let size = prost::encoding::message::encoded_len(1, &part);
                    if parts.len() == limit
                        || (!parts.is_empty() && bytes + size > AUDIT_PAGE_BYTES)
                    {
                        next = Some(if from == 0 {
                            // Between events: a token as before parts.
                            AuditStart::Before(before.unwrap_or(event.revision + 1))
                        } else {
                            AuditStart::Inside {
                                revision: event.revision,
                                from,
                            }
                        });
                        break 'page;
                    }
                    bytes += size;
                    parts.push(part);
                    match after {
                        Some(after) => from = after,
                        None => break,
                    }
                }
                before = Some(event.revision);
            }
        }
        Ok(pb::ListAuditEventsResponse {
            events: parts,
            next_page_token: tokens.issue(&list, reader, next.map(|start| start.to_string())),
            revision: snapshot.revision(),
        })
    }
}

/// Where a page of ListAuditEvents starts, as its token says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AuditStart {
    /// With the newest event before this revision (`{revision}`).
    Before(Revision),
    /// Inside this revision, with the part that starts at its change `from`
    /// (`{revision}/{from}`); then older events.
    Inside { revision: Revision, from: usize },
}

impl AuditStart {
    /// Parses the key of a page token; `None` if this service issued no
    /// such token.
    fn parse(key: &str) -> Option<Self> {
        let revision = |text: &str| {
            text.parse::<Revision>()
                .ok()
                .filter(|r| *r <= MAX_REVISION && text.bytes().all(|b| b.is_ascii_digit()))
        };
        match key.split_once('/') {
            None => revision(key).map(AuditStart::Before),
            Some((rev, from)) => {
                let revision = revision(rev).filter(|r| *r < MAX_REVISION)?;
                let from = from
                    .parse()
                    .ok()
                    .filter(|_| from.bytes().all(|b| b.is_ascii_digit()))?;
                Some(AuditStart::Inside { revision, from })
            }
        }
    }
}

impl std::fmt::Display for AuditStart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuditStart::Before(revision) => write!(f, "{revision}"),
            AuditStart::Inside { revision, from } => write!(f, "{revision}/{from}"),
        }
    }
}

#[tonic::async_trait]
impl AuditService for AuditApi {
    async fn list_audit_events(
        &self,
        request: Request<pb::ListAuditEventsRequest>,
    ) -> Result<Response<pb::ListAuditEventsResponse>, Status> {
        self.list(request)
            .await
            .map(Response::new)
            .map_err(Status::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_page_tokens_read_back_and_old_ones_still_read() {
        for start in [
            AuditStart::Before(1),
            AuditStart::Before(MAX_REVISION),
            AuditStart::Inside {
                revision: 7,
                from: 12_000,
            },
        ] {
            assert_eq!(AuditStart::parse(&start.to_string()), Some(start));
        }
        assert_eq!(AuditStart::parse("42"), Some(AuditStart::Before(42)));
        for forged in [
            "",
            "+1",
            "-1",
            "x",
            "1/",
            "/1",
            "1/-1",
            "1/+1",
            "1/2/3",
            "1 /2",
            "9223372036854775808",
            "9223372036854775807/0",
        ] {
            assert_eq!(AuditStart::parse(forged), None, "{forged:?}");
        }
    }

    #[test]
    fn a_kind_set_holds_every_kind_once() {
        let kinds: Vec<pb::ResourceKind> = (1..1024)
            .filter_map(|n| pb::ResourceKind::try_from(n).ok())
            .collect();
        assert_eq!(kinds.len(), RESOURCE_KINDS, "RESOURCE_KINDS is up to date");
        assert!(
            kinds.iter().all(|k| (*k as u32) < u8::BITS),
            "every kind has a bit"
        );
        let mut set = KindSet::default();
        assert!(set.is_empty());
        for kind in &kinds {
            assert!(!set.contains(*kind));
            assert!(set.insert(*kind), "{kind:?} is new");
            assert!(!set.insert(*kind), "{kind:?} is there");
            assert!(set.contains(*kind));
        }
    }

    /// The embedded store, which starts the server's drain during the
    /// `drain_at`-th read of the change history.
    struct DrainsAtRead {
        inner: crate::store::MemoryStore,
        reads: std::sync::atomic::AtomicUsize,
        drain_at: usize,
        draining: watch::Sender<bool>,
    }

    #[async_trait::async_trait]
    impl crate::store::Store for DrainsAtRead {
        fn kind(&self) -> &'static str {
            "drains-at-read"
        }
        fn durable(&self) -> bool {
            false
        }
        async fn load(&self) -> Result<Snapshot, crate::store::StoreError> {
            self.inner.load().await
        }
        async fn events_after(
            &self,
            after: Revision,
            limit: usize,
            max_bytes: usize,
        ) -> Result<Vec<ChangeEvent>, crate::store::StoreError> {
            let read = self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            if read == self.drain_at {
                self.draining.send_replace(true);
            }
            self.inner.events_after(after, limit, max_bytes).await
        }
        async fn committed_head(&self) -> Result<Revision, crate::store::StoreError> {
            self.inner.committed_head().await
        }
        async fn committed_at(
            &self,
            revision: Revision,
        ) -> Result<Option<crate::model::Timestamp>, crate::store::StoreError> {
            self.inner.committed_at(revision).await
        }
        async fn page_token_secret(&self) -> Result<[u8; 32], crate::store::StoreError> {
            self.inner.page_token_secret().await
        }
        async fn audit(
            &self,
            query: &AuditQuery,
        ) -> Result<Vec<ChangeEvent>, crate::store::StoreError> {
            self.inner.audit(query).await
        }
        async fn begin(&self) -> Result<Box<dyn crate::store::WriteTx>, crate::store::StoreError> {
            self.inner.begin().await
        }
    }

    /// A Watch stream replaying a long history with nothing to send (its
    /// filter keeps none of it) waits neither for its client nor for the
    /// next change: when the server drains, it ends at the read it is at,
    /// not once it has replayed the whole history.
    #[tokio::test]
    async fn a_replay_ends_when_the_server_drains() {
        use crate::model::{Command, MemberKind, ResourceId};
        let (draining_tx, draining) = watch::channel(false);
        let store = Arc::new(DrainsAtRead {
            inner: crate::store::MemoryStore::new(),
            reads: Default::default(),
            drain_at: 2,
            draining: draining_tx,
        });
        let registry = Arc::new(Registry::new(store.clone(), Duration::ZERO));
        registry.load().await.expect("load");
        let operator = Slug::parse("operator").expect("slug");
        let key = ResourceId::generate();
        let write = async |commands: Vec<Command>| {
            registry
                .write(Actor::System, Default::default(), &commands)
                .await
                .expect("write")
        };
        write(vec![
            Command::CreateMember {
                id: operator.clone(),
                display_name: "Operator".into(),
                kind: MemberKind::Operator,
            },
            Command::CreateApiKey {
                member: operator.clone(),
                id: key.clone(),
                description: String::new(),
                secret_sha256: [0; 32],
            },
        ])
        .await;
        // Three reads' worth of revisions, none of them a logo.
        for i in 1..3 * WATCH_BATCH {
            write(vec![Command::CreateMember {
                id: Slug::parse(&format!("member-{i}")).expect("slug"),
                display_name: format!("Member {i}"),
                kind: MemberKind::BrandOwner,
            }])
            .await;
        }
        let mut logos = KindSet::default();
        logos.insert(pb::ResourceKind::Logo);
        let filter = WatchFilter {
            caller: Caller {
                member: operator,
                kind: MemberKind::Operator,
                key: Some(key),
            },
            brands: HashSet::new(),
            kinds: logos,
        };
        let (tx, mut rx) = mpsc::channel(WATCH_QUEUE);
        let last_word = tokio::time::timeout(
            Duration::from_secs(30),
            feed(
                registry,
                filter,
                0,
                Duration::from_secs(3600),
                draining,
                Arc::new(WatchReads::new()),
                tx,
            ),
        )
        .await
        .expect("the stream ends")
        .expect("with a status");
        assert_eq!(last_word.code(), tonic::Code::Unavailable, "{last_word:?}");
        assert!(
            last_word.message().ends_with(&format!(
                "shutting down; resume from revision {}",
                2 * WATCH_BATCH
            )),
            "{last_word:?}"
        );
        assert_eq!(
            store.reads.load(std::sync::atomic::Ordering::SeqCst),
            2,
            "no read after the drain began"
        );
        assert!(rx.try_recv().is_err(), "nothing to send, nothing sent");
    }
}
