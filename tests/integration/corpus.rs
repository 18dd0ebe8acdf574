//! The listing-check corpus through the real gRPC API.
//!
//! Loads `tests/data/corpus-registry.toml` into a real server (the harness's
//! `Start::fixture()` with its seed replaced), then sends every listing of
//! `tests/data/listings.toml` as its platform, with that platform's key from
//! the registry file, and checks the verdict and the strongest evidence (the
//! first match of the answer) against what DESIGN.md "Listing check
//! semantics" requires. Every mismatch is collected; the test fails once,
//! listing them all. `cargo run --example corpus` scores the same corpus
//! in-process; `docs/corpus.md` describes it.

use crate::common;

use std::{
    collections::{BTreeMap, BTreeSet},
    path::Path,
};

use common::Start;
use marque::{pb::marque::v1 as pb, seed::Seed};

const REGISTRY: &str = "tests/data/corpus-registry.toml";
const LISTINGS: &str = "tests/data/listings.toml";
const HELD_OUT: &str = "tests/data/heldout.toml";
const ADVERSARIAL: &str = "tests/data/adversarial.toml";
const PLATFORMS: [&str; 2] = ["shopwise", "bazaar-east"];

#[path = "../data/corpus_rows.rs"]
mod corpus_rows;
use corpus_rows::{Corpus, Place, Row};

impl Row {
    fn listing(&self) -> pb::Listing {
        pb::Listing {
            listing_id: self.id.clone(),
            seller_account: self.seller_account.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            declared_brand: self.declared_brand.clone(),
            nice_class: self.nice_class.unwrap_or(0),
            region: self.region.clone().unwrap_or_default(),
            image_hashes: self.image_hashes.clone(),
        }
    }

    fn mismatch(&self, how: &str, got: &str) -> String {
        format!(
            "{} [{how}] expected {} {} {}, got {got}: {}",
            self.id,
            self.verdict,
            self.evidence,
            self.reason.as_deref().unwrap_or("(any reason)"),
            self.note
        )
    }
}

