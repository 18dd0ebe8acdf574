//! `marque.v1.CheckService`: what platforms call while a seller creates a
//! listing. Answered from the snapshot alone.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::{ApiError, ApiResult, caller, convert, parse_brand_name, validate::Violations};
use crate::model::quote_as_read;
use crate::{
    auth, listing,
    logo::LogoHash,
    model::{
        NiceClass, Region,
        codes::{self, is_blank, no_control_characters},
    },
    pb::marque::v1::{self as pb, check_service_server::CheckService},
    registry::Registry,
    snapshot::SellerVerdict,
};

/// The check service.
pub struct CheckApi {
    /// The registry whose snapshot answers.
    registry: Arc<Registry>,
}

impl CheckApi {
    /// A service over `registry`.
    pub fn new(registry: Arc<Registry>) -> Self {
        Self { registry }
    }

    async fn check_seller_impl(
        &self,
        request: Request<pb::CheckSellerRequest>,
    ) -> ApiResult<pb::CheckSellerResponse> {
        let caller = caller(&request)?;
        let platform = auth::require_platform(&caller)?.clone();
        let req = request.into_inner();
        let mut v = Violations::new();
        let brand = parse_brand_name(&req.brand, "brand", &mut v);
        let seller = v.check("seller_account", seller_account(&req.seller_account));
        let class = if req.nice_class == 0 {
            None
        } else {
            v.check("nice_class", NiceClass::parse(req.nice_class))
        };
        let region = if req.region.is_empty() {
            None
        } else {
            v.check("region", Region::parse(&req.region))
        };
        let at = match &req.at_time {
            Some(t) => v.check("at_time", convert::parse_timestamp(t)),
            None => Some(time::OffsetDateTime::now_utc()),
        };
        let ((brand, at), seller) = v.done(brand.zip(at).zip(seller))?;
        let snapshot = self.registry.snapshot_at_least(req.min_revision).await?;
        let check = snapshot
            .check_seller(&brand, &platform, &seller, class, region, at)
            .ok_or_else(|| ApiError::NotFound(req.brand.clone()))?;
        let (reason, explanation) = explain(check.verdict, &req, &seller, &platform);
        crate::metrics::count_verdict("CheckSeller", reason.as_str_name());
        Ok(pb::CheckSellerResponse {
            authorized: check.verdict == SellerVerdict::Authorized,
            reason: reason as i32,
            authorization: check.authorization.as_deref().map(convert::authorization),
            explanation,
            checked_at: Some(convert::timestamp(at)),
            revision: snapshot.revision(),
        })
    }
}

/// Most listings in one batch.
pub const MAX_BATCH: usize = 1000;
/// Work a batch does before it lets other calls on its worker run: some
/// listings, or one long one (20,000 characters can take tens of
/// milliseconds), not the whole batch.
const BATCH_SLICE: std::time::Duration = std::time::Duration::from_millis(2);
/// Most image hashes in one listing.
pub const MAX_IMAGE_HASHES: usize = 32;
/// Encoded bytes a BatchCheckListings answer holds at most, well under the
/// 4 MiB a gRPC client accepts by default (tonic, grpc-go, grpcio): a
/// thousand listings of 16 matches each, every match naming its brand,
/// trademark and authorization, come to several megabytes. Past it, a
/// listing's weakest matches are left out (counted in `omitted_matches`;
/// its verdict is unchanged).
pub const MAX_BATCH_ANSWER_BYTES: usize = 3 << 20;
/// Field violations a listing's error in a batch names at most (a listing
/// can have 32 bad image hashes; a thousand such would answer megabytes).
pub const MAX_LISTING_VIOLATIONS: usize = 8;
/// Longest message of a listing's error in a batch, in bytes; each of its
/// field violations' descriptions is cut as a call's are (200 bytes). A
/// description quotes what was sent, escaping what cannot be shown (a
/// combining accent is 6 bytes as `\u0301`): uncut, a thousand listings
/// of 8 such violations answer several megabytes of errors, which
/// [`MAX_BATCH_ANSWER_BYTES`] cannot make room for by leaving out matches.
/// Cut, a thousand errors take at most about 3 MB, each with the longest
/// listing id (128 characters of 4 bytes) echoed beside it.
pub const MAX_LISTING_ERROR_MESSAGE: usize = 512;

