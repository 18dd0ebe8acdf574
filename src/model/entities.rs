//! The registry's resources, as held in a snapshot and carried in change events.
//!
//! Every resource records `update_revision`, the revision of its last change: it
//! is the resource's etag, and it makes every snapshot digest deterministic.

use std::sync::Arc;

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::quote;
use super::{Date, Designation, NiceClassSet, Office, Region, Revision, Slug, Timestamp};
use crate::detect::{markup, normalize::fold_exact};
use crate::logo::LogoHash;

/// The id of a resource below a brand or member (trademark, logo,
/// authorization, API key): assigned by the registry, 12 characters of
/// lowercase base32, unique within its parent.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceId(Arc<str>);

impl ResourceId {
    const ALPHABET: &'static [u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";
    /// Length of generated ids.
    pub const LEN: usize = 12;

    /// A fresh random id.
    pub fn generate() -> Self {
        let mut rng = rand::thread_rng();
        let id: String = (0..Self::LEN)
            .map(|_| Self::ALPHABET[rng.gen_range(0..32)] as char)
            .collect();
        Self(id.into())
    }

    /// Parses an id taken from a resource name.
    ///
    /// # Errors
    /// When it is empty, longer than 63 characters, or has characters other
    /// than lowercase ASCII letters, digits and hyphens.
    pub fn parse(value: &str) -> Result<Self, String> {
        let ok = !value.is_empty()
            && value.len() <= 63
            && value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Self(value.into()))
        } else {
            Err(format!("{} is not a valid resource id", quote(value)))
        }
    }

    /// The smallest id, below every real one: a range start.
    pub(crate) fn min() -> Self {
        Self("".into())
    }

    /// An id as stored by the registry itself (already valid), or a page
    /// token's id used only as a range bound.
    pub(crate) fn from_stored(value: &str) -> Self {
        Self(value.into())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for ResourceId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ResourceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What an alliance member is; fixes what it may do (see [`crate::auth`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberKind {
    /// Owns brands.
    BrandOwner,
    /// An e-commerce platform.
    Platform,
    /// The alliance operator.
    Operator,
}

impl MemberKind {
    /// The kind as callers know it: the proto enum's value without its
    /// `MEMBER_KIND_` prefix (`BRAND_OWNER`), as the README names kinds.
    pub fn name(self) -> &'static str {
        match self {
            MemberKind::BrandOwner => "BRAND_OWNER",
            MemberKind::Platform => "PLATFORM",
            MemberKind::Operator => "OPERATOR",
        }
    }
}

impl std::fmt::Display for MemberKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A member of the alliance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// The member's slug.
    pub id: Slug,
    /// Human-readable name.
    pub display_name: String,
    /// Brand owner, platform or operator.
    pub kind: MemberKind,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub create_time: Timestamp,
    /// Revision of its last change (its etag).
    pub update_revision: Revision,
}

impl Member {
    /// Ids no member may take. `system` is how change events, the audit
    /// trail and its actor filter name the server's own writes (seed,
    /// bootstrap key), and how idempotent retries are keyed for them: a
    /// member called `system` would be confused with the server.
    pub const RESERVED_IDS: &'static [&'static str] = &[super::Actor::SYSTEM];

    /// Whether `id` may name a new member.
    ///
    /// # Errors
    /// For a reserved id, e.g. `"system" is reserved: it names the server's
    /// own changes in the audit trail`.
    pub fn check_id(id: &Slug) -> Result<(), String> {
        if Self::RESERVED_IDS.contains(&id.as_str()) {
            Err(format!(
                "{} is reserved: it names the server's own changes in the audit trail",
                quote(id.as_str())
            ))
        } else {
            Ok(())
        }
    }
}

/// An API key: only its SHA-256 is kept.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKey {
    /// The member the key belongs to.
    pub member: Slug,
    /// The public id, also embedded in the secret (`mq_{id}_{random}`).
    pub id: ResourceId,
    /// What it is for.
    pub description: String,
    /// SHA-256 of the whole secret.
    #[serde(with = "hex::serde")]
    pub secret_sha256: [u8; 32],
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub create_time: Timestamp,
    /// When it was revoked, if it was.
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoke_time: Option<Timestamp>,
    /// Revision of its last change.
    pub update_revision: Revision,
}

