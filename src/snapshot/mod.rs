//! The registry at one revision: an immutable value that reads and checks are
//! answered from.
//!
//! Its maps are persistent (`imbl`): cloning a snapshot is O(1), and applying
//! a change event to the clone shares every untouched node with the original.
//! A writer clones the current snapshot, executes its command on the clone
//! ([`Snapshot::execute`]), commits the resulting event to the store, and
//! publishes the clone; readers holding the old snapshot are never blocked.
//!
//! Authorizations, by far the most numerous resource, are kept in a compact
//! table of their own (`snapshot/authorizations.rs`): an immutable columnar base of
//! about 120 bytes per authorization plus a persistent overlay of the
//! changes since, folded into a new base on a thread of its own once it has
//! grown to a sixteenth of it.
//!
//! The detection index follows the same idea (`snapshot/detection.rs`): a
//! base over every active brand, and an overlay over the brands changed
//! since, rebuilt on each brand change; a new base is built on a thread of
//! its own once the overlay has grown, and adopted by a later change.

mod authorizations;
mod background;
mod detection;
mod scopes;

use std::{ops::Bound, sync::Arc};

use crate::detect::LOGO_STRONG_DISTANCE;

use hashbrown::DefaultHashBuilder;
use imbl::{GenericHashMap, HashMap, OrdMap, shared_ptr::DefaultSharedPtr};

use authorizations::{Authorizations, Grant};
use detection::DetectionState;
pub use detection::{Detection, registration_order};
use scopes::Scopes;

use crate::model::quote;
use crate::model::{
    AliasRepeat, ApiKey, Authorization, AuthorizationPatch, AuthorizationSpec, AuthorizationStatus,
    Brand, BrandStatus, Change, ChangeEvent, Command, Date, Logo, LogoSource, Member, MemberKind,
    NiceClass, Office, Region, Resource, ResourceId, Revision, Slug, Timestamp, Trademark,
    TrademarkPatch, alias_repeats, check_authorization_end, check_authorization_window,
    check_mark_text, check_registration_date, check_trademark_dates, check_valid_from,
};

/// Whether a write may give an authorization an end already past when it
/// is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PastEnds {
    /// No: a call writes a change now, and an end already past is a
    /// mistake (a mistyped year) that would leave an ACTIVE authorization
    /// authorizing nothing ([`check_authorization_end`]).
    Refused,
    /// Yes: a seed loads a registry's records, and an authorization that
    /// has ended is one of them.
    Recorded,
}

/// Why a command cannot be applied to the current state.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// A resource the command names does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The resource to create exists already.
    #[error("{0}")]
    AlreadyExists(String),
    /// The etag given is not the resource's current one.
    #[error("etag {given:?} does not match the current etag {current:?} of {resource}")]
    EtagMismatch {
        /// The resource.
        resource: String,
        /// What the caller sent.
        given: String,
        /// What it is now.
        current: String,
    },
    /// The resource is in a state that does not allow the change.
    #[error("{0}")]
    FailedPrecondition(String),
    /// Fields that are well-formed but wrong for the registry's state (an
    /// unknown platform, say): `(field path, description)`.
    #[error("invalid fields: {0:?}")]
    Invalid(Vec<(String, String)>),
}

/// The outcome of [`Snapshot::check_seller`]. The authorizations that
/// cover the check (its class, its region and its instant) decide it:
/// `Authorized` when one is active, else `Suspended`, else `Revoked`. When
/// none covers it, the one that comes closest says why: a live one covers
/// the class and region but not the instant (`NotYetValid`, then
/// `Expired`), a revoked one covers the class and region (`Revoked`), one
/// covers the class but not the region (`RegionNotCovered`), or none covers
/// the class (`ClassNotCovered`). A status counts only where its
/// authorization covers the check's class and region (`evaluate`; the
/// order of the variants means nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SellerVerdict {
    /// An active authorization covers it.
    Authorized,
    /// No authorization covers the class.
    ClassNotCovered,
    /// Those that cover the class miss the region.
    RegionNotCovered,
    /// Those that cover the class and region start later.
    NotYetValid,
    /// Those that cover the class and region have ended.
    Expired,
    /// One that covers it is suspended, and none that does is active.
    Suspended,
    /// Those that cover it are revoked, or, when none covers it, one that
    /// covers its class and region is.
    Revoked,
    /// The seller has no authorization on the platform.
    NoAuthorization,
    /// The brand is archived.
    BrandArchived,
}

/// Answer of [`Snapshot::check_seller`].
#[derive(Debug, Clone)]
pub struct SellerCheck {
    /// Why, or why not.
    pub verdict: SellerVerdict,
    /// The authorization that allows it, or the closest one that does not.
    pub authorization: Option<Arc<Authorization>>,
}

type BrandChild = (Slug, ResourceId);

/// The registry at one revision.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// The revision this state is at.
    revision: Revision,
    /// Members by id.
    members: OrdMap<Slug, Arc<Member>>,
    /// API keys by (member, key id), for listing.
    api_keys: OrdMap<BrandChild, Arc<ApiKey>>,
    /// Key id → member, for authenticating a secret.
    /// Read on every authenticated call: hashed with foldhash (seeded per
    /// process) rather than SipHash.
    key_owners: GenericHashMap<ResourceId, Slug, DefaultHashBuilder, DefaultSharedPtr>,
    /// Brands by id.
    brands: OrdMap<Slug, Arc<Brand>>,
    /// Trademarks by (brand, id).
    trademarks: OrdMap<BrandChild, Arc<Trademark>>,
    /// (office, registration number) → every trademark with that number,
    /// for uniqueness: one, or more once brands that held it were archived
    /// (a mark of an archived brand may be registered again). All are kept,
    /// in no meaningful order, so that the rule does not depend on which of
    /// them a load happened to read last.
    trademark_numbers: HashMap<(Office, Arc<str>), Arc<[BrandChild]>>,
    /// Logos by (brand, id).
    logos: OrdMap<BrandChild, Arc<Logo>>,
    /// Authorizations, compact (see [`authorizations`]): by (brand, id),
    /// and by (brand, platform, seller) for checks.
    authorizations: Authorizations,
    /// The brand automaton over every active brand's names, aliases and
    /// logos, in two layers (see [`detection`]); brought up to date after
    /// a change to brands or logos, never on a check.
    detection: DetectionState,
    /// Registered trademarks per brand, in the detection index's brand
    /// numbering, for listing checks.
    scopes: Scopes,
}

/// One page of a listing: the items and the key to continue after.
pub type Page<T> = (Vec<T>, Option<String>);

/// Builds a snapshot from a store's resources one at a time (a load), so
/// that authorizations go straight into their compact table and the decoded
/// rows need not be held all at once.
#[derive(Default)]
pub struct SnapshotBuilder {
    snapshot: Snapshot,
    authorizations: authorizations::Builder,
}

impl SnapshotBuilder {
    /// Adds a resource; a later one with the same key replaces an earlier
    /// one.
    pub fn push(&mut self, resource: Resource) {
        match resource {
            Resource::Authorization(a) => self.authorizations.push(&a),
            other => self.snapshot.insert(other),
        }
    }

    /// The snapshot of everything pushed, at `revision`, with its
    /// detection index built.
    pub fn finish(self, revision: Revision) -> Snapshot {
        let mut snapshot = self.snapshot;
        snapshot.authorizations = self.authorizations.into();
        snapshot.revision = revision;
        snapshot.detection.rebuild_all();
        snapshot.refresh_indexes();
        snapshot
    }
}

impl Snapshot {
    /// The revision of this state.
    pub fn revision(&self) -> Revision {
        self.revision
    }

