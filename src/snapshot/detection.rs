//! The snapshot's detection index: a base over every active brand, built
//! rarely, and an overlay over the brands changed since (`detect::Layers`).
//!
//! A brand or logo change rebuilds only the overlay, over the brands
//! changed since the base was built: milliseconds, where a base for 100k
//! brands takes seconds. So a write that changes a brand never waits for
//! the whole index. Once the overlay has grown to [`OverlayLimits`]'s
//! `rebuild_at` brands, a new base is built on a thread of its own, over
//! the brands as they were at that revision. A later refresh (the next
//! change applied) adopts it, and keeps in the overlay only the brands
//! changed after that revision. If the overlay reaches `wait_at` brands
//! before the new base is ready (a burst of brand changes), the refresh
//! waits for it, so the overlay stays small (and builds a base itself if
//! that build failed or panicked).
//!
//! Brand numbers: the base's brands are `0..base`, in id order; the
//! overlay's follow, in id order. A brand changed since the base was built
//! is *retired* there (its base matches are dropped) and, if still active,
//! found in the overlay instead.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
};

use imbl::OrdMap;

use super::background::{Background, blocking};
use super::{BrandChild, of_parent};
use crate::detect::{BrandEntry, BrandIndex, IndexError, Layers, NameId};
use crate::model::{Brand, BrandStatus, Logo, Slug, Timestamp};

/// A number for `owner`, the same for the life of the process, so that a
/// base and an overlay built at different times agree on it
/// ([`BrandEntry::owner`]). Members are few (an alliance's hundreds), and
/// a number is taken only when an index is built, never on a check.
fn owner_number(owner: &Slug) -> u32 {
    static NUMBERS: std::sync::LazyLock<std::sync::Mutex<HashMap<Slug, u32>>> =
        std::sync::LazyLock::new(Default::default);
    let mut numbers = NUMBERS.lock().unwrap_or_else(|e| e.into_inner());
    let next = u32::try_from(numbers.len()).unwrap_or(u32::MAX);
    *numbers.entry(owner.clone()).or_insert(next)
}

/// A time as the detection index orders brands' registrations
/// ([`BrandEntry::registered`]): nanoseconds since the Unix epoch, those
/// before 1678 or after 2261 as the first or last that fit (the order of
/// any time a registry holds kept).
#[must_use]
pub fn registration_order(at: Timestamp) -> i64 {
    let nanos = at.unix_timestamp_nanos();
    i64::try_from(nanos).unwrap_or(if nanos < 0 { i64::MIN } else { i64::MAX })
}

/// One layer: an index and its brands, numbered from `first`.
#[derive(Debug)]
struct Tier {
    index: BrandIndex,
    /// Brand number `first + i` → brand, in id order.
    brands: Vec<Arc<Brand>>,
}

impl Tier {
    /// The index over the active brands among `ids` (every brand when
    /// `None`), numbered from `first`, with their names and logos.
    fn build<'a>(
        brands: &OrdMap<Slug, Arc<Brand>>,
        logos: &OrdMap<BrandChild, Arc<Logo>>,
        ids: Option<impl Iterator<Item = &'a Slug>>,
        first: u32,
    ) -> Result<Tier, IndexError> {
        let chosen: Vec<Arc<Brand>> = match ids {
            Some(ids) => ids.filter_map(|id| brands.get(id)).cloned().collect(),
            None => brands.values().cloned().collect(),
        };
        let chosen: Vec<Arc<Brand>> = chosen
            .into_iter()
            .filter(|b| b.status == BrandStatus::Active)
            .collect();
        let entries = chosen.iter().enumerate().map(|(i, brand)| {
            let mut names = Vec::with_capacity(1 + brand.aliases.len());
            names.push(brand.display_name.clone());
            names.extend(brand.aliases.iter().cloned());
            BrandEntry {
                id: first.saturating_add(u32::try_from(i).unwrap_or(u32::MAX)),
                names,
                logos: of_parent(logos, &brand.id).map(|l| l.hash.0).collect(),
                owner: owner_number(&brand.owner),
                registered: registration_order(brand.create_time),
            }
        });
        let index = BrandIndex::build(entries)?;
        Ok(Tier {
            index,
            brands: chosen,
        })
    }

    /// The position of brand `id` among this tier's brands.
    fn position(&self, id: &Slug) -> Option<usize> {
        self.brands.binary_search_by(|b| b.id.cmp(id)).ok()
    }
}

