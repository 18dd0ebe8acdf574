//! `marque.v1.RegistryService`: members, keys, brands, trademarks, logos and
//! seller authorizations.

use std::sync::Arc;

use prost::Message;
use tokio_stream::StreamExt;
use tonic::{Request, Response, Status, Streaming};

use super::{
    ApiError, ApiResult, MemberSlots, RequestFingerprints, caller, canonical, convert, fingerprint,
    known_brand, known_child, named_member, page_size, parse_brand_name, parse_child_name,
    parse_member_name, validate::Violations, write_meta,
};
use crate::model::quote;
use crate::{
    auth::{self, Caller},
    detect::normalize::fold_exact,
    logo,
    model::{
        Actor, AuthorizationPatch, AuthorizationSpec, Brand, BrandPatch, BrandStatus, Command,
        Designation, ImportWidening, LogoSource, Member, NiceClass, NiceClassSet, Office, Region,
        Resource, ResourceId, Revision, Slug, TrademarkPatch, TrademarkSpec, alias_repeats,
        check_authorization_window, check_mark_text, check_trademark_dates,
        codes::{bounded_text, seller_account},
        name_refusal, parse_registration_number,
    },
    pb::marque::v1::{self as pb, registry_service_server::RegistryService},
    registry::{Committed, Registry},
    snapshot::Snapshot,
};

/// What an import's `widen` mask is prefixed with in its fingerprints,
/// among the rows' parts: no protobuf message starts with it (`w` would be
/// field 14 of wire type 7, which does not exist), so no row is taken for
/// it.
const WIDEN_PART: &[u8] = b"widen:";

/// Most aliases a brand may have.
pub const MAX_ALIASES: usize = 64;
/// Most rows in one import.
pub const MAX_IMPORT_ROWS: usize = 100_000;
/// Most messages in one import: one per row, plus a first message that
/// names the brand only. Messages without rows cost the server nothing to
/// keep, but each costs work to receive: an import cannot go on for ever.
pub const MAX_IMPORT_MESSAGES: usize = MAX_IMPORT_ROWS + 1;
/// Most bytes in one import, counting each message's protobuf encoding. A
/// typical row takes well under 100 bytes: 100,000 of them fit many times
/// over.
pub const MAX_IMPORT_BYTES: usize = 64 * 1024 * 1024;
/// Imports one member may have open at once; RESOURCE_EXHAUSTED beyond. An
/// open import holds its rows (up to [`MAX_IMPORT_BYTES`]) until it ends.
pub const MAX_IMPORTS_PER_MEMBER: usize = 2;
/// Imports open at once on one server, whoever sends them.
pub const MAX_IMPORTS: usize = 8;
/// Longest wait for an import's next message, by default
/// (`--import-idle-timeout`): an import left open holds its rows and a slot
/// of [`MAX_IMPORTS`].
pub const IMPORT_IDLE: std::time::Duration = std::time::Duration::from_secs(60);
/// Longest an import may stay open, by default (`--import-max-duration`):
/// one that sends a message just often enough never goes idle, and would
/// otherwise hold its place for weeks.
pub const IMPORT_LONGEST: std::time::Duration = std::time::Duration::from_secs(15 * 60);
/// Most regions or designated countries in one list.
pub const MAX_REGIONS: usize = 250;

/// How many uploaded images are decoded at once: decoding is CPU-bound and
/// may take a few hundred MiB, so it runs on blocking threads, a few at a
/// time.
pub const CONCURRENT_IMAGE_DECODES: usize = 2;

/// The registry service.
pub struct RegistryApi {
    /// The registry it reads and writes.
    registry: Arc<Registry>,
    /// Bounds concurrent logo decodes.
    image_slots: Arc<tokio::sync::Semaphore>,
    /// Open imports per member ([`MAX_IMPORTS_PER_MEMBER`]).
    imports: MemberSlots,
    /// Open imports in all ([`MAX_IMPORTS`]).
    import_slots: Arc<tokio::sync::Semaphore>,
    /// Longest wait for an import's next message.
    import_idle: std::time::Duration,
    /// Longest an import may stay open.
    import_longest: std::time::Duration,
    /// Turns true when the server stops waiting for in-flight calls: client
    /// streams still open then end with UNAVAILABLE.
    cut: tokio::sync::watch::Receiver<bool>,
}

impl RegistryApi {
    /// A service over `registry`; an import stream ends with ABORTED when
    /// no message comes for `import_idle` or it is still open after
    /// `import_longest`, and open ones end when `cut` turns true.
    pub fn new(
        registry: Arc<Registry>,
        (import_idle, import_longest): (std::time::Duration, std::time::Duration),
        cut: tokio::sync::watch::Receiver<bool>,
    ) -> Self {
        Self {
            registry,
            image_slots: Arc::new(tokio::sync::Semaphore::new(CONCURRENT_IMAGE_DECODES)),
            imports: MemberSlots::new(MAX_IMPORTS_PER_MEMBER),
            import_slots: Arc::new(tokio::sync::Semaphore::new(MAX_IMPORTS)),
            import_idle,
            import_longest,
            cut,
        }
    }

    /// Hashes an uploaded image on a blocking thread, a bounded number at a
    /// time, so decoding never stalls the async workers.
    async fn hash_image(
        &self,
        bytes: &[u8],
    ) -> ApiResult<Result<logo::HashedImage, logo::LogoError>> {
        let _slot = self
            .image_slots
            .acquire()
            .await
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("image slots closed: {e}")))?;
        let bytes = bytes.to_vec();
        tokio::task::spawn_blocking(move || logo::hash_image(&bytes))
            .await
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("image hashing task failed: {e}")))
    }
}

/// A logo as AddLogo received it. An image is decoded (the costly part:
/// CPU and up to a few hundred MiB) only after every other field is valid
/// and the caller is known to own the brand.
enum LogoInput<'a> {
    /// Image bytes, not decoded yet.
    Image(&'a [u8]),
    /// A perceptual hash given directly.
    Hash(LogoSource),
}

fn actor(caller: &Caller) -> Actor {
    Actor::Member {
        member: caller.member.clone(),
        key: caller.key.clone(),
    }
}

/// The first resource a write left, of the kind `pick` selects.
fn written<T>(committed: &Committed, pick: impl Fn(&Resource) -> Option<T>) -> ApiResult<T> {
    committed
        .changes
        .iter()
        .filter_map(|c| c.after.as_ref())
        .find_map(pick)
        .ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!(
                "write produced no resource of the expected kind"
            ))
        })
}

/// Checks a write's `request_id`, and gives it to the call's log lines
/// ([`crate::auth::CallLog::note_request_id`]).
fn request_id(value: &str, v: &mut Violations) {
    if let Some(call) = crate::auth::CallLog::current() {
        call.note_request_id(value);
    }
    if value.chars().count() > 128
        || value.chars().any(char::is_control)
        || crate::model::codes::first_unprintable(value).is_some()
    {
        v.add(
            "request_id",
            "must be at most 128 printable characters (a UUID is a good choice)",
        );
    } else if !value.is_empty() && crate::model::codes::is_blank(value) {
        // Blank is not an idempotency key: unrelated requests would share it.
        v.add(
            "request_id",
            "must not be blank: give a UUID, or leave it empty",
        );
    }
}

/// The error of an import whose stream failed: a message beyond the
/// service's size limit (tonic's OUT_OF_RANGE, or its RESOURCE_EXHAUSTED for
/// a compressed one) is RESOURCE_EXHAUSTED, as it is for every other call;
/// anything else the stream says (bytes that do not decode, a broken frame)
/// is a bad `stream`.
fn import_stream_error(status: Status) -> ApiError {
    let status = crate::codec::framing_status(&status).unwrap_or(status);
    if status.code() == tonic::Code::ResourceExhausted {
        ApiError::ResourceExhausted(status.message().to_string())
    } else {
        ApiError::Invalid(vec![(
            "stream".into(),
            format!("the import stream failed: {}", status.message()),
        )])
    }
}

/// The revision an update's etag names, `None` when it is empty (no
/// check); an etag the server never issued
/// ([`crate::model::parse_etag`]) is a violation of `field`.
fn etag(value: &str, field: &str, v: &mut Violations) -> Option<Revision> {
    if value.is_empty() {
        return None;
    }
    v.check(field, crate::model::parse_etag(value))
}

fn text(value: &str, min: usize, max: usize, field: &str, v: &mut Violations) -> String {
    v.require(field, bounded_text(value, min, max));
    value.to_string()
}

/// A brand's display name or alias, normalized as listings are
/// ([`fold_exact`]: NFKC, case and diacritics folded), or a violation on
/// `field` when it is refused ([`name_refusal`]: HTML, or nothing left of
/// it, which could never match a listing).
fn brand_name_key(value: &str, field: &str, v: &mut Violations) -> Option<String> {
    if let Some(refusal) = name_refusal(value) {
        v.add(field, refusal);
        return None;
    }
    Some(fold_exact(value))
}

/// A brand's display name: 1 to 200 characters, with a letter or digit.
fn display_name(value: &str, field: &str, v: &mut Violations) -> String {
    // A name already refused (blank, say) needs no second violation.
    match bounded_text(value, 1, 200) {
        Ok(()) => {
            brand_name_key(value, field, v);
        }
        Err(e) => v.add(field, e),
    }
    value.to_string()
}

/// A brand's aliases: each 1 to 100 characters with a letter or digit,
/// none repeating another or `display_name` once normalized
/// ([`alias_repeats`]). The display name is the one the brand will have,
/// when known (`None`: compared when the write is planned).
fn aliases(
    values: &[String],
    display_name: Option<&str>,
    field: &str,
    v: &mut Violations,
) -> Vec<String> {
    if values.len() > MAX_ALIASES {
        v.add(
            field,
            format!("at most {MAX_ALIASES} aliases, got {}", values.len()),
        );
        return Vec::new();
    }
    // An alias refused on its own needs no second violation.
    let mut refused = vec![false; values.len()];
    for (i, alias) in values.iter().enumerate() {
        let alias_field = format!("{field}[{i}]");
        refused[i] = match bounded_text(alias, 1, 100) {
            Ok(()) => brand_name_key(alias, &alias_field, v).is_none(),
            Err(e) => {
                v.add(alias_field, e);
                true
            }
        };
    }
    for (i, repeat) in alias_repeats(display_name, values) {
        if !refused[i] {
            v.add(
                format!("{field}[{i}]"),
                repeat.describe(&values[i], display_name.unwrap_or_default(), field),
            );
        }
    }
    values.to_vec()
}