/// Lifecycle of a brand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BrandStatus {
    /// In use.
    Active,
    /// Kept for the record, ignored by checks, read-only.
    Archived,
}

/// A brand.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Brand {
    /// Globally unique slug.
    pub id: Slug,
    /// The member that owns it; never changes.
    pub owner: Slug,
    /// The brand's name as written.
    pub display_name: String,
    /// Other spellings and transliterations.
    pub aliases: Vec<String>,
    /// The name is also an ordinary word.
    pub common_word: bool,
    /// Active or archived.
    pub status: BrandStatus,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub create_time: Timestamp,
    /// When the brand record itself last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub update_time: Timestamp,
    /// Revision of its last change (its etag).
    pub update_revision: Revision,
}

/// Why a brand name or alias is refused, if it is: it has HTML markup,
/// through which a listing's text is read (`Aur<b></b>elle` is shown
/// `Aurelle`) but a name is not, so that another owner's name could be
/// registered written in tags or character references; nothing of it is
/// left once normalized ([`unmatchable_name`]); or what is left is a
/// single letter or digit, or an English function word ([`FUNCTION_WORDS`]),
/// which nearly every listing holds: `A`, `The` or `On` would put every
/// listing in the brand's classes under it (blocked, or sent to review),
/// whatever the listing sells. The API's rule, and a seed's.
#[must_use]
pub fn name_refusal(name: &str) -> Option<String> {
    if let Some(shown) = markup::render(name).or_else(|| markup::render_every_tag(name)) {
        return Some(format!(
            "{} is HTML, shown as {}: write the name as it is shown, without tags or \
             character references",
            quote(name),
            quote(&shown.text)
        ));
    }
    let folded = fold_exact(name);
    if folded.is_empty() {
        return Some(unmatchable_name(name));
    }
    // Letters and digits only, so that `O.N.` is read as `on`, as a
    // listing's separated letters are.
    let letters: String = folded.chars().filter(|c| c.is_alphanumeric()).collect();
    if letters.chars().count() < 2 {
        return Some(format!(
            "{} is a single letter or digit once normalized, which nearly every listing \
             holds: it could not tell the brand; give the name in full",
            quote(name)
        ));
    }
    if FUNCTION_WORDS.contains(&letters.as_str()) {
        return Some(format!(
            "{} is an English function word, which nearly every listing holds: it could \
             not tell the brand; give a distinctive form of the name (`On Running`, not `On`)",
            quote(name)
        ));
    }
    None
}

/// English function words (articles, prepositions, conjunctions,
/// pronouns, auxiliaries) of two letters or more (one letter is refused
/// as such), folded: never a brand name or alias on their own
/// ([`name_refusal`]). A brand whose name is one (`On`) is registered
/// in a distinctive form (`On Running`); one whose name is an ordinary
/// word that is not a function word (`Coach`, `Guess`) is a `common_word`
/// brand instead.
pub const FUNCTION_WORDS: &[&str] = &[
    "am", "an", "and", "are", "as", "at", "be", "been", "but", "by", "did", "do", "does", "for",
    "from", "had", "has", "have", "he", "her", "him", "his", "if", "in", "into", "is", "it", "its",
    "me", "my", "no", "nor", "not", "of", "on", "onto", "or", "our", "per", "she", "so", "that",
    "the", "their", "them", "these", "they", "this", "those", "to", "us", "via", "was", "we",
    "were", "with", "you", "your",
];

/// Why a brand name or alias is refused when nothing of it is left once
/// normalized (no letter or digit).
pub fn unmatchable_name(name: &str) -> String {
    format!(
        "{} has no letter or digit: it could never match a listing",
        quote(name)
    )
}

/// What an alias of a brand repeats, the names compared once normalized as
/// listings are ([`fold_exact`]: `CHLOÉ` for `Chloé`, `Do-Home` for
/// `Do Home`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AliasRepeat {
    /// The display name: the alias adds nothing a check could find, and
    /// would be reported as a second name.
    DisplayName,
    /// The alias at this index, an earlier one.
    Alias(usize),
}

impl AliasRepeat {
    /// Why `alias` is refused; `field` holds the aliases (`brand.aliases`,
    /// `brands[2].aliases`).
    pub fn describe(self, alias: &str, display_name: &str, field: &str) -> String {
        match self {
            AliasRepeat::DisplayName => format!(
                "{} repeats the display name {} once normalized",
                quote(alias),
                quote(display_name)
            ),
            AliasRepeat::Alias(first) => {
                format!("{} repeats {field}[{first}] once normalized", quote(alias))
            }
        }
    }
}