/// The detection index of a snapshot, with its brands.
#[derive(Debug)]
pub struct Detection {
    /// Built over every active brand at some revision.
    base: Arc<Tier>,
    /// Built over the active brands changed since, numbered after `base`.
    overlay: Option<Tier>,
    /// Numbers of `base`'s brands changed since it was built, sorted.
    retired: Vec<u32>,
    /// The brands changed since `base` was built, with the refresh of
    /// their last change ([`DetectionState::refreshes`]).
    touched: BTreeMap<Slug, u64>,
}

impl Detection {
    /// The two layers, to scan.
    #[must_use]
    pub fn layers(&self) -> Layers<'_> {
        Layers {
            base: &self.base.index,
            retired: &self.retired,
            overlay: self.overlay.as_ref().map(|o| &o.index),
        }
    }

    /// The brand of brand number `number`, as matches report it.
    #[must_use]
    pub fn brand(&self, number: u32) -> Option<&Arc<Brand>> {
        let number = number as usize;
        let base = self.base.brands.len();
        if number < base {
            self.base.brands.get(number)
        } else {
            self.overlay.as_ref()?.brands.get(number - base)
        }
    }

    /// How many brand numbers are in use (retired ones included).
    #[must_use]
    pub fn brand_count(&self) -> usize {
        self.base.brands.len() + self.overlay.as_ref().map_or(0, |o| o.brands.len())
    }

    /// Every brand number in use, in order, with its brand (retired ones
    /// included: they keep their number until the next base).
    pub fn numbered(&self) -> impl Iterator<Item = (u32, &Arc<Brand>)> {
        self.base
            .brands
            .iter()
            .chain(self.overlay.iter().flat_map(|o| o.brands.iter()))
            .enumerate()
            .map(|(i, b)| (u32::try_from(i).unwrap_or(u32::MAX), b))
    }

    /// The number matches report for brand `id` (`None` if not active).
    #[must_use]
    pub fn number_of(&self, id: &Slug) -> Option<u32> {
        let base = self.base.brands.len();
        if let Some(overlay) = &self.overlay
            && let Some(i) = overlay.position(id)
        {
            return u32::try_from(base + i).ok();
        }
        let number = u32::try_from(self.base.position(id)?).ok()?;
        self.retired
            .binary_search(&number)
            .is_err()
            .then_some(number)
    }

    /// The registered name or alias `name` of a match.
    #[must_use]
    pub fn term(&self, name: NameId) -> &str {
        self.layers().term(name)
    }

    /// The base index (for reporting: its size, its names).
    #[must_use]
    pub fn base_index(&self) -> &BrandIndex {
        &self.base.index
    }

    /// How many brands the overlay holds, and how many changed since the
    /// base was built (removed and archived ones included).
    #[must_use]
    pub fn overlay_size(&self) -> (usize, usize) {
        (
            self.overlay.as_ref().map_or(0, |o| o.brands.len()),
            self.touched.len(),
        )
    }
}

/// When the overlay is folded into a new base.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OverlayLimits {
    /// Start building a new base once this many brands changed.
    pub(crate) rebuild_at: usize,
    /// Wait for the new base (or build it here) at this many.
    pub(crate) wait_at: usize,
}

impl OverlayLimits {
    /// For a base of `brands` brands: a new base after an eighth of them
    /// changed, at least 16 and at most 256; waiting at 16 times that.
    fn for_base(brands: usize) -> OverlayLimits {
        let rebuild_at = (brands / 8).clamp(16, 256);
        OverlayLimits {
            rebuild_at,
            wait_at: rebuild_at * 16,
        }
    }
}