fn read(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

fn corpus() -> Vec<Row> {
    rows_of(LISTINGS)
}

fn rows_of(path: &str) -> Vec<Row> {
    let corpus: Corpus =
        toml::from_str(&read(path)).unwrap_or_else(|e| panic!("invalid {path}: {e}"));
    corpus.listings
}

/// The first API key of `member` in the registry file.
fn key_of(registry: &toml::Value, member: &str) -> String {
    registry["members"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["id"].as_str() == Some(member))
        .and_then(|m| m["api_keys"][0]["secret"].as_str())
        .unwrap_or_else(|| panic!("{REGISTRY} has no key for {member}"))
        .to_string()
}

use common::Check;

/// A server over the corpus registry, and a check client per platform.
async fn start() -> (common::TestServer, BTreeMap<&'static str, Check>) {
    let text = read(REGISTRY);
    let mut start = Start::fixture();
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    start.options.seed =
        Some(Seed::parse(&text, &base).unwrap_or_else(|e| panic!("invalid {REGISTRY}: {e:#}")));
    let server = start.start().await;
    let registry: toml::Value = toml::from_str(&text).expect("registry TOML");
    let clients = PLATFORMS
        .into_iter()
        .map(|platform| {
            let client = pb::check_service_client::CheckServiceClient::with_interceptor(
                server.channel(),
                common::Bearer::key(&key_of(&registry, platform)),
            );
            (platform, client)
        })
        .collect();
    (server, clients)
}

/// `VERDICT EVIDENCE` of an answer, as the corpus spells them.
fn outcome(answer: &pb::CheckListingResponse) -> (String, String, String) {
    let verdict = pb::Verdict::try_from(answer.verdict)
        .map_or("?", |v| v.as_str_name())
        .trim_start_matches("VERDICT_")
        .to_string();
    let evidence = answer.matches.first().map_or("NONE".to_string(), |m| {
        pb::Evidence::try_from(m.evidence)
            .map_or("?", |e| e.as_str_name())
            .trim_start_matches("EVIDENCE_")
            .to_string()
    });
    let reason = answer.matches.first().map_or("NONE".to_string(), |m| {
        pb::MatchReason::try_from(m.reason)
            .map_or("?", |r| r.as_str_name())
            .trim_start_matches("MATCH_REASON_")
            .to_string()
    });
    (verdict, evidence, reason)
}

/// Compares an answer with the row's expectations; `None` when they agree.
fn compare(row: &Row, how: &str, answer: &pb::CheckListingResponse) -> Option<String> {
    if answer.listing_id != row.id {
        return Some(row.mismatch(how, &format!("the answer of {:?}", answer.listing_id)));
    }
    let (verdict, evidence, reason) = outcome(answer);
    let agrees = verdict == row.verdict
        && evidence == row.evidence
        && row.reason.as_ref().is_none_or(|r| *r == reason);
    // Which brand, and where: the strongest match's brand, field and span.
    let found = answer.matches.first().map_or(Ok(()), |m| {
        let place = match pb::ListingField::try_from(m.field) {
            Ok(pb::ListingField::DeclaredBrand) => Place::DeclaredBrand,
            Ok(pb::ListingField::Title) => Place::Title,
            Ok(pb::ListingField::Description) => Place::Description,
            Ok(pb::ListingField::Image) => Place::Image,
            _ => return Err(format!("field {}", m.field)),
        };
        let brand = m.brand.strip_prefix("brands/").unwrap_or(&m.brand);
        row.check_match(brand, place, m.start as usize..m.end as usize)
    });
    let agrees = agrees && found.is_ok();
    // A match names the trademark that puts its brand in scope, and only
    // such a match does (a common word without a class is not in scope).
    if let Some(m) = answer.matches.iter().find(|m| {
        let unscoped = [pb::MatchReason::OutOfScope, pb::MatchReason::CommonWord]
            .map(|r| r as i32)
            .contains(&m.reason);
        m.trademark.is_empty() != unscoped
    }) {
        return Some(row.mismatch(
            how,
            &format!(
                "{} with reason {} and trademark {:?}",
                m.brand, m.reason, m.trademark
            ),
        ));
    }
    match (&row.known_gap, agrees) {
        (None, true) => None,
        (None, false) => Some(row.mismatch(
            how,
            &format!(
                "{verdict} {evidence} {reason}{}",
                found.err().map_or(String::new(), |e| format!(" ({e})"))
            ),
        )),
        // A known gap: reported, and it must still be one, so that fixing it
        // turns its `known_gap` into a plain expectation.
        (Some(gap), false) => {
            eprintln!(
                "known gap {} [{how}]: got {verdict} {evidence}: {gap}",
                row.id
            );
            None
        }
        (Some(_), true) => Some(format!(
            "{} [{how}] now agrees with DESIGN.md: remove its known_gap",
            row.id
        )),
    }
}

fn fail_on(mismatches: &[String], total: usize) {
    assert!(
        mismatches.is_empty(),
        "{} of {total} corpus checks differ from DESIGN.md (id [call] expected, got: note):\n  {}",
        mismatches.len(),
        mismatches.join("\n  ")
    );
}

/// The row names the strongest match's brand exactly when it shows one,
/// and where: an image for a logo, else a text found once in a field (or at
/// `shown_at`).
fn well_placed(row: &Row, brands: &BTreeSet<String>) {
    let id = &row.id;
    let Some(brand) = &row.brand else {
        assert_eq!(row.evidence, "NONE", "{id}: no brand");
        assert!(
            row.shown.is_none() && row.image.is_none() && row.shown_at.is_none(),
            "{id}: a place but no brand"
        );
        return;
    };
    assert_ne!(row.evidence, "NONE", "{id}: a brand but no evidence");
    assert!(
        brands.contains(brand),
        "{id}: brand {brand} is not in {REGISTRY}"
    );
    if row.evidence == "LOGO" {
        let image = row
            .image
            .unwrap_or_else(|| panic!("{id}: LOGO without image"));
        assert!(image < row.image_hashes.len(), "{id}: image {image}");
        assert!(row.shown.is_none(), "{id}: LOGO with shown");
        return;
    }
    assert!(row.image.is_none(), "{id}: image without LOGO");
    let shown = row
        .shown
        .as_deref()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| panic!("{id}: {} without shown", row.evidence));
    let places = [Place::DeclaredBrand, Place::Title, Place::Description]
        .into_iter()
        .filter(|&place| {
            let text = row.field_text(place);
            match row.shown_at {
                Some(at) => text.get(at..).is_some_and(|rest| rest.starts_with(shown)),
                None => text.matches(shown).count() == 1,
            }
        })
        .count();
    assert!(places >= 1, "{id}: {shown:?} is not once in a field");
}

/// The brand ids of the registry file.
fn registry_brands() -> BTreeSet<String> {
    let registry: toml::Value = toml::from_str(&read(REGISTRY)).expect("registry TOML");
    registry["brands"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| b["id"].as_str().map(str::to_string))
        .collect()
}