/// A seller account as a check names it: by the rule of an authorization's
/// (1 to 128 printable characters, not blank, no surrounding whitespace),
/// since a check with any other could match no authorization; in NFC, as
/// authorizations keep it ([`codes::seller_account`]).
fn seller_account(value: &str) -> Result<String, String> {
    codes::seller_account(value, 1)
}

/// Validates a listing (violations named under `prefix`) into its id and
/// checked form, taking its text rather than copying it. The id is the
/// listing's as sent, or empty when it is itself invalid (a violation
/// names it): an answer echoes only an id it would have taken.
fn parse_listing(l: pb::Listing, prefix: &str, v: &mut Violations) -> (String, listing::Listing) {
    let f = |name: &str| {
        if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}.{name}")
        }
    };
    let chars = |s: &str| s.chars().count();
    let id_chars = chars(&l.listing_id);
    let id_ok = if id_chars > 128 {
        v.add(
            f("listing_id"),
            format!("must be at most 128 characters, got {id_chars}"),
        );
        false
    } else {
        let controls = no_control_characters(&l.listing_id);
        let ok = controls.is_ok();
        v.require(&f("listing_id"), controls);
        ok
    };
    let seller = v
        .check(&f("seller_account"), seller_account(&l.seller_account))
        .unwrap_or_default();
    let title_chars = chars(&l.title);
    if title_chars == 0 || title_chars > 1000 {
        v.add(
            f("title"),
            format!("must be 1 to 1000 characters, got {title_chars}"),
        );
    } else if is_blank(&l.title) {
        v.add(f("title"), "must not be blank");
    } else if listing::title_renders_blank(&l.title) {
        v.add(f("title"), "must not be blank as HTML renders it");
    }
    if chars(&l.description) > 20_000 {
        v.add(
            f("description"),
            format!(
                "must be at most 20000 characters, got {}",
                chars(&l.description)
            ),
        );
    }
    let declared_chars = chars(&l.declared_brand);
    if declared_chars > 200 {
        v.add(
            f("declared_brand"),
            format!("must be at most 200 characters, got {declared_chars}"),
        );
    }
    let nice_class = if l.nice_class == 0 {
        None
    } else {
        v.check(&f("nice_class"), NiceClass::parse(l.nice_class))
    };
    let region = if l.region.is_empty() {
        None
    } else {
        v.check(&f("region"), Region::parse(&l.region))
    };
    if l.image_hashes.len() > MAX_IMAGE_HASHES {
        v.add(
            f("image_hashes"),
            format!(
                "at most {MAX_IMAGE_HASHES} hashes, got {}",
                l.image_hashes.len()
            ),
        );
    }
    let image_hashes = l
        .image_hashes
        .iter()
        .take(MAX_IMAGE_HASHES)
        .enumerate()
        .filter_map(|(i, h)| match LogoHash::parse_hex(h) {
            Ok(hash) => Some(hash.0),
            Err(e) => {
                v.add(format!("{}[{i}]", f("image_hashes")), e.to_string());
                None
            }
        })
        .collect();
    let listing = listing::Listing {
        seller_account: seller,
        title: l.title,
        description: l.description,
        declared_brand: l.declared_brand,
        nice_class,
        region,
        image_hashes,
    };
    let listing_id = if id_ok { l.listing_id } else { String::new() };
    (listing_id, listing)
}