/// A trademark's designations ([`Designation`]): countries, and `EM` for
/// the EU designated as one, which is kept as such; `BX` and `OA` (Madrid
/// designates those as one each too) stand for their member states
/// ([`Office::designated_members`]), merged with the rest.
fn designations(values: &[String], field: &str, v: &mut Violations) -> Vec<Designation> {
    region_list(values, field, v, Designation::parse, true)
}

fn regions(values: &[String], field: &str, v: &mut Violations) -> Vec<Region> {
    region_list(values, field, v, Region::parse, false)
}

/// Regions (or designations), each once, sorted, with a violation for each
/// bad entry (`regions[3]`); with `groups`, `BX` and `OA` stand for their
/// member states.
fn region_list<T>(
    values: &[String],
    field: &str,
    v: &mut Violations,
    parse: fn(&str) -> Result<T, String>,
    groups: bool,
) -> Vec<T>
where
    T: Copy + Ord + From<Region> + std::fmt::Display,
{
    if values.len() > MAX_REGIONS {
        v.add(
            field,
            format!("at most {MAX_REGIONS} regions, got {}", values.len()),
        );
        return Vec::new();
    }
    let mut out: Vec<T> = Vec::with_capacity(values.len());
    let mut members: Vec<T> = Vec::new();
    for (i, value) in values.iter().enumerate() {
        if let Some(group) = Office::designated_members(value).filter(|_| groups) {
            members.extend(group.iter().map(|&member| T::from(member)));
            continue;
        }
        if let Some(entry) = v.check(&format!("{field}[{i}]"), parse(value)) {
            if out.contains(&entry) {
                v.add(format!("{field}[{i}]"), format!("{entry} is listed twice"));
            } else {
                out.push(entry);
            }
        }
    }
    out.extend(members);
    out.sort();
    out.dedup();
    out
}

/// A new trademark's `territories`, which are output only: they follow
/// from its office and designations (`covered`, when those are right).
/// A request that sends the territories the mark covers (a trademark read
/// back and sent again) is taken; one that sends others is refused rather
/// than dropped, so that no owner believes a mark covers a territory it
/// does not (`["CN", "HK"]` for a Chinese mark, which does not cover Hong
/// Kong), or only part of its office's (`["FR"]` for an EU trade mark).
fn given_territories(
    values: &[String],
    office: Option<Office>,
    covered: Option<&[Region]>,
    designations_right: bool,
    v: &mut Violations,
) {
    const FIELD: &str = "trademark.territories";
    if values.is_empty() {
        return;
    }
    let Some(covered) = covered else {
        // A Madrid or ARIPO mark sent with territories and no
        // designations: the countries meant are designations.
        if matches!(office, Some(Office::Wipo | Office::Aripo)) && designations_right {
            v.add(
                FIELD,
                "is output only: list a WO or AP mark's countries in designated_countries",
            );
        }
        return;
    };
    let mut covered = covered.to_vec();
    covered.sort();
    let covered = &covered[..];
    let mut given: Vec<Option<Region>> = values.iter().map(|r| Region::parse(r).ok()).collect();
    given.sort();
    given.dedup();
    if given.len() == covered.len() && given.iter().zip(covered).all(|(g, c)| *g == Some(*c)) {
        return;
    }
    let covers = match covered {
        [one] => one.to_string(),
        many => format!("{} countries", many.len()),
    };
    let outside: Vec<&str> = values
        .iter()
        .filter(|r| Region::parse(r).map_or(true, |r| !covered.contains(&r)))
        .map(String::as_str)
        .collect();
    let description = if outside.is_empty() {
        format!(
            "is output only: this mark covers {covers}, not only those given (a mark covers its \
             office's whole territory); leave territories out"
        )
    } else {
        let shown: Vec<String> = outside.iter().take(5).map(|r| quote(r)).collect();
        format!(
            "is output only: it follows from office and designated_countries, and this mark \
             covers {covers}, not {}{}; leave territories out",
            shown.join(", "),
            if outside.len() > 5 { ", …" } else { "" }
        )
    };
    v.add(FIELD, description);
}

/// A list of Nice classes, each once, with a violation for each bad entry
/// (`nice_classes[3]`). A list longer than the classification repeats a
/// class for certain, and is refused whole rather than entry by entry.
fn classes(values: &[i32], field: &str, v: &mut Violations) -> NiceClassSet {
    let most = usize::from(NiceClass::MAX);
    if values.len() > most {
        v.add(
            field,
            format!("at most {most} classes, each once, got {}", values.len()),
        );
        return NiceClassSet::empty();
    }
    let mut set = NiceClassSet::empty();
    for (i, &value) in values.iter().enumerate() {
        let entry = format!("{field}[{i}]");
        if let Some(class) = v.check(&entry, NiceClass::parse(value))
            && !set.insert(class)
        {
            v.add(entry, format!("class {value} is listed twice"));
        }
    }
    set
}

fn registration_number(value: &str, field: &str, v: &mut Violations) -> String {
    v.check(field, parse_registration_number(value))
        .unwrap_or_default()
}

fn optional_timestamp(
    value: Option<&prost_types::Timestamp>,
    field: &str,
    v: &mut Violations,
) -> Option<time::OffsetDateTime> {
    value.and_then(|t| v.check(field, convert::parse_timestamp(t)))
}

/// How an authorization is given: to AuthorizeSeller, or as an import row.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Given {
    /// AuthorizeSeller: creates one.
    Authorize,
    /// An import row: creates one, or replaces a live one's scope.
    ImportRow,
}

/// Parses an authorization as given to AuthorizeSeller or an import row.
fn authorization_spec(
    a: &pb::Authorization,
    prefix: &str,
    given: Given,
    v: &mut Violations,
) -> Option<AuthorizationSpec> {
    let f = |name: &str| format!("{prefix}.{name}");
    // Not read: an authorization is created ACTIVE, and an import row
    // replaces a live one's scope, not its status. A status sent is refused
    // rather than dropped, so that no owner loading suspended or revoked
    // sellers grants them unawares.
    let unread = |status: &pb::AuthorizationStatus| match given {
        Given::Authorize => !matches!(
            status,
            pb::AuthorizationStatus::Unspecified | pb::AuthorizationStatus::Active
        ),
        Given::ImportRow => *status != pb::AuthorizationStatus::Unspecified,
    };
    let status = pb::AuthorizationStatus::try_from(a.status);
    if status.as_ref().map_or(true, unread) {
        let written =
            convert::as_written(status.ok(), a.status, pb::AuthorizationStatus::as_str_name);
        v.add(
            f("status"),
            match given {
                Given::Authorize => format!(
                    "an authorization is created AUTHORIZATION_STATUS_ACTIVE, got {written}: leave it out, \
                     and suspend or revoke it after with UpdateAuthorization or RevokeAuthorization"
                ),
                Given::ImportRow => format!(
                    "an import row sets no status, got {written}: it creates an ACTIVE authorization or \
                     keeps the live one's status; suspend or revoke with UpdateAuthorization or \
                     RevokeAuthorization"
                ),
            },
        );
    }
    let platform = parse_member_name(&a.platform, &f("platform"), v);
    let seller_account = v
        .check(&f("seller_account"), seller_account(&a.seller_account, 1))
        .unwrap_or_default();
    let nice_classes = classes(&a.nice_classes, &f("nice_classes"), v);
    let regions = regions(&a.regions, &f("regions"), v);
    let valid_from = optional_timestamp(a.valid_from.as_ref(), &f("valid_from"), v);
    let valid_until = optional_timestamp(a.valid_until.as_ref(), &f("valid_until"), v);
    // A window given whole is checked with the other fields, so that every
    // mistake of a request (or of an import's rows) is named at once; one
    // that starts now is checked when written.
    if let Some(from) = valid_from {
        v.require(
            &f("valid_until"),
            check_authorization_window(from, valid_until),
        );
    }
    let reference = text(&a.reference, 0, 200, &f("reference"), v);
    Some(AuthorizationSpec {
        platform: platform?,
        seller_account,
        nice_classes,
        regions,
        valid_from,
        valid_until,
        reference,
    })
}

/// Whether an update's field mask is `*` alone: every field the update may
/// change. A field left empty is then set empty, but one whose empty value
/// widens the resource (every class, everywhere, no end) only where the
/// resource has it empty already: the write refuses the rest
/// (`AuthorizationPatch::widenings` and its kin), so that a quick `*`
/// update of one field never widens another unseen. Naming the field
/// widens it as asked.
fn every_field(mask: Option<&prost_types::FieldMask>) -> bool {
    mask.is_some_and(|m| m.paths.len() == 1 && m.paths[0] == "*")
}

/// The paths of an update's field mask, each once, with a violation for
/// each path that cannot be changed; `fixed` says, for a field the update
/// cannot change, how to change it otherwise (or why it cannot be).
fn field_mask(
    mask: Option<&prost_types::FieldMask>,
    allowed: &[&str],
    fixed: &[(&str, &str)],
    v: &mut Violations,
) -> Vec<String> {
    let paths: Vec<String> = mask.map(|m| m.paths.clone()).unwrap_or_default();
    if paths.is_empty() {
        v.add(
            "update_mask",
            format!(
                "is required: name the fields to change ({})",
                allowed.join(", ")
            ),
        );
        return Vec::new();
    }
    if paths.len() == 1 && paths[0] == "*" {
        return allowed.iter().map(|s| s.to_string()).collect();
    }
    let star = format!(
        "\"*\" (every field) stands alone; or name the fields to change ({})",
        allowed.join(", ")
    );
    mask_paths(
        MaskField {
            name: "update_mask",
            allowed,
            fixed,
            star: &star,
            what: "cannot be changed",
        },
        &paths,
        v,
    )
}

/// A field mask of a request as [`mask_paths`] reads it.
struct MaskField<'a> {
    /// The request's field (`update_mask`, an import's `widen`), which
    /// its violations name (`update_mask.paths[2]`).
    name: &'a str,
    /// The paths it may name.
    allowed: &'a [&'a str],
    /// Fields it may not name, with how to do otherwise (or why not).
    fixed: &'a [(&'a str, &'a str)],
    /// What to say of a `*` among paths where it is not taken.
    star: &'a str,
    /// What to say of a path it may not name (`cannot be changed`).
    what: &'a str,
}

