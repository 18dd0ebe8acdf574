//! Per-brand scope summaries for listing checks.
//!
//! A listing check asks, for every brand a listing shows, which registered
//! trademark of that brand (if any) is in force for the listing's class and
//! region. Detection numbers the brands it matches
//! ([`super::Detection::brand`]), so the summaries are a persistent vector
//! in that order: answering is one indexed read and a few integer
//! comparisons per registered trademark, with no string-keyed map walk.
//!
//! The vector follows the detection index's numbers: it is rebuilt in one
//! ordered pass over the trademarks whenever the index gets a new base; a
//! new overlay renumbers only the overlay's brands, whose summaries are
//! recomputed; and the brands whose trademarks changed are recomputed one
//! by one.

use std::{
    collections::BTreeSet,
    sync::{Arc, LazyLock},
};

use imbl::{OrdMap, Vector};

use super::detection::Refreshed;
use super::{BrandChild, Detection, of_parent};
use crate::model::{
    Date, NiceClass, NiceClassSet, Region, Slug, Timestamp, Trademark, TrademarkStatus,
};

/// A registered trademark, reduced to what scoping needs.
#[derive(Clone, Debug)]
struct Scope {
    /// Nice classes it covers.
    classes: NiceClassSet,
    /// First second (Unix time, midnight UTC) it is in force, if it has a
    /// registration date (a mark stored as registered with a date still to
    /// come is not yet).
    from: Option<i64>,
    /// First second (Unix time, midnight UTC) it is no longer in force, if
    /// it expires. Both are whole seconds, so comparing them with a check's
    /// whole second (rounded down) is comparing instants.
    expires: Option<i64>,
    /// Every region it protects ([`Trademark::reach`]: its countries and
    /// the territories its rights extend to), so that a region is checked
    /// without reading the trademark (two dependent reads, mostly cache
    /// misses, per scope).
    territories: Territories,
    /// The trademark, reported as what put a match in scope.
    trademark: Arc<Trademark>,
}

impl Scope {
    /// `None` for a trademark that is never in force (not registered).
    fn of(trademark: &Arc<Trademark>) -> Option<Scope> {
        let midnight = |d: Date| d.midnight().assume_utc().unix_timestamp();
        (trademark.status == TrademarkStatus::Registered).then(|| Scope {
            classes: trademark.nice_classes,
            from: trademark.registration_date.map(midnight),
            expires: trademark.expiry_date.map(midnight),
            territories: Territories::of(&trademark.reach()),
            trademark: trademark.clone(),
        })
    }

    /// Whether it covers `class` and `region` at second `at` (Unix time).
    fn covers(&self, class: Option<NiceClass>, region: Option<Region>, at: i64) -> bool {
        self.from.is_none_or(|from| from <= at)
            && self.expires.is_none_or(|expires| at < expires)
            && class.is_none_or(|c| self.classes.contains(c))
            && region.is_none_or(|r| self.covers_region(r))
    }
}

impl Scope {
    /// Whether the mark protects in `region`
    /// ([`Trademark::covers_region`]).
    fn covers_region(&self, region: Region) -> bool {
        match region_bit(region) {
            Some(bit) => self.territories.contains(bit),
            // A code outside the assigned list has no bit: the rule itself
            // answers.
            None => self.trademark.covers_region(region),
        }
    }
}

/// A set of assigned ISO 3166-1 codes, one bit each ([`region_bit`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Territories([u64; 4]);

impl Territories {
    /// The assigned codes among `regions`.
    fn of(regions: &[Region]) -> Territories {
        let mut set = Territories::default();
        for bit in regions.iter().filter_map(|&r| region_bit(r)) {
            set.0[usize::from(bit >> 6)] |= 1 << (bit & 63);
        }
        set
    }

    fn contains(&self, bit: u8) -> bool {
        self.0[usize::from(bit >> 6)] & (1 << (bit & 63)) != 0
    }
}

/// Per pair of letters `A`–`Z`, the bit of an assigned ISO 3166-1 code
/// (its position in `rust_iso3166::ALL_ALPHA2`, 249 codes), else `u8::MAX`.
static REGION_BITS: LazyLock<[u8; 26 * 26]> = LazyLock::new(|| {
    let mut bits = [u8::MAX; 26 * 26];
    for (bit, code) in rust_iso3166::ALL_ALPHA2.iter().enumerate() {
        if let (&[a, b], Ok(bit)) = (code.as_bytes(), u8::try_from(bit))
            && a.is_ascii_uppercase()
            && b.is_ascii_uppercase()
            && bit < u8::MAX
        {
            bits[usize::from(a - b'A') * 26 + usize::from(b - b'A')] = bit;
        }
    }
    bits
});