/// A base being built on a thread of its own.
#[derive(Debug)]
struct PendingBase {
    /// The refresh whose brands it is built over.
    refresh: u64,
    build: Arc<Background<Arc<Tier>>>,
}

/// What a refresh changed, for the scope summaries that follow the brand
/// numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Refreshed {
    /// Nothing.
    Unchanged,
    /// The overlay (its brands are renumbered; the base's stay).
    Overlay,
    /// Everything: a new base.
    Full,
}

/// The detection index of a snapshot and what it needs to stay current.
#[derive(Clone, Debug, Default)]
pub(super) struct DetectionState {
    current: Option<Arc<Detection>>,
    /// Brands whose record or logos changed since the last refresh.
    dirty: Vec<Slug>,
    /// Build a new base on the next refresh (a load).
    rebuild: bool,
    /// A new base being built, shared by the snapshots derived from the
    /// one that started it.
    pending: Option<Arc<PendingBase>>,
    /// Fixed limits (tests), else [`OverlayLimits::for_base`].
    limits: Option<OverlayLimits>,
    /// Refreshes that found brands changed, in this snapshot's lineage.
    refreshes: u64,
    /// Bases built on a thread of their own that failed (an error, a
    /// panic) in a row: the next starts only once twice as many brands
    /// changed for each, so that a build that always fails is not started
    /// again at every change.
    failed_builds: u32,
}

impl DetectionState {
    pub(super) fn current(&self) -> Option<&Arc<Detection>> {
        self.current.as_ref()
    }

    /// Notes that brand `id`, or one of its logos, changed.
    pub(super) fn touch(&mut self, id: &Slug) {
        self.dirty.push(id.clone());
    }

    /// Builds a new base on the next refresh.
    pub(super) fn rebuild_all(&mut self) {
        self.rebuild = true;
    }

    #[cfg(test)]
    pub(super) fn set_limits(&mut self, limits: OverlayLimits) {
        self.limits = Some(limits);
    }

    /// Whether a new base built on another thread has ended and waits for
    /// a refresh to adopt it.
    pub(super) fn finished(&self) -> bool {
        self.pending.as_ref().is_some_and(|p| p.build.is_done())
    }

    /// Waits for a base being built, so the next refresh adopts it.
    pub(super) fn wait_for_pending(&self) {
        if let Some(pending) = &self.pending {
            pending.build.wait();
        }
    }

    /// Brings the index up to date with `brands` and `logos`.
    pub(super) fn refresh(
        &mut self,
        brands: &OrdMap<Slug, Arc<Brand>>,
        logos: &OrdMap<BrandChild, Arc<Logo>>,
    ) -> Refreshed {
        let Some(current) = self.current.clone().filter(|_| !self.rebuild) else {
            return self.build_base(brands, logos);
        };
        let finished = self.take_finished();
        if self.dirty.is_empty() && finished.is_none() {
            return Refreshed::Unchanged;
        }
        self.refreshes += 1;
        let mut touched = current.touched.clone();
        for id in self.dirty.drain(..) {
            touched.insert(id, self.refreshes);
        }
        let mut base = current.base.clone();
        let mut refreshed = Refreshed::Overlay;
        if let Some((built_at, new_base)) = finished {
            base = new_base;
            touched.retain(|_, changed| *changed > built_at);
            refreshed = Refreshed::Full;
        }
        let limits = self
            .limits
            .unwrap_or_else(|| OverlayLimits::for_base(base.brands.len()));
        if touched.len() >= limits.wait_at {
            // A burst of changes outran the new base: wait for it.
            match self
                .pending
                .take()
                .and_then(|p| Some((p.refresh, p.build.wait()?)))
            {
                Some((built_at, new_base)) => {
                    base = new_base;
                    touched.retain(|_, changed| *changed > built_at);
                    refreshed = Refreshed::Full;
                }
                None => return self.build_base(brands, logos),
            }
        }
        let first = u32::try_from(base.brands.len()).unwrap_or(u32::MAX);
        let overlay = if touched.is_empty() {
            None
        } else {
            match Tier::build(brands, logos, Some(touched.keys()), first) {
                Ok(tier) => Some(tier),
                Err(e) => {
                    crate::auth::current_call_event!(
                        tracing::Level::ERROR,
                        error = %e,
                        "cannot build the brand index overlay; rebuilding it whole"
                    );
                    return self.build_base(brands, logos);
                }
            }
        };
        let mut retired: Vec<u32> = touched
            .keys()
            .filter_map(|id| base.position(id))
            .filter_map(|i| u32::try_from(i).ok())
            .collect();
        retired.sort_unstable();
        let rebuild_at = super::background::backed_off(limits.rebuild_at, self.failed_builds);
        let start = touched.len() >= rebuild_at && self.pending.is_none();
        self.current = Some(Arc::new(Detection {
            base,
            overlay,
            retired,
            touched,
        }));
        if start {
            self.start_base(brands, logos);
        }
        refreshed
    }