/// The aliases a brand may not have, by index, with what each repeats: the
/// one rule on a brand's names for the API, the registry's own check and
/// seed files. An alias equal to the display name is named for that,
/// wherever it stands, so that every such alias is named at once; another
/// alias equal to an earlier one is named for the first. `display_name` is
/// `None` when it is not known: then only repeats among the aliases are
/// found. An alias with no letter or digit (nothing is left of it once
/// normalized) repeats nothing here: it is refused on its own.
pub fn alias_repeats(display_name: Option<&str>, aliases: &[String]) -> Vec<(usize, AliasRepeat)> {
    let display_name = display_name.map(fold_exact);
    let mut seen = std::collections::HashMap::with_capacity(aliases.len());
    let mut repeats = Vec::new();
    for (i, alias) in aliases.iter().enumerate() {
        let key = fold_exact(alias);
        if key.is_empty() {
            continue;
        }
        if display_name.as_ref() == Some(&key) {
            repeats.push((i, AliasRepeat::DisplayName));
        } else if let Some(&first) = seen.get(&key) {
            repeats.push((i, AliasRepeat::Alias(first)));
        } else {
            seen.insert(key, i);
        }
    }
    repeats
}

/// Kind of a trademark.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrademarkKind {
    /// Word mark.
    Word,
    /// Figurative mark.
    Figurative,
    /// Words with a figurative element.
    Combined,
}

/// Legal status of a trademark.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrademarkStatus {
    /// In force until its expiry date.
    Registered,
    /// Applied for.
    Pending,
    /// Lapsed.
    Expired,
    /// Cancelled or invalidated.
    Cancelled,
}

/// A trademark registration of a brand.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trademark {
    /// The brand it protects.
    pub brand: Slug,
    /// Registry-assigned id.
    pub id: ResourceId,
    /// The registering office.
    pub office: Office,
    /// The office's registration number, unique per office.
    pub registration_number: String,
    /// The mark's text.
    pub mark_text: String,
    /// Word, figurative or combined.
    pub kind: TrademarkKind,
    /// Nice classes covered (never empty).
    pub nice_classes: NiceClassSet,
    /// Registered, pending, expired or cancelled.
    pub status: TrademarkStatus,
    /// Registration date, if known.
    pub registration_date: Option<Date>,
    /// Expiry date (exclusive), if any.
    pub expiry_date: Option<Date>,
    /// Designations of an international (Madrid) or ARIPO registration,
    /// sorted by code: countries, and the EU as one (`EM`) for a Madrid
    /// mark. Marks stored before the EU was kept as one hold its 27 member
    /// states instead, read as 27 countries designated each on its own.
    pub designated_countries: Vec<Designation>,
    /// Where the mark protects, resolved from office and designations: the
    /// countries, not the territories a designation extends to.
    pub territories: Vec<Region>,
    /// Revision of its last change (its etag).
    pub update_revision: Revision,
}

/// A registration number as a trademark keeps it: trimmed and upper-cased,
/// 1 to 40 letters, digits, spaces and `-/.` (`018/123.456`,
/// `UK00003123456`), with at least one letter or digit: numbers are told
/// apart by those, so `---` would be no number at all. The one rule for the
/// API and seed files.
///
/// # Errors
/// When it is empty once trimmed, longer, has other characters, or has no
/// letter or digit.
pub fn parse_registration_number(value: &str) -> Result<String, String> {
    let number = registration_number_as_written(value)?;
    if !has_a_letter_or_digit(&number) {
        return Err(no_letter_or_digit(value));
    }
    Ok(number)
}

/// Whether `number` has a letter or digit: the part of
/// [`parse_registration_number`]'s rule that a seed file the registry
/// skips is not held to (`docs/seed.md`), numbers of separators only having
/// been accepted before.
pub fn has_a_letter_or_digit(number: &str) -> bool {
    number.chars().any(|c| c.is_ascii_alphanumeric())
}

/// Why `value` is no registration number when it has no letter or digit.
pub fn no_letter_or_digit(value: &str) -> String {
    format!(
        "{} has no letter or digit: registration numbers are compared by their \
         letters and digits",
        quote(value)
    )
}

