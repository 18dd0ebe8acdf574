//! The authorizations of a snapshot, kept compact.
//!
//! Authorizations outnumber everything else in a registry by orders of
//! magnitude (every brand authorizes its sellers on every platform: millions
//! of rows), and every replica holds all of them in memory. They live in two
//! parts:
//!
//! - a **base**: an immutable table built in one pass, at load and whenever
//!   the overlay has grown. One fixed-size [`Record`] per authorization
//!   (88 bytes); the strings of a record (id, seller account, reference)
//!   length-prefixed in one shared byte arena; brand and platform ids and
//!   region lists interned; records sorted by (brand, id), so a brand's
//!   authorizations are one contiguous range; and a hash table of record
//!   numbers by (brand, platform, seller account) for checks.
//! - an **overlay**: what changed since the base was built, in persistent
//!   `imbl` maps, so that cloning a snapshot stays O(1) and a write touches
//!   O(log n) nodes. An overlay entry of `None` hides a removed base record.
//!
//! Reads look at the overlay first, then the base. Once the overlay holds
//! a sixteenth of the base (and at least [`MIN_COMPACT`] entries),
//! [`Authorizations::compact_if_due`] starts folding both into a new base on
//! a thread of its own (low priority, `snapshot/background.rs`): O(n) work
//! once every n/16 changes, amortized O(1) per change, off the writer's
//! path. A later change adopts the new base, keeping in the overlay what
//! changed since the fold started (an `imbl` diff of the two overlays,
//! which skips the subtrees they share). A burst that grows the overlay to
//! four times the threshold first waits for the fold. (An overlay entry
//! costs about four times a base record, so at a sixteenth the overlay
//! adds at most about a quarter to the table's memory just before it is
//! folded in.)
//!
//! Timestamps are kept in UTC with their nanoseconds; an authorization that
//! arrives with another UTC offset is stored as the same instant in UTC, in
//! the overlay and in the base alike, so the snapshot digest does not depend
//! on whether a replica has compacted. Seller accounts are kept in NFC
//! likewise (`as_kept`), however they were stored.

use std::{
    borrow::Cow,
    hash::BuildHasher,
    ops::{Bound, Range},
    sync::Arc,
};

use hashbrown::{DefaultHashBuilder, HashTable};
use imbl::{HashMap, OrdMap, ordmap::DiffItem};

use super::background::{Background, backed_off, blocking};
use time::UtcOffset;

use crate::model::{
    Authorization, AuthorizationStatus, NiceClassSet, Region, ResourceId, Revision, Slug,
    Timestamp, codes::nfc_seller_account,
};

/// The overlay never triggers a compaction below this many entries.
pub(crate) const MIN_COMPACT: usize = 4096;

type Key = (Slug, ResourceId);
type SellerKey = (Slug, Slug, Arc<str>);

/// Every authorization of a snapshot. Cloning is O(1).
#[derive(Clone, Default)]
pub(crate) struct Authorizations {
    base: Arc<Base>,
    /// Changes since `base`: the current value, or `None` for removed.
    overlay: OrdMap<Key, Option<Arc<Authorization>>>,
    /// (brand, platform, seller) → ids of the overlay's present entries.
    overlay_sellers: HashMap<SellerKey, Arc<[ResourceId]>>,
    /// A new base being built from `base` and an earlier `overlay`.
    pending: Option<Arc<Compaction>>,
    /// Folds on a thread of their own that failed (panicked) in a row
    /// since this base was built: the next one starts only once the
    /// overlay has grown to twice the size for each, so that a fold that
    /// always fails is not started again at every change.
    failed_folds: u32,
}

/// A compaction running on a thread of its own: what it folds, and the
/// new base.
struct Compaction {
    base: Arc<Base>,
    overlay: OrdMap<Key, Option<Arc<Authorization>>>,
    built: Arc<Background<Arc<Base>>>,
}

impl std::fmt::Debug for Authorizations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorizations")
            .field("base", &self.base.records.len())
            .field("overlay", &self.overlay.len())
            .finish()
    }
}

impl Authorizations {
    /// The authorization `id` of `brand`.
    pub(crate) fn get(&self, brand: &Slug, id: &ResourceId) -> Option<Arc<Authorization>> {
        if let Some(entry) = self.overlay.get(&(brand.clone(), id.clone())) {
            return entry.clone();
        }
        self.base
            .find(brand.as_str(), id.as_str())
            .map(|i| Arc::new(self.base.materialize(i)))
    }

    /// Adds or replaces an authorization.
    pub(crate) fn insert(&mut self, a: Arc<Authorization>) {
        let a = as_kept(a);
        let key = seller_key(&a);
        let mut ids: Vec<ResourceId> = self
            .overlay_sellers
            .get(&key)
            .map(|ids| ids.to_vec())
            .unwrap_or_default();
        if !ids.contains(&a.id) {
            ids.push(a.id.clone());
        }
        self.overlay_sellers.insert(key, ids.into());
        self.overlay
            .insert((a.brand.clone(), a.id.clone()), Some(a));
    }

    /// Removes an authorization (the value it had is `a`).
    pub(crate) fn remove(&mut self, a: &Authorization) {
        let key = (a.brand.clone(), a.id.clone());
        if self.base.find(a.brand.as_str(), a.id.as_str()).is_some() {
            self.overlay.insert(key, None);
        } else {
            self.overlay.remove(&key);
        }
        let seller = seller_key(a);
        if let Some(ids) = self.overlay_sellers.get(&seller) {
            let rest: Vec<ResourceId> = ids.iter().filter(|i| **i != a.id).cloned().collect();
            if rest.is_empty() {
                self.overlay_sellers.remove(&seller);
            } else {
                self.overlay_sellers.insert(seller, rest.into());
            }
        }
    }

    /// Every authorization of `seller` on `platform` for `brand`, live or
    /// not: what the tests hold [`Authorizations::best_of_seller`] and
    /// [`Authorizations::first_of_seller`] to.
    #[cfg(test)]
    pub(crate) fn of_seller(
        &self,
        brand: &Slug,
        platform: &Slug,
        seller: &str,
    ) -> Vec<Arc<Authorization>> {
        self.seller_entries(brand, platform, seller)
            .map(Entry::materialize)
            .collect()
    }