    /// Builds a new base here and now, with no overlay: seconds for 100k
    /// brands, so through [`blocking`] (a load, or a burst of brand
    /// changes, builds here, on a tokio worker).
    fn build_base(
        &mut self,
        brands: &OrdMap<Slug, Arc<Brand>>,
        logos: &OrdMap<BrandChild, Arc<Logo>>,
    ) -> Refreshed {
        let built = blocking(|| Tier::build(brands, logos, None::<std::iter::Empty<&Slug>>, 0));
        match built {
            Ok(base) => {
                self.current = Some(Arc::new(Detection {
                    base: Arc::new(base),
                    overlay: None,
                    retired: Vec::new(),
                    touched: BTreeMap::new(),
                }));
                self.dirty.clear();
                self.rebuild = false;
                self.pending = None;
                self.failed_builds = 0;
                Refreshed::Full
            }
            Err(e) => {
                crate::auth::current_call_event!(
                    tracing::Level::ERROR,
                    error = %e,
                    "cannot build the brand index; keeping the previous one"
                );
                self.rebuild = true;
                Refreshed::Unchanged
            }
        }
    }

    /// The new base built on another thread, if it is ready, with the
    /// refresh whose brands it was built over.
    fn take_finished(&mut self) -> Option<(u64, Arc<Tier>)> {
        let pending = self.pending.as_ref()?;
        let outcome = pending.build.outcome()?;
        let built_at = pending.refresh;
        self.pending = None;
        match outcome {
            Some(base) => {
                self.failed_builds = 0;
                Some((built_at, base))
            }
            None => {
                self.failed_builds = self.failed_builds.saturating_add(1);
                None
            }
        }
    }

    /// Starts building a new base over `brands` and `logos` (persistent
    /// maps: handing them over copies nothing) as they are now.
    fn start_base(
        &mut self,
        brands: &OrdMap<Slug, Arc<Brand>>,
        logos: &OrdMap<BrandChild, Arc<Logo>>,
    ) {
        let (brands, logos) = (brands.clone(), logos.clone());
        let build = Background::spawn("marque-index", move || {
            let started = std::time::Instant::now();
            match Tier::build(&brands, &logos, None::<std::iter::Empty<&Slug>>, 0) {
                Ok(base) => {
                    tracing::info!(
                        brands = base.brands.len(),
                        seconds = started.elapsed().as_secs_f64(),
                        "built a new brand index base"
                    );
                    Some(Arc::new(base))
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot build a new brand index base");
                    None
                }
            }
        });
        self.pending = build.map(|build| {
            Arc::new(PendingBase {
                refresh: self.refreshes,
                build,
            })
        });
    }
}

#[cfg(test)]
mod tests {
    //! The layered index answers every check as a snapshot built afresh
    //! from the same resources would, whatever brand and logo changes
    //! arrive, and whenever the new base is adopted.

    use std::collections::BTreeMap;
    use std::sync::Arc;

    use proptest::prelude::*;