    /// SHA-256 over the revision and every resource in key order: two
    /// replicas at the same revision have the same digest exactly when they
    /// hold the same registry.
    pub fn digest(&self) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        fn add<T: serde::Serialize>(hasher: &mut Sha256, value: &T) {
            // Resources always serialize; a failure would hash as empty.
            let bytes = serde_json::to_vec(value).unwrap_or_default();
            hasher.update((bytes.len() as u64).to_be_bytes());
            hasher.update(&bytes);
        }
        let mut hasher = Sha256::new();
        hasher.update(self.revision.to_be_bytes());
        self.members.values().for_each(|v| add(&mut hasher, v));
        self.api_keys.values().for_each(|v| add(&mut hasher, v));
        self.brands.values().for_each(|v| add(&mut hasher, v));
        self.trademarks.values().for_each(|v| add(&mut hasher, v));
        self.logos.values().for_each(|v| add(&mut hasher, v));
        self.authorizations
            .iter()
            .for_each(|v| add(&mut hasher, &v));
        hasher.finalize().into()
    }

    /// The registry made of `resources`, at `revision` (a store's load).
    pub fn from_resources(
        revision: Revision,
        resources: impl IntoIterator<Item = Resource>,
    ) -> Self {
        let mut builder = SnapshotBuilder::default();
        for resource in resources {
            builder.push(resource);
        }
        builder.finish(revision)
    }

    /// How many authorizations there are.
    pub fn authorization_count(&self) -> usize {
        self.authorizations.len()
    }

    /// Folds the authorization changes not yet in the compact table into a
    /// new table now, on this thread. Writes and the change feed start
    /// doing this on a thread of their own once the pending changes reach a
    /// sixteenth of the table, and adopt the result on a later change; this
    /// is for measuring that cost.
    pub fn compact_authorizations(&mut self) {
        self.authorizations.compact();
    }

    /// How many authorization changes are not yet folded into the compact
    /// table, for reporting.
    pub fn authorization_changes_pending(&self) -> usize {
        self.authorizations.overlay_len()
    }

    /// Bytes held by the compact authorization table (excluding changes not
    /// yet folded into it), for reporting.
    pub fn authorization_table_bytes(&self) -> usize {
        self.authorizations.base_bytes()
    }

    /// Marks this state as being at `revision`, once the changes
    /// [`Snapshot::execute`] made are committed there.
    pub(crate) fn set_revision(&mut self, revision: Revision) {
        self.revision = revision;
        self.catch_up_indexes();
    }

    /// Applies a committed event (the next revision) to this state.
    ///
    /// # Panics
    /// Never; an event for another revision is applied all the same, and the
    /// state takes its revision (stores guarantee the order).
    pub fn apply(&mut self, event: &ChangeEvent) {
        self.apply_all(std::slice::from_ref(event));
    }

    /// Applies committed events in order, bringing the detection index and
    /// the compact authorization table up to date once at the end.
    pub fn apply_all(&mut self, events: &[ChangeEvent]) {
        for event in events {
            for change in &event.changes {
                self.apply_change(change);
            }
            self.revision = event.revision;
        }
        self.catch_up_indexes();
    }

    /// Whether work a change started on a thread of its own (a new base of
    /// the detection index, a new authorization table) has ended and waits
    /// to be adopted. The next change adopts it; a registry that goes
    /// quiet adopts it with [`Snapshot::adopt_finished`] (the server does,
    /// `Registry::adopt_background`), so that it frees the old base and
    /// drops its overlay.
    pub fn background_finished(&self) -> bool {
        self.detection.finished() || self.authorizations.fold_finished()
    }

    /// Adopts what background work has ended, without a change: the same
    /// state, answered from a new detection base and authorization table.
    pub fn adopt_finished(&mut self) {
        self.catch_up_indexes();
    }

    /// After changes (or none): the detection index and scope summaries
    /// brought up to date, and the authorization table's background fold
    /// adopted, started or waited for as due.
    fn catch_up_indexes(&mut self) {
        self.refresh_indexes();
        self.authorizations.compact_if_due();
    }

    /// The detection index; `None` before the first load.
    pub fn detection(&self) -> Option<Arc<Detection>> {
        self.detection.current().cloned()
    }

    /// Waits for a new base of the detection index being built on another
    /// thread, if any, and adopts it, so the index is one layer again
    /// unless brands changed since it was started (see `snapshot/detection.rs`).
    /// Writes and the change feed adopt it by themselves on the next
    /// change; this is for measuring and testing.
    pub fn settle_detection(&mut self) {
        self.detection.wait_for_pending();
        self.refresh_indexes();
    }

    /// The trademark of detection brand number `brand` (see
    /// [`Detection::brand`]) in force at `at` covering `class` and `region`
    /// (each when given): the first such in id order.
    pub fn in_scope(
        &self,
        brand: u32,
        class: Option<NiceClass>,
        region: Option<Region>,
        at: Timestamp,
    ) -> Option<&Arc<Trademark>> {
        self.scopes.in_scope(brand, class, region, at)
    }

    /// Brings the detection index and the scope summaries up to date.
    fn refresh_indexes(&mut self) {
        let refreshed = self.detection.refresh(&self.brands, &self.logos);
        if let Some(detection) = self.detection.current() {
            self.scopes.refresh(detection, &self.trademarks, refreshed);
        }
    }

    fn apply_change(&mut self, change: &Change) {
        for resource in [&change.before, &change.after].into_iter().flatten() {
            match resource {
                Resource::Brand(b) => self.detection.touch(&b.id),
                Resource::Logo(l) => self.detection.touch(&l.brand),
                _ => {}
            }
        }
        if let Some(before) = &change.before {
            self.remove(before);
        }
        if let Some(after) = &change.after {
            self.insert(after.clone());
        }
    }

    fn remove(&mut self, resource: &Resource) {
        match resource {
            Resource::Member(m) => {
                self.members.remove(&m.id);
            }
            Resource::ApiKey(k) => {
                self.api_keys.remove(&(k.member.clone(), k.id.clone()));
                self.key_owners.remove(&k.id);
            }
            Resource::Brand(b) => {
                self.brands.remove(&b.id);
            }
            Resource::Trademark(t) => {
                self.scopes.touch(&t.brand);
                self.trademarks.remove(&(t.brand.clone(), t.id.clone()));
                self.unfile_trademark_number(t);
            }
            Resource::Logo(l) => {
                self.logos.remove(&(l.brand.clone(), l.id.clone()));
            }
            Resource::Authorization(a) => self.authorizations.remove(a),
        }
    }

    fn insert(&mut self, resource: Resource) {
        match resource {
            Resource::Member(m) => {
                self.members.insert(m.id.clone(), m);
            }
            Resource::ApiKey(k) => {
                self.key_owners.insert(k.id.clone(), k.member.clone());
                self.api_keys.insert((k.member.clone(), k.id.clone()), k);
            }
            Resource::Brand(b) => {
                self.brands.insert(b.id.clone(), b);
            }
            Resource::Trademark(t) => {
                self.scopes.touch(&t.brand);
                let key = (t.brand.clone(), t.id.clone());
                // A load may replace a trademark (see `SnapshotBuilder::push`):
                // its old number no longer holds it.
                if let Some(replaced) = self.trademarks.get(&key).cloned() {
                    self.unfile_trademark_number(&replaced);
                }
                self.file_trademark_number(&t);
                self.trademarks.insert(key, t);
            }
            Resource::Logo(l) => {
                self.logos.insert((l.brand.clone(), l.id.clone()), l);
            }
            Resource::Authorization(a) => self.authorizations.insert(a),
        }
    }

    /// Executes a command against this state: checks it against what exists,
    /// applies the resulting changes to `self` (so commands can be chained
    /// into one revision), and returns them.
    ///
    /// `revision` is the revision the changes will be committed at (it
    /// becomes the changed resources' etag); `now` is the commit time.
    ///
    /// # Errors
    /// [`PlanError`] when the command does not fit the current state; `self`
    /// is then left unchanged.
    pub fn execute(
        &mut self,
        command: &Command,
        revision: Revision,
        now: Timestamp,
    ) -> Result<Vec<Change>, PlanError> {
        self.execute_with(command, revision, now, PastEnds::Refused)
    }

    /// [`Snapshot::execute`], saying whether the command may give an
    /// authorization an end already past at `now` ([`PastEnds`]).
    ///
    /// # Errors
    /// As [`Snapshot::execute`].
    pub fn execute_with(
        &mut self,
        command: &Command,
        revision: Revision,
        now: Timestamp,
        past_ends: PastEnds,
    ) -> Result<Vec<Change>, PlanError> {
        let changes = self.plan(command, revision, (now, past_ends))?;
        for change in &changes {
            self.apply_change(change);
        }
        Ok(changes)
    }

    fn plan(
        &self,
        command: &Command,
        revision: Revision,
        (now, past_ends): (Timestamp, PastEnds),
    ) -> Result<Vec<Change>, PlanError> {
        match command {
            Command::CreateMember {
                id,
                display_name,
                kind,
            } => {
                if self.members.contains_key(id) {
                    return Err(PlanError::AlreadyExists(format!(
                        "member {} already exists",
                        quote(id.as_str())
                    )));
                }
                let member = Member {
                    id: id.clone(),
                    display_name: display_name.clone(),
                    kind: *kind,
                    create_time: now,
                    update_revision: revision,
                };
                Ok(vec![created(Resource::Member(Arc::new(member)))])
            }
            Command::CreateApiKey {
                member,
                id,
                description,
                secret_sha256,
            } => {
                self.member_or_not_found(member)?;
                if self.key_owners.contains_key(id) {
                    return Err(PlanError::AlreadyExists(format!(
                        "api key {} already exists",
                        quote(id.as_str())
                    )));
                }
                let key = ApiKey {
                    member: member.clone(),
                    id: id.clone(),
                    description: description.clone(),
                    secret_sha256: *secret_sha256,
                    create_time: now,
                    revoke_time: None,
                    update_revision: revision,
                };
                Ok(vec![created(Resource::ApiKey(Arc::new(key)))])
            }
            Command::RevokeApiKey { member, id } => {
                let key = self
                    .api_keys
                    .get(&(member.clone(), id.clone()))
                    .ok_or_else(|| PlanError::NotFound(format!("members/{member}/apiKeys/{id}")))?;
                if key.revoke_time.is_some() {
                    return Err(PlanError::FailedPrecondition(format!(
                        "members/{member}/apiKeys/{id} is already revoked"
                    )));
                }
                if self.is_last_operator_key(key) {
                    return Err(PlanError::FailedPrecondition(format!(
                        "members/{member}/apiKeys/{id} is the last active operator key: \
                         create another operator key first (without one, no one could \
                         onboard members or issue keys until a restart creates one)"
                    )));
                }
                let mut next = (**key).clone();
                next.revoke_time = Some(now);
                next.update_revision = revision;
                Ok(vec![changed(
                    Resource::ApiKey(key.clone()),
                    Resource::ApiKey(Arc::new(next)),
                )])
            }
            Command::CreateBrand {
                id,
                owner,
                display_name,
                aliases,
                common_word,
            } => {
                if self.brands.contains_key(id) {
                    return Err(PlanError::AlreadyExists(format!(
                        "brand {} already exists",
                        quote(id.as_str())
                    )));
                }
                let member = self.member_or_not_found(owner)?;
                if member.kind != MemberKind::BrandOwner {
                    return Err(PlanError::FailedPrecondition(format!(
                        "member {} is not a brand owner",
                        quote(owner.as_str())
                    )));
                }
                let names = std::iter::once(("brand.display_name".to_owned(), display_name)).chain(
                    aliases
                        .iter()
                        .enumerate()
                        .map(|(i, a)| (format!("brand.aliases[{i}]"), a)),
                );
                self.names_not_taken(owner, id, names)?;
                aliases_differ_from_display_name(display_name, aliases, false)?;
                let brand = Brand {
                    id: id.clone(),
                    owner: owner.clone(),
                    display_name: display_name.clone(),
                    aliases: aliases.clone(),
                    common_word: *common_word,
                    status: BrandStatus::Active,
                    create_time: now,
                    update_time: now,
                    update_revision: revision,
                };
                Ok(vec![created(Resource::Brand(Arc::new(brand)))])
            }
            Command::UpdateBrand { id, patch, etag } => {
                let brand = self.writable_brand(id)?;
                check_etag(&format!("brands/{id}"), *etag, brand.update_revision)?;
                // Only names the brand does not have yet are checked: a
                // change that keeps its names never fails on them.
                let has = |n: &String| brand.display_name == *n || brand.aliases.contains(n);
                let names = patch
                    .display_name
                    .iter()
                    .map(|n| ("brand.display_name".to_owned(), n))
                    .chain(patch.aliases.iter().flat_map(|aliases| {
                        aliases
                            .iter()
                            .enumerate()
                            .map(|(i, a)| (format!("brand.aliases[{i}]"), a))
                    }))
                    .filter(|(_, n)| !has(n));
                self.names_not_taken(&brand.owner, id, names)?;
                let mut next = (**brand).clone();
                if let Some(v) = &patch.display_name {
                    next.display_name = v.clone();
                }
                if let Some(v) = &patch.aliases {
                    next.aliases = v.clone();
                }
                if patch.display_name.is_some() || patch.aliases.is_some() {
                    aliases_differ_from_display_name(
                        &next.display_name,
                        &next.aliases,
                        patch.aliases.is_none(),
                    )?;
                }
                if let Some(v) = patch.common_word {
                    next.common_word = v;
                }
                // A patch that changes nothing writes nothing: the etag
                // stays, so other editors are not sent back for it.
                if next == **brand {
                    return Ok(Vec::new());
                }
                next.update_time = now;
                next.update_revision = revision;
                Ok(vec![changed(
                    Resource::Brand(brand.clone()),
                    Resource::Brand(Arc::new(next)),
                )])
            }
            Command::ArchiveBrand { id, etag } => {
                let brand = self.writable_brand(id)?;
                check_etag(&format!("brands/{id}"), *etag, brand.update_revision)?;
                let mut next = (**brand).clone();
                next.status = BrandStatus::Archived;
                next.update_time = now;
                next.update_revision = revision;
                Ok(vec![changed(
                    Resource::Brand(brand.clone()),
                    Resource::Brand(Arc::new(next)),
                )])
            }
            Command::AddTrademark { brand, id, spec } => {
                self.writable_brand(brand)?;
                // The request's own mistakes before the registry's state:
                // the API refuses inverted dates at its edge; a seed's
                // commands reach this first.
                check_dates(spec.registration_date, spec.expiry_date)?;
                check_mark_text(spec.kind, &spec.mark_text)
                    .map_err(|e| PlanError::Invalid(vec![("trademark.mark_text".into(), e)]))?;
                self.unique_trademark_number(spec.office, &spec.registration_number, None)?;
                let trademark = Trademark {
                    brand: brand.clone(),
                    id: id.clone(),
                    office: spec.office,
                    registration_number: spec.registration_number.clone(),
                    mark_text: spec.mark_text.clone(),
                    kind: spec.kind,
                    nice_classes: spec.nice_classes,
                    status: spec.status,
                    registration_date: spec.registration_date,
                    expiry_date: spec.expiry_date,
                    designated_countries: spec.designated_countries.clone(),
                    territories: spec.territories.clone(),
                    update_revision: revision,
                };
                Ok(vec![created(Resource::Trademark(Arc::new(trademark)))])
            }
            Command::UpdateTrademark {
                brand,
                id,
                patch,
                etag,
            } => {
                self.writable_brand(brand)?;
                let current = self
                    .trademarks
                    .get(&(brand.clone(), id.clone()))
                    .ok_or_else(|| {
                        PlanError::NotFound(format!("brands/{brand}/trademarks/{id}"))
                    })?;
                check_etag(
                    &format!("brands/{brand}/trademarks/{id}"),
                    *etag,
                    current.update_revision,
                )?;
                let next = patch_trademark(current, patch, revision)?;
                // A patch that changes nothing writes nothing, as for a
                // brand: the etag stays.
                let unchanged = Trademark {
                    update_revision: current.update_revision,
                    ..next.clone()
                };
                if unchanged == **current {
                    return Ok(Vec::new());
                }
                Ok(vec![changed(
                    Resource::Trademark(current.clone()),
                    Resource::Trademark(Arc::new(next)),
                )])
            }
            Command::RemoveTrademark { brand, id } => {
                self.writable_brand(brand)?;
                let current = self
                    .trademarks
                    .get(&(brand.clone(), id.clone()))
                    .ok_or_else(|| {
                        PlanError::NotFound(format!("brands/{brand}/trademarks/{id}"))
                    })?;
                Ok(vec![removed(Resource::Trademark(current.clone()))])
            }
            Command::AddLogo {
                brand,
                id,
                description,
                source,
            } => {
                let owner = self.writable_brand(brand)?.owner.clone();
                self.logo_not_taken(&owner, source)?;
                if let Some(existing) = self.logos_of(brand).find(|l| l.hash == source.hash) {
                    return Err(PlanError::AlreadyExists(format!(
                        "brands/{brand} already has a logo with hash {} ({})",
                        source.hash.to_hex(),
                        existing.id
                    )));
                }
                let logo = Logo {
                    brand: brand.clone(),
                    id: id.clone(),
                    description: description.clone(),
                    hash: source.hash,
                    image_sha256: source.image_sha256,
                    create_time: now,
                    update_revision: revision,
                };
                Ok(vec![created(Resource::Logo(Arc::new(logo)))])
            }
            Command::RemoveLogo { brand, id } => {
                self.writable_brand(brand)?;
                let current = self
                    .logos
                    .get(&(brand.clone(), id.clone()))
                    .ok_or_else(|| PlanError::NotFound(format!("brands/{brand}/logos/{id}")))?;
                Ok(vec![removed(Resource::Logo(current.clone()))])
            }
            Command::AuthorizeSeller { brand, id, spec } => {
                self.writable_brand(brand)?;
                self.check_platform(&spec.platform, "authorization.platform")?;
                if let Some(live) =
                    self.live_authorization(brand, &spec.platform, &spec.seller_account)
                {
                    return Err(PlanError::AlreadyExists(format!(
                        "seller {} on members/{} already has authorization brands/{brand}/authorizations/{}; update it instead",
                        quote(&spec.seller_account),
                        spec.platform,
                        live.id
                    )));
                }
                let auth = new_authorization(brand, id, spec, revision, now);
                // An end already past first: with no start given, the
                // start is now, and "after valid_from" would name an
                // instant the caller never sent.
                check_end(&auth, None, (now, past_ends), "authorization")?;
                check_window(&auth, "authorization")?;
                Ok(vec![created(Resource::Authorization(Arc::new(auth)))])
            }
            Command::UpdateAuthorization {
                brand,
                id,
                patch,
                etag,
            } => {
                self.writable_brand(brand)?;
                let current = self.authorization_or_not_found(brand, id)?;
                check_etag(
                    &format!("brands/{brand}/authorizations/{id}"),
                    *etag,
                    current.update_revision,
                )?;
                if current.status == AuthorizationStatus::Revoked {
                    return Err(PlanError::FailedPrecondition(format!(
                        "brands/{brand}/authorizations/{id} is revoked; revoked authorizations cannot change"
                    )));
                }
                let next = patch_authorization(&current, patch, revision, now);
                // An end moved into the past, as one set so when created;
                // an update that keeps the end keeps it, past or not.
                check_end(&next, Some(&current), (now, past_ends), "authorization")?;
                // Named on the end the change set: a new start after the
                // kept end is the start's mistake.
                if patch.valid_from.is_some() && patch.valid_until.is_none() {
                    check_valid_from(next.valid_from, next.valid_until).map_err(|e| {
                        PlanError::Invalid(vec![("authorization.valid_from".into(), e)])
                    })?;
                } else {
                    check_window(&next, "authorization")?;
                }
                // A patch that changes nothing writes nothing, as for a
                // brand: the etag and the update time stay.
                let unchanged = Authorization {
                    update_time: current.update_time,
                    update_revision: current.update_revision,
                    ..next.clone()
                };
                if unchanged == *current {
                    return Ok(Vec::new());
                }
                Ok(vec![changed(
                    Resource::Authorization(current.clone()),
                    Resource::Authorization(Arc::new(next)),
                )])
            }
            Command::RevokeAuthorization { brand, id } => {
                self.writable_brand(brand)?;
                let current = self.authorization_or_not_found(brand, id)?;
                if current.status == AuthorizationStatus::Revoked {
                    return Err(PlanError::FailedPrecondition(format!(
                        "brands/{brand}/authorizations/{id} is already revoked"
                    )));
                }
                let mut next = (*current).clone();
                next.status = AuthorizationStatus::Revoked;
                next.update_time = now;
                next.update_revision = revision;
                Ok(vec![changed(
                    Resource::Authorization(current.clone()),
                    Resource::Authorization(Arc::new(next)),
                )])
            }
            Command::ImportAuthorizations { brand, rows, widen } => {
                self.writable_brand(brand)?;
                let mut violations = Vec::new();
                let mut seen: std::collections::HashMap<(&Slug, &str), usize> =
                    std::collections::HashMap::new();
                let mut changes = Vec::with_capacity(rows.len());
                for (index, (id, spec)) in rows.iter().enumerate() {
                    let field = format!("rows[{index}]");
                    if let Err(PlanError::Invalid(v)) =
                        self.check_platform(&spec.platform, &format!("{field}.platform"))
                    {
                        violations.extend(v);
                        continue;
                    }
                    if let Some(first) =
                        seen.insert((&spec.platform, spec.seller_account.as_str()), index)
                    {
                        violations.push((
                            format!("{field}.seller_account"),
                            format!(
                                "seller {} on members/{} is already in rows[{first}]",
                                quote(&spec.seller_account),
                                spec.platform
                            ),
                        ));
                        continue;
                    }
                    let change = match self.live_authorization(
                        brand,
                        &spec.platform,
                        &spec.seller_account,
                    ) {
                        Some(live) => {
                            // The row replaces the scope: classes, regions
                            // and validity. A start or a reference the row
                            // leaves out stays as it was (the authorization
                            // began then, and the reference is the owner's
                            // note, not scope).
                            let mut next = (*live).clone();
                            next.nice_classes = spec.nice_classes;
                            next.regions = spec.regions.clone();
                            next.valid_from = spec.valid_from.unwrap_or(live.valid_from);
                            next.valid_until = spec.valid_until;
                            if !spec.reference.is_empty() {
                                next.reference = spec.reference.clone();
                            }
                            if next == *live {
                                // Nothing to change: no change, no new etag.
                                continue;
                            }
                            next.update_time = now;
                            next.update_revision = revision;
                            (next, Some(live))
                        }
                        None => (new_authorization(brand, id, spec, revision, now), None),
                    };
                    if let Err(PlanError::Invalid(v)) =
                        check_end(&change.0, change.1.as_deref(), (now, past_ends), &field)
                            .and_then(|()| check_window(&change.0, &field))
                    {
                        violations.extend(v);
                        continue;
                    }
                    // An empty field of a row replacing a live scope widens
                    // it (every class, everywhere, no end), as an update
                    // mask of `*` would: only where the import names the
                    // field in its mask. Checked against the authorization
                    // as the write finds it. A seed never gets here: it
                    // loads an empty registry, where every row creates.
                    if let Some(live) = &change.1 {
                        let widened = widen.widenings(&change.0, live, &field);
                        if !widened.is_empty() {
                            violations.extend(widened);
                            continue;
                        }
                    }
                    changes.push(Change {
                        before: change.1.map(Resource::Authorization),
                        after: Some(Resource::Authorization(Arc::new(change.0))),
                    });
                }
                if violations.is_empty() {
                    Ok(changes)
                } else {
                    // The first row with each kind of mistake, as for the
                    // rows' own fields (a thousand rows naming the same
                    // non-platform are one mistake).
                    let mut kinds = std::collections::HashSet::new();
                    violations.retain(|(field, _)| {
                        let kind = field.find(']').map_or(field.as_str(), |end| &field[end..]);
                        kinds.insert(kind.to_string())
                    });
                    Err(PlanError::Invalid(violations))
                }
            }
        }
    }

    fn member_or_not_found(&self, id: &Slug) -> Result<&Arc<Member>, PlanError> {
        self.members
            .get(id)
            .ok_or_else(|| PlanError::NotFound(format!("members/{id}")))
    }

    fn writable_brand(&self, id: &Slug) -> Result<&Arc<Brand>, PlanError> {
        let brand = self
            .brands
            .get(id)
            .ok_or_else(|| PlanError::NotFound(format!("brands/{id}")))?;
        if brand.status == BrandStatus::Archived {
            return Err(PlanError::FailedPrecondition(format!(
                "brands/{id} is archived and read-only"
            )));
        }
        Ok(brand)
    }

    fn authorization_or_not_found(
        &self,
        brand: &Slug,
        id: &ResourceId,
    ) -> Result<Arc<Authorization>, PlanError> {
        self.authorizations
            .get(brand, id)
            .ok_or_else(|| PlanError::NotFound(format!("brands/{brand}/authorizations/{id}")))
    }

    /// Refuses names that would declare an active brand of another member:
    /// equal to one of its names or aliases after normalization, the
    /// equality of `BRAND_FIELD` (so `VELLANO`, `Vеllano` with a Cyrillic
    /// `е` and `Vel-lano` are all `Vellano`). Otherwise a member could
    /// register another's name as an alias of its own brand, and listings
    /// showing it, even by sellers the other member authorized, would be
    /// checked against the wrong owner. Checked against the brands as of
    /// the last refresh of the detection index (every committed revision;
    /// brands created earlier in the same revision are not compared with
    /// each other: only a seed creates several, and it compares its own,
    /// `seed::names_not_shared`).
    ///
    /// Names of the owner's own other active brands are refused too:
    /// listings showing the name would be checked against both brands, so
    /// that a seller the owner authorized for one would be blocked as
    /// unauthorized for the other. `brand` is the brand that takes the
    /// names, which may already hold them.
    fn names_not_taken<'n>(
        &self,
        owner: &Slug,
        brand: &Slug,
        names: impl Iterator<Item = (String, &'n String)>,
    ) -> Result<(), PlanError> {
        let Some(detection) = self.detection.current() else {
            return Ok(());
        };
        let layers = detection.layers();
        let mut found = Vec::new();
        let mut taken = Vec::new();
        for (field, name) in names {
            layers.declared_brands(name, &mut found);
            let mut others = found
                .iter()
                .filter_map(|&(number, _)| detection.brand(number))
                .filter(|b| b.id != *brand && b.status == BrandStatus::Active);
            let other = others.clone().find(|b| b.owner != *owner);
            if let Some(other) = other {
                taken.push((
                    field,
                    format!(
                        "{} is a name of brands/{}, which another member owns",
                        quote(name),
                        other.id
                    ),
                ));
            } else if let Some(own) = others.next() {
                taken.push((
                    field,
                    format!(
                        "{} is a name of brands/{}, another of your brands: listings showing it \
                         would be checked against both; give it to one of them",
                        quote(name),
                        own.id
                    ),
                ));
            }
        }
        if taken.is_empty() {
            Ok(())
        } else {
            Err(PlanError::Invalid(taken))
        }
    }

    /// Refuses a logo that would be strong evidence of another member's
    /// active brand: within [`LOGO_STRONG_DISTANCE`] bits of one of its
    /// logos. Otherwise a member could register another's logo on its own
    /// brand, and listings showing it, even by sellers the other member
    /// authorized, would be blocked as showing the wrong owner's brand (the
    /// rule [`Self::names_not_taken`] keeps for names). Checked against the
    /// detection index, as names are. The refusal names the request field
    /// the hash came from: `image` for an upload, else `perceptual_hash`.
    fn logo_not_taken(&self, owner: &Slug, source: &LogoSource) -> Result<(), PlanError> {
        let hash = source.hash;
        let Some(detection) = self.detection.current() else {
            return Ok(());
        };
        let mut found = Vec::new();
        detection.layers().scan_logos(&[hash.0], &mut found);
        let other = found
            .iter()
            .filter(|m| m.distance <= LOGO_STRONG_DISTANCE)
            .filter_map(|m| detection.brand(m.brand))
            .find(|b| b.owner != *owner && b.status == BrandStatus::Active);
        match other {
            Some(other) => Err(PlanError::Invalid(vec![(
                if source.image_sha256.is_some() {
                    "image"
                } else {
                    "perceptual_hash"
                }
                .into(),
                format!(
                    "the logo's hash {} is within {LOGO_STRONG_DISTANCE} bits of a logo of \
                     brands/{}, which another member owns",
                    hash.to_hex(),
                    other.id
                ),
            )])),
            None => Ok(()),
        }
    }

    /// Whether `platform` names a platform. A member that is not one and a
    /// name that is no member's get the same answer: members other than
    /// platforms are private (only the operator lists them all), so a brand
    /// owner's write must not tell which names are members.
    pub(crate) fn check_platform(&self, platform: &Slug, field: &str) -> Result<(), PlanError> {
        match self.members.get(platform) {
            Some(m) if m.kind == MemberKind::Platform => Ok(()),
            _ => Err(PlanError::Invalid(vec![(
                field.to_string(),
                format!("members/{platform} is not a platform (ListMembers lists them)"),
            )])),
        }
    }

    /// Files `trademark` under its (office, registration number), beside
    /// the other trademarks with that number; filing it twice files it once.
    fn file_trademark_number(&mut self, trademark: &Trademark) {
        let number = (trademark.office, number_key(&trademark.registration_number));
        let holder = (trademark.brand.clone(), trademark.id.clone());
        let holders: Arc<[BrandChild]> = match self.trademark_numbers.get(&number) {
            Some(holders) if holders.contains(&holder) => return,
            Some(holders) => holders.iter().cloned().chain([holder]).collect(),
            None => Arc::from([holder]),
        };
        self.trademark_numbers.insert(number, holders);
    }

    /// Takes `trademark`, and only it, off its (office, registration
    /// number): other trademarks with the number stay filed under it.
    fn unfile_trademark_number(&mut self, trademark: &Trademark) {
        let number = (trademark.office, number_key(&trademark.registration_number));
        let Some(holders) = self.trademark_numbers.get(&number) else {
            return;
        };
        let rest: Arc<[BrandChild]> = holders
            .iter()
            .filter(|(brand, id)| *brand != trademark.brand || *id != trademark.id)
            .cloned()
            .collect();
        if rest.is_empty() {
            self.trademark_numbers.remove(&number);
        } else {
            self.trademark_numbers.insert(number, rest);
        }
    }

    /// Refuses `number` at `office` when a trademark of a brand that is not
    /// archived holds it (`except` aside): registration numbers are unique
    /// per office across the registry, archived brands aside (a mark of an
    /// archived brand may be registered again: by its new owner, when the
    /// brand changed hands). Every trademark with the number is looked at,
    /// so that replicas agree however they were built: a load reads them
    /// in no particular order. The refusal names the first holder in
    /// (brand, id) order.
    fn unique_trademark_number(
        &self,
        office: Office,
        number: &str,
        except: Option<&ResourceId>,
    ) -> Result<(), PlanError> {
        let holders = self.trademark_numbers.get(&(office, number_key(number)));
        let held = holders
            .iter()
            .flat_map(|holders| holders.iter())
            .filter(|(_, id)| Some(id) != except)
            .filter(|(brand, _)| {
                self.brands
                    .get(brand)
                    .is_none_or(|b| b.status != BrandStatus::Archived)
            })
            .min();
        match held {
            Some((brand, id)) => Err(PlanError::AlreadyExists(format!(
                "trademark {office} {} is already registered as brands/{brand}/trademarks/{id}",
                quote(number)
            ))),
            None => Ok(()),
        }
    }

    /// The seller's first live authorization of `brand` on `platform`
    /// (one may be live at a time), made from the table only once found.
    fn live_authorization(
        &self,
        brand: &Slug,
        platform: &Slug,
        seller: &str,
    ) -> Option<Arc<Authorization>> {
        self.authorizations
            .first_of_seller(brand, platform, seller, |grant| grant.status.is_live())
    }

    // ---- reads -------------------------------------------------------------

    /// A member.
    pub fn member(&self, id: &str) -> Option<&Arc<Member>> {
        self.members.get(id)
    }

    /// An API key, by its id alone (authentication).
    pub fn api_key(&self, id: &str) -> Option<&Arc<ApiKey>> {
        let member = self.key_owners.get(id)?;
        self.api_keys
            .get(&(member.clone(), ResourceId::parse(id).ok()?))
    }

    /// Whether `key` is an operator's and no other operator key is active.
    fn is_last_operator_key(&self, key: &ApiKey) -> bool {
        let operator = |member: &Slug| {
            self.members
                .get(member)
                .is_some_and(|m| m.kind == MemberKind::Operator)
        };
        operator(&key.member)
            && !self.api_keys.values().any(|k| {
                k.revoke_time.is_none()
                    && !(k.member == key.member && k.id == key.id)
                    && operator(&k.member)
            })
    }

    /// Whether any usable operator key exists.
    pub fn has_operator_key(&self) -> bool {
        self.api_keys.values().any(|k| {
            k.revoke_time.is_none()
                && self
                    .members
                    .get(&k.member)
                    .is_some_and(|m| m.kind == MemberKind::Operator)
        })
    }

    /// A brand.
    pub fn brand(&self, id: &str) -> Option<&Arc<Brand>> {
        self.brands.get(id)
    }

    /// A trademark.
    pub fn trademark(&self, brand: &Slug, id: &ResourceId) -> Option<&Arc<Trademark>> {
        self.trademarks.get(&(brand.clone(), id.clone()))
    }

    /// The `n`-th logo of `brand` in id order: the order the detection index
    /// numbers a brand's logos in ([`crate::detect::LogoMatch::logo`]).
    #[must_use]
    pub fn nth_logo(&self, brand: &Slug, n: usize) -> Option<&Arc<Logo>> {
        of_parent(&self.logos, brand).nth(n)
    }

    /// A logo.
    pub fn logo(&self, brand: &Slug, id: &ResourceId) -> Option<&Arc<Logo>> {
        self.logos.get(&(brand.clone(), id.clone()))
    }

    /// An authorization.
    pub fn authorization(&self, brand: &Slug, id: &ResourceId) -> Option<Arc<Authorization>> {
        self.authorizations.get(brand, id)
    }

    /// An API key by member and id.
    pub fn member_api_key(&self, member: &Slug, id: &ResourceId) -> Option<&Arc<ApiKey>> {
        self.api_keys.get(&(member.clone(), id.clone()))
    }

    /// Members in id order, after `after`.
    pub fn list_members(
        &self,
        after: Option<&str>,
        limit: usize,
        keep: impl Fn(&Member) -> bool,
    ) -> Page<Arc<Member>> {
        let start = match after {
            Some(a) => Bound::Excluded(a),
            None => Bound::Unbounded,
        };
        page(
            self.members
                .range::<_, str>((start, Bound::Unbounded))
                .map(|(k, v)| (k.as_str().to_string(), v.clone())),
            limit,
            |m| keep(m),
        )
    }

    /// Brands in id order, after `after`, optionally of one owner.
    pub fn list_brands(
        &self,
        owner: Option<&Slug>,
        after: Option<&str>,
        limit: usize,
    ) -> Page<Arc<Brand>> {
        let start = match after {
            Some(a) => Bound::Excluded(a),
            None => Bound::Unbounded,
        };
        page(
            self.brands
                .range::<_, str>((start, Bound::Unbounded))
                .map(|(k, v)| (k.as_str().to_string(), v.clone())),
            limit,
            |b| owner.is_none_or(|o| &b.owner == o),
        )
    }

    /// A member's API keys in id order, after `after`.
    pub fn list_api_keys(
        &self,
        member: &Slug,
        after: Option<&ResourceId>,
        limit: usize,
    ) -> Page<Arc<ApiKey>> {
        page(children(&self.api_keys, member, after), limit, |_| true)
    }

    /// A brand's trademarks in id order, after `after`.
    pub fn list_trademarks(
        &self,
        brand: &Slug,
        after: Option<&ResourceId>,
        limit: usize,
    ) -> Page<Arc<Trademark>> {
        page(children(&self.trademarks, brand, after), limit, |_| true)
    }

    /// A brand's logos in id order, after `after`.
    pub fn list_logos(
        &self,
        brand: &Slug,
        after: Option<&ResourceId>,
        limit: usize,
    ) -> Page<Arc<Logo>> {
        page(children(&self.logos, brand, after), limit, |_| true)
    }

    /// A brand's authorizations in id order after `after`, those `keep`
    /// accepts.
    pub fn list_authorizations(
        &self,
        brand: &Slug,
        after: Option<&ResourceId>,
        limit: usize,
        keep: impl Fn(&Arc<Authorization>) -> bool,
    ) -> Page<Arc<Authorization>> {
        bounded_page(
            self.authorizations
                .of_brand(brand, after.map(ResourceId::as_str)),
            limit,
            keep,
            MAX_PASSED_PER_PAGE,
        )
    }

    /// `seller`'s authorizations of `brand`, on `platform` or, when `None`,
    /// on every platform, in id order after `after`: the page
    /// [`Snapshot::list_authorizations`] gives with a filter that keeps
    /// exactly theirs, and its token alike (after the page's last one, when
    /// more follow), but read through the seller index: never a page cut
    /// short by others' authorizations, whatever the brand has. Every
    /// authorization is on a member of kind PLATFORM (writes refuse any
    /// other, and members are never removed nor change kind): those are the
    /// platforms looked at.
    pub fn list_seller_authorizations(
        &self,
        brand: &Slug,
        platform: Option<&Slug>,
        seller: &str,
        after: Option<&ResourceId>,
        limit: usize,
    ) -> Page<Arc<Authorization>> {
        let platforms: Vec<&Slug> = match platform {
            Some(platform) => vec![platform],
            None => self
                .members
                .values()
                .filter(|m| m.kind == MemberKind::Platform)
                .map(|m| &m.id)
                .collect(),
        };
        let (page, more) = self.authorizations.of_seller_after(
            brand,
            &platforms,
            seller,
            after.map(ResourceId::as_str),
            limit,
        );
        let next = if more {
            page.last().map(|a| a.id.as_str().to_string())
        } else {
            None
        };
        (page, next)
    }

    /// A brand's trademarks in id order, without allocating.
    pub fn trademarks_of<'a>(
        &'a self,
        brand: &Slug,
    ) -> impl Iterator<Item = &'a Arc<Trademark>> + 'a {
        of_parent(&self.trademarks, brand)
    }

    fn logos_of<'a>(&'a self, brand: &Slug) -> impl Iterator<Item = &'a Arc<Logo>> + 'a {
        of_parent(&self.logos, brand)
    }

    // ---- checks ------------------------------------------------------------

    /// Is `seller` on `platform` authorized for `brand`, in `class` and
    /// `region` (each `None` when unknown: only an authorization for every
    /// class or region covers it), at `at`? `None` when the brand does not
    /// exist.
    pub fn check_seller(
        &self,
        brand: &Slug,
        platform: &Slug,
        seller: &str,
        class: Option<NiceClass>,
        region: Option<Region>,
        at: Timestamp,
    ) -> Option<SellerCheck> {
        let b = self.brands.get(brand)?;
        if b.status == BrandStatus::Archived {
            return Some(SellerCheck {
                verdict: SellerVerdict::BrandArchived,
                authorization: None,
            });
        }
        Some(self.check_active_seller(brand, platform, seller, class, region, at))
    }

    /// [`Snapshot::check_seller`] for a brand known to exist and be active
    /// (a listing check's detected brands).
    pub fn check_active_seller(
        &self,
        brand: &Slug,
        platform: &Slug,
        seller: &str,
        class: Option<NiceClass>,
        region: Option<Region>,
        at: Timestamp,
    ) -> SellerCheck {
        // The seller's authorizations are judged where they are kept; only
        // the one that decides is made into an `Authorization`.
        let best = self
            .authorizations
            .best_of_seller(brand, platform, seller, |grant| {
                evaluate(grant, class, region, at)
            });
        match best {
            Some(((_, verdict), authorization)) => SellerCheck {
                verdict,
                authorization: Some(authorization),
            },
            None => SellerCheck {
                verdict: SellerVerdict::NoAuthorization,
                authorization: None,
            },
        }
    }
}