    /// Of `seller`'s authorizations on `platform` for `brand`, live or
    /// not, the first that `rank` ranks lowest, with its rank. `rank` reads
    /// each one's terms where they are kept ([`Grant`]); only the one
    /// chosen is made into an [`Authorization`].
    pub(crate) fn best_of_seller<R: PartialOrd>(
        &self,
        brand: &Slug,
        platform: &Slug,
        seller: &str,
        mut rank: impl FnMut(Grant<'_>) -> R,
    ) -> Option<(R, Arc<Authorization>)> {
        let mut best: Option<(R, Entry<'_>)> = None;
        for entry in self.seller_entries(brand, platform, seller) {
            let r = rank(entry.grant());
            if best.as_ref().is_none_or(|(b, _)| r < *b) {
                best = Some((r, entry));
            }
        }
        best.map(|(r, entry)| (r, entry.materialize()))
    }

    /// Of `seller`'s authorizations on `platform` for `brand`, live or
    /// not, the first whose terms (read where they are kept, [`Grant`])
    /// satisfy `wanted`; only it is made into an [`Authorization`].
    pub(crate) fn first_of_seller(
        &self,
        brand: &Slug,
        platform: &Slug,
        seller: &str,
        mut wanted: impl FnMut(Grant<'_>) -> bool,
    ) -> Option<Arc<Authorization>> {
        self.seller_entries(brand, platform, seller)
            .find(|entry| wanted(entry.grant()))
            .map(Entry::materialize)
    }

    /// Every authorization of `seller` on `platform` for `brand`, live or
    /// not, as entries: the base's records the overlay has not changed,
    /// then the overlay's.
    fn seller_entries<'a>(
        &'a self,
        brand: &'a Slug,
        platform: &'a Slug,
        seller: &'a str,
    ) -> impl Iterator<Item = Entry<'a>> + 'a {
        let base = self
            .base
            .of_seller(brand.as_str(), platform.as_str(), seller)
            // Changed since the base: the overlay has the truth.
            .filter(move |&i| {
                self.overlay.is_empty()
                    || !self
                        .overlay
                        .contains_key(&(brand.clone(), ResourceId::from_stored(self.base.id(i))))
            })
            .map(|i| Entry::Base(&self.base, i));
        let ids = if self.overlay_sellers.is_empty() {
            None
        } else {
            self.overlay_sellers
                .get(&(brand.clone(), platform.clone(), Arc::from(seller)))
        };
        let overlay = ids
            .into_iter()
            .flat_map(|ids| ids.iter())
            .filter_map(
                move |id| match self.overlay.get(&(brand.clone(), id.clone())) {
                    Some(Some(a)) if a.platform == *platform && a.seller_account == seller => {
                        Some(Entry::Overlay(a))
                    }
                    _ => None,
                },
            );
        base.chain(overlay)
    }

    /// The first `limit` of `seller`'s authorizations of `brand` on any of
    /// `platforms`, live or not, in id order after the id `after`, and
    /// whether more follow: what [`Authorizations::of_brand`] filtered to
    /// them gives, read through the (brand, platform, seller) index rather
    /// than the brand's every authorization. Only those returned are made
    /// into [`Authorization`]s.
    pub(crate) fn of_seller_after(
        &self,
        brand: &Slug,
        platforms: &[&Slug],
        seller: &str,
        after: Option<&str>,
        limit: usize,
    ) -> (Vec<Arc<Authorization>>, bool) {
        let mut entries: Vec<Entry<'_>> = platforms
            .iter()
            .flat_map(|platform| self.seller_entries(brand, platform, seller))
            .filter(|entry| after.is_none_or(|after| entry.id() > after))
            .collect();
        entries.sort_unstable_by(|a, b| a.id().cmp(b.id()));
        let more = entries.len() > limit;
        entries.truncate(limit);
        (entries.into_iter().map(Entry::materialize).collect(), more)
    }

    /// `brand`'s authorizations in id order, after the id `after`, each
    /// with its id.
    pub(crate) fn of_brand<'a>(
        &'a self,
        brand: &Slug,
        after: Option<&str>,
    ) -> impl Iterator<Item = (String, Arc<Authorization>)> + 'a {
        let base = &self.base;
        let range = match base.brand_index(brand.as_str()) {
            Some(b) => {
                let all = base.range(b);
                let skip = match after {
                    Some(after) => {
                        base.records[all.clone()].partition_point(|r| base.strings(r).0 <= after)
                    }
                    None => 0,
                };
                all.start + skip..all.end
            }
            None => 0..0,
        };
        let start = match after {
            Some(a) => Bound::Excluded((brand.clone(), ResourceId::from_stored(a))),
            None => Bound::Included((brand.clone(), ResourceId::min())),
        };
        let owner = brand.clone();
        let overlay = self
            .overlay
            .range((start, Bound::Unbounded))
            .take_while(move |((b, _), _)| *b == owner);
        Merged::new(base, range, overlay).map(|entry| {
            let a = entry.materialize();
            (a.id.as_str().to_string(), a)
        })
    }