/// A registration number trimmed and upper-cased, when it is written as
/// one: 1 to 40 letters, digits, spaces and `-/.` ([`parse_registration_number`]
/// also asks for a letter or digit).
///
/// # Errors
/// When it is empty once trimmed, longer, or has other characters.
pub fn registration_number_as_written(value: &str) -> Result<String, String> {
    let trimmed = value.trim();
    let ok = !trimmed.is_empty()
        && trimmed.chars().count() <= 40
        && trimmed
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '/' | '.'));
    if !ok {
        return Err(format!(
            "{} must be 1 to 40 characters of letters, digits, spaces and -/.",
            quote(value)
        ));
    }
    Ok(trimmed.to_ascii_uppercase())
}

/// Checks an authorization's validity window: the end, when there is one,
/// must come after the start.
///
/// # Errors
/// `valid_until 2029-01-01T00:00:00Z must be after valid_from 2030-01-01T00:00:00Z`.
pub fn check_authorization_window(from: Timestamp, until: Option<Timestamp>) -> Result<(), String> {
    match until {
        Some(until) if until <= from => Err(format!(
            "valid_until {} must be after valid_from {}",
            super::rfc3339(until),
            super::rfc3339(from)
        )),
        _ => Ok(()),
    }
}

/// Checks that an authorization's end, when one is given, is still to come
/// at `now`: an authorization written with an end already past authorizes
/// nothing from the moment it is written, yet, ACTIVE, it stands in the way
/// of a new one for the same seller; most often it is a mistyped year.
///
/// # Errors
/// `valid_until 2016-01-01T00:00:00Z has already passed (it is now
/// 2026-12-07T17:00:00Z): …`.
pub fn check_authorization_end(until: Option<Timestamp>, now: Timestamp) -> Result<(), String> {
    match until {
        Some(until) if until <= now => Err(format!(
            "valid_until {} has already passed (it is now {}): the authorization would have \
             ended and authorize nothing; check the date (its year?), and to end an \
             authorization now, suspend or revoke it",
            super::rfc3339(until),
            // To the second: the instant only says when the write was read.
            super::rfc3339(now.replace_nanosecond(0).unwrap_or(now))
        )),
        _ => Ok(()),
    }
}

/// [`check_authorization_window`], from the start's side: for a change that
/// set the start and kept the end, the field at fault is the one changed.
///
/// # Errors
/// `valid_from 2030-01-01T00:00:00Z must be before valid_until 2029-01-01T00:00:00Z`.
pub fn check_valid_from(from: Timestamp, until: Option<Timestamp>) -> Result<(), String> {
    check_authorization_window(from, until).map_err(|_| {
        format!(
            "valid_from {} must be before valid_until {}",
            super::rfc3339(from),
            until.map(super::rfc3339).unwrap_or_default()
        )
    })
}

/// Checks a mark's text against its kind: a WORD or COMBINED mark is
/// registered as words, so it needs them (a FIGURATIVE mark's text, a
/// description at most, may be empty).
///
/// # Errors
/// `a WORD mark needs its mark_text, the words as registered`.
pub fn check_mark_text(kind: TrademarkKind, mark_text: &str) -> Result<(), String> {
    let name = match kind {
        TrademarkKind::Word => "WORD",
        TrademarkKind::Combined => "COMBINED",
        TrademarkKind::Figurative => return Ok(()),
    };
    // Blank as a listing's text is: nothing left once folded (spaces,
    // invisible characters, fillers and punctuation alone).
    if !fold_exact(mark_text).is_empty() {
        Ok(())
    } else {
        Err(format!(
            "a {name} mark needs its mark_text, the words as registered"
        ))
    }
}

/// Checks a trademark's dates against each other: an expiry date must come
/// after the registration date (it is exclusive, so never on it).
///
/// # Errors
/// `expiry date 2020-01-01 must be after the registration date 2021-01-01`.
pub fn check_trademark_dates(
    registration: Option<Date>,
    expiry: Option<Date>,
) -> Result<(), String> {
    match (registration, expiry) {
        (Some(from), Some(until)) if until <= from => Err(format!(
            "expiry date {} must be after the registration date {}",
            super::rfc3339_date(until),
            super::rfc3339_date(from)
        )),
        _ => Ok(()),
    }
}