    use super::{OverlayLimits, registration_order};
    use crate::listing::{self, Listing};
    use crate::logo::LogoHash;
    use crate::model::{
        Brand, BrandStatus, Change, Logo, NiceClass, NiceClassSet, Office, Region, Resource,
        ResourceId, Slug, Timestamp, Trademark, TrademarkKind, TrademarkStatus,
    };
    use crate::snapshot::Snapshot;
    use crate::snapshot::background::tests::{
        blocking_ran, next_blocking_waits_until, on_a_single_worker,
    };

    /// Names that overlap, nest and misspell one another, in both scripts.
    const NAMES: [&str; 11] = [
        "Zephyrine",
        "Zephyrina",
        "Lumora",
        "Lumo",
        "Maison Verlaine",
        "Verlaine",
        "Aurelle",
        "路易威登",
        "路易",
        "Calloway",
        "Verlaina",
    ];
    const HASHES: [u64; 4] = [
        0x0f0f_0f0f_0f0f_0f0f,
        0x0f0f_0f0f_0f0f_0f0e,
        0xffff_0000_ffff_0000,
        0x1234_5678_9abc_def0,
    ];

    fn slug(b: u8) -> Slug {
        Slug::parse(&format!("brand-{}", b % 8)).expect("slug")
    }

    fn brand(b: u8, name: u8, alias: Option<u8>, active: bool, common: bool) -> Resource {
        Resource::Brand(Arc::new(Brand {
            id: slug(b),
            // Two owners: a name hides another owner's misspelt name only
            // where it is written.
            owner: Slug::parse(if b.is_multiple_of(2) {
                "owner"
            } else {
                "other"
            })
            .expect("slug"),
            display_name: NAMES[usize::from(name) % NAMES.len()].into(),
            aliases: alias
                .map(|a| NAMES[usize::from(a) % NAMES.len()].to_string())
                .into_iter()
                .collect(),
            common_word: common,
            status: if active {
                BrandStatus::Active
            } else {
                BrandStatus::Archived
            },
            create_time: Timestamp::UNIX_EPOCH,
            update_time: Timestamp::UNIX_EPOCH,
            update_revision: 1,
        }))
    }

    fn logo(b: u8, id: u8, hash: u8) -> Resource {
        Resource::Logo(Arc::new(Logo {
            brand: slug(b),
            id: ResourceId::parse(&format!("logo{}", id % 2)).expect("id"),
            description: String::new(),
            hash: LogoHash(HASHES[usize::from(hash) % HASHES.len()]),
            image_sha256: None,
            create_time: Timestamp::UNIX_EPOCH,
            update_revision: 1,
        }))
    }

    /// A trademark for every brand slot, classes 9 and 14 (14 only for odd
    /// slots), in France.
    fn trademark(b: u8) -> Resource {
        let classes: &[i32] = if b % 2 == 1 { &[14] } else { &[9, 14] };
        Resource::Trademark(Arc::new(Trademark {
            brand: slug(b),
            id: ResourceId::parse("tm").expect("id"),
            office: Office::Euipo,
            registration_number: format!("{b}"),
            mark_text: String::new(),
            kind: TrademarkKind::Word,
            nice_classes: NiceClassSet::parse_list(classes).expect("classes"),
            status: TrademarkStatus::Registered,
            registration_date: None,
            expiry_date: None,
            designated_countries: vec![],
            territories: vec![Region::parse("FR").expect("region")],
            update_revision: 1,
        }))
    }