/// What one authorization says of a check, and how close it comes to
/// allowing it (lowest closest): the seller's authorization that comes
/// closest decides the answer ([`SellerVerdict`]).
///
/// One that covers the check (its class, its region and its instant) says
/// its status: active (0), suspended (1, its owner may lift it), revoked
/// (2). Then, of those that cover the class and region only: a live one
/// says when it is valid (not yet, 3; no longer, 4), a revoked one that it
/// is revoked (5: revoked is final, so it covers no instant, and "not yet
/// valid" would promise what will not come). Then one that covers the class
/// but not the region (6), then one that does not cover the class (7). So
/// an authorization suspended or revoked for another class, region or time
/// never outweighs one that covers the check, nor one that comes closer.
fn evaluate(
    auth: Grant<'_>,
    class: Option<NiceClass>,
    region: Option<Region>,
    at: Timestamp,
) -> (u8, SellerVerdict) {
    let class_ok =
        auth.nice_classes.is_empty() || class.is_some_and(|c| auth.nice_classes.contains(c));
    if !class_ok {
        return (7, SellerVerdict::ClassNotCovered);
    }
    // An authorization for a country covers its territories (`US` covers
    // `PR`), as a mark of that country does.
    let region_ok = auth.regions.is_empty()
        || region.is_some_and(|r| {
            auth.regions.contains(&r)
                || r.country_of_territory()
                    .is_some_and(|country| auth.regions.contains(&country))
        });
    if !region_ok {
        return (6, SellerVerdict::RegionNotCovered);
    }
    let window = if at < auth.valid_from {
        Some((3, SellerVerdict::NotYetValid))
    } else if auth.valid_until.is_some_and(|until| at >= until) {
        Some((4, SellerVerdict::Expired))
    } else {
        None
    };
    match (auth.status, window) {
        (AuthorizationStatus::Revoked, Some(_)) => (5, SellerVerdict::Revoked),
        (_, Some(window)) => window,
        (AuthorizationStatus::Active, None) => (0, SellerVerdict::Authorized),
        (AuthorizationStatus::Suspended, None) => (1, SellerVerdict::Suspended),
        (AuthorizationStatus::Revoked, None) => (2, SellerVerdict::Revoked),
    }
}

