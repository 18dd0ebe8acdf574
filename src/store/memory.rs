//! The embedded store: the change log in process memory. It is the default
//! when no database is configured, so `marque serve` answers at once; it keeps
//! nothing across restarts, and the server says so when it starts.

use std::{collections::HashMap, sync::Arc};

use async_trait::async_trait;
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::{Store, StoreError, WriteTx, estimated_size, take_within};
use crate::{
    model::{Actor, ChangeEvent, Revision, Timestamp},
    snapshot::Snapshot,
};

/// The in-memory store.
#[derive(Clone)]
pub struct MemoryStore {
    /// The log and the request-id index; the mutex is the write lock.
    inner: Arc<Mutex<Log>>,
    /// The page token secret ([`Store::page_token_secret`]): drawn when
    /// the store is made, as nothing outlives it.
    secret: [u8; 32],
}

impl Default for MemoryStore {
    fn default() -> Self {
        use rand::RngCore as _;
        let mut secret = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        Self {
            inner: Arc::default(),
            secret,
        }
    }
}

#[derive(Default)]
struct Log {
    /// Events in revision order: `events[i].revision == i + 1`.
    events: Vec<ChangeEvent>,
    /// (member, request id) → revision of the write it made.
    requests: HashMap<(String, String), Revision>,
}

impl Log {
    /// [`Store::committed_at`] of this log.
    fn committed_at(&self, revision: Revision) -> Option<Timestamp> {
        let index = usize::try_from(revision).ok()?.checked_sub(1)?;
        self.events.get(index).map(|event| event.time)
    }

    /// [`Store::events_after`] of this log.
    fn events_after(&self, after: Revision, limit: usize, max_bytes: usize) -> Vec<ChangeEvent> {
        let start = usize::try_from(after)
            .unwrap_or(usize::MAX)
            .min(self.events.len());
        let events = self.events[start..].iter().take(limit);
        take_within(events, max_bytes, |e| estimated_size(e))
            .into_iter()
            .cloned()
            .collect()
    }
}

impl MemoryStore {
    /// An empty store at revision 0.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl Store for MemoryStore {
    fn kind(&self) -> &'static str {
        "memory"
    }

    fn durable(&self) -> bool {
        false
    }

    async fn page_token_secret(&self) -> Result<[u8; 32], StoreError> {
        Ok(self.secret)
    }

    async fn load(&self) -> Result<Snapshot, StoreError> {
        let log = self.inner.lock().await;
        let mut snapshot = Snapshot::default();
        snapshot.apply_all(&log.events);
        Ok(snapshot)
    }

    async fn events_after(
        &self,
        after: Revision,
        limit: usize,
        max_bytes: usize,
    ) -> Result<Vec<ChangeEvent>, StoreError> {
        Ok(self
            .inner
            .lock()
            .await
            .events_after(after, limit, max_bytes))
    }

    async fn committed_head(&self) -> Result<Revision, StoreError> {
        Ok(self.inner.lock().await.events.len() as Revision)
    }

    async fn committed_at(&self, revision: Revision) -> Result<Option<Timestamp>, StoreError> {
        Ok(self.inner.lock().await.committed_at(revision))
    }

    async fn audit(&self, query: &super::AuditQuery) -> Result<Vec<ChangeEvent>, StoreError> {
        let log = self.inner.lock().await;
        let events = log
            .events
            .iter()
            .rev()
            .filter(|event| query.matches(event))
            .take(query.limit);
        Ok(take_within(events, query.max_bytes, |e| estimated_size(e))
            .into_iter()
            .cloned()
            .collect())
    }

    async fn begin(&self) -> Result<Box<dyn WriteTx>, StoreError> {
        let guard = self.inner.clone().lock_owned().await;
        Ok(Box::new(MemoryTx { guard }))
    }
}

struct MemoryTx {
    guard: OwnedMutexGuard<Log>,
}

#[async_trait]
impl WriteTx for MemoryTx {
    fn head(&self) -> Revision {
        self.guard.events.len() as Revision
    }

    async fn find_request(
        &mut self,
        actor: &Actor,
        request_id: &str,
    ) -> Result<Option<ChangeEvent>, StoreError> {
        let key = (actor.member_str().to_string(), request_id.to_string());
        Ok(self.guard.requests.get(&key).and_then(|revision| {
            let index = usize::try_from(*revision).ok()?.checked_sub(1)?;
            self.guard.events.get(index).cloned()
        }))
    }

    async fn events_after(
        &mut self,
        after: Revision,
        limit: usize,
        max_bytes: usize,
    ) -> Result<Vec<ChangeEvent>, StoreError> {
        Ok(self.guard.events_after(after, limit, max_bytes))
    }

    async fn committed_at(&mut self, revision: Revision) -> Result<Option<Timestamp>, StoreError> {
        Ok(self.guard.committed_at(revision))
    }

    async fn commit(mut self: Box<Self>, event: ChangeEvent) -> Result<(), StoreError> {
        let expected = self.head() + 1;
        if event.revision != expected {
            return Err(StoreError::Internal(anyhow::anyhow!(
                "event revision {} is not the next revision {expected}",
                event.revision
            )));
        }
        if let Some(request_id) = &event.request_id {
            self.guard.requests.insert(
                (event.actor.member_str().to_string(), request_id.clone()),
                event.revision,
            );
        }
        self.guard.events.push(event);
        Ok(())
    }
}