/// Each listing of `rows` is well formed: unique ids, known values, a brand
/// of the registry and a place for every listing that shows one.
fn rows_are_well_formed(rows: &[Row], brands: &BTreeSet<String>) {
    let mut ids = BTreeSet::new();
    for row in rows {
        assert!(ids.insert(&row.id), "duplicate id {}", row.id);
        assert!(PLATFORMS.contains(&row.platform.as_str()), "{}", row.id);
        assert!(
            ["ALLOW", "REVIEW", "BLOCK"].contains(&row.verdict.as_str()),
            "{}: verdict {}",
            row.id,
            row.verdict
        );
        assert!(
            [
                "BRAND_FIELD",
                "TEXT_EXACT",
                "TEXT_OBFUSCATED",
                "TEXT_FUZZY",
                "LOGO",
                "NONE"
            ]
            .contains(&row.evidence.as_str()),
            "{}: evidence {}",
            row.id,
            row.evidence
        );
        if let Some(reason) = &row.reason {
            assert!(
                [
                    "AUTHORIZED",
                    "UNAUTHORIZED",
                    "OUT_OF_SCOPE",
                    "COMMON_WORD",
                    "NOMINATIVE_USE"
                ]
                .contains(&reason.as_str()),
                "{}: reason {reason}",
                row.id
            );
        }
        assert!(
            !row.note.is_empty() && !row.category.is_empty(),
            "{}",
            row.id
        );
        assert!(
            row.evidence != "NONE" || row.verdict == "ALLOW",
            "{}: no evidence but not ALLOW",
            row.id
        );
        well_placed(row, brands);
    }
}

#[test]
fn corpus_is_well_formed() {
    let rows = corpus();
    let brands = registry_brands();
    assert!(brands.len() >= 10, "{} brands in {REGISTRY}", brands.len());
    assert!(rows.len() >= 150, "{} listings", rows.len());
    rows_are_well_formed(&rows, &brands);
    // Every verdict with every evidence kind it can have.
    let pairs: BTreeSet<(&str, &str)> = rows
        .iter()
        .map(|r| (r.verdict.as_str(), r.evidence.as_str()))
        .collect();
    for verdict in ["ALLOW", "REVIEW", "BLOCK"] {
        for evidence in [
            "BRAND_FIELD",
            "TEXT_EXACT",
            "TEXT_OBFUSCATED",
            "TEXT_FUZZY",
            "LOGO",
        ] {
            assert!(
                pairs.contains(&(verdict, evidence)),
                "no {verdict} listing with {evidence}"
            );
        }
    }
    let platforms: BTreeSet<&str> = rows.iter().map(|r| r.platform.as_str()).collect();
    assert_eq!(platforms.len(), PLATFORMS.len());
}

/// The held-out and adversarial listings (`examples/corpus.rs --listings`,
/// docs/corpus.md) are measured, not asserted; their labels are checked
/// like the corpus's, and their ids are their own.
#[test]
fn measured_listings_are_well_formed() {
    let brands = registry_brands();
    let mut ids: BTreeSet<String> = corpus().into_iter().map(|r| r.id).collect();
    for (path, at_least) in [(HELD_OUT, 150), (ADVERSARIAL, 50)] {
        let rows = rows_of(path);
        assert!(rows.len() >= at_least, "{} listings in {path}", rows.len());
        rows_are_well_formed(&rows, &brands);
        for row in rows {
            assert!(ids.insert(row.id.clone()), "{} is in two files", row.id);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn corpus_through_check_listing() {
    let rows = corpus();
    let (_server, mut clients) = start().await;
    let mut mismatches = Vec::new();
    for row in &rows {
        let client = clients.get_mut(row.platform.as_str()).expect("platform");
        let request = pb::CheckListingRequest {
            listing: Some(row.listing()),
            min_revision: 0,
        };
        match client.check_listing(request).await {
            Ok(answer) => mismatches.extend(compare(row, "CheckListing", &answer.into_inner())),
            Err(status) => mismatches.push(row.mismatch("CheckListing", &format!("{status:?}"))),
        }
    }
    fail_on(&mismatches, rows.len());
}

/// The whole corpus in one `BatchCheckListings` call per platform (the
/// platform is the caller's identity, so the two platforms' listings need
/// two calls), results in request order.
#[tokio::test(flavor = "multi_thread")]
async fn corpus_through_batch_check_listings() {
    let rows = corpus();
    let (_server, mut clients) = start().await;
    let mut mismatches = Vec::new();
    for platform in PLATFORMS {
        let batch: Vec<&Row> = rows.iter().filter(|r| r.platform == platform).collect();
        let request = pb::BatchCheckListingsRequest {
            listings: batch.iter().map(|r| r.listing()).collect(),
            min_revision: 0,
        };
        let client = clients.get_mut(platform).expect("platform");
        let answer = client
            .batch_check_listings(request)
            .await
            .unwrap_or_else(|status| panic!("BatchCheckListings as {platform}: {status:?}"))
            .into_inner();
        assert_eq!(
            answer.results.len(),
            batch.len(),
            "one result per listing as {platform}"
        );
        for (row, result) in batch.iter().zip(&answer.results) {
            match &result.outcome {
                Some(pb::batch_check_result::Outcome::Result(answer)) => {
                    assert_eq!(answer.revision, 1, "{}: revision", row.id);
                    mismatches.extend(compare(row, "BatchCheckListings", answer));
                }
                other => mismatches.push(row.mismatch("BatchCheckListings", &format!("{other:?}"))),
            }
        }
    }
    fail_on(&mismatches, rows.len());
}