    #[derive(Clone, Debug)]
    enum Op {
        Brand(u8, u8, Option<u8>, bool, bool),
        RemoveBrand(u8),
        Logo(u8, u8, u8),
        RemoveLogo(u8, u8),
        /// The end of a revision: indexes brought up to date.
        Commit,
        /// Wait for a new base being built, and adopt it.
        Settle,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (any::<u8>(), any::<u8>(), proptest::option::of(any::<u8>()), any::<u8>(), any::<u8>())
                .prop_map(|(b, n, a, active, common)| Op::Brand(b, n, a, active % 5 != 0, common % 7 == 0)),
            1 => any::<u8>().prop_map(Op::RemoveBrand),
            2 => (any::<u8>(), any::<u8>(), any::<u8>()).prop_map(|(b, i, h)| Op::Logo(b, i, h)),
            1 => (any::<u8>(), any::<u8>()).prop_map(|(b, i)| Op::RemoveLogo(b, i)),
            3 => Just(Op::Commit),
            1 => Just(Op::Settle),
        ]
    }

    fn key(r: &Resource) -> (u8, String, String) {
        match r {
            Resource::Brand(b) => (0, b.id.to_string(), String::new()),
            Resource::Logo(l) => (1, l.brand.to_string(), l.id.to_string()),
            Resource::Trademark(t) => (2, t.brand.to_string(), t.id.to_string()),
            _ => (3, String::new(), String::new()),
        }
    }

    /// Every match of `snapshot`'s check of `listing`, as comparable text.
    fn check(snapshot: &Snapshot, listing: &Listing) -> (String, Vec<String>) {
        let platform = Slug::parse("shop").expect("slug");
        let outcome = listing::check(snapshot, &platform, listing, Timestamp::UNIX_EPOCH);
        let mut matches: Vec<String> = outcome
            .matches
            .iter()
            .map(|m| {
                format!(
                    "{} {:?} strong={} {:?} {:?} {:?} tm={:?} {:?} drives={}",
                    m.brand.id,
                    m.evidence,
                    m.strong,
                    m.field,
                    outcome.term(m),
                    m.span,
                    m.trademark.as_ref().map(|t| t.brand.to_string()),
                    m.reason,
                    m.drives_verdict,
                )
            })
            .collect();
        matches.sort();
        (
            format!("{:?} {:?}", outcome.verdict, outcome.signal_terms),
            matches,
        )
    }

    fn listings() -> Vec<Listing> {
        let fr = Some(Region::parse("FR").expect("region"));
        let class = |c| Some(NiceClass::parse(c).expect("class"));
        let listing = |title: &str, declared: &str, hashes: Vec<u64>, nice_class| Listing {
            seller_account: "seller".into(),
            title: title.into(),
            description: String::new(),
            declared_brand: declared.into(),
            nice_class,
            region: fr,
            image_hashes: hashes,
        };
        vec![
            listing(
                "Zephyrine watch, replica of Zephyrina",
                "Lumora",
                vec![],
                class(14),
            ),
            listing(
                "Z e p h y r i n e and Lum0ra bag",
                "",
                vec![HASHES[0]],
                class(9),
            ),
            listing(
                "Maison Verlaine 路易威登 wallet for Calloway",
                "路易",
                vec![HASHES[2]],
                None,
            ),
            listing(
                "Aurelie Zephyrene Lumo Calloway",
                "Maison Verlaine",
                vec![HASHES[1], HASHES[3]],
                class(14),
            ),
        ]
    }

    /// Compares `snapshot` with one built afresh from `resources`.
    fn assert_same(
        snapshot: &Snapshot,
        resources: &BTreeMap<(u8, String, String), Resource>,
    ) -> Result<(), TestCaseError> {
        let fresh = Snapshot::from_resources(snapshot.revision(), resources.values().cloned());
        for listing in listings() {
            prop_assert_eq!(
                check(snapshot, &listing),
                check(&fresh, &listing),
                "{:?}",
                listing.title
            );
        }
        Ok(())
    }

    /// Eight active brands, each with a trademark, by key.
    fn eight_brands() -> BTreeMap<(u8, String, String), Resource> {
        (0..8u8)
            .flat_map(|b| [brand(b, b, None, true, false), trademark(b)])
            .map(|r| (key(&r), r))
            .collect()
    }

    /// Brand `b` renamed (and given an alias) in `snapshot` and `resources`.
    fn rename_brand(
        snapshot: &mut Snapshot,
        resources: &mut BTreeMap<(u8, String, String), Resource>,
        b: u8,
    ) {
        let after = brand(b, b + 1, Some(b + 2), true, false);
        let before = resources.insert(key(&after), after.clone());
        snapshot.apply_change(&Change {
            before,
            after: Some(after),
        });
    }

    #[test]
    fn a_quiet_snapshot_adopts_a_finished_base_without_a_change() {
        let mut resources = eight_brands();
        let mut snapshot = Snapshot::from_resources(1, resources.values().cloned());
        snapshot.detection.set_limits(OverlayLimits {
            rebuild_at: 3,
            wait_at: 100,
        });
        assert!(!snapshot.background_finished());
        for b in 0..3u8 {
            rename_brand(&mut snapshot, &mut resources, b);
            snapshot.refresh_indexes();
        }
        // The third changed brand started a new base on another thread.
        let detection = snapshot.detection().expect("index");
        assert_eq!(detection.overlay_size(), (3, 3));
        snapshot.detection.wait_for_pending();
        assert!(snapshot.background_finished());

        let before = snapshot.clone();
        snapshot.adopt_finished();
        assert!(!snapshot.background_finished());
        let detection = snapshot.detection().expect("index");
        assert_eq!(detection.overlay_size(), (0, 0));
        assert_eq!(snapshot.revision(), before.revision());
        assert_same(&snapshot, &resources).expect("same answers");
        // The snapshot it came from still answers as before.
        assert_eq!(before.detection().expect("index").overlay_size(), (3, 3));
        assert_same(&before, &resources).expect("same answers");
    }

    #[test]
    fn a_base_build_that_panics_wakes_the_refresh_waiting_for_it_and_the_index_is_built_here() {
        let mut resources = eight_brands();
        let mut snapshot = Snapshot::from_resources(1, resources.values().cloned());
        snapshot.detection.set_limits(OverlayLimits {
            rebuild_at: 2,
            wait_at: 4,
        });
        // The base started at the second changed brand panics when told;
        // until then it runs.
        let tell = crate::snapshot::background::tests::next_job_panics_when_told();
        for b in 0..4u8 {
            rename_brand(&mut snapshot, &mut resources, b);
            if b < 3 {
                snapshot.refresh_indexes();
            }
        }
        assert_eq!(snapshot.detection().expect("index").overlay_size(), (3, 3));
        assert!(!snapshot.background_finished());
        // The fourth changed brand reaches `wait_at`: its refresh waits for
        // the new base, which panics meanwhile.
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(100));
            let _ = tell.send(());
        });
        let snapshot = crate::snapshot::background::tests::within_ten_seconds(move || {
            snapshot.refresh_indexes();
            snapshot
        })
        .expect("the refresh waiting for the new base wakes when it panics");
        // It built the index here instead.
        assert_eq!(snapshot.detection().expect("index").overlay_size(), (0, 0));
        assert!(!snapshot.background_finished());
        assert_same(&snapshot, &resources).expect("same answers");
    }

    #[test]
    fn a_base_build_that_panics_is_started_again_only_once_twice_as_many_brands_changed() {
        let mut resources = eight_brands();
        let mut snapshot = Snapshot::from_resources(1, resources.values().cloned());
        snapshot.detection.set_limits(OverlayLimits {
            rebuild_at: 2,
            wait_at: 100,
        });
        let tell = crate::snapshot::background::tests::next_job_panics_when_told();
        for b in 0..2u8 {
            rename_brand(&mut snapshot, &mut resources, b);
            snapshot.refresh_indexes();
        }
        assert!(snapshot.detection.pending.is_some(), "a base started");
        tell.send(()).expect("the build waits to panic");
        snapshot.detection.wait_for_pending();
        // The next change finds it failed and starts none: 3 brands changed
        // since the base, and 4 are needed now.
        rename_brand(&mut snapshot, &mut resources, 2);
        snapshot.refresh_indexes();
        assert!(snapshot.detection.pending.is_none(), "no base started");
        assert_eq!(snapshot.detection.failed_builds, 1);
        assert_eq!(snapshot.detection().expect("index").overlay_size(), (3, 3));
        assert_same(&snapshot, &resources).expect("same answers");
        rename_brand(&mut snapshot, &mut resources, 3);
        snapshot.refresh_indexes();
        assert!(snapshot.detection.pending.is_some(), "a base started again");
        snapshot.detection.wait_for_pending();
        rename_brand(&mut snapshot, &mut resources, 4);
        snapshot.refresh_indexes();
        assert_eq!(
            snapshot.detection.failed_builds, 0,
            "a build that succeeds resets it"
        );
        assert_eq!(snapshot.detection().expect("index").overlay_size(), (1, 1));
        assert_same(&snapshot, &resources).expect("same answers");
    }

    #[test]
    fn building_a_base_here_on_a_worker_lets_the_runtime_run_its_other_tasks() {
        let resources = eight_brands();
        let mut snapshot = Snapshot::from_resources(1, resources.values().cloned());
        let (release, released) = std::sync::mpsc::channel();
        let rebuilt = on_a_single_worker(release, move || {
            next_blocking_waits_until(released);
            snapshot.detection.rebuild_all();
            snapshot.refresh_indexes();
            (blocking_ran(), snapshot)
        })
        .expect("the task queued behind the build ran");
        assert!(rebuilt.0, "the base was built through `blocking`");
        assert_same(&rebuilt.1, &resources).expect("same answers");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn the_layered_index_answers_as_one_built_afresh(
            ops in proptest::collection::vec(op(), 0..60),
            rebuild_at in 1usize..6,
        ) {
            let mut resources = eight_brands();
            let mut snapshot = Snapshot::from_resources(1, resources.values().cloned());
            snapshot.detection.set_limits(OverlayLimits { rebuild_at, wait_at: rebuild_at * 2 });
            for op in ops {
                let (k, after) = match op {
                    Op::Brand(b, n, a, active, common) => {
                        let r = brand(b, n, a, active, common);
                        (key(&r), Some(r))
                    }
                    Op::RemoveBrand(b) => ((0, slug(b).to_string(), String::new()), None),
                    Op::Logo(b, i, h) => {
                        let r = logo(b, i, h);
                        (key(&r), Some(r))
                    }
                    Op::RemoveLogo(b, i) => {
                        let r = logo(b, i, 0);
                        (key(&r), None)
                    }
                    Op::Commit => {
                        snapshot.refresh_indexes();
                        assert_same(&snapshot, &resources)?;
                        continue;
                    }
                    Op::Settle => {
                        snapshot.settle_detection();
                        assert_same(&snapshot, &resources)?;
                        continue;
                    }
                };
                let before = match &after {
                    Some(r) => resources.insert(k, r.clone()),
                    None => resources.remove(&k),
                };
                if before.is_none() && after.is_none() {
                    continue;
                }
                snapshot.apply_change(&Change { before, after });
            }
            snapshot.refresh_indexes();
            assert_same(&snapshot, &resources)?;
        }
    }

    /// Registration times order as the times do, to the nanosecond, and
    /// those past what the order holds as its first or last.
    #[test]
    fn registration_order_keeps_the_order_of_times() {
        use time::{Duration, OffsetDateTime};
        let epoch = OffsetDateTime::UNIX_EPOCH;
        let times = [
            OffsetDateTime::new_utc(time::Date::MIN, time::Time::MIDNIGHT),
            epoch - Duration::days(365 * 400),
            epoch - Duration::nanoseconds(1),
            epoch,
            epoch + Duration::nanoseconds(1),
            epoch + Duration::days(365 * 60),
            epoch + Duration::days(365 * 60) + Duration::nanoseconds(1),
            epoch + Duration::days(365 * 400),
            OffsetDateTime::new_utc(time::Date::MAX, time::Time::MIDNIGHT),
        ];
        let order: Vec<i64> = times.iter().map(|&t| registration_order(t)).collect();
        assert!(order.is_sorted(), "{order:?}");
        assert_eq!(order[3], 0);
        assert_eq!(order[4] - order[2], 2);
        assert_eq!(order[6] - order[5], 1);
        assert_eq!((order[0], order[1]), (i64::MIN, i64::MIN));
        assert_eq!((order[7], order[8]), (i64::MAX, i64::MAX));
    }
}
