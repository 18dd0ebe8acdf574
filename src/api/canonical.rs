//! Write requests as read: each rebuilt from the values its handler parsed,
//! for the fingerprint stored with a request id
//! ([`super::RequestFingerprints`]).
//!
//! Two requests the registry reads alike rebuild into one message: a seller
//! account in NFD is rebuilt in NFC, `fr` as `FR`, regions, designations and
//! Nice classes sorted, an update's mask (`*`, or its paths in any order) as
//! the paths it names in one order, with only the fields it names, and
//! output-only fields (a brand's `owner`, a trademark's `territories`)
//! left out. A retry with the same `request_id` written in such another
//! spelling is then the same request.
//!
//! The rebuilt messages are protobuf, encoded deterministically: a field
//! added to the API later, left at its default, adds nothing to the
//! encoding, so fingerprints stored now keep matching.

use crate::{
    api::convert,
    model::{
        self, AuthorizationPatch, AuthorizationSpec, BrandPatch, ImportWidening, NiceClassSet,
        Revision, Slug, TrademarkPatch, TrademarkSpec,
    },
    pb::marque::v1 as pb,
};

fn classes(set: NiceClassSet) -> Vec<i32> {
    set.iter().map(|c| i32::from(c.get())).collect()
}

fn etag(etag: Option<Revision>) -> String {
    etag.map(model::etag).unwrap_or_default()
}

/// An update's mask: the paths of the fields set, in the order given.
fn mask(paths: &[(&str, bool)]) -> Option<prost_types::FieldMask> {
    Some(prost_types::FieldMask {
        paths: paths
            .iter()
            .filter(|(_, set)| *set)
            .map(|(path, _)| (*path).to_owned())
            .collect(),
    })
}

/// An authorization as AuthorizeSeller or an import row gives it.
pub fn authorization(spec: &AuthorizationSpec) -> pb::Authorization {
    pb::Authorization {
        platform: format!("members/{}", spec.platform),
        seller_account: spec.seller_account.clone(),
        nice_classes: classes(spec.nice_classes),
        regions: spec.regions.iter().map(|r| r.as_str().to_owned()).collect(),
        valid_from: spec.valid_from.map(convert::timestamp),
        valid_until: spec.valid_until.map(convert::timestamp),
        reference: spec.reference.clone(),
        ..Default::default()
    }
}

/// An import's `widen` mask as read: the fields it names, in one order.
pub fn import_widening(widen: ImportWidening) -> prost_types::FieldMask {
    prost_types::FieldMask {
        paths: ImportWidening::FIELDS
            .iter()
            .filter(|field| widen.names(field))
            .map(|field| (*field).to_owned())
            .collect(),
    }
}

/// AuthorizeSeller as read.
pub fn authorize_seller(
    brand: &Slug,
    spec: &AuthorizationSpec,
    request_id: &str,
) -> pb::AuthorizeSellerRequest {
    pb::AuthorizeSellerRequest {
        parent: format!("brands/{brand}"),
        authorization: Some(authorization(spec)),
        request_id: request_id.to_owned(),
    }
}

/// UpdateAuthorization as read.
pub fn update_authorization(
    name: &str,
    patch: &AuthorizationPatch,
    etag_value: Option<Revision>,
    request_id: &str,
) -> pb::UpdateAuthorizationRequest {
    let authorization = pb::Authorization {
        name: name.to_owned(),
        nice_classes: patch.nice_classes.map(classes).unwrap_or_default(),
        regions: patch
            .regions
            .iter()
            .flatten()
            .map(|r| r.as_str().to_owned())
            .collect(),
        valid_from: patch.valid_from.map(convert::timestamp),
        valid_until: patch.valid_until.flatten().map(convert::timestamp),
        status: patch
            .status
            .map_or(0, |s| convert::authorization_status(s) as i32),
        reference: patch.reference.clone().unwrap_or_default(),
        etag: etag(etag_value),
        ..Default::default()
    };
    pb::UpdateAuthorizationRequest {
        authorization: Some(authorization),
        update_mask: mask(&[
            ("nice_classes", patch.nice_classes.is_some()),
            ("regions", patch.regions.is_some()),
            ("valid_from", patch.valid_from.is_some()),
            ("valid_until", patch.valid_until.is_some()),
            ("status", patch.status.is_some()),
            ("reference", patch.reference.is_some()),
        ]),
        request_id: request_id.to_owned(),
    }
}