/// The bit of `region` in a [`Territories`] set, if it is an assigned
/// code.
fn region_bit(region: Region) -> Option<u8> {
    let [a, b] = region.letters();
    let at = usize::from(a.checked_sub(b'A')?) * 26 + usize::from(b.checked_sub(b'A')?);
    REGION_BITS.get(at).copied().filter(|&bit| bit != u8::MAX)
}

/// One brand's registered trademarks, in id order.
type BrandScopes = Arc<[Scope]>;

/// The Nice classes any of `scopes` covers.
fn union(scopes: &[Scope]) -> NiceClassSet {
    scopes
        .iter()
        .fold(NiceClassSet::empty(), |all, s| all.union(s.classes))
}

/// Scope summaries aligned with a detection index's brand numbers.
#[derive(Clone, Debug, Default)]
pub(super) struct Scopes {
    /// Per brand number.
    by_brand: Vector<BrandScopes>,
    /// Per brand number, the union of its trademarks' classes, in one flat
    /// array (8 bytes a brand, so it stays in cache): most matches in a
    /// dense registry are out of scope by class, and are rejected here
    /// without walking `by_brand`. Copied on write, once per commit that
    /// changes trademarks.
    classes: Arc<Vec<NiceClassSet>>,
    /// Brands whose trademarks changed since the summaries were brought up
    /// to date.
    dirty: BTreeSet<Slug>,
}

impl Scopes {
    /// Notes that a trademark of `brand` was added, changed or removed.
    pub(super) fn touch(&mut self, brand: &Slug) {
        self.dirty.insert(brand.clone());
    }

    /// The summary of brand `id`'s trademarks: its scopes and their
    /// classes.
    fn of_brand(
        trademarks: &OrdMap<BrandChild, Arc<Trademark>>,
        id: &Slug,
    ) -> (BrandScopes, NiceClassSet) {
        let scopes: Vec<Scope> = of_parent(trademarks, id).filter_map(Scope::of).collect();
        let classes = union(&scopes);
        (Arc::from(scopes), classes)
    }

    /// Rebuilds every summary for `detection`'s brand numbers from
    /// `trademarks` (keyed by brand, then id): its base in one ordered pass,
    /// then its overlay brand by brand.
    fn rebuild(&mut self, detection: &Detection, trademarks: &OrdMap<BrandChild, Arc<Trademark>>) {
        let empty: BrandScopes = Arc::from(Vec::new());
        let mut by_brand = Vector::new();
        let mut classes = Vec::with_capacity(detection.brand_count());
        let mut marks = trademarks.iter().peekable();
        let mut scopes = Vec::new();
        let mut sorted = true;
        let mut last: Option<&Slug> = None;
        for (_, brand) in detection.numbered() {
            // The base's brands are in id order, and so are the overlay's:
            // one pass for the first run, lookups for the second.
            sorted &= last.is_none_or(|l| *l < brand.id);
            last = Some(&brand.id);
            if !sorted {
                let (summary, all) = Self::of_brand(trademarks, &brand.id);
                classes.push(all);
                by_brand.push_back(summary);
                continue;
            }
            while marks.next_if(|((b, _), _)| *b < brand.id).is_some() {}
            scopes.clear();
            while let Some((_, t)) = marks.next_if(|((b, _), _)| *b == brand.id) {
                scopes.extend(Scope::of(t));
            }
            classes.push(union(&scopes));
            by_brand.push_back(if scopes.is_empty() {
                empty.clone()
            } else {
                Arc::from(scopes.as_slice())
            });
        }
        self.classes = Arc::new(classes);
        self.by_brand = by_brand;
        self.dirty.clear();
    }