    /// Every authorization in (brand, id) order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = Arc<Authorization>> + '_ {
        Merged::new(&self.base, 0..self.base.records.len(), self.overlay.iter())
            .map(Entry::materialize)
    }

    /// How many authorizations there are.
    pub(crate) fn len(&self) -> usize {
        let hidden = self
            .overlay
            .iter()
            .filter(|((b, id), _)| self.base.find(b.as_str(), id.as_str()).is_some())
            .count();
        let present = self.overlay.values().filter(|v| v.is_some()).count();
        self.base.records.len() - hidden + present
    }

    /// Once the overlay has grown to a sixteenth of the base (and at least
    /// [`MIN_COMPACT`] entries), starts folding it into a new base on a
    /// thread of its own; adopts that base once it is built, keeping in the
    /// overlay only what changed since the fold started. If the overlay
    /// reaches four times that size first (a burst of changes), waits for
    /// the fold, or folds here if it failed (or panicked). After a fold
    /// that failed, the next starts once the overlay has grown to twice
    /// the size ([`backed_off`]), not at the next change.
    pub(crate) fn compact_if_due(&mut self) {
        self.adopt(false);
        let due = MIN_COMPACT.max(self.base.records.len() / 16);
        if self.overlay.len() >= due * 4 && !self.adopt(true) {
            self.compact();
        }
        if self.overlay.len() >= backed_off(due, self.failed_folds) && self.pending.is_none() {
            self.start_compaction();
        }
    }

    /// Whether a fold started on another thread has ended and waits for a
    /// change to adopt it.
    pub(crate) fn fold_finished(&self) -> bool {
        self.pending.as_ref().is_some_and(|p| p.built.is_done())
    }

    /// Starts folding the overlay into a new base on a thread of its own.
    fn start_compaction(&mut self) {
        let (base, overlay) = (self.base.clone(), self.overlay.clone());
        let (b, o) = (base.clone(), overlay.clone());
        let built = Background::spawn("marque-authorizations", move || {
            let started = std::time::Instant::now();
            let folded = fold(&b, &o);
            tracing::info!(
                authorizations = folded.records.len(),
                seconds = started.elapsed().as_secs_f64(),
                "built a new authorization table"
            );
            Some(Arc::new(folded))
        });
        self.pending = built.map(|built| {
            Arc::new(Compaction {
                base,
                overlay,
                built,
            })
        });
    }

    /// Adopts the new base of a compaction that has ended (waiting for it
    /// if `wait`); whether it did.
    fn adopt(&mut self, wait: bool) -> bool {
        let Some(pending) = self.pending.clone() else {
            return false;
        };
        let outcome = if wait {
            Some(pending.built.wait())
        } else {
            pending.built.outcome()
        };
        let Some(outcome) = outcome else {
            return false; // still running
        };
        self.pending = None;
        let Some(outcome) = outcome else {
            self.failed_folds = self.failed_folds.saturating_add(1);
            return false;
        };
        if !Arc::ptr_eq(&pending.base, &self.base) {
            return false; // this table was compacted since
        }
        let base = outcome;
        // What changed since the fold started stays in the overlay.
        let mut next = Authorizations {
            base,
            ..Authorizations::default()
        };
        for item in pending.overlay.diff(&self.overlay) {
            let (key, value) = match item {
                DiffItem::Add(key, value)
                | DiffItem::Update {
                    new: (key, value), ..
                } => (key, value.clone()),
                DiffItem::Remove(key, _) => (key, None),
            };
            match value {
                Some(a) => next.insert(a),
                None => {
                    if next.base.find(key.0.as_str(), key.1.as_str()).is_some() {
                        next.overlay.insert(key.clone(), None);
                    }
                }
            }
        }
        *self = next;
        true
    }

    /// Folds the overlay into a new base, here and now: O(n), seconds for
    /// millions of authorizations, so through [`blocking`] (a burst of
    /// writes folds here, on the writer's tokio worker).
    pub(crate) fn compact(&mut self) {
        let base = blocking(|| fold(&self.base, &self.overlay));
        *self = Authorizations {
            base: Arc::new(base),
            ..Authorizations::default()
        };
    }

    /// How many changes the overlay holds.
    pub(crate) fn overlay_len(&self) -> usize {
        self.overlay.len()
    }

    /// Bytes held by the base (records, arena, index), for reporting.
    pub(crate) fn base_bytes(&self) -> usize {
        self.base.bytes()
    }
}

/// `base` with `overlay` folded in.
fn fold(base: &Base, overlay: &OrdMap<Key, Option<Arc<Authorization>>>) -> Base {
    let mut builder = Builder::default();
    for entry in Merged::new(base, 0..base.records.len(), overlay.iter()) {
        match entry {
            Entry::Base(_, i) => builder.push_base(base, i),
            Entry::Overlay(a) => builder.push(a),
        }
    }
    builder.finish()
}

/// Builds a base in one pass; [`Authorizations::from`] turns it into the
/// table.
#[derive(Default)]
pub(crate) struct Builder {
    brand_ids: std::collections::HashMap<Slug, u32>,
    brands: Vec<Slug>,
    platform_ids: std::collections::HashMap<Slug, u32>,
    platforms: Vec<Slug>,
    region_ids: std::collections::HashMap<Box<[Region]>, u32>,
    region_sets: Vec<Box<[Region]>>,
    records: Vec<Record>,
    text: Vec<u8>,
}

/// Sorting and indexing millions of authorizations takes seconds, and a
/// load does it on a tokio worker: through [`blocking`].
impl From<Builder> for Authorizations {
    fn from(builder: Builder) -> Self {
        Authorizations {
            base: Arc::new(blocking(|| builder.finish())),
            ..Authorizations::default()
        }
    }
}

impl Builder {
    /// Adds an authorization; a later one with the same brand and id
    /// replaces an earlier one.
    pub(crate) fn push(&mut self, a: &Authorization) {
        let brand = intern(&mut self.brand_ids, &mut self.brands, &a.brand);
        let platform = intern(&mut self.platform_ids, &mut self.platforms, &a.platform);
        let regions = if a.regions.is_empty() {
            0
        } else {
            self.region(&a.regions)
        };
        let text = self.text.len() as u64;
        put(&mut self.text, a.id.as_str());
        put(&mut self.text, &nfc_seller_account(&a.seller_account));
        put(&mut self.text, &a.reference);
        let mut secs = [0; 4];
        let mut nanos = [0; 4];
        for (slot, t) in [
            Some(a.valid_from),
            a.valid_until,
            Some(a.create_time),
            Some(a.update_time),
        ]
        .into_iter()
        .enumerate()
        {
            if let Some(t) = t {
                secs[slot] = t.unix_timestamp();
                nanos[slot] = t.nanosecond();
            }
        }
        self.records.push(Record {
            nice_classes: a.nice_classes,
            update_revision: a.update_revision,
            text,
            secs,
            nanos,
            brand,
            platform,
            regions,
            status: a.status,
            has_until: a.valid_until.is_some(),
        });
    }

    /// Adds record `i` of `base` as it is.
    fn push_base(&mut self, base: &Base, i: usize) {
        let r = base.records[i];
        let (id, seller, reference) = base.strings(&r);
        let text = self.text.len() as u64;
        put(&mut self.text, id);
        put(&mut self.text, seller);
        put(&mut self.text, reference);
        let regions = if r.regions == 0 {
            0
        } else {
            self.region(&base.region_sets[r.regions as usize])
        };
        self.records.push(Record {
            brand: intern(
                &mut self.brand_ids,
                &mut self.brands,
                &base.brands[r.brand as usize],
            ),
            platform: intern(
                &mut self.platform_ids,
                &mut self.platforms,
                &base.platforms[r.platform as usize],
            ),
            regions,
            text,
            ..r
        });
    }

    fn region(&mut self, regions: &[Region]) -> u32 {
        if self.region_sets.is_empty() {
            self.region_sets.push(Box::new([]));
        }
        if let Some(&i) = self.region_ids.get(regions) {
            return i;
        }
        let i = self.region_sets.len() as u32;
        self.region_sets.push(regions.into());
        self.region_ids.insert(regions.into(), i);
        i
    }

