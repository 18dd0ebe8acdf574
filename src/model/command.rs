//! Validated write commands. The API edge builds them from requests (every
//! field already checked); the snapshot turns them into changes against the
//! registry's current state (existence, uniqueness, etags).

use super::{
    Date, Designation, MemberKind, NiceClassSet, Office, Region, ResourceId, Revision, Slug,
    Timestamp, TrademarkKind, TrademarkStatus,
};
use crate::logo::LogoHash;

/// What a write asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Create a member.
    CreateMember {
        /// Its slug.
        id: Slug,
        /// Its name.
        display_name: String,
        /// Its kind.
        kind: MemberKind,
    },
    /// Register an API key (its hash) for a member.
    CreateApiKey {
        /// The member.
        member: Slug,
        /// The key id, embedded in the secret.
        id: ResourceId,
        /// What it is for.
        description: String,
        /// SHA-256 of the secret.
        secret_sha256: [u8; 32],
    },
    /// Revoke an API key.
    RevokeApiKey {
        /// The member.
        member: Slug,
        /// The key.
        id: ResourceId,
    },
    /// Create a brand owned by `owner`.
    CreateBrand {
        /// Its slug.
        id: Slug,
        /// Owner member.
        owner: Slug,
        /// Name as written.
        display_name: String,
        /// Aliases.
        aliases: Vec<String>,
        /// Common-word flag.
        common_word: bool,
    },
    /// Change a brand.
    UpdateBrand {
        /// The brand.
        id: Slug,
        /// What to change.
        patch: BrandPatch,
        /// Required current etag, if given.
        etag: Option<Revision>,
    },
    /// Archive a brand.
    ArchiveBrand {
        /// The brand.
        id: Slug,
        /// Required current etag, if given.
        etag: Option<Revision>,
    },
    /// Add a trademark.
    AddTrademark {
        /// The brand.
        brand: Slug,
        /// The new id.
        id: ResourceId,
        /// The trademark.
        spec: TrademarkSpec,
    },
    /// Change a trademark.
    UpdateTrademark {
        /// The brand.
        brand: Slug,
        /// The trademark.
        id: ResourceId,
        /// What to change.
        patch: TrademarkPatch,
        /// Required current etag, if given.
        etag: Option<Revision>,
    },
    /// Remove a trademark.
    RemoveTrademark {
        /// The brand.
        brand: Slug,
        /// The trademark.
        id: ResourceId,
    },
    /// Add a logo.
    AddLogo {
        /// The brand.
        brand: Slug,
        /// The new id.
        id: ResourceId,
        /// What it is.
        description: String,
        /// The hash and where it came from.
        source: LogoSource,
    },
    /// Remove a logo.
    RemoveLogo {
        /// The brand.
        brand: Slug,
        /// The logo.
        id: ResourceId,
    },
    /// Authorize a seller.
    AuthorizeSeller {
        /// The brand.
        brand: Slug,
        /// The new id.
        id: ResourceId,
        /// The authorization.
        spec: AuthorizationSpec,
    },
    /// Change an authorization.
    UpdateAuthorization {
        /// The brand.
        brand: Slug,
        /// The authorization.
        id: ResourceId,
        /// What to change.
        patch: AuthorizationPatch,
        /// Required current etag, if given.
        etag: Option<Revision>,
    },
    /// Revoke an authorization.
    RevokeAuthorization {
        /// The brand.
        brand: Slug,
        /// The authorization.
        id: ResourceId,
    },
    /// Import many authorizations of one brand: each row creates one, or
    /// replaces the scope of the seller's live one on that platform.
    ImportAuthorizations {
        /// The brand.
        brand: Slug,
        /// The rows, each with the id to use if it creates an authorization.
        rows: Vec<(ResourceId, AuthorizationSpec)>,
    },
}

/// Fields of a brand to change; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BrandPatch {
    /// New display name.
    pub display_name: Option<String>,
    /// New aliases (replacing all).
    pub aliases: Option<Vec<String>>,
    /// New common-word flag.
    pub common_word: Option<bool>,
}

/// A trademark as given by its owner.
#[derive(Clone, Debug, PartialEq)]
pub struct TrademarkSpec {
    /// Registering office.
    pub office: Office,
    /// Registration number.
    pub registration_number: String,
    /// Mark text.
    pub mark_text: String,
    /// Kind.
    pub kind: TrademarkKind,
    /// Classes (non-empty).
    pub nice_classes: NiceClassSet,
    /// Status.
    pub status: TrademarkStatus,
    /// Registration date.
    pub registration_date: Option<Date>,
    /// Expiry date (exclusive).
    pub expiry_date: Option<Date>,
    /// Designations (countries, or the EU as one), sorted by code.
    pub designated_countries: Vec<Designation>,
    /// Territories resolved from the office and designations.
    pub territories: Vec<Region>,
}

/// Fields of a trademark to change.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrademarkPatch {
    /// New mark text.
    pub mark_text: Option<String>,
    /// New kind.
    pub kind: Option<TrademarkKind>,
    /// New classes.
    pub nice_classes: Option<NiceClassSet>,
    /// New status.
    pub status: Option<TrademarkStatus>,
    /// New registration date (inner `None` clears it).
    pub registration_date: Option<Option<Date>>,
    /// New expiry date (inner `None` clears it).
    pub expiry_date: Option<Option<Date>>,
    /// New designated countries (territories are resolved again).
    pub designated_countries: Option<Vec<Designation>>,
}

/// Where a logo's hash came from.
#[derive(Clone, Debug, PartialEq)]
pub struct LogoSource {
    /// The perceptual hash.
    pub hash: LogoHash,
    /// SHA-256 of the uploaded image, if an image was uploaded.
    pub image_sha256: Option<[u8; 32]>,
}

/// An authorization as given by the brand owner.
#[derive(Clone, Debug, PartialEq)]
pub struct AuthorizationSpec {
    /// The platform.
    pub platform: Slug,
    /// The seller account on it.
    pub seller_account: String,
    /// Classes; empty = all.
    pub nice_classes: NiceClassSet,
    /// Regions; empty = everywhere.
    pub regions: Vec<Region>,
    /// Start (inclusive); `None` = at creation.
    pub valid_from: Option<Timestamp>,
    /// End (exclusive); `None` = open-ended.
    pub valid_until: Option<Timestamp>,
    /// Owner's reference.
    pub reference: String,
}

/// Fields of an authorization to change.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AuthorizationPatch {
    /// New classes.
    pub nice_classes: Option<NiceClassSet>,
    /// New regions.
    pub regions: Option<Vec<Region>>,
    /// New start.
    pub valid_from: Option<Timestamp>,
    /// New end (inner `None` makes it open-ended).
    pub valid_until: Option<Option<Timestamp>>,
    /// New status: active or suspended.
    pub status: Option<super::AuthorizationStatus>,
    /// New reference.
    pub reference: Option<String>,
}