/// [`check_trademark_dates`], from the registration date's side: for a
/// change that set the registration date and kept the expiry date, the
/// field at fault is the one changed.
///
/// # Errors
/// `registration date 2031-01-01 must be before the expiry date 2030-01-01`.
pub fn check_registration_date(
    registration: Option<Date>,
    expiry: Option<Date>,
) -> Result<(), String> {
    check_trademark_dates(registration, expiry).map_err(|_| {
        format!(
            "registration date {} must be before the expiry date {}",
            registration.map(super::rfc3339_date).unwrap_or_default(),
            expiry.map(super::rfc3339_date).unwrap_or_default()
        )
    })
}

impl Trademark {
    /// Whether the mark is registered, registered by `at` if it has a
    /// registration date, and not expired at `at` (registration is
    /// inclusive, expiry exclusive, dates are UTC).
    pub fn in_force(&self, at: Timestamp) -> bool {
        self.status == TrademarkStatus::Registered
            && self.registration_date.is_none_or(|from| from <= at.date())
            && self.expiry_date.is_none_or(|expiry| at.date() < expiry)
    }

    /// Where the mark protects, as checks read it: its territories, but
    /// every EU member state for an EU trade mark, which is unitary. Marks
    /// of `EM` stored with designated countries, before an EU trade mark
    /// took none, hold only those in `territories`.
    pub fn covered_territories(&self) -> &[Region] {
        match self.office {
            Office::Euipo => &super::codes::EU_MEMBER_STATES,
            _ => &self.territories,
        }
    }

    /// The rights the mark protects through, each with its own territorial
    /// scope ([`Designation::covers`]): an EU trade mark's is the EU's; a
    /// Madrid mark's are its designations (the EU among them, if it was
    /// designated); any other mark protects each of its countries as a
    /// national mark does.
    pub fn rights(&self) -> Vec<Designation> {
        match self.office {
            Office::Euipo => vec![Designation::EuropeanUnion],
            Office::Wipo => self.designated_countries.clone(),
            _ => self
                .territories
                .iter()
                .copied()
                .map(Designation::Country)
                .collect(),
        }
    }

    /// Whether the mark protects in `region`: one of its countries, or a
    /// territory with a code of its own that one of its rights extends to
    /// ([`Designation::extends_to`]): `FR` reaches `PM`, the EU does not.
    pub fn covers_region(&self, region: Region) -> bool {
        self.rights().iter().any(|right| right.covers(region))
    }

    /// Every region the mark protects ([`Trademark::covers_region`]): its
    /// countries and the territories its rights extend to, sorted by code.
    pub fn reach(&self) -> Vec<Region> {
        let rights = self.rights();
        let mut reach: Vec<Region> = self.covered_territories().to_vec();
        reach.extend(
            super::codes::DEPENDENT_TERRITORIES
                .iter()
                .map(|&(territory, _)| territory)
                .filter(|&territory| rights.iter().any(|right| right.extends_to(territory))),
        );
        reach.sort_unstable();
        reach.dedup();
        reach
    }
}

/// A logo of a brand.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Logo {
    /// The brand.
    pub brand: Slug,
    /// Registry-assigned id.
    pub id: ResourceId,
    /// What the logo is.
    pub description: String,
    /// 64-bit perceptual hash.
    pub hash: LogoHash,
    /// SHA-256 of the uploaded image, when one was uploaded.
    #[serde(with = "optional_hex")]
    pub image_sha256: Option<[u8; 32]>,
    /// When it was registered.
    #[serde(with = "time::serde::rfc3339")]
    pub create_time: Timestamp,
    /// Revision of its last change.
    pub update_revision: Revision,
}

/// State of a seller authorization.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorizationStatus {
    /// In force within its scope and window.
    Active,
    /// Temporarily not in force.
    Suspended,
    /// Ended for good.
    Revoked,
}

impl AuthorizationStatus {
    /// Whether an authorization of this status is live (active or
    /// suspended), as opposed to revoked.
    pub fn is_live(self) -> bool {
        self != AuthorizationStatus::Revoked
    }
}