    fn finish(self) -> Base {
        let Builder {
            brands,
            platforms,
            mut region_sets,
            mut records,
            mut text,
            ..
        } = self;
        if region_sets.is_empty() {
            region_sets.push(Box::new([]));
        }
        // Brand and platform numbers become ranks in id order, so that
        // record order is (brand id, authorization id) order.
        let (brands, brand_rank) = sorted(brands);
        let (platforms, platform_rank) = sorted(platforms);
        for r in &mut records {
            r.brand = brand_rank[r.brand as usize];
            r.platform = platform_rank[r.platform as usize];
        }
        // Stable, so that of two records with one key the later stays last.
        records.sort_by(|a, b| {
            a.brand
                .cmp(&b.brand)
                .then_with(|| first_string(&text, a).cmp(first_string(&text, b)))
        });
        let mut unique: Vec<Record> = Vec::with_capacity(records.len());
        for r in records {
            match unique.last_mut() {
                Some(last)
                    if last.brand == r.brand
                        && first_string(&text, last) == first_string(&text, &r) =>
                {
                    *last = r
                }
                _ => unique.push(r),
            }
        }
        let mut records = unique;
        records.shrink_to_fit();
        text.shrink_to_fit();
        let mut starts = vec![0u32; brands.len() + 1];
        for r in &records {
            starts[r.brand as usize + 1] += 1;
        }
        for b in 0..brands.len() {
            starts[b + 1] += starts[b];
        }
        let mut base = Base {
            brands,
            starts,
            platforms,
            region_sets,
            records,
            text,
            sellers: HashTable::new(),
            hasher: DefaultHashBuilder::default(),
        };
        let mut sellers = HashTable::with_capacity(base.records.len());
        for (i, r) in base.records.iter().enumerate() {
            let hash = base.record_seller_hash(r);
            sellers.insert_unique(hash, i as u32, |&j| {
                base.record_seller_hash(&base.records[j as usize])
            });
        }
        base.sellers = sellers;
        base
    }
}

/// One authorization of the base. Strings are in the arena at `text`:
/// id, seller account and reference, each preceded by its length (LEB128).
#[derive(Clone, Copy)]
struct Record {
    nice_classes: NiceClassSet,
    update_revision: Revision,
    text: u64,
    /// valid_from, valid_until, create_time, update_time: Unix seconds…
    secs: [i64; 4],
    /// …and their nanoseconds.
    nanos: [u32; 4],
    brand: u32,
    platform: u32,
    /// Index into `region_sets`; 0 is the empty list (everywhere).
    regions: u32,
    status: AuthorizationStatus,
    has_until: bool,
}

const VALID_FROM: usize = 0;
const VALID_UNTIL: usize = 1;
const CREATE_TIME: usize = 2;
const UPDATE_TIME: usize = 3;

#[derive(Default)]
struct Base {
    /// Brand ids in order; a record's `brand` indexes it.
    brands: Vec<Slug>,
    /// Brand `b`'s records are `starts[b]..starts[b + 1]`.
    starts: Vec<u32>,
    /// Platform ids in order.
    platforms: Vec<Slug>,
    /// Interned region lists; `[0]` is empty.
    region_sets: Vec<Box<[Region]>>,
    /// Sorted by (brand, id).
    records: Vec<Record>,
    /// The records' strings.
    text: Vec<u8>,
    /// Record numbers by hash of (brand, platform, seller account).
    sellers: HashTable<u32>,
    hasher: DefaultHashBuilder,
}

impl Base {
    fn bytes(&self) -> usize {
        self.records.capacity() * std::mem::size_of::<Record>()
            + self.text.capacity()
            + self.sellers.capacity() * (std::mem::size_of::<u32>() + 1)
            + self.starts.capacity() * 4
            + (self.brands.capacity() + self.platforms.capacity()) * 16
    }

    fn brand_index(&self, brand: &str) -> Option<usize> {
        self.brands.binary_search_by(|b| b.as_str().cmp(brand)).ok()
    }

    fn range(&self, brand: usize) -> Range<usize> {
        self.starts[brand] as usize..self.starts[brand + 1] as usize
    }

    /// Record number of `brand`'s authorization `id`.
    fn find(&self, brand: &str, id: &str) -> Option<usize> {
        let range = self.range(self.brand_index(brand)?);
        let records = &self.records[range.clone()];
        records
            .binary_search_by(|r| self.strings(r).0.cmp(id))
            .ok()
            .map(|i| range.start + i)
    }

    fn id(&self, i: usize) -> &str {
        self.strings(&self.records[i]).0
    }

    /// Id, seller account and reference of a record.
    fn strings(&self, r: &Record) -> (&str, &str, &str) {
        let mut at = r.text as usize;
        let id = take(&self.text, &mut at);
        let seller = take(&self.text, &mut at);
        let reference = take(&self.text, &mut at);
        (id, seller, reference)
    }

    /// Hash of (brand, platform, seller account), over their text, so that
    /// a lookup needs no search for the brand's or platform's number.
    fn seller_hash(&self, brand: &str, platform: &str, seller: &str) -> u64 {
        self.hasher.hash_one((brand, platform, seller))
    }

    fn record_seller_hash(&self, r: &Record) -> u64 {
        self.seller_hash(
            self.brands[r.brand as usize].as_str(),
            self.platforms[r.platform as usize].as_str(),
            self.strings(r).1,
        )
    }

    fn of_seller<'a>(
        &'a self,
        brand: &'a str,
        platform: &'a str,
        seller: &'a str,
    ) -> impl Iterator<Item = usize> + 'a {
        let hash = self.seller_hash(brand, platform, seller);
        self.sellers
            .iter_hash(hash)
            .map(|&i| i as usize)
            .filter(move |&i| {
                let r = &self.records[i];
                self.strings(r).1 == seller
                    && self.platforms[r.platform as usize].as_str() == platform
                    && self.brands[r.brand as usize].as_str() == brand
            })
    }

    /// Record `i`'s time in `slot` ([`VALID_FROM`] …).
    fn time(&self, i: usize, slot: usize) -> Timestamp {
        let r = &self.records[i];
        let nanos = i128::from(r.secs[slot]) * 1_000_000_000 + i128::from(r.nanos[slot]);
        // Every stored value came from a valid timestamp.
        Timestamp::from_unix_timestamp_nanos(nanos).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    /// Record `i`'s terms, read where they are kept.
    fn grant(&self, i: usize) -> Grant<'_> {
        let r = &self.records[i];
        Grant {
            status: r.status,
            valid_from: self.time(i, VALID_FROM),
            valid_until: r.has_until.then(|| self.time(i, VALID_UNTIL)),
            nice_classes: r.nice_classes,
            regions: &self.region_sets[r.regions as usize],
        }
    }

    fn materialize(&self, i: usize) -> Authorization {
        let r = &self.records[i];
        let (id, seller, reference) = self.strings(r);
        let time = |slot: usize| self.time(i, slot);
        Authorization {
            brand: self.brands[r.brand as usize].clone(),
            id: ResourceId::from_stored(id),
            platform: self.platforms[r.platform as usize].clone(),
            seller_account: seller.to_string(),
            nice_classes: r.nice_classes,
            regions: self.region_sets[r.regions as usize].to_vec(),
            valid_from: time(VALID_FROM),
            valid_until: r.has_until.then(|| time(VALID_UNTIL)),
            status: r.status,
            reference: reference.to_string(),
            create_time: time(CREATE_TIME),
            update_time: time(UPDATE_TIME),
            update_revision: r.update_revision,
        }
    }
}