/// A request that names one resource, as ArchiveBrand's does: a removal,
/// a revocation, an archive (fingerprinted under each RPC's own name).
pub fn named(
    name: String,
    etag_value: Option<Revision>,
    request_id: &str,
) -> pb::ArchiveBrandRequest {
    pb::ArchiveBrandRequest {
        name,
        etag: etag(etag_value),
        request_id: request_id.to_owned(),
    }
}

/// CreateMember as read.
pub fn create_member(
    id: &Slug,
    display_name: &str,
    kind: model::MemberKind,
    request_id: &str,
) -> pb::CreateMemberRequest {
    pb::CreateMemberRequest {
        member_id: id.to_string(),
        member: Some(pb::Member {
            display_name: display_name.to_owned(),
            kind: convert::member_kind(kind) as i32,
            ..Default::default()
        }),
        request_id: request_id.to_owned(),
    }
}

/// CreateApiKey as read.
pub fn create_api_key(
    member: &Slug,
    description: &str,
    request_id: &str,
) -> pb::CreateApiKeyRequest {
    pb::CreateApiKeyRequest {
        parent: format!("members/{member}"),
        description: description.to_owned(),
        request_id: request_id.to_owned(),
    }
}

/// AddLogo as read: an image by its SHA-256, which is kept with the logo
/// (the same bytes, the same digest; an upload of megabytes is not copied
/// again for it), a perceptual hash in its canonical hex.
pub fn add_logo(
    brand: &Slug,
    description: &str,
    source: &model::LogoSource,
    request_id: &str,
) -> pb::AddLogoRequest {
    use pb::add_logo_request::Source;
    pb::AddLogoRequest {
        parent: format!("brands/{brand}"),
        description: description.to_owned(),
        source: Some(match source.image_sha256 {
            Some(digest) => Source::Image(digest.to_vec()),
            None => Source::PerceptualHash(source.hash.to_hex()),
        }),
        request_id: request_id.to_owned(),
    }
}

/// CreateBrand as read: the fields it reads (a brand's name, owner, status,
/// times and etag are output only).
pub fn create_brand(
    id: &Slug,
    display_name: &str,
    aliases: &[String],
    common_word: bool,
    request_id: &str,
) -> pb::CreateBrandRequest {
    pb::CreateBrandRequest {
        brand_id: id.to_string(),
        brand: Some(pb::Brand {
            display_name: display_name.to_owned(),
            aliases: aliases.to_vec(),
            common_word,
            ..Default::default()
        }),
        request_id: request_id.to_owned(),
    }
}

/// UpdateBrand as read.
pub fn update_brand(
    id: &Slug,
    patch: &BrandPatch,
    etag_value: Option<Revision>,
    request_id: &str,
) -> pb::UpdateBrandRequest {
    pb::UpdateBrandRequest {
        brand: Some(pb::Brand {
            name: format!("brands/{id}"),
            display_name: patch.display_name.clone().unwrap_or_default(),
            aliases: patch.aliases.clone().unwrap_or_default(),
            common_word: patch.common_word.unwrap_or_default(),
            etag: etag(etag_value),
            ..Default::default()
        }),
        update_mask: mask(&[
            ("display_name", patch.display_name.is_some()),
            ("aliases", patch.aliases.is_some()),
            ("common_word", patch.common_word.is_some()),
        ]),
        request_id: request_id.to_owned(),
    }
}

/// AddTrademark as read: its territories, output only, follow from the
/// rest.
pub fn add_trademark(
    brand: &Slug,
    spec: &TrademarkSpec,
    request_id: &str,
) -> pb::AddTrademarkRequest {
    pb::AddTrademarkRequest {
        parent: format!("brands/{brand}"),
        trademark: Some(pb::Trademark {
            office: spec.office.as_str().to_owned(),
            registration_number: spec.registration_number.clone(),
            mark_text: spec.mark_text.clone(),
            kind: convert::trademark_kind(spec.kind) as i32,
            nice_classes: classes(spec.nice_classes),
            status: convert::trademark_status(spec.status) as i32,
            registration_date: spec.registration_date.map(convert::date),
            expiry_date: spec.expiry_date.map(convert::date),
            designated_countries: spec
                .designated_countries
                .iter()
                .map(|d| d.as_str().to_owned())
                .collect(),
            ..Default::default()
        }),
        request_id: request_id.to_owned(),
    }
}