/// `paths`, each once, with a violation for each path `mask` may not name:
/// one named twice, a `*`, a JSON name (`niceClasses`, as a client that
/// does not convert a mask's paths sends it) or a field not allowed.
fn mask_paths(mask: MaskField<'_>, paths: &[String], v: &mut Violations) -> Vec<String> {
    let MaskField {
        name,
        allowed,
        fixed,
        star,
        what,
    } = mask;
    // Each path once: one named twice is a mistake the caller should see,
    // not a change made once (the request may not say what was meant). Each
    // is kept once, so that a handler checks a field once.
    let mut named = std::collections::HashSet::with_capacity(paths.len());
    let mut once = Vec::with_capacity(paths.len());
    for (i, path) in paths.iter().enumerate() {
        let field = format!("{name}.paths[{i}]");
        if !named.insert(path.as_str()) {
            v.add(field, format!("{} is named twice", quote(path)));
            continue;
        }
        once.push(path.clone());
        if path == "*" {
            v.add(field, star);
        } else if !allowed.contains(&path.as_str()) {
            // A field's JSON name (`niceClasses`), as a client that does not
            // convert the mask's paths sends it (grpcurl's `{"paths":
            // [...]}`): the path is the proto's field name.
            let proto_name = snake_case(path);
            if proto_name != *path
                && (allowed.contains(&proto_name.as_str())
                    || fixed.iter().any(|(fixed, _)| *fixed == proto_name))
            {
                v.add(
                    field,
                    format!(
                        "{} is a JSON name: a field mask's paths are the proto's field names, \
                         write {proto_name}; allowed: {}",
                        quote(path),
                        allowed.join(", ")
                    ),
                );
                continue;
            }
            let how = fixed
                .iter()
                .find(|(fixed, _)| fixed == path)
                .map(|(_, how)| format!(" ({how})"))
                .unwrap_or_default();
            v.add(
                field,
                format!(
                    "{} {what}{how}; allowed: {}",
                    quote(path),
                    allowed.join(", ")
                ),
            );
        }
    }
    once
}

/// An import's `widen` mask: which fields its rows may widen in a live
/// authorization they replace ([`ImportWidening`]). Unset or empty widens
/// nothing. Read as an update's mask is ([`mask_paths`]), but a `*` is
/// refused: an import says what it widens, and a field that may widen
/// later is not widened by an import written before.
fn import_widening(mask: Option<&prost_types::FieldMask>, v: &mut Violations) -> ImportWidening {
    let paths = mask.map(|m| m.paths.as_slice()).unwrap_or_default();
    let allowed = ImportWidening::FIELDS;
    let star = format!(
        "\"*\" is not taken: name the fields rows may widen ({})",
        allowed.join(", ")
    );
    let fixed = [
        (
            "valid_from",
            "a row without valid_from keeps the live authorization's start",
        ),
        (
            "reference",
            "a row without reference keeps the live authorization's",
        ),
    ];
    let named = mask_paths(
        MaskField {
            name: "widen",
            allowed: &allowed,
            fixed: &fixed,
            star: &star,
            what: "is no field a row widens",
        },
        paths,
        v,
    );
    let names = |field: &str| named.iter().any(|path| path == field);
    ImportWidening {
        nice_classes: names("nice_classes"),
        regions: names("regions"),
        valid_until: names("valid_until"),
    }
}

/// A field's proto name from its JSON name: `niceClasses` is
/// `nice_classes` (each capital letter a word of its own).
fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

impl RegistryApi {
    /// The brand named by `id`, if the caller owns it: the check before a
    /// write under a brand ([`RegistryApi::writable_brand`] of
    /// [`auth::BrandWrite::Owner`]).
    async fn owned_brand(&self, caller: &Caller, id: &Slug) -> ApiResult<Arc<Brand>> {
        self.writable_brand(caller, id, auth::BrandWrite::Owner)
            .await
    }

    /// The brand named by `id`, if the caller may make `write` under it
    /// (its owner; the operator for moderation, [`auth::BrandWrite`]): the
    /// check before a write under a brand. A brand this replica has not
    /// seen may have just been created through another replica, so before
    /// answering NOT_FOUND the replica catches up with the store (paced, as
    /// for [`known_brand`]; a store that does not answer is UNAVAILABLE, as
    /// the write would be) and looks again.
    async fn writable_brand(
        &self,
        caller: &Caller,
        id: &Slug,
        write: auth::BrandWrite<'_>,
    ) -> ApiResult<Arc<Brand>> {
        let brand = match self.registry.snapshot().brand(id.as_str()) {
            Some(brand) => brand.clone(),
            None => self
                .registry
                .catch_up_for_unknown_name()
                .await?
                .brand(id.as_str())
                .cloned()
                .ok_or_else(|| ApiError::NotFound(format!("brands/{id}")))?,
        };
        auth::require_brand_writer(caller, &brand, write)?;
        Ok(brand)
    }

    /// The brand named by `id` in `snapshot`, or in a snapshot caught up
    /// with the store when it has none ([`known_brand`]), with the snapshot
    /// it was found in, which the answer is read from.
    async fn existing_brand(
        &self,
        snapshot: Arc<Snapshot>,
        id: &Slug,
    ) -> ApiResult<(Arc<Snapshot>, Arc<Brand>)> {
        known_brand(&self.registry, snapshot, id).await
    }

    async fn write(
        &self,
        caller: &Caller,
        request_id: &str,
        fingerprints: RequestFingerprints,
        commands: &[Command],
    ) -> ApiResult<Committed> {
        Ok(self
            .registry
            .write(
                actor(caller),
                write_meta(request_id, fingerprints),
                commands,
            )
            .await?)
    }

    /// The resource a patch wrote, with the write's revision; or, when the
    /// patch changed nothing and so wrote nothing, the resource as it is
    /// (`current`, read by `name`): with the write's revision while it has
    /// not changed since (`changed_at`, its last change's revision), the
    /// first call's answer again; with the revision it was read at once it
    /// has (a retry after other changes to it; the resource and the revision
    /// answered agree).
    async fn written_or_current<T>(
        &self,
        committed: &Committed,
        pick: impl Fn(&Resource) -> Option<T>,
        current: impl FnOnce(&Snapshot) -> Option<T>,
        changed_at: impl FnOnce(&T) -> Revision,
        name: impl FnOnce() -> String,
    ) -> ApiResult<(T, Revision)> {
        if !committed.changes.is_empty() {
            return Ok((written(committed, pick)?, committed.revision));
        }
        let snapshot = self.registry.snapshot_at_least(committed.revision).await?;
        let resource = current(&snapshot).ok_or_else(|| ApiError::NotFound(name()))?;
        let revision = if changed_at(&resource) <= committed.revision {
            committed.revision
        } else {
            snapshot.revision()
        };
        Ok((resource, revision))
    }

    async fn get_caller(
        &self,
        request: Request<pb::GetCallerRequest>,
    ) -> ApiResult<pb::GetCallerResponse> {
        let caller = caller(&request)?;
        let min_revision = request.get_ref().min_revision;
        let snapshot = self.registry.snapshot_at_least(min_revision).await?;
        let member = snapshot
            .member(caller.member.as_str())
            .ok_or_else(|| ApiError::NotFound(format!("members/{}", caller.member)))?;
        Ok(pb::GetCallerResponse {
            member: Some(convert::member(member)),
            api_key: caller
                .key
                .as_ref()
                .map(|key| format!("members/{}/apiKeys/{key}", caller.member))
                .unwrap_or_default(),
            revision: snapshot.revision(),
        })
    }