/// What an authorization grants, as a seller check reads it
/// ([`Authorizations::best_of_seller`]): borrowed from a base record or an
/// overlay value, nothing made.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Grant<'a> {
    pub(crate) status: AuthorizationStatus,
    pub(crate) valid_from: Timestamp,
    pub(crate) valid_until: Option<Timestamp>,
    pub(crate) nice_classes: NiceClassSet,
    pub(crate) regions: &'a [Region],
}

impl Grant<'_> {
    /// `authorization`'s terms.
    pub(crate) fn of(authorization: &Authorization) -> Grant<'_> {
        Grant {
            status: authorization.status,
            valid_from: authorization.valid_from,
            valid_until: authorization.valid_until,
            nice_classes: authorization.nice_classes,
            regions: &authorization.regions,
        }
    }
}

/// An authorization of a merge of the base with the overlay: a base record
/// (by number) or an overlay value.
enum Entry<'a> {
    Base(&'a Base, usize),
    Overlay(&'a Arc<Authorization>),
}

impl<'a> Entry<'a> {
    /// The authorization's id.
    fn id(&self) -> &'a str {
        match *self {
            Entry::Base(base, i) => base.id(i),
            Entry::Overlay(a) => a.id.as_str(),
        }
    }

    fn grant(&self) -> Grant<'a> {
        match *self {
            Entry::Base(base, i) => base.grant(i),
            Entry::Overlay(a) => Grant::of(a),
        }
    }

    fn materialize(self) -> Arc<Authorization> {
        match self {
            Entry::Base(base, i) => Arc::new(base.materialize(i)),
            Entry::Overlay(a) => a.clone(),
        }
    }
}

type OverlayItem<'a> = (&'a Key, &'a Option<Arc<Authorization>>);

/// Base records (a range of them) merged with overlay entries, both in
/// (brand, id) order: an overlay entry replaces the record with its key,
/// and one of `None` (removed) hides it.
struct Merged<'a, I: Iterator<Item = OverlayItem<'a>>> {
    base: &'a Base,
    records: std::iter::Peekable<Range<usize>>,
    overlay: std::iter::Peekable<I>,
}

impl<'a, I: Iterator<Item = OverlayItem<'a>>> Merged<'a, I> {
    fn new(base: &'a Base, records: Range<usize>, overlay: I) -> Self {
        Merged {
            base,
            records: records.peekable(),
            overlay: overlay.peekable(),
        }
    }
}

impl<'a, I: Iterator<Item = OverlayItem<'a>>> Iterator for Merged<'a, I> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        loop {
            let order = match (self.records.peek(), self.overlay.peek()) {
                (None, None) => return None,
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some(&i), Some(((brand, id), _))) => {
                    let r = &self.base.records[i];
                    (
                        self.base.brands[r.brand as usize].as_str(),
                        self.base.strings(r).0,
                    )
                        .cmp(&(brand.as_str(), id.as_str()))
                }
            };
            if order == std::cmp::Ordering::Less {
                return self.records.next().map(|i| Entry::Base(self.base, i));
            }
            if order == std::cmp::Ordering::Equal {
                self.records.next();
            }
            if let Some((_, Some(a))) = self.overlay.next() {
                return Some(Entry::Overlay(a));
            }
        }
    }
}

fn intern(ids: &mut std::collections::HashMap<Slug, u32>, list: &mut Vec<Slug>, s: &Slug) -> u32 {
    if let Some(&i) = ids.get(s) {
        return i;
    }
    let i = list.len() as u32;
    list.push(s.clone());
    ids.insert(s.clone(), i);
    i
}

/// The slugs in order, and each original position's rank.
fn sorted(list: Vec<Slug>) -> (Vec<Slug>, Vec<u32>) {
    let mut order: Vec<u32> = (0..list.len() as u32).collect();
    order.sort_by(|&a, &b| list[a as usize].cmp(&list[b as usize]));
    let mut rank = vec![0u32; list.len()];
    for (r, &i) in order.iter().enumerate() {
        rank[i as usize] = r as u32;
    }
    let sorted = order.iter().map(|&i| list[i as usize].clone()).collect();
    (sorted, rank)
}

/// Appends `s` with its LEB128 length.
fn put(text: &mut Vec<u8>, s: &str) {
    let mut len = s.len();
    loop {
        let byte = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            text.push(byte);
            break;
        }
        text.push(byte | 0x80);
    }
    text.extend_from_slice(s.as_bytes());
}

/// The string at `*at` (written by [`put`]); moves `*at` past it.
fn take<'a>(text: &'a [u8], at: &mut usize) -> &'a str {
    let mut len = 0usize;
    let mut shift = 0;
    while let Some(&byte) = text.get(*at) {
        *at += 1;
        len |= usize::from(byte & 0x7f) << shift;
        shift += 7;
        if byte & 0x80 == 0 {
            break;
        }
    }
    let bytes = text.get(*at..*at + len).unwrap_or_default();
    *at += len;
    // The arena holds only what `put` wrote from `&str`s.
    std::str::from_utf8(bytes).unwrap_or_default()
}

fn first_string<'a>(text: &'a [u8], r: &Record) -> &'a str {
    take(text, &mut (r.text as usize))
}

fn seller_key(a: &Authorization) -> SellerKey {
    (
        a.brand.clone(),
        a.platform.clone(),
        Arc::from(nfc_seller_account(&a.seller_account).as_ref()),
    )
}