    /// Brings the summaries up to date for `detection`'s brand numbers from
    /// `trademarks` (keyed by brand, then id): in one pass after a new base
    /// ([`Refreshed::Full`]) or when they do not fit the index; for the
    /// overlay's brands after a new overlay; and for the brands whose
    /// trademarks were touched since.
    pub(super) fn refresh(
        &mut self,
        detection: &Detection,
        trademarks: &OrdMap<BrandChild, Arc<Trademark>>,
        refreshed: Refreshed,
    ) {
        let (overlay, _) = detection.overlay_size();
        let base = detection.brand_count() - overlay;
        if refreshed == Refreshed::Full || self.by_brand.len() < base {
            self.rebuild(detection, trademarks);
            return;
        }
        if refreshed == Refreshed::Overlay || self.by_brand.len() != detection.brand_count() {
            // The overlay's brands are renumbered: summarize them afresh.
            self.by_brand.truncate(base);
            let classes = Arc::make_mut(&mut self.classes);
            classes.truncate(base);
            for (_, brand) in detection.numbered().skip(base) {
                let (summary, all) = Self::of_brand(trademarks, &brand.id);
                classes.push(all);
                self.by_brand.push_back(summary);
            }
        }
        if self.dirty.is_empty() {
            return; // nothing to copy
        }
        let dirty = std::mem::take(&mut self.dirty);
        let classes = Arc::make_mut(&mut self.classes);
        for slug in dirty {
            let Some(number) = detection.number_of(&slug) else {
                continue; // not in the index (not active): never matched
            };
            let (summary, all) = Self::of_brand(trademarks, &slug);
            if let Some(slot) = classes.get_mut(number as usize) {
                *slot = all;
            }
            if let Some(slot) = self.by_brand.get_mut(number as usize) {
                *slot = summary;
            }
        }
    }