fn created(after: Resource) -> Change {
    Change {
        before: None,
        after: Some(after),
    }
}

fn changed(before: Resource, after: Resource) -> Change {
    Change {
        before: Some(before),
        after: Some(after),
    }
}

fn removed(before: Resource) -> Change {
    Change {
        before: Some(before),
        after: None,
    }
}

/// Refuses a brand's names as [`alias_repeats`] does, each alias on its
/// field; or, when only the display name changed (`display_name_alone`),
/// the first alias it repeats, on the display name, the field the caller
/// sent. The API refuses them at its edge when it knows both names; a seed's
/// commands, and an update racing another, reach this.
fn aliases_differ_from_display_name(
    display_name: &str,
    aliases: &[String],
    display_name_alone: bool,
) -> Result<(), PlanError> {
    let repeats = alias_repeats(Some(display_name), aliases);
    let violations: Vec<(String, String)> = if display_name_alone {
        repeats
            .iter()
            .find(|(_, repeat)| *repeat == AliasRepeat::DisplayName)
            .map(|&(i, _)| {
                (
                    "brand.display_name".to_owned(),
                    format!(
                        "{} repeats the alias {} once normalized",
                        quote(display_name),
                        quote(&aliases[i])
                    ),
                )
            })
            .into_iter()
            .collect()
    } else {
        repeats
            .into_iter()
            .map(|(i, repeat)| {
                (
                    format!("brand.aliases[{i}]"),
                    repeat.describe(&aliases[i], display_name, "brand.aliases"),
                )
            })
            .collect()
    };
    if violations.is_empty() {
        Ok(())
    } else {
        Err(PlanError::Invalid(violations))
    }
}