    async fn create_member(
        &self,
        request: Request<pb::CreateMemberRequest>,
    ) -> ApiResult<pb::CreateMemberResponse> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let sent = fingerprint("CreateMember", &[&req.encode_to_vec()]);
        let mut v = Violations::new();
        request_id(&req.request_id, &mut v);
        let id = v
            .check("member_id", Slug::parse(&req.member_id))
            .and_then(|id| v.check("member_id", Member::check_id(&id).map(|()| id)));
        let member = req.member.unwrap_or_default();
        let display_name = text(&member.display_name, 1, 200, "member.display_name", &mut v);
        let kind = v.check("member.kind", convert::parse_member_kind(member.kind));
        let (id, kind) = v.done(id.zip(kind))?;
        let fp = RequestFingerprints::new(
            "CreateMember",
            sent,
            &canonical::create_member(&id, &display_name, kind, &req.request_id),
        );
        let command = Command::CreateMember {
            id,
            display_name,
            kind,
        };
        let committed = self.write(&caller, &req.request_id, fp, &[command]).await?;
        let member = written(&committed, |r| match r {
            Resource::Member(m) => Some(m.clone()),
            _ => None,
        })?;
        Ok(pb::CreateMemberResponse {
            member: Some(convert::member(&member)),
            revision: committed.revision,
        })
    }

    async fn get_member(
        &self,
        request: Request<pb::GetMemberRequest>,
    ) -> ApiResult<pb::GetMemberResponse> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let id = parse_member_name(&req.name, "name", &mut v);
        let id = v.done(id)?;
        let snapshot = self.registry.snapshot_at_least(req.min_revision).await?;
        let member =
            auth::require_member_reader(&caller, &id, snapshot.member(id.as_str()).map(|m| &**m))?
                .ok_or_else(|| ApiError::NotFound(req.name.clone()))?;
        Ok(pb::GetMemberResponse {
            member: Some(convert::member(member)),
            revision: snapshot.revision(),
        })
    }

    async fn list_members(
        &self,
        request: Request<pb::ListMembersRequest>,
    ) -> ApiResult<pb::ListMembersResponse> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let limit = page_size(req.page_size, "page_size", &mut v);
        let scope = "ListMembers";
        // The items depend on who reads (the operator every member, others
        // the platforms and themselves): another member's token is another
        // list's.
        let reader = Some(caller.member.as_str());
        let tokens = self.registry.page_tokens()?;
        let after = tokens.read(&req.page_token, scope, reader, "page_token", &mut v);
        v.finish()?;
        let snapshot = self.registry.snapshot_at_least(req.min_revision).await?;
        let (members, next) = snapshot.list_members(after.as_deref(), limit, |m| {
            auth::may_read_member(&caller, m)
        });
        Ok(pb::ListMembersResponse {
            members: members.iter().map(|m| convert::member(m)).collect(),
            next_page_token: tokens.issue(scope, reader, next),
            revision: snapshot.revision(),
        })
    }

    async fn create_api_key(
        &self,
        request: Request<pb::CreateApiKeyRequest>,
    ) -> ApiResult<pb::CreateApiKeyResponse> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let sent = fingerprint("CreateApiKey", &[&req.encode_to_vec()]);
        let mut v = Violations::new();
        request_id(&req.request_id, &mut v);
        let member = parse_member_name(&req.parent, "parent", &mut v);
        let description = text(&req.description, 0, 200, "description", &mut v);
        let member = v.done(member)?;
        let fp = RequestFingerprints::new(
            "CreateApiKey",
            sent,
            &canonical::create_api_key(&member, &description, &req.request_id),
        );
        let key = auth::generate_key();
        let command = Command::CreateApiKey {
            member,
            id: key.id.clone(),
            description,
            secret_sha256: key.sha256,
        };
        let committed = self.write(&caller, &req.request_id, fp, &[command]).await?;
        let api_key = written(&committed, |r| match r {
            Resource::ApiKey(k) => Some(k.clone()),
            _ => None,
        })?;
        Ok(pb::CreateApiKeyResponse {
            api_key: Some(convert::api_key(&api_key)),
            secret: if committed.replayed {
                String::new()
            } else {
                key.secret
            },
            revision: committed.revision,
        })
    }

    async fn list_api_keys(
        &self,
        request: Request<pb::ListApiKeysRequest>,
    ) -> ApiResult<pb::ListApiKeysResponse> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let member = parse_member_name(&req.parent, "parent", &mut v);
        let limit = page_size(req.page_size, "page_size", &mut v);
        let scope = format!("ListApiKeys {}", req.parent);
        let tokens = self.registry.page_tokens()?;
        let after = tokens.read_child(&req.page_token, &scope, None, "page_token", &mut v);
        let member = v.done(member)?;
        let snapshot = self.registry.snapshot_at_least(req.min_revision).await?;
        if snapshot.member(member.as_str()).is_none() {
            return Err(ApiError::NotFound(req.parent));
        }
        let (keys, next) = snapshot.list_api_keys(&member, after.as_ref(), limit);
        Ok(pb::ListApiKeysResponse {
            api_keys: keys.iter().map(|k| convert::api_key(k)).collect(),
            next_page_token: tokens.issue(&scope, None, next),
            revision: snapshot.revision(),
        })
    }

    async fn revoke_api_key(
        &self,
        request: Request<pb::RevokeApiKeyRequest>,
    ) -> ApiResult<pb::RevokeApiKeyResponse> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let sent = fingerprint("RevokeApiKey", &[&req.encode_to_vec()]);
        let mut v = Violations::new();
        request_id(&req.request_id, &mut v);
        let name = parse_child_name(&req.name, "members", "apiKeys", "name", &mut v);
        let (member, id) = v.done(name)?;
        let fp = RequestFingerprints::new(
            "RevokeApiKey",
            sent,
            &canonical::named(
                format!("members/{member}/apiKeys/{id}"),
                None,
                &req.request_id,
            ),
        );
        let committed = self
            .write(
                &caller,
                &req.request_id,
                fp,
                &[Command::RevokeApiKey { member, id }],
            )
            .await?;
        let api_key = written(&committed, |r| match r {
            Resource::ApiKey(k) => Some(k.clone()),
            _ => None,
        })?;
        Ok(pb::RevokeApiKeyResponse {
            api_key: Some(convert::api_key(&api_key)),
            revision: committed.revision,
        })
    }

    async fn create_brand(
        &self,
        request: Request<pb::CreateBrandRequest>,
    ) -> ApiResult<pb::CreateBrandResponse> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let sent = fingerprint("CreateBrand", &[&req.encode_to_vec()]);
        let mut v = Violations::new();
        request_id(&req.request_id, &mut v);
        let id = v.check("brand_id", Slug::parse(&req.brand_id));
        let brand = req.brand.unwrap_or_default();
        let display_name = display_name(&brand.display_name, "brand.display_name", &mut v);
        let aliases = aliases(&brand.aliases, Some(&display_name), "brand.aliases", &mut v);
        let id = v.done(id)?;
        let fp = RequestFingerprints::new(
            "CreateBrand",
            sent,
            &canonical::create_brand(
                &id,
                &display_name,
                &aliases,
                brand.common_word,
                &req.request_id,
            ),
        );
        let command = Command::CreateBrand {
            id,
            owner: caller.member.clone(),
            display_name,
            aliases,
            common_word: brand.common_word,
        };
        let committed = self.write(&caller, &req.request_id, fp, &[command]).await?;
        let brand = written(&committed, |r| match r {
            Resource::Brand(b) => Some(b.clone()),
            _ => None,
        })?;
        Ok(pb::CreateBrandResponse {
            brand: Some(convert::brand(&brand)),
            revision: committed.revision,
        })
    }

    async fn get_brand(
        &self,
        request: Request<pb::GetBrandRequest>,
    ) -> ApiResult<pb::GetBrandResponse> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let id = parse_brand_name(&req.name, "name", &mut v);
        let id = v.done(id)?;
        let snapshot = self.registry.snapshot_at_least(req.min_revision).await?;
        let (snapshot, brand) = self.existing_brand(snapshot, &id).await?;
        Ok(pb::GetBrandResponse {
            brand: Some(convert::brand(&brand)),
            revision: snapshot.revision(),
        })
    }

    async fn list_brands(
        &self,
        request: Request<pb::ListBrandsRequest>,
    ) -> ApiResult<pb::ListBrandsResponse> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let owner = if req.owner.is_empty() {
            None
        } else {
            parse_member_name(&req.owner, "owner", &mut v)
        };
        let limit = page_size(req.page_size, "page_size", &mut v);
        let scope = format!("ListBrands {}", req.owner);
        let tokens = self.registry.page_tokens()?;
        let after = tokens.read(&req.page_token, &scope, None, "page_token", &mut v);
        v.finish()?;
        let snapshot = self.registry.snapshot_at_least(req.min_revision).await?;
        // A filter naming no member is a mistake (a misspelt owner), not a
        // member without brands: refused as ListAuthorizations refuses a
        // platform that is none, as far as the caller may know it.
        if let Some(owner) = &owner {
            named_member(&caller, &snapshot, owner, "owner")?;
        }
        let (brands, next) = snapshot.list_brands(owner.as_ref(), after.as_deref(), limit);
        Ok(pb::ListBrandsResponse {
            brands: brands.iter().map(|b| convert::brand(b)).collect(),
            next_page_token: tokens.issue(&scope, None, next),
            revision: snapshot.revision(),
        })
    }

    async fn update_brand(
        &self,
        request: Request<pb::UpdateBrandRequest>,
    ) -> ApiResult<pb::UpdateBrandResponse> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let sent = fingerprint("UpdateBrand", &[&req.encode_to_vec()]);
        let mut v = Violations::new();
        request_id(&req.request_id, &mut v);
        let brand = req.brand.clone().unwrap_or_default();
        let id = parse_brand_name(&brand.name, "brand.name", &mut v);
        let etag = etag(&brand.etag, "brand.etag", &mut v);
        let mut patch = BrandPatch {
            every_field: every_field(req.update_mask.as_ref()),
            ..BrandPatch::default()
        };
        let paths = field_mask(
            req.update_mask.as_ref(),
            &["display_name", "aliases", "common_word"],
            &[
                ("status", "ArchiveBrand archives a brand"),
                ("owner", "a brand stays its creator's"),
            ],
            &mut v,
        );
        // New aliases are held to the display name the brand will have: the
        // request's, or else the stored one (public, as GetBrand shows it;
        // compared again when the write is planned, should it change first).
        let renamed = paths.iter().any(|p| p == "display_name");
        let stored = id
            .as_ref()
            .and_then(|id| self.registry.snapshot().brand(id.as_str()).cloned());
        let next_display_name = if renamed {
            Some(brand.display_name.as_str())
        } else {
            stored.as_ref().map(|b| b.display_name.as_str())
        };
        let mut alias_violations = None;
        for path in &paths {
            match path.as_str() {
                "display_name" => {
                    patch.display_name = Some(display_name(
                        &brand.display_name,
                        "brand.display_name",
                        &mut v,
                    ))
                }
                "aliases" => {
                    let mut found = Violations::new();
                    patch.aliases = Some(aliases(
                        &brand.aliases,
                        next_display_name,
                        "brand.aliases",
                        &mut found,
                    ));
                    alias_violations = Some(found);
                }
                "common_word" => patch.common_word = Some(brand.common_word),
                _ => {}
            }
        }
        // Aliases that only repeat the stored display name, in a request
        // otherwise right, are left to the write, which refuses them on the
        // same fields: it finds a retry's request id first, and the stored
        // name may have changed since the request was first sent (a retry
        // of a change made before the brand was renamed answers as the first
        // call did). Beside the request's own mistakes, they are named with
        // them, all at once.
        if let Some(found) = alias_violations {
            let only_the_stored_name = !renamed && v.is_empty() && !found.is_empty() && {
                let mut alone = Violations::new();
                aliases(&brand.aliases, None, "brand.aliases", &mut alone);
                alone.is_empty()
            };
            if !only_the_stored_name {
                v.extend(found);
            }
        }
        let id = v.done(id)?;
        self.owned_brand(&caller, &id).await?;
        let fp = RequestFingerprints::new(
            "UpdateBrand",
            sent,
            &canonical::update_brand(&id, &patch, etag, &req.request_id),
        );
        let committed = self
            .write(
                &caller,
                &req.request_id,
                fp,
                &[Command::UpdateBrand {
                    id: id.clone(),
                    patch,
                    etag,
                }],
            )
            .await?;
        let (brand, revision) = self
            .written_or_current(
                &committed,
                |r| match r {
                    Resource::Brand(b) => Some(b.clone()),
                    _ => None,
                },
                |snapshot| snapshot.brand(id.as_str()).cloned(),
                |resource| resource.update_revision,
                || format!("brands/{id}"),
            )
            .await?;
        Ok(pb::UpdateBrandResponse {
            brand: Some(convert::brand(&brand)),
            revision,
        })
    }

    async fn archive_brand(
        &self,
        request: Request<pb::ArchiveBrandRequest>,
    ) -> ApiResult<pb::ArchiveBrandResponse> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let sent = fingerprint("ArchiveBrand", &[&req.encode_to_vec()]);
        let mut v = Violations::new();
        request_id(&req.request_id, &mut v);
        let id = parse_brand_name(&req.name, "name", &mut v);
        let etag = etag(&req.etag, "etag", &mut v);
        let id = v.done(id)?;
        self.writable_brand(&caller, &id, auth::BrandWrite::Moderation)
            .await?;
        let fp = RequestFingerprints::new(
            "ArchiveBrand",
            sent,
            &canonical::named(format!("brands/{id}"), etag, &req.request_id),
        );
        let committed = self
            .write(
                &caller,
                &req.request_id,
                fp,
                &[Command::ArchiveBrand { id, etag }],
            )
            .await?;
        let brand = written(&committed, |r| match r {
            Resource::Brand(b) => Some(b.clone()),
            _ => None,
        })?;
        Ok(pb::ArchiveBrandResponse {
            brand: Some(convert::brand(&brand)),
            revision: committed.revision,
        })
    }

    async fn add_trademark(
        &self,
        request: Request<pb::AddTrademarkRequest>,
    ) -> ApiResult<pb::AddTrademarkResponse> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let sent = fingerprint("AddTrademark", &[&req.encode_to_vec()]);
        let mut v = Violations::new();
        request_id(&req.request_id, &mut v);
        let brand = parse_brand_name(&req.parent, "parent", &mut v);
        let t = req.trademark.unwrap_or_default();
        let office = v.check("trademark.office", Office::parse(&t.office));
        let registration_number = registration_number(
            &t.registration_number,
            "trademark.registration_number",
            &mut v,
        );
        let mark_text = text(&t.mark_text, 0, 200, "trademark.mark_text", &mut v);
        let kind = v.check("trademark.kind", convert::parse_trademark_kind(t.kind));
        // A text refused already (blank at its ends) needs no second
        // violation.
        if let Some(kind) = kind
            && bounded_text(&t.mark_text, 0, 200).is_ok()
        {
            v.require("trademark.mark_text", check_mark_text(kind, &t.mark_text));
        }
        let nice_classes = classes(&t.nice_classes, "trademark.nice_classes", &mut v);
        if t.nice_classes.is_empty() {
            v.add(
                "trademark.nice_classes",
                "at least one Nice class is required",
            );
        }
        let status = v.check(
            "trademark.status",
            convert::parse_trademark_status(t.status),
        );
        let registration_date = t
            .registration_date
            .as_ref()
            .and_then(|d| v.check("trademark.registration_date", convert::parse_date(d)));
        let expiry_date = t
            .expiry_date
            .as_ref()
            .and_then(|d| v.check("trademark.expiry_date", convert::parse_date(d)));
        // A field violation of the request itself, reported with the others
        // before anything about the registry (a number already held).
        v.require(
            "trademark.expiry_date",
            check_trademark_dates(registration_date, expiry_date),
        );
        let before = v.len();
        let designated = designations(
            &t.designated_countries,
            "trademark.designated_countries",
            &mut v,
        );
        // Each designation the office does not allow, by its entry.
        if let Some(office) = office {
            for (i, value) in t.designated_countries.iter().enumerate() {
                if let Ok(designation) = Designation::parse(value) {
                    v.require(
                        &format!("trademark.designated_countries[{i}]"),
                        office.check_designation(designation),
                    );
                }
            }
        }
        // The list as a whole, once its entries are right.
        let designations_right = v.len() == before;
        let territories = office
            .filter(|_| designations_right)
            .and_then(|o| v.check("trademark.designated_countries", o.territories(&designated)));
        given_territories(
            &t.territories,
            office,
            territories.as_deref(),
            designations_right,
            &mut v,
        );
        let spec = office.zip(kind).zip(status).zip(territories).map(
            |(((office, kind), status), territories)| TrademarkSpec {
                office,
                registration_number,
                mark_text,
                kind,
                nice_classes,
                status,
                registration_date,
                expiry_date,
                designated_countries: designated,
                territories,
            },
        );
        let brand = brand.ok_or(()).ok();
        let (brand, spec) = v.done(brand.zip(spec))?;
        self.owned_brand(&caller, &brand).await?;
        let fp = RequestFingerprints::new(
            "AddTrademark",
            sent,
            &canonical::add_trademark(&brand, &spec, &req.request_id),
        );
        let command = Command::AddTrademark {
            brand,
            id: ResourceId::generate(),
            spec,
        };
        let committed = self.write(&caller, &req.request_id, fp, &[command]).await?;
        let trademark = written(&committed, |r| match r {
            Resource::Trademark(t) => Some(t.clone()),
            _ => None,
        })?;
        Ok(pb::AddTrademarkResponse {
            trademark: Some(convert::trademark(&trademark)),
            revision: committed.revision,
        })
    }

    async fn update_trademark(
        &self,
        request: Request<pb::UpdateTrademarkRequest>,
    ) -> ApiResult<pb::UpdateTrademarkResponse> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let sent = fingerprint("UpdateTrademark", &[&req.encode_to_vec()]);
        let mut v = Violations::new();
        request_id(&req.request_id, &mut v);
        let t = req.trademark.clone().unwrap_or_default();
        let name = parse_child_name(&t.name, "brands", "trademarks", "trademark.name", &mut v);
        let etag = etag(&t.etag, "trademark.etag", &mut v);
        let mut patch = TrademarkPatch {
            every_field: every_field(req.update_mask.as_ref()),
            ..TrademarkPatch::default()
        };
        let allowed = [
            "mark_text",
            "kind",
            "nice_classes",
            "status",
            "registration_date",
            "expiry_date",
            "designated_countries",
        ];
        let fixed = [
            (
                "office",
                "to correct it, remove the trademark and add it again",
            ),
            (
                "registration_number",
                "to correct it, remove the trademark and add it again",
            ),
            (
                "territories",
                "they follow from office and designated_countries",
            ),
        ];
        let paths = field_mask(req.update_mask.as_ref(), &allowed, &fixed, &mut v);
        for path in &paths {
            match path.as_str() {
                "mark_text" => {
                    patch.mark_text =
                        Some(text(&t.mark_text, 0, 200, "trademark.mark_text", &mut v))
                }
                "kind" => {
                    patch.kind = v.check("trademark.kind", convert::parse_trademark_kind(t.kind))
                }
                "nice_classes" => {
                    if t.nice_classes.is_empty() {
                        v.add(
                            "trademark.nice_classes",
                            "at least one Nice class is required",
                        );
                    }
                    patch.nice_classes =
                        Some(classes(&t.nice_classes, "trademark.nice_classes", &mut v))
                }
                "status" => {
                    patch.status = v.check(
                        "trademark.status",
                        convert::parse_trademark_status(t.status),
                    )
                }
                "registration_date" => {
                    patch.registration_date = Some(t.registration_date.as_ref().and_then(|d| {
                        v.check("trademark.registration_date", convert::parse_date(d))
                    }))
                }
                "expiry_date" => {
                    patch.expiry_date = Some(
                        t.expiry_date
                            .as_ref()
                            .and_then(|d| v.check("trademark.expiry_date", convert::parse_date(d))),
                    )
                }
                "designated_countries" => {
                    patch.designated_countries = Some(designations(
                        &t.designated_countries,
                        "trademark.designated_countries",
                        &mut v,
                    ))
                }
                _ => {}
            }
        }
        // Both dates in the request: whether they are in order is the
        // request's own mistake, reported with its others. With one, the
        // other is the stored one's, compared when the change is planned.
        if let (Some(registration), Some(expiry)) = (patch.registration_date, patch.expiry_date) {
            v.require(
                "trademark.expiry_date",
                check_trademark_dates(registration, expiry),
            );
        }
        // Likewise a text and a kind that do not go together.
        if let (Some(text), Some(kind)) = (&patch.mark_text, patch.kind)
            && bounded_text(text, 0, 200).is_ok()
        {
            v.require("trademark.mark_text", check_mark_text(kind, text));
        }
        let (brand, id) = v.done(name)?;
        // The operator may change the status alone (the mask's paths, each
        // once; "*" is every field).
        self.writable_brand(&caller, &brand, auth::BrandWrite::UpdateTrademark(&paths))
            .await?;
        let fp = RequestFingerprints::new(
            "UpdateTrademark",
            sent,
            &canonical::update_trademark(
                &format!("brands/{brand}/trademarks/{id}"),
                &patch,
                etag,
                &req.request_id,
            ),
        );
        let command = Command::UpdateTrademark {
            brand: brand.clone(),
            id: id.clone(),
            patch,
            etag,
        };
        let committed = self.write(&caller, &req.request_id, fp, &[command]).await?;
        let (trademark, revision) = self
            .written_or_current(
                &committed,
                |r| match r {
                    Resource::Trademark(t) => Some(t.clone()),
                    _ => None,
                },
                |snapshot| snapshot.trademark(&brand, &id).cloned(),
                |resource| resource.update_revision,
                || format!("brands/{brand}/trademarks/{id}"),
            )
            .await?;
        Ok(pb::UpdateTrademarkResponse {
            trademark: Some(convert::trademark(&trademark)),
            revision,
        })
    }

    async fn remove_trademark(
        &self,
        request: Request<pb::RemoveTrademarkRequest>,
    ) -> ApiResult<pb::RemoveTrademarkResponse> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let sent = fingerprint("RemoveTrademark", &[&req.encode_to_vec()]);
        let mut v = Violations::new();
        request_id(&req.request_id, &mut v);
        let name = parse_child_name(&req.name, "brands", "trademarks", "name", &mut v);
        let (brand, id) = v.done(name)?;
        self.writable_brand(&caller, &brand, auth::BrandWrite::Moderation)
            .await?;
        let fp = RequestFingerprints::new(
            "RemoveTrademark",
            sent,
            &canonical::named(
                format!("brands/{brand}/trademarks/{id}"),
                None,
                &req.request_id,
            ),
        );
        let committed = self
            .write(
                &caller,
                &req.request_id,
                fp,
                &[Command::RemoveTrademark { brand, id }],
            )
            .await?;
        Ok(pb::RemoveTrademarkResponse {
            revision: committed.revision,
        })
    }

    async fn get_trademark(
        &self,
        request: Request<pb::GetTrademarkRequest>,
    ) -> ApiResult<pb::GetTrademarkResponse> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let name = parse_child_name(&req.name, "brands", "trademarks", "name", &mut v);
        let (brand, id) = v.done(name)?;
        let snapshot = self.registry.snapshot_at_least(req.min_revision).await?;
        let (snapshot, trademark) = known_child(
            &self.registry,
            snapshot,
            &brand,
            || format!("brands/{brand}/trademarks/{id}"),
            |snapshot, _| Ok(snapshot.trademark(&brand, &id).cloned()),
        )
        .await?;
        Ok(pb::GetTrademarkResponse {
            trademark: Some(convert::trademark(&trademark)),
            revision: snapshot.revision(),
        })
    }

    async fn list_trademarks(
        &self,
        request: Request<pb::ListTrademarksRequest>,
    ) -> ApiResult<pb::ListTrademarksResponse> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let brand = parse_brand_name(&req.parent, "parent", &mut v);
        let limit = page_size(req.page_size, "page_size", &mut v);
        let scope = format!("ListTrademarks {}", req.parent);
        let tokens = self.registry.page_tokens()?;
        let after = tokens.read_child(&req.page_token, &scope, None, "page_token", &mut v);
        let brand = v.done(brand)?;
        let snapshot = self.registry.snapshot_at_least(req.min_revision).await?;
        let (snapshot, _) = self.existing_brand(snapshot, &brand).await?;
        let (items, next) = snapshot.list_trademarks(&brand, after.as_ref(), limit);
        Ok(pb::ListTrademarksResponse {
            trademarks: items.iter().map(|t| convert::trademark(t)).collect(),
            next_page_token: tokens.issue(&scope, None, next),
            revision: snapshot.revision(),
        })
    }

    async fn add_logo(
        &self,
        request: Request<pb::AddLogoRequest>,
    ) -> ApiResult<pb::AddLogoResponse> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        request_id(&req.request_id, &mut v);
        let brand = parse_brand_name(&req.parent, "parent", &mut v);
        let description = text(&req.description, 0, 200, "description", &mut v);
        let input = match &req.source {
            Some(pb::add_logo_request::Source::Image(bytes)) => Some(LogoInput::Image(bytes)),
            Some(pb::add_logo_request::Source::PerceptualHash(hex)) => {
                match logo::LogoHash::parse_hex(hex).and_then(logo::LogoHash::registrable) {
                    Ok(hash) => Some(LogoInput::Hash(LogoSource {
                        hash,
                        image_sha256: None,
                    })),
                    Err(e) => {
                        v.add("perceptual_hash", e.to_string());
                        None
                    }
                }
            }
            None => {
                v.add("source", "give either `image` or `perceptual_hash`");
                None
            }
        };
        let (brand, input) = v.done(brand.zip(input))?;
        self.owned_brand(&caller, &brand).await?;
        let source = match input {
            LogoInput::Hash(source) => source,
            LogoInput::Image(bytes) => {
                let mut v = Violations::new();
                let hashed = self
                    .hash_image(bytes)
                    .await?
                    .and_then(|hashed| hashed.hash.registrable().map(|_| hashed))
                    .map_err(|e| v.add("image", e.to_string()))
                    .ok();
                v.done(hashed.map(|hashed| LogoSource {
                    hash: hashed.hash,
                    image_sha256: Some(hashed.sha256),
                }))?
            }
        };
        let fp = RequestFingerprints::new(
            "AddLogo",
            fingerprint("AddLogo", &[&req.encode_to_vec()]),
            &canonical::add_logo(&brand, &description, &source, &req.request_id),
        );
        let command = Command::AddLogo {
            brand,
            id: ResourceId::generate(),
            description,
            source,
        };
        let committed = self.write(&caller, &req.request_id, fp, &[command]).await?;
        let logo = written(&committed, |r| match r {
            Resource::Logo(l) => Some(l.clone()),
            _ => None,
        })?;
        Ok(pb::AddLogoResponse {
            logo: Some(convert::logo(&logo)),
            revision: committed.revision,
        })
    }

    async fn remove_logo(
        &self,
        request: Request<pb::RemoveLogoRequest>,
    ) -> ApiResult<pb::RemoveLogoResponse> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let sent = fingerprint("RemoveLogo", &[&req.encode_to_vec()]);
        let mut v = Violations::new();
        request_id(&req.request_id, &mut v);
        let name = parse_child_name(&req.name, "brands", "logos", "name", &mut v);
        let (brand, id) = v.done(name)?;
        self.writable_brand(&caller, &brand, auth::BrandWrite::Moderation)
            .await?;
        let fp = RequestFingerprints::new(
            "RemoveLogo",
            sent,
            &canonical::named(format!("brands/{brand}/logos/{id}"), None, &req.request_id),
        );
        let committed = self
            .write(
                &caller,
                &req.request_id,
                fp,
                &[Command::RemoveLogo { brand, id }],
            )
            .await?;
        Ok(pb::RemoveLogoResponse {
            revision: committed.revision,
        })
    }

    async fn get_logo(
        &self,
        request: Request<pb::GetLogoRequest>,
    ) -> ApiResult<pb::GetLogoResponse> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let name = parse_child_name(&req.name, "brands", "logos", "name", &mut v);
        let (brand, id) = v.done(name)?;
        let snapshot = self.registry.snapshot_at_least(req.min_revision).await?;
        let (snapshot, logo) = known_child(
            &self.registry,
            snapshot,
            &brand,
            || format!("brands/{brand}/logos/{id}"),
            |snapshot, _| Ok(snapshot.logo(&brand, &id).cloned()),
        )
        .await?;
        Ok(pb::GetLogoResponse {
            logo: Some(convert::logo(&logo)),
            revision: snapshot.revision(),
        })
    }

    async fn list_logos(
        &self,
        request: Request<pb::ListLogosRequest>,
    ) -> ApiResult<pb::ListLogosResponse> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let brand = parse_brand_name(&req.parent, "parent", &mut v);
        let limit = page_size(req.page_size, "page_size", &mut v);
        let scope = format!("ListLogos {}", req.parent);
        let tokens = self.registry.page_tokens()?;
        let after = tokens.read_child(&req.page_token, &scope, None, "page_token", &mut v);
        let brand = v.done(brand)?;
        let snapshot = self.registry.snapshot_at_least(req.min_revision).await?;
        let (snapshot, _) = self.existing_brand(snapshot, &brand).await?;
        let (items, next) = snapshot.list_logos(&brand, after.as_ref(), limit);
        Ok(pb::ListLogosResponse {
            logos: items.iter().map(|l| convert::logo(l)).collect(),
            next_page_token: tokens.issue(&scope, None, next),
            revision: snapshot.revision(),
        })
    }

    async fn authorize_seller(
        &self,
        request: Request<pb::AuthorizeSellerRequest>,
    ) -> ApiResult<pb::AuthorizeSellerResponse> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let sent = fingerprint("AuthorizeSeller", &[&req.encode_to_vec()]);
        let mut v = Violations::new();
        request_id(&req.request_id, &mut v);
        let brand = parse_brand_name(&req.parent, "parent", &mut v);
        let spec = authorization_spec(
            &req.authorization.unwrap_or_default(),
            "authorization",
            Given::Authorize,
            &mut v,
        );
        let (brand, spec) = v.done(brand.zip(spec))?;
        self.owned_brand(&caller, &brand).await?;
        let fp = RequestFingerprints::new(
            "AuthorizeSeller",
            sent,
            &canonical::authorize_seller(&brand, &spec, &req.request_id),
        );
        let command = Command::AuthorizeSeller {
            brand,
            id: ResourceId::generate(),
            spec,
        };
        let committed = self.write(&caller, &req.request_id, fp, &[command]).await?;
        let authorization = written(&committed, |r| match r {
            Resource::Authorization(a) => Some(a.clone()),
            _ => None,
        })?;
        Ok(pb::AuthorizeSellerResponse {
            authorization: Some(convert::authorization(&authorization)),
            revision: committed.revision,
        })
    }

    async fn update_authorization(
        &self,
        request: Request<pb::UpdateAuthorizationRequest>,
    ) -> ApiResult<pb::UpdateAuthorizationResponse> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let sent = fingerprint("UpdateAuthorization", &[&req.encode_to_vec()]);
        let mut v = Violations::new();
        request_id(&req.request_id, &mut v);
        let a = req.authorization.clone().unwrap_or_default();
        let name = parse_child_name(
            &a.name,
            "brands",
            "authorizations",
            "authorization.name",
            &mut v,
        );
        let etag = etag(&a.etag, "authorization.etag", &mut v);
        let allowed = [
            "nice_classes",
            "regions",
            "valid_from",
            "valid_until",
            "status",
            "reference",
        ];
        let mut patch = AuthorizationPatch {
            every_field: every_field(req.update_mask.as_ref()),
            ..AuthorizationPatch::default()
        };
        let fixed = [
            (
                "platform",
                "revoke the authorization and authorize the seller on the other platform",
            ),
            (
                "seller_account",
                "revoke the authorization and authorize the other seller account",
            ),
        ];
        for path in field_mask(req.update_mask.as_ref(), &allowed, &fixed, &mut v) {
            match path.as_str() {
                "nice_classes" => {
                    patch.nice_classes = Some(classes(
                        &a.nice_classes,
                        "authorization.nice_classes",
                        &mut v,
                    ))
                }
                "regions" => {
                    patch.regions = Some(regions(&a.regions, "authorization.regions", &mut v))
                }
                "valid_from" => match &a.valid_from {
                    Some(t) => {
                        patch.valid_from =
                            v.check("authorization.valid_from", convert::parse_timestamp(t))
                    }
                    None => v.add(
                        "authorization.valid_from",
                        "is required when update_mask names it (as `*` does): a start cannot be \
                         cleared; leave it out of update_mask to keep it",
                    ),
                },
                "valid_until" => {
                    patch.valid_until = Some(optional_timestamp(
                        a.valid_until.as_ref(),
                        "authorization.valid_until",
                        &mut v,
                    ))
                }
                "status" => {
                    patch.status = v.check(
                        "authorization.status",
                        convert::parse_settable_authorization_status(a.status),
                    )
                }
                "reference" => {
                    patch.reference = Some(text(
                        &a.reference,
                        0,
                        200,
                        "authorization.reference",
                        &mut v,
                    ))
                }
                _ => {}
            }
        }
        // Both ends of the window in the request: whether they are in order
        // is the request's own mistake, reported with its others. With one,
        // the other is the stored one's, compared when the change is planned.
        if let (Some(from), Some(until)) = (patch.valid_from, patch.valid_until) {
            v.require(
                "authorization.valid_until",
                check_authorization_window(from, until),
            );
        }
        let (brand, id) = v.done(name)?;
        self.owned_brand(&caller, &brand).await?;
        let fp = RequestFingerprints::new(
            "UpdateAuthorization",
            sent,
            &canonical::update_authorization(
                &format!("brands/{brand}/authorizations/{id}"),
                &patch,
                etag,
                &req.request_id,
            ),
        );
        let command = Command::UpdateAuthorization {
            brand: brand.clone(),
            id: id.clone(),
            patch,
            etag,
        };
        let committed = self.write(&caller, &req.request_id, fp, &[command]).await?;
        let (authorization, revision) = self
            .written_or_current(
                &committed,
                |r| match r {
                    Resource::Authorization(a) => Some(a.clone()),
                    _ => None,
                },
                |snapshot| snapshot.authorization(&brand, &id),
                |resource| resource.update_revision,
                || format!("brands/{brand}/authorizations/{id}"),
            )
            .await?;
        Ok(pb::UpdateAuthorizationResponse {
            authorization: Some(convert::authorization(&authorization)),
            revision,
        })
    }

    async fn revoke_authorization(
        &self,
        request: Request<pb::RevokeAuthorizationRequest>,
    ) -> ApiResult<pb::RevokeAuthorizationResponse> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let sent = fingerprint("RevokeAuthorization", &[&req.encode_to_vec()]);
        let mut v = Violations::new();
        request_id(&req.request_id, &mut v);
        let name = parse_child_name(&req.name, "brands", "authorizations", "name", &mut v);
        let (brand, id) = v.done(name)?;
        self.owned_brand(&caller, &brand).await?;
        let fp = RequestFingerprints::new(
            "RevokeAuthorization",
            sent,
            &canonical::named(
                format!("brands/{brand}/authorizations/{id}"),
                None,
                &req.request_id,
            ),
        );
        let committed = self
            .write(
                &caller,
                &req.request_id,
                fp,
                &[Command::RevokeAuthorization { brand, id }],
            )
            .await?;
        let authorization = written(&committed, |r| match r {
            Resource::Authorization(a) => Some(a.clone()),
            _ => None,
        })?;
        Ok(pb::RevokeAuthorizationResponse {
            authorization: Some(convert::authorization(&authorization)),
            revision: committed.revision,
        })
    }

    async fn get_authorization(
        &self,
        request: Request<pb::GetAuthorizationRequest>,
    ) -> ApiResult<pb::GetAuthorizationResponse> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let name = parse_child_name(&req.name, "brands", "authorizations", "name", &mut v);
        let (brand, id) = v.done(name)?;
        let snapshot = self.registry.snapshot_at_least(req.min_revision).await?;
        // Read as ListAuthorizations reads the brand's: another brand
        // owner is refused whether the authorization exists or not, and a
        // platform finds only those on its own platform, another's being
        // answered as one that does not exist.
        let (snapshot, authorization) = known_child(
            &self.registry,
            snapshot,
            &brand,
            || format!("brands/{brand}/authorizations/{id}"),
            |snapshot, found| {
                let scope = auth::authorization_scope(&caller, found)?;
                Ok(snapshot
                    .authorization(&brand, &id)
                    .filter(|a| scope.covers(a)))
            },
        )
        .await?;
        Ok(pb::GetAuthorizationResponse {
            authorization: Some(convert::authorization(&authorization)),
            revision: snapshot.revision(),
        })
    }

    async fn list_authorizations(
        &self,
        request: Request<pb::ListAuthorizationsRequest>,
    ) -> ApiResult<pb::ListAuthorizationsResponse> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let brand = parse_brand_name(&req.parent, "parent", &mut v);
        let platform = if req.platform.is_empty() {
            None
        } else {
            parse_member_name(&req.platform, "platform", &mut v)
        };
        // Seller accounts are 1 to 128 characters: a longer filter matches
        // nothing, and is refused like any other bad seller account. It is
        // compared in NFC, as accounts are kept.
        let seller = v
            .check("seller_account", seller_account(&req.seller_account, 0))
            .unwrap_or_default();
        let limit = page_size(req.page_size, "page_size", &mut v);
        let list = format!(
            "ListAuthorizations {}\n{}\n{seller}",
            req.parent, req.platform
        );
        let tokens = self.registry.page_tokens()?;
        // The items depend on who reads: another member's token is another
        // list's.
        let reader = Some(caller.member.as_str());
        let after = tokens.read_child(&req.page_token, &list, reader, "page_token", &mut v);
        let brand = v.done(brand)?;
        let snapshot = self.registry.snapshot_at_least(req.min_revision).await?;
        let (snapshot, brand) = self.existing_brand(snapshot, &brand).await?;
        let scope = auth::authorization_scope(&caller, &brand)?;
        if let (auth::AuthorizationScope::Platform(own), Some(asked)) = (&scope, &platform)
            && own != asked
        {
            return Err(ApiError::PermissionDenied(format!(
                "members/{own} may read only its own platform's authorizations, not members/{asked}'s"
            )));
        }
        // Refused as AuthorizeSeller refuses it: a member that is no
        // platform and a name that is no member's get the same answer.
        if let Some(platform) = &platform {
            snapshot.check_platform(platform, "platform")?;
        }
        let (items, next) = if seller.is_empty() {
            snapshot.list_authorizations(&brand.id, after.as_ref(), limit, |a| {
                scope.covers(a) && platform.as_ref().is_none_or(|p| &a.platform == p)
            })
        } else {
            // One seller's: through the snapshot's seller index, on the one
            // platform the caller may read or names, else on every one.
            let on = match &scope {
                auth::AuthorizationScope::Platform(own) => Some(own),
                auth::AuthorizationScope::All => platform.as_ref(),
            };
            // With no platform, the index is read on the members of kind
            // PLATFORM only: an authorization on any other member would be
            // left out of the page unseen. None is: AuthorizeSeller and
            // imports refuse another member (`Snapshot::check_platform`,
            // INVALID_ARGUMENT on `platform`), no update changes a
            // platform, and members never change kind nor go. Held to in
            // debug builds (every `cargo test`), where the brand's
            // authorizations are read for one on another member.
            debug_assert!(
                on.is_some() || {
                    let platform_of = |a: &Arc<crate::model::Authorization>| {
                        snapshot
                            .member(a.platform.as_str())
                            .is_some_and(|m| m.kind == crate::model::MemberKind::Platform)
                    };
                    let (elsewhere, _) =
                        snapshot.list_authorizations(&brand.id, None, 1, |a| !platform_of(a));
                    elsewhere.is_empty()
                },
                "brands/{} has an authorization on a member that is no platform",
                brand.id
            );
            snapshot.list_seller_authorizations(&brand.id, on, &seller, after.as_ref(), limit)
        };
        Ok(pb::ListAuthorizationsResponse {
            authorizations: items.iter().map(|a| convert::authorization(a)).collect(),
            next_page_token: tokens.issue(&list, reader, next),
            revision: snapshot.revision(),
        })
    }

    /// Checks an import's first message the moment it arrives: it names a
    /// brand the caller owns, with a valid request id and `widen` mask, and
    /// one not archived when it has no request id (with one, it may be a
    /// retry of an import made before, answered once its rows are read).
    /// The import fails at once otherwise, before any further message is
    /// read.
    async fn import_brand(
        &self,
        caller: &Caller,
        first: &pb::ImportAuthorizationsRequest,
    ) -> ApiResult<(Slug, ImportWidening)> {
        if first.parent.is_empty() {
            return Err(ApiError::Invalid(vec![(
                "parent".into(),
                "the first message must name the brand".into(),
            )]));
        }
        let mut v = Violations::new();
        request_id(&first.request_id, &mut v);
        let brand = parse_brand_name(&first.parent, "parent", &mut v);
        let widen = import_widening(first.widen.as_ref(), &mut v);
        let brand = v.done(brand)?;
        let owned = self.owned_brand(caller, &brand).await?;
        if owned.status == BrandStatus::Archived && first.request_id.is_empty() {
            return Err(ApiError::FailedPrecondition(format!(
                "brands/{brand} is archived and read-only"
            )));
        }
        Ok((brand, widen))
    }

    async fn import_authorizations(
        &self,
        request: Request<Streaming<pb::ImportAuthorizationsRequest>>,
    ) -> ApiResult<pb::ImportAuthorizationsResponse> {
        let caller = caller(&request)?;
        let _member_slot = self.imports.take(&caller.member).ok_or_else(|| {
            ApiError::Busy(format!(
                "members/{} has {MAX_IMPORTS_PER_MEMBER} imports open, the most a member may: \
                 send the rows in one import, or wait for one to end",
                caller.member
            ))
        })?;
        let _server_slot = self.import_slots.clone().try_acquire_owned().map_err(|_| {
            ApiError::Busy(format!(
                "this server has {MAX_IMPORTS} imports open, the most it takes at once: retry \
                 with backoff"
            ))
        })?;
        let stream_state = request
            .extensions()
            .get::<crate::auth::RequestStream>()
            .cloned()
            .unwrap_or_default();
        let mut stream = request.into_inner();
        let mut v = Violations::new();
        // From the first message: the brand, its resource name, the
        // request id, and what rows may widen with the mask's paths as sent.
        let mut first: Option<(Slug, String, String, ImportWidening, Vec<String>)> = None;
        let mut rows: Vec<(ResourceId, AuthorizationSpec)> = Vec::new();
        // The import's fingerprints are of its brand and its rows, however
        // the client splits them into messages: a retry with another batch
        // size is the same import. One is over them as read (the brand's
        // name and each row rebuilt from its parsed values,
        // [`canonical::authorization`]), the other over them as sent.
        let (mut read, mut sent) = RequestFingerprints::streamed("ImportAuthorizations");
        let mut encoded = Vec::new();
        let mut row_encoded = Vec::new();
        let (mut messages, mut bytes) = (0usize, 0usize);
        let mut index = 0usize;
        // Rows are checked against the registry as they come, as well as
        // for their syntax, so that one answer names every kind of mistake
        // (the write checks them again).
        let mut snapshot = self.registry.snapshot();
        // A platform this replica does not know yet may be one another
        // replica just created: the first row that names one catches up
        // with the store (once an import) before it is refused.
        let mut caught_up = false;
        let mut sellers: std::collections::HashMap<(Slug, String), usize> =
            std::collections::HashMap::new();
        let mut cut = self.cut.clone();
        let closes = tokio::time::Instant::now() + self.import_longest;
        loop {
            let message = tokio::select! {
                message = tokio::time::timeout(self.import_idle, stream.next()) => match message {
                    Ok(message) => message,
                    Err(_) => {
                        return Err(ApiError::Aborted(format!(
                            "no message for {}: the import was not applied",
                            humantime::format_duration(self.import_idle)
                        )));
                    }
                },
                _ = cut.wait_for(|cut| *cut) => {
                    return Err(ApiError::Unavailable(
                        "the server is shutting down; the import was not applied".into(),
                    ));
                }
                () = tokio::time::sleep_until(closes) => {
                    return Err(ApiError::Aborted(format!(
                        "the import was still open after {}: it was not applied; send it \
                         faster, or in smaller imports",
                        humantime::format_duration(self.import_longest)
                    )));
                }
            };
            let Some(message) = message else { break };
            let message = message.map_err(import_stream_error)?;
            encoded.clear();
            message
                .encode(&mut encoded)
                .map_err(|e| ApiError::Internal(anyhow::anyhow!("cannot encode a message: {e}")))?;
            messages += 1;
            bytes = bytes.saturating_add(encoded.len());
            if messages > MAX_IMPORT_MESSAGES || bytes > MAX_IMPORT_BYTES {
                return Err(ApiError::Invalid(vec![(
                    "stream".into(),
                    format!(
                        "an import has at most {MAX_IMPORT_MESSAGES} messages and {} MiB",
                        MAX_IMPORT_BYTES / (1024 * 1024)
                    ),
                )]));
            }
            match &first {
                None => {
                    sent.add(message.parent.as_bytes());
                    let (brand, widen) = self.import_brand(&caller, &message).await?;
                    read.add(format!("brands/{brand}").as_bytes());
                    // What rows may widen makes another import, as other
                    // rows do. Added only when given, so that an import
                    // without it keeps the fingerprint it was recorded
                    // with; after a prefix no row's encoding starts with.
                    let paths = message.widen.clone().unwrap_or_default().paths;
                    if !paths.is_empty() {
                        let as_sent = prost_types::FieldMask {
                            paths: paths.clone(),
                        };
                        sent.add(&[WIDEN_PART, &as_sent.encode_to_vec()].concat());
                        let as_read = canonical::import_widening(widen);
                        read.add(&[WIDEN_PART, &as_read.encode_to_vec()].concat());
                    }
                    first = Some((
                        brand,
                        message.parent.clone(),
                        message.request_id.clone(),
                        widen,
                        paths,
                    ));
                }
                Some((_, parent, request_id, _, widen)) => {
                    let mut differs = Violations::new();
                    if !message.parent.is_empty() && message.parent != *parent {
                        differs.add(
                            "parent",
                            format!("must be empty or {parent}, as first given"),
                        );
                    }
                    // Read from the first message only: another id later
                    // is a mistake to name, not an id silently dropped.
                    if !message.request_id.is_empty() && message.request_id != *request_id {
                        differs.add(
                            "request_id",
                            if request_id.is_empty() {
                                "must be empty: an import's request id is read from its first \
                                 message, which gave none"
                                    .to_string()
                            } else {
                                format!(
                                    "must be empty or {}, as the first message gave it: an \
                                     import's request id is read from its first message",
                                    quote(request_id)
                                )
                            },
                        );
                    }
                    // As the request id: what rows may widen is the whole
                    // import's, said once.
                    let later = message.widen.as_ref().map_or(&[][..], |m| &m.paths[..]);
                    if !later.is_empty() && later != widen.as_slice() {
                        differs.add(
                            "widen",
                            if widen.is_empty() {
                                "must be unset: an import's widen is read from its first \
                                 message, which gave none"
                                    .to_string()
                            } else {
                                format!(
                                    "must be unset or {{\"paths\": [{}]}}, as the first message \
                                     gave it: an import's widen is read from its first message",
                                    widen
                                        .iter()
                                        .map(|p| quote(p))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                )
                            },
                        );
                    }
                    v.add_new_kinds(differs);
                }
            }
            for row in &message.rows {
                row_encoded.clear();
                row.encode(&mut row_encoded)
                    .map_err(|e| ApiError::Internal(anyhow::anyhow!("cannot encode a row: {e}")))?;
                sent.add(&row_encoded);
                if index >= MAX_IMPORT_ROWS {
                    v.add(
                        "stream",
                        format!("at most {MAX_IMPORT_ROWS} rows in one import"),
                    );
                    return Err(v
                        .finish()
                        .err()
                        .unwrap_or_else(|| ApiError::Invalid(vec![])));
                }
                let mut found = Violations::new();
                let spec = authorization_spec(
                    row,
                    &format!("rows[{index}]"),
                    Given::ImportRow,
                    &mut found,
                );
                if let Some(spec) = &spec
                    && found.is_empty()
                {
                    let field = format!("rows[{index}]");
                    let platform_field = format!("{field}.platform");
                    let mut platform = snapshot.check_platform(&spec.platform, &platform_field);
                    if platform.is_err() && !caught_up {
                        caught_up = true;
                        if let Ok(latest) = self.registry.catch_up_for_unknown_name().await {
                            snapshot = latest;
                            platform = snapshot.check_platform(&spec.platform, &platform_field);
                        }
                    }
                    if let Err(crate::snapshot::PlanError::Invalid(violations)) = platform {
                        for (field, description) in violations {
                            found.add(field, description);
                        }
                    } else if let Some(first) =
                        sellers.insert((spec.platform.clone(), spec.seller_account.clone()), index)
                    {
                        found.add(
                            format!("{field}.seller_account"),
                            format!(
                                "seller {} on members/{} is already in rows[{first}]",
                                quote(&spec.seller_account),
                                spec.platform
                            ),
                        );
                    }
                }
                if found.is_empty()
                    && v.is_empty()
                    && let Some(spec) = spec
                {
                    read.add(&canonical::authorization(&spec).encode_to_vec());
                    rows.push((ResourceId::generate(), spec));
                } else {
                    // Nothing will be written: only the violations matter.
                    rows = Vec::new();
                    v.add_new_kinds(found);
                }
                index += 1;
            }
        }
        let Some((brand, _, request_id_value, widen, _)) = first else {
            return Err(ApiError::Invalid(vec![(
                "parent".into(),
                "the import stream was empty".into(),
            )]));
        };
        if index == 0 {
            v.add("rows", "an import needs at least one row");
        }
        v.finish()?;
        // tonic ends a stream the client cancelled as if it were complete:
        // its rows so far are not the import.
        if stream_state.broke() {
            return Err(ApiError::Cancelled(
                "the import stream was cancelled before its end; nothing was written".into(),
            ));
        }
        let committed = self
            .write(
                &caller,
                &request_id_value,
                RequestFingerprints {
                    read: read.finish(),
                    sent: sent.finish(),
                },
                &[Command::ImportAuthorizations { brand, rows, widen }],
            )
            .await?;
        let created = committed
            .changes
            .iter()
            .filter(|c| c.before.is_none())
            .count();
        let updated = committed.changes.len() - created;
        Ok(pb::ImportAuthorizationsResponse {
            created: created as u32,
            updated: updated as u32,
            revision: committed.revision,
        })
    }
}