/// A listing outcome for the wire.
///
/// Resource names are concatenated rather than formatted: a response names
/// up to four resources per match.
fn outcome(listing_id: String, o: &listing::Outcome, revision: u64) -> pb::CheckListingResponse {
    use crate::detect::Evidence as E;
    pb::CheckListingResponse {
        listing_id,
        verdict: match o.verdict {
            listing::Verdict::Allow => pb::Verdict::Allow,
            listing::Verdict::Review => pb::Verdict::Review,
            listing::Verdict::Block => pb::Verdict::Block,
        } as i32,
        matches: o
            .matches
            .iter()
            .map(|m| pb::BrandMatch {
                brand: ["brands/", m.brand.id.as_str()].concat(),
                owner: ["members/", m.brand.owner.as_str()].concat(),
                evidence: match m.evidence {
                    E::BrandField => pb::Evidence::BrandField,
                    E::TextExact => pb::Evidence::TextExact,
                    E::TextObfuscated => pb::Evidence::TextObfuscated,
                    E::TextFuzzy { .. } => pb::Evidence::TextFuzzy,
                    E::Logo { .. } => pb::Evidence::Logo,
                } as i32,
                strong: m.strong,
                field: match m.field {
                    listing::Field::DeclaredBrand => pb::ListingField::DeclaredBrand,
                    listing::Field::Title => pb::ListingField::Title,
                    listing::Field::Description => pb::ListingField::Description,
                    listing::Field::Image => pb::ListingField::Image,
                } as i32,
                // For a logo, its resource name (check.proto).
                matched_term: match &m.logo {
                    Some(l) => ["brands/", l.brand.as_str(), "/logos/", l.id.as_str()].concat(),
                    None => o.term(m).to_string(),
                },
                start: m.span.start as u32,
                end: m.span.end as u32,
                trademark: m
                    .trademark
                    .as_ref()
                    .map(|t| ["brands/", t.brand.as_str(), "/trademarks/", t.id.as_str()].concat())
                    .unwrap_or_default(),
                authorization: m
                    .authorization
                    .as_ref()
                    .map(|a| {
                        [
                            "brands/",
                            a.brand.as_str(),
                            "/authorizations/",
                            a.id.as_str(),
                        ]
                        .concat()
                    })
                    .unwrap_or_default(),
                drives_verdict: m.drives_verdict,
                reason: match m.reason {
                    listing::Reason::Unauthorized => pb::MatchReason::Unauthorized,
                    listing::Reason::Authorized => pb::MatchReason::Authorized,
                    listing::Reason::OutOfScope => pb::MatchReason::OutOfScope,
                    listing::Reason::CommonWord => pb::MatchReason::CommonWord,
                    listing::Reason::NominativeUse => pb::MatchReason::NominativeUse,
                } as i32,
                logo_distance: match m.evidence {
                    E::Logo { distance } => distance,
                    _ => 0,
                },
            })
            .collect(),
        signal_terms: o.signal_terms.clone(),
        revision,
        omitted_matches: u32::try_from(o.omitted_matches).unwrap_or(u32::MAX),
    }
}

fn count_verdict(verdict: listing::Verdict) {
    let label = match verdict {
        listing::Verdict::Allow => "ALLOW",
        listing::Verdict::Review => "REVIEW",
        listing::Verdict::Block => "BLOCK",
    };
    crate::metrics::count_verdict("CheckListing", label);
}

impl CheckApi {
    async fn check_listing_impl(
        &self,
        request: Request<pb::CheckListingRequest>,
    ) -> ApiResult<pb::CheckListingResponse> {
        let caller = caller(&request)?;
        let platform = auth::require_platform(&caller)?.clone();
        let req = request.into_inner();
        let mut v = Violations::new();
        let Some(l) = req.listing else {
            return Err(ApiError::Invalid(vec![(
                "listing".into(),
                "is required".into(),
            )]));
        };
        let (listing_id, parsed) = parse_listing(l, "listing", &mut v);
        v.finish()?;
        let snapshot = self.registry.snapshot_at_least(req.min_revision).await?;
        let result = listing::check(
            &snapshot,
            &platform,
            &parsed,
            time::OffsetDateTime::now_utc(),
        );
        count_verdict(result.verdict);
        Ok(outcome(listing_id, &result, snapshot.revision()))
    }

    async fn batch_check_listings_impl(
        &self,
        request: Request<pb::BatchCheckListingsRequest>,
    ) -> ApiResult<pb::BatchCheckListingsResponse> {
        let caller = caller(&request)?;
        let platform = auth::require_platform(&caller)?.clone();
        let req = request.into_inner();
        if req.listings.is_empty() || req.listings.len() > MAX_BATCH {
            return Err(ApiError::Invalid(vec![(
                "listings".into(),
                format!(
                    "must hold 1 to {MAX_BATCH} listings, got {}",
                    req.listings.len()
                ),
            )]));
        }
        let snapshot = self.registry.snapshot_at_least(req.min_revision).await?;
        let now = time::OffsetDateTime::now_utc();
        let mut results = Vec::with_capacity(req.listings.len());
        let mut slice = std::time::Instant::now();
        for (i, l) in req.listings.into_iter().enumerate() {
            // A full batch is milliseconds of work on the full registry, a
            // batch of long descriptions more: it lets the worker's other
            // calls (health probes included) run between slices.
            if slice.elapsed() >= BATCH_SLICE {
                tokio::task::yield_now().await;
                slice = std::time::Instant::now();
            }
            results.push({
                let mut v = Violations::new();
                let (listing_id, parsed) = parse_listing(l, &format!("listings[{i}]"), &mut v);
                let outcome_or_error = match v.finish() {
                    Ok(()) => {
                        let result = listing::check(&snapshot, &platform, &parsed, now);
                        count_verdict(result.verdict);
                        pb::batch_check_result::Outcome::Result(outcome(
                            listing_id.clone(),
                            &result,
                            snapshot.revision(),
                        ))
                    }
                    Err(ApiError::Invalid(violations)) => {
                        pb::batch_check_result::Outcome::Error(bad_request(i, violations))
                    }
                    Err(_) => pb::batch_check_result::Outcome::Error(tonic_types::pb::Status {
                        code: tonic::Code::Internal as i32,
                        message: "internal error".into(),
                        details: Vec::new(),
                    }),
                };
                pb::BatchCheckResult {
                    outcome: Some(outcome_or_error),
                    listing_id,
                }
            });
        }
        fit_within(&mut results, MAX_BATCH_ANSWER_BYTES);
        Ok(pb::BatchCheckListingsResponse {
            results,
            revision: snapshot.revision(),
        })
    }
}

