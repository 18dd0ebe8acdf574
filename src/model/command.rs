//! Validated write commands. The API edge builds them from requests (every
//! field already checked); the snapshot turns them into changes against the
//! registry's current state (existence, uniqueness, etags).

use super::{
    Authorization, Brand, Date, Designation, MemberKind, NiceClassSet, Office, Region, ResourceId,
    Revision, Slug, Timestamp, Trademark, TrademarkKind, TrademarkStatus, rfc3339, rfc3339_date,
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
        /// Which fields the rows may widen in a live authorization they
        /// replace ([`ImportWidening::widenings`]).
        widen: ImportWidening,
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
    /// Whether the patch sets every field (update mask `*`) rather than
    /// those named: it may then not turn off the common-word flag
    /// ([`BrandPatch::widenings`]).
    pub every_field: bool,
}

impl BrandPatch {
    /// What this patch would widen in `current` without naming it: under
    /// update mask `*`, a common-word flag left false where the brand has
    /// it set would make the brand's name count in every listing's text,
    /// not only in its classes. A field violation for each such field;
    /// none for a patch whose mask names its fields.
    pub fn widenings(&self, current: &Brand) -> Vec<(String, String)> {
        let mut found = Vec::new();
        if self.every_field && current.common_word && self.common_word == Some(false) {
            found.push((
                "brand.common_word".to_owned(),
                "false under update_mask \"*\", which would have the brand's name count in \
                 every listing's text, not only in its classes': name common_word in update_mask \
                 to do so, or send true to keep it"
                    .to_owned(),
            ));
        }
        found
    }
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
    /// Whether the patch sets every field (update mask `*`) rather than
    /// those named: it may then not clear a date the mark has
    /// ([`TrademarkPatch::widenings`]).
    pub every_field: bool,
}

impl TrademarkPatch {
    /// What this patch would widen in `current` without naming it: under
    /// update mask `*`, an expiry date left unset where the mark has one
    /// would have it protect with no end, and a registration date left
    /// unset, from when it was recorded rather than from that date. A field
    /// violation for each such field; none for a patch whose mask names its
    /// fields.
    pub fn widenings(&self, current: &Trademark) -> Vec<(String, String)> {
        let mut found = Vec::new();
        if !self.every_field {
            return found;
        }
        if let (Some(None), Some(registered)) = (self.registration_date, current.registration_date)
        {
            found.push((
                "trademark.registration_date".to_owned(),
                format!(
                    "unset under update_mask \"*\", which would put the brand in scope from when \
                     the mark was recorded: name registration_date in update_mask to do so, or \
                     send it ({}) to keep it",
                    rfc3339_date(registered)
                ),
            ));
        }
        if let (Some(None), Some(expiry)) = (self.expiry_date, current.expiry_date) {
            found.push((
                "trademark.expiry_date".to_owned(),
                format!(
                    "unset under update_mask \"*\", which would have the mark protect with no \
                     end: name expiry_date in update_mask to do so, or send it ({}) to keep it",
                    rfc3339_date(expiry)
                ),
            ));
        }
        found
    }
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
    /// Whether the patch sets every field (update mask `*`) rather than
    /// those named: it may then not empty a field whose empty value widens
    /// the authorization ([`AuthorizationPatch::widenings`]).
    pub every_field: bool,
}