    /// The first trademark (in id order) of brand number `brand` in force at
    /// `at` covering `class` and `region` (each when given).
    pub(super) fn in_scope(
        &self,
        brand: u32,
        class: Option<NiceClass>,
        region: Option<Region>,
        at: Timestamp,
    ) -> Option<&Arc<Trademark>> {
        if let Some(c) = class
            && !self.classes.get(brand as usize)?.contains(c)
        {
            return None;
        }
        let at = at.unix_timestamp();
        self.by_brand
            .get(brand as usize)?
            .iter()
            .find(|s| s.covers(class, region, at))
            .map(|s| &s.trademark)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::Snapshot;
    use crate::model::codes::EU_MEMBER_STATES;
    use crate::model::{
        Brand, BrandStatus, Change, Date, Designation, NiceClass, NiceClassSet, Office, Region,
        Resource, ResourceId, Slug, Timestamp, Trademark, TrademarkKind, TrademarkStatus,
    };

    fn slug(i: u8) -> Slug {
        Slug::parse(&format!("brand-{}", i % 3)).expect("slug")
    }

    fn region(code: &str) -> Region {
        Region::parse(code).expect("region")
    }

    fn brand(i: u8, active: bool) -> Resource {
        Resource::Brand(std::sync::Arc::new(Brand {
            id: slug(i),
            owner: Slug::parse("owner").expect("slug"),
            display_name: format!("Zephyrine{}", i % 3),
            aliases: vec![],
            common_word: false,
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

    #[derive(Clone, Debug)]
    enum Op {
        PutTrademark {
            brand: u8,
            id: u8,
            status: u8,
            classes: u8,
            expiry: Option<u8>,
            territories: u8,
        },
        RemoveTrademark(u8, u8),
        Brand(u8, bool),
        /// The end of a revision: indexes brought up to date.
        Commit,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (any::<[u8; 5]>(), proptest::option::of(any::<u8>())).prop_map(|(b, expiry)| {
                Op::PutTrademark {
                    brand: b[0],
                    id: b[1],
                    status: b[2],
                    classes: b[3],
                    expiry,
                    territories: b[4],
                }
            }),
            2 => (any::<u8>(), any::<u8>()).prop_map(|(b, i)| Op::RemoveTrademark(b, i)),
            1 => (any::<u8>(), any::<bool>()).prop_map(|(b, a)| Op::Brand(b, a)),
            3 => Just(Op::Commit),
        ]
    }

    fn trademark_id(i: u8) -> ResourceId {
        ResourceId::parse(&format!("tm{:02}", i % 5)).expect("id")
    }

    fn trademark(
        brand: u8,
        id: u8,
        status: u8,
        classes: u8,
        expiry: Option<u8>,
        t: u8,
    ) -> Trademark {
        let day = |d: u8| {
            Date::from_calendar_date(2026, time::Month::January, 1).expect("date")
                + time::Duration::days(i64::from(d % 8) * 100)
        };
        Trademark {
            brand: slug(brand),
            id: trademark_id(id),
            office: Office::Wipo,
            registration_number: format!("{}-{}", brand % 3, id % 5),
            mark_text: "Zephyrine".into(),
            kind: TrademarkKind::Word,
            nice_classes: NiceClassSet::parse_list(&[i32::from(classes % 3) + 9, 14])
                .expect("classes"),
            status: match status % 4 {
                0 | 1 => TrademarkStatus::Registered,
                2 => TrademarkStatus::Pending,
                _ => TrademarkStatus::Cancelled,
            },
            // Some registered on a day the checks cross (`2026-04-11`),
            // some before them all or after.
            registration_date: (status & 4 != 0).then(|| day(status >> 3)),
            expiry_date: expiry.map(day),
            // A Madrid mark as the API stores it: its designations, and
            // the countries they protect in.
            designated_countries: match t % 4 {
                0 => vec![Designation::Country(region("FR"))],
                1 => vec![
                    Designation::Country(region("CN")),
                    Designation::Country(region("FR")),
                ],
                2 => vec![Designation::Country(region("US"))],
                _ => vec![Designation::EuropeanUnion],
            },
            territories: match t % 4 {
                0 => vec![region("FR")],
                1 => vec![region("CN"), region("FR")],
                2 => vec![region("US")],
                _ => EU_MEMBER_STATES.to_vec(),
            },
            update_revision: 1,
        }
    }

    /// Compares the summaries with the rule they summarize: the first
    /// trademark in id order that is in force and covers the class and
    /// region.
    fn assert_agrees(snapshot: &Snapshot) -> Result<(), TestCaseError> {
        let Some(detection) = snapshot.detection() else {
            return Ok(());
        };
        let classes = [None, Some(9), Some(11), Some(14), Some(30)];
        let regions = [
            None,
            Some("FR"),
            Some("CN"),
            Some("US"),
            Some("DE"),
            Some("GP"),
            Some("PM"),
            Some("PR"),
        ];
        let times = [
            "2025-06-01T00:00:00Z",
            "2026-04-10T23:59:59Z",
            "2026-04-11T00:00:00Z",
            "2027-06-01T12:00:00Z",
            "2029-01-01T00:00:00Z",
        ];
        // Retired numbers (brands changed since the base) are never matched.
        let live = detection
            .numbered()
            .filter(|(number, brand)| detection.number_of(&brand.id) == Some(*number));
        for (number, brand) in live {
            for class in classes {
                let class = class.map(|c| NiceClass::parse(c).expect("class"));
                for r in regions {
                    let r = r.map(region);
                    for at in times {
                        let at =
                            Timestamp::parse(at, &time::format_description::well_known::Rfc3339)
                                .expect("time");
                        let expected = snapshot
                            .trademarks_of(&brand.id)
                            .find(|t| {
                                t.in_force(at)
                                    && class.is_none_or(|c| t.nice_classes.contains(c))
                                    && r.is_none_or(|r| t.covers_region(r))
                            })
                            .map(|t| t.id.clone());
                        let got = snapshot
                            .in_scope(number, class, r, at)
                            .map(|t| t.id.clone());
                        prop_assert_eq!(
                            got,
                            expected,
                            "brand {} {:?} {:?} {}",
                            brand.id,
                            class,
                            r,
                            at
                        );
                    }
                }
            }
        }
        Ok(())
    }

    /// Every assigned code has a bit of its own, and a set of territories
    /// holds exactly the codes it was made of.
    #[test]
    fn territory_sets_hold_exactly_their_codes() {
        use super::{Territories, region_bit};
        let all: Vec<Region> = rust_iso3166::ALL_ALPHA2.iter().map(|c| region(c)).collect();
        let bits: std::collections::BTreeSet<u8> = all
            .iter()
            .map(|&r| region_bit(r).expect("an assigned code has a bit"))
            .collect();
        assert_eq!(bits.len(), all.len());
        for step in [1, 2, 3, 7, 50] {
            let chosen: Vec<Region> = all.iter().copied().step_by(step).collect();
            let set = Territories::of(&chosen);
            for &r in &all {
                let bit = region_bit(r).expect("bit");
                assert_eq!(
                    set.contains(bit),
                    chosen.contains(&r),
                    "{r} in every {step}th"
                );
            }
        }
    }

    /// An EU trade mark stored with designated countries (as `EM` marks
    /// could be once) covers every EU member state all the same: it is
    /// unitary. A Madrid mark with the same designations covers only them.
    #[test]
    fn an_eu_trade_mark_covers_the_whole_union_whatever_was_stored() {
        let at = Timestamp::parse(
            "2026-06-01T00:00:00Z",
            &time::format_description::well_known::Rfc3339,
        )
        .expect("time");
        for (office, covers_france) in [(Office::Euipo, true), (Office::Wipo, false)] {
            let mut stored = trademark(0, 0, 0, 0, None, 0);
            stored.office = office;
            stored.designated_countries = vec![Designation::Country(region("DE"))];
            stored.territories = vec![region("DE")];
            let scoped = scope_of(stored, at);
            assert!(scoped("DE"), "{office:?} in DE");
            assert_eq!(scoped("FR"), covers_france, "{office:?} in FR");
            assert_eq!(scoped("MQ"), covers_france, "{office:?} in Martinique");
            assert!(!scoped("US"), "{office:?} in US");
        }
    }

    /// Whether a registry of one brand with the one trademark `stored` has
    /// it in scope in a region at `at`, by the region's code.
    fn scope_of(stored: Trademark, at: Timestamp) -> impl Fn(&str) -> bool {
        let mut snapshot = Snapshot::from_resources(
            1,
            [
                brand(0, true),
                Resource::Trademark(std::sync::Arc::new(stored)),
            ],
        );
        snapshot.refresh_indexes();
        let number = snapshot
            .detection()
            .expect("detection")
            .number_of(&slug(0))
            .expect("numbered");
        move |r: &str| {
            snapshot
                .in_scope(number, None, Some(region(r)), at)
                .is_some()
        }
    }

    /// A Madrid mark that designates the EU is an EU trade mark there: it
    /// reaches the territories that are part of the EU (Guadeloupe), not
    /// France's others (Saint-Pierre-et-Miquelon, Saint-Barthélemy), as an
    /// `EM` mark; France designated on its own beside the EU reaches them
    /// all. A mark stored before the EU was kept as one designation holds
    /// 27 countries, each designated on its own, and reaches as they do.
    #[test]
    fn a_madrid_designation_of_the_eu_reaches_as_far_as_the_eu() {
        let at = Timestamp::parse(
            "2026-06-01T00:00:00Z",
            &time::format_description::well_known::Rfc3339,
        )
        .expect("time");
        let eu = Designation::EuropeanUnion;
        let france = Designation::Country(region("FR"));
        let legacy: Vec<Designation> = EU_MEMBER_STATES.map(Designation::Country).to_vec();
        for (office, designated, reaches_pm) in [
            (Office::Wipo, vec![eu], false),
            (Office::Euipo, vec![], false),
            (Office::Wipo, vec![eu, france], true),
            (Office::Wipo, legacy, true),
        ] {
            let mut stored = trademark(0, 0, 0, 0, None, 0);
            stored.office = office;
            stored.territories = office.territories(&designated).expect("territories");
            stored.designated_countries = designated.clone();
            let scoped = scope_of(stored, at);
            let case = format!("{office:?} {designated:?}");
            for inside in ["FR", "DE", "GP", "MQ", "RE", "MF", "AX"] {
                assert!(scoped(inside), "{case} in {inside}");
            }
            for outside_france in ["PM", "BL", "WF", "TF"] {
                assert_eq!(
                    scoped(outside_france),
                    reaches_pm,
                    "{case} in {outside_france}"
                );
            }
            for elsewhere in ["US", "PR", "GB", "IM", "NC"] {
                assert!(!scoped(elsewhere), "{case} in {elsewhere}");
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Whatever trademark and brand changes arrive, in whatever
        /// batches, the scope summaries answer as the trademarks do.
        #[test]
        fn scopes_answer_like_the_trademarks(ops in proptest::collection::vec(op(), 0..40)) {
            let mut snapshot = Snapshot::from_resources(1, (0..3).map(|i| brand(i, true)));
            assert_agrees(&snapshot)?;
            for op in ops {
                let change = match op {
                    Op::PutTrademark { brand, id, status, classes, expiry, territories } => {
                        let after = trademark(brand, id, status, classes, expiry, territories);
                        let before = snapshot.trademark(&after.brand, &after.id).cloned();
                        Change {
                            before: before.map(Resource::Trademark),
                            after: Some(Resource::Trademark(std::sync::Arc::new(after))),
                        }
                    }
                    Op::RemoveTrademark(b, i) => {
                        let Some(before) = snapshot.trademark(&slug(b), &trademark_id(i)).cloned() else {
                            continue;
                        };
                        Change { before: Some(Resource::Trademark(before)), after: None }
                    }
                    Op::Brand(b, active) => {
                        let before = snapshot.brand(slug(b).as_str()).cloned();
                        Change {
                            before: before.map(Resource::Brand),
                            after: Some(brand(b, active)),
                        }
                    }
                    Op::Commit => {
                        snapshot.refresh_indexes();
                        assert_agrees(&snapshot)?;
                        continue;
                    }
                };
                snapshot.apply_change(&change);
            }
            snapshot.refresh_indexes();
            assert_agrees(&snapshot)?;
        }
    }
}