/// Leaves out matches of `results` until they encode in at most `bytes`
/// (with the answer's revision): what each result holds but its matches
/// (ids, verdicts, signal terms, errors) is kept whole, and the room left
/// goes to matches in request order; a result that does not fit whole
/// loses its weakest matches (they come last), counted in
/// `omitted_matches`.
fn fit_within(results: &mut [pb::BatchCheckResult], bytes: usize) {
    use pb::batch_check_result::Outcome;
    use prost::Message as _;
    // A result's place in the answer (its tag and length) and the
    // revision: at most 11 bytes each.
    const FRAMING: usize = 11;
    let matches_len = |r: &pb::CheckListingResponse| {
        r.matches
            .iter()
            .map(|m| {
                let len = m.encoded_len();
                len + prost::encoding::encoded_len_varint(len as u64) + 1
            })
            .sum::<usize>()
    };
    let mut fixed = FRAMING;
    for result in results.iter() {
        fixed += result.encoded_len() + FRAMING;
        if let Some(Outcome::Result(r)) = &result.outcome {
            fixed -= matches_len(r);
        }
    }
    let mut room = bytes.saturating_sub(fixed);
    for result in results.iter_mut() {
        let Some(Outcome::Result(r)) = &mut result.outcome else {
            continue;
        };
        // The count of left-out matches grows the result by a few bytes.
        let mut len = matches_len(r);
        if len > room {
            room = room.saturating_sub(5);
        }
        while len > room && r.matches.pop().is_some() {
            r.omitted_matches += 1;
            len = matches_len(r);
        }
        room -= len;
    }
}

/// An INVALID_ARGUMENT `google.rpc.Status` for listing `index` of a batch,
/// with its field violations as `google.rpc.BadRequest` (the first
/// [`MAX_LISTING_VIOLATIONS`]; the message says how many more there are).
fn bad_request(index: usize, mut violations: Vec<(String, String)>) -> tonic_types::pb::Status {
    use prost::Message as _;
    let more = violations.len().saturating_sub(MAX_LISTING_VIOLATIONS);
    violations.truncate(MAX_LISTING_VIOLATIONS);
    let violations: Vec<(String, String)> = violations
        .into_iter()
        .map(|(field, description)| {
            (
                super::clip(field, super::MAX_VIOLATION_CHARS),
                super::clip(description, super::MAX_VIOLATION_CHARS),
            )
        })
        .collect();
    let head = format!("listing {index} is invalid: ");
    let tail = if more > 0 {
        format!("; and {more} more not listed")
    } else {
        String::new()
    };
    let summary = violations
        .iter()
        .map(|(f, d)| format!("{f}: {d}"))
        .collect::<Vec<_>>()
        .join("; ");
    // Cut in the middle: the message still says which listing, and how
    // many violations the details leave out.
    let summary = super::clip(
        summary,
        MAX_LISTING_ERROR_MESSAGE.saturating_sub(head.len() + tail.len()),
    );
    let bad = tonic_types::pb::BadRequest {
        field_violations: violations
            .into_iter()
            .map(
                |(field, description)| tonic_types::pb::bad_request::FieldViolation {
                    field,
                    description,
                    ..Default::default()
                },
            )
            .collect(),
    };
    tonic_types::pb::Status {
        code: tonic::Code::InvalidArgument as i32,
        message: format!("{head}{summary}{tail}"),
        details: vec![prost_types::Any {
            type_url: "type.googleapis.com/google.rpc.BadRequest".into(),
            value: bad.encode_to_vec(),
        }],
    }
}