impl AuthorizationPatch {
    /// What this patch would widen in `current` without naming it: under
    /// update mask `*`, classes or regions left empty where the
    /// authorization has some (empty means every class, everywhere), or an
    /// end left unset where it has one (unset means open-ended). A field
    /// violation for each such field; none for a patch whose mask names its
    /// fields, where an empty list or an unset end widens it as asked.
    pub fn widenings(&self, current: &Authorization) -> Vec<(String, String)> {
        let mut found = Vec::new();
        if !self.every_field {
            return found;
        }
        let list = |items: Vec<String>| items.join(", ");
        if self.nice_classes.is_some_and(|c| c.is_empty()) && !current.nice_classes.is_empty() {
            found.push((
                "authorization.nice_classes".to_owned(),
                format!(
                    "empty under update_mask \"*\", which would widen it to every class: name \
                     nice_classes in update_mask to do so, or send its classes ({}) to keep them",
                    list(current.nice_classes.iter().map(|c| c.to_string()).collect())
                ),
            ));
        }
        if self.regions.as_ref().is_some_and(Vec::is_empty) && !current.regions.is_empty() {
            found.push((
                "authorization.regions".to_owned(),
                format!(
                    "empty under update_mask \"*\", which would widen it to everywhere: name \
                     regions in update_mask to do so, or send its regions ({}) to keep them",
                    list(current.regions.iter().map(|r| r.to_string()).collect())
                ),
            ));
        }
        if let (Some(None), Some(until)) = (self.valid_until, current.valid_until) {
            found.push((
                "authorization.valid_until".to_owned(),
                format!(
                    "unset under update_mask \"*\", which would make it open-ended: name \
                     valid_until in update_mask to do so, or send its end ({}) to keep it",
                    rfc3339(until)
                ),
            ));
        }
        found
    }
}

/// Which fields of a live authorization an import's rows may widen by
/// leaving them empty: its `widen` mask. A row replaces a live
/// authorization's scope, and an empty field in it is the widest value
/// (every class, everywhere, no end), so a row that leaves one out would
/// widen the authorization as an update mask of `*` would, unseen: the
/// import says which fields it means to widen, as an update names them in
/// its mask.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportWidening {
    /// Rows may leave `nice_classes` empty where the live authorization
    /// has classes (every class).
    pub nice_classes: bool,
    /// Rows may leave `regions` empty where it has regions (everywhere).
    pub regions: bool,
    /// Rows may leave `valid_until` unset where it has an end (no end).
    pub valid_until: bool,
}

impl ImportWidening {
    /// The fields an import's `widen` mask may name, in the order the
    /// fingerprint of an import as read lists them.
    pub const FIELDS: [&str; 3] = ["nice_classes", "regions", "valid_until"];

    /// Whether the mask names `field`, one of [`ImportWidening::FIELDS`].
    pub fn names(&self, field: &str) -> bool {
        match field {
            "nice_classes" => self.nice_classes,
            "regions" => self.regions,
            "valid_until" => self.valid_until,
            _ => false,
        }
    }