fn check_etag(resource: &str, given: Option<Revision>, current: Revision) -> Result<(), PlanError> {
    match given {
        Some(given) if given != current => Err(PlanError::EtagMismatch {
            resource: resource.to_string(),
            given: given.to_string(),
            current: current.to_string(),
        }),
        _ => Ok(()),
    }
}

fn check_dates(registration: Option<Date>, expiry: Option<Date>) -> Result<(), PlanError> {
    check_trademark_dates(registration, expiry)
        .map_err(|e| PlanError::Invalid(vec![("trademark.expiry_date".into(), e)]))
}

fn check_window(a: &Authorization, field: &str) -> Result<(), PlanError> {
    check_authorization_window(a.valid_from, a.valid_until)
        .map_err(|e| PlanError::Invalid(vec![(format!("{field}.valid_until"), e)]))
}

/// Refuses an end already past at `now` ([`check_authorization_end`]) that
/// `next` gives an authorization: a new one's, or one that changes
/// `current`'s. An end `current` already has is kept as it is, past or not
/// (an update of another field, or the authorization sent back whole).
fn check_end(
    next: &Authorization,
    current: Option<&Authorization>,
    (now, past_ends): (Timestamp, PastEnds),
    field: &str,
) -> Result<(), PlanError> {
    if past_ends == PastEnds::Recorded
        || current.is_some_and(|current| current.valid_until == next.valid_until)
    {
        return Ok(());
    }
    check_authorization_end(next.valid_until, now)
        .map_err(|e| PlanError::Invalid(vec![(format!("{field}.valid_until"), e)]))
}