/// The reason for `verdict`, and a sentence for people saying it, which
/// names the seller as read (`seller`: in NFC, as authorizations keep it),
/// as it reads ([`quote_as_read`]).
fn explain(
    verdict: SellerVerdict,
    req: &pb::CheckSellerRequest,
    seller: &str,
    platform: &crate::model::Slug,
) -> (pb::SellerCheckReason, String) {
    use pb::SellerCheckReason as R;
    let who = format!("seller {} on members/{platform}", quote_as_read(seller));
    match verdict {
        SellerVerdict::Authorized => (
            R::Authorized,
            format!("{who} is authorized for {}", req.brand),
        ),
        SellerVerdict::ClassNotCovered => (
            R::ClassNotCovered,
            if req.nice_class == 0 {
                format!(
                    "{who} is authorized for {} only in some Nice classes, and no class was given",
                    req.brand
                )
            } else {
                format!(
                    "{who} is not authorized for {} in Nice class {}",
                    req.brand, req.nice_class
                )
            },
        ),
        SellerVerdict::RegionNotCovered => (
            R::RegionNotCovered,
            if req.region.is_empty() {
                format!(
                    "{who} is authorized for {} only in some regions, and no region was given",
                    req.brand
                )
            } else {
                format!(
                    "{who} is not authorized for {} in region {}",
                    req.brand,
                    req.region.to_ascii_uppercase()
                )
            },
        ),
        SellerVerdict::NotYetValid => (
            R::NotYetValid,
            format!(
                "{who}'s authorization for {} has not started yet",
                req.brand
            ),
        ),
        SellerVerdict::Expired => (
            R::Expired,
            format!("{who}'s authorization for {} has ended", req.brand),
        ),
        SellerVerdict::Suspended => (
            R::Suspended,
            format!("{who}'s authorization for {} is suspended", req.brand),
        ),
        SellerVerdict::Revoked => (
            R::Revoked,
            format!("{who}'s authorization for {} was revoked", req.brand),
        ),
        SellerVerdict::NoAuthorization => (
            R::NoAuthorization,
            format!("the owner of {} has not authorized {who}", req.brand),
        ),
        SellerVerdict::BrandArchived => (R::BrandArchived, format!("{} is archived", req.brand)),
    }
}

#[tonic::async_trait]
impl CheckService for CheckApi {
    async fn check_seller(
        &self,
        request: Request<pb::CheckSellerRequest>,
    ) -> Result<Response<pb::CheckSellerResponse>, Status> {
        self.check_seller_impl(request)
            .await
            .map(Response::new)
            .map_err(Status::from)
    }

    async fn check_listing(
        &self,
        request: Request<pb::CheckListingRequest>,
    ) -> Result<Response<pb::CheckListingResponse>, Status> {
        self.check_listing_impl(request)
            .await
            .map(Response::new)
            .map_err(Status::from)
    }

    async fn batch_check_listings(
        &self,
        request: Request<pb::BatchCheckListingsRequest>,
    ) -> Result<Response<pb::BatchCheckListingsResponse>, Status> {
        self.batch_check_listings_impl(request)
            .await
            .map(Response::new)
            .map_err(Status::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// However long the descriptions, a thousand listing errors fit in a
    /// batch answer's bound, each with the longest id a listing may have
    /// (128 characters of 4 bytes).
    #[test]
    fn a_thousand_listing_errors_fit_a_batch_answer() {
        use prost::Message as _;
        let violations: Vec<(String, String)> = (0..32)
            .map(|i| {
                (
                    format!("listings[999].image_hashes[{i}]"),
                    "\\u0301".repeat(1000),
                )
            })
            .collect();
        let error = pb::BatchCheckResult {
            outcome: Some(pb::batch_check_result::Outcome::Error(bad_request(
                999, violations,
            ))),
            listing_id: "\u{1F45C}".repeat(128),
        };
        let Some(pb::batch_check_result::Outcome::Error(status)) = &error.outcome else {
            unreachable!()
        };
        assert!(status.message.len() <= MAX_LISTING_ERROR_MESSAGE);
        assert!(status.message.ends_with("; and 24 more not listed"));
        let answer = pb::BatchCheckListingsResponse {
            results: vec![error; MAX_BATCH],
            revision: u64::MAX,
        };
        assert!(answer.encoded_len() <= MAX_BATCH_ANSWER_BYTES);
    }
}