    /// What `next`, the scope an import row gives `live` (the seller's
    /// live authorization), would widen without the import naming it:
    /// classes or regions left empty where `live` has some, or no end
    /// where it has one. A field violation under `row` (`rows[7]`) for
    /// each such field. A row that creates an authorization widens
    /// nothing (it is no authorization yet, as in AuthorizeSeller), and
    /// one that keeps a scope already that wide widens nothing either.
    pub fn widenings(
        &self,
        next: &Authorization,
        live: &Authorization,
        row: &str,
    ) -> Vec<(String, String)> {
        let mut found = Vec::new();
        let list = |items: Vec<String>| items.join(", ");
        if !self.nice_classes && next.nice_classes.is_empty() && !live.nice_classes.is_empty() {
            found.push((
                format!("{row}.nice_classes"),
                format!(
                    "empty, which would widen the seller's live authorization to every class: \
                     name nice_classes in widen to do so, or send its classes ({}) to keep them",
                    list(live.nice_classes.iter().map(|c| c.to_string()).collect())
                ),
            ));
        }
        if !self.regions && next.regions.is_empty() && !live.regions.is_empty() {
            found.push((
                format!("{row}.regions"),
                format!(
                    "empty, which would widen the seller's live authorization to everywhere: \
                     name regions in widen to do so, or send its regions ({}) to keep them",
                    list(live.regions.iter().map(|r| r.to_string()).collect())
                ),
            ));
        }
        if let (false, None, Some(until)) = (self.valid_until, next.valid_until, live.valid_until) {
            found.push((
                format!("{row}.valid_until"),
                format!(
                    "unset, which would make the seller's live authorization open-ended: name \
                     valid_until in widen to do so, or send its end ({}) to keep it",
                    rfc3339(until)
                ),
            ));
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AuthorizationStatus, BrandStatus};

    fn at(year: i32) -> Timestamp {
        time::Date::from_calendar_date(year, time::Month::January, 1)
            .unwrap()
            .midnight()
            .assume_utc()
    }

    fn scoped() -> Authorization {
        Authorization {
            brand: Slug::parse("alpha").unwrap(),
            id: ResourceId::parse("a1").unwrap(),
            platform: Slug::parse("shop").unwrap(),
            seller_account: "seller".into(),
            nice_classes: NiceClassSet::parse_list(&[14, 25]).unwrap(),
            regions: vec![Region::parse("FR").unwrap(), Region::parse("DE").unwrap()],
            valid_from: at(2030),
            valid_until: Some(at(2031)),
            status: AuthorizationStatus::Active,
            reference: "contract 7".into(),
            create_time: at(2030),
            update_time: at(2030),
            update_revision: 3,
        }
    }

    /// What `*` sends when the owner gives only a new end: every other
    /// field empty, as a JSON request that leaves them out reads.
    fn star(valid_until: Option<Timestamp>) -> AuthorizationPatch {
        AuthorizationPatch {
            nice_classes: Some(NiceClassSet::empty()),
            regions: Some(Vec::new()),
            valid_from: Some(at(2030)),
            valid_until: Some(valid_until),
            status: Some(AuthorizationStatus::Active),
            reference: Some(String::new()),
            every_field: true,
        }
    }

    fn fields(found: &[(String, String)]) -> Vec<&str> {
        found.iter().map(|(field, _)| field.as_str()).collect()
    }

    #[test]
    fn a_star_update_may_not_widen_a_scoped_authorization() {
        let current = scoped();
        let found = star(Some(at(2032))).widenings(&current);
        assert_eq!(
            fields(&found),
            ["authorization.nice_classes", "authorization.regions"]
        );
        assert!(found[0].1.contains("to every class"), "{found:?}");
        assert!(
            found[0].1.contains("name nice_classes in update_mask"),
            "{found:?}"
        );
        assert!(
            found[0].1.contains("send its classes (14, 25)"),
            "{found:?}"
        );
        assert!(
            found[1].1.contains("send its regions (FR, DE)"),
            "{found:?}"
        );
        // Whole within what an answer keeps of a description (200 bytes).
        for (_, said) in &found {
            assert!(said.len() <= 200, "{} bytes: {said}", said.len());
        }
        let found = star(None).widenings(&current);
        assert_eq!(
            fields(&found),
            [
                "authorization.nice_classes",
                "authorization.regions",
                "authorization.valid_until"
            ]
        );
        assert!(found[2].1.contains("2031-01-01T00:00:00Z"), "{found:?}");
        // Its scope sent back: nothing widens (the reference is cleared,
        // which widens nothing).
        let kept = AuthorizationPatch {
            nice_classes: Some(current.nice_classes),
            regions: Some(current.regions.clone()),
            ..star(Some(at(2032)))
        };
        assert!(kept.widenings(&current).is_empty());
    }

    #[test]
    fn naming_a_field_widens_it_and_a_star_keeps_what_is_already_wide() {
        let current = scoped();
        let named = AuthorizationPatch {
            every_field: false,
            ..star(None)
        };
        assert!(named.widenings(&current).is_empty());
        let wide = Authorization {
            nice_classes: NiceClassSet::empty(),
            regions: Vec::new(),
            valid_until: None,
            ..scoped()
        };
        assert!(star(None).widenings(&wide).is_empty());
    }

    #[test]
    fn a_star_update_may_not_clear_a_marks_dates_nor_a_common_word_flag() {
        let date = |year| time::Date::from_calendar_date(year, time::Month::June, 1).unwrap();
        let mark = Trademark {
            brand: Slug::parse("alpha").unwrap(),
            id: ResourceId::parse("t1").unwrap(),
            office: Office::parse("CN").unwrap(),
            registration_number: "T-1".into(),
            mark_text: "ALPHA".into(),
            kind: TrademarkKind::Word,
            nice_classes: NiceClassSet::parse_list(&[14]).unwrap(),
            status: TrademarkStatus::Registered,
            registration_date: Some(date(2020)),
            expiry_date: Some(date(2030)),
            designated_countries: Vec::new(),
            territories: vec![Region::parse("CN").unwrap()],
            update_revision: 2,
        };
        let cleared = TrademarkPatch {
            registration_date: Some(None),
            expiry_date: Some(None),
            every_field: true,
            ..TrademarkPatch::default()
        };
        let found = cleared.widenings(&mark);
        assert_eq!(
            fields(&found),
            ["trademark.registration_date", "trademark.expiry_date"]
        );
        assert!(found[1].1.contains("2030-06-01"), "{found:?}");
        let named = TrademarkPatch {
            every_field: false,
            ..cleared.clone()
        };
        assert!(named.widenings(&mark).is_empty());
        let undated = Trademark {
            registration_date: None,
            expiry_date: None,
            ..mark
        };
        assert!(cleared.widenings(&undated).is_empty());

        let brand = Brand {
            id: Slug::parse("coach-light").unwrap(),
            owner: Slug::parse("vellano").unwrap(),
            display_name: "Coach Light".into(),
            aliases: Vec::new(),
            common_word: true,
            status: BrandStatus::Active,
            create_time: at(2030),
            update_time: at(2030),
            update_revision: 1,
        };
        let star = |common_word| BrandPatch {
            display_name: Some("Coach Light".into()),
            aliases: Some(Vec::new()),
            common_word: Some(common_word),
            every_field: true,
        };
        assert_eq!(
            fields(&star(false).widenings(&brand)),
            ["brand.common_word"]
        );
        assert!(star(true).widenings(&brand).is_empty());
        let named = BrandPatch {
            every_field: false,
            ..star(false)
        };
        assert!(named.widenings(&brand).is_empty());
    }

    #[test]
    fn an_import_row_may_not_widen_a_live_authorization_unless_named() {
        let live = scoped();
        let wide = Authorization {
            nice_classes: NiceClassSet::empty(),
            regions: Vec::new(),
            valid_until: None,
            ..scoped()
        };
        let none = ImportWidening::default();
        let found = none.widenings(&wide, &live, "rows[3]");
        assert_eq!(
            fields(&found),
            [
                "rows[3].nice_classes",
                "rows[3].regions",
                "rows[3].valid_until"
            ]
        );
        assert!(
            found[0].1.contains("name nice_classes in widen")
                && found[0].1.contains("send its classes (14, 25)"),
            "{found:?}"
        );
        assert!(
            found[1].1.contains("send its regions (FR, DE)"),
            "{found:?}"
        );
        assert!(found[2].1.contains("2031-01-01T00:00:00Z"), "{found:?}");
        for (_, said) in &found {
            assert!(said.len() <= 200, "{} bytes: {said}", said.len());
        }
        // Each field named widens that field only.
        let regions = ImportWidening {
            regions: true,
            ..ImportWidening::default()
        };
        assert_eq!(
            fields(&regions.widenings(&wide, &live, "rows[0]")),
            ["rows[0].nice_classes", "rows[0].valid_until"]
        );
        let every = ImportWidening {
            nice_classes: true,
            regions: true,
            valid_until: true,
        };
        assert!(every.widenings(&wide, &live, "rows[0]").is_empty());
        // A scope already that wide, repeated, widens nothing; nor does a
        // narrower or another non-empty one.
        assert!(none.widenings(&wide, &wide, "rows[0]").is_empty());
        assert!(none.widenings(&live, &live, "rows[0]").is_empty());
        let other = Authorization {
            nice_classes: NiceClassSet::parse_list(&[3]).unwrap(),
            regions: vec![Region::parse("JP").unwrap()],
            valid_until: Some(at(2040)),
            ..scoped()
        };
        assert!(none.widenings(&other, &live, "rows[0]").is_empty());
        assert!(ImportWidening::FIELDS.iter().all(|f| every.names(f)));
        assert!(!every.names("valid_from"));
    }
}