/// UpdateTrademark as read.
pub fn update_trademark(
    name: &str,
    patch: &TrademarkPatch,
    etag_value: Option<Revision>,
    request_id: &str,
) -> pb::UpdateTrademarkRequest {
    pb::UpdateTrademarkRequest {
        trademark: Some(pb::Trademark {
            name: name.to_owned(),
            mark_text: patch.mark_text.clone().unwrap_or_default(),
            kind: patch.kind.map_or(0, |k| convert::trademark_kind(k) as i32),
            nice_classes: patch.nice_classes.map(classes).unwrap_or_default(),
            status: patch
                .status
                .map_or(0, |s| convert::trademark_status(s) as i32),
            registration_date: patch.registration_date.flatten().map(convert::date),
            expiry_date: patch.expiry_date.flatten().map(convert::date),
            designated_countries: patch
                .designated_countries
                .iter()
                .flatten()
                .map(|d| d.as_str().to_owned())
                .collect(),
            etag: etag(etag_value),
            ..Default::default()
        }),
        update_mask: mask(&[
            ("mark_text", patch.mark_text.is_some()),
            ("kind", patch.kind.is_some()),
            ("nice_classes", patch.nice_classes.is_some()),
            ("status", patch.status.is_some()),
            ("registration_date", patch.registration_date.is_some()),
            ("expiry_date", patch.expiry_date.is_some()),
            ("designated_countries", patch.designated_countries.is_some()),
        ]),
        request_id: request_id.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{NiceClassSet, Region};

    fn spec(seller: &str, regions: &[&str], classes: &[i32]) -> AuthorizationSpec {
        let mut regions: Vec<Region> = regions.iter().map(|r| Region::parse(r).unwrap()).collect();
        regions.sort();
        AuthorizationSpec {
            platform: Slug::parse("platform-p").unwrap(),
            seller_account: seller.to_owned(),
            nice_classes: NiceClassSet::parse_list(classes).unwrap(),
            regions,
            valid_from: None,
            valid_until: None,
            reference: String::new(),
        }
    }

    #[test]
    fn spellings_read_alike_rebuild_alike() {
        let brand = Slug::parse("alpha").unwrap();
        let a = authorize_seller(&brand, &spec("s-1", &["fr", "DE"], &[25, 18]), "r");
        let b = authorize_seller(&brand, &spec("s-1", &["de", "FR"], &[18, 25]), "r");
        assert_eq!(a, b);
        assert_eq!(a.authorization.as_ref().unwrap().regions, ["DE", "FR"]);
        assert_eq!(a.authorization.as_ref().unwrap().nice_classes, [18, 25]);
        let c = authorize_seller(&brand, &spec("s-2", &["fr", "DE"], &[25, 18]), "r");
        assert_ne!(a, c);
    }

    #[test]
    fn a_logo_image_is_read_by_its_digest() {
        let brand = Slug::parse("alpha").unwrap();
        let hash = crate::logo::LogoHash::parse_hex("00ff00ff00ff00ff").unwrap();
        let source = |image_sha256| model::LogoSource { hash, image_sha256 };
        let image = add_logo(&brand, "d", &source(Some([1; 32])), "r");
        assert_eq!(image, add_logo(&brand, "d", &source(Some([1; 32])), "r"));
        assert_ne!(image, add_logo(&brand, "d", &source(Some([2; 32])), "r"));
        assert_ne!(image, add_logo(&brand, "d", &source(None), "r"));
    }

    #[test]
    fn an_update_keeps_only_what_its_mask_names() {
        let id = Slug::parse("alpha").unwrap();
        let patch = BrandPatch {
            common_word: Some(true),
            ..Default::default()
        };
        let read = update_brand(&id, &patch, Some(7), "r");
        assert_eq!(read.update_mask.unwrap().paths, ["common_word"]);
        let brand = read.brand.unwrap();
        assert!(brand.common_word && brand.display_name.is_empty());
        assert_eq!(brand.etag, "7");
    }
}