/// A seller account allowed to sell a brand on one platform.
///
/// Room is left for authorization chains (a distributor sub-authorizing
/// resellers): a future `parent` link and depth fit beside these fields
/// without changing their meaning.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Authorization {
    /// The brand.
    pub brand: Slug,
    /// Registry-assigned id.
    pub id: ResourceId,
    /// The platform: always a member of kind PLATFORM. Writes refuse any
    /// other member (`Snapshot::check_platform`), no update changes it,
    /// and members never change kind nor go; ListAuthorizations by seller
    /// with no platform relies on it, reading the seller index on the
    /// platforms only (checked there in debug builds).
    pub platform: Slug,
    /// The seller's account id on that platform, in NFC
    /// ([`super::codes::seller_account`]), then compared exactly.
    pub seller_account: String,
    /// Nice classes covered; empty means all.
    pub nice_classes: NiceClassSet,
    /// Regions covered; empty means everywhere.
    pub regions: Vec<Region>,
    /// First valid instant (inclusive).
    #[serde(with = "time::serde::rfc3339")]
    pub valid_from: Timestamp,
    /// End of validity (exclusive); none means open-ended.
    #[serde(with = "time::serde::rfc3339::option")]
    pub valid_until: Option<Timestamp>,
    /// Active, suspended or revoked.
    pub status: AuthorizationStatus,
    /// The owner's reference (contract number…).
    pub reference: String,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub create_time: Timestamp,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub update_time: Timestamp,
    /// Revision of its last change (its etag).
    pub update_revision: Revision,
}