fn new_authorization(
    brand: &Slug,
    id: &ResourceId,
    spec: &AuthorizationSpec,
    revision: Revision,
    now: Timestamp,
) -> Authorization {
    Authorization {
        brand: brand.clone(),
        id: id.clone(),
        platform: spec.platform.clone(),
        seller_account: spec.seller_account.clone(),
        nice_classes: spec.nice_classes,
        regions: spec.regions.clone(),
        valid_from: spec.valid_from.unwrap_or(now),
        valid_until: spec.valid_until,
        status: AuthorizationStatus::Active,
        reference: spec.reference.clone(),
        create_time: now,
        update_time: now,
        update_revision: revision,
    }
}

fn patch_authorization(
    current: &Authorization,
    patch: &AuthorizationPatch,
    revision: Revision,
    now: Timestamp,
) -> Authorization {
    let mut next = current.clone();
    if let Some(v) = patch.nice_classes {
        next.nice_classes = v;
    }
    if let Some(v) = &patch.regions {
        next.regions = v.clone();
    }
    if let Some(v) = patch.valid_from {
        next.valid_from = v;
    }
    if let Some(v) = patch.valid_until {
        next.valid_until = v;
    }
    if let Some(v) = patch.status {
        next.status = v;
    }
    if let Some(v) = &patch.reference {
        next.reference = v.clone();
    }
    next.update_time = now;
    next.update_revision = revision;
    next
}

fn patch_trademark(
    current: &Trademark,
    patch: &TrademarkPatch,
    revision: Revision,
) -> Result<Trademark, PlanError> {
    let mut next = current.clone();
    if let Some(v) = &patch.mark_text {
        next.mark_text = v.clone();
    }
    if let Some(v) = patch.kind {
        next.kind = v;
    }
    if let Some(v) = patch.nice_classes {
        next.nice_classes = v;
    }
    if let Some(v) = patch.status {
        next.status = v;
    }
    if let Some(v) = patch.registration_date {
        next.registration_date = v;
    }
    if let Some(v) = patch.expiry_date {
        next.expiry_date = v;
    }
    if let Some(v) = &patch.designated_countries {
        next.territories = next
            .office
            .territories(v)
            .map_err(|e| PlanError::Invalid(vec![("trademark.designated_countries".into(), e)]))?;
        next.designated_countries = v.clone();
    }
    next.update_revision = revision;
    // Checked when the change touches the text or the kind, so that a mark
    // recorded without its text before this rule can still change status.
    if patch.mark_text.is_some() || patch.kind.is_some() {
        check_mark_text(next.kind, &next.mark_text)
            .map_err(|e| PlanError::Invalid(vec![("trademark.mark_text".into(), e)]))?;
    }
    // Named on the date the change set: a new registration date after the
    // kept expiry is the registration date's mistake.
    if patch.registration_date.is_some() && patch.expiry_date.is_none() {
        check_registration_date(next.registration_date, next.expiry_date)
            .map_err(|e| PlanError::Invalid(vec![("trademark.registration_date".into(), e)]))?;
    } else {
        check_dates(next.registration_date, next.expiry_date)?;
    }
    Ok(next)
}

/// The children of `parent` in a map keyed by (parent, child id), in id
/// order, without allocating.
fn of_parent<'a, V>(
    map: &'a OrdMap<BrandChild, V>,
    parent: &Slug,
) -> impl Iterator<Item = &'a V> + 'a {
    let parent = parent.clone();
    map.range((parent.clone(), ResourceId::min())..)
        .take_while(move |((p, _), _)| *p == parent)
        .map(|(_, v)| v)
}

/// Iterates the children of `parent` in a map keyed by (parent, child id),
/// after `after`. The id is typed so that a page token naming no id is
/// refused at the edge, never read here as "from the first child".
fn children<'a, V: Clone + 'a>(
    map: &'a OrdMap<BrandChild, V>,
    parent: &Slug,
    after: Option<&ResourceId>,
) -> impl Iterator<Item = (String, V)> + 'a {
    let parent_owned = parent.clone();
    let start = match after {
        Some(a) => Bound::Excluded((parent.clone(), a.clone())),
        None => Bound::Included((parent.clone(), ResourceId::min())),
    };
    map.range((start, Bound::Unbounded))
        .take_while(move |((p, _), _)| *p == parent_owned)
        .map(|((_, id), v)| (id.as_str().to_string(), v.clone()))
}

/// Takes up to `limit` items that `keep` accepts; the continuation key is
/// the last item's key when more may follow.
fn page<T>(
    items: impl Iterator<Item = (String, T)>,
    limit: usize,
    keep: impl Fn(&T) -> bool,
) -> Page<T> {
    bounded_page(items, limit, keep, usize::MAX)
}

/// [`page`], but a filter that keeps few of many (a platform's
/// authorizations of a brand that has a million) ends the page early after
/// reading `max_passed` items it did not keep, with a token after what it
/// read: each call does bounded work (AIP-158 allows short pages).
fn bounded_page<T>(
    items: impl Iterator<Item = (String, T)>,
    limit: usize,
    keep: impl Fn(&T) -> bool,
    max_passed: usize,
) -> Page<T> {
    let mut out = Vec::with_capacity(limit.min(1024));
    let mut last = None;
    let mut passed = 0usize;
    for (key, item) in items {
        if !keep(&item) {
            passed += 1;
            if passed >= max_passed {
                return (out, Some(key));
            }
            continue;
        }
        if out.len() == limit {
            return (out, last);
        }
        last = Some(key);
        out.push(item);
    }
    (out, None)
}

/// Authorizations a filtered page of them reads past without keeping
/// before it ends early (`bounded_page`).
pub const MAX_PASSED_PER_PAGE: usize = 10_000;