/// Wires each RPC to its handler and maps errors to `Status` in one place.
macro_rules! rpcs {
    ($($method:ident($req:ty) -> $res:ty;)*) => {
        #[tonic::async_trait]
        impl RegistryService for RegistryApi {
            $(
                async fn $method(&self, request: Request<$req>) -> Result<Response<$res>, Status> {
                    self.$method(request).await.map(Response::new).map_err(Status::from)
                }
            )*
        }
    };
}

rpcs! {
    get_caller(pb::GetCallerRequest) -> pb::GetCallerResponse;
    create_member(pb::CreateMemberRequest) -> pb::CreateMemberResponse;
    get_member(pb::GetMemberRequest) -> pb::GetMemberResponse;
    list_members(pb::ListMembersRequest) -> pb::ListMembersResponse;
    create_api_key(pb::CreateApiKeyRequest) -> pb::CreateApiKeyResponse;
    list_api_keys(pb::ListApiKeysRequest) -> pb::ListApiKeysResponse;
    revoke_api_key(pb::RevokeApiKeyRequest) -> pb::RevokeApiKeyResponse;
    create_brand(pb::CreateBrandRequest) -> pb::CreateBrandResponse;
    get_brand(pb::GetBrandRequest) -> pb::GetBrandResponse;
    list_brands(pb::ListBrandsRequest) -> pb::ListBrandsResponse;
    update_brand(pb::UpdateBrandRequest) -> pb::UpdateBrandResponse;
    archive_brand(pb::ArchiveBrandRequest) -> pb::ArchiveBrandResponse;
    add_trademark(pb::AddTrademarkRequest) -> pb::AddTrademarkResponse;
    update_trademark(pb::UpdateTrademarkRequest) -> pb::UpdateTrademarkResponse;
    remove_trademark(pb::RemoveTrademarkRequest) -> pb::RemoveTrademarkResponse;
    get_trademark(pb::GetTrademarkRequest) -> pb::GetTrademarkResponse;
    list_trademarks(pb::ListTrademarksRequest) -> pb::ListTrademarksResponse;
    add_logo(pb::AddLogoRequest) -> pb::AddLogoResponse;
    remove_logo(pb::RemoveLogoRequest) -> pb::RemoveLogoResponse;
    get_logo(pb::GetLogoRequest) -> pb::GetLogoResponse;
    list_logos(pb::ListLogosRequest) -> pb::ListLogosResponse;
    authorize_seller(pb::AuthorizeSellerRequest) -> pb::AuthorizeSellerResponse;
    update_authorization(pb::UpdateAuthorizationRequest) -> pb::UpdateAuthorizationResponse;
    revoke_authorization(pb::RevokeAuthorizationRequest) -> pb::RevokeAuthorizationResponse;
    get_authorization(pb::GetAuthorizationRequest) -> pb::GetAuthorizationResponse;
    list_authorizations(pb::ListAuthorizationsRequest) -> pb::ListAuthorizationsResponse;
    import_authorizations(Streaming<pb::ImportAuthorizationsRequest>) -> pb::ImportAuthorizationsResponse;
}