/// `a` as the table keeps it (the same `Arc` when it already is): every
/// timestamp in UTC, and the seller account in NFC, as the API writes it
/// ([`nfc_seller_account`]): one stored in another form before the API
/// normalized accounts is found by checks of either spelling, as one
/// written now is.
fn as_kept(a: Arc<Authorization>) -> Arc<Authorization> {
    let utc = |t: &Timestamp| t.offset() == UtcOffset::UTC;
    let seller = nfc_seller_account(&a.seller_account);
    if utc(&a.valid_from)
        && a.valid_until.as_ref().is_none_or(utc)
        && utc(&a.create_time)
        && utc(&a.update_time)
        && matches!(seller, Cow::Borrowed(_))
    {
        return a;
    }
    let seller = seller.into_owned();
    let mut a = (*a).clone();
    a.seller_account = seller;
    a.valid_from = a.valid_from.to_offset(UtcOffset::UTC);
    a.valid_until = a.valid_until.map(|t| t.to_offset(UtcOffset::UTC));
    a.create_time = a.create_time.to_offset(UtcOffset::UTC);
    a.update_time = a.update_time.to_offset(UtcOffset::UTC);
    Arc::new(a)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;
    use crate::snapshot::background::tests::{
        blocking_ran, next_blocking_waits_until, on_a_single_worker,
    };

    fn slug(s: &str) -> Slug {
        Slug::parse(s).expect("slug")
    }

    fn time(secs: i64, nanos: u32) -> Timestamp {
        Timestamp::from_unix_timestamp_nanos(i128::from(secs) * 1_000_000_000 + i128::from(nanos))
            .expect("time")
    }

    #[derive(Clone, Debug)]
    struct Spec {
        brand: u8,
        id: u8,
        platform: u8,
        seller: u8,
        status: u8,
        regions: u8,
        until: bool,
        revision: u64,
    }

    fn authorization(s: &Spec) -> Authorization {
        let regions = match s.regions % 3 {
            0 => vec![],
            1 => vec![Region::parse("FR").expect("FR")],
            _ => vec![
                Region::parse("CN").expect("CN"),
                Region::parse("FR").expect("FR"),
            ],
        };
        Authorization {
            brand: slug(&format!("brand-{}", s.brand % 3)),
            id: ResourceId::parse(&format!("id{:02}", s.id % 24)).expect("id"),
            platform: slug(&format!("platform-{}", s.platform % 2)),
            seller_account: format!("seller {} ✓", s.seller % 4),
            nice_classes: NiceClassSet::parse_list(&[i32::from(s.seller % 45) + 1])
                .expect("classes"),
            regions,
            valid_from: time(1_700_000_000 + i64::from(s.id), 123_456_789),
            valid_until: s.until.then(|| time(253_402_300_000, 1)),
            status: match s.status % 3 {
                0 => AuthorizationStatus::Active,
                1 => AuthorizationStatus::Suspended,
                _ => AuthorizationStatus::Revoked,
            },
            reference: "r".repeat(usize::from(s.status) * 50),
            create_time: time(-62_000_000_000, 7),
            update_time: time(1_800_000_000, 999_999_999),
            update_revision: s.revision,
        }
    }

    #[derive(Clone, Debug)]
    enum Op {
        /// Put this authorization (removing the one with its key first, as
        /// a snapshot applies a change).
        Put(Spec),
        /// Remove the authorization with this brand and id, if any.
        Remove(u8, u8),
        Compact,
        /// Start folding the overlay on a thread of its own.
        StartCompaction,
        /// Adopt the fold's base, once built (waiting for it, or not).
        Adopt(bool),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (any::<[u8; 7]>(), any::<bool>(), 1u64..1_000_000).prop_map(|(b, until, revision)| {
                Op::Put(Spec {
                    brand: b[0],
                    id: b[1],
                    platform: b[2],
                    seller: b[3],
                    status: b[4],
                    regions: b[5],
                    until,
                    revision,
                })
            }),
            2 => (any::<u8>(), any::<u8>()).prop_map(|(b, i)| Op::Remove(b, i)),
            1 => Just(Op::Compact),
            2 => Just(Op::StartCompaction),
            2 => any::<bool>().prop_map(Op::Adopt),
        ]
    }

    type Model = BTreeMap<(Slug, ResourceId), Arc<Authorization>>;

    fn run(ops: &[Op]) -> (Authorizations, Model) {
        let mut table = Authorizations::default();
        let mut model = Model::new();
        for op in ops {
            match op {
                Op::Put(spec) => {
                    let a = Arc::new(authorization(spec));
                    let key = (a.brand.clone(), a.id.clone());
                    if let Some(old) = model.insert(key, a.clone()) {
                        table.remove(&old);
                    }
                    table.insert(a);
                }
                Op::Remove(b, i) => {
                    let key = (
                        slug(&format!("brand-{}", b % 3)),
                        ResourceId::parse(&format!("id{:02}", i % 24)).expect("id"),
                    );
                    if let Some(old) = model.remove(&key) {
                        table.remove(&old);
                    }
                }
                Op::Compact => table.compact(),
                Op::StartCompaction => {
                    if table.pending.is_none() {
                        table.start_compaction();
                    }
                }
                Op::Adopt(wait) => {
                    table.adopt(*wait);
                }
            }
        }
        (table, model)
    }

    fn agree(table: &Authorizations, model: &Model) -> Result<(), TestCaseError> {
        let all: Vec<Arc<Authorization>> = table.iter().collect();
        let expected: Vec<Arc<Authorization>> = model.values().cloned().collect();
        prop_assert_eq!(&all, &expected);
        prop_assert_eq!(table.len(), model.len());
        for brand in 0..3 {
            let brand = slug(&format!("brand-{brand}"));
            // Every page boundary of the brand's listing.
            let ids: Vec<String> = model
                .keys()
                .filter(|(b, _)| *b == brand)
                .map(|(_, id)| id.to_string())
                .collect();
            let listed: Vec<String> = table.of_brand(&brand, None).map(|(id, _)| id).collect();
            prop_assert_eq!(&listed, &ids);
            for (n, after) in ids.iter().enumerate() {
                let rest: Vec<String> = table
                    .of_brand(&brand, Some(after))
                    .map(|(id, _)| id)
                    .collect();
                prop_assert_eq!(&rest[..], &ids[n + 1..]);
            }
            for id in 0..24 {
                let id = ResourceId::parse(&format!("id{id:02}")).expect("id");
                prop_assert_eq!(
                    table.get(&brand, &id),
                    model.get(&(brand.clone(), id.clone())).cloned()
                );
            }
            for platform_number in 0..2 {
                let platform = slug(&format!("platform-{platform_number}"));
                for seller in 0..4 {
                    let seller = format!("seller {seller} ✓");
                    let mut found: Vec<Arc<Authorization>> =
                        table.of_seller(&brand, &platform, &seller);
                    // The first of the lowest, read where each is kept, as
                    // of the ones made: by every term, and by the status
                    // alone (ties).
                    let ranks: [fn(Grant<'_>) -> String; 2] = [
                        |grant| format!("{grant:?}"),
                        |grant| format!("{:?}", grant.status),
                    ];
                    for rank in ranks {
                        let mut lowest: Option<(String, &Arc<Authorization>)> = None;
                        for a in &found {
                            let r = rank(Grant::of(a));
                            if lowest.as_ref().is_none_or(|(l, _)| r < *l) {
                                lowest = Some((r, a));
                            }
                        }
                        let best = table.best_of_seller(&brand, &platform, &seller, rank);
                        prop_assert_eq!(
                            best.as_ref().map(|(r, a)| (r, a)),
                            lowest.as_ref().map(|(r, a)| (r, *a))
                        );
                    }
                    // The first live one, and the first of a status that
                    // may be absent, read in place as of the ones made.
                    for status in [AuthorizationStatus::Revoked, AuthorizationStatus::Suspended] {
                        prop_assert_eq!(
                            table.first_of_seller(&brand, &platform, &seller, |g| g.status
                                != status),
                            found.iter().find(|a| a.status != status).cloned()
                        );
                        prop_assert_eq!(
                            table.first_of_seller(&brand, &platform, &seller, |g| g.status
                                == status),
                            found.iter().find(|a| a.status == status).cloned()
                        );
                    }
                    // A page of the seller's, through the index, is the
                    // brand's listing filtered to them, after every id.
                    let others = slug(&format!("platform-{}", 1 - platform_number));
                    for platforms in [vec![&platform], vec![&platform, &others]] {
                        let mine: Vec<Arc<Authorization>> = table
                            .of_brand(&brand, None)
                            .map(|(_, a)| a)
                            .filter(|a| {
                                platforms.contains(&&a.platform) && a.seller_account == seller
                            })
                            .collect();
                        let afters = std::iter::once(None)
                            .chain(ids.iter().map(|id| Some(id.as_str())))
                            .chain([Some("id"), Some("id99")]);
                        for after in afters {
                            let rest: Vec<&Arc<Authorization>> = mine
                                .iter()
                                .filter(|a| after.is_none_or(|after| a.id.as_str() > after))
                                .collect();
                            for limit in 1..=3 {
                                let (page, more) = table
                                    .of_seller_after(&brand, &platforms, &seller, after, limit);
                                let expected: Vec<Arc<Authorization>> =
                                    rest.iter().take(limit).map(|a| (*a).clone()).collect();
                                prop_assert_eq!(page, expected);
                                prop_assert_eq!(more, rest.len() > limit);
                            }
                        }
                    }
                    found.sort_by(|a, b| a.id.cmp(&b.id));
                    let expected: Vec<Arc<Authorization>> = model
                        .values()
                        .filter(|a| {
                            a.brand == brand && a.platform == platform && a.seller_account == seller
                        })
                        .cloned()
                        .collect();
                    prop_assert_eq!(found, expected);
                }
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Whatever the changes and whenever compactions happen (here, or
        /// on a thread of their own and adopted after later changes), the
        /// table answers like a plain ordered map of authorizations.
        #[test]
        fn table_answers_like_an_ordered_map(ops in proptest::collection::vec(op(), 0..60)) {
            let (mut table, model) = run(&ops);
            agree(&table, &model)?;
            table.adopt(true);
            agree(&table, &model)?;
            table.compact();
            agree(&table, &model)?;
        }
    }

    #[test]
    fn timestamps_are_kept_in_utc_to_the_nanosecond_before_and_after_compaction() {
        let spec = Spec {
            brand: 0,
            id: 1,
            platform: 0,
            seller: 0,
            status: 0,
            regions: 2,
            until: true,
            revision: 9,
        };
        let mut a = authorization(&spec);
        let offset = UtcOffset::from_hms(2, 0, 0).expect("offset");
        a.valid_from = a.valid_from.to_offset(offset);
        let mut table = Authorizations::default();
        table.insert(Arc::new(a.clone()));
        let before = table.get(&a.brand, &a.id).expect("present");
        table.compact();
        let after = table.get(&a.brand, &a.id).expect("present");
        assert_eq!(before, after);
        assert_eq!(after.valid_from.offset(), UtcOffset::UTC);
        assert_eq!(after.valid_from, a.valid_from);
        assert_eq!(after.valid_from.nanosecond(), 123_456_789);
        assert_eq!(
            serde_json::to_string(&*before).expect("json"),
            serde_json::to_string(&*after).expect("json")
        );
    }

    /// An authorization stored with its seller account decomposed (NFD),
    /// before the API normalized accounts, is kept in NFC, loaded or
    /// applied: a check of either spelling, which the API reads as NFC,
    /// finds it, before and after compaction.
    #[test]
    fn a_stored_seller_account_is_kept_in_nfc() {
        let spec = |id: u8| Spec {
            brand: 0,
            id,
            platform: 0,
            seller: 0,
            status: 0,
            regions: 0,
            until: false,
            revision: 3,
        };
        let decomposed = |id: u8| {
            let mut a = authorization(&spec(id));
            a.seller_account = "Cafe\u{301}".into();
            a
        };
        let (loaded, applied) = (decomposed(1), decomposed(2));
        let mut builder = Builder::default();
        builder.push(&loaded);
        let mut table: Authorizations = builder.into();
        table.insert(Arc::new(applied.clone()));
        let (brand, platform) = (&loaded.brand, &loaded.platform);
        for round in ["before compaction", "after"] {
            let mut found: Vec<String> = table
                .of_seller(brand, platform, "Caf\u{E9}")
                .iter()
                .map(|a| a.id.to_string())
                .collect();
            found.sort();
            assert_eq!(found, ["id01", "id02"], "{round}");
            for a in [&loaded, &applied] {
                let kept = table.get(&a.brand, &a.id).expect("present");
                assert_eq!(kept.seller_account, "Caf\u{E9}", "{round}");
            }
            table.compact();
        }
        assert!(table.of_seller(brand, platform, "Cafe\u{301}").is_empty());
    }

    #[test]
    fn the_overlay_is_folded_in_once_it_reaches_a_sixteenth_of_the_base() {
        let mut builder = Builder::default();
        let n = MIN_COMPACT * 16;
        let spec = |i: usize| Spec {
            brand: (i % 3) as u8,
            id: 0,
            platform: 0,
            seller: 0,
            status: 0,
            regions: 0,
            until: false,
            revision: i as u64,
        };
        let made = |i: usize| {
            let mut a = authorization(&spec(i));
            a.id = ResourceId::parse(&format!("x{i:06}")).expect("id");
            a
        };
        for i in 0..n {
            builder.push(&made(i));
        }
        let mut table = Authorizations::from(builder);
        assert_eq!(table.len(), n);
        for i in n..n + MIN_COMPACT - 1 {
            table.insert(Arc::new(made(i)));
            table.compact_if_due();
        }
        assert_eq!(table.overlay.len(), MIN_COMPACT - 1);
        assert!(table.pending.is_none());
        table.insert(Arc::new(made(n + MIN_COMPACT)));
        table.compact_if_due();
        // The fold runs on a thread of its own; a change made meanwhile
        // stays in the overlay once its base is adopted.
        assert!(table.pending.is_some());
        table.insert(Arc::new(made(n + MIN_COMPACT + 1)));
        table.pending.as_ref().expect("a fold").built.wait();
        assert!(table.fold_finished());
        // Adopted without waiting, as a later change or a quiet
        // registry's adoption does.
        table.compact_if_due();
        assert!(table.pending.is_none() && !table.fold_finished());
        assert_eq!(table.overlay.len(), 1);
        assert_eq!(table.base.records.len(), n + MIN_COMPACT);
        assert_eq!(table.len(), n + MIN_COMPACT + 1);
    }

    /// Authorization `i` of three brands and four sellers, with id
    /// `x{i:06}`.
    fn made(i: usize) -> Arc<Authorization> {
        let mut a = authorization(&Spec {
            brand: (i % 3) as u8,
            id: 0,
            platform: 0,
            seller: (i % 4) as u8,
            status: 0,
            regions: 0,
            until: false,
            revision: i as u64,
        });
        a.id = ResourceId::parse(&format!("x{i:06}")).expect("id");
        Arc::new(a)
    }

    #[test]
    fn a_fold_that_panics_is_started_again_only_once_the_overlay_has_doubled() {
        let mut table = Authorizations::default();
        let tell = crate::snapshot::background::tests::next_job_panics_when_told();
        for i in 0..MIN_COMPACT {
            table.insert(made(i));
            table.compact_if_due();
        }
        let fold = table.pending.clone().expect("a fold started");
        tell.send(()).expect("the fold waits to panic");
        assert_eq!(fold.built.wait().map(|_| ()), None, "it panicked");
        // The changes after it find it failed, and do not start another
        // until the overlay is twice the size.
        for i in MIN_COMPACT..MIN_COMPACT * 2 - 1 {
            table.insert(made(i));
            table.compact_if_due();
            assert!(table.pending.is_none(), "no fold started at change {i}");
        }
        assert_eq!(table.failed_folds, 1);
        table.insert(made(MIN_COMPACT * 2 - 1));
        table.compact_if_due();
        let fold = table.pending.clone().expect("a fold started again");
        fold.built.wait().expect("this one folds");
        table.insert(made(MIN_COMPACT * 2));
        table.compact_if_due();
        assert_eq!(table.failed_folds, 0, "a fold that succeeds resets it");
        assert_eq!(table.base.records.len(), MIN_COMPACT * 2);
        assert_eq!(table.len(), MIN_COMPACT * 2 + 1);
    }

    #[test]
    fn a_fold_that_panics_wakes_the_burst_waiting_for_it_and_the_table_folds_here() {
        let mut table = Authorizations::default();
        let mut model = Model::new();
        // The fold started once the overlay reaches MIN_COMPACT panics when
        // told; until then it runs.
        let tell = crate::snapshot::background::tests::next_job_panics_when_told();
        let burst = MIN_COMPACT * 4;
        for i in 0..burst - 1 {
            let a = made(i);
            model.insert((a.brand.clone(), a.id.clone()), a.clone());
            table.insert(a);
            table.compact_if_due();
        }
        assert!(table.pending.is_some() && !table.fold_finished());
        let a = made(burst - 1);
        model.insert((a.brand.clone(), a.id.clone()), a.clone());
        table.insert(a);
        // The change that reaches four times the threshold waits for the
        // fold, which panics meanwhile.
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(100));
            let _ = tell.send(());
        });
        let table = crate::snapshot::background::tests::within_ten_seconds(move || {
            table.compact_if_due();
            table
        })
        .expect("the change waiting for the fold wakes when it panics");
        // It folded here instead, and the table answers as before.
        assert!(table.pending.is_none());
        assert_eq!(table.overlay.len(), 0);
        assert_eq!(table.base.records.len(), burst);
        assert_eq!(table.len(), model.len());
        let all: Vec<Arc<Authorization>> = table.iter().collect();
        let expected: Vec<Arc<Authorization>> = model.values().cloned().collect();
        assert_eq!(all, expected);
        let a = made(7);
        assert_eq!(table.get(&a.brand, &a.id), Some(a.clone()));
        let of_seller = table.of_seller(&a.brand, &a.platform, &a.seller_account);
        assert_eq!(
            of_seller.len(),
            model
                .values()
                .filter(|b| b.brand == a.brand && b.seller_account == a.seller_account)
                .count()
        );
    }

    /// 24 authorizations of one brand.
    fn some_authorizations() -> Vec<Arc<Authorization>> {
        (0..24u8)
            .map(|id| {
                Arc::new(authorization(&Spec {
                    brand: 0,
                    id,
                    platform: id,
                    seller: id,
                    status: id,
                    regions: id,
                    until: id % 2 == 0,
                    revision: u64::from(id) + 1,
                }))
            })
            .collect()
    }

    #[test]
    fn folding_here_on_a_worker_lets_the_runtime_run_its_other_tasks() {
        let mut table = Authorizations::default();
        for a in some_authorizations() {
            table.insert(a);
        }
        let (release, released) = std::sync::mpsc::channel();
        let folded = on_a_single_worker(release, move || {
            next_blocking_waits_until(released);
            table.compact();
            (blocking_ran(), table.overlay.len(), table.len())
        });
        assert_eq!(folded, Some((true, 0, 24)));
    }

    #[test]
    fn building_the_table_of_a_load_on_a_worker_lets_the_runtime_run_its_other_tasks() {
        let (release, released) = std::sync::mpsc::channel();
        let built = on_a_single_worker(release, move || {
            let mut builder = Builder::default();
            for a in some_authorizations() {
                builder.push(&a);
            }
            next_blocking_waits_until(released);
            let table = Authorizations::from(builder);
            (blocking_ran(), table.base.records.len())
        });
        assert_eq!(built, Some((true, 24)));
    }
}