/// `Option<[u8; 32]>` as hex text or null.
pub(super) mod optional_hex {
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    pub fn serialize<S: Serializer>(value: &Option<[u8; 32]>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(bytes) => s.serialize_some(&hex::encode(bytes)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<[u8; 32]>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| {
                hex::decode(&text)
                    .ok()
                    .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
                    .ok_or_else(|| D::Error::custom("expected 64 hex digits"))
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A name that nearly every listing holds (a single letter, digit or
    /// Han character, an English function word, however written) would
    /// put every listing in the brand's classes under it.
    #[test]
    fn a_name_every_listing_holds_is_refused() {
        for name in [
            "A",
            "ａ",
            "7",
            "的",
            "The",
            "THE",
            "the.",
            "On",
            "O.N.",
            "with",
            "Ｗｉｔｈ",
        ] {
            assert!(name_refusal(name).is_some(), "{name:?}");
        }
        assert!(name_refusal("On").unwrap().contains("function word"));
        assert!(name_refusal("A").unwrap().contains("single letter"));
        for name in [
            "On Running",
            "The Row",
            "LV",
            "李宁",
            "Coach",
            "Do-Home",
            "Aurelle",
            "Theo",
            "Onyx",
        ] {
            assert_eq!(name_refusal(name), None, "{name:?}");
        }
        assert!(FUNCTION_WORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(
            FUNCTION_WORDS
                .iter()
                .all(|w| fold_exact(w) == *w && w.chars().count() > 1)
        );
    }

    #[test]
    fn an_alias_repeating_the_display_name_is_named_for_it_wherever_it_stands() {
        let names = |aliases: &[&str]| aliases.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>();
        let aliases = names(&["Do-Home", "do home", "Home", "HOME", "~", "~"]);
        assert_eq!(
            alias_repeats(Some("Do Home"), &aliases),
            [
                (0, AliasRepeat::DisplayName),
                (1, AliasRepeat::DisplayName),
                (3, AliasRepeat::Alias(2)),
            ]
        );
        // Without the display name, the aliases among themselves.
        assert_eq!(
            alias_repeats(None, &aliases),
            [(1, AliasRepeat::Alias(0)), (3, AliasRepeat::Alias(2))]
        );
        assert_eq!(
            AliasRepeat::Alias(2).describe("HOME", "Do Home", "brand.aliases"),
            "\"HOME\" repeats brand.aliases[2] once normalized"
        );
    }

    #[test]
    fn the_system_actors_name_is_no_member_id() {
        let system = Slug::parse(super::super::Actor::SYSTEM).expect("a valid slug");
        assert_eq!(
            Member::check_id(&system),
            Err(
                "\"system\" is reserved: it names the server's own changes in the audit trail"
                    .to_owned()
            )
        );
        for id in ["operator", "systems", "system-a"] {
            assert_eq!(Member::check_id(&Slug::parse(id).expect("slug")), Ok(()));
        }
    }
    /// A stored Madrid trademark, as JSON, designating `designated`.
    fn stored_madrid_mark(designated: &str, territories: &str) -> String {
        format!(
            r#"{{"brand":"aurelle","id":"tm1","office":"WO","registration_number":"7700001",
            "mark_text":"AURELLE","kind":"word","nice_classes":16384,"status":"registered",
            "registration_date":null,"expiry_date":null,"designated_countries":{designated},
            "territories":{territories},"update_revision":3}}"#
        )
    }

    fn region(code: &str) -> Region {
        Region::parse(code).expect("region")
    }

    #[test]
    fn a_registration_number_needs_a_letter_or_digit() {
        for bad in ["---", "...", "/", "- -", " . / - "] {
            assert_eq!(
                parse_registration_number(bad),
                Err(format!(
                    "{} has no letter or digit: registration numbers are compared by their \
                     letters and digits",
                    quote(bad)
                )),
                "{bad:?}"
            );
        }
        for (good, kept) in [
            ("-1-", "-1-"),
            (" a/1 ", "A/1"),
            ("x", "X"),
            ("018/123.456", "018/123.456"),
        ] {
            assert_eq!(
                parse_registration_number(good).as_deref(),
                Ok(kept),
                "{good:?}"
            );
        }
        // The character rule first: a number of other characters is named
        // for those.
        assert!(
            parse_registration_number("?!")
                .unwrap_err()
                .ends_with("letters, digits, spaces and -/.")
        );
        assert!(parse_registration_number("   ").is_err());
    }

    #[test]
    fn an_expiry_date_comes_after_the_registration_date() {
        let day = |d: u8| Date::from_calendar_date(2024, time::Month::March, d).expect("date");
        assert_eq!(check_trademark_dates(Some(day(1)), Some(day(2))), Ok(()));
        assert_eq!(check_trademark_dates(None, Some(day(2))), Ok(()));
        assert_eq!(check_trademark_dates(Some(day(2)), None), Ok(()));
        assert_eq!(
            check_trademark_dates(Some(day(2)), Some(day(2))),
            Err("expiry date 2024-03-02 must be after the registration date 2024-03-02".into())
        );
        assert!(check_trademark_dates(Some(day(3)), Some(day(2))).is_err());
        assert_eq!(check_registration_date(Some(day(1)), Some(day(2))), Ok(()));
        assert!(check_registration_date(Some(day(2)), Some(day(2))).is_err());
    }

    /// A trademark stored before the EU was kept as one designation (its
    /// 27 member states in its place) still loads, and covers as 27 national
    /// designations did; one stored with `EM` covers as an EU trade mark,
    /// and is written back as it was read.
    #[test]
    fn stored_designations_load_old_and_new() {
        let members: Vec<String> = super::super::codes::EU_MEMBER_STATES
            .iter()
            .map(|r| format!("{:?}", r.as_str()))
            .collect();
        let members = format!("[{}]", members.join(","));
        let old: Trademark =
            serde_json::from_str(&stored_madrid_mark(&members, &members)).expect("an old mark");
        assert_eq!(old.designated_countries.len(), 27);
        assert!(old.covers_region(region("PM")));

        let json = stored_madrid_mark(r#"["EM","FR"]"#, &members);
        let new: Trademark = serde_json::from_str(&json).expect("a mark designating the EU");
        assert_eq!(
            new.designated_countries,
            [
                Designation::EuropeanUnion,
                Designation::Country(region("FR"))
            ]
        );
        assert!(new.covers_region(region("PM")));
        let written = serde_json::to_string(&new).expect("serialize");
        assert!(
            written.contains(r#""designated_countries":["EM","FR"]"#),
            "{written}"
        );
        assert_eq!(
            serde_json::from_str::<Trademark>(&written).expect("reload"),
            new
        );

        let eu_only: Trademark =
            serde_json::from_str(&stored_madrid_mark(r#"["EM"]"#, &members)).expect("EM");
        for (code, covered) in [("FR", true), ("GP", true), ("AX", true), ("PM", false)] {
            assert_eq!(eu_only.covers_region(region(code)), covered, "{code}");
        }
        assert_eq!(
            eu_only.reach().len(),
            27 + super::super::codes::EU_TERRITORIES.len()
        );
        assert!(
            serde_json::from_str::<Trademark>(&stored_madrid_mark(r#"["EU"]"#, &members)).is_err()
        );
    }
}