/// A registration number as uniqueness compares it: its letters and
/// digits, in capitals. Offices and registers write one number with or
/// without spaces, dashes, dots and slashes (`DEMO-EM-0000042`, `DEMO EM
/// 0000042`), so writing it another way does not make it another number.
/// A number with no letter or digit (refused since, but one may be stored
/// from before) is compared as written.
fn number_key(number: &str) -> Arc<str> {
    let key: String = number
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect();
    if key.is_empty() {
        Arc::from(number)
    } else {
        Arc::from(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        Actor, ImportWidening, NiceClassSet, TrademarkKind, TrademarkSpec, TrademarkStatus,
    };

    fn items(n: usize) -> impl Iterator<Item = (String, usize)> {
        (0..n).map(|i| (format!("{i:06}"), i))
    }

    /// A registration number, the same in every trademark of these tests.
    const NUMBER: &str = "DEMO-EM-0000042";

    fn slug(id: &str) -> Slug {
        Slug::parse(id).expect("slug")
    }

    fn id(id: &str) -> ResourceId {
        ResourceId::parse(id).expect("id")
    }

    /// Adding trademark `tm` with [`NUMBER`] at the EUIPO to `brand`.
    fn add_trademark(brand: &str, tm: &str) -> Command {
        Command::AddTrademark {
            brand: slug(brand),
            id: id(tm),
            spec: TrademarkSpec {
                office: Office::Euipo,
                registration_number: NUMBER.into(),
                mark_text: "AURELLE".into(),
                kind: TrademarkKind::Word,
                nice_classes: NiceClassSet::parse_list(&[25]).expect("classes"),
                status: TrademarkStatus::Registered,
                registration_date: None,
                expiry_date: None,
                designated_countries: vec![],
                territories: vec![],
            },
        }
    }

    /// Executes `commands` on `snapshot`, one revision each, as a writer
    /// does; the events, for the change feed.
    fn commit(snapshot: &mut Snapshot, commands: &[Command]) -> Vec<ChangeEvent> {
        commands
            .iter()
            .map(|command| {
                let revision = snapshot.revision() + 1;
                let changes = snapshot
                    .execute(command, revision, Timestamp::UNIX_EPOCH)
                    .unwrap_or_else(|e| panic!("{command:?}: {e}"));
                snapshot.set_revision(revision);
                ChangeEvent {
                    revision,
                    time: Timestamp::UNIX_EPOCH,
                    actor: Actor::System,
                    request_id: None,
                    request_fingerprint: None,
                    request_fingerprint_as_read: None,
                    changes,
                }
            })
            .collect()
    }

    /// Brand owners and their brands, one each: `owner-{b}` owns `{b}`.
    fn owners_and_brands(brands: &[&str]) -> Vec<Command> {
        let owners = brands.iter().map(|b| Command::CreateMember {
            id: slug(&format!("owner-{b}")),
            display_name: format!("Owner {b}"),
            kind: MemberKind::BrandOwner,
        });
        let brands = brands.iter().map(|b| Command::CreateBrand {
            id: slug(b),
            owner: slug(&format!("owner-{b}")),
            display_name: format!("Brand {b}"),
            aliases: vec![],
            common_word: false,
        });
        owners.chain(brands).collect()
    }

    /// A platform member, `{id}`.
    fn platform(id: &str) -> Command {
        Command::CreateMember {
            id: slug(id),
            display_name: format!("Platform {id}"),
            kind: MemberKind::Platform,
        }
    }

    /// The resources `events` leave, in the order they were last written.
    fn resources_after(events: &[ChangeEvent]) -> Vec<Resource> {
        let mut resources: Vec<Resource> = Vec::new();
        for change in events.iter().flat_map(|e| &e.changes) {
            let key = change.key();
            resources.retain(|r| Some(r.key()) != key);
            resources.extend(change.after.clone());
        }
        resources
    }

    /// The registry the events leave, built every way a replica builds it:
    /// by following the change feed (the memory store's load, and every
    /// replica after a load), and from the resources as a PostgreSQL load
    /// reads them, in no particular order (here in write order and its
    /// reverse, so that each of two trademarks sharing a number is read
    /// first in one of them).
    fn replicas(events: &[ChangeEvent]) -> Vec<(&'static str, Snapshot)> {
        let revision = events.last().map_or(0, |e| e.revision);
        let resources = resources_after(events);
        let mut followed = Snapshot::default();
        followed.apply_all(events);
        vec![
            ("change feed", followed),
            (
                "load in write order",
                Snapshot::from_resources(revision, resources.iter().cloned()),
            ),
            (
                "load in reverse write order",
                Snapshot::from_resources(revision, resources.iter().rev().cloned()),
            ),
        ]
    }

    /// Executes `command` on a copy of `snapshot`, at the next revision.
    fn try_execute(snapshot: &Snapshot, command: &Command) -> Result<Vec<Change>, PlanError> {
        snapshot
            .clone()
            .execute(command, snapshot.revision() + 1, Timestamp::UNIX_EPOCH)
    }

    /// An end already past at the write's instant is refused on the field
    /// that sets it: by AuthorizeSeller and in an import row (each row its
    /// own), not in a seed's records. An end an authorization already has
    /// stays, past or not, where a change keeps it: an update, the
    /// authorization sent back whole, an import row that repeats it.
    #[test]
    fn an_end_already_past_is_refused_where_it_is_written_and_kept_where_it_was() {
        let at = |seconds: i64| Timestamp::from_unix_timestamp(seconds).expect("instant");
        let mut snapshot = Snapshot::default();
        let mut setup = owners_and_brands(&["aurelle"]);
        setup.push(platform("shop"));
        commit(&mut snapshot, &setup);
        let spec = |seller: &str, until: i64| AuthorizationSpec {
            platform: slug("shop"),
            seller_account: seller.into(),
            nice_classes: NiceClassSet::empty(),
            regions: vec![],
            valid_from: Some(at(1_000)),
            valid_until: Some(at(until)),
            reference: String::new(),
        };
        let authorize = |seller: &str, authorization: &str, until: i64| Command::AuthorizeSeller {
            brand: slug("aurelle"),
            id: id(authorization),
            spec: spec(seller, until),
        };
        let run = |snapshot: &Snapshot, command: &Command, now: i64| {
            snapshot
                .clone()
                .execute(command, snapshot.revision() + 1, at(now))
        };
        let refused_on = |field: &str, result: Result<Vec<Change>, PlanError>| match result {
            Err(PlanError::Invalid(violations)) => {
                assert_eq!(violations.len(), 1, "{violations:?}");
                assert_eq!(violations[0].0, field);
                assert!(
                    violations[0].1.contains("has already passed"),
                    "{violations:?}"
                );
            }
            other => panic!("{field}: {other:?}"),
        };

        // Written with an end at or before the write's instant: refused.
        for now in [2_000, 3_000] {
            refused_on(
                "authorization.valid_until",
                run(&snapshot, &authorize("late", "a1", 2_000), now),
            );
        }
        assert!(run(&snapshot, &authorize("late", "a1", 2_000), 1_999).is_ok());
        // A seed's record: an authorization that has ended, as given.
        assert!(
            snapshot
                .clone()
                .execute_with(
                    &authorize("late", "a1", 2_000),
                    snapshot.revision() + 1,
                    at(3_000),
                    PastEnds::Recorded
                )
                .is_ok()
        );

        // Written while still to come, then read after it passed.
        let mut at_1500 = snapshot.clone();
        let revision = at_1500.revision() + 1;
        at_1500
            .execute(&authorize("kept", "a2", 2_000), revision, at(1_500))
            .expect("authorize");
        at_1500.set_revision(revision);
        let update = |patch: AuthorizationPatch| Command::UpdateAuthorization {
            brand: slug("aurelle"),
            id: id("a2"),
            patch,
            etag: None,
        };
        let reference = update(AuthorizationPatch {
            reference: Some("contract 7".into()),
            ..AuthorizationPatch::default()
        });
        assert_eq!(run(&at_1500, &reference, 3_000).map(|c| c.len()), Ok(1));
        let whole = update(AuthorizationPatch {
            nice_classes: Some(NiceClassSet::empty()),
            regions: Some(vec![]),
            valid_from: Some(at(1_000)),
            valid_until: Some(Some(at(2_000))),
            status: Some(AuthorizationStatus::Active),
            reference: Some("contract 7".into()),
            every_field: true,
        });
        assert_eq!(run(&at_1500, &whole, 3_000).map(|c| c.len()), Ok(1));
        // An import: each row its own. Repeating the live one's end keeps
        // it (nothing to change); a new end already past is refused on
        // its row, for a new authorization as for the live one.
        let import = |rows: Vec<(&str, &str, i64)>| Command::ImportAuthorizations {
            brand: slug("aurelle"),
            rows: rows
                .into_iter()
                .map(|(authorization, seller, until)| (id(authorization), spec(seller, until)))
                .collect(),
            widen: ImportWidening::default(),
        };
        assert_eq!(
            run(
                &at_1500,
                &import(vec![("a3", "kept", 2_000), ("a4", "fresh", 5_000)]),
                3_000
            )
            .map(|c| c.len()),
            Ok(1)
        );
        refused_on(
            "rows[1].valid_until",
            run(
                &at_1500,
                &import(vec![("a3", "fresh", 5_000), ("a4", "other", 2_500)]),
                3_000,
            ),
        );
        refused_on(
            "rows[0].valid_until",
            run(&at_1500, &import(vec![("a3", "kept", 2_900)]), 3_000),
        );
    }

    /// An import row replacing a live authorization's scope may not leave
    /// a field empty where the authorization has it (every class,
    /// everywhere, no end) unless the import names the field in `widen`:
    /// refused on the row's field, rows counted across the import, and
    /// nothing changes. A row creating an authorization, or repeating a
    /// scope already that wide, widens nothing.
    #[test]
    fn an_import_widens_a_live_authorization_only_where_it_says_so() {
        let at = |seconds: i64| Timestamp::from_unix_timestamp(seconds).expect("instant");
        let mut snapshot = Snapshot::default();
        let mut setup = owners_and_brands(&["aurelle"]);
        setup.push(platform("shop"));
        let scoped = |seller: &str| AuthorizationSpec {
            platform: slug("shop"),
            seller_account: seller.into(),
            nice_classes: NiceClassSet::parse_list(&[14, 25]).expect("classes"),
            regions: vec![Region::parse("FR").expect("region")],
            valid_from: Some(at(1_000)),
            valid_until: Some(at(9_000)),
            reference: String::new(),
        };
        let wide = |seller: &str| AuthorizationSpec {
            nice_classes: NiceClassSet::empty(),
            regions: vec![],
            valid_until: None,
            ..scoped(seller)
        };
        setup.push(Command::AuthorizeSeller {
            brand: slug("aurelle"),
            id: id("a1"),
            spec: scoped("scoped"),
        });
        setup.push(Command::AuthorizeSeller {
            brand: slug("aurelle"),
            id: id("a2"),
            spec: wide("wide"),
        });
        commit(&mut snapshot, &setup);
        let import =
            |rows: Vec<AuthorizationSpec>, widen: ImportWidening| Command::ImportAuthorizations {
                brand: slug("aurelle"),
                rows: rows
                    .into_iter()
                    .enumerate()
                    .map(|(i, spec)| (id(&format!("n{i}")), spec))
                    .collect(),
                widen,
            };
        let run = |command: &Command| {
            let mut next = snapshot.clone();
            let result = next.execute(command, snapshot.revision() + 1, at(2_000));
            if result.is_err() {
                let stored = |s: &Snapshot| s.authorization(&slug("aurelle"), &id("a1"));
                assert_eq!(stored(&next), stored(&snapshot), "nothing changes");
                assert!(stored(&next).is_some_and(|a| a.valid_until == Some(at(9_000))));
            }
            result
        };
        let fields = |result: Result<Vec<Change>, PlanError>| match result {
            Err(PlanError::Invalid(violations)) => violations
                .into_iter()
                .map(|(field, _)| field)
                .collect::<Vec<_>>(),
            other => panic!("not refused: {other:?}"),
        };

        // A new seller first (created wide), the scoped one emptied second.
        let rows = vec![wide("new"), wide("scoped")];
        assert_eq!(
            fields(run(&import(rows.clone(), ImportWidening::default()))),
            [
                "rows[1].nice_classes",
                "rows[1].regions",
                "rows[1].valid_until"
            ]
        );
        let regions_only = ImportWidening {
            regions: true,
            ..ImportWidening::default()
        };
        assert_eq!(
            fields(run(&import(rows.clone(), regions_only))),
            ["rows[1].nice_classes", "rows[1].valid_until"]
        );
        let every = ImportWidening {
            nice_classes: true,
            regions: true,
            valid_until: true,
        };
        let changes = run(&import(rows, every)).expect("named, each field widens");
        assert_eq!(changes.len(), 2);
        // A new seller alone, and the wide one repeated, need no mask.
        assert_eq!(
            run(&import(
                vec![wide("new"), wide("wide")],
                ImportWidening::default()
            ))
            .map(|c| c.len()),
            Ok(1),
            "created; the repeat changes nothing"
        );
        // Its own scope again, or a narrower one: nothing widens.
        let narrower = AuthorizationSpec {
            nice_classes: NiceClassSet::parse_list(&[14]).expect("classes"),
            ..scoped("scoped")
        };
        assert!(run(&import(vec![narrower], ImportWidening::default())).is_ok());
    }

    #[test]
    fn a_number_held_by_an_active_brand_is_refused_however_the_registry_was_built() {
        // `aurelle`'s trademark is archived with it, so `belcourt` registers
        // the number again; `calloway` may not, whichever of the two trademarks a replica read
        // last.
        let mut writer = Snapshot::default();
        let mut commands = owners_and_brands(&["aurelle", "belcourt", "calloway"]);
        commands.extend([
            add_trademark("aurelle", "tm1"),
            Command::ArchiveBrand {
                id: slug("aurelle"),
                etag: None,
            },
            add_trademark("belcourt", "tm2"),
        ]);
        let events = commit(&mut writer, &commands);
        let third = add_trademark("calloway", "tm3");
        let remove_second = Command::RemoveTrademark {
            brand: slug("belcourt"),
            id: id("tm2"),
        };
        let update_second = Command::UpdateTrademark {
            brand: slug("belcourt"),
            id: id("tm2"),
            patch: TrademarkPatch {
                mark_text: Some("AURELLE SPORT".into()),
                ..TrademarkPatch::default()
            },
            etag: None,
        };
        for (how, replica) in replicas(&events) {
            assert_eq!(
                try_execute(&replica, &third),
                Err(PlanError::AlreadyExists(format!(
                    "trademark EM {} is already registered as brands/belcourt/trademarks/tm2",
                    quote(NUMBER)
                ))),
                "{how}"
            );
            // Changing `belcourt`'s trademark keeps the number taken.
            let mut updated = replica.clone();
            commit(&mut updated, std::slice::from_ref(&update_second));
            assert!(
                matches!(
                    try_execute(&updated, &third),
                    Err(PlanError::AlreadyExists(_))
                ),
                "{how}, after an update"
            );
            // Removing it frees the number: only an archived brand holds
            // it then.
            let mut removed = replica.clone();
            commit(&mut removed, std::slice::from_ref(&remove_second));
            assert!(
                try_execute(&removed, &third).is_ok(),
                "{how}, after a removal"
            );
        }
    }

    /// A WORD or COMBINED mark needs its text, when added and when a change
    /// touches its text or kind; a mark stored without one before the rule
    /// still takes other changes.
    #[test]
    fn a_word_mark_needs_its_text() {
        let refused = |kind: &str| {
            Err(PlanError::Invalid(vec![(
                "trademark.mark_text".into(),
                format!("a {kind} mark needs its mark_text, the words as registered"),
            )]))
        };
        let mut registry = Snapshot::default();
        commit(&mut registry, &owners_and_brands(&["aurelle"]));
        let blank = |kind: TrademarkKind| {
            let mut command = add_trademark("aurelle", "tm1");
            if let Command::AddTrademark { spec, .. } = &mut command {
                spec.mark_text = " ".into();
                spec.kind = kind;
            }
            command
        };
        assert_eq!(
            try_execute(&registry, &blank(TrademarkKind::Word)),
            refused("WORD")
        );
        commit(&mut registry, &[blank(TrademarkKind::Figurative)]);
        let update = |patch: TrademarkPatch| Command::UpdateTrademark {
            brand: slug("aurelle"),
            id: id("tm1"),
            patch,
            etag: None,
        };
        let combined = TrademarkPatch {
            kind: Some(TrademarkKind::Combined),
            ..TrademarkPatch::default()
        };
        assert_eq!(
            try_execute(&registry, &update(combined.clone())),
            refused("COMBINED")
        );
        let with_text = TrademarkPatch {
            mark_text: Some("AURELLE".into()),
            ..combined
        };
        commit(&mut registry, &[update(with_text)]);
        let cleared = TrademarkPatch {
            mark_text: Some(String::new()),
            ..TrademarkPatch::default()
        };
        assert_eq!(
            try_execute(&registry, &update(cleared.clone())),
            refused("COMBINED")
        );
        let figurative = TrademarkPatch {
            kind: Some(TrademarkKind::Figurative),
            ..cleared
        };
        assert!(try_execute(&registry, &update(figurative)).is_ok());

        // Stored without its text before the rule: a status change passes.
        let events = commit(&mut Snapshot::default(), &{
            let mut commands = owners_and_brands(&["aurelle"]);
            commands.push(add_trademark("aurelle", "tm1"));
            commands
        });
        let resources = resources_after(&events).into_iter().map(|r| match r {
            Resource::Trademark(t) => Resource::Trademark(Arc::new(Trademark {
                mark_text: String::new(),
                ..(*t).clone()
            })),
            other => other,
        });
        let legacy = Snapshot::from_resources(events.len() as Revision, resources);
        let expired = TrademarkPatch {
            status: Some(TrademarkStatus::Expired),
            ..TrademarkPatch::default()
        };
        assert!(try_execute(&legacy, &update(expired)).is_ok());
    }

    #[test]
    fn a_number_written_with_other_separators_is_the_same_number() {
        let mut registry = Snapshot::default();
        commit(&mut registry, &owners_and_brands(&["aurelle", "belcourt"]));
        commit(&mut registry, &[add_trademark("aurelle", "tm1")]);
        let with_number = |number: &str, tm: &str| {
            let mut command = add_trademark("belcourt", tm);
            if let Command::AddTrademark { spec, .. } = &mut command {
                spec.registration_number = number.into();
            }
            command
        };
        for (i, number) in ["DEMO EM 0000042", "DEMO.EM/0000042", "demoem0000042"]
            .into_iter()
            .enumerate()
        {
            let refused = registry
                .execute(
                    &with_number(number, &format!("tm-{i}")),
                    registry.revision() + 1,
                    Timestamp::UNIX_EPOCH,
                )
                .expect_err(number);
            assert!(
                refused
                    .to_string()
                    .contains("brands/aurelle/trademarks/tm1"),
                "{number}: {refused}"
            );
        }
        // Other digits are another number.
        commit(&mut registry, &[with_number("DEMO-EM-0000043", "tm-other")]);
    }

    /// A trademark's own mistake (an expiry before its registration) is
    /// reported before the registry's refusal of a number another mark
    /// holds: a seed's commands are not checked at the API's edge.
    #[test]
    fn inverted_dates_are_refused_before_a_number_already_held() {
        let mut registry = Snapshot::default();
        commit(&mut registry, &owners_and_brands(&["aurelle", "belcourt"]));
        commit(&mut registry, &[add_trademark("aurelle", "tm1")]);
        let mut command = add_trademark("belcourt", "tm2");
        if let Command::AddTrademark { spec, .. } = &mut command {
            let day = |year| {
                crate::model::Date::from_calendar_date(year, time::Month::June, 1).expect("date")
            };
            spec.registration_date = Some(day(2030));
            spec.expiry_date = Some(day(2020));
        }
        assert_eq!(
            registry.execute(&command, registry.revision() + 1, Timestamp::UNIX_EPOCH),
            Err(PlanError::Invalid(vec![(
                "trademark.expiry_date".into(),
                "expiry date 2020-06-01 must be after the registration date 2030-06-01".into()
            )]))
        );
    }

    #[test]
    fn removing_one_trademark_leaves_another_with_the_same_number() {
        // Two active brands holding one number (a registry written before
        // the rule held for every replica): removing one trademark leaves
        // the number taken by the other.
        let mut writer = Snapshot::default();
        let mut events = commit(
            &mut writer,
            &owners_and_brands(&["aurelle", "belcourt", "calloway"]),
        );
        events.extend(commit(&mut writer, &[add_trademark("aurelle", "tm1")]));
        // `belcourt`'s trademark is written as an older replica accepted it.
        let Resource::Trademark(first) = resources_after(&events)
            .into_iter()
            .find(|r| matches!(r, Resource::Trademark(_)))
            .expect("a trademark")
        else {
            unreachable!()
        };
        let mut second = (*first).clone();
        second.brand = slug("belcourt");
        second.id = id("tm2");
        second.update_revision = writer.revision() + 1;
        events.push(ChangeEvent {
            revision: writer.revision() + 1,
            time: Timestamp::UNIX_EPOCH,
            actor: Actor::System,
            request_id: None,
            request_fingerprint: None,
            request_fingerprint_as_read: None,
            changes: vec![created(Resource::Trademark(Arc::new(second)))],
        });
        for (how, replica) in replicas(&events) {
            for (brand, tm) in [("aurelle", "tm1"), ("belcourt", "tm2")] {
                let mut removed = replica.clone();
                commit(
                    &mut removed,
                    &[Command::RemoveTrademark {
                        brand: slug(brand),
                        id: id(tm),
                    }],
                );
                assert!(
                    matches!(
                        try_execute(&removed, &add_trademark("calloway", "tm3")),
                        Err(PlanError::AlreadyExists(_))
                    ),
                    "{how}, after removing brands/{brand}/trademarks/{tm}"
                );
            }
        }
    }

    #[test]
    fn a_filtered_page_reads_a_bounded_number_of_items() {
        // A filter that keeps nothing: the page ends after what it read,
        // with a token, and the next resumes there.
        let bounded = |limit, keep: fn(&usize) -> bool| {
            bounded_page(items(25_000), limit, keep, MAX_PASSED_PER_PAGE)
        };
        let (out, next) = bounded(50, |_| false);
        assert!(out.is_empty());
        assert_eq!(next.as_deref(), Some("009999"));
        // Keeping one in a thousand: a short page, then the rest.
        let (out, next) = bounded(50, |i| i % 1000 == 0);
        assert_eq!(out.len(), 11, "{out:?}");
        assert_eq!(next.as_deref(), Some("010010"));
        // Unfiltered pages are full.
        let (out, next) = bounded(50, |_| true);
        assert_eq!((out.len(), next.as_deref()), (50, Some("000049")));
        let (out, next) = page(items(20), 50, |_| true);
        assert_eq!((out.len(), next), (20, None));
        // Other lists (a member's brands, read whole for its audit) are
        // not cut.
        let (out, next) = page(items(25_000), usize::MAX, |i| *i >= 24_990);
        assert_eq!((out.len(), next), (10, None));
    }
}
